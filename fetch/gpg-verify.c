/* OpenPGP verification of repository metadata with gpgme, in a throw-away GNUPGHOME. */
#include "config.h"
#include "fetch/gpg.h"
#include "fetch/gpgme-cleanup.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gpgme.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>


/* The throw-away home: removed on every path out, with whatever gpg left in it. */
static void home_removep(char **home)
{
  if (!*home)
    return;
  _cleanup_error_ struct vzt_error *e = NULL;
  if (vzt_rm_rf(*home, &e) < 0)
    vzt_warn("cannot remove temporary GnuPG home %s: %s", *home, e->msg);
  free(*home);
}
#define _cleanup_home_ __attribute__((cleanup(home_removep)))

struct keylist {
  gpgme_key_t *keys;
  size_t n;
};
static void keylist_freep(struct keylist *l)
{
  for (size_t i = 0; i < l->n; i++)
    gpgme_key_unref(l->keys[i]);
  free(l->keys);
}

/* Nothing here may reach a network or start a daemon: gpg only reads what we
 * imported. Trust comes from the keyring the recipe names, not the trustdb. */
static const char gpg_conf[] = "no-autostart\n"
                               "no-auto-key-retrieve\n"
                               "no-auto-check-trustdb\n"
                               "no-greeting\n"
                               "lock-never\n";

static const char *gpgme_init_error;
static pthread_once_t gpgme_once = PTHREAD_ONCE_INIT;

static void gpgme_init(void)
{
  if (!gpgme_check_version(NULL))
    gpgme_init_error = "gpgme library is unusable";
  else if (gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP) != 0)
    gpgme_init_error = "gpg (GnuPG) is not installed or too old: install gnupg";
}

static int make_home(char **out, struct vzt_error **err)
{
  const char *tmp = getenv("TMPDIR");
  if (!tmp || !*tmp)
    tmp = "/tmp";
  _cleanup_free_ char *home = vzt_strdupf("%s/vztmpl-gnupg.XXXXXX", tmp);
  if (!mkdtemp(home))
    return vzt_fail_errno(err, errno, "cannot create a temporary GnuPG home in %s", tmp);
  /* Hand it to the caller now so that every later failure removes it. */
  *out = vzt_strdup(home);
  _cleanup_close_ int dfd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return vzt_fail_errno(err, errno, "cannot open %s", home);
  _cleanup_close_ int fd = openat(dfd, "gpg.conf", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 || vzt_write_all(fd, gpg_conf, sizeof(gpg_conf) - 1) < 0)
    return vzt_fail_errno(err, errno, "cannot write %s/gpg.conf", home);
  return 0;
}

/* Start of the first line at or after p that is exactly marker (trailing
 * blanks and CR allowed); *eol gets the end of that line, past its newline. */
static const char *find_line(const char *p, const char *end, const char *marker, const char **eol)
{
  size_t mlen = strlen(marker);
  while (p < end) {
    const char *nl = memchr(p, '\n', end - p);
    const char *le = nl ? nl : end;
    if ((size_t) (le - p) >= mlen && !memcmp(p, marker, mlen)) {
      const char *q = p + mlen;
      while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
        q++;
      if (q == le) {
        *eol = nl ? nl + 1 : end;
        return p;
      }
    }
    p = nl ? nl + 1 : end;
  }
  return NULL;
}

/* Only the first clearsigned block goes to gpg: text around it is not covered
 * by the signature, and a second block (maybe signed by another key) must not
 * add to the plaintext. Lines inside the signed text that start with a dash
 * are dash-escaped, so the first END line is the real end. */
