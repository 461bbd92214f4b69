/* Checking a template against its manifest: hash, signed SHA256SUMS, package database. */
#include "config.h"
#include "tmpl/lifecycle/verify.h"
#include "tmpl/family.h"
#include "tmpl/manifest.h"
#include "tmpl/publish/sums.h"
#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <libgen.h>
#include "lib/locale.h"
#include "lib/alloc.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* A manifest architecture and a database one agree when equal, or when
 * either is the family's architecture-independent word (an "all" package
 * is fine on any template). */
static bool arch_match(const struct vzt_family_ops *ops, const char *manifest, const char *db)
{
  return manifest && db &&
         (!strcmp(manifest, db) || !strcmp(manifest, ops->noarch) || !strcmp(db, ops->noarch));
}

/* Every problem is counted; the first few are kept for the summary, the
 * first one becomes the refusal. */
static void problem(struct vzt_verify_report *rep, char ***list, struct vzt_error **err,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void problem(struct vzt_verify_report *rep, char ***list, struct vzt_error **err,
                    const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *msg = NULL;
  if (vasprintf(&msg, fmt, ap) < 0)
    vzt_out_of_memory();
  va_end(ap);
  if (!rep->problems++)
    vzt_refuse(err, "%s: %s", rep->archive, msg);
  if (vzt_strv_len(*list) < 5)
    vzt_strv_push_take(list, msg);
  else
    free(msg);
}

static int check_packages(const struct vzt_manifest *m, const struct vzt_family_ops *ops,
                          const struct vzt_installed *db, struct vzt_verify_report *rep,
                          struct vzt_error **err)
{
  _cleanup_free_ bool *seen = vzt_calloc(m->npackages + 1, sizeof(bool));
  _cleanup_strv_ char **list = vzt_calloc(1, sizeof(char *));
  for (size_t k = 0; k < db->n; k++) {
    const struct vzt_installed_package *p = &db->packages[k];
    const char *name = p->name, *arch = p->architecture, *status = p->status;
    size_t i;
    for (i = 0; i < m->npackages; i++)
      if (!seen[i] && name && m->packages[i].name && !strcmp(m->packages[i].name, name) &&
          arch_match(ops, m->packages[i].architecture, arch))
        break;
    if (i == m->npackages) {
      /* Leftovers (removed with their configuration kept, rpm's keys) are no packages. */
      if (p->state != VZT_INSTALLED_GONE)
        problem(rep, &list, err, "package %s (%s) is in the package database (%s) but not in the manifest",
                name ? name : "?", arch ? arch : "?", status ? status : "?");
      continue;
    }
    seen[i] = true;
    if (p->state != VZT_INSTALLED)
      problem(rep, &list, err, "package %s of the manifest is not installed (%s)", name,
              status ? status : "no status");
    else if (!p->version || !m->packages[i].version || strcmp(p->version, m->packages[i].version))
      problem(rep, &list, err, "package %s is version %s, the manifest says %s", name,
              p->version ? p->version : "?", m->packages[i].version ? m->packages[i].version : "?");
    else
      rep->packages++;
  }
  for (size_t i = 0; i < m->npackages; i++)
    if (!seen[i])
      problem(rep, &list, err, "package %s %s of the manifest is not installed in it",
              m->packages[i].name ? m->packages[i].name : "?",
              m->packages[i].version ? m->packages[i].version : "?");
  struct vzt_verify_check *c = &rep->checks[VZT_VERIFY_PACKAGES];
  if (rep->problems) {
    _cleanup_free_ char *first = vzt_strv_join(list, "; ");
    c->status = VZT_CHECK_FAILED;
    c->detail = rep->problems > vzt_strv_len(list)
                    ? vzt_strdupf("%zu problems: %s; ...", rep->problems, first)
                    : vzt_strdupf("%zu problem%s: %s", rep->problems, rep->problems == 1 ? "" : "s", first);
    return -1;
  }
  c->status = VZT_CHECK_PASSED;
  c->detail = vzt_strdupf("%zu packages installed as listed, none unlisted", rep->packages);
  return 0;
}

static int check_archive(const struct vzt_manifest *m, struct vzt_verify_report *rep,
                         struct vzt_error **err)
{
  struct vzt_verify_check *c = &rep->checks[VZT_VERIFY_ARCHIVE];
  _cleanup_close_ int fd = open(rep->archive, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    c->detail = vzt_strdupf("cannot open %s: %s", rep->archive, strerror(errno));
    return vzt_fail_errno(err, errno, "cannot open %s", rep->archive);
  }
  char hex[VZT_DIGEST_HEX_MAX];
  if (vzt_digest_fd(fd, VZT_DIGEST_SHA256, hex, &rep->size, err) < 0) {
    c->detail = vzt_strdupf("cannot read %s", rep->archive);
    return -1;
  }
  memcpy(rep->sha256, hex, sizeof(rep->sha256) - 1);
  if (strcasecmp(hex, m->archive_sha256) || (m->archive_size && rep->size != m->archive_size)) {
    c->status = VZT_CHECK_FAILED;
    c->detail = vzt_strdupf("sha256 %s (%llu bytes), the manifest says %s (%llu bytes)", hex,
                            (unsigned long long) rep->size, m->archive_sha256,
                            (unsigned long long) m->archive_size);
    return vzt_refuse(err, "%s: %s", rep->archive, c->detail);
  }
  c->status = VZT_CHECK_PASSED;
  c->detail = vzt_strdupf("sha256 %s, %llu bytes, as the manifest says", hex,
                          (unsigned long long) rep->size);
  return 0;
}

/* The signed SHA256SUMS that vouches for an archive: "<name>.SHA256SUMS"
 * beside it (a download in the cache), else "SHA256SUMS" beside it or up to
 * three directories above (a published tree: templates/<name>/<build>/). */
static char *find_sums(const char *archive)
{
  if (vzt_endswith(archive, ".tar.zst")) {
    _cleanup_free_ char *p = vzt_strdupf("%.*s.SHA256SUMS", (int) (strlen(archive) - 8), archive);
    if (access(p, F_OK) == 0)
      return steal_pointer(&p);
  }
  _cleanup_free_ char *dir = vzt_strdup(archive);
  char *d = dirname(dir);
  for (int up = 0; up < 4; up++) {
    _cleanup_free_ char *p = vzt_path_join(d, "SHA256SUMS");
    if (access(p, F_OK) == 0)
      return steal_pointer(&p);
    if (!strcmp(d, "/") || !strcmp(d, "."))
      break;
    d = dirname(d);
  }
  return NULL;
}

static int sig_fail(struct vzt_verify_check *c, struct vzt_error **err)
{
  c->status = VZT_CHECK_FAILED;
  c->detail = vzt_strdup(err && *err ? (*err)->msg : "signature check failed");
  return -1;
}

/* With a keyring: the SHA256SUMS beside the template must carry a good
 * signature and list the archive's and the manifest's hashes. Without one,
 * or without a SHA256SUMS, the check is skipped and says why; never "passed". */
static int check_signature(const struct vzt_verify_opts *o, const char *manifest_path,
                           struct vzt_verify_report *rep, struct vzt_error **err)
{
  struct vzt_verify_check *c = &rep->checks[VZT_VERIFY_SIGNATURE];
  _cleanup_free_ char *sums_path = find_sums(rep->archive);
  c->status = VZT_CHECK_SKIPPED;
  if (!sums_path) {
    c->detail = vzt_strdup("no signed SHA256SUMS beside the archive");
    return 0;
  }
  _cleanup_free_ char *sig_path = vzt_strdupf("%s.gpg", sums_path);
  if (!o || !o->keyring) {
    c->detail = vzt_strdupf("%s not checked: no --keyring given", sig_path);
    return 0;
  }
  _cleanup_free_ char *sums = NULL, *sig = NULL, *fpr = NULL, *mtext = NULL;
  size_t sums_len = 0, sig_len = 0, mlen = 0;
  if (vzt_read_file(sums_path, &sums, &sums_len, err) < 0)
    return sig_fail(c, err);
  if (access(sig_path, F_OK) < 0) {
    vzt_refuse(err, "%s has no signature (%s is missing)", sums_path, sig_path);
    return sig_fail(c, err);
  }
  if (vzt_read_file(sig_path, &sig, &sig_len, err) < 0)
    return sig_fail(c, err);
  struct vzt_sums list;
  if (vzt_sums_verify(o->keyring, sums, sums_len, sig, sig_len, sums_path, &list, &fpr, err) < 0)
    return sig_fail(c, err);
  _cleanup_free_ char *abase = vzt_strdup(rep->archive);
  _cleanup_free_ char *mbase = vzt_strdup(manifest_path);
  char mhex[VZT_DIGEST_HEX_MAX];
  int ret = 0;
  if (vzt_read_file(manifest_path, &mtext, &mlen, err) < 0) {
    ret = sig_fail(c, err);
    goto out;
  }
  struct vzt_digest *d = vzt_digest_new(VZT_DIGEST_SHA256);
  vzt_digest_update(d, mtext, mlen);
  vzt_digest_finish(d, mhex);
  if (!vzt_sums_lists(&list, basename(abase), rep->sha256)) {
    vzt_refuse(err, "%s: sha256 %s is not in the signed %s", rep->archive, rep->sha256, sums_path);
    ret = sig_fail(c, err);
  } else if (!vzt_sums_lists(&list, basename(mbase), mhex)) {
    vzt_refuse(err, "%s: sha256 %s is not in the signed %s (the manifest changed after signing)",
               manifest_path, mhex, sums_path);
    ret = sig_fail(c, err);
  } else {
    c->status = VZT_CHECK_PASSED;
    c->detail = vzt_strdupf("%s signed by %s lists the archive and the manifest", sums_path, fpr);
  }
out:
  vzt_sums_clear(&list);
  return ret;
}

static void skip_rest(struct vzt_verify_report *rep, int from, const char *why)
{
  for (int i = from; i < VZT_VERIFY_NCHECKS; i++)
    if (!rep->checks[i].detail) {
      rep->checks[i].status = VZT_CHECK_SKIPPED;
      rep->checks[i].detail = vzt_strdup(why);
    }
}

int vzt_verify_template(const char *manifest_path, const struct vzt_verify_opts *o,
                        struct vzt_verify_report *rep, struct vzt_error **err)
{
  memset(rep, 0, sizeof(*rep));
  struct vzt_manifest m;
  if (vzt_manifest_load(manifest_path, &m, err) < 0) {
    rep->name = vzt_strdup(manifest_path);
    skip_rest(rep, 0, "the manifest could not be read");
    return -1;
  }
  int ret = -1;
  _cleanup_free_ char *dir = vzt_strdup(manifest_path);
  const struct vzt_family_ops *ops = NULL;
  struct vzt_installed db = {0};
  rep->name = vzt_strdup(m.name);
  if (!m.archive_file || !m.archive_sha256) {
    vzt_refuse(err, "%s names no archive and hash", manifest_path);
    skip_rest(rep, 0, "the manifest names no archive and hash");
    goto out;
  }
  rep->archive = strchr(m.archive_file, '/') ? vzt_strdup(m.archive_file)
                                             : vzt_path_join(dirname(dir), m.archive_file);
  if (check_archive(&m, rep, err) < 0) {
    skip_rest(rep, VZT_VERIFY_ARCHIVE + 1, "the archive is not the one the manifest describes");
    goto out;
  }
  if (check_signature(o, manifest_path, rep, err) < 0) {
    skip_rest(rep, VZT_VERIFY_SIGNATURE + 1, "the signature check failed");
    goto out;
  }
  if (vzt_family_read_installed(&m, rep->archive, &ops, &db, err) < 0) {
    rep->checks[VZT_VERIFY_PACKAGES].status = VZT_CHECK_FAILED;
    rep->checks[VZT_VERIFY_PACKAGES].detail =
        vzt_strdup(err && *err ? (*err)->msg : "cannot read the package database");
    goto out;
  }
  if (check_packages(&m, ops, &db, rep, err) < 0)
    goto out;
  ret = 0;
out:
  vzt_installed_clear(&db);
  vzt_manifest_clear(&m);
  return ret;
}

const char *vzt_verify_check_name(enum vzt_verify_check_id id)
{
  switch (id) {
  case VZT_VERIFY_ARCHIVE: return "archive";
  case VZT_VERIFY_SIGNATURE: return "signature";
  case VZT_VERIFY_PACKAGES: return "packages";
  case VZT_VERIFY_NCHECKS: break;
  }
  return "?";
}

const char *vzt_check_status_name(enum vzt_check_status s)
{
  return s == VZT_CHECK_PASSED ? "passed" : s == VZT_CHECK_FAILED ? "failed" : "skipped";
}

void vzt_verify_report_clear(struct vzt_verify_report *rep)
{
  free(rep->name);
  free(rep->archive);
  for (int i = 0; i < VZT_VERIFY_NCHECKS; i++)
    free(rep->checks[i].detail);
  memset(rep, 0, sizeof(*rep));
}
