/* The SBOM's parts that stand alone: package URLs encoded as the purl
 * specification asks, and Debian copyright files read into SPDX licenses. */
#include "config.h"
#include "tests/unit/unit.h"
#include "tmpl/sbom/dep5.h"
#include "tmpl/sbom/purl.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

#include <string.h>

START_TEST(test_purl_deb)
{
  const char *q[] = {"distro", "debian-12", "arch", "amd64", NULL};
  _cleanup_free_ char *p = vzt_purl("deb", "debian", "bash", "5.2.15-2+b7", q);
  ck_assert_str_eq(p, "pkg:deb/debian/bash@5.2.15-2%2Bb7?arch=amd64&distro=debian-12");
}
END_TEST

START_TEST(test_purl_encoding)
{
  /* An epoch's ':' stays; '+', '~' of "1.0~rc1" is unreserved; '/', ' ', '@', '%' and UTF-8 are encoded. */
  const char *q[] = {"arch", "x86_64", "epoch", NULL, "distro", "fedora-40", NULL};
  _cleanup_free_ char *rpm = vzt_purl("rpm", "fedora", "libstdc++", "14.1.1-5.fc40", q);
  ck_assert_str_eq(rpm, "pkg:rpm/fedora/libstdc%2B%2B@14.1.1-5.fc40?arch=x86_64&distro=fedora-40");
  _cleanup_free_ char *e = vzt_purl_encode("1:2.3~rc1 a/b@c%d\xc3\xa9");
  ck_assert_str_eq(e, "1:2.3~rc1%20a%2Fb%40c%25d%C3%A9");
  _cleanup_free_ char *bare = vzt_purl("generic", NULL, "x", NULL, NULL);
  ck_assert_str_eq(bare, "pkg:generic/x");
}
END_TEST

static const char copyright[] =
    "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
    "Upstream-Name: demo\n"
    "\n"
    "Files: *\n"
    "Copyright: 2020 Someone\n"
    "License: GPL-2+\n"
    "\n"
    "Files: lib/*\n"
    "Copyright: 2021 Other\n"
    "License: LGPL-2.1+ or Artistic\n"
    "\n"
    "Files: debian/*\n"
    "Copyright: 2022 Packager\n"
    "License: GPL-2+\n"
    "\n"
    "Files: contrib/*\n"
    "Copyright: 2023 Odd\n"
    "License: Odd-License\n"
    " You may do anything.\n"
    " .\n"
    " Really.\n"
    "\n"
    "License: GPL-2+\n"
    " On Debian systems see /usr/share/common-licenses/GPL-2.\n";

START_TEST(test_dep5_licenses)
{
  struct vzt_dep5 d;
  ck_assert_int_eq(vzt_dep5_parse(copyright, strlen(copyright), &d), 1);
  /* Unique, sorted; the standalone License paragraph adds none. */
  ck_assert_uint_eq(vzt_strv_len(d.licenses), 3);
  ck_assert_str_eq(d.licenses[0], "GPL-2+");
  ck_assert_str_eq(d.licenses[1], "LGPL-2.1+ or Artistic");
  ck_assert_str_eq(d.licenses[2], "Odd-License");
  ck_assert_str_eq(vzt_dep5_text(&d, "Odd-License"), "You may do anything.\n\nReally.");
  _cleanup_strv_ char **ids = calloc(1, sizeof(char *));
  _cleanup_strv_ char **names = calloc(1, sizeof(char *));
  _cleanup_free_ char *expr = vzt_dep5_declared(&d, &ids, &names);
  ck_assert_str_eq(expr, "GPL-2.0-or-later AND (LGPL-2.1-or-later OR Artistic-1.0) AND "
                         "LicenseRef-Odd-License");
  ck_assert_uint_eq(vzt_strv_len(ids), 1);
  ck_assert_str_eq(ids[0], "LicenseRef-Odd-License");
  ck_assert_str_eq(names[0], "Odd-License");
  vzt_dep5_clear(&d);
}
END_TEST

START_TEST(test_dep5_not_machine_readable)
{
  static const char old[] = "This is the Debian prepackaged version of something.\n"
                            "License: GPL\n";
  static const char other[] = "Format: http://dep.debian.net/deps/dep5/\n\n"
                              "Files: *\nLicense: MIT\n";
  static const char no_files[] = "Format: https://www.debian.org/doc/packaging-manuals/"
                                 "copyright-format/1.0/\n\nLicense: MIT\n text\n";
  struct vzt_dep5 d;
  ck_assert_int_eq(vzt_dep5_parse(old, strlen(old), &d), 0);
  ck_assert_int_eq(vzt_dep5_parse(other, strlen(other), &d), 0);
  ck_assert_int_eq(vzt_dep5_parse(no_files, strlen(no_files), &d), 0);
  ck_assert_int_eq(vzt_dep5_parse("", 0, &d), 0);
}
END_TEST

/* Debian's names as SPDX ids, or LicenseRefs SPDX accepts. */
START_TEST(test_dep5_to_spdx)
{
  static const char *const cases[][2] = {
      {"GPL-2", "GPL-2.0-only"},
      {"GPL-3+", "GPL-3.0-or-later"},
      {"LGPL-2.1", "LGPL-2.1-only"},
      {"GFDL-1.3+", "GFDL-1.3-or-later"},
      {"Expat", "MIT"},
      {"BSD-3-clause", "BSD-3-Clause"},
      {"zlib", "Zlib"},
      {"Apache-2", "Apache-2.0"},
      {"MPL-1.1+", "MPL-1.1+"},
      {"GPL-2+ and/or BSD-2-clause", "GPL-2.0-or-later OR BSD-2-Clause"},
      {"public-domain", "LicenseRef-public-domain"},
      {"GFDL-NIV-1.3+", "LicenseRef-GFDL-NIV-1.3-or-later"},
      {"GPL-3+ with Bison exception", "LicenseRef-GPL-3--with-Bison-exception"},
      {"GPL-1+ or Artistic, and BSD", "LicenseRef-GPL-1--or-Artistic--and-BSD"},
  };
  for (size_t i = 0; i < VZT_ARRAY_SIZE(cases); i++) {
    _cleanup_strv_ char **ids = calloc(1, sizeof(char *));
    _cleanup_strv_ char **names = calloc(1, sizeof(char *));
    _cleanup_free_ char *e = vzt_dep5_to_spdx(cases[i][0], &ids, &names);
    ck_assert_str_eq(e, cases[i][1]);
    ck_assert_uint_eq(vzt_strv_len(ids), vzt_startswith(cases[i][1], "LicenseRef-") ? 1 : 0);
  }
}
END_TEST

int main(void)
{
  Suite *s = suite_create("sbom");
  TCase *tc = tcase_create("sbom");
  tcase_add_test(tc, test_purl_deb);
  tcase_add_test(tc, test_purl_encoding);
  tcase_add_test(tc, test_dep5_licenses);
  tcase_add_test(tc, test_dep5_not_machine_readable);
  tcase_add_test(tc, test_dep5_to_spdx);
  suite_add_tcase(s, tc);
  return vzt_unit_run(s);
}
