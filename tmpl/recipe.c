/* Recipe files: lookup by name, INI parsing with libinih, variant selection. */
#include "config.h"
#include "tmpl/recipe.h"
#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <dirent.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct parse_state {
  struct vzt_recipe *r;
  char *dir;        /* the recipe's directory, for relative keyring paths */
  char *error;      /* first problem found */
  int line;
};

__attribute__((format(printf, 2, 3)))
static void set_error(struct parse_state *st, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  if (!st->error && vasprintf(&st->error, fmt, ap) < 0)
    vzt_out_of_memory();
  va_end(ap);
}

static struct vzt_repo *repo_for(struct vzt_recipe *r, const char *name)
{
  for (size_t i = 0; i < r->nrepos; i++)
    if (!strcmp(r->repos[i].name, name))
      return &r->repos[i];
  r->repos = vzt_realloc(r->repos, (r->nrepos + 1) * sizeof(*r->repos));
  if (!r->repos)
    vzt_out_of_memory();
  struct vzt_repo *repo = &r->repos[r->nrepos++];
  memset(repo, 0, sizeof(*repo));
  repo->name = vzt_strdup(name);
  return repo;
}

static void replace_str(char **slot, const char *value)
{
  free(*slot);
  *slot = vzt_strdup(value);
}

/* List keys add up: libinih hands over each continuation line of a value
 * as another occurrence of the key. */
static void append_strv(char ***slot, const char *value)
{
  _cleanup_strv_ char **words = vzt_strv_split(value);
  for (char **w = words; *w; w++)
    vzt_strv_push(slot, *w);
}

static bool is_list_key(const char *key, const char *base)
{
  size_t n = strlen(base);
  return !strncmp(key, base, n) && (key[n] == 0 || (key[n] == '.' && key[n + 1]));
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
  struct parse_state *st = user;
  struct vzt_recipe *r = st->r;
  if (st->error)
    return 0;
  if (!strcmp(section, "template")) {
    if (!strcmp(name, "distribution"))
      replace_str(&r->distribution, value);
    else if (!strcmp(name, "release"))
      replace_str(&r->release, value);
    else if (!strcmp(name, "codename"))
      replace_str(&r->codename, value);
    else if (!strcmp(name, "architectures"))
      append_strv(&r->architectures, value);
    else if (!strcmp(name, "variants"))
      append_strv(&r->variants, value);
    else if (!strcmp(name, "default-variant") || !strcmp(name, "variant"))
      replace_str(&r->default_variant, value);
    else if (!strcmp(name, "base"))
      replace_str(&r->base, value);
    else if (!strcmp(name, "name"))
      replace_str(&r->name, value);
    else
      set_error(st, "unknown key \"%s\" in [%s]", name, section);
    return 1;
  }
  if (!strncmp(section, "repository ", 11)) {
    struct vzt_repo *repo = repo_for(r, section + 11);
    if (!strcmp(name, "family"))
      replace_str(&repo->family, value);
    else if (!strcmp(name, "mirror") || !strcmp(name, "mirrors"))
      append_strv(&repo->mirrors, value);
    else if (!strcmp(name, "suites"))
      append_strv(&repo->suites, value);
    else if (!strcmp(name, "components"))
      append_strv(&repo->components, value);
    else if (!strcmp(name, "keys"))
      append_strv(&repo->keys, value);
    else if (!strcmp(name, "metadata-signature")) {
      if (strcmp(value, "required") && strcmp(value, "if-published"))
        set_error(st, "metadata-signature must be required or if-published, not \"%s\"", value);
      replace_str(&repo->metadata_signature, value);
    } else if (!strcmp(name, "metalink")) {
      replace_str(&repo->metalink, value);
    } else if (!strcmp(name, "package-signature")) {
      if (strcmp(value, "required") && strcmp(value, "allow-v3") && strcmp(value, "none"))
        set_error(st, "package-signature must be required, allow-v3 or none, not \"%s\"", value);
      replace_str(&repo->package_signature, value);
    }
    else if (!strcmp(name, "keyring")) {
      free(repo->keyring);
      /* "@media": the urpmi media's own media_info/pubkey, held to the pins. */
      repo->keyring = value[0] == '/' || !strcmp(value, "@media") ? vzt_strdup(value)
                                                                  : vzt_path_join(st->dir, value);
    } else
      set_error(st, "unknown key \"%s\" in [%s]", name, section);
    return 1;
  }
  static const char *const custom[] = {"files", "groups", "users", "services", "settings", "hooks", "limits"};
  for (size_t i = 0; i < VZT_ARRAY_SIZE(custom); i++)
    if (!strcmp(section, custom[i])) {
      char owner[16];
      snprintf(owner, sizeof(owner), "@%s", custom[i]);
      r->entries = vzt_realloc(r->entries, (r->nentries + 1) * sizeof(*r->entries));
      if (!r->entries)
        vzt_out_of_memory();
      r->entries[r->nentries++] =
          (struct vzt_recipe_entry){vzt_strdup(owner), vzt_strdup(name), vzt_strdup(value)};
      return 1;
    }
  const char *owner = NULL;
  if (!strcmp(section, "packages"))
    owner = "packages";
  else if (!strncmp(section, "variant ", 8))
    owner = section + 8;
  if (!owner) {
    set_error(st, "unknown section [%s]", section);
    return 1;
  }
  if (!is_list_key(name, "install") && !is_list_key(name, "exclude") && strcmp(name, "base") &&
      strcmp(name, "weak") && strcmp(name, "extends")) {
    set_error(st, "unknown key \"%s\" in [%s]", name, section);
    return 1;
  }
  if (!strcmp(name, "weak") && strcmp(value, "yes") && strcmp(value, "no")) {
    set_error(st, "weak = %s in [%s]: say yes or no", value, section);
    return 1;
  }
  r->entries = vzt_realloc(r->entries, (r->nentries + 1) * sizeof(*r->entries));
  if (!r->entries)
    vzt_out_of_memory();
  r->entries[r->nentries++] = (struct vzt_recipe_entry){
      vzt_strdup(owner), vzt_strdup(name), vzt_strdup(value)};
  return 1;
}

