/* Unit tests for fetch/gpg-verify.c against keys and signatures generated at
 * test time (the host's own Debian InRelease files: test-gpg-host). */
#include "config.h"
#include "fetch/gpg.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"
#include "tests/unit/unit.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gpgme.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char release_text[] =
    "Origin: Debian\n"
    "Label: Debian\n"
    "Suite: stable\n"
    "Codename: bookworm\n"
    "Date: Sat, 10 Jun 2023 08:54:55 UTC\n"
    "Valid-Until: Sat, 17 Jun 2023 08:54:55 UTC\n"
    "- a line that starts with a dash\n"
    "-----END PGP SIGNATURE-----\n"
    "SHA256:\n"
    " 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03 6 main/binary-amd64/Packages\n";

static const char other_text[] = "Origin: Evil\nSHA256:\n 0000 1 main/binary-amd64/Packages\n";

/* Everything the fixture makes once, before the tests fork. */
static struct {
  char *dir;  /* test directory */
  char *home; /* GNUPGHOME of the signer */
  char *tmpdir; /* TMPDIR for the code under test: must be left empty */
  char *fpr_a, *fpr_b, *fpr_c, *fpr_c_sub, *fpr_x;
  char *ring_a_gpg, *ring_a_asc, *ring_b, *ring_ab, *ring_c, *ring_x, *ring_empty;
  char *clear_a;      /* release_text clearsigned by A */
  char *clear_b_other; /* other_text clearsigned by B */
  char *clear_c;      /* release_text clearsigned by C's subkey */
  char *clear_x;      /* release_text clearsigned by X, which has expired by now */
  time_t x_expires;
  char *detached_a; /* armored, over release_text */
  size_t detached_a_len;
  char *detached_a_bin; /* binary */
  size_t detached_a_bin_len;
} fx;

static void gcheck(gpgme_error_t ge, const char *what)
{
  if (ge) {
    fprintf(stderr, "test fixture: %s: %s\n", what, gpgme_strerror(ge));
    abort();
  }
}

static gpgme_ctx_t new_ctx(void)
{
  gpgme_ctx_t ctx;
  gcheck(gpgme_new(&ctx), "gpgme_new");
  gcheck(gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, fx.home), "engine info");
  return ctx;
}

static char *data_take(gpgme_data_t d, size_t *len)
{
  size_t n = 0;
  char *mem = gpgme_data_release_and_get_mem(d, &n);
  char *out = malloc(n + 1);
  memcpy(out, mem, n);
  out[n] = 0;
  gpgme_free(mem);
  if (len)
    *len = n;
  return out;
}

static char *create_key(gpgme_ctx_t ctx, const char *uid, unsigned long expires)
{
  unsigned flags = GPGME_CREATE_NOPASSWD | GPGME_CREATE_SIGN | (expires ? 0 : GPGME_CREATE_NOEXPIRE);
  gcheck(gpgme_op_createkey(ctx, uid, "ed25519", 0, expires, NULL, flags), "createkey");
  return vzt_strdup(gpgme_op_genkey_result(ctx)->fpr);
}

static char *export_keys(gpgme_ctx_t ctx, const char **fprs, bool armor, const char *name)
{
  gpgme_data_t d;
  gcheck(gpgme_data_new(&d), "data");
  gpgme_set_armor(ctx, armor);
  gcheck(gpgme_op_export_ext(ctx, fprs, 0, d), "export");
  size_t len;
  _cleanup_free_ char *buf = data_take(d, &len);
  char *path = vzt_path_join(fx.dir, name);
  FILE *f = fopen(path, "w");
  fwrite(buf, 1, len, f);
  fclose(f);
  return path;
}

static char *sign(gpgme_ctx_t ctx, const char *fpr, const char *text, gpgme_sig_mode_t mode, bool armor,
                  size_t *len)
{
  gpgme_key_t key;
  gcheck(gpgme_get_key(ctx, fpr, &key, 1), "get secret key");
  gpgme_signers_clear(ctx);
  gcheck(gpgme_signers_add(ctx, key), "signers_add");
  gpgme_key_unref(key);
  gpgme_set_armor(ctx, armor);
  gpgme_data_t in, out;
  gcheck(gpgme_data_new_from_mem(&in, text, strlen(text), 0), "data");
  gcheck(gpgme_data_new(&out), "data");
  gcheck(gpgme_op_sign(ctx, in, out, mode), "sign");
  gpgme_data_release(in);
  return data_take(out, len);
}

