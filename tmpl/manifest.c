/* Template manifests as JSON with json-c. */
#include "config.h"
#include "tmpl/manifest.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"
#include "lib/json-out.h"
#include "lib/alloc.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static json_object *str_or_null(const char *s) { return s ? json_object_new_string(s) : NULL; }

/* A number, or null where the host does not say. */
static json_object *bc_num(uint64_t v, bool known)
{
  return known && v != VZT_BC_UNLIMITED ? json_object_new_int64((int64_t) v) : NULL;
}

/* The configure stage's beancounters: what it was allowed and what it used. */
static json_object *limits_json(const struct vzt_manifest *m)
{
  json_object *l = json_object_new_object();
  json_object_object_add(l, "cgroup", json_object_new_boolean(!m->limits_note));
  if (m->limits_note)
    json_object_object_add(l, "note", json_object_new_string(m->limits_note));
  for (int i = 0; i < VZT_BC_NRES; i++) {
    const struct vzt_bc_row *r = &m->limits[i];
    if (r->limit == VZT_BC_UNLIMITED && !r->accounted)
      continue;
    json_object *ro = json_object_new_object();
    json_object_object_add(ro, "limit", bc_num(r->limit, true));
    json_object_object_add(ro, "maxheld", bc_num(r->maxheld, r->accounted));
    json_object_object_add(ro, "failcnt", bc_num(r->failcnt, r->accounted));
    json_object_object_add(l, vzt_bc_name(r->res), ro);
  }
  return l;
}

static json_object *strv_array(char *const *v)
{
  json_object *a = json_object_new_array();
  for (size_t i = 0; v && v[i]; i++)
    json_object_array_add(a, json_object_new_string(v[i]));
  return a;
}

char *vzt_manifest_to_json(const struct vzt_manifest *m)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "format", json_object_new_int(1));
  json_object_object_add(o, "name", str_or_null(m->name));
  json_object_object_add(o, "distribution", str_or_null(m->distribution));
  json_object_object_add(o, "release", str_or_null(m->release));
  json_object_object_add(o, "codename", str_or_null(m->codename));
  json_object_object_add(o, "variant", str_or_null(m->variant));
  json_object_object_add(o, "architecture", str_or_null(m->architecture));
  json_object_object_add(o, "family_architecture", str_or_null(m->family_architecture));
  if (m->family)
    json_object_object_add(o, "family", json_object_new_string(m->family));
  json_object *recipe = json_object_new_object();
  json_object_object_add(recipe, "path", str_or_null(m->recipe_path));
  json_object_object_add(recipe, "sha256", str_or_null(m->recipe_sha256));
  json_object_object_add(o, "recipe", recipe);
  json_object *inputs = json_object_new_object();
  json_object_object_add(inputs, "include", strv_array(m->include));
  json_object_object_add(inputs, "exclude", strv_array(m->exclude));
  json_object_object_add(inputs, "mirrors", strv_array(m->mirror_override));
  json_object_object_add(inputs, "keyring", str_or_null(m->keyring_override));
  json_object_object_add(o, "inputs", inputs);
  json_object_object_add(o, "source_date_epoch", json_object_new_int64(m->source_date_epoch));
  json_object_object_add(o, "build_seconds", json_object_new_double(m->build_seconds));
  if (m->configure)
    json_object_object_add(o, "configure", json_object_new_string(m->configure));
  if (m->configure_tools)
    json_object_object_add(o, "configure_tools", json_object_new_string(m->configure_tools));
  json_object *verified = json_object_new_array();
  for (size_t i = 0; m->verified && m->verified[i]; i++) {
    json_object *v = json_object_new_object();
    char *sp = strchr(m->verified[i], ' ');
    _cleanup_free_ char *suite = vzt_strndup(m->verified[i], sp ? (size_t) (sp - m->verified[i]) : strlen(m->verified[i]));
    json_object_object_add(v, "suite", json_object_new_string(suite));
    json_object_object_add(v, "signed_by", str_or_null(sp ? sp + 1 : NULL));
    json_object_array_add(verified, v);
  }
  json_object_object_add(o, "verified_indices", verified);
  json_object_object_add(o, "mirrors", strv_array(m->mirrors));
  json_object *pkgs = json_object_new_array();
  for (size_t i = 0; i < m->npackages; i++) {
    const struct vzt_manifest_package *p = &m->packages[i];
    json_object *po = json_object_new_object();
    json_object_object_add(po, "name", json_object_new_string(p->name));
    json_object_object_add(po, "version", json_object_new_string(p->version));
    json_object_object_add(po, "architecture", json_object_new_string(p->architecture));
    json_object_object_add(po, "size", json_object_new_int64((int64_t) p->size));
    json_object_object_add(po, "sha256", str_or_null(p->sha256));
    if (p->url)
      json_object_object_add(po, "url", json_object_new_string(p->url));
    json_object_array_add(pkgs, po);
  }
  json_object_object_add(o, "packages", pkgs);
  json_object_object_add(o, "customizations", strv_array(m->customizations));
  json_object_object_add(o, "first_boot", strv_array(m->first_boot));
  if (m->has_limits)
    json_object_object_add(o, "limits", limits_json(m));
  if (m->archive_file) {
    json_object *a = json_object_new_object();
    json_object_object_add(a, "file", json_object_new_string(m->archive_file));
    json_object_object_add(a, "sha256", str_or_null(m->archive_sha256));
    json_object_object_add(a, "size", json_object_new_int64((int64_t) m->archive_size));
    json_object_object_add(a, "unpacked_size", json_object_new_int64((int64_t) m->unpacked_size));
    json_object_object_add(a, "entries", json_object_new_int64((int64_t) m->entries));
    json_object_object_add(o, "archive", a);
  }
  json_object *req = json_object_new_object();
  json_object_object_add(req, "init", str_or_null(m->init ? m->init : "none"));
  json_object_object_add(req, "cgroup",
                         json_object_new_string(m->init && !strcmp(m->init, "systemd")
                                                    ? "v2 (or v1 with a named systemd hierarchy)"
                                                    : "any"));
  json_object_object_add(o, "container_requirements", req);
  char *out = vzt_strdup(vzt_json_text(o));
  json_object_put(o);
  return out;
}

