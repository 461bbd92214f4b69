/* Unpacking one .deb into the (chrooted) root as `dpkg --unpack` would leave it. */
#include "config.h"
#include "tmpl/deb/unpack.h"
#include "tmpl/deb/member.h"
#include "tmpl/deb/control.h"
#include "lib/cleanup.h"
#include "tmpl/archive-io.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define INFO_DIR "/var/lib/dpkg/info"

/* A control.tar member kept in memory. */
struct member {
  char *name;
  char *data;
  size_t len;
  mode_t mode;
};

struct unpack {
  const struct vzt_deb_unpack_item *item;
  struct archive *outer;
  struct member members[32];
  size_t nmembers;
  char **conffiles;  /* absolute paths */
  char **conffile_flags; /* for each, its flags ("remove-on-upgrade") or "" */
  char *list;        /* info/<pkg>.list being built */
  size_t list_len, list_cap;
  struct vzt_deb_member nested; /* reads through outer */
};

static void free_unpack(struct unpack *u)
{
  for (size_t i = 0; i < u->nmembers; i++) {
    free(u->members[i].name);
    free(u->members[i].data);
  }
  vzt_strv_free(u->conffiles);
  vzt_strv_free(u->conffile_flags);
  free(u->list);
}

static struct archive *open_nested(struct unpack *u)
{
  return vzt_deb_member_open(&u->nested);
}

static const struct member *find_member(const struct unpack *u, const char *name)
{
  for (size_t i = 0; i < u->nmembers; i++)
    if (!strcmp(u->members[i].name, name))
      return &u->members[i];
  return NULL;
}

static int read_control(struct unpack *u, const char *what, struct vzt_error **err)
{
  struct archive *in = open_nested(u);
  struct archive_entry *e;
  int r, ret = 0;
  while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
    const char *path = archive_entry_pathname(e);
    if (!strncmp(path, "./", 2))
      path += 2;
    if (!*path || archive_entry_filetype(e) != AE_IFREG)
      continue;
    if (strchr(path, '/') || u->nmembers == VZT_ARRAY_SIZE(u->members)) {
      ret = vzt_refuse(err, "%s: unexpected control member %s", what, path);
      break;
    }
    la_int64_t size = archive_entry_size(e);
    if (size < 0 || size > (64 << 20)) {
      ret = vzt_refuse(err, "%s: control member %s is implausibly large", what, path);
      break;
    }
    struct member *m = &u->members[u->nmembers++];
    m->name = vzt_strdup(path);
    m->mode = archive_entry_perm(e);
    m->data = vzt_malloc(size + 1);
    if (!m->data)
      vzt_out_of_memory();
    la_ssize_t got = 0;
    while (got < size) {
      la_ssize_t n = archive_read_data(in, m->data + got, size - got);
      if (n <= 0)
        break;
      got += n;
    }
    if (got != size) {
      ret = vzt_refuse(err, "%s: control.tar is truncated", what);
      break;
    }
    m->data[size] = 0;
    m->len = size;
  }
  if (!ret && r != ARCHIVE_EOF)
    ret = vzt_refuse(err, "%s: corrupt control.tar: %s", what, archive_error_string(in));
  archive_read_free(in);
  if (ret < 0)
    return ret;
  if (!find_member(u, "control"))
    return vzt_refuse(err, "%s: no control file", what);
  const struct member *cf = find_member(u, "conffiles");
  u->conffiles = vzt_calloc(1, sizeof(char *));
  u->conffile_flags = vzt_calloc(1, sizeof(char *));
  if (!u->conffiles || !u->conffile_flags)
    vzt_out_of_memory();
  if (cf) {
    _cleanup_free_ char *copy = vzt_strdup(cf->data);
    char *save = NULL;
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
      vzt_strstrip(l);
      /* "remove-on-upgrade /etc/x": flags before the path exist since dpkg
       * 1.20, and dpkg's status lists them after the hash. */
      char *sp = strrchr(l, ' ');
      if (*l == '/') {
        vzt_strv_push(&u->conffiles, l);
        vzt_strv_push(&u->conffile_flags, "");
      } else if (sp && sp[1] == '/') {
        vzt_strv_push(&u->conffiles, sp + 1);
        *sp = '\0';
        vzt_strv_push(&u->conffile_flags, vzt_strstrip(l));
      }
    }
  }
  return 0;
}

