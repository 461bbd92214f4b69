/* Writing verified templates in another platform's own format (LXD/Incus, OCI, plain OpenVZ/Proxmox tars). */
#ifndef VZT_EXPORT_H
#define VZT_EXPORT_H

#include "lib/error.h"

#include <stddef.h>

/* What every format writer receives: the templates to write, each already verified
   against its manifest, and the output path the user named. */
struct vzt_export_request {
  const char *format;               /* as named on the command line: lxd, oci-archive, tar.zst... */
  const char *const *manifests;     /* paths of the templates' .json, verified */
  size_t n;                         /* formats that take one template refuse n > 1 */
  const char *out;                  /* -o PATH: a file, or a directory for the oci layout */
  const char *tag;                  /* --tag (oci): the image's ref.name; NULL: the release */
  const char *layer;                /* --layer (oci): zstd (the archive as it is) or gzip; NULL: zstd */
};

typedef int vzt_export_fn(const struct vzt_export_request *req, struct vzt_error **err);

#endif
