/* Running the target's own programs (maintainer scripts, hooks) in the build
 * sandbox, under the recipe's [limits], with their output kept in
 * <root>/../configure.log and quoted when they fail. */
#pragma once
#include <stdbool.h>
#include <time.h>
#include "kernel-support/beancounter.h"
#include "lib/error.h"
#include "tmpl/recipe.h"

/* The root being built and what its programs run under: one cgroup for the
 * whole build (its counters are the build's), plus rlimits. */
struct vzt_target {
  const char *root;
  time_t epoch;                 /* SOURCE_DATE_EPOCH */
  struct vzt_bc_limits limits;
  struct vzt_bc_group *group;   /* NULL: the host gave us none (rlimits only) */
  char *no_group;               /* why there is none */
};

/* What a build's target programs may use unless the recipe's [limits] says
 * otherwise: enough for any distribution's configure stage, not enough for
 * a runaway script to take the host down. */
#define VZT_TARGET_NUMPROC 4096
#define VZT_TARGET_PHYSPAGES (UINT64_C(4) << 30)
#define VZT_TARGET_NUMFILE 65536

/* The defaults above overridden by the recipe's [limits] lines
 * (numproc = 2048, physpages = 2G, ..., "unlimited" lifts one). */
int vzt_target_limits(const struct vzt_recipe *r, struct vzt_bc_limits *l, struct vzt_error **err);
/* Makes the build's cgroup ("vztmpl-build-<pid>"). A host that refuses one
 * (no controllers, a rootless run) is not an error: t->no_group says why
 * and the rlimits still apply. */
void vzt_target_open(struct vzt_target *t, const char *root, time_t epoch, const struct vzt_bc_limits *l);
/* Reads what the build used into rows (may be NULL) and removes the cgroup. */
void vzt_target_close(struct vzt_target *t, struct vzt_bc_row rows[VZT_BC_NRES]);

/* The environment target code runs with: PATH, C.UTF-8, noninteractive
 * debconf, SOURCE_DATE_EPOCH. */
char **vzt_target_env(time_t epoch);
/* Runs argv inside t->root. A non-zero exit is a failure naming `what`, the
 * exit status, the end of its output, and a limit it ran into. */
int vzt_target_run(const struct vzt_target *t, char *const *argv, char *const *env, bool network,
                   const char *what, struct vzt_error **err);

/* Where vzt_target_run_host's programs find the root being built. */
#define VZT_TARGET_ROOT_AT "/target"
/* Runs a host program (argv[0] in the host's /usr) on t->root, which it
 * finds at VZT_TARGET_ROOT_AT, in the same sandbox as vzt_target_run's
 * (namespaces, no network, seccomp, limits) but with the host's /usr and
 * /etc read-only as its /: a foreign root's dpkg, run by the host's, no
 * emulator. The target's scripts it runs are text read by the host's shell.
 * tools: a native tree whose /usr and /etc stand in for the host's (one of
 * the target's release); NULL: the host's. */
int vzt_target_run_host(const struct vzt_target *t, const char *tools, char *const *argv,
                        char *const *env, const char *what, struct vzt_error **err);
