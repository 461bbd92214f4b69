/* A build from recipe to template as one call: resolve, fetch, install, clean,
 * pack, record (README.md, "Layout", lists where each step lives). */
#pragma once
#include <stdbool.h>
#include "cache/cache.h"
#include "tmpl/manifest.h"

struct vzt_build_opts {
  const char *recipe;       /* "debian", "debian:12", a path */
  const char *recipes_dir;
  const char *arch;         /* any spelling; NULL = the host's */
  const char *variant;      /* NULL = the recipe's default */
  char **mirrors;           /* --mirror (repeatable) or VZTMPL_MIRROR_<DISTRO> */
  char **default_mirrors;   /* when neither of those gives any (update: the recorded ones) */
  const char *keyring;      /* --keyring */
  char **include, **exclude;
  const char *output;       /* -o: also write the archive here */
  bool offline, dry_run, fetch_only;
  bool emulate;             /* --emulate: configure a foreign root by its own programs under qemu */
  int jobs;                 /* 0 = number of CPUs */
  /* Extracts the template whose manifest is named into dir (new, in a private
   * directory) with deploy's checks (its archive's SHA-256, extraction's
   * refusals): a foreign build may take the programs its configure stage
   * runs from the native template of its release. NULL: it never does. */
  int (*extract_template)(struct vzt_cache *cache, const char *manifest, const char *dir,
                          struct vzt_error **err);
  /* Called once the transaction is resolved, with m holding the names, the
   * package list and, as customizations, the records of the recipe's files
   * and hooks as they are now (vzt_customize_inputs): < 0 fails the build
   * (err set), 0 stops it there with success (nothing downloaded), > 0 goes on. */
  int (*resolved)(void *data, const struct vzt_manifest *m, struct vzt_error **err);
  void *resolved_data;
};

/* Fills m (the manifest; for dry runs only the package list and names).
 * *template_path gets the cached archive's path. */
int vzt_build_run(struct vzt_cache *cache, const struct vzt_build_opts *o, struct vzt_manifest *m,
                  char **template_path, struct vzt_error **err);
/* debian-13-x86_64, with "-<variant>" unless it is the recipe's default. */
char *vzt_build_template_name(const char *distro, const char *release, const char *arch,
                              const char *variant, const char *default_variant);
