/* Golden-image customization: files, groups, users, services, settings and
 * hooks from a recipe, applied to the configured root. Everything written into
 * the root is written by a worker confined to it, so a symlink in the root
 * cannot send a write to the host. */
#include "config.h"
#include "tmpl/customize.h"
#include "tmpl/target-run.h"
#include "kernel-support/confine.h"
#include "lib/atomic-file.h"
#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- what a recipe says ------------------------------------------------ */

static bool in_section(const struct vzt_recipe_entry *e, const char *section)
{
  return e->section[0] == '@' && !strcmp(e->section + 1, section);
}

static const char *setting(const struct vzt_recipe *r, const char *key)
{
  const char *v = NULL;
  for (size_t i = 0; i < r->nentries; i++)
    if (in_section(&r->entries[i], "settings") && !strcmp(r->entries[i].key, key))
      v = r->entries[i].value;
  return v;
}

const char *vzt_customize_hostname(const struct vzt_recipe *r)
{
  const char *h = setting(r, "hostname");
  return h ? h : "localhost";
}

static char *sha256_hex(const void *data, size_t len)
{
  char hex[VZT_DIGEST_HEX_MAX];
  struct vzt_digest *d = vzt_digest_new(VZT_DIGEST_SHA256);
  vzt_digest_update(d, data, len);
  vzt_digest_finish(d, hex);
  return vzt_strdup(hex);
}

static bool is_hook_key(const char *k)
{
  if (vzt_startswith(k, "host-"))
    k += 5;
  return !strcmp(k, VZT_HOOK_AFTER_EXTRACT) || !strcmp(k, VZT_HOOK_AFTER_CONFIGURE) ||
         !strcmp(k, VZT_HOOK_BEFORE_PACK);
}

int vzt_customize_check(const struct vzt_recipe *r, struct vzt_error **err)
{
  static const char *const settings[] = {"timezone", "locale", "hostname", "apt-sources"};
  for (size_t i = 0; i < r->nentries; i++) {
    const struct vzt_recipe_entry *e = &r->entries[i];
    if (in_section(e, "services") && strcmp(e->key, "mask") && strcmp(e->key, "enable") &&
        strcmp(e->key, "disable"))
      return vzt_fail(err, "%s: [services] knows mask, enable and disable, not \"%s\"", r->path, e->key);
    if (in_section(e, "settings")) {
      bool known = false;
      for (size_t k = 0; k < VZT_ARRAY_SIZE(settings); k++)
        known |= !strcmp(e->key, settings[k]);
      if (!known)
        return vzt_fail(err, "%s: unknown key \"%s\" in [settings]", r->path, e->key);
    }
    if (in_section(e, "hooks") && strcmp(e->key, "network") && !is_hook_key(e->key))
      return vzt_fail(err, "%s: unknown hook point \"%s\" (after-extract, after-configure, "
                           "before-pack, or host- before one of them)", r->path, e->key);
    if ((in_section(e, "files") && e->key[0] != '/'))
      return vzt_fail(err, "%s: [files] %s: the destination must be an absolute path", r->path, e->key);
    const char *src = NULL;
    _cleanup_strv_ char **words = vzt_strv_split(e->value);
    if (in_section(e, "files") && words[0])
      src = words[0];
    else if (in_section(e, "hooks") && strcmp(e->key, "network"))
      src = e->value;
    if (src) {
      _cleanup_free_ char *path = src[0] == '/' ? vzt_strdup(src) : vzt_path_join(r->dir, src);
      if (access(path, R_OK) < 0)
        return vzt_fail_errno(err, errno, "%s: [%s] %s", r->path, e->section + 1, path);
    }
  }
  return 0;
}

/* ---- writes inside the root --------------------------------------------- */

enum op_kind { OP_FILE, OP_DIR, OP_SYMLINK };

struct op {
  enum op_kind kind;
  char *path;    /* absolute, inside the root */
  char *data;    /* file content, or the symlink target */
  size_t len;
  mode_t mode;
  char *owner;   /* user[:group], names looked up in the root's own files, or numbers */
};

