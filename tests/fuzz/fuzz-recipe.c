/* Fuzz target: recipe files (INI through libinih), then variant selection on what loaded. */
#include "config.h"
#include "tests/fuzz/fuzz.h"
#include "tmpl/recipe.h"
#include "lib/strutil.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char path[128];
  snprintf(path, sizeof(path), "%s/fuzz.conf", fuzz_scratch_dir());
  fuzz_write_file(path, data, size);
  struct vzt_recipe *r = NULL;
  struct vzt_error *err = NULL;
  if (vzt_recipe_load(path, &r, &err) == 0) {
    /* A derived recipe is only selected from once its base is merged in. */
    for (char **v = r->base ? NULL : r->variants; v && *v; v++)
      for (char **a = r->architectures; *a; a++) {
        struct vzt_selection sel;
        if (vzt_recipe_select(r, *v, *a, &sel, &err) == 0)
          vzt_selection_clear(&sel);
        vzt_error_free(&err);
      }
    vzt_recipe_free(r);
  }
  vzt_error_free(&err);
  return 0;
}
