/* Dependency resolution with libsolv: from names to an ordered transaction. */
#include "config.h"
#include "tmpl/resolve.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

#include <solv/bitmap.h>
#include <solv/poolarch.h>
#include <solv/problems.h>
#include <solv/selection.h>
#include <solv/solver.h>
#include <solv/transaction.h>
#include <stdlib.h>
#include <string.h>

static bool name_exists(Pool *pool, Id name)
{
  Id p, pp;
  FOR_PROVIDES(p, pp, name)
    if (pool->solvables[p].name == name)
      return true;
  return false;
}

/* apt, and so debootstrap, satisfy a dependency on a name with the package of
 * that name when one exists, not with another package that merely Provides it
 * (libelogind0 provides libsystemd0). libsolv would weigh both; disfavouring
 * the mere providers gives apt's choice. It is done by name so that every
 * version of a disfavoured package ranks alike and the highest still wins. */
static void disfavor_mere_providers(Pool *pool, Queue *job)
{
  Map done;
  map_init(&done, pool->ss.nstrings);
  for (Id name = 1; name < pool->ss.nstrings; name++) {
    if (!pool->whatprovides[name] || !name_exists(pool, name))
      continue;
    Id p, pp;
    FOR_PROVIDES(p, pp, name) {
      Id other = pool->solvables[p].name;
      if (other != name && !MAPTST(&done, other)) {
        MAPSET(&done, other);
        queue_push2(job, SOLVER_DISFAVOR | SOLVER_SOLVABLE_NAME, other);
      }
    }
  }
  map_free(&done);
}

static int add_names(Pool *pool, Queue *job, char *const *names, Id how, const char *role,
                     struct vzt_error **err)
{
  for (size_t i = 0; names && names[i]; i++) {
    Id id = pool_str2id(pool, names[i], 0);
    if (!id || !name_exists(pool, id)) {
      if (how & SOLVER_LOCK)
        continue; /* excluding what does not exist is already true */
      return vzt_fail(err, "package %s (%s) is not in any loaded index for %s", names[i], role,
                      pool_id2str(pool, pool->solvables[SYSTEMSOLVABLE].arch ?
                                            pool->solvables[SYSTEMSOLVABLE].arch : 1));
    }
    queue_push2(job, how | SOLVER_SOLVABLE_NAME, id);
  }
  return 0;
}

int vzt_resolve(Pool *pool, char *const *base, char *const *install, char *const *exclude,
                struct vzt_transaction *out, struct vzt_error **err)
{
  memset(out, 0, sizeof(*out));
  pool_addfileprovides(pool);
  pool_createwhatprovides(pool);
  Queue job;
  queue_init(&job);
  int ret = 0;
  if (add_names(pool, &job, exclude, SOLVER_LOCK, "excluded", err) < 0 ||
      add_names(pool, &job, base, SOLVER_INSTALL, "base set", err) < 0 ||
      add_names(pool, &job, install, SOLVER_INSTALL, "requested", err) < 0) {
    queue_free(&job);
    return -1;
  }
  disfavor_mere_providers(pool, &job);
  Solver *solv = solver_create(pool);
  solver_set_flag(solv, SOLVER_FLAG_IGNORE_RECOMMENDED, 1);
  if (solver_solve(solv, &job) != 0) {
    int count = solver_problem_count(solv);
    char *msg = vzt_strdupf("cannot resolve the package set (%d problem%s):", count,
                            count == 1 ? "" : "s");
    for (Id problem = 1; problem <= count; problem++) {
      char *next = vzt_strdupf("%s\n  %s", msg, solver_problem2str(solv, problem));
      free(msg);
      msg = next;
    }
    ret = vzt_fail(err, "%s", msg);
    free(msg);
    solver_free(solv);
    queue_free(&job);
    return ret;
  }
  Transaction *trans = solver_create_transaction(solv);
  transaction_order(trans, 0);
  out->order = calloc(trans->steps.count + 1, sizeof(Solvable *));
  for (int i = 0; i < trans->steps.count; i++) {
    Id p = trans->steps.elements[i];
    if (transaction_type(trans, p, SOLVER_TRANSACTION_SHOW_ACTIVE) == SOLVER_TRANSACTION_INSTALL)
      out->order[out->n++] = pool->solvables + p;
  }
  transaction_free(trans);
  solver_free(solv);
  queue_free(&job);
  return ret;
}

void vzt_transaction_clear(struct vzt_transaction *t)
{
  free(t->order);
  memset(t, 0, sizeof(*t));
}
