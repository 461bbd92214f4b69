/* The OCI image layout on disk: blobs named by their digest, the layer written in one read of the template archive, and the layout's tar. */
#include "config.h"
#include "tmpl/export/oci-internal.h"
#include "tmpl/archive-io.h"
#include "lib/atomic-file.h"
#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLOBS "blobs/sha256"

int vzt_oci_layout_init(int dirfd, struct vzt_error **err)
{
  if (vzt_mkdirat_p_nofollow(dirfd, BLOBS, 0755, err) < 0)
    return -1;
  return vzt_atomic_write_file(dirfd, "oci-layout", VZT_OCI_LAYOUT_JSON, strlen(VZT_OCI_LAYOUT_JSON), 0644, err);
}

static void set_digest(struct vzt_oci_blob *b, struct vzt_digest *d, uint64_t size)
{
  char hex[VZT_DIGEST_HEX_MAX];
  vzt_digest_finish(d, hex);
  /* SHA-256 is 64 hex digits: the digest fits. */
  memcpy(b->digest, "sha256:", 7);
  memcpy(b->digest + 7, hex, 65);
  b->size = size;
}

static char *blob_name(const struct vzt_oci_blob *b)
{
  return vzt_strdupf(BLOBS "/%s", b->digest + strlen("sha256:"));
}

int vzt_oci_put_blob(int dirfd, const char *data, size_t len, struct vzt_oci_blob *b, struct vzt_error **err)
{
  struct vzt_digest *d = vzt_digest_new(VZT_DIGEST_SHA256);
  vzt_digest_update(d, data, len);
  set_digest(b, d, len);
  _cleanup_free_ char *name = blob_name(b);
  return vzt_atomic_write_file(dirfd, name, data, len, 0644, err);
}

/* The one read of the template archive: its bytes are hashed (to match
 * what was verified) and, for a zstd layer, copied to the blob as they
 * come, while libarchive decompresses the same buffers. */
struct layer_src {
  int fd;
  const char *path;
  struct vzt_digest *packed;
  int copy_fd; /* the blob, or -1 when the layer is recompressed */
  uint64_t size;
  int error;   /* errno of a failed read or copy */
  unsigned char buf[1 << 16];
};

static ssize_t src_read(struct archive *a, void *arg, const void **out)
{
  (void) a;
  struct layer_src *s = arg;
  ssize_t n;
  do
    n = read(s->fd, s->buf, sizeof(s->buf));
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    s->error = errno;
    return -1;
  }
  vzt_digest_update(s->packed, s->buf, (size_t) n);
  s->size += (uint64_t) n;
  if (n > 0 && s->copy_fd >= 0 && vzt_write_all(s->copy_fd, s->buf, (size_t) n) < 0) {
    s->error = errno;
    return -1;
  }
  *out = s->buf;
  return n;
}

/* The recompressed layer: gzip without a timestamp, so it is reproducible. */
struct layer_sink {
  int fd;
  struct vzt_digest *d;
  uint64_t size;
  int error;
};

static ssize_t sink_write(struct archive *a, void *arg, const void *buf, size_t len)
{
  (void) a;
  struct layer_sink *k = arg;
  if (vzt_write_all(k->fd, buf, len) < 0) {
    k->error = errno;
    return -1;
  }
  vzt_digest_update(k->d, buf, len);
  k->size += len;
  return (ssize_t) len;
}

