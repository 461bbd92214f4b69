/* Unit tests for fetch/transfer.c: file:// and a loopback HTTP/1.1 server that misbehaves on cue. */
#include "config.h"

#include "fetch/fetch.h"
#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/error.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define BODY_LEN 300000

static char body[BODY_LEN];
static char body_sha[VZT_DIGEST_HEX_MAX];
static char *tmpdir;

static void sha256_of(const void *data, size_t len, char *out)
{
  struct vzt_digest *d = vzt_digest_new(VZT_DIGEST_SHA256);
  vzt_digest_update(d, data, len);
  vzt_digest_finish(d, out);
}

static void write_file(const char *path, const void *data, size_t len)
{
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(vzt_write_all(fd, data, len), 0);
}

static bool exists(const char *path) { return access(path, F_OK) == 0; }

/* dest holds exactly the test body */
static void assert_body(const char *path)
{
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_read_file(path, &data, &len, &err), 0);
  ck_assert_uint_eq(len, BODY_LEN);
  ck_assert(memcmp(data, body, BODY_LEN) == 0);
}

static char *tpath(const char *name) { return vzt_path_join(tmpdir, name); }

static char *file_url(const char *name) { return vzt_strdupf("file://%s/%s", tmpdir, name); }

/* Every pause transfer.c chose before a retry, in order. The tests check
 * these instead of the clock, and take no pause at all. */
#define MAX_BACKOFFS 16
static double backoffs[MAX_BACKOFFS];
static int nbackoffs;

static double record_backoff(double delay)
{
  if (nbackoffs < MAX_BACKOFFS)
    backoffs[nbackoffs] = delay;
  nbackoffs++;
  return 0;
}

static void setup(void)
{
  nbackoffs = 0;
  vzt_fetch_backoff_hook = record_backoff;
  vzt_log_setup(getenv("VZT_TEST_DEBUG") ? VZT_LOG_DEBUG : VZT_LOG_ERROR, false);
  unsigned x = 12345;
  for (size_t i = 0; i < BODY_LEN; i++) {
    x = x * 1103515245 + 12345;
    body[i] = (char) (x >> 16);
  }
  sha256_of(body, BODY_LEN, body_sha);
  tmpdir = vzt_strdup("/tmp/vzt-test-fetch.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
  _cleanup_free_ char *src = tpath("src");
  write_file(src, body, BODY_LEN);
}

static void teardown(void)
{
  struct vzt_error *err = NULL;
  vzt_rm_rf(tmpdir, &err);
  vzt_error_free(&err);
  free(tmpdir);
  tmpdir = NULL;
}

/* ---- a loopback HTTP/1.1 server ------------------------------------------
 * Each path has a list of actions, one used per request (the last repeats):
 *   ok      200, or 206 for "Range: bytes=N-" (416 past the end)
 *   full    200 with the whole body, Range or not
 *   404 503 that status
 *   cut     like ok, but the connection closes halfway through the body
 *   stall   like ok, but stops halfway and waits, however long it takes, for
 *           the client to give up: a client that never does hangs the test
 *           until check's timeout fails it
 *   wrong   200 with a body of the right length but other bytes
 *   redir   302 to /src
 * Every request is logged as "<path> <range start or ->". */

#define MAX_ROUTES 8
#define MAX_CONNS 64
#define MAX_LOG 64

struct route {
  char path[64];
  char actions[8][8];
  int nactions, next;
};

struct server {
  int lfd, port;
  pthread_t thread;
  pthread_mutex_t lock;
  struct route routes[MAX_ROUTES];
  int nroutes;
  char log[MAX_LOG][96];
  int nlog;
  pthread_t conns[MAX_CONNS];
  int conn_fds[MAX_CONNS];
  int nconns;
  bool stopping;
};

static struct server srv;

static void route(const char *path, const char *actions)
{
  struct route *r = &srv.routes[srv.nroutes++];
  snprintf(r->path, sizeof(r->path), "%s", path);
  _cleanup_strv_ char **a = vzt_strv_split(actions);
  for (char **p = a; *p; p++)
    snprintf(r->actions[r->nactions++], sizeof(r->actions[0]), "%s", *p);
}

static char *srv_url(const char *path) { return vzt_strdupf("http://127.0.0.1:%d%s", srv.port, path); }

static int requests(const char *prefix)
{
  pthread_mutex_lock(&srv.lock);
  int n = 0;
  for (int i = 0; i < srv.nlog; i++)
    if (vzt_startswith(srv.log[i], prefix))
      n++;
  pthread_mutex_unlock(&srv.lock);
  return n;
}

static bool send_all(int fd, const void *data, size_t len)
{
  const char *p = data;
  while (len) {
    ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return false;
    p += w;
    len -= w;
  }
  return true;
}

static bool send_status(int fd, const char *status, const char *extra)
{
  char head[256];
  int n = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Length: %zu\r\n%s\r\n%s", status,
                   strlen(status), extra ? extra : "", status);
  return send_all(fd, head, n);
}

