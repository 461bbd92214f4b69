/* vztmpl build / fetch: a recipe to a template (or only its packages). */
#include "config.h"
#include "src/cmd.h"
#include "src/update-output.h"
#include "tmpl/build.h"
#include "tmpl/pack.h"
#include "tmpl/lifecycle/deploy.h"
#include "tmpl/lifecycle/update.h"
#include "tmpl/sbom/spdx.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f, const char *cmd)
{
  fprintf(f,
          "Usage: vztmpl %s RECIPE [OPTIONS]\n"
          "RECIPE is a distribution (debian), distribution:release (debian:12,\n"
          "debian:bookworm) or a recipe file path.\n\n"
          "  -a, --arch ARCH       target architecture, either naming (amd64 or x86_64);\n"
          "                        default: this host's\n"
          "      --variant V       recipe variant (default: the recipe's default-variant)\n"
          "      --mirror URL      Debian mirror to use instead of the host's apt sources\n"
          "                        (repeat for failover; also $VZTMPL_MIRROR_<DISTRO>)\n"
          "      --keyring FILE    verify the repositories with this keyring instead\n"
          "      --include P,..    install these packages too\n"
          "      --exclude P,..    never install these packages\n"
          "  -o, --output FILE     also write the archive to FILE, and its manifest beside\n"
          "                        it (FILE's stem + .json); the cache keeps tar.zst. FILE's\n"
          "                        ending chooses: .tar.zst, .tar.gz, .tar.xz, .tar.bz2, .tar\n"
          "      --format F        tar.zst, tar.gz, tar.xz, tar.bz2 or tar for -o, whatever\n"
          "                        FILE's name\n"
          "      --offline         use only what the cache holds\n"
          "      --emulate         configure a foreign architecture's packages with its\n"
          "                        own dpkg under qemu-user, even where the host's dpkg\n"
          "                        could (chrootless, for package sets known to allow it)\n"
          "      --dry-run         print the resolved package set and exit\n"
          "      --update          build: only when the cached template's packages or\n"
          "                        recipe changed, and print what did (`vztmpl update`)\n"
          "  -h, --help            this help\n",
          cmd);
}

static void print_dry_run(const struct vzt_ctx *ctx, const struct vzt_manifest *m)
{
  if (ctx->json) {
    /* The manifest as far as it is known before building: one format for both. */
    _cleanup_free_ char *json = vzt_manifest_to_json(m);
    puts(json);
    return;
  }
  uint64_t total = 0;
  for (size_t i = 0; i < m->npackages; i++) {
    const struct vzt_manifest_package *p = &m->packages[i];
    printf("%-32s %-36s %-8s %10llu\n", p->name, p->version, p->architecture,
           (unsigned long long) p->size);
    total += p->size;
  }
  fprintf(stderr, "%zu packages, %.1f MiB to download, for %s\n", m->npackages, total / 1048576.0,
          m->name);
}

/* -o's manifest, so that deploy, verify and info take the archive's path:
 * the cached template's, naming the file beside it and its own hash. */
static int write_manifest_beside(const char *output, const struct vzt_manifest *m,
                                 const struct vzt_pack_result *converted, struct vzt_error **err)
{
  size_t suffix = vzt_pack_suffix_len(output);
  _cleanup_free_ char *path = suffix ? vzt_strdupf("%.*s.json", (int) (strlen(output) - suffix), output)
                                     : vzt_strdupf("%s.json", output);
  const char *slash = strrchr(output, '/');
  struct vzt_manifest copy = *m;
  copy.archive_file = (char *) (slash ? slash + 1 : output);
  if (converted) {
    copy.archive_sha256 = (char *) converted->sha256;
    copy.archive_size = converted->size;
  }
  _cleanup_free_ char *json = vzt_manifest_to_json(&copy);
  if (vzt_write_file_atomic(AT_FDCWD, path, json, strlen(json), 0644, err) < 0)
    return vzt_error_prefix(err, "writing the manifest beside %s", output);
  vzt_info("Wrote %s", path);
  _cleanup_free_ char *sbom = vzt_sbom_path(path);
  if (vzt_sbom_write(&copy, output, AT_FDCWD, sbom, err) < 0)
    return -1;
  vzt_info("Wrote %s", sbom);
  return 0;
}

