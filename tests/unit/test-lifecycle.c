/* Unit tests for the template lifecycle: tmpl/lifecycle/diff.c, tmpl/lifecycle/verify.c, cache/gc.c. */
#include "config.h"
#include "cache/cache.h"
#include "cache/gc.h"
#include "tmpl/lifecycle/diff.h"
#include "tmpl/manifest.h"
#include "tmpl/lifecycle/verify.h"
#include "tmpl/publish/publish.h"
#include "tmpl/publish/sums.h"
#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "unit.h"

#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *testdir; /* fresh per test */

static void setup(void)
{
  umask(022);
  char tmpl[] = "/tmp/vzt-test-lifecycle.XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(tmpl));
  testdir = vzt_strdup(tmpl);
}

static void teardown(void)
{
  vzt_rm_rf(testdir, NULL);
  free(testdir);
}

static char *tpath(const char *name) { return vzt_path_join(testdir, name); }

static void write_text(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  ck_assert_int_eq(fclose(f), 0);
}

static bool exists(const char *path)
{
  struct stat st;
  return lstat(path, &st) == 0;
}

/* A manifest with packages given as "name version arch sha" quads. */
static char *write_manifest(const char *file, const char *name, const char *archive,
                            const char *archive_sha, uint64_t archive_size, const char *const *pkgs)
{
  struct vzt_manifest m = {0};
  m.name = (char *) name;
  m.archive_file = (char *) archive;
  m.archive_sha256 = (char *) archive_sha;
  m.archive_size = archive_size;
  size_t n = 0;
  while (pkgs[n * 4])
    n++;
  m.packages = calloc(n + 1, sizeof(*m.packages));
  for (size_t i = 0; i < n; i++)
    m.packages[i] = (struct vzt_manifest_package){.name = (char *) pkgs[4 * i],
                                                  .version = (char *) pkgs[4 * i + 1],
                                                  .architecture = (char *) pkgs[4 * i + 2],
                                                  .sha256 = (char *) pkgs[4 * i + 3],
                                                  .size = 100};
  m.npackages = n;
  _cleanup_free_ char *json = vzt_manifest_to_json(&m);
  free(m.packages);
  char *path = tpath(file);
  write_text(path, json);
  return path;
}

static struct vzt_manifest load(const char *path)
{
  struct vzt_manifest m;
  _cleanup_error_ struct vzt_error *err = NULL;
  int r = vzt_manifest_load(path, &m, &err);
  ck_assert_msg(r == 0, "%s", err ? err->msg : "");
  return m;
}

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SHA_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define SHA_D "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define SHA_E "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"

static const struct vzt_diff_package *find_pkg(const struct vzt_diff *d, const char *name)
{
  for (size_t i = 0; i < d->npackages; i++)
    if (!strcmp(d->packages[i].name, name))
      return &d->packages[i];
  return NULL;
}

START_TEST(test_vercmp)
{
  ck_assert_int_lt(vzt_diff_vercmp("1.0", "1.1"), 0);
  ck_assert_int_gt(vzt_diff_vercmp("1:1.0", "2.0"), 0);      /* epoch wins */
  ck_assert_int_lt(vzt_diff_vercmp("1.0~rc1", "1.0"), 0);    /* tilde sorts first */
  ck_assert_int_lt(vzt_diff_vercmp("1.0-1", "1.0-1+deb12u1"), 0);
  ck_assert_int_lt(vzt_diff_vercmp("2.9", "2.10"), 0);       /* numerically, not as text */
  ck_assert_int_eq(vzt_diff_vercmp("1.0-1", "1.0-1"), 0);
}
END_TEST

