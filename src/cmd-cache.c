/* vztmpl cache list|gc|clean: what the cache holds, and removing what no template needs. */
#include "config.h"
#include "src/cmd.h"
#include "cache/gc.h"
#include "tmpl/manifest.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/strutil.h"
#include "lib/json-out.h"
#include "lib/alloc.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_KEEP_DAYS 14

static void usage(FILE *f)
{
  fprintf(f,
          "Usage: vztmpl cache list [-v] [--json]\n"
          "       vztmpl cache gc [--keep DAYS] [--max-size SIZE] [-n] [--json]\n"
          "       vztmpl cache rm [-n] [--json] TEMPLATE...\n"
          "       vztmpl cache clean [--all] [-n] [--json]\n\n"
          "list   sizes by kind (package blobs used by templates or by none, index\n"
          "       blobs, parsed indices, signed Release files, templates, work\n"
          "       directories, partial downloads) and per template its size and how\n"
          "       many of its packages are cached; -v lists each template's blobs.\n"
          "gc     removes every package blob no cached template's manifest lists,\n"
          "       index data (Packages blobs and their parsed solv/ copies) not touched\n"
          "       for DAYS days (--keep, default %d; 0 removes all of it), work\n"
          "       directories of builds that died, *.part downloads and temporary\n"
          "       files. Templates, releases/ and unpacked/ stay, so every cached\n"
          "       template still verifies and `build --offline` of it still works\n"
          "       while its index data is kept.\n"
          "       --max-size SIZE (bytes, or with K, M, G, T: 20G) then removes\n"
          "       templates, oldest first (by when they were built), and the package\n"
          "       blobs only they listed, until the whole cache is under SIZE. A\n"
          "       template whose tree deploy keeps in unpacked/ (overlay, reflink)\n"
          "       is in use and stays.\n"
          "rm     removes each TEMPLATE (a name as `vztmpl list templates` prints it):\n"
          "       manifest, archive and the signed list beside a downloaded one; its\n"
          "       package blobs go at the next gc. Nothing is removed if one name is\n"
          "       not a cached template.\n"
          "clean  removes everything but the templates (blobs, parsed indices,\n"
          "       releases, work directories); --all removes the templates too.\n"
          "       unpacked/ (deploy's trees, maybe under mounted overlays) stays.\n\n"
          "gc, rm and clean take the cache's exclusive lock: they wait for running\n"
          "builds to finish, and builds wait for them.\n\n"
          "  -v, --verbose     list: each template's blobs\n"
          "      --keep DAYS   gc: keep index data touched within DAYS days\n"
          "      --max-size SIZE  gc: then the oldest templates, until under SIZE\n"
          "      --all         clean: the templates too\n"
          "  -n, --dry-run     gc, rm, clean: say what would be removed, remove nothing\n"
          "      --json        machine-readable output on stdout\n"
          "  -h, --help        this help\n",
          DEFAULT_KEEP_DAYS);
}

static const char *human(uint64_t n, char buf[32])
{
  if (n < 1024)
    snprintf(buf, 32, "%llu B", (unsigned long long) n);
  else if (n < 1024 * 1024)
    snprintf(buf, 32, "%.1f KiB", n / 1024.0);
  else if (n < 1024ull * 1024 * 1024)
    snprintf(buf, 32, "%.1f MiB", n / 1048576.0);
  else
    snprintf(buf, 32, "%.2f GiB", n / 1073741824.0);
  return buf;
}

/* --- the cached templates' manifests --- */

struct templates {
  struct vzt_manifest *v;
  char **paths; /* of the manifests */
  size_t n;
};

static void templates_clear(struct templates *t)
{
  for (size_t i = 0; i < t->n; i++)
    vzt_manifest_clear(&t->v[i]);
  free(t->v);
  vzt_strv_free(t->paths);
  memset(t, 0, sizeof(*t));
}

/* Every templates/<name>.json. strict: one that cannot be read is an error
 * (gc must not remove the blobs of a template it cannot see). */
