/* Unit tests for fetch/mirror.c: Debian mirror discovery from made-up apt source trees. */
#include "config.h"

#include "fetch/mirror.h"
#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"

#include <check.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *aptdir;

static void setup(void)
{
  aptdir = vzt_strdup("/tmp/vzt-test-mirror.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(aptdir));
  unsetenv("VZTMPL_APT_DIR");
}

static void teardown(void)
{
  struct vzt_error *err = NULL;
  vzt_rm_rf(aptdir, &err);
  vzt_error_free(&err);
  free(aptdir);
}

/* Writes aptdir/<name> (sources.list.d/ made as needed). */
static void put(const char *name, const char *text)
{
  _cleanup_free_ char *d = vzt_path_join(aptdir, "sources.list.d");
  mkdir(d, 0755);
  _cleanup_free_ char *path = vzt_path_join(aptdir, name);
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(vzt_write_all(fd, text, strlen(text)), 0);
}

/* Discovery must succeed with exactly these URIs, in this order. */
static void expect(enum vzt_mirror_kind kind, ...)
{
  _cleanup_strv_ char **uris = NULL;
  struct vzt_error *err = NULL;
  int r = vzt_mirror_discover(aptdir, kind, &uris, &err);
  ck_assert_msg(r == 0, "discovery failed: %s", err ? err->msg : "?");
  va_list ap;
  va_start(ap, kind);
  size_t i = 0;
  for (const char *want = va_arg(ap, const char *); want; want = va_arg(ap, const char *), i++) {
    ck_assert_msg(uris[i], "missing %s (only %zu found)", want, i);
    ck_assert_str_eq(uris[i], want);
  }
  va_end(ap);
  ck_assert_msg(!uris[i], "unexpected extra URI %s", uris[i]);
}

static void expect_none(enum vzt_mirror_kind kind)
{
  char **uris = NULL;
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_mirror_discover(aptdir, kind, &uris, &err), -1);
  ck_assert_ptr_null(uris);
  ck_assert_int_eq(err->status, VZT_EXIT_FAILED);
  _cleanup_free_ char *want = vzt_strdupf(
      "no Debian %s mirror in the apt sources under %s: give one with --mirror URL or "
      "VZTMPL_MIRROR_DEBIAN",
      kind == VZT_MIRROR_SECURITY ? "security" : "main", aptdir);
  ck_assert_str_eq(err->msg, want);
  vzt_error_free(&err);
}

START_TEST(one_line)
{
  put("sources.list",
      "# the main archive\n"
      "deb http://mirror.example/debian/ bookworm main contrib\n"
      "deb http://mirror.example/debian bookworm-updates main\n"
      "deb-src http://source-only.example/debian bookworm main\n"
      "#deb http://commented.example/debian bookworm main\n"
      "   # deb http://commented2.example/debian bookworm main\n"
      "\n"
      "deb [ arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg ] "
      "http://signed.example/debian bookworm main\n"
      "deb http://security.example/debian-security bookworm-security main # trailing comment\n"
      "deb [signed-by=/etc/apt/keyrings/vendor.gpg] https://vendor.example/linux/debian "
      "bookworm stable\n"
      "deb http://other-distro.example/ubuntu jammy main\n"
      "deb http://old-security.example/debian-security buster/updates main\n"
      "deb http://testing.example/debian testing main\r\n"
      "deb cdrom:[Debian GNU/Linux 12 _Bookworm_ - Official amd64 DVD]/ bookworm main\n"
      "deb mirror+http://list.example/mirrors.txt bookworm main\n"
      "deb http://broken.example/debian\n");
  expect(VZT_MIRROR_MAIN, "http://mirror.example/debian", "http://signed.example/debian",
         "http://testing.example/debian", NULL);
  expect(VZT_MIRROR_SECURITY, "http://security.example/debian-security",
         "http://old-security.example/debian-security", NULL);
}
END_TEST

START_TEST(deb822)
{
  put("sources.list.d/debian.sources",
      "Types: deb deb-src\n"
      "URIs: http://a.example/debian/ http://b.example/debian\n"
      "Suites: trixie trixie-updates\n"
      "Components: main contrib\n"
      "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
      "\n"
      "# the security archive\n"
      "Types: deb\n"
      "URIs: http://sec.example/debian-security\n"
      "Suites: trixie-security\n"
      "Components: main\n"
      "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
      "   \n"
      "Types: deb\n"
      "URIs: http://disabled.example/debian\n"
      "Suites: trixie\n"
      "Components: main\n"
      "Enabled: no\n"
      "\n"
      "Types: deb-src\n"
      "URIs: http://source-only.example/debian\n"
      "Suites: trixie\n"
      "Components: main\n"
      "\n"
      "\n"
      "types: deb\n"
      "uris:\n"
      " http://c.example/debian\n"
      "# a comment between continuation lines\n"
      "\thttp://a.example/debian\n"
      "suites: sid\n"
      "enabled: yes\n"
      "\n"
      "Types: deb\n"
      "URIs: https://vendor.example/apt\n"
      "Suites: stable\n"
      "Components: main\n"
      "Signed-By:\n"
      " -----BEGIN PGP PUBLIC KEY BLOCK-----\n"
      " .\n"
      " mQINBGNotARealKeyAtAll\n"
      " -----END PGP PUBLIC KEY BLOCK-----\n"
      "\n"
      "#Types: deb\n"
      "#URIs: http://commented.example/debian\n"
      "#Suites: trixie\n"
      "\n"
      "Types: deb\n"
      "URIs: http://other-distro.example/ubuntu\n"
      "Suites: noble noble-security\n"
      "Components: main\n"
      "\n"
      "Types: deb\n"
      "URIs: http://last.example/debian\n"
      "Suites: forky-security\n"
      "Components: main"); /* no final newline */
  expect(VZT_MIRROR_MAIN, "http://a.example/debian", "http://b.example/debian",
         "http://c.example/debian", NULL);
  expect(VZT_MIRROR_SECURITY, "http://sec.example/debian-security", "http://last.example/debian",
         NULL);
}
END_TEST

