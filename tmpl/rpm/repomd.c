/* What a verified repomd.xml says: its timestamp and, by checksum, where
 * primary and the comps group file are. libsolv's repomdxml loader parses
 * it into a scratch repository that is dropped once read, so that the
 * packages' repository is the same whether its index is parsed or cached. */
#include "config.h"
#include "tmpl/rpm/rpm-internal.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

#include <errno.h>
#include <solv/chksum.h>
#include <solv/repo_repomdxml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One <data type="..."> entry, as the loader stored it in the meta data:
 * 1 found, 0 absent, -1 present but unusable. */
static int find_entry(Repo *repo, const char *what, struct vzt_repomd_file *out, const char *url,
                      struct vzt_error **err)
{
  Pool *pool = repo->pool;
  Dataiterator di;
  memset(out, 0, sizeof(*out));
  dataiterator_init(&di, pool, repo, SOLVID_META, REPOSITORY_REPOMD_TYPE, what, SEARCH_STRING);
  dataiterator_prepend_keyname(&di, REPOSITORY_REPOMD);
  int ret = 0;
  if (dataiterator_step(&di)) {
    dataiterator_setpos_parent(&di);
    const char *loc = pool_lookup_str(pool, SOLVID_POS, REPOSITORY_REPOMD_LOCATION);
    Id type = 0;
    const unsigned char *sum =
        pool_lookup_bin_checksum(pool, SOLVID_POS, REPOSITORY_REPOMD_CHECKSUM, &type);
    out->size = pool_lookup_num(pool, SOLVID_POS, REPOSITORY_REPOMD_SIZE, 0);
    const char *tname = type ? solv_chksum_type2str(type) : NULL;
    if (!loc || !*loc)
      ret = vzt_refuse(err, "%s: <data type=\"%s\"> has no location", url, what);
    else if (!sum || !tname || vzt_digest_type_from_name(tname, &out->type) < 0)
      ret = vzt_refuse(err, "%s: <data type=\"%s\"> has no sha1, sha256 or sha512 checksum", url,
                       what);
    else {
      solv_bin2hex(sum, solv_chksum_len(type), out->hex);
      out->location = vzt_strdup(loc);
      ret = 1;
    }
  }
  dataiterator_free(&di);
  return ret;
}

int vzt_repomd_parse(Pool *pool, const char *data, size_t len, bool want_group, const char *url,
                     struct vzt_repomd *out, struct vzt_error **err)
{
  memset(out, 0, sizeof(*out));
  Repo *md = repo_create(pool, "repomd.xml");
  FILE *fp = fmemopen((void *) data, len, "r");
  if (!fp) {
    repo_free(md, 1);
    return vzt_fail_errno(err, errno, "fmemopen");
  }
  int r = len ? repo_add_repomdxml(md, fp, 0) : -1;
  fclose(fp);
  if (r != 0) {
    repo_free(md, 1);
    return vzt_refuse(err, "cannot parse %s: %s", url, len ? pool_errstr(pool) : "it is empty");
  }
  out->timestamp = (time_t) repo_lookup_num(md, SOLVID_META, REPOSITORY_TIMESTAMP, 0);
  int found = find_entry(md, "primary", &out->primary, url, err);
  if (found == 0)
    found = vzt_refuse(err, "%s lists no primary metadata", url);
  if (found > 0 && find_entry(md, "filelists", &out->filelists, url, err) < 0)
    found = -1;
  /* dnf's preference among the comps file's compressions. */
  static const char *const group_types[] = {"group_zst", "group_xz", "group_gz", "group"};
  for (size_t i = 0; found > 0 && want_group && i < VZT_ARRAY_SIZE(group_types); i++) {
    int g = find_entry(md, group_types[i], &out->group, url, err);
    if (g < 0)
      found = -1;
    if (g != 0)
      break;
  }
  repo_free(md, 1);
  if (found < 0) {
    vzt_repomd_clear(out);
    return -1;
  }
  return 0;
}

void vzt_repomd_clear(struct vzt_repomd *m)
{
  free(m->primary.location);
  free(m->group.location);
  free(m->filelists.location);
  memset(m, 0, sizeof(*m));
}
