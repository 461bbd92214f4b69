/* Re-compresses a template archive into another format with libarchive's filters, tar bytes unchanged. */
#include "config.h"
#include "tmpl/pack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tmpl/archive-io.h"
#include "lib/atomic-file.h"
#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/error.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#define CONVERT_CHUNK (1024 * 1024)
#define XZ_PRESET "6"

static const struct {
  const char *name;
  enum vzt_pack_format fmt;
} format_names[] = {
    {"tar.zst", VZT_PACK_ZST}, {"zst", VZT_PACK_ZST}, {"tar.gz", VZT_PACK_GZ},
    {"gz", VZT_PACK_GZ},       {"tar.xz", VZT_PACK_XZ}, {"xz", VZT_PACK_XZ},
    {"tar.bz2", VZT_PACK_BZ2}, {"bz2", VZT_PACK_BZ2}, {"tar", VZT_PACK_TAR},
};

static const struct {
  const char *suffix;
  enum vzt_pack_format fmt;
} format_suffixes[] = {
    {".tar.zst", VZT_PACK_ZST}, {".tar.gz", VZT_PACK_GZ}, {".tgz", VZT_PACK_GZ},
    {".tar.xz", VZT_PACK_XZ},   {".txz", VZT_PACK_XZ},  {".tar.bz2", VZT_PACK_BZ2},
    {".tbz2", VZT_PACK_BZ2},    {".tbz", VZT_PACK_BZ2}, {".tar", VZT_PACK_TAR},
};

int vzt_pack_format_parse(const char *s, enum vzt_pack_format *fmt)
{
  for (size_t i = 0; s && i < VZT_ARRAY_SIZE(format_names); i++)
    if (!strcmp(s, format_names[i].name)) {
      *fmt = format_names[i].fmt;
      return 0;
    }
  return -1;
}

bool vzt_pack_format_from_path(const char *path, enum vzt_pack_format *fmt)
{
  for (size_t i = 0; path && i < VZT_ARRAY_SIZE(format_suffixes); i++)
    if (vzt_endswith(path, format_suffixes[i].suffix)) {
      *fmt = format_suffixes[i].fmt;
      return true;
    }
  return false;
}

size_t vzt_pack_suffix_len(const char *path)
{
  for (size_t i = 0; path && i < VZT_ARRAY_SIZE(format_suffixes); i++)
    if (vzt_endswith(path, format_suffixes[i].suffix))
      return strlen(format_suffixes[i].suffix);
  return 0;
}

const char *vzt_pack_format_ext(enum vzt_pack_format fmt)
{
  switch (fmt) {
  case VZT_PACK_ZST: return "tar.zst";
  case VZT_PACK_GZ: return "tar.gz";
  case VZT_PACK_XZ: return "tar.xz";
  case VZT_PACK_BZ2: return "tar.bz2";
  case VZT_PACK_TAR: return "tar";
  }
  return "?";
}

struct convert_out {
  int fd;
  struct vzt_digest *digest;
  uint64_t size;
  int write_errno;
};

static la_ssize_t convert_write_cb(struct archive *a, void *data, const void *buf, size_t len)
{
  struct convert_out *o = data;
  if (vzt_write_all(o->fd, buf, len) < 0) {
    o->write_errno = errno;
    archive_set_error(a, errno, "write failed");
    return -1;
  }
  vzt_digest_update(o->digest, buf, len);
  o->size += len;
  return (la_ssize_t) len;
}

static void progress_endp(struct vzt_progress **p)
{
  vzt_progress_end(*p);
}

static void digest_freep(struct vzt_digest **d)
{
  if (*d)
    vzt_digest_free(*d);
}

/* A zstd source for a zstd target: the bytes as they are, so the result is
 * the template itself (same sha256 as its manifest says). */
static bool is_zstd(int fd)
{
  unsigned char magic[4];
  return pread(fd, magic, sizeof(magic), 0) == (ssize_t) sizeof(magic) && magic[0] == 0x28 &&
         magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd;
}