static int load_templates(struct vzt_cache *c, bool strict, struct templates *t,
                          struct vzt_error **err)
{
  memset(t, 0, sizeof(*t));
  t->paths = vzt_calloc(1, sizeof(char *));
  _cleanup_free_ char *dir = vzt_cache_path(c, "templates");
  struct dirent **names = NULL;
  int n = scandir(dir, &names, NULL, alphasort);
  if (n < 0)
    return 0;
  t->v = vzt_calloc((size_t) n + 1, sizeof(*t->v));
  int ret = 0;
  for (int i = 0; i < n; i++) {
    const char *name = names[i]->d_name;
    if (ret == 0 && vzt_cache_is_manifest(name)) {
      _cleanup_free_ char *path = vzt_path_join(dir, name);
      struct vzt_error *e = NULL;
      if (vzt_manifest_load(path, &t->v[t->n], &e) == 0) {
        vzt_strv_push(&t->paths, path);
        t->n++;
      } else if (strict) {
        *err = e;
        ret = vzt_error_prefix(err, "cannot tell which blobs this template needs; remove "
                                    "it or fix its manifest before gc");
      } else {
        vzt_warn("%s", e->msg);
        vzt_error_free(&e);
      }
    }
    free(names[i]);
  }
  free(names);
  return ret;
}

static char **referenced_blobs(const struct templates *t)
{
  char **v = vzt_calloc(1, sizeof(char *));
  for (size_t i = 0; i < t->n; i++)
    for (size_t j = 0; j < t->v[i].npackages; j++)
      if (t->v[i].packages[j].sha256)
        vzt_strv_push(&v, t->v[i].packages[j].sha256);
  return v;
}

static uint64_t file_size(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 ? (uint64_t) st.st_size : 0;
}

/* --- list --- */

static const struct {
  const char *name, *what;
  size_t offset;
} areas[] = {
    {"packages", "blobs used by templates", offsetof(struct vzt_cache_usage, referenced)},
    {"unreferenced", "blobs used by no template", offsetof(struct vzt_cache_usage, unreferenced)},
    {"indices", "index blobs", offsetof(struct vzt_cache_usage, indices)},
    {"parsed", "parsed index files (solv/)", offsetof(struct vzt_cache_usage, parsed)},
    {"releases", "signed Release files", offsetof(struct vzt_cache_usage, releases)},
    {"templates", "files (templates/)", offsetof(struct vzt_cache_usage, templates)},
    {"tmp", "files in work directories", offsetof(struct vzt_cache_usage, tmp)},
    {"partial", "partial downloads and temporary files", offsetof(struct vzt_cache_usage, partial)},
    {"unpacked", "files in deploy's unpacked trees", offsetof(struct vzt_cache_usage, unpacked)},
};

static const struct vzt_cache_area *area_of(const struct vzt_cache_usage *u, size_t i)
{
  return (const struct vzt_cache_area *) ((const char *) u + areas[i].offset);
}

static json_object *areas_json(const struct vzt_cache_usage *u)
{
  json_object *o = json_object_new_object();
  for (size_t i = 0; i < VZT_ARRAY_SIZE(areas); i++) {
    json_object *a = json_object_new_object();
    json_object_object_add(a, "bytes", json_object_new_int64((int64_t) area_of(u, i)->bytes));
    json_object_object_add(a, "files", json_object_new_int64((int64_t) area_of(u, i)->files));
    json_object_object_add(o, areas[i].name, a);
  }
  struct vzt_cache_area t = vzt_cache_usage_total(u);
  json_object *a = json_object_new_object();
  json_object_object_add(a, "bytes", json_object_new_int64((int64_t) t.bytes));
  json_object_object_add(a, "files", json_object_new_int64((int64_t) t.files));
  json_object_object_add(o, "total", a);
  return o;
}