static void setup(void)
{
  gpgme_check_version(NULL);
  char tmpl[] = "/tmp/vzt-test-gpg.XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(tmpl));
  fx.dir = vzt_strdup(tmpl);
  fx.home = vzt_path_join(fx.dir, "home");
  fx.tmpdir = vzt_path_join(fx.dir, "tmp");
  ck_assert_int_eq(mkdir(fx.home, 0700), 0);
  ck_assert_int_eq(mkdir(fx.tmpdir, 0700), 0);
  setenv("TMPDIR", fx.tmpdir, 1);

  gpgme_ctx_t ctx = new_ctx();
  /* X first: its one-second life runs out while the others are made. */
  fx.fpr_x = create_key(ctx, "Expiring Key <x@example.org>", 1);
  fx.x_expires = time(NULL) + 1;
  fx.clear_x = sign(ctx, fx.fpr_x, release_text, GPGME_SIG_MODE_CLEAR, true, NULL);
  fx.fpr_a = create_key(ctx, "Archive Key A <a@example.org>", 0);
  fx.fpr_b = create_key(ctx, "Other Key B <b@example.org>", 0);
  fx.fpr_c = create_key(ctx, "Subkey Signer C <c@example.org>", 0);
  gpgme_key_t c;
  gcheck(gpgme_get_key(ctx, fx.fpr_c, &c, 1), "get key C");
  gcheck(gpgme_op_createsubkey(ctx, c, "ed25519", 0, 0,
                               GPGME_CREATE_SIGN | GPGME_CREATE_NOPASSWD | GPGME_CREATE_NOEXPIRE),
         "createsubkey");
  gpgme_key_unref(c);
  fx.fpr_c_sub = vzt_strdup(gpgme_op_genkey_result(ctx)->fpr);

  fx.ring_a_gpg = export_keys(ctx, (const char *[]){fx.fpr_a, NULL}, false, "a.gpg");
  fx.ring_a_asc = export_keys(ctx, (const char *[]){fx.fpr_a, NULL}, true, "a.asc");
  fx.ring_b = export_keys(ctx, (const char *[]){fx.fpr_b, NULL}, false, "b.gpg");
  fx.ring_ab = export_keys(ctx, (const char *[]){fx.fpr_a, fx.fpr_b, NULL}, false, "ab.gpg");
  fx.ring_c = export_keys(ctx, (const char *[]){fx.fpr_c, NULL}, true, "c.asc");
  fx.ring_x = export_keys(ctx, (const char *[]){fx.fpr_x, NULL}, false, "x.gpg");
  fx.ring_empty = vzt_path_join(fx.dir, "empty.gpg");
  FILE *f = fopen(fx.ring_empty, "w");
  fputs("this is not a keyring\n", f);
  fclose(f);

  fx.clear_a = sign(ctx, fx.fpr_a, release_text, GPGME_SIG_MODE_CLEAR, true, NULL);
  fx.clear_b_other = sign(ctx, fx.fpr_b, other_text, GPGME_SIG_MODE_CLEAR, true, NULL);
  fx.clear_c = sign(ctx, fx.fpr_c, release_text, GPGME_SIG_MODE_CLEAR, true, NULL);
  fx.detached_a = sign(ctx, fx.fpr_a, release_text, GPGME_SIG_MODE_DETACH, true, &fx.detached_a_len);
  fx.detached_a_bin =
      sign(ctx, fx.fpr_a, release_text, GPGME_SIG_MODE_DETACH, false, &fx.detached_a_bin_len);
  gpgme_release(ctx);
}

static void teardown(void)
{
  /* The signer's agent was needed to make keys; stop it. */
  pid_t pid;
  char *argv[] = {"gpgconf", "--homedir", fx.home, "--kill", "all", NULL};
  if (posix_spawnp(&pid, "gpgconf", NULL, NULL, argv, environ) == 0)
    waitpid(pid, NULL, 0);
  vzt_rm_rf(fx.dir, NULL);
  char **strs[] = {&fx.dir, &fx.home, &fx.tmpdir, &fx.fpr_a, &fx.fpr_b, &fx.fpr_c, &fx.fpr_c_sub,
                   &fx.fpr_x, &fx.ring_a_gpg, &fx.ring_a_asc, &fx.ring_b, &fx.ring_ab, &fx.ring_c,
                   &fx.ring_x, &fx.ring_empty, &fx.clear_a, &fx.clear_b_other, &fx.clear_c,
                   &fx.clear_x, &fx.detached_a, &fx.detached_a_bin};
  for (size_t i = 0; i < VZT_ARRAY_SIZE(strs); i++) {
    free(*strs[i]);
    *strs[i] = NULL;
  }
}