void vzt_recipe_free(struct vzt_recipe *r)
{
  if (!r)
    return;
  free(r->path);
  free(r->dir);
  free(r->base);
  free(r->name);
  free(r->sha256);
  free(r->distribution);
  free(r->release);
  free(r->codename);
  vzt_strv_free(r->architectures);
  vzt_strv_free(r->variants);
  free(r->default_variant);
  for (size_t i = 0; i < r->nrepos; i++) {
    struct vzt_repo *repo = &r->repos[i];
    free(repo->name);
    free(repo->family);
    vzt_strv_free(repo->mirrors);
    vzt_strv_free(repo->suites);
    vzt_strv_free(repo->components);
    free(repo->keyring);
    vzt_strv_free(repo->keys);
    free(repo->metadata_signature);
    free(repo->package_signature);
    free(repo->metalink);
  }
  free(r->repos);
  for (size_t i = 0; i < r->nentries; i++) {
    free(r->entries[i].section);
    free(r->entries[i].key);
    free(r->entries[i].value);
  }
  free(r->entries);
  free(r);
}

static int check_recipe(struct vzt_recipe *r, struct vzt_error **err)
{
  if (!r->distribution || !r->release)
    return vzt_fail(err, "%s: [template] needs distribution and release", r->path);
  if (!r->architectures || !r->architectures[0])
    return vzt_fail(err, "%s: [template] needs architectures", r->path);
  if (!r->variants || !r->variants[0])
    vzt_strv_push(&r->variants, "default");
  if (!r->default_variant)
    r->default_variant = vzt_strdup(r->variants[0]);
  if (!vzt_strv_contains(r->variants, r->default_variant))
    return vzt_fail(err, "%s: default-variant %s is not among the variants", r->path,
                    r->default_variant);
  if (r->nrepos == 0)
    return vzt_fail(err, "%s: no [repository NAME] section", r->path);
  for (size_t i = 0; i < r->nrepos; i++) {
    struct vzt_repo *repo = &r->repos[i];
    if (!repo->family)
      return vzt_fail(err, "%s: [repository %s] needs family", r->path, repo->name);
    /* A metalink names the mirrors of one repository itself. */
    if (repo->metalink && (!repo->mirrors || !repo->mirrors[0]))
      repo->mirrors = vzt_strv_split("none");
    if (repo->metalink && (!repo->suites || !repo->suites[0]))
      repo->suites = vzt_strv_split(".");
    if (!repo->mirrors || !repo->mirrors[0])
      return vzt_fail(err, "%s: [repository %s] needs mirror", r->path, repo->name);
    if (!repo->suites || !repo->suites[0])
      return vzt_fail(err, "%s: [repository %s] needs suites", r->path, repo->name);
    if (!repo->components)
      repo->components = vzt_strv_split("main");
  }
  return 0;
}

