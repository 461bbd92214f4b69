/* A growable byte buffer, always NUL-terminated, for text built up piece by
 * piece (dpkg's status, scripts, sums files, downloads held in memory). */
#pragma once
#include <stdarg.h>
#include <stddef.h>

struct vzt_buf {
  char *data; /* NULL until the first byte; then data[len] == '\0' */
  size_t len, cap;
};

/* Room for more bytes past len (and the terminator); returns where they go. */
char *vzt_buf_reserve(struct vzt_buf *b, size_t more);
void vzt_buf_append(struct vzt_buf *b, const void *p, size_t n);
void vzt_buf_puts(struct vzt_buf *b, const char *s);
void vzt_buf_printf(struct vzt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text, now the caller's (an empty string, never NULL); b is empty again. */
char *vzt_buf_steal(struct vzt_buf *b);
void vzt_buf_free(struct vzt_buf *b);

#define _cleanup_buf_ __attribute__((cleanup(vzt_buf_free)))