/* The code under test must leave nothing behind in TMPDIR, on any path. */
static void assert_tmpdir_empty(void)
{
  DIR *d = opendir(fx.tmpdir);
  ck_assert_ptr_nonnull(d);
  struct dirent *de;
  int n = 0;
  while ((de = readdir(d)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
      n++;
  closedir(d);
  ck_assert_msg(n == 0, "temporary GnuPG home left behind in %s", fx.tmpdir);
}

static int verify(const char *keyring, char *const *pinned, const char *data, size_t len,
                  const char *sig, size_t siglen, struct vzt_gpg_result *res, struct vzt_error **err)
{
  int r = vzt_gpg_verify(keyring, pinned, data, len, sig, siglen, "test InRelease", res, err);
  assert_tmpdir_empty();
  if (r < 0) {
    ck_assert_ptr_nonnull(*err);
    ck_assert_ptr_null(res->plaintext);
    ck_assert_ptr_null(res->fingerprint);
  } else {
    ck_assert_ptr_null(*err);
  }
  return r;
}

static void assert_refused(struct vzt_error *err, const char *needle)
{
  ck_assert_ptr_nonnull(err);
  ck_assert_int_eq(err->status, VZT_EXIT_REFUSED);
  ck_assert_msg(strstr(err->msg, needle), "message \"%s\" lacks \"%s\"", err->msg, needle);
}

START_TEST(test_clearsigned_good)
{
  const char *rings[] = {fx.ring_a_gpg, fx.ring_a_asc, fx.ring_ab};
  for (size_t i = 0; i < VZT_ARRAY_SIZE(rings); i++) {
    struct vzt_gpg_result res;
    _cleanup_error_ struct vzt_error *err = NULL;
    ck_assert_int_eq(verify(rings[i], NULL, fx.clear_a, strlen(fx.clear_a), NULL, 0, &res, &err), 0);
    ck_assert_uint_eq(res.len, strlen(release_text));
    ck_assert_str_eq(res.plaintext, release_text);
    ck_assert_str_eq(res.fingerprint, fx.fpr_a);
    vzt_gpg_result_free(&res);
  }
}
END_TEST

START_TEST(test_clearsigned_tampered)
{
  _cleanup_free_ char *bad = vzt_strdup(fx.clear_a);
  char *p = strstr(bad, "bookworm");
  ck_assert_ptr_nonnull(p);
  p[0] = 'c'; /* one byte */
  struct vzt_gpg_result res;
  _cleanup_error_ struct vzt_error *err = NULL;
  ck_assert_int_eq(verify(fx.ring_a_gpg, NULL, bad, strlen(bad), NULL, 0, &res, &err), -1);
  assert_refused(err, "no good signature");
  assert_refused(err, "bad signature");
}
END_TEST

START_TEST(test_clearsigned_text_outside)
{
  const char *evil = "SHA256:\n ffff 1 main/binary-amd64/Packages\nInjected: yes\n";
  _cleanup_free_ char *appended = vzt_strdupf("%s%s", fx.clear_a, evil);
  _cleanup_free_ char *prepended = vzt_strdupf("%s%s", evil, fx.clear_a);
  /* A second clearsigned block, by a key that is in the keyring too. */
  _cleanup_free_ char *second = vzt_strdupf("%s%s", fx.clear_a, fx.clear_b_other);
  _cleanup_free_ char *second_first = vzt_strdupf("%s%s", fx.clear_b_other, fx.clear_a);
  const char *docs[] = {appended, prepended, second};
  for (size_t i = 0; i < VZT_ARRAY_SIZE(docs); i++) {
    struct vzt_gpg_result res;
    _cleanup_error_ struct vzt_error *err = NULL;
    ck_assert_int_eq(verify(fx.ring_ab, NULL, docs[i], strlen(docs[i]), NULL, 0, &res, &err), 0);
    ck_assert_str_eq(res.plaintext, release_text);
    ck_assert_ptr_null(strstr(res.plaintext, "Injected"));
    ck_assert_ptr_null(strstr(res.plaintext, "Evil"));
    ck_assert_ptr_null(strstr(res.plaintext, "ffff"));
    vzt_gpg_result_free(&res);
  }
  /* Only the first block counts: B's block with A's after it is B's text,
   * and with only A's key that is a refusal. */
  struct vzt_gpg_result res;
  _cleanup_error_ struct vzt_error *err = NULL;
  ck_assert_int_eq(
      verify(fx.ring_a_gpg, NULL, second_first, strlen(second_first), NULL, 0, &res, &err), -1);
  assert_refused(err, "not in keyring");
}
END_TEST

START_TEST(test_key_not_in_keyring)
{
  struct vzt_gpg_result res;
  _cleanup_error_ struct vzt_error *err = NULL;
  ck_assert_int_eq(verify(fx.ring_b, NULL, fx.clear_a, strlen(fx.clear_a), NULL, 0, &res, &err), -1);
  assert_refused(err, "no good signature by a trusted key");
  assert_refused(err, "not in keyring");
  assert_refused(err, fx.ring_b);
  assert_refused(err, "test InRelease");
}
END_TEST

START_TEST(test_pinned)
{
  /* Pinned to B while A signed: refused, even though A's key is in the keyring. */
  char *pin_b[] = {fx.fpr_b, NULL};
  struct vzt_gpg_result res;
  _cleanup_error_ struct vzt_error *err = NULL;
  ck_assert_int_eq(verify(fx.ring_ab, pin_b, fx.clear_a, strlen(fx.clear_a), NULL, 0, &res, &err), -1);
  assert_refused(err, "not a pinned key");

  /* Pinned to A, written in groups of four in lower case, among others. */
  _cleanup_free_ char *spaced = NULL;
  {
    char buf[256] = "";
    for (size_t i = 0; fx.fpr_a[i]; i++) {
      size_t n = strlen(buf);
      buf[n] = (char) (fx.fpr_a[i] >= 'A' && fx.fpr_a[i] <= 'F' ? fx.fpr_a[i] + 32 : fx.fpr_a[i]);
      buf[n + 1] = 0;
      if (i % 4 == 3 && fx.fpr_a[i + 1])
        strcat(buf, " ");
    }
    spaced = vzt_strdup(buf);
  }
  char *pin_a[] = {fx.fpr_b, spaced, NULL};
  _cleanup_error_ struct vzt_error *err2 = NULL;
  ck_assert_int_eq(verify(fx.ring_ab, pin_a, fx.clear_a, strlen(fx.clear_a), NULL, 0, &res, &err2), 0);
  ck_assert_str_eq(res.fingerprint, fx.fpr_a);
  ck_assert_str_eq(res.plaintext, release_text);
  vzt_gpg_result_free(&res);

  /* An empty pin list means any key of the keyring. */
  char *none[] = {NULL};
  _cleanup_error_ struct vzt_error *err3 = NULL;
  ck_assert_int_eq(verify(fx.ring_ab, none, fx.clear_a, strlen(fx.clear_a), NULL, 0, &res, &err3), 0);
  vzt_gpg_result_free(&res);

  /* A prefix of the right fingerprint (a short key id) is not a match. */
  _cleanup_free_ char *short_id = vzt_strdup(fx.fpr_a + strlen(fx.fpr_a) - 16);
  char *pin_short[] = {short_id, NULL};
  _cleanup_error_ struct vzt_error *err4 = NULL;
  ck_assert_int_eq(
      verify(fx.ring_ab, pin_short, fx.clear_a, strlen(fx.clear_a), NULL, 0, &res, &err4), -1);
  assert_refused(err4, "not a pinned key");
}
END_TEST

START_TEST(test_subkey)
{
  /* Signed by C's subkey: the result names C's primary key; pins may name either. */
  char *pins[][2] = {{fx.fpr_c, NULL}, {fx.fpr_c_sub, NULL}};
  for (size_t i = 0; i < 2; i++) {
    struct vzt_gpg_result res;
    _cleanup_error_ struct vzt_error *err = NULL;
    ck_assert_int_eq(verify(fx.ring_c, pins[i], fx.clear_c, strlen(fx.clear_c), NULL, 0, &res, &err), 0);
    ck_assert_str_eq(res.fingerprint, fx.fpr_c);
    ck_assert_str_eq(res.plaintext, release_text);
    vzt_gpg_result_free(&res);
  }
}
END_TEST

START_TEST(test_expired_key)
{
  while (time(NULL) <= fx.x_expires + 1)
    usleep(100 * 1000);
  struct vzt_gpg_result res;
  _cleanup_error_ struct vzt_error *err = NULL;
  ck_assert_int_eq(verify(fx.ring_x, NULL, fx.clear_x, strlen(fx.clear_x), NULL, 0, &res, &err), -1);
  assert_refused(err, "no good signature");
  assert_refused(err, "expired");
}
END_TEST

START_TEST(test_unsigned)
{
  struct vzt_gpg_result res;
  _cleanup_error_ struct vzt_error *err = NULL;
  ck_assert_int_eq(verify(fx.ring_a_gpg, NULL, release_text, strlen(release_text), NULL, 0, &res, &err),
                   -1);
  assert_refused(err, "is not signed");

  /* Detached: an empty or garbage signature. */
  _cleanup_error_ struct vzt_error *err2 = NULL;
  ck_assert_int_eq(
      verify(fx.ring_a_gpg, NULL, release_text, strlen(release_text), "", 0, &res, &err2), -1);
  assert_refused(err2, "is not signed");
  _cleanup_error_ struct vzt_error *err3 = NULL;
  const char *junk = "not a signature\n";
  ck_assert_int_eq(
      verify(fx.ring_a_gpg, NULL, release_text, strlen(release_text), junk, strlen(junk), &res, &err3),
      -1);
  ck_assert_int_eq(err3->status, VZT_EXIT_REFUSED);

  /* A clearsigned header with the signature cut off (a truncated download). */
  _cleanup_free_ char *cut = vzt_strdup(fx.clear_a);
  *strstr(cut, "-----BEGIN PGP SIGNATURE-----") = 0;
  _cleanup_error_ struct vzt_error *err4 = NULL;
  ck_assert_int_eq(verify(fx.ring_a_gpg, NULL, cut, strlen(cut), NULL, 0, &res, &err4), -1);
  ck_assert_int_eq(err4->status, VZT_EXIT_REFUSED);
}
END_TEST

START_TEST(test_detached)
{
  struct {
    const char *sig;
    size_t len;
  } sigs[] = {{fx.detached_a, fx.detached_a_len}, {fx.detached_a_bin, fx.detached_a_bin_len}};
  for (size_t i = 0; i < VZT_ARRAY_SIZE(sigs); i++) {
    struct vzt_gpg_result res;
    _cleanup_error_ struct vzt_error *err = NULL;
    ck_assert_int_eq(verify(fx.ring_a_asc, NULL, release_text, strlen(release_text), sigs[i].sig,
                            sigs[i].len, &res, &err),
                     0);
    ck_assert_str_eq(res.fingerprint, fx.fpr_a);
    vzt_gpg_result_free(&res);

    _cleanup_free_ char *bad = vzt_strdup(release_text);
    bad[strlen(bad) - 2] ^= 1;
    _cleanup_error_ struct vzt_error *err2 = NULL;
    ck_assert_int_eq(verify(fx.ring_a_asc, NULL, bad, strlen(bad), sigs[i].sig, sigs[i].len, &res, &err2),
                     -1);
    assert_refused(err2, "bad signature");

    _cleanup_error_ struct vzt_error *err3 = NULL;
    ck_assert_int_eq(verify(fx.ring_b, NULL, release_text, strlen(release_text), sigs[i].sig,
                            sigs[i].len, &res, &err3),
                     -1);
    assert_refused(err3, "not in keyring");
  }
}
END_TEST

START_TEST(test_bad_keyring)
{
  struct vzt_gpg_result res;
  _cleanup_error_ struct vzt_error *err = NULL;
  ck_assert_int_eq(verify(fx.ring_empty, NULL, fx.clear_a, strlen(fx.clear_a), NULL, 0, &res, &err), -1);
  ck_assert_int_eq(err->status, VZT_EXIT_FAILED);
  ck_assert_msg(strstr(err->msg, fx.ring_empty), "%s", err->msg);
  ck_assert_msg(strstr(err->msg, "no usable OpenPGP public keys"), "%s", err->msg);

  _cleanup_free_ char *missing = vzt_path_join(fx.dir, "missing.gpg");
  _cleanup_error_ struct vzt_error *err2 = NULL;
  ck_assert_int_eq(verify(missing, NULL, fx.clear_a, strlen(fx.clear_a), NULL, 0, &res, &err2), -1);
  ck_assert_int_eq(err2->status, VZT_EXIT_FAILED);
  ck_assert_msg(strstr(err2->msg, missing), "%s", err2->msg);
}
END_TEST

static Suite *gpg_suite(void)
{
  Suite *s = suite_create("gpg");
  TCase *tc = tcase_create("verify");
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_clearsigned_good);
  tcase_add_test(tc, test_clearsigned_tampered);
  tcase_add_test(tc, test_clearsigned_text_outside);
  tcase_add_test(tc, test_key_not_in_keyring);
  tcase_add_test(tc, test_pinned);
  tcase_add_test(tc, test_subkey);
  tcase_add_test(tc, test_unsigned);
  tcase_add_test(tc, test_detached);
  tcase_add_test(tc, test_bad_keyring);
  tcase_add_test(tc, test_expired_key);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return vzt_unit_run(gpg_suite());
}
