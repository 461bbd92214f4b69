/* File-system helpers: directories, whole-file reads, atomic writes, removal. */
#include "config.h"
#include "fsutil.h"
#include "atomic-file.h"
#include "cleanup.h"
#include "strutil.h"
#include "lib/alloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
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

int vzt_mkdirat_p_nofollow(int dirfd, const char *path, mode_t mode, struct vzt_error **err)
{
  _cleanup_free_ char *copy = vzt_strdup(path);
  _cleanup_close_ int cur = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  if (cur < 0)
    return vzt_fail_errno(err, errno, "cannot create directory %s", path);
  for (char *save = NULL, *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
    if (mkdirat(cur, c, mode) < 0 && errno != EEXIST)
      return vzt_fail_errno(err, errno, "cannot create directory %s", path);
    int next = openat(cur, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && (errno == ELOOP || errno == ENOTDIR))
      return vzt_refuse(err, "cannot create directory %s: %s is a symbolic link or not a directory "
                             "(refusing to follow it)", path, c);
    if (next < 0)
      return vzt_fail_errno(err, errno, "cannot create directory %s", path);
    close(cur);
    cur = next;
  }
  return 0;
}

int vzt_mkdir_p(const char *path, mode_t mode, struct vzt_error **err)
{
  return vzt_mkdirat_p(AT_FDCWD, path, mode, err);
}

int vzt_read_fileat_max(int dirfd, const char *path, size_t max, char **data, size_t *len,
                        struct vzt_error **err)
{
  /* O_NONBLOCK: opening a FIFO nobody writes to must not hang before the check. */
  _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return vzt_fail_errno(err, errno, "cannot open %s", path);
  return vzt_read_fd_max(fd, path, max, data, len, err);
}

int vzt_read_fd_max(int fd, const char *path, size_t max, char **data, size_t *len, struct vzt_error **err)
{
  struct stat st;
  if (fstat(fd, &st) < 0)
    return vzt_fail_errno(err, errno, "cannot stat %s", path);
  if (!S_ISREG(st.st_mode))
    return vzt_refuse(err, "refusing to read %s: not a regular file (give the path of a file)", path);
  if ((uint64_t) st.st_size > max)
    return vzt_refuse(err, "refusing to read %s: %lld bytes, more than the limit of %zu", path,
                      (long long) st.st_size, max);
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0)
    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  /* One byte more than the size: a file growing past max is noticed. */
  size_t cap = st.st_size > 0 ? (size_t) st.st_size + 1 : 4096, n = 0;
  if (cap > max + 1)
    cap = max + 1;
  char *buf = vzt_malloc(cap + 1);
  if (!buf)
    vzt_out_of_memory();
  for (;;) {
    /* Files of /proc say size 0 and still have contents: grow as read, up to max + 1. */
    if (n == cap) {
      if (n > max) {
        free(buf);
        return vzt_refuse(err, "refusing to read %s: more than the limit of %zu bytes", path, max);
      }
      cap = cap > max / 2 ? max + 1 : cap * 2;
      if (!(buf = vzt_realloc(buf, cap + 1)))
        vzt_out_of_memory();
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      free(buf);
      return vzt_fail_errno(err, errno, "cannot read %s", path);
    }
    if (r == 0)
      break;
    n += (size_t) r;
  }
  if (n > max) {
    free(buf);
    return vzt_refuse(err, "refusing to read %s: more than the limit of %zu bytes", path, max);
  }
  buf[n] = 0; /* callers parsing text may rely on the terminator */
  *data = buf;
  if (len)
    *len = n;
  return 0;
}

int vzt_read_file_max(const char *path, size_t max, char **data, size_t *len, struct vzt_error **err)
{
  return vzt_read_fileat_max(AT_FDCWD, path, max, data, len, err);
}

int vzt_read_fileat(int dirfd, const char *path, char **data, size_t *len, struct vzt_error **err)
{
  return vzt_read_fileat_max(dirfd, path, VZT_LIMIT_DEFAULT, data, len, err);
}

int vzt_read_file(const char *path, char **data, size_t *len, struct vzt_error **err)
{
  return vzt_read_fileat(AT_FDCWD, path, data, len, err);
}

int vzt_copy_file_at(const char *src, int dirfd, const char *name, mode_t mode, struct vzt_error **err)
{
  _cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return vzt_fail_errno(err, errno, "cannot open %s", src);
  _cleanup_close_ int out = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (out < 0)
    return vzt_fail_errno(err, errno, "cannot create %s", name);
  /* The kernel copies between file systems where it can; else plain reads. */
  for (;;) {
    ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t) 1 << 30, 0);
    if (n == 0)
      return 0;
    if (n > 0)
      continue;
    if (errno == EINTR)
      continue;
    if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
      return vzt_fail_errno(err, errno, "cannot copy %s", src);
    break;
  }
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(in, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return vzt_fail_errno(err, errno, "cannot read %s", src);
    if (n == 0)
      return 0;
    if (vzt_write_all(out, buf, (size_t) n) < 0)
      return vzt_fail_errno(err, errno, "cannot write %s", name);
  }
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
  return vzt_atomic_write_file(dirfd, name, data, len, mode, err);
}

DIR *vzt_opendirat(int dirfd, const char *name)
{
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  DIR *d = fdopendir(fd);
  if (!d) {
    int e = errno;
    close(fd);
    errno = e;
  }
  return d;
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
