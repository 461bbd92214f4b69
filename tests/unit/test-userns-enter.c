/* Unit test for kernel-support/userns.c: entering a user namespace as an
 * ordinary user (nobody), which only root can become; skipped otherwise. */
#include "config.h"

#include <check.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel-support/userns.h"
#include "lib/cleanup.h"
#include "lib/error.h"
#include "tests/unit/unit.h"

/* nobody has no subordinate range anywhere we run: a build is refused with
 * the line to add, an exec gets a namespace with only 0 mapped. */
START_TEST(enter_as_nobody)
{
  pid_t p = fork();
  ck_assert_int_ge(p, 0);
  if (p == 0) {
    /* A process that changed its ids is not dumpable, and its /proc/self
     * stays root's: a user starting vztmpl is. */
    if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0 ||
        prctl(PR_SET_DUMPABLE, 1) < 0)
      _exit(10);
    struct vzt_error *err = NULL;
    if (vzt_userns_enter(true, &err) == 0)
      _exit(11);
    _cleanup_free_ char *text = vzt_error_text(err);
    if (!strstr(text, "no subordinate uid range") || !strstr(text, "usermod --add-subuids"))
      _exit(12);
    vzt_error_free(&err);
    if (vzt_userns_active() || geteuid() != 65534)
      _exit(13);
    if (vzt_userns_enter(false, &err) < 0) {
      _cleanup_free_ char *t = vzt_error_text(err);
      fprintf(stderr, "test-userns: %s\n", t);
      _exit(14);
    }
    if (!vzt_userns_active() || geteuid() != 0 || getegid() != 0 || vzt_userns_host_uid() != 65534)
      _exit(15);
    _exit(0);
  }
  int st;
  ck_assert_int_eq(waitpid(p, &st, 0), p);
  ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child failed at step %d", WEXITSTATUS(st));
}
END_TEST

int main(void)
{
  if (geteuid() != 0)
    vzt_unit_skip("test-userns-enter: entering as nobody needs root to become nobody");
  Suite *s = suite_create("userns-enter");
  TCase *tc = tcase_create("userns-enter");
  tcase_add_test(tc, enter_as_nobody);
  suite_add_tcase(s, tc);
  return vzt_unit_run(s);
}