START_TEST(test_diff_packages)
{
  const char *a[] = {"base-files", "12.4",  "amd64", SHA_A,  /* upgraded */
                     "gcc-12-base", "12.2", "amd64", SHA_B,  /* removed */
                     "dash", "0.5.12-2", "amd64", SHA_C,     /* downgraded below */
                     "tzdata", "2024a", "all", SHA_D,        /* same version, rebuilt */
                     "zlib1g", "1:1.2.13", "amd64", SHA_E,   /* unchanged */
                     "libc6", "2.36", "amd64", SHA_A,        /* multiarch: both upgraded */
                     "libc6", "2.36", "i386", SHA_B,
                     NULL};
  const char *b[] = {"base-files", "13.8", "amd64", SHA_B,
                     "gcc-14-base", "14.2", "amd64", SHA_C,
                     "dash", "0.5.12-1", "amd64", SHA_C,
                     "tzdata", "2024a", "all", SHA_E,
                     "zlib1g", "1:1.2.13", "amd64", SHA_E,
                     "libc6", "2.41", "i386", SHA_D,
                     "libc6", "2.41", "amd64", SHA_C,
                     NULL};
  _cleanup_free_ char *pa = write_manifest("a.json", "t-12", "t-12.tar.zst", SHA_A, 1, a);
  _cleanup_free_ char *pb = write_manifest("b.json", "t-13", "t-13.tar.zst", SHA_B, 1, b);
  struct vzt_manifest ma = load(pa), mb = load(pb);
  struct vzt_diff d = {0};
  ck_assert_int_eq(vzt_diff_packages(&ma, &mb, &d, NULL), 0);
  ck_assert_uint_eq(d.npackages, 7);
  const struct vzt_diff_package *p = find_pkg(&d, "base-files");
  ck_assert_int_eq(p->kind, VZT_DIFF_UPGRADED);
  ck_assert_str_eq(p->old_version, "12.4");
  ck_assert_str_eq(p->new_version, "13.8");
  ck_assert_int_eq(find_pkg(&d, "gcc-12-base")->kind, VZT_DIFF_REMOVED);
  ck_assert_ptr_null(find_pkg(&d, "gcc-12-base")->new_version);
  ck_assert_int_eq(find_pkg(&d, "gcc-14-base")->kind, VZT_DIFF_ADDED);
  ck_assert_int_eq(find_pkg(&d, "dash")->kind, VZT_DIFF_DOWNGRADED);
  ck_assert_int_eq(find_pkg(&d, "tzdata")->kind, VZT_DIFF_CHANGED);
  ck_assert_ptr_null(find_pkg(&d, "zlib1g"));
  size_t libc = 0;
  for (size_t i = 0; i < d.npackages; i++)
    if (!strcmp(d.packages[i].name, "libc6")) {
      ck_assert_int_eq(d.packages[i].kind, VZT_DIFF_UPGRADED);
      ck_assert_str_eq(d.packages[i].old_arch, d.packages[i].new_arch);
      libc++;
    }
  ck_assert_uint_eq(libc, 2);
  for (size_t i = 1; i < d.npackages; i++) /* sorted by name */
    ck_assert_int_le(strcmp(d.packages[i - 1].name, d.packages[i].name), 0);
  ck_assert(!vzt_diff_empty(&d));
  vzt_diff_clear(&d);

  /* A template against itself: nothing. */
  ck_assert_int_eq(vzt_diff_packages(&ma, &ma, &d, NULL), 0);
  ck_assert(vzt_diff_empty(&d));
  vzt_diff_clear(&d);
  vzt_manifest_clear(&ma);
  vzt_manifest_clear(&mb);
}
END_TEST

START_TEST(test_diff_arch_change_pairs)
{
  /* A package that became Architecture: all is an upgrade, not a swap. */
  const char *a[] = {"tzdata", "2024a", "amd64", SHA_A, NULL};
  const char *b[] = {"tzdata", "2025b", "all", SHA_B, NULL};
  _cleanup_free_ char *pa = write_manifest("a.json", "a", "a.tar.zst", SHA_A, 1, a);
  _cleanup_free_ char *pb = write_manifest("b.json", "b", "b.tar.zst", SHA_B, 1, b);
  struct vzt_manifest ma = load(pa), mb = load(pb);
  struct vzt_diff d = {0};
  ck_assert_int_eq(vzt_diff_packages(&ma, &mb, &d, NULL), 0);
  ck_assert_uint_eq(d.npackages, 1);
  ck_assert_int_eq(d.packages[0].kind, VZT_DIFF_UPGRADED);
  ck_assert_str_eq(d.packages[0].new_arch, "all");
  vzt_diff_clear(&d);
  vzt_manifest_clear(&ma);
  vzt_manifest_clear(&mb);
}
END_TEST

/* --- tiny template archives --- */

struct file {
  const char *path; /* "./etc/hostname"; a trailing "/" makes a directory */
  const char *data; /* NULL for directories; "->x" makes a symlink to x */
  unsigned mode;
};

static void write_archive(const char *path, const struct file *files)
{
  struct archive *a = archive_write_new();
  ck_assert_int_eq(archive_write_add_filter_zstd(a), ARCHIVE_OK);
  ck_assert_int_eq(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
  ck_assert_int_eq(archive_write_open_filename(a, path), ARCHIVE_OK);
  for (const struct file *f = files; f->path; f++) {
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, f->path);
    archive_entry_set_mtime(e, 1700000000, 0);
    archive_entry_set_perm(e, f->mode);
    if (!f->data)
      archive_entry_set_filetype(e, AE_IFDIR);
    else if (!strncmp(f->data, "->", 2)) {
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_symlink(e, f->data + 2);
    } else {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_size(e, (la_int64_t) strlen(f->data));
    }
    ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
    if (f->data && strncmp(f->data, "->", 2))
      ck_assert_int_eq(archive_write_data(a, f->data, strlen(f->data)), (la_ssize_t) strlen(f->data));
    archive_entry_free(e);
  }
  ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
}