static char *get_str(json_object *o, const char *key)
{
  json_object *v;
  if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
    return NULL;
  return vzt_strdup(json_object_get_string(v));
}

/* A JSON array of strings as a NULL-terminated vector (empty when absent). */
static char **get_strv(json_object *o, const char *key)
{
  char **v = vzt_calloc(1, sizeof(char *));
  json_object *a;
  if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
    return v;
  for (size_t i = 0; i < json_object_array_length(a); i++) {
    json_object *e = json_object_array_get_idx(a, i);
    if (json_object_is_type(e, json_type_string))
      vzt_strv_push(&v, json_object_get_string(e));
  }
  return v;
}

/* --- validation: every field a manifest gives is checked before anyone uses
 * it, since a hash becomes a path component (the cached unpacked tree) and a
 * name a file name. */

#define MANIFEST_NAME_MAX 128
/* Sizes in bytes and entry counts beyond these are no template's. */
#define MANIFEST_SIZE_MAX (UINT64_C(1) << 44)
#define MANIFEST_ENTRIES_MAX (UINT64_C(1) << 32)

static bool is_sha256_hex(const char *s)
{
  size_t n = strspn(s, "0123456789abcdef");
  return n == 64 && !s[n];
}

/* Template names and their parts: a letter or digit, then letters, digits,
 * '.', '_', '+', '-'; never "." or "..", never a '/'. */
static bool is_name(const char *s)
{
  static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  size_t n = strlen(s);
  if (n == 0 || n > MANIFEST_NAME_MAX || !strchr(alnum, s[0]))
    return false;
  for (const char *p = s; *p; p++)
    if (!strchr(alnum, *p) && !strchr("._+-", *p))
      return false;
  return true;
}

