/* The OCI image's JSON documents (config, manifest, index), canonical so that an export is reproducible. */
#include "config.h"
#include "tmpl/export/oci-internal.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

#include <json-c/json.h>
#include <string.h>

/* Canonical means: keys added in sorted order (json-c keeps insertion
 * order), no spaces, "/" left unescaped as every other writer does. */
static char *to_string(json_object *o)
{
  char *s = vzt_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(o);
  return s;
}

static void add_str(json_object *o, const char *key, const char *val)
{
  json_object_object_add(o, key, json_object_new_string(val));
}

int vzt_oci_platform_of(const char *arch, struct vzt_oci_platform *p)
{
  static const struct { const char *canonical, *goarch, *variant; } map[] = {
      {"x86_64", "amd64", NULL},    {"aarch64", "arm64", NULL}, {"armv7l", "arm", "v7"},
      {"ppc64le", "ppc64le", NULL}, {"s390x", "s390x", NULL},   {"riscv64", "riscv64", NULL},
      {"i686", "386", NULL},
  };
  for (size_t i = 0; arch && i < sizeof(map) / sizeof(map[0]); i++)
    if (!strcmp(map[i].canonical, arch)) {
      p->architecture = map[i].goarch;
      p->variant = map[i].variant;
      return 0;
    }
  return -1;
}

void vzt_oci_time(time_t t, char out[32])
{
  struct tm tm;
  if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
    strcpy(out, "1970-01-01T00:00:00Z");
}

static json_object *descriptor(const char *media, const struct vzt_oci_blob *b)
{
  json_object *d = json_object_new_object();
  add_str(d, "digest", b->digest);
  add_str(d, "mediaType", media);
  json_object_object_add(d, "size", json_object_new_int64((int64_t) b->size));
  return d;
}

static json_object *platform(const struct vzt_oci_platform *p)
{
  json_object *o = json_object_new_object();
  add_str(o, "architecture", p->architecture);
  add_str(o, "os", "linux");
  if (p->variant)
    add_str(o, "variant", p->variant);
  return o;
}

char *vzt_oci_config_json(const struct vzt_oci_image *img)
{
  char created[32];
  vzt_oci_time(img->m->source_date_epoch, created);
  json_object *o = json_object_new_object();
  add_str(o, "architecture", img->platform.architecture);
  /* A system container: the template's own init is what runs. */
  json_object *cfg = json_object_new_object();
  json_object *ep = json_object_new_array();
  json_object_array_add(ep, json_object_new_string("/sbin/init"));
  json_object_object_add(cfg, "Entrypoint", ep);
  json_object_object_add(o, "config", cfg);
  add_str(o, "created", created);
  json_object *hist = json_object_new_array();
  json_object *h = json_object_new_object();
  add_str(h, "created", created);
  _cleanup_free_ char *by = vzt_strdupf("vztmpl build %s", img->m->name);
  add_str(h, "created_by", by);
  json_object_array_add(hist, h);
  json_object_object_add(o, "history", hist);
  add_str(o, "os", "linux");
  json_object *rootfs = json_object_new_object();
  json_object *ids = json_object_new_array();
  json_object_array_add(ids, json_object_new_string(img->diff_id));
  json_object_object_add(rootfs, "diff_ids", ids);
  add_str(rootfs, "type", "layers");
  json_object_object_add(o, "rootfs", rootfs);
  if (img->platform.variant)
    add_str(o, "variant", img->platform.variant);
  return to_string(o);
}

