/* The SPDX 2.3 document of a template: the template, each package it holds
 * (from its manifest and the package database in its archive) and how they
 * relate, sorted so that the same inputs give the same bytes. */
#include "config.h"
#include "tmpl/sbom/spdx.h"
#include "tmpl/sbom/dep5.h"
#include "tmpl/sbom/purl.h"
#include "tmpl/archive-io.h"
#include "tmpl/family.h"
#include "tmpl/pack.h"
#include "lib/atomic-file.h"
#include "lib/cleanup.h"
#include "lib/digest.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"
#include "lib/alloc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DOC_DIR "usr/share/doc/"
#define COPYRIGHT_MAX (4 << 20)
#define COPYRIGHTS_MAX (64 << 20)
#define NOASSERTION "NOASSERTION"

/* The copyright files of a Debian template, read out of its archive. */
struct doc_scan {
  const char *archive;
  const struct vzt_manifest *m; /* only its packages' files are kept ... */
  size_t total;                 /* ... up to COPYRIGHTS_MAX bytes in all */
  char **dirs, **texts;     /* /usr/share/doc/<dir>/copyright and its text */
  char **links, **targets;  /* /usr/share/doc/<link> -> <target> (a package sharing another's) */
};

/* One package of the document. */
struct sbom_pkg {
  const struct vzt_manifest_package *mp;
  const struct vzt_installed_package *ip; /* NULL when the database lacks it */
  char *id;                               /* SPDXRef-Package-... */
};

/* What the document accumulates while its packages are written. */
struct sbom_build {
  const struct vzt_manifest *m;
  bool deb;
  struct doc_scan docs;
  struct sbom_pkg *pkgs;
  size_t n;
  char **ref_ids, **ref_names, **ref_texts; /* extractedLicensingInfos */
};

static ssize_t strv_index(char *const *v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (!strcmp(v[i], s))
      return (ssize_t) i;
  return -1;
}

/* Whether name is a package of the manifest: only theirs are kept. */
static bool is_package(const struct vzt_manifest *m, const char *name, size_t len)
{
  for (size_t i = 0; i < m->npackages; i++)
    if (m->packages[i].name && strlen(m->packages[i].name) == len &&
        !strncmp(m->packages[i].name, name, len))
      return true;
  return false;
}

static int visit_doc(struct archive *a, struct archive_entry *e, void *arg, struct vzt_error **err)
{
  struct doc_scan *s = arg;
  const char *p = vzt_path_skip_root(archive_entry_pathname(e));
  if (!vzt_startswith(p, DOC_DIR))
    return 0;
  p += strlen(DOC_DIR);
  const char *slash = strchr(p, '/');
  if (!slash && archive_entry_filetype(e) == AE_IFLNK && archive_entry_symlink(e) &&
      is_package(s->m, p, strlen(p))) {
    /* "bash" or "/usr/share/doc/bash" or "../bash/": the last component. */
    _cleanup_free_ char *t = vzt_strdup(archive_entry_symlink(e));
    for (size_t l = strlen(t); l && t[l - 1] == '/'; l--)
      t[l - 1] = 0;
    const char *base = strrchr(t, '/') ? strrchr(t, '/') + 1 : t;
    /* A name given twice in the archive: the last entry, as tar -x leaves it. */
    ssize_t at = strv_index(s->links, p);
    if (*base && at >= 0) {
      free(s->targets[at]);
      s->targets[at] = vzt_strdup(base);
    } else if (*base) {
      vzt_strv_push(&s->links, p);
      vzt_strv_push(&s->targets, base);
    }
    return 0;
  }
  la_int64_t size = archive_entry_size(e);
  if (!slash || strcmp(slash, "/copyright") || archive_entry_filetype(e) != AE_IFREG || size < 0 ||
      size > COPYRIGHT_MAX || s->total + (size_t) size > COPYRIGHTS_MAX)
    return 0;
  if (!is_package(s->m, p, (size_t) (slash - p)))
    return 0;
  s->total += (size_t) size;
  _cleanup_free_ char *dir = vzt_strndup(p, (size_t) (slash - p));
  _cleanup_free_ char *text = vzt_malloc((size_t) size + 1);
  if (archive_read_data(a, text, (size_t) size) != size)
    return vzt_refuse(err, "%s: cannot read /%s%s: %s", s->archive, DOC_DIR, p,
                      archive_error_string(a));
  text[size] = 0;
  ssize_t at = strv_index(s->dirs, dir);
  if (at >= 0) {
    free(s->texts[at]);
    s->texts[at] = steal_pointer(&text);
    return 0;
  }
  vzt_strv_push(&s->dirs, dir);
  vzt_strv_push_take(&s->texts, steal_pointer(&text));
  return 0;
}

