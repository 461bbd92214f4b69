/* Unit tests for tmpl/pack.c: reproducible tar.zst templates, read back with libarchive. */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/error.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"
#include "tmpl/pack.h"

#define EPOCH ((time_t) 1700000000)
#define OLD ((time_t) 1000000000)
#define BIG_CHUNKS 384 /* of 64 KiB: 24 MiB */

static char tmpdir[] = "/tmp/vzt-test-pack-XXXXXX";
static char root[64];
static bool have_cap;
/* A vfs_cap_data, revision 2, effective, permitted = cap_net_raw. */
static const unsigned char cap_blob[20] = {0x01, 0x00, 0x00, 0x02, 0x00, 0x20};

static void write_at(const char *rel, const char *data, time_t mtime)
{
  _cleanup_free_ char *p = vzt_path_join(root, rel);
  FILE *f = fopen(p, "we");
  ck_assert_ptr_nonnull(f);
  fputs(data, f);
  ck_assert_int_eq(fclose(f), 0);
  struct timespec ts[2] = {{mtime, 0}, {mtime, 123456789}};
  ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static void mkdir_at(const char *rel)
{
  _cleanup_free_ char *p = vzt_path_join(root, rel);
  ck_assert_int_eq(mkdir(p, 0755), 0);
}

static void make_tree(void)
{
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
  snprintf(root, sizeof(root), "%s/root", tmpdir);
  ck_assert_int_eq(mkdir(root, 0755), 0);
  mkdir_at("usr");
  mkdir_at("usr/bin");
  mkdir_at("a");
  mkdir_at("a-b"); /* sorts between "a" and "a/..." bytewise */
  mkdir_at("a/deep");
  write_at("usr/bin/tool", "#!/bin/sh\necho tool\n", OLD);
  write_at("a/future", "from the future\n", EPOCH + 86400 * 365);
  write_at("a/deep/empty", "", OLD);
  write_at("a-b/orig", "linked data\n", OLD);
  /* Larger than several zstd jobs: only then would a worker count change
   * the output, and than one read chunk. */
  {
    _cleanup_free_ char *p = vzt_path_join(root, "usr/bin/big");
    _cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
    ck_assert_int_ge(fd, 0);
    static char chunk[65536];
    for (int i = 0; i < BIG_CHUNKS; i++) {
      for (size_t j = 0; j < sizeof(chunk); j++)
        chunk[j] = (char) ((j * 31 + (size_t) i * 7) % 251);
      ck_assert_int_eq(vzt_write_all(fd, chunk, sizeof(chunk)), 0);
    }
  }
  _cleanup_free_ char *orig = vzt_path_join(root, "a-b/orig");
  _cleanup_free_ char *hard = vzt_path_join(root, "usr/hard");
  ck_assert_int_eq(link(orig, hard), 0);
  _cleanup_free_ char *lnk = vzt_path_join(root, "usr/bin/sh");
  ck_assert_int_eq(symlink("tool", lnk), 0);
  _cleanup_free_ char *fifo = vzt_path_join(root, "a/fifo");
  ck_assert_int_eq(mkfifo(fifo, 0600), 0);

  /* A socket must be left out. */
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/a/sock", root);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ck_assert_int_ge(s, 0);
  ck_assert_int_eq(bind(s, (struct sockaddr *) &sa, sizeof(sa)), 0);
  close(s);

  /* Setting security.* needs root; without it that part is not checked. */
  _cleanup_free_ char *tool = vzt_path_join(root, "usr/bin/tool");
  have_cap = lsetxattr(tool, "security.capability", cap_blob, sizeof(cap_blob), 0) == 0;

  /* Directory mtimes are in the future too: they must all become EPOCH. */
  struct timespec ts[2] = {{EPOCH + 5, 0}, {EPOCH + 5, 0}};
  ck_assert_int_eq(utimensat(AT_FDCWD, root, ts, 0), 0);
}

static void remove_tree(void)
{
  struct vzt_error *err = NULL;
  vzt_rm_rf(tmpdir, &err);
  vzt_error_free(&err);
}

static int pack(const char *dir, time_t epoch, int threads, struct vzt_pack_result *res)
{
  struct vzt_error *err = NULL;
  int fd = memfd_create("pack", MFD_CLOEXEC);
  ck_assert_int_ge(fd, 0);
  int r = vzt_pack_tree(dir, fd, epoch, 3, threads, res, &err);
  if (r < 0) {
    _cleanup_free_ char *m = vzt_error_text(err);
    vzt_error_free(&err);
    ck_abort_msg("pack failed: %s", m);
  }
  return fd;
}

static unsigned char *slurp(int fd, size_t *len)
{
  struct stat st;
  ck_assert_int_eq(fstat(fd, &st), 0);
  unsigned char *b = malloc((size_t) st.st_size + 1);
  ck_assert_ptr_nonnull(b);
  ck_assert_int_eq(pread(fd, b, (size_t) st.st_size, 0), st.st_size);
  *len = (size_t) st.st_size;
  return b;
}

START_TEST(test_reproducible_any_threads)
{
  struct vzt_pack_result r1, r2, r3;
  _cleanup_close_ int f1 = pack(root, EPOCH, 1, &r1);
  _cleanup_close_ int f2 = pack(root, EPOCH, 2, &r2);
  _cleanup_close_ int f3 = pack(root, EPOCH, 3, &r3);
  size_t l1, l2, l3;
  _cleanup_free_ unsigned char *b1 = slurp(f1, &l1);
  _cleanup_free_ unsigned char *b2 = slurp(f2, &l2);
  _cleanup_free_ unsigned char *b3 = slurp(f3, &l3);
  ck_assert_uint_eq(l1, l2);
  ck_assert_uint_eq(l1, l3);
  ck_assert(memcmp(b1, b2, l1) == 0);
  ck_assert(memcmp(b1, b3, l1) == 0);
  ck_assert_str_eq(r1.sha256, r2.sha256);
  ck_assert_str_eq(r1.sha256, r3.sha256);

  /* The result describes the bytes written. */
  ck_assert_uint_eq(r1.size, l1);
  char hex[VZT_DIGEST_HEX_MAX];
  struct vzt_digest *d = vzt_digest_new(VZT_DIGEST_SHA256);
  vzt_digest_update(d, b1, l1);
  vzt_digest_finish(d, hex);
  ck_assert_str_eq(hex, r1.sha256);

  /* A zstd frame with a content checksum. */
  ck_assert_uint_ge(l1, 5);
  ck_assert(b1[0] == 0x28 && b1[1] == 0xb5 && b1[2] == 0x2f && b1[3] == 0xfd);
  ck_assert(b1[4] & 0x04);

  /* The epoch is in the bytes: another one gives another archive. */
  struct vzt_pack_result r4;
  _cleanup_close_ __attribute__((unused)) int f4 = pack(root, EPOCH + 1, 2, &r4);
  ck_assert_str_ne(r1.sha256, r4.sha256);
}
END_TEST

START_TEST(test_read_back)
{
  struct vzt_pack_result res;
  _cleanup_close_ int fd = pack(root, EPOCH, 2, &res);
  ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);

  struct archive *a = archive_read_new();
  archive_read_support_filter_zstd(a);
  archive_read_support_format_tar(a);
  ck_assert_int_eq(archive_read_open_fd(a, fd, 65536), ARCHIVE_OK);

  struct archive_entry *e;
  char prev[4096] = "";
  uint64_t n = 0, data = 0;
  bool seen_hard = false, seen_link = false, seen_fifo = false, seen_future = false, seen_old = false,
       seen_cap = false;
  int r;
  while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
    const char *path = archive_entry_pathname(e);
    if (n == 0)
      ck_assert_str_eq(path, "./");
    else
      ck_assert_msg(vzt_startswith(path, "./"), "%s lacks ./", path);

    /* Sorted bytewise by path (a directory's trailing slash aside). */
    char cur[4096];
    snprintf(cur, sizeof(cur), "%s", path);
    size_t cl = strlen(cur);
    if (cl > 2 && cur[cl - 1] == '/')
      cur[cl - 1] = '\0';
    if (n > 0)
      ck_assert_msg(strcmp(prev, cur) < 0, "%s comes after %s", cur, prev);
    memcpy(prev, cur, sizeof(prev));

    /* Numeric owners only, no other times than mtime. */
    const char *un = archive_entry_uname(e), *gn = archive_entry_gname(e);
    ck_assert_msg(!un || !*un, "%s: uname %s", path, un);
    ck_assert_msg(!gn || !*gn, "%s: gname %s", path, gn);
    ck_assert_int_eq(archive_entry_uid(e), getuid());
    ck_assert_int_eq(archive_entry_gid(e), getgid());
    ck_assert(!archive_entry_atime_is_set(e));
    ck_assert(!archive_entry_ctime_is_set(e));
    ck_assert(!archive_entry_birthtime_is_set(e));
    ck_assert_int_eq(archive_entry_mtime_nsec(e), 0);
    ck_assert_msg(archive_entry_mtime(e) <= EPOCH, "%s: mtime after the epoch", path);
    if (archive_entry_filetype(e) == AE_IFDIR)
      ck_assert_int_eq(archive_entry_mtime(e), EPOCH);
    ck_assert_msg(strcmp(path, "./a/sock") != 0, "a socket was packed");

    if (strcmp(path, "./a/future") == 0) {
      seen_future = true;
      ck_assert_int_eq(archive_entry_mtime(e), EPOCH);
    } else if (strcmp(path, "./usr/bin/tool") == 0) {
      seen_old = true;
      ck_assert_int_eq(archive_entry_mtime(e), OLD);
      ck_assert_int_eq(archive_entry_mode(e), AE_IFREG | 0644);
      const char *name;
      const void *val;
      size_t len;
      archive_entry_xattr_reset(e);
      while (archive_entry_xattr_next(e, &name, &val, &len) == ARCHIVE_OK)
        if (strcmp(name, "security.capability") == 0 && len == sizeof(cap_blob) &&
            memcmp(val, cap_blob, len) == 0)
          seen_cap = true;
    } else if (strcmp(path, "./usr/hard") == 0) {
      /* "./a-b/orig" sorts first, so it holds the data. */
      seen_hard = true;
      ck_assert_ptr_nonnull(archive_entry_hardlink(e));
      ck_assert_str_eq(archive_entry_hardlink(e), "./a-b/orig");
    } else if (strcmp(path, "./a-b/orig") == 0) {
      ck_assert_ptr_null(archive_entry_hardlink(e));
      ck_assert_int_eq(archive_entry_size(e), 12);
    } else if (strcmp(path, "./usr/bin/sh") == 0) {
      seen_link = true;
      ck_assert_int_eq(archive_entry_filetype(e), AE_IFLNK);
      ck_assert_str_eq(archive_entry_symlink(e), "tool");
    } else if (strcmp(path, "./a/fifo") == 0) {
      seen_fifo = true;
      ck_assert_int_eq(archive_entry_filetype(e), AE_IFIFO);
    } else if (strcmp(path, "./usr/bin/big") == 0) {
      /* The data comes back whole. */
      static char buf[65536];
      uint64_t total = 0;
      la_ssize_t got;
      bool same = true;
      while ((got = archive_read_data(a, buf, sizeof(buf))) > 0) {
        for (la_ssize_t j = 0; j < got; j++) {
          uint64_t pos = total + (uint64_t) j;
          size_t i = (size_t) (pos / 65536), k = (size_t) (pos % 65536);
          if (buf[j] != (char) ((k * 31 + i * 7) % 251))
            same = false;
        }
        total += (uint64_t) got;
      }
      ck_assert_int_eq(got, 0);
      ck_assert_uint_eq(total, (uint64_t) BIG_CHUNKS * 65536);
      ck_assert(same);
    }
    if (archive_entry_filetype(e) == AE_IFREG && !archive_entry_hardlink(e))
      data += (uint64_t) archive_entry_size(e);
    n++;
  }
  ck_assert_int_eq(r, ARCHIVE_EOF);
  archive_read_free(a);

  ck_assert(seen_hard && seen_link && seen_fifo && seen_future && seen_old);
  if (have_cap)
    ck_assert_msg(seen_cap, "security.capability was not kept");
  /* ./ a a/deep a/deep/empty a/fifo a/future a-b a-b/orig usr usr/bin
   * usr/bin/big usr/bin/sh usr/bin/tool usr/hard */
  ck_assert_uint_eq(n, 14);
  ck_assert_uint_eq(res.entries, n);
  ck_assert_uint_eq(res.unpacked_size, data);
}
END_TEST