int vzt_recipe_load(const char *path, struct vzt_recipe **out, struct vzt_error **err)
{
  _cleanup_free_ char *data = NULL;
  size_t len;
  if (vzt_read_file_max(path, VZT_LIMIT_RECIPE, &data, &len, err) < 0)
    return vzt_error_prefix(err, "cannot read recipe");
  struct vzt_recipe *r = vzt_calloc(1, sizeof(*r));
  char resolved[PATH_MAX];
  r->path = vzt_strdup(realpath(path, resolved) ? resolved : path);
  struct vzt_digest *d = vzt_digest_new(VZT_DIGEST_SHA256);
  vzt_digest_update(d, data, len);
  char hex[VZT_DIGEST_HEX_MAX];
  vzt_digest_finish(d, hex);
  r->sha256 = vzt_strdup(hex);

  _cleanup_free_ char *pathcopy = vzt_strdup(r->path);
  struct parse_state st = {.r = r, .dir = dirname(pathcopy)};
  int line = ini_parse_string(data, on_entry, &st);
  if (line != 0 || st.error) {
    if (line > 0)
      vzt_fail(err, "%s:%d: %s", path, line, st.error ? st.error : "syntax error");
    else
      vzt_fail(err, "%s: %s", path, st.error ? st.error : "cannot parse");
    free(st.error);
    vzt_recipe_free(r);
    return -1;
  }
  r->dir = vzt_strdup(st.dir);
  /* A derived recipe is checked once its base is merged in. */
  if (!r->base && check_recipe(r, err) < 0) {
    vzt_recipe_free(r);
    return -1;
  }
  *out = r;
  return 0;
}

static void take_str(char **mine, char **theirs)
{
  if (!*mine) {
    *mine = *theirs;
    *theirs = NULL;
  }
}

static void take_strv(char ***mine, char ***theirs)
{
  if (!*mine || !**mine) {
    vzt_strv_free(*mine);
    *mine = *theirs;
    *theirs = NULL;
  }
}

/* "acme-web" from ".../acme-web.conf". */
static char *name_from_path(const char *path)
{
  const char *slash = strrchr(path, '/');
  char *stem = vzt_strdup(slash ? slash + 1 : path);
  if (vzt_endswith(stem, ".conf") && strlen(stem) > strlen(".conf"))
    stem[strlen(stem) - strlen(".conf")] = 0;
  return stem;
}

