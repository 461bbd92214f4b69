/* vztmpl push: an OCI image layout into a registry, blobs before the manifests that name them, the tag last. */
#include "config.h"
#include "tmpl/registry/registry-internal.h"
#include "lib/alloc.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct push {
  struct vzt_reg *reg;
  const struct vzt_push_opts *o;
  struct vzt_push_result *r;
  int dirfd; /* the layout */
};

void vzt_push_note(struct vzt_push_result *r, const char *digest, uint64_t size, const char *kind,
                   const char *action)
{
  r->items = vzt_reallocarray(r->items, r->n + 1, sizeof(*r->items));
  struct vzt_push_item *it = &r->items[r->n++];
  snprintf(it->digest, sizeof(it->digest), "%s", digest);
  it->size = size;
  it->kind = kind;
  it->action = action;
  vzt_info("%-9s %-8s %s (%.1f KiB)", kind, action, digest, size / 1024.0);
}

static char *blob_rel(const char *digest) { return vzt_strdupf("blobs/sha256/%s", digest + 7); }

/* A JSON document of the layout, checked against the digest that names it. */
static int read_doc(struct push *p, const char *digest, char **data, size_t *len, struct vzt_error **err)
{
  _cleanup_free_ char *rel = blob_rel(digest);
  if (vzt_read_fileat_max(p->dirfd, rel, VZT_REG_DOC_MAX, data, len, err) < 0)
    return vzt_error_prefix(err, "%s", p->o->layout);
  char got[VZT_REG_DIGEST_MAX];
  vzt_reg_digest_of(*data, *len, got);
  if (strcmp(got, digest)) {
    free(*data);
    *data = NULL;
    return vzt_refuse(err, "%s/%s has digest %s: the layout is damaged", p->o->layout, rel, got);
  }
  return 0;
}

static int push_blob(struct push *p, const struct vzt_regdesc *d, const char *kind, struct vzt_error **err)
{
  bool there = false;
  if (vzt_reg_blob_exists(p->reg, d->digest, &there, err) < 0)
    return -1;
  if (there) {
    vzt_push_note(p->r, d->digest, d->size, kind, "skipped");
    return 0;
  }
  if (p->o->mount_from) {
    bool mounted = false;
    if (vzt_reg_blob_mount(p->reg, d->digest, p->o->mount_from, &mounted, err) < 0)
      return -1;
    if (mounted) {
      vzt_push_note(p->r, d->digest, d->size, kind, "mounted");
      return 0;
    }
  }
  _cleanup_free_ char *rel = blob_rel(d->digest);
  _cleanup_free_ char *path = vzt_path_join(p->o->layout, rel);
  if (vzt_reg_blob_put_file(p->reg, d->digest, path, err) < 0)
    return -1;
  vzt_push_note(p->r, d->digest, d->size, kind, "uploaded");
  return 0;
}

/* The template's name, from the vztmpl manifest of the layout. */
static int template_name(struct push *p, const char *vztmpl_digest, char **name, struct vzt_error **err)
{
  _cleanup_free_ char *text = NULL;
  size_t len;
  if (read_doc(p, vztmpl_digest, &text, &len, err) < 0)
    return -1;
  _cleanup_json_ json_object *m = json_tokener_parse(text);
  const char *n = vzt_regjson_str(m, "name");
  if (!n || strchr(n, '/') || !*n || *n == '.')
    return vzt_fail(err, "%s: the vztmpl manifest %s names no template", p->o->layout, vztmpl_digest);
  *name = vzt_strdup(n);
  return 0;
}

/* What refers to a template image: its SBOM (from the cache, when pushing a template) and, with
 * --sign, the signed list of archive, manifest and that SBOM. */
