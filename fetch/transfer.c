/* Parallel downloads over libcurl's multi interface: retries with backoff,
 * resumption from "<dest>.part", mirror failover, digests while the bytes stream. */
#include "config.h"
#include "fetch.h"

#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/log.h"
#include "lib/strutil.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_PARALLEL 8
#define DEFAULT_RETRIES 3
#define DEFAULT_TIMEOUT 30L
#define CONNECT_TIMEOUT 15L
#define MAX_REDIRECTS 5L
#define BACKOFF_FIRST 0.5
#define BACKOFF_MAX 30.0
/* Error pages are read to their end (the connection stays usable) up to this. */
#define ERROR_BODY_MAX (64u << 10)
/* vzt_fetch_to_memory is for index and Release files, not for payloads. */
#define MEMORY_MAX (256u << 20)

enum xfer_state { X_READY, X_RUNNING, X_DONE, X_FAILED };

/* What one attempt came to, and so what happens next. */
enum outcome {
  O_OK,
  O_NOT_FOUND, /* 404, 410, a missing file: next URL at once */
  O_TRANSIENT, /* connection trouble, timeouts, 408/429/5xx: retry after a pause */
  O_PERMANENT, /* anything else about this URL: next URL at once */
  O_MISMATCH,  /* wrong size or digest: drop the data, next URL */
  O_RESTART,   /* the resumed data cannot be continued: once more from byte 0 */
  O_LOCAL,     /* our own disk failed: stop everything */
};

struct fetch_run;

struct xfer {
  struct fetch_run *run;
  struct vzt_fetch_item *item;
  enum xfer_state state;
  double not_before; /* backoff: vzt_now() before which it may not start again */

  /* The sink: "<dest>.part", or a buffer for vzt_fetch_to_memory. */
  char *part;
  int fd;
  char *buf;
  size_t bufcap;
  struct vzt_digest *dg;
  uint64_t have; /* bytes in the sink, every one of them hashed */

  /* The URL being tried and the attempt on it. */
  size_t url;
  int attempts;   /* started on the current URL */
  bool restarted; /* the one restart from byte 0 on this URL is used up */
  CURL *curl;
  char errbuf[CURL_ERROR_SIZE];
  uint64_t range_from; /* what this attempt asked for */
  bool body_begun, discard;
  uint64_t discarded;
  int64_t cr_start, cr_total; /* Content-Range of the current response, -1 when absent */
  int write_errno;
  bool overflow;  /* more bytes than item->size (or MEMORY_MAX) */
  bool bad_range; /* a 206 that does not start where we asked */
  double last_activity;

  /* Why each URL failed, "<url>: <cause>", for the final message. */
  char **causes;
  size_t n_mismatch, n_not_found;
  bool mismatch_retried; /* the current URL already served wrong bytes once */
  bool found_done;       /* another process had already put dest in place */

  /* Another item has the same dest: that one downloads, this one copies. */
  struct xfer *alias_of;
};

struct fetch_run {
  CURLM *multi;
  bool shared_multi;
  struct xfer *x;
  size_t n;
  bool memory;
  int parallel, retries;
  long timeout;
  size_t running, remaining;
  struct vzt_progress *progress;
  uint64_t done_bytes;
  CURL **idle; /* easy handles to reuse */
  size_t n_idle;
  struct vzt_error **err;
  bool fatal;
};

/* One multi handle for the process, so its connection cache keeps mirrors'
 * connections alive from one call to the next. A call that finds it busy
 * (another thread) uses a private one. */
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static CURLM *shared_multi;
static pid_t shared_pid;

static void shared_multi_cleanup(void)
{
  /* A forked child that exits must not close (or shut TLS down on) the
   * parent's connections. */
  if (shared_multi && getpid() == shared_pid)
    curl_multi_cleanup(shared_multi);
  shared_multi = NULL;
}

static void global_init_once(void)
{
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

static _Atomic long process_timeout = DEFAULT_TIMEOUT;

void vzt_fetch_set_timeout(long seconds)
{
  process_timeout = seconds > 0 ? seconds : DEFAULT_TIMEOUT;
}

void vzt_fetch_global_init(void)
{
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, global_init_once);
}

