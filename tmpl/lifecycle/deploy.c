/* Deploy: template archive -> container root (extract, reflink or overlay). */
#include "config.h"
#include "tmpl/lifecycle/deploy.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "kernel-support/confine.h"
#include "kernel-support/userns.h"
#include "lib/cleanup.h"
#include "tmpl/archive-io.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/locale.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "tmpl/manifest.h"
#include "lib/alloc.h"

int vzt_deploy_mode_parse(const char *s, enum vzt_deploy_mode *mode)
{
  if (!strcmp(s, "extract"))
    *mode = VZT_DEPLOY_EXTRACT;
  else if (!strcmp(s, "reflink"))
    *mode = VZT_DEPLOY_REFLINK;
  else if (!strcmp(s, "overlay"))
    *mode = VZT_DEPLOY_OVERLAY;
  else
    return -1;
  return 0;
}

const char *vzt_deploy_mode_name(enum vzt_deploy_mode mode)
{
  return mode == VZT_DEPLOY_REFLINK ? "reflink" : mode == VZT_DEPLOY_OVERLAY ? "overlay" : "extract";
}

void vzt_deploy_result_clear(struct vzt_deploy_result *r)
{
  free(r->name);
  free(r->lower);
  free(r->upper);
  free(r->work);
  memset(r, 0, sizeof(*r));
}

/* --- extraction, in a worker chrooted into the target --- */

/* What a template may unpack beyond what its manifest counts: vztmpl's own
 * builds count exactly (the sum of regular files' sizes, and every entry);
 * the slack is for templates packed by other tools, which may count a
 * little differently (hard links' sizes, a top "./" entry). */
#define DEPLOY_SLACK_BYTES (UINT64_C(1) << 20)
#define DEPLOY_SLACK_ENTRIES 64

struct extract_job {
  int fd; /* the verified archive, opened before the worker forks */
  const char *what;
  uint32_t uid_shift;
  uint64_t max_bytes, max_entries; /* the manifest's counts plus the slack */
};

/* The device nodes a container may get from its template: the harmless
 * character devices every program expects, at their own path and numbers.
 * Any other node would hand the container (and, through the host path,
 * any host user) a host device: containers get the rest of /dev from their
 * platform. */
static bool device_allowed(const char *path, bool chr, unsigned maj, unsigned min)
{
  static const struct {
    const char *path;
    unsigned maj, min;
  } ok[] = {{"dev/null", 1, 3}, {"dev/zero", 1, 5},    {"dev/full", 1, 7},
            {"dev/random", 1, 8}, {"dev/urandom", 1, 9}, {"dev/tty", 5, 0}};
  path = vzt_path_skip_root(path);
  if (!chr)
    return false;
  for (size_t i = 0; i < VZT_ARRAY_SIZE(ok); i++)
    if (!strcmp(path, ok[i].path) && maj == ok[i].maj && min == ok[i].min)
      return true;
  return false;
}

/* The archive's own entry for its top ("." or "./"): the root's owner and
 * mode are deploy's to set, never the template's. */
static bool is_top(const char *path)
{
  while (path[0] == '.' && path[1] == '/')
    path += 2;
  return !path[0] || !strcmp(path, ".");
}

/* Counts an entry against the manifest's bounds before it is written. */
static int extract_bound(const struct extract_job *j, struct archive_entry *e, const char *path,
                         uint64_t *bytes, uint64_t *entries, struct vzt_error **err)
{
  if (++*entries > j->max_entries)
    return vzt_refuse(err,
                      "%s holds more than %llu entries, more than its manifest counts: refusing it (an "
                      "archive bomb or a wrong manifest); rebuild or download the template again",
                      j->what, (unsigned long long) j->max_entries);
  /* Every entry's data, hard links' too: a tar hard link may carry data,
   * which libarchive writes into the linked file. */
  la_int64_t size = archive_entry_size(e);
  if (size > 0)
    *bytes += (uint64_t) size;
  if (size < 0 || *bytes > j->max_bytes)
    return vzt_refuse(err,
                      "%s unpacks to more than %llu bytes (at %s), more than its manifest's "
                      "unpacked_size: refusing it (an archive bomb or a wrong manifest); rebuild or "
                      "download the template again",
                      j->what, (unsigned long long) j->max_bytes, path);
  return 0;
}

/* Runs chrooted into the root: whatever a symlink or hard link in the
 * archive says, every path resolves inside it. */
