/* The one way to replace a file: a fresh temporary sibling, fsync, rename over the name. */
#include "config.h"
#include "atomic-file.h"
#include "cleanup.h"
#include "fsutil.h"
#include "strutil.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Opens the directory part of name. Below a directory fd, resolution stays
 * inside it (RESOLVE_IN_ROOT): a planted "meta -> /root" cannot send a write
 * elsewhere. Kernels before 5.6 lack openat2: every component is then opened
 * with O_NOFOLLOW, which refuses symlinks among the parents altogether. */
static int open_parent(int dirfd, const char *dir)
{
  int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
  if (dirfd == AT_FDCWD)
    return open(dir, flags);
  struct open_how how = {.flags = (unsigned long long) flags, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  int fd;
  /* EAGAIN: a rename elsewhere raced the lookup; the kernel asks for a retry. */
  for (int i = 0; (fd = (int) syscall(SYS_openat2, dirfd, dir, &how, sizeof(how))) < 0 && errno == EAGAIN && i < 8; i++)
    ;
  if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
    return fd;
  _cleanup_free_ char *copy = vzt_strdup(dir);
  int cur = dup(dirfd);
  for (char *save = NULL, *c = strtok_r(copy, "/", &save); c && cur >= 0; c = strtok_r(NULL, "/", &save)) {
    int next = openat(cur, c, flags | O_NOFOLLOW);
    int e = errno;
    close(cur);
    errno = e;
    cur = next;
  }
  return cur;
}

/* Six letters and digits from getrandom: unpredictable, and free of '.' so
 * the cache's clean-up still reads "<name>.<rand>.tmp.<pid>" as ours. */
static void random_suffix(char out[7])
{
  static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char r[6];
  if (getrandom(r, sizeof(r), 0) != (ssize_t) sizeof(r))
    for (size_t i = 0; i < sizeof(r); i++)
      r[i] = (unsigned char) (rand() & 0xff);
  for (size_t i = 0; i < sizeof(r); i++)
    out[i] = set[r[i] % (sizeof(set) - 1)];
  out[6] = 0;
}

int vzt_atomic_open(int dirfd, const char *name, mode_t mode, struct vzt_atomic_file *f, struct vzt_error **err)
{
  *f = (struct vzt_atomic_file){.fd = -1, .dirfd = -1};
  const char *slash = strrchr(name, '/');
  const char *base = slash ? slash + 1 : name;
  if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
    return vzt_fail(err, "cannot write %s: not a file name", name);
  if (slash) {
    _cleanup_free_ char *dir = slash == name ? vzt_strdup("/") : vzt_strndup(name, (size_t) (slash - name));
    f->dirfd = open_parent(dirfd, dir);
  } else {
    f->dirfd = dirfd == AT_FDCWD ? open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                                 : fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
  }
  if (f->dirfd < 0)
    return vzt_fail_errno(err, errno, "cannot open the directory of %s", name);
  f->name = vzt_strdup(base);
  f->shown = vzt_strdup(name);
  for (int tries = 0; tries < 100; tries++) {
    char rnd[7];
    random_suffix(rnd);
    free(f->tmp);
    f->tmp = vzt_strdupf("%s.%s.tmp.%d", base, rnd, (int) getpid());
    f->fd = openat(f->dirfd, f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (f->fd >= 0)
      return 0;
    if (errno != EEXIST)
      break;
  }
  int e = errno;
  free(f->tmp);
  f->tmp = NULL;
  vzt_atomic_abort(f);
  return vzt_fail_errno(err, e, "cannot create a temporary file for %s", name);
}

int vzt_atomic_commit(struct vzt_atomic_file *f, struct vzt_error **err)
{
  int ret = 0;
  if (fsync(f->fd) < 0)
    ret = vzt_fail_errno(err, errno, "cannot write %s", f->shown);
  else if (renameat(f->dirfd, f->tmp, f->dirfd, f->name) < 0)
    ret = vzt_fail_errno(err, errno, "cannot rename %s into place", f->shown);
  if (ret == 0) {
    free(f->tmp);
    f->tmp = NULL; /* nothing left to remove */
    /* The rename is durable only once the directory is. */
    if (fsync(f->dirfd) < 0 && errno != EINVAL)
      ret = vzt_fail_errno(err, errno, "cannot write the directory of %s", f->shown);
  }
  vzt_atomic_abort(f);
  return ret;
}

void vzt_atomic_abort(struct vzt_atomic_file *f)
{
  if (f->fd >= 0)
    close(f->fd);
  if (f->tmp && f->dirfd >= 0)
    unlinkat(f->dirfd, f->tmp, 0);
  if (f->dirfd >= 0)
    close(f->dirfd);
  free(f->tmp);
  free(f->name);
  free(f->shown);
  *f = (struct vzt_atomic_file){.fd = -1, .dirfd = -1};
}

int vzt_atomic_write_file(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                          struct vzt_error **err)
{
  _cleanup_atomic_ struct vzt_atomic_file f = {.fd = -1, .dirfd = -1};
  if (vzt_atomic_open(dirfd, name, mode, &f, err) < 0)
    return -1;
  if (vzt_write_all(f.fd, data, len) < 0)
    return vzt_fail_errno(err, errno, "cannot write %s", name);
  return vzt_atomic_commit(&f, err);
}
