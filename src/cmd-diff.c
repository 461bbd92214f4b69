/* vztmpl diff A B: packages (and with --files, paths) that differ between two templates. */
#include "config.h"
#include "src/cmd.h"
#include "src/diff-output.h"
#include "tmpl/lifecycle/diff.h"
#include "tmpl/manifest.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/json-out.h"

#include <getopt.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>

/* diff(1)'s convention: 0 same, 1 different, 2 trouble; 3 stays "refused". */
#define DIFF_SAME 0
#define DIFF_DIFFERENT 1
#define DIFF_TROUBLE 2

static void usage(FILE *f)
{
  fprintf(f,
          "Usage: vztmpl diff [--files] [--json] TEMPLATE_A TEMPLATE_B\n"
          "Lists the packages added in B, removed from A, upgraded or downgraded\n"
          "(A's version -> B's, in the family's version order) and changed under the same\n"
          "version, from the two manifests. With --files, also streams both archives\n"
          "(nothing is unpacked) and lists the paths added, removed and changed (type,\n"
          "mode, owner, size, link target or content; mtimes are not compared), each\n"
          "archive checked against its manifest's sha256 as it is read. TEMPLATE is a\n"
          "cached name (debian-13-x86_64) or the path of a .tar.zst or its .json.\n"
          "Lines: + added, - removed, ^ upgraded, v downgraded, ~ same version with\n"
          "other bytes or architecture; paths: A added, D removed, M changed (what).\n"
          "A one-line count goes to stderr.\n\n"
          "      --files   compare the archives' paths too\n"
          "      --json    one JSON object on stdout\n"
          "  -h, --help    this help\n\n"
          "Exit status, as diff(1)'s: 0 no difference, 1 differences, 2 trouble (a\n"
          "missing or unreadable template, a usage error); 3 an archive does not\n"
          "match its manifest (verification refused).\n");
}

static char *archive_of(const char *manifest_path, const struct vzt_manifest *m)
{
  if (!m->archive_file)
    return NULL;
  if (strchr(m->archive_file, '/'))
    return vzt_strdup(m->archive_file);
  _cleanup_free_ char *dir = vzt_strdup(manifest_path);
  return vzt_path_join(dirname(dir), m->archive_file);
}

static void print_json(const struct vzt_manifest *a, const struct vzt_manifest *b, const struct vzt_diff *d)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "a", json_object_new_string(a->name));
  json_object_object_add(o, "b", json_object_new_string(b->name));
  json_object_object_add(o, "identical", json_object_new_boolean(vzt_diff_empty(d)));
  json_object *pk = vzt_diff_packages_json(d);
  json_object_object_add(o, "packages", pk);
  if (d->paths_compared) {
    json_object *fs = json_object_new_array();
    for (size_t i = 0; i < d->npaths; i++) {
      const struct vzt_diff_path *p = &d->paths[i];
      json_object *x = json_object_new_object();
      json_object_object_add(x, "path", json_object_new_string(p->path));
      json_object_object_add(x, "change", json_object_new_string(vzt_diff_kind_name(p->kind)));
      if (p->kind == VZT_DIFF_CHANGED) {
        json_object *w = json_object_new_array();
        _cleanup_free_ char *what = vzt_diff_what_string(p->what);
        _cleanup_strv_ char **v = vzt_strv_split(what);
        for (char **s = v; s && *s; s++)
          json_object_array_add(w, json_object_new_string(*s));
        json_object_object_add(x, "what", w);
      }
      json_object_array_add(fs, x);
    }
    json_object_object_add(o, "files", fs);
  }
  vzt_json_print_put(o);
}

static void print_text(const struct vzt_manifest *a, const struct vzt_manifest *b, const struct vzt_diff *d)
{
  size_t count[VZT_DIFF_CHANGED + 1] = {0};
  size_t fcount[VZT_DIFF_CHANGED + 1] = {0};
  vzt_diff_print_lines(d, count, fcount);
  /* The summary goes to stderr, so stdout stays one line per difference. */
  if (vzt_log_verbosity() >= VZT_LOG_INFO) {
    fprintf(stderr, "%s -> %s: %zu packages added, %zu removed, %zu upgraded, %zu downgraded, %zu changed",
            a->name, b->name, count[VZT_DIFF_ADDED], count[VZT_DIFF_REMOVED],
            count[VZT_DIFF_UPGRADED], count[VZT_DIFF_DOWNGRADED], count[VZT_DIFF_CHANGED]);
    if (d->paths_compared)
      fprintf(stderr, "; %zu paths added, %zu removed, %zu changed", fcount[VZT_DIFF_ADDED],
              fcount[VZT_DIFF_REMOVED], fcount[VZT_DIFF_CHANGED]);
    fprintf(stderr, "\n");
  }
}

static int trouble(struct vzt_error **err)
{
  int status = vzt_ctx_report(err);
  return status == VZT_EXIT_REFUSED ? status : DIFF_TROUBLE;
}

int vzt_cmd_diff(struct vzt_ctx *ctx, int argc, char **argv)
{
  enum { OPT_FILES = 256, OPT_JSON };
  static const struct option opts[] = {
      {"files", no_argument, NULL, OPT_FILES},
      {"json", no_argument, NULL, OPT_JSON},
      {"help", no_argument, NULL, 'h'},
      {0},
  };
  bool json = ctx->json, files = false;
  int c;
  while ((c = vzt_ctx_getopt(ctx, argc, argv, "h", opts)) != -1) {
    switch (c) {
    case OPT_FILES: files = true; break;
    case OPT_JSON: json = true; break;
    case 'h': usage(stdout); return 0;
    default: return DIFF_TROUBLE;
    }
  }
  json |= ctx->json; /* --json may follow the command */
  if (argc - optind != 2) {
    usage(stderr);
    return DIFF_TROUBLE;
  }
  struct vzt_error *err = NULL;
  struct vzt_cache *cache = NULL;
  if (vzt_ctx_open_cache(ctx, &cache, &err) < 0)
    return trouble(&err);
  _cleanup_free_ char *pa = vzt_ctx_manifest_path(cache, argv[optind]);
  _cleanup_free_ char *pb = vzt_ctx_manifest_path(cache, argv[optind + 1]);
  struct vzt_manifest a = {0}, b = {0};
  struct vzt_diff d = {0};
  int status = DIFF_SAME;
  if (vzt_manifest_load(pa, &a, &err) < 0 || vzt_manifest_load(pb, &b, &err) < 0 ||
      vzt_diff_packages(&a, &b, &d, &err) < 0) {
    status = trouble(&err);
    goto out;
  }
  if (files) {
    _cleanup_free_ char *xa = archive_of(pa, &a);
    _cleanup_free_ char *xb = archive_of(pb, &b);
    if (!xa || !xb) {
      vzt_fail(&err, "%s names no archive", xa ? pb : pa);
      status = trouble(&err);
      goto out;
    }
    if (vzt_diff_archives(xa, a.archive_sha256, xb, b.archive_sha256, &d, &err) < 0) {
      status = trouble(&err);
      goto out;
    }
  }
  if (json)
    print_json(&a, &b, &d);
  else
    print_text(&a, &b, &d);
  status = vzt_diff_empty(&d) ? DIFF_SAME : DIFF_DIFFERENT;
out:
  vzt_diff_clear(&d);
  vzt_manifest_clear(&a);
  vzt_manifest_clear(&b);
  vzt_cache_close(cache);
  return status;
}
