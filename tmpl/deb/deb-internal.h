/* Internals shared by the deb family's files in tmpl/deb/ (family.c, index.c, install.c). */
#pragma once
#include "tmpl/family.h"

/* Loads a Packages index (any compression) from the verified blob into repo,
 * through the cache's parsed .solv copy when there is one, and adds the names
 * in job's base set (Priority/Essential, which libsolv does not keep). */
int vzt_deb_index_load(struct vzt_family_job *job, Repo *repo, const char *blob_path,
                       const char *sha256, struct vzt_error **err);

/* Parses a decompressed Packages index into repo (internalized) and gathers
 * the names of its Priority: required and Essential: yes packages into the
 * two NULL-terminated lists. A malformed stanza, or one package listed
 * twice with different contents, is a refusal. */
int vzt_deb_index_parse(Repo *repo, const char *text, size_t len, char ***required,
                        char ***essential, struct vzt_error **err);

/* The deb family's install stage (vzt_family_ops.install). */
int vzt_deb_install(struct vzt_family_job *job, const char *root, Solvable **order, size_t n,
                    char *const *blobs, struct vzt_error **err);

/* The deb family's read_installed (tmpl/deb/installed.c): dpkg's status
 * file, read out of the template archive without unpacking it. */
int vzt_deb_read_installed(const char *archive, struct vzt_installed *out, struct vzt_error **err);
