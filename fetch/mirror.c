/* Finds the Debian mirrors the host's apt sources already use (one-line and deb822 files). */
#include "config.h"
#include "mirror.h"

#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One apt source: everything the filters below need. */
struct source {
  bool deb;         /* Types include "deb" (deb-src alone is skipped) */
  bool enabled;
  bool has_signed_by;
  bool debian_key;  /* Signed-By names debian-archive-keyring */
  char **uris;
  char **suites;
};

static void source_clear(struct source *s)
{
  vzt_strv_free(s->uris);
  vzt_strv_free(s->suites);
  *s = (struct source){0};
}

static const char *const debian_suites[] = {
    "buster", "bullseye", "bookworm", "trixie", "forky", "duke", "sid", "stable", "oldstable",
    "oldoldstable", "testing", "unstable", "experimental",
};

static bool suite_is_security(const char *suite)
{
  return vzt_endswith(suite, "-security") || vzt_endswith(suite, "/updates");
}

/* "bookworm-updates", "bookworm-security" and the old "buster/updates" all
 * belong to the release named before the first '-' or '/'. */
static bool suite_is_debian(const char *suite)
{
  size_t n = strcspn(suite, "-/");
  for (size_t i = 0; i < VZT_ARRAY_SIZE(debian_suites); i++)
    if (strlen(debian_suites[i]) == n && strncmp(suite, debian_suites[i], n) == 0)
      return true;
  return false;
}

static bool value_is_false(const char *v)
{
  static const char *const no[] = {"no", "false", "off", "0", "disable", "without"};
  for (size_t i = 0; i < VZT_ARRAY_SIZE(no); i++)
    if (strcasecmp(v, no[i]) == 0)
      return true;
  return false;
}

static void note_signed_by(struct source *s, const char *value)
{
  s->has_signed_by = true;
  if (strstr(value, "debian-archive-keyring"))
    s->debian_key = true;
}

/* Only what the downloader speaks: mirror+, tor+, cdrom: and ftp: sources are
 * left for apt. */
static bool uri_usable(const char *uri)
{
  return vzt_startswith(uri, "http://") || vzt_startswith(uri, "https://") ||
         vzt_startswith(uri, "file:");
}

static char *uri_normalize(const char *uri)
{
  size_t n = strlen(uri);
  while (n && uri[n - 1] == '/')
    n--;
  /* "file:///" has nothing left after its slashes: keep it whole. */
  if (n == 0 || uri[n - 1] == ':')
    return vzt_strdup(uri);
  return vzt_strndup(uri, n);
}

static void collect(const struct source *s, enum vzt_mirror_kind kind, const char *file,
                    char ***out)
{
  if (!s->deb || !s->enabled)
    return;
  if (s->has_signed_by && !s->debian_key)
    return;
  for (char *const *u = s->uris; u && *u; u++) {
    bool wanted = false;
    for (char *const *su = s->suites; su && *su && !wanted; su++) {
      if (!s->debian_key && !suite_is_debian(*su))
        continue;
      wanted = suite_is_security(*su) == (kind == VZT_MIRROR_SECURITY);
    }
    if (!wanted)
      continue;
    if (!uri_usable(*u)) {
      vzt_debug("%s: skipping %s: only http, https and file sources can be used", file, *u);
      continue;
    }
    _cleanup_free_ char *norm = uri_normalize(*u);
    if (!vzt_strv_contains(*out, norm))
      vzt_strv_push(out, norm);
  }
}

/* The next word of a one-line entry; "[...]" and "\"...\"" spans stay inside
 * the word as apt's ParseQuoteWord keeps them (cdrom:[Debian 12]/). */
static char *next_word(const char **pp)
{
  const char *p = *pp + strspn(*pp, " \t");
  if (!*p)
    return NULL;
  const char *start = p;
  while (*p && *p != ' ' && *p != '\t') {
    if (*p == '[' || *p == '"') {
      const char *close = strchr(p + 1, *p == '[' ? ']' : '"');
      if (close)
        p = close;
    }
    p++;
  }
  *pp = p;
  return vzt_strndup(start, p - start);
}

