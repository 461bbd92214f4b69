/* What the registry client's files share: the session, one HTTP exchange, and authentication. */
#pragma once
#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>
#include "fetch/registry/registry.h"
#include "lib/buf.h"
#include "lib/digest.h"

struct vzt_reg {
  CURL *curl;
  char *origin;       /* "https://host:port" */
  char *host, *repo;
  char *ca_file;
  char *authz;        /* the "Authorization: ..." header the registry accepted or asked for */
  char *user_pass;    /* "user:pass" from an auth file, NULL when none names the host */
  char *auth_source;  /* the file it came from, for messages */
  char *extra_scope;  /* a token scope beyond the challenge's (a mount's source repository) */
  bool push;
};

/* Where a request's body comes from: bytes in memory, or n bytes of fd from off. */
struct vzt_reg_body {
  const char *mem;
  int fd;
  uint64_t off, n;
  uint64_t pos; /* sent so far */
};

/* Where a 2xx response's body goes: a buffer (up to max), or fd, hashed as it streams. */
struct vzt_reg_sink {
  struct vzt_buf *buf;
  size_t max;
  int fd;
  struct vzt_digest *dg;
  uint64_t got, limit; /* limit: the most the body may bring (0: max) */
  int write_errno;
  bool overflow;
};

struct vzt_reg_req {
  const char *method;          /* GET HEAD POST PUT PATCH DELETE */
  const char *url;             /* absolute, or a path on the registry ("/v2/...") */
  const char *const *headers;  /* extra, NULL-terminated */
  struct vzt_reg_body *body;   /* PUT, PATCH */
  struct vzt_reg_sink *sink;   /* the body of a 2xx answer; others are kept for the error message */
  const char *range;           /* "N-" */
};

struct vzt_reg_resp {
  long status;
  struct vzt_buf headers; /* of the last response, after redirects */
  struct vzt_buf errbody; /* a non-2xx body, bounded */
};

void vzt_reg_resp_clear(struct vzt_reg_resp *r);
/* One exchange, answering an authentication challenge once on the way. Fails only when no
 * HTTP answer came (or authentication itself failed); resp->status says the rest. */
int vzt_reg_request(struct vzt_reg *reg, struct vzt_reg_req *rq, struct vzt_reg_resp *resp, struct vzt_error **err);
/* A header of the response (case-insensitive name), trimmed; NULL when absent. Caller frees. */
char *vzt_reg_resp_header(const struct vzt_reg_resp *resp, const char *name);
/* An unexpected status as an error naming what was tried and the registry's own words. */
int vzt_reg_http_error(struct vzt_reg *reg, const struct vzt_reg_resp *resp, const char *what, struct vzt_error **err);
/* "/v2/<repo>/<rest>" */
char *vzt_reg_path(const struct vzt_reg *reg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A Location header as an absolute URL on the registry. */
char *vzt_reg_absolute(const struct vzt_reg *reg, const char *location);
/* The TLS and timeout settings every handle of the session gets. */
void vzt_reg_setup_handle(const struct vzt_reg *reg, CURL *c);

/* auth.c */
/* Credentials for reg->host from the first auth file that names it. */
int vzt_reg_auth_load(struct vzt_reg *reg, struct vzt_error **err);
/* Answers a WWW-Authenticate challenge: a bearer token fetched from its realm, or Basic. */
int vzt_reg_auth_answer(struct vzt_reg *reg, const char *challenge, struct vzt_error **err);
