/* Error construction and formatting for struct vzt_error. */
#include "config.h"
#include "error.h"
#include "lib/alloc.h"
#include "lib/strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vzt_error_setv(struct vzt_error **err, int status, int errnum, const char *fmt, va_list ap)
{
  if (!err)
    return -1;
  /* The first error wins: it is the cause, later ones are consequences. */
  if (*err)
    return -1;
  struct vzt_error *e = vzt_calloc(1, sizeof(*e));
  if (!e)
    vzt_out_of_memory();
  e->status = status;
  e->errnum = errnum;
  if (vasprintf(&e->msg, fmt, ap) < 0)
    vzt_out_of_memory();
  *err = e;
  return -1;
}

int vzt_fail(struct vzt_error **err, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vzt_error_setv(err, VZT_EXIT_FAILED, 0, fmt, ap);
  va_end(ap);
  return -1;
}

int vzt_fail_errno(struct vzt_error **err, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vzt_error_setv(err, VZT_EXIT_FAILED, errnum, fmt, ap);
  va_end(ap);
  return -1;
}

int vzt_refuse(struct vzt_error **err, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vzt_error_setv(err, VZT_EXIT_REFUSED, 0, fmt, ap);
  va_end(ap);
  return -1;
}

int vzt_usage_error(struct vzt_error **err, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vzt_error_setv(err, VZT_EXIT_USAGE, 0, fmt, ap);
  va_end(ap);
  return -1;
}

int vzt_error_prefix(struct vzt_error **err, const char *fmt, ...)
{
  if (!err || !*err)
    return -1;
  char *prefix = NULL, *joined = NULL;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&prefix, fmt, ap) < 0)
    vzt_out_of_memory();
  va_end(ap);
  if (asprintf(&joined, "%s: %s", prefix, (*err)->msg) < 0)
    vzt_out_of_memory();
  free(prefix);
  free((*err)->msg);
  (*err)->msg = joined;
  return -1;
}

void vzt_error_free(struct vzt_error **err)
{
  if (!err || !*err)
    return;
  free((*err)->msg);
  free(*err);
  *err = NULL;
}

char *vzt_error_text(const struct vzt_error *err)
{
  char *s = NULL;
  if (err->errnum)
    asprintf(&s, "%s: %s", err->msg, strerror(err->errnum));
  else
    s = vzt_strdup(err->msg);
  if (!s)
    vzt_out_of_memory();
  return s;
}
