/* Package URLs (purl): the identifier an SBOM gives each package so scanners
 * can match it against vulnerability databases. */
#pragma once

/* s percent-encoded as the purl specification asks of a name, version or
 * qualifier value: everything but ASCII letters, digits, ".-_~" and ':'. */
char *vzt_purl_encode(const char *s);
/* "pkg:TYPE/NAMESPACE/NAME@VERSION?K=V&...": qualifiers are key/value pairs
 * ending at a NULL key, written sorted by key, pairs with a NULL or empty
 * value left out. namespace and version may be NULL. */
char *vzt_purl(const char *type, const char *namespace, const char *name, const char *version,
               const char *const *qualifiers);
