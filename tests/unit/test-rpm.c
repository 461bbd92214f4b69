/* Unit tests for the RPM families' parsers and helpers: MD5SUM, repository
 * paths, mirrors, compression by magic bytes, urpmi synthesis (disttag and
 * distepoch) and rpm-md primary in RPM semantics, and the shipped recipes. */
#include "config.h"
#include "tmpl/rpm/rpm-internal.h"
#include "tmpl/recipe.h"
#include "tmpl/resolve.h"
#include "tmpl/rpm/verify.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"

#include "tests/unit/unit.h"
#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/repo.h>
#include <solv/repo_mdk.h>
#include <solv/repo_rpmmd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECIPES VZT_TEST_SRCDIR "/recipes"

START_TEST(md5sum_lines)
{
  const char *text = "cdbbc624622df3a994417c392342f385  hdlist.cz\n"
                     "F1BAD8C677E49037F8371115D6D10E3C  synthesis.hdlist.cz\r\n"
                     "f1bad8c677e49037f8371115d6d10e3c  20120409-210714-synthesis.hdlist.cz\n\n";
  char hex[VZT_DIGEST_HEX_MAX];
  bool found;
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_urpmi_md5sum_find(text, strlen(text), "synthesis.hdlist.cz", hex, &found, &err), 0);
  ck_assert(found);
  ck_assert_str_eq(hex, "f1bad8c677e49037f8371115d6d10e3c");
  ck_assert_int_eq(vzt_urpmi_md5sum_find(text, strlen(text), "pubkey", hex, &found, &err), 0);
  ck_assert(!found);
  const char *bad = "cdbbc624622df3a994417c392342f385  hdlist.cz\nnot an md5 line\n";
  ck_assert_int_eq(vzt_urpmi_md5sum_find(bad, strlen(bad), "hdlist.cz", hex, &found, &err), -1);
  ck_assert_int_eq(err->status, VZT_EXIT_REFUSED);
  ck_assert_ptr_nonnull(strstr(err->msg, "line 2"));
  vzt_error_free(&err);
  const char *shorthex = "cdbbc62462  hdlist.cz\n";
  ck_assert_int_eq(vzt_urpmi_md5sum_find(shorthex, strlen(shorthex), "hdlist.cz", hex, &found, &err), -1);
  vzt_error_free(&err);
}
END_TEST

START_TEST(paths_and_urls)
{
  char *p = vzt_rpm_expand("releases/$releasever/Everything/$basearch/os", "x86_64", "45");
  ck_assert_str_eq(p, "releases/45/Everything/x86_64/os");
  free(p);
  p = vzt_rpm_expand("distrib/$releasever/$arch/media/core/release", "i586", "9");
  ck_assert_str_eq(p, "distrib/9/i586/media/core/release");
  free(p);
  char *mirrors[] = {"http://a", "file:///b", NULL};
  char **u = vzt_rpm_urls(mirrors, ".", "repodata/repomd.xml");
  ck_assert_str_eq(u[0], "http://a/repodata/repomd.xml");
  ck_assert_str_eq(u[1], "file:///b/repodata/repomd.xml");
  ck_assert_ptr_null(u[2]);
  vzt_strv_free(u);
  u = vzt_rpm_urls(mirrors, "x/y", "media_info/MD5SUM");
  ck_assert_str_eq(u[0], "http://a/x/y/media_info/MD5SUM");
  vzt_strv_free(u);
}
END_TEST

START_TEST(mirrors_override_recipe_or_say_how)
{
  struct vzt_recipe rec = {.path = "/r/fedora-45.conf", .distribution = "fedora", .release = "45"};
  char *none[] = {"none", NULL}, *urls[] = {"http://m/x//", NULL}, *over[] = {"http://o/", NULL};
  char *suites[] = {"releases/$releasever/Everything/$basearch/os", NULL};
  struct vzt_repo repo = {.name = "releases", .mirrors = none, .suites = suites};
  struct vzt_family_job job = {.recipe = &rec, .arch_name = "x86_64"};
  char **out = NULL;
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_rpm_mirrors(&job, &repo, &out, &err), -1);
  ck_assert_int_eq(err->status, VZT_EXIT_USAGE);
  ck_assert_ptr_nonnull(strstr(err->msg, "--mirror URL or VZTMPL_MIRROR_FEDORA=URL"));
  ck_assert_ptr_nonnull(strstr(err->msg, "releases/45/Everything/x86_64/os"));
  vzt_error_free(&err);
  job.mirror_override = over;
  ck_assert_int_eq(vzt_rpm_mirrors(&job, &repo, &out, &err), 0);
  ck_assert_str_eq(out[0], "http://o");
  vzt_strv_free(out);
  job.mirror_override = NULL;
  repo.mirrors = urls;
  ck_assert_int_eq(vzt_rpm_mirrors(&job, &repo, &out, &err), 0);
  ck_assert_str_eq(out[0], "http://m/x");
  vzt_strv_free(out);
}
END_TEST

