/* Root that is not the host's root: the id range vztmpl runs target code
 * over when it is started by real root, the user namespace that maps it, and
 * the idmapped mount that lets such a namespace write the root's own ids. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "lib/error.h"

/* The mount API's names, for C libraries older than Linux 5.12's. */
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif

/* The user vztmpl's range is listed under in /etc/subuid and /etc/subgid. */
#define VZT_IDMAP_USER "vztmpl"
/* A Debian root owns files up to nobody (65534): one range of this size. */
#define VZT_IDMAP_COUNT 65536u
/* New ranges start here at the lowest, as useradd's SUB_UID_MIN does. */
#define VZT_IDMAP_MIN 100000u

/* Where inside uid and gid 0 are on the host; 1.. follow. */
struct vzt_idmap_range {
  uint32_t uid, gid, count;
};

/* vztmpl's range as the files list it, allocating nothing: 1 when both
 * have one (r->count the smaller count), 0 when either lacks one. */
int vzt_idmap_range_find(const char *subuid, const char *subgid, struct vzt_idmap_range *r,
                         struct vzt_error **err);

/* vztmpl's own range from the files laid out as /etc/subuid and
 * /etc/subgid; when either file lacks one, VZT_IDMAP_COUNT ids above every
 * range listed in both are added to it (created 0644 when missing). Fails
 * when a file cannot be read or written. */
int vzt_idmap_range_get(const char *subuid, const char *subgid, struct vzt_idmap_range *r,
                        struct vzt_error **err);

/* A user namespace whose uid and gid maps are "0 r->uid r->count" and "0
 * r->gid r->count", as an O_CLOEXEC fd; setgroups is allowed in it (its root
 * must shed the host's supplementary groups, and apt drops to _apt with
 * setgroups). Needs root. Returns the fd or -1. */
int vzt_idmap_userns_open(const struct vzt_idmap_range *r, struct vzt_error **err);

/* Whether dir's file system lets this kernel idmap a mount of it, tried on
 * a detached copy that is never attached: 1 yes, 0 no (*why says what
 * refused it, errno-style), -1 when the probe itself could not run. */
int vzt_idmap_mount_probe(const char *dir, int userns_fd, int *why, struct vzt_error **err);

/* What to tell a real-root caller whose root cannot be idmapped. */
#define VZT_IDMAP_ALTERNATIVES                                                                     \
  "run vztmpl as an ordinary user (rootless, over their subordinate ids), or deploy the root with " \
  "--uid-shift"
