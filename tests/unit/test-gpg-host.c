/* Unit test of fetch/gpg-verify.c on the real thing where the host has it:
 * apt's Debian InRelease files and Debian's archive keyring; skipped,
 * saying so, on a host without them. */
#include "config.h"
#include "fetch/gpg.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"
#include "tests/unit/unit.h"

#include <check.h>
#include <dirent.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define KEYRING "/usr/share/keyrings/debian-archive-keyring.gpg"
#define LISTS "/var/lib/apt/lists/*_InRelease"

static char **inreleases; /* the host's InRelease files signed by Debian */
static char tmpdir[] = "/tmp/vzt-test-gpg-host.XXXXXX";

static double now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

START_TEST(host_inrelease)
{
  for (size_t i = 0; inreleases[i]; i++) {
    _cleanup_free_ char *data = NULL;
    size_t len = 0;
    ck_assert_int_eq(vzt_read_file(inreleases[i], &data, &len, NULL), 0);
    struct vzt_gpg_result res;
    _cleanup_error_ struct vzt_error *err = NULL;
    double t0 = now_ms();
    int r = vzt_gpg_verify(KEYRING, NULL, data, len, NULL, 0, inreleases[i], &res, &err);
    ck_assert_msg(r == 0, "%s: %s", inreleases[i], err ? err->msg : "");
    fprintf(stderr, "%s: good signature by %s in %.0f ms\n", inreleases[i], res.fingerprint,
            now_ms() - t0);
    ck_assert(vzt_startswith(res.plaintext, "Origin: Debian\n"));
    ck_assert_ptr_nonnull(strstr(res.plaintext, "\nSHA256:\n"));
    ck_assert_ptr_null(strstr(res.plaintext, "-----BEGIN PGP SIGNATURE-----"));
    vzt_gpg_result_free(&res);
  }
  /* The temporary GnuPG home is gone again. */
  DIR *d = opendir(tmpdir);
  ck_assert_ptr_nonnull(d);
  struct dirent *de;
  while ((de = readdir(d)))
    ck_assert_msg(!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."), "%s left behind in %s",
                  de->d_name, tmpdir);
  closedir(d);
}
END_TEST

int main(void)
{
  if (access(KEYRING, R_OK) != 0)
    vzt_unit_skip("test-gpg-host: no Debian archive keyring at %s", KEYRING);
  glob_t g;
  inreleases = calloc(1, sizeof(char *));
  if (glob(LISTS, 0, NULL, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; i++) {
      _cleanup_free_ char *data = NULL;
      size_t len = 0;
      /* A third-party repository is signed by a key not in Debian's keyring. */
      if (vzt_read_file(g.gl_pathv[i], &data, &len, NULL) == 0 && strstr(data, "\nOrigin: Debian\n"))
        vzt_strv_push(&inreleases, g.gl_pathv[i]);
    }
    globfree(&g);
  }
  if (!inreleases[0])
    vzt_unit_skip("test-gpg-host: no Debian InRelease in %s (run apt-get update)", LISTS);
  if (!mkdtemp(tmpdir))
    return EXIT_FAILURE;
  setenv("TMPDIR", tmpdir, 1);
  Suite *s = suite_create("gpg-host");
  TCase *tc = tcase_create("gpg-host");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, host_inrelease);
  suite_add_tcase(s, tc);
  int rc = vzt_unit_run(s);
  rmdir(tmpdir);
  vzt_strv_free(inreleases);
  return rc;
}