static int run(struct vzt_ctx *ctx, int argc, char **argv, bool fetch_only)
{
  enum { OPT_VARIANT = 256, OPT_MIRROR, OPT_KEYRING, OPT_INCLUDE, OPT_EXCLUDE, OPT_OFFLINE, OPT_DRY, OPT_UPDATE,
         OPT_FORMAT, OPT_EMULATE };
  static const struct option opts[] = {
      {"arch", required_argument, NULL, 'a'},
      {"variant", required_argument, NULL, OPT_VARIANT},
      {"mirror", required_argument, NULL, OPT_MIRROR},
      {"keyring", required_argument, NULL, OPT_KEYRING},
      {"include", required_argument, NULL, OPT_INCLUDE},
      {"exclude", required_argument, NULL, OPT_EXCLUDE},
      {"output", required_argument, NULL, 'o'},
      {"format", required_argument, NULL, OPT_FORMAT},
      {"offline", no_argument, NULL, OPT_OFFLINE},
      {"emulate", no_argument, NULL, OPT_EMULATE},
      {"dry-run", no_argument, NULL, OPT_DRY},
      {"update", no_argument, NULL, OPT_UPDATE},
      {"help", no_argument, NULL, 'h'},
      {0},
  };
  struct vzt_build_opts o = {.jobs = ctx->jobs, .fetch_only = fetch_only,
                             .extract_template = vzt_deploy_extract};
  bool update = false;
  _cleanup_strv_ char **mirrors = vzt_calloc(1, sizeof(char *));
  _cleanup_strv_ char **include = vzt_calloc(1, sizeof(char *));
  _cleanup_strv_ char **exclude = vzt_calloc(1, sizeof(char *));
  const char *format = NULL;
  int c;
  while ((c = vzt_ctx_getopt(ctx, argc, argv, "a:o:h", opts)) != -1) {
    switch (c) {
    case 'a': o.arch = optarg; break;
    case OPT_VARIANT: o.variant = optarg; break;
    case OPT_MIRROR: vzt_strv_push(&mirrors, optarg); break;
    case OPT_KEYRING: o.keyring = optarg; break;
    case OPT_INCLUDE: {
      _cleanup_strv_ char **w = vzt_strv_split(optarg);
      for (char **p = w; *p; p++)
        vzt_strv_push(&include, *p);
      break;
    }
    case OPT_EXCLUDE: {
      _cleanup_strv_ char **w = vzt_strv_split(optarg);
      for (char **p = w; *p; p++)
        vzt_strv_push(&exclude, *p);
      break;
    }
    case 'o': o.output = optarg; break;
    case OPT_FORMAT: format = optarg; break;
    case OPT_OFFLINE: o.offline = true; break;
    case OPT_EMULATE: o.emulate = true; break;
    case OPT_DRY: o.dry_run = true; break;
    case OPT_UPDATE:
      if (fetch_only) {
        fprintf(stderr, "vztmpl fetch: --update is for build (and `vztmpl update`)\n");
        return VZT_EXIT_USAGE;
      }
      update = true;
      break;
    case 'h': usage(stdout, argv[0]); return 0;
    default: return VZT_EXIT_USAGE;
    }
  }
  o.jobs = ctx->jobs; /* -j may follow the command */
  if (optind != argc - 1) {
    fprintf(stderr, "vztmpl %s: give exactly one RECIPE\n\n", argv[0]);
    usage(stderr, argv[0]);
    return VZT_EXIT_USAGE;
  }
  /* -o's compression: --format, else the name's ending, else zstd. */
  enum vzt_pack_format fmt = VZT_PACK_ZST, by_name;
  bool named = o.output && vzt_pack_format_from_path(o.output, &by_name);
  if (format && vzt_pack_format_parse(format, &fmt) < 0) {
    fprintf(stderr, "vztmpl %s: --format wants " VZT_PACK_FORMATS ", not \"%s\"\n", argv[0], format);
    return VZT_EXIT_USAGE;
  }
  if (format && !o.output) {
    fprintf(stderr, "vztmpl %s: --format applies to -o FILE (the cache always keeps tar.zst)\n", argv[0]);
    return VZT_EXIT_USAGE;
  }
  if (format && named && by_name != fmt) {
    fprintf(stderr, "vztmpl %s: -o %s names a %s archive but --format says %s\n", argv[0], o.output,
            vzt_pack_format_ext(by_name), vzt_pack_format_ext(fmt));
    return VZT_EXIT_USAGE;
  }
  if (!format && named)
    fmt = by_name;
  /* A name that says nothing (or another compression: x.tar.lz4) must not
   * get zstd bytes silently. */
  if (!format && o.output && !named) {
    fprintf(stderr, "vztmpl %s: -o %s: the name should end in the archive's format: .tar.zst, .tar.gz, "
            ".tar.xz, .tar.bz2 or .tar (or give --format)\n", argv[0], o.output);
    return VZT_EXIT_USAGE;
  }
  const char *output = o.output;
  /* The build copies a tar.zst to -o itself; other formats are made from
   * the cached archive once it is in place. */
  const char *convert_to = fmt != VZT_PACK_ZST ? o.output : NULL;
  if (convert_to)
    o.output = NULL;
  o.recipe = argv[optind];
  o.recipes_dir = vzt_ctx_recipes_dir(ctx);
  o.mirrors = mirrors[0] ? mirrors : NULL;
  o.include = include;
  o.exclude = exclude;
  struct vzt_error *err = NULL;
  struct vzt_cache *cache = NULL;
  /* Unpacking owners and running maintainer scripts want root: a user
   * namespace of the caller's gives it to ordinary users. */
  if (!o.dry_run && !fetch_only && vzt_ctx_become_root(ctx, true, &err) < 0)
    return vzt_ctx_report(&err);
  if (vzt_ctx_open_cache(ctx, &cache, &err) < 0)
    return vzt_ctx_report(&err);
  if (update) {
    struct vzt_update_result r;
    int status = vzt_update_run(cache, &o, NULL, &r, &err) < 0 ? vzt_ctx_report(&err)
                                                                : vzt_update_print(ctx, &r, o.dry_run);
    vzt_update_result_clear(&r);
    vzt_cache_close(cache);
    return status;
  }
  struct vzt_manifest m;
  _cleanup_free_ char *path = NULL;
  int status = 0;
  struct vzt_pack_result converted;
  if (vzt_build_run(cache, &o, &m, &path, &err) < 0)
    status = vzt_ctx_report(&err);
  else if (convert_to && !o.dry_run && !fetch_only &&
           vzt_pack_export(path, convert_to, fmt, ctx->jobs, &converted, &err) < 0)
    status = vzt_ctx_report(&err);
  else if (output && !o.dry_run && !fetch_only &&
           write_manifest_beside(output, &m, convert_to ? &converted : NULL, &err) < 0)
    status = vzt_ctx_report(&err);
  else if (o.dry_run)
    print_dry_run(ctx, &m);
  else if (fetch_only)
    vzt_info("Fetched %zu packages for %s", m.npackages, m.name);
  else if (ctx->json) {
    char *json = vzt_manifest_to_json(&m);
    puts(json);
    free(json);
  } else {
    if (convert_to)
      vzt_info("Wrote %s (%s, %.1f MiB)", convert_to, vzt_pack_format_ext(fmt), converted.size / 1048576.0);
    /* The whole command's time, from the process's start: what the user waited. */
    vzt_info("Built %s in %.1f s", m.name, vzt_process_seconds());
    printf("%s\n", path);
  }
  vzt_manifest_clear(&m);
  vzt_cache_close(cache);
  return status;
}

int vzt_cmd_build(struct vzt_ctx *ctx, int argc, char **argv) { return run(ctx, argc, argv, false); }
int vzt_cmd_fetch(struct vzt_ctx *ctx, int argc, char **argv) { return run(ctx, argc, argv, true); }
