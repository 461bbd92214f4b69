/* Packages indices into libsolv, with the parsed pool cached as a .solv file. */
#include "config.h"
#include "tmpl/deb-internal.h"
#include "tmpl/deb-control.h"
#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <solv/repo_deb.h>
#include <solv/repo_solv.h>
#include <solv/repo_write.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bump when what we store beside a .solv changes. */
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
  size_t cap = 1 << 22, len = 0;
  char *buf = malloc(cap + 1);
  for (;;) {
    if (len == cap && !(buf = realloc(buf, (cap *= 2) + 1)))
      abort();
    la_ssize_t n = archive_read_data(a, buf + len, cap - len);
    if (n < 0) {
      free(buf);
      ret = vzt_fail(err, "cannot decompress index %s: %s", path, archive_error_string(a));
      goto out;
    }
    if (n == 0)
      break;
    len += n;
  }
  buf[len] = 0;
  *out = buf;
  *outlen = len;
out:
  archive_read_free(a);
  return ret;
}

/* Priority and Essential, which libsolv's deb loader drops. */
/* Sizes of the stanzas in file order: libsolv's deb loader drops Size too. */
struct stanza_sizes {
  unsigned long long *v;
  size_t n;
};

static int scan_base(const char *text, size_t len, const char *keyword, char ***names,
                     struct stanza_sizes *sizes, struct vzt_error **err)
{
  struct vzt_deb_stanza st = {0};
  size_t pos = 0;
  int r;
  bool essential_only = keyword && !strcmp(keyword, "essential");
  while ((r = vzt_deb_stanza_next(text, len, &pos, &st)) == 1) {
    if (sizes && vzt_deb_stanza_get(&st, "Package", NULL)) {
      size_t slen;
      const char *sz = vzt_deb_stanza_get(&st, "Size", &slen);
      if (!(sizes->n & 1023) && !(sizes->v = realloc(sizes->v, (sizes->n + 1024) * sizeof(*sizes->v))))
        abort();
      sizes->v[sizes->n++] = sz ? strtoull(sz, NULL, 10) : 0;
    }
    bool essential = vzt_deb_stanza_is(&st, "Essential", "yes");
    bool required = vzt_deb_stanza_is(&st, "Priority", "required");
    if (essential || (required && !essential_only)) {
      _cleanup_free_ char *name = vzt_deb_stanza_dup(&st, "Package");
      if (name && !vzt_strv_contains(*names, name))
        vzt_strv_push(names, name);
    }
  }
  vzt_deb_stanza_clear(&st);
  if (r < 0)
    return vzt_refuse(err, "malformed stanza in Packages near byte %zu", pos);
  return 0;
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

static char *meta_path(struct vzt_family_job *job, const char *sha256, const char *ext)
{
  _cleanup_free_ char *rel = vzt_strdupf("solv/%s.%s", sha256, ext);
  return vzt_cache_path(job->cache, rel);
}

/* The .meta file: version line, the .solv's own sha256, then base-set lines
 * "required NAME" / "essential NAME". */
static bool load_cached(struct vzt_family_job *job, Repo *repo, const char *sha256)
{
  _cleanup_free_ char *solv = meta_path(job, sha256, "solv");
  _cleanup_free_ char *metap = meta_path(job, sha256, "meta");
  _cleanup_free_ char *meta = NULL;
  struct vzt_error *e = NULL;
  if (vzt_read_file(metap, &meta, NULL, &e) < 0) {
    vzt_error_free(&e);
    return false;
  }
  char want[VZT_DIGEST_HEX_MAX], got[VZT_DIGEST_HEX_MAX];
  if (sscanf(meta, META_VERSION "\nsolv %128s", want) != 1)
    return false;
  _cleanup_close_ int fd = open(solv, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || vzt_digest_fd(fd, VZT_DIGEST_SHA256, got, NULL, &e) < 0 || strcmp(want, got)) {
    vzt_error_free(&e);
    vzt_warn("cached parsed index %s does not match its recorded hash: parsing again", solv);
    return false;
  }
  FILE *f = fdopen(steal_fd(&fd), "r");
  if (!f)
    return false;
  int r = repo_add_solv(repo, f, 0);
  fclose(f);
  if (r != 0)
    return false;
  /* Base-set names follow, one per line after the header. */
  char *save = NULL;
  int lineno = 0;
  for (char *l = strtok_r(meta, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    if (lineno++ < 2)
      continue;
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
  _cleanup_free_ char *solv = meta_path(job, sha256, "solv");
  _cleanup_free_ char *tmp = vzt_strdupf("%s.tmp.%d", solv, (int) getpid());
  _cleanup_free_ char *metap = meta_path(job, sha256, "meta");
  struct vzt_error *e = NULL;
  FILE *f = fopen(tmp, "we");
  if (!f)
    return;
  if (repo_write(repo, f) != 0 || fflush(f) != 0) {
    fclose(f);
    unlink(tmp);
    return;
  }
  fclose(f);
  char hex[VZT_DIGEST_HEX_MAX];
  _cleanup_close_ int fd = open(tmp, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || vzt_digest_fd(fd, VZT_DIGEST_SHA256, hex, NULL, &e) < 0 || rename(tmp, solv) < 0) {
    vzt_error_free(&e);
    unlink(tmp);
    return;
  }
  size_t cap = 256, len = 0;
  for (char **p = required; *p; p++)
    cap += strlen(*p) + 12;
  for (char **p = essential; *p; p++)
    cap += strlen(*p) + 12;
  _cleanup_free_ char *meta = malloc(cap);
  len = sprintf(meta, META_VERSION "\nsolv %s\n", hex);
  for (char **p = essential; *p; p++)
    len += sprintf(meta + len, "essential %s\n", *p);
  for (char **p = required; *p; p++)
    if (!vzt_strv_contains(essential, *p))
      len += sprintf(meta + len, "required %s\n", *p);
  _cleanup_free_ char *dir = vzt_cache_path(job->cache, "solv");
  _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    _cleanup_free_ char *name = vzt_strdupf("%s.meta", sha256);
    vzt_write_file_atomic(dfd, name, meta, len, 0644, &e);
  }
  vzt_error_free(&e);
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
  _cleanup_strv_ char **required = calloc(1, sizeof(char *));
  _cleanup_strv_ char **essential = calloc(1, sizeof(char *));
  struct stanza_sizes sizes = {0};
  if (scan_base(text, len, "required", &required, &sizes, err) < 0 ||
      scan_base(text, len, "essential", &essential, NULL, err) < 0) {
    free(sizes.v);
    return vzt_error_prefix(err, "%s", blob_path);
  }
  FILE *f = fmemopen(text, len, "r");
  if (!f)
    return vzt_fail_errno(err, errno, "fmemopen");
  int before = repo->nsolvables;
  int r = repo_add_debpackages(repo, f, REPO_NO_INTERNALIZE);
  fclose(f);
  if (r != 0) {
    free(sizes.v);
    return vzt_refuse(err, "cannot parse Packages index %s: %s", blob_path,
                      pool_errstr(repo->pool));
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
  save_cached(job, repo, sha256, required, essential);
  for (char **p = essential; *p; p++)
    note_base(job, true, *p);
  for (char **p = required; *p; p++)
    note_base(job, false, *p);
  return 0;
}