/* How many cached templates list this blob. */
static size_t users_of(const struct templates *t, const char *sha256)
{
  size_t n = 0;
  for (size_t i = 0; i < t->n; i++)
    for (size_t j = 0; j < t->v[i].npackages; j++)
      if (t->v[i].packages[j].sha256 && !strcasecmp(t->v[i].packages[j].sha256, sha256)) {
        n++;
        break;
      }
  return n;
}

static int cache_list(struct vzt_ctx *ctx, bool json, bool verbose)
{
  struct vzt_error *err = NULL;
  struct vzt_cache *c = NULL;
  if (vzt_ctx_open_cache(ctx, &c, &err) < 0)
    return vzt_ctx_report(&err);
  struct templates t;
  load_templates(c, false, &t, &err);
  _cleanup_strv_ char **refs = referenced_blobs(&t);
  struct vzt_cache_usage u;
  if (vzt_cache_usage(c, refs, &u, &err) < 0) {
    templates_clear(&t);
    vzt_cache_close(c);
    return vzt_ctx_report(&err);
  }
  char b1[32], b2[32];
  json_object *jt = json ? json_object_new_array() : NULL;
  if (!json) {
    printf("cache %s: %s\n", vzt_cache_dir(c), human(vzt_cache_usage_total(&u).bytes, b1));
    for (size_t i = 0; i < VZT_ARRAY_SIZE(areas); i++) {
      const struct vzt_cache_area *a = area_of(&u, i);
      if (!strcmp(areas[i].name, "unpacked") && !a->files)
        continue;
      printf("  %-13s %11s  %llu %s\n", areas[i].name, human(a->bytes, b1),
             (unsigned long long) a->files, areas[i].what);
    }
    if (t.n)
      printf("templates:\n");
  }
  for (size_t i = 0; i < t.n; i++) {
    const struct vzt_manifest *m = &t.v[i];
    _cleanup_free_ char *dir = vzt_cache_path(c, "templates");
    _cleanup_free_ char *archive = m->archive_file && !strchr(m->archive_file, '/')
                                       ? vzt_path_join(dir, m->archive_file)
                                       : NULL;
    uint64_t size = (archive ? file_size(archive) : 0) + file_size(t.paths[i]);
    uint64_t cached = 0, cached_bytes = 0;
    json_object *jb = json ? json_object_new_array() : NULL;
    if (!json)
      printf("  %-32s %11s  %zu packages", m->name, human(size, b1), m->npackages);
    for (size_t j = 0; j < m->npackages; j++) {
      const struct vzt_manifest_package *p = &m->packages[j];
      _cleanup_free_ char *blob = p->sha256 ? vzt_cache_blob_path(c, p->sha256) : NULL;
      struct stat st;
      bool have = blob && stat(blob, &st) == 0 && S_ISREG(st.st_mode);
      if (have) {
        cached++;
        cached_bytes += (uint64_t) st.st_size;
      }
      if (jb) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "sha256", p->sha256 ? json_object_new_string(p->sha256) : NULL);
        json_object_object_add(o, "package", json_object_new_string(p->name ? p->name : ""));
        json_object_object_add(o, "version", json_object_new_string(p->version ? p->version : ""));
        json_object_object_add(o, "architecture",
                               json_object_new_string(p->architecture ? p->architecture : ""));
        json_object_object_add(o, "size", json_object_new_int64((int64_t) p->size));
        json_object_object_add(o, "cached", json_object_new_boolean(have));
        json_object_object_add(o, "templates",
                               json_object_new_int64((int64_t) (p->sha256 ? users_of(&t, p->sha256) : 0)));
        json_object_array_add(jb, o);
      }
    }
    if (json) {
      json_object *o = json_object_new_object();
      json_object_object_add(o, "name", json_object_new_string(m->name));
      json_object_object_add(o, "bytes", json_object_new_int64((int64_t) size));
      json_object_object_add(o, "packages", json_object_new_int64((int64_t) m->npackages));
      json_object_object_add(o, "cached", json_object_new_int64((int64_t) cached));
      json_object_object_add(o, "cached_bytes", json_object_new_int64((int64_t) cached_bytes));
      json_object_object_add(o, "blobs", jb);
      json_object_array_add(jt, o);
      continue;
    }
    printf(", %llu cached (%s)\n", (unsigned long long) cached, human(cached_bytes, b2));
    for (size_t j = 0; verbose && j < m->npackages; j++) {
      const struct vzt_manifest_package *p = &m->packages[j];
      _cleanup_free_ char *blob = p->sha256 ? vzt_cache_blob_path(c, p->sha256) : NULL;
      size_t users = p->sha256 ? users_of(&t, p->sha256) : 0;
      printf("    %s  %s %s %s%s", p->sha256 ? p->sha256 : "(no sha256)", p->name, p->version,
             p->architecture, blob && access(blob, F_OK) == 0 ? "" : "  (not cached)");
      if (users > 1)
        printf("  (%zu templates)", users);
      printf("\n");
    }
  }
  if (json) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "cache", json_object_new_string(vzt_cache_dir(c)));
    json_object_object_add(o, "usage", areas_json(&u));
    json_object_object_add(o, "templates", jt);
    vzt_json_print_put(o);
  }
  templates_clear(&t);
  vzt_cache_close(c);
  return 0;
}

