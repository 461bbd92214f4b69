/* Message digests via libcrypto's EVP interface (uses the CPU's SHA extensions). */
#include "config.h"
#include "digest.h"
#include "strutil.h"
#include "lib/alloc.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct vzt_digest {
  EVP_MD_CTX *ctx;
};

static const EVP_MD *md_for(enum vzt_digest_type type)
{
  switch (type) {
  case VZT_DIGEST_SHA512: return EVP_sha512();
  case VZT_DIGEST_SHA1: return EVP_sha1();
  case VZT_DIGEST_MD5: return EVP_md5();
  default: return EVP_sha256();
  }
}

struct vzt_digest *vzt_digest_new(enum vzt_digest_type type)
{
  struct vzt_digest *d = vzt_calloc(1, sizeof(*d));
  if (!d || !(d->ctx = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(d->ctx, md_for(type), NULL))
    vzt_out_of_memory();
  return d;
}

void vzt_digest_update(struct vzt_digest *d, const void *buf, size_t len)
{
  EVP_DigestUpdate(d->ctx, buf, len);
}

void vzt_digest_free(struct vzt_digest *d)
{
  if (!d)
    return;
  EVP_MD_CTX_free(d->ctx);
  free(d);
}

void vzt_digest_finish(struct vzt_digest *d, char *out)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(d->ctx, md, &len);
  vzt_hex(md, len, out);
  vzt_digest_free(d);
}

int vzt_digest_fd(int fd, enum vzt_digest_type type, char *out, uint64_t *size, struct vzt_error **err)
{
  struct vzt_digest *d = vzt_digest_new(type);
  static __thread char buf[1 << 16];
  uint64_t total = 0;
  off_t off = 0;
  for (;;) {
    ssize_t n = pread(fd, buf, sizeof(buf), off);
    if (n < 0) {
      vzt_digest_free(d);
      return vzt_fail_errno(err, errno, "cannot read file to hash it");
    }
    if (n == 0)
      break;
    vzt_digest_update(d, buf, n);
    off += n;
    total += n;
  }
  vzt_digest_finish(d, out);
  if (size)
    *size = total;
  return 0;
}

static const char *const names[] = {"sha256", "sha512", "sha1", "md5"};

int vzt_digest_type_from_name(const char *name, enum vzt_digest_type *type)
{
  for (size_t i = 0; i < VZT_ARRAY_SIZE(names); i++)
    if (strcasecmp(name, names[i]) == 0) {
      *type = (enum vzt_digest_type) i;
      return 0;
    }
  if (strcasecmp(name, "sha") == 0) { /* rpm-md's old spelling of sha1 */
    *type = VZT_DIGEST_SHA1;
    return 0;
  }
  return -1;
}

const char *vzt_digest_name(enum vzt_digest_type type) { return names[type]; }
