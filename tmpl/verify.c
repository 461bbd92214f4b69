/* Checking a template against its manifest. */
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
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_PATH "./var/lib/dpkg/status"

/* dpkg's status file, read out of the archive without unpacking it. */
static int read_status(const char *archive, char **text, size_t *len, struct vzt_error **err)
{
  /* Paths in the archive are UTF-8 (pax); read them as such whatever the
   * caller's locale, as pack.c writes them. */
  locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
  locale_t old = utf8 ? uselocale(utf8) : (locale_t) 0;
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
  if (utf8) {
    uselocale(old);
    freelocale(utf8);
  }
  return ret;
}

static int check_packages(const struct vzt_manifest *m, const char *archive, const char *text,
                          size_t len, size_t *found, struct vzt_error **err)
{
  bool *seen = calloc(m->npackages + 1, sizeof(bool));
  struct vzt_deb_stanza st = {0};
  size_t pos = 0;
  int r, ret = 0;
  while (!ret && (r = vzt_deb_stanza_next(text, len, &pos, &st)) == 1) {
    if (!vzt_deb_stanza_is(&st, "Status", "install ok installed"))
      continue;
    _cleanup_free_ char *name = vzt_deb_stanza_dup(&st, "Package");
    _cleanup_free_ char *version = vzt_deb_stanza_dup(&st, "Version");
    _cleanup_free_ char *arch = vzt_deb_stanza_dup(&st, "Architecture");
    size_t i;
    for (i = 0; i < m->npackages; i++)
      if (!seen[i] && name && !strcmp(m->packages[i].name, name) && arch &&
          !strcmp(m->packages[i].architecture, arch))
        break;
    if (i == m->npackages)
      ret = vzt_refuse(err, "%s: package %s (%s) is installed but not in the manifest", archive,
                       name ? name : "?", arch ? arch : "?");
    else if (!version || strcmp(version, m->packages[i].version))
      ret = vzt_refuse(err, "%s: package %s is version %s, the manifest says %s", archive, name,
                       version ? version : "?", m->packages[i].version);
    else
      seen[i] = true;
  }
  vzt_deb_stanza_clear(&st);
  if (!ret && r < 0)
    ret = vzt_refuse(err, "%s: malformed %s", archive, STATUS_PATH);
  *found = 0;
  for (size_t i = 0; !ret && i < m->npackages; i++) {
    if (!seen[i])
      ret = vzt_refuse(err, "%s: package %s %s of the manifest is not installed in it", archive,
                       m->packages[i].name, m->packages[i].version);
    (*found)++;
  }
  free(seen);
  return ret;
}

int vzt_verify_template(const char *manifest_path, struct vzt_verify_report *rep,
                        struct vzt_error **err)
{
  memset(rep, 0, sizeof(*rep));
  struct vzt_manifest m;
  if (vzt_manifest_load(manifest_path, &m, err) < 0)
    return -1;
  int ret = -1;
  _cleanup_free_ char *text = NULL;
  _cleanup_free_ char *dir = vzt_strdup(manifest_path);
  _cleanup_close_ int fd = -1;
  size_t len = 0;
  rep->name = vzt_strdup(m.name);
  if (!m.archive_file || !m.archive_sha256) {
    vzt_refuse(err, "%s names no archive and hash", manifest_path);
    goto out;
  }
  rep->archive = strchr(m.archive_file, '/') ? vzt_strdup(m.archive_file)
                                             : vzt_path_join(dirname(dir), m.archive_file);
  fd = open(rep->archive, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    vzt_fail_errno(err, errno, "cannot open %s", rep->archive);
    goto out;
  }
  uint64_t size = 0;
  char hex[VZT_DIGEST_HEX_MAX];
  if (vzt_digest_fd(fd, VZT_DIGEST_SHA256, hex, &size, err) < 0)
    goto out;
  if (strcmp(hex, m.archive_sha256) || (m.archive_size && size != m.archive_size)) {
    vzt_refuse(err, "%s: sha256 %s (%llu bytes) but the manifest says %s (%llu bytes)",
               rep->archive, hex, (unsigned long long) size, m.archive_sha256,
               (unsigned long long) m.archive_size);
    goto out;
  }
  memcpy(rep->sha256, hex, sizeof(rep->sha256) - 1); /* equal to the manifest's 64 hex digits */
  if (read_status(rep->archive, &text, &len, err) < 0 ||
      check_packages(&m, rep->archive, text, len, &rep->packages, err) < 0)
    goto out;
  ret = 0;
out:
  vzt_manifest_clear(&m);
  return ret;
}

void vzt_verify_report_clear(struct vzt_verify_report *rep)
{
  free(rep->name);
  free(rep->archive);
  memset(rep, 0, sizeof(*rep));
}
