/* Deploy: template archive -> container root (extract, reflink or overlay). */
#include "config.h"
#include "tmpl/deploy.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "kernel-support/confine.h"
#include "lib/cleanup.h"
#include "tmpl/archive-io.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/locale.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "tmpl/manifest.h"

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

struct extract_job {
  int fd; /* the verified archive, opened before the worker forks */
  const char *what;
  uint32_t uid_shift;
};

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
  struct archive *out = archive_write_disk_new();
  /* Numeric owners (no name lookups: the host's passwd says nothing about
   * the template's), no "..", no absolute paths; no SECURE_SYMLINKS, which
   * would replace merged-/usr's /bin -> usr/bin with a directory: the chroot
   * confines symlinks instead. */
  archive_write_disk_set_options(out, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                                          ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL |
                                          ARCHIVE_EXTRACT_FFLAGS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                          ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
  struct archive_entry *e;
  int r, ret = 0;
  while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
    const char *path = archive_entry_pathname(e);
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
  if (!ret && r != ARCHIVE_EOF)
    ret = vzt_refuse(err, "%s: corrupt archive: %s", j->what, archive_error_string(in));
  /* close applies deferred directory modes and times: its failure is a failure. */
  if (archive_write_close(out) != ARCHIVE_OK && !ret)
    ret = vzt_fail(err, "%s: %s", j->what, archive_error_string(out));
  archive_write_free(out);
  archive_read_free(in);
  return ret;
}

static int extract_into(const char *root, int fd, const char *what, uint32_t shift, struct vzt_error **err)
{
  if (lseek(fd, 0, SEEK_SET) < 0)
    return vzt_fail_errno(err, errno, "cannot rewind %s", what);
  struct extract_job j = {fd, what, shift};
  /* Made here, not in the worker: after its chroot the locale would be
   * looked up in the template. */
  VZT_UTF8_SCOPE(utf8);
  return vzt_confine_run(root, extract_confined, &j, err);
}

/* --- the root --- */