/* Writes data compressed with filter (libarchive's raw writer) to path. */
static void write_compressed(const char *path, int filter, const char *data)
{
  struct archive *a = archive_write_new();
  if (filter >= 0)
    ck_assert_int_eq(archive_write_add_filter(a, filter), ARCHIVE_OK);
  ck_assert_int_eq(archive_write_set_format_raw(a), ARCHIVE_OK);
  ck_assert_int_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, "data");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, (la_int64_t) strlen(data));
  ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
  ck_assert_int_eq(archive_write_data(a, data, strlen(data)), (la_ssize_t) strlen(data));
  archive_entry_free(e);
  ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
}

static char *read_all(FILE *f)
{
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  size_t n;
  while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0)
    len += n;
  buf[len] = 0;
  return buf;
}

START_TEST(compression_by_magic_under_one_name)
{
  char dir[] = "/tmp/vzt-rpm-test.XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char *path = vzt_path_join(dir, "synthesis.hdlist.cz");
  const char *text = "@provides@a[== 1-1]\n@info@a-1-1.noarch@0@1@x\n";
  const int filters[] = {ARCHIVE_FILTER_GZIP, ARCHIVE_FILTER_XZ, ARCHIVE_FILTER_ZSTD,
                         ARCHIVE_FILTER_BZIP2, -1};
  for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
    write_compressed(path, filters[i], text);
    struct vzt_error *err = NULL;
    FILE *f = vzt_rpm_open_decompressed(path, &err);
    ck_assert_msg(f != NULL, "filter %d: %s", filters[i], err ? err->msg : "");
    char *got = read_all(f);
    fclose(f);
    ck_assert_str_eq(got, text);
    free(got);
    unlink(path);
  }
  /* A truncated zstd stream is an error, not short data. */
  write_compressed(path, ARCHIVE_FILTER_ZSTD, text);
  ck_assert_int_eq(truncate(path, 12), 0);
  struct vzt_error *err = NULL;
  FILE *f = vzt_rpm_open_decompressed(path, &err);
  if (f) {
    char buf[256];
    size_t n = fread(buf, 1, sizeof(buf), f);
    ck_assert(ferror(f) || n < strlen(text));
    fclose(f);
  }
  vzt_error_free(&err);
  unlink(path);
  rmdir(dir);
  free(path);
}
END_TEST

static Pool *rpm_pool(const char *arch)
{
  Pool *pool = pool_create();
  pool_setdisttype(pool, DISTTYPE_RPM);
  pool_setarch(pool, arch);
  return pool;
}

static bool has(Pool *pool, const struct vzt_transaction *t, const char *nevra)
{
  for (size_t i = 0; i < t->n; i++)
    if (!strcmp(pool_solvable2str(pool, t->order[i]), nevra))
      return true;
  return false;
}

/* Mandriva 2011's @info@ has disttag and distepoch fields: libsolv's mdk
 * loader takes the disttag off the file name's release and keeps the
 * distepoch as a trailing ":N" of the evr, compared after the release. */