static void file_sha256(const char *path, char hex[VZT_DIGEST_HEX_MAX], uint64_t *size)
{
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(vzt_digest_fd(fd, VZT_DIGEST_SHA256, hex, size, NULL), 0);
}

#define STATUS_HELLO                                                                               \
  "Package: hello\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.10-3\n"         \
  "Description: hi\n continued\n\n"                                                                \
  "Package: tzdata\nStatus: install ok installed\nArchitecture: all\nVersion: 2025b-1\n\n"         \
  "Package: oldpkg\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1.0\n"

static const char *const pkgs_ok[] = {"hello", "2.10-3", "amd64", SHA_A,
                                      "tzdata", "2025b-1", "amd64", SHA_B, NULL};

/* t.tar.zst with the given status beside t.json listing pkgs; returns the manifest path. */
static char *make_template(const char *status, const char *const *pkgs)
{
  _cleanup_free_ char *archive = tpath("t.tar.zst");
  const struct file files[] = {
      {"./", NULL, 0755},
      {"./etc/", NULL, 0755},
      {"./etc/hostname", "localhost\n", 0644},
      {"./var/lib/dpkg/status", status, 0644},
      {NULL, NULL, 0},
  };
  write_archive(archive, files);
  char hex[VZT_DIGEST_HEX_MAX];
  uint64_t size;
  file_sha256(archive, hex, &size);
  return write_manifest("t.json", "t-1-x86_64", "t.tar.zst", hex, size, pkgs);
}

START_TEST(test_verify_ok)
{
  _cleanup_free_ char *m = make_template(STATUS_HELLO, pkgs_ok);
  struct vzt_verify_report rep;
  _cleanup_error_ struct vzt_error *err = NULL;
  int r = vzt_verify_template(m, NULL, &rep, &err);
  ck_assert_msg(r == 0, "%s", err ? err->msg : "");
  ck_assert_uint_eq(rep.packages, 2);
  ck_assert_str_eq(rep.name, "t-1-x86_64");
  ck_assert_int_eq(rep.checks[VZT_VERIFY_ARCHIVE].status, VZT_CHECK_PASSED);
  ck_assert_int_eq(rep.checks[VZT_VERIFY_PACKAGES].status, VZT_CHECK_PASSED);
  ck_assert_int_eq(rep.checks[VZT_VERIFY_SIGNATURE].status, VZT_CHECK_SKIPPED);
  vzt_verify_report_clear(&rep);

  /* A signed list beside it without a keyring: reported, not claimed as checked. */
  _cleanup_free_ char *sums = tpath("t.SHA256SUMS");
  _cleanup_free_ char *sig = tpath("t.SHA256SUMS.gpg");
  write_text(sums, "0000000000000000000000000000000000000000000000000000000000000000  t.tar.zst\n");
  write_text(sig, "not really");
  ck_assert_int_eq(vzt_verify_template(m, NULL, &rep, NULL), 0);
  ck_assert_int_eq(rep.checks[VZT_VERIFY_SIGNATURE].status, VZT_CHECK_SKIPPED);
  ck_assert_ptr_nonnull(strstr(rep.checks[VZT_VERIFY_SIGNATURE].detail, "t.SHA256SUMS.gpg"));
  ck_assert_ptr_nonnull(strstr(rep.checks[VZT_VERIFY_SIGNATURE].detail, "no --keyring"));
  vzt_verify_report_clear(&rep);

  /* With a keyring, a signature that is not one is a refusal, and the
   * package check is not run on a template nobody vouches for. */
  _cleanup_free_ char *keyring = tpath("junk.gpg");
  write_text(keyring, "no keys here");
  struct vzt_verify_opts o = {.keyring = keyring};
  ck_assert_int_eq(vzt_verify_template(m, &o, &rep, &err), -1);
  ck_assert_ptr_nonnull(err);
  ck_assert_int_eq(rep.checks[VZT_VERIFY_SIGNATURE].status, VZT_CHECK_FAILED);
  ck_assert_int_eq(rep.checks[VZT_VERIFY_PACKAGES].status, VZT_CHECK_SKIPPED);
  vzt_verify_report_clear(&rep);
  unlink(sums);
  unlink(sig);
}
END_TEST

