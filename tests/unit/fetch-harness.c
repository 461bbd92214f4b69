/* The fixture shared by the fetch test suites (see fetch-harness.h). */
#include "config.h"
#include "tests/unit/fetch-harness.h"

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

char body[BODY_LEN];
char body_sha[VZT_DIGEST_HEX_MAX];
char *tmpdir;
struct server srv;

void sha256_of(const void *data, size_t len, char *out)
{
  struct vzt_digest *d = vzt_digest_new(VZT_DIGEST_SHA256);
  vzt_digest_update(d, data, len);
  vzt_digest_finish(d, out);
}

void write_file(const char *path, const void *data, size_t len)
{
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(vzt_write_all(fd, data, len), 0);
}

bool exists(const char *path) { return access(path, F_OK) == 0; }

/* dest holds exactly the test body */
void assert_body(const char *path)
{
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_read_file(path, &data, &len, &err), 0);
  ck_assert_uint_eq(len, BODY_LEN);
  ck_assert(memcmp(data, body, BODY_LEN) == 0);
}

char *tpath(const char *name) { return vzt_path_join(tmpdir, name); }

char *file_url(const char *name) { return vzt_strdupf("file://%s/%s", tmpdir, name); }

double backoffs[MAX_BACKOFFS]; /* and nbackoffs: see fetch-harness.h */
int nbackoffs;

static double record_backoff(double delay)
{
  if (nbackoffs < MAX_BACKOFFS)
    backoffs[nbackoffs] = delay;
  nbackoffs++;
  return 0;
}

void setup(void)
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

void teardown(void)
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
 *   404late 404, once another request is stalling (so that the stall is
 *           under way when this one fails: the order is the test's, not
 *           the scheduler's)
 *   cut     like ok, but the connection closes halfway through the body
 *   stall   like ok, but stops halfway and waits, however long it takes, for
 *           the client to give up: a client that never does hangs the test
 *           until check's timeout fails it
 *   wrong   200 with a body of the right length but other bytes
 *   redir   302 to /src
 * Every request is logged as "<path> <range start or ->". */



void route(const char *path, const char *actions)
{
  struct route *r = &srv.routes[srv.nroutes++];
  snprintf(r->path, sizeof(r->path), "%s", path);
  _cleanup_strv_ char **a = vzt_strv_split(actions);
  for (char **p = a; *p; p++)
    snprintf(r->actions[r->nactions++], sizeof(r->actions[0]), "%s", *p);
}

char *srv_url(const char *path) { return vzt_strdupf("http://127.0.0.1:%d%s", srv.port, path); }

int requests(const char *prefix)
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

  if (strcmp(action, "404late") == 0) {
    /* wait for the stall itself, bounded: a minute means something broke */
    for (int i = 0; i < 6000; i++) {
      pthread_mutex_lock(&srv.lock);
      bool stalling = srv.stalling > 0 || srv.stopping;
      pthread_mutex_unlock(&srv.lock);
      if (stalling)
        break;
      usleep(10000);
    }
    return send_status(fd, "404 Not Found", NULL);
  }
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
      pthread_mutex_lock(&srv.lock);
      srv.stalling++;
      pthread_mutex_unlock(&srv.lock);
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

void http_setup(void)
{
  setup();
  server_start();
}

void http_teardown(void)
{
  server_stop();
  teardown();
}


void one_init(struct one *o, const char *name, const char *digest, char *url, ...)
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

void one_free(struct one *o)
{
  vzt_strv_free(o->urls);
  free(o->dest);
}

int fetch_one(struct one *o, int retries, long timeout, struct vzt_error **err)
{
  struct vzt_fetch_opts opts = {.parallel = 2, .retries = retries, .timeout = timeout,
                                .label = "Testing"};
  return vzt_fetch_all(&o->item, 1, &opts, err);
}

char *part_of(const char *dest) { return vzt_strdupf("%s.part", dest); }

