/* The LXD/Incus unified image tarball: metadata.yaml, templates/ and the template's tree under rootfs/. */
#include "config.h"
#include "tmpl/export/formats.h"
#include "tmpl/export/template.h"
#include "tmpl/archive-io.h"
#include "lib/atomic-file.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COPY_CHUNK (1 << 16)

/* LXD renders these at creation and copy: each container gets its own name,
 * where the template says "localhost". */
static const char hostname_tpl[] = "{{ container.name }}\n";
static const char hosts_tpl[] = "127.0.0.1\tlocalhost\n"
                                "127.0.1.1\t{{ container.name }}\n"
                                "\n"
                                "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                "ff02::1\tip6-allnodes\n"
                                "ff02::2\tip6-allrouters\n";

/* A YAML double-quoted scalar: manifest strings are plain names, but a
 * quote or backslash in one must not end the string. */
static char *yaml_str(const char *s)
{
  size_t n = 0;
  for (const char *p = s ? s : ""; *p; p++)
    n += (*p == '"' || *p == '\\') ? 2 : ((unsigned char) *p < 0x20 ? 0 : 1);
  char *out = vzt_malloc(n + 3), *o = out;
  if (!out)
    vzt_out_of_memory();
  *o++ = '"';
  for (const char *p = s ? s : ""; *p; p++) {
    if ((unsigned char) *p < 0x20)
      continue;
    if (*p == '"' || *p == '\\')
      *o++ = '\\';
    *o++ = *p;
  }
  *o++ = '"';
  *o = 0;
  return out;
}

static char *metadata_yaml(const struct vzt_manifest *m)
{
  struct tm tm;
  time_t t = m->source_date_epoch;
  char serial[32];
  gmtime_r(&t, &tm);
  strftime(serial, sizeof(serial), "%Y%m%d_%H%M", &tm);
  const char *variant = m->variant && *m->variant ? m->variant : "default";
  _cleanup_free_ char *descr_raw = vzt_strdupf("%s %s %s (%s), vztmpl template %s", m->distribution, m->release,
                                               m->architecture, variant, m->name);
  _cleanup_free_ char *arch = yaml_str(m->architecture), *descr = yaml_str(descr_raw),
                      *name = yaml_str(m->name), *os = yaml_str(m->distribution),
                      *release = yaml_str(m->release), *var = yaml_str(variant), *ser = yaml_str(serial);
  return vzt_strdupf("architecture: %s\n"
                     "creation_date: %lld\n"
                     "properties:\n"
                     "  architecture: %s\n"
                     "  description: %s\n"
                     "  name: %s\n"
                     "  os: %s\n"
                     "  release: %s\n"
                     "  serial: %s\n"
                     "  variant: %s\n"
                     "templates:\n"
                     "  /etc/hostname:\n"
                     "    when:\n"
                     "    - create\n"
                     "    - copy\n"
                     "    template: hostname.tpl\n"
                     "  /etc/hosts:\n"
                     "    when:\n"
                     "    - create\n"
                     "    - copy\n"
                     "    template: hosts.tpl\n",
                     arch, (long long) m->source_date_epoch, arch, descr, name, os, release, ser, var);
}

struct lxd_out {
  struct archive *w;
  struct archive_entry *ae;
  time_t epoch;
  const char *dest;
};

/* Entries vztmpl adds itself: root-owned, the build's time, nothing else. */
static int add_entry(struct lxd_out *o, const char *path, const char *text, struct vzt_error **err)
{
  archive_entry_clear(o->ae);
  archive_entry_set_pathname(o->ae, path);
  archive_entry_set_filetype(o->ae, text ? AE_IFREG : AE_IFDIR);
  archive_entry_set_perm(o->ae, text ? 0644 : 0755);
  archive_entry_set_uid(o->ae, 0);
  archive_entry_set_gid(o->ae, 0);
  archive_entry_set_mtime(o->ae, o->epoch, 0);
  archive_entry_set_size(o->ae, text ? (la_int64_t) strlen(text) : 0);
  if (archive_write_header(o->w, o->ae) != ARCHIVE_OK ||
      (text && archive_write_data(o->w, text, strlen(text)) != (la_ssize_t) strlen(text)) ||
      archive_write_finish_entry(o->w) != ARCHIVE_OK)
    return vzt_fail(err, "cannot write %s into %s: %s", path, o->dest, archive_error_string(o->w));
  return 0;
}

/* "./etc/x" -> "rootfs/etc/x", "./" -> "rootfs". */
static char *under_rootfs(const char *name)
{
  if (name[0] == '.' && (name[1] == '/' || !name[1]))
    name += 1;
  while (*name == '/')
    name++;
  return *name ? vzt_strdupf("rootfs/%s", name) : vzt_strdup("rootfs");
}

