/* Unit tests for the deb family's parsers, version rules and resolution. */
#include "config.h"
#include "tmpl/deb/control.h"
#include "tmpl/deb/deb-internal.h"
#include "tmpl/deb/release.h"
#include "tmpl/resolve.h"
#include "lib/strutil.h"

#include "tests/unit/unit.h"
#include <check.h>
#include <solv/evr.h>
#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/repo.h>
#include <solv/repo_deb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(stanzas_with_continuations_and_blank_lines)
{
  const char *text = "\n\nPackage: a\nDescription: short\n long line\n .\n more\nPriority: required\n\n"
                     "Package: b\nEssential: yes\n";
  struct vzt_deb_stanza st = {0};
  size_t pos = 0;
  ck_assert_int_eq(vzt_deb_stanza_next(text, strlen(text), &pos, &st), 1);
  char *d = vzt_deb_stanza_dup(&st, "description");
  ck_assert_str_eq(d, "short\n long line\n .\n more");
  free(d);
  ck_assert(vzt_deb_stanza_is(&st, "Priority", "required"));
  ck_assert_int_eq(vzt_deb_stanza_next(text, strlen(text), &pos, &st), 1);
  ck_assert(vzt_deb_stanza_is(&st, "Essential", "yes"));
  ck_assert_ptr_null(vzt_deb_stanza_get(&st, "Priority", NULL));
  ck_assert_int_eq(vzt_deb_stanza_next(text, strlen(text), &pos, &st), 0);
  pos = 0;
  ck_assert_int_eq(vzt_deb_stanza_next("no colon here\n", 14, &pos, &st), -1);
  vzt_deb_stanza_clear(&st);
}
END_TEST

#define SHA_A "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define RELEASE_HEAD "Origin: Debian\nSuite: stable\nCodename: trixie\nDate: Sat, 21 Nov 2026 09:15:44 UTC\n"

START_TEST(release_fields_dates_and_hashes)
{
  const char *text = RELEASE_HEAD "Valid-Until: Sat, 28 Nov 2026 09:15:44 UTC\n"
                                  "Architectures: amd64 arm64\nComponents: main contrib\n"
                                  "Acquire-By-Hash: yes\nMD5Sum:\n d41d8cd98f00b204e9800998ecf8427e 0 x\n"
                                  "SHA256:\n " SHA_A " 1234 main/binary-amd64/Packages.xz\n "
                                  SHA_A " 99 main/binary-amd64/Packages\n";
  struct vzt_release rel;
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_release_parse(text, strlen(text), "InRelease", &rel, &err), 0);
  ck_assert_str_eq(rel.codename, "trixie");
  ck_assert_int_eq(rel.date, 1795252544);
  ck_assert_int_eq(rel.valid_until, 1795252544 + 7 * 86400);
  ck_assert(rel.acquire_by_hash);
  ck_assert_uint_eq(rel.nfiles, 2);
  const struct vzt_release_file *f = vzt_release_find(&rel, "main/binary-amd64/Packages.xz");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(f->size, 1234);
  ck_assert_str_eq(f->sha256, SHA_A);
  ck_assert_int_eq(vzt_release_check_valid(&rel, rel.date, "InRelease", &err), 0);
  ck_assert_int_eq(vzt_release_check_valid(&rel, rel.valid_until + 1, "InRelease", &err), -1);
  ck_assert_int_eq(err->status, VZT_EXIT_REFUSED);
  ck_assert_ptr_nonnull(strstr(err->msg, "expired"));
  vzt_error_free(&err);
  vzt_release_clear(&rel);
}
END_TEST

START_TEST(release_without_sha256_or_with_bad_lines_is_refused)
{
  struct vzt_release rel;
  struct vzt_error *err = NULL;
  const char *md5only = RELEASE_HEAD "MD5Sum:\n d41d8cd98f00b204e9800998ecf8427e 0 x\n";
  ck_assert_int_eq(vzt_release_parse(md5only, strlen(md5only), "R", &rel, &err), -1);
  ck_assert_int_eq(err->status, VZT_EXIT_REFUSED);
  vzt_error_free(&err);
  const char *bad = RELEASE_HEAD "SHA256:\n abc 12 x\n";
  ck_assert_int_eq(vzt_release_parse(bad, strlen(bad), "R", &rel, &err), -1);
  vzt_error_free(&err);
  const char *baddate = "Date: someday\nSHA256:\n " SHA_A " 1 x\n";
  ck_assert_int_eq(vzt_release_parse(baddate, strlen(baddate), "R", &rel, &err), -1);
  vzt_error_free(&err);
  ck_assert_int_eq(vzt_release_parse_date("Mon, 01 Jan 2024 00:00:00 +0100"), 1704063600);
  /* Found by fuzz-deb-release: the year overflowed year - 1900. */
  ck_assert_int_eq(vzt_release_parse_date("1 Jan -2147483648 00:00:00 UTC"), -1);
  ck_assert_int_eq(vzt_release_parse_date("Mon, 01 Jan 2024 24:00:00 UTC"), -1);
  ck_assert_int_eq(vzt_release_parse_date("Mon, 32 Jan 2024 00:00:00 UTC"), -1);
}
END_TEST