static CURLM *multi_acquire(bool *shared)
{
  vzt_fetch_global_init();
  if (pthread_mutex_trylock(&shared_lock) == 0) {
    if (shared_multi && shared_pid != getpid())
      shared_multi = NULL; /* inherited over fork: the parent's, leave it be */
    if (!shared_multi) {
      static bool registered;
      if (!(shared_multi = curl_multi_init()))
        abort();
      shared_pid = getpid();
      if (!registered)
        atexit(shared_multi_cleanup);
      registered = true;
    }
    *shared = true;
    return shared_multi;
  }
  CURLM *m = curl_multi_init();
  if (!m)
    abort();
  *shared = false;
  return m;
}

static void multi_release(CURLM *m, bool shared)
{
  if (shared)
    pthread_mutex_unlock(&shared_lock);
  else
    curl_multi_cleanup(m);
}

static const char *url_of(const struct xfer *x) { return x->item->urls[x->url]; }

/* ---- the sink ---------------------------------------------------------- */

static void progress_adjust(struct fetch_run *run, int64_t delta)
{
  run->done_bytes += delta;
  vzt_progress_set(run->progress, run->done_bytes);
}

/* Another process holds "<dest>.part" (two builds want the same blob):
 * this one waits its turn, then finds dest there or downloads itself. */
#define SINK_BUSY 1
#define BUSY_POLL 0.1

/* Open and lock "<dest>.part": the lock says one process writes it. A
 * .part renamed to dest by its holder after we opened it is not ours to
 * write: open the name again. */
static int sink_lock_part(struct xfer *x)
{
  for (;;) {
    x->fd = open(x->part, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (x->fd < 0)
      return vzt_fail_errno(x->run->err, errno, "cannot create %s", x->part);
    if (flock(x->fd, LOCK_EX | LOCK_NB) < 0) {
      int e = errno;
      close(x->fd);
      x->fd = -1;
      if (e == EWOULDBLOCK)
        return SINK_BUSY;
      return vzt_fail_errno(x->run->err, e, "cannot lock %s", x->part);
    }
    struct stat held, named;
    if (fstat(x->fd, &held) == 0 && stat(x->part, &named) == 0 && held.st_dev == named.st_dev &&
        held.st_ino == named.st_ino)
      return 0;
    close(x->fd);
    x->fd = -1;
  }
}

/* dest complete and right already (put there by another process while we
 * waited): nothing to download. */
static bool dest_already_there(struct xfer *x)
{
  const struct vzt_fetch_item *it = x->item;
  if (!it->digest)
    return false;
  _cleanup_close_ int fd = open(it->dest, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  char got[VZT_DIGEST_HEX_MAX];
  uint64_t size = 0;
  struct vzt_error *e = NULL;
  if (vzt_digest_fd(fd, it->digest_type, got, &size, &e) < 0) {
    vzt_error_free(&e);
    return false;
  }
  if (strcasecmp(got, it->digest) || (it->size && size != it->size))
    return false;
  snprintf(x->item->computed, sizeof(x->item->computed), "%s", got);
  x->item->bytes = size;
  return true;
}

/* Open "<dest>.part" (or reset the buffer) and hash what is already there.
 * SINK_BUSY: another process is writing it. */
static int sink_open(struct xfer *x)
{
  struct fetch_run *run = x->run;
  vzt_digest_free(x->dg);
  x->dg = vzt_digest_new(x->item->digest_type);
  if (run->memory) {
    x->have = 0;
    return 0;
  }
  if (x->fd >= 0)
    return 0;
  int locked = sink_lock_part(x);
  if (locked != 0)
    return locked;
  x->have = 0;
  char buf[1 << 16];
  for (;;) {
    ssize_t r = pread(x->fd, buf, sizeof(buf), x->have);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return vzt_fail_errno(run->err, errno, "cannot read %s", x->part);
    if (r == 0)
      break;
    vzt_digest_update(x->dg, buf, r);
    x->have += r;
  }
  if (x->have)
    vzt_debug("%s: resuming after %" PRIu64 " bytes", x->part, x->have);
  progress_adjust(run, x->have);
  return 0;
}

/* Drop what the sink holds and start hashing afresh. */
static int sink_truncate(struct xfer *x)
{
  if (x->fd >= 0 && ftruncate(x->fd, 0) < 0)
    return -errno;
  progress_adjust(x->run, -(int64_t) x->have);
  x->have = 0;
  vzt_digest_free(x->dg);
  x->dg = vzt_digest_new(x->item->digest_type);
  return 0;
}

/* Close the sink; remove deletes "<dest>.part" as well (data known bad). */
static void sink_close(struct xfer *x, bool remove)
{
  if (x->fd >= 0) {
    close(x->fd);
    x->fd = -1;
  }
  if (remove && x->part && unlink(x->part) < 0 && errno != ENOENT)
    vzt_debug("cannot remove %s: %s", x->part, strerror(errno));
  if (remove)
    progress_adjust(x->run, -(int64_t) x->have);
  x->have = 0;
  vzt_digest_free(x->dg);
  x->dg = NULL;
}

/* ---- curl callbacks ---------------------------------------------------- */

/* The first bytes of a response body (or its end, when empty): decide whether
 * they continue what the sink holds, replace it, or are an error page. */
static void body_begin(struct xfer *x)
{
  x->body_begun = true;
  long code = 0;
  curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &code);
  if (code != 0 && (code < 200 || code > 299)) {
    x->discard = true;
    return;
  }
  if (x->range_from == 0 || code == 0) /* file:// honours the range itself */
    return;
  if (code != 206) {
    /* The server ignored the Range request and sends the whole file. */
    vzt_debug("%s: no partial content, downloading it whole", url_of(x));
    int r = sink_truncate(x);
    if (r < 0)
      x->write_errno = -r;
    x->range_from = 0;
  } else if (x->cr_start >= 0 && (uint64_t) x->cr_start != x->range_from) {
    x->bad_range = true;
  }
}

/* The most a response may bring: the expected size, the item's cap, or the cap for unsized ones. */
static uint64_t size_limit(const struct xfer *x)
{
  if (x->run->memory)
    return MEMORY_MAX;
  if (x->item->size)
    return x->item->size;
  return x->item->max_size ? x->item->max_size : VZT_FETCH_UNSIZED_MAX;
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
  struct xfer *x = userdata;
  size_t n = size * nmemb;
  x->last_activity = vzt_now();
  if (!x->body_begun)
    body_begin(x);
  if (x->discard) {
    x->discarded += n;
    return x->discarded > ERROR_BODY_MAX ? 0 : n;
  }
  if (x->write_errno || x->bad_range)
    return 0;
  if (x->run->memory) {
    if (x->have + n > MEMORY_MAX) {
      x->overflow = true;
      return 0;
    }
    if (x->have + n + 1 > x->bufcap) {
      size_t cap = x->bufcap ? x->bufcap : 1 << 14;
      while (cap < x->have + n + 1)
        cap *= 2;
      char *b = realloc(x->buf, cap);
      if (!b)
        abort();
      x->buf = b;
      x->bufcap = cap;
    }
    memcpy(x->buf + x->have, ptr, n);
  } else {
    if (x->have + n > size_limit(x)) {
      x->overflow = true;
      return 0;
    }
    for (size_t off = 0; off < n;) {
      ssize_t w = pwrite(x->fd, ptr + off, n - off, x->have + off);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0) {
        x->write_errno = errno;
        return 0;
      }
      off += w;
    }
  }
  vzt_digest_update(x->dg, ptr, n);
  x->have += n;
  progress_adjust(x->run, n);
  return n;
}

