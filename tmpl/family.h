/* The interface each distribution family (deb, rpm-md, urpmi) implements, the
 * way libarchive registers one reader per format, and the job they share. */
#pragma once
#include <stdbool.h>
#include <time.h>
#include <solv/pool.h>
#include <solv/repo.h>
#include "cache/cache.h"
#include "tmpl/arch.h"
#include "tmpl/manifest.h"
#include "tmpl/recipe.h"

/* What one build knows while it loads indices and installs packages. */
struct vzt_family_job {
  struct vzt_cache *cache;
  const struct vzt_recipe *recipe;
  const struct vzt_arch *arch;
  const char *arch_name;       /* the family's spelling (amd64) */
  Pool *pool;
  char **mirror_override;      /* --mirror / VZTMPL_MIRROR_<DISTRO>: replaces "system" */
  const char *keyring_override;/* --keyring */
  const char *apt_dir;         /* where `mirror = system` looks; NULL = /etc/apt */
  bool offline;                /* only what the cache holds */
  int parallel;                /* download connections */
  int parallel_unpack;         /* extraction workers */
  time_t epoch;                /* SOURCE_DATE_EPOCH of this build */
  time_t now;
  time_t index_date;           /* newest signed index date seen: the default SOURCE_DATE_EPOCH */
  time_t packages_date;        /* newest build time of the checked packages: the default when
                                * no index is dated (urpmi media) */
  char **base_names;           /* names in the family's base set, gathered while loading */
  char **essential_names;      /* packages marked Essential: configured before the rest */
  const char *base_keyword;    /* e.g. "required": which base set to gather */
  char **verified;             /* "suite fingerprint" lines for the manifest */
  char **customized;           /* what the recipe's customization did, for the manifest */
  const struct vzt_target *target; /* the root being built and its limits (install only) */
  bool emulate;                /* --emulate: a foreign root's own programs configure it, under qemu */
  /* vzt_build_opts.extract_template: a cached template into a directory; NULL: none. */
  int (*extract_template)(struct vzt_cache *cache, const char *manifest, const char *dir,
                          struct vzt_error **err);
  const char *configure;       /* set by install: how it configured (see vzt_manifest.configure) */
  char *configure_tools;       /* set by install: whose tools did (see vzt_manifest.configure_tools) */
};

/* Per loaded repository (Repo->appdata): where its packages come from. */
struct vzt_family_repo {
  char **mirrors;     /* base URLs in failover order */
  char *label;        /* "main trixie/main" for messages */
  /* Frees what a family keeps beyond these two; NULL: nothing. */
  void (*clear)(struct vzt_family_repo *fr);
};

/* What a package database says of one entry. */
enum vzt_installed_state {
  VZT_INSTALLED,        /* fully installed */
  VZT_INSTALLED_PARTLY, /* selected for installation but not (fully) installed */
  VZT_INSTALLED_GONE,   /* a leftover that is no package: removed with its configuration
                         * kept, or rpm's gpg-pubkey entries */
};

struct vzt_installed_package {
  char *name;
  char *version;      /* as the manifest writes it: libsolv's evr ("E:V-R", no "0:") */
  char *architecture; /* the family's spelling, as the manifest's */
  char *status;       /* the database's own words, for messages ("Status: install ok unpacked") */
  enum vzt_installed_state state;
  /* What an SBOM says of it; NULL where the database does not say. */
  char *supplier;     /* deb's Maintainer, rpm's Packager or else Vendor */
  char *license;      /* rpm's License tag (a deb's is in its copyright file) */
  char **depends;     /* one entry per requirement; alternatives joined by '|' (deb) */
  char **provides;    /* names it also answers to (virtual packages, rpm capabilities) */
};

/* A template's package database, read out of its archive. */
struct vzt_installed {
  struct vzt_installed_package *packages;
  size_t n;
};

void vzt_installed_push(struct vzt_installed *l, const char *name, const char *version,
                        const char *architecture, const char *status,
                        enum vzt_installed_state state);
void vzt_installed_clear(struct vzt_installed *l);

struct vzt_family_ops {
  const char *name;                                  /* "deb" */
  int disttype;                                      /* libsolv's DISTTYPE_* */
  const char *noarch;                                /* its architecture-independent "all" */
  const char *(*arch_name)(const struct vzt_arch *a);
  /* Fetch, verify and load one [repository] of the recipe into job->pool. */
  int (*load_repo)(struct vzt_family_job *job, const struct vzt_repo *repo, struct vzt_error **err);
  /* When the package set does not resolve for want of a file dependency:
   * loads what the indices turn out to need beyond what load_repo took
   * (rpm-md: the file lists). 1: loaded more, resolve again; 0: nothing to
   * add. NULL: nothing ever. */
  int (*complete)(struct vzt_family_job *job, struct vzt_error **err);
  /* Install the ordered transaction into root: unpack payloads, register the
   * packages with the target's package manager, run its scripts in the sandbox. */
  int (*install)(struct vzt_family_job *job, const char *root, Solvable **order, size_t n,
                 char *const *blobs, struct vzt_error **err);
  /* Checks the downloaded packages before `fetch` or `build` may use them,
   * beyond the index's hashes (RPM header signatures); NULL: nothing more. A
   * package that fails is removed from the cache. */
  int (*check_packages)(struct vzt_family_job *job, Solvable **order, size_t n,
                        char *const *blobs, struct vzt_error **err);
  /* Reads the package database out of a template archive (tar, any
   * compression) without unpacking the rest. An archive without the
   * family's database, or with a damaged one, is a refusal naming it. */
  int (*read_installed)(const char *archive, struct vzt_installed *out, struct vzt_error **err);
};

const struct vzt_family_ops *vzt_family_lookup(const char *name);
/* The family a template was built by, as its manifest records it; NULL for
 * a manifest written before the family was recorded, or an unknown one. */
const struct vzt_family_ops *vzt_family_of_manifest(const struct vzt_manifest *m);
/* Reads the package database of the template m describes out of archive
 * with its family's read_installed; for a manifest that records no family,
 * with the first family whose database the archive holds. *ops gets the
 * family. */
int vzt_family_read_installed(const struct vzt_manifest *m, const char *archive,
                              const struct vzt_family_ops **ops, struct vzt_installed *out,
                              struct vzt_error **err);
extern const struct vzt_family_ops vzt_family_deb;
extern const struct vzt_family_ops vzt_family_rpmmd;
extern const struct vzt_family_ops vzt_family_urpmi;

void vzt_family_job_clear(struct vzt_family_job *job);
/* The mirrors to use for a repository: the override, the recipe's URLs, or
 * the host's apt sources for "system". */
int vzt_family_mirrors(const struct vzt_family_job *job, const struct vzt_repo *repo, char ***out,
                       struct vzt_error **err);