/* key in o, when present, is a string (or null where allow_null) that ok() accepts. */
static int check_str(const char *path, json_object *o, const char *ctx, const char *key, bool (*ok)(const char *),
                     const char *rule, struct vzt_error **err)
{
  json_object *v;
  if (!o || !json_object_object_get_ex(o, key, &v) || !v)
    return 0;
  if (!json_object_is_type(v, json_type_string) || !ok(json_object_get_string(v)))
    return vzt_refuse(err,
                      "%s: %s%s is not %s: refusing the manifest (a template's files are named from "
                      "it); rebuild or download the template again",
                      path, ctx, key, rule);
  return 0;
}

static int check_num(const char *path, json_object *o, const char *ctx, const char *key, uint64_t max,
                     struct vzt_error **err)
{
  json_object *v;
  if (!o || !json_object_object_get_ex(o, key, &v) || !v)
    return 0;
  int64_t n = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
  if (n < 0 || (uint64_t) n > max)
    return vzt_refuse(err,
                      "%s: %s%s is not a whole number from 0 to %llu: refusing the manifest; rebuild or "
                      "download the template again",
                      path, ctx, key, (unsigned long long) max);
  return 0;
}

static int manifest_validate(const char *path, json_object *o, struct vzt_error **err)
{
  static const char *const names[] = {"name", "distribution", "release", "codename", "variant", "architecture",
                                      "family_architecture", "family"};
  const char *name_rule = "a name (letters, digits, '.', '_', '+', '-', starting with a letter or digit)";
  const char *hex_rule = "a SHA-256 (64 lowercase hexadecimal digits)";
  for (size_t i = 0; i < VZT_ARRAY_SIZE(names); i++)
    if (check_str(path, o, "", names[i], is_name, name_rule, err) < 0)
      return -1;
  json_object *r = NULL, *a = NULL, *pkgs = NULL;
  if (json_object_object_get_ex(o, "recipe", &r) && r &&
      check_str(path, r, "recipe.", "sha256", is_sha256_hex, hex_rule, err) < 0)
    return -1;
  if (json_object_object_get_ex(o, "archive", &a) && a) {
    if (!json_object_is_type(a, json_type_object))
      return vzt_refuse(err, "%s: archive is not an object: refusing the manifest", path);
    if (check_str(path, a, "archive.", "file", is_name, name_rule, err) < 0 ||
        check_str(path, a, "archive.", "sha256", is_sha256_hex, hex_rule, err) < 0 ||
        check_num(path, a, "archive.", "size", MANIFEST_SIZE_MAX, err) < 0 ||
        check_num(path, a, "archive.", "unpacked_size", MANIFEST_SIZE_MAX, err) < 0 ||
        check_num(path, a, "archive.", "entries", MANIFEST_ENTRIES_MAX, err) < 0)
      return -1;
  }
  if (json_object_object_get_ex(o, "packages", &pkgs) && json_object_is_type(pkgs, json_type_array))
    for (size_t i = 0; i < json_object_array_length(pkgs); i++) {
      json_object *p = json_object_array_get_idx(pkgs, i);
      if (!json_object_is_type(p, json_type_object))
        return vzt_refuse(err, "%s: packages[%zu] is not an object: refusing the manifest", path, i);
      if (check_str(path, p, "packages[].", "sha256", is_sha256_hex, hex_rule, err) < 0 ||
          check_num(path, p, "packages[].", "size", MANIFEST_SIZE_MAX, err) < 0)
        return -1;
    }
  return 0;
}

