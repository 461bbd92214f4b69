/* vztmpl pull: an image from a registry into the cache, its platform picked, every blob and the template checked first. */
#include "config.h"
#include "tmpl/registry/registry-internal.h"
#include "tmpl/arch.h"
#include "tmpl/manifest.h"
#include "tmpl/publish/download.h"
#include "tmpl/publish/sums.h"
#include "tmpl/sbom/spdx.h"
#include "lib/alloc.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define DOWNLOADS_DIR "tmp/downloads"

/* OCI spells architectures as Go does: Debian's names but for these. */
static const char *go_arch(const char *name, const char **variant)
{
  *variant = NULL;
  const struct vzt_arch *a = vzt_arch_lookup(name);
  const char *deb = a ? a->deb : name;
  if (!strcmp(deb, "i386"))
    return "386";
  if (!strcmp(deb, "ppc64el"))
    return "ppc64le";
  if (!strcmp(deb, "armhf")) {
    *variant = "v7";
    return "arm";
  }
  return deb;
}

static bool is_index(const char *media) {
  return media && (!strcmp(media, VZT_REG_MEDIA_OCI_INDEX) || !strcmp(media, VZT_REG_MEDIA_DOCKER_LIST));
}

int vzt_regpull_pick_platform(const char *text, const char *what, const char *arch, struct vzt_regdesc *out,
                              struct vzt_error **err)
{
  const char *variant;
  const char *want = go_arch(arch, &variant);
  _cleanup_json_ json_object *ix = json_tokener_parse(text);
  json_object *ms = NULL;
  if (!ix || !json_object_object_get_ex(ix, "manifests", &ms) || !json_object_is_type(ms, json_type_array))
    return vzt_refuse(err, "%s: the index lists no manifests", what);
  _cleanup_strv_ char **have = vzt_calloc(1, sizeof(char *));
  for (size_t i = 0; i < json_object_array_length(ms); i++) {
    struct vzt_regdesc d;
    if (vzt_regdesc_parse(json_object_array_get_idx(ms, i), what, &d, err) < 0)
      return -1;
    if (!d.arch)
      continue;
    if (!strcmp(d.arch, want) && (!variant || !d.variant || !strcmp(variant, d.variant))) {
      *out = d;
      return 0;
    }
    vzt_strv_push_take(&have, vzt_strdupf("%s%s%s", d.arch, d.variant ? "/" : "", d.variant ? d.variant : ""));
  }
  _cleanup_free_ char *list = vzt_strv_join(have, ", ");
  return vzt_usage_error(err, "%s has no image for %s (it has: %s); pick one with --arch", what, want,
                         *list ? list : "none");
}

struct image {
  char *text;
  size_t len;
  char digest[VZT_REG_DIGEST_MAX];
  struct vzt_regdesc config, layer;
  char vztmpl[VZT_REG_DIGEST_MAX];
};

static void image_clear(struct image *im) { free(im->text); }

/* The image manifest the reference names (through an index: the platform's). */
static int resolve(struct vzt_reg *reg, const struct vzt_reg_ref *ref, const char *arch, struct image *im,
                   struct vzt_error **err)
{
  _cleanup_free_ char *media = NULL, *shown = vzt_reg_ref_format(ref);
  if (vzt_reg_manifest_get(reg, vzt_reg_ref_reference(ref), &im->text, &im->len, &media, im->digest, NULL, err) < 0)
    return -1;
  _cleanup_json_ json_object *probe = json_tokener_parse(im->text);
  const char *inner = vzt_regjson_str(probe, "mediaType");
  if (is_index(media) || is_index(inner)) {
    struct vzt_regdesc d;
    if (vzt_regpull_pick_platform(im->text, shown, arch, &d, err) < 0)
      return -1;
    free(im->text);
    im->text = NULL;
    free(media);
    media = NULL;
    if (vzt_reg_manifest_get(reg, d.digest, &im->text, &im->len, &media, im->digest, NULL, err) < 0)
      return -1;
  }
  _cleanup_json_ json_object *m = json_tokener_parse(im->text);
  json_object *config = NULL, *layers = NULL, *an = NULL;
  if (!m || !json_object_object_get_ex(m, "config", &config) || !json_object_object_get_ex(m, "layers", &layers) ||
      !json_object_is_type(layers, json_type_array))
    return vzt_refuse(err, "%s: %s is not an image manifest", shown, im->digest);
  json_object_object_get_ex(m, "annotations", &an);
  const char *v = vzt_regjson_str(an, VZT_REG_ANNOT_VZTMPL);
  if (!v || json_object_array_length(layers) != 1)
    return vzt_refuse(err, "%s is not a vztmpl template image (it needs one layer and the %s annotation): "
                           "push templates with vztmpl push", shown, VZT_REG_ANNOT_VZTMPL);
  if (!vzt_reg_digest_valid(v))
    return vzt_refuse(err, "%s: the %s annotation '%s' is not a sha256 digest", shown, VZT_REG_ANNOT_VZTMPL, v);
  strcpy(im->vztmpl, v);
  if (vzt_regdesc_parse(config, shown, &im->config, err) < 0 ||
      vzt_regdesc_parse(json_object_array_get_idx(layers, 0), shown, &im->layer, err) < 0)
    return -1;
  /* The template archive is zstd; a layer recompressed as gzip is not its bytes. */
  if (im->layer.media_type && !vzt_endswith(im->layer.media_type, "+zstd"))
    return vzt_fail(err, "%s: the layer is %s, not the template archive's own zstd bytes: vztmpl pulls "
                         "images whose layer is the archive (export --format oci without --layer gzip)",
                    shown, im->layer.media_type);
  im->config.media_type = im->layer.media_type = NULL; /* they pointed into m */
  return 0;
}