START_TEST(mixed_order)
{
  put("sources.list", "deb http://one.example/debian bookworm main\n");
  put("sources.list.d/b.sources",
      "Types: deb\nURIs: http://three.example/debian\nSuites: bookworm\nComponents: main\n");
  put("sources.list.d/a.list", "deb http://two.example/debian bookworm main\n"
                               "deb http://one.example/debian/ bookworm-updates main\n");
  put("sources.list.d/z.list", "deb file:/srv/mirror/debian/ bookworm main\n");
  put("sources.list.d/c.list.save", "deb http://ignored.example/debian bookworm main\n");
  put("sources.list.d/d.list.disabled", "deb http://ignored2.example/debian bookworm main\n");
  put("sources.list.d/.hidden.list", "deb http://ignored3.example/debian bookworm main\n");
  expect(VZT_MIRROR_MAIN, "http://one.example/debian", "http://two.example/debian",
         "http://three.example/debian", "file:/srv/mirror/debian", NULL);
  expect_none(VZT_MIRROR_SECURITY);
}
END_TEST

START_TEST(suite_rules)
{
  /* Signed by Debian's keyring: Debian whatever the suite is called. */
  put("sources.list.d/a.list",
      "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://snap.example/archive "
      "custom-name main\n"
      "deb http://x.example/debian bookwormish main\n"
      "deb http://y.example/debian oldstable-backports main\n"
      "deb http://z.example/debian stable-security main\n");
  expect(VZT_MIRROR_MAIN, "http://snap.example/archive", "http://y.example/debian", NULL);
  expect(VZT_MIRROR_SECURITY, "http://z.example/debian", NULL);
}
END_TEST

START_TEST(none_found)
{
  expect_none(VZT_MIRROR_MAIN); /* no files at all */
  put("sources.list", "# deb http://mirror.example/debian bookworm main\n"
                      "deb-src http://mirror.example/debian bookworm main\n");
  put("sources.list.d/vendor.sources", "Types: deb\nURIs: https://vendor.example/apt\n"
                                       "Suites: focal\nComponents: main\n");
  expect_none(VZT_MIRROR_MAIN);
  expect_none(VZT_MIRROR_SECURITY);

  /* a directory that does not exist is just empty */
  char **uris = NULL;
  struct vzt_error *err = NULL;
  _cleanup_free_ char *nowhere = vzt_path_join(aptdir, "nowhere");
  ck_assert_int_eq(vzt_mirror_discover(nowhere, VZT_MIRROR_MAIN, &uris, &err), -1);
  ck_assert_ptr_nonnull(strstr(err->msg, nowhere));
  vzt_error_free(&err);
}
END_TEST

START_TEST(env_dir)
{
  put("sources.list", "deb http://env.example/debian trixie main\n");
  setenv("VZTMPL_APT_DIR", aptdir, 1);
  _cleanup_strv_ char **uris = NULL;
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_mirror_discover(NULL, VZT_MIRROR_MAIN, &uris, &err), 0);
  ck_assert_str_eq(uris[0], "http://env.example/debian");
  ck_assert_ptr_null(uris[1]);
  unsetenv("VZTMPL_APT_DIR");
}
END_TEST

START_TEST(unreadable_file)
{
  /* a directory where a file should be cannot be read, even by root */
  put("sources.list", "deb http://mirror.example/debian trixie main\n");
  _cleanup_free_ char *path = vzt_path_join(aptdir, "sources.list.d/a.list");
  ck_assert_int_eq(mkdir(path, 0755), 0);
  char **uris = NULL;
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_mirror_discover(aptdir, VZT_MIRROR_MAIN, &uris, &err), -1);
  ck_assert_ptr_nonnull(strstr(err->msg, "a.list"));
  ck_assert_ptr_null(uris);
  vzt_error_free(&err);
}
END_TEST

static Suite *mirror_suite(void)
{
  Suite *s = suite_create("mirror");
  TCase *tc = tcase_create("discover");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, one_line);
  tcase_add_test(tc, deb822);
  tcase_add_test(tc, mixed_order);
  tcase_add_test(tc, suite_rules);
  tcase_add_test(tc, none_found);
  tcase_add_test(tc, env_dir);
  tcase_add_test(tc, unreadable_file);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  SRunner *sr = srunner_create(mirror_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