START_TEST(synthesis_with_disttag_and_distepoch)
{
  const char *syn = "@provides@foo[== 2:1.0-3.mga9]\n@summary@foo\n@filesize@10\n"
                    "@info@foo-1.0-3.mga9.x86_64@2@100@System/Base@mga9@9\n"
                    "@provides@bar[== 1.0-1]\n@requires@foo[>= 2:1.0]\n"
                    "@info@bar-1.0-1-mdv2011.0.noarch@0@5@System/Base@mdv2011.0@2011.0\n"
                    "@provides@bar[== 1.0-1]\n"
                    "@info@bar-1.0-1-mdv2010.2.noarch@0@5@System/Base@mdv2010.2@2010.2\n"
                    "@provides@foo[== 2:1.0-3.mga9]\n@info@foo-1.0-3.mga9.i586@2@100@System/Base@mga9@9\n";
  Pool *pool = rpm_pool("x86_64");
  Repo *repo = repo_create(pool, "media");
  FILE *f = fmemopen((void *) syn, strlen(syn), "r");
  ck_assert_int_eq(repo_add_mdk(repo, f, 0), 0);
  fclose(f);
  ck_assert_int_eq(repo->nsolvables, 4);
  Solvable *bar = pool->solvables + repo->start + 1;
  ck_assert_str_eq(pool_id2str(pool, bar->evr), "1.0-1:2011.0");
  unsigned int medianr;
  ck_assert_str_eq(solvable_get_location(bar, &medianr), "bar-1.0-1-mdv2011.0.noarch.rpm");
  char *install[] = {"bar", NULL};
  struct vzt_transaction t;
  struct vzt_error *err = NULL;
  ck_assert_msg(vzt_resolve(pool, NULL, NULL, install, NULL, &t, &err) == 0, "%s", err ? err->msg : "");
  ck_assert_uint_eq(t.n, 2);
  ck_assert(has(pool, &t, "bar-1.0-1:2011.0.noarch")); /* the higher distepoch */
  ck_assert(has(pool, &t, "foo-2:1.0-3.mga9:9.x86_64")); /* not the i586 one */
  vzt_transaction_clear(&t);
  pool_free(pool);
}
END_TEST

static const char primary[] =
    "<?xml version=\"1.0\"?><metadata xmlns=\"http://linux.duke.edu/metadata/common\" "
    "xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"4\">"
    "<package type=\"rpm\"><name>lib</name><arch>x86_64</arch><version epoch=\"0\" ver=\"1\" rel=\"1\"/>"
    "<checksum type=\"sha256\" pkgid=\"YES\">" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "</checksum><location href=\"Packages/l/lib-1-1.x86_64.rpm\"/>"
    "<format><rpm:provides><rpm:entry name=\"lib\" flags=\"EQ\" epoch=\"0\" ver=\"1\" rel=\"1\"/>"
    "</rpm:provides></format></package>"
    "<package type=\"rpm\"><name>lib</name><arch>i686</arch><version epoch=\"0\" ver=\"1\" rel=\"1\"/>"
    "<location href=\"Packages/l/lib-1-1.i686.rpm\"/><format><rpm:provides>"
    "<rpm:entry name=\"lib\" flags=\"EQ\" epoch=\"0\" ver=\"1\" rel=\"1\"/></rpm:provides></format></package>"
    "<package type=\"rpm\"><name>app</name><arch>noarch</arch><version epoch=\"0\" ver=\"2\" rel=\"1\"/>"
    "<location href=\"Packages/a/app-2-1.noarch.rpm\"/><format><rpm:requires>"
    "<rpm:entry name=\"lib\" flags=\"GE\" epoch=\"0\" ver=\"1\"/><rpm:entry name=\"/bin/sh\"/></rpm:requires>"
    "</format></package>"
    "<package type=\"rpm\"><name>sh</name><arch>aarch64</arch><version epoch=\"0\" ver=\"1\" rel=\"1\"/>"
    "<location href=\"Packages/s/sh-1-1.aarch64.rpm\"/><format><file>/bin/sh</file></format></package>"
    "</metadata>";

static Pool *primary_pool(const char *arch)
{
  Pool *pool = rpm_pool(arch);
  Repo *repo = repo_create(pool, "os");
  FILE *f = fmemopen((void *) primary, strlen(primary), "r");
  ck_assert_int_eq(repo_add_rpmmd(repo, f, NULL, 0), 0);
  fclose(f);
  return pool;
}

/* x86_64 takes the x86_64 library over the i686 one; /bin/sh is found in
 * primary's file list; an architecture without it cannot resolve. */
