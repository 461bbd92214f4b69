/* Parsing of the options push and pull share for reaching an OCI registry. */
#include "config.h"
#include "src/registry-options.h"

int vzt_regopt_getopt(struct vzt_ctx *ctx, int argc, char **argv, const struct option *opts,
                      struct vzt_reg_opts *ro)
{
  for (;;) {
    int c = vzt_ctx_getopt(ctx, argc, argv, "h", opts);
    switch (c) {
    case VZT_REGOPT_PLAIN: ro->plain_http = true; break;
    case VZT_REGOPT_CA: ro->ca_file = optarg; break;
    default: return c;
    }
  }
}