struct plan {
  struct op *ops;
  size_t n;
};

static void plan_add(struct plan *p, struct op op)
{
  p->ops = vzt_realloc(p->ops, (p->n + 1) * sizeof(*p->ops));
  if (!p->ops)
    vzt_out_of_memory();
  p->ops[p->n++] = op;
}

static void plan_free(struct plan *p)
{
  for (size_t i = 0; i < p->n; i++) {
    free(p->ops[i].path);
    free(p->ops[i].data);
    free(p->ops[i].owner);
  }
  free(p->ops);
}

/* Inside the chroot: names from the root's passwd and group files (fgetpwent
 * reads the file itself, no NSS module from the target is loaded). */
static int lookup_id(const char *name, bool group, unsigned *id)
{
  char *end;
  unsigned long n = strtoul(name, &end, 10);
  if (*name && !*end) {
    *id = (unsigned) n;
    return 0;
  }
  FILE *f = fopen(group ? "/etc/group" : "/etc/passwd", "re");
  if (!f)
    return -1;
  int ret = -1;
  if (group) {
    struct group *g;
    while ((g = fgetgrent(f)))
      if (!strcmp(g->gr_name, name)) {
        *id = g->gr_gid;
        ret = 0;
        break;
      }
  } else {
    struct passwd *pw;
    while ((pw = fgetpwent(f)))
      if (!strcmp(pw->pw_name, name)) {
        *id = pw->pw_uid;
        ret = 0;
        break;
      }
  }
  fclose(f);
  return ret;
}

static int resolve_owner(const char *spec, uid_t *uid, gid_t *gid, struct vzt_error **err)
{
  _cleanup_free_ char *user = vzt_strdup(spec ? spec : "0:0");
  char *colon = strchr(user, ':');
  const char *group = colon ? colon + 1 : user;
  if (colon)
    *colon = 0;
  unsigned u, g;
  if (lookup_id(user, false, &u) < 0)
    return vzt_fail(err, "no user %s in the template's /etc/passwd", user);
  if (lookup_id(group, true, &g) < 0)
    return vzt_fail(err, "no group %s in the template's /etc/group", group);
  *uid = u;
  *gid = g;
  return 0;
}

static int run_plan(void *arg, struct vzt_error **err)
{
  struct plan *p = arg;
  for (size_t i = 0; i < p->n; i++) {
    struct op *op = &p->ops[i];
    uid_t uid = 0;
    gid_t gid = 0;
    if (resolve_owner(op->owner, &uid, &gid, err) < 0)
      return vzt_error_prefix(err, "%s", op->path);
    _cleanup_free_ char *parent = vzt_strdup(op->path);
    if (vzt_mkdir_p(dirname(parent), 0755, err) < 0)
      return -1;
    if (op->kind == OP_DIR) {
      if (mkdir(op->path, op->mode) < 0 && errno != EEXIST)
        return vzt_fail_errno(err, errno, "cannot create %s", op->path);
      if (chown(op->path, uid, gid) < 0 || chmod(op->path, op->mode) < 0)
        return vzt_fail_errno(err, errno, "cannot set the owner and mode of %s", op->path);
    } else if (op->kind == OP_SYMLINK) {
      unlink(op->path);
      if (symlink(op->data, op->path) < 0 || lchown(op->path, uid, gid) < 0)
        return vzt_fail_errno(err, errno, "cannot create the link %s", op->path);
    } else {
      /* Owner and mode are set before the name appears: never readable by others in between. */
      _cleanup_atomic_ struct vzt_atomic_file f = {.fd = -1, .dirfd = -1};
      if (vzt_atomic_open(AT_FDCWD, op->path, 0600, &f, err) < 0)
        return -1;
      if (vzt_write_all(f.fd, op->data, op->len) < 0 || fchown(f.fd, uid, gid) < 0 || fchmod(f.fd, op->mode) < 0)
        return vzt_fail_errno(err, errno, "cannot write %s", op->path);
      if (vzt_atomic_commit(&f, err) < 0)
        return -1;
    }
  }
  return 0;
}

