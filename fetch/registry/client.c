/* A registry session: one libcurl handle reused for every exchange, authentication answered on the way. */
#include "config.h"
#include "fetch/fetch.h"
#include "fetch/registry/registry-internal.h"
#include "fetch/fetch-internal.h"
#include "lib/alloc.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int vzt_reg_open(const struct vzt_reg_ref *ref, const struct vzt_reg_opts *o, struct vzt_reg **out,
                 struct vzt_error **err)
{
  *out = NULL;
  if (o->plain_http && !vzt_reg_host_is_loopback(ref->host))
    return vzt_usage_error(err, "--plain-http is only for a registry on this machine (localhost, 127.0.0.1, ::1), "
                                "not %s: credentials and images would cross the network unprotected; "
                                "give its CA with --ca-file instead", ref->host);
  if (o->ca_file && access(o->ca_file, R_OK) < 0)
    return vzt_fail_errno(err, errno, "cannot read the CA file %s", o->ca_file);
  struct vzt_reg *reg = vzt_calloc(1, sizeof(*reg));
  vzt_fetch_global_init();
  reg->curl = curl_easy_init();
  if (!reg->curl) {
    free(reg);
    return vzt_fail(err, "cannot set up libcurl");
  }
  reg->host = vzt_strdup(ref->host);
  reg->repo = vzt_strdup(ref->repo);
  reg->origin = vzt_strdupf("%s://%s", o->plain_http ? "http" : "https", ref->host);
  /* Push's and pull's own --ca-file, else the one every download uses
   * (--ca-file before the verb, CURL_CA_BUNDLE, SSL_CERT_FILE). */
  const char *ca = o->ca_file ? o->ca_file : vzt_fetch_ca_file();
  reg->ca_file = ca ? vzt_strdup(ca) : NULL;
  reg->push = o->push;
  if (vzt_reg_auth_load(reg, err) < 0) {
    vzt_reg_close(reg);
    return -1;
  }
  *out = reg;
  return 0;
}

void vzt_reg_close(struct vzt_reg *reg)
{
  curl_easy_cleanup(reg->curl);
  free(reg->origin);
  free(reg->host);
  free(reg->repo);
  free(reg->ca_file);
  free(reg->authz);
  free(reg->user_pass);
  free(reg->auth_source);
  free(reg->extra_scope);
  free(reg);
}

void vzt_reg_resp_clear(struct vzt_reg_resp *r)
{
  vzt_buf_free(&r->headers);
  vzt_buf_free(&r->errbody);
  r->status = 0;
}

char *vzt_reg_path(const struct vzt_reg *reg, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *rest = NULL;
  if (vasprintf(&rest, fmt, ap) < 0)
    vzt_out_of_memory();
  va_end(ap);
  char *p = vzt_strdupf("/v2/%s/%s", reg->repo, rest);
  free(rest);
  return p;
}

char *vzt_reg_absolute(const struct vzt_reg *reg, const char *location)
{
  if (vzt_startswith(location, "http://") || vzt_startswith(location, "https://"))
    return vzt_strdup(location);
  return vzt_strdupf("%s%s%s", reg->origin, location[0] == '/' ? "" : "/", location);
}

void vzt_reg_setup_handle(const struct vzt_reg *reg, CURL *c)
{
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, VZT_FETCH_LOW_SPEED);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, vzt_fetch_timeout());
  curl_easy_setopt(c, CURLOPT_USERAGENT, "vztmpl/" PACKAGE_VERSION);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  if (reg->ca_file)
    curl_easy_setopt(c, CURLOPT_CAINFO, reg->ca_file);
}

struct exchange {
  struct vzt_reg_req *rq;
  struct vzt_reg_resp *resp;
};