START_TEST(test_missing_root)
{
  struct vzt_error *err = NULL;
  struct vzt_pack_result res;
  _cleanup_free_ char *missing = vzt_path_join(tmpdir, "missing");
  _cleanup_close_ int fd = memfd_create("pack", MFD_CLOEXEC);
  ck_assert_int_eq(vzt_pack_tree(missing, fd, EPOCH, 3, 1, &res, &err), -1);
  ck_assert_ptr_nonnull(err);
  ck_assert_ptr_nonnull(strstr(err->msg, missing));
  ck_assert_int_eq(err->errnum, ENOENT);
  vzt_error_free(&err);
}
END_TEST

START_TEST(test_unwritable_output)
{
  struct vzt_error *err = NULL;
  struct vzt_pack_result res;
  _cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ck_assert_int_eq(vzt_pack_tree(root, fd, EPOCH, 3, 1, &res, &err), -1);
  ck_assert_ptr_nonnull(err);
  ck_assert_ptr_nonnull(strstr(err->msg, "write"));
  vzt_error_free(&err);
}
END_TEST

/* The decompressed stream of an archive in memory, read with libarchive's "raw" format. */
static unsigned char *decompress(const unsigned char *data, size_t len, size_t *out_len, int *filter)
{
  struct archive *a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_raw(a);
  ck_assert_int_eq(archive_read_open_memory(a, data, len), ARCHIVE_OK);
  struct archive_entry *e;
  ck_assert_int_eq(archive_read_next_header(a, &e), ARCHIVE_OK);
  *filter = archive_filter_code(a, 0);
  size_t cap = 1 << 20, n = 0;
  unsigned char *b = malloc(cap);
  for (;;) {
    if (n == cap) {
      cap *= 2;
      b = realloc(b, cap);
    }
    la_ssize_t r = archive_read_data(a, b + n, cap - n);
    ck_assert_int_ge(r, 0);
    if (r == 0)
      break;
    n += (size_t) r;
  }
  archive_read_free(a);
  *out_len = n;
  return b;
}

