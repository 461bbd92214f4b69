/* Unit tests for kernel-support/userns.c and idmap.c: reading subordinate id
 * ranges and vztmpl's own range (entering a namespace as an ordinary user:
 * test-userns-enter). */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel-support/idmap.h"
#include "kernel-support/userns.h"
#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/fsutil.h"
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

/* A file read whole. */
static char *read_all(const char *path)
{
  char *text = NULL;
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_read_file(path, &text, NULL, &err), 0);
  return text;
}

/* A missing range is added above every range of both files, once. */
START_TEST(idmap_range_allocated_above_all)
{
  _cleanup_free_ char *u = write_subid("alice:100000:65536\nbob:300000:65536"); /* no final newline */
  _cleanup_free_ char *g = write_subid("carol:500000:1000\n");
  struct vzt_error *err = NULL;
  struct vzt_idmap_range r;
  ck_assert_int_eq(vzt_idmap_range_find(u, g, &r, &err), 0);
  ck_assert_int_eq(vzt_idmap_range_get(u, g, &r, &err), 0);
  ck_assert_uint_eq(r.uid, 501000);
  ck_assert_uint_eq(r.gid, 501000);
  ck_assert_uint_eq(r.count, 65536);
  _cleanup_free_ char *ut = read_all(u);
  _cleanup_free_ char *gt = read_all(g);
  ck_assert_str_eq(ut, "alice:100000:65536\nbob:300000:65536\nvztmpl:501000:65536\n");
  ck_assert_str_eq(gt, "carol:500000:1000\nvztmpl:501000:65536\n");
  /* Again: found, nothing written. */
  ck_assert_int_eq(vzt_idmap_range_get(u, g, &r, &err), 0);
  ck_assert_uint_eq(r.uid, 501000);
  _cleanup_free_ char *ut2 = read_all(u);
  ck_assert_str_eq(ut2, ut);
  ck_assert_int_eq(vzt_idmap_range_find(u, g, &r, &err), 1);
  unlink(u);
  unlink(g);
}
END_TEST

/* Missing files are created 0644; a symlink in their place is refused. */
START_TEST(idmap_range_files_created_not_followed)
{
  char dir[] = "/tmp/vzt-test-idmap-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  _cleanup_free_ char *u = vzt_strdupf("%s/subuid", dir);
  _cleanup_free_ char *g = vzt_strdupf("%s/subgid", dir);
  _cleanup_free_ char *target = vzt_strdupf("%s/elsewhere", dir);
  struct vzt_error *err = NULL;
  struct vzt_idmap_range r;
  mode_t old = umask(077);
  ck_assert_int_eq(vzt_idmap_range_get(u, g, &r, &err), 0);
  umask(old);
  ck_assert_uint_eq(r.uid, VZT_IDMAP_MIN);
  struct stat st;
  ck_assert_int_eq(stat(u, &st), 0);
  ck_assert_uint_eq(st.st_mode & 07777, 0644);
  ck_assert_int_eq(stat(g, &st), 0);
  ck_assert_uint_eq(st.st_mode & 07777, 0644);
  unlink(g);
  ck_assert_int_eq(symlink(target, g), 0);
  ck_assert_int_eq(vzt_idmap_range_get(u, g, &r, &err), -1);
  vzt_error_free(&err);
  ck_assert_int_ne(access(target, F_OK), 0);
  unlink(u);
  unlink(g);
  rmdir(dir);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("userns");
  TCase *tc = tcase_create("userns");
  tcase_add_test(tc, subid_by_name_and_by_id);
  tcase_add_test(tc, subid_malformed_lines_are_skipped);
  tcase_add_test(tc, idmap_range_allocated_above_all);
  tcase_add_test(tc, idmap_range_files_created_not_followed);
  suite_add_tcase(s, tc);
  return vzt_unit_run(s);
}

