/* Unit tests for tmpl/lifecycle/update.c and the inputs tmpl/manifest.c records for it. */
#include "config.h"
#include "tmpl/manifest.h"
#include "tmpl/lifecycle/update.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"
#include "unit.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A recipe hash as manifests hold them: 64 lowercase hexadecimal digits. */
#define RECIPE_SHA "ab12000000000000000000000000000000000000000000000000000000000000"

static char *testdir;

static void setup(void)
{
  char tmpl[] = "/tmp/vzt-test-update.XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(tmpl));
  testdir = vzt_strdup(tmpl);
}

static void teardown(void)
{
  vzt_rm_rf(testdir, NULL);
  free(testdir);
}

static char *write_text(const char *name, const char *text)
{
  char *path = vzt_path_join(testdir, name);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  ck_assert_int_eq(fclose(f), 0);
  return path;
}


/* A manifest as a build writes it, with inputs, round-tripped through its JSON. */
static void load_written(const char *recipe, struct vzt_manifest *out)
{
  _cleanup_strv_ char **inc = vzt_strv_split("vim,curl");
  _cleanup_strv_ char **exc = vzt_strv_split("nano");
  _cleanup_strv_ char **mir = vzt_strv_split("http://127.0.0.1:1/debian");
  char *none[] = {NULL};
  struct vzt_manifest m = {.name = (char *) "testdist-1-x86_64", .variant = (char *) "base",
                           .architecture = (char *) "x86_64", .recipe_path = (char *) recipe,
                           .recipe_sha256 = (char *) RECIPE_SHA, .has_inputs = true, .include = inc,
                           .exclude = exc, .mirror_override = mir, .keyring_override = (char *) "/k.gpg",
                           .mirrors = none, .configure = (char *) "chrootless",
                           .configure_tools = (char *) "debian-13-x86_64-minbase@sha256:00ff"};
  _cleanup_free_ char *json = vzt_manifest_to_json(&m);
  _cleanup_free_ char *path = write_text("m.json", json);
  _cleanup_error_ struct vzt_error *err = NULL;
  ck_assert_msg(vzt_manifest_load(path, out, &err) == 0, "%s", err ? err->msg : "");
}

START_TEST(test_inputs_round_trip)
{
  struct vzt_manifest m;
  load_written("/srv/recipes/test.conf", &m);
  ck_assert(m.has_inputs);
  ck_assert_str_eq(m.recipe_path, "/srv/recipes/test.conf");
  ck_assert_str_eq(m.recipe_sha256, RECIPE_SHA);
  ck_assert_int_eq(vzt_strv_len(m.include), 2);
  ck_assert_str_eq(m.include[0], "vim");
  ck_assert_str_eq(m.include[1], "curl");
  ck_assert_int_eq(vzt_strv_len(m.exclude), 1);
  ck_assert_str_eq(m.exclude[0], "nano");
  ck_assert_str_eq(m.mirror_override[0], "http://127.0.0.1:1/debian");
  ck_assert_str_eq(m.keyring_override, "/k.gpg");
  ck_assert_str_eq(m.configure, "chrootless");
  ck_assert_str_eq(m.configure_tools, "debian-13-x86_64-minbase@sha256:00ff");
  vzt_manifest_clear(&m);
}
END_TEST

START_TEST(test_opts_from_manifest)
{
  _cleanup_free_ char *recipe = write_text("test.conf", "[template]\n");
  struct vzt_manifest m;
  load_written(recipe, &m);
  struct vzt_build_opts o = {0};
  _cleanup_error_ struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_update_opts_from_manifest(&m, "m.json", &o, &err), 0);
  ck_assert_str_eq(o.recipe, recipe);
  ck_assert_str_eq(o.arch, "x86_64");
  ck_assert_str_eq(o.variant, "base");
  ck_assert_str_eq(o.include[1], "curl");
  ck_assert_str_eq(o.exclude[0], "nano");
  ck_assert_str_eq(o.keyring, "/k.gpg");
  ck_assert_ptr_null(o.mirrors); /* --mirror and the environment still come first */
  ck_assert_str_eq(o.default_mirrors[0], "http://127.0.0.1:1/debian");

  /* Given again, a list or keyring replaces the recorded one. */
  _cleanup_strv_ char **inc = vzt_strv_split("htop");
  struct vzt_build_opts o2 = {.include = inc, .keyring = "/other.gpg"};
  ck_assert_int_eq(vzt_update_opts_from_manifest(&m, "m.json", &o2, &err), 0);
  ck_assert_int_eq(vzt_strv_len(o2.include), 1);
  ck_assert_str_eq(o2.include[0], "htop");
  ck_assert_str_eq(o2.keyring, "/other.gpg");
  ck_assert_str_eq(o2.exclude[0], "nano");
  vzt_manifest_clear(&m);
}
END_TEST

START_TEST(test_old_manifest_refused)
{
  _cleanup_free_ char *path = write_text(
      "old.json", "{ \"name\": \"debian-13-x86_64\", \"recipe\": { \"path\": \"/r.conf\" },"
                  " \"packages\": [ { \"name\": \"apt\", \"version\": \"3.0\" } ] }");
  struct vzt_manifest m;
  _cleanup_error_ struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_manifest_load(path, &m, &err), 0);
  ck_assert(!m.has_inputs);
  ck_assert_int_eq(m.npackages, 1);
  struct vzt_build_opts o = {0};
  ck_assert_int_eq(vzt_update_opts_from_manifest(&m, path, &o, &err), -1);
  ck_assert_ptr_nonnull(strstr(err->msg, "predates"));
  ck_assert_ptr_nonnull(strstr(err->msg, path));
  ck_assert_ptr_nonnull(strstr(err->msg, "build RECIPE --update"));
  ck_assert_ptr_null(o.recipe);
  vzt_manifest_clear(&m);
}
END_TEST

START_TEST(test_recipe_gone)
{
  struct vzt_manifest m;
  load_written("/nonexistent/vztmpl/test.conf", &m);
  struct vzt_build_opts o = {0};
  _cleanup_error_ struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_update_opts_from_manifest(&m, "m.json", &o, &err), -1);
  ck_assert_ptr_nonnull(strstr(err->msg, "/nonexistent/vztmpl/test.conf"));
  vzt_manifest_clear(&m);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("update");
  TCase *tc = tcase_create("update");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_inputs_round_trip);
  tcase_add_test(tc, test_opts_from_manifest);
  tcase_add_test(tc, test_old_manifest_refused);
  tcase_add_test(tc, test_recipe_gone);
  suite_add_tcase(s, tc);
  return vzt_unit_run(s);
}
