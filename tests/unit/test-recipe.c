/* Unit tests for recipes and architecture names. */
#include "config.h"
#include "tmpl/arch.h"
#include "tmpl/recipe.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"

#include "tests/unit/unit.h"
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECIPES VZT_TEST_SRCDIR "/recipes"

static struct vzt_recipe *load(const char *spec)
{
  char *path = NULL;
  struct vzt_error *err = NULL;
  ck_assert_msg(vzt_recipe_find(RECIPES, spec, &path, &err) == 0, "%s", err ? err->msg : "");
  struct vzt_recipe *r = NULL;
  ck_assert_msg(vzt_recipe_load(path, &r, &err) == 0, "%s", err ? err->msg : "");
  free(path);
  return r;
}

START_TEST(lookup_by_name_release_and_codename)
{
  struct vzt_recipe *r = load("debian");
  ck_assert_str_eq(r->codename, "trixie");
  ck_assert_str_eq(r->default_variant, "minimal");
  vzt_recipe_free(r);
  r = load("debian:12");
  ck_assert_str_eq(r->codename, "bookworm");
  vzt_recipe_free(r);
  r = load("debian:bookworm");
  ck_assert_str_eq(r->release, "12");
  ck_assert_uint_eq(r->nrepos, 2);
  ck_assert(vzt_strv_contains(r->repos[0].suites, "bookworm-updates"));
  ck_assert(vzt_strv_contains(r->repos[1].suites, "bookworm-security"));
  ck_assert_uint_ge(vzt_strv_len(r->repos[0].keys), 1);
  vzt_recipe_free(r);
  char *path = NULL;
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_recipe_find(RECIPES, "debian:99", &path, &err), -1);
  ck_assert_int_eq(err->status, VZT_EXIT_USAGE);
  vzt_error_free(&err);
}
END_TEST

START_TEST(variants_extend_and_select_per_architecture)
{
  struct vzt_recipe *r = load("debian:12");
  struct vzt_selection sel;
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_recipe_select(r, "minbase", "amd64", &sel, &err), 0);
  ck_assert_str_eq(sel.base, "required");
  ck_assert_uint_eq(vzt_strv_len(sel.install), 1);
  ck_assert_str_eq(sel.install[0], "apt");
  vzt_selection_clear(&sel);
  ck_assert_int_eq(vzt_recipe_select(r, "standard", "ppc64el", &sel, &err), 0);
  ck_assert(vzt_strv_contains(sel.install, "apt"));
  ck_assert(vzt_strv_contains(sel.install, "openssh-server"));
  ck_assert(vzt_strv_contains(sel.install, "powerpc-ibm-utils"));
  ck_assert(!vzt_strv_contains(sel.install, "cpuid"));
  vzt_selection_clear(&sel);
  ck_assert_int_eq(vzt_recipe_select(r, "standard", "amd64", &sel, &err), 0);
  ck_assert(vzt_strv_contains(sel.install, "cpuid"));
  vzt_selection_clear(&sel);
  ck_assert_int_eq(vzt_recipe_select(r, "huge", "amd64", &sel, &err), -1);
  ck_assert_ptr_nonnull(strstr(err->msg, "no variant"));
  vzt_error_free(&err);
  ck_assert_int_eq(vzt_recipe_select(r, "minbase", "m68k", &sel, &err), -1);
  vzt_error_free(&err);
  vzt_recipe_free(r);
}
END_TEST

static char *write_recipe(const char *text)
{
  char *path = strdup("/tmp/vzt-recipe.XXXXXX");
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(vzt_write_all(fd, text, strlen(text)), 0);
  close(fd);
  return path;
}

static void expect_bad(const char *text, const char *fragment)
{
  char *path = write_recipe(text);
  struct vzt_recipe *r = NULL;
  struct vzt_error *err = NULL;
  ck_assert_msg(vzt_recipe_load(path, &r, &err) == -1, "accepted: %s", text);
  ck_assert_msg(strstr(err->msg, fragment), "\"%s\" lacks \"%s\"", err->msg, fragment);
  ck_assert_ptr_nonnull(strstr(err->msg, path)); /* names the file */
  vzt_error_free(&err);
  unlink(path);
  free(path);
}

