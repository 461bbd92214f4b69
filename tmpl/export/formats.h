/* Plain template tars (OpenVZ, Proxmox) and the LXD/Incus unified tarball. */
#pragma once
#include "tmpl/export/export.h"

/* tar.gz, tar.xz, tar.zst, tar.bz2: -o names the file, or a directory in
 * which each template gets its platform's name. */
vzt_export_fn vzt_export_plain;
/* lxd, incus: metadata.yaml, templates/ (hostname and hosts set per
 * container at creation) and rootfs/, zstd-compressed; one template. */
vzt_export_fn vzt_export_lxd;
/* The same image of the template whose manifest is at manifest, into dest
 * (relative to dirfd, or AT_FDCWD). */
int vzt_export_lxd_file(const char *manifest, int dirfd, const char *dest, struct vzt_error **err);
