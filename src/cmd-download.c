/* vztmpl download NAME --from URL: a published template into the cache, signature and hashes checked first. */
#include "config.h"
#include "src/cmd.h"
#include "tmpl/publish/download.h"
#include "lib/log.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static void usage(FILE *f)
{
  fprintf(f,
          "Usage: vztmpl download NAME --from URL --keyring FILE [--build ID]\n"
          "Fetches SHA256SUMS, SHA256SUMS.gpg and index.json from URL (a directory made\n"
          "by vztmpl publish), checks the signature with the keys in FILE, then the\n"
          "hashes of index.json, the archive and the manifest against the signed list,\n"
          "and only then puts NAME (its last-good build) into the cache. An interrupted\n"
          "download resumes. No keyring, no download: nothing is trusted unsigned.\n\n"
          "      --from URL       the published directory (http://, https://, file://)\n"
          "      --keyring FILE   the publisher's public key(s), binary or armored\n"
          "      --build ID       a retained build instead of the last-good one\n"
          "  -h, --help           this help\n\n"
          "Exit status: 0 downloaded, 3 refused (signature or hash), 1 failed, 2 usage.\n");
}

int vzt_cmd_download(struct vzt_ctx *ctx, int argc, char **argv)
{
  enum { OPT_FROM = 256, OPT_KEYRING, OPT_BUILD };
  static const struct option opts[] = {
      {"from", required_argument, NULL, OPT_FROM},
      {"keyring", required_argument, NULL, OPT_KEYRING},
      {"build", required_argument, NULL, OPT_BUILD},
      {"help", no_argument, NULL, 'h'},
      {0},
  };
  struct vzt_download_opts o = {0};
  int c;
  while ((c = vzt_ctx_getopt(ctx, argc, argv, "h", opts)) != -1) {
    switch (c) {
    case OPT_FROM: o.url = optarg; break;
    case OPT_KEYRING: o.keyring = optarg; break;
    case OPT_BUILD: o.build = optarg; break;
    case 'h': usage(stdout); return 0;
    default: return VZT_EXIT_USAGE;
    }
  }
  if (argc - optind != 1 || !o.url) {
    fprintf(stderr, "vztmpl download: give one NAME and --from URL\n\n");
    usage(stderr);
    return VZT_EXIT_USAGE;
  }
  if (!o.keyring) {
    fprintf(stderr, "vztmpl download: --keyring FILE is required: the publisher's public key, which\n"
                    "SHA256SUMS.gpg must be signed with (vztmpl never trusts an unsigned template)\n");
    return VZT_EXIT_USAGE;
  }
  o.name = argv[optind];
  struct vzt_error *err = NULL;
  struct vzt_cache *cache = NULL;
  if (vzt_ctx_open_cache(ctx, &cache, &err) < 0)
    return vzt_ctx_report(&err);
  struct vzt_download_result r;
  int status = 0;
  if (vzt_download(cache, &o, &r, &err) < 0)
    status = vzt_ctx_report(&err);
  else {
    vzt_info("Downloaded %s build %s (%.1f MiB), signed by %s", o.name, r.build, r.size / 1048576.0,
             r.fingerprint);
    printf("%s\n", r.manifest);
  }
  vzt_download_result_clear(&r);
  vzt_cache_close(cache);
  return status;
}
