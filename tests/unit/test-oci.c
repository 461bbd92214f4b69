/* Unit tests for tmpl/export/oci*.c: the fields podman's and Proxmox VE's parsers read, and the layer. */
#include "config.h"
#include "tmpl/export/oci-internal.h"
#include "tmpl/archive-io.h"
#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"
#include "unit.h"

#include <check.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

/* A digest of one repeated hex digit. */
#define D64(c) "sha256:" D16(c) D16(c) D16(c) D16(c)
#define D16(c) c c c c c c c c c c c c c c c c

static char *testdir;
static int dirfd_ = -1;

static void setup(void)
{
  char tmpl[] = "/tmp/vzt-test-oci.XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(tmpl));
  testdir = vzt_strdup(tmpl);
  dirfd_ = open(testdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ck_assert_int_ge(dirfd_, 0);
  ck_assert_int_eq(vzt_oci_layout_init(dirfd_, NULL), 0);
}

static void teardown(void)
{
  close(dirfd_);
  vzt_rm_rf(testdir, NULL);
  free(testdir);
}

static struct vzt_manifest manifest(const char *arch)
{
  static char name[64];
  snprintf(name, sizeof(name), "debian-12-%s-minbase", arch);
  return (struct vzt_manifest){.name = name, .distribution = "debian", .release = "12", .codename = "bookworm",
                               .variant = "minbase", .architecture = (char *) arch,
                               .source_date_epoch = 1700000000};
}

static struct vzt_oci_image image(const struct vzt_manifest *m, bool gzip)
{
  struct vzt_oci_image img = {.m = m, .gzip = gzip};
  ck_assert_int_eq(vzt_oci_platform_of(m->architecture, &img.platform), 0);
  strcpy(img.diff_id, D64("d"));
  strcpy(img.layer.digest, D64("1"));
  img.layer.size = 1000;
  strcpy(img.vztmpl.digest, D64("2"));
  strcpy(img.config.digest, D64("3"));
  img.config.size = 300;
  strcpy(img.manifest.digest, D64("4"));
  img.manifest.size = 700;
  return img;
}

static json_object *parse(const char *s)
{
  json_object *o = json_tokener_parse(s);
  ck_assert_msg(o != NULL, "not JSON: %s", s);
  /* Canonical: no spaces outside strings and "/" as it is. */
  ck_assert_ptr_null(strstr(s, "\\/"));
  ck_assert_ptr_null(strstr(s, "\": "));
  ck_assert_ptr_null(strstr(s, ", \""));
  return o;
}

/* The string at a dotted path of o ("rootfs.diff_ids.0"), or NULL. */
static const char *at(json_object *o, const char *path)
{
  _cleanup_free_ char *p = vzt_strdup(path);
  char *save = NULL;
  for (char *k = strtok_r(p, ".", &save); k && o; k = strtok_r(NULL, ".", &save)) {
    if (json_object_is_type(o, json_type_array))
      o = json_object_array_get_idx(o, (size_t) atoi(k));
    else if (!json_object_object_get_ex(o, k, &o))
      return NULL;
  }
  return o ? json_object_get_string(o) : NULL;
}

START_TEST(test_platforms)
{
  static const char *const map[][3] = {
      {"x86_64", "amd64", NULL},     {"aarch64", "arm64", NULL}, {"armv7l", "arm", "v7"}, {"i686", "386", NULL},
      {"ppc64le", "ppc64le", NULL}, {"s390x", "s390x", NULL},   {"riscv64", "riscv64", NULL},
  };
  for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
    struct vzt_oci_platform p;
    ck_assert_int_eq(vzt_oci_platform_of(map[i][0], &p), 0);
    ck_assert_str_eq(p.architecture, map[i][1]);
    if (map[i][2])
      ck_assert_str_eq(p.variant, map[i][2]);
    else
      ck_assert_ptr_null(p.variant);
  }
  struct vzt_oci_platform p;
  ck_assert_int_eq(vzt_oci_platform_of("sparc64", &p), -1);
  ck_assert_int_eq(vzt_oci_platform_of(NULL, &p), -1);
}
END_TEST

