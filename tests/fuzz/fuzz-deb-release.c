/* Fuzz target: Release/InRelease text after signature checking (vzt_release_parse). */
#include "config.h"
#include "tests/fuzz/fuzz.h"
#include "tmpl/deb/release.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct vzt_release r;
  struct vzt_error *err = NULL;
  if (vzt_release_parse((const char *) data, size, "Release", &r, &err) == 0) {
    vzt_release_find(&r, "main/binary-amd64/Packages.xz");
    vzt_release_check_valid(&r, 1700000000, "Release", &err);
    vzt_release_clear(&r);
  }
  vzt_error_free(&err);
  return 0;
}
