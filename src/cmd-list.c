/* vztmpl list [recipes|templates]: what can be built, what is cached. */
#include "config.h"
#include "src/cmd.h"
#include "tmpl/manifest.h"
#include "tmpl/recipe.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/json-out.h"
#include "lib/alloc.h"

#include <dirent.h>
#include <json-c/json.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int list_recipes(struct vzt_ctx *ctx)
{
  const char *dir = vzt_ctx_recipes_dir(ctx);
  _cleanup_strv_ char **all = vzt_recipe_list(dir);
  json_object *arr = ctx->json ? json_object_new_array() : NULL;
  for (char **p = all; *p; p++) {
    struct vzt_recipe *r = NULL;
    struct vzt_error *err = NULL;
    if (vzt_recipe_load(*p, &r, &err) < 0 || vzt_recipe_inherit(r, dir, &err) < 0) {
      vzt_recipe_free(r);
      vzt_warn("%s", err->msg);
      vzt_error_free(&err);
      continue;
    }
    _cleanup_free_ char *archs = vzt_strv_join(r->architectures, " ");
    _cleanup_free_ char *variants = vzt_strv_join(r->variants, " ");
    if (arr) {
      json_object *o = json_object_new_object();
      json_object_object_add(o, "distribution", json_object_new_string(r->distribution));
      json_object_object_add(o, "release", json_object_new_string(r->release));
      json_object_object_add(o, "codename", r->codename ? json_object_new_string(r->codename) : NULL);
      json_object_object_add(o, "path", json_object_new_string(r->path));
      json_object_object_add(o, "architectures", json_object_new_string(archs));
      json_object_object_add(o, "variants", json_object_new_string(variants));
      json_object_object_add(o, "default_variant", json_object_new_string(r->default_variant));
      json_object_array_add(arr, o);
    } else {
      _cleanup_free_ char *spec = vzt_strdupf("%s:%s", r->distribution, r->release);
      printf("%-14s %-10s variants: %-26s archs: %s\n", spec, r->codename ? r->codename : "",
             variants, archs);
    }
    vzt_recipe_free(r);
  }
  if (arr) {
    vzt_json_print_put(arr);
  }
  return 0;
}

static int list_templates(struct vzt_ctx *ctx)
{
  struct vzt_error *err = NULL;
  struct vzt_cache *cache = NULL;
  if (vzt_ctx_open_cache(ctx, &cache, &err) < 0)
    return vzt_ctx_report(&err);
  _cleanup_free_ char *dir = vzt_cache_path(cache, "templates");
  _cleanup_closedir_ DIR *d = opendir(dir);
  _cleanup_strv_ char **names = vzt_calloc(1, sizeof(char *));
  struct dirent *de;
  while (d && (de = readdir(d)))
    if (vzt_cache_is_manifest(de->d_name))
      vzt_strv_push(&names, de->d_name);
  vzt_strv_sort(names);
  json_object *arr = ctx->json ? json_object_new_array() : NULL;
  for (char **n = names; *n; n++) {
    _cleanup_free_ char *path = vzt_path_join(dir, *n);
    struct vzt_manifest m;
    if (vzt_manifest_load(path, &m, &err) < 0) {
      vzt_warn("%s", err->msg);
      vzt_error_free(&err);
      continue;
    }
    if (arr) {
      json_object *o = json_object_new_object();
      json_object_object_add(o, "name", json_object_new_string(m.name));
      json_object_object_add(o, "file", m.archive_file ? json_object_new_string(m.archive_file) : NULL);
      json_object_object_add(o, "size", json_object_new_int64((int64_t) m.archive_size));
      json_object_object_add(o, "packages", json_object_new_int64((int64_t) m.npackages));
      json_object_array_add(arr, o);
    } else
      printf("%-36s %8.1f MiB  %4zu packages\n", m.name, m.archive_size / 1048576.0, m.npackages);
    vzt_manifest_clear(&m);
  }
  if (arr) {
    vzt_json_print_put(arr);
  }
  vzt_cache_close(cache);
  return 0;
}

static void usage(FILE *f)
{
  fprintf(f, "Usage: vztmpl list [recipes|templates]\n"
             "  recipes    the recipes that can be built (default)\n"
             "  templates  the templates in the cache\n");
}

int vzt_cmd_list(struct vzt_ctx *ctx, int argc, char **argv)
{
  int done = vzt_ctx_help_only(ctx, argc, argv, usage);
  if (done >= 0)
    return done;
  if (argc - optind > 1) {
    usage(stderr);
    return VZT_EXIT_USAGE;
  }
  const char *what = optind < argc ? argv[optind] : "recipes";
  if (!strcmp(what, "recipes"))
    return list_recipes(ctx);
  if (!strcmp(what, "templates"))
    return list_templates(ctx);
  fprintf(stderr, "vztmpl list: say recipes or templates, not \"%s\"\n", what);
  return VZT_EXIT_USAGE;
}