START_TEST(test_config)
{
  struct vzt_manifest m = manifest("armv7l");
  struct vzt_oci_image img = image(&m, false);
  _cleanup_free_ char *s = vzt_oci_config_json(&img);
  json_object *o = parse(s);
  ck_assert_str_eq(at(o, "architecture"), "arm");
  ck_assert_str_eq(at(o, "variant"), "v7");
  ck_assert_str_eq(at(o, "os"), "linux");
  ck_assert_str_eq(at(o, "rootfs.type"), "layers");
  ck_assert_str_eq(at(o, "rootfs.diff_ids.0"), D64("d"));
  ck_assert_str_eq(at(o, "config.Entrypoint.0"), "/sbin/init");
  ck_assert_str_eq(at(o, "created"), "2023-11-14T22:13:20Z");
  /* Keys in sorted order, so that the bytes never depend on the code's order. */
  ck_assert_ptr_nonnull(strstr(s, "{\"architecture\":\"arm\",\"config\":"));
  ck_assert_ptr_nonnull(strstr(s, "\"rootfs\":{\"diff_ids\":[\"sha256:"));
  json_object_put(o);
}
END_TEST

START_TEST(test_manifest)
{
  struct vzt_manifest m = manifest("x86_64");
  for (int gz = 0; gz < 2; gz++) {
    struct vzt_oci_image img = image(&m, gz);
    _cleanup_free_ char *s = vzt_oci_manifest_json(&img);
    json_object *o = parse(s);
    ck_assert_str_eq(at(o, "schemaVersion"), "2");
    ck_assert_str_eq(at(o, "mediaType"), "application/vnd.oci.image.manifest.v1+json");
    ck_assert_str_eq(at(o, "config.mediaType"), "application/vnd.oci.image.config.v1+json");
    ck_assert_str_eq(at(o, "config.digest"), D64("3"));
    ck_assert_str_eq(at(o, "config.size"), "300");
    ck_assert_str_eq(at(o, "layers.0.mediaType"), gz ? "application/vnd.oci.image.layer.v1.tar+gzip"
                                                     : "application/vnd.oci.image.layer.v1.tar+zstd");
    ck_assert_str_eq(at(o, "layers.0.digest"), D64("1"));
    ck_assert_ptr_null(at(o, "layers.1"));
    json_object *an;
    ck_assert(json_object_object_get_ex(o, "annotations", &an));
    json_object *v;
    ck_assert(json_object_object_get_ex(an, "org.vztmpl.manifest.digest", &v));
    ck_assert_str_eq(json_object_get_string(v), D64("2"));
    ck_assert(json_object_object_get_ex(an, "org.opencontainers.image.created", &v));
    ck_assert_str_eq(json_object_get_string(v), "2023-11-14T22:13:20Z");
    ck_assert(json_object_object_get_ex(an, "org.opencontainers.image.title", &v));
    ck_assert_str_eq(json_object_get_string(v), "debian-12-x86_64-minbase");
    ck_assert(json_object_object_get_ex(an, "org.opencontainers.image.version", &v));
    ck_assert_str_eq(json_object_get_string(v), "12");
    ck_assert(json_object_object_get_ex(an, "org.opencontainers.image.description", &v));
    ck_assert_ptr_nonnull(strstr(json_object_get_string(v), "debian 12 (bookworm) minbase"));
    json_object_put(o);
  }
}
END_TEST