/* The vztmpl manifest must vouch for exactly the layer: name, archive file, sha256, size. */
static int check_manifest(const struct vzt_manifest *m, const struct image *im, const char *shown,
                          struct vzt_error **err)
{
  _cleanup_free_ char *want = vzt_strdupf("%s.tar.zst", m->name ? m->name : "");
  if (!m->name || !*m->name || strchr(m->name, '/') || m->name[0] == '.')
    return vzt_refuse(err, "%s: the vztmpl manifest names no usable template", shown);
  if (!m->archive_file || strcmp(m->archive_file, want) || !m->archive_sha256 || !im->layer.size ||
      strcasecmp(m->archive_sha256, im->layer.digest + 7) || (m->archive_size && m->archive_size != im->layer.size))
    return vzt_refuse(err, "%s: the vztmpl manifest does not vouch for the layer (archive %s, sha256 %s, %" PRIu64
                           " bytes; the layer is %s, %" PRIu64 " bytes)",
                      shown, m->archive_file ? m->archive_file : "none", m->archive_sha256 ? m->archive_sha256 : "none",
                      m->archive_size, im->layer.digest, im->layer.size);
  return 0;
}

/* With a keyring: a good signature whose list names the archive and the manifest by these hashes
 * (and the SBOM, when sbom_digest names one). */
static int check_signature(struct vzt_reg *reg, const struct image *im, const char *name, const char *keyring,
                           const char *sbom_digest, char **sums, size_t *sums_len, char **sig, size_t *sig_len,
                           char **fpr, struct vzt_error **err)
{
  if (vzt_regsig_fetch(reg, im->digest, sums, sums_len, sig, sig_len, err) < 0)
    return -1;
  _cleanup_free_ char *what = vzt_strdupf("the signature of %s", im->digest);
  struct vzt_sums list = {0};
  if (vzt_sums_verify(keyring, *sums, *sums_len, *sig, *sig_len, what, &list, fpr, err) < 0)
    return -1;
  _cleanup_free_ char *an = vzt_strdupf("%s.tar.zst", name), *mn = vzt_strdupf("%s.json", name);
  const struct vzt_sums_entry *a = vzt_sums_find(&list, an), *m = vzt_sums_find(&list, mn);
  bool ok = a && m && !strcasecmp(a->sha256, im->layer.digest + 7) && !strcasecmp(m->sha256, im->vztmpl + 7);
  _cleanup_free_ char *sn = vzt_strdupf("%s.spdx.json", name);
  const struct vzt_sums_entry *s = vzt_sums_find(&list, sn);
  bool sbom_ok = !sbom_digest || (s && !strcasecmp(s->sha256, sbom_digest + 7));
  vzt_sums_clear(&list);
  if (!ok)
    return vzt_refuse(err, "%s is good but does not list %s with sha256 %s and its manifest: refusing the image",
                      what, an, im->layer.digest + 7);
  /* An SBOM beside a signed template would be taken for signed too. */
  if (!sbom_ok)
    return vzt_refuse(err, "%s does not list the image's SBOM %s with sha256 %s: refusing an unsigned SBOM "
                           "beside a signed template; push again with --sign so that the list names it",
                      what, sn, sbom_digest + 7);
  vzt_info("%s: good, by %s", what, *fpr);
  return 0;
}

/* The image's SBOM artifact, when it has one, into sdest: it must describe the archive pulled. */
static int fetch_sbom(struct vzt_reg *reg, const struct image *im, const struct vzt_manifest *m, const char *ddir,
                      char **sdest, char digest[VZT_REG_DIGEST_MAX], struct vzt_error **err)
{
  _cleanup_free_ char *text = NULL, *current = NULL;
  size_t len;
  int found = vzt_regsbom_fetch(reg, im->digest, &text, &len, digest, err);
  if (found <= 0)
    return found;
  *sdest = vzt_strdupf("%s/%s.spdx.json", ddir, digest + 7);
  if (vzt_write_file_atomic(AT_FDCWD, *sdest, text, len, 0644, err) < 0)
    return -1;
  if (vzt_sbom_read_current(*sdest, m, &current) != 1)
    return vzt_refuse(err, "the SBOM %s of %s does not describe the archive sha256 %s (its documentNamespace "
                           "names another): refusing it; push the template again",
                      digest, im->digest, im->layer.digest + 7);
  vzt_info("SBOM %s (%.1f KiB) describes the archive", digest, len / 1024.0);
  return 1;
}