#define GOOD_HEAD "[template]\ndistribution = t\nrelease = 1\narchitectures = amd64\n"
#define GOOD_REPO "[repository main]\nfamily = deb\nmirror = http://mirror.example/d\nsuites = s\n"

START_TEST(bad_recipes_are_refused_with_their_name)
{
  expect_bad(GOOD_HEAD GOOD_REPO "[packages]\ninstal = x\n", "unknown key \"instal\"");
  expect_bad(GOOD_HEAD GOOD_REPO "[pakages]\ninstall = x\n", "unknown section [pakages]");
  expect_bad("[template]\ndistribution = t\narchitectures = amd64\n" GOOD_REPO, "needs distribution and release");
  expect_bad(GOOD_HEAD, "no [repository NAME]");
  expect_bad(GOOD_HEAD "[repository main]\nfamily = deb\nsuites = s\n", "needs mirror");
  expect_bad(GOOD_HEAD GOOD_REPO "this is not ini\n", "syntax error");
  expect_bad(GOOD_HEAD "variants = a b\ndefault-variant = c\n" GOOD_REPO, "default-variant c");
  expect_bad(GOOD_HEAD GOOD_REPO "[packages]\nweak = maybe\n", "say yes or no");
}
END_TEST

/* weak: unsaid is -1 (the family's default); a variant's setting replaces
 * the one it extends. */
START_TEST(weak_dependencies_setting_per_variant)
{
  char *path = write_recipe(GOOD_HEAD "variants = plain full\n" GOOD_REPO
                            "[variant plain]\n[variant full]\nweak = yes\n");
  struct vzt_recipe *r = NULL;
  struct vzt_error *err = NULL;
  ck_assert_msg(vzt_recipe_load(path, &r, &err) == 0, "%s", err ? err->msg : "");
  struct vzt_selection sel;
  ck_assert_int_eq(vzt_recipe_select(r, "plain", "amd64", &sel, &err), 0);
  ck_assert_int_eq(sel.weak, -1);
  vzt_selection_clear(&sel);
  ck_assert_int_eq(vzt_recipe_select(r, "full", "amd64", &sel, &err), 0);
  ck_assert_int_eq(sel.weak, 1);
  vzt_selection_clear(&sel);
  vzt_recipe_free(r);
  unlink(path);
  free(path);
  path = write_recipe(GOOD_HEAD "variants = a b\n" GOOD_REPO
                      "[packages]\nweak = yes\n[variant a]\n[variant b]\nextends = a\nweak = no\n");
  ck_assert_int_eq(vzt_recipe_load(path, &r, &err), 0);
  ck_assert_int_eq(vzt_recipe_select(r, "a", "amd64", &sel, &err), 0);
  ck_assert_int_eq(sel.weak, 1);
  vzt_selection_clear(&sel);
  ck_assert_int_eq(vzt_recipe_select(r, "b", "amd64", &sel, &err), 0);
  ck_assert_int_eq(sel.weak, 0);
  vzt_selection_clear(&sel);
  vzt_recipe_free(r);
  unlink(path);
  free(path);
}
END_TEST

START_TEST(relative_keyring_is_beside_the_recipe_and_hash_recorded)
{
  char *path = write_recipe(GOOD_HEAD "[repository main]\nfamily = deb\nmirror = file:///x\nsuites = s\n"
                                      "keyring = keys/test.gpg\n");
  struct vzt_recipe *r = NULL;
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_recipe_load(path, &r, &err), 0);
  ck_assert_str_eq(r->repos[0].keyring, "/tmp/keys/test.gpg");
  ck_assert_uint_eq(strlen(r->sha256), 64);
  ck_assert_str_eq(r->repos[0].components[0], "main");
  vzt_recipe_free(r);
  unlink(path);
  free(path);
}
END_TEST

