/* Fuzz target: a urpmi media_info/MD5SUM, looked up as the urpmi family
 * looks up its synthesis. */
#include "config.h"
#include "tests/fuzz/fuzz.h"
#include "tmpl/rpm/rpm-internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char hex[VZT_DIGEST_HEX_MAX];
  bool found = false;
  struct vzt_error *err = NULL;
  if (vzt_urpmi_md5sum_find((const char *) data, size, "synthesis.hdlist.cz", hex, &found, &err) == 0 &&
      found && strlen(hex) != 32)
    abort(); /* an md5 is 32 hex digits */
  vzt_error_free(&err);
  return 0;
}
