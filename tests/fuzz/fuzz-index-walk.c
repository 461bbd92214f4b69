/* Shared by the index fuzz targets: see fuzz-index-walk.h. */
#include "config.h"
#include "tests/fuzz/fuzz-index-walk.h"
#include "tmpl/resolve.h"

#include <solv/repo.h>
#include <solv/solvable.h>
#include <stdlib.h>

void fuzz_walk_index(Pool *pool, Repo *repo, char *const *base)
{
  Id p;
  Solvable *s;
  const char *first = NULL;
  FOR_REPO_SOLVABLES(repo, p, s) {
    unsigned int medianr;
    Id type = 0;
    (void) solvable_get_location(s, &medianr);
    (void) solvable_lookup_checksum(s, SOLVABLE_CHECKSUM, &type);
    (void) solvable_lookup_num(s, SOLVABLE_DOWNLOADSIZE, 0);
    (void) pool_solvable2str(pool, s);
    if (!first && s->name)
      first = pool_id2str(pool, s->name);
  }
  if (!first)
    return;
  char *install[] = {(char *) first, NULL};
  char *none[] = {NULL};
  struct vzt_transaction t = {0};
  struct vzt_error *err = NULL;
  if (vzt_resolve(pool, NULL, base ? base : none, install, none, &t, &err) == 0)
    vzt_transaction_clear(&t);
  vzt_error_free(&err);
}
