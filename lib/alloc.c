/* The allocation policy of alloc.h: loud and final on exhaustion. */
#include "config.h"
#include "lib/alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((noreturn)) static void out_of_memory(size_t n, size_t size)
{
  /* No stdio buffering to allocate: one write, then abort for a core. */
  char msg[128];
  int len = n || size ? snprintf(msg, sizeof(msg), "vztmpl: out of memory (allocating %zu x %zu bytes)\n", n, size)
                       : snprintf(msg, sizeof(msg), "vztmpl: out of memory\n");
  if (len > 0)
    (void) !write(STDERR_FILENO, msg, (size_t) len);
  abort();
}

void vzt_out_of_memory(void)
{
  out_of_memory(0, 0);
}

void *vzt_malloc(size_t n)
{
  void *p = malloc(n ? n : 1);
  if (!p)
    out_of_memory(1, n);
  return p;
}

void *vzt_calloc(size_t n, size_t size)
{
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p)
    out_of_memory(n, size);
  return p;
}

void *vzt_reallocarray(void *p, size_t n, size_t size)
{
  if (size && n > SIZE_MAX / size)
    out_of_memory(n, size);
  size_t bytes = n * size;
  void *q = realloc(p, bytes ? bytes : 1);
  if (!q)
    out_of_memory(n, size);
  return q;
}

void *vzt_realloc(void *p, size_t n)
{
  return vzt_reallocarray(p, n, 1);
}

void *vzt_grow(void *v, size_t *cap, size_t need, size_t size)
{
  if (v && need <= *cap)
    return v;
  size_t c = *cap ? *cap : 8;
  while (c < need) {
    if (c > SIZE_MAX / 2)
      out_of_memory(need, size);
    c *= 2;
  }
  v = vzt_reallocarray(v, c, size);
  *cap = c;
  return v;
}