static struct archive *gzip_writer(struct layer_sink *k, struct vzt_error **err)
{
  _cleanup_archive_write_ struct archive *w = archive_write_new();
  _cleanup_archive_entry_ struct archive_entry *e = archive_entry_new();
  if (!w || !e) {
    vzt_fail_errno(err, ENOMEM, "cannot start the gzip layer");
    return NULL;
  }
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_pathname(e, "layer.tar");
  if (archive_write_add_filter_gzip(w) != ARCHIVE_OK || archive_write_set_format_raw(w) != ARCHIVE_OK ||
      archive_write_set_filter_option(w, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(w, 1) != ARCHIVE_OK ||
      archive_write_open(w, k, NULL, sink_write, NULL) != ARCHIVE_OK ||
      archive_write_header(w, e) != ARCHIVE_OK) {
    vzt_fail(err, "cannot start the gzip layer: %s", archive_error_string(w));
    return NULL;
  }
  return steal_pointer(&w);
}

/* Reads the decompressed tar through, hashing it (the diff_id) and feeding
 * the gzip writer when there is one. */
static int read_through(struct archive *r, struct archive *w, struct vzt_digest *plain, const char *path,
                        struct vzt_error **err)
{
  struct archive_entry *e;
  if (archive_read_next_header(r, &e) != ARCHIVE_OK)
    return vzt_refuse(err, "%s is damaged: %s", path, archive_error_string(r));
  for (;;) {
    const void *buf;
    size_t len;
    int64_t off;
    int rc = archive_read_data_block(r, &buf, &len, &off);
    if (rc == ARCHIVE_EOF)
      return 0;
    if (rc != ARCHIVE_OK)
      return vzt_refuse(err, "%s is damaged: %s", path, archive_error_string(r));
    vzt_digest_update(plain, buf, len);
    if (w && archive_write_data(w, buf, len) != (la_ssize_t) len)
      return vzt_fail(err, "cannot write the gzip layer: %s", archive_error_string(w));
  }
}

/* What libarchive left unread after the compressed stream's end (padding)
 * is still part of the archive's bytes and its hash. */
static int drain(struct layer_src *s)
{
  const void *out;
  ssize_t n;
  while ((n = src_read(NULL, s, &out)) > 0)
    ;
  return n < 0 ? -1 : 0;
}

static int layer_pass(struct layer_src *src, struct vzt_digest *plain, struct layer_sink *sink,
                      struct vzt_error **err)
{
  _cleanup_archive_read_ struct archive *r = archive_read_new();
  _cleanup_archive_write_ struct archive *w = NULL;
  if (!r)
    return vzt_fail_errno(err, ENOMEM, "cannot read %s", src->path);
  archive_read_support_filter_all(r);
  archive_read_support_format_raw(r);
  if (sink && !(w = gzip_writer(sink, err)))
    return -1;
  if (archive_read_open(r, src, NULL, src_read, NULL) != ARCHIVE_OK) {
    if (src->error)
      return vzt_fail_errno(err, src->error, "cannot read %s", src->path);
    return vzt_refuse(err, "%s is damaged: %s", src->path, archive_error_string(r));
  }
  if (read_through(r, w, plain, src->path, err) < 0) {
    if (src->error)
      return vzt_fail_errno(err, src->error, "cannot copy %s into the layout", src->path);
    return -1;
  }
  if (drain(src) < 0)
    return vzt_fail_errno(err, src->error, "cannot copy %s into the layout", src->path);
  if (w && archive_write_close(w) != ARCHIVE_OK)
    return vzt_fail_errno(err, sink->error, "cannot write the gzip layer");
  return 0;
}

int vzt_oci_put_layer(int dirfd, const char *path, const char *expect_sha256, struct vzt_oci_image *img,
                      struct vzt_error **err)
{
  _cleanup_free_ struct layer_src *src = vzt_calloc(1, sizeof(*src));
  if (!src)
    return vzt_fail_errno(err, ENOMEM, "cannot read %s", path);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return vzt_fail_errno(err, errno, "cannot open %s", path);
  _cleanup_atomic_ struct vzt_atomic_file blob = {.fd = -1, .dirfd = -1};
  if (vzt_atomic_open(dirfd, BLOBS "/layer", 0644, &blob, err) < 0)
    return -1;
  *src = (struct layer_src){.fd = fd, .path = path, .copy_fd = img->gzip ? -1 : blob.fd};
  src->packed = vzt_digest_new(VZT_DIGEST_SHA256);
  struct vzt_digest *plain = vzt_digest_new(VZT_DIGEST_SHA256);
  struct layer_sink sink = {.fd = blob.fd, .d = img->gzip ? vzt_digest_new(VZT_DIGEST_SHA256) : NULL};
  int rc = layer_pass(src, plain, img->gzip ? &sink : NULL, err);
  struct vzt_oci_blob packed, diff;
  set_digest(&packed, src->packed, src->size);
  set_digest(&diff, plain, 0);
  if (img->gzip)
    set_digest(&img->layer, sink.d, sink.size);
  else
    img->layer = packed;
  if (rc < 0)
    return -1;
  if (strcmp(packed.digest + strlen("sha256:"), expect_sha256) != 0)
    return vzt_refuse(err, "%s changed after it was verified (sha256 %s, the manifest says %s); export it again",
                      path, packed.digest + strlen("sha256:"), expect_sha256);
  memcpy(img->diff_id, diff.digest, sizeof(img->diff_id));
  /* The blob's final name is its digest, known only now. */
  free(blob.name);
  blob.name = vzt_strdup(img->layer.digest + strlen("sha256:"));
  return vzt_atomic_commit(&blob, err);
}

/* A layer entry's name: whiteouts (".wh." names) would delete files on an
 * OCI reader's side; absolute paths and ".." would leave the rootfs. */
static int check_entry(struct archive *a, struct archive_entry *e, void *arg, struct vzt_error **err)
{
  (void) a;
  const char *layer = arg;
  const char *name = archive_entry_pathname_utf8(e);
  if (!name)
    name = archive_entry_pathname(e);
  if (!name || !*name)
    return vzt_refuse(err, "%s has an entry without a name", layer);
  if (name[0] == '/')
    return vzt_refuse(err, "%s has an absolute entry name '%s'; OCI layers name paths relative to the root", layer,
                      name);
  for (const char *p = name; *p;) {
    size_t n = strcspn(p, "/");
    if ((n == 2 && !strncmp(p, "..", 2)))
      return vzt_refuse(err, "%s has an entry '%s' that leaves the root", layer, name);
    if (n >= 4 && !strncmp(p, ".wh.", 4))
      return vzt_refuse(err, "%s has an entry '%s' that an OCI reader takes for a whiteout (a deletion); "
                             "rename or remove it in the template",
                        layer, name);
    p += n;
    while (*p == '/')
      p++;
  }
  return 0;
}

int vzt_oci_check_layer(const char *layout, const struct vzt_oci_blob *layer, const char *shown,
                        struct vzt_error **err)
{
  _cleanup_free_ char *name = blob_name(layer);
  _cleanup_free_ char *path = vzt_path_join(layout, name);
  return vzt_archive_walk(path, check_entry, (void *) shown, err) < 0 ? -1 : 0;
}

static int cmp_names(const void *a, const void *b)
{
  return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The blobs' names, sorted: the tar lists them in an order of their own, not the directory's. */
static int list_blobs(int dirfd, char ***names, struct vzt_error **err)
{
  _cleanup_closedir_ DIR *d = vzt_opendirat(dirfd, BLOBS);
  if (!d)
    return vzt_fail_errno(err, errno, "cannot open the layout's " BLOBS);
  struct dirent *de;
  while ((de = readdir(d)))
    if (de->d_name[0] != '.')
      vzt_strv_push(names, de->d_name);
  if (*names)
    qsort(*names, vzt_strv_len(*names), sizeof(**names), cmp_names);
  return 0;
}

static int tar_entry(struct archive *w, int dirfd, const char *name, time_t mtime, struct vzt_error **err)
{
  _cleanup_archive_entry_ struct archive_entry *e = archive_entry_new();
  size_t len = strlen(name);
  bool dir = name[len - 1] == '/';
  _cleanup_close_ int fd = -1;
  struct stat st = {0};
  if (!dir) {
    fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0)
      return vzt_fail_errno(err, errno, "cannot read the layout's %s", name);
  }
  archive_entry_set_pathname(e, name);
  archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
  archive_entry_set_perm(e, dir ? 0755 : 0644);
  archive_entry_set_size(e, dir ? 0 : st.st_size);
  archive_entry_set_mtime(e, mtime, 0);
  archive_entry_set_uid(e, 0);
  archive_entry_set_gid(e, 0);
  if (archive_write_header(w, e) != ARCHIVE_OK)
    return vzt_fail(err, "cannot write %s into the archive: %s", name, archive_error_string(w));
  for (;;) {
    if (dir)
      break;
    unsigned char buf[1 << 16];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return vzt_fail_errno(err, errno, "cannot read the layout's %s", name);
    if (n == 0)
      break;
    if (archive_write_data(w, buf, (size_t) n) != n)
      return vzt_fail(err, "cannot write %s into the archive: %s", name, archive_error_string(w));
  }
  if (archive_write_finish_entry(w) != ARCHIVE_OK)
    return vzt_fail(err, "cannot write %s into the archive: %s", name, archive_error_string(w));
  return 0;
}

int vzt_oci_layout_tar(int dirfd, int fd, time_t mtime, struct vzt_error **err)
{
  _cleanup_strv_ char **blobs = NULL;
  if (list_blobs(dirfd, &blobs, err) < 0)
    return -1;
  _cleanup_archive_write_ struct archive *w = archive_write_new();
  if (!w)
    return vzt_fail_errno(err, ENOMEM, "cannot write the archive");
  /* ustar: the names are short, and no pax header can carry a time or an owner of this machine. */
  if (archive_write_set_format_ustar(w) != ARCHIVE_OK || archive_write_add_filter_none(w) != ARCHIVE_OK ||
      archive_write_open_fd(w, fd) != ARCHIVE_OK)
    return vzt_fail(err, "cannot write the archive: %s", archive_error_string(w));
  const char *head[] = {"blobs/", BLOBS "/"};
  for (size_t i = 0; i < 2; i++)
    if (tar_entry(w, dirfd, head[i], mtime, err) < 0)
      return -1;
  for (size_t i = 0; blobs && blobs[i]; i++) {
    _cleanup_free_ char *name = vzt_strdupf(BLOBS "/%s", blobs[i]);
    if (tar_entry(w, dirfd, name, mtime, err) < 0)
      return -1;
  }
  if (tar_entry(w, dirfd, "index.json", mtime, err) < 0 || tar_entry(w, dirfd, "oci-layout", mtime, err) < 0)
    return -1;
  if (archive_write_close(w) != ARCHIVE_OK)
    return vzt_fail(err, "cannot write the archive: %s", archive_error_string(w));
  return 0;
}
