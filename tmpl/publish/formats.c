/* What other tools read from a published directory: pveam's aplinfo.dat and lxc-download's index and meta.tar.xz. */
#include "config.h"
#include "tmpl/publish/publish.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tmpl/archive-io.h"
#include "lib/atomic-file.h"
#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/strutil.h"
#include "lib/alloc.h"
#include "lib/buf.h"

/* LXC's config names the distribution's release; a codename where there is one, as its image server does. */
static const char *lxc_release(const struct vzt_publish_entry *e)
{
  return e->codename && *e->codename ? e->codename : e->release;
}

static const char *lxc_variant(const struct vzt_publish_entry *e)
{
  return e->variant && *e->variant ? e->variant : "default";
}

/* A golden image is its own distribution in LXC's index ("lxc-create -t
 * download -- -d acme-web -r bookworm"): under the base's key, asking for
 * plain Debian would give the firm's image. */
static const char *lxc_distribution(const struct vzt_publish_entry *e)
{
  return e->image ? e->image : e->distribution;
}

char *vzt_publish_image_name(const char *name, const char *distribution, const char *release,
                             const char *architecture, const char *variant)
{
  _cleanup_free_ char *plain = vzt_strdupf("%s-%s-%s", distribution, release, architecture);
  _cleanup_free_ char *plain_variant = vzt_strdupf("%s-%s", plain, variant ? variant : "");
  if (!strcmp(name, plain) || (variant && !strcmp(name, plain_variant)))
    return NULL;
  _cleanup_free_ char *suffix = vzt_strdupf("-%s", architecture);
  char *image = vzt_strdup(name);
  if (vzt_endswith(image, suffix) && strlen(image) > strlen(suffix))
    image[strlen(image) - strlen(suffix)] = 0;
  return image;
}

/* Proxmox's version: digits first, no "_" (it separates the name's parts). */
static char *pve_version(const struct vzt_publish_entry *e)
{
  char *v = vzt_strdup(e->build ? e->build : "0");
  for (char *p = v; *p; p++)
    if (*p == '-')
      *p = '.';
  return v;
}

char *vzt_publish_pve_name(const struct vzt_publish_entry *e)
{
  _cleanup_free_ char *version = pve_version(e);
  _cleanup_free_ char *stem = e->image ? vzt_strdup(e->image)
                              : e->variant && *e->variant
                                  ? vzt_strdupf("%s-%s-%s", e->distribution, e->release, e->variant)
                                  : vzt_strdupf("%s-%s", e->distribution, e->release);
  return vzt_strdupf("%s_%s-1_%s.tar.zst", stem, version, e->deb_architecture);
}

char *vzt_publish_aplinfo_stanza(const struct vzt_publish_entry *e)
{
  /* pveam wants Package, Type (lxc), OS, Version (starting with a digit) and
   * Infopage; Location relative to the index is resolved against its URL,
   * and its file name is the template's name on the Proxmox host, so it
   * carries the version. The GUI shows Infopage as a link: absolute or
   * nothing. Description runs to the end of the stanza, so it comes last. */
  _cleanup_free_ char *variant = e->variant ? vzt_strdupf(" %s", e->variant) : vzt_strdup("");
  _cleanup_free_ char *codename = e->codename ? vzt_strdupf(" (%s)", e->codename) : vzt_strdup("");
  _cleanup_free_ char *version = pve_version(e);
  const char *base = e->base_url ? e->base_url : "";
  size_t bl = strlen(base);
  while (bl && base[bl - 1] == '/')
    bl--;
  _cleanup_free_ char *maintainer = e->maintainer ? vzt_strdupf("Maintainer: %s\n", e->maintainer) : vzt_strdup("");
  _cleanup_free_ char *infopage = e->base_url ? vzt_strdupf("Infopage: %.*s/%.*s.json\n", (int) bl, base,
                                                            (int) (strlen(e->archive) - strlen(".tar.zst")),
                                                            e->archive)
                                              : vzt_strdup("");
  _cleanup_free_ char *what = e->image ? vzt_strdupf("%s, a golden image on ", e->image) : vzt_strdup("");
  return vzt_strdupf("Package: %s\n"
                     "Version: %s-1\n"
                     "Type: lxc\n"
                     "OS: %s-%s\n"
                     "Section: system\n"
                     "%s"
                     "Architecture: %s\n"
                     "Location: %s\n"
                     "md5sum: %s\n"
                     "sha512sum: %s\n"
                     "%s"
                     "Description: %s%s %s%s%s for %s\n"
                     " Built by vztmpl, build %s; sha256 %s. The manifest beside it lists every package.\n",
                     e->name, version, e->distribution, e->release, maintainer, e->deb_architecture,
                     e->pve_archive ? e->pve_archive : e->archive, e->md5, e->sha512, infopage, what,
                     e->distribution, e->release, codename, variant, e->architecture, e->build, e->sha256);
}

