/* Metalink files (as Fedora's mirror manager serves them) for rpm-md: the
 * mirrors of a repository in preference order and the digests repomd.xml
 * must have, read with expat. */
#include "config.h"
#include "tmpl/rpm/rpm-internal.h"
#include "lib/cleanup.h"
#include "lib/strutil.h"
#include "lib/alloc.h"
#include "lib/buf.h"

#include <expat.h>
#include <stdlib.h>
#include <string.h>

struct ml_url {
  char *base;
  long preference;
  size_t order;
};

struct ml_state {
  int in_repomd;      /* depth inside <file name="repomd.xml"> */
  int hash_type;      /* 1 sha256, 2 sha512, 0 other: collecting text */
  bool in_url;
  long preference;
  struct vzt_buf text; /* the element's text so far */
  struct ml_url *urls;
  size_t nurls;
  struct vzt_rpm_metalink *out;
};

static const char *local(const char *name)
{
  const char *c = strrchr(name, ':'); /* namespaced names arrive as "uri:local" */
  const char *sp = strrchr(name, ' ');
  return sp ? sp + 1 : c ? c + 1 : name;
}

static const char *attr(const char **atts, const char *name)
{
  for (size_t i = 0; atts[i]; i += 2)
    if (!strcmp(local(atts[i]), name))
      return atts[i + 1];
  return NULL;
}

static void on_start(void *data, const char *name, const char **atts)
{
  struct ml_state *st = data;
  const char *n = local(name);
  if (st->in_repomd)
    st->in_repomd++;
  else if (!strcmp(n, "file")) {
    const char *fn = attr(atts, "name");
    if (fn && !strcmp(fn, "repomd.xml"))
      st->in_repomd = 1;
    return;
  }
  if (!st->in_repomd)
    return;
  st->text.len = 0;
  if (!strcmp(n, "hash")) {
    const char *t = attr(atts, "type");
    st->hash_type = !t ? 0 : !strcmp(t, "sha256") ? 1 : !strcmp(t, "sha512") ? 2 : 0;
    if (!st->hash_type)
      st->hash_type = -1;
  } else if (!strcmp(n, "url")) {
    const char *p = attr(atts, "preference");
    st->in_url = true;
    st->preference = p ? strtol(p, NULL, 10) : 0;
  }
}

static void on_text(void *data, const char *s, int len)
{
  struct ml_state *st = data;
  if (!st->in_repomd || (!st->hash_type && !st->in_url))
    return;
  vzt_buf_append(&st->text, s, (size_t) len);
}

static void on_end(void *data, const char *name)
{
  struct ml_state *st = data;
  if (!st->in_repomd)
    return;
  const char *n = local(name);
  char *t = st->text.len ? vzt_strstrip(st->text.data) : NULL;
  if (!strcmp(n, "hash") && st->hash_type > 0 && t && *t)
    vzt_strv_push(st->hash_type == 1 ? &st->out->sha256 : &st->out->sha512, t);
  else if (!strcmp(n, "url") && st->in_url && t && *t) {
    /* Only downloadable schemes, and only URLs of repomd.xml itself. */
    static const char suffix[] = "/repodata/repomd.xml";
    bool ok = (vzt_startswith(t, "http://") || vzt_startswith(t, "https://") ||
               vzt_startswith(t, "file://")) && vzt_endswith(t, suffix);
    if (ok) {
      st->urls = vzt_realloc(st->urls, (st->nurls + 1) * sizeof(*st->urls));
      st->urls[st->nurls] = (struct ml_url){vzt_strndup(t, strlen(t) - strlen(suffix)),
                                            st->preference, st->nurls};
      st->nurls++;
    }
  }
  if (!strcmp(n, "hash"))
    st->hash_type = 0;
  if (!strcmp(n, "url"))
    st->in_url = false;
  st->text.len = 0;
  st->in_repomd--;
}

static int by_preference(const void *a, const void *b)
{
  const struct ml_url *x = a, *y = b;
  if (x->preference != y->preference)
    return x->preference > y->preference ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

int vzt_rpm_metalink_parse(const char *xml, size_t len, const char *what,
                           struct vzt_rpm_metalink *out, struct vzt_error **err)
{
  memset(out, 0, sizeof(*out));
  out->mirrors = vzt_calloc(1, sizeof(char *));
  out->sha256 = vzt_calloc(1, sizeof(char *));
  out->sha512 = vzt_calloc(1, sizeof(char *));
  struct ml_state st = {.out = out};
  XML_Parser p = XML_ParserCreateNS(NULL, ' ');
  XML_SetUserData(p, &st);
  XML_SetElementHandler(p, on_start, on_end);
  XML_SetCharacterDataHandler(p, on_text);
  int ret = 0;
  if (XML_Parse(p, xml, (int) len, 1) != XML_STATUS_OK)
    ret = vzt_refuse(err, "%s: malformed metalink at line %lu: %s", what,
                     (unsigned long) XML_GetCurrentLineNumber(p),
                     XML_ErrorString(XML_GetErrorCode(p)));
  XML_ParserFree(p);
  vzt_buf_free(&st.text);
  if (st.nurls)
    qsort(st.urls, st.nurls, sizeof(*st.urls), by_preference);
  for (size_t i = 0; i < st.nurls; i++)
    vzt_strv_push_take(&out->mirrors, st.urls[i].base);
  free(st.urls);
  if (!ret && !out->mirrors[0])
    ret = vzt_fail(err, "%s lists no http, https or file URL of repomd.xml", what);
  else if (!ret && !out->sha256[0] && !out->sha512[0])
    ret = vzt_refuse(err, "%s gives no sha256 or sha512 of repomd.xml", what);
  if (ret < 0)
    vzt_rpm_metalink_clear(out);
  return ret;
}

void vzt_rpm_metalink_clear(struct vzt_rpm_metalink *m)
{
  vzt_strv_free(m->mirrors);
  vzt_strv_free(m->sha256);
  vzt_strv_free(m->sha512);
  memset(m, 0, sizeof(*m));
}
