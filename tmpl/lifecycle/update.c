/* vztmpl update: the build pipeline up to resolution, compared with the
 * cached manifest; the rest of the build only when something changed. */
#include "config.h"
#include "tmpl/lifecycle/update.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <errno.h>
#include <libgen.h>
#include <string.h>
#include <unistd.h>

int vzt_update_opts_from_manifest(const struct vzt_manifest *m, const char *manifest_path,
                                  struct vzt_build_opts *o, struct vzt_error **err)
{
  if (!m->has_inputs || !m->recipe_path)
    return vzt_fail(err,
                    "%s does not record what %s was built from (it predates `vztmpl update`): "
                    "build it once more with `vztmpl build RECIPE`, or update it with "
                    "`vztmpl build RECIPE --update` and the options it was built with",
                    manifest_path, m->name);
  if (access(m->recipe_path, R_OK) < 0)
    return vzt_fail_errno(err, errno,
                          "%s was built from the recipe %s, which cannot be read any more: give "
                          "the recipe with `vztmpl build RECIPE --update`",
                          m->name, m->recipe_path);
  o->recipe = m->recipe_path;
  if (!o->arch)
    o->arch = m->architecture;
  if (!o->variant)
    o->variant = m->variant;
  /* Given again on the command line, a list replaces the recorded one. */
  if (!o->include || !o->include[0])
    o->include = m->include;
  if (!o->exclude || !o->exclude[0])
    o->exclude = m->exclude;
  if (!o->keyring)
    o->keyring = m->keyring_override;
  o->default_mirrors = m->mirror_override;
  return 0;
}

struct update_state {
  struct vzt_cache *cache;
  const char *previous_path;
  bool dry_run;
  struct vzt_update_result *r;
};

static bool archive_present(const char *manifest_path, const struct vzt_manifest *m)
{
  if (!m->archive_file)
    return false;
  _cleanup_free_ char *dir = vzt_strdup(manifest_path);
  _cleanup_free_ char *path = strchr(m->archive_file, '/') ? vzt_strdup(m->archive_file)
                                                            : vzt_path_join(dirname(dir), m->archive_file);
  return access(path, F_OK) == 0;
}

/* What identifies a customization record across builds, and what it says
 * of that input: "file DEST MODE OWNER SHA256" is the file DEST; "link DEST
 * -> TARGET" the link DEST; "hook POINT PATH SHA256" the hook PATH at POINT.
 * Users, services and settings come from the recipe's text, which its own
 * sha256 covers. NULL for those. */
static char *input_key(const char *rec, char **label)
{
  _cleanup_strv_ char **w = vzt_strv_split(rec);
  size_t n = vzt_strv_len(w);
  if (n == 5 && !strcmp(w[0], "file")) {
    *label = vzt_strdup(w[1]);
    return vzt_strdupf("file %s", w[1]);
  }
  if (n == 4 && !strcmp(w[0], "link") && !strcmp(w[2], "->")) {
    *label = vzt_strdup(w[1]);
    return vzt_strdupf("link %s", w[1]);
  }
  if (n == 4 && !strcmp(w[0], "hook")) {
    *label = vzt_strdupf("hook %s", w[2]);
    return vzt_strdupf("hook %s %s", w[1], w[2]);
  }
  return NULL;
}

/* The record in v with key, or NULL. */
static const char *find_input(char *const *v, const char *key)
{
  for (size_t i = 0; v && v[i]; i++) {
    _cleanup_free_ char *label = NULL;
    _cleanup_free_ char *k = input_key(v[i], &label);
    if (k && !strcmp(k, key))
      return v[i];
  }
  return NULL;
}

/* One line per file or hook added, removed or changed between the
 * manifest's records (then) and the recipe's inputs (now). */
