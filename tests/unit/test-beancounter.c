/* Unit tests for kernel-support/beancounter.c: limit parsing, and the v1
 * and v2 cgroup paths against fake hierarchies (plus the real one as root). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel-support/beancounter.h"
#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"
#include "tests/unit/unit.h"

static char tmp[64];

static void make_tmp(void)
{
  snprintf(tmp, sizeof(tmp), "/tmp/vzt-test-bc-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void remove_tmp(void)
{
  struct vzt_error *err = NULL;
  vzt_rm_rf(tmp, &err);
  vzt_error_free(&err);
}

static void put(const char *rel, const char *content)
{
  _cleanup_free_ char *p = vzt_path_join(tmp, rel);
  _cleanup_free_ char *dir = vzt_strndup(p, (size_t) (strrchr(p, '/') - p));
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_mkdir_p(dir, 0755, &err), 0);
  FILE *f = fopen(p, "we");
  ck_assert_ptr_nonnull(f);
  fputs(content, f);
  fclose(f);
}

static char *get(const char *rel)
{
  _cleanup_free_ char *p = vzt_path_join(tmp, rel);
  char *data = NULL;
  struct vzt_error *err = NULL;
  if (vzt_read_file(p, &data, NULL, &err) < 0) {
    _cleanup_free_ char *m = vzt_error_text(err);
    vzt_error_free(&err);
    ck_abort_msg("%s", m);
  }
  return vzt_strstrip(data);
}

#define ck_file_eq(rel, want)                                                                      \
  do {                                                                                             \
    _cleanup_free_ char *got_ = get(rel);                                                          \
    ck_assert_str_eq(got_, want);                                                                  \
  } while (0)

static void parse_ok(struct vzt_bc_limits *l, const char *spec)
{
  struct vzt_error *err = NULL;
  if (vzt_bc_limits_parse(l, spec, &err) < 0) {
    _cleanup_free_ char *m = vzt_error_text(err);
    vzt_error_free(&err);
    ck_abort_msg("%s: %s", spec, m);
  }
}

START_TEST(parse_names_and_suffixes)
{
  struct vzt_bc_limits l;
  vzt_bc_limits_init(&l);
  for (int i = 0; i < VZT_BC_NRES; i++)
    ck_assert_uint_eq(l.value[i], VZT_BC_UNLIMITED);
  parse_ok(&l, "numproc=32");
  parse_ok(&l, "physpages=64M");
  parse_ok(&l, "swappages=1g");
  parse_ok(&l, "numfile=1024");
  parse_ok(&l, "cpulimit=50%");
  parse_ok(&l, "cpuunits=2000");
  ck_assert_uint_eq(l.value[VZT_BC_NUMPROC], 32);
  ck_assert_uint_eq(l.value[VZT_BC_PHYSPAGES], 64ULL << 20);
  ck_assert_uint_eq(l.value[VZT_BC_SWAPPAGES], 1ULL << 30);
  ck_assert_uint_eq(l.value[VZT_BC_NUMFILE], 1024);
  ck_assert_uint_eq(l.value[VZT_BC_CPULIMIT], 50);
  ck_assert_uint_eq(l.value[VZT_BC_CPUUNITS], 2000);
  parse_ok(&l, "numproc=unlimited");
  ck_assert_uint_eq(l.value[VZT_BC_NUMPROC], VZT_BC_UNLIMITED);
  ck_assert_str_eq(vzt_bc_name(VZT_BC_PHYSPAGES), "physpages");
  ck_assert(!vzt_bc_uses_cgroup(VZT_BC_NUMFILE));
  ck_assert(vzt_bc_uses_cgroup(VZT_BC_NUMPROC));

  struct vzt_sandbox_rlimit rl[VZT_BC_NRES];
  ck_assert_uint_eq(vzt_bc_rlimits(&l, rl), 1);
  ck_assert_int_eq(rl[0].resource, RLIMIT_NOFILE);
  ck_assert_uint_eq(rl[0].soft, 1024);
  ck_assert_uint_eq(rl[0].hard, 1024);
}
END_TEST

START_TEST(parse_refusals_are_usage_errors)
{
  static const char *const bad[] = {"numproc",      "kmemsize=1",  "numproc=",      "numproc=abc",
                                    "physpages=12X", "numproc=0",  "cpuunits=1",    "physpages=100",
                                    "cpulimit=0",   "numfile=-1",  "swappages=99999999999T"};
  for (size_t i = 0; i < VZT_ARRAY_SIZE(bad); i++) {
    struct vzt_bc_limits l;
    vzt_bc_limits_init(&l);
    struct vzt_error *err = NULL;
    ck_assert_msg(vzt_bc_limits_parse(&l, bad[i], &err) == -1, "%s accepted", bad[i]);
    ck_assert_int_eq(err->status, VZT_EXIT_USAGE);
    ck_assert_msg(strstr(err->msg, bad[i]) != NULL, "%s: message does not name it: %s", bad[i], err->msg);
    vzt_error_free(&err);
  }
}
END_TEST

static void all_limits(struct vzt_bc_limits *l)
{
  vzt_bc_limits_init(l);
  parse_ok(l, "numproc=32");
  parse_ok(l, "physpages=64M");
  parse_ok(l, "swappages=16M");
  parse_ok(l, "cpulimit=50");
  parse_ok(l, "cpuunits=2000");
}

static struct vzt_bc_group *create(const struct vzt_bc_limits *l)
{
  _cleanup_free_ char *mi = vzt_path_join(tmp, "mountinfo");
  _cleanup_free_ char *self = vzt_path_join(tmp, "self-cgroup");
  struct vzt_bc_group *g = NULL;
  struct vzt_error *err = NULL;
  if (vzt_bc_group_create(l, "vzt-test", mi, self, &g, &err) < 0) {
    _cleanup_free_ char *m = vzt_error_text(err);
    vzt_error_free(&err);
    ck_abort_msg("%s", m);
  }
  return g;
}

/* Nothing of ours may be killed when the fake group is destroyed. */
static void destroy(struct vzt_bc_group *g, const char *const *procs)
{
  for (const char *const *p = procs; *p; p++)
    put(*p, "");
  vzt_bc_group_destroy(g);
}

