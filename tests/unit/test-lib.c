/* Unit tests for lib/: strings, digests, files, errors. */
#include "config.h"
#include "lib/atomic-file.h"
#include "lib/digest.h"
#include "lib/error.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"

#include "tests/unit/unit.h"
#include <check.h>
#include <signal.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

START_TEST(strv_split_accepts_spaces_commas_and_newlines)
{
  char **v = vzt_strv_split(" apt, dpkg\n\tbash,,  ");
  ck_assert_uint_eq(vzt_strv_len(v), 3);
  ck_assert_str_eq(v[0], "apt");
  ck_assert_str_eq(v[1], "dpkg");
  ck_assert_str_eq(v[2], "bash");
  char *j = vzt_strv_join(v, "|");
  ck_assert_str_eq(j, "apt|dpkg|bash");
  vzt_strv_sort(v);
  ck_assert_str_eq(v[0], "apt");
  ck_assert_str_eq(v[1], "bash");
  free(j);
  vzt_strv_free(v);
}
END_TEST

START_TEST(path_join_and_strip)
{
  char *p = vzt_path_join("/var/cache/", "/blobs");
  ck_assert_str_eq(p, "/var/cache/blobs");
  free(p);
  char s[] = "  x y \n";
  ck_assert_str_eq(vzt_strstrip(s), "x y");
  ck_assert(vzt_endswith("a.tar.zst", ".tar.zst"));
  ck_assert(!vzt_endswith("zst", ".tar.zst"));
  /* An archive's spellings of one path compare once past "./" and "/". */
  ck_assert_str_eq(vzt_path_skip_root("./usr/bin"), "usr/bin");
  ck_assert_str_eq(vzt_path_skip_root("/usr/bin"), "usr/bin");
  ck_assert_str_eq(vzt_path_skip_root("././//usr/bin"), "usr/bin");
  ck_assert_str_eq(vzt_path_skip_root("usr/./bin"), "usr/./bin");
  ck_assert_str_eq(vzt_path_skip_root("."), ".");
  ck_assert_str_eq(vzt_path_skip_root(".hidden"), ".hidden");
}
END_TEST

START_TEST(sha256_of_known_input)
{
  char hex[VZT_DIGEST_HEX_MAX];
  struct vzt_digest *d = vzt_digest_new(VZT_DIGEST_SHA256);
  vzt_digest_update(d, "abc", 3);
  vzt_digest_finish(d, hex);
  ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  enum vzt_digest_type t;
  ck_assert_int_eq(vzt_digest_type_from_name("SHA256", &t), 0);
  ck_assert_int_eq(t, VZT_DIGEST_SHA256);
  ck_assert_int_eq(vzt_digest_type_from_name("crc32", &t), -1);
}
END_TEST

START_TEST(atomic_write_read_and_rm_rf)
{
  char dir[] = "/tmp/vzt-test-lib.XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  struct vzt_error *err = NULL;
  char *sub = vzt_path_join(dir, "a/b/c");
  ck_assert_int_eq(vzt_mkdir_p(sub, 0755, &err), 0);
  int fd = open(sub, O_RDONLY | O_DIRECTORY);
  ck_assert_int_eq(vzt_write_file_atomic(fd, "f", "hello", 5, 0600, &err), 0);
  char *data = NULL;
  size_t len = 0;
  ck_assert_int_eq(vzt_read_fileat(fd, "f", &data, &len, &err), 0);
  ck_assert_uint_eq(len, 5);
  ck_assert_str_eq(data, "hello");
  struct stat st;
  ck_assert_int_eq(fstatat(fd, "f", &st, 0), 0);
  ck_assert_int_eq(st.st_mode & 0777, 0600);
  close(fd);
  free(data);
  char *link = vzt_path_join(dir, "a/escape");
  ck_assert_int_eq(symlink("/etc", link), 0);
  ck_assert_int_eq(vzt_rm_rf(dir, &err), 0);
  ck_assert_int_eq(access("/etc/passwd", F_OK), 0); /* the link was removed, not followed */
  ck_assert_int_ne(access(dir, F_OK), 0);
  free(link);
  free(sub);
}
END_TEST