char *vzt_publish_lxc_dir(const struct vzt_publish_entry *e)
{
  return vzt_strdupf("images/%s/%s/%s/%s/%s", lxc_distribution(e), lxc_release(e), e->deb_architecture,
                     lxc_variant(e), e->build);
}

char *vzt_publish_lxc_line(const struct vzt_publish_entry *e)
{
  _cleanup_free_ char *dir = vzt_publish_lxc_dir(e);
  return vzt_strdupf("%s;%s;%s;%s;%s;/%s/\n", lxc_distribution(e), lxc_release(e), e->deb_architecture,
                     lxc_variant(e), e->build, dir);
}

static int add_file(struct archive *a, struct archive_entry *ae, const char *name, const char *text,
                    time_t mtime)
{
  archive_entry_clear(ae);
  archive_entry_set_pathname(ae, name);
  archive_entry_set_filetype(ae, AE_IFREG);
  archive_entry_set_perm(ae, 0644);
  archive_entry_set_uid(ae, 0);
  archive_entry_set_gid(ae, 0);
  archive_entry_set_mtime(ae, mtime, 0);
  archive_entry_set_size(ae, (la_int64_t) strlen(text));
  if (archive_write_header(a, ae) != ARCHIVE_OK)
    return -1;
  if (archive_write_data(a, text, strlen(text)) != (la_ssize_t) strlen(text))
    return -1;
  return archive_write_finish_entry(a) == ARCHIVE_OK ? 0 : -1;
}

int vzt_publish_lxc_meta(const struct vzt_publish_entry *e, int dirfd, const char *dest, struct vzt_error **err)
{
  _cleanup_archive_write_ struct archive *a = archive_write_new();
  _cleanup_archive_entry_ struct archive_entry *ae = archive_entry_new();
  if (!a || !ae)
    vzt_out_of_memory();
  /* lxc-download substitutes LXC_TEMPLATE_CONFIG with its own config
   * directory (common.conf, userns.conf in LXC 4 and later). */
  _cleanup_free_ char *config = vzt_strdupf("lxc.include = LXC_TEMPLATE_CONFIG/common.conf\n"
                                            "lxc.arch = %s\n",
                                            e->architecture);
  _cleanup_free_ char *config_user = vzt_strdupf("lxc.include = LXC_TEMPLATE_CONFIG/common.conf\n"
                                                 "lxc.include = LXC_TEMPLATE_CONFIG/userns.conf\n"
                                                 "lxc.arch = %s\n",
                                                 e->architecture);
  _cleanup_free_ char *message = vzt_strdupf("You just created a %s %s %s container (vztmpl template %s, "
                                             "build %s).\n",
                                             lxc_distribution(e), lxc_release(e), e->deb_architecture,
                                             e->name, e->build);
  /* The cached copy lxc-download keeps is re-fetched after this. */
  _cleanup_free_ char *expiry = vzt_strdupf("%lld\n", (long long) e->epoch + 30 * 86400);
  _cleanup_atomic_ struct vzt_atomic_file f = {.fd = -1, .dirfd = -1};
  if (vzt_atomic_open(dirfd, dest, 0644, &f, err) < 0)
    return -1;
  if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK || archive_write_add_filter_xz(a) != ARCHIVE_OK ||
      archive_write_set_filter_option(a, "xz", "threads", "2") < ARCHIVE_WARN ||
      archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
      archive_write_open_fd(a, f.fd) != ARCHIVE_OK)
    goto fail;
  if (add_file(a, ae, "config", config, e->epoch) < 0 || add_file(a, ae, "config-user", config_user, e->epoch) < 0 ||
      add_file(a, ae, "create-message", message, e->epoch) < 0 ||
      add_file(a, ae, "excludes-user", "./dev/*\n", e->epoch) < 0 ||
      add_file(a, ae, "expiry", expiry, e->epoch) < 0 ||
      add_file(a, ae, "templates", "/etc/hostname\n/etc/hosts\n", e->epoch) < 0 ||
      archive_write_close(a) != ARCHIVE_OK)
    goto fail;
  return vzt_atomic_commit(&f, err);
