/* Internals shared by the two RPM families (tmpl/rpm/rpmmd.c, tmpl/rpm/urpmi.c). */
#pragma once
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "tmpl/family.h"
#include "lib/digest.h"

/* The base URLs of one [repository]: --mirror / VZTMPL_MIRROR_<DISTRO> when
 * given, else the recipe's URLs. "mirror = none" in a recipe (no public
 * mirror is named in this project) without an override is a usage error that
 * says how to give one. Trailing slashes are dropped. */
int vzt_rpm_mirrors(const struct vzt_family_job *job, const struct vzt_repo *repo, char ***out,
                    struct vzt_error **err);

/* A repository path from the recipe's "suites" with $basearch/$arch and
 * $releasever substituted ("." is the mirror itself). */
char *vzt_rpm_expand(const char *tmpl, const char *arch, const char *release);

/* mirror + "/" + base + "/" + file for every mirror (base "." drops out). */
char **vzt_rpm_urls(char *const *mirrors, const char *base, const char *file);

/* A stream of a file's uncompressed bytes: gzip, xz, zstd, bzip2 or none,
 * told by magic bytes, never by name (Mageia writes zstd as ".cz"). */
FILE *vzt_rpm_open_decompressed(const char *path, struct vzt_error **err);

/* Fetches a small metadata file (repomd.xml and its signature, a metalink,
 * MD5SUM, a media pubkey) into memory, trying urls in order, and keeps a copy
 * in the cache's releases/ (or notes that none was published) so that
 * --offline can read it again; whatever reads it verifies it again each
 * time. Not published anywhere: -1 with err->errnum == ENOENT. */
int vzt_rpm_fetch_small(struct vzt_family_job *job, char *const *urls, char **data, size_t *len,
                        struct vzt_error **err);

/* Downloads a metadata file named by its type/hex digest into the cache's
 * blob store, unless it is there (sha256 only); a mismatch on every mirror
 * is a refusal naming the file. *path gets the blob, sha256 (65 bytes) its
 * sha256. */
int vzt_rpm_fetch_checked(struct vzt_family_job *job, char **urls, enum vzt_digest_type type,
                          const char *hex, uint64_t size, const char *label, char **path,
                          char *sha256, struct vzt_error **err);

/* One <data> entry of repomd.xml: where the file is, and its checksum. */
struct vzt_repomd_file {
  char *location;
  enum vzt_digest_type type;
  char hex[VZT_DIGEST_HEX_MAX];
  uint64_t size;
};

/* What a verified repomd.xml says (tmpl/rpm/repomd.c). */
struct vzt_repomd {
  time_t timestamp;
  struct vzt_repomd_file primary;
  struct vzt_repomd_file group; /* location NULL when none was asked for or published */
  struct vzt_repomd_file filelists; /* location NULL when none is published */
};

/* Parses repomd.xml; url names it in errors. No primary entry, or an entry
 * without a location or a known checksum, is a refusal. want_group looks
 * for the comps file too (zst, xz, gz, then plain). */
int vzt_repomd_parse(Pool *pool, const char *data, size_t len, bool want_group, const char *url,
                     struct vzt_repomd *out, struct vzt_error **err);
void vzt_repomd_clear(struct vzt_repomd *m);

/* Loads an index into repo through the parsed copy solv/<sha256>.solv when
 * there is a good one, else with load (which reads the decompressed file)
 * and writes that copy. */
int vzt_rpm_index_load(struct vzt_family_job *job, Repo *repo, const char *path,
                       const char *sha256, int (*load)(Repo *repo, FILE *fp),
                       const char *what, struct vzt_error **err);

/* Repo->appdata of the RPM families: where packages come from, and the
 * recipe's repository for its keyring and signature policy. */
struct vzt_rpm_repo {
  struct vzt_family_repo common; /* first: vzt_family_job_clear frees it as one */
  const struct vzt_repo *conf;
  /* rpm-md: the suite's base path and its file lists (location NULL when
   * repomd.xml lists none), loaded only when a file dependency needs them. */
  char *base;
  struct vzt_repomd_file filelists;
  /* The media's fetched pubkey for "keyring = @media", else empty; in the
   * same allocation, which vzt_family_job_clear frees. */
  char keyring[];
};

/* Creates the repo for a loaded index with its mirrors and label. */
Repo *vzt_rpm_repo_create(struct vzt_family_job *job, const struct vzt_repo *conf,
                          const char *keyring, char *const *mirrors, const char *base,
                          const char *label);

/* vzt_family_ops.install of both families (tmpl/rpm/install.c): payloads
 * extracted natively, then installed and registered by rpm. */
int vzt_rpm_install(struct vzt_family_job *job, const char *root, Solvable **order, size_t n,
                    char *const *blobs, struct vzt_error **err);

/* vzt_family_ops.check_packages of both families: each package's header
 * signature against its repository's pinned keys (package-signature) and its
 * header and payload digests, with librpm. */
int vzt_rpm_check_packages(struct vzt_family_job *job, Solvable **order, size_t n,
                           char *const *blobs, struct vzt_error **err);

/* Parses an MD5SUM file ("<32 hex>  <name>" lines) and returns the md5 of
 * name in hex (33 bytes), or 0 with *found false when it is not listed.
 * A malformed line is an error naming it. */
int vzt_urpmi_md5sum_find(const char *text, size_t len, const char *name, char *hex, bool *found,
                          struct vzt_error **err);

/* What a metalink says about one repository's repomd.xml. */
struct vzt_rpm_metalink {
  char **mirrors; /* repository base URLs, most preferred first */
  char **sha256;  /* digests repomd.xml may have (the current one and alternates) */
  char **sha512;
};

/* Parses a metalink document; no usable URL or no sha256/sha512 of
 * repomd.xml is an error naming `what`. */
int vzt_rpm_metalink_parse(const char *xml, size_t len, const char *what,
                           struct vzt_rpm_metalink *out, struct vzt_error **err);
void vzt_rpm_metalink_clear(struct vzt_rpm_metalink *m);

/* vzt_family_ops.read_installed of both families (tmpl/rpm/installed.c):
 * the rpmdb files alone, extracted from the archive into a private
 * temporary directory, read with librpm. */
int vzt_rpm_read_installed(const char *archive, struct vzt_installed *out, struct vzt_error **err);