START_TEST(debian_version_rules)
{
  Pool *pool = pool_create();
  pool_setdisttype(pool, DISTTYPE_DEB);
  ck_assert_int_lt(pool_evrcmp_str(pool, "1.0~rc1", "1.0", EVRCMP_COMPARE), 0);
  ck_assert_int_gt(pool_evrcmp_str(pool, "1:0.1", "2.0", EVRCMP_COMPARE), 0);
  ck_assert_int_lt(pool_evrcmp_str(pool, "2.36-9", "2.36-9+deb12u4", EVRCMP_COMPARE), 0);
  ck_assert_int_gt(pool_evrcmp_str(pool, "1.0a", "1.0", EVRCMP_COMPARE), 0);
  ck_assert_int_eq(pool_evrcmp_str(pool, "0:1.2", "1.2", EVRCMP_COMPARE), 0);
  pool_free(pool);
}
END_TEST

static const char packages[] =
    "Package: app\nVersion: 1.0\nArchitecture: amd64\nDepends: awk, libc6 (>= 2.36), mail-transport-agent | exim4\n"
    "Pre-Depends: base\n\n"
    "Package: base\nVersion: 1\nArchitecture: all\n\n"
    "Package: libc6\nVersion: 2.35\nArchitecture: amd64\n\n"
    "Package: libc6\nVersion: 2.36-9+deb12u4\nArchitecture: amd64\n\n"
    "Package: aaa-awk\nVersion: 1\nArchitecture: amd64\nProvides: awk\n\n"
    "Package: awk\nVersion: 1\nArchitecture: amd64\n\n"
    "Package: exim4\nVersion: 4\nArchitecture: amd64\nProvides: mail-transport-agent\n\n"
    "Package: postfix\nVersion: 3\nArchitecture: amd64\nProvides: mail-transport-agent\n\n"
    "Package: other-arch\nVersion: 1\nArchitecture: arm64\n";

static Pool *test_pool(void)
{
  Pool *pool = pool_create();
  pool_setdisttype(pool, DISTTYPE_DEB);
  pool_setarch(pool, "amd64");
  Repo *repo = repo_create(pool, "test");
  FILE *f = fmemopen((void *) packages, sizeof(packages) - 1, "r");
  ck_assert_int_eq(repo_add_debpackages(repo, f, 0), 0);
  fclose(f);
  repo_internalize(repo);
  return pool;
}

static const char *find(Pool *pool, const struct vzt_transaction *t, const char *name, size_t *pos)
{
  for (size_t i = 0; i < t->n; i++)
    if (!strcmp(pool_id2str(pool, t->order[i]->name), name)) {
      if (pos)
        *pos = i;
      return pool_id2str(pool, t->order[i]->evr);
    }
  return NULL;
}

START_TEST(resolution_prefers_real_packages_highest_versions_and_orders)
{
  Pool *pool = test_pool();
  char *install[] = {"app", NULL};
  char *none[] = {NULL};
  struct vzt_transaction t;
  struct vzt_error *err = NULL;
  ck_assert_msg(vzt_resolve(pool, NULL, none, install, none, &t, &err) == 0, "%s", err ? err->msg : "");
  ck_assert_uint_eq(t.n, 5); /* app base libc6 awk exim4 */
  ck_assert_str_eq(find(pool, &t, "libc6", NULL), "2.36-9+deb12u4");
  ck_assert_ptr_nonnull(find(pool, &t, "awk", NULL));        /* the real awk, not aaa-awk */
  ck_assert_ptr_null(find(pool, &t, "aaa-awk", NULL));
  ck_assert_ptr_nonnull(find(pool, &t, "exim4", NULL));
  ck_assert_ptr_null(find(pool, &t, "postfix", NULL));
  size_t app, base;
  find(pool, &t, "app", &app);
  find(pool, &t, "base", &base);
  ck_assert_uint_lt(base, app); /* Pre-Depends first */
  vzt_transaction_clear(&t);
  pool_free(pool);
}
END_TEST