static int extract_confined(void *arg, struct vzt_error **err)
{
  const struct extract_job *j = arg;
  struct archive *in = archive_read_new();
  archive_read_support_filter_all(in);
  archive_read_support_format_tar(in);
  if (archive_read_open_fd(in, j->fd, 1 << 16) != ARCHIVE_OK) {
    int ret = vzt_fail(err, "%s: %s", j->what, archive_error_string(in));
    archive_read_free(in);
    return ret;
  }
  struct archive *out = vzt_archive_disk_writer();
  struct archive_entry *e;
  int r, ret = 0;
  uint64_t bytes = 0, entries = 0, skipped = 0;
  while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
    const char *path = archive_entry_pathname(e);
    if (extract_bound(j, e, path, &bytes, &entries, err) < 0) {
      ret = -1;
      break;
    }
    if (is_top(path))
      continue;
    if (vzt_archive_check_entry(e, j->what, err) < 0) {
      ret = -1;
      break;
    }
    unsigned type = archive_entry_filetype(e);
    if ((type == AE_IFCHR || type == AE_IFBLK) &&
        !device_allowed(path, type == AE_IFCHR, archive_entry_rdevmajor(e), archive_entry_rdevminor(e))) {
      if (++skipped <= 10)
        vzt_warn("%s: skipped the %s device %s (%u:%u): deploy creates only null, zero, full, random, "
                 "urandom and tty; the container platform provides /dev",
                 j->what, type == AE_IFBLK ? "block" : "character", path,
                 (unsigned) archive_entry_rdevmajor(e), (unsigned) archive_entry_rdevminor(e));
      continue;
    }
    if (j->uid_shift) {
      la_int64_t uid = archive_entry_uid(e), gid = archive_entry_gid(e);
      if (uid + j->uid_shift > UINT32_MAX - 1 || gid + j->uid_shift > UINT32_MAX - 1) {
        ret = vzt_fail(err, "%s: %s: owner %lld:%lld shifted by %u leaves the 32-bit id range", j->what,
                       path, (long long) uid, (long long) gid, j->uid_shift);
        break;
      }
      archive_entry_set_uid(e, uid + j->uid_shift);
      archive_entry_set_gid(e, gid + j->uid_shift);
    }
    if (vzt_archive_copy_entry(in, out, e, j->what, path, err) < 0) {
      ret = -1;
      break;
    }
  }
  if (skipped > 10)
    vzt_warn("%s: skipped %llu device nodes in all", j->what, (unsigned long long) skipped);
  if (!ret && r != ARCHIVE_EOF)
    ret = vzt_refuse(err, "%s: corrupt archive: %s", j->what, archive_error_string(in));
  /* close applies deferred directory modes and times: its failure is a failure. */
  if (archive_write_close(out) != ARCHIVE_OK && !ret)
    ret = vzt_fail(err, "%s: %s", j->what, archive_error_string(out));
  archive_write_free(out);
  archive_read_free(in);
  return ret;
}

/* Extracts into the directory rootfd: the worker chroots through
 * /proc/self/fd, so no path is looked up again after the root was opened. */
static int extract_into(int rootfd, int fd, const char *what, const struct vzt_manifest *m, uint32_t shift,
                        struct vzt_error **err)
{
  if (lseek(fd, 0, SEEK_SET) < 0)
    return vzt_fail_errno(err, errno, "cannot rewind %s", what);
  struct extract_job j = {fd, what, shift, m->unpacked_size + m->unpacked_size / 64 + DEPLOY_SLACK_BYTES,
                          m->entries + m->entries / 64 + DEPLOY_SLACK_ENTRIES};
  char root[64];
  snprintf(root, sizeof(root), "/proc/self/fd/%d", rootfd);
  /* Made here, not in the worker: after its chroot the locale would be
   * looked up in the template. */
  VZT_UTF8_SCOPE(utf8);
  return vzt_confine_run(root, extract_confined, &j, err);
}

/* --- the root, opened once and used through its descriptor --- */

struct deploy_root {
  const char *path; /* as given, for messages */
  int parent;       /* the directory holding it */
  char *base;       /* its name there */
  int fd;           /* the root itself, flock'ed */
  bool created;
  bool ours; /* locked and found empty: what is in it now, this run wrote */
};

static void deploy_root_close(struct deploy_root *R)
{
  if (R->fd >= 0)
    close(R->fd);
  if (R->parent >= 0)
    close(R->parent);
  free(R->base);
  R->fd = R->parent = -1;
  R->base = NULL;
}

/* A directory other host users cannot pass: the deploying user's (root's,
 * or in an ordinary user's namespace the user's own, seen as 0 there), no
 * search right for others, and none for a group other than that user's. */
static bool private_dir(const struct stat *st)
{
  return st->st_uid == geteuid() && !(st->st_mode & S_IXOTH) &&
         (st->st_gid == getegid() || !(st->st_mode & S_IXGRP));
}

