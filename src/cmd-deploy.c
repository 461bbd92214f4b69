/* vztmpl deploy TEMPLATE ROOT: a verified template becomes a container root. */
#include "config.h"
#include "src/cmd.h"
#include "tmpl/lifecycle/deploy.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/json-out.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
  fprintf(f, "Usage: vztmpl deploy TEMPLATE ROOT [OPTIONS]\n"
             "TEMPLATE is a cached name (debian-13-x86_64), an archive path (.tar.zst, .tar.gz,\n"
             ".tar.xz, .tar.bz2, .tar) beside its .json, or the .json;\n"
             "ROOT is created, or must be empty; as root, some directory above it must keep\n"
             "other users out (mode 0700), since the template's setuid programs keep their\n"
             "rights. The archive's SHA-256 is checked against the manifest first; device\n"
             "nodes other than null, zero, full, random, urandom and tty are skipped.\n\n"
             "  -m, --mode MODE       extract (default): unpack the archive into ROOT;\n"
             "                        reflink: FICLONE copy of the template unpacked once in\n"
             "                        the cache (one reflink-capable file system for both);\n"
             "                        overlay: mount overlayfs on ROOT over the unpacked\n"
             "                        template, changes in ROOT.upper (ROOT.work beside it)\n"
             "      --uid-shift N     add N to every owner (for a user-namespaced container)\n"
             "  -h, --help            this help\n");
}

int vzt_cmd_deploy(struct vzt_ctx *ctx, int argc, char **argv)
{
  enum { OPT_UID_SHIFT = 256 };
  static const struct option opts[] = {
      {"mode", required_argument, NULL, 'm'},
      {"uid-shift", required_argument, NULL, OPT_UID_SHIFT},
      {"help", no_argument, NULL, 'h'},
      {0},
  };
  struct vzt_deploy_opts o = {.mode = VZT_DEPLOY_EXTRACT};
  int c;
  while ((c = vzt_ctx_getopt(ctx, argc, argv, "m:h", opts)) != -1) {
    switch (c) {
    case 'm':
      if (vzt_deploy_mode_parse(optarg, &o.mode) < 0) {
        fprintf(stderr, "vztmpl deploy: --mode is extract, reflink or overlay, not \"%s\"\n", optarg);
        return VZT_EXIT_USAGE;
      }
      break;
    case OPT_UID_SHIFT: {
      char *end;
      unsigned long long n = strtoull(optarg, &end, 10);
      if (!*optarg || *end || n > UINT32_MAX - 65536) {
        fprintf(stderr, "vztmpl deploy: --uid-shift wants a number from 0 to %u\n", UINT32_MAX - 65536);
        return VZT_EXIT_USAGE;
      }
      o.uid_shift = (uint32_t) n;
      break;
    }
    case 'h': usage(stdout); return 0;
    default: return VZT_EXIT_USAGE;
    }
  }
  if (optind != argc - 2) {
    fprintf(stderr, "vztmpl deploy: give a TEMPLATE and a ROOT\n\n");
    usage(stderr);
    return VZT_EXIT_USAGE;
  }
  struct vzt_error *err = NULL;
  struct vzt_cache *cache = NULL;
  if (o.mode == VZT_DEPLOY_OVERLAY && geteuid() != 0) {
    /* A user namespace's mount would end with this process. */
    vzt_fail(&err, "--mode overlay needs root: an ordinary user's mount would vanish with vztmpl; "
                   "use --mode extract or reflink");
    return vzt_ctx_report(&err);
  }
  /* Owners other than root need a user namespace for an ordinary user. */
  if (vzt_ctx_become_root(ctx, true, &err) < 0)
    return vzt_ctx_report(&err);
  _cleanup_free_ char *manifest = NULL;
  if (vzt_ctx_open_template(ctx, argv[optind], &cache, &manifest, &err) < 0)
    return vzt_ctx_report(&err);
  o.manifest = manifest;
  o.root = argv[optind + 1];
  struct vzt_deploy_result r;
  int status = 0;
  if (vzt_deploy(cache, &o, &r, &err) < 0) {
    vzt_error_prefix(&err, "deploying %s to %s", argv[optind], o.root);
    status = vzt_ctx_report(&err);
  } else if (ctx->json) {
    json_object *j = json_object_new_object();
    json_object_object_add(j, "template", json_object_new_string(r.name));
    json_object_object_add(j, "root", json_object_new_string(o.root));
    json_object_object_add(j, "mode", json_object_new_string(vzt_deploy_mode_name(o.mode)));
    json_object_object_add(j, "uid_shift", json_object_new_int64(o.uid_shift));
    json_object_object_add(j, "lower", r.lower ? json_object_new_string(r.lower) : NULL);
    json_object_object_add(j, "upper", r.upper ? json_object_new_string(r.upper) : NULL);
    json_object_object_add(j, "work", r.work ? json_object_new_string(r.work) : NULL);
    json_object_object_add(j, "unpacked_now", json_object_new_boolean(r.unpacked_now));
    json_object_object_add(j, "seconds", json_object_new_double(r.seconds));
    vzt_json_print_put(j);
  } else {
    vzt_info("Deployed %s to %s (%s) in %.2f s", r.name, o.root, vzt_deploy_mode_name(o.mode), r.seconds);
    if (o.mode == VZT_DEPLOY_OVERLAY)
      vzt_info("%s is an overlayfs mount over %s; changes go to %s.\n"
               "Remove it with: umount %s && rm -rf %s %s",
               o.root, r.lower, r.upper, o.root, r.upper, r.work);
    printf("%s\n", o.root);
  }
  vzt_deploy_result_clear(&r);
  vzt_cache_close(cache);
  return status;
}
