/* An RPM family's index (rpm-md primary, urpmi synthesis) into libsolv,
 * through the cache's parsed copy so that a second resolution skips the XML
 * or synthesis parse. */
#include "config.h"
#include "tmpl/rpm/rpm-internal.h"
#include "tmpl/index-cache.h"

#include <stdio.h>

/* The .meta's first line: bump when what is stored changes. */
#define META_VERSION "vztmpl-rpm-index 1"

int vzt_rpm_index_load(struct vzt_family_job *job, Repo *repo, const char *path,
                       const char *sha256, int (*load)(Repo *repo, FILE *fp), const char *what,
                       struct vzt_error **err)
{
  if (vzt_index_cache_load(job->cache, repo, sha256, META_VERSION, NULL))
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
  vzt_index_cache_save(job->cache, repo, sha256, META_VERSION, NULL);
  return 0;
}