/* ---- the sections ------------------------------------------------------- */

static void record(char ***rec, char *line) { vzt_strv_push_take(rec, line); }

/* "DEST = SRC [OWNER[:GROUP]] [MODE]": a file, or a directory copied whole. */
static int add_source(struct plan *p, const char *src, const char *dest, const char *owner,
                      mode_t mode, bool mode_given, char ***rec, struct vzt_error **err)
{
  struct stat st;
  if (lstat(src, &st) < 0)
    return vzt_fail_errno(err, errno, "cannot read %s", src);
  if (S_ISDIR(st.st_mode)) {
    plan_add(p, (struct op){OP_DIR, vzt_strdup(dest), NULL, 0, 0755, owner ? vzt_strdup(owner) : NULL});
    _cleanup_closedir_ DIR *d = opendir(src);
    if (!d)
      return vzt_fail_errno(err, errno, "cannot list %s", src);
    _cleanup_strv_ char **names = vzt_calloc(1, sizeof(char *));
    struct dirent *de;
    while ((de = readdir(d)))
      if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
        vzt_strv_push(&names, de->d_name);
    vzt_strv_sort(names); /* the same order, the same bytes */
    for (char **n = names; *n; n++) {
      _cleanup_free_ char *s = vzt_path_join(src, *n);
      _cleanup_free_ char *t = vzt_path_join(dest, *n);
      if (add_source(p, s, t, owner, mode, mode_given, rec, err) < 0)
        return -1;
    }
    return 0;
  }
  if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t n = readlink(src, target, sizeof(target) - 1);
    if (n < 0)
      return vzt_fail_errno(err, errno, "cannot read the link %s", src);
    plan_add(p, (struct op){OP_SYMLINK, vzt_strdup(dest), vzt_strndup(target, n), (size_t) n, 0777,
                            owner ? vzt_strdup(owner) : NULL});
    record(rec, vzt_strdupf("link %s -> %.*s", dest, (int) n, target));
    return 0;
  }
  if (!S_ISREG(st.st_mode))
    return vzt_fail(err, "%s is neither a file, a directory nor a link", src);
  char *data = NULL;
  size_t len = 0;
  if (vzt_read_file(src, &data, &len, err) < 0)
    return -1;
  _cleanup_free_ char *sum = sha256_hex(data, len);
  /* Without a MODE the source's own, never wider than 0755: a 0600 secret
   * stays 0600, and a group-writable checkout does not make it so inside. */
  mode_t m = mode_given ? mode : (st.st_mode & 0755);
  plan_add(p, (struct op){OP_FILE, vzt_strdup(dest), data, len, m, owner ? vzt_strdup(owner) : NULL});
  record(rec, vzt_strdupf("file %s %04o %s %s", dest, (unsigned) m, owner ? owner : "root", sum));
  return 0;
}

static int plan_files(const struct vzt_recipe *r, struct plan *p, char ***rec, struct vzt_error **err)
{
  for (size_t i = 0; i < r->nentries; i++) {
    const struct vzt_recipe_entry *e = &r->entries[i];
    if (!in_section(e, "files"))
      continue;
    _cleanup_strv_ char **w = vzt_strv_split(e->value);
    if (!w[0])
      return vzt_fail(err, "%s: [files] %s needs a source", r->path, e->key);
    const char *owner = NULL;
    mode_t mode = 0;
    bool mode_given = false;
    for (size_t k = 1; w[k]; k++) {
      char *end;
      unsigned long m = strtoul(w[k], &end, 8);
      if (w[k][0] >= '0' && w[k][0] <= '7' && !*end && m <= 07777) {
        mode = (mode_t) m;
        mode_given = true;
      } else
        owner = w[k];
    }
    _cleanup_free_ char *src = w[0][0] == '/' ? vzt_strdup(w[0]) : vzt_path_join(r->dir, w[0]);
    if (add_source(p, src, e->key, owner, mode, mode_given, rec, err) < 0)
      return vzt_error_prefix(err, "%s: [files] %s", r->path, e->key);
  }
  return 0;
}

