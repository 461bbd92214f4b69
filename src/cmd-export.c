/* vztmpl export TEMPLATE... --format FORMAT -o PATH: a cached template in a platform's own format. */
#include "config.h"
#include "src/cmd.h"
#include "tmpl/export/export.h"
#include "tmpl/export/formats.h"
#include "tmpl/export/oci.h"
#include "tmpl/lifecycle/verify.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/alloc.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each format names the writer that makes it; the writers live in tmpl/export/. */
static const struct export_format {
  const char *name;
  vzt_export_fn *write;
  const char *what;
} formats[] = {
    {"lxd", vzt_export_lxd, "LXD unified image tarball (lxc image import FILE)"},
    {"incus", vzt_export_lxd, "Incus unified image tarball (incus image import FILE)"},
    {"tar.gz", vzt_export_plain, "OpenVZ template (vzpkg, /vz/template/cache)"},
    {"tar.xz", vzt_export_plain, "OpenVZ or Proxmox template"},
    {"tar.zst", vzt_export_plain, "Proxmox template (pct create STORAGE:vztmpl/FILE)"},
    {"tar.bz2", vzt_export_plain, "plain template for older tools"},
    {"oci", vzt_export_oci, "an OCI image layout directory (one platform per template)"},
    {"oci-archive", vzt_export_oci, "the OCI layout as a tar (podman load, Proxmox VE CT templates)"},
    {NULL, NULL, NULL},
};

vzt_export_fn *vzt_export_format_find(const char *name)
{
  for (const struct export_format *fm = formats; fm->name; fm++)
    if (strcmp(fm->name, name) == 0)
      return fm->write;
  return NULL;
}

static void usage(FILE *f)
{
  fprintf(f, "Usage: vztmpl export [--json] --format FORMAT -o PATH TEMPLATE...\n"
             "Writes verified cached templates in a container platform's own format.\n"
             "TEMPLATE is a cached name or the path of an archive or its .json, as for verify.\n\n"
             "Formats:\n");
  for (const struct export_format *fm = formats; fm->name; fm++)
    fprintf(f, "  %-12s %s\n", fm->name, fm->what);
  fprintf(f, "\n"
             "      --format FORMAT  one of the formats above\n"
             "  -o, --output PATH    where to write (a directory for oci; for the tar formats a\n"
             "                       directory gets each template under its platform's name)\n"
             "      --tag TAG        oci: the image's tag (ref.name); default the release, e.g. 12\n"
             "      --layer zstd|gzip  oci: the layer as the archive's own zstd bytes (default), or\n"
             "                       gzip for readers without zstd\n"
             "  -h, --help           this help\n\n"
             "Exit status: 0 written, 3 refused (a template failed verification), 1 failed, 2 usage.\n");
}

static const struct export_format *find_format(const char *name)
{
  for (const struct export_format *fm = formats; fm->name; fm++)
    if (strcmp(fm->name, name) == 0)
      return fm;
  return NULL;
}

int vzt_cmd_export(struct vzt_ctx *ctx, int argc, char **argv)
{
  enum { OPT_FORMAT = 256, OPT_TAG, OPT_LAYER };
  static const struct option opts[] = {
      {"format", required_argument, NULL, OPT_FORMAT},
      {"output", required_argument, NULL, 'o'},
      {"tag", required_argument, NULL, OPT_TAG},
      {"layer", required_argument, NULL, OPT_LAYER},
      {"help", no_argument, NULL, 'h'},
      {0},
  };
  const char *format = NULL, *out = NULL, *tag = NULL, *layer = NULL;
  int c;
  while ((c = vzt_ctx_getopt(ctx, argc, argv, "ho:", opts)) != -1) {
    switch (c) {
    case OPT_FORMAT: format = optarg; break;
    case 'o': out = optarg; break;
    case OPT_TAG: tag = optarg; break;
    case OPT_LAYER: layer = optarg; break;
    case 'h': usage(stdout); return 0;
    default: return VZT_EXIT_USAGE;
    }
  }
  if (!format || !out || optind >= argc) {
    usage(stderr);
    return VZT_EXIT_USAGE;
  }
  const struct export_format *fm = find_format(format);
  if (!fm) {
    fprintf(stderr, "vztmpl: unknown export format '%s'\n", format);
    usage(stderr);
    return VZT_EXIT_USAGE;
  }

  struct vzt_error *err = NULL;
  struct vzt_cache *cache = NULL;
  if (vzt_ctx_open_cache(ctx, &cache, &err) < 0)
    return vzt_ctx_report(&err);
  size_t n = (size_t) (argc - optind);
  char **manifests = vzt_calloc(n, sizeof(*manifests));
  int status = 0;
  if (!manifests) {
    vzt_fail_errno(&err, ENOMEM, "cannot list the templates to export");
    status = vzt_ctx_report(&err);
    goto out;
  }
  /* Nothing leaves the cache unverified: a tampered entry is refused before a byte is written. */
  for (size_t i = 0; i < n; i++) {
    const char *t = argv[optind + (int) i];
    if (vzt_ctx_check_template(cache, t, &err) < 0) {
      status = vzt_ctx_report(&err);
      goto out;
    }
    manifests[i] = vzt_ctx_manifest_path(cache, t);
    struct vzt_verify_opts vo = {0};
    struct vzt_verify_report rep;
    int ok = vzt_verify_template(manifests[i], &vo, &rep, &err) == 0;
    vzt_verify_report_clear(&rep);
    if (!ok) {
      status = vzt_ctx_report(&err);
      goto out;
    }
  }
  struct vzt_export_request req = {
      .format = format, .manifests = (const char *const *) manifests, .n = n, .out = out, .tag = tag, .layer = layer};
  if (fm->write(&req, &err) < 0)
    status = vzt_ctx_report(&err);
out:
  if (manifests)
    for (size_t i = 0; i < n; i++)
      free(manifests[i]);
  free(manifests);
  vzt_cache_close(cache);
  return status;
}