static int clearsigned_block(const char *data, size_t len, const char *what, const char **start,
                             size_t *blen, struct vzt_error **err)
{
  const char *end = data + len, *eol = NULL;
  const char *b = find_line(data, end, "-----BEGIN PGP SIGNED MESSAGE-----", &eol);
  if (!b)
    return vzt_refuse(err, "%s is not signed (no clearsigned OpenPGP block in it)", what);
  const char *s = find_line(eol, end, "-----BEGIN PGP SIGNATURE-----", &eol);
  const char *e = s ? find_line(eol, end, "-----END PGP SIGNATURE-----", &eol) : NULL;
  if (!e)
    return vzt_refuse(err, "%s: the clearsigned block has no complete signature (truncated download?)",
                      what);
  *start = b;
  *blen = eol - b;
  return 0;
}

static int import_keyring(gpgme_ctx_t ctx, const char *keyring, struct vzt_error **err)
{
  _cleanup_free_ char *buf = NULL;
  size_t len = 0;
  if (vzt_read_file_max(keyring, VZT_LIMIT_KEYRING, &buf, &len, err) < 0)
    return vzt_error_prefix(err, "keyring");
  _cleanup_gpgme_data_ gpgme_data_t d = NULL;
  gpgme_error_t ge = gpgme_data_new_from_mem(&d, buf, len, 0);
  if (ge)
    return vzt_fail(err, "keyring %s: %s", keyring, gpgme_strerror(ge));
  ge = gpgme_op_import(ctx, d);
  if (ge)
    return vzt_fail(err, "cannot import keyring %s: %s", keyring, gpgme_strerror(ge));
  gpgme_import_result_t r = gpgme_op_import_result(ctx);
  if (!r || r->imported + r->unchanged == 0)
    return vzt_fail(err, "keyring %s contains no usable OpenPGP public keys", keyring);
  vzt_debug("keyring %s: %d keys", keyring, r->imported + r->unchanged);
  return 0;
}

/* The keys behind the good signatures, in one gpg call for all of them. */
static int list_keys(gpgme_ctx_t ctx, const char **patterns, struct keylist *out, struct vzt_error **err)
{
  gpgme_error_t ge = gpgme_op_keylist_ext_start(ctx, patterns, 0, 0);
  if (ge)
    return vzt_fail(err, "cannot list keys: %s", gpgme_strerror(ge));
  for (;;) {
    gpgme_key_t k = NULL;
    ge = gpgme_op_keylist_next(ctx, &k);
    if (ge)
      break;
    gpgme_key_t *nk = vzt_realloc(out->keys, (out->n + 1) * sizeof(*nk));
    out->keys = nk;
    out->keys[out->n++] = k;
  }
  if (gpgme_err_code(ge) != GPG_ERR_EOF)
    return vzt_fail(err, "cannot list keys: %s", gpgme_strerror(ge));
  return 0;
}

static gpgme_key_t key_for(const struct keylist *l, const char *fpr)
{
  for (size_t i = 0; i < l->n; i++)
    for (gpgme_subkey_t sk = l->keys[i]->subkeys; sk; sk = sk->next)
      if (sk->fpr && !strcasecmp(sk->fpr, fpr))
        return l->keys[i];
  return NULL;
}

/* Pinned values may be written in groups ("ABCD 1234 ...") and in either case. */
static bool fpr_equal(const char *pinned, const char *fpr)
{
  if (!strncasecmp(pinned, "0x", 2))
    pinned += 2;
  for (;;) {
    while (*pinned == ' ' || *pinned == '\t')
      pinned++;
    if (!*pinned || !*fpr)
      return !*pinned && !*fpr;
    if (tolower((unsigned char) *pinned) != tolower((unsigned char) *fpr))
      return false;
    pinned++;
    fpr++;
  }
}

static bool key_pinned(gpgme_key_t key, char *const *pinned)
{
  for (char *const *p = pinned; *p; p++)
    for (gpgme_subkey_t sk = key->subkeys; sk; sk = sk->next)
      if (sk->fpr && fpr_equal(*p, sk->fpr))
        return true;
  return false;
}

static const char *primary_fpr(gpgme_key_t key)
{
  return key->fpr ? key->fpr : key->subkeys ? key->subkeys->fpr : NULL;
}