START_TEST(test_sums_parse)
{
  static const char text[] =
      "e274615f4b8a8e7c0955bea86c30e379621d4f3e0bdddc1ee5ae7472dd13d1b8  templates/a/1/a.tar.zst\n"
      "\n"
      "3628191C008E2448F6E4838428AF6559533496E83829938A04E74017E94889C9 *index.json\r\n";
  struct vzt_sums s;
  _cleanup_error_ struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_sums_parse(text, sizeof(text) - 1, "SHA256SUMS", &s, &err), 0);
  ck_assert_uint_eq(s.n, 2);
  const struct vzt_sums_entry *e = vzt_sums_find(&s, "index.json");
  ck_assert_ptr_nonnull(e);
  ck_assert_str_eq(e->sha256, "3628191c008e2448f6e4838428af6559533496e83829938a04e74017e94889c9");
  ck_assert_ptr_null(vzt_sums_find(&s, "a.tar.zst"));
  ck_assert(vzt_sums_lists(&s, "a.tar.zst", "E274615F4B8A8E7C0955BEA86C30E379621D4F3E0BDDDC1EE5AE7472DD13D1B8"));
  ck_assert(!vzt_sums_lists(&s, "b.tar.zst", "e274615f4b8a8e7c0955bea86c30e379621d4f3e0bdddc1ee5ae7472dd13d1b8"));
  ck_assert(!vzt_sums_lists(&s, "a.tar.zst", "3628191c008e2448f6e4838428af6559533496e83829938a04e74017e94889c9"));
  vzt_sums_clear(&s);

  static const char bad[] = "e274615f4b8a  short.tar.zst\n";
  ck_assert_int_eq(vzt_sums_parse(bad, sizeof(bad) - 1, "SHA256SUMS", &s, &err), -1);
  ck_assert_int_eq(err->status, VZT_EXIT_REFUSED);
  ck_assert_ptr_nonnull(strstr(err->msg, "line 1"));
  vzt_error_free(&err);
  /* No signature at all: refused before anything is read. */
  ck_assert_int_eq(vzt_sums_verify("/nonexistent", text, sizeof(text) - 1, NULL, 0, "SHA256SUMS", &s, NULL, &err), -1);
  ck_assert_int_eq(err->status, VZT_EXIT_REFUSED);
}
END_TEST

START_TEST(test_publish_formats)
{
  _cleanup_free_ char *id = vzt_publish_build_id(1700000000, "e274615f4b8a8e7c0955bea86c30e379621d4f3e0bdddc1ee5ae7472dd13d1b8");
  ck_assert_str_eq(id, "20231114-221320-e274615f4b8a");
  struct vzt_publish_entry e = {
      .name = "debian-12-x86_64-minbase", .build = "20231114-221320-e274615f4b8a", .distribution = "debian",
      .release = "12", .codename = "bookworm", .variant = "minbase", .architecture = "x86_64",
      .deb_architecture = "amd64", .archive = "templates/x/1/debian-12-x86_64-minbase.tar.zst",
      .sha256 = "e2", .md5 = "m5", .sha512 = "s512", .epoch = 1700000000,
  };
  _cleanup_free_ char *line = vzt_publish_lxc_line(&e);
  ck_assert_str_eq(line, "debian;bookworm;amd64;minbase;20231114-221320-e274615f4b8a;"
                         "/images/debian/bookworm/amd64/minbase/20231114-221320-e274615f4b8a/\n");
  _cleanup_free_ char *st = vzt_publish_aplinfo_stanza(&e);
  ck_assert_ptr_nonnull(strstr(st, "\nType: lxc\n"));
  ck_assert_ptr_nonnull(strstr(st, "\nOS: debian-12\n"));
  ck_assert_ptr_nonnull(strstr(st, "\nLocation: templates/x/1/debian-12-x86_64-minbase.tar.zst\n"));
  /* The Proxmox GUI shows Infopage as a link: only with a base URL, and absolute. */
  ck_assert_ptr_null(strstr(st, "\nInfopage:"));
  e.base_url = "https://templates.example.org/pub/";
  _cleanup_free_ char *st_url = vzt_publish_aplinfo_stanza(&e);
  ck_assert_ptr_nonnull(
      strstr(st_url, "\nInfopage: https://templates.example.org/pub/templates/x/1/debian-12-x86_64-minbase.json\n"));
  /* Description runs to the end of the stanza. */
  char *d = strstr(st, "\nDescription: ");
  ck_assert_ptr_nonnull(d);
  ck_assert_ptr_null(strstr(d, "\n\n"));
  ck_assert_ptr_null(strstr(strchr(d + 1, '\n') + 1, ":\n"));
  e.variant = NULL;
  _cleanup_free_ char *line2 = vzt_publish_lxc_line(&e);
  ck_assert_ptr_nonnull(strstr(line2, ";amd64;default;"));
}
END_TEST

