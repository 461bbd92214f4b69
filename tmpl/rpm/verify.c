/* RPM package trust through librpm: rpmReadPackageFile for the header's
 * signature and digests, rpmcliVerifySignatures for everything including
 * the payload digest; only which signature kinds a header carries is read
 * here, from the header librpm returns. */
#include "config.h"
#include "tmpl/rpm/verify.h"
#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

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

/* One OpenPGP packet's tag and extent, from its header (both header
 * formats); -1 for a truncated or partial-length packet, which no key
 * certificate has. */
static int packet_at(const uint8_t *p, size_t len, int *tag, size_t *hdr, size_t *body)
{
  if (len < 2 || !(p[0] & 0x80))
    return -1;
  if (p[0] & 0x40) {
    *tag = p[0] & 0x3f;
    if (p[1] < 192)
      *hdr = 2, *body = p[1];
    else if (p[1] < 224 && len >= 3)
      *hdr = 3, *body = ((size_t) (p[1] - 192) << 8) + p[2] + 192;
    else if (p[1] == 255 && len >= 6)
      *hdr = 6, *body = (size_t) p[2] << 24 | (size_t) p[3] << 16 | (size_t) p[4] << 8 | p[5];
    else
      return -1;
  } else {
    *tag = (p[0] >> 2) & 0xf;
    int n = (p[0] & 3) == 0 ? 1 : (p[0] & 3) == 1 ? 2 : (p[0] & 3) == 2 ? 4 : 0;
    if (!n || len < (size_t) (1 + n))
      return -1;
    *body = 0;
    for (int i = 0; i < n; i++)
      *body = *body << 8 | p[1 + i];
    *hdr = 1 + (size_t) n;
  }
  return *hdr + *body <= len ? 0 : -1;
}

/* A V4 key packet's fingerprint (SHA-1 of 0x99, the body's length and the
 * body, RFC 4880 12.2), upper-case hex; "" for other versions. */
static void v4_fingerprint(const uint8_t *body, size_t len, char *hex)
{
  hex[0] = '\0';
  if (!len || body[0] != 4 || len > 0xffff)
    return;
  uint8_t head[3] = {0x99, (uint8_t) (len >> 8), (uint8_t) len};
  struct vzt_digest *d = vzt_digest_new(VZT_DIGEST_SHA1);
  vzt_digest_update(d, head, sizeof(head));
  vzt_digest_update(d, body, len);
  vzt_digest_finish(d, hex);
  for (char *c = hex; *c; c++)
    *c = (char) toupper((unsigned char) *c);
}

/* The fingerprints of a certificate's subkeys (public-subkey packets). */
static char **subkey_fingerprints(const uint8_t *cert, size_t len)
{
  char **out = vzt_calloc(1, sizeof(char *));
  for (size_t off = 0; off < len;) {
    int tag;
    size_t hdr, body;
    if (packet_at(cert + off, len - off, &tag, &hdr, &body) < 0)
      break;
    char hex[VZT_DIGEST_HEX_MAX];
    if (tag == 14) {
      v4_fingerprint(cert + off + hdr, body, hex);
      if (*hex)
        vzt_strv_push(&out, hex);
    }
    off += hdr + body;
  }
  return out;
}

static bool pin_matches(char *const *pinned, const char *hex)
{
  for (size_t i = 0; pinned && pinned[i]; i++) {
    _cleanup_free_ char *pin = normalize_pin(pinned[i]);
    if (*hex && !strcmp(pin, hex))
      return true;
  }
  return false;
}

/* Adds one certificate's keys, its primary and its subkeys, to k when
 * nothing is pinned or a pin names any of them: a subkey's fingerprint pins
 * its certificate for packages as it does for signed metadata. Returns
 * whether it was taken. */
static bool take_certificate(struct vzt_rpm_keyring *k, const uint8_t *cert, size_t certlen,
                             const char *primary, char *const *pinned)
{
  bool wanted = !pinned || !pinned[0] || pin_matches(pinned, primary);
  _cleanup_strv_ char **subs_fpr = subkey_fingerprints(cert, certlen);
  for (size_t i = 0; subs_fpr[i] && !wanted; i++)
    wanted = pin_matches(pinned, subs_fpr[i]);
  rpmPubkey key = wanted ? rpmPubkeyNew(cert, certlen) : NULL;
  if (!key)
    return false;
  rpmKeyringAddKey(k->ring, key);
  int nsub = 0;
  rpmPubkey *subs = rpmGetSubkeys(key, &nsub);
  for (int i = 0; i < nsub; i++) {
    rpmKeyringAddKey(k->ring, subs[i]);
    rpmPubkeyFree(subs[i]);
  }
  free(subs);
  rpmPubkeyFree(key);
  vzt_strv_push(&k->fingerprints, primary);
  return true;
}

