/* Comparing two templates: their package lists (from the manifests) and,
 * on request, the paths in their archives. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "lib/error.h"
#include "tmpl/manifest.h"

enum vzt_diff_kind {
  VZT_DIFF_ADDED,      /* only in B */
  VZT_DIFF_REMOVED,    /* only in A */
  VZT_DIFF_UPGRADED,   /* packages: B's version is newer */
  VZT_DIFF_DOWNGRADED, /* packages: B's version is older */
  VZT_DIFF_CHANGED,    /* packages: same version, other architecture or bytes; paths: any attribute */
};

struct vzt_diff_package {
  enum vzt_diff_kind kind;
  char *name;
  char *old_version, *new_version; /* NULL on the side where it is missing */
  char *old_arch, *new_arch;
};

/* What differs about a path present in both archives. */
enum {
  VZT_DIFF_TYPE = 1 << 0,
  VZT_DIFF_MODE = 1 << 1,
  VZT_DIFF_OWNER = 1 << 2,
  VZT_DIFF_SIZE = 1 << 3,
  VZT_DIFF_TARGET = 1 << 4,  /* symbolic or hard link target */
  VZT_DIFF_CONTENT = 1 << 5, /* sha256 of a regular file's data */
};

struct vzt_diff_path {
  enum vzt_diff_kind kind; /* ADDED, REMOVED or CHANGED */
  char *path;              /* "/etc/passwd" */
  unsigned what;           /* CHANGED: VZT_DIFF_* bits */
};

struct vzt_diff {
  struct vzt_diff_package *packages; /* sorted by name */
  size_t npackages;
  struct vzt_diff_path *paths;       /* sorted by path; only after vzt_diff_archives */
  size_t npaths;
  bool paths_compared;
};

/* Packages of a against those of b: paired by name (and by architecture
 * where a name appears more than once), versions compared by the rules of
 * the family the manifests name (Debian's when they name none). */
int vzt_diff_packages(const struct vzt_manifest *a, const struct vzt_manifest *b, struct vzt_diff *d,
                      struct vzt_error **err);
/* Streams both archives (never unpacked to disk) and lists the paths added,
 * removed and changed (type, mode, owner, size, link target, content; not
 * mtime). Each archive is hashed while it is read: one whose sha256 is not
 * sha256_a/sha256_b (when given) is refused. */
int vzt_diff_archives(const char *archive_a, const char *sha256_a, const char *archive_b,
                      const char *sha256_b, struct vzt_diff *d, struct vzt_error **err);
/* Debian version order: <0, 0, >0. */
int vzt_diff_vercmp(const char *a, const char *b);
const char *vzt_diff_kind_name(enum vzt_diff_kind kind);
/* "type,mode,content" for the bits set; caller frees. */
char *vzt_diff_what_string(unsigned what);
bool vzt_diff_empty(const struct vzt_diff *d);
void vzt_diff_clear(struct vzt_diff *d);
