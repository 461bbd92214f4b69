/* Unit tests for fetch/: downloads over file:// and loopback HTTP, resumption, digests. */
#include "config.h"
#include "tests/unit/fetch-harness.h"

#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* /src, answered as how says, downloaded over a .part that holds the n
 * bytes at data: the body ends in o->dest after one request, from byte n. */
static void fetch_over_part(struct one *o, const char *how, const char *digest, const void *data, size_t n)
{
  route("/src", how);
  one_init(o, "out", digest, srv_url("/src"), NULL);
  _cleanup_free_ char *part = part_of(o->dest);
  write_file(part, data, n);
  struct vzt_error *err = NULL;
  ck_assert_int_eq(fetch_one(o, 0, 5, &err), 0);
  assert_body(o->dest);
  _cleanup_free_ char *from = vzt_strdupf("/src %zu", n);
  ck_assert_int_eq(requests(from), 1);
  ck_assert_int_eq(requests("/src"), 1);
}

START_TEST(http_resume_existing_part)
{
  struct one o;
  fetch_over_part(&o, "ok", body_sha, body, 1234);
  one_free(&o);
}
END_TEST

START_TEST(http_range_ignored)
{
  char stale[777];
  memset(stale, 'y', sizeof(stale));
  struct one o;
  fetch_over_part(&o, "full", body_sha, stale, sizeof(stale));
  one_free(&o);
}
END_TEST

START_TEST(http_part_already_whole)
{
  /* No size or digest known: the server's 416 with the full length says the
   * .part is complete. */
  struct one o;
  fetch_over_part(&o, "ok", NULL, body, BODY_LEN);
  ck_assert_str_eq(o.item.computed, body_sha);
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
  /* ... which the caller can still tell from a plain absence */
  ck_assert_int_eq(o.item.mismatches, 1);
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

START_TEST(http_to_memory_after_cut)
{
  /* Cut halfway, then whole: the buffer holds the body once, not the piece
   * of the first try before it. */
  route("/cut", "cut ok");
  struct vzt_error *err = NULL;
  _cleanup_strv_ char **urls = calloc(1, sizeof(char *));
  vzt_strv_push_take(&urls, srv_url("/cut"));
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  ck_assert_int_eq(vzt_fetch_to_memory(urls, &data, &len, &err), 0);
  ck_assert_uint_eq(len, BODY_LEN);
  ck_assert(memcmp(data, body, BODY_LEN) == 0);
  ck_assert_int_eq(data[len], 0);
  ck_assert_int_eq(requests("/cut"), 2);
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
  tcase_add_test(tf, file_resume);
  tcase_add_test(tf, file_complete_part_needs_no_network);
  tcase_add_test(tf, file_to_memory);
  tcase_add_test(tf, file_many_and_duplicates);
  suite_add_tcase(s, tf);

  TCase *th = tcase_create("http");
  tcase_add_checked_fixture(th, http_setup, http_teardown);
  tcase_set_timeout(th, 60);
  tcase_add_test(th, http_ok_parallel_keepalive);
  tcase_add_test(th, http_cut_then_resume);
  tcase_add_test(th, http_resume_existing_part);
  tcase_add_test(th, http_range_ignored);
  tcase_add_test(th, http_part_already_whole);
  tcase_add_test(th, http_digest_mismatch);
  tcase_add_test(th, http_redirect);
  tcase_add_test(th, http_to_memory);
  tcase_add_test(th, http_to_memory_after_cut);
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