START_TEST(primary_in_rpm_semantics)
{
  Pool *pool = primary_pool("x86_64");
  char *install[] = {"app", NULL};
  struct vzt_transaction t;
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_resolve(pool, NULL, NULL, install, NULL, &t, &err), -1);
  ck_assert_ptr_nonnull(strstr(err->msg, "/bin/sh"));
  /* Every missing dependency, with the pool's architecture. */
  ck_assert_msg(strstr(err->msg, "app-2-1.noarch needs /bin/sh, which nothing for x86_64 provides"),
                "%s", err->msg);
  vzt_error_free(&err);
  pool_free(pool);
  pool = primary_pool("aarch64");
  char *install2[] = {"app", NULL};
  ck_assert_int_eq(vzt_resolve(pool, NULL, NULL, install2, NULL, &t, &err), -1);
  ck_assert_ptr_nonnull(strstr(err->msg, "lib"));
  vzt_error_free(&err);
  pool_free(pool);
  pool = primary_pool("i686");
  char *install3[] = {"lib", NULL};
  ck_assert_int_eq(vzt_resolve(pool, NULL, NULL, install3, NULL, &t, &err), 0);
  ck_assert_uint_eq(t.n, 1);
  ck_assert(has(pool, &t, "lib-1-1.i686"));
  unsigned int medianr;
  ck_assert_str_eq(solvable_get_location(t.order[0], &medianr), "Packages/l/lib-1-1.i686.rpm");
  vzt_transaction_clear(&t);
  pool_free(pool);
  pool = primary_pool("x86_64");
  ck_assert_int_eq(vzt_resolve(pool, NULL, NULL, install3, NULL, &t, &err), 0);
  ck_assert(has(pool, &t, "lib-1-1.x86_64"));
  Id type = 0;
  ck_assert_ptr_nonnull(solvable_lookup_checksum(t.order[0], SOLVABLE_CHECKSUM, &type));
  ck_assert_int_eq(type, REPOKEY_TYPE_SHA256);
  vzt_transaction_clear(&t);
  pool_free(pool);
}
END_TEST

/* dnf's spellings of a root: name.arch takes that architecture over the
 * better one; name-version-release.arch and name-version as dnf reads
 * them; a name.arch the target cannot run says what it is built for. */
START_TEST(roots_spelt_as_dnf_does)
{
  Pool *pool = primary_pool("x86_64");
  struct vzt_transaction t;
  struct vzt_error *err = NULL;
  char *dotarch[] = {"lib.i686", NULL};
  ck_assert_msg(vzt_resolve(pool, NULL, NULL, dotarch, NULL, &t, &err) == 0, "%s", err ? err->msg : "");
  ck_assert_uint_eq(t.n, 1);
  ck_assert(has(pool, &t, "lib-1-1.i686"));
  vzt_transaction_clear(&t);
  char *nevra[] = {"lib-1-1.x86_64", "lib-0:1-1.i686", NULL};
  ck_assert_msg(vzt_resolve(pool, NULL, NULL, nevra, NULL, &t, &err) == 0, "%s", err ? err->msg : "");
  ck_assert_uint_eq(t.n, 2);
  vzt_transaction_clear(&t);
  char *nev[] = {"lib-1", NULL};
  ck_assert_msg(vzt_resolve(pool, NULL, NULL, nev, NULL, &t, &err) == 0, "%s", err ? err->msg : "");
  ck_assert(has(pool, &t, "lib-1-1.x86_64"));
  vzt_transaction_clear(&t);
  char *foreign[] = {"sh.aarch64", "lib-2", NULL};
  ck_assert_int_eq(vzt_resolve(pool, NULL, NULL, foreign, NULL, &t, &err), -1);
  ck_assert_msg(strstr(err->msg, "sh.aarch64 (requested) for x86_64: built only for aarch64"), "%s",
                err->msg);
  ck_assert_msg(strstr(err->msg, "lib-2 (requested) for x86_64"), "%s", err->msg);
  vzt_error_free(&err);
  pool_free(pool);
}
END_TEST

static struct vzt_recipe *load(const char *spec, struct vzt_error **err)
{
  char *path = NULL;
  struct vzt_recipe *r = NULL;
  if (vzt_recipe_find(RECIPES, spec, &path, err) == 0)
    vzt_recipe_load(path, &r, err);
  free(path);
  return r;
}

