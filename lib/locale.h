/* Archive names are UTF-8 bytes on every distribution we build. libarchive
 * converts pax names between UTF-8 and the current locale, so every archive
 * is read and written in C.UTF-8 whatever the caller's locale: in "C" it
 * would refuse a name like ca-certificates' "Főtanúsítvány". */
#pragma once
#include <locale.h>

struct vzt_utf8_scope {
  locale_t utf8, old;
};

/* Switches this thread to C.UTF-8's LC_CTYPE until vzt_utf8_leave. */
struct vzt_utf8_scope vzt_utf8_enter(void);
void vzt_utf8_leave(struct vzt_utf8_scope *s);

/* Declares a scope that ends with the enclosing block. */
#define VZT_UTF8_SCOPE(name) \
  __attribute__((cleanup(vzt_utf8_leave), unused)) struct vzt_utf8_scope name = vzt_utf8_enter()
