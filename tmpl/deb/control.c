/* Debian control-file stanzas: a zero-copy reader over a text buffer. */
#include "config.h"
#include "tmpl/deb/control.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void push_field(struct vzt_deb_stanza *st, struct vzt_deb_field f)
{
  if (st->n == st->cap) {
    st->cap = st->cap ? st->cap * 2 : 32;
    st->fields = vzt_realloc(st->fields, st->cap * sizeof(*st->fields));
    if (!st->fields)
      vzt_out_of_memory();
  }
  st->fields[st->n++] = f;
}

int vzt_deb_stanza_next(const char *buf, size_t len, size_t *pos, struct vzt_deb_stanza *st)
{
  size_t p = *pos;
  st->n = 0;
  /* Skip blank lines between stanzas. */
  while (p < len) {
    size_t eol = p;
    while (eol < len && buf[eol] != '\n')
      eol++;
    bool blank = true;
    for (size_t i = p; i < eol; i++)
      if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r')
        blank = false;
    if (!blank)
      break;
    p = eol + 1;
  }
  if (p >= len) {
    *pos = len;
    return 0;
  }
  st->text = buf + p;
  while (p < len && buf[p] != '\n') {
    const char *line = buf + p;
    const char *end = memchr(line, '\n', len - p);
    size_t linelen = end ? (size_t) (end - line) : len - p;
    size_t next = p + linelen + (end ? 1 : 0);
    if (line[0] == '#') { /* comments are allowed in some control files */
      p = next;
      continue;
    }
    if (line[0] == ' ' || line[0] == '\t') {
      if (st->n == 0)
        return -1;
      struct vzt_deb_field *f = &st->fields[st->n - 1];
      f->value_len = (line + linelen) - f->value;
      if (f->value_len == 0 || !f->value) { /* value started on a continuation line */
        f->value = line + strspn(line, " \t");
        f->value_len = (line + linelen) - f->value;
      }
    } else {
      const char *colon = memchr(line, ':', linelen);
      if (!colon || colon == line)
        return -1;
      const char *v = colon + 1;
      while (v < line + linelen && (*v == ' ' || *v == '\t'))
        v++;
      size_t vlen = (line + linelen) - v;
      while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == ' '))
        vlen--;
      push_field(st, (struct vzt_deb_field){line, (size_t) (colon - line), v, vlen});
    }
    p = next;
  }
  st->text_len = (buf + p) - st->text;
  *pos = p;
  return 1;
}

void vzt_deb_stanza_clear(struct vzt_deb_stanza *st)
{
  free(st->fields);
  memset(st, 0, sizeof(*st));
}

const char *vzt_deb_stanza_get(const struct vzt_deb_stanza *st, const char *name, size_t *len)
{
  size_t nl = strlen(name);
  for (size_t i = 0; i < st->n; i++)
    if (st->fields[i].name_len == nl && !strncasecmp(st->fields[i].name, name, nl)) {
      if (len)
        *len = st->fields[i].value_len;
      return st->fields[i].value;
    }
  return NULL;
}

char *vzt_deb_stanza_dup(const struct vzt_deb_stanza *st, const char *name)
{
  size_t len;
  const char *v = vzt_deb_stanza_get(st, name, &len);
  return v ? vzt_strndup(v, len) : NULL;
}

bool vzt_deb_stanza_is(const struct vzt_deb_stanza *st, const char *name, const char *value)
{
  size_t len;
  const char *v = vzt_deb_stanza_get(st, name, &len);
  return v && len == strlen(value) && !strncasecmp(v, value, len);
}
