/* The merged-/usr links of a new Debian root, as the release itself lays
 * them out: since trixie, base-files ships them (./bin -> usr/bin, ...);
 * older releases leave them to the bootstrap tool, and there debootstrap's
 * per-architecture list is the reference. */
#include "config.h"
#include "tmpl/deb/layout.h"
#include "tmpl/archive-io.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* data.tar reads its bytes from the .deb's current ar member. */
struct member_reader {
  struct archive *ar;
  char buf[1 << 16];
};

static la_ssize_t read_member(struct archive *a, void *arg, const void **buf)
{
  struct member_reader *m = arg;
  la_ssize_t n = archive_read_data(m->ar, m->buf, sizeof(m->buf));
  *buf = m->buf;
  if (n < 0)
    archive_set_error(a, archive_errno(m->ar), "%s", archive_error_string(m->ar));
  return n;
}

/* A top-level "./X -> usr/X" entry: X, or NULL. */
static char *usr_link_name(struct archive_entry *e)
{
  if (archive_entry_filetype(e) != AE_IFLNK)
    return NULL;
  const char *path = archive_entry_pathname(e), *target = archive_entry_symlink(e);
  if (!path || !target || strncmp(path, "./", 2))
    return NULL;
  path += 2;
  if (!*path || strchr(path, '/') || strncmp(target, "usr/", 4) || strcmp(target + 4, path))
    return NULL;
  return vzt_strdup(path);
}

/* The "./X -> usr/X" links in the data.tar of the (already verified) .deb on
 * fd; an empty list when it ships none. */
static int shipped_links(int fd, const char *what, char ***out, struct vzt_error **err)
{
  _cleanup_archive_read_ struct archive *ar = archive_read_new();
  archive_read_support_format_ar(ar);
  if (lseek(fd, 0, SEEK_SET) < 0 || archive_read_open_fd(ar, fd, 1 << 16) != ARCHIVE_OK)
    return vzt_refuse(err, "%s: not a .deb: %s", what, archive_error_string(ar));
  _cleanup_strv_ char **links = calloc(1, sizeof(char *));
  if (!links)
    abort();
  struct archive_entry *e;
  int r;
  while ((r = archive_read_next_header(ar, &e)) == ARCHIVE_OK) {
    if (!vzt_startswith(archive_entry_pathname(e), "data.tar"))
      continue;
    _cleanup_archive_read_ struct archive *data = archive_read_new();
    _cleanup_free_ struct member_reader *m = calloc(1, sizeof(*m));
    if (!m)
      abort();
    m->ar = ar;
    archive_read_support_format_tar(data);
    archive_read_support_filter_gzip(data);
    archive_read_support_filter_xz(data);
    archive_read_support_filter_zstd(data);
    archive_read_support_filter_none(data);
    if (archive_read_open(data, m, NULL, read_member, NULL) != ARCHIVE_OK)
      return vzt_refuse(err, "%s: corrupt data.tar: %s", what, archive_error_string(data));
    struct archive_entry *de;
    while ((r = archive_read_next_header(data, &de)) == ARCHIVE_OK) {
      char *name = usr_link_name(de);
      if (name)
        vzt_strv_push_take(&links, name);
    }
    if (r != ARCHIVE_EOF)
      return vzt_refuse(err, "%s: corrupt data.tar: %s", what, archive_error_string(data));
    *out = steal_pointer(&links);
    return 0;
  }
  return vzt_refuse(err, "%s: truncated or corrupt .deb: %s", what,
                    r != ARCHIVE_EOF ? archive_error_string(ar) : "no data.tar");
}

int vzt_deb_usr_links(int base_files_fd, const struct vzt_arch *arch, char ***links,
                      struct vzt_error **err)
{
  _cleanup_strv_ char **shipped = NULL;
  if (base_files_fd >= 0 && shipped_links(base_files_fd, "package base-files", &shipped, err) < 0)
    return -1;
  if (shipped && shipped[0]) {
    *links = steal_pointer(&shipped);
    return 0;
  }
  _cleanup_strv_ char **l = vzt_strv_split(arch->deb_lib_links);
  vzt_strv_push(&l, "bin");
  vzt_strv_push(&l, "sbin");
  vzt_strv_push(&l, "lib");
  *links = steal_pointer(&l);
  return 0;
}
