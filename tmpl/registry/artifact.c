/* OCI 1.1 artifacts that refer to an image (signature, SBOM): pushed with a subject, found through the referrers API or a fallback tag. */
#include "config.h"
#include "tmpl/registry/registry-internal.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/strutil.h"

#include <string.h>

#define MEDIA_EMPTY "application/vnd.oci.empty.v1+json"

static json_object *descriptor(const char *media, const char *digest, uint64_t size)
{
  json_object *d = json_object_new_object();
  json_object_object_add(d, "mediaType", json_object_new_string(media));
  json_object_object_add(d, "digest", json_object_new_string(digest));
  json_object_object_add(d, "size", json_object_new_int64((int64_t) size));
  return d;
}

static int put_small(struct vzt_reg *reg, const char *data, size_t len, char digest[VZT_REG_DIGEST_MAX],
                     struct vzt_push_result *r, struct vzt_error **err)
{
  vzt_reg_digest_of(data, len, digest);
  bool there = false;
  if (vzt_reg_blob_exists(reg, digest, &there, err) < 0)
    return -1;
  if (!there && vzt_reg_blob_put_mem(reg, digest, data, len, err) < 0)
    return -1;
  vzt_push_note(r, digest, len, "blob", there ? "skipped" : "uploaded");
  return 0;
}

/* Where a registry without the referrers API keeps an image's artifact, as cosign does. */
static char *fallback_tag(const char *image_digest, const char *suffix)
{
  return vzt_strdupf("sha256-%s.%s", image_digest + 7, suffix);
}

int vzt_regart_push(struct vzt_reg *reg, const struct vzt_regdesc *image, const struct vzt_regart_kind *k,
                    const struct vzt_regart_layer *layers, size_t n, struct vzt_push_result *r,
                    struct vzt_error **err)
{
  char empty[VZT_REG_DIGEST_MAX];
  if (put_small(reg, "{}", 2, empty, r, err) < 0)
    return -1;
  json_object *ls = json_object_new_array();
  _cleanup_json_ json_object *m = json_object_new_object();
  json_object_object_add(m, "schemaVersion", json_object_new_int(2));
  json_object_object_add(m, "mediaType", json_object_new_string(VZT_REG_MEDIA_OCI_MANIFEST));
  json_object_object_add(m, "artifactType", json_object_new_string(k->artifact_type));
  json_object_object_add(m, "config", descriptor(MEDIA_EMPTY, empty, 2));
  json_object_object_add(m, "layers", ls);
  for (size_t i = 0; i < n; i++) {
    char d[VZT_REG_DIGEST_MAX];
    if (put_small(reg, layers[i].data, layers[i].len, d, r, err) < 0)
      return -1;
    json_object_array_add(ls, descriptor(layers[i].media_type, d, layers[i].len));
  }
  json_object_object_add(m, "subject", descriptor(image->media_type, image->digest, image->size));
  const char *text = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  char digest[VZT_REG_DIGEST_MAX];
  vzt_reg_digest_of(text, strlen(text), digest);
  if (vzt_reg_manifest_put(reg, digest, VZT_REG_MEDIA_OCI_MANIFEST, text, strlen(text), NULL, err) < 0)
    return -1;
  vzt_push_note(r, digest, strlen(text), k->kind, "put");
  _cleanup_free_ char *refs = NULL;
  size_t refs_len;
  bool supported = false;
  if (vzt_reg_referrers(reg, image->digest, &refs, &refs_len, &supported, err) < 0)
    return -1;
  if (!supported) {
    _cleanup_free_ char *tag = fallback_tag(image->digest, k->suffix);
    if (vzt_reg_manifest_put(reg, tag, VZT_REG_MEDIA_OCI_MANIFEST, text, strlen(text), NULL, err) < 0)
      return -1;
    vzt_info("The registry has no referrers API: the %s is also tagged %s", k->kind, tag);
  }
  return 0;
}

/* The artifact's manifest: of kind k, about this image, with n layers (their descriptors into out). */
static int read_artifact(struct vzt_reg *reg, const char *digest, const char *image_digest,
                         const struct vzt_regart_kind *k, struct vzt_regdesc *out, size_t n, struct vzt_error **err)
{
  _cleanup_free_ char *text = NULL;
  size_t len;
  if (vzt_reg_manifest_get(reg, digest, &text, &len, NULL, NULL, NULL, err) < 0)
    return -1;
  _cleanup_json_ json_object *m = json_tokener_parse(text);
  json_object *subject = NULL, *layers = NULL;
  const char *at = vzt_regjson_str(m, "artifactType");
  struct vzt_regdesc s;
  bool ok = m && at && !strcmp(at, k->artifact_type) && json_object_object_get_ex(m, "subject", &subject) &&
            vzt_regdesc_parse(subject, digest, &s, err) == 0 && !strcmp(s.digest, image_digest) &&
            json_object_object_get_ex(m, "layers", &layers) && json_object_is_type(layers, json_type_array) &&
            json_object_array_length(layers) == n;
  for (size_t i = 0; ok && i < n; i++) {
    ok = vzt_regdesc_parse(json_object_array_get_idx(layers, i), digest, &out[i], err) == 0;
    out[i].media_type = out[i].arch = out[i].variant = NULL; /* they pointed into m */
  }
  if (!ok) {
    vzt_error_free(err);
    return vzt_refuse(err, "%s is not a vztmpl %s of %s", digest, k->kind, image_digest);
  }
  return 0;
}

int vzt_regart_find(struct vzt_reg *reg, const char *image_digest, const struct vzt_regart_kind *k,
                    struct vzt_regdesc *layers, size_t n, struct vzt_error **err)
{
  _cleanup_free_ char *refs = NULL;
  size_t refs_len;
  bool supported = false;
  if (vzt_reg_referrers(reg, image_digest, &refs, &refs_len, &supported, err) < 0)
    return -1;
  if (supported) {
    _cleanup_json_ json_object *ix = json_tokener_parse(refs);
    json_object *ms = NULL;
    if (ix && json_object_object_get_ex(ix, "manifests", &ms) && json_object_is_type(ms, json_type_array))
      for (size_t i = 0; i < json_object_array_length(ms); i++) {
        json_object *e = json_object_array_get_idx(ms, i);
        const char *at = vzt_regjson_str(e, "artifactType");
        struct vzt_regdesc d;
        if (!at || strcmp(at, k->artifact_type) || vzt_regdesc_parse(e, "referrers", &d, err) < 0) {
          vzt_error_free(err);
          continue;
        }
        if (read_artifact(reg, d.digest, image_digest, k, layers, n, err) == 0)
          return 1;
        vzt_error_free(err);
      }
  }
  _cleanup_free_ char *tag = fallback_tag(image_digest, k->suffix);
  _cleanup_free_ char *text = NULL;
  size_t len;
  bool missing = false;
  char digest[VZT_REG_DIGEST_MAX];
  if (vzt_reg_manifest_get(reg, tag, &text, &len, NULL, digest, &missing, err) < 0) {
    if (!missing)
      return -1;
    vzt_error_free(err);
    return 0;
  }
  return read_artifact(reg, digest, image_digest, k, layers, n, err) < 0 ? -1 : 1;
}
