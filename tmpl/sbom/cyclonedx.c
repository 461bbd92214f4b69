/* CycloneDX 1.5 JSON made from a template's SPDX document: one SBOM, two
 * spellings, so they can never disagree. */
#include "config.h"
#include "tmpl/sbom/cyclonedx.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

static const char *str(json_object *o, const char *key)
{
  json_object *v;
  return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
             ? json_object_get_string(v)
             : NULL;
}

static json_object *arr(json_object *o, const char *key)
{
  json_object *v;
  return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_array) ? v
                                                                                          : NULL;
}

static bool asserted(const char *s) { return s && strcmp(s, "NOASSERTION"); }

/* urn:uuid: from the archive's sha256 (the namespace's tail), shaped as a
 * version 5 UUID: the same template, the same serial number. */
static json_object *serial_number(const char *ns)
{
  size_t len = ns ? strlen(ns) : 0;
  char hex[33] = "00000000000000000000000000000000";
  if (len >= 64)
    memcpy(hex, ns + len - 64, 32);
  hex[12] = '5';
  hex[16] = "89ab"[strtol((char[]){hex[16], 0}, NULL, 16) & 3];
  _cleanup_free_ char *s = vzt_strdupf("urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
                                       hex + 16, hex + 20);
  return json_object_new_string(s);
}

static json_object *hashes(json_object *pkg)
{
  json_object *out = json_object_new_array(), *sums = arr(pkg, "checksums");
  for (size_t i = 0; sums && i < json_object_array_length(sums); i++) {
    json_object *c = json_object_array_get_idx(sums, i);
    if (!str(c, "algorithm") || strcmp(str(c, "algorithm"), "SHA256") || !str(c, "checksumValue"))
      continue;
    json_object *h = json_object_new_object();
    json_object_object_add(h, "alg", json_object_new_string("SHA-256"));
    json_object_object_add(h, "content", json_object_new_string(str(c, "checksumValue")));
    json_object_array_add(out, h);
  }
  return out;
}

/* One SPDX package as a component of the given type. */
static json_object *component(json_object *pkg, const char *type)
{
  json_object *c = json_object_new_object();
  json_object_object_add(c, "type", json_object_new_string(type));
  json_object_object_add(c, "bom-ref", json_object_new_string(str(pkg, "SPDXID")));
  const char *supplier = str(pkg, "supplier");
  if (asserted(supplier)) {
    json_object *s = json_object_new_object();
    const char *colon = strstr(supplier, ": ");
    json_object_object_add(s, "name", json_object_new_string(colon ? colon + 2 : supplier));
    json_object_object_add(c, "supplier", s);
  }
  json_object_object_add(c, "name", json_object_new_string(str(pkg, "name")));
  if (str(pkg, "versionInfo"))
    json_object_object_add(c, "version", json_object_new_string(str(pkg, "versionInfo")));
  json_object_object_add(c, "hashes", hashes(pkg));
  const char *license = str(pkg, "licenseDeclared");
  if (asserted(license)) {
    json_object *l = json_object_new_object(), *ls = json_object_new_array();
    json_object_object_add(l, "expression", json_object_new_string(license));
    json_object_array_add(ls, l);
    json_object_object_add(c, "licenses", ls);
  }
  json_object *refs = arr(pkg, "externalRefs");
  for (size_t i = 0; refs && i < json_object_array_length(refs); i++) {
    json_object *r = json_object_array_get_idx(refs, i);
    if (str(r, "referenceType") && !strcmp(str(r, "referenceType"), "purl") &&
        str(r, "referenceLocator"))
      json_object_object_add(c, "purl", json_object_new_string(str(r, "referenceLocator")));
  }
  const char *url = str(pkg, "downloadLocation");
  if (asserted(url)) {
    json_object *e = json_object_new_object(), *es = json_object_new_array();
    json_object_object_add(e, "type", json_object_new_string("distribution"));
    json_object_object_add(e, "url", json_object_new_string(url));
    json_object_array_add(es, e);
    json_object_object_add(c, "externalReferences", es);
  }
  return c;
}

