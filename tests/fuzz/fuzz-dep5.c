/* Fuzz target: a package's copyright file, read as the SBOM reads it, and
 * its licenses turned into an SPDX expression. */
#include "config.h"
#include "tests/fuzz/fuzz.h"
#include "tmpl/sbom/dep5.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* What SPDX accepts in a LicenseRef id after the prefix. */
static bool ref_id_ok(const char *id)
{
  if (!vzt_startswith(id, "LicenseRef-") || !id[strlen("LicenseRef-")])
    return false;
  for (const char *p = id + strlen("LicenseRef-"); *p; p++)
    if (!isalnum((unsigned char) *p) && *p != '.' && *p != '-')
      return false;
  return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  _cleanup_free_ char *text = vzt_strndup((const char *) data, size);
  struct vzt_dep5 d;
  if (vzt_dep5_parse(text, strlen(text), &d) != 1)
    return 0;
  _cleanup_strv_ char **ids = calloc(1, sizeof(char *));
  _cleanup_strv_ char **names = calloc(1, sizeof(char *));
  _cleanup_free_ char *expr = vzt_dep5_declared(&d, &ids, &names);
  if (!expr || !*expr || vzt_strv_len(ids) != vzt_strv_len(names))
    abort(); /* a file with licenses declares something, each ref named */
  for (char **id = ids; *id; id++)
    if (!ref_id_ok(*id) || !strstr(expr, *id))
      abort();
  vzt_dep5_clear(&d);
  return 0;
}
