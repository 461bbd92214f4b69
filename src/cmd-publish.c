/* vztmpl publish DIR: cached templates into a static directory others download from. */
#include "config.h"
#include "src/cmd.h"
#include "tmpl/publish/publish.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
  fprintf(f,
          "Usage: vztmpl publish DIR [OPTIONS] [TEMPLATE..]\n"
          "Verifies each TEMPLATE (default: every cached one) and adds it to DIR, a\n"
          "static directory for any web server: templates/<name>/<build>/ with the\n"
          "archive and manifest, index.json, SHA256SUMS and its signature\n"
          "SHA256SUMS.gpg, aplinfo.dat for pveam, and LXC's image-server layout\n"
          "(meta/1.0/index-system, images/.../rootfs.tar.xz and meta.tar.xz).\n"
          "A template that fails verification is refused and nothing changes.\n\n"
          "      --sign KEY         sign with this secret key (fingerprint or id);\n"
          "                         without it DIR has no signature and downloads refuse it\n"
          "      --gpg-homedir DIR  the GnuPG home holding KEY (default: $GNUPGHOME)\n"
          "      --keep N           builds kept per template name (default %d); last-good\n"
          "                         is always kept\n"
          "      --base-url URL     where DIR is served (http:// or https://): makes\n"
          "                         aplinfo.dat's Infopage links absolute (pveam's GUI);\n"
          "                         kept for later runs\n"
          "      --maintainer 'NAME <MAIL>'\n"
          "                         aplinfo.dat's Maintainer (default: the --sign key's\n"
          "                         user id); kept for later runs\n"
          "      --compression high|fast\n"
          "                         high (default): the archive recompressed as zstd -19\n"
          "                         --long would (two threads, reproducible), with a\n"
          "                         manifest naming those bytes; fast: the cached\n"
          "                         archive and manifest as they are, and LXC's\n"
          "                         rootfs.tar.xz at xz -0 rather than -6\n"
          "  -h, --help             this help\n\n"
          "Exit status: 0 published, 3 a template failed verification, 1 failed, 2 usage.\n",
          VZT_PUBLISH_KEEP_DEFAULT);
}

/* Every templates/<name>.json of the cache, sorted. */
static char **cached_manifests(struct vzt_cache *cache)
{
  char **v = vzt_calloc(1, sizeof(char *));
  _cleanup_free_ char *dir = vzt_cache_path(cache, "templates");
  _cleanup_closedir_ DIR *d = opendir(dir);
  struct dirent *de;
  while (d && (de = readdir(d)))
    if (vzt_cache_is_manifest(de->d_name))
      vzt_strv_push_take(&v, vzt_path_join(dir, de->d_name));
  vzt_strv_sort(v);
  return v;
}

int vzt_cmd_publish(struct vzt_ctx *ctx, int argc, char **argv)
{
  enum { OPT_SIGN = 256, OPT_HOMEDIR, OPT_KEEP, OPT_BASE_URL, OPT_MAINTAINER, OPT_COMPRESSION };
  static const struct option opts[] = {
      {"sign", required_argument, NULL, OPT_SIGN},
      {"gpg-homedir", required_argument, NULL, OPT_HOMEDIR},
      {"keep", required_argument, NULL, OPT_KEEP},
      {"base-url", required_argument, NULL, OPT_BASE_URL},
      {"maintainer", required_argument, NULL, OPT_MAINTAINER},
      {"compression", required_argument, NULL, OPT_COMPRESSION},
      {"help", no_argument, NULL, 'h'},
      {0},
  };
  struct vzt_publish_opts o = {.keep = VZT_PUBLISH_KEEP_DEFAULT, .threads = ctx->jobs, .compression = VZT_PUBLISH_HIGH};
  int c;
  while ((c = vzt_ctx_getopt(ctx, argc, argv, "h", opts)) != -1) {
    switch (c) {
    case OPT_SIGN: o.sign_key = optarg; break;
    case OPT_HOMEDIR: o.gpg_homedir = optarg; break;
    case OPT_KEEP: {
      char *end;
      long n = strtol(optarg, &end, 10);
      if (*end || n < 1 || n > 1000) {
        fprintf(stderr, "vztmpl publish: --keep wants a number from 1 to 1000\n");
        return VZT_EXIT_USAGE;
      }
      o.keep = (int) n;
      break;
    }
    case OPT_BASE_URL:
      if (vzt_publish_check_base_url(optarg) < 0) {
        fprintf(stderr, "vztmpl publish: --base-url wants the http:// or https:// URL DIR is served at, "
                        "without blanks\n");
        return VZT_EXIT_USAGE;
      }
      o.base_url = optarg;
      break;
    case OPT_MAINTAINER:
      if (vzt_publish_check_maintainer(optarg) < 0) {
        fprintf(stderr, "vztmpl publish: --maintainer wants 'Name <user@host>' on one line\n");
        return VZT_EXIT_USAGE;
      }
      o.maintainer = optarg;
      break;
    case OPT_COMPRESSION:
      if (!strcmp(optarg, "high"))
        o.compression = VZT_PUBLISH_HIGH;
      else if (!strcmp(optarg, "fast"))
        o.compression = VZT_PUBLISH_FAST;
      else {
        fprintf(stderr, "vztmpl publish: --compression wants high or fast, not %s\n", optarg);
        return VZT_EXIT_USAGE;
      }
      break;
    case 'h': usage(stdout); return 0;
    default: return VZT_EXIT_USAGE;
    }
  }
  o.threads = ctx->jobs; /* -j may follow the command */
  if (optind >= argc) {
    fprintf(stderr, "vztmpl publish: give the directory to publish into\n\n");
    usage(stderr);
    return VZT_EXIT_USAGE;
  }
  o.dir = argv[optind++];
  struct vzt_error *err = NULL;
  struct vzt_cache *cache = NULL;
  if (vzt_ctx_open_cache(ctx, &cache, &err) < 0)
    return vzt_ctx_report(&err);
  _cleanup_strv_ char **manifests = NULL;
  if (optind < argc) {
    manifests = vzt_calloc(1, sizeof(char *));
    for (int i = optind; i < argc; i++)
      vzt_strv_push_take(&manifests, vzt_ctx_manifest_path(cache, argv[i]));
  } else {
    manifests = cached_manifests(cache);
    if (!manifests[0]) {
      fprintf(stderr, "vztmpl publish: the cache %s has no templates; build one or name one\n",
              vzt_cache_dir(cache));
      vzt_cache_close(cache);
      return VZT_EXIT_USAGE;
    }
  }
  o.manifests = manifests;
  struct vzt_publish_result r;
  int status = 0;
  if (vzt_publish(&o, &r, &err) < 0)
    status = vzt_ctx_report(&err);
  else {
    vzt_info("Published to %s: %zu added, %zu already there, %zu dropped; %zu templates%s%s", o.dir, r.added,
             r.unchanged, r.removed, r.templates, r.fingerprint ? ", signed by " : ", UNSIGNED",
             r.fingerprint ? r.fingerprint : "");
    printf("%s\n", o.dir);
  }
  vzt_publish_result_clear(&r);
  vzt_cache_close(cache);
  return status;
}