/* Answers one request; false when the connection is to close. */
static bool answer(int fd, const char *path, long range)
{
  char action[8] = "404";
  pthread_mutex_lock(&srv.lock);
  for (int i = 0; i < srv.nroutes; i++) {
    struct route *r = &srv.routes[i];
    if (strcmp(r->path, path) == 0) {
      int k = r->next < r->nactions ? r->next : r->nactions - 1;
      r->next++;
      memcpy(action, r->actions[k], sizeof(action));
    }
  }
  if (srv.nlog < MAX_LOG) {
    if (range >= 0)
      snprintf(srv.log[srv.nlog++], sizeof(srv.log[0]), "%s %ld", path, range);
    else
      snprintf(srv.log[srv.nlog++], sizeof(srv.log[0]), "%s -", path);
  }
  pthread_mutex_unlock(&srv.lock);

  if (strcmp(action, "404") == 0)
    return send_status(fd, "404 Not Found", NULL);
  if (strcmp(action, "503") == 0)
    return send_status(fd, "503 Service Unavailable", NULL);
  if (strcmp(action, "redir") == 0)
    return send_status(fd, "302 Found", "Location: /src\r\n");

  const char *data = body;
  _cleanup_free_ char *wrong = NULL;
  if (strcmp(action, "wrong") == 0) {
    wrong = malloc(BODY_LEN);
    memcpy(wrong, body, BODY_LEN);
    wrong[BODY_LEN / 2] ^= 1;
    data = wrong;
  }
  size_t start = 0;
  char head[256];
  int n;
  if (range >= 0 && strcmp(action, "full") != 0 && strcmp(action, "wrong") != 0) {
    if (range >= BODY_LEN) {
      char extra[64];
      snprintf(extra, sizeof(extra), "Content-Range: bytes */%d\r\n", BODY_LEN);
      return send_status(fd, "416 Range Not Satisfiable", extra);
    }
    start = range;
    n = snprintf(head, sizeof(head),
                 "HTTP/1.1 206 Partial Content\r\nContent-Length: %zu\r\n"
                 "Content-Range: bytes %zu-%d/%d\r\n\r\n",
                 BODY_LEN - start, start, BODY_LEN - 1, BODY_LEN);
  } else {
    n = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", BODY_LEN);
  }
  if (!send_all(fd, head, n))
    return false;
  size_t len = BODY_LEN - start;
  if (strcmp(action, "cut") == 0 || strcmp(action, "stall") == 0) {
    send_all(fd, data + start, len / 2);
    if (strcmp(action, "stall") == 0) {
      /* wait for the client to give up (or server_stop's shutdown) */
      struct pollfd p = {.fd = fd, .events = POLLIN};
      char c;
      while (poll(&p, 1, -1) > 0 && recv(fd, &c, 1, MSG_DONTWAIT) > 0)
        ;
    }
    return false;
  }
  return send_all(fd, data + start, len);
}

static void *conn_main(void *arg)
{
  int slot = (int) (intptr_t) arg;
  pthread_mutex_lock(&srv.lock);
  int fd = srv.conn_fds[slot];
  pthread_mutex_unlock(&srv.lock);
  char buf[8192];
  size_t have = 0;
  for (;;) {
    char *end = NULL;
    while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
      if (have == sizeof(buf) - 1)
        goto out;
      ssize_t r = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
      if (r <= 0)
        goto out;
      have += r;
    }
    *end = 0;
    char path[64] = "";
    sscanf(buf, "GET %63s", path);
    long range = -1;
    char *h = strcasestr(buf, "\r\nRange: bytes=");
    if (h)
      range = strtol(h + 15, NULL, 10);
    bool keep = answer(fd, path, range) && !strcasestr(buf, "\r\nConnection: close");
    size_t used = end + 4 - buf;
    memmove(buf, buf + used, have - used);
    have -= used;
    if (!keep)
      break;
  }
out:
  pthread_mutex_lock(&srv.lock);
  close(fd);
  srv.conn_fds[slot] = -1;
  pthread_mutex_unlock(&srv.lock);
  return NULL;
}

