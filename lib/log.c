/* Logging levels and terminal progress bars on stderr. */
#include "config.h"
#include "log.h"
#include "lib/alloc.h"
#include "lib/strutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DRAW_AFTER 1.0     /* seconds: shorter steps show no bar at all */
#define DRAW_EVERY 0.2     /* seconds between redraws */
#define RATE_WINDOW 3.0    /* seconds the rate is averaged over */

static int log_verbosity = VZT_LOG_INFO;
static bool log_progress = true;
static bool progress_drawn; /* a bar is on the current line: clear it before text */
static double process_start;

/* One lock for what goes to stderr, so a bar drawn by the ticking thread
 * never cuts a message in half. A child cloned while the lock was held must
 * not wait for it: only the process that made the thread takes it. */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t out_lock_pid;

__attribute__((constructor)) static void note_process_start(void)
{
  process_start = vzt_now();
}

static void out_begin(void)
{
  if (out_lock_pid && out_lock_pid == getpid())
    pthread_mutex_lock(&out_lock);
}

static void out_end(void)
{
  if (out_lock_pid && out_lock_pid == getpid())
    pthread_mutex_unlock(&out_lock);
}

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

double vzt_process_seconds(void)
{
  return vzt_now() - process_start;
}

/* The bar goes out with write(2): no stdio lock is held while drawing. */
static void put(const char *s)
{
  size_t len = strlen(s);
  while (len) {
    ssize_t n = write(STDERR_FILENO, s, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    s += n;
    len -= (size_t) n;
  }
}

static void clear_bar(void)
{
  if (progress_drawn) {
    put("\r\033[K");
    progress_drawn = false;
  }
}

void vzt_log(enum vzt_log_level level, const char *fmt, ...)
{
  if ((int) level > log_verbosity)
    return;
  out_begin();
  clear_bar();
  static const char *const prefix[] = {"error: ", "warning: ", "", ""};
  fputs(prefix[level], stderr);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fflush(stderr);
  out_end();
}

struct vzt_progress {
  char *what;
  uint64_t total, done;
  bool bytes;
  double last_draw, start;
  /* The rate over the last few seconds: done at window_start. */
  double window_start, rate;
  uint64_t window_done;
  uint64_t (*poll)(void *data);
  void *poll_data;
  pthread_t ticker;
  bool ticking, stop;
  pthread_cond_t wake;
};

static void human(char *buf, size_t len, uint64_t n, bool bytes)
{
  if (!bytes)
    snprintf(buf, len, "%llu", (unsigned long long) n);
  else if (n >= 10ull << 20)
    snprintf(buf, len, "%.0f MiB", n / 1048576.0);
  else
    snprintf(buf, len, "%.1f MiB", n / 1048576.0);
}

static void duration(char *buf, size_t len, double s)
{
  unsigned long t = s < 0 ? 0 : s > 359999 ? 359999 : (unsigned long) (s + 0.5);
  if (t >= 3600)
    snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
  else
    snprintf(buf, len, "%lu:%02lu", t / 60, t % 60);
}

void vzt_progress_format(char *buf, size_t len, const char *what, uint64_t done, uint64_t total, bool bytes,
                         double elapsed, double rate)
{
  char d[32], t[32], r[48] = "", left[48] = "", el[32];
  if (!total) {
    duration(el, sizeof(el), elapsed);
    snprintf(buf, len, "%-22s %s", what, el);
    return;
  }
  human(d, sizeof(d), done, bytes);
  human(t, sizeof(t), total, bytes);
  int pct = (int) (done >= total ? 100 : done * 100 / total);
  int width = 24, fill = pct * width / 100;
  if (bytes && rate > 0)
    snprintf(r, sizeof(r), "  %.1f MiB/s", rate / 1048576.0);
  if (rate > 0 && done < total) {
    char eta[32];
    duration(eta, sizeof(eta), (double) (total - done) / rate);
    snprintf(left, sizeof(left), "  %s left", eta);
  }
  snprintf(buf, len, "%-22s [%.*s%*s] %3d%% %s/%s%s%s", what, fill, "########################", width - fill, "",
           pct, d, t, r, left);
}

/* Called with out_lock held. */
static void draw(struct vzt_progress *p, double now)
{
  if (p->poll)
    p->done = p->poll(p->poll_data);
  if (now - p->start < DRAW_AFTER)
    return;
  double span = now - p->window_start;
  if (p->done < p->window_done) { /* a retried download starts its bytes again */
    p->window_start = now;
    p->window_done = p->done;
  } else if (span >= 0.5) {
    p->rate = (double) (p->done - p->window_done) / span;
    if (span >= RATE_WINDOW) {
      p->window_start = now;
      p->window_done = p->done;
    }
  }
  char line[256];
  vzt_progress_format(line, sizeof(line), p->what, p->done, p->total, p->bytes, now - p->start, p->rate);
  put("\r\033[K");
  put(line);
  progress_drawn = true;
  p->last_draw = now;
}

/* Redraws while the caller is blocked (a child configuring, a stalled download). */
static void *tick(void *arg)
{
  struct vzt_progress *p = arg;
  pthread_mutex_lock(&out_lock);
  while (!p->stop) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (long) (DRAW_EVERY * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
      ts.tv_sec++;
      ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&p->wake, &out_lock, &ts);
    if (!p->stop) {
      double now = vzt_now();
      if (now - p->last_draw >= DRAW_EVERY)
        draw(p, now);
    }
  }
  pthread_mutex_unlock(&out_lock);
  return NULL;
}

struct vzt_progress *vzt_progress_begin(const char *what, uint64_t total, bool bytes)
{
  struct vzt_progress *p = vzt_calloc(1, sizeof(*p));
  p->what = vzt_strdup(what);
  p->total = total;
  p->bytes = bytes;
  p->start = p->window_start = vzt_now();
  pthread_cond_init(&p->wake, NULL);
  /* No terminal, no thread: nothing would be drawn. */
  if (log_progress) {
    out_lock_pid = getpid();
    p->ticking = pthread_create(&p->ticker, NULL, tick, p) == 0;
  }
  return p;
}

void vzt_progress_set(struct vzt_progress *p, uint64_t done)
{
  if (!p)
    return;
  out_begin();
  p->done = done;
  double now = vzt_now();
  if (log_progress && now - p->last_draw >= DRAW_EVERY)
    draw(p, now);
  out_end();
}

void vzt_progress_add_total(struct vzt_progress *p, uint64_t more)
{
  if (!p)
    return;
  out_begin();
  p->total += more;
  out_end();
}

void vzt_progress_poll(struct vzt_progress *p, uint64_t (*poll)(void *data), void *data)
{
  if (!p)
    return;
  out_begin();
  p->poll = poll;
  p->poll_data = data;
  out_end();
}

void vzt_progress_end(struct vzt_progress *p)
{
  if (!p)
    return;
  if (p->ticking) {
    pthread_mutex_lock(&out_lock);
    p->stop = true;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&out_lock);
    pthread_join(p->ticker, NULL);
  }
  out_begin();
  /* The line is for the step in progress: the caller's message replaces it. */
  clear_bar();
  out_end();
  pthread_cond_destroy(&p->wake);
  free(p->what);
  free(p);
}