/* A root-only file elsewhere, the target of every planted link below. */
static char *make_victim(const char *dir)
{
  char *v = vzt_path_join(dir, "victim");
  int fd = open(v, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, "secret", 6), 6);
  close(fd);
  return v;
}

static void assert_victim_untouched(const char *v)
{
  struct vzt_error *err = NULL;
  char *data = NULL;
  size_t len = 0;
  ck_assert_int_eq(vzt_read_file(v, &data, &len, &err), 0);
  ck_assert_uint_eq(len, 6);
  ck_assert_str_eq(data, "secret");
  struct stat st;
  ck_assert_int_eq(stat(v, &st), 0);
  ck_assert_int_eq(st.st_mode & 07777, 0600);
  free(data);
}

START_TEST(atomic_file_never_follows_planted_links)
{
  char dir[] = "/tmp/vzt-test-atomic.XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char *victim = make_victim(dir);
  char *pub = vzt_path_join(dir, "pub");
  ck_assert_int_eq(mkdir(pub, 0777), 0);
  int fd = open(pub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct vzt_error *err = NULL;
  /* A link at the final name is replaced, not written through. */
  char *at_final = vzt_path_join(pub, "SHA256SUMS");
  ck_assert_int_eq(symlink(victim, at_final), 0);
  /* Links at the names a pid-based writer would pick. */
  for (int pid = getpid() - 2; pid <= getpid() + 2; pid++) {
    char *t = vzt_strdupf("%s/SHA256SUMS.tmp.%d", pub, pid);
    ck_assert_int_eq(symlink(victim, t), 0);
    free(t);
  }
  ck_assert_int_eq(vzt_atomic_write_file(fd, "SHA256SUMS", "new\n", 4, 0644, &err), 0);
  assert_victim_untouched(victim);
  struct stat st;
  ck_assert_int_eq(fstatat(fd, "SHA256SUMS", &st, AT_SYMLINK_NOFOLLOW), 0);
  ck_assert(S_ISREG(st.st_mode));
  ck_assert_int_eq(st.st_mode & 0777, 0644);

  /* A directory link among the parents cannot lead outside the directory. */
  char *meta = vzt_strdupf("%s/meta", pub);
  ck_assert_int_eq(symlink(dir, meta), 0);
  free(meta);
  ck_assert_int_lt(vzt_atomic_write_file(fd, "meta/victim", "x", 1, 0644, &err), 0);
  vzt_error_free(&err);
  assert_victim_untouched(victim);

  /* Abort leaves nothing behind; commit leaves only the final name. */
  struct vzt_atomic_file f;
  ck_assert_int_eq(vzt_atomic_open(fd, "other", 0600, &f, &err), 0);
  char *tmp = vzt_strdup(f.tmp);
  vzt_atomic_abort(&f);
  ck_assert_int_ne(faccessat(fd, tmp, F_OK, AT_SYMLINK_NOFOLLOW), 0);
  ck_assert_int_ne(faccessat(fd, "other", F_OK, AT_SYMLINK_NOFOLLOW), 0);
  free(tmp);
  close(fd);
  ck_assert_int_eq(vzt_rm_rf(dir, &err), 0);
  free(at_final);
  free(pub);
  free(victim);
}
END_TEST

START_TEST(read_file_max_refuses_devices_and_large_files)
{
  struct vzt_error *err = NULL;
  char *data = NULL;
  size_t len = 0;
  ck_assert_int_lt(vzt_read_file_max("/dev/zero", 1024, &data, &len, &err), 0);
  ck_assert_int_eq(err->status, VZT_EXIT_REFUSED);
  ck_assert_ptr_nonnull(strstr(err->msg, "/dev/zero"));
  vzt_error_free(&err);
  char dir[] = "/tmp/vzt-test-readmax.XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ck_assert_int_eq(vzt_atomic_write_file(dfd, "f", "0123456789", 10, 0644, &err), 0);
  ck_assert_int_lt(vzt_read_fileat_max(dfd, "f", 9, &data, &len, &err), 0);
  ck_assert_int_eq(err->status, VZT_EXIT_REFUSED);
  ck_assert_ptr_nonnull(strstr(err->msg, "limit of 9"));
  vzt_error_free(&err);
  ck_assert_int_eq(vzt_read_fileat_max(dfd, "f", 10, &data, &len, &err), 0);
  ck_assert_uint_eq(len, 10);
  free(data);
  /* /proc files say size 0: read anyway, within the limit. */
  ck_assert_int_eq(vzt_read_file_max("/proc/self/status", 1 << 20, &data, &len, &err), 0);
  ck_assert_uint_gt(len, 0);
  free(data);
  close(dfd);
  ck_assert_int_eq(vzt_rm_rf(dir, &err), 0);
}
END_TEST

START_TEST(progress_line_has_rate_and_time_left)
{
  char line[256];
  /* 50 of 100 MiB at 5 MiB/s: 10 s left. */
  vzt_progress_format(line, sizeof(line), "Downloading", 50ull << 20, 100ull << 20, true, 10.0, 5.0 * 1048576);
  ck_assert_msg(strstr(line, " 50% 50 MiB/100 MiB"), "%s", line);
  ck_assert_msg(strstr(line, "5.0 MiB/s"), "%s", line);
  ck_assert_msg(strstr(line, "0:10 left"), "%s", line);
  /* An hour and more, in h:mm:ss. */
  vzt_progress_format(line, sizeof(line), "Downloading", 0, 3723ull << 20, true, 1.0, 1048576);
  ck_assert_msg(strstr(line, "1:02:03 left") && strstr(line, "1.0 MiB/s"), "%s", line);
  /* No rate known yet: neither rate nor time left. */
  vzt_progress_format(line, sizeof(line), "Downloading", 0, 100, true, 0.2, 0);
  ck_assert_msg(!strstr(line, "/s") && !strstr(line, "left"), "%s", line);
  /* A count: time left, no byte rate. */
  vzt_progress_format(line, sizeof(line), "Unpacking", 30, 90, false, 3.0, 10.0);
  ck_assert_msg(strstr(line, " 33% 30/90") && strstr(line, "0:06 left") && !strstr(line, "/s"), "%s", line);
  /* Done: no time left shown. */
  vzt_progress_format(line, sizeof(line), "Unpacking", 90, 90, false, 9.0, 10.0);
  ck_assert_msg(strstr(line, "100%") && !strstr(line, "left"), "%s", line);
  /* No total: the time so far. */
  vzt_progress_format(line, sizeof(line), "Configuring 88 packages", 0, 0, false, 75.4, 0);
  ck_assert_msg(strstr(line, "Configuring 88 packages") && strstr(line, "1:15") && !strstr(line, "%"), "%s", line);
}
END_TEST

/* stderr not a terminal: a whole bar's life, long enough to be drawn, prints nothing. */
START_TEST(progress_is_silent_without_a_terminal)
{
  char path[] = "/tmp/vzt-progress.XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  int saved = dup(STDERR_FILENO);
  ck_assert_int_ge(saved, 0);
  ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
  vzt_log_setup(VZT_LOG_INFO, true);
  struct vzt_progress *p = vzt_progress_begin("Downloading", 1000, true);
  double t0 = vzt_now();
  for (uint64_t i = 0; vzt_now() - t0 < 1.5; i++)
    vzt_progress_set(p, i % 1000);
  vzt_progress_end(p);
  fflush(stderr);
  ck_assert_int_eq(dup2(saved, STDERR_FILENO), STDERR_FILENO);
  close(saved);
  struct stat st;
  ck_assert_int_eq(fstat(fd, &st), 0);
  ck_assert_int_eq(st.st_size, 0);
  close(fd);
  unlink(path);
}
END_TEST

START_TEST(first_error_wins_and_prefix)
{
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_refuse(&err, "bad %s", "hash"), -1);
  vzt_fail(&err, "later");
  vzt_error_prefix(&err, "Packages");
  ck_assert_int_eq(err->status, VZT_EXIT_REFUSED);
  ck_assert_str_eq(err->msg, "Packages: bad hash");
  vzt_error_free(&err);
  ck_assert_ptr_null(err);
}
END_TEST