START_TEST(test_index_one)
{
  struct vzt_manifest m = manifest("x86_64");
  struct vzt_oci_image img = image(&m, false);
  _cleanup_free_ char *s = vzt_oci_index_json(&img, 1, "12", NULL);
  json_object *o = parse(s);
  ck_assert_str_eq(at(o, "schemaVersion"), "2");
  ck_assert_str_eq(at(o, "mediaType"), "application/vnd.oci.image.index.v1+json");
  ck_assert_str_eq(at(o, "manifests.0.mediaType"), "application/vnd.oci.image.manifest.v1+json");
  ck_assert_str_eq(at(o, "manifests.0.digest"), D64("4"));
  ck_assert_str_eq(at(o, "manifests.0.size"), "700");
  ck_assert_str_eq(at(o, "manifests.0.platform.architecture"), "amd64");
  ck_assert_str_eq(at(o, "manifests.0.platform.os"), "linux");
  json_object *d = json_object_array_get_idx(json_object_object_get(o, "manifests"), 0);
  json_object *an = json_object_object_get(d, "annotations");
  ck_assert_str_eq(json_object_get_string(json_object_object_get(an, "org.opencontainers.image.ref.name")), "12");
  ck_assert_ptr_null(at(o, "manifests.1"));
  json_object_put(o);
}
END_TEST

START_TEST(test_index_platforms)
{
  struct vzt_manifest m1 = manifest("x86_64"), m2 = manifest("aarch64");
  struct vzt_oci_image imgs[2] = {image(&m1, false), image(&m2, false)};
  strcpy(imgs[1].manifest.digest, D64("5"));
  _cleanup_free_ char *p = vzt_oci_platforms_json(imgs, 2);
  json_object *o = parse(p);
  ck_assert_str_eq(at(o, "mediaType"), "application/vnd.oci.image.index.v1+json");
  ck_assert_str_eq(at(o, "manifests.0.platform.architecture"), "amd64");
  ck_assert_str_eq(at(o, "manifests.1.platform.architecture"), "arm64");
  ck_assert_str_eq(at(o, "manifests.1.platform.os"), "linux");
  ck_assert_str_eq(at(o, "manifests.1.digest"), D64("5"));
  json_object_put(o);

  struct vzt_oci_blob nested = {.digest = D64("6"), .size = 400};
  _cleanup_free_ char *s = vzt_oci_index_json(imgs, 2, "12", &nested);
  o = parse(s);
  json_object *ms = json_object_object_get(o, "manifests");
  ck_assert_int_eq((int) json_object_array_length(ms), 3);
  static const char *const refs[] = {"12-amd64", "12-arm64", "12"};
  for (size_t i = 0; i < 3; i++) {
    json_object *an = json_object_object_get(json_object_array_get_idx(ms, i), "annotations");
    ck_assert_str_eq(json_object_get_string(json_object_object_get(an, "org.opencontainers.image.ref.name")), refs[i]);
  }
  ck_assert_str_eq(at(o, "manifests.1.platform.architecture"), "arm64");
  ck_assert_str_eq(at(o, "manifests.2.mediaType"), "application/vnd.oci.image.index.v1+json");
  ck_assert_str_eq(at(o, "manifests.2.digest"), D64("6"));
  ck_assert_ptr_nonnull(strstr(s, "{\"annotations\":{\"org.opencontainers.image.ref.name\":\"12\"},\"digest\":"));
  json_object_put(o);
}
END_TEST

START_TEST(test_same_recipe)
{
  struct vzt_manifest a = manifest("x86_64"), b = manifest("aarch64");
  ck_assert(vzt_oci_same_recipe(&a, &b));
  b.release = "13";
  ck_assert(!vzt_oci_same_recipe(&a, &b));
  b = manifest("aarch64");
  b.variant = NULL;
  ck_assert(!vzt_oci_same_recipe(&a, &b));
  b = manifest("aarch64");
  b.distribution = "ubuntu";
  ck_assert(!vzt_oci_same_recipe(&a, &b));
}
END_TEST

/* A plain tar of the given entry names (directories when they end in "/", else files "x\n") at testdir/name;
 * its bytes are returned in *plain. */
