/* The merged-/usr links a new Debian root starts with, per release. */
#pragma once
#include "tmpl/arch.h"
#include "lib/error.h"

/* The top-level names X that become X -> usr/X: those base-files (the
 * verified .deb on base_files_fd) ships itself, or, when it ships none or
 * base_files_fd is -1, debootstrap's list for the architecture (bin, sbin,
 * lib and arch->deb_lib_links). */
int vzt_deb_usr_links(int base_files_fd, const struct vzt_arch *arch, char ***links,
                      struct vzt_error **err);