START_TEST(buffer_grows_and_stays_terminated)
{
  struct vzt_buf b = {0};
  char *empty = vzt_buf_steal(&b);
  ck_assert_str_eq(empty, "");
  free(empty);
  for (int i = 0; i < 1000; i++)
    vzt_buf_printf(&b, "%d,", i);
  vzt_buf_puts(&b, "end");
  ck_assert_uint_eq(b.len, strlen(b.data));
  ck_assert(vzt_startswith(b.data, "0,1,2,"));
  ck_assert(vzt_endswith(b.data, "998,999,end"));
  vzt_buf_append(&b, "\0x", 2); /* bytes, not only text */
  ck_assert_uint_eq(b.len, 3893 + 2);
  ck_assert_int_eq(b.data[b.len], '\0');
  char *s = vzt_buf_steal(&b);
  ck_assert_ptr_null(b.data);
  ck_assert_uint_eq(b.len, 0);
  free(s);
  vzt_buf_free(&b);
}
END_TEST

START_TEST(array_growth_doubles_and_keeps_contents)
{
  int *v = NULL;
  size_t cap = 0;
  for (int i = 0; i < 100; i++) {
    VZT_GROW(v, cap, (size_t) i + 1);
    v[i] = i;
  }
  ck_assert_uint_ge(cap, 100);
  ck_assert_uint_lt(cap, 200);
  for (int i = 0; i < 100; i++)
    ck_assert_int_eq(v[i], i);
  free(v);
}
END_TEST

