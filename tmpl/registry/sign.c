/* Image signatures: a signed SHA256SUMS of the archive and manifest, pushed as an OCI artifact whose subject is the image. */
#include "config.h"
#include "tmpl/registry/registry-internal.h"
#include "fetch/gpg.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"

#include <string.h>

#define MEDIA_SUMS "text/plain; charset=utf-8"
#define MEDIA_SUMS_SIG "application/pgp-signature"

static const struct vzt_regart_kind signature = {VZT_REG_ARTIFACT_SIGNATURE, "sig", "signature"};

char *vzt_regsig_sums(const char *name, const char *archive_hex, const char *manifest_hex, const char *sbom_hex)
{
  if (sbom_hex)
    return vzt_strdupf("%s  %s.tar.zst\n%s  %s.json\n%s  %s.spdx.json\n", archive_hex, name, manifest_hex, name,
                       sbom_hex, name);
  return vzt_strdupf("%s  %s.tar.zst\n%s  %s.json\n", archive_hex, name, manifest_hex, name);
}

int vzt_regsig_push(struct vzt_reg *reg, const struct vzt_regdesc *image, const char *sums, const char *keyid,
                    const char *gpg_homedir, struct vzt_push_result *r, struct vzt_error **err)
{
  _cleanup_free_ char *sig = NULL, *fpr = NULL;
  size_t sig_len = 0;
  if (vzt_gpg_sign_detached(gpg_homedir, keyid, sums, strlen(sums), &sig, &sig_len, &fpr, err) < 0)
    return -1;
  const struct vzt_regart_layer layers[] = {{MEDIA_SUMS, sums, strlen(sums)}, {MEDIA_SUMS_SIG, sig, sig_len}};
  if (vzt_regart_push(reg, image, &signature, layers, 2, r, err) < 0)
    return -1;
  vzt_info("Signed %s with %s", image->digest, fpr);
  return 0;
}

int vzt_regsig_fetch(struct vzt_reg *reg, const char *image_digest, char **sums, size_t *sums_len, char **sig,
                     size_t *sig_len, struct vzt_error **err)
{
  struct vzt_regdesc l[2];
  int found = vzt_regart_find(reg, image_digest, &signature, l, 2, err);
  if (found < 0)
    return -1;
  if (!found)
    return vzt_refuse(err, "%s carries no vztmpl signature (no referrer, no tag sha256-%s.sig): refusing it; "
                           "push it with --sign KEYID, or pull without --keyring to trust the registry",
                      image_digest, image_digest + 7);
  if (vzt_reg_blob_get_mem(reg, l[0].digest, VZT_LIMIT_SUMS, sums, sums_len, err) < 0 ||
      vzt_reg_blob_get_mem(reg, l[1].digest, VZT_LIMIT_SUMS, sig, sig_len, err) < 0)
    return -1;
  return 0;
}