/* ROOT: created where missing, refused when it holds anything. Sets *created. */
static int prepare_root(const char *root, bool *created, struct vzt_error **err)
{
  *created = false;
  _cleanup_closedir_ DIR *d = opendir(root);
  if (!d) {
    if (errno != ENOENT)
      return vzt_fail_errno(err, errno, "cannot open the root %s", root);
    if (vzt_mkdir_p(root, 0755, err) < 0)
      return -1;
    *created = true;
    return 0;
  }
  struct dirent *de;
  while ((de = readdir(d)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
      return vzt_fail(err,
                      "the root %s is not empty (it holds \"%s\"): deploy writes only into a new or "
                      "empty directory; remove its contents or choose another",
                      root, de->d_name);
  return 0;
}

/* Undoes a failed deploy: the root back to missing or empty. */
static void reset_root(const char *root, bool created)
{
  struct vzt_error *e = NULL;
  if (vzt_rm_rf(root, &e) < 0)
    vzt_error_free(&e);
  else if (!created)
    mkdir(root, 0755);
}

/* --- the cached unpacked tree (reflink and overlay) --- */

/* cache/unpacked/<archive sha256>[+uid<shift>]: extracted once from the
 * verified archive into tmp/ and renamed, so it is whole or absent. */
static int ensure_unpacked(struct vzt_cache *cache, const char *sha256, int fd, const char *what,
                           uint32_t shift, char **path, bool *made, struct vzt_error **err)
{
  *made = false;
  _cleanup_free_ char *rel = shift ? vzt_strdupf("unpacked/%s+uid%u", sha256, shift)
                                   : vzt_strdupf("unpacked/%s", sha256);
  _cleanup_free_ char *final = vzt_cache_path(cache, rel);
  struct stat st;
  if (lstat(final, &st) == 0 && S_ISDIR(st.st_mode)) {
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
  if (mkdir(troot, 0755) < 0)
    vzt_fail_errno(err, errno, "cannot create %s", troot);
  else if (extract_into(troot, fd, what, shift, err) == 0) {
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
static int reflink_probe(const char *src_dir, const char *dst_dir, struct vzt_error **err)
{
  _cleanup_free_ char *sp = vzt_strdupf("%s/.vztmpl-reflink.%d", src_dir, (int) getpid());
  _cleanup_free_ char *dp = vzt_strdupf("%s/.vztmpl-reflink.%d", dst_dir, (int) getpid());
  _cleanup_close_ int s = open(sp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (s < 0)
    return vzt_fail_errno(err, errno, "cannot create %s", sp);
  unlink(sp);
  _cleanup_close_ int d = open(dp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (d < 0)
    return vzt_fail_errno(err, errno, "cannot create %s", dp);
  unlink(dp);
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
    struct link_seen *l = malloc(sizeof(*l));
    if (!l)
      abort();
    *l = (struct link_seen){st.st_dev, st.st_ino, vzt_strdup(what + 1)}; /* without the leading "/" */
    if (!tsearch(l, &c->links, link_cmp))
      abort();
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
  /* Devices, fifos, sockets. */
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

static int reflink_copy(const char *src, const char *dst, struct vzt_error **err)
{
  _cleanup_close_ int s = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  _cleanup_close_ int d = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s < 0 || d < 0)
    return vzt_fail_errno(err, errno, "cannot open %s", s < 0 ? src : dst);
  struct copy_ctx c = {.links = NULL, .dst_top = d};
  int ret = copy_tree(&c, s, d, err);
  struct stat st;
  if (ret == 0 && fstat(s, &st) == 0)
    ret = copy_meta(d, &st, dst, err);
  tdestroy(c.links, link_free);
  return ret < 0 ? vzt_error_prefix(err, "copying %s to %s", src, dst) : 0;
}

/* --- overlay --- */

static int overlay_mount(const char *lower, const char *root, struct vzt_deploy_result *r,
                         struct vzt_error **err)
{
  r->upper = vzt_strdupf("%s.upper", root);
  r->work = vzt_strdupf("%s.work", root);
  const char *dirs[] = {lower, r->upper, r->work, root};
  for (size_t i = 0; i < VZT_ARRAY_SIZE(dirs); i++)
    if (strpbrk(dirs[i], ",:\\"))
      return vzt_fail(err, "%s: overlayfs options cannot carry a path with ',', ':' or '\\'", dirs[i]);
  bool created;
  if (prepare_root(r->upper, &created, err) < 0 || prepare_root(r->work, &created, err) < 0)
    return -1;
  /* The overlay's top directory is the upper's: it takes the lower's owner
   * and mode, or a shifted root would look owned by the host's root. */
  struct stat st;
  if (stat(lower, &st) < 0 || chown(r->upper, st.st_uid, st.st_gid) < 0 ||
      chmod(r->upper, st.st_mode & 07777) < 0)
    return vzt_fail_errno(err, errno, "cannot give %s the owner and mode of %s", r->upper, lower);
  _cleanup_free_ char *opts = vzt_strdupf("lowerdir=%s,upperdir=%s,workdir=%s", lower, r->upper, r->work);
  if (mount("overlay", root, "overlay", MS_NODEV, opts) < 0) {
    int e = errno;
    rmdir(r->upper);
    rmdir(r->work);
    return vzt_fail_errno(err, e,
                          "cannot mount overlayfs on %s (is the overlay module loaded? see vztmpl "
                          "check-kernel; --mode extract works everywhere)",
                          root);
  }
  return 0;
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
  _cleanup_free_ char *cached = NULL, *root_abs = NULL;
  bool created = false, prepared = false;
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

  if (prepare_root(o->root, &created, err) < 0)
    goto out;
  prepared = true;
  root_abs = realpath(o->root, NULL);
  if (!root_abs) {
    vzt_fail_errno(err, errno, "cannot resolve %s", o->root);
    goto out;
  }
  if (!strcmp(root_abs, "/")) {
    vzt_fail(err, "refusing to deploy onto /");
    goto out;
  }

  switch (o->mode) {
  case VZT_DEPLOY_EXTRACT:
    if (extract_into(root_abs, fd, archive, o->uid_shift, err) < 0)
      goto out;
    break;
  case VZT_DEPLOY_REFLINK: {
    _cleanup_free_ char *tmpdir = vzt_cache_path(cache, "tmp");
    if (reflink_probe(tmpdir, root_abs, err) < 0)
      goto out;
    if (ensure_unpacked(cache, m.archive_sha256, fd, archive, o->uid_shift, &r->lower, &r->unpacked_now, err) < 0)
      goto out;
    if (reflink_copy(r->lower, root_abs, err) < 0)
      goto out;
    break;
  }
  case VZT_DEPLOY_OVERLAY:
    if (ensure_unpacked(cache, m.archive_sha256, fd, archive, o->uid_shift, &r->lower, &r->unpacked_now, err) < 0)
      goto out;
    if (overlay_mount(r->lower, root_abs, r, err) < 0)
      goto out;
    break;
  }
  ret = 0;

out:
  if (ret < 0 && prepared)
    reset_root(o->root, created);
  r->seconds = vzt_now() - t0;
  vzt_manifest_clear(&m);
  return ret;
}