static size_t header_cb(char *buf, size_t size, size_t nitems, void *userdata)
{
  struct xfer *x = userdata;
  size_t n = size * nitems;
  x->last_activity = vzt_now();
  char line[160];
  size_t len = n < sizeof(line) - 1 ? n : sizeof(line) - 1;
  memcpy(line, buf, len);
  line[len] = 0;
  if (vzt_startswith(line, "HTTP/")) {
    /* a new response (after a redirect or a 100): forget the last one's */
    x->cr_start = x->cr_total = -1;
  } else if (strncasecmp(line, "Content-Range:", 14) == 0) {
    const char *p = line + 14;
    p += strspn(p, " \t");
    if (strncasecmp(p, "bytes", 5) == 0)
      p += 5;
    p += strspn(p, " \t");
    unsigned long long start, end, total;
    if (sscanf(p, "%llu-%llu/%llu", &start, &end, &total) == 3) {
      x->cr_start = start;
      x->cr_total = total;
    } else if (sscanf(p, "%llu-%llu/*", &start, &end) == 2) {
      x->cr_start = start;
    } else if (sscanf(p, "*/%llu", &total) == 1) {
      x->cr_total = total;
    }
  }
  return n;
}

/* ---- attempts ---------------------------------------------------------- */

static CURL *handle_get(struct fetch_run *run)
{
  CURL *c;
  if (run->n_idle) {
    c = run->idle[--run->n_idle];
    curl_easy_reset(c);
  } else if (!(c = curl_easy_init())) {
    abort();
  }
  return c;
}

