/* What push, pull and their signatures share: OCI descriptors read from JSON, and the signature artifact. */
#pragma once
#include <json-c/json.h>
#include <stdint.h>
#include "tmpl/registry/registry.h"

/* The spec lets a registry refuse larger manifests; the JSON documents we read stop here. */
#define VZT_REG_DOC_MAX ((size_t) 4 << 20)

struct vzt_regdesc {
  const char *media_type; /* point into the JSON they were read from */
  char digest[VZT_REG_DIGEST_MAX];
  uint64_t size;
  const char *arch, *variant; /* platform, when given */
};

/* A descriptor ({mediaType, digest, size}); a digest that is not sha256 hex is refused (what names the document). */
int vzt_regdesc_parse(json_object *o, const char *what, struct vzt_regdesc *d, struct vzt_error **err);
/* A string member, or NULL. */
const char *vzt_regjson_str(json_object *o, const char *key);
void vzt_regjson_putp(json_object **o);
#define _cleanup_json_ __attribute__((cleanup(vzt_regjson_putp)))

/* artifact.c: OCI 1.1 artifacts whose subject is an image (signature, SBOM). */
struct vzt_regart_kind {
  const char *artifact_type;
  const char *suffix; /* of the fallback tag sha256-<hex>.<suffix> */
  const char *kind;   /* what push reports and messages call it */
};
struct vzt_regart_layer {
  const char *media_type;
  const char *data;
  size_t len;
};
/* Pushes the n layers and an artifact manifest of kind k whose subject is image (media type,
 * digest, size), also tagged sha256-<hex>.<suffix> when the registry has no referrers API. */
int vzt_regart_push(struct vzt_reg *reg, const struct vzt_regdesc *image, const struct vzt_regart_kind *k,
                    const struct vzt_regart_layer *layers, size_t n, struct vzt_push_result *r,
                    struct vzt_error **err);
/* Finds image's artifact of kind k with n layers (referrers API, else the fallback tag): 1 and
 * the layers' digests and sizes in layers; 0 when there is none; an artifact under the tag that
 * is not one of kind k about this image is a refusal. */
int vzt_regart_find(struct vzt_reg *reg, const char *image_digest, const struct vzt_regart_kind *k,
                    struct vzt_regdesc *layers, size_t n, struct vzt_error **err);

/* The SHA256SUMS an image's signature signs: the archive, the manifest and (sbom_hex not NULL)
 * the SBOM under their cache names. */
char *vzt_regsig_sums(const char *name, const char *archive_hex, const char *manifest_hex, const char *sbom_hex);
/* Signs that list with keyid and pushes it as an artifact whose subject is the image manifest
 * (image, of size), tagged sha256-<hex>.sig when the registry has no referrers API. */
int vzt_regsig_push(struct vzt_reg *reg, const struct vzt_regdesc *image, const char *sums, const char *keyid,
                    const char *gpg_homedir, struct vzt_push_result *r, struct vzt_error **err);
/* Finds the signature artifact of image (referrers API, else the .sig tag) and fetches its list
 * and signature; no artifact is a refusal. */
int vzt_regsig_fetch(struct vzt_reg *reg, const char *image_digest, char **sums, size_t *sums_len, char **sig,
                     size_t *sig_len, struct vzt_error **err);

/* sbom.c: the SBOM artifact. Its largest accepted size: a template of thousands of packages is
 * a few MiB of SPDX. */
#define VZT_REG_SBOM_MAX ((size_t) 64 << 20)
/* The current SBOM of the cached template name whose archive is layer_digest ("sha256:<hex>"),
 * written again from the cached manifest and archive when the cache has none: 1 and its text in
 * *json; 0 (said as a notice) when the cache has no build of name with that archive. */
int vzt_regsbom_for(struct vzt_cache *cache, const char *name, const char *layer_digest, char **json,
                    struct vzt_error **err);
/* Pushes json as the SBOM artifact of image. */
int vzt_regsbom_push(struct vzt_reg *reg, const struct vzt_regdesc *image, const char *json,
                     struct vzt_push_result *r, struct vzt_error **err);
/* The SBOM artifact of image, its blob digest checked and its size bounded: 1 with its text and
 * digest; 0 when the image has none. */
int vzt_regsbom_fetch(struct vzt_reg *reg, const char *image_digest, char **json, size_t *len,
                      char digest[VZT_REG_DIGEST_MAX], struct vzt_error **err);

/* pull.c: of an image index (text, NUL-terminated; what names it in messages), the
 * image for arch, any spelling vztmpl knows (and its variant when the index names one).
 * Only out's digest and size outlive the call (its strings pointed into the index). */
int vzt_regpull_pick_platform(const char *text, const char *what, const char *arch, struct vzt_regdesc *out,
                              struct vzt_error **err);

/* push.c: records and prints what happened to one blob or manifest. */
void vzt_push_note(struct vzt_push_result *r, const char *digest, uint64_t size, const char *kind,
                   const char *action);
