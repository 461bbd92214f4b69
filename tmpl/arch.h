/* Architecture names: each distribution's own spelling and one canonical name. */
#pragma once
#include <stdbool.h>

struct vzt_arch {
  const char *canonical; /* x86_64, i686, aarch64, armv7l, ppc64le, s390x, riscv64 */
  const char *deb;       /* amd64, i386, arm64, armhf, ppc64el, s390x, riscv64 */
  const char *rpm;       /* x86_64, i686, aarch64, armv7hl, ppc64le, s390x, riscv64 */
  const char *urpmi;     /* x86_64, i586, aarch64, armv7hl, ... */
  const char *deb_lib_links; /* merged-/usr links beyond bin sbin lib, as debootstrap makes them */
};

/* Looks up any spelling (canonical, deb, rpm or urpmi). NULL when unknown. */
const struct vzt_arch *vzt_arch_lookup(const char *name);
/* The architecture of the running host. */
const struct vzt_arch *vzt_arch_host(void);
/* Space-separated list of every known spelling, for error messages. */
const char *vzt_arch_known(void);
