/* The licenses a Debian package declares in its machine-readable copyright
 * file, mapped to SPDX identifiers. */
#include "config.h"
#include "tmpl/sbom/dep5.h"
#include "tmpl/deb/control.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Debian's short names whose SPDX id is spelt otherwise or differs in case;
 * the GNU licenses are mapped by rule (gnu_license). */
static const char *const renamed[][2] = {
    {"Expat", "MIT"},           {"BSD-2-clause", "BSD-2-Clause"},
    {"BSD-3-clause", "BSD-3-Clause"}, {"BSD-4-clause", "BSD-4-Clause"},
    {"Artistic", "Artistic-1.0"}, {"PSF-2", "PSF-2.0"},
    {"zlib", "Zlib"},           {"MIT", "MIT"},
    {"ISC", "ISC"},             {"Apache-1.0", "Apache-1.0"},
    {"Apache-1.1", "Apache-1.1"}, {"Apache-2.0", "Apache-2.0"},
    {"Artistic-1.0", "Artistic-1.0"}, {"Artistic-2.0", "Artistic-2.0"},
    {"MPL-1.0", "MPL-1.0"},     {"MPL-1.1", "MPL-1.1"},
    {"MPL-2.0", "MPL-2.0"},     {"CC0-1.0", "CC0-1.0"},
    {"CC-BY-3.0", "CC-BY-3.0"}, {"CC-BY-4.0", "CC-BY-4.0"},
    {"CC-BY-SA-3.0", "CC-BY-SA-3.0"}, {"CC-BY-SA-4.0", "CC-BY-SA-4.0"},
    {"Python-2.0", "Python-2.0"}, {"OpenSSL", "OpenSSL"},
    {"X11", "X11"},             {"curl", "curl"},
    {"BSL-1.0", "BSL-1.0"},     {"Unlicense", "Unlicense"},
    {"WTFPL", "WTFPL"},         {"FTL", "FTL"},
    {"Libpng", "Libpng"},       {"libpng-2.0", "libpng-2.0"},
    {"Zope-2.1", "ZPL-2.1"},    {"EPL-1.0", "EPL-1.0"},
    {"EPL-2.0", "EPL-2.0"},     {"CDDL-1.0", "CDDL-1.0"},
    {"Ruby", "Ruby"},           {"OFL-1.1", "OFL-1.1"},
    {"MIT-0", "MIT-0"},         {"0BSD", "0BSD"},
    {"Sleepycat", "Sleepycat"}, {"TCL", "TCL"},
    {"NTP", "NTP"},             {"Beerware", "Beerware"},
    {"Unicode-DFS-2016", "Unicode-DFS-2016"}, {"BSD-1-clause", "BSD-1-Clause"},
    {"Apache-2", "Apache-2.0"}, {"BSL-1", "BSL-1.0"},
    {"MPL-2", "MPL-2.0"},       {"CC0", "CC0-1.0"},
    {"BSD-2-Clause", "BSD-2-Clause"}, {"BSD-3-Clause", "BSD-3-Clause"},
};

/* GPL-2 -> GPL-2.0-only, LGPL-2.1+ -> LGPL-2.1-or-later, GFDL-1.3 ...; NULL
 * for anything else. */
static char *gnu_license(const char *name)
{
  static const char *const families[] = {"GPL", "LGPL", "AGPL", "GFDL"};
  for (size_t i = 0; i < VZT_ARRAY_SIZE(families); i++) {
    size_t l = strlen(families[i]);
    if (strncasecmp(name, families[i], l) || name[l] != '-' || !isdigit((unsigned char) name[l + 1]))
      continue;
    const char *v = name + l + 1;
    char major = v[0], minor = '0';
    v++;
    if (v[0] == '.' && isdigit((unsigned char) v[1])) {
      minor = v[1];
      v += 2;
    }
    bool later = !strcmp(v, "+");
    if (*v && !later)
      return NULL;
    return vzt_strdupf("%s-%c.%c-%s", families[i], major, minor, later ? "or-later" : "only");
  }
  return NULL;
}

/* name's SPDX id, or NULL when SPDX has none known here; "X+" of a known
 * non-GNU id keeps SPDX's own "+" (or later). */
static char *spdx_id(const char *name)
{
  char *gnu = gnu_license(name);
  if (gnu)
    return gnu;
  size_t len = strlen(name);
  bool later = len > 1 && name[len - 1] == '+';
  for (size_t i = 0; i < VZT_ARRAY_SIZE(renamed); i++)
    if (strlen(renamed[i][0]) == len - later && !strncasecmp(name, renamed[i][0], len - later))
      return vzt_strdupf("%s%s", renamed[i][1], later ? "+" : "");
  return NULL;
}

char *vzt_dep5_license_ref(const char *name, char ***ref_ids, char ***ref_names)
{
  size_t len = strlen(name);
  bool later = len > 1 && name[len - 1] == '+';
  char *id = vzt_strdupf("LicenseRef-%.*s%s", (int) (len - later), name,
                         later ? "-or-later" : len ? "" : "unnamed");
  for (char *p = id + strlen("LicenseRef-"); *p; p++)
    if (!isalnum((unsigned char) *p) && *p != '.' && *p != '-')
      *p = '-';
  vzt_strv_push(ref_ids, id);
  vzt_strv_push(ref_names, name);
  return id;
}

