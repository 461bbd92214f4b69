/* Shared plumbing of the commands: cache opening, error reporting. */
#include "config.h"
#include "src/context.h"
#include "fetch/fetch.h"
#include "kernel-support/userns.h"
#include "tmpl/pack.h"
#include "tmpl/recipe.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int vzt_ctx_open_cache(const struct vzt_ctx *ctx, struct vzt_cache **cache, struct vzt_error **err)
{
  _cleanup_free_ char *def = ctx->cache_dir || ctx->default_cache_dir ? NULL : vzt_cache_default_dir();
  const char *dir = ctx->cache_dir ? ctx->cache_dir : ctx->default_cache_dir ? ctx->default_cache_dir : def;
  if (vzt_cache_open(dir, cache, err) < 0)
    return vzt_error_prefix(err, "cache %s", dir);
  if (vzt_cache_lock(*cache, false, err) < 0) {
    vzt_cache_close(*cache);
    *cache = NULL;
    return -1;
  }
  vzt_cache_clean_stale(*cache);
  return 0;
}

int vzt_ctx_become_root(struct vzt_ctx *ctx, bool need_range, struct vzt_error **err)
{
  if (geteuid() == 0)
    return 0;
  /* Inside, we are uid 0, whose default cache is the system's. */
  if (!ctx->cache_dir && !ctx->default_cache_dir)
    ctx->default_cache_dir = vzt_cache_default_dir();
  return vzt_userns_enter(need_range, err);
}

const char *vzt_ctx_recipes_dir(const struct vzt_ctx *ctx)
{
  return ctx->recipes_dir ? ctx->recipes_dir : vzt_recipe_default_dir();
}

int vzt_ctx_report(struct vzt_error **err)
{
  if (!*err)
    return VZT_EXIT_FAILED;
  _cleanup_free_ char *text = vzt_error_text(*err);
  int status = (*err)->status ? (*err)->status : VZT_EXIT_FAILED;
  if (status == VZT_EXIT_REFUSED)
    vzt_log(VZT_LOG_ERROR, "verification refused: %s", text);
  else
    vzt_log(VZT_LOG_ERROR, "%s", text);
  vzt_error_free(err);
  return status;
}

char *vzt_ctx_manifest_path(struct vzt_cache *cache, const char *template)
{
  if (vzt_endswith(template, ".json"))
    return vzt_strdup(template);
  size_t suffix = vzt_pack_suffix_len(template);
  if (suffix)
    return vzt_strdupf("%.*s.json", (int) (strlen(template) - suffix), template);
  _cleanup_free_ char *rel = vzt_strdupf("templates/%s.json", template);
  return vzt_cache_path(cache, rel);
}

/* Long-only global options; far above the commands' own values (256...). */
enum { OPT_RECIPES = 0x1000, OPT_TIMEOUT, OPT_JSON, OPT_NO_PROGRESS, OPT_CACHE, OPT_JOBS, OPT_QUIET, OPT_VERBOSE,
       OPT_CA_FILE };

const struct option vzt_ctx_global_options[] = {
    {"cache-dir", required_argument, NULL, OPT_CACHE},
    {"recipes-dir", required_argument, NULL, OPT_RECIPES},
    {"jobs", required_argument, NULL, OPT_JOBS},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"verbose", no_argument, NULL, OPT_VERBOSE},
    {"json", no_argument, NULL, OPT_JSON},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {0},
};

int vzt_ctx_global_option(struct vzt_ctx *ctx, int c, const char *arg)
{
  switch (c) {
  case 'C':
  case OPT_CACHE: ctx->cache_dir = arg; return 1;
  case OPT_RECIPES: {
    /* A wrong directory would otherwise list nothing and build nothing, silently. */
    struct stat st;
    if (stat(arg, &st) < 0) {
      fprintf(stderr, "vztmpl: --recipes-dir %s: %s\n", arg, errno == ENOENT ? "no such directory" : strerror(errno));
      return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
      fprintf(stderr, "vztmpl: --recipes-dir %s: not a directory\n", arg);
      return -1;
    }
    ctx->recipes_dir = arg;
    return 1;
  }
  case 'j':
  case OPT_JOBS: {
    char *end;
    long n = strtol(arg, &end, 10);
    if (*end || end == arg || n < 1 || n > 256) {
      fprintf(stderr, "vztmpl: -j wants a number from 1 to 256\n");
      return -1;
    }
    ctx->jobs = (int) n;
    return 1;
  }
  case OPT_TIMEOUT: {
    char *end;
    long t = strtol(arg, &end, 10);
    if (*end || end == arg || t < 1 || t > 3600) {
      fprintf(stderr, "vztmpl: --timeout wants seconds from 1 to 3600\n");
      return -1;
    }
    vzt_fetch_set_timeout(t);
    return 1;
  }
  case OPT_CA_FILE: {
    /* Said now, not as a TLS error on the first https download. */
    _cleanup_close_ int fd = open(arg, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
      fprintf(stderr, "vztmpl: --ca-file %s: %s\n", arg,
              fd < 0 ? strerror(errno) : "not a file (give a PEM file of CA certificates)");
      return -1;
    }
    ctx->ca_file = arg;
    vzt_fetch_set_ca_file(arg);
    return 1;
  }
  case 'q':
  case OPT_QUIET: ctx->verbosity = VZT_LOG_ERROR; break;
  case 'v':
  case OPT_VERBOSE: ctx->verbosity = VZT_LOG_DEBUG; break;
  case OPT_JSON: ctx->json = true; return 1;
  case OPT_NO_PROGRESS: ctx->progress = false; break;
  default: return 0;
  }
  vzt_log_setup(ctx->verbosity, ctx->progress);
  return 1;
}

