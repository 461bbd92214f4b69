/* Deploy: a verified template archive becomes a container root, by
 * extraction, a reflinked copy, or an overlayfs mount over a cached tree. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "cache/cache.h"
#include "lib/error.h"

enum vzt_deploy_mode {
  VZT_DEPLOY_EXTRACT, /* extract the archive into ROOT */
  VZT_DEPLOY_REFLINK, /* FICLONE copy of the cached unpacked tree */
  VZT_DEPLOY_OVERLAY, /* overlayfs: the cached tree as lower dir, ROOT.upper and ROOT.work beside ROOT */
};

struct vzt_deploy_opts {
  const char *manifest; /* the template's manifest; the archive is beside it */
  const char *root;     /* created where missing; must be empty */
  enum vzt_deploy_mode mode;
  uint32_t uid_shift;   /* added to every owner (user-namespaced containers); 0: none */
};

struct vzt_deploy_result {
  char *name;     /* the template's */
  char *lower;    /* reflink, overlay: the cached unpacked tree */
  char *upper;    /* overlay: where changes go */
  char *work;     /* overlay: overlayfs's work dir */
  bool unpacked_now; /* reflink, overlay: the cached tree was made by this run */
  double seconds;
};

/* Parses "extract", "overlay" or "reflink". */
int vzt_deploy_mode_parse(const char *s, enum vzt_deploy_mode *mode);
const char *vzt_deploy_mode_name(enum vzt_deploy_mode mode);
/* The archive's SHA-256 must match the manifest's (else a refusal) before
 * anything is written. Extraction runs in a worker confined to the root. */
int vzt_deploy(struct vzt_cache *cache, const struct vzt_deploy_opts *o, struct vzt_deploy_result *r,
               struct vzt_error **err);
void vzt_deploy_result_clear(struct vzt_deploy_result *r);
/* vzt_deploy by extraction, quietly: the shape vzt_build_opts.extract_template takes. */
int vzt_deploy_extract(struct vzt_cache *cache, const char *manifest, const char *root,
                       struct vzt_error **err);
