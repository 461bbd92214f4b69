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
};

/* Opens the cache (creating it) and takes its shared lock. */
int vzt_ctx_open_cache(const struct vzt_ctx *ctx, struct vzt_cache **cache, struct vzt_error **err);
const char *vzt_ctx_recipes_dir(const struct vzt_ctx *ctx);
/* Prints err as "error: ..." and returns its exit code. */
int vzt_ctx_report(struct vzt_error **err);
/* A cached template name or a path to an archive/manifest -> manifest path. */
char *vzt_ctx_manifest_path(struct vzt_cache *cache, const char *template);