START_TEST(test_verify_tampered)
{
  _cleanup_free_ char *m = make_template(STATUS_HELLO, pkgs_ok);
  _cleanup_free_ char *archive = tpath("t.tar.zst");
  /* One byte flipped in the middle. */
  int fd = open(archive, O_RDWR | O_CLOEXEC);
  ck_assert_int_ge(fd, 0);
  off_t mid = lseek(fd, 0, SEEK_END) / 2;
  unsigned char byte;
  ck_assert_int_eq(pread(fd, &byte, 1, mid), 1);
  byte ^= 0xff;
  ck_assert_int_eq(pwrite(fd, &byte, 1, mid), 1);
  close(fd);
  struct vzt_verify_report rep;
  _cleanup_error_ struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_verify_template(m, NULL, &rep, &err), -1);
  ck_assert_ptr_nonnull(err);
  ck_assert_int_eq(err->status, VZT_EXIT_REFUSED);
  ck_assert_ptr_nonnull(strstr(err->msg, "t.tar.zst"));
  ck_assert_int_eq(rep.checks[VZT_VERIFY_ARCHIVE].status, VZT_CHECK_FAILED);
  ck_assert_int_eq(rep.checks[VZT_VERIFY_PACKAGES].status, VZT_CHECK_SKIPPED);
  vzt_verify_report_clear(&rep);
}
END_TEST

START_TEST(test_verify_package_mismatches)
{
  struct {
    const char *status;
    const char *const *pkgs;
    const char *want;
  } cases[] = {
      /* the manifest says another version */
      {STATUS_HELLO,
       (const char *const[]){"hello", "2.10-4", "amd64", SHA_A, "tzdata", "2025b-1", "all", SHA_B, NULL},
       "the manifest says 2.10-4"},
      /* installed but not listed */
      {STATUS_HELLO, (const char *const[]){"hello", "2.10-3", "amd64", SHA_A, NULL},
       "tzdata (all) is in the package database"},
      /* listed but not installed */
      {STATUS_HELLO,
       (const char *const[]){"hello", "2.10-3", "amd64", SHA_A, "tzdata", "2025b-1", "all", SHA_B,
                             "bash", "5.2", "amd64", SHA_C, NULL},
       "bash 5.2 of the manifest is not installed"},
      /* another architecture */
      {STATUS_HELLO,
       (const char *const[]){"hello", "2.10-3", "arm64", SHA_A, "tzdata", "2025b-1", "all", SHA_B, NULL},
       "hello (amd64)"},
      /* listed, but only unpacked */
      {"Package: hello\nStatus: install ok unpacked\nArchitecture: amd64\nVersion: 2.10-3\n",
       (const char *const[]){"hello", "2.10-3", "amd64", SHA_A, NULL}, "not installed (Status: install ok unpacked)"},
  };
  for (size_t i = 0; i < VZT_ARRAY_SIZE(cases); i++) {
    _cleanup_free_ char *m = make_template(cases[i].status, cases[i].pkgs);
    struct vzt_verify_report rep;
    _cleanup_error_ struct vzt_error *err = NULL;
    ck_assert_int_eq(vzt_verify_template(m, NULL, &rep, &err), -1);
    ck_assert_int_eq(err->status, VZT_EXIT_REFUSED);
    ck_assert_msg(strstr(err->msg, cases[i].want), "case %zu: %s", i, err->msg);
    ck_assert_int_eq(rep.checks[VZT_VERIFY_ARCHIVE].status, VZT_CHECK_PASSED);
    ck_assert_int_eq(rep.checks[VZT_VERIFY_PACKAGES].status, VZT_CHECK_FAILED);
    vzt_verify_report_clear(&rep);
  }
}
END_TEST

START_TEST(test_verify_missing)
{
  _cleanup_free_ char *m = make_template(STATUS_HELLO, pkgs_ok);
  _cleanup_free_ char *archive = tpath("t.tar.zst");
  ck_assert_int_eq(unlink(archive), 0);
  struct vzt_verify_report rep;
  _cleanup_error_ struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_verify_template(m, NULL, &rep, &err), -1);
  ck_assert_int_eq(err->status, VZT_EXIT_FAILED);
  vzt_verify_report_clear(&rep);
  vzt_error_free(&err);
  _cleanup_free_ char *none = tpath("none.json");
  ck_assert_int_eq(vzt_verify_template(none, NULL, &rep, &err), -1);
  ck_assert_int_eq(err->status, VZT_EXIT_FAILED);
  vzt_verify_report_clear(&rep);
}
END_TEST

