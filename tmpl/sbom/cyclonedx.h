/* A template's SBOM as CycloneDX 1.5 JSON, for tools that read that format. */
#pragma once
#include "lib/error.h"

/* The CycloneDX form of an SPDX document vzt_sbom_spdx wrote: the template
 * as metadata.component, each package a component (version, supplier,
 * SHA-256, declared license, purl, download URL) and its DEPENDS_ON as
 * dependencies, in the same order. */
int vzt_sbom_cyclonedx(const char *spdx, char **json, struct vzt_error **err);
