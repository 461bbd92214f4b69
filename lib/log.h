/* One output context for the whole process: levels, and progress on a terminal. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

enum vzt_log_level { VZT_LOG_ERROR = 0, VZT_LOG_WARN = 1, VZT_LOG_INFO = 2, VZT_LOG_DEBUG = 3 };

/* verbosity: 0 quiet (errors only), 2 normal, 3 verbose. progress: allow bars. */
void vzt_log_setup(int verbosity, bool progress);
int vzt_log_verbosity(void);
void vzt_log(enum vzt_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define vzt_info(...) vzt_log(VZT_LOG_INFO, __VA_ARGS__)
#define vzt_warn(...) vzt_log(VZT_LOG_WARN, __VA_ARGS__)
#define vzt_debug(...) vzt_log(VZT_LOG_DEBUG, __VA_ARGS__)

/* A progress line on stderr, redrawn at most ten times a second; silent
 * unless stderr is a terminal and progress is allowed. */
struct vzt_progress;
struct vzt_progress *vzt_progress_begin(const char *what, uint64_t total, bool bytes);
void vzt_progress_set(struct vzt_progress *p, uint64_t done);
void vzt_progress_add_total(struct vzt_progress *p, uint64_t more);
void vzt_progress_end(struct vzt_progress *p);

/* Seconds since an arbitrary monotonic origin, for timing stages. */
double vzt_now(void);