START_TEST(v1_limits_attach_and_report)
{
  /* This build machine's layout: one mount per controller, memory nested. */
  _cleanup_free_ char *mi = vzt_strdupf(
      "31 23 0:28 / %1$s/fs rw - tmpfs tmpfs rw\n"
      "32 31 0:29 / %1$s/fs/cpu rw,relatime - cgroup cgroup rw,cpu\n"
      "35 31 0:32 / %1$s/fs/memory rw,relatime - cgroup cgroup rw,memory\n"
      "39 31 0:36 / %1$s/fs/pids rw,relatime - cgroup cgroup rw,pids\n"
      "41 31 0:38 / %1$s/fs/unified rw,relatime - cgroup2 cgroup2 rw\n",
      tmp);
  put("mountinfo", mi);
  put("self-cgroup", "8:pids:/\n4:memory:/outer/job\n1:cpu:/\n0::/\n");
  put("fs/unified/cgroup.controllers", "hugetlb\n");
  put("fs/memory/outer/job/memory.limit_in_bytes", "9223372036854771712\n");
  put("fs/pids/cgroup.procs", "");
  put("fs/cpu/cgroup.procs", "");
  struct vzt_bc_limits l;
  all_limits(&l);
  struct vzt_bc_group *g = create(&l);

  ck_file_eq("fs/pids/vzt-test/pids.max", "32");
  ck_file_eq("fs/memory/outer/job/vzt-test/memory.limit_in_bytes", "67108864");
  /* v1 limits memory+swap together. */
  ck_file_eq("fs/memory/outer/job/vzt-test/memory.memsw.limit_in_bytes", "83886080");
  ck_file_eq("fs/cpu/vzt-test/cpu.cfs_period_us", "100000");
  ck_file_eq("fs/cpu/vzt-test/cpu.cfs_quota_us", "50000");
  ck_file_eq("fs/cpu/vzt-test/cpu.shares", "2048");

  _cleanup_free_ char *where = vzt_bc_group_describe(g);
  ck_assert_ptr_nonnull(strstr(where, "cgroup v1 pids: "));
  ck_assert_ptr_nonnull(strstr(where, "/fs/memory/outer/job/vzt-test"));

  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_bc_group_attach(g, 4242, &err), 0);
  ck_file_eq("fs/pids/vzt-test/cgroup.procs", "4242");
  ck_file_eq("fs/memory/outer/job/vzt-test/cgroup.procs", "4242");
  ck_file_eq("fs/cpu/vzt-test/cgroup.procs", "4242");

  put("fs/pids/vzt-test/pids.current", "3\n");
  put("fs/pids/vzt-test/pids.peak", "32\n");
  put("fs/pids/vzt-test/pids.events", "max 7\n");
  put("fs/memory/outer/job/vzt-test/memory.usage_in_bytes", "1000\n");
  put("fs/memory/outer/job/vzt-test/memory.max_usage_in_bytes", "67108864\n");
  put("fs/memory/outer/job/vzt-test/memory.failcnt", "95\n");
  put("fs/memory/outer/job/vzt-test/memory.memsw.usage_in_bytes", "1500\n");
  put("fs/memory/outer/job/vzt-test/memory.memsw.failcnt", "2\n");
  put("fs/cpu/vzt-test/cpu.stat", "nr_periods 10\nnr_throttled 4\nthrottled_time 5\n");
  struct vzt_bc_row rows[VZT_BC_NRES];
  vzt_bc_group_read(g, &l, rows);
  ck_assert(rows[VZT_BC_NUMPROC].accounted);
  ck_assert_uint_eq(rows[VZT_BC_NUMPROC].held, 3);
  ck_assert_uint_eq(rows[VZT_BC_NUMPROC].maxheld, 32);
  ck_assert_uint_eq(rows[VZT_BC_NUMPROC].limit, 32);
  ck_assert_uint_eq(rows[VZT_BC_NUMPROC].failcnt, 7);
  ck_assert_uint_eq(rows[VZT_BC_PHYSPAGES].held, 1000);
  ck_assert_uint_eq(rows[VZT_BC_PHYSPAGES].maxheld, 67108864);
  ck_assert_uint_eq(rows[VZT_BC_PHYSPAGES].limit, 67108864);
  ck_assert_uint_eq(rows[VZT_BC_PHYSPAGES].failcnt, 95);
  ck_assert_uint_eq(rows[VZT_BC_SWAPPAGES].held, 500);
  ck_assert_uint_eq(rows[VZT_BC_SWAPPAGES].limit, 83886080);
  ck_assert_uint_eq(rows[VZT_BC_SWAPPAGES].failcnt, 2);
  ck_assert_uint_eq(rows[VZT_BC_CPULIMIT].failcnt, 4);
  ck_assert_uint_eq(rows[VZT_BC_CPUUNITS].limit, 2000);
  ck_assert(!rows[VZT_BC_NUMFILE].accounted);

  _cleanup_free_ char *table = vzt_bc_format_table(rows);
  ck_assert_msg(vzt_startswith(table, "resource "), "%s", table);
  ck_assert_ptr_nonnull(strstr(table, "\nnumproc "));
  /* an unset limit reads as /proc/user_beancounters' "unlimited" */
  ck_assert_ptr_nonnull(strstr(table, "9223372036854775807"));

  static const char *const procs[] = {"fs/pids/vzt-test/cgroup.procs", "fs/memory/outer/job/vzt-test/cgroup.procs",
                                      "fs/cpu/vzt-test/cgroup.procs", NULL};
  destroy(g, procs);
}
END_TEST

