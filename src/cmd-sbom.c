/* vztmpl sbom TEMPLATE: a template's software bill of materials (SPDX 2.3 JSON). */
#include "config.h"
#include "src/cmd.h"
#include "tmpl/manifest.h"
#include "tmpl/sbom/cyclonedx.h"
#include "tmpl/sbom/spdx.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
  fprintf(f, "Usage: vztmpl sbom [--format spdx|cyclonedx] TEMPLATE\n"
             "Prints the template's SBOM, an SPDX 2.3 JSON document: the template (its\n"
             "archive's sha256) and each installed package with its version, supplier,\n"
             "download URL, purl, SHA-256, declared license and dependencies. Every build\n"
             "writes it beside the template (<name>.spdx.json); for a template built before\n"
             "that, or whose SBOM names another archive, it is made again from the manifest\n"
             "and the archive (its created time is SOURCE_DATE_EPOCH when set, else the\n"
             "build's). TEMPLATE is a cached name (debian-13-x86_64) or the path of a\n"
             "template archive or its .json.\n\n"
             "      --format F  spdx (SPDX 2.3 JSON, the default and the file's format) or\n"
             "                  cyclonedx (CycloneDX 1.5 JSON, made from the SPDX document)\n"
             "  -h, --help      this help\n");
}

static int print_sbom(const char *manifest_path, bool cyclonedx, struct vzt_error **err)
{
  struct vzt_manifest m;
  if (vzt_manifest_load(manifest_path, &m, err) < 0)
    return -1;
  _cleanup_free_ char *sbom = vzt_sbom_path(manifest_path);
  _cleanup_free_ char *json = NULL;
  int ret = 0;
  if (!vzt_sbom_read_current(sbom, &m, &json)) {
    if (!m.archive_file || strchr(m.archive_file, '/') || !m.archive_sha256) {
      ret = vzt_refuse(err, "%s names no archive beside it to describe; rebuild the template",
                       manifest_path);
    } else {
      _cleanup_free_ char *dir = vzt_strdup(manifest_path);
      _cleanup_free_ char *archive = vzt_path_join(dirname(dir), m.archive_file);
      ret = vzt_sbom_spdx(&m, archive, &json, err);
    }
  }
  if (ret == 0 && cyclonedx) {
    char *spdx = steal_pointer(&json);
    ret = vzt_sbom_cyclonedx(spdx, &json, err);
    free(spdx);
  }
  if (ret == 0 && fputs(json, stdout) == EOF)
    ret = vzt_fail_errno(err, errno, "cannot write the SBOM to stdout");
  vzt_manifest_clear(&m);
  return ret;
}

int vzt_cmd_sbom(struct vzt_ctx *ctx, int argc, char **argv)
{
  enum { OPT_FORMAT = 256 };
  static const struct option opts[] = {
      {"format", required_argument, NULL, OPT_FORMAT}, {"help", no_argument, NULL, 'h'}, {0}};
  bool cyclonedx = false;
  int c;
  while ((c = vzt_ctx_getopt(ctx, argc, argv, "h", opts)) != -1)
    switch (c) {
    case 'h': usage(stdout); return 0;
    case OPT_FORMAT:
      if (strcmp(optarg, "spdx") && strcmp(optarg, "cyclonedx")) {
        fprintf(stderr, "vztmpl sbom: --format %s: say spdx (SPDX 2.3 JSON) or cyclonedx "
                        "(CycloneDX 1.5 JSON)\n",
                optarg);
        return VZT_EXIT_USAGE;
      }
      cyclonedx = !strcmp(optarg, "cyclonedx");
      break;
    default: return VZT_EXIT_USAGE;
    }
  if (argc - optind != 1) {
    fprintf(stderr, "vztmpl sbom: give one TEMPLATE\n");
    usage(stderr);
    return VZT_EXIT_USAGE;
  }
  const char *template = argv[optind];
  struct vzt_error *err = NULL;
  struct vzt_cache *cache = NULL;
  _cleanup_free_ char *path = NULL;
  if (vzt_ctx_open_template(ctx, template, &cache, &path, &err) < 0)
    return vzt_ctx_report(&err);
  int status = 0;
  if (print_sbom(path, cyclonedx, &err) < 0)
    status = vzt_ctx_report(&err);
  vzt_cache_close(cache);
  return status;
}
