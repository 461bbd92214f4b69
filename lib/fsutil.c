/* File-system helpers: directories, whole-file reads, atomic writes, removal. */
#include "config.h"
#include "fsutil.h"
#include "cleanup.h"
#include "strutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int vzt_mkdirat_p(int dirfd, const char *path, mode_t mode, struct vzt_error **err)
{
  _cleanup_free_ char *p = vzt_strdup(path);
  for (char *s = p + 1; ; s++) {
    if (*s == '/' || *s == 0) {
      char c = *s;
      *s = 0;
      if (mkdirat(dirfd, p, mode) < 0 && errno != EEXIST)
        return vzt_fail_errno(err, errno, "cannot create directory %s", p);
      if (!c)
        break;
      *s = c;
    }
  }
  return 0;
}

int vzt_mkdir_p(const char *path, mode_t mode, struct vzt_error **err)
{
  return vzt_mkdirat_p(AT_FDCWD, path, mode, err);
}

int vzt_read_fileat(int dirfd, const char *path, char **data, size_t *len, struct vzt_error **err)
{
  _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return vzt_fail_errno(err, errno, "cannot open %s", path);
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap + 1);
  if (!buf)
    abort();
  for (;;) {
    if (n == cap && !(buf = realloc(buf, (cap *= 2) + 1)))
      abort();
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      free(buf);
      return vzt_fail_errno(err, errno, "cannot read %s", path);
    }
    if (r == 0)
      break;
    n += r;
  }
  buf[n] = 0; /* callers parsing text may rely on the terminator */
  *data = buf;
  if (len)
    *len = n;
  return 0;
}

int vzt_read_file(const char *path, char **data, size_t *len, struct vzt_error **err)
{
  return vzt_read_fileat(AT_FDCWD, path, data, len, err);
}

int vzt_write_all(int fd, const void *data, size_t len)
{
  const char *p = data;
  while (len) {
    ssize_t w = write(fd, p, len);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += w;
    len -= w;
  }
  return 0;
}

int vzt_write_file_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                          struct vzt_error **err)
{
  _cleanup_free_ char *tmp = vzt_strdupf("%s.tmp.%d", name, (int) getpid());
  _cleanup_close_ int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return vzt_fail_errno(err, errno, "cannot create %s", tmp);
  if (vzt_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
    int e = errno;
    unlinkat(dirfd, tmp, 0);
    return vzt_fail_errno(err, e, "cannot write %s", name);
  }
  if (renameat(dirfd, tmp, dirfd, name) < 0) {
    int e = errno;
    unlinkat(dirfd, tmp, 0);
    return vzt_fail_errno(err, e, "cannot rename %s into place", name);
  }
  return 0;
}

static int rm_children(int fd, dev_t dev, struct vzt_error **err)
{
  DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return vzt_fail_errno(err, errno, "cannot list directory");
  }
  int ret = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
      continue;
    struct stat st;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
      continue;
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != dev) {
        ret = vzt_fail(err, "refusing to remove %s: a file system is mounted there", de->d_name);
        break;
      }
      int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0 || rm_children(sub, dev, err) < 0) {
        ret = sub < 0 ? vzt_fail_errno(err, errno, "cannot open %s", de->d_name) : -1;
        break;
      }
      if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0) {
        ret = vzt_fail_errno(err, errno, "cannot remove %s", de->d_name);
        break;
      }
    } else if (unlinkat(dirfd(d), de->d_name, 0) < 0) {
      ret = vzt_fail_errno(err, errno, "cannot remove %s", de->d_name);
      break;
    }
  }
  closedir(d);
  return ret;
}

int vzt_rm_rf_at(int dirfd, const char *name, struct vzt_error **err)
{
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : vzt_fail_errno(err, errno, "cannot stat %s", name);
  if (!S_ISDIR(st.st_mode))
    return unlinkat(dirfd, name, 0) < 0 ? vzt_fail_errno(err, errno, "cannot remove %s", name) : 0;
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return vzt_fail_errno(err, errno, "cannot open %s", name);
  if (rm_children(fd, st.st_dev, err) < 0)
    return vzt_error_prefix(err, "removing %s", name);
  if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
    return vzt_fail_errno(err, errno, "cannot remove %s", name);
  return 0;
}

int vzt_rm_rf(const char *path, struct vzt_error **err) { return vzt_rm_rf_at(AT_FDCWD, path, err); }
