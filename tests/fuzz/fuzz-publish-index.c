/* Fuzz target: the publish index (index.json) as download reads it.
 * The input's first line is "NAME [BUILD]", the template asked for; the rest is the index. */
#include "config.h"
#include "tests/fuzz/fuzz.h"
#include "tmpl/publish/download.h"
#include "lib/strutil.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const uint8_t *nl = memchr(data, '\n', size);
  if (!nl)
    return 0;
  char *head = vzt_strndup((const char *) data, (size_t) (nl - data));
  char *index = vzt_strndup((const char *) nl + 1, size - (size_t) (nl + 1 - data));
  char *build = strchr(head, ' ');
  if (build)
    *build++ = 0;
  struct vzt_index_build ib;
  struct vzt_error *err = NULL;
  if (vzt_download_index_find(index, "file:///srv/pub", head, build, &ib, &err) == 0)
    vzt_index_build_clear(&ib);
  vzt_error_free(&err);
  free(head);
  free(index);
  return 0;
}
