/* Unit tests for fetch/registry/ref.c: registry references, digests and which hosts count as loopback. */
#include "config.h"

#include "fetch/registry/registry.h"
#include "lib/cleanup.h"
#include "lib/error.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void parses(const char *s, const char *host, const char *repo, const char *tag, const char *digest)
{
  struct vzt_error *err = NULL;
  struct vzt_reg_ref r;
  ck_assert_msg(vzt_reg_ref_parse(s, &r, &err) == 0, "%s: %s", s, err ? err->msg : "");
  ck_assert_str_eq(r.host, host);
  ck_assert_str_eq(r.repo, repo);
  if (tag)
    ck_assert_str_eq(r.tag, tag);
  else
    ck_assert_ptr_null(r.tag);
  if (digest)
    ck_assert_str_eq(r.digest, digest);
  else
    ck_assert_ptr_null(r.digest);
  vzt_reg_ref_clear(&r);
}

static void refused(const char *s, const char *what)
{
  struct vzt_error *err = NULL;
  struct vzt_reg_ref r;
  ck_assert_msg(vzt_reg_ref_parse(s, &r, &err) < 0, "%s was accepted", s);
  ck_assert_int_eq(err->status, VZT_EXIT_USAGE);
  ck_assert_msg(strstr(err->msg, what), "%s: \"%s\" lacks \"%s\"", s, err->msg, what);
  vzt_error_free(&err);
}

START_TEST(good_refs)
{
  parses("127.0.0.1:5000/tmpl/debian:12", "127.0.0.1:5000", "tmpl/debian", "12", NULL);
  parses("reg.example/debian", "reg.example", "debian", "latest", NULL);
  parses("localhost/a.b_c__d--e/f:v1.0-rc_1", "localhost", "a.b_c__d--e/f", "v1.0-rc_1", NULL);
  parses("[::1]:5000/x@sha256:" HEX64, "[::1]:5000", "x", NULL, "sha256:" HEX64);
  parses("h:1/x:t@sha256:" HEX64, "h:1", "x", "t", "sha256:" HEX64);
}
END_TEST

START_TEST(bad_refs)
{
  refused("debian:12", "host[:port]/repository:tag");
  refused("h/Upper:1", "repository");
  refused("h/a//b:1", "repository");
  refused("h/a-:1", "repository");
  refused("h/_a:1", "repository");
  refused("h/a:-tag", "tag");
  refused("h/a:t/u", "repository");
  refused("h/a@sha256:abc", "digest");
  refused("h/a@sha512:" HEX64, "digest");
  refused("h/a@sha256:" HEX64 "0", "digest");
  refused("h:port/a:1", "host");
  refused("h:123456/a:1", "host");
  refused("/a:1", "host");
}
END_TEST

START_TEST(format_back)
{
  struct vzt_error *err = NULL;
  struct vzt_reg_ref r;
  ck_assert_int_eq(vzt_reg_ref_parse("h:5/a/b:t", &r, &err), 0);
  _cleanup_free_ char *s = vzt_reg_ref_format(&r);
  ck_assert_str_eq(s, "h:5/a/b:t");
  ck_assert_str_eq(vzt_reg_ref_reference(&r), "t");
  vzt_reg_ref_clear(&r);
  ck_assert_int_eq(vzt_reg_ref_parse("h/a@sha256:" HEX64, &r, &err), 0);
  ck_assert_str_eq(vzt_reg_ref_reference(&r), "sha256:" HEX64);
  vzt_reg_ref_clear(&r);
}
END_TEST

START_TEST(loopback)
{
  ck_assert(vzt_reg_host_is_loopback("localhost:5000"));
  ck_assert(vzt_reg_host_is_loopback("127.0.0.1"));
  ck_assert(vzt_reg_host_is_loopback("127.8.9.10:80"));
  ck_assert(vzt_reg_host_is_loopback("[::1]:5000"));
  ck_assert(!vzt_reg_host_is_loopback("128.0.0.1"));
  ck_assert(!vzt_reg_host_is_loopback("localhost.example"));
  ck_assert(!vzt_reg_host_is_loopback("127.0.0.1.example"));
  ck_assert(!vzt_reg_host_is_loopback("[::2]"));
}
END_TEST

START_TEST(digests)
{
  ck_assert(vzt_reg_digest_valid("sha256:" HEX64));
  ck_assert(!vzt_reg_digest_valid("sha256:" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
  ck_assert(!vzt_reg_digest_valid("sha256:../../etc/passwd"));
  ck_assert(!vzt_reg_digest_valid(NULL));
  char d[VZT_REG_DIGEST_MAX];
  vzt_reg_digest_of("{}", 2, d);
  ck_assert_str_eq(d, "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
}
END_TEST

static Suite *registry_suite(void)
{
  Suite *s = suite_create("registry");
  TCase *tc = tcase_create("ref");
  tcase_add_test(tc, good_refs);
  tcase_add_test(tc, bad_refs);
  tcase_add_test(tc, format_back);
  tcase_add_test(tc, loopback);
  tcase_add_test(tc, digests);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(registry_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