static void *accept_main(void *arg)
{
  (void) arg;
  for (;;) {
    int fd = accept4(srv.lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    pthread_mutex_lock(&srv.lock);
    if (srv.stopping || srv.nconns == MAX_CONNS) {
      pthread_mutex_unlock(&srv.lock);
      close(fd);
      continue;
    }
    int slot = srv.nconns++;
    srv.conn_fds[slot] = fd;
    pthread_create(&srv.conns[slot], NULL, conn_main, (void *) (intptr_t) slot);
    pthread_mutex_unlock(&srv.lock);
  }
  return NULL;
}

static void server_start(void)
{
  memset(&srv, 0, sizeof(srv));
  pthread_mutex_init(&srv.lock, NULL);
  srv.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ck_assert_int_ge(srv.lfd, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof(a);
  ck_assert_int_eq(bind(srv.lfd, (struct sockaddr *) &a, sizeof(a)), 0);
  ck_assert_int_eq(listen(srv.lfd, 64), 0);
  ck_assert_int_eq(getsockname(srv.lfd, (struct sockaddr *) &a, &alen), 0);
  srv.port = ntohs(a.sin_port);
  ck_assert_int_eq(pthread_create(&srv.thread, NULL, accept_main, NULL), 0);
}

static void server_stop(void)
{
  pthread_mutex_lock(&srv.lock);
  srv.stopping = true;
  shutdown(srv.lfd, SHUT_RDWR);
  for (int i = 0; i < srv.nconns; i++)
    if (srv.conn_fds[i] >= 0)
      shutdown(srv.conn_fds[i], SHUT_RDWR);
  pthread_mutex_unlock(&srv.lock);
  pthread_join(srv.thread, NULL);
  for (int i = 0; i < srv.nconns; i++)
    pthread_join(srv.conns[i], NULL);
  close(srv.lfd);
  pthread_mutex_destroy(&srv.lock);
}

static void http_setup(void)
{
  setup();
  server_start();
}

static void http_teardown(void)
{
  server_stop();
  teardown();
}

/* An item for dest "out" (or name) from the given URLs (taken). */
struct one {
  char **urls;
  char *dest;
  struct vzt_fetch_item item;
};

static void one_init(struct one *o, const char *name, const char *digest, char *url, ...)
{
  va_list ap;
  o->urls = calloc(1, sizeof(char *));
  va_start(ap, url);
  for (char *u = url; u; u = va_arg(ap, char *))
    vzt_strv_push_take(&o->urls, u);
  va_end(ap);
  o->dest = tpath(name);
  o->item = (struct vzt_fetch_item){.urls = o->urls, .dest = o->dest,
                                    .digest_type = VZT_DIGEST_SHA256, .digest = digest};
}

static void one_free(struct one *o)
{
  vzt_strv_free(o->urls);
  free(o->dest);
}

static int fetch_one(struct one *o, int retries, long timeout, struct vzt_error **err)
{
  struct vzt_fetch_opts opts = {.parallel = 2, .retries = retries, .timeout = timeout,
                                .label = "Testing"};
  return vzt_fetch_all(&o->item, 1, &opts, err);
}

static char *part_of(const char *dest) { return vzt_strdupf("%s.part", dest); }

/* ---- file:// ------------------------------------------------------------ */

START_TEST(file_digest_match)
{
  struct one o;
  one_init(&o, "out", body_sha, file_url("src"), NULL);
  o.item.size = BODY_LEN;
  struct vzt_error *err = NULL;
  ck_assert_int_eq(fetch_one(&o, 0, 5, &err), 0);
  ck_assert_ptr_null(err);
  assert_body(o.dest);
  ck_assert_str_eq(o.item.computed, body_sha);
  ck_assert_uint_eq(o.item.bytes, BODY_LEN);
  ck_assert_ptr_eq(o.item.url_used, o.urls[0]);
  _cleanup_free_ char *part = part_of(o.dest);
  ck_assert(!exists(part));
  one_free(&o);
}
END_TEST

START_TEST(file_digest_only_computed)
{
  struct one o;
  one_init(&o, "out", NULL, file_url("src"), NULL);
  o.item.digest_type = VZT_DIGEST_SHA512;
  struct vzt_error *err = NULL;
  ck_assert_int_eq(fetch_one(&o, 0, 5, &err), 0);
  ck_assert_uint_eq(strlen(o.item.computed), 128);
  one_free(&o);
}
END_TEST

START_TEST(file_digest_mismatch)
{
  char wrong[VZT_DIGEST_HEX_MAX];
  snprintf(wrong, sizeof(wrong), "%s", body_sha);
  wrong[0] = wrong[0] == '0' ? '1' : '0';
  struct one o;
  one_init(&o, "out", wrong, file_url("src"), NULL);
  struct vzt_error *err = NULL;
  ck_assert_int_eq(fetch_one(&o, 2, 5, &err), -1);
  ck_assert_ptr_nonnull(err);
  ck_assert_int_eq(err->status, VZT_EXIT_REFUSED);
  ck_assert_ptr_nonnull(strstr(err->msg, o.urls[0]));
  ck_assert_ptr_nonnull(strstr(err->msg, wrong));
  ck_assert_ptr_nonnull(strstr(err->msg, body_sha));
  ck_assert(!exists(o.dest));
  _cleanup_free_ char *part = part_of(o.dest);
  ck_assert(!exists(part));
  vzt_error_free(&err);
  one_free(&o);
}
END_TEST

START_TEST(file_size_mismatch)
{
  struct one o;
  one_init(&o, "out", NULL, file_url("src"), NULL);
  o.item.size = BODY_LEN - 1;
  struct vzt_error *err = NULL;
  ck_assert_int_eq(fetch_one(&o, 0, 5, &err), -1);
  ck_assert_int_eq(err->status, VZT_EXIT_REFUSED);
  ck_assert_ptr_nonnull(strstr(err->msg, "size"));
  ck_assert(!exists(o.dest));
  vzt_error_free(&err);
  one_free(&o);
}
END_TEST

START_TEST(file_failover)
{
  struct one o;
  one_init(&o, "out", body_sha, file_url("missing"), file_url("src"), NULL);
  struct vzt_error *err = NULL;
  ck_assert_int_eq(fetch_one(&o, 3, 5, &err), 0);
  ck_assert_ptr_eq(o.item.url_used, o.urls[1]);
  assert_body(o.dest);
  one_free(&o);
}
END_TEST

START_TEST(file_all_missing)
{
  struct one o;
  one_init(&o, "out", body_sha, file_url("missing1"), file_url("missing2"), NULL);
  struct vzt_error *err = NULL;
  ck_assert_int_eq(fetch_one(&o, 3, 5, &err), -1);
  ck_assert_int_eq(err->status, VZT_EXIT_FAILED);
  ck_assert_int_eq(err->errnum, ENOENT);
  ck_assert_ptr_nonnull(strstr(err->msg, "missing1"));
  ck_assert_ptr_nonnull(strstr(err->msg, "missing2"));
  vzt_error_free(&err);
  one_free(&o);
}
END_TEST

START_TEST(file_resume)
{
  struct vzt_error *err = NULL;
  /* A good first half: only the rest is read, and the result verifies. */
  struct one o;
  one_init(&o, "out", body_sha, file_url("src"), NULL);
  _cleanup_free_ char *part = part_of(o.dest);
  write_file(part, body, BODY_LEN / 3);
  ck_assert_int_eq(fetch_one(&o, 0, 5, &err), 0);
  assert_body(o.dest);
  ck_assert(!exists(part));
  one_free(&o);

  /* Without a digest a stale first part survives: proof the start was not
   * read again (the data after it comes from the source). */
  one_init(&o, "out2", NULL, file_url("src"), NULL);
  _cleanup_free_ char *part2 = part_of(o.dest);
  char stale[1000];
  memset(stale, 'x', sizeof(stale));
  write_file(part2, stale, sizeof(stale));
  ck_assert_int_eq(fetch_one(&o, 0, 5, &err), 0);
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  ck_assert_int_eq(vzt_read_file(o.dest, &data, &len, &err), 0);
  ck_assert_uint_eq(len, BODY_LEN);
  ck_assert(memcmp(data, stale, sizeof(stale)) == 0);
  ck_assert(memcmp(data + sizeof(stale), body + sizeof(stale), BODY_LEN - sizeof(stale)) == 0);
  char want[VZT_DIGEST_HEX_MAX];
  sha256_of(data, len, want);
  ck_assert_str_eq(o.item.computed, want);
  one_free(&o);

  /* With a digest the stale part is caught and the file fetched afresh from
   * the same mirror. */
  one_init(&o, "out3", body_sha, file_url("src"), NULL);
  _cleanup_free_ char *part3 = part_of(o.dest);
  write_file(part3, stale, sizeof(stale));
  ck_assert_int_eq(fetch_one(&o, 0, 5, &err), 0);
  assert_body(o.dest);
  one_free(&o);

  /* A .part longer than the file: started over. */
  one_init(&o, "out4", body_sha, file_url("src"), NULL);
  _cleanup_free_ char *part4 = part_of(o.dest);
  _cleanup_free_ char *big = calloc(1, BODY_LEN + 10);
  write_file(part4, big, BODY_LEN + 10);
  ck_assert_int_eq(fetch_one(&o, 0, 5, &err), 0);
  assert_body(o.dest);
  one_free(&o);
}
END_TEST

START_TEST(file_complete_part_needs_no_network)
{
  /* The URL does not exist: success can only come from the verified .part. */
  struct one o;
  one_init(&o, "out", body_sha, file_url("missing"), NULL);
  o.item.size = BODY_LEN;
  _cleanup_free_ char *part = part_of(o.dest);
  write_file(part, body, BODY_LEN);
  struct vzt_error *err = NULL;
  ck_assert_int_eq(fetch_one(&o, 0, 5, &err), 0);
  assert_body(o.dest);
  ck_assert_str_eq(o.item.computed, body_sha);
  one_free(&o);
}
END_TEST

START_TEST(file_to_memory)
{
  _cleanup_strv_ char **urls = calloc(1, sizeof(char *));
  vzt_strv_push_take(&urls, file_url("missing"));
  vzt_strv_push_take(&urls, file_url("src"));
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_fetch_to_memory(urls, &data, &len, &err), 0);
  ck_assert_uint_eq(len, BODY_LEN);
  ck_assert(memcmp(data, body, BODY_LEN) == 0);
  ck_assert_int_eq(data[len], 0);

  _cleanup_strv_ char **none = calloc(1, sizeof(char *));
  vzt_strv_push_take(&none, file_url("missing"));
  vzt_strv_push_take(&none, file_url("missing2"));
  _cleanup_free_ char *d2 = NULL;
  ck_assert_int_eq(vzt_fetch_to_memory(none, &d2, &len, &err), -1);
  ck_assert_int_eq(err->errnum, ENOENT);
  ck_assert_ptr_null(d2);
  vzt_error_free(&err);
}
END_TEST

START_TEST(file_many_and_duplicates)
{
  enum { N = 12 };
  struct one o[N];
  struct vzt_fetch_item items[N];
  for (int i = 0; i < N; i++) {
    _cleanup_free_ char *name = vzt_strdupf("out%d", i % 10); /* 10 and 11 repeat 0 and 1 */
    one_init(&o[i], name, body_sha, file_url("src"), NULL);
    items[i] = o[i].item;
  }
  struct vzt_fetch_opts opts = {.parallel = 3, .retries = 0, .timeout = 5};
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_fetch_all(items, N, &opts, &err), 0);
  for (int i = 0; i < N; i++) {
    assert_body(o[i].dest);
    ck_assert_str_eq(items[i].computed, body_sha);
    ck_assert_uint_eq(items[i].bytes, BODY_LEN);
    ck_assert_ptr_eq(items[i].url_used, o[i].urls[0]);
    one_free(&o[i]);
  }
}
END_TEST

