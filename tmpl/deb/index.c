/* Packages indices into libsolv, with the parsed pool cached as a .solv file. */
#include "config.h"
#include "tmpl/deb/deb-internal.h"
#include "tmpl/deb/control.h"
#include "tmpl/index-cache.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/alloc.h"
#include "lib/buf.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <solv/repo_deb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Bump when what we store beside a .solv changes: the .meta's first line. */
#define META_VERSION "vztmpl-deb-index 2"

static int decompress(const char *path, char **out, size_t *outlen, struct vzt_error **err)
{
  struct archive *a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_raw(a);
  struct archive_entry *e;
  int ret = 0;
  if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK ||
      archive_read_next_header(a, &e) != ARCHIVE_OK) {
    ret = vzt_fail(err, "cannot read index %s: %s", path, archive_error_string(a));
    goto out;
  }
  struct vzt_buf buf = {0};
  vzt_buf_reserve(&buf, (size_t) 1 << 22);
  for (;;) {
    size_t room = buf.cap - buf.len - 1;
    char *at = vzt_buf_reserve(&buf, room ? room : (size_t) 1 << 20);
    la_ssize_t n = archive_read_data(a, at, buf.cap - buf.len - 1);
    if (n < 0) {
      vzt_buf_free(&buf);
      ret = vzt_fail(err, "cannot decompress index %s: %s", path, archive_error_string(a));
      goto out;
    }
    if (n == 0)
      break;
    buf.len += (size_t) n;
  }
  *outlen = buf.len;
  *out = vzt_buf_steal(&buf);
out:
  archive_read_free(a);
  return ret;
}

/* Sizes of the stanzas in file order: libsolv's deb loader drops Size. */
struct stanza_sizes {
  unsigned long long *v;
  size_t n;
};

/* One stanza's identity, to find a package listed twice in one index. */
struct stanza_key {
  char *key; /* "name version arch" */
  const char *text;
  size_t text_len;
};

/* The stanza's length without its final newline, which the last one may lack. */
static size_t trimmed_len(const char *text, size_t len)
{
  while (len > 0 && text[len - 1] == '\n')
    len--;
  return len;
}

static int compare_keys(const void *a, const void *b)
{
  return strcmp(((const struct stanza_key *) a)->key, ((const struct stanza_key *) b)->key);
}

/* apt keeps one of two stanzas for the same name, version and architecture,
 * so an index that gives them different contents (another hash, or
 * "Essential: yes" in the later one) says two things about one package:
 * refused, as a lie. Identical repeats are harmless. */
static int refuse_conflicting_duplicates(struct stanza_key *k, size_t n, struct vzt_error **err)
{
  if (n < 2)
    return 0;
  qsort(k, n, sizeof(*k), compare_keys);
  for (size_t i = 1; i < n; i++)
    if (!strcmp(k[i - 1].key, k[i].key) &&
        (k[i - 1].text_len != k[i].text_len || memcmp(k[i - 1].text, k[i].text, k[i].text_len)))
      return vzt_refuse(err,
                        "Packages lists %s twice with different contents (the index contradicts "
                        "itself; report it to the repository's maintainer)",
                        k[i].key);
  return 0;
}

static void stanza_keys_free(struct stanza_key *k, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(k[i].key);
  free(k);
}

/* One pass over the index for what libsolv's deb loader drops (Priority,
 * Essential, Size) and for packages listed twice with different contents. */
static int scan_index(const char *text, size_t len, char ***required, char ***essential,
                      struct stanza_sizes *sizes, struct vzt_error **err)
{
  struct vzt_deb_stanza st = {0};
  size_t pos = 0;
  int r;
  struct stanza_key *keys = NULL;
  while ((r = vzt_deb_stanza_next(text, len, &pos, &st)) == 1) {
    _cleanup_free_ char *name = vzt_deb_stanza_dup(&st, "Package");
    if (!name)
      continue;
    if (!(sizes->n & 1023)) {
      sizes->v = vzt_reallocarray(sizes->v, sizes->n + 1024, sizeof(*sizes->v));
      keys = vzt_reallocarray(keys, sizes->n + 1024, sizeof(*keys));
    }
    _cleanup_free_ char *version = vzt_deb_stanza_dup(&st, "Version");
    _cleanup_free_ char *arch = vzt_deb_stanza_dup(&st, "Architecture");
    keys[sizes->n] = (struct stanza_key){
        vzt_strdupf("%s %s %s", name, version ? version : "", arch ? arch : ""), st.text,
        trimmed_len(st.text, st.text_len)};
    const char *sz = vzt_deb_stanza_get(&st, "Size", NULL);
    sizes->v[sizes->n++] = sz ? strtoull(sz, NULL, 10) : 0;
    /* Essential packages belong to every base set. */
    bool is_essential = vzt_deb_stanza_is(&st, "Essential", "yes");
    if (is_essential && !vzt_strv_contains(*essential, name))
      vzt_strv_push(essential, name);
    if ((is_essential || vzt_deb_stanza_is(&st, "Priority", "required")) &&
        !vzt_strv_contains(*required, name))
      vzt_strv_push(required, name);
  }
  vzt_deb_stanza_clear(&st);
  if (r < 0) {
    stanza_keys_free(keys, sizes->n);
    return vzt_refuse(err, "malformed stanza in Packages near byte %zu", pos);
  }
  r = refuse_conflicting_duplicates(keys, sizes->n, err);
  stanza_keys_free(keys, sizes->n);
  return r;
}

/* Records one base-set name: Essential packages always (they are configured
 * first), and into the requested base set by the recipe's keyword. */