static json_object *metadata(json_object *spdx, json_object *tpl)
{
  json_object *m = json_object_new_object(), *info;
  if (json_object_object_get_ex(spdx, "creationInfo", &info) && str(info, "created"))
    json_object_object_add(m, "timestamp", json_object_new_string(str(info, "created")));
  json_object *tool = json_object_new_object(), *tools = json_object_new_object(),
              *list = json_object_new_array();
  json_object_object_add(tool, "type", json_object_new_string("application"));
  json_object_object_add(tool, "name", json_object_new_string("vztmpl"));
  json_object_object_add(tool, "version", json_object_new_string(PACKAGE_VERSION));
  json_object_array_add(list, tool);
  json_object_object_add(tools, "components", list);
  json_object_object_add(m, "tools", tools);
  json_object_object_add(m, "component", component(tpl, "operating-system"));
  return m;
}

/* Each package's DEPENDS_ON, in package order (the relationships are). */
static json_object *dependencies(json_object *pkgs, json_object *rels)
{
  json_object *out = json_object_new_array();
  for (size_t i = 0; i < json_object_array_length(pkgs); i++) {
    const char *id = str(json_object_array_get_idx(pkgs, i), "SPDXID");
    json_object *d = json_object_new_object(), *on = json_object_new_array();
    for (size_t j = 0; rels && j < json_object_array_length(rels); j++) {
      json_object *r = json_object_array_get_idx(rels, j);
      const char *type = str(r, "relationshipType"), *from = str(r, "spdxElementId");
      const char *to = str(r, "relatedSpdxElement");
      bool depends = type && from && to && !strcmp(from, id) &&
                     (!strcmp(type, "DEPENDS_ON") || !strcmp(type, "CONTAINS"));
      if (depends)
        json_object_array_add(on, json_object_new_string(to));
    }
    json_object_object_add(d, "ref", json_object_new_string(id));
    json_object_object_add(d, "dependsOn", on);
    json_object_array_add(out, d);
  }
  return out;
}

int vzt_sbom_cyclonedx(const char *spdx, char **json, struct vzt_error **err)
{
  json_object *doc = json_tokener_parse(spdx);
  json_object *pkgs = doc ? arr(doc, "packages") : NULL;
  json_object *tpl = pkgs && json_object_array_length(pkgs) ? json_object_array_get_idx(pkgs, 0)
                                                            : NULL;
  if (!tpl || !str(tpl, "SPDXID") || strcmp(str(tpl, "SPDXID"), "SPDXRef-Template")) {
    json_object_put(doc);
    return vzt_refuse(err, "the SPDX document is not one vztmpl wrote (no SPDXRef-Template first)");
  }
  json_object *bom = json_object_new_object(), *components = json_object_new_array();
  json_object_object_add(bom, "bomFormat", json_object_new_string("CycloneDX"));
  json_object_object_add(bom, "specVersion", json_object_new_string("1.5"));
  json_object_object_add(bom, "serialNumber", serial_number(str(doc, "documentNamespace")));
  json_object_object_add(bom, "version", json_object_new_int(1));
  json_object_object_add(bom, "metadata", metadata(doc, tpl));
  for (size_t i = 1; i < json_object_array_length(pkgs); i++) {
    json_object *p = json_object_array_get_idx(pkgs, i);
    if (str(p, "SPDXID") && str(p, "name"))
      json_object_array_add(components, component(p, "library"));
  }
  json_object_object_add(bom, "components", components);
  json_object_object_add(bom, "dependencies", dependencies(pkgs, arr(doc, "relationships")));
  *json = vzt_strdupf("%s\n", json_object_to_json_string_ext(bom, JSON_C_TO_STRING_PRETTY |
                                                                    JSON_C_TO_STRING_SPACED |
                                                                    JSON_C_TO_STRING_NOSLASHESCAPE));
  json_object_put(bom);
  json_object_put(doc);
  return 0;
}