static void doc_scan_clear(struct doc_scan *s)
{
  vzt_strv_free(s->dirs);
  vzt_strv_free(s->texts);
  vzt_strv_free(s->links);
  vzt_strv_free(s->targets);
}

/* The copyright file of package name: its own, or the one of the package its
 * doc directory links to. */
static const char *copyright_of(const struct doc_scan *s, const char *name)
{
  ssize_t i = strv_index(s->dirs, name);
  if (i < 0) {
    ssize_t l = strv_index(s->links, name);
    if (l >= 0)
      i = strv_index(s->dirs, s->targets[l]);
  }
  return i >= 0 ? s->texts[i] : NULL;
}

/* "SPDXRef-Package-<name>-<arch>": what an SPDX id cannot hold as "-XX" hex. */
static char *package_id(const struct vzt_manifest_package *p)
{
  _cleanup_free_ char *raw = vzt_strdupf("%s-%s", p->name, p->architecture);
  char *id = vzt_malloc(strlen("SPDXRef-Package-") + 3 * strlen(raw) + 1);
  char *o = stpcpy(id, "SPDXRef-Package-");
  for (const unsigned char *c = (const unsigned char *) raw; *c; c++)
    o += isalnum(*c) || *c == '.' || *c == '-' ? sprintf(o, "%c", *c) : sprintf(o, "-%02X", *c);
  return id;
}

static int pkg_cmp(const void *a, const void *b)
{
  const struct vzt_manifest_package *x = ((const struct sbom_pkg *) a)->mp,
                                    *y = ((const struct sbom_pkg *) b)->mp;
  int c = strcmp(x->name, y->name);
  if (!c)
    c = strcmp(x->architecture, y->architecture);
  return c ? c : strcmp(x->version, y->version);
}

static const struct vzt_installed_package *installed_of(const struct vzt_installed *db,
                                                        const struct vzt_manifest_package *p)
{
  const struct vzt_installed_package *any = NULL;
  for (size_t i = 0; i < db->n; i++) {
    const struct vzt_installed_package *ip = &db->packages[i];
    if (ip->state == VZT_INSTALLED_GONE || !ip->name || strcmp(ip->name, p->name))
      continue;
    if (ip->architecture && !strcmp(ip->architecture, p->architecture))
      return ip;
    any = any ? any : ip;
  }
  return any;
}

static json_object *jstr(const char *s) { return json_object_new_string(s ? s : NOASSERTION); }

/* "Organization: Name (mail)" from "Name <mail>". */
static json_object *supplier(const char *who)
{
  if (!who || !*who)
    return jstr(NULL);
  _cleanup_free_ char *s = vzt_strdup(who);
  vzt_strstrip(s);
  char *lt = strchr(s, '<'), *gt = lt ? strchr(lt, '>') : NULL;
  if (lt && gt) {
    *lt = '(';
    *gt = ')';
  }
  _cleanup_free_ char *out = vzt_strdupf("Organization: %s", s);
  return json_object_new_string(out);
}

