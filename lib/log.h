/* One output context for the whole process: levels, and progress on a terminal. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vzt_log_level { VZT_LOG_ERROR = 0, VZT_LOG_WARN = 1, VZT_LOG_INFO = 2, VZT_LOG_DEBUG = 3 };

/* verbosity: 0 quiet (errors only), 2 normal, 3 verbose. progress: allow bars. */
void vzt_log_setup(int verbosity, bool progress);
int vzt_log_verbosity(void);
void vzt_log(enum vzt_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define vzt_info(...) vzt_log(VZT_LOG_INFO, __VA_ARGS__)
#define vzt_warn(...) vzt_log(VZT_LOG_WARN, __VA_ARGS__)
#define vzt_debug(...) vzt_log(VZT_LOG_DEBUG, __VA_ARGS__)

/* A progress line on stderr: drawn once the step has lasted a second, then
 * redrawn at most five times a second (also while the caller is blocked, by
 * a thread of its own, so a stalled download or a long configure still
 * ticks); silent unless stderr is a terminal and progress is allowed. A
 * total of 0 shows the elapsed time only. Byte bars show the rate, bars with
 * a total the time left. */
struct vzt_progress;
struct vzt_progress *vzt_progress_begin(const char *what, uint64_t total, bool bytes);
void vzt_progress_set(struct vzt_progress *p, uint64_t done);
void vzt_progress_add_total(struct vzt_progress *p, uint64_t more);
/* Asked for the count by the drawing thread, for work done in other
 * processes (unpack workers); called with the bar's lock held, from any thread. */
void vzt_progress_poll(struct vzt_progress *p, uint64_t (*poll)(void *data), void *data);
void vzt_progress_end(struct vzt_progress *p);

/* The bar's text, without the terminal codes: what, bar, percentage, done
 * and total, rate (bytes/s, bytes bars), time left ("1:05 left") when the
 * rate is known; the elapsed time alone when total is 0. */
void vzt_progress_format(char *buf, size_t len, const char *what, uint64_t done, uint64_t total, bool bytes,
                         double elapsed, double rate);

/* Seconds since an arbitrary monotonic origin, for timing stages. */
double vzt_now(void);
/* Seconds since the process started: what a command reports as its time. */
double vzt_process_seconds(void);
