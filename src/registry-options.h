/* The options push and pull share for reaching an OCI registry, parsed in one place. */
#pragma once
#include <getopt.h>
#include "src/context.h"
#include "fetch/registry/registry.h"

/* The shared options' values; a command numbers its own from VZT_REGOPT_OWN. */
enum { VZT_REGOPT_PLAIN = 256, VZT_REGOPT_CA, VZT_REGOPT_OWN };

/* The first entries of such a command's option table (with --help). */
#define VZT_REGOPT_OPTIONS                                                                                   \
  {"plain-http", no_argument, NULL, VZT_REGOPT_PLAIN}, {"ca-file", required_argument, NULL, VZT_REGOPT_CA}, \
      {"help", no_argument, NULL, 'h'}

/* Their lines in the command's --help. */
#define VZT_REGOPT_HELP                                                                    \
  "      --plain-http       http:// instead of https:// (a registry on this machine only)\n" \
  "      --ca-file FILE     trust the CA certificates in FILE for the registry\n"

/* vzt_ctx_getopt over opts (short options: -h), the shared options put into ro:
 * returns the command's own options, 'h', '?' and -1 as it does. */
int vzt_regopt_getopt(struct vzt_ctx *ctx, int argc, char **argv, const struct option *opts,
                      struct vzt_reg_opts *ro);
