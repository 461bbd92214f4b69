/* vztmpl exec ROOT -- CMD: a command in a container root, under namespaces and beancounters. */
#include "config.h"
#include "src/cmd.h"
#include "kernel-support/beancounter.h"
#include "kernel-support/binfmt.h"
#include "kernel-support/sandbox.h"
#include "kernel-support/userns.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "tmpl/arch.h"
#include "lib/json-out.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f)
{
  fprintf(f, "Usage: vztmpl exec ROOT [OPTIONS] -- CMD [ARG]..\n"
             "Runs CMD in ROOT in new mount, pid, uts, ipc, cgroup and network namespaces,\n"
             "with /proc, a minimal /dev and read-only /sys; exits with CMD's status.\n"
             "On a terminal, CMD gets a terminal of its own, relayed to this one.\n\n"
             "  -l, --limit NAME=VALUE  a beancounter (repeat): numproc (tasks), physpages and\n"
             "                          swappages (bytes, K/M/G suffixes), numfile (open files),\n"
             "                          cpulimit (percent of a CPU), cpuunits (weight, 1000 default),\n"
             "                          kmemsize (bytes: v1 only), ioweight (1-10000, 100 default)\n"
             "      --net none|host     no network but lo (default), or the host's\n"
             "      --hostname H        the container's host name (default: localhost)\n"
             "      --arch ARCH         ROOT's architecture (any spelling: arm64, aarch64, ...):\n"
             "                          a foreign one runs through a qemu-user binfmt_misc\n"
             "                          handler, registered first where it is missing\n"
             "  -v, --verbose           report the beancounters on stderr afterwards\n"
             "                          (also with the global -v; --json prints them on stdout)\n"
             "  -h, --help              this help\n");
}

static int attach_to_group(pid_t pid, void *arg, struct vzt_error **err)
{
  return arg ? vzt_bc_group_attach(arg, pid, err) : 0;
}

static void print_json(int status, const struct vzt_bc_row rows[VZT_BC_NRES])
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "exit_status", json_object_new_int(status));
  json_object *a = json_object_new_array();
  for (int i = 0; i < VZT_BC_NRES; i++) {
    const struct vzt_bc_row *r = &rows[i];
    json_object *ro = json_object_new_object();
#define NUM(v, known) ((known) && (v) != VZT_BC_UNLIMITED ? json_object_new_int64((int64_t) (v)) : NULL)
    json_object_object_add(ro, "resource", json_object_new_string(vzt_bc_name(r->res)));
    json_object_object_add(ro, "unit", json_object_new_string(r->unit));
    json_object_object_add(ro, "accounted", json_object_new_boolean(r->accounted));
    json_object_object_add(ro, "held", NUM(r->held, r->accounted));
    json_object_object_add(ro, "maxheld", NUM(r->maxheld, r->accounted));
    json_object_object_add(ro, "barrier", NUM(r->barrier, true));
    json_object_object_add(ro, "limit", NUM(r->limit, true));
    json_object_object_add(ro, "failcnt", NUM(r->failcnt, true));
#undef NUM
    json_object_array_add(a, ro);
  }
  json_object_object_add(o, "beancounters", a);
  vzt_json_print_put(o);
}