static int attach(struct push *p, const struct vzt_regdesc *image, const struct vzt_regdesc *layer,
                  const char *vztmpl_digest, struct vzt_error **err)
{
  _cleanup_free_ char *name = NULL, *sbom = NULL, *sums = NULL;
  if (template_name(p, vztmpl_digest, &name, err) < 0)
    return -1;
  char sd[VZT_REG_DIGEST_MAX] = "";
  if (p->o->sboms) {
    int have = vzt_regsbom_for(p->o->sboms, name, layer->digest, &sbom, err);
    if (have < 0 || (have && vzt_regsbom_push(p->reg, image, sbom, p->r, err) < 0))
      return -1;
    if (have)
      vzt_reg_digest_of(sbom, strlen(sbom), sd);
  }
  if (!p->o->sign_key)
    return 0;
  sums = vzt_regsig_sums(name, layer->digest + 7, vztmpl_digest + 7, *sd ? sd + 7 : NULL);
  return vzt_regsig_push(p->reg, image, sums, p->o->sign_key, p->o->gpg_homedir, p->r, err);
}

/* One image: config, layers and the vztmpl manifest, then the manifest itself (under tag when given). */
static int push_image(struct push *p, const struct vzt_regdesc *d, const char *tag, struct vzt_error **err)
{
  _cleanup_free_ char *text = NULL;
  size_t len;
  if (read_doc(p, d->digest, &text, &len, err) < 0)
    return -1;
  _cleanup_json_ json_object *m = json_tokener_parse(text);
  json_object *config = NULL, *layers = NULL, *annotations = NULL;
  if (!m || !json_object_object_get_ex(m, "config", &config) || !json_object_object_get_ex(m, "layers", &layers) ||
      !json_object_is_type(layers, json_type_array))
    return vzt_fail(err, "%s: %s is not an OCI image manifest", p->o->layout, d->digest);
  struct vzt_regdesc c, l = {0};
  if (vzt_regdesc_parse(config, p->o->layout, &c, err) < 0 || push_blob(p, &c, "config", err) < 0)
    return -1;
  for (size_t i = 0; i < json_object_array_length(layers); i++)
    if (vzt_regdesc_parse(json_object_array_get_idx(layers, i), p->o->layout, &l, err) < 0 ||
        push_blob(p, &l, "layer", err) < 0)
      return -1;
  json_object_object_get_ex(m, "annotations", &annotations);
  const char *vztmpl = vzt_regjson_str(annotations, VZT_REG_ANNOT_VZTMPL);
  if (vztmpl) {
    struct vzt_regdesc v = {.size = 0};
    if (!vzt_reg_digest_valid(vztmpl))
      return vzt_refuse(err, "%s: %s names the vztmpl manifest by '%s'", p->o->layout, d->digest, vztmpl);
    strcpy(v.digest, vztmpl);
    _cleanup_free_ char *rel = blob_rel(vztmpl);
    struct stat st;
    if (fstatat(p->dirfd, rel, &st, 0) < 0)
      return vzt_fail_errno(err, errno, "%s/%s", p->o->layout, rel);
    v.size = (uint64_t) st.st_size;
    if (push_blob(p, &v, "vztmpl", err) < 0)
      return -1;
  }
  if (vzt_reg_manifest_put(p->reg, tag ? tag : d->digest, VZT_REG_MEDIA_OCI_MANIFEST, text, len, NULL, err) < 0)
    return -1;
  vzt_push_note(p->r, d->digest, d->size, "manifest", "put");
  if (!p->o->sign_key && !p->o->sboms)
    return 0;
  if (!vztmpl || json_object_array_length(layers) != 1)
    return vzt_fail(err, "%s: %s is not a vztmpl template image (one layer and the vztmpl manifest): "
                         "nothing to sign or attach an SBOM to", p->o->layout, d->digest);
  struct vzt_regdesc image = *d;
  image.media_type = VZT_REG_MEDIA_OCI_MANIFEST;
  return attach(p, &image, &l, vztmpl, err);
}

