/* The parsed copy of an RPM family's index (rpm-md primary, urpmi synthesis)
 * beside its blob: solv/<sha256>.solv, and .meta with the .solv's own
 * sha256, so that a second resolution skips the XML or synthesis parse. */
#include "config.h"
#include "tmpl/rpm/rpm-internal.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"

#include <errno.h>
#include <fcntl.h>
#include <solv/repo_solv.h>
#include <solv/repo_write.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define META_VERSION "vztmpl-rpm-index 1"

static char *solv_path(struct vzt_family_job *job, const char *sha256, const char *ext)
{
  _cleanup_free_ char *rel = vzt_strdupf("solv/%s.%s", sha256, ext);
  return vzt_cache_path(job->cache, rel);
}

static bool load_cached(struct vzt_family_job *job, Repo *repo, const char *sha256)
{
  _cleanup_free_ char *solv = solv_path(job, sha256, "solv");
  _cleanup_free_ char *metap = solv_path(job, sha256, "meta");
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
  if (lseek(fd, 0, SEEK_SET) < 0)
    return false;
  FILE *f = fdopen(steal_fd(&fd), "r");
  if (!f)
    return false;
  int r = repo_add_solv(repo, f, 0);
  fclose(f);
  return r == 0;
}

static void save_cached(struct vzt_family_job *job, Repo *repo, const char *sha256)
{
  _cleanup_free_ char *dir = vzt_cache_path(job->cache, "solv");
  struct vzt_error *e = NULL;
  if (vzt_mkdir_p(dir, 0755, &e) < 0) {
    vzt_error_free(&e);
    return;
  }
  _cleanup_free_ char *solv = solv_path(job, sha256, "solv");
  _cleanup_free_ char *tmp = vzt_strdupf("%s.tmp.%d", solv, (int) getpid());
  FILE *f = fopen(tmp, "we");
  if (!f)
    return;
  if (repo_write(repo, f) != 0 || fflush(f) != 0 || fsync(fileno(f)) != 0) {
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
  _cleanup_free_ char *meta = vzt_strdupf(META_VERSION "\nsolv %s\n", hex);
  _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  _cleanup_free_ char *name = vzt_strdupf("%s.meta", sha256);
  if (dfd < 0 || vzt_write_file_atomic(dfd, name, meta, strlen(meta), 0644, &e) < 0)
    vzt_error_free(&e);
}

int vzt_rpm_index_load(struct vzt_family_job *job, Repo *repo, const char *path,
                       const char *sha256, int (*load)(Repo *repo, FILE *fp), const char *what,
                       struct vzt_error **err)
{
  if (load_cached(job, repo, sha256))
    return 0;
  FILE *fp = vzt_rpm_open_decompressed(path, err);
  if (!fp)
    return vzt_error_prefix(err, "%s", what);
  int r = load(repo, fp);
  bool bad = ferror(fp);
  fclose(fp);
  if (r != 0 || bad)
    return vzt_refuse(err, "cannot parse %s: %s", what,
                      r ? pool_errstr(repo->pool) : "cannot decompress it");
  repo_internalize(repo);
  save_cached(job, repo, sha256);
  return 0;
}