START_TEST(file_failure_leaves_no_dest)
{
  enum { N = 6 };
  struct one o[N];
  struct vzt_fetch_item items[N];
  for (int i = 0; i < N; i++) {
    _cleanup_free_ char *name = vzt_strdupf("out%d", i);
    one_init(&o[i], name, body_sha, file_url(i == 3 ? "missing" : "src"), NULL);
    items[i] = o[i].item;
  }
  struct vzt_fetch_opts opts = {.parallel = 2, .retries = 0, .timeout = 5};
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_fetch_all(items, N, &opts, &err), -1);
  ck_assert_ptr_nonnull(strstr(err->msg, "missing"));
  vzt_error_free(&err);
  for (int i = 0; i < N; i++)
    ck_assert_msg(!exists(o[i].dest), "%s exists after a failed call", o[i].dest);
  /* the ones that completed wait as .part, whole and verifiable */
  _cleanup_free_ char *part0 = part_of(o[0].dest);
  ck_assert(exists(part0));

  /* again without the bad one */
  items[3] = items[5];
  ck_assert_int_eq(vzt_fetch_all(items, N - 1, &opts, &err), 0);
  for (int i = 0; i < N; i++) {
    if (i != 3)
      assert_body(o[i].dest);
    one_free(&o[i]);
  }
}
END_TEST