static void handle_put(struct fetch_run *run, CURL *c)
{
  run->idle[run->n_idle++] = c;
}

static void setup_handle(struct xfer *x, CURL *c, const char *range)
{
  struct fetch_run *run = x->run;
  curl_easy_setopt(c, CURLOPT_URL, url_of(x));
  curl_easy_setopt(c, CURLOPT_PRIVATE, x);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT < run->timeout ? CONNECT_TIMEOUT
                                                                              : run->timeout);
  /* A trickle is a stall: a server sending a few bytes a second would
   * otherwise hold the transfer forever, each byte resetting the timeout. */
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, VZT_FETCH_LOW_SPEED);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, run->timeout);
  /* A length announced past the limit is refused before its first byte;
   * write_cb counts for responses that announce none. */
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) size_limit(x));
  curl_easy_setopt(c, CURLOPT_USERAGENT, "vztmpl/" PACKAGE_VERSION);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(c, CURLOPT_PROTOCOLS,
                   (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS | CURLPROTO_FILE));
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt(c, CURLOPT_RANGE, range);
}

static void finish_ok(struct xfer *x, const char *computed);
static void item_failed(struct xfer *x);

static void fatal(struct fetch_run *run) { run->fatal = true; }

/* A complete "<dest>.part" of the expected size and digest needs no network:
 * an earlier run got that far before it stopped. */
static bool part_already_complete(struct xfer *x)
{
  const struct vzt_fetch_item *it = x->item;
  if (x->run->memory || !it->size || !it->digest || x->have != it->size)
    return false;
  char got[VZT_DIGEST_HEX_MAX];
  vzt_digest_finish(x->dg, got);
  x->dg = NULL;
  if (strcasecmp(got, it->digest) == 0) {
    finish_ok(x, got);
    return true;
  }
  vzt_debug("%s: complete but wrong digest, downloading it again", x->part);
  if (sink_truncate(x) < 0) {
    vzt_fail_errno(x->run->err, errno, "cannot truncate %s", x->part);
    fatal(x->run);
    return true;
  }
  return false;
}

static void start_attempt(struct xfer *x)
{
  struct fetch_run *run = x->run;
  if (!x->item->urls[x->url]) {
    item_failed(x);
    return;
  }
  bool fresh = run->memory || x->fd < 0;
  if (fresh) {
    int r = sink_open(x);
    if (r == SINK_BUSY) {
      x->not_before = vzt_now() + BUSY_POLL;
      return;
    }
    if (r < 0) {
      fatal(run);
      return;
    }
    if (!run->memory && x->have == 0 && dest_already_there(x)) {
      vzt_debug("%s: put in place by another process meanwhile", x->item->dest);
      sink_close(x, true);
      x->item->url_used = x->item->urls[0];
      x->found_done = true;
      x->state = X_DONE;
      run->remaining--;
      return;
    }
    if (x->item->size && x->have > x->item->size && sink_truncate(x) < 0) {
      vzt_fail_errno(run->err, errno, "cannot truncate %s", x->part);
      fatal(run);
      return;
    }
    if (part_already_complete(x))
      return;
  }
  x->range_from = x->have;
  x->body_begun = x->discard = x->overflow = x->bad_range = false;
  x->discarded = 0;
  x->cr_start = x->cr_total = -1;
  x->write_errno = 0;
  x->errbuf[0] = 0;
  char range[32];
  snprintf(range, sizeof(range), "%" PRIu64 "-", x->have);
  x->curl = handle_get(run);
  setup_handle(x, x->curl, x->have ? range : NULL);
  CURLMcode mc = curl_multi_add_handle(run->multi, x->curl);
  if (mc != CURLM_OK) {
    handle_put(run, x->curl);
    x->curl = NULL;
    vzt_fail(run->err, "cannot start downloading %s: %s", url_of(x), curl_multi_strerror(mc));
    fatal(run);
    return;
  }
  x->attempts++;
  x->last_activity = vzt_now();
  x->state = X_RUNNING;
  run->running++;
  vzt_debug("GET %s%s%s (attempt %d)", url_of(x), x->have ? " from byte " : "",
            x->have ? range : "", x->attempts);
}