static size_t osa_distance(const char *a, const char *b)
{
  size_t n = strlen(a), m = strlen(b);
  if (n > 64 || m > 64)
    return SIZE_MAX;
  size_t d[65][65];
  for (size_t i = 0; i <= n; i++)
    d[i][0] = i;
  for (size_t j = 0; j <= m; j++)
    d[0][j] = j;
  for (size_t i = 1; i <= n; i++)
    for (size_t j = 1; j <= m; j++) {
      size_t cost = a[i - 1] != b[j - 1];
      size_t v = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < v)
        v = d[i][j - 1] + 1;
      if (d[i - 1][j - 1] + cost < v)
        v = d[i - 1][j - 1] + cost;
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
        v = d[i - 2][j - 2] + 1;
      d[i][j] = v;
    }
  return d[n][m];
}

const char *vzt_ctx_suggest(const char *word, const char *const *candidates, size_t n)
{
  const char *best = NULL;
  size_t best_d = 3;
  for (size_t i = 0; i < n; i++) {
    size_t d = osa_distance(word, candidates[i]);
    /* A shortened name is as good as a near miss. */
    if (strlen(word) >= 2 && !strncmp(candidates[i], word, strlen(word)))
      d = d < 1 ? d : 1;
    if (d < best_d) {
      best_d = d;
      best = candidates[i];
    }
  }
  return best;
}

#define MAX_OPTIONS 64

static bool has_short(const char *shortopts, int c)
{
  return c > 0 && c < 256 && c != ':' && c != '+' && c != '-' && strchr(shortopts, c);
}

static void usage_error(const char *verb, const struct option *opts, const char *shortopts, char *const *argv, int optind_now)
{
  const char *arg = optind_now > 0 ? argv[optind_now - 1] : "";
  if (optopt && strncmp(arg, "--", 2)) {
    if (has_short(shortopts, optopt))
      fprintf(stderr, "vztmpl %s: option -%c needs an argument\n", verb, optopt);
    else
      fprintf(stderr, "vztmpl %s: unknown option -%c\n", verb, optopt);
  } else {
    const char *name = arg + strspn(arg, "-");
    size_t len = strcspn(name, "=");
    char word[128];
    snprintf(word, sizeof(word), "%.*s", (int) (len < 127 ? len : 127), name);
    const char *names[MAX_OPTIONS];
    size_t n = 0, prefixed = 0;
    const struct option *match = NULL;
    for (const struct option *o = opts; o->name && n < MAX_OPTIONS; o++) {
      names[n++] = o->name;
      if (len && !strncmp(o->name, word, len)) {
        prefixed++;
        if (!match || !strcmp(o->name, word))
          match = o;
      }
    }
    if (match && (prefixed == 1 || !strcmp(match->name, word))) {
      if (name[len] == '=' && match->has_arg == no_argument)
        fprintf(stderr, "vztmpl %s: option --%s takes no argument\n", verb, match->name);
      else
        fprintf(stderr, "vztmpl %s: option --%s needs an argument\n", verb, match->name);
    } else if (prefixed > 1)
      fprintf(stderr, "vztmpl %s: option --%s is ambiguous; spell it out\n", verb, word);
    else {
      const char *s = vzt_ctx_suggest(word, names, n);
      if (s)
        fprintf(stderr, "vztmpl %s: unknown option '--%s'; did you mean '--%s'?\n", verb, word, s);
      else
        fprintf(stderr, "vztmpl %s: unknown option '--%s'\n", verb, word);
    }
  }
  fprintf(stderr, "Run 'vztmpl %s --help' for its options.\n", verb);
}