static void write_tar(const char *name, const char *const *entries, char **plain, size_t *plain_len)
{
  _cleanup_free_ char *path = vzt_path_join(testdir, name);
  _cleanup_archive_write_ struct archive *w = archive_write_new();
  archive_write_set_format_pax_restricted(w);
  archive_write_add_filter_none(w);
  ck_assert_int_eq(archive_write_open_filename(w, path), ARCHIVE_OK);
  for (size_t i = 0; entries[i]; i++) {
    _cleanup_archive_entry_ struct archive_entry *e = archive_entry_new();
    bool dir = vzt_endswith(entries[i], "/");
    archive_entry_set_pathname(e, entries[i]);
    archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e, dir ? 0755 : 0644);
    archive_entry_set_size(e, dir ? 0 : 2);
    ck_assert_int_eq(archive_write_header(w, e), ARCHIVE_OK);
    if (!dir)
      ck_assert_int_eq(archive_write_data(w, "x\n", 2), 2);
  }
  ck_assert_int_eq(archive_write_close(w), ARCHIVE_OK);
  ck_assert_int_eq(vzt_read_file(path, plain, plain_len, NULL), 0);
}

/* The zstd template archive made of a plain tar, and its sha256. */
static char *write_zst(const char *name, const char *plain, size_t len, char sha[VZT_DIGEST_HEX_MAX])
{
  size_t cap = ZSTD_compressBound(len);
  _cleanup_free_ char *z = malloc(cap);
  size_t zl = ZSTD_compress(z, cap, plain, len, 3);
  ck_assert(!ZSTD_isError(zl));
  char *path = vzt_path_join(testdir, name);
  ck_assert_int_eq(vzt_write_file_atomic(AT_FDCWD, path, z, zl, 0644, NULL), 0);
  struct vzt_digest *d = vzt_digest_new(VZT_DIGEST_SHA256);
  vzt_digest_update(d, z, zl);
  vzt_digest_finish(d, sha);
  return path;
}

static void sha256_of(const void *data, size_t len, char out[VZT_OCI_DIGEST_MAX])
{
  char hex[VZT_DIGEST_HEX_MAX];
  struct vzt_digest *d = vzt_digest_new(VZT_DIGEST_SHA256);
  vzt_digest_update(d, data, len);
  vzt_digest_finish(d, hex);
  snprintf(out, VZT_OCI_DIGEST_MAX, "sha256:%.64s", hex);
}

START_TEST(test_layer_zstd_and_gzip)
{
  static const char *const names[] = {"./", "./etc/", "./etc/hostname", NULL};
  _cleanup_free_ char *plain = NULL;
  size_t plain_len;
  write_tar("plain.tar", names, &plain, &plain_len);
  char sha[VZT_DIGEST_HEX_MAX], diff[VZT_OCI_DIGEST_MAX];
  _cleanup_free_ char *zst = write_zst("t.tar.zst", plain, plain_len, sha);
  sha256_of(plain, plain_len, diff);
  struct vzt_manifest m = manifest("x86_64");

  /* zstd: the archive's bytes are the layer, its digest the archive's sha256. */
  struct vzt_oci_image img = {.m = &m};
  ck_assert_int_eq(vzt_oci_put_layer(dirfd_, zst, sha, &img, NULL), 0);
  ck_assert_str_eq(img.layer.digest + 7, sha);
  ck_assert_str_eq(img.diff_id, diff);
  _cleanup_error_ struct vzt_error *err = NULL;
  ck_assert_msg(vzt_oci_check_layer(testdir, &img.layer, zst, &err) == 0, "%s", err ? err->msg : "");

  /* gzip: another blob, the same diff_id, gzip bytes that give the plain tar back, twice the same. */
  struct vzt_oci_image g1 = {.m = &m, .gzip = true}, g2 = {.m = &m, .gzip = true};
  ck_assert_int_eq(vzt_oci_put_layer(dirfd_, zst, sha, &g1, NULL), 0);
  ck_assert_int_eq(vzt_oci_put_layer(dirfd_, zst, sha, &g2, NULL), 0);
  ck_assert_str_eq(g1.diff_id, diff);
  ck_assert_str_eq(g1.layer.digest, g2.layer.digest);
  ck_assert_str_ne(g1.layer.digest, img.layer.digest);
  _cleanup_free_ char *gpath = vzt_strdupf("%s/blobs/sha256/%s", testdir, g1.layer.digest + 7);
  _cleanup_archive_read_ struct archive *r = archive_read_new();
  archive_read_support_filter_gzip(r);
  archive_read_support_format_raw(r);
  ck_assert_int_eq(archive_read_open_filename(r, gpath, 4096), ARCHIVE_OK);
  struct archive_entry *e;
  ck_assert_int_eq(archive_read_next_header(r, &e), ARCHIVE_OK);
  ck_assert_int_eq(archive_filter_code(r, 0), ARCHIVE_FILTER_GZIP);
  _cleanup_free_ char *back = malloc(plain_len + 1);
  size_t got = 0;
  la_ssize_t n;
  while ((n = archive_read_data(r, back + got, plain_len + 1 - got)) > 0)
    got += (size_t) n;
  ck_assert_uint_eq(got, plain_len);
  ck_assert(memcmp(back, plain, plain_len) == 0);
  /* No timestamp in the gzip header (bytes 4-7), so the blob is reproducible. */
  _cleanup_free_ char *gz = NULL;
  size_t gzl;
  ck_assert_int_eq(vzt_read_file(gpath, &gz, &gzl, NULL), 0);
  ck_assert_int_eq(gz[4] | gz[5] | gz[6] | gz[7], 0);
}
END_TEST

