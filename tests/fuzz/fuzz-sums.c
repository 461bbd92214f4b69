/* Fuzz target: SHA256SUMS lists after signature checking (vzt_sums_parse). */
#include "config.h"
#include "tests/fuzz/fuzz.h"
#include "tmpl/publish/sums.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct vzt_sums s;
  struct vzt_error *err = NULL;
  if (vzt_sums_parse((const char *) data, size, "SHA256SUMS", &s, &err) == 0) {
    vzt_sums_find(&s, "./index.json");
    vzt_sums_lists(&s, "index.json", "0000000000000000000000000000000000000000000000000000000000000000");
    vzt_sums_clear(&s);
  }
  vzt_error_free(&err);
  return 0;
}
