/* Shared by the unit tests: run a check suite and turn its result into an
 * exit code, and find the outside conformance data some of them read. */
#pragma once
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* automake's code for a test that could not run: counted as SKIP. */
#define VZT_UNIT_SKIP 77

static inline int vzt_unit_run(Suite *s)
{
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Ends the program as skipped, saying what could not run and why. */
#define vzt_unit_skip(...)                                                                         \
  do {                                                                                             \
    fprintf(stderr, "SKIP: " __VA_ARGS__);                                                         \
    fputc('\n', stderr);                                                                           \
    exit(VZT_UNIT_SKIP);                                                                           \
  } while (0)

/* The outside conformance data (real repositories written by other
 * projects, never committed here): $VZTMPL_FIXTURES, else ../shared/fixtures
 * beside the source tree. The same rule as need_fixtures in
 * tests/integration/testlib.sh. */
static inline const char *vzt_unit_fixtures(void)
{
  static char dir[4096];
  const char *env = getenv("VZTMPL_FIXTURES");
  int n = env && *env ? snprintf(dir, sizeof(dir), "%s", env)
                      : snprintf(dir, sizeof(dir), "%s/../shared/fixtures", VZT_TEST_SRCDIR);
  if (n < 0 || (size_t) n >= sizeof(dir))
    abort(); /* a path longer than any this machine opens */
  return dir;
}

/* The path of rel inside the fixtures (static storage, reused after eight
 * calls). */
static inline const char *vzt_unit_fixture(const char *rel)
{
  static char paths[8][4096];
  static unsigned next;
  char *p = paths[next++ % 8];
  int n = snprintf(p, sizeof(paths[0]), "%s/%s", vzt_unit_fixtures(), rel);
  if (n < 0 || (size_t) n >= sizeof(paths[0]))
    abort();
  return p;
}

/* Called from main before the suite runs: a program whose every case reads
 * the fixture set `name` is skipped, naming it and where it was looked for,
 * when that set is absent; twin cases on data the tests make themselves
 * keep the same checks running. */
static inline void vzt_unit_need_fixtures(const char *program, const char *name)
{
  const char *path = vzt_unit_fixture(name);
  if (access(path, R_OK) != 0)
    vzt_unit_skip("%s: the conformance data %s is not at %s (set VZTMPL_FIXTURES to the "
                  "directory that holds it)",
                  program, name, path);
}
