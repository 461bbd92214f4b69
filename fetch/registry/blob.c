/* Registry blobs: existence, cross-repository mounts, monolithic and chunked uploads, verified downloads. */
#include "config.h"
#include "fetch/registry/registry-internal.h"
#include "fetch/fetch.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static void resp_clearp(struct vzt_reg_resp *r) { vzt_reg_resp_clear(r); }
#define _cleanup_resp_ __attribute__((cleanup(resp_clearp)))

void vzt_reg_digest_of(const void *data, size_t len, char out[VZT_REG_DIGEST_MAX])
{
  char hex[VZT_DIGEST_HEX_MAX];
  struct vzt_digest *d = vzt_digest_new(VZT_DIGEST_SHA256);
  vzt_digest_update(d, data, len);
  vzt_digest_finish(d, hex);
  memcpy(out, "sha256:", 7);
  memcpy(out + 7, hex, 65); /* 64 hex digits and the NUL */
}

int vzt_reg_blob_exists(struct vzt_reg *reg, const char *digest, bool *exists, struct vzt_error **err)
{
  _cleanup_free_ char *path = vzt_reg_path(reg, "blobs/%s", digest);
  struct vzt_reg_req rq = {.method = "HEAD", .url = path};
  _cleanup_resp_ struct vzt_reg_resp resp = {0};
  if (vzt_reg_request(reg, &rq, &resp, err) < 0)
    return -1;
  if (resp.status == 200 || resp.status == 404) {
    *exists = resp.status == 200;
    return 0;
  }
  return vzt_reg_http_error(reg, &resp, "HEAD blob", err);
}

int vzt_reg_blob_mount(struct vzt_reg *reg, const char *digest, const char *from_repo, bool *mounted,
                       struct vzt_error **err)
{
  *mounted = false;
  /* A token for the mount must also allow pulling from the source repository. */
  free(reg->extra_scope);
  reg->extra_scope = vzt_strdupf("repository:%s:pull", from_repo);
  _cleanup_free_ char *path = vzt_reg_path(reg, "blobs/uploads/?mount=%s&from=%s", digest, from_repo);
  struct vzt_reg_req rq = {.method = "POST", .url = path};
  _cleanup_resp_ struct vzt_reg_resp resp = {0};
  if (vzt_reg_request(reg, &rq, &resp, err) < 0)
    return -1;
  if (resp.status == 201) {
    *mounted = true;
    return 0;
  }
  /* 202: the registry would not mount and opened an upload instead; it expires by itself. */
  if (resp.status == 202 || resp.status == 404)
    return 0;
  return vzt_reg_http_error(reg, &resp, "mount blob", err);
}

/* POST an upload session: its Location. */
static int upload_start(struct vzt_reg *reg, char **location, struct vzt_error **err)
{
  _cleanup_free_ char *path = vzt_reg_path(reg, "blobs/uploads/");
  struct vzt_reg_req rq = {.method = "POST", .url = path};
  _cleanup_resp_ struct vzt_reg_resp resp = {0};
  if (vzt_reg_request(reg, &rq, &resp, err) < 0)
    return -1;
  _cleanup_free_ char *loc = vzt_reg_resp_header(&resp, "Location");
  if (resp.status != 202 || !loc)
    return vzt_reg_http_error(reg, &resp, "start a blob upload", err);
  *location = vzt_reg_absolute(reg, loc);
  return 0;
}

/* PUT (closing the session with the digest) or PATCH (one chunk) of body to location. */
static int upload_send(struct vzt_reg *reg, char **location, const char *method, const char *digest,
                       struct vzt_reg_body *body, struct vzt_error **err)
{
  _cleanup_free_ char *url = digest ? vzt_strdupf("%s%cdigest=%s", *location, strchr(*location, '?') ? '&' : '?', digest)
                                    : vzt_strdup(*location);
  _cleanup_free_ char *range = vzt_strdupf("Content-Range: %" PRIu64 "-%" PRIu64, body->off,
                                           body->off + body->n - (body->n ? 1 : 0));
  const char *headers[] = {"Content-Type: application/octet-stream", !digest ? range : NULL, NULL};
  struct vzt_reg_req rq = {.method = method, .url = url, .headers = headers, .body = body};
  _cleanup_resp_ struct vzt_reg_resp resp = {0};
  if (vzt_reg_request(reg, &rq, &resp, err) < 0)
    return -1;
  if (resp.status != (digest ? 201 : 202))
    return vzt_reg_http_error(reg, &resp, digest ? "finish a blob upload" : "upload a blob chunk", err);
  if (!digest) {
    _cleanup_free_ char *loc = vzt_reg_resp_header(&resp, "Location");
    if (!loc)
      return vzt_fail(err, "registry %s: a chunk upload answered without the next Location", reg->host);
    free(*location);
    *location = vzt_reg_absolute(reg, loc);
  }
  return 0;
}