/* ---- HTTP ----------------------------------------------------------------- */

START_TEST(http_ok_parallel_keepalive)
{
  route("/src", "ok");
  enum { N = 4 };
  struct one o[N];
  struct vzt_fetch_item items[N];
  for (int i = 0; i < N; i++) {
    _cleanup_free_ char *name = vzt_strdupf("out%d", i);
    one_init(&o[i], name, body_sha, srv_url("/src"), NULL);
    o[i].item.size = BODY_LEN;
    items[i] = o[i].item;
  }
  struct vzt_fetch_opts opts = {.parallel = 2, .retries = 0, .timeout = 5, .label = "Test"};
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_fetch_all(items, N, &opts, &err), 0);
  for (int i = 0; i < N; i++) {
    assert_body(o[i].dest);
    ck_assert_str_eq(items[i].computed, body_sha);
    one_free(&o[i]);
  }
  ck_assert_int_eq(requests("/src -"), N);
  /* kept alive: fewer connections than requests */
  ck_assert_int_le(srv.nconns, 2);
}
END_TEST

START_TEST(http_retry_then_success)
{
  route("/src", "503 503 ok");
  struct one o;
  one_init(&o, "out", body_sha, srv_url("/src"), NULL);
  struct vzt_error *err = NULL;
  ck_assert_int_eq(fetch_one(&o, 3, 5, &err), 0);
  assert_body(o.dest);
  ck_assert_int_eq(requests("/src"), 3);
  /* backoff of 0.5 s then 1 s */
  ck_assert_int_eq(nbackoffs, 2);
  ck_assert_double_eq(backoffs[0], 0.5);
  ck_assert_double_eq(backoffs[1], 1.0);
  one_free(&o);
}
END_TEST

