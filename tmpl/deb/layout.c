/* The merged-/usr links of a new Debian root, as the release itself lays
 * them out: since trixie, base-files ships them (./bin -> usr/bin, ...);
 * older releases leave them to the bootstrap tool, and there debootstrap's
 * per-architecture list is the reference. */
#include "config.h"
#include "tmpl/deb/layout.h"
#include "tmpl/deb/member.h"
#include "lib/alloc.h"
#include "tmpl/archive-io.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
  _cleanup_strv_ char **links = vzt_calloc(1, sizeof(char *));
  struct archive_entry *e;
  int r;
  while ((r = archive_read_next_header(ar, &e)) == ARCHIVE_OK) {
    if (!vzt_startswith(archive_entry_pathname(e), "data.tar"))
      continue;
    _cleanup_free_ struct vzt_deb_member *m = vzt_calloc(1, sizeof(*m));
    m->ar = ar;
    _cleanup_archive_read_ struct archive *data = vzt_deb_member_open(m);
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
