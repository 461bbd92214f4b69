/* Machine-readable Debian copyright files (copyright-format 1.0, "DEP-5"):
 * the licenses a package declares, as SPDX license expressions. */
#pragma once
#include <stddef.h>

struct vzt_dep5 {
  char **licenses;  /* the License names of the Files paragraphs, unique, sorted */
  char **names;     /* license names with a text in the file ... */
  char **texts;     /* ... and those texts (standalone License paragraphs first) */
};

/* Reads a copyright file: 1 with d filled when it is copyright-format 1.0 and
 * names at least one license in a Files paragraph, 0 (d empty) otherwise. */
int vzt_dep5_parse(const char *text, size_t len, struct vzt_dep5 *d);
void vzt_dep5_clear(struct vzt_dep5 *d);
/* The text d gives for license name, or NULL. */
const char *vzt_dep5_text(const struct vzt_dep5 *d, const char *name);

/* One DEP-5 license expression ("GPL-2+ or Artistic") as an SPDX one
 * ("GPL-2.0-or-later OR Artistic-1.0"): names SPDX knows by their SPDX id,
 * others as LicenseRef-<name>; each such id and the DEP-5 name it stands for
 * are pushed onto *ref_ids and *ref_names. An expression with an exception
 * or commas becomes one LicenseRef. */
char *vzt_dep5_to_spdx(const char *license, char ***ref_ids, char ***ref_names);
/* LicenseRef-<name>, SPDX's id for a license it does not list ('+' spelt
 * "-or-later", other characters an id cannot hold as '-'); pushed onto
 * *ref_ids and name onto *ref_names. */
char *vzt_dep5_license_ref(const char *name, char ***ref_ids, char ***ref_names);
/* All of d's licenses as one SPDX expression, joined with AND (compound
 * ones in parentheses); NULL when d names none. */
char *vzt_dep5_declared(const struct vzt_dep5 *d, char ***ref_ids, char ***ref_names);