static int copy_bytes(int in, const char *src, struct convert_out *o, struct vzt_progress *bar,
                      struct vzt_error **err)
{
  _cleanup_free_ char *buf = vzt_malloc(CONVERT_CHUNK);
  for (off_t off = 0;;) {
    ssize_t n = pread(in, buf, CONVERT_CHUNK, off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return vzt_fail_errno(err, errno, "cannot read %s", src);
    if (n == 0)
      return 0;
    if (vzt_write_all(o->fd, buf, (size_t) n) < 0)
      return vzt_fail_errno(err, errno, "cannot write the %s archive", "tar.zst");
    vzt_digest_update(o->digest, buf, (size_t) n);
    o->size += (uint64_t) n;
    off += n;
    vzt_progress_set(bar, (uint64_t) off);
  }
}

static int set_filter(struct archive *w, enum vzt_pack_format fmt, int threads, struct vzt_error **err)
{
  char nthreads[16];
  int r = ARCHIVE_FATAL;
  switch (fmt) {
  case VZT_PACK_GZ:
    /* libarchive writes no file name; "!timestamp" (a NULL value) leaves the
     * header's mtime 0 instead of now. */
    r = archive_write_add_filter_gzip(w);
    if (r == ARCHIVE_OK)
      r = archive_write_set_filter_option(w, "gzip", "compression-level", "6");
    if (r == ARCHIVE_OK)
      r = archive_write_set_filter_option(w, "gzip", "timestamp", NULL);
    break;
  case VZT_PACK_XZ:
    /* Always the multi-threaded encoder: its output is the same for any
     * thread count >= 2, but differs from the single-threaded one. */
    snprintf(nthreads, sizeof(nthreads), "%d", threads < 2 ? 2 : threads);
    r = archive_write_add_filter_xz(w);
    if (r == ARCHIVE_OK)
      r = archive_write_set_filter_option(w, "xz", "compression-level", XZ_PRESET);
    if (r == ARCHIVE_OK)
      r = archive_write_set_filter_option(w, "xz", "threads", nthreads);
    break;
  case VZT_PACK_BZ2:
    /* bzip2 streams carry no name or time: reproducible as they are. */
    r = archive_write_add_filter_bzip2(w);
    break;
  case VZT_PACK_TAR:
    r = archive_write_add_filter_none(w);
    break;
  case VZT_PACK_ZST:
    r = archive_write_add_filter_zstd(w);
    if (r == ARCHIVE_OK)
      r = archive_write_set_filter_option(w, "zstd", "compression-level", "3");
    break;
  }
  if (r != ARCHIVE_OK)
    return vzt_fail(err, "cannot set up %s compression: %s", vzt_pack_format_ext(fmt),
                    archive_error_string(w) ? archive_error_string(w) : "unsupported by libarchive");
  return 0;
}

int vzt_pack_recompress(const char *src, int out_fd, enum vzt_pack_format fmt, int threads,
                        struct vzt_pack_result *res, struct vzt_error **err)
{
  _cleanup_archive_read_ struct archive *r = NULL;
  _cleanup_archive_write_ struct archive *w = NULL;
  _cleanup_archive_entry_ struct archive_entry *out_entry = NULL;
  __attribute__((cleanup(digest_freep))) struct vzt_digest *digest = vzt_digest_new(VZT_DIGEST_SHA256);
  _cleanup_free_ char *buf = NULL;
  struct convert_out o = {.fd = out_fd, .digest = digest};
  struct archive_entry *in_entry;

  memset(res, 0, sizeof(*res));
  if (threads <= 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    threads = n > 0 ? (int) n : 1;
  }
  _cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (in < 0)
    return vzt_fail_errno(err, errno, "cannot open %s", src);