START_TEST(http_backoff_doubles_up_to_a_cap)
{
  route("/src", "503");
  struct one o;
  one_init(&o, "out", body_sha, srv_url("/src"), NULL);
  struct vzt_error *err = NULL;
  ck_assert_int_eq(fetch_one(&o, 8, 5, &err), -1);
  ck_assert_ptr_nonnull(strstr(err->msg, "HTTP 503"));
  ck_assert_ptr_nonnull(strstr(err->msg, "9 attempts"));
  vzt_error_free(&err);
  ck_assert_int_eq(requests("/src"), 9);
  static const double want[] = {0.5, 1, 2, 4, 8, 16, 30, 30};
  ck_assert_int_eq(nbackoffs, 8);
  for (int i = 0; i < 8; i++)
    ck_assert_double_eq(backoffs[i], want[i]);
  one_free(&o);
}
END_TEST

START_TEST(http_retries_exhausted_then_failover)
{
  route("/a", "503");
  route("/src", "ok");
  struct one o;
  one_init(&o, "out", body_sha, srv_url("/a"), srv_url("/src"), NULL);
  struct vzt_error *err = NULL;
  ck_assert_int_eq(fetch_one(&o, 1, 5, &err), 0);
  ck_assert_int_eq(requests("/a"), 2);
  ck_assert_int_eq(requests("/src"), 1);
  ck_assert_ptr_eq(o.item.url_used, o.urls[1]);
  one_free(&o);
}
END_TEST

START_TEST(http_404_fails_over_at_once)
{
  route("/a", "404");
  route("/src", "ok");
  struct one o;
  one_init(&o, "out", body_sha, srv_url("/a"), srv_url("/src"), NULL);
  struct vzt_error *err = NULL;
  ck_assert_int_eq(fetch_one(&o, 3, 5, &err), 0);
  ck_assert_int_eq(nbackoffs, 0); /* missing is not worth a pause */
  ck_assert_int_eq(requests("/a"), 1);
  ck_assert_ptr_eq(o.item.url_used, o.urls[1]);
  assert_body(o.dest);
  one_free(&o);
}
END_TEST

START_TEST(http_all_fail)
{
  route("/a", "404");
  route("/b", "503");
  struct one o;
  one_init(&o, "out", body_sha, srv_url("/a"), srv_url("/b"), NULL);
  struct vzt_error *err = NULL;
  ck_assert_int_eq(fetch_one(&o, 1, 5, &err), -1);
  ck_assert_int_eq(err->status, VZT_EXIT_FAILED);
  ck_assert_int_ne(err->errnum, ENOENT);
  ck_assert_ptr_nonnull(strstr(err->msg, "HTTP 404"));
  ck_assert_ptr_nonnull(strstr(err->msg, "HTTP 503"));
  ck_assert_ptr_nonnull(strstr(err->msg, o.urls[1]));
  ck_assert_int_eq(requests("/b"), 2);
  vzt_error_free(&err);
  one_free(&o);
}
END_TEST

START_TEST(http_cut_then_resume)
{
  route("/src", "cut ok");
  struct one o;
  one_init(&o, "out", body_sha, srv_url("/src"), NULL);
  struct vzt_error *err = NULL;
  ck_assert_int_eq(fetch_one(&o, 2, 5, &err), 0);
  assert_body(o.dest);
  ck_assert_int_eq(requests("/src -"), 1);
  /* the second request continues where the cut left off */
  _cleanup_free_ char *resumed = vzt_strdupf("/src %d", BODY_LEN / 2);
  ck_assert_int_eq(requests(resumed), 1);
  one_free(&o);
}
END_TEST

START_TEST(http_resume_existing_part)
{
  route("/src", "ok");
  struct one o;
  one_init(&o, "out", body_sha, srv_url("/src"), NULL);
  _cleanup_free_ char *part = part_of(o.dest);
  write_file(part, body, 1234);
  struct vzt_error *err = NULL;
  ck_assert_int_eq(fetch_one(&o, 0, 5, &err), 0);
  assert_body(o.dest);
  ck_assert_int_eq(requests("/src 1234"), 1);
  ck_assert_int_eq(requests("/src"), 1);
  one_free(&o);
}
END_TEST

START_TEST(http_range_ignored)
{
  route("/src", "full");
  struct one o;
  one_init(&o, "out", body_sha, srv_url("/src"), NULL);
  _cleanup_free_ char *part = part_of(o.dest);
  char stale[777];
  memset(stale, 'y', sizeof(stale));
  write_file(part, stale, sizeof(stale));
  struct vzt_error *err = NULL;
  ck_assert_int_eq(fetch_one(&o, 0, 5, &err), 0);
  assert_body(o.dest);
  ck_assert_int_eq(requests("/src 777"), 1);
  ck_assert_int_eq(requests("/src"), 1);
  one_free(&o);
}
END_TEST

START_TEST(http_part_already_whole)
{
  /* No size or digest known: the server's 416 with the full length says the
   * .part is complete. */
  route("/src", "ok");
  struct one o;
  one_init(&o, "out", NULL, srv_url("/src"), NULL);
  _cleanup_free_ char *part = part_of(o.dest);
  write_file(part, body, BODY_LEN);
  struct vzt_error *err = NULL;
  ck_assert_int_eq(fetch_one(&o, 0, 5, &err), 0);
  assert_body(o.dest);
  ck_assert_str_eq(o.item.computed, body_sha);
  _cleanup_free_ char *r = vzt_strdupf("/src %d", BODY_LEN);
  ck_assert_int_eq(requests(r), 1);
  ck_assert_int_eq(requests("/src"), 1);
  one_free(&o);
}
END_TEST

