/* What tmpl/ does with archives in more than one place: copying an entry onto
 * the disk (deploy, the .deb unpacker) and walking a template's entries. */
#include "config.h"
#include "tmpl/archive-io.h"
#include "lib/alloc.h"
#include "lib/locale.h"

#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

/* libarchive's message, with the system's reason where there is one
 * ("Write failed" alone does not say the disk is full). */
static int archive_fail(struct archive *a, const char *what, const char *verb, const char *path,
                        struct vzt_error **err)
{
  int e = archive_errno(a);
  if (e > 0)
    return vzt_fail_errno(err, e, "%s: cannot %s %s: %s", what, verb, path, archive_error_string(a));
  return vzt_fail(err, "%s: cannot %s %s: %s", what, verb, path, archive_error_string(a));
}

struct archive *vzt_archive_disk_writer(void)
{
  struct archive *out = archive_write_disk_new();
  if (!out)
    vzt_out_of_memory();
  archive_write_disk_set_options(out, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                                          ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL |
                                          ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                          ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
  return out;
}

/* Whether a path has a ".." component. */
static bool has_dotdot(const char *p)
{
  for (const char *c = p; (c = strstr(c, "..")); c += 2)
    if ((c == p || c[-1] == '/') && (c[2] == '\0' || c[2] == '/'))
      return true;
  return false;
}

int vzt_archive_check_entry(struct archive_entry *e, const char *what, struct vzt_error **err)
{
  const char *path = archive_entry_pathname(e);
  if (!path || path[0] == '/' || has_dotdot(path))
    return vzt_refuse(err, "%s: %s leaves the tree it is extracted into", what, path ? path : "(no name)");
  const char *hl = archive_entry_hardlink(e);
  if (hl && (hl[0] == '/' || has_dotdot(hl)))
    return vzt_refuse(err, "%s: hard link %s points outside the tree (%s)", what, path, hl);
  mode_t perm = archive_entry_perm(e);
  if (archive_entry_filetype(e) == AE_IFREG &&
      (((perm & S_ISUID) && (perm & (S_IWGRP | S_IWOTH))) || ((perm & S_ISGID) && (perm & S_IWOTH))))
    return vzt_refuse(err, "%s: %s is set-id (mode %04o) and others may rewrite it: refusing it", what,
                      path, (unsigned) (perm & 07777));
  return 0;
}

int vzt_archive_copy_entry(struct archive *in, struct archive *out, struct archive_entry *e,
                           const char *what, const char *path, struct vzt_error **err)
{
  if (archive_write_header(out, e) != ARCHIVE_OK)
    return archive_fail(out, what, "create", path, err);
  if (archive_entry_size(e) > 0) {
    const void *block;
    size_t size;
    la_int64_t offset;
    int r;
    while ((r = archive_read_data_block(in, &block, &size, &offset)) == ARCHIVE_OK)
      if (archive_write_data_block(out, block, size, offset) != ARCHIVE_OK) {
        r = ARCHIVE_FATAL;
        break;
      }
    if (r != ARCHIVE_EOF)
      return archive_fail(r == ARCHIVE_FATAL ? out : in, what, "extract", path, err);
  }
  if (archive_write_finish_entry(out) != ARCHIVE_OK)
    return archive_fail(out, what, "finish", path, err);
  return 0;
}

int vzt_archive_walk(const char *path, vzt_archive_visit_fn fn, void *arg, struct vzt_error **err)
{
  VZT_UTF8_SCOPE(utf8);
  _cleanup_archive_read_ struct archive *a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK)
    return vzt_fail(err, "cannot read %s: %s", path, archive_error_string(a));
  struct archive_entry *e;
  int r;
  while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
    int v = fn(a, e, arg, err);
    if (v != 0)
      return v;
  }
  if (r != ARCHIVE_EOF)
    return vzt_refuse(err, "%s is damaged: %s", path, archive_error_string(a));
  return 0;
}
