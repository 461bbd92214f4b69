/* vztmpl pull REF: a template image from an OCI registry into the cache, verified before anything lands there. */
#include "config.h"
#include "src/cmd.h"
#include "src/registry-options.h"
#include "tmpl/registry/registry.h"
#include "lib/json-out.h"
#include "lib/log.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static void usage(FILE *f)
{
  fprintf(f,
          "Usage: vztmpl pull [--json] [options] REF\n"
          "Fetches a template image pushed by vztmpl push into the cache. REF is\n"
          "host[:port]/repository:tag or host[:port]/repository@sha256:<digest>; an index\n"
          "gives this host's architecture unless --arch says otherwise. Every blob is\n"
          "checked against its digest as it streams, and the template's manifest must\n"
          "name the layer's sha256 and size; only then do the archive and manifest enter\n"
          "the cache. An SBOM the image carries (vztmpl push attaches one) comes too, when\n"
          "it describes that archive. A pull that breaks off resumes where it stopped.\n\n"
          "      --arch ARCH        the platform to take from an index (x86_64, aarch64, ...)\n"
          "      --keyring FILE     require a good signature (push --sign) by a key in FILE\n"
          "                         whose list names the archive and manifest (and the SBOM)\n"
          VZT_REGOPT_HELP
          "      --json             the pulled template, digest, path and SBOM as JSON\n"
          "  -h, --help             this help\n\n"
          "Prints the cached manifest's path.\n"
          "Exit status: 0 pulled, 3 refused (digest, manifest or signature), 1 failed, 2 usage.\n");
}

static void print_json(const struct vzt_pull_result *r)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "name", json_object_new_string(r->name));
  json_object_object_add(o, "digest", json_object_new_string(r->digest));
  json_object_object_add(o, "manifest", json_object_new_string(r->manifest));
  json_object_object_add(o, "size", json_object_new_int64((int64_t) r->size));
  json_object_object_add(o, "signed_by", r->fingerprint ? json_object_new_string(r->fingerprint) : NULL);
  json_object_object_add(o, "sbom", r->sbom ? json_object_new_string(r->sbom) : NULL);
  vzt_json_print_put(o);
}

int vzt_cmd_pull(struct vzt_ctx *ctx, int argc, char **argv)
{
  enum { OPT_ARCH = VZT_REGOPT_OWN, OPT_KEYRING };
  static const struct option opts[] = {
      VZT_REGOPT_OPTIONS,
      {"arch", required_argument, NULL, OPT_ARCH},
      {"keyring", required_argument, NULL, OPT_KEYRING},
      {0},
  };
  struct vzt_reg_opts ro = {0};
  struct vzt_pull_opts po = {0};
  int c;
  while ((c = vzt_regopt_getopt(ctx, argc, argv, opts, &ro)) != -1) {
    switch (c) {
    case OPT_ARCH: po.arch = optarg; break;
    case OPT_KEYRING: po.keyring = optarg; break;
    case 'h': usage(stdout); return 0;
    default: return VZT_EXIT_USAGE;
    }
  }
  if (argc - optind != 1) {
    fprintf(stderr, "vztmpl pull: give one REF\n\n");
    usage(stderr);
    return VZT_EXIT_USAGE;
  }
  struct vzt_error *err = NULL;
  struct vzt_reg_ref ref;
  if (vzt_reg_ref_parse(argv[optind], &ref, &err) < 0)
    return vzt_ctx_report(&err);
  struct vzt_cache *cache = NULL;
  struct vzt_reg *reg = NULL;
  struct vzt_pull_result r = {0};
  int status = 0;
  if (vzt_ctx_open_cache(ctx, &cache, &err) < 0 || vzt_reg_open(&ref, &ro, &reg, &err) < 0 ||
      vzt_pull(cache, reg, &ref, &po, &r, &err) < 0)
    status = vzt_ctx_report(&err);
  else if (ctx->json)
    print_json(&r);
  else {
    vzt_info("Pulled %s (%.1f MiB) as %s%s%s", r.digest, r.size / 1048576.0, r.name,
             r.fingerprint ? ", signed by " : "", r.fingerprint ? r.fingerprint : "");
    vzt_info(r.sbom ? "SBOM: %s" : "The image carries no SBOM%s", r.sbom ? r.sbom : "");
    printf("%s\n", r.manifest);
  }
  vzt_pull_result_clear(&r);
  if (reg)
    vzt_reg_close(reg);
  vzt_reg_ref_clear(&ref);
  if (cache)
    vzt_cache_close(cache);
  return status;
}
