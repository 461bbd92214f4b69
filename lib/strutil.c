/* String, string-vector and path helpers. */
#include "config.h"
#include "strutil.h"
#include "lib/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vzt_strv_free(char **v)
{
  if (!v)
    return;
  for (char **p = v; *p; p++)
    free(*p);
  free(v);
}

size_t vzt_strv_len(char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

void vzt_strv_push_take(char ***v, char *s)
{
  size_t n = vzt_strv_len(*v);
  char **nv = realloc(*v, (n + 2) * sizeof(char *));
  if (!nv)
    vzt_out_of_memory();
  nv[n] = s;
  nv[n + 1] = NULL;
  *v = nv;
}

void vzt_strv_push(char ***v, const char *s) { vzt_strv_push_take(v, vzt_strdup(s)); }

bool vzt_strv_contains(char *const *v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (strcmp(v[i], s) == 0)
      return true;
  return false;
}

char **vzt_strv_dup(char *const *v)
{
  char **out = calloc(1, sizeof(char *));
  if (!out)
    vzt_out_of_memory();
  for (size_t i = 0; v && v[i]; i++)
    vzt_strv_push(&out, v[i]);
  return out;
}

char **vzt_strv_split(const char *s)
{
  char **out = calloc(1, sizeof(char *));
  if (!out)
    vzt_out_of_memory();
  const char *p = s ? s : "";
  while (*p) {
    p += strspn(p, " \t\n,");
    size_t n = strcspn(p, " \t\n,");
    if (n)
      vzt_strv_push_take(&out, vzt_strndup(p, n));
    p += n;
  }
  return out;
}

char *vzt_strv_join(char *const *v, const char *sep)
{
  size_t len = 1, seplen = strlen(sep);
  for (size_t i = 0; v && v[i]; i++)
    len += strlen(v[i]) + seplen;
  char *out = malloc(len), *q = out;
  if (!out)
    vzt_out_of_memory();
  *q = 0;
  for (size_t i = 0; v && v[i]; i++) {
    if (i)
      q = stpcpy(q, sep);
    q = stpcpy(q, v[i]);
  }
  return out;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *) a, *(char *const *) b);
}

void vzt_strv_sort(char **v) { qsort(v, vzt_strv_len(v), sizeof(char *), cmp_str); }

char *vzt_strdup(const char *s)
{
  char *d = strdup(s);
  if (!d)
    vzt_out_of_memory();
  return d;
}

char *vzt_strndup(const char *s, size_t n)
{
  char *d = strndup(s, n);
  if (!d)
    vzt_out_of_memory();
  return d;
}

char *vzt_strdupf(const char *fmt, ...)
{
  char *s;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&s, fmt, ap) < 0)
    vzt_out_of_memory();
  va_end(ap);
  return s;
}

char *vzt_strstrip(char *s)
{
  char *start = s + strspn(s, " \t\r\n");
  size_t n = strlen(start);
  while (n && strchr(" \t\r\n", start[n - 1]))
    n--;
  memmove(s, start, n);
  s[n] = 0;
  return s;
}

bool vzt_startswith(const char *s, const char *prefix)
{
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool vzt_endswith(const char *s, const char *suffix)
{
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

char *vzt_path_join(const char *a, const char *b)
{
  while (*b == '/')
    b++;
  size_t la = strlen(a);
  while (la > 1 && a[la - 1] == '/')
    la--;
  return vzt_strdupf("%.*s/%s", (int) la, a, b);
}

const char *vzt_path_skip_root(const char *p)
{
  while (p[0] == '.' && p[1] == '/')
    p += 2;
  while (*p == '/')
    p++;
  return p;
}

void vzt_hex(const unsigned char *in, size_t len, char *out)
{
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < len; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  out[2 * len] = 0;
}
