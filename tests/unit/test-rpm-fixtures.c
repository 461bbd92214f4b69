/* Unit tests of RPM package trust and metalinks on real data written by
 * other projects (rpm's test packages, librepo's metalink), found through
 * VZTMPL_FIXTURES; skipped, saying so, where that data is absent. */
#include "config.h"
#include "tmpl/rpm/rpm-internal.h"
#include "tmpl/rpm/verify.h"
#include "lib/fsutil.h"

#include "tests/unit/unit.h"
#include <check.h>
#include <stdlib.h>
#include <string.h>

#define RECIPES VZT_TEST_SRCDIR "/recipes"
#define SIGS "rpm-signatures"
#define SIGKEY vzt_unit_fixture(SIGS "/rpm.org-rsa-2048-test.pub")
#define SIGFPR "771B18D3D7BAA28734333C424344591E1964C5FC"
#define METALINK "rpm-md-signed/repo_yum_01/metalink.xml"

/* rpm's own test packages: V4 RSA-signed, unsigned, and signed with a BAD
 * payload digest. */
START_TEST(package_signatures_and_digests)
{
  struct vzt_rpm_keyring *k = NULL;
  struct vzt_error *err = NULL;
  char *pins[] = {SIGFPR, NULL};
  ck_assert_msg(vzt_rpm_keyring_load(SIGKEY, pins, &k, &err) == 0, "%s", err ? err->msg : "");
  struct vzt_rpm_checked got = {0};
  /* signed, by the pinned key: accepted */
  ck_assert_msg(vzt_rpm_verify_file(k, VZT_RPM_SIG_REQUIRED,
                                    vzt_unit_fixture(SIGS "/hello-2.0-1.x86_64-signed.rpm"),
                                    "hello-signed", &got, &err) == 0,
                "%s", err ? err->msg : "");
  ck_assert_str_eq(got.sigkind, "v4");
  ck_assert_int_gt(got.build_time, 1000000000); /* the header's, read by the same check */
  /* unsigned: refused where signatures are required, accepted on digests otherwise */
  ck_assert_int_eq(vzt_rpm_verify_file(k, VZT_RPM_SIG_REQUIRED,
                                       vzt_unit_fixture(SIGS "/hello-2.0-1.x86_64.rpm"), "hello",
                                       &got, &err),
                   -1);
  ck_assert_int_eq(err->status, VZT_EXIT_REFUSED);
  ck_assert_ptr_nonnull(strstr(err->msg, "hello has no signature"));
  vzt_error_free(&err);
  ck_assert_int_eq(vzt_rpm_verify_file(NULL, VZT_RPM_SIG_NONE,
                                       vzt_unit_fixture(SIGS "/hello-2.0-1.x86_64.rpm"), "hello",
                                       &got, &err),
                   0);
  ck_assert_str_eq(got.sigkind, "unsigned");
  ck_assert_int_eq(vzt_rpm_verify_file(NULL, VZT_RPM_SIG_NONE,
                                       vzt_unit_fixture(SIGS "/hello-2.0-1.x86_64-signed.rpm"),
                                       "hello-signed", &got, &err),
                   0);
  /* payload digest BAD: refused always, even without signature checks */
  ck_assert_int_eq(vzt_rpm_verify_file(k, VZT_RPM_SIG_REQUIRED,
                                       vzt_unit_fixture(SIGS "/hello-2.0-1.x86_64-corrupted.rpm"),
                                       "hello-bad", &got, &err),
                   -1);
  ck_assert_int_eq(err->status, VZT_EXIT_REFUSED);
  ck_assert_ptr_nonnull(strstr(err->msg, "Payload SHA256 digest: BAD"));
  vzt_error_free(&err);
  ck_assert_int_eq(vzt_rpm_verify_file(NULL, VZT_RPM_SIG_NONE,
                                       vzt_unit_fixture(SIGS "/hello-2.0-1.x86_64-corrupted.rpm"),
                                       "hello-bad", &got, &err),
                   -1);
  ck_assert_int_eq(err->status, VZT_EXIT_REFUSED);
  vzt_error_free(&err);
  vzt_rpm_keyring_free(k);
  /* signed, but by a key that is not in the keyring: refused */
  ck_assert_int_eq(vzt_rpm_keyring_load(RECIPES "/fedora/keys/RPM-GPG-KEY-fedora-45-primary", NULL,
                                        &k, &err),
                   0);
  ck_assert_int_eq(vzt_rpm_verify_file(k, VZT_RPM_SIG_REQUIRED,
                                       vzt_unit_fixture(SIGS "/hello-2.0-1.x86_64-signed.rpm"),
                                       "hello-signed", &got, &err),
                   -1);
  ck_assert_ptr_nonnull(strstr(err->msg, "not among the pinned keys"));
  vzt_error_free(&err);
  vzt_rpm_keyring_free(k);
  /* a pin the keyring does not hold */
  char *other[] = {"4F50A6114CD5C6976A7F1179655A4B02F577861E", NULL};
  ck_assert_int_eq(vzt_rpm_keyring_load(SIGKEY, other, &k, &err), -1);
  ck_assert_ptr_nonnull(strstr(err->msg, SIGFPR));
  vzt_error_free(&err);
}
END_TEST

/* librepo's metalink for its test repository. */
START_TEST(librepo_metalink)
{
  char *xml = NULL;
  size_t len = 0;
  struct vzt_error *err = NULL;
  ck_assert_msg(vzt_read_file(vzt_unit_fixture(METALINK), &xml, &len, &err) == 0, "%s",
                err ? err->msg : "");
  struct vzt_rpm_metalink ml;
  ck_assert_msg(vzt_rpm_metalink_parse(xml, len, "metalink.xml", &ml, &err) == 0, "%s",
                err ? err->msg : "");
  free(xml);
  ck_assert_str_eq(ml.mirrors[0], "http://127.0.0.1:5000/yum/static/01");
  ck_assert_ptr_null(ml.mirrors[1]);
  ck_assert_str_eq(ml.sha256[0], "bef5d33dc68f47adc7b31df448851b1e9e6bae27840f28700fff144881482a6a");
  ck_assert_ptr_nonnull(ml.sha512[0]);
  vzt_rpm_metalink_clear(&ml);
}
END_TEST

int main(void)
{
  vzt_unit_need_fixtures("test-rpm-fixtures", SIGS);
  vzt_unit_need_fixtures("test-rpm-fixtures", METALINK);
  Suite *s = suite_create("rpm-fixtures");
  TCase *tc = tcase_create("rpm-fixtures");
  tcase_add_test(tc, package_signatures_and_digests);
  tcase_add_test(tc, librepo_metalink);
  suite_add_tcase(s, tc);
  return vzt_unit_run(s);
}
