/* What every command gets from the global options. */
#pragma once
#include <stdio.h>
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include "cache/cache.h"
#include "lib/error.h"

struct vzt_ctx {
  const char *cache_dir;    /* -C; NULL = default */
  const char *recipes_dir;  /* --recipes-dir; NULL = default */
  int jobs;                 /* -j; 0 = CPUs */
  const char *ca_file;      /* --ca-file; NULL = $CURL_CA_BUNDLE, $SSL_CERT_FILE or libcurl's store */
  int verbosity;
  bool json;
  bool progress;
  char *default_cache_dir;  /* fixed before a rootless command becomes root of a user namespace */
};

/* Opens the cache (creating it) and takes its shared lock. */
int vzt_ctx_open_cache(const struct vzt_ctx *ctx, struct vzt_cache **cache, struct vzt_error **err);
const char *vzt_ctx_recipes_dir(const struct vzt_ctx *ctx);
/* Root of a user namespace over the caller's subordinate ids when the
 * caller is not root (kernel-support/userns.h); nothing for root. The cache
 * stays the caller's own. Call after option parsing, before any thread. */
int vzt_ctx_become_root(struct vzt_ctx *ctx, bool need_range, struct vzt_error **err);
/* Prints err as "error: ..." and returns its exit code. */
int vzt_ctx_report(struct vzt_error **err);
/* A cached template name or a path to an archive/manifest -> manifest path. */
char *vzt_ctx_manifest_path(struct vzt_cache *cache, const char *template);
/* When template is a name (not a path) the cache does not hold: fills err
 * with what it does hold that starts with or is close to it, returns -1
 * (exit status 1, like any missing file). 0 otherwise. */
int vzt_ctx_check_template(struct vzt_cache *cache, const char *template, struct vzt_error **err);
/* What a verb on one template starts with: the cache opened and the
 * template's manifest path, checked as above; on failure nothing stays open. */
int vzt_ctx_open_template(const struct vzt_ctx *ctx, const char *template, struct vzt_cache **cache, char **manifest,
                          struct vzt_error **err);

/* For verbs whose only option of their own is --help: the global options
 * are taken wherever they stand. Returns -1 to go on with the operands from
 * optind, or the status to exit with (0 after --help, 2 for a bad option). */
int vzt_ctx_help_only(struct vzt_ctx *ctx, int argc, char **argv, void (*usage)(FILE *f));

/* The options every command accepts, before or after its name. */
extern const struct option vzt_ctx_global_options[];
#define VZT_CTX_GLOBAL_SHORT "C:j:qv"
/* Applies global option c (a short letter or a vzt_ctx_global_options
 * value) to ctx: 1 when it was one, 0 when not, -1 after printing why its
 * argument is wrong (a usage error). */
int vzt_ctx_global_option(struct vzt_ctx *ctx, int c, const char *arg);
/* getopt_long over a command's own options and the global ones, which it
 * applies as they come (the command's own meaning wins where both name one).
 * Returns the command's options like getopt_long, -1 at the end (or at
 * "--"), '?' after printing a usage error with a suggestion for a mistyped
 * long option; the command then exits VZT_EXIT_USAGE. Set optind = 0 first. */
int vzt_ctx_getopt(struct vzt_ctx *ctx, int argc, char **argv, const char *shortopts,
                   const struct option *longopts);
/* The candidate closest to word: one it starts with or one within two
 * edits (insert, delete, change, swap); NULL when none is. */
const char *vzt_ctx_suggest(const char *word, const char *const *candidates, size_t n);
