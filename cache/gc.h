/* What the cache holds and garbage collection: sizes by kind, removal of
 * blobs no cached template needs, clean-up. The caller says which blobs are
 * needed (cache/ does not read manifests). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "cache/cache.h"
#include "lib/error.h"

struct vzt_cache_area {
  uint64_t bytes, files;
};

/* The kinds of things under the cache directory. */
struct vzt_cache_usage {
  struct vzt_cache_area referenced;   /* blobs a cached template's manifest lists */
  struct vzt_cache_area unreferenced; /* other blobs that are not index data */
  struct vzt_cache_area indices;      /* index blobs (Packages files with a parsed copy in solv/) */
  struct vzt_cache_area parsed;       /* solv/: parsed indices */
  struct vzt_cache_area releases;     /* releases/: signed Release files, for --offline */
  struct vzt_cache_area templates;    /* templates/: archives and manifests */
  struct vzt_cache_area tmp;          /* tmp/: work directories */
  struct vzt_cache_area partial;      /* *.part downloads and *.tmp.<pid> leftovers */
  struct vzt_cache_area unpacked;     /* unpacked/: trees deploy keeps for overlay and reflink */
};

/* Sizes by kind. referenced: sha256 hex strings of the blobs cached
 * templates need (NULL-terminated, any order; NULL: none). */
int vzt_cache_usage(const struct vzt_cache *c, char *const *referenced, struct vzt_cache_usage *u,
                    struct vzt_error **err);

struct vzt_gc_opts {
  char *const *referenced; /* as for vzt_cache_usage: these blobs are never removed */
  unsigned keep_days;      /* index data (index blobs and solv/) touched within this many days stays */
  bool dry_run;            /* count what would go, remove nothing */
  time_t now;              /* 0: the current time */
};

/* What was (or, with dry_run, would be) removed, by kind (same fields as usage). */
struct vzt_gc_result {
  struct vzt_cache_usage freed;
  struct vzt_cache_area kept; /* blobs kept because a template needs them */
};

/* The rule: remove every blob that is neither referenced nor index data;
 * remove index data (the index blob and its solv/ files) whose newest mtime
 * is older than keep_days; remove tmp/ work directories whose process is
 * gone, *.part downloads and *.tmp.<pid> leftovers. Templates, releases/ and
 * unpacked/ are left alone. Takes the exclusive cache lock (waiting for
 * running builds); the caller should take it before computing referenced,
 * so no build can add a template in between. */
int vzt_cache_gc(struct vzt_cache *c, const struct vzt_gc_opts *o, struct vzt_gc_result *r,
                 struct vzt_error **err);

/* Removes blobs, parsed indices, releases, tmp/ and leftovers: everything
 * but the templates, and with all the templates too. unpacked/ stays (its
 * trees may be the lower layers of mounted overlays). Exclusive lock. */
int vzt_cache_clean(struct vzt_cache *c, bool all, bool dry_run, struct vzt_gc_result *r,
                    struct vzt_error **err);

/* Sum of every area. */
struct vzt_cache_area vzt_cache_usage_total(const struct vzt_cache_usage *u);

/* Removes the template name from templates/: its manifest first (from then
 * on no reader sees the template), then archive_file and the signed list and
 * signature kept beside a downloaded one. Adds what went (or, dry_run, would
 * go) to freed. The caller holds the exclusive lock and has checked that name
 * is a cached template. deploy's unpacked trees stay (they may be the lower
 * layers of mounted overlays), and so do the package blobs: gc removes those
 * once no template lists them. */
int vzt_cache_template_remove(struct vzt_cache *c, const char *name, const char *archive_file, bool dry_run,
                              struct vzt_cache_area *freed, struct vzt_error **err);
