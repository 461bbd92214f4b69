/* RPM package trust through librpm: rpmReadPackageFile for the header's
 * signature and digests, rpmcliVerifySignatures for everything including
 * the payload digest; only which signature kinds a header carries is read
 * here, from the header librpm returns. */
#include "config.h"
#include "tmpl/rpm/verify.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

#include <ctype.h>
#include <pthread.h>
#include <rpm/header.h>
#include <rpm/rpmcli.h>
#include <rpm/rpmkeyring.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmpgp.h>
#include <rpm/rpmts.h>
#include <stdlib.h>
#include <string.h>

struct vzt_rpm_keyring {
  rpmKeyring ring;
  char **fingerprints; /* of the keys taken, for messages */
};

int vzt_rpm_sigpolicy_parse(const char *s)
{
  if (!s || !strcmp(s, "required"))
    return VZT_RPM_SIG_REQUIRED;
  if (!strcmp(s, "allow-v3"))
    return VZT_RPM_SIG_ALLOW_V3;
  if (!strcmp(s, "none"))
    return VZT_RPM_SIG_NONE;
  return -1;
}

static pthread_once_t config_once = PTHREAD_ONCE_INIT;
static int config_rc;
static void read_config(void) { config_rc = rpmReadConfigFiles(NULL, NULL); }

int vzt_rpm_init(struct vzt_error **err)
{
  pthread_once(&config_once, read_config);
  if (config_rc != 0)
    return vzt_fail(err, "librpm cannot read its configuration (is rpm-common installed?)");
  return 0;
}

static char *normalize_pin(const char *pin)
{
  if (pin[0] == '0' && (pin[1] == 'x' || pin[1] == 'X'))
    pin += 2;
  char *out = vzt_strdup(pin);
  for (char *p = out; *p; p++)
    *p = (char) toupper((unsigned char) *p);
  return out;
}

int vzt_rpm_keyring_load(const char *path, char *const *pinned, struct vzt_rpm_keyring **out,
                         struct vzt_error **err)
{
  if (vzt_rpm_init(err) < 0)
    return -1;
  uint8_t *pkts = NULL;
  size_t len = 0;
  if (pgpReadPkts(path, &pkts, &len) <= 0 || !len) {
    free(pkts);
    return vzt_fail(err, "cannot read an OpenPGP public key from %s", path);
  }
  struct vzt_rpm_keyring *k = calloc(1, sizeof(*k));
  if (!k)
    abort();
  k->ring = rpmKeyringNew();
  k->fingerprints = calloc(1, sizeof(char *));
  _cleanup_strv_ char **seen = calloc(1, sizeof(char *));
  for (size_t off = 0; off < len;) {
    size_t certlen = 0;
    if (pgpPubKeyCertLen(pkts + off, len - off, &certlen) < 0 || !certlen)
      break;
    uint8_t *fp = NULL;
    size_t fplen = 0;
    char hex[2 * 64 + 1] = "";
    if (pgpPubkeyFingerprint(pkts + off, certlen, &fp, &fplen) == 0 && fplen <= 64) {
      vzt_hex(fp, fplen, hex);
      for (char *p = hex; *p; p++)
        *p = (char) toupper((unsigned char) *p);
    }
    free(fp);
    bool wanted = !pinned || !pinned[0];
    for (size_t i = 0; pinned && pinned[i] && !wanted; i++) {
      _cleanup_free_ char *pin = normalize_pin(pinned[i]);
      wanted = !strcmp(pin, hex);
    }
    vzt_strv_push(&seen, hex);
    rpmPubkey key = wanted ? rpmPubkeyNew(pkts + off, certlen) : NULL;
    if (key) {
      rpmKeyringAddKey(k->ring, key);
      int nsub = 0;
      rpmPubkey *subs = rpmGetSubkeys(key, &nsub);
      for (int i = 0; i < nsub; i++) {
        rpmKeyringAddKey(k->ring, subs[i]);
        rpmPubkeyFree(subs[i]);
      }
      free(subs);
      rpmPubkeyFree(key);
      vzt_strv_push(&k->fingerprints, hex);
    }
    off += certlen;
  }
  free(pkts);
  if (!k->fingerprints[0]) {
    _cleanup_free_ char *has = vzt_strv_join(seen, " ");
    _cleanup_free_ char *want = pinned ? vzt_strv_join(pinned, " ") : vzt_strdup("");
    vzt_rpm_keyring_free(k);
    return vzt_refuse(err, "%s holds none of the pinned keys %s (it has: %s)", path, want,
                      *has ? has : "no readable key");
  }
  *out = k;
  return 0;
}

void vzt_rpm_keyring_free(struct vzt_rpm_keyring *k)
{
  if (!k)
    return;
  rpmKeyringFree(k->ring);
  vzt_strv_free(k->fingerprints);
  free(k);
}

/* librpm reports each check it made through rpmlog; the lines that failed
 * become the refusal's text. */
struct log_capture {
  char **bad;
};

static int capture(rpmlogRec rec, rpmlogCallbackData data)
{
  struct log_capture *c = data;
  const char *msg = rpmlogRecMessage(rec);
  /* Items a package lacks (NOTFOUND) are judged by the caller's policy. */
  if (msg && (strstr(msg, "BAD") || strstr(msg, "NOKEY") || strstr(msg, "NOTTRUSTED") ||
              rpmlogRecPriority(rec) <= RPMLOG_ERR)) {
    _cleanup_free_ char *line = vzt_strdup(msg);
    vzt_strstrip(line);
    if (*line)
      vzt_strv_push(&c->bad, line);
  }
  return 0;
}

