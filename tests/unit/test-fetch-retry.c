/* Unit tests for fetch/: retries, back-off, failover across mirrors, stalls and failures. */
#include "config.h"
#include "tests/unit/fetch-harness.h"

#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- file:// ------------------------------------------------------------ */

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
  route("/gone", "404late");
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

static Suite *fetch_retry_suite(void)
{
  Suite *s = suite_create("fetch-retry");
  TCase *tf = tcase_create("file");
  tcase_add_checked_fixture(tf, setup, teardown);
  tcase_set_timeout(tf, 60);
  tcase_add_test(tf, file_failover);
  tcase_add_test(tf, file_all_missing);
  tcase_add_test(tf, file_failure_leaves_no_dest);
  suite_add_tcase(s, tf);

  TCase *th = tcase_create("http");
  tcase_add_checked_fixture(th, http_setup, http_teardown);
  tcase_set_timeout(th, 60);
  tcase_add_test(th, http_retry_then_success);
  tcase_add_test(th, http_backoff_doubles_up_to_a_cap);
  tcase_add_test(th, http_retries_exhausted_then_failover);
  tcase_add_test(th, http_404_fails_over_at_once);
  tcase_add_test(th, http_all_fail);
  tcase_add_test(th, http_stall_times_out);
  tcase_add_test(th, http_connection_refused);
  tcase_add_test(th, http_failure_stops_the_rest);
  suite_add_tcase(s, th);
  return s;
}

int main(void)
{
  vzt_fetch_global_init();
  SRunner *sr = srunner_create(fetch_retry_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
