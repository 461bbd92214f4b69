/* Updating a cached template: resolve its request again against the mirror
 * and rebuild only when the transaction, the recipe or its files changed. */
#pragma once
#include <stdbool.h>
#include "cache/cache.h"
#include "tmpl/build.h"
#include "tmpl/lifecycle/diff.h"
#include "tmpl/manifest.h"

enum vzt_update_state {
  VZT_UPDATE_UP_TO_DATE, /* same transaction and recipe: nothing downloaded or built */
  VZT_UPDATE_STALE,      /* differs; dry run: not rebuilt */
  VZT_UPDATE_REBUILT,    /* differs; the new template replaced the old */
  VZT_UPDATE_NEW,        /* there was no cached template: built (or, dry run, would be) */
};

struct vzt_update_result {
  enum vzt_update_state state;
  bool recipe_changed;          /* the recipe file's sha256 is not the manifest's */
  char **inputs_changed;        /* "/etc/motd changed", "hook hooks/x.sh added", ...: the
                                 * recipe's files and hooks against the manifest's hashes */
  struct vzt_manifest previous; /* the cached manifest (zeroed for NEW) */
  struct vzt_manifest current;  /* resolved (or built) now */
  struct vzt_diff diff;         /* previous -> current packages */
  char *template_path;          /* REBUILT, NEW: the cached archive */
};

/* Completes o from the manifest m of a cached template: recipe, architecture,
 * variant, and the recorded includes, excludes, mirrors and keyring wherever
 * o leaves them unset. Pointers in o then point into m. Fails with a clear
 * message for a manifest written before inputs were recorded. */
int vzt_update_opts_from_manifest(const struct vzt_manifest *m, const char *manifest_path,
                                  struct vzt_build_opts *o, struct vzt_error **err);

/* Runs the build in o up to resolution and compares its transaction (name,
 * version, architecture, sha256 of every package), the recipe's sha256 and
 * the sha256 of every file and hook it names with previous_path's
 * manifest (NULL: the cached template of the name the recipe gives). Equal:
 * stops there. Different: unless o->dry_run, builds on, downloading only the
 * packages not in the cache, and replaces the cached template once the new
 * one is complete. */
int vzt_update_run(struct vzt_cache *cache, const struct vzt_build_opts *o,
                   const char *previous_path, struct vzt_update_result *r, struct vzt_error **err);
void vzt_update_result_clear(struct vzt_update_result *r);
