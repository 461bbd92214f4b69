/* Fuzz target: the control-file stanza reader over a Packages or status file. */
#include "config.h"
#include "tests/fuzz/fuzz.h"
#include "tmpl/deb/control.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  /* The reader is zero-copy over a buffer that need not be NUL-terminated. */
  const char *buf = (const char *) data;
  struct vzt_deb_stanza st = {0};
  size_t pos = 0;
  while (vzt_deb_stanza_next(buf, size, &pos, &st) == 1) {
    /* What the index readers ask of each stanza. */
    free(vzt_deb_stanza_dup(&st, "Package"));
    free(vzt_deb_stanza_dup(&st, "Depends"));
    vzt_deb_stanza_is(&st, "Essential", "yes");
    for (size_t i = 0; i < st.n; i++)
      if (st.fields[i].name + st.fields[i].name_len > buf + size ||
          st.fields[i].value + st.fields[i].value_len > buf + size)
        abort(); /* a field that points past the buffer */
  }
  vzt_deb_stanza_clear(&st);
  return 0;
}