/* An index: every platform's image by digest, then the index under the tag. */
static int push_index(struct push *p, const char *text, size_t len, const struct vzt_regdesc *d, const char *tag,
                      struct vzt_error **err)
{
  _cleanup_json_ json_object *ix = json_tokener_parse(text);
  json_object *ms = NULL;
  if (!ix || !json_object_object_get_ex(ix, "manifests", &ms) || !json_object_is_type(ms, json_type_array))
    return vzt_fail(err, "%s: %s is not an OCI image index", p->o->layout, d->digest);
  for (size_t i = 0; i < json_object_array_length(ms); i++) {
    struct vzt_regdesc c;
    if (vzt_regdesc_parse(json_object_array_get_idx(ms, i), p->o->layout, &c, err) < 0)
      return -1;
    if (!c.media_type || strcmp(c.media_type, VZT_REG_MEDIA_OCI_MANIFEST))
      return vzt_fail(err, "%s: the index %s lists a %s; vztmpl pushes images of one level", p->o->layout,
                      d->digest, c.media_type ? c.media_type : "descriptor without a media type");
    if (push_image(p, &c, NULL, err) < 0)
      return -1;
  }
  if (vzt_reg_manifest_put(p->reg, tag, VZT_REG_MEDIA_OCI_INDEX, text, len, NULL, err) < 0)
    return -1;
  vzt_push_note(p->r, d->digest, d->size, "index", "put");
  return 0;
}

/* What the tag names: the layout's one image, or its index of platforms. */
static int pick_top(struct push *p, json_object *ms, struct vzt_regdesc *top, struct vzt_error **err)
{
  size_t n = json_object_array_length(ms), found = 0;
  for (size_t i = 0; i < n; i++) {
    struct vzt_regdesc d;
    if (vzt_regdesc_parse(json_object_array_get_idx(ms, i), p->o->layout, &d, err) < 0)
      return -1;
    if (n == 1 || (d.media_type && !strcmp(d.media_type, VZT_REG_MEDIA_OCI_INDEX))) {
      *top = d;
      found++;
    }
  }
  if (found != 1)
    return vzt_usage_error(err, "%s holds %zu images and %zu indices: push needs one image, or one index of "
                                "the platforms (as vztmpl export --format oci writes it)",
                           p->o->layout, n - found, found);
  if (!top->media_type)
    top->media_type = VZT_REG_MEDIA_OCI_MANIFEST;
  return 0;
}

int vzt_push_layout(struct vzt_reg *reg, const struct vzt_reg_ref *ref, const struct vzt_push_opts *o,
                    struct vzt_push_result *r, struct vzt_error **err)
{
  memset(r, 0, sizeof(*r));
  if (!ref->tag)
    return vzt_usage_error(err, "push needs a tag in the reference (host/repository:tag)");
  _cleanup_close_ int dirfd = open(o->layout, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return vzt_fail_errno(err, errno, "cannot open the OCI layout %s", o->layout);
  struct push p = {reg, o, r, dirfd};
  _cleanup_free_ char *index = NULL, *layout = NULL;
  size_t len;
  if (vzt_read_fileat_max(dirfd, "oci-layout", 4096, &layout, &len, err) < 0 ||
      vzt_read_fileat_max(dirfd, "index.json", VZT_REG_DOC_MAX, &index, &len, err) < 0)
    return vzt_error_prefix(err, "%s is not an OCI image layout", o->layout);
  _cleanup_json_ json_object *ix = json_tokener_parse(index);
  json_object *ms = NULL;
  if (!ix || !json_object_object_get_ex(ix, "manifests", &ms) || !json_object_is_type(ms, json_type_array))
    return vzt_fail(err, "%s/index.json lists no manifests", o->layout);
  struct vzt_regdesc top;
  if (pick_top(&p, ms, &top, err) < 0)
    return -1;
  if (!strcmp(top.media_type, VZT_REG_MEDIA_OCI_INDEX)) {
    _cleanup_free_ char *text = NULL;
    if (read_doc(&p, top.digest, &text, &len, err) < 0 || push_index(&p, text, len, &top, ref->tag, err) < 0)
      return -1;
  } else if (push_image(&p, &top, ref->tag, err) < 0)
    return -1;
  strcpy(r->digest, top.digest);
  r->reference = vzt_strdupf("%s/%s:%s@%s", ref->host, ref->repo, ref->tag, top.digest);
  return 0;
}

void vzt_push_result_clear(struct vzt_push_result *r)
{
  free(r->items);
  free(r->reference);
  memset(r, 0, sizeof(*r));
}
