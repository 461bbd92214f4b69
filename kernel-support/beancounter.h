/* Beancounters: OpenVZ's resource names mapped onto cgroups (v2, or v1
 * where the host has its controllers there) and rlimits, with a per-run
 * group and a /proc/user_beancounters-like report afterwards. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "kernel-support/sandbox.h"
#include "lib/error.h"

enum vzt_bc_resource {
  VZT_BC_NUMPROC,   /* tasks -> pids.max */
  VZT_BC_PHYSPAGES, /* bytes -> memory.limit_in_bytes (v1) / memory.max (v2) */
  VZT_BC_SWAPPAGES, /* bytes -> memory.memsw.limit_in_bytes (v1, memory+swap) / memory.swap.max (v2) */
  VZT_BC_NUMFILE,   /* open files -> RLIMIT_NOFILE */
  VZT_BC_CPULIMIT,  /* percent of one CPU -> cpu.cfs_quota_us (v1) / cpu.max (v2) */
  VZT_BC_CPUUNITS,  /* OpenVZ weight (1000 = default) -> cpu.shares (v1) / cpu.weight (v2) */
  VZT_BC_KMEMSIZE,  /* bytes -> memory.kmem.limit_in_bytes (v1; v2 only accounts it, in memory.stat) */
  VZT_BC_IOWEIGHT,  /* 1-10000 (100 = default) -> io.weight (v2) / blkio[.bfq].weight (v1, scaled /10) */
  VZT_BC_NRES,
};

#define VZT_BC_UNLIMITED UINT64_MAX

/* What the user asked for: a value per resource, or VZT_BC_UNLIMITED (unset). */
struct vzt_bc_limits {
  uint64_t value[VZT_BC_NRES];
};

void vzt_bc_limits_init(struct vzt_bc_limits *l);
/* Parses "NAME=VALUE" (numproc=32, physpages=64M, cpulimit=50, ...); sizes
 * take K, M, G, T suffixes (powers of 1024), "unlimited" clears a limit. */
int vzt_bc_limits_parse(struct vzt_bc_limits *l, const char *spec, struct vzt_error **err);
const char *vzt_bc_name(enum vzt_bc_resource r);
/* True when the resource needs a cgroup (all but numfile). */
bool vzt_bc_uses_cgroup(enum vzt_bc_resource r);

/* A per-run group: one directory in each cgroup hierarchy a set limit needs
 * (always the pids and memory ones when present, for the report). */
struct vzt_bc_group;

/* mountinfo: NULL for /proc/self/mountinfo; self_cgroup: NULL for
 * /proc/self/cgroup (tests pass fakes). name: the directory to create under
 * our own cgroup in each hierarchy, e.g. "vztmpl-<pid>". Writes the limits. */
int vzt_bc_group_create(const struct vzt_bc_limits *l, const char *name, const char *mountinfo,
                        const char *self_cgroup, struct vzt_bc_group **out, struct vzt_error **err);
/* Moves pid (and its future children) into the group in every hierarchy. */
int vzt_bc_group_attach(struct vzt_bc_group *g, pid_t pid, struct vzt_error **err);
/* Where the group lives, one line per hierarchy ("v1 pids /sys/fs/cgroup/pids/x"); caller frees. */
char *vzt_bc_group_describe(const struct vzt_bc_group *g);
/* Kills what is left in the group, removes its directories and frees it. */
void vzt_bc_group_destroy(struct vzt_bc_group *g);

/* One row of the report. VZT_BC_UNLIMITED in a field: not limited or not known. */
struct vzt_bc_row {
  enum vzt_bc_resource res;
  bool accounted; /* the host counts it (else only the limit is known) */
  uint64_t held, maxheld, barrier, limit, failcnt;
  const char *unit; /* "tasks", "bytes", "files", "percent", "units" */
};

/* Reads the counters after (or during) a run: one row per resource. g may be
 * NULL (then only the limits are reported). */
void vzt_bc_group_read(const struct vzt_bc_group *g, const struct vzt_bc_limits *l,
                       struct vzt_bc_row rows[VZT_BC_NRES]);
/* The rows in /proc/user_beancounters' layout (header included). Caller frees. */
char *vzt_bc_format_table(const struct vzt_bc_row rows[VZT_BC_NRES]);

/* The rlimit-backed resources (numfile) as the sandbox applies them before
 * the command runs; returns how many entries it filled. */
size_t vzt_bc_rlimits(const struct vzt_bc_limits *l, struct vzt_sandbox_rlimit out[VZT_BC_NRES]);