int vzt_recipe_inherit(struct vzt_recipe *r, const char *recipes_dir, struct vzt_error **err)
{
  /* A golden image is not its base: without "name =" it is named after its
   * own file, so its templates never take (and overwrite) the base's name. */
  if (r->base && !r->name)
    r->name = name_from_path(r->path);
  for (int depth = 0; r->base; depth++) {
    if (depth == 8)
      return vzt_fail(err, "%s: bases nest deeper than 8 (a loop?)", r->path);
    _cleanup_free_ char *spec = steal_pointer(&r->base);
    _cleanup_free_ char *path = NULL;
    /* A relative path is beside the recipe; a name is looked up. */
    _cleanup_free_ char *local = (strchr(spec, '/') || vzt_endswith(spec, ".conf"))
                                     ? (spec[0] == '/' ? vzt_strdup(spec) : vzt_path_join(r->dir, spec))
                                     : NULL;
    if (vzt_recipe_find(recipes_dir, local ? local : spec, &path, err) < 0)
      return vzt_error_prefix(err, "%s: base", r->path);
    struct vzt_recipe *b = NULL;
    if (vzt_recipe_load(path, &b, err) < 0)
      return vzt_error_prefix(err, "%s: base", r->path);
    take_str(&r->distribution, &b->distribution);
    take_str(&r->release, &b->release);
    take_str(&r->codename, &b->codename);
    take_strv(&r->architectures, &b->architectures);
    take_strv(&r->variants, &b->variants);
    take_str(&r->default_variant, &b->default_variant);
    take_str(&r->name, &b->name);
    r->base = steal_pointer(&b->base);
    if (r->nrepos == 0) {
      r->repos = steal_pointer(&b->repos);
      r->nrepos = b->nrepos;
      b->nrepos = 0;
    }
    /* The base's lines first: this recipe's add to them and win. */
    struct vzt_recipe_entry *merged = vzt_calloc(r->nentries + b->nentries + 1, sizeof(*merged));
    /* Either side may have no lines (and no array): memcpy takes no NULL. */
    if (b->nentries)
      memcpy(merged, b->entries, b->nentries * sizeof(*merged));
    if (r->nentries)
      memcpy(merged + b->nentries, r->entries, r->nentries * sizeof(*merged));
    free(r->entries);
    free(b->entries);
    r->entries = merged;
    r->nentries += b->nentries;
    b->entries = NULL;
    b->nentries = 0;
    vzt_recipe_free(b);
  }
  return check_recipe(r, err);
}

void vzt_selection_clear(struct vzt_selection *sel)
{
  free(sel->base);
  vzt_strv_free(sel->install);
  vzt_strv_free(sel->exclude);
  memset(sel, 0, sizeof(*sel));
}

static void apply_entries(const struct vzt_recipe *r, const char *owner, const char *arch,
                          struct vzt_selection *sel)
{
  _cleanup_free_ char *install_arch = vzt_strdupf("install.%s", arch);
  _cleanup_free_ char *exclude_arch = vzt_strdupf("exclude.%s", arch);
  for (size_t i = 0; i < r->nentries; i++) {
    const struct vzt_recipe_entry *e = &r->entries[i];
    if (strcmp(e->section, owner))
      continue;
    char ***list = NULL;
    if (!strcmp(e->key, "install") || !strcmp(e->key, install_arch))
      list = &sel->install;
    else if (!strcmp(e->key, "exclude") || !strcmp(e->key, exclude_arch))
      list = &sel->exclude;
    else if (!strcmp(e->key, "base")) {
      free(sel->base);
      sel->base = strcmp(e->value, "none") ? vzt_strdup(e->value) : NULL;
      continue;
    } else if (!strcmp(e->key, "weak")) {
      sel->weak = !strcmp(e->value, "yes");
      continue;
    }
    if (!list)
      continue;
    _cleanup_strv_ char **words = vzt_strv_split(e->value);
    for (char **w = words; *w; w++)
      if (!vzt_strv_contains(*list, *w))
        vzt_strv_push(list, *w);
  }
}

static const char *variant_parent(const struct vzt_recipe *r, const char *variant)
{
  const char *parent = NULL;
  for (size_t i = 0; i < r->nentries; i++)
    if (!strcmp(r->entries[i].section, variant) && !strcmp(r->entries[i].key, "extends"))
      parent = r->entries[i].value;
  return parent;
}

