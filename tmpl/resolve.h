/* Dependency resolution with libsolv: from names to an ordered transaction. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <solv/pool.h>
#include "lib/error.h"

struct vzt_transaction {
  Solvable **order; /* install order: dependencies (Pre-Depends first) before dependents */
  size_t n;
  bool missing_files; /* on failure: some dependency nothing provides is a file */
};

/* How to resolve, beyond what the pool's family implies. */
struct vzt_resolve_opts {
  const char *arch; /* the family's spelling of the target architecture, for messages */
  bool weak;        /* follow weak dependencies (Recommends, Supplements) */
};

/* Resolves base + install, never choosing a name in exclude, with the rules
 * of the family's own tool: apt's for deb pools (a name before its mere
 * providers; names only as roots), dnf's for rpm pools (the best provider
 * whatever its name; name.arch and NEVRA spellings, provides and file paths
 * as roots; obsoletes as dnf takes them). opts NULL: weak dependencies are not followed (as
 * debootstrap, `apt --no-install-recommends` and dnf with
 * install_weak_deps=False). A failure lists every dependency nothing
 * provides. */
int vzt_resolve(Pool *pool, const struct vzt_resolve_opts *opts, char *const *base,
                char *const *install, char *const *exclude, struct vzt_transaction *out,
                struct vzt_error **err);
void vzt_transaction_clear(struct vzt_transaction *t);