static const struct vzt_diff_path *find_path(const struct vzt_diff *d, const char *path)
{
  for (size_t i = 0; i < d->npaths; i++)
    if (!strcmp(d->paths[i].path, path))
      return &d->paths[i];
  return NULL;
}

START_TEST(test_diff_archives)
{
  _cleanup_free_ char *a = tpath("a.tar.zst");
  _cleanup_free_ char *b = tpath("b.tar.zst");
  const struct file fa[] = {
      {"./", NULL, 0755},
      {"./etc/", NULL, 0755},
      {"./etc/hostname", "localhost\n", 0644},
      {"./etc/motd", "hello\n", 0644},
      {"./etc/gone", "x", 0644},
      {"./bin", "->usr/bin", 0777},
      {"./etc/same", "same", 0644},
      {NULL, NULL, 0},
  };
  const struct file fb[] = {
      {"./", NULL, 0755},
      {"./etc/", NULL, 0700},                  /* mode */
      {"./etc/hostname", "ct1\n", 0644},       /* content and size */
      {"./etc/motd", "HELLO\n", 0644},         /* content only */
      {"./etc/new", "y", 0644},
      {"./bin", "->usr/sbin", 0777},           /* link target */
      {"./etc/same", "same", 0644},
      {NULL, NULL, 0},
  };
  write_archive(a, fa);
  write_archive(b, fb);
  char ha[VZT_DIGEST_HEX_MAX], hb[VZT_DIGEST_HEX_MAX];
  file_sha256(a, ha, NULL);
  file_sha256(b, hb, NULL);
  struct vzt_diff d = {0};
  _cleanup_error_ struct vzt_error *err = NULL;
  int r = vzt_diff_archives(a, ha, b, hb, &d, &err);
  ck_assert_msg(r == 0, "%s", err ? err->msg : "");
  ck_assert(d.paths_compared);
  ck_assert_uint_eq(d.npaths, 6);
  ck_assert_int_eq(find_path(&d, "/etc")->what, VZT_DIFF_MODE);
  ck_assert_int_eq(find_path(&d, "/etc/hostname")->what, VZT_DIFF_SIZE | VZT_DIFF_CONTENT);
  ck_assert_int_eq(find_path(&d, "/etc/motd")->what, VZT_DIFF_CONTENT);
  ck_assert_int_eq(find_path(&d, "/etc/gone")->kind, VZT_DIFF_REMOVED);
  ck_assert_int_eq(find_path(&d, "/etc/new")->kind, VZT_DIFF_ADDED);
  ck_assert_int_eq(find_path(&d, "/bin")->what, VZT_DIFF_TARGET);
  ck_assert_ptr_null(find_path(&d, "/etc/same"));
  for (size_t i = 1; i < d.npaths; i++)
    ck_assert_int_lt(strcmp(d.paths[i - 1].path, d.paths[i].path), 0);
  _cleanup_free_ char *what = vzt_diff_what_string(VZT_DIFF_SIZE | VZT_DIFF_CONTENT);
  ck_assert_str_eq(what, "size,content");
  vzt_diff_clear(&d);

  /* An archive that is not its manifest's is refused, whatever it holds. */
  ck_assert_int_eq(vzt_diff_archives(a, hb, b, hb, &d, &err), -1);
  ck_assert_int_eq(err->status, VZT_EXIT_REFUSED);
  ck_assert_ptr_nonnull(strstr(err->msg, "a.tar.zst"));
  vzt_diff_clear(&d);
}
END_TEST

/* --- gc --- */

static void put_blob(const char *cachedir, const char *hex, const char *data, time_t mtime)
{
  _cleanup_free_ char *dir = vzt_strdupf("%s/blobs/sha256/%.2s", cachedir, hex);
  ck_assert_int_eq(vzt_mkdir_p(dir, 0755, NULL), 0);
  _cleanup_free_ char *p = vzt_strdupf("%s/%s", dir, hex);
  write_text(p, data);
  if (mtime) {
    struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
    ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
  }
}

static char *blob(const char *cachedir, const char *hex)
{
  return vzt_strdupf("%s/blobs/sha256/%.2s/%s", cachedir, hex, hex);
}

static void put_file(const char *cachedir, const char *rel, const char *data, time_t mtime)
{
  _cleanup_free_ char *p = vzt_path_join(cachedir, rel);
  write_text(p, data);
  if (mtime) {
    struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
    ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, 0), 0);
  }
}

static bool has(const char *cachedir, const char *rel)
{
  _cleanup_free_ char *p = vzt_path_join(cachedir, rel);
  return exists(p);
}