int vzt_manifest_load(const char *path, struct vzt_manifest *m, struct vzt_error **err)
{
  memset(m, 0, sizeof(*m));
  _cleanup_free_ char *data = NULL;
  if (vzt_read_file(path, &data, NULL, err) < 0)
    return -1;
  json_object *o = json_tokener_parse(data);
  if (!o || !json_object_is_type(o, json_type_object)) {
    if (o)
      json_object_put(o);
    return vzt_fail(err, "%s is not a vztmpl manifest (not a JSON object)", path);
  }
  if (manifest_validate(path, o, err) < 0) {
    json_object_put(o);
    return -1;
  }
  m->name = get_str(o, "name");
  m->distribution = get_str(o, "distribution");
  m->release = get_str(o, "release");
  m->codename = get_str(o, "codename");
  m->variant = get_str(o, "variant");
  m->architecture = get_str(o, "architecture");
  m->family_architecture = get_str(o, "family_architecture");
  m->family = get_str(o, "family");
  json_object *v, *a, *r;
  if (json_object_object_get_ex(o, "recipe", &r)) {
    m->recipe_path = get_str(r, "path");
    m->recipe_sha256 = get_str(r, "sha256");
  }
  if (json_object_object_get_ex(o, "inputs", &r) && json_object_is_type(r, json_type_object)) {
    m->has_inputs = true;
    m->include = get_strv(r, "include");
    m->exclude = get_strv(r, "exclude");
    m->mirror_override = get_strv(r, "mirrors");
    m->keyring_override = get_str(r, "keyring");
  }
  m->mirrors = get_strv(o, "mirrors");
  m->customizations = get_strv(o, "customizations");
  m->configure = get_str(o, "configure");
  m->configure_tools = get_str(o, "configure_tools");
  if (json_object_object_get_ex(o, "source_date_epoch", &v))
    m->source_date_epoch = json_object_get_int64(v);
  if (json_object_object_get_ex(o, "archive", &a)) {
    m->archive_file = get_str(a, "file");
    m->archive_sha256 = get_str(a, "sha256");
    if (json_object_object_get_ex(a, "size", &v))
      m->archive_size = json_object_get_int64(v);
    if (json_object_object_get_ex(a, "unpacked_size", &v))
      m->unpacked_size = json_object_get_int64(v);
    if (json_object_object_get_ex(a, "entries", &v))
      m->entries = json_object_get_int64(v);
  }
  json_object *pkgs;
  if (json_object_object_get_ex(o, "packages", &pkgs) && json_object_is_type(pkgs, json_type_array)) {
    size_t n = json_object_array_length(pkgs);
    m->packages = vzt_calloc(n ? n : 1, sizeof(*m->packages));
    for (size_t i = 0; i < n; i++) {
      json_object *p = json_object_array_get_idx(pkgs, i);
      m->packages[i].name = get_str(p, "name");
      m->packages[i].version = get_str(p, "version");
      m->packages[i].architecture = get_str(p, "architecture");
      m->packages[i].sha256 = get_str(p, "sha256");
      m->packages[i].url = get_str(p, "url");
      if (json_object_object_get_ex(p, "size", &v))
        m->packages[i].size = json_object_get_int64(v);
    }
    m->npackages = n;
  }
  json_object_put(o);
  if (!m->name) {
    /* Callers clear only what loaded: nothing is theirs on failure. */
    vzt_manifest_clear(m);
    return vzt_fail(err, "%s is not a vztmpl manifest (no name)", path);
  }
  return 0;
}

void vzt_manifest_clear(struct vzt_manifest *m)
{
  free(m->name);
  free(m->distribution);
  free(m->release);
  free(m->codename);
  free(m->variant);
  free(m->architecture);
  free(m->family_architecture);
  free(m->family);
  free(m->recipe_path);
  free(m->recipe_sha256);
  vzt_strv_free(m->include);
  vzt_strv_free(m->exclude);
  vzt_strv_free(m->mirror_override);
  free(m->keyring_override);
  vzt_strv_free(m->verified);
  vzt_strv_free(m->mirrors);
  for (size_t i = 0; i < m->npackages; i++) {
    free(m->packages[i].name);
    free(m->packages[i].version);
    free(m->packages[i].architecture);
    free(m->packages[i].sha256);
    free(m->packages[i].url);
  }
  free(m->packages);
  free(m->archive_file);
  free(m->archive_sha256);
  free(m->init);
  free(m->configure);
  free(m->configure_tools);
  vzt_strv_free(m->customizations);
  vzt_strv_free(m->first_boot);
  free(m->limits_note);
  memset(m, 0, sizeof(*m));
}
