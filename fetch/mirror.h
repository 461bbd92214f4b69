/* Mirror discovery: the Debian mirrors the host's apt sources already use. */
#pragma once
#include "lib/error.h"

enum vzt_mirror_kind {
  VZT_MIRROR_MAIN,     /* the archive: <codename>, <codename>-updates */
  VZT_MIRROR_SECURITY, /* the security archive: <codename>-security */
};

/* Reads apt_dir/sources.list and apt_dir/sources.list.d/{*.list,*.sources}
 * (one-line and deb822 formats; disabled entries and deb-src skipped) and
 * returns the URIs of Debian sources of that kind, in file order, without
 * duplicates. apt_dir NULL means $VZTMPL_APT_DIR or /etc/apt. None found is
 * an error that says how to give a mirror. */
int vzt_mirror_discover(const char *apt_dir, enum vzt_mirror_kind kind, char ***uris,
                        struct vzt_error **err);