/* Files deploy writes keep their owners' rights (setuid root programs among
 * them): like LXC's 0700 directory around a container's rootfs, some
 * directory above ROOT must keep other host users out, else any of them
 * runs the template's setuid programs as root through the host path. An
 * ordinary user's deploy is no exception: the container's root is that
 * user on the host, so its setuid programs would run as that user. */
static int check_private(const struct deploy_root *R, struct vzt_error **err)
{
  _cleanup_close_ int fd = dup(R->parent);
  if (fd < 0)
    return vzt_fail_errno(err, errno, "cannot inspect the directories above %s", R->path);
  for (int depth = 0; depth < 4096; depth++) {
    struct stat st, up;
    if (fstat(fd, &st) < 0)
      return vzt_fail_errno(err, errno, "cannot inspect the directories above %s", R->path);
    if (private_dir(&st))
      return 0;
    int next = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (next < 0 || fstat(next, &up) < 0) {
      if (next >= 0)
        close(next);
      return vzt_fail_errno(err, errno, "cannot inspect the directories above %s", R->path);
    }
    close(fd);
    fd = next;
    if (up.st_dev == st.st_dev && up.st_ino == st.st_ino)
      break; /* "/" */
  }
  if (vzt_userns_active() || geteuid() != 0)
    return vzt_refuse(err,
                      "other users of this host can reach %s (no directory above it is yours with "
                      "mode 0700): they could run the template's setuid programs as you (uid %u); "
                      "deploy under a private directory (mkdir -m 700 ~/ct), or chmod 700 the "
                      "directory holding it",
                      R->path, (unsigned) vzt_userns_host_uid());
  return vzt_refuse(err,
                    "other users of this host can reach %s (no directory above it is root's with mode "
                    "0700): they could run the template's setuid programs as root; deploy under a "
                    "private directory (mkdir -m 700 /srv/ct), or chmod 700 the directory holding it",
                    R->path);
}

