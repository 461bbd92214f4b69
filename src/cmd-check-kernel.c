/* vztmpl check-kernel: what this kernel offers containers, and what is missing costs. */
#include "config.h"
#include "src/cmd.h"
#include "kernel-support/kcheck.h"
#include "lib/strutil.h"
#include "lib/json-out.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
  fprintf(f, "Usage: vztmpl check-kernel\n"
             "Namespaces, user namespaces (as root: vztmpl's id range and idmapped mounts\n"
             "in the cache), cgroups, overlayfs, reflinks in the cache and binfmt_misc:\n"
             "what works, and what a missing item costs. Always exits 0.\n");
}

int vzt_cmd_check_kernel(struct vzt_ctx *ctx, int argc, char **argv)
{
  int done = vzt_ctx_help_only(ctx, argc, argv, usage);
  if (done >= 0)
    return done;
  if (optind != argc) {
    usage(stderr);
    return VZT_EXIT_USAGE;
  }
  struct vzt_error *err = NULL;
  struct vzt_cache *cache = NULL;
  _cleanup_free_ char *scratch = NULL;
  /* The reflink probe runs where deploy's copies come from: the cache. */
  if (vzt_ctx_open_cache(ctx, &cache, &err) < 0) {
    vzt_error_free(&err);
  } else
    scratch = vzt_cache_path(cache, "tmp");
  struct vzt_kcheck k;
  vzt_kcheck_run(NULL, scratch, &k);
  if (ctx->json) {
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < k.n; i++) {
      const struct vzt_kcheck_item *it = &k.items[i];
      json_object *o = json_object_new_object();
      json_object_object_add(o, "group", json_object_new_string(it->group));
      json_object_object_add(o, "name", json_object_new_string(it->name));
      json_object_object_add(o, "ok", json_object_new_boolean(it->ok));
      json_object_object_add(o, "detail", it->detail ? json_object_new_string(it->detail) : NULL);
      json_object_object_add(o, "cost", it->cost ? json_object_new_string(it->cost) : NULL);
      json_object_array_add(a, o);
    }
    vzt_json_print_put(a);
  } else {
    const char *group = NULL;
    for (size_t i = 0; i < k.n; i++) {
      const struct vzt_kcheck_item *it = &k.items[i];
      if (!group || strcmp(group, it->group))
        printf("%s--- %s ---\n", group ? "\n" : "", it->group);
      group = it->group;
      printf("%-40s %s", it->name, it->ok ? "yes" : "MISSING");
      if (it->detail)
        printf(" (%s)", it->detail);
      putchar('\n');
      if (it->cost)
        printf("%-40s -> %s\n", "", it->cost);
    }
  }
  vzt_kcheck_clear(&k);
  vzt_cache_close(cache);
  return 0;
}