static void finish_ok(struct xfer *x, const char *computed)
{
  struct fetch_run *run = x->run;
  struct vzt_fetch_item *it = x->item;
  snprintf(it->computed, sizeof(it->computed), "%s", computed);
  it->bytes = x->have;
  it->url_used = it->urls[x->url] ? it->urls[x->url] : it->urls[0];
  if (!run->memory) {
    close(x->fd);
    x->fd = -1;
    if (rename(x->part, it->dest) < 0) {
      vzt_fail_errno(run->err, errno, "cannot rename %s to %s", x->part, it->dest);
      fatal(run);
      x->state = X_FAILED;
      return;
    }
  }
  x->state = X_DONE;
  run->remaining--;
}

/* Every URL failed: the call fails, with the reason for each. */
static void item_failed(struct xfer *x)
{
  struct fetch_run *run = x->run;
  size_t nurls = vzt_strv_len(x->item->urls);
  _cleanup_free_ char *why = x->causes ? vzt_strv_join(x->causes, "; ") : vzt_strdup("no URL");
  x->state = X_FAILED;
  if (nurls && x->n_mismatch == nurls)
    vzt_refuse(run->err, "refusing the download: %s", why);
  else if (nurls && x->n_not_found == nurls)
    vzt_fail_errno(run->err, ENOENT, "cannot download %s", why);
  else
    vzt_fail(run->err, "cannot download %s", why);
  fatal(run);
}

static void next_url(struct xfer *x, char *cause)
{
  vzt_debug("%s", cause);
  vzt_strv_push_take(&x->causes, cause);
  x->url++;
  x->attempts = 0;
  x->restarted = false;
  x->mismatch_retried = false;
  x->state = X_READY;
  x->not_before = 0;
  if (!x->item->urls[x->url])
    item_failed(x);
}

static bool curl_transient(CURLcode res)
{
  switch (res) {
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_CONNECT:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_PARTIAL_FILE:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
  case CURLE_WEIRD_SERVER_REPLY:
    return true;
  default:
    return false;
  }
}

static enum outcome http_outcome(struct xfer *x, long code)
{
  if (code == 404 || code == 410)
    return O_NOT_FOUND;
  if (code == 408 || code == 429 || (code >= 500 && code <= 599))
    return O_TRANSIENT;
  if (code == 416 && x->range_from > 0)
    return O_RESTART;
  return O_PERMANENT;
}

/* The bytes are all there: check them against the item. */
static enum outcome verify(struct xfer *x, char **cause, char *got)
{
  const struct vzt_fetch_item *it = x->item;
  vzt_digest_finish(x->dg, got);
  x->dg = NULL;
  if (it->size && x->have != it->size) {
    *cause = vzt_strdupf("%s: size mismatch: expected %" PRIu64 " bytes, got %" PRIu64,
                         url_of(x), it->size, x->have);
    return O_MISMATCH;
  }
  if (it->digest && strcasecmp(got, it->digest) != 0) {
    *cause = vzt_strdupf("%s: %s mismatch: expected %s, got %s", url_of(x),
                         vzt_digest_name(it->digest_type), it->digest, got);
    return O_MISMATCH;
  }
  return O_OK;
}

double (*vzt_fetch_backoff_hook)(double delay);

