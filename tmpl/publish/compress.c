/* The high-ratio zstd archive publish serves: a template's tar recompressed at level 19 with long-distance matching. */
#include "config.h"
#include "tmpl/publish/publish.h"
#include "tmpl/archive-io.h"
#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#define IN_CHUNK (1024 * 1024)

/* Every parameter that shapes the output is set here, none left to the
 * library's defaults or to the machine: with a fixed job size libzstd's
 * multi-threaded output is the same for any worker count >= 1 (checked with
 * 1, 2 and 3 against libzstd 1.5.4), so two workers use both cores of a small
 * builder and a bigger one still writes the same bytes. The job size is the
 * one libzstd would pick for these parameters (64 MiB); smaller jobs lose
 * matches across their borders. A window of 2^27 bytes (128 MiB, zstd
 * --long's) is the largest decoders accept without being told to, libarchive's
 * reader included. */
#define HIGH_LEVEL 19
#define HIGH_WINDOW_LOG 27
#define HIGH_WORKERS 2
#define HIGH_JOB_SIZE (64 << 20)

struct src_reader {
  int fd;
  struct vzt_digest *digest; /* of the source's bytes as read */
  char *buf;
  int read_errno;
};

static la_ssize_t src_read_cb(struct archive *a, void *data, const void **buf)
{
  struct src_reader *s = data;
  for (;;) {
    ssize_t n = read(s->fd, s->buf, IN_CHUNK);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      s->read_errno = errno;
      archive_set_error(a, errno, "read failed");
      return -1;
    }
    vzt_digest_update(s->digest, s->buf, (size_t) n);
    *buf = s->buf;
    return n;
  }
}

struct zout {
  ZSTD_CCtx *cctx;
  int fd;
  struct vzt_digest *digest;
  char *buf;
  size_t cap;
  uint64_t size;
};

/* Compresses in, writing whatever the encoder produces; ZSTD_e_end finishes the frame. */
static int zout_feed(struct zout *z, const void *data, size_t len, ZSTD_EndDirective mode, struct vzt_error **err)
{
  ZSTD_inBuffer in = {data, len, 0};
  for (;;) {
    ZSTD_outBuffer out = {z->buf, z->cap, 0};
    size_t left = ZSTD_compressStream2(z->cctx, &out, &in, mode);
    if (ZSTD_isError(left))
      return vzt_fail(err, "zstd compression failed: %s", ZSTD_getErrorName(left));
    if (out.pos) {
      if (vzt_write_all(z->fd, z->buf, out.pos) < 0)
        return vzt_fail_errno(err, errno, "cannot write the compressed archive");
      vzt_digest_update(z->digest, z->buf, out.pos);
      z->size += out.pos;
    }
    if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
      return 0;
  }
}

static void cctx_freep(ZSTD_CCtx **c)
{
  if (*c)
    ZSTD_freeCCtx(*c);
}

static void digest_freep(struct vzt_digest **d)
{
  if (*d)
    vzt_digest_free(*d);
}

static int set_params(ZSTD_CCtx *c, struct vzt_error **err)
{
  static const struct {
    ZSTD_cParameter p;
    int v;
    const char *name;
  } params[] = {
      {ZSTD_c_compressionLevel, HIGH_LEVEL, "level"},
      {ZSTD_c_windowLog, HIGH_WINDOW_LOG, "window log"},
      {ZSTD_c_enableLongDistanceMatching, 1, "long-distance matching"},
      {ZSTD_c_checksumFlag, 1, "checksum"},
      {ZSTD_c_nbWorkers, HIGH_WORKERS, "workers (is libzstd built without threads?)"},
      {ZSTD_c_jobSize, HIGH_JOB_SIZE, "job size"},
  };
  for (size_t i = 0; i < VZT_ARRAY_SIZE(params); i++) {
    size_t r = ZSTD_CCtx_setParameter(c, params[i].p, params[i].v);
    if (ZSTD_isError(r))
      return vzt_fail(err, "zstd: cannot set the %s to %d: %s", params[i].name, params[i].v, ZSTD_getErrorName(r));
  }
  return 0;
}

int vzt_publish_compress_high(const char *src, int out_fd, char *src_sha256, struct vzt_pack_result *res,
                              struct vzt_error **err)
{
  memset(res, 0, sizeof(*res));
  _cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (in < 0)
    return vzt_fail_errno(err, errno, "cannot open %s", src);
  __attribute__((cleanup(digest_freep))) struct vzt_digest *sdigest = vzt_digest_new(VZT_DIGEST_SHA256);
  __attribute__((cleanup(digest_freep))) struct vzt_digest *odigest = vzt_digest_new(VZT_DIGEST_SHA256);
  _cleanup_free_ char *inbuf = vzt_malloc(IN_CHUNK);
  _cleanup_free_ char *tarbuf = vzt_malloc(IN_CHUNK);
  __attribute__((cleanup(cctx_freep))) ZSTD_CCtx *cctx = ZSTD_createCCtx();
  size_t cap = ZSTD_CStreamOutSize();
  _cleanup_free_ char *outbuf = vzt_malloc(cap);
  if (!inbuf || !tarbuf || !outbuf || !cctx)
    vzt_out_of_memory();
  if (set_params(cctx, err) < 0)
    return -1;

  /* "raw": the decompressed stream as one entry, so the tar bytes pass
   * through as they are; the source is hashed as it is read, so what gets
   * recompressed is the archive that was verified. */
  struct src_reader s = {.fd = in, .digest = sdigest, .buf = inbuf};
  _cleanup_archive_read_ struct archive *r = archive_read_new();
  struct archive_entry *e;
  if (!r)
    vzt_out_of_memory();
  archive_read_support_filter_all(r);
  archive_read_support_format_raw(r);
  if (archive_read_open(r, &s, NULL, src_read_cb, NULL) != ARCHIVE_OK ||
      archive_read_next_header(r, &e) != ARCHIVE_OK)
    return vzt_fail(err, "cannot read %s: %s", src, archive_error_string(r));
  struct zout z = {.cctx = cctx, .fd = out_fd, .digest = odigest, .buf = outbuf, .cap = cap};
  for (;;) {
    la_ssize_t n = archive_read_data(r, tarbuf, IN_CHUNK);
    if (n < 0)
      return s.read_errno ? vzt_fail_errno(err, s.read_errno, "cannot read %s", src)
                          : vzt_fail(err, "cannot read %s: %s", src, archive_error_string(r));
    if (n == 0)
      break;
    if (zout_feed(&z, tarbuf, (size_t) n, ZSTD_e_continue, err) < 0)
      return -1;
    res->unpacked_size += (uint64_t) n;
  }
  if (zout_feed(&z, NULL, 0, ZSTD_e_end, err) < 0)
    return -1;
  /* Whatever the decoder did not need still belongs to the source's hash. */
  for (;;) {
    ssize_t n = read(in, inbuf, IN_CHUNK);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return vzt_fail_errno(err, errno, "cannot read %s", src);
    if (n == 0)
      break;
    vzt_digest_update(sdigest, inbuf, (size_t) n);
  }
  vzt_digest_finish(steal_pointer(&sdigest), src_sha256);
  vzt_digest_finish(steal_pointer(&odigest), res->sha256);
  res->size = z.size;
  return 0;
}