static size_t header_cb(char *b, size_t size, size_t n, void *data)
{
  struct exchange *x = data;
  size_t len = size * n;
  /* A status line starts each response of a redirect chain: keep only the last one's headers. */
  if (len > 5 && !strncmp(b, "HTTP/", 5)) {
    x->resp->headers.len = 0;
    if (x->resp->headers.data)
      x->resp->headers.data[0] = 0;
    const char *sp = memchr(b, ' ', len);
    x->resp->status = sp ? strtol(sp + 1, NULL, 10) : 0;
  }
  if (x->resp->headers.len < ERROR_BODY_MAX)
    vzt_buf_append(&x->resp->headers, b, len);
  return len;
}

static size_t write_cb(char *p, size_t size, size_t n, void *data)
{
  struct exchange *x = data;
  size_t len = size * n;
  struct vzt_reg_sink *s = x->rq->sink;
  if (x->resp->status / 100 != 2 || !s) {
    if (x->resp->errbody.len < ERROR_BODY_MAX)
      vzt_buf_append(&x->resp->errbody, p, len);
    return len;
  }
  uint64_t limit = s->limit ? s->limit : s->max;
  if (limit && s->got + len > limit) {
    s->overflow = true;
    return 0;
  }
  if (s->buf)
    vzt_buf_append(s->buf, p, len);
  else if (vzt_write_all(s->fd, p, len) < 0) {
    s->write_errno = errno;
    return 0;
  }
  if (s->dg)
    vzt_digest_update(s->dg, p, len);
  s->got += len;
  return len;
}

static size_t read_cb(char *p, size_t size, size_t n, void *data)
{
  struct vzt_reg_body *b = data;
  size_t want = size * n;
  uint64_t left = b->n - b->pos;
  if (want > left)
    want = (size_t) left;
  if (!want)
    return 0;
  if (b->mem) {
    memcpy(p, b->mem + b->off + b->pos, want);
    b->pos += want;
    return want;
  }
  ssize_t r = pread(b->fd, p, want, (off_t) (b->off + b->pos));
  if (r <= 0)
    return CURL_READFUNC_ABORT;
  b->pos += (uint64_t) r;
  return (size_t) r;
}

static int seek_cb(void *data, curl_off_t off, int origin)
{
  struct vzt_reg_body *b = data;
  if (origin != SEEK_SET || off < 0 || (uint64_t) off > b->n)
    return CURL_SEEKFUNC_CANTSEEK;
  b->pos = (uint64_t) off;
  return CURL_SEEKFUNC_OK;
}

static CURLcode perform(struct vzt_reg *reg, struct vzt_reg_req *rq, struct vzt_reg_resp *resp, char *errbuf)
{
  CURL *c = reg->curl;
  curl_easy_reset(c);
  vzt_reg_setup_handle(reg, c);
  vzt_reg_resp_clear(resp);
  _cleanup_free_ char *url = vzt_reg_absolute(reg, rq->url);
  struct exchange x = {rq, resp};
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
  /* Blobs are often served from elsewhere; libcurl drops our Authorization on another host. */
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, !strcmp(rq->method, "GET") || !strcmp(rq->method, "HEAD") ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
  struct curl_slist *h = curl_slist_append(NULL, "Expect:");
  /* An upload's Location may name another host: the credentials stay with the registry. */
  size_t olen = strlen(reg->origin);
  if (reg->authz && !strncmp(url, reg->origin, olen) && (url[olen] == '/' || url[olen] == 0))
    h = curl_slist_append(h, reg->authz);
  for (const char *const *p = rq->headers; p && *p; p++)
    h = curl_slist_append(h, *p);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  if (!strcmp(rq->method, "HEAD"))
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  else if (!strcmp(rq->method, "POST")) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
  } else if (rq->body || !strcmp(rq->method, "PUT") || !strcmp(rq->method, "PATCH")) {
    static struct vzt_reg_body empty = {.fd = -1};
    struct vzt_reg_body *b = rq->body ? rq->body : &empty;
    b->pos = 0;
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, b);
    curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, seek_cb);
    curl_easy_setopt(c, CURLOPT_SEEKDATA, b);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t) b->n);
  } else if (strcmp(rq->method, "GET"))
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
  if (rq->range)
    curl_easy_setopt(c, CURLOPT_RANGE, rq->range);
  errbuf[0] = 0;
  CURLcode res = curl_easy_perform(c);
  curl_slist_free_all(h);
  return res;
}

