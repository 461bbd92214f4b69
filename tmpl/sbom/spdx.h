/* A template's software bill of materials as an SPDX 2.3 JSON document,
 * written beside its manifest. */
#pragma once
#include "tmpl/manifest.h"

/* The SBOM's path for a template's archive or manifest path ("x.tar.zst",
 * "x.json" -> "x.spdx.json"). */
char *vzt_sbom_path(const char *template_path);
/* The SBOM of the template m describes, whose archive is at archive: the
 * same bytes for the same manifest, archive and SOURCE_DATE_EPOCH. */
int vzt_sbom_spdx(const struct vzt_manifest *m, const char *archive, char **json,
                  struct vzt_error **err);
/* The SBOM at path when it describes m's archive (its namespace names the
 * archive's sha256): 1 with its text in *json; 0 when it is absent, or one
 * of another archive (a template rebuilt by a vztmpl that wrote none). */
int vzt_sbom_read_current(const char *path, const struct vzt_manifest *m, char **json);
/* vzt_sbom_spdx written to name (relative to dirfd) under a temporary name
 * and renamed. */
int vzt_sbom_write(const struct vzt_manifest *m, const char *archive, int dirfd, const char *name,
                   struct vzt_error **err);