static json_object *purl_ref(const struct vzt_manifest *m, const struct vzt_manifest_package *p,
                             bool deb)
{
  _cleanup_free_ char *distro = vzt_strdupf("%s-%s", m->distribution, m->release);
  _cleanup_free_ char *version = vzt_strdup(p->version);
  _cleanup_free_ char *epoch = NULL;
  char *colon = strchr(version, ':');
  /* rpm's purl carries the epoch as a qualifier; deb's keeps it in the version. */
  if (!deb && colon) {
    epoch = vzt_strndup(version, (size_t) (colon - version));
    memmove(version, colon + 1, strlen(colon));
  }
  const char *q[] = {"arch", p->architecture, "distro", distro, "epoch", epoch, NULL};
  _cleanup_free_ char *url = vzt_purl(deb ? "deb" : "rpm", m->distribution, p->name, version, q);
  json_object *ref = json_object_new_object();
  json_object_object_add(ref, "referenceCategory", json_object_new_string("PACKAGE-MANAGER"));
  json_object_object_add(ref, "referenceType", json_object_new_string("purl"));
  json_object_object_add(ref, "referenceLocator", json_object_new_string(url));
  json_object *refs = json_object_new_array();
  json_object_array_add(refs, ref);
  return refs;
}

static json_object *checksums(const char *sha256)
{
  json_object *arr = json_object_new_array();
  if (sha256) {
    json_object *c = json_object_new_object();
    json_object_object_add(c, "algorithm", json_object_new_string("SHA256"));
    json_object_object_add(c, "checksumValue", json_object_new_string(sha256));
    json_object_array_add(arr, c);
  }
  return arr;
}

/* Records the LicenseRefs a package's license used, each once, with the
 * text that names it where the copyright file gives one. */
static void add_refs(struct sbom_build *b, char **ids, char **names, const struct vzt_dep5 *d)
{
  for (size_t i = 0; ids && ids[i]; i++) {
    if (vzt_strv_contains(b->ref_ids, ids[i]))
      continue;
    const char *text = d ? vzt_dep5_text(d, names[i]) : NULL;
    _cleanup_free_ char *said =
        text ? vzt_strdup(text)
             : vzt_strdupf("The license the package names \"%s\", whose text it does not give",
                           names[i]);
    vzt_strv_push(&b->ref_ids, ids[i]);
    vzt_strv_push(&b->ref_names, names[i]);
    vzt_strv_push(&b->ref_texts, said);
  }
}

/* An rpm License tag that reads as an SPDX expression (Fedora writes them
 * since 2023): ids with a '-' or a '.', or LicenseRef-..., between AND, OR,
 * WITH and parentheses. Older tags ("GPLv2+ and BSD") do not. */
static bool spdx_like(const char *tag)
{
  static const char *const plain[] = {"MIT", "ISC", "Zlib", "OpenSSL", "Unlicense", "curl",
                                      "Ruby", "Sleepycat", "TCL", "NTP", "X11", "Beerware",
                                      "Libpng", "FTL", "WTFPL", "0BSD", "Vim", "Unicode-DFS-2016"};
  _cleanup_free_ char *copy = vzt_strdup(tag);
  for (char *p = copy; *p; p++)
    if (*p == '(' || *p == ')')
      *p = ' ';
  _cleanup_strv_ char **words = vzt_strv_split(copy);
  if (!words[0] || strchr(tag, ','))
    return false;
  for (char **w = words; *w; w++) {
    if (!strcmp(*w, "AND") || !strcmp(*w, "OR") || !strcmp(*w, "WITH"))
      continue;
    bool ok = strchr(*w, '-') || strchr(*w, '.');
    for (size_t i = 0; i < VZT_ARRAY_SIZE(plain); i++)
      ok |= !strcmp(*w, plain[i]);
    for (const char *c = *w; *c && ok; c++)
      ok = isalnum((unsigned char) *c) || strchr(".-+:", *c);
    if (!ok)
      return false;
  }
  return true;
}

