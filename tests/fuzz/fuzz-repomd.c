/* Fuzz target: repomd.xml, as the rpm-md family reads it (libsolv's
 * loader, then our look-up of primary and the comps file). */
#include "config.h"
#include "tests/fuzz/fuzz.h"
#include "tmpl/rpm/rpm-internal.h"

#include <solv/pool.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  Pool *pool = pool_create();
  pool_setdisttype(pool, DISTTYPE_RPM);
  struct vzt_repomd md;
  struct vzt_error *err = NULL;
  if (vzt_repomd_parse(pool, (const char *) data, size, true, "fuzz", &md, &err) == 0) {
    /* What load_one then relies on. */
    if (!md.primary.location || !*md.primary.location || strlen(md.primary.hex) < 40)
      abort();
    vzt_repomd_clear(&md);
  }
  vzt_error_free(&err);
  pool_free(pool);
  return 0;
}
