/* The growable buffer of buf.h, on lib/alloc.h's policy. */
#include "config.h"
#include "lib/buf.h"
#include "lib/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *vzt_buf_reserve(struct vzt_buf *b, size_t more)
{
  if (more > (size_t) -1 - b->len - 1)
    vzt_out_of_memory();
  VZT_GROW(b->data, b->cap, b->len + more + 1);
  b->data[b->len] = '\0';
  return b->data + b->len;
}

void vzt_buf_append(struct vzt_buf *b, const void *p, size_t n)
{
  memcpy(vzt_buf_reserve(b, n), p, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void vzt_buf_puts(struct vzt_buf *b, const char *s)
{
  vzt_buf_append(b, s, strlen(s));
}

void vzt_buf_printf(struct vzt_buf *b, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    vzt_out_of_memory(); /* only an encoding error or ENOMEM makes it fail */
  char *at = vzt_buf_reserve(b, (size_t) n);
  va_start(ap, fmt);
  vsnprintf(at, (size_t) n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t) n;
}

char *vzt_buf_steal(struct vzt_buf *b)
{
  vzt_buf_reserve(b, 0);
  char *d = b->data;
  *b = (struct vzt_buf){0};
  return d;
}

void vzt_buf_free(struct vzt_buf *b)
{
  free(b->data);
  *b = (struct vzt_buf){0};
}
