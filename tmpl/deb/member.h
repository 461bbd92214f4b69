/* Reading a tar nested in a .deb (control.tar, data.tar): its bytes come
 * from the ar archive's current member, in any compression dpkg-deb writes. */
#pragma once
#include <archive.h>

struct vzt_deb_member {
  struct archive *ar; /* the .deb, positioned at the member */
  char buf[1 << 16];
};

/* A reader of the tar in m->ar's current member. An open that fails shows
 * as an error on the first header, where callers report it. */
struct archive *vzt_deb_member_open(struct vzt_deb_member *m);
