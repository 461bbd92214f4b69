/* Registry manifests: PUT and GET by tag or digest with the media types of OCI and Docker v2, and the referrers API. */
#include "config.h"
#include "fetch/registry/registry-internal.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

#include <stdio.h>
#include <string.h>

/* The spec lets registries refuse manifests above 4 MiB; none of ours comes near. */
#define MANIFEST_MAX ((size_t) 4 << 20)

static void resp_clearp(struct vzt_reg_resp *r) { vzt_reg_resp_clear(r); }
#define _cleanup_resp_ __attribute__((cleanup(resp_clearp)))

int vzt_reg_manifest_put(struct vzt_reg *reg, const char *reference, const char *media_type, const char *data,
                         size_t len, char digest_out[VZT_REG_DIGEST_MAX], struct vzt_error **err)
{
  _cleanup_free_ char *path = vzt_reg_path(reg, "manifests/%s", reference);
  _cleanup_free_ char *ct = vzt_strdupf("Content-Type: %s", media_type);
  const char *headers[] = {ct, NULL};
  struct vzt_reg_body body = {.mem = data, .fd = -1, .n = len};
  struct vzt_reg_req rq = {.method = "PUT", .url = path, .headers = headers, .body = &body};
  _cleanup_resp_ struct vzt_reg_resp resp = {0};
  if (vzt_reg_request(reg, &rq, &resp, err) < 0)
    return -1;
  if (resp.status != 201)
    return vzt_reg_http_error(reg, &resp, "PUT manifest", err);
  if (digest_out)
    vzt_reg_digest_of(data, len, digest_out);
  return 0;
}

int vzt_reg_manifest_get(struct vzt_reg *reg, const char *reference, char **data, size_t *len,
                         char **media_type_out, char digest_out[VZT_REG_DIGEST_MAX], bool *missing,
                         struct vzt_error **err)
{
  if (missing)
    *missing = false;
  _cleanup_free_ char *path = vzt_reg_path(reg, "manifests/%s", reference);
  const char *headers[] = {"Accept: " VZT_REG_MEDIA_OCI_MANIFEST ", " VZT_REG_MEDIA_OCI_INDEX
                           ", " VZT_REG_MEDIA_DOCKER_MANIFEST ", " VZT_REG_MEDIA_DOCKER_LIST,
                           NULL};
  _cleanup_buf_ struct vzt_buf buf = {0};
  struct vzt_reg_sink sink = {.buf = &buf, .max = MANIFEST_MAX, .fd = -1};
  struct vzt_reg_req rq = {.method = "GET", .url = path, .headers = headers, .sink = &sink};
  _cleanup_resp_ struct vzt_reg_resp resp = {0};
  if (vzt_reg_request(reg, &rq, &resp, err) < 0)
    return -1;
  if (resp.status == 404 && missing) {
    *missing = true;
    return -1;
  }
  if (resp.status == 404)
    return vzt_fail(err, "registry %s has no %s:%s (is the tag right? it may not be pushed yet)", reg->host,
                    reg->repo, reference);
  if (resp.status != 200)
    return vzt_reg_http_error(reg, &resp, "GET manifest", err);
  char got[VZT_REG_DIGEST_MAX];
  vzt_reg_digest_of(buf.data ? buf.data : "", buf.len, got);
  if (vzt_startswith(reference, "sha256:") && strcmp(got, reference))
    return vzt_refuse(err, "registry %s: manifest %s arrived with digest %s: refusing it", reg->host, reference, got);
  if (digest_out)
    memcpy(digest_out, got, VZT_REG_DIGEST_MAX);
  if (media_type_out) {
    char *ct = vzt_reg_resp_header(&resp, "Content-Type");
    if (ct)
      ct[strcspn(ct, ";")] = 0;
    *media_type_out = ct;
  }
  *len = buf.len;
  *data = vzt_buf_steal(&buf);
  return 0;
}

int vzt_reg_referrers(struct vzt_reg *reg, const char *digest, char **data, size_t *len, bool *supported,
                      struct vzt_error **err)
{
  *data = NULL;
  *len = 0;
  _cleanup_free_ char *path = vzt_reg_path(reg, "referrers/%s", digest);
  _cleanup_buf_ struct vzt_buf buf = {0};
  struct vzt_reg_sink sink = {.buf = &buf, .max = MANIFEST_MAX, .fd = -1};
  struct vzt_reg_req rq = {.method = "GET", .url = path, .sink = &sink};
  _cleanup_resp_ struct vzt_reg_resp resp = {0};
  if (vzt_reg_request(reg, &rq, &resp, err) < 0)
    return -1;
  _cleanup_free_ char *ct = vzt_reg_resp_header(&resp, "Content-Type");
  /* Registries before OCI 1.1 answer 404 (or route it nowhere): no API, not an error. */
  *supported = resp.status == 200 && ct && vzt_startswith(ct, VZT_REG_MEDIA_OCI_INDEX);
  if (*supported) {
    *len = buf.len;
    *data = vzt_buf_steal(&buf);
  }
  return 0;
}