int vzt_recipe_select(const struct vzt_recipe *r, const char *variant, const char *arch,
                      struct vzt_selection *sel, struct vzt_error **err)
{
  memset(sel, 0, sizeof(*sel));
  sel->weak = -1;
  _cleanup_free_ char *variants = vzt_strv_join(r->variants, ", ");
  _cleanup_free_ char *archs = vzt_strv_join(r->architectures, " ");
  if (!vzt_strv_contains(r->variants, variant))
    return vzt_usage_error(err, "%s has no variant \"%s\" (it has: %s)", r->path, variant,
                           variants);
  if (!vzt_strv_contains(r->architectures, arch))
    return vzt_usage_error(err, "%s does not support architecture %s (it does: %s)", r->path, arch,
                           archs);
  /* The chain from the root variant down: [packages], then each ancestor, then the variant. */
  const char *chain[16];
  size_t n = 0;
  for (const char *v = variant; v; v = variant_parent(r, v)) {
    if (n == VZT_ARRAY_SIZE(chain))
      return vzt_fail(err, "%s: variant %s extends in a loop", r->path, variant);
    if (!vzt_strv_contains(r->variants, v))
      return vzt_fail(err, "%s: variant %s extends unknown variant %s", r->path, chain[n - 1], v);
    chain[n++] = v;
  }
  apply_entries(r, "packages", arch, sel);
  while (n--)
    apply_entries(r, chain[n], arch, sel);
  /* An excluded package is dropped from the install list too. */
  for (size_t i = 0; sel->install && sel->install[i];) {
    if (vzt_strv_contains(sel->exclude, sel->install[i])) {
      free(sel->install[i]);
      memmove(&sel->install[i], &sel->install[i + 1],
              (vzt_strv_len(sel->install) - i) * sizeof(char *));
    } else
      i++;
  }
  if (!sel->install)
    sel->install = vzt_calloc(1, sizeof(char *));
  if (!sel->exclude)
    sel->exclude = vzt_calloc(1, sizeof(char *));
  return 0;
}

const char *vzt_recipe_default_dir(void)
{
  const char *env = getenv("VZTMPL_RECIPES");
  if (env && *env)
    return env;
  /* Run from a build tree (not installed): the tree's recipes, found beside
   * the program so that the installed one carries no build path. A configured
   * build directory holds config.status, which no directory the program is
   * installed into does; a build outside the source tree links recipes there. */
  static char beside[PATH_MAX];
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) {
    exe[n] = 0;
    const char *dir = dirname(exe);
    _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    if (dfd >= 0 && faccessat(dfd, "config.status", F_OK, 0) == 0 &&
        fstatat(dfd, "recipes", &st, 0) == 0 && S_ISDIR(st.st_mode) &&
        snprintf(beside, sizeof(beside), "%s/recipes", dir) < (int) sizeof(beside))
      return beside;
  }
  return VZT_RECIPES_DIR;
}

static bool recipe_matches(const char *path, const char *distro, const char *version)
{
  struct vzt_recipe *r = NULL;
  struct vzt_error *e = NULL;
  if (vzt_recipe_load(path, &r, &e) < 0) {
    vzt_error_free(&e);
    return false;
  }
  bool ok = r->distribution && !strcmp(r->distribution, distro) &&
            (!strcmp(r->release, version) || (r->codename && !strcmp(r->codename, version)));
  vzt_recipe_free(r);
  return ok;
}

char **vzt_recipe_list(const char *recipes_dir)
{
  char **out = vzt_calloc(1, sizeof(char *));
  _cleanup_closedir_ DIR *top = opendir(recipes_dir);
  if (!out)
    vzt_out_of_memory();
  if (!top)
    return out;
  struct dirent *de;
  while ((de = readdir(top))) {
    if (de->d_name[0] == '.')
      continue;
    _cleanup_free_ char *sub = vzt_path_join(recipes_dir, de->d_name);
    _cleanup_closedir_ DIR *d = opendir(sub);
    struct dirent *f;
    while (d && (f = readdir(d)))
      if (vzt_endswith(f->d_name, ".conf") && strcmp(f->d_name, "default.conf"))
        vzt_strv_push_take(&out, vzt_path_join(sub, f->d_name));
  }
  vzt_strv_sort(out);
  return out;
}