/* --- gc and clean --- */

/* Not vzt_ctx_open_cache: that takes the shared lock, and gc wants the
 * exclusive one before it reads a single manifest. */
static int open_exclusive(struct vzt_ctx *ctx, struct vzt_cache **c, struct vzt_error **err)
{
  _cleanup_free_ char *def = ctx->cache_dir ? NULL : vzt_cache_default_dir();
  const char *dir = ctx->cache_dir ? ctx->cache_dir : def;
  if (vzt_cache_open(dir, c, err) < 0)
    return vzt_error_prefix(err, "cache %s", dir ? dir : "(no directory)");
  if (vzt_cache_lock(*c, true, err) < 0) {
    vzt_cache_close(*c);
    *c = NULL;
    return -1;
  }
  return 0;
}

static void report_freed(const char *verb, const struct vzt_gc_result *r, bool json, const char *dir,
                         size_t templates, char *const *removed)
{
  struct vzt_cache_area total = vzt_cache_usage_total(&r->freed);
  char b1[32], b2[32];
  if (json) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "cache", json_object_new_string(dir));
    json_object_object_add(o, "dry_run", json_object_new_boolean(!strcmp(verb, "would free")));
    json_object *rm = json_object_new_array();
    for (char *const *p = removed; p && *p; p++)
      json_object_array_add(rm, json_object_new_string(*p));
    json_object_object_add(o, "removed_templates", rm);
    json_object_object_add(o, "freed", areas_json(&r->freed));
    json_object *k = json_object_new_object();
    json_object_object_add(k, "bytes", json_object_new_int64((int64_t) r->kept.bytes));
    json_object_object_add(k, "files", json_object_new_int64((int64_t) r->kept.files));
    json_object_object_add(k, "templates", json_object_new_int64((int64_t) templates));
    json_object_object_add(o, "kept", k);
    vzt_json_print_put(o);
    return;
  }
  for (char *const *p = removed; p && *p; p++)
    printf("%s template %s\n", strcmp(verb, "would free") ? "removed" : "would remove", *p);
  printf("%s %s in %llu files:\n", verb, human(total.bytes, b1), (unsigned long long) total.files);
  for (size_t i = 0; i < VZT_ARRAY_SIZE(areas); i++) {
    const struct vzt_cache_area *a = area_of(&r->freed, i);
    if (a->files)
      printf("  %-13s %11s  %llu %s\n", areas[i].name, human(a->bytes, b2),
             (unsigned long long) a->files, areas[i].what);
  }
  if (r->kept.files)
    printf("kept %llu blobs (%s) that %zu cached template%s need\n", (unsigned long long) r->kept.files,
           human(r->kept.bytes, b1), templates, templates == 1 ? "" : "s");
}

