/* The RPM families' view of a template's package database: the rpmdb, copied
 * out of the archive and read with librpm. */
#include "config.h"
#include "tmpl/rpm/rpm-internal.h"
#include "tmpl/rpm/verify.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "tmpl/archive-io.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <rpm/header.h>
#include <rpm/rpmdb.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmtd.h>
#include <rpm/rpmts.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Where rpm keeps its database: rpm >= 4.16 (sqlite), then the older place
 * (bdb, ndb, or a link to the newer one). */
static const char *const db_dirs[] = {"usr/lib/sysimage/rpm", "var/lib/rpm"};
#define NDIRS 3            /* the two above, and where a link from one of them leads */
#define DB_MAX (4ULL << 30) /* all the database files together */
#define LINK_HOPS 8

/* What one pass over the archive looks for and finds. */
struct db_scan {
  const char *want[NDIRS]; /* directories to copy, archive-relative without "./" */
  int dirfd[NDIRS];        /* their copies in the temporary directory */
  size_t files[NDIRS];
  char *link[NDIRS];       /* a directory that is a symlink: its target */
  uint64_t total;
};

/* Copies one database file's data into dirfd, created fresh without
 * following anything. */
static int copy_entry(struct archive *a, const char *archive, const char *path, int dirfd,
                      const char *name, struct db_scan *s, struct vzt_error **err)
{
  _cleanup_close_ int fd =
      openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return errno == EEXIST ? vzt_refuse(err, "%s holds %s twice", archive, path)
                           : vzt_fail_errno(err, errno, "cannot copy %s of %s", path, archive);
  char buf[1 << 16];
  la_ssize_t got;
  while ((got = archive_read_data(a, buf, sizeof(buf))) > 0) {
    s->total += (uint64_t) got;
    if (s->total > DB_MAX)
      return vzt_refuse(err, "%s: its rpmdb is larger than %llu bytes", archive,
                        (unsigned long long) DB_MAX);
    if (vzt_write_all(fd, buf, (size_t) got) < 0)
      return vzt_fail_errno(err, errno, "cannot copy %s of %s", path, archive);
  }
  if (got < 0)
    return vzt_refuse(err, "%s: cannot read %s: %s", archive, path, archive_error_string(a));
  return 0;
}

/* One entry: a regular file right inside a wanted directory is copied; a
 * wanted directory that is a symlink is noted. Anything else is skipped. */
static int scan_entry(struct archive *a, struct archive_entry *e, const char *archive,
                      struct db_scan *s, struct vzt_error **err)
{
  const char *path = vzt_path_skip_root(archive_entry_pathname(e));
  for (int i = 0; i < NDIRS; i++) {
    if (!s->want[i])
      continue;
    size_t l = strlen(s->want[i]);
    if (strncmp(path, s->want[i], l))
      continue;
    if ((!path[l] || !strcmp(path + l, "/")) && archive_entry_filetype(e) == AE_IFLNK) {
      const char *target = archive_entry_symlink(e);
      free(s->link[i]);
      s->link[i] = target ? vzt_strdup(target) : NULL;
      return 0;
    }
    const char *name = path[l] == '/' ? path + l + 1 : NULL;
    if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") ||
        archive_entry_filetype(e) != AE_IFREG)
      continue;
    s->files[i]++;
    return copy_entry(a, archive, path, s->dirfd[i], name, s, err);
  }
  return 0;
}

struct scan_arg {
  const char *archive;
  struct db_scan *s;
};

static int visit_entry(struct archive *a, struct archive_entry *e, void *arg, struct vzt_error **err)
{
  struct scan_arg *x = arg;
  return scan_entry(a, e, x->archive, x->s, err) < 0 ? -1 : 0;
}

static int scan_archive(const char *archive, struct db_scan *s, struct vzt_error **err)
{
  struct scan_arg x = {archive, s};
  return vzt_archive_walk(archive, visit_entry, &x, err) < 0 ? -1 : 0;
}

