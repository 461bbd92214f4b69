/* Detached OpenPGP signatures with gpgme, for publishing: the signer's own GnuPG home and key. */
#include "config.h"
#include "fetch/gpg.h"
#include "fetch/gpgme-cleanup.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <gpgme.h>
#include <stdlib.h>
#include <string.h>

/* An OpenPGP context on homedir (NULL: $GNUPGHOME) and the secret key
 * keyid names there; both the caller's to release, also on failure. */
static int open_secret_key(const char *homedir, const char *keyid, gpgme_ctx_t *ctx, gpgme_key_t *key,
                           struct vzt_error **err)
{
  if (!gpgme_check_version(NULL))
    return vzt_fail(err, "gpgme library is unusable");
  gpgme_error_t ge = gpgme_new(ctx);
  if (!ge)
    ge = gpgme_set_protocol(*ctx, GPGME_PROTOCOL_OpenPGP);
  if (!ge && homedir)
    ge = gpgme_ctx_set_engine_info(*ctx, GPGME_PROTOCOL_OpenPGP, NULL, homedir);
  if (ge)
    return vzt_fail(err, "cannot set up gpgme%s%s: %s", homedir ? " for " : "", homedir ? homedir : "",
                    gpgme_strerror(ge));
  ge = gpgme_get_key(*ctx, keyid, key, 1);
  if (ge)
    return vzt_fail(err, "no secret key \"%s\" in %s: %s (see gpg --list-secret-keys)", keyid,
                    homedir ? homedir : "the GnuPG home ($GNUPGHOME)", gpgme_strerror(ge));
  return 0;
}

int vzt_gpg_sign_detached(const char *homedir, const char *keyid, const char *data, size_t len,
                          char **sig, size_t *siglen, char **fingerprint, struct vzt_error **err)
{
  _cleanup_gpgme_ctx_ gpgme_ctx_t ctx = NULL;
  _cleanup_gpgme_data_ gpgme_data_t in = NULL, out = NULL;
  _cleanup_gpgme_key_ gpgme_key_t key = NULL;
  *sig = NULL;
  if (fingerprint)
    *fingerprint = NULL;
  if (open_secret_key(homedir, keyid, &ctx, &key, err) < 0)
    return -1;
  if (!key->can_sign)
    return vzt_fail(err, "key %s cannot sign", key->fpr ? key->fpr : keyid);
  gpgme_set_armor(ctx, 1);
  gpgme_set_textmode(ctx, 0);
  /* A prompt would hang a publish run from cron: take what the agent has. */
  gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_LOOPBACK);
  gpgme_error_t ge = gpgme_signers_add(ctx, key);
  if (!ge)
    ge = gpgme_data_new_from_mem(&in, data, len, 0);
  if (!ge)
    ge = gpgme_data_new(&out);
  if (!ge)
    ge = gpgme_op_sign(ctx, in, out, GPGME_SIG_MODE_DETACH);
  if (ge)
    return vzt_fail(err, "signing with key %s failed: %s", key->fpr ? key->fpr : keyid,
                    gpgme_strerror(ge));
  gpgme_sign_result_t r = gpgme_op_sign_result(ctx);
  if (!r || !r->signatures || r->invalid_signers)
    return vzt_fail(err, "signing with key %s made no signature", key->fpr ? key->fpr : keyid);
  size_t n = 0;
  char *buf = gpgme_data_release_and_get_mem(out, &n);
  out = NULL;
  if (!buf || n == 0) {
    gpgme_free(buf);
    return vzt_fail(err, "signing with key %s made no signature", key->fpr ? key->fpr : keyid);
  }
  *sig = vzt_malloc(n + 1);
  if (!*sig)
    vzt_out_of_memory();
  memcpy(*sig, buf, n);
  (*sig)[n] = 0;
  *siglen = n;
  gpgme_free(buf);
  if (fingerprint)
    *fingerprint = vzt_strdup(r->signatures->fpr ? r->signatures->fpr : key->fpr);
  return 0;
}

int vzt_gpg_signer_uid(const char *homedir, const char *keyid, char **uid, struct vzt_error **err)
{
  _cleanup_gpgme_ctx_ gpgme_ctx_t ctx = NULL;
  _cleanup_gpgme_key_ gpgme_key_t key = NULL;
  *uid = NULL;
  if (open_secret_key(homedir, keyid, &ctx, &key, err) < 0)
    return -1;
  for (gpgme_user_id_t u = key->uids; u; u = u->next)
    if (!u->revoked && !u->invalid && u->uid) {
      *uid = vzt_strdup(u->uid);
      break;
    }
  return 0;
}