START_TEST(v2_limits_delegation_and_report)
{
  _cleanup_free_ char *mi = vzt_strdupf("30 23 0:27 / %s/fs rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n", tmp);
  put("mountinfo", mi);
  put("self-cgroup", "0::/\n");
  put("fs/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
  struct vzt_bc_limits l;
  all_limits(&l);
  struct vzt_bc_group *g = create(&l);

  /* One group for all three controllers, delegated by the parent. */
  _cleanup_free_ char *sub = get("fs/cgroup.subtree_control");
  ck_assert_msg(sub[0] == '+', "%s", sub);
  ck_file_eq("fs/vzt-test/pids.max", "32");
  ck_file_eq("fs/vzt-test/memory.max", "67108864");
  ck_file_eq("fs/vzt-test/memory.swap.max", "16777216");
  ck_file_eq("fs/vzt-test/cpu.max", "50000 100000");
  ck_file_eq("fs/vzt-test/cpu.weight", "200");
  _cleanup_free_ char *where = vzt_bc_group_describe(g);
  ck_assert_msg(strstr(where, "cgroup v2 pids,memory,cpu: ") != NULL, "%s", where);

  put("fs/vzt-test/pids.current", "0\n");
  put("fs/vzt-test/pids.events", "max 3\n");
  put("fs/vzt-test/memory.current", "4096\n");
  put("fs/vzt-test/memory.peak", "67108864\n");
  put("fs/vzt-test/memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n");
  put("fs/vzt-test/memory.swap.current", "0\n");
  put("fs/vzt-test/memory.swap.events", "high 0\nmax 0\nfail 0\n");
  put("fs/vzt-test/pids.max", "max\n"); /* as the kernel writes an unset one */
  struct vzt_bc_row rows[VZT_BC_NRES];
  vzt_bc_group_read(g, &l, rows);
  ck_assert_uint_eq(rows[VZT_BC_NUMPROC].failcnt, 3);
  ck_assert_uint_eq(rows[VZT_BC_NUMPROC].limit, VZT_BC_UNLIMITED);
  ck_assert_uint_eq(rows[VZT_BC_NUMPROC].maxheld, VZT_BC_UNLIMITED); /* no pids.peak: unknown */
  ck_assert_uint_eq(rows[VZT_BC_PHYSPAGES].held, 4096);
  ck_assert_uint_eq(rows[VZT_BC_PHYSPAGES].maxheld, 67108864);
  ck_assert_uint_eq(rows[VZT_BC_PHYSPAGES].failcnt, 12);
  ck_assert(rows[VZT_BC_SWAPPAGES].accounted);
  ck_assert_uint_eq(rows[VZT_BC_SWAPPAGES].limit, 16777216);
  ck_assert_uint_eq(rows[VZT_BC_SWAPPAGES].failcnt, 0);

  static const char *const procs[] = {"fs/vzt-test/cgroup.procs", NULL};
  destroy(g, procs);
}
END_TEST

/* kmemsize and ioweight: v1 writes and reads the kmem files; a blkio
 * controller without weights is a clear error; v2 writes io.weight, reads
 * kernel memory from memory.stat and refuses a kmemsize limit. */
START_TEST(kmemsize_and_ioweight)
{
  _cleanup_free_ char *mi = vzt_strdupf("35 31 0:32 / %1$s/v1/memory rw - cgroup cgroup rw,memory\n"
                                        "36 31 0:33 / %1$s/v1/blkio rw - cgroup cgroup rw,blkio\n"
                                        "39 31 0:36 / %1$s/v1/pids rw - cgroup cgroup rw,pids\n",
                                        tmp);
  put("mountinfo", mi);
  put("self-cgroup", "8:pids:/\n4:memory:/\n3:blkio:/\n");
  put("v1/pids/cgroup.procs", "");
  put("v1/memory/cgroup.procs", "");
  put("v1/blkio/cgroup.procs", "");
  struct vzt_bc_limits l;
  vzt_bc_limits_init(&l);
  parse_ok(&l, "kmemsize=32M");
  ck_assert_uint_eq(l.value[VZT_BC_KMEMSIZE], 32ULL << 20);
  struct vzt_bc_group *g = create(&l);
  ck_file_eq("v1/memory/vzt-test/memory.kmem.limit_in_bytes", "33554432");
  put("v1/memory/vzt-test/memory.kmem.usage_in_bytes", "8192\n");
  put("v1/memory/vzt-test/memory.kmem.max_usage_in_bytes", "16384\n");
  put("v1/memory/vzt-test/memory.kmem.failcnt", "5\n");
  struct vzt_bc_row rows[VZT_BC_NRES];
  vzt_bc_group_read(g, &l, rows);
  ck_assert(rows[VZT_BC_KMEMSIZE].accounted);
  ck_assert_uint_eq(rows[VZT_BC_KMEMSIZE].held, 8192);
  ck_assert_uint_eq(rows[VZT_BC_KMEMSIZE].maxheld, 16384);
  ck_assert_uint_eq(rows[VZT_BC_KMEMSIZE].limit, 32ULL << 20);
  ck_assert_uint_eq(rows[VZT_BC_KMEMSIZE].failcnt, 5);
  static const char *const procs[] = {"v1/pids/vzt-test/cgroup.procs", "v1/memory/vzt-test/cgroup.procs", NULL};
  destroy(g, procs);
  /* Fake groups keep their files: start the next part without them. */
  for (const char *const *p = procs; *p; p++) {
    _cleanup_free_ char *dir = vzt_path_join(tmp, *p);
    *strrchr(dir, '/') = '\0';
    struct vzt_error *e = NULL;
    ck_assert_int_eq(vzt_rm_rf(dir, &e), 0);
  }

  vzt_bc_limits_init(&l);
  parse_ok(&l, "ioweight=300");
  _cleanup_free_ char *mip = vzt_path_join(tmp, "mountinfo");
  _cleanup_free_ char *self = vzt_path_join(tmp, "self-cgroup");
  struct vzt_error *err = NULL;
  g = NULL;
  ck_assert_int_eq(vzt_bc_group_create(&l, "vzt-test", mip, self, &g, &err), -1);
  ck_assert_msg(strstr(err->msg, "ioweight") && strstr(err->msg, "no weight"), "%s", err->msg);
  vzt_error_free(&err);

  _cleanup_free_ char *mi2 = vzt_strdupf("30 23 0:27 / %s/v2 rw - cgroup2 cgroup2 rw\n", tmp);
  put("mountinfo", mi2);
  put("self-cgroup", "0::/\n");
  put("v2/cgroup.controllers", "cpu io memory pids\n");
  g = create(&l);
  ck_file_eq("v2/vzt-test/io.weight", "default 300");
  put("v2/vzt-test/memory.stat", "anon 4096\nfile 0\nkernel 12288\nslab 1\n");
  vzt_bc_group_read(g, &l, rows);
  ck_assert(rows[VZT_BC_KMEMSIZE].accounted);
  ck_assert_uint_eq(rows[VZT_BC_KMEMSIZE].held, 12288);
  ck_assert_uint_eq(rows[VZT_BC_IOWEIGHT].limit, 300);
  static const char *const procs2[] = {"v2/vzt-test/cgroup.procs", NULL};
  destroy(g, procs2);
  _cleanup_free_ char *v2dir = vzt_path_join(tmp, "v2/vzt-test");
  ck_assert_int_eq(vzt_rm_rf(v2dir, &err), 0);
  vzt_bc_limits_init(&l);
  parse_ok(&l, "kmemsize=32M");
  ck_assert_int_eq(vzt_bc_group_create(&l, "vzt-test", mip, self, &g, &err), -1);
  ck_assert_msg(strstr(err->msg, "kmemsize") && strstr(err->msg, "physpages"), "%s", err->msg);
  vzt_error_free(&err);
}
END_TEST

START_TEST(v2_preferred_where_it_holds_the_controller)
{
  /* Hybrid: memory moved to cgroup2, pids still on v1. */
  _cleanup_free_ char *mi = vzt_strdupf("35 31 0:32 / %1$s/v1/memory rw - cgroup cgroup rw,memory\n"
                                        "39 31 0:36 / %1$s/v1/pids rw - cgroup cgroup rw,pids\n"
                                        "41 31 0:38 / %1$s/v2 rw - cgroup2 cgroup2 rw\n",
                                        tmp);
  put("mountinfo", mi);
  put("self-cgroup", "8:pids:/\n0::/\n");
  put("v2/cgroup.controllers", "memory\n");
  put("v1/pids/cgroup.procs", "");
  put("v1/memory/cgroup.procs", "");
  struct vzt_bc_limits l;
  vzt_bc_limits_init(&l);
  parse_ok(&l, "numproc=5");
  parse_ok(&l, "physpages=1M");
  struct vzt_bc_group *g = create(&l);
  ck_file_eq("v1/pids/vzt-test/pids.max", "5");
  ck_file_eq("v2/vzt-test/memory.max", "1048576");
  ck_file_eq("v2/cgroup.subtree_control", "+memory");
  _cleanup_free_ char *v1mem = vzt_path_join(tmp, "v1/memory/vzt-test");
  ck_assert_int_ne(access(v1mem, F_OK), 0);
  static const char *const procs[] = {"v1/pids/vzt-test/cgroup.procs", "v2/vzt-test/cgroup.procs", NULL};
  destroy(g, procs);
}
END_TEST

START_TEST(missing_controller_is_a_clear_error)
{
  _cleanup_free_ char *mi = vzt_strdupf("39 31 0:36 / %s/pids rw - cgroup cgroup rw,pids\n", tmp);
  put("mountinfo", mi);
  put("self-cgroup", "8:pids:/\n");
  put("pids/cgroup.procs", "");
  struct vzt_bc_limits l;
  vzt_bc_limits_init(&l);
  parse_ok(&l, "cpulimit=25");
  _cleanup_free_ char *mip = vzt_path_join(tmp, "mountinfo");
  _cleanup_free_ char *self = vzt_path_join(tmp, "self-cgroup");
  struct vzt_bc_group *g = NULL;
  struct vzt_error *err = NULL;
  ck_assert_int_eq(vzt_bc_group_create(&l, "vzt-test", mip, self, &g, &err), -1);
  ck_assert_ptr_null(g);
  ck_assert_msg(strstr(err->msg, "cpulimit") && strstr(err->msg, "cpu controller"), "%s", err->msg);
  vzt_error_free(&err);
  /* Without a limit that needs it, a missing controller only costs its counters. */
  vzt_bc_limits_init(&l);
  g = create(&l);
  struct vzt_bc_row rows[VZT_BC_NRES];
  vzt_bc_group_read(g, &l, rows);
  ck_assert(!rows[VZT_BC_PHYSPAGES].accounted);
  static const char *const procs[] = {"pids/vzt-test/cgroup.procs", NULL};
  destroy(g, procs);
}
END_TEST

/* The real hierarchy of this machine, as root: a group appears with the
 * limit and is gone afterwards. */
START_TEST(real_group_as_root)
{
  if (geteuid() != 0)
    return;
  struct vzt_bc_limits l;
  vzt_bc_limits_init(&l);
  parse_ok(&l, "numproc=7");
  char name[64];
  snprintf(name, sizeof(name), "vzt-unit-%d", (int) getpid());
  struct vzt_bc_group *g = NULL;
  struct vzt_error *err = NULL;
  if (vzt_bc_group_create(&l, name, NULL, NULL, &g, &err) < 0) {
    /* A host without a pids controller says so; that is check-kernel's to report. */
    ck_assert_ptr_nonnull(strstr(err->msg, "pids"));
    vzt_error_free(&err);
    return;
  }
  _cleanup_free_ char *where = vzt_bc_group_describe(g);
  char *path = strstr(where, "pids");
  ck_assert_ptr_nonnull(path);
  path = strchr(path, '/');
  _cleanup_free_ char *dir = vzt_strndup(path, strcspn(path, "\n"));
  _cleanup_free_ char *max = vzt_path_join(dir, "pids.max");
  _cleanup_free_ char *v = NULL;
  ck_assert_int_eq(vzt_read_file(max, &v, NULL, &err), 0);
  ck_assert_str_eq(vzt_strstrip(v), "7");
  struct vzt_bc_row rows[VZT_BC_NRES];
  vzt_bc_group_read(g, &l, rows);
  ck_assert_uint_eq(rows[VZT_BC_NUMPROC].limit, 7);
  ck_assert_uint_eq(rows[VZT_BC_NUMPROC].held, 0);
  vzt_bc_group_destroy(g);
  ck_assert_int_ne(access(dir, F_OK), 0);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("beancounter");
  TCase *tc = tcase_create("parse");
  tcase_add_test(tc, parse_names_and_suffixes);
  tcase_add_test(tc, parse_refusals_are_usage_errors);
  suite_add_tcase(s, tc);
  TCase *tg = tcase_create("cgroups");
  tcase_add_checked_fixture(tg, make_tmp, remove_tmp);
  tcase_add_test(tg, v1_limits_attach_and_report);
  tcase_add_test(tg, v2_limits_delegation_and_report);
  tcase_add_test(tg, v2_preferred_where_it_holds_the_controller);
  tcase_add_test(tg, missing_controller_is_a_clear_error);
  tcase_add_test(tg, kmemsize_and_ioweight);
  tcase_add_test(tg, real_group_as_root);
  suite_add_tcase(s, tg);
  return vzt_unit_run(s);
}
