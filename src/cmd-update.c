/* vztmpl update TEMPLATE (and build RECIPE --update): rebuild a cached
 * template only when its mirror or recipe moved on, and say what changed. */
#include "config.h"
#include "src/cmd.h"
#include "src/update-output.h"
#include "src/diff-output.h"
#include "tmpl/lifecycle/deploy.h"
#include "tmpl/lifecycle/update.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/json-out.h"
#include "lib/alloc.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
  fprintf(f,
          "Usage: vztmpl update [OPTIONS] TEMPLATE\n"
          "Resolves the cached TEMPLATE's recipe again against the mirror, with the\n"
          "architecture, variant, includes, excludes, mirrors and keyring its manifest\n"
          "records, and compares the transaction (name, version, architecture and\n"
          "sha256 of every package), the recipe's hash and the hash of every file and\n"
          "hook the recipe names with the manifest. Equal: prints \"TEMPLATE: up to\n"
          "date\", having downloaded only the signed Release files (and any index they\n"
          "say changed). Otherwise rebuilds, downloading only\n"
          "the packages not in the cache, replaces the cached template once the new one\n"
          "is complete, and prints \"TEMPLATE: updated\", a line per file or hook\n"
          "changed, added or removed (\"/etc/motd changed\"), and one line per package as\n"
          "`vztmpl diff` does (+ added, - removed, ^ upgraded, v downgraded, ~ other\n"
          "bytes). `vztmpl build RECIPE --update` does the same from a recipe.\n"
          "TEMPLATE is a cached name (debian-13-x86_64) or a manifest path.\n\n"
          "      --mirror URL      use this mirror instead of the recorded one (repeat)\n"
          "      --keyring FILE    verify with this keyring instead of the recorded one\n"
          "      --include P,..    install these instead of the recorded includes\n"
          "      --exclude P,..    exclude these instead of the recorded excludes\n"
          "      --dry-run         only report what would change; build nothing\n"
          "      --json            one JSON object on stdout\n"
          "  -h, --help            this help\n");
}



int vzt_cmd_update(struct vzt_ctx *ctx, int argc, char **argv)
{
  enum { OPT_MIRROR = 256, OPT_KEYRING, OPT_INCLUDE, OPT_EXCLUDE, OPT_DRY, OPT_JSON };
  static const struct option opts[] = {
      {"mirror", required_argument, NULL, OPT_MIRROR},
      {"keyring", required_argument, NULL, OPT_KEYRING},
      {"include", required_argument, NULL, OPT_INCLUDE},
      {"exclude", required_argument, NULL, OPT_EXCLUDE},
      {"dry-run", no_argument, NULL, OPT_DRY},
      {"json", no_argument, NULL, OPT_JSON},
      {"help", no_argument, NULL, 'h'},
      {0},
  };
  struct vzt_build_opts o = {.jobs = ctx->jobs, .extract_template = vzt_deploy_extract};
  _cleanup_strv_ char **mirrors = vzt_calloc(1, sizeof(char *));
  _cleanup_strv_ char **include = vzt_calloc(1, sizeof(char *));
  _cleanup_strv_ char **exclude = vzt_calloc(1, sizeof(char *));
  int c;
  while ((c = vzt_ctx_getopt(ctx, argc, argv, "h", opts)) != -1) {
    switch (c) {
    case OPT_MIRROR: vzt_strv_push(&mirrors, optarg); break;
    case OPT_KEYRING: o.keyring = optarg; break;
    case OPT_INCLUDE:
    case OPT_EXCLUDE: {
      _cleanup_strv_ char **w = vzt_strv_split(optarg);
      for (char **p = w; *p; p++)
        vzt_strv_push(c == OPT_INCLUDE ? &include : &exclude, *p);
      break;
    }
    case OPT_DRY: o.dry_run = true; break;
    case OPT_JSON: ctx->json = true; break;
    case 'h': usage(stdout); return 0;
    default: return VZT_EXIT_USAGE;
    }
  }
  o.jobs = ctx->jobs; /* -j may follow the command */
  if (optind != argc - 1) {
    fprintf(stderr, "vztmpl update: give exactly one TEMPLATE\n\n");
    usage(stderr);
    return VZT_EXIT_USAGE;
  }
  o.recipes_dir = vzt_ctx_recipes_dir(ctx);
  o.mirrors = mirrors[0] ? mirrors : NULL;
  o.include = include;
  o.exclude = exclude;
  struct vzt_error *err = NULL;
  struct vzt_cache *cache = NULL;
  /* A rebuild wants root, or root of the caller's user namespace (as build). */
  if (!o.dry_run && vzt_ctx_become_root(ctx, true, &err) < 0)
    return vzt_ctx_report(&err);
  if (vzt_ctx_open_cache(ctx, &cache, &err) < 0)
    return vzt_ctx_report(&err);
  _cleanup_free_ char *path = vzt_ctx_manifest_path(cache, argv[optind]);
  struct vzt_manifest m = {0};
  struct vzt_update_result r = {0};
  int status = 0;
  if (vzt_manifest_load(path, &m, &err) < 0) {
    vzt_error_prefix(&err, "no template %s (see `vztmpl list templates`)", argv[optind]);
    status = vzt_ctx_report(&err);
  } else if (vzt_update_opts_from_manifest(&m, path, &o, &err) < 0 ||
             vzt_update_run(cache, &o, path, &r, &err) < 0)
    status = vzt_ctx_report(&err);
  else
    status = vzt_update_print(ctx, &r, o.dry_run);
  vzt_update_result_clear(&r);
  vzt_manifest_clear(&m);
  vzt_cache_close(cache);
  return status;
}
