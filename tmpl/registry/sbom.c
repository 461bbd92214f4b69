/* A template's SPDX SBOM on a registry: an artifact that refers to the image, attached by push and fetched by pull. */
#include "config.h"
#include "tmpl/registry/registry-internal.h"
#include "tmpl/manifest.h"
#include "tmpl/sbom/spdx.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/strutil.h"

#include <inttypes.h>
#include <string.h>
#include <strings.h>

static const struct vzt_regart_kind sbom = {VZT_REG_ARTIFACT_SBOM, "sbom", "sbom"};

int vzt_regsbom_for(struct vzt_cache *cache, const char *name, const char *layer_digest, char **json,
                    struct vzt_error **err)
{
  *json = NULL;
  _cleanup_free_ char *rel = vzt_strdupf("templates/%s.json", name);
  _cleanup_free_ char *mpath = vzt_cache_path(cache, rel);
  _cleanup_free_ char *spath = vzt_sbom_path(mpath);
  struct vzt_manifest m = {0};
  struct vzt_error *e2 = NULL;
  if (vzt_manifest_load(mpath, &m, &e2) < 0 || !m.archive_sha256 || strcasecmp(m.archive_sha256, layer_digest + 7)) {
    vzt_error_free(&e2);
    vzt_manifest_clear(&m);
    vzt_info("%s: the cache holds no build of %s with this archive: no SBOM attached", layer_digest, name);
    return 0;
  }
  int ret = 1;
  if (!vzt_sbom_read_current(spath, &m, json)) {
    /* A template built by a vztmpl that wrote none, or rebuilt since: the SBOM is a function of the
     * manifest and the archive, so it can be written again. */
    _cleanup_free_ char *archive = vzt_strdupf("%.*s.tar.zst", (int) (strlen(mpath) - strlen(".json")), mpath);
    vzt_info("%s has no SBOM of this build: writing it again", name);
    ret = vzt_sbom_spdx(&m, archive, json, err) < 0 ? -1 : 1;
  }
  vzt_manifest_clear(&m);
  return ret;
}

int vzt_regsbom_push(struct vzt_reg *reg, const struct vzt_regdesc *image, const char *json,
                     struct vzt_push_result *r, struct vzt_error **err)
{
  const struct vzt_regart_layer layer = {VZT_REG_ARTIFACT_SBOM, json, strlen(json)};
  if (vzt_regart_push(reg, image, &sbom, &layer, 1, r, err) < 0)
    return -1;
  vzt_info("Attached the SBOM (%zu bytes) to %s", strlen(json), image->digest);
  return 0;
}

int vzt_regsbom_fetch(struct vzt_reg *reg, const char *image_digest, char **json, size_t *len,
                      char digest[VZT_REG_DIGEST_MAX], struct vzt_error **err)
{
  struct vzt_regdesc l;
  int found = vzt_regart_find(reg, image_digest, &sbom, &l, 1, err);
  if (found <= 0)
    return found;
  if (l.size > VZT_REG_SBOM_MAX)
    return vzt_refuse(err, "the SBOM of %s declares %" PRIu64 " bytes, more than vztmpl reads (%zu MiB): refusing it",
                      image_digest, l.size, VZT_REG_SBOM_MAX >> 20);
  if (vzt_reg_blob_get_mem(reg, l.digest, VZT_REG_SBOM_MAX, json, len, err) < 0)
    return -1;
  strcpy(digest, l.digest);
  return 1;
}
