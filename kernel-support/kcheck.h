/* Kernel feature checks for containers: what this host offers, and what a
 * missing piece costs (as lxc-checkconfig reports it). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct vzt_kcheck_item {
  const char *group; /* "namespaces", "user namespaces", "cgroups", "file systems", "binfmt_misc" */
  char *name;
  bool ok;
  char *detail;      /* what was found */
  const char *cost;  /* what its absence costs; NULL when nothing */
};

struct vzt_kcheck {
  struct vzt_kcheck_item *items;
  size_t n;
};

/* Runs every check; never fails (a check that cannot run is a missing item).
 * scratch_dir: a directory on the cache's file system for the reflink probe.
 * proc: "/proc" (tests pass a fake tree). */
void vzt_kcheck_run(const char *proc, const char *scratch_dir, struct vzt_kcheck *out);
void vzt_kcheck_clear(struct vzt_kcheck *k);