/* Why a signature is not good, for the refusal message. */
static char *sig_problem(gpgme_signature_t s, const char *keyring)
{
  const char *fpr = s->fpr ? s->fpr : "(unknown key)";
  switch (gpgme_err_code(s->status)) {
  case GPG_ERR_NO_ERROR:
    return vzt_strdupf("signature by %s not usable (summary 0x%x)", fpr, (unsigned) s->summary);
  case GPG_ERR_BAD_SIGNATURE: return vzt_strdupf("bad signature by %s", fpr);
  case GPG_ERR_NO_PUBKEY: return vzt_strdupf("key %s not in keyring %s", fpr, keyring);
  case GPG_ERR_KEY_EXPIRED: return vzt_strdupf("key %s has expired", fpr);
  case GPG_ERR_CERT_REVOKED: return vzt_strdupf("key %s is revoked", fpr);
  case GPG_ERR_SIG_EXPIRED: return vzt_strdupf("signature by %s has expired", fpr);
  default: return vzt_strdupf("signature by %s: %s", fpr, gpgme_strerror(s->status));
  }
}

static bool sig_good(gpgme_signature_t s)
{
  /* Status alone says "good"; the summary bits guard against a good
   * cryptographic check by a key gpg also calls revoked or expired. */
  const unsigned bad = GPGME_SIGSUM_RED | GPGME_SIGSUM_KEY_REVOKED | GPGME_SIGSUM_KEY_EXPIRED |
                       GPGME_SIGSUM_SIG_EXPIRED | GPGME_SIGSUM_KEY_MISSING;
  return gpgme_err_code(s->status) == GPG_ERR_NO_ERROR && !(s->summary & bad) && !s->wrong_key_usage &&
         s->fpr;
}

/* Errors about the input itself are refusals; the rest (no gpg, no memory) failures. */
static int verify_error(gpgme_error_t ge, const char *what, struct vzt_error **err)
{
  switch (gpgme_err_code(ge)) {
  case GPG_ERR_NO_DATA: return vzt_refuse(err, "%s is not signed (no OpenPGP signature found)", what);
  case GPG_ERR_BAD_DATA:
  case GPG_ERR_INV_PACKET:
  case GPG_ERR_UNKNOWN_PACKET:
  case GPG_ERR_BAD_SIGNATURE:
  case GPG_ERR_INV_ARMOR:
    return vzt_refuse(err, "%s: cannot read its OpenPGP signature: %s", what, gpgme_strerror(ge));
  default: return vzt_fail(err, "verifying %s: gpg failed: %s", what, gpgme_strerror(ge));
  }
}

static int take_plaintext(gpgme_data_t *plain, struct vzt_gpg_result *out)
{
  size_t n = 0;
  char *mem = gpgme_data_release_and_get_mem(*plain, &n);
  *plain = NULL;
  out->plaintext = vzt_malloc(n + 1);
  if (!out->plaintext)
    vzt_out_of_memory();
  if (n)
    memcpy(out->plaintext, mem, n);
  out->plaintext[n] = 0; /* parsers rely on the terminator */
  out->len = n;
  gpgme_free(mem);
  return 0;
}

int vzt_gpg_verify(const char *keyring, char *const *pinned, const char *data, size_t len,
                   const char *sig, size_t siglen, const char *what, struct vzt_gpg_result *out,
                   struct vzt_error **err)
{
  memset(out, 0, sizeof(*out));
  if (!what)
    what = "signed data";
  if (!keyring || !*keyring)
    return vzt_fail(err, "%s: no keyring to verify it with", what);

  const char *signed_data = data;
  size_t signed_len = len;
  if (!sig) {
    if (clearsigned_block(data, len, what, &signed_data, &signed_len, err) < 0)
      return -1;
  } else if (siglen == 0) {
    return vzt_refuse(err, "%s is not signed (the detached signature is empty)", what);
  }

  pthread_once(&gpgme_once, gpgme_init);
  if (gpgme_init_error)
    return vzt_fail(err, "cannot verify %s: %s", what, gpgme_init_error);

