/* Template hygiene: nothing host- or build-specific left in the root. */
#pragma once
#include "lib/error.h"

/* Empties /etc/machine-id, removes ssh host keys, apt lists and caches, logs,
 * backup copies of package databases, and leaves hostname/resolv.conf neutral. */
int vzt_hygiene_apply(const char *root, struct vzt_error **err);
