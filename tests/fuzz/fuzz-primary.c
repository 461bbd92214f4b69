/* Fuzz target: an rpm-md primary.xml (decompressed), loaded as the rpm-md
 * family loads it, then walked and resolved. */
#include "config.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz-rpm-index.h"

#include <solv/repo_rpmmd.h>

static int load(Repo *repo, FILE *fp) { return repo_add_rpmmd(repo, fp, NULL, 0); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fuzz_rpm_index(data, size, load);
  return 0;
}
