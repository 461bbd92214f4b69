/* The deb family's view of a template's package database: dpkg's status file,
 * read out of the archive. */
#include "config.h"
#include "tmpl/deb/deb-internal.h"
#include "tmpl/deb/control.h"
#include "lib/cleanup.h"
#include "lib/locale.h"
#include "lib/strutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_PATH "./var/lib/dpkg/status"
#define STATUS_MAX (256 << 20)

/* dpkg's status file, found by its path in the tar stream; nothing is
 * written anywhere. */
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
    if (archive_entry_filetype(e) != AE_IFREG || size < 0 || size > STATUS_MAX) {
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

/* Only "install ok installed" is installed; other "install ..." states were
 * wanted but did not finish; the rest (removed, config-files kept) are
 * leftovers. */
static enum vzt_installed_state status_state(const char *status)
{
  if (status && !strcmp(status, "install ok installed"))
    return VZT_INSTALLED;
  if (status && vzt_startswith(status, "install "))
    return VZT_INSTALLED_PARTLY;
  return VZT_INSTALLED_GONE;
}

int vzt_deb_read_installed(const char *archive, struct vzt_installed *out, struct vzt_error **err)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  memset(out, 0, sizeof(*out));
  if (read_status(archive, &text, &len, err) < 0)
    return -1;
  struct vzt_deb_stanza st = {0};
  size_t pos = 0;
  int r;
  while ((r = vzt_deb_stanza_next(text, len, &pos, &st)) == 1) {
    _cleanup_free_ char *name = vzt_deb_stanza_dup(&st, "Package");
    _cleanup_free_ char *version = vzt_deb_stanza_dup(&st, "Version");
    _cleanup_free_ char *arch = vzt_deb_stanza_dup(&st, "Architecture");
    _cleanup_free_ char *status = vzt_deb_stanza_dup(&st, "Status");
    _cleanup_free_ char *said = status ? vzt_strdupf("Status: %s", status) : vzt_strdup("no Status");
    vzt_installed_push(out, name, version, arch, said, status_state(status));
  }
  vzt_deb_stanza_clear(&st);
  if (r < 0) {
    vzt_installed_clear(out);
    return vzt_refuse(err, "%s: malformed %s", archive, STATUS_PATH);
  }
  return 0;
}