char *vzt_dep5_to_spdx(const char *license, char ***ref_ids, char ***ref_names)
{
  _cleanup_free_ char *copy = vzt_strdup(license);
  vzt_strstrip(copy);
  _cleanup_strv_ char **words = vzt_strv_split(copy);
  bool whole = strchr(copy, ',') != NULL || !words[0];
  for (char **w = words; *w && !whole; w++)
    whole = !strcasecmp(*w, "with");
  if (whole) {
    _cleanup_free_ char *id = spdx_id(copy);
    return id ? steal_pointer(&id) : vzt_dep5_license_ref(copy, ref_ids, ref_names);
  }
  _cleanup_strv_ char **out = vzt_calloc(1, sizeof(char *));
  for (char **w = words; *w; w++) {
    /* copyright-format 1.0 reads "and/or" as "or". */
    if (!strcasecmp(*w, "or") || !strcasecmp(*w, "and/or") || !strcasecmp(*w, "and")) {
      vzt_strv_push(&out, strcasecmp(*w, "and") ? "OR" : "AND");
      continue;
    }
    char *id = spdx_id(*w);
    vzt_strv_push_take(&out, id ? id : vzt_dep5_license_ref(*w, ref_ids, ref_names));
  }
  return vzt_strv_join(out, " ");
}

char *vzt_dep5_declared(const struct vzt_dep5 *d, char ***ref_ids, char ***ref_names)
{
  if (!d->licenses || !d->licenses[0])
    return NULL;
  _cleanup_strv_ char **parts = vzt_calloc(1, sizeof(char *));
  for (char **l = d->licenses; *l; l++) {
    _cleanup_free_ char *e = vzt_dep5_to_spdx(*l, ref_ids, ref_names);
    _cleanup_free_ char *part = d->licenses[1] && strchr(e, ' ') ? vzt_strdupf("(%s)", e)
                                                                 : vzt_strdup(e);
    if (!vzt_strv_contains(parts, part))
      vzt_strv_push(&parts, part);
  }
  return vzt_strv_join(parts, " AND ");
}

/* A field's continuation lines as text: the leading blank dropped, " ."
 * standing for an empty line. */
static char *field_text(const char *value, size_t len)
{
  const char *nl = memchr(value, '\n', len);
  if (!nl)
    return NULL;
  _cleanup_free_ char *rest = vzt_strndup(nl + 1, len - (size_t) (nl + 1 - value));
  char *out = vzt_calloc(1, strlen(rest) + 2), *o = out;
  if (!out)
    vzt_out_of_memory();
  for (char *save = NULL, *line = strtok_r(rest, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (*line == ' ' || *line == '\t')
      line++;
    if (!strcmp(line, "."))
      line = "";
    o = stpcpy(o, line);
    *o++ = '\n';
  }
  *o = 0;
  return out;
}

static bool is_format_1_0(const struct vzt_deb_stanza *st)
{
  _cleanup_free_ char *format = vzt_deb_stanza_dup(st, "Format");
  if (!format)
    return false;
  vzt_strstrip(format);
  return (vzt_startswith(format, "https://") || vzt_startswith(format, "http://")) &&
         strstr(format, "www.debian.org/doc/packaging-manuals/copyright-format/1.0");
}

/* One License field: its name (the first line) and any text after it. */
static void take_license(struct vzt_dep5 *d, const struct vzt_deb_stanza *st, bool files)
{
  size_t len = 0;
  const char *v = vzt_deb_stanza_get(st, "License", &len);
  if (!v)
    return;
  const char *nl = memchr(v, '\n', len);
  _cleanup_free_ char *name = vzt_strndup(v, nl ? (size_t) (nl - v) : len);
  vzt_strstrip(name);
  if (!*name)
    return;
  if (files && !vzt_strv_contains(d->licenses, name))
    vzt_strv_push(&d->licenses, name);
  _cleanup_free_ char *text = field_text(v, len);
  if (text && *vzt_strstrip(text) && !vzt_strv_contains(d->names, name)) {
    vzt_strv_push(&d->names, name);
    vzt_strv_push(&d->texts, text);
  }
}

int vzt_dep5_parse(const char *text, size_t len, struct vzt_dep5 *d)
{
  memset(d, 0, sizeof(*d));
  d->licenses = vzt_calloc(1, sizeof(char *));
  d->names = vzt_calloc(1, sizeof(char *));
  d->texts = vzt_calloc(1, sizeof(char *));
  if (!d->licenses || !d->names || !d->texts)
    vzt_out_of_memory();
  struct vzt_deb_stanza st = {0};
  size_t pos = 0;
  int r = vzt_deb_stanza_next(text, len, &pos, &st);
  if (r == 1 && is_format_1_0(&st)) {
    /* Standalone License paragraphs give texts first, then the Files ones. */
    for (int pass = 0; pass < 2; pass++) {
      pos = 0;
      while ((r = vzt_deb_stanza_next(text, len, &pos, &st)) == 1) {
        bool files = vzt_deb_stanza_get(&st, "Files", NULL) != NULL;
        if (files == (pass == 1))
          take_license(d, &st, files);
      }
      if (r < 0)
        break;
    }
  }
  vzt_deb_stanza_clear(&st);
  if (r < 0 || !d->licenses[0]) {
    vzt_dep5_clear(d);
    return 0;
  }
  vzt_strv_sort(d->licenses);
  return 1;
}

const char *vzt_dep5_text(const struct vzt_dep5 *d, const char *name)
{
  for (size_t i = 0; d->names && d->names[i]; i++)
    if (!strcmp(d->names[i], name))
      return d->texts[i];
  return NULL;
}

void vzt_dep5_clear(struct vzt_dep5 *d)
{
  vzt_strv_free(d->licenses);
  vzt_strv_free(d->names);
  vzt_strv_free(d->texts);
  memset(d, 0, sizeof(*d));
}
