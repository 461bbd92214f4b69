/* Unit tests for kernel-support/userns.c: reading subordinate id ranges
 * (entering a namespace as an ordinary user: test-userns-enter). */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel-support/userns.h"
#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/strutil.h"
#include "tests/unit/unit.h"

static char *write_subid(const char *text)
{
  char path[] = "/tmp/vzt-test-subid-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t) strlen(text));
  close(fd);
  return vzt_strdup(path);
}

START_TEST(subid_by_name_and_by_id)
{
  _cleanup_free_ char *f = write_subid("# comment\n"
                                       "\n"
                                       "alice:100000:65536\n"
                                       "1002:200000:1000\n"
                                       "alice:900000:10\n");
  struct vzt_error *err = NULL;
  uint32_t start = 0, count = 0;
  ck_assert_int_eq(vzt_userns_subid_range(f, "alice", 1001, &start, &count, &err), 1);
  ck_assert_uint_eq(start, 100000); /* the first line wins */
  ck_assert_uint_eq(count, 65536);
  ck_assert_int_eq(vzt_userns_subid_range(f, "bob", 1002, &start, &count, &err), 1);
  ck_assert_uint_eq(start, 200000);
  ck_assert_uint_eq(count, 1000);
  ck_assert_int_eq(vzt_userns_subid_range(f, "carol", 1003, &start, &count, &err), 0);
  ck_assert_int_eq(vzt_userns_subid_range(f, NULL, 1002, &start, &count, &err), 1);
  unlink(f);
}
END_TEST

START_TEST(subid_malformed_lines_are_skipped)
{
  _cleanup_free_ char *f = write_subid("alice:100000\n"
                                       "alice:x:65536\n"
                                       "alice:100000:0\n"
                                       "alice:4294967295:2\n"
                                       "alice:-5:10\n"
                                       "alice:300000:5 \n");
  struct vzt_error *err = NULL;
  uint32_t start = 0, count = 0;
  ck_assert_int_eq(vzt_userns_subid_range(f, "alice", 1001, &start, &count, &err), 1);
  ck_assert_uint_eq(start, 300000);
  ck_assert_uint_eq(count, 5);
  unlink(f);
  ck_assert_int_eq(vzt_userns_subid_range("/nonexistent/subuid", "alice", 1001, &start, &count, &err), 0);
  ck_assert_ptr_null(err);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("userns");
  TCase *tc = tcase_create("userns");
  tcase_add_test(tc, subid_by_name_and_by_id);
  tcase_add_test(tc, subid_malformed_lines_are_skipped);
  suite_add_tcase(s, tc);
  return vzt_unit_run(s);
}
