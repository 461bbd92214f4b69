/* Fuzz target: a metalink document, as the rpm-md family reads one. */
#include "config.h"
#include "tests/fuzz/fuzz.h"
#include "tmpl/rpm/rpm-internal.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct vzt_rpm_metalink ml = {0};
  struct vzt_error *err = NULL;
  if (vzt_rpm_metalink_parse((const char *) data, size, "fuzz", &ml, &err) == 0) {
    /* Success promises a mirror and a digest. */
    if (!ml.mirrors || !ml.mirrors[0] || ((!ml.sha256 || !ml.sha256[0]) && (!ml.sha512 || !ml.sha512[0])))
      abort();
  }
  vzt_rpm_metalink_clear(&ml);
  vzt_error_free(&err);
  return 0;
}
