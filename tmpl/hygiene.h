/* Template hygiene: nothing host- or build-specific left in the root. */
#pragma once
#include "lib/error.h"

/* Empties /etc/machine-id, removes ssh host keys, apt lists and caches, logs,
 * backup copies of package databases; writes hostname ("localhost" unless a
 * recipe says otherwise) and leaves resolv.conf to the container manager. */
int vzt_hygiene_apply(const char *root, const char *hostname, struct vzt_error **err);