static void list_add(struct unpack *u, const char *path, size_t len)
{
  if (u->list_len + len + 2 > u->list_cap) {
    u->list_cap = (u->list_cap + len + 2) * 2;
    u->list = vzt_realloc(u->list, u->list_cap);
  }
  memcpy(u->list + u->list_len, path, len);
  u->list_len += len;
  u->list[u->list_len++] = '\n';
}

/* How many bytes data.tar may declare: its Installed-Size (KiB, rounded up
 * per file by dpkg-gencontrol, so a generous bound) four times over plus
 * 16 MiB, or 1 GiB without one. A decompression bomb or a header declaring
 * terabytes is refused before it is written. */
static uint64_t size_budget(const struct unpack *u)
{
  const struct member *c = find_member(u, "control");
  uint64_t budget = UINT64_C(1) << 30;
  struct vzt_deb_stanza st = {0};
  size_t pos = 0;
  if (c && vzt_deb_stanza_next(c->data, c->len, &pos, &st) == 1) {
    _cleanup_free_ char *is = vzt_deb_stanza_dup(&st, "Installed-Size");
    char *end;
    unsigned long long kib = is ? strtoull(is, &end, 10) : 0;
    if (is && end != is && kib < (UINT64_C(1) << 40))
      budget = kib * 1024 * 4 + (UINT64_C(16) << 20);
  }
  vzt_deb_stanza_clear(&st);
  return budget;
}

static int extract_data(struct unpack *u, const char *what, struct vzt_error **err)
{
  uint64_t budget = size_budget(u), declared = 0;
  /* This package's own symlinks: nothing of it may be written through one
   * (the root's merged-/usr links are not the package's and stay usable). */
  _cleanup_strv_ char **links = vzt_calloc(1, sizeof(char *));
  struct archive *in = open_nested(u);
  struct archive *out = vzt_archive_disk_writer();
  struct archive_entry *e;
  int r, ret = 0;
  while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
    const char *path = archive_entry_pathname(e);
    /* dpkg's .list: "/." for the root, then each path without "./" or a trailing slash. */
    /* dpkg-deb writes every member as "./..."; an absolute or bare name is
     * not a package's. */
    if (!strncmp(path, "./", 2))
      path += 1;
    else {
      ret = vzt_refuse(err, "%s: unexpected path %s in data.tar (members start with \"./\")", what, path);
      break;
    }
    if (vzt_archive_check_entry(e, what, err) < 0) {
      ret = -1;
      break;
    }
    const char *through = NULL;
    for (char **l = links; *l && !through; l++)
      if (vzt_startswith(path, *l) && path[strlen(*l)] == '/')
        through = *l;
    if (through) {
      ret = vzt_refuse(err, "%s: %s would be written through the package's own symlink %s", what,
                       path, through);
      break;
    }
    if (archive_entry_filetype(e) == AE_IFLNK) {
      size_t l = strlen(path);
      while (l > 1 && path[l - 1] == '/')
        l--;
      vzt_strv_push_take(&links, vzt_strndup(path, l));
    }
    const char *hl = archive_entry_hardlink(e);
    if (hl && strncmp(hl, "./", 2)) {
      ret = vzt_refuse(err, "%s: hard link %s points outside the package (%s)", what, path, hl);
      break;
    }
    if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0) {
      declared += (uint64_t) archive_entry_size(e);
      if (declared > budget) {
        ret = vzt_refuse(err, "%s: data.tar declares more than %llu MiB, far beyond its "
                              "Installed-Size: refusing what looks like a decompression bomb",
                         what, (unsigned long long) (budget >> 20));
        break;
      }
    }
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
      len--;
    _cleanup_free_ char *abs = vzt_strndup(path, len);
    if (!strcmp(abs, "/"))
      list_add(u, "/.", 2);
    else
      list_add(u, abs, len);
    int ft = archive_entry_filetype(e);
    if (ft != AE_IFREG && ft != AE_IFDIR && ft != AE_IFLNK && !archive_entry_hardlink(e)) {
      ret = vzt_refuse(err, "%s: %s is a device, fifo or socket: refusing it in a package", what, abs);
      break;
    }
    /* Renamed as dpkg does, and kept relative to the (chrooted) root as
     * every member is: the writer refuses absolute paths. */
    if (vzt_strv_contains(u->conffiles, abs)) {
      _cleanup_free_ char *renamed = vzt_strdupf(".%s.dpkg-new", abs);
      archive_entry_set_pathname(e, renamed);
    }
    const char *link = archive_entry_hardlink(e);
    if (link && !strncmp(link, "./", 2)) {
      _cleanup_free_ char *target = vzt_strdup(link + 1);
      if (vzt_strv_contains(u->conffiles, target)) {
        _cleanup_free_ char *renamed = vzt_strdupf(".%s.dpkg-new", target);
        archive_entry_set_hardlink(e, renamed);
      }
    }
    if (vzt_archive_copy_entry(in, out, e, what, abs, err) < 0) {
      ret = -1;
      break;
    }
  }
  if (!ret && r != ARCHIVE_EOF)
    ret = vzt_refuse(err, "%s: corrupt data.tar: %s", what, archive_error_string(in));
  /* close applies deferred directory modes and times: its failure is a failure. */
  if (archive_write_close(out) != ARCHIVE_OK && !ret)
    ret = vzt_fail(err, "%s: %s", what, archive_error_string(out));
  archive_write_free(out);
  archive_read_free(in);
  return ret;
}

