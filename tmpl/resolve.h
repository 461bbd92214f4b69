/* Dependency resolution with libsolv: from names to an ordered transaction. */
#pragma once
#include <stddef.h>
#include <solv/pool.h>
#include "lib/error.h"

struct vzt_transaction {
  Solvable **order; /* install order: dependencies (Pre-Depends first) before dependents */
  size_t n;
};

/* Resolves base + install, never choosing a name in exclude. Recommends are
 * not followed (as debootstrap and `apt --no-install-recommends`). */
int vzt_resolve(Pool *pool, char *const *base, char *const *install, char *const *exclude,
                struct vzt_transaction *out, struct vzt_error **err);
void vzt_transaction_clear(struct vzt_transaction *t);