static char **inputs_changed(char *const *then, char *const *now)
{
  char **out = vzt_calloc(1, sizeof(char *));
  for (size_t i = 0; now && now[i]; i++) {
    _cleanup_free_ char *label = NULL;
    _cleanup_free_ char *key = input_key(now[i], &label);
    if (!key)
      continue;
    const char *old = find_input(then, key);
    if (!old)
      vzt_strv_push_take(&out, vzt_strdupf("%s added", label));
    else if (strcmp(old, now[i]))
      vzt_strv_push_take(&out, vzt_strdupf("%s changed", label));
  }
  for (size_t i = 0; then && then[i]; i++) {
    _cleanup_free_ char *label = NULL;
    _cleanup_free_ char *key = input_key(then[i], &label);
    if (key && !find_input(now, key))
      vzt_strv_push_take(&out, vzt_strdupf("%s removed", label));
  }
  return out;
}

/* The build's resolved hook: decides whether the build goes on. */
static int on_resolved(void *data, const struct vzt_manifest *m, struct vzt_error **err)
{
  struct update_state *st = data;
  struct vzt_update_result *r = st->r;
  _cleanup_free_ char *path = NULL;
  if (st->previous_path)
    path = vzt_strdup(st->previous_path);
  else {
    _cleanup_free_ char *rel = vzt_strdupf("templates/%s.json", m->name);
    path = vzt_cache_path(st->cache, rel);
    if (access(path, F_OK) < 0 && errno == ENOENT) {
      /* Nothing cached yet: the diff from nothing lists every package. */
      r->state = VZT_UPDATE_NEW;
      vzt_info("%s is not in the cache yet", m->name);
      return vzt_diff_packages(&r->previous, m, &r->diff, err) < 0 ? -1 : !st->dry_run;
    }
  }
  if (vzt_manifest_load(path, &r->previous, err) < 0)
    return -1;
  if (strcmp(r->previous.name, m->name))
    return vzt_fail(err, "%s is the manifest of %s, but its recipe now builds %s: build that with "
                         "`vztmpl build`",
                    path, r->previous.name, m->name);
  if (vzt_diff_packages(&r->previous, m, &r->diff, err) < 0)
    return -1;
  r->recipe_changed = !r->previous.recipe_sha256 || !m->recipe_sha256 ||
                      strcmp(r->previous.recipe_sha256, m->recipe_sha256);
  r->inputs_changed = inputs_changed(r->previous.customizations, m->customizations);
  bool archive = archive_present(path, &r->previous);
  if (vzt_diff_empty(&r->diff) && !r->recipe_changed && !r->inputs_changed[0] && archive) {
    r->state = VZT_UPDATE_UP_TO_DATE;
    return 0;
  }
  if (r->recipe_changed)
    vzt_info("%s: its recipe %s changed since it was built", m->name, m->recipe_path);
  if (!archive)
    vzt_info("%s: the archive %s is missing", m->name, r->previous.archive_file);
  r->state = st->dry_run ? VZT_UPDATE_STALE : VZT_UPDATE_REBUILT;
  return !st->dry_run;
}

int vzt_update_run(struct vzt_cache *cache, const struct vzt_build_opts *o,
                   const char *previous_path, struct vzt_update_result *r, struct vzt_error **err)
{
  memset(r, 0, sizeof(*r));
  struct update_state st = {.cache = cache, .previous_path = previous_path, .dry_run = o->dry_run,
                            .r = r};
  struct vzt_build_opts opts = *o;
  opts.resolved = on_resolved;
  opts.resolved_data = &st;
  /* The previous template stays in place until the build has packed the new
   * one completely and renames it over (tmpl/build.c): a failure loses nothing. */
  return vzt_build_run(cache, &opts, &r->current, &r->template_path, err);
}

void vzt_update_result_clear(struct vzt_update_result *r)
{
  vzt_manifest_clear(&r->previous);
  vzt_manifest_clear(&r->current);
  vzt_diff_clear(&r->diff);
  vzt_strv_free(r->inputs_changed);
  free(r->template_path);
  memset(r, 0, sizeof(*r));
}