/* Each entry as it is (owner, mode, mtime, xattrs, hard links), one folder down. */
static int copy_into_rootfs(struct archive *in, struct archive_entry *e, void *arg, struct vzt_error **err)
{
  struct lxd_out *o = arg;
  const char *name = archive_entry_pathname_utf8(e);
  if (!name)
    return vzt_refuse(err, "an entry of the template has no UTF-8 name");
  _cleanup_free_ char *path = under_rootfs(name);
  archive_entry_set_pathname_utf8(e, path);
  const char *link = archive_entry_hardlink_utf8(e);
  if (link) {
    _cleanup_free_ char *target = under_rootfs(link);
    archive_entry_set_hardlink_utf8(e, target);
  }
  if (archive_write_header(o->w, e) != ARCHIVE_OK)
    return vzt_fail(err, "cannot write %s into %s: %s", path, o->dest, archive_error_string(o->w));
  char buf[COPY_CHUNK];
  for (;;) {
    la_ssize_t n = archive_read_data(in, buf, sizeof(buf));
    if (n < 0)
      return vzt_refuse(err, "cannot read %s from the template: %s", name, archive_error_string(in));
    if (n == 0)
      break;
    if (archive_write_data(o->w, buf, (size_t) n) != n)
      return vzt_fail(err, "cannot write %s into %s: %s", path, o->dest, archive_error_string(o->w));
  }
  if (archive_write_finish_entry(o->w) != ARCHIVE_OK)
    return vzt_fail(err, "cannot write %s into %s: %s", path, o->dest, archive_error_string(o->w));
  return 0;
}

static int write_image(const struct vzt_export_template *t, int fd, const char *dest, struct vzt_error **err)
{
  _cleanup_archive_write_ struct archive *w = archive_write_new();
  _cleanup_archive_entry_ struct archive_entry *ae = archive_entry_new();
  if (!w || !ae)
    vzt_out_of_memory();
  /* As the cache's own archives: pax, xattrs (file capabilities) as SCHILY
   * records, zstd, which LXD and Incus both unpack. */
  if (archive_write_set_format_pax_restricted(w) != ARCHIVE_OK ||
      archive_write_set_format_option(w, "pax", "xattrheader", "SCHILY") < ARCHIVE_WARN ||
      archive_write_add_filter_zstd(w) != ARCHIVE_OK ||
      archive_write_set_filter_option(w, "zstd", "compression-level", "3") != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(w, 1) != ARCHIVE_OK || archive_write_open_fd(w, fd) != ARCHIVE_OK)
    return vzt_fail(err, "cannot set up the image writer for %s: %s", dest, archive_error_string(w));
  struct lxd_out o = {.w = w, .ae = ae, .epoch = t->m.source_date_epoch, .dest = dest};
  _cleanup_free_ char *meta = metadata_yaml(&t->m);
  /* Bytewise order, as the template's own entries: metadata.yaml, rootfs/, templates/. */
  if (add_entry(&o, "metadata.yaml", meta, err) < 0)
    return -1;
  if (vzt_archive_walk(t->archive, copy_into_rootfs, &o, err) < 0)
    return vzt_error_prefix(err, "%s", t->archive);
  if (add_entry(&o, "templates", NULL, err) < 0 || add_entry(&o, "templates/hostname.tpl", hostname_tpl, err) < 0 ||
      add_entry(&o, "templates/hosts.tpl", hosts_tpl, err) < 0)
    return -1;
  if (archive_write_close(w) != ARCHIVE_OK)
    return vzt_fail(err, "cannot finish %s: %s", dest, archive_error_string(w));
  return 0;
}

int vzt_export_lxd_file(const char *manifest, int dirfd, const char *dest, struct vzt_error **err)
{
  struct vzt_export_template t;
  if (vzt_export_template_load(manifest, &t, err) < 0)
    return -1;
  _cleanup_atomic_ struct vzt_atomic_file f = {.fd = -1, .dirfd = -1};
  int ret = vzt_atomic_open(dirfd, dest, 0644, &f, err);
  if (ret == 0)
    ret = write_image(&t, f.fd, dest, err);
  if (ret == 0)
    ret = vzt_atomic_commit(&f, err);
  vzt_export_template_clear(&t);
  return ret;
}

int vzt_export_lxd(const struct vzt_export_request *req, struct vzt_error **err)
{
  if (req->n != 1)
    return vzt_fail(err, "an %s image holds one template: export them one at a time", req->format);
  if (vzt_export_lxd_file(req->manifests[0], AT_FDCWD, req->out, err) < 0)
    return -1;
  vzt_info("Wrote %s: %s image", req->out, req->format);
  return 0;
}