START_TEST(a_golden_recipe_inherits_its_base)
{
  char *path = write_recipe("[template]\nbase = debian:12\nvariant = minbase\nname = acme\n"
                            "[packages]\ninstall = vim-tiny\n[files]\n/etc/motd = motd\n");
  struct vzt_recipe *r = NULL;
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_recipe_load(path, &r, &err), 0);
  ck_assert_ptr_null(r->distribution); /* not before the base is merged */
  ck_assert_msg(vzt_recipe_inherit(r, RECIPES, &err) == 0, "%s", err ? err->msg : "");
  ck_assert_str_eq(r->distribution, "debian");
  ck_assert_str_eq(r->codename, "bookworm");
  ck_assert_str_eq(r->name, "acme");
  ck_assert_str_eq(r->default_variant, "minbase");
  ck_assert_uint_eq(r->nrepos, 2);
  struct vzt_selection sel;
  ck_assert_int_eq(vzt_recipe_select(r, "minbase", "amd64", &sel, &err), 0);
  ck_assert_str_eq(sel.base, "required");
  ck_assert(vzt_strv_contains(sel.install, "apt"));      /* the base's */
  ck_assert(vzt_strv_contains(sel.install, "vim-tiny")); /* and its own */
  vzt_selection_clear(&sel);
  vzt_recipe_free(r);
  unlink(path);
  free(path);
  /* Without "name =" a golden image is named after its file, never its base. */
  path = write_recipe("[template]\nbase = debian:12\nvariant = minbase\n");
  char *conf = vzt_strdupf("%s-acme-web.conf", path);
  ck_assert_int_eq(rename(path, conf), 0);
  ck_assert_int_eq(vzt_recipe_load(conf, &r, &err), 0);
  ck_assert_msg(vzt_recipe_inherit(r, RECIPES, &err) == 0, "%s", err ? err->msg : "");
  char *want = vzt_strdupf("%s-acme-web", strrchr(path, '/') + 1);
  ck_assert_ptr_nonnull(r->name);
  ck_assert_str_eq(r->name, want);
  free(want);
  vzt_recipe_free(r);
  unlink(conf);
  free(conf);
  free(path);
  path = write_recipe("[template]\nbase = debian:99\n");
  ck_assert_int_eq(vzt_recipe_load(path, &r, &err), 0);
  ck_assert_int_eq(vzt_recipe_inherit(r, RECIPES, &err), -1);
  ck_assert_ptr_nonnull(strstr(err->msg, "base"));
  vzt_error_free(&err);
  vzt_recipe_free(r);
  unlink(path);
  free(path);
}
END_TEST

START_TEST(architecture_names_map_both_ways)
{
  ck_assert_str_eq(vzt_arch_lookup("ppc64el")->canonical, "ppc64le");
  ck_assert_str_eq(vzt_arch_lookup("ppc64le")->deb, "ppc64el");
  ck_assert_str_eq(vzt_arch_lookup("x86_64")->deb, "amd64");
  ck_assert_str_eq(vzt_arch_lookup("arm64")->canonical, "aarch64");
  ck_assert_str_eq(vzt_arch_lookup("i586")->deb, "i386");
  ck_assert_str_eq(vzt_arch_lookup("armhf")->rpm, "armv7hl");
  ck_assert_ptr_null(vzt_arch_lookup("vax"));
  ck_assert_ptr_nonnull(vzt_arch_host());
}
END_TEST

int main(void)
{
  Suite *s = suite_create("recipe");
  TCase *tc = tcase_create("recipes");
  tcase_add_test(tc, lookup_by_name_release_and_codename);
  tcase_add_test(tc, variants_extend_and_select_per_architecture);
  tcase_add_test(tc, bad_recipes_are_refused_with_their_name);
  tcase_add_test(tc, weak_dependencies_setting_per_variant);
  tcase_add_test(tc, relative_keyring_is_beside_the_recipe_and_hash_recorded);
  tcase_add_test(tc, a_golden_recipe_inherits_its_base);
  tcase_add_test(tc, architecture_names_map_both_ways);
  suite_add_tcase(s, tc);
  return vzt_unit_run(s);
}
