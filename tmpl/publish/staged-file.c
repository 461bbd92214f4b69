/* Files publish writes into the directories it stages: created fresh,
 * never through a link, copied with the digests its indices record. */
#include "config.h"
#include "tmpl/publish/staged-file.h"
#include "lib/alloc.h"
#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#define COPY_CHUNK (1024 * 1024)

int vzt_staged_create(int dirfd, const char *name)
{
  return openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
}

int vzt_staged_copy(int srcdir, const char *src, int dstdir, const char *dst, char *sha256, char *md5,
                    char *sha512, uint64_t *size, struct vzt_error **err)
{
  _cleanup_close_ int in = openat(srcdir, src, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
  if (in < 0)
    return vzt_fail_errno(err, errno, "cannot open %s", src);
  _cleanup_close_ int out = dst ? vzt_staged_create(dstdir, dst) : -1;
  if (dst && out < 0)
    return vzt_fail_errno(err, errno, "cannot create %s", dst);
  _cleanup_free_ char *buf = vzt_malloc(COPY_CHUNK);
  struct vzt_digest *d256 = vzt_digest_new(VZT_DIGEST_SHA256);
  struct vzt_digest *d5 = md5 ? vzt_digest_new(VZT_DIGEST_MD5) : NULL;
  struct vzt_digest *d512 = sha512 ? vzt_digest_new(VZT_DIGEST_SHA512) : NULL;
  int ret = 0;
  *size = 0;
  for (;;) {
    ssize_t n = read(in, buf, COPY_CHUNK);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      ret = vzt_fail_errno(err, errno, "cannot read %s", src);
      break;
    }
    if (n == 0)
      break;
    if (dst && vzt_write_all(out, buf, (size_t) n) < 0) {
      ret = vzt_fail_errno(err, errno, "cannot write %s", dst);
      break;
    }
    vzt_digest_update(d256, buf, (size_t) n);
    if (d5)
      vzt_digest_update(d5, buf, (size_t) n);
    if (d512)
      vzt_digest_update(d512, buf, (size_t) n);
    *size += (uint64_t) n;
  }
  if (ret == 0 && dst && fsync(out) < 0)
    ret = vzt_fail_errno(err, errno, "cannot write %s", dst);
  if (ret < 0) {
    vzt_digest_free(d256);
    if (d5)
      vzt_digest_free(d5);
    if (d512)
      vzt_digest_free(d512);
    return ret;
  }
  vzt_digest_finish(d256, sha256);
  if (d5)
    vzt_digest_finish(d5, md5);
  if (d512)
    vzt_digest_finish(d512, sha512);
  return 0;
}