  /* The source's bytes read so far: they measure the work whatever the target. */
  struct stat st;
  _cleanup_free_ char *label = vzt_strdupf("Writing %s", vzt_pack_format_ext(fmt));
  __attribute__((cleanup(progress_endp))) struct vzt_progress *bar =
      vzt_progress_begin(label, fstat(in, &st) == 0 ? (uint64_t) st.st_size : 0, true);
  if (fmt == VZT_PACK_ZST && is_zstd(in)) {
    if (copy_bytes(in, src, &o, bar, err) < 0)
      return -1;
  } else {
    /* "raw": the decompressed stream as one entry, so the tar bytes pass
     * through untouched instead of being re-encoded entry by entry. */
    r = archive_read_new();
    w = archive_write_new();
    out_entry = archive_entry_new();
    buf = vzt_malloc(CONVERT_CHUNK);
    if (!r || !w || !out_entry || !buf)
      vzt_out_of_memory();
    archive_read_support_filter_all(r);
    archive_read_support_format_raw(r);
    if (archive_read_open_fd(r, in, 1 << 16) != ARCHIVE_OK || archive_read_next_header(r, &in_entry) != ARCHIVE_OK)
      return vzt_fail(err, "cannot read %s: %s", src, archive_error_string(r));
    if (archive_filter_code(r, 0) == ARCHIVE_FILTER_NONE)
      return vzt_fail(err, "%s is not a compressed archive", src);
    if (archive_write_set_format_raw(w) != ARCHIVE_OK || set_filter(w, fmt, threads, err) < 0 ||
        archive_write_set_bytes_per_block(w, 0) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(w, 1) != ARCHIVE_OK) {
      if (err && *err)
        return -1;
      return vzt_fail(err, "cannot set up the %s writer: %s", vzt_pack_format_ext(fmt),
                      archive_error_string(w));
    }
    if (archive_write_open(w, &o, NULL, convert_write_cb, NULL) != ARCHIVE_OK)
      return vzt_fail(err, "cannot start the %s archive: %s", vzt_pack_format_ext(fmt),
                      archive_error_string(w));
    archive_entry_set_pathname(out_entry, "data");
    archive_entry_set_filetype(out_entry, AE_IFREG);
    archive_entry_set_perm(out_entry, 0644);
    if (archive_write_header(w, out_entry) != ARCHIVE_OK)
      return vzt_fail(err, "cannot start the %s archive: %s", vzt_pack_format_ext(fmt),
                      archive_error_string(w));
    for (;;) {
      la_ssize_t n = archive_read_data(r, buf, CONVERT_CHUNK);
      if (n < 0)
        return vzt_fail(err, "cannot read %s: %s", src, archive_error_string(r));
      if (n == 0)
        break;
      if (archive_write_data(w, buf, (size_t) n) != n)
        return o.write_errno ? vzt_fail_errno(err, o.write_errno, "cannot write the %s archive",
                                              vzt_pack_format_ext(fmt))
                             : vzt_fail(err, "cannot compress to %s: %s", vzt_pack_format_ext(fmt),
                                        archive_error_string(w));
      res->unpacked_size += (uint64_t) n;
      la_int64_t consumed = archive_filter_bytes(r, -1);
      vzt_progress_set(bar, consumed > 0 ? (uint64_t) consumed : 0);
    }
    if (archive_write_close(w) != ARCHIVE_OK)
      return o.write_errno ? vzt_fail_errno(err, o.write_errno, "cannot write the %s archive",
                                            vzt_pack_format_ext(fmt))
                           : vzt_fail(err, "cannot finish the %s archive: %s", vzt_pack_format_ext(fmt),
                                      archive_error_string(w));
  }
  vzt_digest_finish(steal_pointer(&digest), res->sha256);
  res->size = o.size;
  return 0;
}

int vzt_pack_export(const char *src, const char *dest, enum vzt_pack_format fmt, int threads,
                    struct vzt_pack_result *res, struct vzt_error **err)
{
  _cleanup_atomic_ struct vzt_atomic_file f = {.fd = -1, .dirfd = -1};
  if (vzt_atomic_open(AT_FDCWD, dest, 0644, &f, err) < 0)
    return -1;
  if (vzt_pack_recompress(src, f.fd, fmt, threads, res, err) < 0)
    return vzt_error_prefix(err, "writing %s", dest);
  return vzt_atomic_commit(&f, err);
}