/* The archive-relative directory a link at dir leads to, as it resolves
 * inside the container: ".." at the top stays there. NULL for the top. */
static char *resolve_link(const char *dir, const char *target)
{
  _cleanup_free_ char *joined = NULL;
  if (target[0] == '/')
    joined = vzt_strdup(target);
  else {
    const char *slash = strrchr(dir, '/');
    joined = slash ? vzt_strdupf("%.*s/%s", (int) (slash - dir), dir, target)
                   : vzt_strdup(target);
  }
  _cleanup_strv_ char **parts = vzt_calloc(1, sizeof(char *));
  for (char *save = NULL, *t = strtok_r(joined, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
    if (!strcmp(t, "."))
      continue;
    if (!strcmp(t, "..")) {
      size_t n = vzt_strv_len(parts);
      if (n) {
        free(parts[n - 1]);
        parts[n - 1] = NULL;
      }
      continue;
    }
    vzt_strv_push(&parts, t);
  }
  return parts[0] ? vzt_strv_join(parts, "/") : NULL;
}

/* Which copy holds the database: the first of db_dirs that has files, or
 * the place its link leads to, read in a second pass when it is neither. */
static int pick_db(const char *archive, struct db_scan *s, int *which, struct vzt_error **err)
{
  for (int i = 0; i < 2; i++) {
    if (s->files[i]) {
      *which = i;
      return 0;
    }
    if (!s->link[i])
      continue;
    _cleanup_free_ char *at = vzt_strdup(s->want[i]);
    _cleanup_free_ char *target = vzt_strdup(s->link[i]);
    for (int hop = 0; hop < LINK_HOPS && target; hop++) {
      _cleanup_free_ char *dest = resolve_link(at, target);
      if (!dest)
        break;
      for (int j = 0; j < 2; j++)
        if (!strcmp(dest, s->want[j]) && s->files[j]) {
          *which = j;
          return 0;
        }
      struct db_scan again = {.want = {NULL, NULL, dest}, .dirfd = {-1, -1, s->dirfd[2]}};
      int r = scan_archive(archive, &again, err);
      s->total += again.total;
      free(target);
      target = again.link[2];
      if (r < 0)
        return -1;
      if (again.files[2]) {
        *which = 2;
        return 0;
      }
      free(at);
      at = steal_pointer(&dest);
    }
  }
  return vzt_refuse(err, "%s has no rpmdb (in /usr/lib/sysimage/rpm or /var/lib/rpm): not an "
                         "RPM template",
                    archive);
}

/* libsolv's spelling of an evr: "E:V-R", without an epoch of 0. */
static char *header_evr(Header h)
{
  const char *v = headerGetString(h, RPMTAG_VERSION), *r = headerGetString(h, RPMTAG_RELEASE);
  uint64_t epoch = headerIsEntry(h, RPMTAG_EPOCH) ? headerGetNumber(h, RPMTAG_EPOCH) : 0;
  if (epoch)
    return vzt_strdupf("%" PRIu64 ":%s-%s", epoch, v ? v : "", r ? r : "");
  return vzt_strdupf("%s-%s", v ? v : "", r ? r : "");
}

/* The strings of one array tag; rpmlib's own requirements are no package's. */
static char **header_names(Header h, rpmTagVal tag)
{
  char **v = vzt_calloc(1, sizeof(char *));
  rpmtd td = rpmtdNew();
  if (headerGet(h, tag, td, HEADERGET_MINMEM)) {
    const char *s;
    while ((s = rpmtdNextString(td)))
      if (!vzt_startswith(s, "rpmlib(") && !vzt_strv_contains(v, s))
        vzt_strv_push(&v, s);
  }
  rpmtdFreeData(td);
  rpmtdFree(td);
  return v;
}

/* Who made it, under which license, what it needs and provides: for an SBOM. */
static void take_relations(Header h, struct vzt_installed_package *p)
{
  const char *supplier = headerGetString(h, RPMTAG_PACKAGER);
  if (!supplier || !*supplier)
    supplier = headerGetString(h, RPMTAG_VENDOR);
  const char *license = headerGetString(h, RPMTAG_LICENSE);
  p->supplier = supplier && *supplier ? vzt_strdup(supplier) : NULL;
  p->license = license && *license ? vzt_strdup(license) : NULL;
  p->depends = header_names(h, RPMTAG_REQUIRENAME);
  p->provides = header_names(h, RPMTAG_PROVIDENAME);
}

/* Every header of the rpmdb in dbdir; an entry without an architecture is
 * no package (rpm's gpg-pubkey entries for imported keys). */
static int read_db(const char *archive, const char *dbdir, struct vzt_installed *out,
                   struct vzt_error **err)
{
  if (vzt_rpm_init(err) < 0)
    return -1;
  /* librpm says on stderr which backend it found where another was
   * configured; that is no news here. */
  int mask = rpmlogSetMask(RPMLOG_UPTO(RPMLOG_ERR));
  rpmPushMacro(NULL, "_dbpath", NULL, dbdir, RMIL_CMDLINE);
  rpmts ts = rpmtsCreate();
  rpmtsSetRootDir(ts, "/");
  int ret = 0;
  if (rpmtsOpenDB(ts, O_RDONLY) != 0) {
    ret = vzt_refuse(err, "%s: librpm cannot open its rpmdb", archive);
  } else {
    rpmdbMatchIterator mi = rpmtsInitIterator(ts, RPMDBI_PACKAGES, NULL, 0);
    Header h;
    while ((h = rpmdbNextIterator(mi)) != NULL) {
      const char *arch = headerGetString(h, RPMTAG_ARCH);
      _cleanup_free_ char *evr = header_evr(h);
      vzt_installed_push(out, headerGetString(h, RPMTAG_NAME), evr, arch,
                         arch ? "in the rpmdb" : "an rpmdb entry without an architecture",
                         arch ? VZT_INSTALLED : VZT_INSTALLED_GONE);
      take_relations(h, &out->packages[out->n - 1]);
    }
    rpmdbFreeIterator(mi);
  }
  rpmtsFree(ts);
  rpmPopMacro(NULL, "_dbpath");
  rpmlogSetMask(mask);
  return ret;
}

int vzt_rpm_read_installed(const char *archive, struct vzt_installed *out, struct vzt_error **err)
{
  memset(out, 0, sizeof(*out));
  const char *tmp = getenv("TMPDIR");
  _cleanup_free_ char *dir = vzt_strdupf("%s/vztmpl-rpmdb-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(dir))
    return vzt_fail_errno(err, errno, "cannot create a temporary directory in %s",
                          tmp && *tmp ? tmp : "/tmp");
  struct db_scan s = {.want = {db_dirs[0], db_dirs[1], NULL}, .dirfd = {-1, -1, -1}};
  int ret = -1, which = -1;
  _cleanup_free_ char *dbdir = NULL;
  _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) {
    vzt_fail_errno(err, errno, "cannot open %s", dir);
    goto out;
  }
  for (int i = 0; i < NDIRS; i++) {
    char name[2] = {(char) ('0' + i), 0};
    if (mkdirat(dfd, name, 0700) < 0 ||
        (s.dirfd[i] = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
      vzt_fail_errno(err, errno, "cannot create a directory in %s", dir);
      goto out;
    }
  }
  if (scan_archive(archive, &s, err) < 0 || pick_db(archive, &s, &which, err) < 0)
    goto out;
  dbdir = vzt_strdupf("%s/%d", dir, which);
  ret = read_db(archive, dbdir, out, err);
  if (ret < 0)
    vzt_installed_clear(out);
out:
  for (int i = 0; i < NDIRS; i++) {
    if (s.dirfd[i] >= 0)
      close(s.dirfd[i]);
    free(s.link[i]);
  }
  struct vzt_error *e = NULL;
  if (vzt_rm_rf(dir, &e) < 0 && ret == 0) {
    *err = e;
    vzt_installed_clear(out);
    return -1;
  }
  vzt_error_free(&e);
  return ret;
}