START_TEST(http_stall_times_out)
{
  route("/src", "stall ok");
  struct one o;
  one_init(&o, "out", body_sha, srv_url("/src"), NULL);
  struct vzt_error *err = NULL;
  /* the server would wait for ever: only abandoning the stall ends this */
  ck_assert_int_eq(fetch_one(&o, 1, 1, &err), 0);
  assert_body(o.dest);
  ck_assert_int_eq(nbackoffs, 1);
  _cleanup_free_ char *resumed = vzt_strdupf("/src %d", BODY_LEN / 2);
  ck_assert_int_eq(requests(resumed), 1);
  one_free(&o);
}
END_TEST

START_TEST(http_digest_mismatch)
{
  /* bad on both mirrors: a refusal */
  route("/a", "wrong");
  route("/b", "wrong");
  struct one o;
  one_init(&o, "out", body_sha, srv_url("/a"), srv_url("/b"), NULL);
  struct vzt_error *err = NULL;
  ck_assert_int_eq(fetch_one(&o, 2, 5, &err), -1);
  ck_assert_int_eq(err->status, VZT_EXIT_REFUSED);
  ck_assert_ptr_nonnull(strstr(err->msg, body_sha));
  ck_assert_ptr_nonnull(strstr(err->msg, o.urls[0]));
  ck_assert_int_eq(requests("/a"), 2); /* once more from byte 0, then the next mirror */
  ck_assert_int_eq(requests("/b"), 2);
  ck_assert(!exists(o.dest));
  _cleanup_free_ char *part = part_of(o.dest);
  ck_assert(!exists(part));
  vzt_error_free(&err);
  one_free(&o);

  /* bad on one, good on the next: fine */
  route("/c", "wrong");
  route("/src", "ok");
  one_init(&o, "out", body_sha, srv_url("/c"), srv_url("/src"), NULL);
  ck_assert_int_eq(fetch_one(&o, 2, 5, &err), 0);
  ck_assert_ptr_eq(o.item.url_used, o.urls[1]);
  assert_body(o.dest);
  one_free(&o);

  /* bad once on the only mirror (a flaky proxy): the second answer counts */
  route("/e", "wrong ok");
  one_init(&o, "out3", body_sha, srv_url("/e"), NULL);
  ck_assert_int_eq(fetch_one(&o, 2, 5, &err), 0);
  ck_assert_int_eq(requests("/e"), 2);
  assert_body(o.dest);
  one_free(&o);

  /* bad on one, missing on the other: a failure, not a refusal */
  route("/d", "wrong");
  one_init(&o, "out2", body_sha, srv_url("/d"), srv_url("/nowhere"), NULL);
  ck_assert_int_eq(fetch_one(&o, 2, 5, &err), -1);
  ck_assert_int_eq(err->status, VZT_EXIT_FAILED);
  vzt_error_free(&err);
  one_free(&o);
}
END_TEST

START_TEST(http_redirect)
{
  route("/old", "redir");
  route("/src", "ok");
  struct one o;
  one_init(&o, "out", body_sha, srv_url("/old"), NULL);
  struct vzt_error *err = NULL;
  ck_assert_int_eq(fetch_one(&o, 0, 5, &err), 0);
  assert_body(o.dest);
  ck_assert_int_eq(requests("/src"), 1);
  one_free(&o);
}
END_TEST

START_TEST(http_to_memory)
{
  route("/InRelease", "503 ok");
  route("/a", "404");
  struct vzt_error *err = NULL;
  _cleanup_strv_ char **urls = calloc(1, sizeof(char *));
  vzt_strv_push_take(&urls, srv_url("/a"));
  vzt_strv_push_take(&urls, srv_url("/InRelease"));
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  ck_assert_int_eq(vzt_fetch_to_memory(urls, &data, &len, &err), 0);
  ck_assert_uint_eq(len, BODY_LEN);
  ck_assert(memcmp(data, body, BODY_LEN) == 0);
  ck_assert_int_eq(requests("/InRelease"), 2);

  /* missing everywhere: ENOENT, so callers can fall back to Release */
  _cleanup_strv_ char **gone = calloc(1, sizeof(char *));
  vzt_strv_push_take(&gone, srv_url("/x"));
  vzt_strv_push_take(&gone, srv_url("/y"));
  _cleanup_free_ char *d2 = NULL;
  ck_assert_int_eq(vzt_fetch_to_memory(gone, &d2, &len, &err), -1);
  ck_assert_int_eq(err->errnum, ENOENT);
  ck_assert_ptr_nonnull(strstr(err->msg, "/x"));
  vzt_error_free(&err);

  /* a server error is not "missing" */
  route("/busy", "503 503 503 503 503 ok");
  _cleanup_strv_ char **busy = calloc(1, sizeof(char *));
  vzt_strv_push_take(&busy, srv_url("/busy"));
  ck_assert_int_eq(vzt_fetch_to_memory(busy, &d2, &len, &err), -1);
  ck_assert_int_ne(err->errnum, ENOENT);
  ck_assert_ptr_nonnull(strstr(err->msg, "HTTP 503"));
  ck_assert_int_eq(requests("/busy"), 4); /* the default: 3 retries */
  ck_assert_int_eq(nbackoffs, 4);          /* one for /InRelease, three here */
  ck_assert_double_eq(backoffs[3], 2.0);
  vzt_error_free(&err);
}
END_TEST

