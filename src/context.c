/* Shared plumbing of the commands: cache opening, error reporting. */
#include "config.h"
#include "src/context.h"
#include "kernel-support/userns.h"
#include "tmpl/recipe.h"
#include "lib/log.h"
#include "lib/strutil.h"

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
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
  if (vzt_endswith(template, ".tar.zst"))
    return vzt_strdupf("%.*s.json", (int) (strlen(template) - 8), template);
  _cleanup_free_ char *rel = vzt_strdupf("templates/%s.json", template);
  return vzt_cache_path(cache, rel);
}