static char *declared_license(struct sbom_build *b, const struct sbom_pkg *p)
{
  _cleanup_strv_ char **ids = vzt_calloc(1, sizeof(char *));
  _cleanup_strv_ char **names = vzt_calloc(1, sizeof(char *));
  if (!b->deb) {
    const char *tag = p->ip ? p->ip->license : NULL;
    if (!tag)
      return NULL;
    if (spdx_like(tag))
      return vzt_strdup(tag);
    /* Not SPDX ("GPLv2+ and BSD"): the whole tag as one LicenseRef. */
    char *id = vzt_dep5_license_ref(tag, &ids, &names);
    add_refs(b, ids, names, NULL);
    return id;
  }
  const char *text = copyright_of(&b->docs, p->mp->name);
  struct vzt_dep5 d;
  if (!text || vzt_dep5_parse(text, strlen(text), &d) != 1)
    return NULL;
  char *expr = vzt_dep5_declared(&d, &ids, &names);
  add_refs(b, ids, names, &d);
  vzt_dep5_clear(&d);
  return expr;
}

static json_object *template_package(const struct vzt_manifest *m)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "name", json_object_new_string(m->name));
  json_object_object_add(o, "SPDXID", json_object_new_string("SPDXRef-Template"));
  if (m->archive_file)
    json_object_object_add(o, "packageFileName", json_object_new_string(m->archive_file));
  json_object_object_add(o, "downloadLocation", jstr(NULL));
  json_object_object_add(o, "filesAnalyzed", json_object_new_boolean(false));
  json_object_object_add(o, "checksums", checksums(m->archive_sha256));
  json_object_object_add(o, "licenseConcluded", jstr(NULL));
  json_object_object_add(o, "licenseDeclared", jstr(NULL));
  json_object_object_add(o, "copyrightText", jstr(NULL));
  json_object_object_add(o, "primaryPackagePurpose", json_object_new_string("OPERATING_SYSTEM"));
  return o;
}

static json_object *package(struct sbom_build *b, const struct sbom_pkg *p)
{
  json_object *o = json_object_new_object();
  _cleanup_free_ char *license = declared_license(b, p);
  json_object_object_add(o, "name", json_object_new_string(p->mp->name));
  json_object_object_add(o, "SPDXID", json_object_new_string(p->id));
  json_object_object_add(o, "versionInfo", json_object_new_string(p->mp->version));
  json_object_object_add(o, "supplier", supplier(p->ip ? p->ip->supplier : NULL));
  json_object_object_add(o, "downloadLocation", jstr(p->mp->url));
  json_object_object_add(o, "filesAnalyzed", json_object_new_boolean(false));
  if (p->mp->sha256) /* urpmi's synthesis gives none */
    json_object_object_add(o, "checksums", checksums(p->mp->sha256));
  json_object_object_add(o, "licenseConcluded", jstr(NULL));
  json_object_object_add(o, "licenseDeclared", jstr(license));
  json_object_object_add(o, "copyrightText", jstr(NULL));
  json_object_object_add(o, "externalRefs", purl_ref(b->m, p->mp, b->deb));
  return o;
}

/* Whether package j answers to name: its own or one it provides. */
static bool answers_to(const struct sbom_pkg *p, const char *name)
{
  return !strcmp(p->mp->name, name) || (p->ip && vzt_strv_contains(p->ip->provides, name));
}

static void relate(json_object *rels, const char *a, const char *type, const char *b)
{
  json_object *r = json_object_new_object();
  json_object_object_add(r, "spdxElementId", json_object_new_string(a));
  json_object_object_add(r, "relationshipType", json_object_new_string(type));
  json_object_object_add(r, "relatedSpdxElement", json_object_new_string(b));
  json_object_array_add(rels, r);
}

/* Package i's requirements, each resolved to the first package (in document
 * order) that answers to its first alternative that any package answers to. */
