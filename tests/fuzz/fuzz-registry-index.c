/* Fuzz target: an image index as a registry serves it, read as pull picks
 * its platform from it. */
#include "config.h"
#include "tests/fuzz/fuzz.h"
#include "tmpl/registry/registry-internal.h"
#include "lib/alloc.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *text = vzt_malloc(size + 1);
  memcpy(text, data, size);
  text[size] = 0;
  struct vzt_error *err = NULL;
  struct vzt_regdesc d;
  if (vzt_regpull_pick_platform(text, "index", "x86_64", &d, &err) == 0 && !vzt_reg_digest_valid(d.digest))
    abort(); /* what pull fetches next is named by a checked digest */
  vzt_error_free(&err);
  free(text);
  return 0;
}
