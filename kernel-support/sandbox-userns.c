/* The sandbox's user namespace when real root runs it: vztmpl's id range,
 * the idmapped mount of the root, and the command's switch into it. Root
 * inside is never root outside. */
#include "config.h"
#include "kernel-support/sandbox-internal.h"
#include "kernel-support/idmap.h"
#include "kernel-support/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

static void sb_vreport(int fd, int errnum, bool refused, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void sb_vreport(int fd, int errnum, bool refused, const char *fmt, va_list ap)
{
  struct vzt_sandbox_report r;
  memset(&r, 0, sizeof(r));
  r.errnum = errnum;
  r.refused = refused;
  vsnprintf(r.msg, sizeof(r.msg), fmt, ap);
  ssize_t n;
  do
    n = write(fd, &r, sizeof(r));
  while (n < 0 && errno == EINTR);
}

void vzt_sandbox_report(int fd, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  sb_vreport(fd, errnum, false, fmt, ap);
  va_end(ap);
}

void vzt_sandbox_refuse(int fd, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  sb_vreport(fd, errnum, true, fmt, ap);
  va_end(ap);
}

/* Why the kernel would not idmap the root, in words a user can act on. */
static const char *sb_idmap_refusal(const char *root, int errnum)
{
  struct statfs sf;
  if (errnum == ENOSYS)
    return "this kernel lacks idmapped mounts, which came with Linux 5.12";
  if (statfs(root, &sf) == 0 && sf.f_type == OVERLAYFS_SUPER_MAGIC)
    return "overlayfs does not support idmapped mounts of itself";
  return "its file system does not support idmapped mounts";
}

/* The root's bind mount, idmapped to the command's user namespace: on-disk
 * uid k is host uid host_uid+k while it runs, and what it writes as k is
 * stored as k, so the root stays as it would be under the host's root. The
 * kernel's answer here is the only test of whether the root can be idmapped:
 * a refusal reaches the caller as exit 3 with what to do instead. The
 * clone of the root's mounts (idmapped when c->idmap_root) is returned, for
 * the caller to move where the root is to be seen. */
static int sb_root_tree(const struct vzt_sandbox_child *c)
{
  int t = (int) syscall(SYS_open_tree, AT_FDCWD, c->root, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (!c->idmap_root) {
    if (t < 0)
      vzt_sandbox_report(c->report_fd, errno, "cannot clone the mounts of %s", c->root);
    return t;
  }
  struct mount_attr a = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) c->userns_fd};
  if (t < 0 || syscall(SYS_mount_setattr, t, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0) {
    int e = errno;
    vzt_sandbox_refuse(c->report_fd, e,
                       "%s cannot be idmapped (%s), and target code never runs as the host's root: %s %u "
                       "(vztmpl's range in /etc/subuid)",
                       c->root, sb_idmap_refusal(c->root, e), VZT_IDMAP_ALTERNATIVES,
                       (unsigned) c->host_uid);
    if (t >= 0)
      close(t);
    return -1;
  }
  return t;
}

int vzt_sandbox_idmap_root(const struct vzt_sandbox_child *c)
{
  int t = sb_root_tree(c);
  if (t < 0)
    return -1;
  if (syscall(SYS_move_mount, t, "", AT_FDCWD, c->root, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
    vzt_sandbox_report(c->report_fd, errno, "cannot mount the idmapped copy of %s onto it", c->root);
    close(t);
    return -1;
  }
  close(t);
  return 0;
}

int vzt_sandbox_stage_root(const struct vzt_sandbox_child *c, const char *fstype, unsigned long flags,
                           const char *data)
{
  int t = sb_root_tree(c);
  if (t < 0)
    return -1;
  /* The path of the root in the stage: root + root_at, made on the stack. */
  char at[PATH_MAX];
  int r = -1;
  if (snprintf(at, sizeof(at), "%s%s", c->root, c->opts->root_at) >= (int) sizeof(at))
    vzt_sandbox_report(c->report_fd, ENAMETOOLONG, "%s%s is too long", c->root, c->opts->root_at);
  else if (mount(fstype, c->root, fstype, flags, data) < 0)
    vzt_sandbox_report(c->report_fd, errno, "cannot mount a %s over %s", fstype, c->root);
  else if (mkdir(at, 0755) < 0)
    vzt_sandbox_report(c->report_fd, errno, "cannot create the mount point %s", at);
  else if (syscall(SYS_move_mount, t, "", AT_FDCWD, at, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    vzt_sandbox_report(c->report_fd, errno, "cannot mount %s on %s", c->root, c->opts->root_at);
  else
    r = 0;
  close(t);
  return r;
}

/* Real root's command becomes root of the sandbox's user namespace: uid
 * and gid 0 there, no supplementary group of the host's. */
int vzt_sandbox_join_userns(const struct vzt_sandbox_child *c)
{
  if (c->userns_fd < 0)
    return 0;
  if (setns(c->userns_fd, CLONE_NEWUSER) < 0) {
    vzt_sandbox_report(c->report_fd, errno, "cannot join the user namespace of the sandbox");
    return -1;
  }
  if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0) {
    vzt_sandbox_report(c->report_fd, errno, "cannot become root of the sandbox's user namespace");
    return -1;
  }
  close(c->userns_fd);
  return 0;
}

/* A build runs target code five or six times, each run in a fresh sandbox:
 * vztmpl's range is read once per process and each range's user namespace
 * made once (a forked helper writes its maps), then shared by every run, as
 * the containers of one pod share theirs. Runs still get their own pid,
 * mount and other namespaces. */
static pthread_mutex_t sb_userns_lock = PTHREAD_MUTEX_INITIALIZER;
static bool sb_have_range;
static struct vzt_idmap_range sb_range;      /* vztmpl's own, from /etc/subuid */
static struct vzt_idmap_range sb_userns_range; /* the one sb_userns_fd maps */
static int sb_userns_fd = -1;

static int sb_own_range(struct vzt_idmap_range *r, struct vzt_error **err)
{
  if (!sb_have_range) {
    if (vzt_idmap_range_get("/etc/subuid", "/etc/subgid", &sb_range, err) < 0)
      return -1;
    sb_have_range = true;
  }
  *r = sb_range;
  return 0;
}

/* A descriptor of its own for the caller to close, over the shared namespace. */
static int sb_userns_for(const struct vzt_idmap_range *r, struct vzt_error **err)
{
  if (sb_userns_fd < 0 || memcmp(&sb_userns_range, r, sizeof(*r)) != 0) {
    int fd = vzt_idmap_userns_open(r, err);
    if (fd < 0)
      return -1;
    if (sb_userns_fd >= 0)
      close(sb_userns_fd);
    sb_userns_fd = fd;
    sb_userns_range = *r;
  }
  int fd = fcntl(sb_userns_fd, F_DUPFD_CLOEXEC, 3);
  if (fd < 0)
    return vzt_fail_errno(err, errno, "cannot duplicate the user namespace's descriptor");
  return fd;
}

/* Real root runs target code as root of a user namespace, never as the
 * host's: over vztmpl's own id range through an idmapped mount when the root
 * is owned by 0 on disk, or over the ids a root was shifted to (deploy
 * --uid-shift) as they are. A rootless caller is in its own namespace
 * already: nothing to do. */
int vzt_sandbox_plan_userns(struct vzt_sandbox_child *c, struct vzt_error **err)
{
  c->userns_fd = -1;
  if (geteuid() != 0 || vzt_userns_active())
    return 0;
  struct stat st;
  if (stat(c->root, &st) < 0)
    return vzt_fail_errno(err, errno, "sandbox: cannot stat %s", c->root);
  struct vzt_idmap_range r;
  if (st.st_uid == 0 && st.st_gid == 0) {
    pthread_mutex_lock(&sb_userns_lock);
    int got = sb_own_range(&r, err);
    pthread_mutex_unlock(&sb_userns_lock);
    if (got < 0)
      return vzt_error_prefix(err, "sandbox: vztmpl's id range for running target code");
    c->idmap_root = true;
  } else {
    /* Below 65536 the map would cover the host's own users and groups. */
    if (st.st_uid < VZT_IDMAP_COUNT || st.st_gid < VZT_IDMAP_COUNT ||
        st.st_uid > UINT32_MAX - VZT_IDMAP_COUNT || st.st_gid > UINT32_MAX - VZT_IDMAP_COUNT)
      return vzt_refuse(err,
                        "sandbox: %s is owned by %u:%u, neither root nor a root shifted above the "
                        "host's ids (deploy --uid-shift N, N at least %u): its owner's ids cannot be "
                        "those of the namespace's root; run it as the user who deployed it, or deploy it "
                        "again as root",
                        c->root, (unsigned) st.st_uid, (unsigned) st.st_gid, VZT_IDMAP_COUNT);
    r = (struct vzt_idmap_range){st.st_uid, st.st_gid, VZT_IDMAP_COUNT};
  }
  pthread_mutex_lock(&sb_userns_lock);
  c->userns_fd = sb_userns_for(&r, err);
  pthread_mutex_unlock(&sb_userns_lock);
  if (c->userns_fd < 0)
    return vzt_error_prefix(err, "sandbox: a user namespace over %u..%u", r.uid, r.uid + r.count - 1);
  c->host_uid = r.uid;
  c->host_gid = r.gid;
  return 0;
}
