/* vztmpl info TEMPLATE: a template's manifest, summarised or as JSON. */
#include "config.h"
#include "src/cmd.h"
#include "tmpl/manifest.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
  fprintf(f, "Usage: vztmpl info TEMPLATE\n"
             "TEMPLATE is a cached name (debian-13-x86_64) or a path to a template archive\n"
             "(.tar.zst, .tar.gz, .tar.xz, .tar.bz2, .tar) beside its .json, or the .json.\n"
             "With --json, the manifest itself.\n");
}

int vzt_cmd_info(struct vzt_ctx *ctx, int argc, char **argv)
{
  int done = vzt_ctx_help_only(ctx, argc, argv, usage);
  if (done >= 0)
    return done;
  if (argc - optind != 1) {
    fprintf(stderr, "vztmpl info: give one TEMPLATE\n");
    usage(stderr);
    return VZT_EXIT_USAGE;
  }
  argv += optind - 1;
  struct vzt_error *err = NULL;
  struct vzt_cache *cache = NULL;
  _cleanup_free_ char *path = NULL;
  if (vzt_ctx_open_template(ctx, argv[1], &cache, &path, &err) < 0)
    return vzt_ctx_report(&err);
  int status = 0;
  if (ctx->json) {
    _cleanup_free_ char *data = NULL;
    if (vzt_read_file(path, &data, NULL, &err) < 0)
      status = vzt_ctx_report(&err);
    else
      fputs(data, stdout);
  } else {
    struct vzt_manifest m;
    if (vzt_manifest_load(path, &m, &err) < 0) {
      vzt_error_prefix(&err, "no template %s", argv[1]);
      status = vzt_ctx_report(&err);
    } else {
      char date[64];
      struct tm tm;
      gmtime_r(&m.source_date_epoch, &tm);
      strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", &tm);
      printf("Name:         %s\nDistribution: %s %s%s%s%s\nVariant:      %s\nArchitecture: %s\n"
             "Archive:      %s (%.1f MiB, %.1f MiB unpacked)\nSHA256:       %s\n"
             "Packages:     %zu\nEpoch:        %lld (%s)\n",
             m.name, m.distribution, m.release, m.codename ? " (" : "", m.codename ? m.codename : "",
             m.codename ? ")" : "", m.variant, m.architecture,
             m.archive_file ? m.archive_file : "-", m.archive_size / 1048576.0,
             m.unpacked_size / 1048576.0, m.archive_sha256 ? m.archive_sha256 : "-",
             m.npackages, (long long) m.source_date_epoch, date);
      vzt_manifest_clear(&m);
    }
  }
  vzt_cache_close(cache);
  return status;
}