START_TEST(resolution_errors_name_the_package)
{
  Pool *pool = test_pool();
  char *none[] = {NULL};
  char *missing[] = {"nosuch", NULL};
  struct vzt_transaction t;
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_resolve(pool, NULL, none, missing, none, &t, &err), -1);
  ck_assert_ptr_nonnull(strstr(err->msg, "nosuch"));
  vzt_error_free(&err);
  pool_free(pool);
  pool = test_pool();
  char *app[] = {"app", NULL};
  char *excl[] = {"base", NULL};
  ck_assert_int_eq(vzt_resolve(pool, NULL, none, app, excl, &t, &err), -1);
  ck_assert_ptr_nonnull(strstr(err->msg, "cannot resolve"));
  vzt_error_free(&err);
  pool_free(pool);
  pool = test_pool();
  char *foreign[] = {"other-arch", NULL};
  ck_assert_int_eq(vzt_resolve(pool, NULL, none, foreign, none, &t, &err), -1);
  vzt_error_free(&err);
  pool_free(pool);
}
END_TEST

/* The index reader: base-set names, sizes, the SHA256 kept while SHA384 and
 * SHA512 lines (which overflow Debian 12's libsolv) are dropped, and a
 * package listed twice with different contents refused. */
START_TEST(packages_index_parse)
{
  static const char text[] =
      "Package: ess\nVersion: 1\nArchitecture: all\nEssential: yes\nSize: 11\n"
      "SHA512: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
      "SHA256: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
      "Filename: pool/ess_1_all.deb\n\n"
      "Package: req\nVersion: 2\nArchitecture: all\nPriority: required\nSize: 22\n"
      "Filename: pool/req_2_all.deb\n"
      "sha384: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
      "Depends: ess\n";
  Pool *pool = pool_create();
  pool_setdisttype(pool, DISTTYPE_DEB);
  pool_setarch(pool, "amd64");
  Repo *repo = repo_create(pool, "t");
  char **required = calloc(1, sizeof(char *)), **essential = calloc(1, sizeof(char *));
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_deb_index_parse(repo, text, sizeof(text) - 1, &required, &essential, &err), 0);
  ck_assert_int_eq(repo->nsolvables, 2);
  ck_assert(vzt_strv_contains(essential, "ess") && !vzt_strv_contains(essential, "req"));
  ck_assert(vzt_strv_contains(required, "ess") && vzt_strv_contains(required, "req"));
  Id p;
  Solvable *sv;
  FOR_REPO_SOLVABLES(repo, p, sv) {
    const char *name = pool_id2str(pool, sv->name);
    Id type = 0;
    const char *sum = solvable_lookup_checksum(sv, SOLVABLE_CHECKSUM, &type);
    if (!strcmp(name, "ess")) {
      ck_assert_int_eq(type, REPOKEY_TYPE_SHA256);
      ck_assert_str_eq(sum, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
      ck_assert_int_eq(solvable_lookup_num(sv, SOLVABLE_DOWNLOADSIZE, 0), 11);
    } else {
      ck_assert_ptr_null(sum);
      ck_assert_int_eq(solvable_lookup_num(sv, SOLVABLE_DOWNLOADSIZE, 0), 22);
      ck_assert_int_ne(sv->requires, 0); /* the field after the dropped line is still read */
    }
  }
  vzt_strv_free(required);
  vzt_strv_free(essential);

  /* The same stanza again, now Essential: a contradiction. */
  static const char twice[] = "Package: d\nVersion: 1\nArchitecture: all\n\n"
                              "Package: d\nVersion: 1\nArchitecture: all\nEssential: yes\n";
  required = calloc(1, sizeof(char *));
  essential = calloc(1, sizeof(char *));
  ck_assert_int_eq(vzt_deb_index_parse(repo, twice, sizeof(twice) - 1, &required, &essential, &err), -1);
  ck_assert_ptr_nonnull(strstr(err->msg, "lists d 1 all twice"));
  ck_assert_int_eq(err->status, VZT_EXIT_REFUSED);
  vzt_error_free(&err);

  /* A NUL, which libsolv reads as a line break and our reader as data. */
  static const char nul[] = "Package: n\nVersion: 1\0SHA512: 00\n";
  ck_assert_int_eq(vzt_deb_index_parse(repo, nul, sizeof(nul) - 1, &required, &essential, &err), -1);
  ck_assert_ptr_nonnull(strstr(err->msg, "NUL byte"));
  vzt_error_free(&err);
  vzt_strv_free(required);
  vzt_strv_free(essential);
  pool_free(pool);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("deb");
  TCase *tc = tcase_create("deb");
  tcase_add_test(tc, stanzas_with_continuations_and_blank_lines);
  tcase_add_test(tc, release_fields_dates_and_hashes);
  tcase_add_test(tc, release_without_sha256_or_with_bad_lines_is_refused);
  tcase_add_test(tc, debian_version_rules);
  tcase_add_test(tc, resolution_prefers_real_packages_highest_versions_and_orders);
  tcase_add_test(tc, resolution_errors_name_the_package);
  tcase_add_test(tc, packages_index_parse);
  suite_add_tcase(s, tc);
  return vzt_unit_run(s);
}