  _cleanup_home_ char *home = NULL;
  if (make_home(&home, err) < 0)
    return -1;

  _cleanup_gpgme_ctx_ gpgme_ctx_t ctx = NULL;
  gpgme_error_t ge = gpgme_new(&ctx);
  if (!ge)
    ge = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP);
  if (!ge)
    ge = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, NULL, home);
  if (!ge)
    ge = gpgme_set_keylist_mode(ctx, GPGME_KEYLIST_MODE_LOCAL);
  if (ge)
    return vzt_fail(err, "cannot set up gpgme: %s", gpgme_strerror(ge));
  gpgme_set_offline(ctx, 1);

  if (import_keyring(ctx, keyring, err) < 0)
    return vzt_error_prefix(err, "verifying %s", what);

  _cleanup_gpgme_data_ gpgme_data_t d_data = NULL;
  _cleanup_gpgme_data_ gpgme_data_t d_sig = NULL;
  _cleanup_gpgme_data_ gpgme_data_t d_plain = NULL;
  if (sig) {
    ge = gpgme_data_new_from_mem(&d_sig, sig, siglen, 0);
    if (!ge)
      ge = gpgme_data_new_from_mem(&d_data, data, len, 0);
    if (!ge)
      ge = gpgme_op_verify(ctx, d_sig, d_data, NULL);
  } else {
    ge = gpgme_data_new_from_mem(&d_data, signed_data, signed_len, 0);
    if (!ge)
      ge = gpgme_data_new(&d_plain);
    if (!ge)
      ge = gpgme_op_verify(ctx, d_data, NULL, d_plain);
  }
  if (ge)
    return verify_error(ge, what, err);

  /* Take what we need from the result now: the key listing below replaces it. */
  gpgme_verify_result_t vr = gpgme_op_verify_result(ctx);
  if (!vr || !vr->signatures)
    return vzt_refuse(err, "%s is not signed (no signatures in it)", what);
  _cleanup_strv_ char **good = NULL;     /* fingerprints of good signatures, in order */
  _cleanup_strv_ char **problems = NULL; /* why the others do not count */
  for (gpgme_signature_t s = vr->signatures; s; s = s->next) {
    if (sig_good(s))
      vzt_strv_push(&good, s->fpr);
    else
      vzt_strv_push_take(&problems, sig_problem(s, keyring));
  }

  /* Look up the keys of all good signatures at once. */
  __attribute__((cleanup(keylist_freep))) struct keylist keys = {0};
  if (good && list_keys(ctx, (const char **) good, &keys, err) < 0)
    return vzt_error_prefix(err, "verifying %s", what);

  bool have_pins = pinned && pinned[0];
  for (char **fpr = good; fpr && *fpr; fpr++) {
    gpgme_key_t key = key_for(&keys, *fpr);
    if (!key || key->revoked || key->expired || key->disabled || key->invalid) {
      vzt_strv_push_take(&problems, vzt_strdupf("key %s is not usable", *fpr));
      continue;
    }
    const char *primary = primary_fpr(key);
    if (have_pins && !key_pinned(key, pinned)) {
      vzt_strv_push_take(&problems,
                         vzt_strdupf("key %s is not a pinned key", primary ? primary : *fpr));
      continue;
    }
    out->fingerprint = vzt_strdup(primary ? primary : *fpr);
    break;
  }
  if (!out->fingerprint) {
    _cleanup_free_ char *why = vzt_strv_join(problems, "; ");
    return vzt_refuse(err, "%s: no good signature by a trusted key (%s)", what, why);
  }

  if (!sig)
    take_plaintext(&d_plain, out);
  vzt_debug("%s: good signature by %s", what, out->fingerprint);
  return 0;
}

void vzt_gpg_result_free(struct vzt_gpg_result *r)
{
  if (!r)
    return;
  free(r->plaintext);
  free(r->fingerprint);
  r->plaintext = NULL;
  r->fingerprint = NULL;
  r->len = 0;
}
