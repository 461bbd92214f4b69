/* vztmpl verify TEMPLATE: the archive and its package database against the manifest. */
#include "config.h"
#include "src/cmd.h"
#include "tmpl/lifecycle/verify.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/json-out.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
  fprintf(f,
          "Usage: vztmpl verify [--json] [--keyring FILE] TEMPLATE\n"
          "Checks the archive's SHA-256 and size against the manifest, and that its package\n"
          "database (dpkg's status, or the rpmdb, read from the archive without unpacking it)\n"
          "holds exactly the manifest's packages, installed, at the listed versions and\n"
          "architectures. With --keyring, the signed SHA256SUMS beside it (<name>.SHA256SUMS\n"
          "for a downloaded template, SHA256SUMS of a published directory) must carry a\n"
          "good signature and list the archive and the manifest; without a keyring or a\n"
          "SHA256SUMS that check is reported as skipped, with the reason. TEMPLATE is a\n"
          "cached name (debian-13-x86_64) or the path of an archive (.tar.zst, .tar.gz,\n"
          ".tar.xz, .tar.bz2, .tar) beside its .json, or of the .json.\n\n"
          "      --keyring FILE  check the signature with these public keys\n"
          "      --json          the checks as a JSON object on stdout\n"
          "  -h, --help          this help\n\n"
          "Exit status: 0 verified, 3 refused, 1 failed (e.g. a missing file), 2 usage.\n");
}

static void print_json(const struct vzt_verify_report *rep, bool verified)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "name", rep->name ? json_object_new_string(rep->name) : NULL);
  json_object_object_add(o, "archive", rep->archive ? json_object_new_string(rep->archive) : NULL);
  json_object_object_add(o, "sha256", rep->sha256[0] ? json_object_new_string(rep->sha256) : NULL);
  json_object_object_add(o, "size", json_object_new_int64((int64_t) rep->size));
  json_object_object_add(o, "packages", json_object_new_int64((int64_t) rep->packages));
  json_object *checks = json_object_new_object();
  for (int i = 0; i < VZT_VERIFY_NCHECKS; i++) {
    json_object *c = json_object_new_object();
    json_object_object_add(c, "status",
                           json_object_new_string(vzt_check_status_name(rep->checks[i].status)));
    json_object_object_add(c, "detail", rep->checks[i].detail
                                            ? json_object_new_string(rep->checks[i].detail)
                                            : NULL);
    json_object_object_add(checks, vzt_verify_check_name(i), c);
  }
  json_object_object_add(o, "checks", checks);
  json_object_object_add(o, "verified", json_object_new_boolean(verified));
  vzt_json_print_put(o);
}

int vzt_cmd_verify(struct vzt_ctx *ctx, int argc, char **argv)
{
  enum { OPT_JSON = 256, OPT_KEYRING };
  static const struct option opts[] = {
      {"json", no_argument, NULL, OPT_JSON},
      {"keyring", required_argument, NULL, OPT_KEYRING},
      {"help", no_argument, NULL, 'h'},
      {0},
  };
  bool json = ctx->json;
  struct vzt_verify_opts vo = {0};
  int c;
  while ((c = vzt_ctx_getopt(ctx, argc, argv, "h", opts)) != -1) {
    switch (c) {
    case OPT_JSON: json = true; break;
    case OPT_KEYRING: vo.keyring = optarg; break;
    case 'h': usage(stdout); return 0;
    default: return VZT_EXIT_USAGE;
    }
  }
  json |= ctx->json; /* --json may follow the command */
  if (argc - optind != 1) {
    usage(stderr);
    return VZT_EXIT_USAGE;
  }
  struct vzt_error *err = NULL;
  struct vzt_cache *cache = NULL;
  _cleanup_free_ char *manifest = NULL;
  if (vzt_ctx_open_template(ctx, argv[optind], &cache, &manifest, &err) < 0)
    return vzt_ctx_report(&err);
  struct vzt_verify_report rep;
  int ok = vzt_verify_template(manifest, &vo, &rep, &err) == 0;
  if (json)
    print_json(&rep, ok);
  else if (ok)
    printf("%s: verified (sha256 %s, %zu packages as listed; signature %s)\n", rep.name, rep.sha256,
           rep.packages, vzt_check_status_name(rep.checks[VZT_VERIFY_SIGNATURE].status));
  else
    for (int i = 0; i < VZT_VERIFY_NCHECKS; i++)
      if (rep.checks[i].status == VZT_CHECK_FAILED)
        printf("%s: %s check failed: %s\n", rep.name ? rep.name : argv[optind],
               vzt_verify_check_name(i), rep.checks[i].detail);
  if (ok && vzt_log_verbosity() >= VZT_LOG_DEBUG)
    for (int i = 0; i < VZT_VERIFY_NCHECKS; i++)
      vzt_debug("%s: %s (%s)", vzt_verify_check_name(i), vzt_check_status_name(rep.checks[i].status),
                rep.checks[i].detail);
  int status = ok ? 0 : vzt_ctx_report(&err);
  vzt_verify_report_clear(&rep);
  vzt_cache_close(cache);
  return status;
}
