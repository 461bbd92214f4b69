/* Parallel downloads over libcurl's multi interface: its handles, the loop
 * that starts attempts, and the public calls. Where the bytes go is in
 * transfer-sink.c, what follows each attempt in transfer-retry.c. */
#include "config.h"
#include "fetch/fetch-internal.h"

#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

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

/* Set once from the command line before any fetch starts. */
static const char *process_ca_file;

void vzt_fetch_set_ca_file(const char *path)
{
  process_ca_file = path;
}

const char *vzt_fetch_ca_file(void)
{
  if (process_ca_file)
    return process_ca_file;
  /* The variables curl(1) and OpenSSL read: libcurl itself reads neither. */
  static const char *const vars[] = {"CURL_CA_BUNDLE", "SSL_CERT_FILE"};
  for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
    const char *v = getenv(vars[i]);
    if (v && *v)
      return v;
  }
  return NULL;
}

void vzt_fetch_global_init(void)
{
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, global_init_once);
}

long vzt_fetch_timeout(void) { return process_timeout; }

static CURLM *multi_acquire(bool *shared)
{
  vzt_fetch_global_init();
  if (pthread_mutex_trylock(&shared_lock) == 0) {
    if (shared_multi && shared_pid != getpid())
      shared_multi = NULL; /* inherited over fork: the parent's, leave it be */
    if (!shared_multi) {
      static bool registered;
      if (!(shared_multi = curl_multi_init()))
        vzt_out_of_memory();
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
    vzt_out_of_memory();
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

/* ---- attempts ---------------------------------------------------------- */

static CURL *handle_get(struct vzt_xfer_run *run)
{
  CURL *c;
  if (run->n_idle) {
    c = run->idle[--run->n_idle];
    curl_easy_reset(c);
  } else if (!(c = curl_easy_init())) {
    vzt_out_of_memory();
  }
  return c;
}

void vzt_xfer_handle_put(struct vzt_xfer_run *run, CURL *c)
{
  run->idle[run->n_idle++] = c;
}

static void setup_handle(struct vzt_xfer *x, CURL *c, const char *range)
{
  struct vzt_xfer_run *run = x->run;
  curl_easy_setopt(c, CURLOPT_URL, vzt_xfer_url(x));
  curl_easy_setopt(c, CURLOPT_PRIVATE, x);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, vzt_xfer_write_cb);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, vzt_xfer_header_cb);
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
   * vzt_xfer_write_cb counts for responses that announce none. */
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) vzt_xfer_size_limit(x));
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
  /* Signatures guard what we install, TLS who sees what we ask for: a
   * private CA is added, verification is never turned off. */
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  const char *ca = vzt_fetch_ca_file();
  if (ca)
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
}

static void start_attempt(struct vzt_xfer *x)
{
  struct vzt_xfer_run *run = x->run;
  if (!x->item->urls[x->url]) {
    vzt_xfer_item_failed(x);
    return;
  }
  bool fresh = run->memory || x->fd < 0;
  if (fresh) {
    int r = vzt_xfer_sink_open(x);
    if (r == SINK_BUSY) {
      x->not_before = vzt_now() + BUSY_POLL;
      return;
    }
    if (r < 0) {
      vzt_xfer_fatal(run);
      return;
    }
    if (!run->memory && x->have == 0 && vzt_xfer_dest_already_there(x)) {
      vzt_debug("%s: put in place by another process meanwhile", x->item->dest);
      vzt_xfer_sink_close(x, true);
      x->item->url_used = x->item->urls[0];
      x->found_done = true;
      x->state = X_DONE;
      run->remaining--;
      return;
    }
    if (x->item->size && x->have > x->item->size && vzt_xfer_sink_truncate(x) < 0) {
      vzt_fail_errno(run->err, errno, "cannot truncate %s", x->part);
      vzt_xfer_fatal(run);
      return;
    }
    if (vzt_xfer_part_already_complete(x))
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
    vzt_xfer_handle_put(run, x->curl);
    x->curl = NULL;
    vzt_fail(run->err, "cannot start downloading %s: %s", vzt_xfer_url(x), curl_multi_strerror(mc));
    vzt_xfer_fatal(run);
    return;
  }
  x->attempts++;
  x->last_activity = vzt_now();
  x->state = X_RUNNING;
  run->running++;
  vzt_debug("GET %s%s%s (attempt %d)", vzt_xfer_url(x), x->have ? " from byte " : "",
            x->have ? range : "", x->attempts);
}

/* ---- the loop ---------------------------------------------------------- */

