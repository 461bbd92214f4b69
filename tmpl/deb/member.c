/* The nested-tar reader of member.h, shared by the unpacker and the layout reader. */
#include "config.h"
#include "tmpl/deb/member.h"
#include "lib/alloc.h"

static la_ssize_t read_member(struct archive *a, void *arg, const void **buf)
{
  struct vzt_deb_member *m = arg;
  la_ssize_t n = archive_read_data(m->ar, m->buf, sizeof(m->buf));
  *buf = m->buf;
  if (n < 0)
    archive_set_error(a, archive_errno(m->ar), "%s", archive_error_string(m->ar));
  return n;
}

struct archive *vzt_deb_member_open(struct vzt_deb_member *m)
{
  struct archive *in = archive_read_new();
  if (!in)
    vzt_out_of_memory();
  archive_read_support_format_tar(in);
  archive_read_support_filter_gzip(in);
  archive_read_support_filter_xz(in);
  archive_read_support_filter_zstd(in);
  archive_read_support_filter_bzip2(in);
  archive_read_support_filter_none(in);
  archive_read_open(in, m, NULL, read_member, NULL);
  return in;
}
