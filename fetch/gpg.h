/* OpenPGP verification with gpgme in a throw-away GNUPGHOME. */
#pragma once
#include <stddef.h>
#include "lib/error.h"

struct vzt_gpg_result {
  char *plaintext;   /* what the signature covers, as gpgme returns it (clearsigned input only) */
  size_t len;
  char *fingerprint; /* primary key fingerprint of the first good signature */
};

/* Verifies data against the keys in keyring (a binary or armored key file).
 * sig == NULL: data is a clearsigned document (InRelease), and only the
 * signed text is returned in out->plaintext. sig != NULL: a detached
 * signature over data (Release.gpg, repomd.xml.asc).
 * pinned: when non-empty, the signing key's primary fingerprint (or one of its
 * subkeys) must be one of these. No good signature is a refusal
 * (VZT_EXIT_REFUSED) that names `what`. */
int vzt_gpg_verify(const char *keyring, char *const *pinned, const char *data, size_t len,
                   const char *sig, size_t siglen, const char *what, struct vzt_gpg_result *out,
                   struct vzt_error **err);
void vzt_gpg_result_free(struct vzt_gpg_result *r);

/* A detached, ASCII-armored signature over data, made with gpgme by the
 * secret key keyid (a fingerprint, key id or user id) from the GnuPG home
 * homedir (NULL: $GNUPGHOME or ~/.gnupg, as gpg itself picks). The key must
 * be usable without a passphrase prompt or through the caller's gpg-agent.
 * *fingerprint (may be NULL) gets the signing key's fingerprint. */
int vzt_gpg_sign_detached(const char *homedir, const char *keyid, const char *data, size_t len,
                          char **sig, size_t *siglen, char **fingerprint, struct vzt_error **err);

/* The first user id ("Name <mail>") of the secret key keyid in homedir
 * (NULL: as gpg picks); *uid NULL when the key has none. */
int vzt_gpg_signer_uid(const char *homedir, const char *keyid, char **uid, struct vzt_error **err);