START_TEST(shipped_recipes)
{
  struct vzt_error *err = NULL;
  struct vzt_recipe *r = load("fedora", &err);
  ck_assert_msg(r != NULL, "%s", err ? err->msg : "");
  ck_assert_str_eq(r->release, "45");
  ck_assert_str_eq(r->repos[0].family, "rpm-md");
  ck_assert_str_eq(r->repos[0].mirrors[0], "none");
  ck_assert_str_eq(r->repos[0].keys[0], "4F50A6114CD5C6976A7F1179655A4B02F577861E");
  ck_assert_str_eq(r->repos[0].metadata_signature, "if-published");
  ck_assert_int_eq(access(r->repos[0].keyring, R_OK), 0);
  vzt_recipe_free(r);
  r = load("fedora:44", &err);
  ck_assert_msg(r != NULL, "%s", err ? err->msg : "");
  ck_assert_str_eq(r->repos[1].keys[0], "36F612DCF27F7D1A48A835E4DBFCF71C6D9F90A6");
  ck_assert_int_eq(access(r->repos[1].keyring, R_OK), 0);
  vzt_recipe_free(r);
  /* recipes/mandriva: Mageia by default, OpenMandriva by name only. */
  r = load("mandriva", &err);
  ck_assert_msg(r != NULL, "%s", err ? err->msg : "");
  ck_assert_str_eq(r->distribution, "mageia");
  ck_assert_str_eq(r->release, "9");
  ck_assert_str_eq(r->repos[0].family, "urpmi");
  ck_assert_int_eq(access(r->repos[0].keyring, R_OK), 0);
  vzt_recipe_free(r);
  r = load("mageia", &err);
  ck_assert_msg(r != NULL, "%s", err ? err->msg : "");
  ck_assert_str_eq(r->release, "9");
  vzt_recipe_free(r);
  r = load("openmandriva:rock", &err);
  ck_assert_msg(r != NULL, "%s", err ? err->msg : "");
  ck_assert_str_eq(r->repos[0].family, "rpm-md");
  ck_assert_str_eq(r->repos[0].keys[0], "88D19FB468BA8F3FDA4F5E8C180922D8BF81DE15");
  vzt_recipe_free(r);
  r = load("mandriva:2011", &err);
  ck_assert_msg(r != NULL, "%s", err ? err->msg : "");
  ck_assert_str_eq(r->distribution, "mandriva");
  ck_assert_str_eq(r->repos[0].family, "urpmi");
  ck_assert_ptr_null(r->repos[0].keyring);
  vzt_recipe_free(r);
  ck_assert_ptr_null(load("openmandriva", &err));
  ck_assert_int_eq(err->status, VZT_EXIT_USAGE);
  ck_assert_ptr_nonnull(strstr(err->msg, "openmandriva:<release>"));
  vzt_error_free(&err);
}
END_TEST

START_TEST(metadata_signature_values)
{
  char path[] = "/tmp/vzt-rpm-recipe.XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  const char *text = "[template]\ndistribution = x\nrelease = 1\narchitectures = x86_64\n"
                     "[repository r]\nfamily = rpm-md\nmirror = file:///r\nsuites = .\n"
                     "metadata-signature = sometimes\n";
  ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t) strlen(text));
  close(fd);
  struct vzt_recipe *r = NULL;
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_recipe_load(path, &r, &err), -1);
  ck_assert_ptr_nonnull(strstr(err->msg, "metadata-signature must be required or if-published"));
  vzt_error_free(&err);
  unlink(path);
}
END_TEST

/* What needs no package: the policy's spelling, and a file that is no RPM
 * at all. Signed, unsigned and damaged packages are checked on packages the
 * integration tests build (test-rpm-trust-local.sh) and on rpm's own test
 * packages (test-rpm-fixtures). */