static int write_file(const char *path, const void *data, size_t len, mode_t mode,
                      struct vzt_error **err)
{
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0 || vzt_write_all(fd, data, len) < 0 || fchmod(fd, mode) < 0)
    return vzt_fail_errno(err, errno, "cannot write %s", path);
  return 0;
}

/* info/<pkg>.<member> for every control member but "control", as dpkg keeps them. */
static int write_info(struct unpack *u, const char *infoname, struct vzt_error **err)
{
  _cleanup_free_ char *list = vzt_strdupf(INFO_DIR "/%s.list", infoname);
  if (write_file(list, u->list, u->list_len, 0644, err) < 0)
    return -1;
  for (size_t i = 0; i < u->nmembers; i++) {
    const struct member *m = &u->members[i];
    if (!strcmp(m->name, "control"))
      continue;
    _cleanup_free_ char *path = vzt_strdupf(INFO_DIR "/%s.%s", infoname, m->name);
    mode_t mode = (m->mode & 0111) ? 0755 : 0644;
    if (write_file(path, m->data, m->len, mode, err) < 0)
      return -1;
  }
  return 0;
}

/* The status stanza: control fields with "Status: install ok unpacked" after
 * Package, and the conffiles with the "newconffile" placeholder hash. */
static int write_stanza(struct unpack *u, const char *what, struct vzt_error **err)
{
  const struct member *control = find_member(u, "control");
  struct vzt_deb_stanza st = {0};
  size_t pos = 0;
  if (vzt_deb_stanza_next(control->data, control->len, &pos, &st) != 1) {
    vzt_deb_stanza_clear(&st);
    return vzt_refuse(err, "%s: malformed control file", what);
  }
  size_t cap = control->len + 256, len = 0;
  for (size_t i = 0; u->conffiles[i]; i++)
    cap += strlen(u->conffiles[i]) + strlen(u->conffile_flags[i]) + 17;
  _cleanup_free_ char *out = vzt_malloc(cap);
  for (size_t i = 0; i < st.n; i++) {
    const struct vzt_deb_field *f = &st.fields[i];
    /* The raw "Name: value" line(s) as written, up to the value's end. */
    size_t n = (f->value + f->value_len) - f->name;
    memcpy(out + len, f->name, n);
    len += n;
    out[len++] = '\n';
    if (i == 0)
      len += sprintf(out + len, "Status: install ok unpacked\n");
  }
  if (u->conffiles[0]) {
    len += sprintf(out + len, "Conffiles:\n");
    for (size_t i = 0; u->conffiles[i]; i++)
      len += sprintf(out + len, " %s newconffile%s%s\n", u->conffiles[i],
                     u->conffile_flags[i][0] ? " " : "", u->conffile_flags[i]);
  }
  vzt_deb_stanza_clear(&st);
  _cleanup_free_ char *path = vzt_strdupf(VZT_DEB_STANZA_DIR "/%06u", u->item->seq);
  if (write_file(path, out, len, 0644, err) < 0)
    return -1;
  /* The control file as dpkg offers it to a preinst in tmp.ci/ (debconf reads it). */
  _cleanup_free_ char *cpath = vzt_strdupf(VZT_DEB_STANZA_DIR "/%06u.control", u->item->seq);
  return write_file(cpath, control->data, control->len, 0644, err);
}

