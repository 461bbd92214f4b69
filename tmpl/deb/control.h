/* Debian control-file stanzas (Release, Packages, control, status): a zero-copy reader. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct vzt_deb_field {
  const char *name;
  size_t name_len;
  const char *value; /* after the colon and leading blanks; continuation lines included */
  size_t value_len;  /* without the final newline */
};

struct vzt_deb_stanza {
  struct vzt_deb_field *fields;
  size_t n, cap;
  const char *text; /* the stanza's raw text, for copying it whole */
  size_t text_len;
};

/* Reads the stanza at *pos in buf (skipping blank lines) and advances *pos.
 * Returns 1 for a stanza, 0 at the end, -1 on a line that is not "Name: value"
 * or a continuation. */
int vzt_deb_stanza_next(const char *buf, size_t len, size_t *pos, struct vzt_deb_stanza *st);
void vzt_deb_stanza_clear(struct vzt_deb_stanza *st);
/* Field value by case-insensitive name, or NULL. */
const char *vzt_deb_stanza_get(const struct vzt_deb_stanza *st, const char *name, size_t *len);
/* The same, copied and NUL-terminated (NULL when absent). */
char *vzt_deb_stanza_dup(const struct vzt_deb_stanza *st, const char *name);
bool vzt_deb_stanza_is(const struct vzt_deb_stanza *st, const char *name, const char *value);
