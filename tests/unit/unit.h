/* Shared by the unit tests: run a check suite and turn its result into an exit code. */
#pragma once
#include <check.h>
#include <stdlib.h>

static inline int vzt_unit_run(Suite *s)
{
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
