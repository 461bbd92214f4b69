/* vztmpl push TEMPLATE|oci:DIR REF: a verified template (through the oci export) or an OCI layout into a registry. */
#include "config.h"
#include "src/cmd.h"
#include "src/registry-options.h"
#include "tmpl/lifecycle/verify.h"
#include "tmpl/registry/registry.h"
#include "lib/alloc.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/json-out.h"
#include "lib/strutil.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
  fprintf(f,
          "Usage: vztmpl push [--json] [options] TEMPLATE... REF | oci:DIR REF\n"
          "Uploads a template to an OCI registry as an image: its archive as the one layer,\n"
          "its manifest as a blob the image names. TEMPLATE (a cached name or path, verified\n"
          "first) is exported to an OCI layout on the way, its SBOM attached as an artifact\n"
          "referring to the image; templates of several architectures make one index under\n"
          "the tag. oci:DIR pushes a layout as it is. Blobs the registry has are skipped.\n"
          "REF is host[:port]/repository:tag. Credentials come from $REGISTRY_AUTH_FILE,\n"
          "$XDG_RUNTIME_DIR/containers/auth.json or ~/.docker/config.json.\n\n"
          VZT_REGOPT_HELP
          "      --mount-from REPO  mount missing blobs from REPO of the same registry\n"
          "      --sign KEYID       attach a signed SHA256SUMS of archive, manifest and SBOM\n"
          "                         (OCI 1.1 referrer; also tagged sha256-<hex>.sig where the\n"
          "                         registry lacks the referrers API, the SBOM .sbom)\n"
          "      --gpg-homedir DIR  the GnuPG home holding KEYID (default: $GNUPGHOME)\n"
          "      --json             what was uploaded or skipped, and the digest, as JSON\n"
          "  -h, --help             this help\n\n"
          "Prints the pushed reference with its digest.\n"
          "Exit status: 0 pushed, 3 refused (the template failed verification), 1 failed, 2 usage.\n");
}

/* One template's manifest path, verified. */
static int verified_manifest(struct vzt_cache *cache, const char *template, char **manifest, struct vzt_error **err)
{
  if (vzt_ctx_check_template(cache, template, err) < 0)
    return -1;
  *manifest = vzt_ctx_manifest_path(cache, template);
  struct vzt_verify_opts vo = {0};
  struct vzt_verify_report rep;
  int ok = vzt_verify_template(*manifest, &vo, &rep, err) == 0;
  vzt_verify_report_clear(&rep);
  return ok ? 0 : -1;
}

/* The templates through the oci export into a fresh layout under the cache's tmp/ (several
 * platforms: one index). */
static int export_layout(struct vzt_cache *cache, char **templates, size_t n, char **tmpdir, char **layout,
                         struct vzt_error **err)
{
  vzt_export_fn *write = vzt_export_format_find("oci");
  if (!write)
    return vzt_fail(err, "this vztmpl has no oci export: push an OCI image layout with oci:DIR instead of %s",
                    templates[0]);
  _cleanup_strv_ char **ms = vzt_calloc(n + 1, sizeof(char *));
  for (size_t i = 0; i < n; i++)
    if (verified_manifest(cache, templates[i], &ms[i], err) < 0)
      return -1;
  if (vzt_cache_mkdtemp(cache, "push", tmpdir, err) < 0)
    return -1;
  *layout = vzt_path_join(*tmpdir, "layout");
  struct vzt_export_request req = {.format = "oci", .manifests = (const char **) ms, .n = n, .out = *layout};
  return write(&req, err);
}

static void print_json(const struct vzt_push_result *r)
{
  json_object *o = json_object_new_object(), *items = json_object_new_array();
  json_object_object_add(o, "reference", json_object_new_string(r->reference));
  json_object_object_add(o, "digest", json_object_new_string(r->digest));
  for (size_t i = 0; i < r->n; i++) {
    json_object *it = json_object_new_object();
    json_object_object_add(it, "kind", json_object_new_string(r->items[i].kind));
    json_object_object_add(it, "digest", json_object_new_string(r->items[i].digest));
    json_object_object_add(it, "size", json_object_new_int64((int64_t) r->items[i].size));
    json_object_object_add(it, "action", json_object_new_string(r->items[i].action));
    json_object_array_add(items, it);
  }
  json_object_object_add(o, "pushed", items);
  vzt_json_print_put(o);
}

int vzt_cmd_push(struct vzt_ctx *ctx, int argc, char **argv)
{
  enum { OPT_MOUNT = VZT_REGOPT_OWN, OPT_SIGN, OPT_HOMEDIR };
  static const struct option opts[] = {
      VZT_REGOPT_OPTIONS,
      {"mount-from", required_argument, NULL, OPT_MOUNT},
      {"sign", required_argument, NULL, OPT_SIGN},
      {"gpg-homedir", required_argument, NULL, OPT_HOMEDIR},
      {0},
  };
  struct vzt_reg_opts ro = {.push = true};
  struct vzt_push_opts po = {0};
  int c;
  while ((c = vzt_regopt_getopt(ctx, argc, argv, opts, &ro)) != -1) {
    switch (c) {
    case OPT_MOUNT: po.mount_from = optarg; break;
    case OPT_SIGN: po.sign_key = optarg; break;
    case OPT_HOMEDIR: po.gpg_homedir = optarg; break;
    case 'h': usage(stdout); return 0;
    default: return VZT_EXIT_USAGE;
    }
  }
  if (argc - optind < 2 || (argc - optind > 2 && vzt_startswith(argv[optind], "oci:"))) {
    fprintf(stderr, "vztmpl push: give TEMPLATEs (or one oci:DIR) and a REF\n\n");
    usage(stderr);
    return VZT_EXIT_USAGE;
  }
  const char *what = argv[optind], *refs = argv[argc - 1];
  size_t ntemplates = (size_t) (argc - 1 - optind);
  struct vzt_error *err = NULL;
  struct vzt_reg_ref ref;
  if (vzt_reg_ref_parse(refs, &ref, &err) < 0)
    return vzt_ctx_report(&err);
  if (!ref.tag) {
    vzt_reg_ref_clear(&ref);
    fprintf(stderr, "vztmpl push: %s names a digest; push to a tag (host/repository:tag)\n", refs);
    return VZT_EXIT_USAGE;
  }
  struct vzt_cache *cache = NULL;
  _cleanup_free_ char *tmpdir = NULL, *layout = NULL;
  struct vzt_reg *reg = NULL;
  struct vzt_push_result r = {0};
  int status = 0;
  if (vzt_startswith(what, "oci:"))
    layout = vzt_strdup(what + 4);
  else if (vzt_ctx_open_cache(ctx, &cache, &err) < 0 ||
           export_layout(cache, argv + optind, ntemplates, &tmpdir, &layout, &err) < 0)
    goto fail;
  po.layout = layout;
  po.sboms = cache;
  if (vzt_reg_open(&ref, &ro, &reg, &err) < 0 || vzt_push_layout(reg, &ref, &po, &r, &err) < 0)
    goto fail;
  if (ctx->json)
    print_json(&r);
  else
    printf("%s\n", r.reference);
  goto out;
fail:
  status = vzt_ctx_report(&err);
out:
  if (tmpdir) {
    struct vzt_error *e2 = NULL;
    vzt_rm_rf(tmpdir, &e2);
    vzt_error_free(&e2);
  }
  vzt_push_result_clear(&r);
  if (reg)
    vzt_reg_close(reg);
  vzt_reg_ref_clear(&ref);
  if (cache)
    vzt_cache_close(cache);
  return status;
}