/* "NAME = uid=1500 groups=sudo,adm shell=/bin/bash home=/home/x comment=..." -> useradd. */
static int run_accounts(const struct vzt_recipe *r, const struct vzt_target *t, char **env, const char *section,
                        char ***rec, struct vzt_error **err)
{
  bool users = !strcmp(section, "users");
  for (size_t i = 0; i < r->nentries; i++) {
    const struct vzt_recipe_entry *e = &r->entries[i];
    if (!in_section(e, section))
      continue;
    char **argv = vzt_calloc(1, sizeof(char *));
    vzt_strv_push(&argv, users ? "useradd" : "groupadd");
    if (users)
      vzt_strv_push(&argv, "--create-home");
    _cleanup_strv_ char **w = vzt_strv_split(e->value);
    int ret = 0;
    for (char **kv = w; *kv && !ret; kv++) {
      char *eq = strchr(*kv, '=');
      static const char *const user_keys[][2] = {{"uid", "--uid"}, {"gid", "--gid"},
                                                 {"groups", "--groups"}, {"shell", "--shell"},
                                                 {"home", "--home-dir"}, {"comment", "--comment"}};
      const char *flag = NULL;
      for (size_t k = 0; eq && k < VZT_ARRAY_SIZE(user_keys); k++)
        if (!strncmp(*kv, user_keys[k][0], eq - *kv) && strlen(user_keys[k][0]) == (size_t) (eq - *kv))
          flag = user_keys[k][1];
      if (!flag || (!users && strcmp(flag, "--gid")))
        ret = vzt_fail(err, "%s: [%s] %s: unknown setting \"%s\"", r->path, section, e->key, *kv);
      else {
        vzt_strv_push(&argv, flag);
        vzt_strv_push(&argv, eq + 1);
      }
    }
    vzt_strv_push(&argv, e->key);
    _cleanup_free_ char *what = vzt_strdupf("[%s] %s", section, e->key);
    if (!ret)
      ret = vzt_target_run(t, argv, env, false, what, err);
    vzt_strv_free(argv);
    if (ret < 0)
      return -1;
    record(rec, vzt_strdupf("%s %s %s", users ? "user" : "group", e->key, e->value));
  }
  return 0;
}

static int plan_services(const struct vzt_recipe *r, const struct vzt_target *t, char **env, struct plan *p,
                         char ***rec, struct vzt_error **err)
{
  for (size_t i = 0; i < r->nentries; i++) {
    const struct vzt_recipe_entry *e = &r->entries[i];
    if (!in_section(e, "services"))
      continue;
    _cleanup_strv_ char **units = vzt_strv_split(e->value);
    for (char **u = units; *u; u++) {
      if (strchr(*u, '/'))
        return vzt_fail(err, "%s: [services] %s: not a unit name", r->path, *u);
      record(rec, vzt_strdupf("service %s %s", e->key, *u));
      if (!strcmp(e->key, "mask")) {
        /* What `systemctl mask` does, without needing systemctl in the root. */
        plan_add(p, (struct op){OP_SYMLINK, vzt_strdupf("/etc/systemd/system/%s", *u),
                                vzt_strdup("/dev/null"), 9, 0777, NULL});
        continue;
      }
      char *argv[] = {"systemctl", e->key, *u, NULL};
      _cleanup_free_ char *what = vzt_strdupf("systemctl %s %s", e->key, *u);
      if (vzt_target_run(t, argv, env, false, what, err) < 0)
        return -1;
    }
  }
  return 0;
}