static void depends_on(const struct sbom_build *b, size_t i, json_object *rels)
{
  const struct sbom_pkg *p = &b->pkgs[i];
  if (!p->ip || !p->ip->depends)
    return;
  bool *used = vzt_calloc(b->n ? b->n : 1, sizeof(bool));
  for (char **d = p->ip->depends; *d; d++) {
    _cleanup_free_ char *alts = vzt_strdup(*d);
    bool found = false;
    for (char *save = NULL, *a = strtok_r(alts, "|", &save); a && !found; a = strtok_r(NULL, "|", &save))
      for (size_t j = 0; j < b->n && !found; j++)
        if (answers_to(&b->pkgs[j], a))
          found = true, used[j] = j != i;
  }
  for (size_t j = 0; j < b->n; j++)
    if (used[j])
      relate(rels, p->id, "DEPENDS_ON", b->pkgs[j].id);
  free(used);
}

static json_object *extracted(const struct sbom_build *b)
{
  json_object *arr = json_object_new_array();
  for (size_t i = 0; b->ref_ids && b->ref_ids[i]; i++) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "licenseId", json_object_new_string(b->ref_ids[i]));
    json_object_object_add(o, "name", json_object_new_string(b->ref_names[i]));
    json_object_object_add(o, "extractedText", json_object_new_string(b->ref_texts[i]));
    json_object_array_add(arr, o);
  }
  return arr;
}

/* SOURCE_DATE_EPOCH when set, else the build's own epoch: never the clock. */
static json_object *creation_info(const struct vzt_manifest *m)
{
  const char *env = getenv("SOURCE_DATE_EPOCH");
  time_t t = env && isdigit((unsigned char) *env) ? (time_t) strtoll(env, NULL, 10)
                                                 : m->source_date_epoch;
  struct tm tm;
  char when[32];
  gmtime_r(&t, &tm);
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
  json_object *o = json_object_new_object();
  json_object_object_add(o, "created", json_object_new_string(when));
  json_object *creators = json_object_new_array();
  json_object_array_add(creators, json_object_new_string("Tool: vztmpl-" PACKAGE_VERSION));
  json_object_object_add(o, "creators", creators);
  return o;
}

static json_object *document(struct sbom_build *b)
{
  const struct vzt_manifest *m = b->m;
  json_object *doc = json_object_new_object();
  _cleanup_free_ char *ns =
      vzt_strdupf("https://spdx.org/spdxdocs/vztmpl/%s-%s", m->name, m->archive_sha256);
  json_object_object_add(doc, "spdxVersion", json_object_new_string("SPDX-2.3"));
  json_object_object_add(doc, "dataLicense", json_object_new_string("CC0-1.0"));
  json_object_object_add(doc, "SPDXID", json_object_new_string("SPDXRef-DOCUMENT"));
  json_object_object_add(doc, "name", json_object_new_string(m->name));
  json_object_object_add(doc, "documentNamespace", json_object_new_string(ns));
  json_object_object_add(doc, "creationInfo", creation_info(m));
  json_object *pkgs = json_object_new_array(), *rels = json_object_new_array();
  json_object_array_add(pkgs, template_package(m));
  relate(rels, "SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Template");
  for (size_t i = 0; i < b->n; i++) {
    json_object_array_add(pkgs, package(b, &b->pkgs[i]));
    relate(rels, "SPDXRef-Template", "CONTAINS", b->pkgs[i].id);
  }
  for (size_t i = 0; i < b->n; i++)
    depends_on(b, i, rels);
  json_object_object_add(doc, "packages", pkgs);
  if (b->ref_ids && b->ref_ids[0])
    json_object_object_add(doc, "hasExtractedLicensingInfos", extracted(b));
  json_object_object_add(doc, "relationships", rels);
  return doc;
}

static void build_clear(struct sbom_build *b)
{
  for (size_t i = 0; i < b->n; i++)
    free(b->pkgs[i].id);
  free(b->pkgs);
  doc_scan_clear(&b->docs);
  vzt_strv_free(b->ref_ids);
  vzt_strv_free(b->ref_names);
  vzt_strv_free(b->ref_texts);
}

/* The document vouches for the archive by the manifest's sha256: what it
 * lists must come from those very bytes. */
