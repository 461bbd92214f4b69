/* Unpacking one .deb into a root the way `dpkg --unpack` leaves it: payload
 * extracted, conffiles as <path>.dpkg-new, and the package's dpkg database
 * entries (info/<pkg>.list, md5sums, conffiles, maintainer scripts). Runs in
 * a worker confined to the root (kernel-support/confine.h): paths are "/". */
#pragma once
#include "lib/error.h"

struct vzt_deb_unpack_item {
  int fd;              /* the verified .deb, opened by the caller */
  const char *name;    /* package name, for messages */
  unsigned seq;        /* transaction position: the status stanza file is named by it */
};

/* Where the worker leaves each package's status stanza (<seq>) and control
 * file (<seq>.control) for the parent. */
#define VZT_DEB_STANZA_DIR "/var/lib/dpkg/vztmpl-unpacked"

int vzt_deb_unpack(const struct vzt_deb_unpack_item *item, struct vzt_error **err);
