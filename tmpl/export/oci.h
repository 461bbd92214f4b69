/* The OCI image writers: an image layout directory (oci) or its tar (oci-archive). */
#pragma once
#include "tmpl/export/export.h"

/* Writes req's templates (one, or one per architecture of the same
 * distribution, release and variant) as one OCI image: a manifest per
 * template, the template archive as its single layer, and the vztmpl
 * manifest as a blob the OCI manifest names. */
int vzt_export_oci(const struct vzt_export_request *req, struct vzt_error **err);