static int recompress(const char *src, enum vzt_pack_format fmt, int threads, struct vzt_pack_result *res)
{
  struct vzt_error *err = NULL;
  int fd = memfd_create("convert", MFD_CLOEXEC);
  ck_assert_int_ge(fd, 0);
  if (vzt_pack_recompress(src, fd, fmt, threads, res, &err) < 0) {
    _cleanup_free_ char *m = vzt_error_text(err);
    vzt_error_free(&err);
    ck_abort_msg("recompress failed: %s", m);
  }
  return fd;
}

START_TEST(test_format_names)
{
  enum vzt_pack_format f;
  ck_assert_int_eq(vzt_pack_format_parse("tar.gz", &f), 0);
  ck_assert_int_eq(f, VZT_PACK_GZ);
  ck_assert_int_eq(vzt_pack_format_parse("xz", &f), 0);
  ck_assert_int_eq(f, VZT_PACK_XZ);
  ck_assert_int_eq(vzt_pack_format_parse("tar.zst", &f), 0);
  ck_assert_int_eq(f, VZT_PACK_ZST);
  ck_assert_int_eq(vzt_pack_format_parse("tar.bz2", &f), 0);
  ck_assert_int_eq(f, VZT_PACK_BZ2);
  ck_assert_int_eq(vzt_pack_format_parse("tar.lz4", &f), -1);
  ck_assert_int_eq(vzt_pack_format_parse("", &f), -1);
  ck_assert(vzt_pack_format_from_path("/srv/debian-12.tar.gz", &f) && f == VZT_PACK_GZ);
  ck_assert(vzt_pack_format_from_path("rootfs.tar.xz", &f) && f == VZT_PACK_XZ);
  ck_assert(vzt_pack_format_from_path("a.tar.zst", &f) && f == VZT_PACK_ZST);
  ck_assert(vzt_pack_format_from_path("a.tar", &f) && f == VZT_PACK_TAR);
  ck_assert(vzt_pack_format_from_path("a.tar.bz2", &f) && f == VZT_PACK_BZ2);
  ck_assert(!vzt_pack_format_from_path("a.tar.lz4", &f));
  ck_assert(!vzt_pack_format_from_path("a.gz", &f));
  ck_assert_str_eq(vzt_pack_format_ext(VZT_PACK_XZ), "tar.xz");
}
END_TEST

