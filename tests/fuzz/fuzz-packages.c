/* Fuzz target: a decompressed Packages index, as the deb family reads it
 * (our base-set and duplicate scan, libsolv's loader), then a resolution. */
#include "config.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz-index-walk.h"
#include "tmpl/deb/deb-internal.h"
#include "lib/strutil.h"

#include <solv/repo.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  Pool *pool = pool_create();
  pool_setdisttype(pool, DISTTYPE_DEB);
  pool_setarch(pool, "amd64");
  Repo *repo = repo_create(pool, "fuzz");
  char **required = calloc(1, sizeof(char *)), **essential = calloc(1, sizeof(char *));
  struct vzt_error *err = NULL;
  if (vzt_deb_index_parse(repo, (const char *) data, size, &required, &essential, &err) == 0)
    fuzz_walk_index(pool, repo, required);
  vzt_error_free(&err);
  vzt_strv_free(required);
  vzt_strv_free(essential);
  pool_free(pool);
  return 0;
}
