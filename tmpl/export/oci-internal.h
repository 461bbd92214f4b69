/* What the OCI writer's files share: the image's pieces and the JSON documents made from them. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "lib/error.h"
#include "tmpl/manifest.h"

#define VZT_OCI_MEDIA_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define VZT_OCI_MEDIA_INDEX "application/vnd.oci.image.index.v1+json"
#define VZT_OCI_MEDIA_CONFIG "application/vnd.oci.image.config.v1+json"
#define VZT_OCI_MEDIA_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define VZT_OCI_MEDIA_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
/* The vztmpl manifest carried in the layout, so a later reader can check the template. */
#define VZT_OCI_MEDIA_VZTMPL "application/vnd.vztmpl.manifest.v1+json"
#define VZT_OCI_ANNOT_VZTMPL "org.vztmpl.manifest.digest"

/* "sha256:" and 64 hex digits. */
#define VZT_OCI_DIGEST_MAX 72

/* A blob of the layout, as a descriptor names it. */
struct vzt_oci_blob {
  char digest[VZT_OCI_DIGEST_MAX];
  uint64_t size;
};

/* An image's platform in the Go spelling OCI uses (GOARCH, and a variant for arm). */
struct vzt_oci_platform {
  const char *architecture;
  const char *variant; /* NULL but for 32-bit arm */
};

/* One template's image: what its manifest, config and index entry are made of. */
struct vzt_oci_image {
  const struct vzt_manifest *m;
  struct vzt_oci_platform platform;
  bool gzip;                        /* the layer is gzip, else the archive's own zstd */
  struct vzt_oci_blob layer;
  char diff_id[VZT_OCI_DIGEST_MAX]; /* sha256 of the uncompressed tar */
  struct vzt_oci_blob vztmpl;       /* the template's .json as it is */
  struct vzt_oci_blob config;
  struct vzt_oci_blob manifest;
};

/* The platform of a canonical architecture name (x86_64 -> amd64); -1 when OCI has no name for it. */
int vzt_oci_platform_of(const char *arch, struct vzt_oci_platform *p);
/* Whether two templates are builds of one recipe (distribution, release,
 * variant), the only ones one image index holds. */
bool vzt_oci_same_recipe(const struct vzt_manifest *a, const struct vzt_manifest *b);
/* RFC 3339 in UTC, as OCI's created fields want it; out holds 21 bytes. */
void vzt_oci_time(time_t t, char out[32]);
/* The canonical (sorted keys, no spaces) JSON documents; the caller frees them. */
char *vzt_oci_config_json(const struct vzt_oci_image *img);
char *vzt_oci_manifest_json(const struct vzt_oci_image *img);
/* The platforms' image index: a manifest per template, each with its platform. */
char *vzt_oci_platforms_json(const struct vzt_oci_image *imgs, size_t n);
/* The layout's index.json. One template: its manifest, tagged, with its
 * platform. Several: each manifest with its platform and a tag of its own
 * (vzt_oci_platform_tag), then the platforms' index (the blob `platforms`)
 * under the tag, so that a reader given the tag picks its own platform
 * and every tag names one thing. */
char *vzt_oci_index_json(const struct vzt_oci_image *imgs, size_t n, const char *tag,
                         const struct vzt_oci_blob *platforms);
char *vzt_oci_platform_tag(const char *tag, const struct vzt_oci_platform *p);
#define VZT_OCI_LAYOUT_JSON "{\"imageLayoutVersion\":\"1.0.0\"}"

/* Makes the layout's blobs/sha256 directory under dirfd. */
int vzt_oci_layout_init(int dirfd, struct vzt_error **err);
/* Stores data as a blob under dirfd and fills b. */
int vzt_oci_put_blob(int dirfd, const char *data, size_t len, struct vzt_oci_blob *b, struct vzt_error **err);
/* Stores the template archive at path as img's layer in one read: its bytes
 * as they are (zstd), or recompressed as gzip when img->gzip; fills
 * img->layer and img->diff_id. Refuses an archive whose sha256 is not
 * expect_sha256 (it changed since it was verified). */
int vzt_oci_put_layer(int dirfd, const char *path, const char *expect_sha256, struct vzt_oci_image *img,
                      struct vzt_error **err);
/* Refuses a layer (shown: the template archive it came from) whose entry names an OCI reader would take for something
 * else: whiteouts (.wh.*), absolute paths, "..". */
int vzt_oci_check_layer(const char *layout, const struct vzt_oci_blob *layer, const char *shown,
                        struct vzt_error **err);
/* Writes the layout under dirfd as a tar to fd: sorted entries, owner 0, the given mtime. */
int vzt_oci_layout_tar(int dirfd, int fd, time_t mtime, struct vzt_error **err);
