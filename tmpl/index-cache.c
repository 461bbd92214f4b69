/* Between a libsolv Repo and the cache's parsed copies of indices (cache/solv-cache.h). */
#include "config.h"
#include "tmpl/index-cache.h"
#include "cache/solv-cache.h"
#include "lib/cleanup.h"
#include "lib/log.h"

#include <solv/repo_solv.h>
#include <solv/repo_write.h>
#include <stdio.h>
#include <stdlib.h>

bool vzt_index_cache_load(const struct vzt_cache *c, Repo *repo, const char *key,
                          const char *version, char **extra)
{
  FILE *f = vzt_solv_cache_lookup(c, key, version, extra);
  if (!f)
    return false;
  int r = repo_add_solv(repo, f, 0);
  fclose(f);
  if (r != 0 && extra) {
    free(*extra);
    *extra = NULL;
  }
  if (r == 0)
    vzt_debug("parsed index %s taken from the cache", key);
  return r == 0;
}

void vzt_index_cache_save(const struct vzt_cache *c, Repo *repo, const char *key,
                          const char *version, const char *extra)
{
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&data, &len);
  if (!f)
    return;
  int r = repo_write(repo, f);
  if (fclose(f) != 0 || r != 0)
    return;
  struct vzt_error *e = NULL;
  if (vzt_solv_cache_store(c, key, version, data, len, extra, &e) < 0) {
    _cleanup_free_ char *msg = vzt_error_text(e);
    vzt_debug("parsed index %s not cached: %s", key, msg);
  }
  vzt_error_free(&e);
}
