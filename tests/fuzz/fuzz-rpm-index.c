/* Shared by the primary and synthesis fuzz targets: see fuzz-rpm-index.h. */
#include "config.h"
#include "tests/fuzz/fuzz-rpm-index.h"
#include "tests/fuzz/fuzz-index-walk.h"

#include <solv/repo.h>
#include <stdio.h>

void fuzz_rpm_index(const uint8_t *data, size_t size, int (*load)(Repo *repo, FILE *fp))
{
  if (size == 0)
    return; /* fmemopen may refuse an empty buffer */
  Pool *pool = pool_create();
  pool_setdisttype(pool, DISTTYPE_RPM);
  pool_setarch(pool, "x86_64");
  Repo *repo = repo_create(pool, "fuzz");
  FILE *fp = fmemopen((void *) data, size, "r");
  if (fp) {
    int r = load(repo, fp);
    fclose(fp);
    if (r == 0) {
      repo_internalize(repo);
      fuzz_walk_index(pool, repo, NULL);
    }
  }
  pool_free(pool);
}