static int plan_settings(const struct vzt_recipe *r, const char *root, struct plan *p, char ***rec,
                         struct vzt_error **err)
{
  const char *tz = setting(r, "timezone");
  if (tz) {
    _cleanup_free_ char *zone = vzt_strdupf("%s/usr/share/zoneinfo/%s", root, tz);
    if (strstr(tz, "..") || access(zone, R_OK) < 0)
      return vzt_fail(err, "%s: [settings] timezone %s: no such zone in the template (is tzdata in it?)",
                      r->path, tz);
    plan_add(p, (struct op){OP_SYMLINK, vzt_strdup("/etc/localtime"),
                            vzt_strdupf("/usr/share/zoneinfo/%s", tz), 0, 0777, NULL});
    plan_add(p, (struct op){OP_FILE, vzt_strdup("/etc/timezone"), vzt_strdupf("%s\n", tz),
                            strlen(tz) + 1, 0644, NULL});
    record(rec, vzt_strdupf("setting timezone %s", tz));
  }
  const char *locale = setting(r, "locale");
  if (locale) {
    char *text = vzt_strdupf("LANG=%s\n", locale);
    plan_add(p, (struct op){OP_FILE, vzt_strdup("/etc/default/locale"), text, strlen(text), 0644, NULL});
    record(rec, vzt_strdupf("setting locale %s", locale));
  }
  /* apt-sources lines replace the template's sources.list (the firm's mirror). */
  _cleanup_strv_ char **lines = vzt_calloc(1, sizeof(char *));
  for (size_t i = 0; i < r->nentries; i++)
    if (in_section(&r->entries[i], "settings") && !strcmp(r->entries[i].key, "apt-sources"))
      vzt_strv_push(&lines, r->entries[i].value);
  if (lines[0]) {
    _cleanup_free_ char *joined = vzt_strv_join(lines, "\n");
    char *text = vzt_strdupf("%s\n", joined);
    plan_add(p, (struct op){OP_FILE, vzt_strdup("/etc/apt/sources.list"), text, strlen(text), 0644, NULL});
    record(rec, vzt_strdupf("setting apt-sources %s", joined));
  }
  if (setting(r, "hostname"))
    record(rec, vzt_strdupf("setting hostname %s", setting(r, "hostname")));
  return 0;
}

int vzt_customize_apply(const struct vzt_recipe *r, const struct vzt_target *t, char ***rec,
                        struct vzt_error **err)
{
  if (vzt_customize_check(r, err) < 0)
    return -1;
  const char *root = t->root;
  _cleanup_strv_ char **env = vzt_target_env(t->epoch);
  if (run_accounts(r, t, env, "groups", rec, err) < 0 ||
      run_accounts(r, t, env, "users", rec, err) < 0)
    return -1;
  struct plan p = {0};
  int ret = plan_files(r, &p, rec, err);
  if (!ret)
    ret = plan_services(r, t, env, &p, rec, err);
  if (!ret)
    ret = plan_settings(r, root, &p, rec, err);
  if (!ret && p.n)
    ret = vzt_confine_run(root, run_plan, &p, err);
  plan_free(&p);
  if (ret < 0)
    return -1;
  return vzt_customize_hooks(r, t, VZT_HOOK_AFTER_CONFIGURE, rec, err);
}

/* ---- hooks -------------------------------------------------------------- */

