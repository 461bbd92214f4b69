/* What every command gets from the global options. */
#pragma once
#include <stdbool.h>
#include "cache/cache.h"
#include "lib/error.h"

struct vzt_ctx {
  const char *cache_dir;    /* -C; NULL = default */
  const char *recipes_dir;  /* --recipes-dir; NULL = default */
  int jobs;                 /* -j; 0 = CPUs */
  int verbosity;
  bool json;
  bool progress;
  char *default_cache_dir;  /* fixed before a rootless command becomes root of a user namespace */
};

/* Opens the cache (creating it) and takes its shared lock. */
int vzt_ctx_open_cache(const struct vzt_ctx *ctx, struct vzt_cache **cache, struct vzt_error **err);
const char *vzt_ctx_recipes_dir(const struct vzt_ctx *ctx);
/* Root of a user namespace over the caller's subordinate ids when the
 * caller is not root (kernel-support/userns.h); nothing for root. The cache
 * stays the caller's own. Call after option parsing, before any thread. */
int vzt_ctx_become_root(struct vzt_ctx *ctx, bool need_range, struct vzt_error **err);
/* Prints err as "error: ..." and returns its exit code. */
int vzt_ctx_report(struct vzt_error **err);
/* A cached template name or a path to an archive/manifest -> manifest path. */
char *vzt_ctx_manifest_path(struct vzt_cache *cache, const char *template);
