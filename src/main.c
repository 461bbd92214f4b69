/* vztmpl: global options and the command table. */
#include "config.h"
#include "src/cmd.h"
#include "fetch/fetch.h"
#include "lib/log.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
  const char *name;
  int (*run)(struct vzt_ctx *ctx, int argc, char **argv);
  const char *summary;
} commands[] = {
    {"build", vzt_cmd_build, "build a template from a recipe"},
    {"fetch", vzt_cmd_fetch, "resolve and download a recipe's packages only"},
    {"list", vzt_cmd_list, "list recipes or cached templates"},
    {"info", vzt_cmd_info, "show a template's manifest"},
    {"update", vzt_cmd_update, "rebuild a cached template if its mirror moved on"},
    {"verify", vzt_cmd_verify, "check a template against its manifest"},
    {"diff", vzt_cmd_diff, "compare two templates' packages (and files)"},
    {"publish", vzt_cmd_publish, "verified templates into a signed static directory"},
    {"download", vzt_cmd_download, "a template from a published directory, verified"},
    {"cache", vzt_cmd_cache, "cache sizes, garbage collection, clean-up"},
    {"deploy", vzt_cmd_deploy, "turn a template into a container root"},
    {"exec", vzt_cmd_exec, "run a command in a container root, under limits"},
    {"check-kernel", vzt_cmd_check_kernel, "what this kernel offers containers"},
};

static void usage(FILE *f)
{
  fprintf(f,
          "Usage: vztmpl [OPTIONS] COMMAND [ARGS]\n"
          "Build, verify and cache OS templates for system containers.\n\n"
          "Options:\n"
          "  -C, --cache-dir DIR    cache directory (default /var/cache/vztmpl as root,\n"
          "                         else $XDG_CACHE_HOME/vztmpl); created where missing\n"
          "      --recipes-dir DIR  where recipes are looked up (also $VZTMPL_RECIPES)\n"
          "  -j, --jobs N           parallel workers (default: number of CPUs)\n"
          "      --timeout SECONDS  abandon a download after SECONDS without a byte and\n"
          "                         retry it or go to the next mirror (default 30)\n"
          "  -q, --quiet            only errors\n"
          "  -v, --verbose          more detail, including maintainer script output\n"
          "      --json             machine-readable output on stdout\n"
          "      --no-progress      no progress bars\n"
          "  -h, --help             this help\n"
          "  -V, --version          the version\n\n"
          "Commands:\n");
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "\n`vztmpl COMMAND --help` describes a command; vztmpl(8) and vztmpl-recipe(5) the rest.\n"
             "Exit status: 0 done, 1 failed, 2 usage, 3 verification refused.\n");
}

int main(int argc, char **argv)
{
  struct vzt_ctx ctx = {.verbosity = VZT_LOG_INFO, .progress = true};
  enum { OPT_RECIPES = 256, OPT_JSON, OPT_NO_PROGRESS, OPT_TIMEOUT };
  long timeout = 0;
  static const struct option opts[] = {
      {"cache-dir", required_argument, NULL, 'C'},
      {"recipes-dir", required_argument, NULL, OPT_RECIPES},
      {"jobs", required_argument, NULL, 'j'},
      {"timeout", required_argument, NULL, OPT_TIMEOUT},
      {"quiet", no_argument, NULL, 'q'},
      {"verbose", no_argument, NULL, 'v'},
      {"json", no_argument, NULL, OPT_JSON},
      {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},
      {0},
  };
  int c;
  /* '+': stop at the command name; its own options follow it. */
  while ((c = getopt_long(argc, argv, "+C:j:qvhV", opts, NULL)) != -1) {
    switch (c) {
    case 'C': ctx.cache_dir = optarg; break;
    case OPT_RECIPES: ctx.recipes_dir = optarg; break;
    case 'j':
      ctx.jobs = atoi(optarg);
      if (ctx.jobs < 1 || ctx.jobs > 256) {
        fprintf(stderr, "vztmpl: -j wants a number from 1 to 256\n");
        return VZT_EXIT_USAGE;
      }
      break;
    case OPT_TIMEOUT: {
      char *end;
      timeout = strtol(optarg, &end, 10);
      if (*end || end == optarg || timeout < 1 || timeout > 3600) {
        fprintf(stderr, "vztmpl: --timeout wants seconds from 1 to 3600\n");
        return VZT_EXIT_USAGE;
      }
      break;
    }
    case 'q': ctx.verbosity = VZT_LOG_ERROR; break;
    case 'v': ctx.verbosity = VZT_LOG_DEBUG; break;
    case OPT_JSON: ctx.json = true; break;
    case OPT_NO_PROGRESS: ctx.progress = false; break;
    case 'h': usage(stdout); return 0;
    case 'V': printf("vztmpl %s\n", PACKAGE_VERSION); return 0;
    default: usage(stderr); return VZT_EXIT_USAGE;
    }
  }
  if (optind >= argc) {
    usage(stderr);
    return VZT_EXIT_USAGE;
  }
  vzt_log_setup(ctx.verbosity, ctx.progress);
  vzt_fetch_global_init();
  vzt_fetch_set_timeout(timeout);
  const char *name = argv[optind];
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    if (!strcmp(commands[i].name, name)) {
      optind++;
      /* Each command parses its own options from its name on. */
      int sub_argc = argc - optind + 1;
      char **sub_argv = argv + optind - 1;
      optind = 0; /* 0, not 1: makes glibc getopt forget the "+" mode of the first parse */
      int status = commands[i].run(&ctx, sub_argc, sub_argv);
      free(ctx.default_cache_dir);
      return status;
    }
  fprintf(stderr, "vztmpl: unknown command \"%s\"\n\n", name);
  usage(stderr);
  return VZT_EXIT_USAGE;
}