static int check_archive(const struct vzt_manifest *m, const char *archive, struct vzt_error **err)
{
  _cleanup_close_ int fd = open(archive, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return vzt_fail_errno(err, errno, "cannot read %s", archive);
  char hex[VZT_DIGEST_HEX_MAX];
  if (vzt_digest_fd(fd, VZT_DIGEST_SHA256, hex, NULL, err) < 0)
    return -1;
  if (strcasecmp(hex, m->archive_sha256))
    return vzt_refuse(err, "%s has sha256 %s, its manifest says %s: refusing to describe it "
                           "(vztmpl verify says more; rebuild or download it again)",
                      archive, hex, m->archive_sha256);
  return 0;
}

int vzt_sbom_spdx(const struct vzt_manifest *m, const char *archive, char **json,
                  struct vzt_error **err)
{
  if (!m->archive_sha256 || !m->name || !m->distribution || !m->release)
    return vzt_refuse(err, "%s: its manifest records no name, release or archive sha256 to "
                           "describe it by; rebuild the template",
                      archive);
  if (check_archive(m, archive, err) < 0)
    return -1;
  const struct vzt_family_ops *ops = NULL;
  struct vzt_installed db;
  if (vzt_family_read_installed(m, archive, &ops, &db, err) < 0)
    return -1;
  struct sbom_build b = {.m = m, .deb = !strcmp(ops->name, "deb"), .docs = {.archive = archive, .m = m}};
  if (b.deb && vzt_archive_walk(archive, visit_doc, &b.docs, err) < 0) {
    vzt_installed_clear(&db);
    build_clear(&b);
    return -1;
  }
  b.pkgs = vzt_calloc(m->npackages ? m->npackages : 1, sizeof(*b.pkgs));
  if (!b.pkgs)
    vzt_out_of_memory();
  for (size_t i = 0; i < m->npackages; i++)
    if (m->packages[i].name && m->packages[i].version && m->packages[i].architecture)
      b.pkgs[b.n++] = (struct sbom_pkg){&m->packages[i], installed_of(&db, &m->packages[i]),
                                        package_id(&m->packages[i])};
  qsort(b.pkgs, b.n, sizeof(*b.pkgs), pkg_cmp);
  json_object *doc = document(&b);
  *json = vzt_strdupf("%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
                                                                     JSON_C_TO_STRING_SPACED |
                                                                     JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(doc);
  vzt_installed_clear(&db);
  build_clear(&b);
  return 0;
}

int vzt_sbom_write(const struct vzt_manifest *m, const char *archive, int dirfd, const char *name,
                   struct vzt_error **err)
{
  _cleanup_free_ char *json = NULL;
  if (vzt_sbom_spdx(m, archive, &json, err) < 0)
    return vzt_error_prefix(err, "writing the SBOM %s", name);
  return vzt_atomic_write_file(dirfd, name, json, strlen(json), 0644, err);
}

int vzt_sbom_read_current(const char *path, const struct vzt_manifest *m, char **json)
{
  *json = NULL;
  _cleanup_free_ char *data = NULL;
  struct vzt_error *err = NULL;
  if (!m->archive_sha256 || vzt_read_file(path, &data, NULL, &err) < 0) {
    vzt_error_free(&err);
    return 0;
  }
  json_object *doc = json_tokener_parse(data), *ns = NULL;
  _cleanup_free_ char *want = vzt_strdupf("-%s", m->archive_sha256);
  bool same = doc && json_object_object_get_ex(doc, "documentNamespace", &ns) &&
              json_object_is_type(ns, json_type_string) &&
              vzt_endswith(json_object_get_string(ns), want);
  json_object_put(doc);
  if (!same)
    return 0;
  *json = steal_pointer(&data);
  return 1;
}

char *vzt_sbom_path(const char *template_path)
{
  size_t len = strlen(template_path);
  if (vzt_endswith(template_path, ".spdx.json"))
    return vzt_strdup(template_path);
  if (vzt_endswith(template_path, ".json"))
    len -= strlen(".json");
  else
    len -= vzt_pack_suffix_len(template_path);
  return vzt_strdupf("%.*s.spdx.json", (int) len, template_path);
}
