/* The one error type every fallible function fills: a message and an exit class. */
#pragma once
#include <stdarg.h>

/* Exit codes of the program; an error carries the one it should end with. */
enum vzt_exit {
  VZT_EXIT_OK = 0,
  VZT_EXIT_FAILED = 1,
  VZT_EXIT_USAGE = 2,
  VZT_EXIT_REFUSED = 3, /* verification refused: signature, hash, expiry */
};

struct vzt_error {
  int status;  /* enum vzt_exit */
  int errnum;  /* errno when a system call failed, else 0 */
  char *msg;
};

/* All of these return -1 so callers can write `return vzt_fail(err, ...)`. */
int vzt_fail(struct vzt_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vzt_fail_errno(struct vzt_error **err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int vzt_refuse(struct vzt_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vzt_usage_error(struct vzt_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vzt_error_setv(struct vzt_error **err, int status, int errnum, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* Put context in front of an existing message: "what we were doing: cause". */
int vzt_error_prefix(struct vzt_error **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vzt_error_free(struct vzt_error **err);
/* The full text, with strerror appended where errnum is set. Static buffer-free: caller frees. */
char *vzt_error_text(const struct vzt_error *err);

#define _cleanup_error_ __attribute__((cleanup(vzt_error_free)))