static size_t strv_len(char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

/* Blobs of the templates not marked as removed. */
static char **remaining_blobs(const struct templates *t, const bool *removed)
{
  char **v = vzt_calloc(1, sizeof(char *));
  for (size_t i = 0; i < t->n; i++)
    for (size_t j = 0; !removed[i] && j < t->v[i].npackages; j++)
      if (t->v[i].packages[j].sha256)
        vzt_strv_push(&v, t->v[i].packages[j].sha256);
  return v;
}

/* deploy keeps unpacked/<archive sha256>[+uid<shift>] as the lower layer of
 * overlays and the source of reflinks: such a template is in use. */
static bool template_in_use(struct vzt_cache *c, const struct vzt_manifest *m)
{
  if (!m->archive_sha256)
    return false;
  _cleanup_free_ char *dir = vzt_cache_path(c, "unpacked");
  _cleanup_closedir_ DIR *d = opendir(dir);
  size_t n = strlen(m->archive_sha256);
  struct dirent *de;
  while (d && (de = readdir(d)))
    if (!strncasecmp(de->d_name, m->archive_sha256, n) && (!de->d_name[n] || de->d_name[n] == '+'))
      return true;
  return false;
}

struct by_age {
  size_t i;
  time_t mtime;
};

static int by_age_cmp(const void *a, const void *b)
{
  const struct by_age *x = a, *y = b;
  return x->mtime < y->mtime ? -1 : x->mtime > y->mtime ? 1 : (x->i > y->i) - (x->i < y->i);
}

static void area_add(struct vzt_cache_area *a, const struct vzt_cache_area *b)
{
  a->bytes += b->bytes;
  a->files += b->files;
}

static void usage_add(struct vzt_cache_usage *a, const struct vzt_cache_usage *b)
{
  area_add(&a->referenced, &b->referenced);
  area_add(&a->unreferenced, &b->unreferenced);
  area_add(&a->indices, &b->indices);
  area_add(&a->parsed, &b->parsed);
  area_add(&a->releases, &b->releases);
  area_add(&a->templates, &b->templates);
  area_add(&a->tmp, &b->tmp);
  area_add(&a->partial, &b->partial);
  area_add(&a->unpacked, &b->unpacked);
}

/* After the ordinary gc (r): picks templates, oldest first and not in use,
 * until the cache would be under max_size, counting each one's files and the
 * blobs only it listed; then removes them and their blobs (unless dry_run).
 * The names go to *removed, what they free into r. */
static int shrink_to(struct vzt_cache *c, const struct templates *t, uint64_t max_size, unsigned keep_days,
                     bool dry_run, struct vzt_gc_result *r, char ***removed, struct vzt_error **err)
{
  _cleanup_strv_ char **refs = referenced_blobs(t);
  struct vzt_cache_usage now, later;
  if (vzt_cache_usage(c, refs, &now, err) < 0)
    return -1;
  /* A dry run removed nothing yet: what the ordinary gc would free is gone too. */
  uint64_t size = vzt_cache_usage_total(&now).bytes - (dry_run ? vzt_cache_usage_total(&r->freed).bytes : 0);
  uint64_t unref_base = now.unreferenced.bytes, unref_files = now.unreferenced.files;
  _cleanup_free_ bool *gone = vzt_calloc(t->n + 1, sizeof(bool));
  _cleanup_free_ struct by_age *order = vzt_calloc(t->n + 1, sizeof(*order));
  if (!gone || !order)
    vzt_out_of_memory();
  size_t nc = 0;
  for (size_t i = 0; i < t->n; i++) {
    struct stat st;
    if (template_in_use(c, &t->v[i]))
      continue;
    order[nc++] = (struct by_age){i, stat(t->paths[i], &st) == 0 ? st.st_mtime : 0};
  }
  qsort(order, nc, sizeof(*order), by_age_cmp);
  struct vzt_cache_area files = {0}, blobs = {0};
  for (size_t k = 0; k < nc && size > max_size; k++) {
    const struct vzt_manifest *m = &t->v[order[k].i];
    struct vzt_cache_area these = {0};
    if (vzt_cache_template_remove(c, m->name, m->archive_file, true, &these, err) < 0)
      return -1;
    gone[order[k].i] = true;
    vzt_strv_push(removed, m->name);
    _cleanup_strv_ char **left = remaining_blobs(t, gone);
    if (vzt_cache_usage(c, left, &later, err) < 0)
      return -1;
    area_add(&files, &these);
    uint64_t freed_blobs = later.unreferenced.bytes - unref_base;
    size = vzt_cache_usage_total(&now).bytes - (dry_run ? vzt_cache_usage_total(&r->freed).bytes : 0) -
           files.bytes - freed_blobs;
    blobs = (struct vzt_cache_area){freed_blobs, later.unreferenced.files - unref_files};
  }
  if (size > max_size) {
    char b1[32], b2[32];
    vzt_warn("the cache stays at %s, over --max-size %s: the rest is templates in use by deploy's unpacked "
             "trees, those trees, and index data (see `vztmpl cache list`; `cache rm`, `cache clean` remove more)",
             human(size, b1), human(max_size, b2));
  }
  if (!**removed)
    return 0;
  if (dry_run) {
    area_add(&r->freed.templates, &files);
    area_add(&r->freed.unreferenced, &blobs);
    return 0;
  }
  struct vzt_gc_result r2;
  for (size_t i = 0; i < t->n; i++)
    if (gone[i] && vzt_cache_template_remove(c, t->v[i].name, t->v[i].archive_file, false, &r->freed.templates,
                                             err) < 0)
      return -1;
  _cleanup_strv_ char **left = remaining_blobs(t, gone);
  struct vzt_gc_opts o = {.referenced = left, .keep_days = keep_days};
  if (vzt_cache_gc(c, &o, &r2, err) < 0)
    return -1;
  usage_add(&r->freed, &r2.freed);
  r->kept = r2.kept;
  return 0;
}

static int cache_gc(struct vzt_ctx *ctx, bool json, unsigned keep_days, bool dry_run, uint64_t max_size)
{
  struct vzt_error *err = NULL;
  struct vzt_cache *c = NULL;
  if (open_exclusive(ctx, &c, &err) < 0)
    return vzt_ctx_report(&err);
  struct templates t;
  struct vzt_gc_result r;
  int status = 0;
  _cleanup_strv_ char **removed = vzt_calloc(1, sizeof(char *));
  if (load_templates(c, true, &t, &err) < 0) {
    status = vzt_ctx_report(&err);
  } else {
    _cleanup_strv_ char **refs = referenced_blobs(&t);
    struct vzt_gc_opts o = {.referenced = refs, .keep_days = keep_days, .dry_run = dry_run};
    if (vzt_cache_gc(c, &o, &r, &err) < 0 ||
        (max_size && shrink_to(c, &t, max_size, keep_days, dry_run, &r, &removed, &err) < 0))
      status = vzt_ctx_report(&err);
    else
      report_freed(dry_run ? "would free" : "freed", &r, json, vzt_cache_dir(c), t.n - strv_len(removed),
                   removed);
  }
  templates_clear(&t);
  vzt_cache_close(c);
  return status;
}

/* --- rm --- */

/* "a, b, c" of the cached templates' names, or "none". */
static char *names_of(const struct templates *t)
{
  char *s = vzt_strdup("");
  for (size_t i = 0; i < t->n; i++) {
    char *n = vzt_strdupf("%s%s%s", s, i ? ", " : "", t->v[i].name);
    free(s);
    s = n;
  }
  if (!*s) {
    free(s);
    s = vzt_strdup("none");
  }
  return s;
}

/* A manifest that does not load (and so is not among the templates) can still be removed by name. */
static bool manifest_exists(const char *dir, const char *name)
{
  _cleanup_free_ char *path = vzt_strdupf("%s/%s.json", dir, name);
  struct stat st;
  return lstat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int cache_rm(struct vzt_ctx *ctx, bool json, bool dry_run, char **names)
{
  struct vzt_error *err = NULL;
  struct vzt_cache *c = NULL;
  if (open_exclusive(ctx, &c, &err) < 0)
    return vzt_ctx_report(&err);
  struct templates t;
  load_templates(c, false, &t, &err);
  int status = 0;
  _cleanup_free_ ssize_t *which = vzt_calloc(strv_len(names) + 1, sizeof(ssize_t));
  _cleanup_free_ char *templates_dir = vzt_cache_path(c, "templates");
  if (!which)
    vzt_out_of_memory();
  /* Every name is checked before anything goes: all or nothing. */
  for (size_t k = 0; names[k] && status == 0; k++) {
    const char *name = names[k];
    which[k] = -1;
    for (size_t i = 0; i < t.n; i++)
      if (!strcmp(t.v[i].name, name))
        which[k] = (ssize_t) i;
    bool plain = *name && name[0] != '.' && !strchr(name, '/');
    if (!plain) {
      vzt_refuse(&err, "\"%s\" is not a template name (a name as `vztmpl list templates` prints it, not a path)",
                 name);
      status = vzt_ctx_report(&err);
    } else if (which[k] < 0 && !manifest_exists(templates_dir, name)) {
      _cleanup_free_ char *have = names_of(&t);
      fprintf(stderr, "vztmpl cache rm: no template %s in the cache %s; it has: %s\n", name, vzt_cache_dir(c),
              have);
      status = VZT_EXIT_USAGE;
    }
  }
  struct vzt_gc_result r;
  memset(&r, 0, sizeof(r));
  _cleanup_strv_ char **removed = vzt_calloc(1, sizeof(char *));
  for (size_t k = 0; status == 0 && names[k]; k++) {
    /* A manifest that does not load names no archive: the usual one. */
    const char *archive = which[k] >= 0 ? t.v[which[k]].archive_file : NULL;
    if (vzt_cache_template_remove(c, names[k], archive, dry_run, &r.freed.templates, &err) < 0)
      status = vzt_ctx_report(&err);
    else
      vzt_strv_push(&removed, names[k]);
  }
  if (status == 0)
    report_freed(dry_run ? "would free" : "freed", &r, json, vzt_cache_dir(c), 0, removed);
  templates_clear(&t);
  vzt_cache_close(c);
  return status;
}

static int cache_clean(struct vzt_ctx *ctx, bool json, bool all, bool dry_run)
{
  struct vzt_error *err = NULL;
  struct vzt_cache *c = NULL;
  if (open_exclusive(ctx, &c, &err) < 0)
    return vzt_ctx_report(&err);
  struct vzt_gc_result r;
  int status = 0;
  if (vzt_cache_clean(c, all, dry_run, &r, &err) < 0)
    status = vzt_ctx_report(&err);
  else
    report_freed(dry_run ? "would free" : "freed", &r, json, vzt_cache_dir(c), 0, NULL);
  vzt_cache_close(c);
  return status;
}

/* "20G", "512M", "1.5T", "4096": K, M, G, T are powers of 1024 (a trailing
 * "B" or "iB" is allowed). */
static int parse_size(const char *s, uint64_t *out)
{
  char *end;
  if (!*s || *s == '-')
    return -1;
  double v = strtod(s, &end);
  if (end == s || v < 0)
    return -1;
  double mult = 1;
  const char *units = "KMGT";
  const char *u = *end ? strchr(units, toupper((unsigned char) *end)) : NULL;
  if (u && *end) {
    for (const char *p = units; p <= u; p++)
      mult *= 1024;
    end++;
    if (!strcmp(end, "iB") || !strcmp(end, "B"))
      end += strlen(end);
  } else if (!strcmp(end, "B"))
    end++;
  if (*end || v * mult >= 1.8e19)
    return -1;
  *out = (uint64_t) (v * mult);
  return 0;
}

int vzt_cmd_cache(struct vzt_ctx *ctx, int argc, char **argv)
{
  enum { OPT_KEEP = 256, OPT_ALL, OPT_JSON, OPT_MAX_SIZE };
  static const struct option opts[] = {
      {"verbose", no_argument, NULL, 'v'},
      {"keep", required_argument, NULL, OPT_KEEP},
      {"max-size", required_argument, NULL, OPT_MAX_SIZE},
      {"all", no_argument, NULL, OPT_ALL},
      {"dry-run", no_argument, NULL, 'n'},
      {"json", no_argument, NULL, OPT_JSON},
      {"help", no_argument, NULL, 'h'},
      {0},
  };
  bool json = ctx->json, verbose = ctx->verbosity >= VZT_LOG_DEBUG, all = false, dry_run = false;
  bool keep_given = false;
  unsigned keep_days = DEFAULT_KEEP_DAYS;
  uint64_t max_size = 0;
  int c;
  while ((c = vzt_ctx_getopt(ctx, argc, argv, "vnh", opts)) != -1) {
    switch (c) {
    case 'v': verbose = true; break;
    case OPT_KEEP: {
      char *end;
      unsigned long v = strtoul(optarg, &end, 10);
      if (!*optarg || *end || optarg[0] == '-' || v > 36500) {
        fprintf(stderr, "vztmpl cache: --keep wants a number of days from 0 to 36500\n");
        return VZT_EXIT_USAGE;
      }
      keep_days = (unsigned) v;
      keep_given = true;
      break;
    }
    case OPT_MAX_SIZE:
      if (parse_size(optarg, &max_size) < 0 || max_size == 0) {
        fprintf(stderr, "vztmpl cache: --max-size wants a size above 0: bytes, or a number with K, M, G "
                        "or T (20G)\n");
        return VZT_EXIT_USAGE;
      }
      break;
    case OPT_ALL: all = true; break;
    case 'n': dry_run = true; break;
    case OPT_JSON: json = true; break;
    case 'h': usage(stdout); return 0;
    default: return VZT_EXIT_USAGE;
    }
  }
  json |= ctx->json; /* global options may follow the command */
  verbose |= ctx->verbosity >= VZT_LOG_DEBUG;
  const char *sub = optind < argc ? argv[optind] : NULL;
  bool is_rm = sub && !strcmp(sub, "rm");
  if (!sub || (is_rm ? argc - optind < 2 : argc - optind != 1)) {
    if (is_rm)
      fprintf(stderr, "vztmpl cache rm: name the templates to remove (`vztmpl list templates`)\n\n");
    usage(stderr);
    return VZT_EXIT_USAGE;
  }
  bool is_list = !strcmp(sub, "list"), is_gc = !strcmp(sub, "gc"), is_clean = !strcmp(sub, "clean");
  if (!is_list && !is_gc && !is_clean && !is_rm) {
    fprintf(stderr, "vztmpl cache: unknown subcommand \"%s\" (list, gc, rm or clean)\n", sub);
    return VZT_EXIT_USAGE;
  }
  if (((keep_given || max_size) && !is_gc) || (all && !is_clean) || (dry_run && is_list)) {
    fprintf(stderr, "vztmpl cache %s: --keep and --max-size are for gc, --all for clean, -n for gc, rm and "
                    "clean\n", sub);
    return VZT_EXIT_USAGE;
  }
  if (is_list)
    return cache_list(ctx, json, verbose);
  if (is_gc)
    return cache_gc(ctx, json, keep_days, dry_run, max_size);
  if (is_rm)
    return cache_rm(ctx, json, dry_run, argv + optind + 1);
  return cache_clean(ctx, json, all, dry_run);
}
