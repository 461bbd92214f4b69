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
    {"sbom", vzt_cmd_sbom, "a template's software bill of materials (SPDX)"},
    {"diff", vzt_cmd_diff, "compare two templates' packages (and files)"},
    {"export", vzt_cmd_export, "a template in LXD/Incus, OCI or plain tar form"},
    {"publish", vzt_cmd_publish, "verified templates into a signed static directory"},
    {"download", vzt_cmd_download, "a template from a published directory, verified"},
    {"push", vzt_cmd_push, "a template or OCI layout into an OCI registry"},
    {"pull", vzt_cmd_pull, "a template image from an OCI registry, verified"},
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
          "Options (before or after the command, not after a \"--\"):\n"
          "  -C, --cache-dir DIR    cache directory (default /var/cache/vztmpl as root,\n"
          "                         else $XDG_CACHE_HOME/vztmpl); created where missing\n"
          "      --recipes-dir DIR  where recipes are looked up (also $VZTMPL_RECIPES)\n"
          "  -j, --jobs N           parallel workers (default: number of CPUs)\n"
          "      --timeout SECONDS  abandon a download after SECONDS without a byte and\n"
          "                         retry it or go to the next mirror (default 30)\n"
          "      --ca-file FILE     CA certificates (PEM) https servers may chain to, for\n"
          "                         a private CA (else $CURL_CA_BUNDLE, $SSL_CERT_FILE)\n"
          "  -q, --quiet            only errors\n"
          "  -v, --verbose          more detail, including maintainer script output\n"
          "      --json             machine-readable output on stdout\n"
          "      --no-progress      no progress bars\n"
          "  -h, --help             this help\n"
          "  -V, --version          the version\n\n"
          "Commands:\n");
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].summary);
  fprintf(f, "  help [COMMAND] this summary, or COMMAND --help\n"
             "\n`vztmpl COMMAND --help` describes a command; vztmpl(8) and vztmpl-recipe(5) the rest.\n"
             "Exit status: 0 done, 1 failed, 2 usage, 3 verification refused.\n");
}

static int run_command(struct vzt_ctx *ctx, size_t i, int argc, char **argv)
{
  optind = 0; /* 0, not 1: makes glibc getopt forget the "+" mode of the first parse */
  int status = commands[i].run(ctx, argc, argv);
  free(ctx->default_cache_dir);
  return status;
}

static ssize_t find_command(const char *name)
{
  for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
    if (!strcmp(commands[i].name, name))
      return (ssize_t) i;
  return -1;
}

/* One line and a hint, not the whole usage: the suggestion is what helps. */
static int unknown_command(const char *name)
{
  const char *names[sizeof(commands) / sizeof(commands[0]) + 1];
  size_t n = 0;
  for (; n < sizeof(commands) / sizeof(commands[0]); n++)
    names[n] = commands[n].name;
  names[n++] = "help";
  const char *s = vzt_ctx_suggest(name, names, n);
  if (s)
    fprintf(stderr, "vztmpl: unknown command '%s'; did you mean '%s'?\n", name, s);
  else
    fprintf(stderr, "vztmpl: unknown command '%s'\n", name);
  fprintf(stderr, "Run 'vztmpl --help' for the list of commands.\n");
  return VZT_EXIT_USAGE;
}

int main(int argc, char **argv)
{
  struct vzt_ctx ctx = {.verbosity = VZT_LOG_INFO, .progress = true};
  struct option opts[16];
  size_t n = 0;
  for (const struct option *g = vzt_ctx_global_options; g->name; g++)
    opts[n++] = *g;
  opts[n++] = (struct option){"help", no_argument, NULL, 'h'};
  opts[n++] = (struct option){"version", no_argument, NULL, 'V'};
  opts[n] = (struct option){0};
  int c;
  /* '+': stop at the command name; its own options follow it, and the
   * global ones may too (vzt_ctx_getopt). */
  while ((c = getopt_long(argc, argv, "+" VZT_CTX_GLOBAL_SHORT "hV", opts, NULL)) != -1) {
    switch (c) {
    case 'h': usage(stdout); return 0;
    case 'V': printf("vztmpl %s\n", PACKAGE_VERSION); return 0;
    case '?': {
      /* getopt said what is wrong; a near miss gets its likely meaning. */
      const char *arg = argv[optind - 1];
      if (!strncmp(arg, "--", 2)) {
        char word[64];
        snprintf(word, sizeof(word), "%.*s", (int) strcspn(arg + 2, "="), arg + 2);
        const char *names[16];
        for (size_t k = 0; k < n; k++)
          names[k] = opts[k].name;
        const char *s = vzt_ctx_suggest(word, names, n);
        if (s && strcmp(s, word))
          fprintf(stderr, "vztmpl: did you mean '--%s'?\n", s);
      }
      fprintf(stderr, "Run 'vztmpl --help' for the options.\n");
      return VZT_EXIT_USAGE;
    }
    default:
      if (vzt_ctx_global_option(&ctx, c, optarg) <= 0)
        return VZT_EXIT_USAGE;
    }
  }
  if (optind >= argc) {
    usage(stderr);
    return VZT_EXIT_USAGE;
  }
  vzt_log_setup(ctx.verbosity, ctx.progress);
  const char *name = argv[optind];
  if (!strcmp(name, "help")) {
    /* help VERB: the same text as VERB --help. */
    if (argc - optind == 1) {
      usage(stdout);
      return 0;
    }
    if (argc - optind > 2) {
      fprintf(stderr, "vztmpl help: give one COMMAND at most\n");
      return VZT_EXIT_USAGE;
    }
    ssize_t i = find_command(argv[optind + 1]);
    if (i < 0)
      return unknown_command(argv[optind + 1]);
    char *help_argv[] = {argv[optind + 1], (char *) "--help", NULL};
    return run_command(&ctx, (size_t) i, 2, help_argv);
  }
  ssize_t i = find_command(name);
  if (i < 0)
    return unknown_command(name);
  /* Each command parses its own options from its name on. */
  return run_command(&ctx, (size_t) i, argc - optind, argv + optind);
}
