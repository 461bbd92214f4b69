/* What tmpl/ does with archives in more than one place: copying an entry onto
 * the disk (deploy, the .deb unpacker) and walking a template's entries. */
#include "config.h"
#include "tmpl/archive-io.h"
#include "lib/locale.h"

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
