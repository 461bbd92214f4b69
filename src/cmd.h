/* One function per command, each in src/cmd-<verb>.c; main.c dispatches. */
#pragma once
#include "tmpl/export/export.h"
#include "src/context.h"

int vzt_cmd_build(struct vzt_ctx *ctx, int argc, char **argv);
int vzt_cmd_fetch(struct vzt_ctx *ctx, int argc, char **argv);
int vzt_cmd_list(struct vzt_ctx *ctx, int argc, char **argv);
int vzt_cmd_info(struct vzt_ctx *ctx, int argc, char **argv);
int vzt_cmd_sbom(struct vzt_ctx *ctx, int argc, char **argv);
int vzt_cmd_verify(struct vzt_ctx *ctx, int argc, char **argv);
int vzt_cmd_export(struct vzt_ctx *ctx, int argc, char **argv);
/* The writer of an export format ("oci", "lxd"...), NULL when there is none: push uses oci. */
vzt_export_fn *vzt_export_format_find(const char *name);
int vzt_cmd_diff(struct vzt_ctx *ctx, int argc, char **argv);
int vzt_cmd_cache(struct vzt_ctx *ctx, int argc, char **argv);
int vzt_cmd_deploy(struct vzt_ctx *ctx, int argc, char **argv);
int vzt_cmd_exec(struct vzt_ctx *ctx, int argc, char **argv);
int vzt_cmd_publish(struct vzt_ctx *ctx, int argc, char **argv);
int vzt_cmd_download(struct vzt_ctx *ctx, int argc, char **argv);
int vzt_cmd_push(struct vzt_ctx *ctx, int argc, char **argv);
int vzt_cmd_pull(struct vzt_ctx *ctx, int argc, char **argv);
int vzt_cmd_check_kernel(struct vzt_ctx *ctx, int argc, char **argv);
int vzt_cmd_update(struct vzt_ctx *ctx, int argc, char **argv);