char *vzt_oci_manifest_json(const struct vzt_oci_image *img)
{
  const struct vzt_manifest *m = img->m;
  char created[32];
  vzt_oci_time(m->source_date_epoch, created);
  _cleanup_strv_ char **words = NULL;
  const char *parts[] = {m->distribution, m->release, NULL, m->variant};
  _cleanup_free_ char *codename = m->codename ? vzt_strdupf("(%s)", m->codename) : NULL;
  parts[2] = codename;
  for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
    if (parts[i] && *parts[i])
      vzt_strv_push(&words, parts[i]);
  _cleanup_free_ char *what = words ? vzt_strv_join(words, " ") : vzt_strdup(m->name);
  _cleanup_free_ char *desc = vzt_strdupf("%s for %s, built by vztmpl", what, m->architecture ? m->architecture : "?");
  json_object *o = json_object_new_object();
  json_object *an = json_object_new_object();
  add_str(an, "org.opencontainers.image.created", created);
  add_str(an, "org.opencontainers.image.description", desc);
  add_str(an, "org.opencontainers.image.title", m->name);
  add_str(an, "org.opencontainers.image.version", m->release ? m->release : m->name);
  add_str(an, VZT_OCI_ANNOT_VZTMPL, img->vztmpl.digest);
  json_object_object_add(o, "annotations", an);
  json_object_object_add(o, "config", descriptor(VZT_OCI_MEDIA_CONFIG, &img->config));
  json_object *layers = json_object_new_array();
  json_object_array_add(layers, descriptor(img->gzip ? VZT_OCI_MEDIA_LAYER_GZIP : VZT_OCI_MEDIA_LAYER_ZSTD, &img->layer));
  json_object_object_add(o, "layers", layers);
  add_str(o, "mediaType", VZT_OCI_MEDIA_MANIFEST);
  json_object_object_add(o, "schemaVersion", json_object_new_int(2));
  return to_string(o);
}

/* A platform's own tag beside the image's: "12-arm64", "12-armv7". */
char *vzt_oci_platform_tag(const char *tag, const struct vzt_oci_platform *p)
{
  return vzt_strdupf("%s-%s%s", tag, p->architecture, p->variant ? p->variant : "");
}

static json_object *manifest_entry(const struct vzt_oci_image *img, const char *ref)
{
  json_object *d = json_object_new_object();
  if (ref) {
    json_object *an = json_object_new_object();
    add_str(an, "org.opencontainers.image.ref.name", ref);
    json_object_object_add(d, "annotations", an);
  }
  add_str(d, "digest", img->manifest.digest);
  add_str(d, "mediaType", VZT_OCI_MEDIA_MANIFEST);
  json_object_object_add(d, "platform", platform(&img->platform));
  json_object_object_add(d, "size", json_object_new_int64((int64_t) img->manifest.size));
  return d;
}

static char *index_json(json_object *ms)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "manifests", ms);
  add_str(o, "mediaType", VZT_OCI_MEDIA_INDEX);
  json_object_object_add(o, "schemaVersion", json_object_new_int(2));
  return to_string(o);
}

char *vzt_oci_platforms_json(const struct vzt_oci_image *imgs, size_t n)
{
  json_object *ms = json_object_new_array();
  for (size_t i = 0; i < n; i++)
    json_object_array_add(ms, manifest_entry(&imgs[i], NULL));
  return index_json(ms);
}

char *vzt_oci_index_json(const struct vzt_oci_image *imgs, size_t n, const char *tag,
                         const struct vzt_oci_blob *platforms)
{
  json_object *ms = json_object_new_array();
  if (!platforms) {
    json_object_array_add(ms, manifest_entry(&imgs[0], tag));
    return index_json(ms);
  }
  for (size_t i = 0; i < n; i++) {
    _cleanup_free_ char *ref = vzt_oci_platform_tag(tag, &imgs[i].platform);
    json_object_array_add(ms, manifest_entry(&imgs[i], ref));
  }
  json_object *d = descriptor(VZT_OCI_MEDIA_INDEX, platforms);
  json_object *an = json_object_new_object();
  add_str(an, "org.opencontainers.image.ref.name", tag);
  /* Sorted keys: annotations come first. */
  json_object *sorted = json_object_new_object();
  json_object_object_add(sorted, "annotations", an);
  json_object_object_foreach(d, k, v) json_object_object_add(sorted, k, json_object_get(v));
  json_object_put(d);
  json_object_array_add(ms, sorted);
  return index_json(ms);
}