START_TEST(test_layer_changed_refused)
{
  static const char *const names[] = {"./etc/hostname", NULL};
  _cleanup_free_ char *plain = NULL;
  size_t plain_len;
  write_tar("plain.tar", names, &plain, &plain_len);
  char sha[VZT_DIGEST_HEX_MAX];
  _cleanup_free_ char *zst = write_zst("t.tar.zst", plain, plain_len, sha);
  struct vzt_manifest m = manifest("x86_64");
  struct vzt_oci_image img = {.m = &m};
  _cleanup_error_ struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_oci_put_layer(dirfd_, zst, &D64("0")[7],
                                     &img, &err),
                   -1);
  ck_assert_int_eq(err->status, VZT_EXIT_REFUSED);
  ck_assert_ptr_nonnull(strstr(err->msg, "changed after it was verified"));
}
END_TEST

/* Names an OCI reader would take for deletions or paths outside the root. */
START_TEST(test_layer_names_refused)
{
  static const char *const bad[] = {"./etc/.wh.passwd", "./.wh..wh..opq", "/etc/passwd", "./etc/../../x"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    const char *names[] = {"./", "./etc/", bad[i], NULL};
    _cleanup_free_ char *plain = NULL;
    size_t plain_len;
    write_tar("plain.tar", names, &plain, &plain_len);
    char sha[VZT_DIGEST_HEX_MAX];
    _cleanup_free_ char *zst = write_zst("t.tar.zst", plain, plain_len, sha);
    struct vzt_manifest m = manifest("x86_64");
    struct vzt_oci_image img = {.m = &m};
    ck_assert_int_eq(vzt_oci_put_layer(dirfd_, zst, sha, &img, NULL), 0);
    _cleanup_error_ struct vzt_error *err = NULL;
    ck_assert_int_eq(vzt_oci_check_layer(testdir, &img.layer, "t.tar.zst", &err), -1);
    ck_assert_msg(err && err->status == VZT_EXIT_REFUSED, "%s not refused", bad[i]);
    ck_assert_msg(strstr(err->msg, "t.tar.zst"), "%s", err->msg);
  }
}
END_TEST

int main(void)
{
  Suite *s = suite_create("oci");
  TCase *tc = tcase_create("oci");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_platforms);
  tcase_add_test(tc, test_config);
  tcase_add_test(tc, test_manifest);
  tcase_add_test(tc, test_index_one);
  tcase_add_test(tc, test_index_platforms);
  tcase_add_test(tc, test_same_recipe);
  tcase_add_test(tc, test_layer_zstd_and_gzip);
  tcase_add_test(tc, test_layer_changed_refused);
  tcase_add_test(tc, test_layer_names_refused);
  suite_add_tcase(s, tc);
  return vzt_unit_run(s);
}