static void parse_one_line(char *line, enum vzt_mirror_kind kind, const char *file, char ***out)
{
  char *hash = strchr(line, '#');
  if (hash)
    *hash = 0;
  const char *p = line;
  _cleanup_free_ char *type = next_word(&p);
  if (!type)
    return;
  struct source s = {.enabled = true, .deb = strcmp(type, "deb") == 0};
  if (!s.deb)
    return;
  p += strspn(p, " \t");
  if (*p == '[') {
    const char *close = strchr(p, ']');
    if (!close) {
      vzt_debug("%s: unterminated [options] in an entry: skipped", file);
      return;
    }
    _cleanup_free_ char *opts = vzt_strndup(p + 1, close - p - 1);
    char *save = NULL;
    for (char *w = strtok_r(opts, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
      /* signed-by=, and the signed-by+= / -= edits apt also accepts */
      if (strncasecmp(w, "signed-by", 9) == 0 && w[9] && strchr("=+-", w[9]))
        note_signed_by(&s, w + 9);
    }
    p = close + 1;
  }
  char *uri = next_word(&p);
  char *suite = uri ? next_word(&p) : NULL;
  if (!suite) {
    free(uri);
    vzt_debug("%s: an entry without URI or suite: skipped", file);
    return;
  }
  vzt_strv_push_take(&s.uris, uri);
  vzt_strv_push_take(&s.suites, suite);
  collect(&s, kind, file, out);
  source_clear(&s);
}

static void parse_list(char *text, enum vzt_mirror_kind kind, const char *file, char ***out)
{
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
    parse_one_line(vzt_strstrip(line), kind, file, out);
}

/* One deb822 field has been read: apply it to the stanza. */
static void apply_field(struct source *s, const char *name, const char *value)
{
  if (strcasecmp(name, "Types") == 0) {
    _cleanup_strv_ char **types = vzt_strv_split(value);
    s->deb = vzt_strv_contains(types, "deb");
  } else if (strcasecmp(name, "URIs") == 0) {
    vzt_strv_free(s->uris);
    s->uris = vzt_strv_split(value);
  } else if (strcasecmp(name, "Suites") == 0) {
    vzt_strv_free(s->suites);
    s->suites = vzt_strv_split(value);
  } else if (strcasecmp(name, "Enabled") == 0) {
    s->enabled = !value_is_false(value);
  } else if (strcasecmp(name, "Signed-By") == 0) {
    note_signed_by(s, value);
  }
}

static void parse_sources(char *text, enum vzt_mirror_kind kind, const char *file, char ***out)
{
  struct source s = {.enabled = true};
  bool in_stanza = false;
  _cleanup_free_ char *name = NULL, *value = NULL;
  char *line = text;
  for (;;) {
    char *nl = strchr(line, '\n');
    bool last = !nl;
    if (nl)
      *nl = 0;
    size_t len = strlen(line);
    if (len && line[len - 1] == '\r')
      line[--len] = 0;
    bool blank = line[strspn(line, " \t")] == 0;
    if (line[0] == '#') {
      /* comments may sit between a field and its continuation lines */
    } else if ((line[0] == ' ' || line[0] == '\t') && !blank) {
      if (name) {
        char *v = vzt_strdupf("%s\n%s", value, vzt_strstrip(line));
        free(value);
        value = v;
      }
    } else {
      if (name) {
        apply_field(&s, name, value);
        name = (free(name), NULL);
        value = (free(value), NULL);
      }
      if (blank) {
        if (in_stanza)
          collect(&s, kind, file, out);
        source_clear(&s);
        s.enabled = true;
        in_stanza = false;
      } else {
        char *colon = strchr(line, ':');
        in_stanza = true;
        if (colon) {
          *colon = 0;
          name = vzt_strdup(vzt_strstrip(line));
          value = vzt_strdup(vzt_strstrip(colon + 1));
        } else {
          vzt_debug("%s: a line that is not a field: ignored", file);
        }
      }
    }
    if (last)
      break;
    line = nl + 1;
  }
  if (name)
    apply_field(&s, name, value);
  if (in_stanza)
    collect(&s, kind, file, out);
  source_clear(&s);
}

static int parse_file(const char *path, bool deb822, enum vzt_mirror_kind kind, char ***out,
                      struct vzt_error **err)
{
  _cleanup_free_ char *data = NULL;
  struct vzt_error *e = NULL;
  if (vzt_read_file(path, &data, NULL, &e) < 0) {
    if (e->errnum == ENOENT) {
      vzt_error_free(&e);
      return 0;
    }
    *err = e;
    return vzt_error_prefix(err, "reading the apt sources");
  }
  if (deb822)
    parse_sources(data, kind, path, out);
  else
    parse_list(data, kind, path, out);
  return 0;
}

int vzt_mirror_discover(const char *apt_dir, enum vzt_mirror_kind kind, char ***uris,
                        struct vzt_error **err)
{
  if (!apt_dir) {
    const char *env = getenv("VZTMPL_APT_DIR");
    apt_dir = env && *env ? env : "/etc/apt";
  }
  _cleanup_strv_ char **found = vzt_calloc(1, sizeof(char *));
  _cleanup_free_ char *list = vzt_path_join(apt_dir, "sources.list");
  if (parse_file(list, false, kind, &found, err) < 0)
    return -1;

  _cleanup_free_ char *dir = vzt_path_join(apt_dir, "sources.list.d");
  _cleanup_closedir_ DIR *d = opendir(dir);
  if (!d && errno != ENOENT && errno != ENOTDIR)
    return vzt_fail_errno(err, errno, "cannot read the apt sources in %s", dir);
  _cleanup_strv_ char **names = vzt_calloc(1, sizeof(char *));
  for (struct dirent *de; d && (de = readdir(d));) {
    if (de->d_name[0] == '.')
      continue;
    if (vzt_endswith(de->d_name, ".list") || vzt_endswith(de->d_name, ".sources"))
      vzt_strv_push(&names, de->d_name);
  }
  vzt_strv_sort(names);
  for (char **n = names; *n; n++) {
    _cleanup_free_ char *path = vzt_path_join(dir, *n);
    if (parse_file(path, vzt_endswith(*n, ".sources"), kind, &found, err) < 0)
      return -1;
  }

  if (!found[0])
    return vzt_fail(err,
                    "no Debian %s mirror in the apt sources under %s: give one with --mirror URL "
                    "or VZTMPL_MIRROR_DEBIAN",
                    kind == VZT_MIRROR_SECURITY ? "security" : "main", apt_dir);
  *uris = steal_pointer(&found);
  return 0;
}
