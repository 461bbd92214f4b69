/* Publishing templates as a static directory any web server can serve:
 * archives and manifests, a signed SHA256SUMS, index.json, Proxmox's
 * aplinfo.dat and LXC's image-server layout. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "lib/error.h"
#include "tmpl/manifest.h"
#include "tmpl/pack.h"

/* Layout under DIR (paths in index.json and SHA256SUMS are relative to it):
 *   index.json, SHA256SUMS, SHA256SUMS.gpg
 *   templates/<name>/<build>/<name>.tar.zst, <name>.json
 *   templates/<name>/last-good -> <build>
 *   aplinfo.dat, aplinfo.dat.gz, aplinfo.dat.asc       (pveam)
 *   meta/1.0/index-system, index-user                   (lxc-create -t download)
 *   images/<dist>/<release>/<arch>/<variant>/<build>/rootfs.tar.xz, meta.tar.xz
 *                                     and lxd.tar.zst (LXD/Incus unified image)
 *   streams/v1/index.json, images.json                  (lxc remote add --protocol simplestreams)
 */
#define VZT_PUBLISH_KEEP_DEFAULT 3

/* How the published <name>.tar.zst is compressed. HIGH recompresses the
 * template's tar (zstd level 19, long-distance matching, 128 MiB window:
 * about a quarter smaller than the cache's fast archive, at most the size of
 * `zstd -19 --long`, reproducibly) and publishes a manifest naming those
 * bytes; FAST publishes the cached archive and manifest as they are. */
enum vzt_publish_compression { VZT_PUBLISH_HIGH, VZT_PUBLISH_FAST };

struct vzt_publish_opts {
  const char *dir;
  char **manifests;        /* the templates to add, as manifest paths (NULL-terminated) */
  const char *sign_key;    /* key id or fingerprint; NULL: no SHA256SUMS.gpg */
  const char *gpg_homedir; /* NULL: $GNUPGHOME */
  int keep;                /* builds kept per template name; >= 1 */
  int threads;             /* for xz; 0 = CPUs */
  const char *base_url;    /* where DIR is served: aplinfo's Infopage is absolute (remembered in index.json) */
  const char *maintainer;  /* "Name <mail>" for aplinfo (remembered); NULL: the signing key's user id */
  enum vzt_publish_compression compression;
};

struct vzt_publish_result {
  size_t added;     /* new builds */
  size_t unchanged; /* given again, already published */
  size_t removed;   /* builds dropped by --keep */
  size_t templates; /* template names in the index */
  char *fingerprint; /* of the signing key, when signed */
};

/* Verifies every given template (vzt_verify_template) first and refuses
 * (VZT_EXIT_REFUSED) before changing anything when one fails; then adds the
 * new builds, moves each template's last-good to the build just verified,
 * drops builds beyond keep, and rewrites the indices, each to a temporary
 * name then renamed, the signature last. */
int vzt_publish(const struct vzt_publish_opts *o, struct vzt_publish_result *r, struct vzt_error **err);
void vzt_publish_result_clear(struct vzt_publish_result *r);

/* 0 when url is an http(s) URL without blanks or control characters, for
 * --base-url; 0 when s is "Name <user@host>" on one line, for --maintainer. */
int vzt_publish_check_base_url(const char *url);
int vzt_publish_check_maintainer(const char *s);

/* "<YYYYmmdd>-<HHMMSS>-<12 hex of the archive's sha256>": the build's
 * SOURCE_DATE_EPOCH in UTC and its content, so the same bytes are the same
 * build and the ids sort by date. */
char *vzt_publish_build_id(time_t epoch, const char *sha256);

/* Writes the template archive src (any compression) to out_fd as one zstd
 * frame of the same tar at the high setting above, always on two worker
 * threads: the bytes depend only on the tar and the libzstd version, not on
 * the machine. src_sha256 receives the hash of src as it was read (hex, 65
 * bytes), res the output's sha256 and size and the tar's size. */
int vzt_publish_compress_high(const char *src, int out_fd, char *src_sha256, struct vzt_pack_result *res,
                              struct vzt_error **err);

/* The records for other tools, from one template build (tmpl/publish/formats.c). */
struct vzt_publish_entry {
  const char *name, *build, *distribution, *release, *codename, *variant;
  const char *architecture;      /* canonical */
  const char *deb_architecture;  /* LXC's name: amd64, arm64 */
  const char *archive;           /* path under DIR */
  const char *sha256;
  uint64_t size;
  const char *md5, *sha512;      /* of the archive, for aplinfo */
  const char *pve_archive;       /* the archive under Proxmox's name (NULL: archive) */
  const char *image;             /* a golden image's own name ("acme-web"); NULL for a plain template */
  const char *base_url;          /* NULL: unknown, aplinfo has no Infopage */
  const char *maintainer;        /* NULL: aplinfo has no Maintainer */
  time_t epoch;
};
/* A golden image's own name: the template name less its architecture, when
 * that is not the distribution's plain name; NULL for a plain template. */
char *vzt_publish_image_name(const char *name, const char *distribution, const char *release,
                             const char *architecture, const char *variant);
/* "<os>-<release>-<variant>_<version>-1_<arch>.tar.zst" as Proxmox names its
 * own templates (a golden image: "<image>_<version>-1_<arch>.tar.zst"); the
 * version is the build's date and hash, so every build has its own name. */
char *vzt_publish_pve_name(const struct vzt_publish_entry *e);
/* One aplinfo.dat stanza (Description last: pveam reads it to the end). */
char *vzt_publish_aplinfo_stanza(const struct vzt_publish_entry *e);
/* "dist;release;arch;variant;build;/images/.../" as lxc-download reads it. */
char *vzt_publish_lxc_line(const struct vzt_publish_entry *e);
/* images/<dist>/<release>/<arch>/<variant>/<build> */
char *vzt_publish_lxc_dir(const struct vzt_publish_entry *e);
/* Both below write dest relative to dirfd (or AT_FDCWD).
 * meta.tar.xz for lxc-download: config, config-user, templates,
 * excludes-user, create-message, expiry; reproducible (mtimes = epoch). */
int vzt_publish_lxc_meta(const struct vzt_publish_entry *e, int dirfd, const char *dest, struct vzt_error **err);
/* rootfs.tar.xz for lxc-download: the template's entries in their order,
 * but /etc/hostname and /etc/hosts naming LXC_NAME, which lxc-create
 * replaces with the container's name (meta's "templates" lists them).
 * Reproducible: xz preset LEVEL (6 to publish, 0 when speed matters more)
 * from liblzma's multi-threaded encoder. */
int vzt_publish_lxc_rootfs(const char *src, int dirfd, const char *dest, int threads, int level, char *sha256,
                           uint64_t *size, struct vzt_error **err);
/* A buffer gzip-compressed reproducibly (no name, no mtime). */
int vzt_publish_gzip(const void *data, size_t len, char **out, size_t *outlen, struct vzt_error **err);
