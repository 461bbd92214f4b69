/* Between a libsolv Repo and the cache's parsed copies of indices (cache/solv-cache.h). */
#pragma once
#include <stdbool.h>
#include <solv/repo.h>
#include "cache/cache.h"

/* Adds key's cached parsed index to repo when the cache holds a good one
 * (see vzt_solv_cache_lookup); *extra (when not NULL) receives the .meta's
 * family-specific lines. False on a miss: the caller parses the index. */
bool vzt_index_cache_load(const struct vzt_cache *c, Repo *repo, const char *key,
                          const char *version, char **extra);
/* Keeps repo (internalized) as key's parsed index, with the .meta's
 * family-specific lines extra (or NULL). Best effort: the cache only saves time. */
void vzt_index_cache_save(const struct vzt_cache *c, Repo *repo, const char *key,
                          const char *version, const char *extra);