START_TEST(package_policy_and_not_an_rpm)
{
  struct vzt_rpm_checked got = {0};
  struct vzt_error *err = NULL;
  const char *key = RECIPES "/fedora/keys/RPM-GPG-KEY-fedora-45-primary";
  ck_assert_int_eq(vzt_rpm_verify_file(NULL, VZT_RPM_SIG_NONE, key, "a key", &got, &err), -1);
  ck_assert_int_eq(err->status, VZT_EXIT_REFUSED);
  ck_assert_ptr_nonnull(strstr(err->msg, "a key"));
  vzt_error_free(&err);
  ck_assert_int_eq(vzt_rpm_sigpolicy_parse(NULL), VZT_RPM_SIG_REQUIRED);
  ck_assert_int_eq(vzt_rpm_sigpolicy_parse("required"), VZT_RPM_SIG_REQUIRED);
  ck_assert_int_eq(vzt_rpm_sigpolicy_parse("none"), VZT_RPM_SIG_NONE);
  ck_assert_int_eq(vzt_rpm_sigpolicy_parse("allow-v3"), VZT_RPM_SIG_ALLOW_V3);
  ck_assert_int_eq(vzt_rpm_sigpolicy_parse("sometimes"), -1);
}
END_TEST

/* Metalinks written here (librepo's real one is read in test-rpm-fixtures). */
START_TEST(metalink_mirrors_and_digests)
{
  struct vzt_rpm_metalink ml;
  struct vzt_error *err = NULL;
  /* preference order, alternates, other files and schemes ignored */
  const char *two =
      "<metalink xmlns=\"urn:test:metalink\" xmlns:mm0=\"urn:test:mirrormanager\">"
      "<files><file name=\"other.xml\"><verification><hash type=\"sha256\">00</hash></verification>"
      "<resources><url protocol=\"http\" preference=\"100\">http://x/other/repodata/repomd.xml</url></resources></file>"
      "<file name=\"repomd.xml\"><mm0:alternates><mm0:alternate><verification>"
      "<hash type=\"sha256\">aa</hash></verification></mm0:alternate></mm0:alternates>"
      "<verification><hash type=\"md5\">cc</hash><hash type=\"sha256\">bb</hash></verification>"
      "<resources><url protocol=\"rsync\" preference=\"100\">rsync://r/repodata/repomd.xml</url>"
      "<url protocol=\"https\" preference=\"90\">https://low/repodata/repomd.xml</url>"
      "<url protocol=\"https\" preference=\"99\">https://high/f/repodata/repomd.xml</url>"
      "</resources></file></files></metalink>";
  ck_assert_msg(vzt_rpm_metalink_parse(two, strlen(two), "two", &ml, &err) == 0, "%s",
                err ? err->msg : "");
  ck_assert_str_eq(ml.mirrors[0], "https://high/f");
  ck_assert_str_eq(ml.mirrors[1], "https://low");
  ck_assert_ptr_null(ml.mirrors[2]);
  ck_assert_str_eq(ml.sha256[0], "aa");
  ck_assert_str_eq(ml.sha256[1], "bb");
  ck_assert_ptr_null(ml.sha256[2]);
  vzt_rpm_metalink_clear(&ml);
  const char *nohash = "<metalink><files><file name=\"repomd.xml\"><resources>"
                       "<url>https://a/repodata/repomd.xml</url></resources></file></files></metalink>";
  ck_assert_int_eq(vzt_rpm_metalink_parse(nohash, strlen(nohash), "nohash", &ml, &err), -1);
  ck_assert_int_eq(err->status, VZT_EXIT_REFUSED);
  vzt_error_free(&err);
  ck_assert_int_eq(vzt_rpm_metalink_parse("<metalink><files>", 17, "cut", &ml, &err), -1);
  ck_assert_ptr_nonnull(strstr(err->msg, "cut: malformed metalink"));
  vzt_error_free(&err);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("rpm");
  TCase *tc = tcase_create("rpm");
  tcase_add_test(tc, md5sum_lines);
  tcase_add_test(tc, paths_and_urls);
  tcase_add_test(tc, mirrors_override_recipe_or_say_how);
  tcase_add_test(tc, compression_by_magic_under_one_name);
  tcase_add_test(tc, synthesis_with_disttag_and_distepoch);
  tcase_add_test(tc, primary_in_rpm_semantics);
  tcase_add_test(tc, roots_spelt_as_dnf_does);
  tcase_add_test(tc, shipped_recipes);
  tcase_add_test(tc, metadata_signature_values);
  tcase_add_test(tc, package_policy_and_not_an_rpm);
  tcase_add_test(tc, metalink_mirrors_and_digests);
  suite_add_tcase(s, tc);
  return vzt_unit_run(s);
}
