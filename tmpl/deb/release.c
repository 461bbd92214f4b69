/* Debian Release files: fields, dates, and the SHA256 list of index files. */
#include "config.h"
#include "tmpl/deb/release.h"
#include "tmpl/deb/control.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

time_t vzt_release_parse_date(const char *s)
{
  static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  char mon[4] = {0}, zone[16] = {0};
  int day, year, h, m, sec;
  /* "Sat, 21 Nov 2026 09:15:44 UTC" (the weekday is optional) */
  const char *p = strchr(s, ',');
  p = p ? p + 1 : s;
  if (sscanf(p, " %d %3s %d %d:%d:%d %15s", &day, mon, &year, &h, &m, &sec, zone) < 6)
    return (time_t) -1;
  /* Out of range is malformed, not a date for timegm to carry over (and
   * year - 1900 must not overflow). Second 60 is a leap second. */
  if (day < 1 || day > 31 || year < 1900 || year > 9999 || h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 ||
      sec > 60)
    return (time_t) -1;
  const char *found = strstr(months, mon);
  if (!found || strlen(mon) != 3 || (found - months) % 3)
    return (time_t) -1;
  struct tm tm = {.tm_year = year - 1900, .tm_mon = (int) (found - months) / 3, .tm_mday = day,
                  .tm_hour = h, .tm_min = m, .tm_sec = sec};
  time_t t = timegm(&tm);
  /* Numeric zones ("+0000") are allowed by the format; names are UTC/GMT. */
  if ((zone[0] == '+' || zone[0] == '-') && strlen(zone) == 5 && isdigit((unsigned char) zone[1])) {
    int off = ((zone[1] - '0') * 10 + zone[2] - '0') * 3600 + ((zone[3] - '0') * 10 + zone[4] - '0') * 60;
    t -= zone[0] == '+' ? off : -off;
  }
  return t;
}

static int parse_sha256_list(const char *v, size_t len, const char *what, struct vzt_release *out,
                             struct vzt_error **err)
{
  _cleanup_free_ char *copy = vzt_strndup(v, len);
  char *save = NULL;
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char hash[129], path[4096];
    unsigned long long size;
    if (!*vzt_strstrip(line))
      continue;
    if (sscanf(line, "%128s %llu %4095s", hash, &size, path) != 3 || strlen(hash) != 64)
      return vzt_refuse(err, "%s: malformed SHA256 line \"%s\"", what, line);
    out->files = vzt_realloc(out->files, (out->nfiles + 1) * sizeof(*out->files));
    if (!out->files)
      vzt_out_of_memory();
    struct vzt_release_file *f = &out->files[out->nfiles++];
    f->path = vzt_strdup(path);
    f->size = size;
    for (int i = 0; i < 65; i++)
      f->sha256[i] = (char) tolower((unsigned char) hash[i]);
  }
  return 0;
}

int vzt_release_parse(const char *text, size_t len, const char *what, struct vzt_release *out,
                      struct vzt_error **err)
{
  memset(out, 0, sizeof(*out));
  struct vzt_deb_stanza st = {0};
  size_t pos = 0;
  if (vzt_deb_stanza_next(text, len, &pos, &st) != 1) {
    vzt_deb_stanza_clear(&st);
    return vzt_refuse(err, "%s: not a Release file", what);
  }
  out->suite = vzt_deb_stanza_dup(&st, "Suite");
  out->codename = vzt_deb_stanza_dup(&st, "Codename");
  _cleanup_free_ char *date = vzt_deb_stanza_dup(&st, "Date");
  _cleanup_free_ char *until = vzt_deb_stanza_dup(&st, "Valid-Until");
  _cleanup_free_ char *archs = vzt_deb_stanza_dup(&st, "Architectures");
  _cleanup_free_ char *comps = vzt_deb_stanza_dup(&st, "Components");
  out->acquire_by_hash = vzt_deb_stanza_is(&st, "Acquire-By-Hash", "yes");
  out->architectures = vzt_strv_split(archs);
  out->components = vzt_strv_split(comps);
  int ret = 0;
  if (date && (out->date = vzt_release_parse_date(date)) == (time_t) -1)
    ret = vzt_refuse(err, "%s: malformed Date \"%s\"", what, date);
  if (!ret && until && (out->valid_until = vzt_release_parse_date(until)) == (time_t) -1)
    ret = vzt_refuse(err, "%s: malformed Valid-Until \"%s\"", what, until);
  size_t shalen;
  const char *sha = vzt_deb_stanza_get(&st, "SHA256", &shalen);
  if (!ret && !sha)
    ret = vzt_refuse(err, "%s has no SHA256 list: refusing weaker hashes", what);
  if (!ret)
    ret = parse_sha256_list(sha, shalen, what, out, err);
  vzt_deb_stanza_clear(&st);
  if (ret < 0)
    vzt_release_clear(out);
  return ret;
}

void vzt_release_clear(struct vzt_release *r)
{
  free(r->suite);
  free(r->codename);
  vzt_strv_free(r->architectures);
  vzt_strv_free(r->components);
  for (size_t i = 0; i < r->nfiles; i++)
    free(r->files[i].path);
  free(r->files);
  memset(r, 0, sizeof(*r));
}

const struct vzt_release_file *vzt_release_find(const struct vzt_release *r, const char *path)
{
  for (size_t i = 0; i < r->nfiles; i++)
    if (!strcmp(r->files[i].path, path))
      return &r->files[i];
  return NULL;
}

int vzt_release_check_valid(const struct vzt_release *r, time_t now, const char *what,
                            struct vzt_error **err)
{
  if (r->valid_until && r->valid_until < now) {
    char buf[64];
    struct tm tm;
    gmtime_r(&r->valid_until, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
    return vzt_refuse(err, "%s expired on %s (Valid-Until): the mirror is stale or replaying old data",
                      what, buf);
  }
  return 0;
}
