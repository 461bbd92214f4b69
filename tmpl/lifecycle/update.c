/* vztmpl update: the build pipeline up to resolution, compared with the
 * cached manifest; the rest of the build only when something changed. */
#include "config.h"
#include "tmpl/lifecycle/update.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/strutil.h"

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
  bool archive = archive_present(path, &r->previous);
  if (vzt_diff_empty(&r->diff) && !r->recipe_changed && archive) {
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
  free(r->template_path);
  memset(r, 0, sizeof(*r));
}
