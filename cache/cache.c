/* The on-disk cache: layout, the cache lock, content-addressed blobs and work directories. */
#include "config.h"
#include "cache/cache.h"
#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct vzt_cache {
  char *dir; /* absolute */
  int dirfd;
  int lockfd; /* -1 until vzt_cache_lock */
};

static const char *const layout[] = {"blobs/sha256", "solv", "templates", "tmp"};

#define SHA256_HEX 64

/* A blob name comes from repository metadata: only 64 hex digits may become a path. */
static bool sha256_normalize(const char *in, char out[SHA256_HEX + 1])
{
  if (!in || strlen(in) != SHA256_HEX)
    return false;
  for (size_t i = 0; i < SHA256_HEX; i++) {
    if (!isxdigit((unsigned char) in[i]))
      return false;
    out[i] = (char) tolower((unsigned char) in[i]);
  }
  out[SHA256_HEX] = 0;
  return true;
}

static char *blob_relpath(const char *hex) { return vzt_strdupf("blobs/sha256/%.2s/%s", hex, hex); }

int vzt_cache_open(const char *dir, struct vzt_cache **out, struct vzt_error **err)
{
  *out = NULL;
  if (!dir || !*dir)
    return vzt_usage_error(err, "no cache directory given");
  if (vzt_mkdir_p(dir, 0755, err) < 0)
    return vzt_error_prefix(err, "cache");
  _cleanup_free_ char *abs = realpath(dir, NULL);
  if (!abs)
    return vzt_fail_errno(err, errno, "cache directory %s", dir);
  _cleanup_close_ int dfd = open(abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return vzt_fail_errno(err, errno, "cannot open cache directory %s", abs);
  for (size_t i = 0; i < VZT_ARRAY_SIZE(layout); i++)
    if (vzt_mkdirat_p(dfd, layout[i], 0755, err) < 0)
      return vzt_error_prefix(err, "cache %s", abs);

  struct vzt_cache *c = vzt_calloc(1, sizeof(*c));
  c->dir = steal_pointer(&abs);
  c->dirfd = steal_fd(&dfd);
  c->lockfd = -1;
  *out = c;
  return 0;
}

void vzt_cache_close(struct vzt_cache *c)
{
  if (!c)
    return;
  if (c->lockfd >= 0)
    close(c->lockfd); /* releases the flock */
  if (c->dirfd >= 0)
    close(c->dirfd);
  free(c->dir);
  free(c);
}

const char *vzt_cache_dir(const struct vzt_cache *c) { return c->dir; }
int vzt_cache_dirfd(const struct vzt_cache *c) { return c->dirfd; }

char *vzt_cache_default_dir(void)
{
  if (geteuid() == 0)
    return vzt_strdup("/var/cache/vztmpl");
  /* The XDG spec says to ignore a relative XDG_CACHE_HOME. */
  const char *xdg = getenv("XDG_CACHE_HOME");
  if (xdg && xdg[0] == '/')
    return vzt_path_join(xdg, "vztmpl");
  const char *home = getenv("HOME");
  if (!home || home[0] != '/') {
    struct passwd *pw = getpwuid(getuid());
    home = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
  }
  return home ? vzt_path_join(home, ".cache/vztmpl") : NULL;
}

int vzt_cache_lock(struct vzt_cache *c, bool exclusive, struct vzt_error **err)
{
  if (c->lockfd < 0) {
    c->lockfd = openat(c->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    /* flock works on a read-only descriptor: a cache we may only read can still be shared. */
    if (c->lockfd < 0 && (errno == EACCES || errno == EROFS))
      c->lockfd = openat(c->dirfd, "lock", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (c->lockfd < 0)
      return vzt_fail_errno(err, errno, "cannot open %s/lock", c->dir);
  }
  int op = exclusive ? LOCK_EX : LOCK_SH;
  if (flock(c->lockfd, op | LOCK_NB) == 0)
    return 0;
  if (errno != EWOULDBLOCK)
    return vzt_fail_errno(err, errno, "cannot lock %s/lock", c->dir);
  vzt_info("waiting for %s lock on the cache %s (another vztmpl is using it)",
           exclusive ? "an exclusive" : "a shared", c->dir);
  while (flock(c->lockfd, op) < 0)
    if (errno != EINTR)
      return vzt_fail_errno(err, errno, "cannot lock %s/lock", c->dir);
  return 0;
}

char *vzt_cache_blob_path(const struct vzt_cache *c, const char *sha256)
{
  char hex[SHA256_HEX + 1];
  if (!sha256_normalize(sha256, hex))
    return NULL;
  _cleanup_free_ char *rel = blob_relpath(hex);
  return vzt_path_join(c->dir, rel);
}

static void blob_drop(const struct vzt_cache *c, const char *rel, const char *why)
{
  vzt_warn("cache: %s/%s %s; removed it", c->dir, rel, why);
  if (unlinkat(c->dirfd, rel, 0) < 0 && errno != ENOENT)
    vzt_warn("cannot remove %s/%s: %s", c->dir, rel, strerror(errno));
}

bool vzt_cache_blob_valid(const struct vzt_cache *c, const char *sha256, uint64_t size)
{
  char hex[SHA256_HEX + 1];
  if (!sha256_normalize(sha256, hex))
    return false;
  _cleanup_free_ char *rel = blob_relpath(hex);
  _cleanup_close_ int fd = openat(c->dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ELOOP)
      blob_drop(c, rel, "is a symbolic link");
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) < 0)
    return false;
  if (!S_ISREG(st.st_mode)) {
    if (!S_ISDIR(st.st_mode))
      blob_drop(c, rel, "is not a regular file");
    return false;
  }
  /* A wrong size needs no hashing to be found out. */
  if (size && (uint64_t) st.st_size != size) {
    blob_drop(c, rel, "has the wrong size");
    return false;
  }
  char got[VZT_DIGEST_HEX_MAX];
  _cleanup_error_ struct vzt_error *e = NULL;
  if (vzt_digest_fd(fd, VZT_DIGEST_SHA256, got, NULL, &e) < 0) {
    vzt_warn("cache: cannot read %s/%s: %s", c->dir, rel, e->msg);
    return false;
  }
  if (strcmp(got, hex) != 0) {
    blob_drop(c, rel, "does not match its sha256 (corrupted)");
    return false;
  }
  return true;
}

int vzt_cache_blob_commit(const struct vzt_cache *c, const char *src_path, const char *sha256,
                          struct vzt_error **err)
{
  char hex[SHA256_HEX + 1];
  if (!sha256_normalize(sha256, hex))
    return vzt_fail(err, "cannot store %s in the cache: \"%s\" is not a sha256", src_path,
                    sha256 ? sha256 : "(null)");
  _cleanup_free_ char *fanout = vzt_strdupf("blobs/sha256/%.2s", hex);
  if (vzt_mkdirat_p(c->dirfd, fanout, 0755, err) < 0)
    return vzt_error_prefix(err, "cache %s", c->dir);
  _cleanup_free_ char *rel = blob_relpath(hex);
  /* Readable like the directories around it (mkstemp makes 0600 files). */
  if (chmod(src_path, 0644) < 0)
    return vzt_fail_errno(err, errno, "cannot store %s in the cache", src_path);
  /* rename is atomic: the blob appears whole under its name or not at all. */
  if (renameat(AT_FDCWD, src_path, c->dirfd, rel) < 0) {
    if (errno == EXDEV)
      return vzt_fail(err, "cannot store %s in the cache: not on the cache's file system (%s)",
                      src_path, c->dir);
    return vzt_fail_errno(err, errno, "cannot move %s to %s/%s", src_path, c->dir, rel);
  }
  return 0;
}

int vzt_cache_mkdtemp(const struct vzt_cache *c, const char *prefix, char **path, struct vzt_error **err)
{
  *path = NULL;
  if (!prefix || !*prefix || strchr(prefix, '/'))
    return vzt_fail(err, "invalid work directory prefix \"%s\"", prefix ? prefix : "");
  /* The pid in the name lets vzt_cache_clean_stale tell leftovers from live work. */
  _cleanup_free_ char *p = vzt_strdupf("%s/tmp/%s.%d.XXXXXX", c->dir, prefix, (int) getpid());
  if (!mkdtemp(p))
    return vzt_fail_errno(err, errno, "cannot create a work directory in %s/tmp", c->dir);
  *path = steal_pointer(&p);
  return 0;
}

char *vzt_cache_path(const struct vzt_cache *c, const char *relative)
{
  return vzt_path_join(c->dir, relative);
}

/* The pid in "<prefix>.<pid>.XXXXXX", or 0 when the name has another shape. */
static pid_t name_pid(const char *name)
{
  const char *last = strrchr(name, '.');
  if (!last || last == name || strlen(last + 1) != 6)
    return 0;
  const char *p = last;
  while (p > name && p[-1] != '.')
    p--;
  if (p == name || p == last)
    return 0; /* no prefix, or an empty pid */
  long pid = 0;
  for (const char *q = p; q < last; q++) {
    if (!isdigit((unsigned char) *q) || pid > INT_MAX / 10)
      return 0;
    pid = pid * 10 + (*q - '0');
  }
  return pid > 0 ? (pid_t) pid : 0;
}

static bool pid_alive(pid_t pid)
{
  return pid == getpid() || kill(pid, 0) == 0 || errno == EPERM;
}

int vzt_cache_templates_open(const struct vzt_cache *c, char **path, int *fd, struct vzt_error **err)
{
  char *dir = vzt_cache_path(c, "templates");
  if (vzt_mkdir_p(dir, 0755, err) < 0) {
    free(dir);
    return -1;
  }
  *fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*fd < 0) {
    int e = errno;
    vzt_fail_errno(err, e, "cannot open %s", dir);
    free(dir);
    return -1;
  }
  *path = dir;
  return 0;
}

char *vzt_cache_sums_name(const char *template_name, bool signature)
{
  return vzt_strdupf("%s.SHA256SUMS%s", template_name, signature ? ".gpg" : "");
}

bool vzt_cache_is_manifest(const char *file_name)
{
  return file_name[0] != '.' && vzt_endswith(file_name, ".json") &&
         !vzt_endswith(file_name, ".spdx.json");
}

void vzt_cache_clean_stale(const struct vzt_cache *c)
{
  _cleanup_closedir_ DIR *d = vzt_opendirat(c->dirfd, "tmp");
  if (!d)
    return;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.')
      continue;
    pid_t pid = name_pid(de->d_name);
    if (!pid || pid_alive(pid))
      continue;
    _cleanup_error_ struct vzt_error *e = NULL;
    if (vzt_rm_rf_at(dirfd(d), de->d_name, &e) < 0)
      vzt_warn("cache: cannot remove stale %s/tmp/%s: %s", c->dir, de->d_name, e->msg);
    else
      vzt_debug("cache: removed stale %s/tmp/%s (pid %d is gone)", c->dir, de->d_name, (int) pid);
  }
}