int vzt_reg_request(struct vzt_reg *reg, struct vzt_reg_req *rq, struct vzt_reg_resp *resp, struct vzt_error **err)
{
  char errbuf[CURL_ERROR_SIZE];
  for (int attempt = 0;; attempt++) {
    CURLcode res = perform(reg, rq, resp, errbuf);
    if (rq->sink && rq->sink->write_errno)
      return vzt_fail_errno(err, rq->sink->write_errno, "cannot write what %s sends", reg->host);
    if (rq->sink && rq->sink->overflow)
      return vzt_refuse(err, "%s %s%s: the registry sends more than the %llu bytes expected", rq->method,
                        reg->origin, rq->url, (unsigned long long) (rq->sink->limit ? rq->sink->limit : rq->sink->max));
    if (res != CURLE_OK)
      return vzt_fail(err, "registry %s: %s %s: %s", reg->host, rq->method, rq->url,
                      *errbuf ? errbuf : curl_easy_strerror(res));
    if (resp->status != 401 || attempt > 0)
      return 0;
    _cleanup_free_ char *challenge = vzt_reg_resp_header(resp, "WWW-Authenticate");
    if (!challenge)
      return 0;
    if (vzt_reg_auth_answer(reg, challenge, err) < 0)
      return -1;
  }
}

char *vzt_reg_resp_header(const struct vzt_reg_resp *resp, const char *name)
{
  size_t n = strlen(name);
  for (const char *l = resp->headers.data; l && *l;) {
    const char *e = strchr(l, '\n');
    size_t len = e ? (size_t) (e - l) : strlen(l);
    if (len > n && !strncasecmp(l, name, n) && l[n] == ':') {
      _cleanup_free_ char *v = vzt_strndup(l + n + 1, len - n - 1);
      return vzt_strdup(vzt_strstrip(v));
    }
    l = e ? e + 1 : l + len;
  }
  return NULL;
}

/* The spec's error body: {"errors":[{"code":..,"message":..}]}; else the status alone. */
int vzt_reg_http_error(struct vzt_reg *reg, const struct vzt_reg_resp *resp, const char *what, struct vzt_error **err)
{
  _cleanup_free_ char *words = NULL;
  json_object *o = resp->errbody.data ? json_tokener_parse(resp->errbody.data) : NULL, *errors = NULL;
  if (o && json_object_object_get_ex(o, "errors", &errors) && json_object_is_type(errors, json_type_array) &&
      json_object_array_length(errors) > 0) {
    json_object *e = json_object_array_get_idx(errors, 0), *code = NULL, *msg = NULL;
    json_object_object_get_ex(e, "code", &code);
    json_object_object_get_ex(e, "message", &msg);
    words = vzt_strdupf("%s%s%s", code ? json_object_get_string(code) : "",
                        code && msg ? ": " : "", msg ? json_object_get_string(msg) : "");
  }
  if (o)
    json_object_put(o);
  const char *hint = "";
  if (resp->status == 401)
    hint = reg->user_pass ? " (the credentials were refused: wrong user or password? log in again or fix the auth file)"
                          : " (the registry wants credentials: log in with podman/skopeo/docker login, or set "
                            "REGISTRY_AUTH_FILE to an auth.json naming this host)";
  else if (resp->status == 403)
    hint = " (denied: the account may not do this in this repository)";
  return vzt_fail(err, "registry %s: %s: HTTP %ld%s%s%s", reg->host, what, resp->status, words ? " " : "",
                  words ? words : "", hint);
}
