/* Fuzz target: apt sources discovery over one sources file.
 * The first byte picks the format (bit 0: deb822 .sources, else sources.list)
 * and the kind (bit 1: security); the rest is the file. */
#include "config.h"
#include "tests/fuzz/fuzz.h"
#include "fetch/mirror.h"
#include "lib/cleanup.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  const char *dir = fuzz_scratch_dir();
  char list[128], sources[128], d[128];
  snprintf(list, sizeof(list), "%s/sources.list", dir);
  snprintf(d, sizeof(d), "%s/sources.list.d", dir);
  snprintf(sources, sizeof(sources), "%s/sources.list.d/fuzz.sources", dir);
  mkdir(d, 0755);
  unlink(list);
  unlink(sources);
  fuzz_write_file(data[0] & 1 ? sources : list, data + 1, size - 1);
  char **uris = NULL;
  struct vzt_error *err = NULL;
  if (vzt_mirror_discover(dir, data[0] & 2 ? VZT_MIRROR_SECURITY : VZT_MIRROR_MAIN, &uris, &err) == 0)
    vzt_strv_free(uris);
  vzt_error_free(&err);
  return 0;
}
