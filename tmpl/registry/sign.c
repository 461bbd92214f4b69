/* Image signatures: a signed SHA256SUMS of the archive and manifest, pushed as an OCI artifact whose subject is the image. */
#include "config.h"
#include "tmpl/registry/registry-internal.h"
#include "fetch/gpg.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/json-out.h"
#include "lib/log.h"
#include "lib/strutil.h"

#include <string.h>

#define MEDIA_EMPTY "application/vnd.oci.empty.v1+json"
#define MEDIA_SUMS "text/plain; charset=utf-8"
#define MEDIA_SUMS_SIG "application/pgp-signature"

char *vzt_regsig_sums(const char *name, const char *archive_hex, const char *manifest_hex)
{
  return vzt_strdupf("%s  %s.tar.zst\n%s  %s.json\n", archive_hex, name, manifest_hex, name);
}

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

/* Where a registry without the referrers API keeps an image's signature, as cosign does. */
static char *sig_tag(const char *image_digest) { return vzt_strdupf("sha256-%s.sig", image_digest + 7); }

int vzt_regsig_push(struct vzt_reg *reg, const struct vzt_regdesc *image, const char *sums, const char *keyid,
                    const char *gpg_homedir, struct vzt_push_result *r, struct vzt_error **err)
{
  _cleanup_free_ char *sig = NULL, *fpr = NULL;
  size_t sig_len = 0;
  if (vzt_gpg_sign_detached(gpg_homedir, keyid, sums, strlen(sums), &sig, &sig_len, &fpr, err) < 0)
    return -1;
  char empty[VZT_REG_DIGEST_MAX], sd[VZT_REG_DIGEST_MAX], gd[VZT_REG_DIGEST_MAX];
  if (put_small(reg, "{}", 2, empty, r, err) < 0 || put_small(reg, sums, strlen(sums), sd, r, err) < 0 ||
      put_small(reg, sig, sig_len, gd, r, err) < 0)
    return -1;
  _cleanup_json_ json_object *m = json_object_new_object();
  json_object_object_add(m, "schemaVersion", json_object_new_int(2));
  json_object_object_add(m, "mediaType", json_object_new_string(VZT_REG_MEDIA_OCI_MANIFEST));
  json_object_object_add(m, "artifactType", json_object_new_string(VZT_REG_ARTIFACT_SIGNATURE));
  json_object_object_add(m, "config", descriptor(MEDIA_EMPTY, empty, 2));
  json_object *layers = json_object_new_array();
  json_object_array_add(layers, descriptor(MEDIA_SUMS, sd, strlen(sums)));
  json_object_array_add(layers, descriptor(MEDIA_SUMS_SIG, gd, sig_len));
  json_object_object_add(m, "layers", layers);
  json_object_object_add(m, "subject", descriptor(image->media_type, image->digest, image->size));
  const char *text = json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
  char digest[VZT_REG_DIGEST_MAX];
  vzt_reg_digest_of(text, strlen(text), digest);
  if (vzt_reg_manifest_put(reg, digest, VZT_REG_MEDIA_OCI_MANIFEST, text, strlen(text), NULL, err) < 0)
    return -1;
  vzt_push_note(r, digest, strlen(text), "signature", "put");
  vzt_info("Signed %s with %s", image->digest, fpr);
  _cleanup_free_ char *refs = NULL;
  size_t refs_len;
  bool supported = false;
  if (vzt_reg_referrers(reg, image->digest, &refs, &refs_len, &supported, err) < 0)
    return -1;
  if (!supported) {
    _cleanup_free_ char *tag = sig_tag(image->digest);
    if (vzt_reg_manifest_put(reg, tag, VZT_REG_MEDIA_OCI_MANIFEST, text, strlen(text), NULL, err) < 0)
      return -1;
    vzt_info("The registry has no referrers API: the signature is also tagged %s", tag);
  }
  return 0;
}

/* The artifact's manifest: the signature of this image, with its list and signature as layers. */
static int read_artifact(struct vzt_reg *reg, const char *digest, const char *image_digest, char **sums,
                         size_t *sums_len, char **sig, size_t *sig_len, struct vzt_error **err)
{
  _cleanup_free_ char *text = NULL;
  size_t len;
  if (vzt_reg_manifest_get(reg, digest, &text, &len, NULL, NULL, NULL, err) < 0)
    return -1;
  _cleanup_json_ json_object *m = json_tokener_parse(text);
  json_object *subject = NULL, *layers = NULL;
  const char *at = vzt_regjson_str(m, "artifactType");
  struct vzt_regdesc s, l0, l1;
  if (!m || !at || strcmp(at, VZT_REG_ARTIFACT_SIGNATURE) || !json_object_object_get_ex(m, "subject", &subject) ||
      vzt_regdesc_parse(subject, digest, &s, err) < 0 || strcmp(s.digest, image_digest) ||
      !json_object_object_get_ex(m, "layers", &layers) || !json_object_is_type(layers, json_type_array) ||
      json_object_array_length(layers) != 2 ||
      vzt_regdesc_parse(json_object_array_get_idx(layers, 0), digest, &l0, err) < 0 ||
      vzt_regdesc_parse(json_object_array_get_idx(layers, 1), digest, &l1, err) < 0) {
    vzt_error_free(err);
    return vzt_refuse(err, "%s is not a vztmpl signature of %s", digest, image_digest);
  }
  if (vzt_reg_blob_get_mem(reg, l0.digest, VZT_LIMIT_SUMS, sums, sums_len, err) < 0 ||
      vzt_reg_blob_get_mem(reg, l1.digest, VZT_LIMIT_SUMS, sig, sig_len, err) < 0)
    return -1;
  return 0;
}

int vzt_regsig_fetch(struct vzt_reg *reg, const char *image_digest, char **sums, size_t *sums_len, char **sig,
                     size_t *sig_len, struct vzt_error **err)
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
        if (!at || strcmp(at, VZT_REG_ARTIFACT_SIGNATURE) || vzt_regdesc_parse(e, "referrers", &d, err) < 0) {
          vzt_error_free(err);
          continue;
        }
        if (read_artifact(reg, d.digest, image_digest, sums, sums_len, sig, sig_len, err) == 0)
          return 0;
        vzt_error_free(err);
      }
  }
  _cleanup_free_ char *tag = sig_tag(image_digest);
  _cleanup_free_ char *text = NULL;
  size_t len;
  bool missing = false;
  char digest[VZT_REG_DIGEST_MAX];
  if (vzt_reg_manifest_get(reg, tag, &text, &len, NULL, digest, &missing, err) < 0) {
    if (missing)
      return vzt_refuse(err, "%s carries no vztmpl signature (no referrer, no tag %s): refusing it; push it "
                             "with --sign KEYID, or pull without --keyring to trust the registry", image_digest, tag);
    return -1;
  }
  return read_artifact(reg, digest, image_digest, sums, sums_len, sig, sig_len, err);
}