static int put_body(struct vzt_reg *reg, const char *digest, int fd, const char *mem, uint64_t size,
                    struct vzt_error **err)
{
  _cleanup_free_ char *location = NULL;
  if (upload_start(reg, &location, err) < 0)
    return -1;
  if (size < VZT_REG_CHUNK) {
    struct vzt_reg_body b = {.mem = mem, .fd = fd, .n = size};
    return upload_send(reg, &location, "PUT", digest, &b, err);
  }
  /* Large blobs go in chunks: a proxy's body limit or a dropped connection costs one chunk. */
  for (uint64_t off = 0; off < size; off += VZT_REG_CHUNK) {
    struct vzt_reg_body b = {.mem = mem, .fd = fd, .off = off,
                             .n = size - off < VZT_REG_CHUNK ? size - off : VZT_REG_CHUNK};
    if (upload_send(reg, &location, "PATCH", NULL, &b, err) < 0)
      return -1;
  }
  struct vzt_reg_body end = {.fd = -1};
  return upload_send(reg, &location, "PUT", digest, &end, err);
}

int vzt_reg_blob_put_file(struct vzt_reg *reg, const char *digest, const char *path, struct vzt_error **err)
{
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0)
    return vzt_fail_errno(err, errno, "cannot open %s", path);
  if (put_body(reg, digest, fd, NULL, (uint64_t) st.st_size, err) < 0)
    return vzt_error_prefix(err, "uploading %s", path);
  return 0;
}

int vzt_reg_blob_put_mem(struct vzt_reg *reg, const char *digest, const void *data, size_t len,
                         struct vzt_error **err)
{
  return put_body(reg, digest, -1, data, len, err);
}

static int check_digest(struct vzt_reg *reg, const char *digest, struct vzt_digest *dg, uint64_t got,
                        uint64_t size, struct vzt_error **err)
{
  char hex[VZT_DIGEST_HEX_MAX];
  vzt_digest_finish(dg, hex);
  if (size && got != size)
    return vzt_refuse(err, "registry %s: blob %s has %" PRIu64 " bytes, its manifest says %" PRIu64, reg->host,
                      digest, got, size);
  if (strcmp(hex, digest + 7))
    return vzt_refuse(err, "registry %s: blob %s arrived with sha256 %s: it was changed or corrupted in the "
                           "registry (refusing it)", reg->host, digest, hex);
  return 0;
}

int vzt_reg_blob_get_mem(struct vzt_reg *reg, const char *digest, size_t max, char **data, size_t *len,
                         struct vzt_error **err)
{
  _cleanup_free_ char *path = vzt_reg_path(reg, "blobs/%s", digest);
  _cleanup_buf_ struct vzt_buf buf = {0};
  struct vzt_reg_sink sink = {.buf = &buf, .max = max, .fd = -1, .dg = vzt_digest_new(VZT_DIGEST_SHA256)};
  struct vzt_reg_req rq = {.method = "GET", .url = path, .sink = &sink};
  _cleanup_resp_ struct vzt_reg_resp resp = {0};
  if (vzt_reg_request(reg, &rq, &resp, err) < 0 || resp.status != 200) {
    vzt_digest_free(sink.dg);
    return *err ? -1 : vzt_reg_http_error(reg, &resp, "GET blob", err);
  }
  if (check_digest(reg, digest, sink.dg, sink.got, 0, err) < 0)
    return -1;
  *len = buf.len;
  *data = vzt_buf_steal(&buf);
  return 0;
}

/* Hashes what an earlier run left in the .part: the download continues after it. */
static int part_resume(int fd, struct vzt_digest *dg, uint64_t *have)
{
  char b[1 << 16];
  ssize_t r;
  *have = 0;
  if (lseek(fd, 0, SEEK_SET) < 0)
    return -1;
  while ((r = read(fd, b, sizeof(b))) > 0) {
    vzt_digest_update(dg, b, (size_t) r);
    *have += (uint64_t) r;
  }
  return r < 0 ? -1 : 0;
}