fail:
  return vzt_fail(err, "cannot write %s: %s", dest,
                  archive_error_string(a) ? archive_error_string(a) : "libarchive failed");
}

static la_ssize_t mem_write_cb(struct archive *a, void *data, const void *buf, size_t len)
{
  (void) a;
  vzt_buf_append(data, buf, len);
  return (la_ssize_t) len;
}

int vzt_publish_gzip(const void *data, size_t len, char **out, size_t *outlen, struct vzt_error **err)
{
  _cleanup_archive_write_ struct archive *a = archive_write_new();
  _cleanup_archive_entry_ struct archive_entry *ae = archive_entry_new();
  struct vzt_buf m = {0};
  if (!a || !ae)
    vzt_out_of_memory();
  archive_entry_set_pathname(ae, "data");
  archive_entry_set_filetype(ae, AE_IFREG);
  archive_entry_set_perm(ae, 0644);
  if (archive_write_set_format_raw(a) != ARCHIVE_OK || archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
      archive_write_set_filter_option(a, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
      archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
      archive_write_open(a, &m, NULL, mem_write_cb, NULL) != ARCHIVE_OK ||
      archive_write_header(a, ae) != ARCHIVE_OK ||
      (len && archive_write_data(a, data, len) != (la_ssize_t) len) || archive_write_close(a) != ARCHIVE_OK) {
    vzt_buf_free(&m);
    return vzt_fail(err, "gzip failed: %s", archive_error_string(a) ? archive_error_string(a) : "?");
  }
  *outlen = m.len;
  *out = vzt_buf_steal(&m);
  return 0;
}

/* ---- LXC's rootfs.tar.xz ------------------------------------------------ */

/* lxc-download replaces LXC_NAME in the rootfs files meta's "templates"
 * lists: these two give each container its own name, as LXC's own images do. */
static const char lxc_hostname[] = "LXC_NAME\n";
static const char lxc_hosts[] = "127.0.0.1\tlocalhost\n"
                                "127.0.1.1\tLXC_NAME\n"
                                "\n"
                                "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                "ff02::1\tip6-allnodes\n"
                                "ff02::2\tip6-allrouters\n";

struct rootfs_out {
  struct archive *w;
  const char *dest;
  bool has_etc, has_hostname, has_hosts;
  time_t etc_mtime;
};

static int copy_rootfs_entry(struct archive *in, struct archive_entry *e, void *arg, struct vzt_error **err)
{
  struct rootfs_out *o = arg;
  const char *name = archive_entry_pathname_utf8(e);
  const char *text = NULL;
  if (name && (!strcmp(name, "./etc") || !strcmp(name, "./etc/")) && archive_entry_filetype(e) == AE_IFDIR) {
    o->has_etc = true;
    o->etc_mtime = archive_entry_mtime(e);
  }
  if (name && !strcmp(name, "./etc/hostname"))
    o->has_hostname = true;
  if (name && !strcmp(name, "./etc/hosts"))
    o->has_hosts = true;
  if (name && archive_entry_filetype(e) == AE_IFREG && !archive_entry_hardlink_utf8(e)) {
    if (!strcmp(name, "./etc/hostname"))
      text = lxc_hostname;
    else if (!strcmp(name, "./etc/hosts"))
      text = lxc_hosts;
  }
  if (text)
    archive_entry_set_size(e, (la_int64_t) strlen(text));
  if (archive_write_header(o->w, e) != ARCHIVE_OK)
    return vzt_fail(err, "cannot write %s into %s: %s", name, o->dest, archive_error_string(o->w));
  if (text && archive_write_data(o->w, text, strlen(text)) != (la_ssize_t) strlen(text))
    return vzt_fail(err, "cannot write %s into %s: %s", name, o->dest, archive_error_string(o->w));
  char buf[1 << 16];
  for (;;) {
    la_ssize_t n = archive_read_data(in, buf, sizeof(buf));
    if (n < 0)
      return vzt_refuse(err, "cannot read %s from the template: %s", name, archive_error_string(in));
    if (n == 0)
      break;
    if (!text && archive_write_data(o->w, buf, (size_t) n) != n)
      return vzt_fail(err, "cannot write %s into %s: %s", name, o->dest, archive_error_string(o->w));
  }
  if (archive_write_finish_entry(o->w) != ARCHIVE_OK)
    return vzt_fail(err, "cannot write %s into %s: %s", name, o->dest, archive_error_string(o->w));
  return 0;
}

int vzt_publish_lxc_rootfs(const char *src, int dirfd, const char *dest, int threads, int level, char *sha256,
                           uint64_t *size, struct vzt_error **err)
{
  _cleanup_archive_write_ struct archive *w = archive_write_new();
  if (!w)
    vzt_out_of_memory();
  char nthreads[16], preset[4];
  snprintf(preset, sizeof(preset), "%d", level);
  /* As tmpl/pack-convert.c: always the multi-threaded encoder, whose output
   * is the same for any thread count from two on. */
  snprintf(nthreads, sizeof(nthreads), "%d", threads < 2 ? 2 : threads);
  _cleanup_atomic_ struct vzt_atomic_file f = {.fd = -1, .dirfd = -1};
  if (vzt_atomic_open(dirfd, dest, 0644, &f, err) < 0)
    return -1;
  if (archive_write_set_format_pax_restricted(w) != ARCHIVE_OK ||
      archive_write_set_format_option(w, "pax", "xattrheader", "SCHILY") < ARCHIVE_WARN ||
      archive_write_add_filter_xz(w) != ARCHIVE_OK ||
      archive_write_set_filter_option(w, "xz", "compression-level", preset) != ARCHIVE_OK ||
      archive_write_set_filter_option(w, "xz", "threads", nthreads) < ARCHIVE_WARN ||
      archive_write_set_bytes_in_last_block(w, 1) != ARCHIVE_OK || archive_write_open_fd(w, f.fd) != ARCHIVE_OK)
    return vzt_fail(err, "cannot set up the writer for %s: %s", dest, archive_error_string(w));
  struct rootfs_out o = {.w = w, .dest = dest};
  if (vzt_archive_walk(src, copy_rootfs_entry, &o, err) < 0)
    return vzt_error_prefix(err, "%s", src);
  /* A template without them (Debian's minbase has no netbase, so no
   * /etc/hosts) still gets its container's name there: without it the
   * name resolves nowhere, and sudo and the like complain. */
  _cleanup_archive_entry_ struct archive_entry *ae = archive_entry_new();
  if (!ae)
    vzt_out_of_memory();
  if ((o.has_etc && !o.has_hostname && add_file(w, ae, "./etc/hostname", lxc_hostname, o.etc_mtime) < 0) ||
      (o.has_etc && !o.has_hosts && add_file(w, ae, "./etc/hosts", lxc_hosts, o.etc_mtime) < 0))
    return vzt_fail(err, "cannot write /etc/hostname or /etc/hosts into %s: %s", dest, archive_error_string(w));
  if (archive_write_close(w) != ARCHIVE_OK)
    return vzt_fail(err, "cannot finish %s: %s", dest, archive_error_string(w));
  if (vzt_atomic_commit(&f, err) < 0)
    return -1;
  _cleanup_close_ int fd = openat(dirfd, dest, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return vzt_fail_errno(err, errno, "cannot read %s", dest);
  return vzt_digest_fd(fd, VZT_DIGEST_SHA256, sha256, size, err);
}
