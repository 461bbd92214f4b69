/* vztmpl verify TEMPLATE: the archive and its package database against the manifest. */
#include "config.h"
#include "src/cmd.h"
#include "tmpl/verify.h"
#include "lib/cleanup.h"
#include "lib/log.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

int vzt_cmd_verify(struct vzt_ctx *ctx, int argc, char **argv)
{
  if (argc != 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
    printf("Usage: vztmpl verify TEMPLATE\n"
           "Checks the archive's SHA-256 and size against the manifest, and that its dpkg\n"
           "database holds exactly the manifest's packages and versions. TEMPLATE is a\n"
           "cached name (debian-13-x86_64) or the path of a .tar.zst beside its .json.\n"
           "Exit status: 0 verified, 3 refused, 1 failed (e.g. a missing file).\n");
    return argc == 2 ? 0 : VZT_EXIT_USAGE;
  }
  struct vzt_error *err = NULL;
  struct vzt_cache *cache = NULL;
  if (vzt_ctx_open_cache(ctx, &cache, &err) < 0)
    return vzt_ctx_report(&err);
  _cleanup_free_ char *manifest = vzt_ctx_manifest_path(cache, argv[1]);
  struct vzt_verify_report rep;
  int status = 0;
  if (vzt_verify_template(manifest, &rep, &err) < 0)
    status = vzt_ctx_report(&err);
  else if (ctx->json) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(rep.name));
    json_object_object_add(o, "archive", json_object_new_string(rep.archive));
    json_object_object_add(o, "sha256", json_object_new_string(rep.sha256));
    json_object_object_add(o, "packages", json_object_new_int64((int64_t) rep.packages));
    json_object_object_add(o, "verified", json_object_new_boolean(1));
    puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
  } else
    printf("%s: verified (sha256 %s, %zu packages as listed)\n", rep.name, rep.sha256,
           rep.packages);
  vzt_verify_report_clear(&rep);
  vzt_cache_close(cache);
  return status;
}