static bool verb_owns(int c, const char *shortopts, const struct option *longopts)
{
  if (has_short(shortopts, c))
    return true;
  for (const struct option *o = longopts; o->name; o++)
    if (!o->flag && o->val == c)
      return true;
  return false;
}

int vzt_ctx_getopt(struct vzt_ctx *ctx, int argc, char **argv, const char *shortopts,
                   const struct option *longopts)
{
  /* Rebuilt on every call (cheap): getopt keeps its state in argv and optind. */
  struct option all[MAX_OPTIONS + 1];
  char shorts[128];
  size_t n = 0;
  for (const struct option *o = longopts; o->name && n < MAX_OPTIONS; o++)
    all[n++] = *o;
  for (const struct option *g = vzt_ctx_global_options; g->name && n < MAX_OPTIONS; g++) {
    bool own = false;
    for (size_t i = 0; i < n; i++)
      own |= !strcmp(all[i].name, g->name);
    if (!own)
      all[n++] = *g;
  }
  all[n] = (struct option){0};
  snprintf(shorts, sizeof(shorts), "%s", shortopts);
  for (const char *g = VZT_CTX_GLOBAL_SHORT; *g; g++)
    if (*g != ':' && !has_short(shortopts, *g)) {
      size_t l = strlen(shorts);
      if (l + 3 >= sizeof(shorts))
        break;
      shorts[l++] = *g;
      if (g[1] == ':')
        shorts[l++] = ':';
      shorts[l] = 0;
    }
  for (;;) {
    opterr = 0;
    int c = getopt_long(argc, argv, shorts, all, NULL);
    if (c == '?' || c == ':') {
      usage_error(argv[0], all, shorts, argv, optind);
      return '?';
    }
    if (c == -1 || verb_owns(c, shortopts, longopts))
      return c;
    int r = vzt_ctx_global_option(ctx, c, optarg);
    if (r < 0)
      return '?';
    if (r == 0)
      return c;
  }
}

int vzt_ctx_check_template(struct vzt_cache *cache, const char *template, struct vzt_error **err)
{
  enum vzt_pack_format fmt;
  if (strchr(template, '/') || vzt_endswith(template, ".json") || vzt_pack_format_from_path(template, &fmt))
    return 0;
  _cleanup_free_ char *path = vzt_ctx_manifest_path(cache, template);
  if (access(path, F_OK) == 0 || errno != ENOENT)
    return 0;
  _cleanup_free_ char *dir = vzt_cache_path(cache, "templates");
  _cleanup_closedir_ DIR *d = opendir(dir);
  _cleanup_strv_ char **near = vzt_calloc(1, sizeof(char *));
  size_t held = 0;
  struct dirent *de;
  while (d && (de = readdir(d))) {
    if (!vzt_cache_is_manifest(de->d_name))
      continue;
    held++;
    _cleanup_free_ char *name = vzt_strndup(de->d_name, strlen(de->d_name) - 5);
    const char *one[] = {name};
    if (!strncmp(name, template, strlen(template)) || vzt_ctx_suggest(template, one, 1))
      vzt_strv_push(&near, name);
  }
  vzt_strv_sort(near);
  _cleanup_free_ char *list = vzt_strv_join(near, ", ");
  if (near[0])
    return vzt_fail(err, "no template %s in the cache %s; did you mean %s?", template,
                    vzt_cache_dir(cache), list);
  if (held)
    return vzt_fail(err, "no template %s in the cache %s (`vztmpl list templates` shows the %zu it holds)",
                    template, vzt_cache_dir(cache), held);
  return vzt_fail(err, "no template %s: the cache %s holds none (build one with `vztmpl build`)", template,
                  vzt_cache_dir(cache));
}

int vzt_ctx_open_template(const struct vzt_ctx *ctx, const char *template, struct vzt_cache **cache, char **manifest,
                          struct vzt_error **err)
{
  *manifest = NULL;
  if (vzt_ctx_open_cache(ctx, cache, err) < 0)
    return -1;
  if (vzt_ctx_check_template(*cache, template, err) < 0) {
    vzt_cache_close(*cache);
    *cache = NULL;
    return -1;
  }
  *manifest = vzt_ctx_manifest_path(*cache, template);
  return 0;
}

int vzt_ctx_help_only(struct vzt_ctx *ctx, int argc, char **argv, void (*usage)(FILE *f))
{
  static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0}};
  int c;
  while ((c = vzt_ctx_getopt(ctx, argc, argv, "h", opts)) != -1)
    switch (c) {
    case 'h': usage(stdout); return 0;
    default: return VZT_EXIT_USAGE;
    }
  return -1;
}
