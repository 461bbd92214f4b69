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
#include <linux/magic.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <unistd.h>

void vzt_sandbox_report(int fd, int errnum, const char *fmt, ...)
{
  struct vzt_sandbox_report r;
  memset(&r, 0, sizeof(r));
  r.errnum = errnum;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r.msg, sizeof(r.msg), fmt, ap);
  va_end(ap);
  ssize_t n;
  do
    n = write(fd, &r, sizeof(r));
  while (n < 0 && errno == EINTR);
}

/* The root's bind mount, idmapped to the command's user namespace: on-disk
 * uid k is host uid host_uid+k while it runs, and what it writes as k is
 * stored as k, so the root stays as it would be under the host's root. */
int vzt_sandbox_idmap_root(const struct vzt_sandbox_child *c)
{
  int t = (int) syscall(SYS_open_tree, AT_FDCWD, c->root, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (t < 0) {
    vzt_sandbox_report(c->report_fd, errno,
              "cannot make an idmapped mount of %s: this kernel lacks open_tree (idmapped mounts need "
              "Linux 5.12 or later); %s %u. Target code never runs as the host's root",
              c->root, VZT_IDMAP_ALTERNATIVES, (unsigned) c->host_uid);
    return -1;
  }
  struct mount_attr a = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) c->userns_fd};
  if (syscall(SYS_mount_setattr, t, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0) {
    vzt_sandbox_report(c->report_fd, errno,
              "cannot make an idmapped mount of %s: its file system (or this kernel) does not "
              "support idmapped mounts; %s %u. Target code never runs as the host's root",
              c->root, VZT_IDMAP_ALTERNATIVES, (unsigned) c->host_uid);
    close(t);
    return -1;
  }
  if (syscall(SYS_move_mount, t, "", AT_FDCWD, c->root, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
    vzt_sandbox_report(c->report_fd, errno, "cannot mount the idmapped copy of %s onto it", c->root);
    close(t);
    return -1;
  }
  close(t);
  return 0;
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

/* ext4, xfs and btrfs support idmapped mounts since Linux 5.12 (btrfs
 * 5.15): on such a kernel their roots need no probe. */
static bool sb_idmap_native_fs(long f_type)
{
  static int kernel_ok = -1;
  if (kernel_ok < 0) {
    struct utsname u;
    unsigned major = 0, minor = 0;
    kernel_ok = uname(&u) == 0 && sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
                (major > 5 || (major == 5 && minor >= 15));
  }
  return kernel_ok && (f_type == EXT4_SUPER_MAGIC || f_type == XFS_SUPER_MAGIC ||
                       f_type == BTRFS_SUPER_MAGIC);
}

/* Said before anything starts, with what to do instead: a root the kernel
 * cannot idmap is not run (pid 1 would refuse it too). */
static int sb_check_idmap(const char *root, int userns_fd, uint32_t start, struct vzt_error **err)
{
  struct statfs sf;
  bool known = statfs(root, &sf) == 0;
  bool overlay = known && sf.f_type == OVERLAYFS_SUPER_MAGIC;
  int why = overlay ? EINVAL : 0;
  /* The file systems that idmap on every kernel that can (5.15 on) skip the
   * probe: tearing its mount down waits for an RCU grace period, a fifth of
   * an exec's start-up. Pid 1 still fails closed if the kernel says no. */
  if (known && !overlay && sb_idmap_native_fs(sf.f_type))
    return 0;
  int ok = overlay ? 0 : vzt_idmap_mount_probe(root, userns_fd, &why, err);
  if (ok < 0)
    return vzt_error_prefix(err, "sandbox");
  if (ok)
    return 0;
  return vzt_refuse(err,
                    "sandbox: %s cannot be idmapped (%s: %s), and target code never runs as the host's "
                    "root: run vztmpl as an ordinary user (rootless, over their subordinate ids), or "
                    "deploy the root with --uid-shift %u (vztmpl's range in /etc/subuid)",
                    root,
                    why == ENOSYS ? "this kernel lacks idmapped mounts, which came with Linux 5.12"
                    : overlay     ? "overlayfs does not support idmapped mounts of itself"
                                  : "its file system does not support idmapped mounts",
                    strerror(why), start);
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
    if (vzt_idmap_range_get("/etc/subuid", "/etc/subgid", &r, err) < 0)
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
  c->userns_fd = vzt_idmap_userns_open(&r, err);
  if (c->userns_fd < 0)
    return vzt_error_prefix(err, "sandbox: a user namespace over %u..%u", r.uid, r.uid + r.count - 1);
  c->host_uid = r.uid;
  c->host_gid = r.gid;
  if (c->idmap_root && sb_check_idmap(c->root, c->userns_fd, r.uid, err) < 0) {
    close(c->userns_fd);
    c->userns_fd = -1;
    return -1;
  }
  return 0;
}