/* The keyring's packets: armored text is decoded by librpm; anything else
 * is taken as the binary packets `gpg --export` writes. */
static int read_packets(const char *path, uint8_t **pkts, size_t *len, struct vzt_error **err)
{
  _cleanup_free_ char *data = NULL;
  size_t dlen = 0;
  if (vzt_read_file(path, &data, &dlen, err) < 0)
    return -1;
  int tag;
  size_t hdr, body;
  if (memmem(data, dlen, "-----BEGIN PGP", 14)) {
    _cleanup_free_ char *text = vzt_strndup(data, dlen);
    if (pgpParsePkts(text, pkts, len) > 0 && *len)
      return 0;
    free(*pkts);
    *pkts = NULL;
  } else if (packet_at((const uint8_t *) data, dlen, &tag, &hdr, &body) == 0 && tag == 6) {
    *pkts = (uint8_t *) steal_pointer(&data);
    *len = dlen;
    return 0;
  }
  return vzt_fail(err, "cannot read an OpenPGP public key from %s (neither an armored key block "
                       "nor binary key packets)", path);
}

int vzt_rpm_keyring_load(const char *path, char *const *pinned, struct vzt_rpm_keyring **out,
                         struct vzt_error **err)
{
  if (vzt_rpm_init(err) < 0)
    return -1;
  uint8_t *pkts = NULL;
  size_t len = 0;
  if (read_packets(path, &pkts, &len, err) < 0)
    return -1;
  struct vzt_rpm_keyring *k = vzt_calloc(1, sizeof(*k));
  k->ring = rpmKeyringNew();
  k->fingerprints = vzt_calloc(1, sizeof(char *));
  _cleanup_strv_ char **seen = vzt_calloc(1, sizeof(char *));
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
    vzt_strv_push(&seen, hex);
    take_certificate(k, pkts + off, certlen, hex, pinned);
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

/* The 16-hex-digit ID of the key that made the header's signature (V4,
 * else V3), into id (17 bytes); "" when it has none librpm can parse. */
static void signer_id(Header h, char *id)
{
  static const rpmTagVal tags[] = {RPMTAG_RSAHEADER, RPMTAG_DSAHEADER, RPMTAG_SIGPGP,
                                   RPMTAG_SIGGPG};
  id[0] = '\0';
  for (size_t i = 0; h && i < sizeof(tags) / sizeof(tags[0]) && !id[0]; i++) {
    struct rpmtd_s td;
    if (!headerGet(h, tags[i], &td, HEADERGET_MINMEM))
      continue;
    pgpDigParams sig = NULL;
    if (pgpPrtParams(td.data, td.count, PGPTAG_SIGNATURE, &sig) == 0 && sig) {
      const uint8_t *signid = pgpDigParamsSignID(sig);
      if (signid) {
        vzt_hex(signid, 8, id);
        for (char *c = id; *c; c++)
          *c = (char) toupper((unsigned char) *c);
      }
    }
    pgpDigParamsFree(sig);
    rpmtdFreeData(&td);
  }
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
  struct log_capture cap = {vzt_calloc(1, sizeof(char *))};
  rpmlogCallback old = rpmlogSetCallback(capture, &cap);
  rpmRC rc = rpmReadPackageFile(ts, fd, path, &h);
  Fclose(fd);
  bool v4 = h && (headerIsEntry(h, RPMTAG_RSAHEADER) || headerIsEntry(h, RPMTAG_DSAHEADER));
  bool v3 = h && (headerIsEntry(h, RPMTAG_SIGPGP) || headerIsEntry(h, RPMTAG_SIGGPG));
  bool payload_digest = h && headerIsEntry(h, RPMTAG_PAYLOADDIGEST);
  time_t build_time = h ? (time_t) headerGetNumber(h, RPMTAG_BUILDTIME) : 0;
  char signer[17];
  signer_id(h, signer);
  headerFree(h);
  rpmtsFree(ts);
  int ret = 0;
  if (rc == RPMRC_NOTFOUND || (rc == RPMRC_FAIL && !v4 && !v3 && !payload_digest && !cap.bad[0]))
    ret = vzt_refuse(err, "%s is not an RPM package", what);
  else if (rc == RPMRC_FAIL)
    ret = vzt_refuse(err, "%s: header digest or signature BAD", what);
  else if (want_sig && (rc == RPMRC_NOKEY || rc == RPMRC_NOTTRUSTED)) {
    _cleanup_free_ char *pins = vzt_strv_join(k->fingerprints, " ");
    ret = vzt_refuse(err, "%s is signed by key %s, which is not among the pinned keys (%s): pin "
                          "that key's fingerprint in the repository's keys only if you trust it",
                     what, *signer ? signer : "(unreadable)", pins);
  }
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