static int run_all(struct vzt_xfer_run *run)
{
  while (run->remaining && !run->fatal) {
    double now = vzt_now();
    for (size_t i = 0; i < run->n && run->running < (size_t) run->parallel && !run->fatal; i++) {
      struct vzt_xfer *x = &run->x[i];
      if (x->state == X_READY && x->not_before <= now)
        start_attempt(x);
    }
    if (run->fatal || !run->remaining)
      break;
    int still = 0;
    CURLMcode mc = curl_multi_perform(run->multi, &still);
    if (mc != CURLM_OK) {
      vzt_fail(run->err, "downloading: %s", curl_multi_strerror(mc));
      vzt_xfer_fatal(run);
      break;
    }
    CURLMsg *msg;
    int left;
    while (!run->fatal && (msg = curl_multi_info_read(run->multi, &left))) {
      if (msg->msg != CURLMSG_DONE)
        continue;
      char *priv = NULL;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
      vzt_xfer_attempt_done((struct vzt_xfer *) priv, msg->data.result);
    }
    vzt_xfer_abandon_stalled(run);
    if (run->fatal || !run->remaining)
      break;
    /* Start what can start before waiting; else wait for curl, the next
     * retry's time, or a second (for the stall check), whichever is first. */
    now = vzt_now();
    double wake = now + 1.0;
    bool ready = false;
    for (size_t i = 0; i < run->n && !ready; i++) {
      const struct vzt_xfer *x = &run->x[i];
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
      vzt_xfer_fatal(run);
    }
  }
  return run->fatal ? -1 : 0;
}

static void run_init(struct vzt_xfer_run *run, struct vzt_xfer *x, struct vzt_fetch_item *items, size_t n,
                     const struct vzt_fetch_opts *opts, bool memory, struct vzt_error **err)
{
  *run = (struct vzt_xfer_run){
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
  run->idle = vzt_calloc(run->parallel ? run->parallel : 1, sizeof(CURL *));
  if (!run->idle)
    vzt_out_of_memory();
  for (size_t i = 0; i < n; i++) {
    x[i] = (struct vzt_xfer){.run = run, .item = &items[i], .fd = -1};
    if (!memory)
      x[i].part = vzt_strdupf("%s.part", items[i].dest);
    items[i].url_used = NULL;
    items[i].computed[0] = 0;
    items[i].bytes = 0;
  }
  run->multi = multi_acquire(&run->shared_multi);
}

/* Stop what still runs (its .part stays for the next time) and free it all. */
static void run_finish(struct vzt_xfer_run *run)
{
  for (size_t i = 0; i < run->n; i++) {
    struct vzt_xfer *x = &run->x[i];
    if (x->curl) {
      curl_multi_remove_handle(run->multi, x->curl);
      curl_easy_cleanup(x->curl);
    }
    /* On failure no dest name is left: what did complete goes back to its
     * .part name, where the next run finds and re-verifies it. */
    if (run->fatal && x->state == X_DONE && !x->alias_of && !x->found_done && !run->memory &&
        rename(x->item->dest, x->part) < 0)
      vzt_debug("cannot rename %s back to %s: %s", x->item->dest, x->part, strerror(errno));
    /* An empty .part (a 404, a refused body) holds nothing to resume:
     * it would only litter the cache. */
    vzt_xfer_sink_close(x, x->fd >= 0 && x->have == 0);
    free(x->part);
    vzt_buf_free(&x->buf);
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
static void mark_aliases(struct vzt_xfer_run *run, struct vzt_fetch_item *items, size_t n)
{
  _cleanup_free_ size_t *order = vzt_calloc(n, sizeof(size_t));
  for (size_t i = 0; i < n; i++)
    order[i] = i;
  qsort_r(order, n, sizeof(size_t), cmp_dest, items);
  for (size_t k = 1, first = order[0]; k < n; k++) {
    if (strcmp(items[order[k]].dest, items[first].dest) != 0) {
      first = order[k];
      continue;
    }
    struct vzt_xfer *x = &run->x[order[k]];
    x->alias_of = &run->x[first];
    x->state = X_DONE;
    run->remaining--;
  }
}

static int copy_aliases(struct vzt_xfer_run *run)
{
  for (size_t i = 0; i < run->n; i++) {
    struct vzt_xfer *x = &run->x[i];
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
        vzt_xfer_fatal(run);
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
      vzt_xfer_fatal(run);
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
  _cleanup_free_ struct vzt_xfer *x = vzt_calloc(n, sizeof(*x));
  struct vzt_xfer_run run;
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
  struct vzt_xfer x;
  struct vzt_xfer_run run;
  run_init(&run, &x, &item, 1, NULL, true, err);
  int r = run_all(&run);
  if (r == 0) {
    x.buf.len = x.have;
    if (len)
      *len = x.have;
    *data = vzt_buf_steal(&x.buf);
  }
  run_finish(&run);
  return r;
}