static void attempt_done(struct xfer *x, CURLcode res)
{
  struct fetch_run *run = x->run;
  long code = 0;
  curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &code);
  if (res == CURLE_OK && !x->body_begun)
    body_begin(x); /* an empty body */
  if (res == CURLE_FILESIZE_EXCEEDED)
    x->overflow = true;
  curl_multi_remove_handle(run->multi, x->curl);
  handle_put(run, x->curl);
  x->curl = NULL;
  run->running--;
  x->state = X_READY;

  enum outcome o;
  char *cause = NULL;
  char got[VZT_DIGEST_HEX_MAX] = "";
  if (x->write_errno) {
    vzt_fail_errno(run->err, x->write_errno, "cannot write %s", x->part);
    o = O_LOCAL;
  } else if (x->discard) {
    o = http_outcome(x, code);
    if (o == O_RESTART && x->cr_total >= 0 && (uint64_t) x->cr_total == x->range_from) {
      /* 416 with the length we already have: the .part is the whole file */
      o = verify(x, &cause, got);
    } else {
      cause = vzt_strdupf("%s: HTTP %ld", url_of(x), code);
    }
  } else if (x->overflow) {
    if (run->memory) {
      cause = vzt_strdupf("%s: larger than %u MiB", url_of(x), MEMORY_MAX >> 20);
      o = O_PERMANENT;
    } else if (x->item->size) {
      cause = vzt_strdupf("%s: size mismatch: more than the expected %" PRIu64 " bytes",
                          url_of(x), x->item->size);
      o = O_MISMATCH;
    } else {
      /* The data is removed (it cannot be what was asked for), like a mismatch. */
      cause = vzt_strdupf("%s: larger than the limit of %" PRIu64 " bytes for a file of unsigned size",
                          url_of(x), size_limit(x));
      o = O_MISMATCH;
    }
  } else if (x->bad_range) {
    cause = vzt_strdupf("%s: the server sent a different byte range than asked for", url_of(x));
    o = O_RESTART;
  } else if (res == CURLE_OK) {
    o = verify(x, &cause, got);
  } else {
    cause = res == CURLE_OPERATION_TIMEDOUT && strstr(x->errbuf, "too slow")
                ? vzt_strdupf("%s: stalled: less than %ld bytes/s for %ld seconds (--timeout)", url_of(x),
                              VZT_FETCH_LOW_SPEED, run->timeout)
                : vzt_strdupf("%s: %s", url_of(x), x->errbuf[0] ? x->errbuf : curl_easy_strerror(res));
    if (res == CURLE_FILE_COULDNT_READ_FILE || res == CURLE_REMOTE_FILE_NOT_FOUND)
      o = O_NOT_FOUND;
    else if ((res == CURLE_BAD_DOWNLOAD_RESUME || res == CURLE_RANGE_ERROR) && x->range_from)
      o = O_RESTART;
    else if (curl_transient(res))
      o = O_TRANSIENT;
    else
      o = O_PERMANENT;
  }

  /* Data that failed verification after a resume may just be a stale .part:
   * try the same URL once more from the start before blaming the mirror. */
  if (o == O_MISMATCH && x->range_from > 0 && !x->restarted)
    o = O_RESTART;

  switch (o) {
  case O_OK:
    free(cause);
    finish_ok(x, got);
    return;
  case O_LOCAL:
    free(cause);
    fatal(run);
    return;
  case O_RESTART:
    if (!x->restarted) {
      vzt_debug("%s: starting over from byte 0", cause);
      free(cause);
      x->restarted = true;
      x->attempts--;
      sink_close(x, true);
      return;
    }
    sink_close(x, true);
    next_url(x, cause);
    return;
  case O_TRANSIENT:
    if (x->attempts <= run->retries) {
      double delay = BACKOFF_FIRST;
      for (int i = 1; i < x->attempts && delay < BACKOFF_MAX; i++)
        delay *= 2;
      if (delay > BACKOFF_MAX)
        delay = BACKOFF_MAX;
      if (vzt_fetch_backoff_hook)
        delay = vzt_fetch_backoff_hook(delay);
      vzt_debug("%s: retrying in %.1f s", cause, delay);
      free(cause);
      x->not_before = vzt_now() + delay;
      return;
    }
    next_url(x, vzt_strdupf("%s (%d attempts)", cause, x->attempts));
    free(cause);
    return;
  case O_MISMATCH:
    sink_close(x, true);
    if (!x->mismatch_retried) {
      /* One bad response can be a proxy's or a link's fault: the same
       * mirror once more, from byte 0, before it counts as serving wrong
       * bytes (and every mirror doing so is a refusal). */
      vzt_debug("%s: downloading it again from byte 0", cause);
      free(cause);
      x->mismatch_retried = true;
      return;
    }
    x->n_mismatch++;
    next_url(x, cause);
    return;
  case O_NOT_FOUND:
    x->n_not_found++;
    next_url(x, cause);
    return;
  case O_PERMANENT:
    next_url(x, cause);
    return;
  }
}

/* ---- the loop ---------------------------------------------------------- */

/* curl's low-speed check averages over several seconds; this one abandons a
 * transfer exactly timeout seconds after its last byte. */
static void abandon_stalled(struct fetch_run *run)
{
  double now = vzt_now();
  for (size_t i = 0; i < run->n && !run->fatal; i++) {
    struct xfer *x = &run->x[i];
    if (x->state != X_RUNNING || now - x->last_activity < run->timeout)
      continue;
    snprintf(x->errbuf, sizeof(x->errbuf), "no data received for %ld seconds", run->timeout);
    attempt_done(x, CURLE_OPERATION_TIMEDOUT);
  }
}