/* A pid that is certainly gone: a child that has been reaped. */
static pid_t dead_pid(void)
{
  pid_t pid = fork();
  ck_assert_int_ge(pid, 0);
  if (pid == 0)
    _exit(0);
  ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
  return pid;
}

/* A cache with: A and B used by the template, C unused, D an index parsed
 * yesterday, E an index last used 30 days ago, a .part, a dead build's
 * work dir and a live one. */
static struct vzt_cache *make_cache(char **dirp)
{
  char *dir = tpath("cache");
  struct vzt_cache *c = NULL;
  ck_assert_int_eq(vzt_cache_open(dir, &c, NULL), 0);
  time_t now = time(NULL), old = now - 30 * 86400, recent = now - 86400;
  put_blob(dir, SHA_A, "package a", 0);
  put_blob(dir, SHA_B, "package b", 0);
  put_blob(dir, SHA_C, "package c, no longer used", 0);
  put_blob(dir, SHA_D, "Packages.xz of today", recent);
  put_file(dir, "solv/" SHA_D ".solv", "solv", recent);
  put_file(dir, "solv/" SHA_D ".meta", "meta", recent);
  put_blob(dir, SHA_E, "Packages.xz of last month", old);
  put_file(dir, "solv/" SHA_E ".solv", "old solv", old);
  put_file(dir, "solv/" SHA_E ".meta", "old meta", old);
  put_file(dir, "blobs/sha256/aa/" SHA_A ".part", "half", 0);
  _cleanup_free_ char *releases = vzt_path_join(dir, "releases");
  ck_assert_int_eq(mkdir(releases, 0755), 0);
  put_file(dir, "releases/x_InRelease", "signed", old);
  _cleanup_free_ char *deadrel = vzt_strdupf("tmp/build.%d.abcdef", (int) dead_pid());
  _cleanup_free_ char *liverel = vzt_strdupf("tmp/build.%d.ghijkl", (int) getpid());
  _cleanup_free_ char *dead = vzt_path_join(dir, deadrel);
  _cleanup_free_ char *live = vzt_path_join(dir, liverel);
  ck_assert_int_eq(mkdir(dead, 0755), 0);
  ck_assert_int_eq(mkdir(live, 0755), 0);
  _cleanup_free_ char *deadfile = vzt_path_join(dead, "rootfs-file");
  write_text(deadfile, "12345");
  const char *pkgs[] = {"a", "1", "amd64", SHA_A, "b", "1", "all", SHA_B, NULL};
  _cleanup_free_ __attribute__((unused)) char *m = write_manifest("cache/templates/t.json", "t", "t.tar.zst", SHA_A, 1, pkgs);
  put_file(dir, "templates/t.tar.zst", "archive", 0);
  *dirp = dir;
  return c;
}