/* recipes/<distro>/default.conf names the default recipe of a distribution
 * ("[default]\nrecipe = trixie"). */
static char *default_of(const char *recipes_dir, const char *distro, bool *by_folder)
{
  *by_folder = false;
  _cleanup_strv_ char **all = vzt_recipe_list(recipes_dir);
  _cleanup_free_ char *defpath = NULL;
  for (char **p = all; *p && !defpath; p++) {
    struct vzt_recipe *r = NULL;
    struct vzt_error *e = NULL;
    if (vzt_recipe_load(*p, &r, &e) < 0) {
      vzt_error_free(&e);
      continue;
    }
    if (r->distribution && !strcmp(r->distribution, distro)) {
      _cleanup_free_ char *copy = vzt_strdup(*p);
      defpath = vzt_path_join(dirname(copy), "default.conf");
    }
    vzt_recipe_free(r);
  }
  /* A family of distributions shares a folder (recipes/mandriva holds
   * Mageia and OpenMandriva): its default.conf names one as "mageia:9". */
  if (!defpath)
    defpath = vzt_strdupf("%s/%s/default.conf", recipes_dir, distro);
  _cleanup_free_ char *folder = vzt_strdup(defpath);
  *by_folder = !strcmp(basename(dirname(folder)), distro);
  _cleanup_free_ char *data = NULL;
  struct vzt_error *e = NULL;
  if (!defpath || vzt_read_file_max(defpath, VZT_LIMIT_RECIPE, &data, NULL, &e) < 0) {
    vzt_error_free(&e);
    return NULL;
  }
  char *line = strstr(data, "recipe");
  if (!line || !(line = strchr(line, '=')))
    return NULL;
  line++;
  line[strcspn(line, "\n;#")] = 0;
  return vzt_strdup(vzt_strstrip(line));
}

int vzt_recipe_find(const char *recipes_dir, const char *spec, char **path, struct vzt_error **err)
{
  struct stat st;
  if (strchr(spec, '/') || vzt_endswith(spec, ".conf")) {
    if (stat(spec, &st) < 0)
      return vzt_usage_error(err, "recipe file %s does not exist", spec);
    *path = vzt_strdup(spec);
    return 0;
  }
  _cleanup_free_ char *distro = vzt_strdup(spec);
  char *colon = strchr(distro, ':');
  _cleanup_free_ char *version = NULL;
  bool by_folder = false;
  if (colon) {
    *colon = 0;
    version = vzt_strdup(colon + 1);
  } else if (!(version = default_of(recipes_dir, distro, &by_folder)))
    return vzt_usage_error(err,
                           "no recipe for \"%s\" in %s (see `vztmpl list recipes`, or give "
                           "--recipes-dir)",
                           spec, recipes_dir);
  else if (strchr(version, ':')) {
    /* "mageia:9" in recipes/mandriva/default.conf: the folder's default, or
     * this distribution's own; a sibling distribution in the folder has none. */
    size_t dl = strlen(distro);
    if (!by_folder && (strncmp(version, distro, dl) || version[dl] != ':'))
      return vzt_usage_error(err, "no default recipe for \"%s\": name a release, e.g. %s:<release> "
                                  "(see `vztmpl list recipes`)", distro, distro);
    if (!strchr(version, '/'))
      return vzt_recipe_find(recipes_dir, version, path, err);
  }
  _cleanup_strv_ char **all = vzt_recipe_list(recipes_dir);
  for (char **p = all; *p; p++)
    if (recipe_matches(*p, distro, version)) {
      *path = vzt_strdup(*p);
      return 0;
    }
  return vzt_usage_error(err, "no recipe for %s:%s in %s (see `vztmpl list recipes`)", distro,
                         version, recipes_dir);
}