int vzt_cmd_exec(struct vzt_ctx *ctx, int argc, char **argv)
{
  enum { OPT_NET = 256, OPT_HOSTNAME, OPT_ARCH };
  static const struct option opts[] = {
      {"limit", required_argument, NULL, 'l'},
      {"net", required_argument, NULL, OPT_NET},
      {"hostname", required_argument, NULL, OPT_HOSTNAME},
      {"arch", required_argument, NULL, OPT_ARCH},
      {"verbose", no_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},
      {0},
  };
  struct vzt_bc_limits limits;
  vzt_bc_limits_init(&limits);
  struct vzt_error *err = NULL;
  bool network = false, report = ctx->verbosity >= VZT_LOG_DEBUG;
  const char *hostname = NULL;
  const struct vzt_arch *arch = NULL;
  int c;
  while ((c = vzt_ctx_getopt(ctx, argc, argv, "l:vh", opts)) != -1) {
    switch (c) {
    case 'l':
      if (vzt_bc_limits_parse(&limits, optarg, &err) < 0)
        return vzt_ctx_report(&err);
      break;
    case OPT_NET:
      if (strcmp(optarg, "none") && strcmp(optarg, "host")) {
        fprintf(stderr, "vztmpl exec: --net is none or host, not \"%s\"\n", optarg);
        return VZT_EXIT_USAGE;
      }
      network = !strcmp(optarg, "host");
      break;
    case OPT_HOSTNAME:
      if (!*optarg || strlen(optarg) > 64) {
        fprintf(stderr, "vztmpl exec: --hostname wants 1 to 64 characters\n");
        return VZT_EXIT_USAGE;
      }
      hostname = optarg;
      break;
    case OPT_ARCH:
      arch = vzt_arch_lookup(optarg);
      if (!arch) {
        fprintf(stderr, "vztmpl exec: unknown architecture \"%s\" (known: %s)\n", optarg, vzt_arch_known());
        return VZT_EXIT_USAGE;
      }
      break;
    case 'v': report = true; break;
    case 'h': usage(stdout); return 0;
    default: return VZT_EXIT_USAGE;
    }
  }
  report |= ctx->verbosity >= VZT_LOG_DEBUG; /* -v may follow the command */
  if (argc - optind < 2) {
    fprintf(stderr, "vztmpl exec: give a ROOT and a command after --\n\n");
    usage(stderr);
    return VZT_EXIT_USAGE;
  }
  const char *root = argv[optind];
  /* A foreign root's programs need their interpreter registered before
   * the sandbox starts (F flag: opened now, usable after pivot_root). */
  if (arch) {
    const char *how = NULL;
    if (vzt_binfmt_ensure(arch->canonical, &how, &err) < 0)
      return vzt_ctx_report(&err);
    if (strcmp(how, "native"))
      vzt_debug("running %s programs through binfmt_misc handler %s", arch->canonical, how);
  }
  /* An ordinary user runs as root of a user namespace; a root deployed by
   * that user (its owners in the subordinate range) is theirs there. */
  if (vzt_ctx_become_root(ctx, false, &err) < 0)
    return vzt_ctx_report(&err);
  struct stat st;
  if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
    vzt_fail(&err, "%s is not a directory: deploy a template there first (vztmpl deploy TEMPLATE %s)",
             root, root);
    return vzt_ctx_report(&err);
  }

  /* A per-run group in every hierarchy we use, also without limits: the
   * report needs its counters. Without limits a host that refuses us one
   * only costs the report. */
  bool limited = false;
  for (int i = 0; i < VZT_BC_NRES; i++)
    if (vzt_bc_uses_cgroup((enum vzt_bc_resource) i) && limits.value[i] != VZT_BC_UNLIMITED)
      limited = true;
  struct vzt_bc_group *group = NULL;
  char name[64];
  snprintf(name, sizeof(name), "vztmpl-%d", (int) getpid());
  if (vzt_bc_group_create(&limits, name, NULL, NULL, &group, &err) < 0) {
    if (limited && vzt_userns_active()) {
      _cleanup_free_ char *text = vzt_error_text(err);
      vzt_error_free(&err);
      vzt_fail(&err, "--limit needs a cgroup of its own, and the host's cgroups are not delegated "
                     "to uid %u (%s): run the limited command as root",
               (unsigned) vzt_userns_host_uid(), text);
    }
    if (limited)
      return vzt_ctx_report(&err);
    _cleanup_free_ char *text = vzt_error_text(err);
    vzt_debug("no cgroup for the run, so no beancounter report: %s", text);
    vzt_error_free(&err);
  } else if (report) {
    _cleanup_free_ char *where = vzt_bc_group_describe(group);
    vzt_debug("%s", where);
  }

  struct vzt_sandbox_rlimit rl[VZT_BC_NRES];
  const char *term = getenv("TERM");
  _cleanup_free_ char *term_env = vzt_strdupf("TERM=%s", term ? term : "dumb");
  char *env[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
                 term_env, "container=vztmpl", NULL};
  struct vzt_sandbox_opts so = {
      .root = root,
      .argv = argv + optind + 1,
      .envp = env,
      .hostname = hostname,
      .network = network,
      .stdout_fd = -1,
      .stderr_fd = -1,
      .attach = group ? attach_to_group : NULL,
      .attach_arg = group,
      .rlimits = rl,
      .nrlimits = vzt_bc_rlimits(&limits, rl),
      .cgroup_ns = true,
      .forward_signals = true,
      /* On a terminal the command gets its own, so it never holds ours. */
      .tty = isatty(STDIN_FILENO),
  };
  int status = 0;
  if (vzt_sandbox_run(&so, &status, &err) < 0) {
    vzt_bc_group_destroy(group);
    vzt_error_prefix(&err, "exec in %s", root);
    return vzt_ctx_report(&err);
  }
  fflush(stdout);
  struct vzt_bc_row rows[VZT_BC_NRES];
  vzt_bc_group_read(group, &limits, rows);
  vzt_bc_group_destroy(group);
  if (ctx->json)
    print_json(status, rows);
  else if (report) {
    _cleanup_free_ char *table = vzt_bc_format_table(rows);
    fprintf(stderr, "%s\n", table);
  }
  return status;
}