/* tar.gz and tar.xz hold the very tar stream of the tar.zst, reproducibly. */
START_TEST(test_recompress)
{
  struct vzt_pack_result zr;
  _cleanup_close_ int zfd = pack(root, EPOCH, 2, &zr);
  _cleanup_free_ char *src = vzt_path_join(tmpdir, "t.tar.zst");
  size_t zlen;
  _cleanup_free_ unsigned char *zbytes = slurp(zfd, &zlen);
  {
    _cleanup_close_ int f = open(src, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ck_assert_int_ge(f, 0);
    ck_assert_int_eq(vzt_write_all(f, zbytes, zlen), 0);
  }
  int filter;
  size_t tlen;
  _cleanup_free_ unsigned char *tar = decompress(zbytes, zlen, &tlen, &filter);
  ck_assert_int_eq(filter, ARCHIVE_FILTER_ZSTD);
  ck_assert_uint_gt(tlen, (size_t) BIG_CHUNKS * 65536);

  /* gzip: the same tar, no mtime in the header, no name, same bytes twice. */
  struct vzt_pack_result g1, g2;
  _cleanup_close_ int gf1 = recompress(src, VZT_PACK_GZ, 1, &g1);
  sleep(1); /* a header mtime would differ now */
  _cleanup_close_ int gf2 = recompress(src, VZT_PACK_GZ, 2, &g2);
  size_t gl1, gl2, gtl;
  _cleanup_free_ unsigned char *gb1 = slurp(gf1, &gl1);
  _cleanup_free_ unsigned char *gb2 = slurp(gf2, &gl2);
  ck_assert(gb1[0] == 0x1f && gb1[1] == 0x8b);
  ck_assert_msg(gb1[4] == 0 && gb1[5] == 0 && gb1[6] == 0 && gb1[7] == 0, "gzip header has an mtime");
  ck_assert_msg((gb1[3] & 0x08) == 0, "gzip header has a file name");
  ck_assert_uint_eq(gl1, gl2);
  ck_assert(memcmp(gb1, gb2, gl1) == 0);
  ck_assert_str_eq(g1.sha256, g2.sha256);
  ck_assert_uint_eq(g1.size, gl1);
  ck_assert_uint_eq(g1.unpacked_size, tlen);
  _cleanup_free_ unsigned char *gtar = decompress(gb1, gl1, &gtl, &filter);
  ck_assert_int_eq(filter, ARCHIVE_FILTER_GZIP);
  ck_assert_uint_eq(gtl, tlen);
  ck_assert(memcmp(gtar, tar, tlen) == 0);

  /* xz: the same for 2 and 3 threads, the same tar inside. */
  struct vzt_pack_result x1, x2;
  _cleanup_close_ int xf1 = recompress(src, VZT_PACK_XZ, 2, &x1);
  _cleanup_close_ int xf2 = recompress(src, VZT_PACK_XZ, 3, &x2);
  size_t xl1, xl2, xtl;
  _cleanup_free_ unsigned char *xb1 = slurp(xf1, &xl1);
  _cleanup_free_ unsigned char *xb2 = slurp(xf2, &xl2);
  ck_assert(xb1[0] == 0xfd && xb1[1] == '7' && xb1[2] == 'z' && xb1[3] == 'X' && xb1[4] == 'Z');
  ck_assert_uint_eq(xl1, xl2);
  ck_assert(memcmp(xb1, xb2, xl1) == 0);
  ck_assert_str_eq(x1.sha256, x2.sha256);
  _cleanup_free_ unsigned char *xtar = decompress(xb1, xl1, &xtl, &filter);
  ck_assert_int_eq(filter, ARCHIVE_FILTER_XZ);
  ck_assert_uint_eq(xtl, tlen);
  ck_assert(memcmp(xtar, tar, tlen) == 0);

  /* Back to zstd from the xz: a zstd stream with the same tar inside. */
  _cleanup_free_ char *xsrc = vzt_path_join(tmpdir, "t.tar.xz");
  struct vzt_error *err = NULL;
  struct vzt_pack_result xe;
  ck_assert_int_eq(vzt_pack_export(src, xsrc, VZT_PACK_XZ, 2, &xe, &err), 0);
  ck_assert_str_eq(xe.sha256, x1.sha256);
  struct vzt_pack_result z2;
  _cleanup_close_ int zf2 = recompress(xsrc, VZT_PACK_ZST, 1, &z2);
  size_t z2l, z2tl;
  _cleanup_free_ unsigned char *z2b = slurp(zf2, &z2l);
  _cleanup_free_ unsigned char *z2tar = decompress(z2b, z2l, &z2tl, &filter);
  ck_assert_int_eq(filter, ARCHIVE_FILTER_ZSTD);
  ck_assert_uint_eq(z2tl, tlen);
  ck_assert(memcmp(z2tar, tar, tlen) == 0);

  /* zstd to zstd: the template itself. */
  struct vzt_pack_result zc;
  _cleanup_close_ __attribute__((unused)) int zcf = recompress(src, VZT_PACK_ZST, 1, &zc);
  ck_assert_str_eq(zc.sha256, zr.sha256);
}
END_TEST

START_TEST(test_recompress_refuses_junk)
{
  struct vzt_error *err = NULL;
  _cleanup_free_ char *junk = vzt_path_join(tmpdir, "junk.tar.zst");
  FILE *f = fopen(junk, "we");
  ck_assert_ptr_nonnull(f);
  fputs("this is not an archive\n", f);
  fclose(f);
  _cleanup_free_ char *dest = vzt_path_join(tmpdir, "junk.tar.gz");
  struct vzt_pack_result res;
  ck_assert_int_eq(vzt_pack_export(junk, dest, VZT_PACK_GZ, 1, &res, &err), -1);
  ck_assert_ptr_nonnull(err);
  ck_assert_ptr_nonnull(strstr(err->msg, "junk.tar.zst"));
  vzt_error_free(&err);
  ck_assert_int_eq(access(dest, F_OK), -1);
  /* No temporary left beside it either, whatever its name. */
  DIR *d = opendir(tmpdir);
  ck_assert_ptr_nonnull(d);
  for (struct dirent *de; (de = readdir(d));)
    ck_assert_msg(strncmp(de->d_name, "junk.tar.gz", 11) != 0, "left behind: %s", de->d_name);
  closedir(d);
}
END_TEST

static Suite *pack_suite(void)
{
  Suite *s = suite_create("pack");
  TCase *tc = tcase_create("pack");
  tcase_add_unchecked_fixture(tc, make_tree, remove_tree);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_reproducible_any_threads);
  tcase_add_test(tc, test_read_back);
  tcase_add_test(tc, test_missing_root);
  tcase_add_test(tc, test_unwritable_output);
  tcase_add_test(tc, test_format_names);
  tcase_add_test(tc, test_recompress);
  tcase_add_test(tc, test_recompress_refuses_junk);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  umask(022);
  SRunner *sr = srunner_create(pack_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