START_TEST(test_gc)
{
  _cleanup_free_ char *dir = NULL;
  struct vzt_cache *c = make_cache(&dir);
  _cleanup_free_ char *live = vzt_strdupf("tmp/build.%d.ghijkl", (int) getpid());
  char *refs[] = {SHA_A, (char *) "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", NULL};

  struct vzt_cache_usage u;
  ck_assert_int_eq(vzt_cache_usage(c, refs, &u, NULL), 0);
  ck_assert_uint_eq(u.referenced.files, 2);
  ck_assert_uint_eq(u.unreferenced.files, 1);
  ck_assert_uint_eq(u.indices.files, 2);
  ck_assert_uint_eq(u.parsed.files, 4);
  ck_assert_uint_eq(u.partial.files, 1);
  ck_assert_uint_eq(u.templates.files, 2);
  ck_assert_uint_eq(u.tmp.files, 1);
  ck_assert_uint_eq(u.tmp.bytes, 5);
  ck_assert_uint_eq(u.referenced.bytes, strlen("package a") + strlen("package b"));

  /* A dry run removes nothing but says the same as the real one. */
  struct vzt_gc_opts o = {.referenced = refs, .keep_days = 14, .dry_run = true};
  struct vzt_gc_result dry, r;
  ck_assert_int_eq(vzt_cache_gc(c, &o, &dry, NULL), 0);
  _cleanup_free_ char *bc = blob(dir, SHA_C);
  ck_assert(exists(bc));
  o.dry_run = false;
  _cleanup_error_ struct vzt_error *err = NULL;
  int ret = vzt_cache_gc(c, &o, &r, &err);
  ck_assert_msg(ret == 0, "%s", err ? err->msg : "");
  ck_assert_mem_eq(&dry, &r, sizeof(r));

  _cleanup_free_ char *ba = blob(dir, SHA_A), *bb = blob(dir, SHA_B), *bd = blob(dir, SHA_D),
                      *be = blob(dir, SHA_E);
  ck_assert(exists(ba) && exists(bb));           /* the template needs them */
  ck_assert(!exists(bc));                        /* nothing does */
  ck_assert(exists(bd));                         /* recent index data */
  ck_assert(has(dir, "solv/" SHA_D ".solv") && has(dir, "solv/" SHA_D ".meta"));
  ck_assert(!exists(be));                        /* index data of last month */
  ck_assert(!has(dir, "solv/" SHA_E ".solv") && !has(dir, "solv/" SHA_E ".meta"));
  ck_assert(!has(dir, "blobs/sha256/aa/" SHA_A ".part"));
  ck_assert(has(dir, "releases/x_InRelease"));
  ck_assert(has(dir, "templates/t.json") && has(dir, "templates/t.tar.zst"));
  ck_assert(has(dir, live));                     /* a running build's */
  ck_assert_uint_eq(r.kept.files, 2);
  ck_assert_uint_eq(r.freed.unreferenced.files, 1);
  ck_assert_uint_eq(r.freed.indices.files, 1);
  ck_assert_uint_eq(r.freed.parsed.files, 2);
  ck_assert_uint_eq(r.freed.partial.files, 1);
  ck_assert_uint_eq(r.freed.tmp.files, 1);
  ck_assert_uint_eq(r.freed.referenced.files, 0);
  ck_assert_uint_eq(u.tmp.files, 1);

  /* --keep 0: index data goes too; referenced blobs still stay. */
  o.keep_days = 0;
  ck_assert_int_eq(vzt_cache_gc(c, &o, &r, NULL), 0);
  ck_assert(!exists(bd) && !has(dir, "solv/" SHA_D ".meta"));
  ck_assert(exists(ba) && exists(bb));
  vzt_cache_close(c);
}
END_TEST

START_TEST(test_gc_nothing_referenced)
{
  _cleanup_free_ char *dir = NULL;
  struct vzt_cache *c = make_cache(&dir);
  struct vzt_gc_opts o = {.referenced = NULL, .keep_days = 14};
  struct vzt_gc_result r;
  ck_assert_int_eq(vzt_cache_gc(c, &o, &r, NULL), 0);
  _cleanup_free_ char *ba = blob(dir, SHA_A);
  ck_assert(!exists(ba));
  ck_assert_uint_eq(r.freed.unreferenced.files, 3);
  vzt_cache_close(c);
}
END_TEST

START_TEST(test_clean)
{
  _cleanup_free_ char *dir = NULL;
  struct vzt_cache *c = make_cache(&dir);
  struct vzt_gc_result r;
  ck_assert_int_eq(vzt_cache_clean(c, false, false, &r, NULL), 0);
  struct vzt_cache_usage u;
  ck_assert_int_eq(vzt_cache_usage(c, NULL, &u, NULL), 0);
  struct vzt_cache_area total = vzt_cache_usage_total(&u);
  ck_assert_uint_eq(total.files, 2); /* the template and its manifest */
  ck_assert(has(dir, "templates/t.json"));
  ck_assert(has(dir, "blobs/sha256") && has(dir, "solv") && has(dir, "tmp"));
  ck_assert(!has(dir, "releases/x_InRelease"));
  ck_assert_uint_eq(r.freed.tmp.files, 1);
  ck_assert_int_eq(vzt_cache_clean(c, true, false, &r, NULL), 0);
  ck_assert_uint_eq(r.freed.templates.files, 2);
  ck_assert(!has(dir, "templates/t.json"));
  ck_assert(has(dir, "templates"));
  vzt_cache_close(c);
}
END_TEST

static Suite *lifecycle_suite(void)
{
  Suite *s = suite_create("lifecycle");
  TCase *tc = tcase_create("lifecycle");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_vercmp);
  tcase_add_test(tc, test_diff_packages);
  tcase_add_test(tc, test_diff_arch_change_pairs);
  tcase_add_test(tc, test_verify_ok);
  tcase_add_test(tc, test_sums_parse);
  tcase_add_test(tc, test_publish_formats);
  tcase_add_test(tc, test_verify_tampered);
  tcase_add_test(tc, test_verify_package_mismatches);
  tcase_add_test(tc, test_verify_missing);
  tcase_add_test(tc, test_diff_archives);
  tcase_add_test(tc, test_gc);
  tcase_add_test(tc, test_gc_nothing_referenced);
  tcase_add_test(tc, test_clean);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  vzt_log_setup(VZT_LOG_ERROR, false);
  return vzt_unit_run(lifecycle_suite());
}
