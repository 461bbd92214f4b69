/* Recipes: one INI file per release (recipes/<distro>/<codename>.conf). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "lib/error.h"

struct vzt_repo {
  char *name;        /* from "[repository NAME]" */
  char *family;      /* deb, rpm-md, urpmi */
  char **mirrors;    /* URLs; the single word "system" asks for discovery */
  char **suites;
  char **components;
  char *keyring;     /* absolute path */
  char **keys;       /* pinned fingerprints (may be empty) */
  char *metadata_signature; /* rpm-md: "required" (default) or "if-published" */
  char *package_signature;  /* rpm-md, urpmi: "required" (default), "allow-v3" or "none" */
  char *metalink;           /* rpm-md: a metalink URL giving mirrors and repomd.xml's digests */
};

/* A key=value line from [packages] or [variant X], in file order; lines of the
 * customization sections ([files] [groups] [users] [services] [settings]
 * [hooks]) are kept the same way with section "@files" and so on. */
struct vzt_recipe_entry {
  char *section; /* "packages" or the variant name */
  char *key;     /* install, install.<arch>, exclude, exclude.<arch>, base, weak, extends */
  char *value;
};

struct vzt_recipe {
  char *path;
  char *dir;              /* the recipe's directory: files and hooks are found from it */
  char *base;             /* "[template] base = debian:12": the recipe this one extends */
  char *name;             /* "[template] name = acme-web": the template name's stem */
  char *sha256;           /* of the file's bytes: recorded in manifests */
  char *distribution;     /* debian */
  char *release;          /* 13 */
  char *codename;         /* trixie */
  char **architectures;   /* in the distribution's spelling */
  char **variants;
  char *default_variant;
  struct vzt_repo *repos;
  size_t nrepos;
  struct vzt_recipe_entry *entries;
  size_t nentries;
};

/* The packages a variant asks for on one architecture (in the recipe's spelling). */
struct vzt_selection {
  char *base;       /* the family's base set keyword, e.g. "required"; NULL for none */
  char **install;
  char **exclude;
  int weak;         /* follow weak dependencies: 1 yes, 0 no, -1 the recipe does not say */
};

/* Finds a recipe by "debian", "debian:12", "debian:bookworm" or a path. */
int vzt_recipe_find(const char *recipes_dir, const char *spec, char **path, struct vzt_error **err);
int vzt_recipe_load(const char *path, struct vzt_recipe **out, struct vzt_error **err);
void vzt_recipe_free(struct vzt_recipe *r);
/* For a recipe with a base: loads the base (by name from recipes_dir, or a
 * path beside this recipe) and takes from it everything this one does not
 * say; package lines add up, the base's first. Checks the result. */
int vzt_recipe_inherit(struct vzt_recipe *r, const char *recipes_dir, struct vzt_error **err);
/* Merges [packages] and the variant's chain ("extends") for arch. */
int vzt_recipe_select(const struct vzt_recipe *r, const char *variant, const char *arch,
                      struct vzt_selection *sel, struct vzt_error **err);
void vzt_selection_clear(struct vzt_selection *sel);
/* The recipes directory: --recipes-dir, $VZTMPL_RECIPES, the source tree's
 * recipes/ when run from the build tree, else the installed one. */
const char *vzt_recipe_default_dir(void);
/* Every recipe file under dir (sorted), for `list recipes`. */
char **vzt_recipe_list(const char *recipes_dir);
