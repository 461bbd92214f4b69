/* Checking a template against its manifest: hash, (later) signature, package database. */
#include "config.h"
#include "tmpl/verify.h"
#include "tmpl/deb-control.h"
#include "tmpl/manifest.h"
#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/strutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <libgen.h>
#include "lib/locale.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define STATUS_PATH "./var/lib/dpkg/status"

/* dpkg's status file, read out of the archive without unpacking it. */
static int read_status(const char *archive, char **text, size_t *len, struct vzt_error **err)
{
  VZT_UTF8_SCOPE(utf8);
  struct archive *a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  int ret = -1;
  struct archive_entry *e;
  if (archive_read_open_filename(a, archive, 1 << 16) != ARCHIVE_OK) {
    vzt_fail(err, "cannot read %s: %s", archive, archive_error_string(a));
    goto out;
  }
  int r;
  while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
    if (strcmp(archive_entry_pathname(e), STATUS_PATH))
      continue;
    la_int64_t size = archive_entry_size(e);
    if (size < 0 || size > (256 << 20)) {
      vzt_refuse(err, "%s: implausible %s", archive, STATUS_PATH);
      goto out;
    }
    *text = malloc(size + 1);
    if (!*text)
      abort();
    la_ssize_t got = archive_read_data(a, *text, size);
    if (got != size) {
      free(*text);
      *text = NULL;
      vzt_refuse(err, "%s: cannot read %s: %s", archive, STATUS_PATH, archive_error_string(a));
      goto out;
    }
    (*text)[size] = 0;
    *len = size;
    ret = 0;
    goto out;
  }
  if (r != ARCHIVE_EOF)
    vzt_refuse(err, "%s is damaged: %s", archive, archive_error_string(a));
  else
    vzt_refuse(err, "%s has no %s: not a Debian template", archive, STATUS_PATH);
out:
  archive_read_free(a);
  return ret;
}

/* A manifest architecture and a status one agree when equal, or when either
 * is "all" (an Architecture: all package is fine on any template). */
static bool arch_match(const char *manifest, const char *status)
{
  return manifest && status &&
         (!strcmp(manifest, status) || !strcmp(manifest, "all") || !strcmp(status, "all"));
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
    abort();
  va_end(ap);
  if (!rep->problems++)
    vzt_refuse(err, "%s: %s", rep->archive, msg);
  if (vzt_strv_len(*list) < 5)
    vzt_strv_push_take(list, msg);
  else
    free(msg);
}

static int check_packages(const struct vzt_manifest *m, struct vzt_verify_report *rep,
                          const char *text, size_t len, struct vzt_error **err)
{
  _cleanup_free_ bool *seen = calloc(m->npackages + 1, sizeof(bool));
  _cleanup_strv_ char **list = calloc(1, sizeof(char *));
  struct vzt_deb_stanza st = {0};
  size_t pos = 0;
  int r;
  while ((r = vzt_deb_stanza_next(text, len, &pos, &st)) == 1) {
    _cleanup_free_ char *name = vzt_deb_stanza_dup(&st, "Package");
    _cleanup_free_ char *version = vzt_deb_stanza_dup(&st, "Version");
    _cleanup_free_ char *arch = vzt_deb_stanza_dup(&st, "Architecture");
    _cleanup_free_ char *status = vzt_deb_stanza_dup(&st, "Status");
    bool installed = status && !strcmp(status, "install ok installed");
    size_t i;
    for (i = 0; i < m->npackages; i++)
      if (!seen[i] && name && m->packages[i].name && !strcmp(m->packages[i].name, name) &&
          arch_match(m->packages[i].architecture, arch))
        break;
    if (i == m->npackages) {
      /* Removed packages keep a stanza ("deinstall ok config-files"): not installed, fine. */
      if (installed || (status && vzt_startswith(status, "install ")))
        problem(rep, &list, err, "package %s (%s) is in the package database (%s) but not in the manifest",
                name ? name : "?", arch ? arch : "?", status ? status : "no Status");
      continue;
    }
    seen[i] = true;
    if (!installed)
      problem(rep, &list, err, "package %s of the manifest is not installed (Status: %s)", name,
              status ? status : "none");
    else if (!version || !m->packages[i].version || strcmp(version, m->packages[i].version))
      problem(rep, &list, err, "package %s is version %s, the manifest says %s", name,
              version ? version : "?", m->packages[i].version ? m->packages[i].version : "?");
    else
      rep->packages++;
  }
  vzt_deb_stanza_clear(&st);
  if (r < 0)
    problem(rep, &list, err, "malformed %s", STATUS_PATH);
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

/* Detached signatures arrive with publish/download: until then, say whether
 * one is there and that it was not checked. Never "passed". */
static int check_signature(const struct vzt_verify_opts *o, struct vzt_verify_report *rep,
                           struct vzt_error **err)
{
  (void) o;
  (void) err;
  struct vzt_verify_check *c = &rep->checks[VZT_VERIFY_SIGNATURE];
  _cleanup_free_ char *sig = vzt_strdupf("%s.sig", rep->archive);
  _cleanup_free_ char *dir = vzt_strdup(rep->archive);
  _cleanup_free_ char *sums = vzt_path_join(dirname(dir), "SHA256SUMS.gpg");
  c->status = VZT_CHECK_SKIPPED;
  if (access(sig, F_OK) == 0)
    c->detail = vzt_strdupf("%s not checked: signature verification is not implemented yet", sig);
  else if (access(sums, F_OK) == 0)
    c->detail = vzt_strdupf("%s not checked: signature verification is not implemented yet", sums);
  else
    c->detail = vzt_strdup("no detached signature beside the archive");
  return 0;
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
  _cleanup_free_ char *text = NULL;
  _cleanup_free_ char *dir = vzt_strdup(manifest_path);
  size_t len = 0;
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
  check_signature(o, rep, err);
  if (read_status(rep->archive, &text, &len, err) < 0) {
    rep->checks[VZT_VERIFY_PACKAGES].status = VZT_CHECK_FAILED;
    rep->checks[VZT_VERIFY_PACKAGES].detail = vzt_strdup(err && *err ? (*err)->msg : "cannot read " STATUS_PATH);
    goto out;
  }
  if (check_packages(&m, rep, text, len, err) < 0)
    goto out;
  ret = 0;
out:
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
