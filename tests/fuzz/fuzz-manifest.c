/* Fuzz target: template manifests read back from JSON (vzt_manifest_load).
 * Not written again: vzt_manifest_to_json serializes only what a build made. */
#include "config.h"
#include "tests/fuzz/fuzz.h"
#include "tmpl/manifest.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char path[128];
  snprintf(path, sizeof(path), "%s/fuzz.json", fuzz_scratch_dir());
  fuzz_write_file(path, data, size);
  struct vzt_manifest m;
  struct vzt_error *err = NULL;
  if (vzt_manifest_load(path, &m, &err) == 0)
    vzt_manifest_clear(&m);
  vzt_error_free(&err);
  return 0;
}