static int run_all(struct fetch_run *run)
{
  while (run->remaining && !run->fatal) {
    double now = vzt_now();
    for (size_t i = 0; i < run->n && run->running < (size_t) run->parallel && !run->fatal; i++) {
      struct xfer *x = &run->x[i];
      if (x->state == X_READY && x->not_before <= now)
        start_attempt(x);
    }
    if (run->fatal || !run->remaining)
      break;
    int still = 0;
    CURLMcode mc = curl_multi_perform(run->multi, &still);
    if (mc != CURLM_OK) {
      vzt_fail(run->err, "downloading: %s", curl_multi_strerror(mc));
      fatal(run);
      break;
    }
    CURLMsg *msg;
    int left;
    while (!run->fatal && (msg = curl_multi_info_read(run->multi, &left))) {
      if (msg->msg != CURLMSG_DONE)
        continue;
      char *priv = NULL;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
      attempt_done((struct xfer *) priv, msg->data.result);
    }
    abandon_stalled(run);
    if (run->fatal || !run->remaining)
      break;
    /* Start what can start before waiting; else wait for curl, the next
     * retry's time, or a second (for the stall check), whichever is first. */
    now = vzt_now();
    double wake = now + 1.0;
    bool ready = false;
    for (size_t i = 0; i < run->n && !ready; i++) {
      const struct xfer *x = &run->x[i];
      if (x->state != X_READY)
        continue;
      if (x->not_before <= now)
        ready = run->running < (size_t) run->parallel;
      else if (x->not_before < wake)
        wake = x->not_before;
    }
    if (ready)
      continue;
    int ms = (int) ((wake - now) * 1000) + 1;
    if (ms < 0)
      ms = 0;
    if (ms > 1000)
      ms = 1000;
    mc = curl_multi_poll(run->multi, NULL, 0, ms, NULL);
    if (mc != CURLM_OK) {
      vzt_fail(run->err, "downloading: %s", curl_multi_strerror(mc));
      fatal(run);
    }
  }
  return run->fatal ? -1 : 0;
}

static void run_init(struct fetch_run *run, struct xfer *x, struct vzt_fetch_item *items, size_t n,
                     const struct vzt_fetch_opts *opts, bool memory, struct vzt_error **err)
{
  *run = (struct fetch_run){
      .x = x,
      .n = n,
      .memory = memory,
      .parallel = opts && opts->parallel > 0 ? opts->parallel : DEFAULT_PARALLEL,
      .retries = opts && opts->retries >= 0 ? opts->retries : DEFAULT_RETRIES,
      .timeout = opts && opts->timeout > 0 ? opts->timeout : process_timeout,
      .remaining = n,
      .err = err,
  };
  if ((size_t) run->parallel > n)
    run->parallel = n;
  run->idle = calloc(run->parallel ? run->parallel : 1, sizeof(CURL *));
  if (!run->idle)
    abort();
  for (size_t i = 0; i < n; i++) {
    x[i] = (struct xfer){.run = run, .item = &items[i], .fd = -1};
    if (!memory)
      x[i].part = vzt_strdupf("%s.part", items[i].dest);
    items[i].url_used = NULL;
    items[i].computed[0] = 0;
    items[i].bytes = 0;
  }
  run->multi = multi_acquire(&run->shared_multi);
}

/* Stop what still runs (its .part stays for the next time) and free it all. */
static void run_finish(struct fetch_run *run)
{
  for (size_t i = 0; i < run->n; i++) {
    struct xfer *x = &run->x[i];
    if (x->curl) {
      curl_multi_remove_handle(run->multi, x->curl);
      curl_easy_cleanup(x->curl);
    }
    /* On failure no dest name is left: what did complete goes back to its
     * .part name, where the next run finds and re-verifies it. */
    if (run->fatal && x->state == X_DONE && !x->alias_of && !x->found_done && !run->memory &&
        rename(x->item->dest, x->part) < 0)
      vzt_debug("cannot rename %s back to %s: %s", x->item->dest, x->part, strerror(errno));
    sink_close(x, false);
    free(x->part);
    free(x->buf);
    vzt_strv_free(x->causes);
  }
  for (size_t i = 0; i < run->n_idle; i++)
    curl_easy_cleanup(run->idle[i]);
  free(run->idle);
  multi_release(run->multi, run->shared_multi);
  vzt_progress_end(run->progress);
}