static void note_base(struct vzt_family_job *job, bool essential, const char *name)
{
  if (essential && !vzt_strv_contains(job->essential_names, name))
    vzt_strv_push(&job->essential_names, name);
  bool wanted = job->base_keyword && (essential || strcmp(job->base_keyword, "essential"));
  if (wanted && !vzt_strv_contains(job->base_names, name))
    vzt_strv_push(&job->base_names, name);
}

/* The cached copy's .meta keeps, after its own two lines, the base-set
 * names: "essential NAME" / "required NAME", one a line. */
static bool load_cached(struct vzt_family_job *job, Repo *repo, const char *sha256)
{
  _cleanup_free_ char *extra = NULL;
  if (!vzt_index_cache_load(job->cache, repo, sha256, META_VERSION, &extra))
    return false;
  char *save = NULL;
  for (char *l = strtok_r(extra, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    char *sp = strchr(l, ' ');
    if (!sp)
      continue;
    *sp = 0;
    note_base(job, !strcmp(l, "essential"), sp + 1);
  }
  return true;
}

static void save_cached(struct vzt_family_job *job, Repo *repo, const char *sha256,
                        char **required, char **essential)
{
  _cleanup_free_ char *extra = NULL;
  size_t extra_len = 0;
  FILE *m = open_memstream(&extra, &extra_len);
  if (!m)
    return;
  for (char **p = essential; *p; p++)
    fprintf(m, "essential %s\n", *p);
  for (char **p = required; *p; p++)
    if (!vzt_strv_contains(essential, *p))
      fprintf(m, "required %s\n", *p);
  if (fclose(m) == 0)
    vzt_index_cache_save(job->cache, repo, sha256, META_VERSION, extra);
}

/* libsolv before 0.7.37 (Debian 12 has 0.7.23) copies a package's SHA384 or
 * SHA512 field into a 65-byte buffer on its stack (fixed upstream in
 * c5b5db52): a repository that publishes them, as reprepro and aptly can,
 * would abort us or worse. We check SHA256 only, so those lines go before
 * libsolv reads the index; NULL when there are none (the usual case). */
static bool is_long_checksum_line(const char *line, size_t len)
{
  return (len >= 7 && (!strncasecmp(line, "SHA384:", 7) || !strncasecmp(line, "SHA512:", 7)));
}

static char *without_long_checksums(const char *text, size_t len, size_t *outlen)
{
  char *out = NULL;
  size_t n = 0;
  bool dropping = false;
  for (size_t pos = 0; pos < len;) {
    const char *line = text + pos;
    const char *nl = memchr(line, '\n', len - pos);
    size_t l = nl ? (size_t) (nl - line) + 1 : len - pos;
    /* A continuation line belongs to the field before it. */
    bool continuation = l > 0 && (line[0] == ' ' || line[0] == '\t');
    if (!continuation)
      dropping = is_long_checksum_line(line, l);
    if (dropping && !out) {
      out = vzt_malloc(len + 1);
      memcpy(out, text, pos);
      n = pos;
    }
    if (out && !dropping) {
      memcpy(out + n, line, l);
      n += l;
    }
    pos += l;
  }
  if (out)
    out[n] = '\0';
  *outlen = n;
  return out;
}

int vzt_deb_index_parse(Repo *repo, const char *text, size_t len, char ***required,
                        char ***essential, struct vzt_error **err)
{
  /* libsolv reads a NUL as a line break, our reader as data: an index is
   * text, and one with a NUL would be read two ways. */
  if (memchr(text, '\0', len))
    return vzt_refuse(err, "the Packages index contains a NUL byte: it is not a text file");
  size_t filtered_len = 0;
  _cleanup_free_ char *filtered = without_long_checksums(text, len, &filtered_len);
  if (filtered) {
    text = filtered;
    len = filtered_len;
  }
  struct stanza_sizes sizes = {0};
  if (scan_index(text, len, required, essential, &sizes, err) < 0) {
    free(sizes.v);
    return -1;
  }
  int before = repo->nsolvables;
  if (len > 0) { /* fmemopen may refuse an empty buffer */
    FILE *f = fmemopen((void *) text, len, "r");
    if (!f) {
      free(sizes.v);
      return vzt_fail_errno(err, errno, "fmemopen");
    }
    int r = repo_add_debpackages(repo, f, REPO_NO_INTERNALIZE);
    fclose(f);
    if (r != 0) {
      free(sizes.v);
      return vzt_refuse(err, "cannot parse the Packages index: %s", pool_errstr(repo->pool));
    }
  }
  /* One solvable per stanza with a Package field, in file order. */
  Repodata *data = repo_last_repodata(repo);
  size_t added = (size_t) (repo->nsolvables - before);
  Id first = repo->end - (Id) added;
  if (added == sizes.n)
    for (size_t i = 0; i < sizes.n; i++)
      repodata_set_num(data, first + (Id) i, SOLVABLE_DOWNLOADSIZE, sizes.v[i]);
  free(sizes.v);
  repo_internalize(repo);
  return 0;
}

int vzt_deb_index_load(struct vzt_family_job *job, Repo *repo, const char *blob_path,
                       const char *sha256, struct vzt_error **err)
{
  if (load_cached(job, repo, sha256))
    return 0;
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (decompress(blob_path, &text, &len, err) < 0)
    return -1;
  _cleanup_strv_ char **required = vzt_calloc(1, sizeof(char *));
  _cleanup_strv_ char **essential = vzt_calloc(1, sizeof(char *));
  if (vzt_deb_index_parse(repo, text, len, &required, &essential, err) < 0)
    return vzt_error_prefix(err, "%s", blob_path);
  save_cached(job, repo, sha256, required, essential);
  for (char **p = essential; *p; p++)
    note_base(job, true, *p);
  for (char **p = required; *p; p++)
    note_base(job, false, *p);
  return 0;
}
