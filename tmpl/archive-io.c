/* Copying an archive entry onto the disk, shared by deploy and the .deb unpacker. */
#include "config.h"
#include "tmpl/archive-io.h"

int vzt_archive_copy_entry(struct archive *in, struct archive *out, struct archive_entry *e,
                           const char *what, const char *path, struct vzt_error **err)
{
  if (archive_write_header(out, e) != ARCHIVE_OK)
    return vzt_fail(err, "%s: cannot create %s: %s", what, path, archive_error_string(out));
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
      return vzt_fail(err, "%s: cannot extract %s: %s", what, path,
                      archive_error_string(r == ARCHIVE_FATAL ? out : in));
  }
  if (archive_write_finish_entry(out) != ARCHIVE_OK)
    return vzt_fail(err, "%s: cannot finish %s: %s", what, path, archive_error_string(out));
  return 0;
}
