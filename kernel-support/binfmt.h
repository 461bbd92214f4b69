/* Foreign binaries: whether this kernel can run another architecture's
 * programs, natively or through a binfmt_misc handler (qemu-user). */
#pragma once
#include <stdbool.h>
#include "lib/error.h"

/* The qemu-user name of a canonical architecture (x86_64 -> x86_64, ppc64le
 * -> ppc64le, armv7l -> arm, i686 -> i386), or NULL. */
const char *vzt_binfmt_qemu_name(const char *canonical);
/* True when the host runs the architecture's binaries itself. */
bool vzt_binfmt_native(const char *canonical);
/* Makes sure programs of the architecture run here, inside a chroot too:
 * native; or a registered handler with the F flag (its interpreter opened at
 * registration); or, as root, registers one from an installed qemu-user-static
 * (mounting binfmt_misc where needed). Otherwise an error that names the
 * package to install. *how gets "native" or the handler's name. */
int vzt_binfmt_ensure(const char *canonical, const char **how, struct vzt_error **err);
