/* Fuzz target: a registry reference as push and pull take it from the
 * command line; what parses prints back to a reference that parses the same. */
#include "config.h"
#include "tests/fuzz/fuzz.h"
#include "fetch/registry/registry.h"
#include "lib/alloc.h"
#include "lib/cleanup.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *s = vzt_malloc(size + 1);
  memcpy(s, data, size);
  s[size] = 0;
  struct vzt_error *err = NULL;
  struct vzt_reg_ref a, b;
  if (vzt_reg_ref_parse(s, &a, &err) == 0) {
    _cleanup_free_ char *back = vzt_reg_ref_format(&a);
    if (vzt_reg_ref_parse(back, &b, &err) < 0 || strcmp(a.host, b.host) || strcmp(a.repo, b.repo) ||
        strcmp(vzt_reg_ref_reference(&a), vzt_reg_ref_reference(&b)))
      abort();
    vzt_reg_ref_clear(&b);
    vzt_reg_ref_clear(&a);
  }
  vzt_error_free(&err);
  free(s);
  return 0;
}
