/* A thread-local C.UTF-8 LC_CTYPE around archive reads and writes. */
#include "config.h"
#include "lib/locale.h"

struct vzt_utf8_scope vzt_utf8_enter(void)
{
  struct vzt_utf8_scope s = {(locale_t) 0, (locale_t) 0};
  s.utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
  if (s.utf8 != (locale_t) 0)
    s.old = uselocale(s.utf8);
  return s;
}

void vzt_utf8_leave(struct vzt_utf8_scope *s)
{
  if (s->utf8 == (locale_t) 0)
    return;
  uselocale(s->old);
  freelocale(s->utf8);
  s->utf8 = (locale_t) 0;
}
