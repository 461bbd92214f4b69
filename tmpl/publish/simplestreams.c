/* Renders publish's index as simplestreams (streams/v1/index.json, images.json) for LXD and Incus remotes. */
#include "config.h"
#include "tmpl/publish/simplestreams.h"
#include "tmpl/publish/index.h"
#include "lib/strutil.h"

#include <stdlib.h>
#include <string.h>

static json_object *str(const char *s) { return json_object_new_string(s ? s : ""); }

static json_object *find_build(json_object *t, const char *build)
{
  json_object *builds = NULL;
  json_object_object_get_ex(t, "builds", &builds);
  return build ? vzt_index_find(builds, "build", build) : NULL;
}

/* The unified image under both names its readers look for: LXD's
 * lxd_combined.tar.gz, Incus's incus_combined.tar.gz (the compression is
 * found from the file itself, whatever the name says). */
static json_object *items(json_object *lxd)
{
  json_object *its = json_object_new_object();
  static const char *const ftypes[] = {"lxd_combined.tar.gz", "incus_combined.tar.gz"};
  for (size_t i = 0; i < 2; i++) {
    json_object *it = json_object_new_object();
    json_object_object_add(it, "ftype", str(ftypes[i]));
    json_object_object_add(it, "path", str(vzt_index_str(lxd, "path")));
    json_object_object_add(it, "sha256", str(vzt_index_str(lxd, "sha256")));
    json_object *size = NULL;
    json_object_object_get_ex(lxd, "size", &size);
    json_object_object_add(it, "size", json_object_new_int64(size ? json_object_get_int64(size) : 0));
    json_object_object_add(its, ftypes[i], it);
  }
  return its;
}

static json_object *product(json_object *t, json_object *b, json_object *lxd)
{
  const char *os = vzt_index_str(t, "distribution"), *rel = vzt_index_str(t, "release");
  const char *code = vzt_index_str(t, "codename"), *variant = vzt_index_str(t, "variant");
  if (!variant || !*variant)
    variant = "default";
  char *aliases = code && *code && strcmp(code, rel ? rel : "")
                      ? vzt_strdupf("%s,%s/%s/%s,%s/%s/%s", vzt_index_str(t, "name"), os, rel, variant, os, code, variant)
                      : vzt_strdupf("%s,%s/%s/%s", vzt_index_str(t, "name"), os, rel, variant);
  json_object *p = json_object_new_object();
  json_object_object_add(p, "aliases", str(aliases));
  free(aliases);
  json_object_object_add(p, "arch", str(vzt_index_str(t, "deb_architecture")));
  json_object_object_add(p, "os", str(os));
  json_object_object_add(p, "release", str(rel));
  json_object_object_add(p, "release_title", str(code && *code ? code : rel));
  json_object_object_add(p, "variant", str(variant));
  json_object *versions = json_object_new_object(), *v = json_object_new_object();
  json_object_object_add(v, "items", items(lxd));
  json_object_object_add(versions, vzt_index_str(b, "build"), v);
  json_object_object_add(p, "versions", versions);
  return p;
}

static char *text(json_object *o)
{
  char *s = vzt_strdupf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                                      JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(o);
  return s;
}

void vzt_simplestreams_render(json_object *templates, char **index_json, char **images_json)
{
  json_object *products = json_object_new_object(), *names = json_object_new_array();
  size_t n = json_object_is_type(templates, json_type_array) ? json_object_array_length(templates) : 0;
  for (size_t i = 0; i < n; i++) {
    json_object *t = json_object_array_get_idx(templates, i), *lxd = NULL;
    json_object *b = find_build(t, vzt_index_str(t, "last_good"));
    if (!b || !json_object_object_get_ex(b, "lxd", &lxd) || !vzt_index_str(lxd, "path") ||
        !vzt_index_str(b, "build"))
      continue;
    const char *variant = vzt_index_str(t, "variant");
    char *key = vzt_strdupf("%s:%s:%s:%s", vzt_index_str(t, "distribution"), vzt_index_str(t, "release"),
                            vzt_index_str(t, "deb_architecture"), variant && *variant ? variant : "default");
    /* Two template names for one product key (a golden image on the same
     * base): the first keeps it, the other is still reached by its name. */
    if (json_object_object_get_ex(products, key, NULL)) {
      free(key);
      key = vzt_strdupf("%s:%s", vzt_index_str(t, "name"), vzt_index_str(t, "deb_architecture"));
    }
    json_object_object_add(products, key, product(t, b, lxd));
    json_object_array_add(names, str(key));
    free(key);
  }
  json_object *images = json_object_new_object();
  json_object_object_add(images, "content_id", str("images"));
  json_object_object_add(images, "datatype", str("image-downloads"));
  json_object_object_add(images, "format", str("products:1.0"));
  json_object_object_add(images, "products", products);
  *images_json = text(images);

  json_object *entry = json_object_new_object();
  json_object_object_add(entry, "datatype", str("image-downloads"));
  json_object_object_add(entry, "format", str("products:1.0"));
  json_object_object_add(entry, "path", str(VZT_SIMPLESTREAMS_IMAGES));
  json_object_object_add(entry, "products", names);
  json_object *idx = json_object_new_object(), *index = json_object_new_object();
  json_object_object_add(idx, "images", entry);
  json_object_object_add(index, "format", str("index:1.0"));
  json_object_object_add(index, "index", idx);
  *index_json = text(index);
}