static int get_into(struct vzt_reg *reg, const char *digest, uint64_t size, uint64_t max, int fd,
                    const char *part, struct vzt_error **err)
{
  _cleanup_free_ char *path = vzt_reg_path(reg, "blobs/%s", digest);
  for (int attempt = 0; attempt < 2; attempt++) {
    struct vzt_digest *dg = vzt_digest_new(VZT_DIGEST_SHA256);
    uint64_t have = 0;
    if (attempt == 0 && part_resume(fd, dg, &have) < 0) {
      vzt_digest_free(dg);
      return vzt_fail_errno(err, errno, "cannot read %s", part);
    }
    if (attempt > 0 && (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)) {
      vzt_digest_free(dg);
      return vzt_fail_errno(err, errno, "cannot truncate %s", part);
    }
    if (size && have == size) {
      if (check_digest(reg, digest, dg, have, size, err) == 0)
        return 0;
      vzt_error_free(err);
      continue;
    }
    if (have)
      vzt_info("Resuming %s at %.1f MiB", digest, have / 1048576.0);
    _cleanup_free_ char *range = have ? vzt_strdupf("%" PRIu64 "-", have) : NULL;
    struct vzt_reg_sink sink = {.fd = fd, .dg = dg, .got = have, .limit = size ? size : max};
    struct vzt_reg_req rq = {.method = "GET", .url = path, .sink = &sink, .range = range};
    _cleanup_resp_ struct vzt_reg_resp resp = {0};
    if (vzt_reg_request(reg, &rq, &resp, err) < 0) {
      vzt_digest_free(dg);
      return -1;
    }
    _cleanup_free_ char *cr = vzt_reg_resp_header(&resp, "Content-Range");
    bool resumed = resp.status == 206 && cr && strtoull(cr + strcspn(cr, "0123456789"), NULL, 10) == have;
    if (have && (resp.status == 200 || resp.status == 416 || (resp.status == 206 && !resumed))) {
      /* The registry would not continue where the .part stops: once more from the start. */
      vzt_digest_free(dg);
      continue;
    }
    if (resp.status != 200 && resp.status != 206) {
      vzt_digest_free(dg);
      return vzt_reg_http_error(reg, &resp, "GET blob", err);
    }
    if (check_digest(reg, digest, dg, sink.got, size, err) == 0)
      return 0;
    if (!have || (*err)->status != VZT_EXIT_REFUSED)
      return -1;
    /* The bytes kept from before were not this blob's: once more, whole. */
    vzt_info("%s: the partial download was not the start of this blob; fetching it whole", digest);
    vzt_error_free(err);
  }
  return vzt_fail(err, "registry %s: blob %s could not be resumed nor fetched again", reg->host, digest);
}

int vzt_reg_blob_get_file(struct vzt_reg *reg, const char *digest, uint64_t size, uint64_t max,
                          const char *dest, struct vzt_error **err)
{
  if (!vzt_reg_digest_valid(digest))
    return vzt_refuse(err, "registry %s names a blob by '%s', not a sha256 digest", reg->host, digest);
  if (!size && !max)
    max = VZT_FETCH_UNSIZED_MAX; /* a blob of unknown size must not fill the disk */
  _cleanup_free_ char *part = vzt_strdupf("%s.part", dest);
  _cleanup_close_ int fd = -1;
  /* Two pulls of the same blob into one cache: the second waits for the
   * lock, and the .part it holds then may have been renamed or removed by
   * the first; it must not write into that. */
  for (;;) {
    struct stat a, b;
    fd = open(part, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
      return vzt_fail_errno(err, errno, "cannot open %s", part);
    if (flock(fd, LOCK_EX) < 0)
      return vzt_fail_errno(err, errno, "cannot lock %s", part);
    if (fstat(fd, &a) == 0 && stat(part, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
      break;
    close(steal_fd(&fd));
  }
  if (access(dest, F_OK) == 0) {
    unlink(part);
    return 0;
  }
  if (get_into(reg, digest, size, max, fd, part, err) < 0) {
    /* Known-bad bytes are not kept for a resume; an interrupted transfer is. */
    if ((*err)->status == VZT_EXIT_REFUSED)
      unlink(part);
    return -1;
  }
  if (fsync(fd) < 0 || rename(part, dest) < 0)
    return vzt_fail_errno(err, errno, "cannot move %s into place", part);
  return 0;
}