static int cmp_dest(const void *a, const void *b, void *data)
{
  const struct vzt_fetch_item *items = data;
  size_t i = *(const size_t *) a, j = *(const size_t *) b;
  int c = strcmp(items[i].dest, items[j].dest);
  return c ? c : (i > j) - (i < j);
}

/* Two items with one dest would write one .part at once: the first of them
 * downloads it and the others take its result. */
static void mark_aliases(struct fetch_run *run, struct vzt_fetch_item *items, size_t n)
{
  _cleanup_free_ size_t *order = calloc(n, sizeof(size_t));
  if (!order)
    abort();
  for (size_t i = 0; i < n; i++)
    order[i] = i;
  qsort_r(order, n, sizeof(size_t), cmp_dest, items);
  for (size_t k = 1, first = order[0]; k < n; k++) {
    if (strcmp(items[order[k]].dest, items[first].dest) != 0) {
      first = order[k];
      continue;
    }
    struct xfer *x = &run->x[order[k]];
    x->alias_of = &run->x[first];
    x->state = X_DONE;
    run->remaining--;
  }
}

static int copy_aliases(struct fetch_run *run)
{
  for (size_t i = 0; i < run->n; i++) {
    struct xfer *x = &run->x[i];
    if (!x->alias_of)
      continue;
    struct vzt_fetch_item *it = x->item, *p = x->alias_of->item;
    memcpy(it->computed, p->computed, sizeof(it->computed));
    it->bytes = p->bytes;
    if (it->digest_type != p->digest_type) {
      _cleanup_close_ int fd = open(it->dest, O_RDONLY | O_CLOEXEC);
      if (fd < 0 || vzt_digest_fd(fd, it->digest_type, it->computed, NULL, run->err) < 0) {
        if (fd < 0)
          vzt_fail_errno(run->err, errno, "cannot open %s", it->dest);
        fatal(run);
        return -1;
      }
    }
    size_t used = 0;
    while (p->urls[used] && p->urls[used] != p->url_used)
      used++;
    it->url_used = used < vzt_strv_len(it->urls) ? it->urls[used] : it->urls[0];
    if ((it->digest && strcasecmp(it->digest, it->computed) != 0) ||
        (it->size && it->size != it->bytes)) {
      vzt_refuse(run->err, "refusing the download: %s: expected %s %s (%" PRIu64
                 " bytes), got %s (%" PRIu64 " bytes)", it->url_used,
                 vzt_digest_name(it->digest_type), it->digest ? it->digest : "-", it->size,
                 it->computed, it->bytes);
      fatal(run);
      return -1;
    }
  }
  return 0;
}

int vzt_fetch_all(struct vzt_fetch_item *items, size_t n, const struct vzt_fetch_opts *opts,
                  struct vzt_error **err)
{
  if (n == 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!items[i].dest || !items[i].urls || !items[i].urls[0])
      return vzt_fail(err, "internal error: download %zu has no %s", i,
                      items[i].dest ? "URL" : "destination");
  _cleanup_free_ struct xfer *x = calloc(n, sizeof(*x));
  if (!x)
    abort();
  struct fetch_run run;
  run_init(&run, x, items, n, opts, false, err);
  mark_aliases(&run, items, n);
  if (opts && opts->label) {
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
      total += x[i].alias_of ? 0 : items[i].size;
    run.progress = vzt_progress_begin(opts->label, total, true);
  }
  int r = run_all(&run);
  if (r == 0)
    r = copy_aliases(&run);
  run_finish(&run);
  return r;
}

int vzt_fetch_to_memory(char *const *urls, char **data, size_t *len, struct vzt_error **err)
{
  if (!urls || !urls[0])
    return vzt_fail(err, "internal error: nothing to download");
  struct vzt_fetch_item item = {.urls = (char **) urls, .digest_type = VZT_DIGEST_SHA256};
  struct xfer x;
  struct fetch_run run;
  run_init(&run, &x, &item, 1, NULL, true, err);
  int r = run_all(&run);
  if (r == 0) {
    if (!x.buf && !(x.buf = malloc(1)))
      abort();
    x.buf[x.have] = 0;
    *data = steal_pointer(&x.buf);
    if (len)
      *len = x.have;
  }
  run_finish(&run);
  return r;
}