static int open_root_fd(int parent, const char *base)
{
#ifdef SYS_openat2
  struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
                         .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
  int fd = (int) syscall(SYS_openat2, parent, base, &how, sizeof(how));
  if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
    return fd;
#endif
  return openat(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static int root_is_empty(const struct deploy_root *R, struct vzt_error **err)
{
  int d = openat(R->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  _cleanup_closedir_ DIR *dir = d >= 0 ? fdopendir(d) : NULL;
  if (!dir) {
    if (d >= 0)
      close(d);
    return vzt_fail_errno(err, errno, "cannot read the root %s", R->path);
  }
  struct dirent *de;
  while ((de = readdir(dir)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
      return vzt_fail(err,
                      "the root %s is not empty (it holds \"%s\"): deploy writes only into a new or "
                      "empty directory; remove its contents or choose another",
                      R->path, de->d_name);
  return 0;
}

/* ROOT: its parent opened (made 0700 where missing), ROOT made there where
 * missing, opened without following a link, locked against a concurrent
 * deploy, refused when it holds anything, and kept 0700 until it is whole. */
static int open_root(const char *path, struct deploy_root *R, struct vzt_error **err)
{
  *R = (struct deploy_root){.path = path, .parent = -1, .fd = -1};
  _cleanup_free_ char *dir = vzt_strdup(path);
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/')
    dir[--n] = '\0';
  char *slash = strrchr(dir, '/');
  const char *base = slash ? slash + 1 : dir;
  if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
    return vzt_fail(err, "%s: give the root as a path ending in its own name (not /, . or ..)", path);
  R->base = vzt_strdup(base);
  if (slash == dir)
    dir[1] = '\0';
  else if (slash)
    *slash = '\0';
  else
    strcpy(dir, ".");
  struct stat st;
  if (stat(dir, &st) < 0 && errno == ENOENT && vzt_mkdir_p(dir, 0700, err) < 0)
    return -1;
  R->parent = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (R->parent < 0)
    return vzt_fail_errno(err, errno, "cannot open %s, the directory for the root %s", dir, path);
  if (check_private(R, err) < 0)
    return -1;
  if (mkdirat(R->parent, R->base, 0700) == 0)
    R->created = true;
  else if (errno != EEXIST)
    return vzt_fail_errno(err, errno, "cannot create the root %s", path);
  R->fd = open_root_fd(R->parent, R->base);
  if (R->fd < 0) {
    if (errno == ELOOP || errno == ENOTDIR || errno == EXDEV)
      return vzt_refuse(err,
                        "the root %s is a symbolic link or not a directory: deploy neither follows nor "
                        "replaces one; give the directory itself",
                        path);
    return vzt_fail_errno(err, errno, "cannot open the root %s", path);
  }
  if (flock(R->fd, LOCK_EX | LOCK_NB) < 0) {
    if (errno == EWOULDBLOCK)
      return vzt_fail(err, "the root %s is being deployed by another vztmpl: wait for it, or choose another root",
                      path);
    return vzt_fail_errno(err, errno, "cannot lock the root %s", path);
  }
  if (fstat(R->fd, &st) < 0)
    return vzt_fail_errno(err, errno, "cannot stat the root %s", path);
  struct stat top;
  if (stat("/", &top) == 0 && top.st_dev == st.st_dev && top.st_ino == st.st_ino)
    return vzt_fail(err, "refusing to deploy onto /");
  if (root_is_empty(R, err) < 0)
    return -1;
  R->ours = true;
  /* Nobody else looks in or writes while the tree is incomplete. */
  if (fchown(R->fd, 0, 0) < 0 || fchmod(R->fd, 0700) < 0)
    return vzt_fail_errno(err, errno, "cannot make the root %s private while deploying", path);
  return 0;
}

/* A finished root's top, deployed or the cache's unpacked tree: 0755 and the
 * container's root's (shift on the host). Extraction never takes it from
 * the archive's ./ entry. */
static int finish_top(int fd, const char *path, uint32_t shift, struct vzt_error **err)
{
  if (fchown(fd, shift, shift) < 0 || fchmod(fd, 0755) < 0)
    return vzt_fail_errno(err, errno, "cannot set the owner and mode of the root %s", path);
  return 0;
}

/* Clears immutable and append-only flags, which would keep fd's removal failing. */
static void clear_flags(int fd)
{
  int flags;
  if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & (FS_IMMUTABLE_FL | FS_APPEND_FL))) {
    flags &= ~(FS_IMMUTABLE_FL | FS_APPEND_FL);
    ioctl(fd, FS_IOC_SETFLAGS, &flags);
  }
}

/* Removes everything below dirfd, on its own file system, following no link. */
static int remove_children(int dirfd, dev_t dev, int depth)
{
  int d = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  _cleanup_closedir_ DIR *dir = d >= 0 ? fdopendir(d) : NULL;
  if (!dir) {
    if (d >= 0)
      close(d);
    return -1;
  }
  clear_flags(dirfd);
  int ret = 0;
  struct dirent *de;
  while ((de = readdir(dir))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    struct stat st;
    if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    if (S_ISDIR(st.st_mode)) {
      _cleanup_close_ int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0 || st.st_dev != dev || depth > 4096 || remove_children(sub, dev, depth + 1) < 0) {
        ret = -1;
        continue;
      }
      clear_flags(sub);
    } else if (S_ISREG(st.st_mode)) {
      _cleanup_close_ int f = openat(dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
      if (f >= 0)
        clear_flags(f);
    }
    if (unlinkat(dirfd, de->d_name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0)
      ret = -1;
  }
  return ret;
}

/* Undoes a failed deploy through the descriptor: the root's contents go, and
 * the root itself when this run made it and it is still the same directory.
 * A root another deploy holds is not ours to touch. */
static void reset_root(struct deploy_root *R)
{
  if (!R->ours)
    return;
  struct stat st, now;
  if (fstat(R->fd, &st) < 0)
    return;
  if (remove_children(R->fd, st.st_dev, 0) < 0)
    vzt_warn("could not remove all of the partial root %s", R->path);
  if (R->created && fstatat(R->parent, R->base, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_dev == st.st_dev &&
      now.st_ino == st.st_ino)
    unlinkat(R->parent, R->base, AT_REMOVEDIR);
}

/* --- the cached unpacked tree (reflink and overlay) --- */

/* cache/unpacked/<archive sha256>[+uid<shift>]: extracted once from the
 * verified archive into tmp/ and renamed, so it is whole or absent. */
static int ensure_unpacked(struct vzt_cache *cache, const struct vzt_manifest *m, int fd, const char *what,
                           uint32_t shift, char **path, bool *made, struct vzt_error **err)
{
  const char *sha256 = m->archive_sha256;
  *made = false;
  _cleanup_free_ char *rel = shift ? vzt_strdupf("unpacked/%s+uid%u", sha256, shift)
                                   : vzt_strdupf("unpacked/%s", sha256);
  _cleanup_free_ char *final = vzt_cache_path(cache, rel);
  /* A tree found is finished again: one unpacked by an earlier vztmpl may
   * have its top still the host root's, which a shifted root must not. */
  _cleanup_close_ int found = open(final, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (found >= 0) {
    if (finish_top(found, final, shift, err) < 0)
      return -1;
    *path = steal_pointer(&final);
    return 0;
  }
  _cleanup_free_ char *dir = vzt_cache_path(cache, "unpacked");
  if (vzt_mkdir_p(dir, 0700, err) < 0)
    return -1;
  _cleanup_free_ char *tmp = NULL;
  if (vzt_cache_mkdtemp(cache, "unpack", &tmp, err) < 0)
    return -1;
  _cleanup_free_ char *troot = vzt_path_join(tmp, "root");
  struct vzt_error *e = NULL;
  int ret = -1;
  _cleanup_close_ int tfd = -1;
  if (mkdir(troot, 0755) < 0 || (tfd = open(troot, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
    vzt_fail_errno(err, errno, "cannot create %s", troot);
  else if (extract_into(tfd, fd, what, m, shift, err) == 0 && finish_top(tfd, troot, shift, err) == 0) {
    if (rename(troot, final) == 0) {
      *made = true;
      ret = 0;
    } else if (errno == EEXIST || errno == ENOTEMPTY)
      ret = 0; /* another deploy made the same tree meanwhile */
    else
      vzt_fail_errno(err, errno, "cannot move the unpacked template to %s", final);
  }
  if (vzt_rm_rf(tmp, &e) < 0)
    vzt_error_free(&e);
  if (ret == 0)
    *path = steal_pointer(&final);
  return ret;
}

/* --- reflink copies --- */

static bool reflink_unsupported(int e)
{
  return e == EOPNOTSUPP || e == ENOTTY || e == EXDEV || e == EINVAL || e == ENOSYS;
}

/* One FICLONE between two scratch files before anything is copied, so an
 * unsupported file system fails at once and cleanly. */
static int reflink_probe(const char *src_dir, int dst_fd, const char *dst_dir, struct vzt_error **err)
{
  _cleanup_free_ char *sp = vzt_strdupf("%s/.vztmpl-reflink.%d", src_dir, (int) getpid());
  _cleanup_free_ char *dn = vzt_strdupf(".vztmpl-reflink.%d", (int) getpid());
  _cleanup_close_ int s = open(sp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (s < 0)
    return vzt_fail_errno(err, errno, "cannot create %s", sp);
  unlink(sp);
  _cleanup_close_ int d = openat(dst_fd, dn, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (d < 0)
    return vzt_fail_errno(err, errno, "cannot create %s/%s", dst_dir, dn);
  unlinkat(dst_fd, dn, 0);
  if (vzt_write_all(s, "vztmpl", 6) < 0)
    return vzt_fail_errno(err, errno, "cannot write %s", sp);
  if (ioctl(d, FICLONE, s) < 0) {
    int e = errno;
    if (reflink_unsupported(e))
      return vzt_fail_errno(err, e,
                            "reflink deploy needs one file system with reflinks (btrfs, xfs with "
                            "reflink=1, bcachefs) holding both the cache (%s) and the root (%s); "
                            "FICLONE between them fails: use --mode extract or --mode overlay",
                            src_dir, dst_dir);
    return vzt_fail_errno(err, e, "FICLONE from %s to %s", src_dir, dst_dir);
  }
  return 0;
}

struct link_seen {
  dev_t dev;
  ino_t ino;
  char *path; /* relative to the destination's top */
};

struct copy_ctx {
  void *links; /* tsearch tree of struct link_seen */
  int dst_top;
  char path[PATH_MAX];
};

static int link_cmp(const void *a, const void *b)
{
  const struct link_seen *x = a, *y = b;
  if (x->dev != y->dev)
    return x->dev < y->dev ? -1 : 1;
  return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static void link_free(void *p)
{
  struct link_seen *l = p;
  free(l->path);
  free(l);
}

static int copy_xattrs(int sfd, int dfd, const char *what, struct vzt_error **err)
{
  char names[65536];
  ssize_t n = flistxattr(sfd, names, sizeof(names));
  if (n < 0)
    return errno == ENOTSUP ? 0 : vzt_fail_errno(err, errno, "cannot list the xattrs of %s", what);
  for (char *p = names; p < names + n; p += strlen(p) + 1) {
    char value[65536];
    ssize_t vl = fgetxattr(sfd, p, value, sizeof(value));
    if (vl < 0 || fsetxattr(dfd, p, value, (size_t) vl, 0) < 0)
      return vzt_fail_errno(err, errno, "cannot copy the xattr %s of %s", p, what);
  }
  return 0;
}

static int copy_meta(int fd, const struct stat *st, const char *what, struct vzt_error **err)
{
  /* Owner first: chown clears set-id bits that fchmod then restores. */
  if (fchown(fd, st->st_uid, st->st_gid) < 0 || fchmod(fd, st->st_mode & 07777) < 0)
    return vzt_fail_errno(err, errno, "cannot set the owner and mode of %s", what);
  struct timespec ts[2] = {st->st_atim, st->st_mtim};
  if (futimens(fd, ts) < 0)
    return vzt_fail_errno(err, errno, "cannot set the times of %s", what);
  return 0;
}

static int copy_tree(struct copy_ctx *c, int sdir, int ddir, struct vzt_error **err);

static int copy_entry(struct copy_ctx *c, int sdir, int ddir, const char *name, struct vzt_error **err)
{
  struct stat st;
  const char *what = c->path;
  if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return vzt_fail_errno(err, errno, "cannot stat %s", what);
  if (S_ISDIR(st.st_mode)) {
    if (mkdirat(ddir, name, 0700) < 0)
      return vzt_fail_errno(err, errno, "cannot create %s", what);
    _cleanup_close_ int s = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int d = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (s < 0 || d < 0)
      return vzt_fail_errno(err, errno, "cannot open %s", what);
    if (copy_tree(c, s, d, err) < 0)
      return -1;
    if (copy_xattrs(s, d, what, err) < 0)
      return -1;
    return copy_meta(d, &st, what, err);
  }
  if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
    struct link_seen key = {st.st_dev, st.st_ino, NULL};
    struct link_seen **found = tfind(&key, &c->links, link_cmp);
    if (found) {
      if (linkat(c->dst_top, (*found)->path, ddir, name, 0) < 0)
        return vzt_fail_errno(err, errno, "cannot link %s", what);
      return 0;
    }
    struct link_seen *l = vzt_malloc(sizeof(*l));
    *l = (struct link_seen){st.st_dev, st.st_ino, vzt_strdup(what + 1)}; /* without the leading "/" */
    if (!tsearch(l, &c->links, link_cmp))
      vzt_out_of_memory();
  }
  if (S_ISREG(st.st_mode)) {
    _cleanup_close_ int s = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (s < 0)
      return vzt_fail_errno(err, errno, "cannot open %s", what);
    _cleanup_close_ int d = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (d < 0)
      return vzt_fail_errno(err, errno, "cannot create %s", what);
    if (st.st_size > 0 && ioctl(d, FICLONE, s) < 0)
      return vzt_fail_errno(err, errno, "cannot reflink %s", what);
    if (copy_xattrs(s, d, what, err) < 0)
      return -1;
    return copy_meta(d, &st, what, err);
  }
  if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    ssize_t n = readlinkat(sdir, name, target, sizeof(target) - 1);
    if (n < 0)
      return vzt_fail_errno(err, errno, "cannot read the link %s", what);
    target[n] = '\0';
    struct timespec ts[2] = {st.st_atim, st.st_mtim};
    if (symlinkat(target, ddir, name) < 0 || fchownat(ddir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
        utimensat(ddir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
      return vzt_fail_errno(err, errno, "cannot create the link %s", what);
    return 0;
  }
  /* Devices, fifos, sockets. A cached tree unpacked by an older vztmpl may
   * hold any device: the same rule as extraction's. */
  if ((S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) &&
      !device_allowed(what, S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev))) {
    vzt_warn("skipped the device %s (%u:%u) of the unpacked template: deploy creates only null, zero, "
             "full, random, urandom and tty",
             what, major(st.st_rdev), minor(st.st_rdev));
    return 0;
  }
  struct timespec ts[2] = {st.st_atim, st.st_mtim};
  if (mknodat(ddir, name, st.st_mode & ~07777, st.st_rdev) < 0 ||
      fchownat(ddir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
      fchmodat(ddir, name, st.st_mode & 07777, 0) < 0 || utimensat(ddir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
    return vzt_fail_errno(err, errno, "cannot create the node %s", what);
  return 0;
}

static int copy_tree(struct copy_ctx *c, int sdir, int ddir, struct vzt_error **err)
{
  int dup_fd = dup(sdir);
  if (dup_fd < 0)
    return vzt_fail_errno(err, errno, "cannot read %s", c->path);
  _cleanup_closedir_ DIR *d = fdopendir(dup_fd);
  if (!d) {
    close(dup_fd);
    return vzt_fail_errno(err, errno, "cannot read %s", c->path);
  }
  size_t len = strlen(c->path);
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    if (len + 1 + strlen(de->d_name) >= sizeof(c->path))
      return vzt_fail(err, "path too long under %s", c->path);
    snprintf(c->path + len, sizeof(c->path) - len, "/%s", de->d_name);
    int r = copy_entry(c, sdir, ddir, de->d_name, err);
    c->path[len] = '\0';
    if (r < 0)
      return -1;
  }
  return 0;
}

static int reflink_copy(const char *src, int d, const char *dst, struct vzt_error **err)
{
  _cleanup_close_ int s = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s < 0)
    return vzt_fail_errno(err, errno, "cannot open %s", src);
  struct copy_ctx c = {.links = NULL, .dst_top = d};
  int ret = copy_tree(&c, s, d, err);
  struct stat st;
  if (ret == 0 && fstat(s, &st) == 0)
    ret = copy_meta(d, &st, dst, err);
  tdestroy(c.links, link_free);
  return ret < 0 ? vzt_error_prefix(err, "copying %s to %s", src, dst) : 0;
}

/* --- overlay --- */

/* ROOT.upper or ROOT.work beside the root: made, or empty, never a link. */
static int side_dir(const struct deploy_root *R, const char *suffix, char **path, int *fd, bool *made,
                    struct vzt_error **err)
{
  _cleanup_free_ char *name = vzt_strdupf("%s.%s", R->base, suffix);
  *path = vzt_strdupf("%s.%s", R->path, suffix);
  *made = mkdirat(R->parent, name, 0755) == 0;
  if (!*made && errno != EEXIST)
    return vzt_fail_errno(err, errno, "cannot create %s", *path);
  *fd = open_root_fd(R->parent, name);
  if (*fd < 0)
    return vzt_refuse(err, "%s is a symbolic link or not a directory: deploy neither follows nor replaces one",
                      *path);
  struct deploy_root side = {.path = *path, .fd = *fd};
  return root_is_empty(&side, err);
}

/* Mounted on the root's descriptor. The upper and work directories go by
 * their path from the parent's real one (overlayfs shows its options in
 * /proc/mounts, where /proc/self/fd/N would mean nothing): they were just
 * made or checked there, beside the root, below a directory that keeps
 * other users out. */
static int overlay_mount(const char *lower, const struct deploy_root *R, struct vzt_deploy_result *r,
                         struct vzt_error **err)
{
  _cleanup_close_ int ufd = -1, wfd = -1;
  bool umade = false, wmade = false;
  int ret = -1;
  char at[64], parent[PATH_MAX];
  snprintf(at, sizeof(at), "/proc/self/fd/%d", R->parent);
  ssize_t n = readlink(at, parent, sizeof(parent) - 1);
  if (n < 0)
    return vzt_fail_errno(err, errno, "cannot find the directory holding %s", R->path);
  parent[n] = '\0';
  _cleanup_free_ char *upper = vzt_strdupf("%s/%s.upper", strcmp(parent, "/") ? parent : "", R->base);
  _cleanup_free_ char *work = vzt_strdupf("%s/%s.work", strcmp(parent, "/") ? parent : "", R->base);
  const char *dirs[] = {lower, upper, work};
  for (size_t i = 0; i < VZT_ARRAY_SIZE(dirs); i++)
    if (strpbrk(dirs[i], ",:\\"))
      return vzt_fail(err, "%s: overlayfs options cannot carry a path with ',', ':' or '\\'", dirs[i]);
  if (side_dir(R, "upper", &r->upper, &ufd, &umade, err) == 0 && side_dir(R, "work", &r->work, &wfd, &wmade, err) == 0) {
    /* The overlay's top directory is the upper's: it takes the lower's owner
     * and mode, or a shifted root would look owned by the host's root. */
    struct stat st;
    if (stat(lower, &st) < 0 || fchown(ufd, st.st_uid, st.st_gid) < 0 || fchmod(ufd, st.st_mode & 07777) < 0) {
      vzt_fail_errno(err, errno, "cannot give %s the owner and mode of %s", r->upper, lower);
    } else {
      _cleanup_free_ char *opts = vzt_strdupf("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
      _cleanup_free_ char *target = vzt_strdupf("/proc/self/fd/%d", R->fd);
      if (mount("overlay", target, "overlay", MS_NODEV, opts) == 0)
        return 0;
      vzt_fail_errno(err, errno,
                     "cannot mount overlayfs on %s (is the overlay module loaded? see vztmpl "
                     "check-kernel; --mode extract works everywhere)",
                     R->path);
    }
  }
  _cleanup_free_ char *un = vzt_strdupf("%s.upper", R->base), *wn = vzt_strdupf("%s.work", R->base);
  if (umade)
    unlinkat(R->parent, un, AT_REMOVEDIR);
  if (wmade)
    unlinkat(R->parent, wn, AT_REMOVEDIR);
  return ret;
}

/* --- the whole --- */

int vzt_deploy(struct vzt_cache *cache, const struct vzt_deploy_opts *o, struct vzt_deploy_result *r,
               struct vzt_error **err)
{
  memset(r, 0, sizeof(*r));
  double t0 = vzt_now();
  struct vzt_manifest m;
  if (vzt_manifest_load(o->manifest, &m, err) < 0)
    return vzt_error_prefix(err, "no template %s", o->manifest);
  int ret = -1;
  _cleanup_free_ char *mdir = vzt_strdup(o->manifest);
  char *slash = strrchr(mdir, '/');
  if (slash)
    slash[1] = '\0';
  else
    mdir[0] = '\0';
  _cleanup_free_ char *archive = NULL;
  _cleanup_close_ int fd = -1;
  _cleanup_free_ char *cached = NULL;
  struct deploy_root R = {.path = o->root, .parent = -1, .fd = -1};
  char sha[VZT_DIGEST_HEX_MAX];

  r->name = vzt_strdup(m.name ? m.name : "?");
  if (!m.archive_file || !m.archive_sha256 || strchr(m.archive_file, '/')) {
    vzt_refuse(err, "%s names no archive and SHA-256: nothing to verify, refusing to deploy", o->manifest);
    goto out;
  }
  archive = vzt_strdupf("%s%s", mdir, m.archive_file);
  fd = open(archive, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    vzt_fail_errno(err, errno, "cannot open the template archive %s", archive);
    goto out;
  }

  /* The overlay and reflink trees are named by the verified hash: a cached
   * one was made from an archive that matched; no second hashing. */
  if (o->mode != VZT_DEPLOY_EXTRACT) {
    _cleanup_free_ char *rel = o->uid_shift ? vzt_strdupf("unpacked/%s+uid%u", m.archive_sha256, o->uid_shift)
                                            : vzt_strdupf("unpacked/%s", m.archive_sha256);
    cached = vzt_cache_path(cache, rel);
  }
  struct stat st;
  if (!cached || lstat(cached, &st) < 0) {
    uint64_t size = 0;
    if (vzt_digest_fd(fd, VZT_DIGEST_SHA256, sha, &size, err) < 0)
      goto out;
    if (strcmp(sha, m.archive_sha256) || (m.archive_size && size != m.archive_size)) {
      vzt_refuse(err,
                 "%s: SHA-256 %s (%llu bytes), but its manifest %s says %s (%llu bytes): the archive "
                 "changed since it was built; rebuild or download it again",
                 archive, sha, (unsigned long long) size, o->manifest, m.archive_sha256,
                 (unsigned long long) m.archive_size);
      goto out;
    }
  }

  if (open_root(o->root, &R, err) < 0)
    goto out;

  switch (o->mode) {
  case VZT_DEPLOY_EXTRACT:
    if (extract_into(R.fd, fd, archive, &m, o->uid_shift, err) < 0)
      goto out;
    break;
  case VZT_DEPLOY_REFLINK: {
    _cleanup_free_ char *tmpdir = vzt_cache_path(cache, "tmp");
    if (reflink_probe(tmpdir, R.fd, o->root, err) < 0)
      goto out;
    if (ensure_unpacked(cache, &m, fd, archive, o->uid_shift, &r->lower, &r->unpacked_now, err) < 0)
      goto out;
    if (reflink_copy(r->lower, R.fd, o->root, err) < 0)
      goto out;
    break;
  }
  case VZT_DEPLOY_OVERLAY:
    if (ensure_unpacked(cache, &m, fd, archive, o->uid_shift, &r->lower, &r->unpacked_now, err) < 0)
      goto out;
    if (finish_top(R.fd, R.path, o->uid_shift, err) < 0 || overlay_mount(r->lower, &R, r, err) < 0)
      goto out;
    break;
  }
  if (o->mode != VZT_DEPLOY_OVERLAY && finish_top(R.fd, R.path, o->uid_shift, err) < 0)
    goto out;
  ret = 0;

out:
  if (ret < 0 && R.fd >= 0)
    reset_root(&R);
  deploy_root_close(&R);
  r->seconds = vzt_now() - t0;
  vzt_manifest_clear(&m);
  return ret;
}

int vzt_deploy_extract(struct vzt_cache *cache, const char *manifest, const char *root,
                       struct vzt_error **err)
{
  struct vzt_deploy_opts o = {.manifest = manifest, .root = root, .mode = VZT_DEPLOY_EXTRACT};
  struct vzt_deploy_result r;
  int ret = vzt_deploy(cache, &o, &r, err);
  vzt_deploy_result_clear(&r);
  return ret;
}
