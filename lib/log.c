/* Logging levels and terminal progress bars on stderr. */
#include "config.h"
#include "log.h"
#include "lib/alloc.h"
#include "lib/strutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_verbosity = VZT_LOG_INFO;
static bool log_progress = true;
static bool progress_drawn; /* a bar is on the current line: clear it before text */

void vzt_log_setup(int verbosity, bool progress)
{
  log_verbosity = verbosity;
  log_progress = progress && isatty(STDERR_FILENO) && verbosity >= VZT_LOG_INFO;
}

int vzt_log_verbosity(void) { return log_verbosity; }

double vzt_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void clear_bar(void)
{
  if (progress_drawn) {
    fputs("\r\033[K", stderr);
    progress_drawn = false;
  }
}

void vzt_log(enum vzt_log_level level, const char *fmt, ...)
{
  if ((int) level > log_verbosity)
    return;
  clear_bar();
  static const char *const prefix[] = {"error: ", "warning: ", "", ""};
  fputs(prefix[level], stderr);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

struct vzt_progress {
  char *what;
  uint64_t total, done;
  bool bytes;
  double last_draw, start;
};

struct vzt_progress *vzt_progress_begin(const char *what, uint64_t total, bool bytes)
{
  struct vzt_progress *p = vzt_calloc(1, sizeof(*p));
  if (!p)
    vzt_out_of_memory();
  p->what = vzt_strdup(what);
  p->total = total;
  p->bytes = bytes;
  p->start = vzt_now();
  return p;
}

static void human(char *buf, size_t len, uint64_t n, bool bytes)
{
  if (!bytes)
    snprintf(buf, len, "%llu", (unsigned long long) n);
  else if (n >= 10ull << 20)
    snprintf(buf, len, "%.0f MiB", n / 1048576.0);
  else
    snprintf(buf, len, "%.1f MiB", n / 1048576.0);
}

static void draw(struct vzt_progress *p)
{
  char done[32], total[32];
  human(done, sizeof(done), p->done, p->bytes);
  human(total, sizeof(total), p->total, p->bytes);
  int pct = p->total ? (int) (p->done * 100 / p->total) : 0;
  if (pct > 100)
    pct = 100;
  int width = 30, fill = pct * width / 100;
  fprintf(stderr, "\r\033[K%-22s [%.*s%*s] %3d%% %s/%s", p->what, fill,
          "##############################", width - fill, "", pct, done, total);
  progress_drawn = true;
}

void vzt_progress_set(struct vzt_progress *p, uint64_t done)
{
  if (!p)
    return;
  p->done = done;
  if (!log_progress)
    return;
  double now = vzt_now();
  if (now - p->last_draw < 0.1)
    return;
  p->last_draw = now;
  draw(p);
}

void vzt_progress_add_total(struct vzt_progress *p, uint64_t more)
{
  if (p)
    p->total += more;
}

void vzt_progress_end(struct vzt_progress *p)
{
  if (!p)
    return;
  if (log_progress) {
    p->done = p->total;
    draw(p);
    clear_bar();
  }
  free(p->what);
  free(p);
}