static int run_host_hook(const char *path, const char *root, const char *name, time_t epoch,
                         struct vzt_error **err)
{
  _cleanup_kill_ pid_t pid = fork();
  if (pid < 0)
    return vzt_fail_errno(err, errno, "cannot start %s", name);
  if (pid == 0) {
    char epoch_s[32];
    snprintf(epoch_s, sizeof(epoch_s), "%lld", (long long) epoch);
    setenv("VZTMPL_ROOT", root, 1);
    setenv("SOURCE_DATE_EPOCH", epoch_s, 1);
    execl(path, path, root, (char *) NULL);
    _exit(127);
  }
  int status;
  if (vzt_reap(&pid, &status) < 0)
    return vzt_fail_errno(err, errno, "waiting for %s", name);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  return vzt_fail(err, "%s failed with exit status %d", name,
                  WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static int remove_hook(void *arg, struct vzt_error **err)
{
  if (unlink("/tmp/vztmpl-hook") < 0 && errno != ENOENT)
    return vzt_fail_errno(err, errno, "cannot remove /tmp/vztmpl-hook from the root");
  return 0;
}

static int copy_hook_in(void *arg, struct vzt_error **err)
{
  struct op *op = arg;
  _cleanup_close_ int fd = open("/tmp/vztmpl-hook", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0755);
  if (fd < 0 || vzt_write_all(fd, op->data, op->len) < 0 || fchmod(fd, 0755) < 0)
    return vzt_fail_errno(err, errno, "cannot put the hook into /tmp of the root");
  return 0;
}

/* The hook e names (relative to the recipe's directory), read whole and
 * recorded with its hash, so that a build and its inputs say the same. */
static int read_hook(const struct vzt_recipe *r, const struct vzt_recipe_entry *e, char **path, char **data,
                     size_t *len, char ***rec, struct vzt_error **err)
{
  *path = e->value[0] == '/' ? vzt_strdup(e->value) : vzt_path_join(r->dir, e->value);
  if (vzt_read_file(*path, data, len, err) < 0)
    return vzt_error_prefix(err, "hook %s", e->value);
  _cleanup_free_ char *sum = sha256_hex(*data, *len);
  record(rec, vzt_strdupf("hook %s %s %s", e->key, e->value, sum));
  return 0;
}

int vzt_customize_hooks(const struct vzt_recipe *r, const struct vzt_target *t, const char *point,
                        char ***rec, struct vzt_error **err)
{
  const char *root = t->root;
  bool network = false;
  for (size_t i = 0; i < r->nentries; i++)
    if (in_section(&r->entries[i], "hooks") && !strcmp(r->entries[i].key, "network"))
      network = !strcmp(r->entries[i].value, "yes") || !strcmp(r->entries[i].value, "true");
  _cleanup_free_ char *host_point = vzt_strdupf("host-%s", point);
  for (int host = 0; host < 2; host++)
    for (size_t i = 0; i < r->nentries; i++) {
      const struct vzt_recipe_entry *e = &r->entries[i];
      if (!in_section(e, "hooks") || strcmp(e->key, host ? host_point : point))
        continue;
      _cleanup_free_ char *path = NULL, *data = NULL;
      size_t len = 0;
      if (read_hook(r, e, &path, &data, &len, rec, err) < 0)
        return -1;
      _cleanup_free_ char *what = vzt_strdupf("hook %s (%s)", e->value, e->key);
      if (host) {
        if (run_host_hook(path, root, what, t->epoch, err) < 0)
          return -1;
        continue;
      }
      struct op op = {.data = data, .len = len};
      if (vzt_confine_run(root, copy_hook_in, &op, err) < 0)
        return -1;
      _cleanup_strv_ char **env = vzt_target_env(t->epoch);
      vzt_strv_push_take(&env, vzt_strdupf("VZTMPL_HOOK=%s", point));
      char *argv[] = {"/tmp/vztmpl-hook", NULL};
      int ret = vzt_target_run(t, argv, env, network, what, err);
      struct vzt_error *rm_err = NULL;
      if (vzt_confine_run(root, remove_hook, NULL, ret < 0 ? &rm_err : err) < 0 && ret == 0)
        return -1;
      vzt_error_free(&rm_err);
      if (ret < 0)
        return -1;
    }
  return 0;
}

/* ---- what a build would record, without building ------------------------ */

int vzt_customize_inputs(const struct vzt_recipe *r, char ***rec, struct vzt_error **err)
{
  struct plan p = {0};
  int ret = plan_files(r, &p, rec, err);
  plan_free(&p);
  if (ret < 0)
    return -1;
  for (size_t i = 0; i < r->nentries; i++) {
    const struct vzt_recipe_entry *e = &r->entries[i];
    if (!in_section(e, "hooks") || !is_hook_key(e->key))
      continue;
    _cleanup_free_ char *path = NULL, *data = NULL;
    size_t len = 0;
    if (read_hook(r, e, &path, &data, &len, rec, err) < 0)
      return -1;
  }
  return 0;
}
