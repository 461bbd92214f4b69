/* Architecture names: each distribution's own spelling and one canonical name. */
#include "config.h"
#include "tmpl/arch.h"

#include <string.h>
#include <sys/utsname.h>

static const struct vzt_arch arches[] = {
    {"x86_64", "amd64", "x86_64", "x86_64", "lib32 lib64 libx32"},
    {"i686", "i386", "i686", "i586", "lib64 libx32"},
    {"aarch64", "arm64", "aarch64", "aarch64", ""},
    {"armv7l", "armhf", "armv7hl", "armv7hl", ""},
    {"ppc64le", "ppc64el", "ppc64le", "ppc64le", "lib64"},
    {"s390x", "s390x", "s390x", "s390x", "lib32"},
    {"riscv64", "riscv64", "riscv64", "riscv64", ""},
};

const struct vzt_arch *vzt_arch_lookup(const char *name)
{
  if (!name)
    return NULL;
  for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++) {
    const struct vzt_arch *a = &arches[i];
    if (!strcmp(name, a->canonical) || !strcmp(name, a->deb) || !strcmp(name, a->rpm) ||
        !strcmp(name, a->urpmi))
      return a;
  }
  /* Older spellings still seen in recipes and uname. */
  if (!strcmp(name, "i386") || !strcmp(name, "i486") || !strcmp(name, "i586"))
    return &arches[1];
  if (!strcmp(name, "armv7hl") || !strcmp(name, "armv8l"))
    return &arches[3];
  return NULL;
}

const struct vzt_arch *vzt_arch_host(void)
{
  struct utsname u;
  if (uname(&u) < 0)
    return NULL;
  return vzt_arch_lookup(u.machine);
}

const char *vzt_arch_known(void)
{
  return "x86_64 (amd64), i686 (i386, i586), aarch64 (arm64), armv7l (armhf, armv7hl), "
         "ppc64le (ppc64el), s390x, riscv64";
}