int vzt_pull(struct vzt_cache *cache, struct vzt_reg *reg, const struct vzt_reg_ref *ref,
             const struct vzt_pull_opts *o, struct vzt_pull_result *r, struct vzt_error **err)
{
  memset(r, 0, sizeof(*r));
  if (o->keyring && access(o->keyring, R_OK) < 0)
    return vzt_fail_errno(err, errno, "cannot read the keyring %s", o->keyring);
  const char *arch = o->arch ? o->arch : vzt_arch_host()->canonical;
  _cleanup_free_ char *shown = vzt_reg_ref_format(ref);
  __attribute__((cleanup(image_clear))) struct image im = {0};
  if (resolve(reg, ref, arch, &im, err) < 0)
    return -1;
  vzt_info("%s: image %s, layer %s (%.1f MiB)", shown, im.digest, im.layer.digest, im.layer.size / 1048576.0);

  /* Named by their digests: a .part left by a killed pull can only belong to these bytes. */
  _cleanup_free_ char *ddir = vzt_cache_path(cache, DOWNLOADS_DIR);
  if (vzt_mkdir_p(ddir, 0755, err) < 0)
    return -1;
  /* Pulls of one image into one cache take turns: each renames the same
   * downloads into templates/, which only one of them may find there. */
  _cleanup_free_ char *lock = vzt_strdupf("%s/%s.lock", ddir, im.digest + 7);
  _cleanup_close_ int lockfd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0)
    return vzt_fail_errno(err, errno, "cannot lock %s", lock);
  _cleanup_free_ char *mtext = NULL, *cfg = NULL;
  size_t mlen, clen;
  if (vzt_reg_blob_get_mem(reg, im.vztmpl, VZT_LIMIT_MANIFEST, &mtext, &mlen, err) < 0 ||
      vzt_reg_blob_get_mem(reg, im.config.digest, VZT_REG_DOC_MAX, &cfg, &clen, err) < 0)
    return -1;
  _cleanup_free_ char *mdest = vzt_strdupf("%s/%s.json", ddir, im.vztmpl + 7);
  _cleanup_free_ char *adest = vzt_strdupf("%s/%s.tar.zst", ddir, im.layer.digest + 7);
  if (vzt_write_file_atomic(AT_FDCWD, mdest, mtext, mlen, 0644, err) < 0)
    return -1;
  struct vzt_manifest m = {0};
  _cleanup_free_ char *sums = NULL, *sig = NULL, *sdest = NULL;
  size_t sums_len = 0, sig_len = 0;
  char sdigest[VZT_REG_DIGEST_MAX];
  int ret = -1, have_sbom = 0;
  if (vzt_manifest_load(mdest, &m, err) < 0)
    goto out;
  if (check_manifest(&m, &im, shown, err) < 0)
    goto out;
  if ((have_sbom = fetch_sbom(reg, &im, &m, ddir, &sdest, sdigest, err)) < 0)
    goto out;
  if (o->keyring && check_signature(reg, &im, m.name, o->keyring, have_sbom ? sdigest : NULL, &sums, &sums_len,
                                    &sig, &sig_len, &r->fingerprint, err) < 0)
    goto out;
  if (vzt_reg_blob_get_file(reg, im.layer.digest, im.layer.size, 0, adest, err) < 0) {
    vzt_error_prefix(err, "%s", shown);
    if ((*err)->status != VZT_EXIT_REFUSED) {
      vzt_download_discard(NULL, mdest, sdest); /* the .part stays for the next pull to resume */
      vzt_manifest_clear(&m);
      return -1;
    }
    goto out;
  }
  if (vzt_download_install(cache, m.name, adest, mdest, sdest, sums, sums_len, sig, sig_len, &r->manifest, err) < 0)
    goto out;
  if (sdest)
    r->sbom = vzt_sbom_path(r->manifest);
  r->name = vzt_strdup(m.name);
  strcpy(r->digest, im.digest);
  r->size = im.layer.size;
  ret = 0;
out:
  if (ret < 0)
    vzt_download_discard(adest, mdest, sdest);
  vzt_manifest_clear(&m);
  return ret;
}

void vzt_pull_result_clear(struct vzt_pull_result *r)
{
  free(r->name);
  free(r->manifest);
  free(r->fingerprint);
  free(r->sbom);
  memset(r, 0, sizeof(*r));
}
