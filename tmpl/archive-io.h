/* What every archive reader and writer of tmpl/ shares: libarchive objects
 * bound to a scope (as lib/cleanup.h binds memory and descriptors), and
 * copying one entry from a reader to a disk writer. */
#pragma once
#include <archive.h>
#include <archive_entry.h>
#include "lib/error.h"

/* The disk writer of every extraction in tmpl/ (a package's data, an rpm
 * payload, a template onto a root), with one set of rules: numeric owners
 * (the host's names say nothing about the root's), modes, times, extended
 * attributes and ACLs; "..", and absolute paths refused by libarchive too.
 * Not SECURE_SYMLINKS, which would replace merged-/usr's /bin -> usr/bin
 * with a directory: every extraction runs chrooted (kernel-support/confine),
 * which confines symlinks instead. Not FFLAGS: immutable or append-only
 * files would only keep a root from being removed. */
struct archive *vzt_archive_disk_writer(void);

/* The checks every extraction makes of an entry before writing it, each a
 * refusal naming `what` and the entry: a relative path with no ".."
 * component, a hard link to such a path, and no set-id file that others
 * may rewrite (it hands its owner's privilege to whoever does). Device
 * nodes are each caller's policy. */
int vzt_archive_check_entry(struct archive_entry *e, const char *what, struct vzt_error **err);

/* Writes e's header and data from in to out and finishes the entry; the
 * error names `what` (the archive) and `path` (the entry). */
int vzt_archive_copy_entry(struct archive *in, struct archive *out, struct archive_entry *e,
                           const char *what, const char *path, struct vzt_error **err);

/* Called for each entry of a template archive; returns 0 to go on, 1 to
 * stop (found), -1 with err set to fail. */
typedef int (*vzt_archive_visit_fn)(struct archive *a, struct archive_entry *e, void *arg,
                                    struct vzt_error **err);
/* Reads the tar archive at path (any compression) entry by entry, names as
 * UTF-8, writing nothing. Returns 1 when fn stopped it, 0 at its end, -1 when
 * fn failed or the archive is damaged (a refusal). */
int vzt_archive_walk(const char *path, vzt_archive_visit_fn fn, void *arg, struct vzt_error **err);

static inline void vzt_archive_read_freep(struct archive **a)
{
  if (*a)
    archive_read_free(*a);
}

static inline void vzt_archive_write_freep(struct archive **a)
{
  if (*a)
    archive_write_free(*a);
}

static inline void vzt_archive_entry_freep(struct archive_entry **e)
{
  if (*e)
    archive_entry_free(*e);
}

#define _cleanup_archive_read_ __attribute__((cleanup(vzt_archive_read_freep)))
#define _cleanup_archive_write_ __attribute__((cleanup(vzt_archive_write_freep)))
#define _cleanup_archive_entry_ __attribute__((cleanup(vzt_archive_entry_freep)))