static char *info_name(const struct member *control)
{
  struct vzt_deb_stanza st = {0};
  size_t pos = 0;
  char *name = NULL;
  if (vzt_deb_stanza_next(control->data, control->len, &pos, &st) == 1) {
    _cleanup_free_ char *pkg = vzt_deb_stanza_dup(&st, "Package");
    _cleanup_free_ char *arch = vzt_deb_stanza_dup(&st, "Architecture");
    if (pkg && vzt_deb_stanza_is(&st, "Multi-Arch", "same") && arch)
      name = vzt_strdupf("%s:%s", pkg, arch);
    else if (pkg)
      name = vzt_strdup(pkg);
  }
  vzt_deb_stanza_clear(&st);
  return name;
}

int vzt_deb_unpack(const struct vzt_deb_unpack_item *item, struct vzt_error **err)
{
  struct unpack u = {.item = item};
  _cleanup_free_ char *what = vzt_strdupf("package %s", item->name);
  _cleanup_free_ char *infoname = NULL;
  u.outer = archive_read_new();
  u.nested.ar = u.outer;
  archive_read_support_format_ar(u.outer);
  int ret = -1;
  bool seen_control = false, seen_data = false, seen_binary = false;
  if (lseek(item->fd, 0, SEEK_SET) < 0 ||
      archive_read_open_fd(u.outer, item->fd, 1 << 16) != ARCHIVE_OK) {
    vzt_refuse(err, "%s: not a .deb: %s", what, archive_error_string(u.outer));
    goto out;
  }
  struct archive_entry *e;
  int r;
  while ((r = archive_read_next_header(u.outer, &e)) == ARCHIVE_OK) {
    const char *name = archive_entry_pathname(e);
    if (!strcmp(name, "debian-binary")) {
      char v[16] = {0};
      archive_read_data(u.outer, v, sizeof(v) - 1);
      if (strncmp(v, "2.", 2)) {
        vzt_refuse(err, "%s: unsupported .deb format %.4s", what, v);
        goto out;
      }
      seen_binary = true;
    } else if (vzt_startswith(name, "control.tar")) {
      if (!seen_binary || seen_control || read_control(&u, what, err) < 0) {
        if (!*err)
          vzt_refuse(err, "%s: members out of order", what);
        goto out;
      }
      seen_control = true;
    } else if (vzt_startswith(name, "data.tar")) {
      if (!seen_control || seen_data) {
        vzt_refuse(err, "%s: data.tar before control.tar", what);
        goto out;
      }
      if (extract_data(&u, what, err) < 0)
        goto out;
      seen_data = true;
    } else if (name[0] != '_') {
      vzt_refuse(err, "%s: unknown member %s", what, name);
      goto out;
    }
  }
  if (r != ARCHIVE_EOF || !seen_data) {
    vzt_refuse(err, "%s: truncated or corrupt .deb: %s", what,
               r != ARCHIVE_EOF ? archive_error_string(u.outer) : "no data.tar");
    goto out;
  }
  infoname = info_name(find_member(&u, "control"));
  if (!infoname) {
    vzt_refuse(err, "%s: control file has no Package", what);
    goto out;
  }
  if (write_info(&u, infoname, err) < 0 || write_stanza(&u, what, err) < 0)
    goto out;
  ret = 0;
out:
  archive_read_free(u.outer);
  free_unpack(&u);
  return ret;
}
