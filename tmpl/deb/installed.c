/* The deb family's view of a template's package database: dpkg's status file,
 * read out of the archive. */
#include "config.h"
#include "tmpl/deb/deb-internal.h"
#include "tmpl/deb/control.h"
#include "lib/cleanup.h"
#include "tmpl/archive-io.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_PATH "./var/lib/dpkg/status"
#define STATUS_MAX (256 << 20)

struct status_read {
  const char *archive;
  char *text;
  size_t len;
};

/* dpkg's status file, found by its path in the tar stream. */
static int take_status(struct archive *a, struct archive_entry *e, void *arg, struct vzt_error **err)
{
  struct status_read *s = arg;
  if (strcmp(archive_entry_pathname(e), STATUS_PATH))
    return 0;
  la_int64_t size = archive_entry_size(e);
  if (archive_entry_filetype(e) != AE_IFREG || size < 0 || size > STATUS_MAX)
    return vzt_refuse(err, "%s: implausible %s", s->archive, STATUS_PATH);
  s->text = vzt_malloc(size + 1);
  if (!s->text)
    vzt_out_of_memory();
  if (archive_read_data(a, s->text, size) != size)
    return vzt_refuse(err, "%s: cannot read %s: %s", s->archive, STATUS_PATH, archive_error_string(a));
  s->text[size] = 0;
  s->len = size;
  return 1;
}

/* The status file's text; nothing is written anywhere. */
static int read_status(const char *archive, char **text, size_t *len, struct vzt_error **err)
{
  struct status_read s = {.archive = archive};
  int r = vzt_archive_walk(archive, take_status, &s, err);
  if (r <= 0) {
    free(s.text);
    return r < 0 ? -1 : vzt_refuse(err, "%s has no %s: not a Debian template", archive, STATUS_PATH);
  }
  *text = s.text;
  *len = s.len;
  return 0;
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

/* The package names of a relation field ("a (>= 1) | b:any, c"): one entry
 * per comma-separated requirement, its alternatives joined by '|';
 * versions, architecture qualifiers and build profiles dropped. */
static void relation_names(const struct vzt_deb_stanza *st, const char *field, char ***out)
{
  _cleanup_free_ char *value = vzt_deb_stanza_dup(st, field);
  if (!value)
    return;
  for (char *save = NULL, *req = strtok_r(value, ",", &save); req; req = strtok_r(NULL, ",", &save)) {
    _cleanup_free_ char *joined = NULL;
    for (char *alt = req; alt;) {
      char *bar = strchr(alt, '|');
      if (bar)
        *bar = 0;
      alt += strspn(alt, " \t\n");
      size_t len = strcspn(alt, " \t\n(:[<");
      if (len) {
        char *next = joined ? vzt_strdupf("%s|%.*s", joined, (int) len, alt)
                            : vzt_strndup(alt, len);
        free(joined);
        joined = next;
      }
      alt = bar ? bar + 1 : NULL;
    }
    if (joined)
      vzt_strv_push(out, joined);
  }
}

/* Who made it and what it needs and provides, for an SBOM. */
static void take_relations(const struct vzt_deb_stanza *st, struct vzt_installed_package *p)
{
  p->supplier = vzt_deb_stanza_dup(st, "Maintainer");
  p->depends = vzt_calloc(1, sizeof(char *));
  p->provides = vzt_calloc(1, sizeof(char *));
  if (!p->depends || !p->provides)
    vzt_out_of_memory();
  relation_names(st, "Pre-Depends", &p->depends);
  relation_names(st, "Depends", &p->depends);
  relation_names(st, "Provides", &p->provides);
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
    take_relations(&st, &out->packages[out->n - 1]);
  }
  vzt_deb_stanza_clear(&st);
  if (r < 0) {
    vzt_installed_clear(out);
    return vzt_refuse(err, "%s: malformed %s", archive, STATUS_PATH);
  }
  return 0;
}