/* Digests only (package-signature = none): signatures are not looked at,
 * so a signed package by an unknown key passes on its digests too. */
static rpmts new_ts(const struct vzt_rpm_keyring *k, int vfylevel, bool signatures)
{
  rpmts ts = rpmtsCreate();
  rpmKeyring ring = k ? rpmKeyringLink(k->ring) : rpmKeyringNew();
  rpmtsSetKeyring(ts, ring);
  rpmKeyringFree(ring);
  rpmtsSetVfyLevel(ts, vfylevel);
  /* VSFlags govern reading headers, VfyFlags rpmcliVerifySignatures. */
  rpmtsSetVSFlags(ts, signatures ? RPMVSF_DEFAULT : RPMVSF_MASK_NOSIGNATURES);
  rpmtsSetVfyFlags(ts, signatures ? RPMVSF_DEFAULT : RPMVSF_MASK_NOSIGNATURES);
  return ts;
}

int vzt_rpm_verify_file(const struct vzt_rpm_keyring *k, enum vzt_rpm_sigpolicy policy,
                        const char *path, const char *what, struct vzt_rpm_checked *checked,
                        struct vzt_error **err)
{
  if (vzt_rpm_init(err) < 0)
    return -1;
  if (!k && policy != VZT_RPM_SIG_NONE)
    return vzt_fail(err, "internal error: no keyring to check %s", what);
  bool want_sig = policy != VZT_RPM_SIG_NONE;
  /* The header first: which signatures it carries, and whether they and
   * its digests hold. */
  rpmts ts = new_ts(k, RPMSIG_DIGEST_TYPE, want_sig);
  FD_t fd = Fopen(path, "r.ufdio");
  if (!fd || Ferror(fd)) {
    if (fd)
      Fclose(fd);
    rpmtsFree(ts);
    return vzt_fail(err, "cannot open %s", path);
  }
  Header h = NULL;
  struct log_capture cap = {calloc(1, sizeof(char *))};
  rpmlogCallback old = rpmlogSetCallback(capture, &cap);
  rpmRC rc = rpmReadPackageFile(ts, fd, path, &h);
  Fclose(fd);
  bool v4 = h && (headerIsEntry(h, RPMTAG_RSAHEADER) || headerIsEntry(h, RPMTAG_DSAHEADER));
  bool v3 = h && (headerIsEntry(h, RPMTAG_SIGPGP) || headerIsEntry(h, RPMTAG_SIGGPG));
  bool payload_digest = h && headerIsEntry(h, RPMTAG_PAYLOADDIGEST);
  time_t build_time = h ? (time_t) headerGetNumber(h, RPMTAG_BUILDTIME) : 0;
  headerFree(h);
  rpmtsFree(ts);
  int ret = 0;
  if (rc == RPMRC_NOTFOUND || (rc == RPMRC_FAIL && !v4 && !v3 && !payload_digest && !cap.bad[0]))
    ret = vzt_refuse(err, "%s is not an RPM package", what);
  else if (rc == RPMRC_FAIL)
    ret = vzt_refuse(err, "%s: header digest or signature BAD", what);
  else if (want_sig && (rc == RPMRC_NOKEY || rc == RPMRC_NOTTRUSTED))
    ret = vzt_refuse(err, "%s is signed by a key that is not among the pinned keys", what);
  else if (want_sig && !v4 && !v3)
    ret = vzt_refuse(err, "%s has no signature, and its repository requires one "
                          "(package-signature = required)", what);
  else if (policy == VZT_RPM_SIG_REQUIRED && !v4)
    ret = vzt_refuse(err, "%s has only a V3 header+payload signature, which the repository "
                          "does not allow (package-signature = allow-v3 would)", what);
  else if (!payload_digest && !v3 && want_sig)
    /* Before rpm 4.14 only the header+payload signature or MD5 covered the
     * payload: a V4 header signature alone vouches for no file contents. */
    ret = vzt_refuse(err, "%s has no payload digest to check its contents by (built by an rpm "
                          "older than 4.14)", what);
  if (ret < 0) {
    rpmlogSetCallback(old, NULL);
    vzt_strv_free(cap.bad);
    return -1;
  }
  /* Then the whole package: payload digest, and the signatures the policy
   * requires, each by librpm's own rules. */
  ts = new_ts(k, want_sig ? RPMSIG_DIGEST_TYPE | RPMSIG_SIGNATURE_TYPE : RPMSIG_DIGEST_TYPE,
              want_sig);
  int verbosity = rpmlogSetMask(0);
  rpmlogSetMask(RPMLOG_UPTO(RPMLOG_INFO));
  const char *argv[] = {path, NULL};
  int failed = rpmcliVerifySignatures(ts, (ARGV_const_t) argv);
  rpmlogSetMask(verbosity);
  rpmtsFree(ts);
  rpmlogSetCallback(old, NULL);
  if (failed) {
    _cleanup_free_ char *why = cap.bad[0] ? vzt_strv_join(cap.bad, "; ") : vzt_strdup("NOT OK");
    ret = vzt_refuse(err, "%s: %s", what, why);
  } else if (checked) {
    *checked = (struct vzt_rpm_checked){!want_sig ? "unsigned" : v4 ? "v4" : "v3", build_time};
  }
  vzt_strv_free(cap.bad);
  return ret;
}

