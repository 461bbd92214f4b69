/* Rootless runs: an ordinary user becomes root of a user namespace over
 * their subordinate id range (newuidmap/newgidmap, as podman and buildah do),
 * so that chroot, chown, namespaces and mounts of our own work as for root. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "lib/error.h"

/* One line of a uid_map or gid_map. */
struct vzt_idmap {
  uint32_t inside, outside, count;
};

/* The caller's first subordinate range for the user named `user` with id
 * `id` in a file laid out as /etc/subuid ("name-or-id:start:count" lines).
 * Returns 1 when one was found, 0 when none, -1 when the file is unreadable
 * (a missing file is 0). */
int vzt_userns_subid_range(const char *file, const char *user, uid_t id, uint32_t *start,
                           uint32_t *count, struct vzt_error **err);

/* Makes this process root of a new user namespace (and of a new mount
 * namespace), mapping 0 to the caller's own uid and gid and 1..N to their
 * subordinate ranges. Must be called while the process has one thread. Does
 * nothing for root. need_range: owners other than root must be mappable
 * (builds, deploys); without it a single mapping of 0 is enough when the
 * helpers or the range are missing (exec). Fails saying exactly what is
 * missing and how to get it. */
int vzt_userns_enter(bool need_range, struct vzt_error **err);

/* True after a successful vzt_userns_enter by a non-root caller: root here
 * is not root of the host (no cgroups of the host's, no binfmt_misc). */
bool vzt_userns_active(void);
/* The caller's uid on the host (getuid() before entering). */
uid_t vzt_userns_host_uid(void);