START_TEST(http_connection_refused)
{
  /* a port nobody listens on: retried, then the next mirror */
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof(a);
  ck_assert_int_eq(bind(s, (struct sockaddr *) &a, sizeof(a)), 0);
  ck_assert_int_eq(getsockname(s, (struct sockaddr *) &a, &alen), 0);
  close(s);
  route("/src", "ok");
  struct one o;
  one_init(&o, "out", body_sha, vzt_strdupf("http://127.0.0.1:%d/src", ntohs(a.sin_port)),
           srv_url("/src"), NULL);
  struct vzt_error *err = NULL;
  ck_assert_int_eq(fetch_one(&o, 1, 5, &err), 0);
  ck_assert_ptr_eq(o.item.url_used, o.urls[1]);
  one_free(&o);
}
END_TEST

START_TEST(http_failure_stops_the_rest)
{
  /* one item is missing everywhere while another is still streaming: the
   * call ends at once, the other keeps its .part and gets no dest */
  route("/slow", "stall");
  route("/gone", "404");
  struct one a, b;
  one_init(&a, "slow", body_sha, srv_url("/slow"), NULL);
  one_init(&b, "gone", body_sha, srv_url("/gone"), NULL);
  struct vzt_fetch_item items[2] = {a.item, b.item};
  /* Neither the stall nor the stall check would ever end the call before
   * check's timeout fails the test: only stopping the rest does. */
  struct vzt_fetch_opts opts = {.parallel = 2, .retries = 2, .timeout = 3600};
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_fetch_all(items, 2, &opts, &err), -1);
  ck_assert_int_eq(requests("/slow"), 1);
  ck_assert_ptr_nonnull(strstr(err->msg, "/gone"));
  ck_assert_int_eq(err->errnum, ENOENT);
  vzt_error_free(&err);
  ck_assert(!exists(a.dest));
  ck_assert(!exists(b.dest));
  _cleanup_free_ char *part = part_of(a.dest);
  ck_assert(exists(part));
  one_free(&a);
  one_free(&b);
}
END_TEST

static Suite *fetch_suite(void)
{
  Suite *s = suite_create("fetch");
  TCase *tf = tcase_create("file");
  tcase_add_checked_fixture(tf, setup, teardown);
  tcase_set_timeout(tf, 60);
  tcase_add_test(tf, file_digest_match);
  tcase_add_test(tf, file_digest_only_computed);
  tcase_add_test(tf, file_digest_mismatch);
  tcase_add_test(tf, file_size_mismatch);
  tcase_add_test(tf, file_failover);
  tcase_add_test(tf, file_all_missing);
  tcase_add_test(tf, file_resume);
  tcase_add_test(tf, file_complete_part_needs_no_network);
  tcase_add_test(tf, file_to_memory);
  tcase_add_test(tf, file_many_and_duplicates);
  tcase_add_test(tf, file_failure_leaves_no_dest);
  suite_add_tcase(s, tf);

  TCase *th = tcase_create("http");
  tcase_add_checked_fixture(th, http_setup, http_teardown);
  tcase_set_timeout(th, 60);
  tcase_add_test(th, http_ok_parallel_keepalive);
  tcase_add_test(th, http_retry_then_success);
  tcase_add_test(th, http_backoff_doubles_up_to_a_cap);
  tcase_add_test(th, http_retries_exhausted_then_failover);
  tcase_add_test(th, http_404_fails_over_at_once);
  tcase_add_test(th, http_all_fail);
  tcase_add_test(th, http_cut_then_resume);
  tcase_add_test(th, http_resume_existing_part);
  tcase_add_test(th, http_range_ignored);
  tcase_add_test(th, http_part_already_whole);
  tcase_add_test(th, http_stall_times_out);
  tcase_add_test(th, http_digest_mismatch);
  tcase_add_test(th, http_redirect);
  tcase_add_test(th, http_to_memory);
  tcase_add_test(th, http_connection_refused);
  tcase_add_test(th, http_failure_stops_the_rest);
  suite_add_tcase(s, th);
  return s;
}

int main(void)
{
  vzt_fetch_global_init();
  SRunner *sr = srunner_create(fetch_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