#ifndef __SANITIZE_ADDRESS__
START_TEST(allocation_failure_is_loud)
{
  /* An impossible size: the policy names it and aborts (the test expects SIGABRT). */
  volatile size_t huge = (size_t) -1 / 2;
  void *p = vzt_malloc(huge);
  free(p);
}
END_TEST
#endif

int main(void)
{
  Suite *s = suite_create("lib");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, strv_split_accepts_spaces_commas_and_newlines);
  tcase_add_test(tc, path_join_and_strip);
  tcase_add_test(tc, sha256_of_known_input);
  tcase_add_test(tc, atomic_write_read_and_rm_rf);
  tcase_add_test(tc, atomic_file_never_follows_planted_links);
  tcase_add_test(tc, read_file_max_refuses_devices_and_large_files);
  tcase_add_test(tc, first_error_wins_and_prefix);
  tcase_add_test(tc, buffer_grows_and_stays_terminated);
  tcase_add_test(tc, array_growth_doubles_and_keeps_contents);
#ifndef __SANITIZE_ADDRESS__
  /* AddressSanitizer reports an impossible size itself and exits 1; an
   * abort needs a forked test (valgrind runs the suite with CK_FORK=no). */
  const char *fork_mode = getenv("CK_FORK");
  if (!fork_mode || strcmp(fork_mode, "no"))
    tcase_add_test_raise_signal(tc, allocation_failure_is_loud, SIGABRT);
#endif
  tcase_add_test(tc, progress_line_has_rate_and_time_left);
  tcase_add_test(tc, progress_is_silent_without_a_terminal);
  suite_add_tcase(s, tc);
  return vzt_unit_run(s);
}
