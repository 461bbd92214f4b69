/* The fixture shared by the fetch test suites: a test body, file:// sources
 * and a loopback HTTP/1.1 server that misbehaves on cue. */
#pragma once
#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include "fetch/fetch.h"
#include "lib/digest.h"

#define BODY_LEN 300000
extern char body[BODY_LEN];
extern char body_sha[VZT_DIGEST_HEX_MAX];
extern char *tmpdir; /* fresh per test */

void sha256_of(const void *data, size_t len, char *out);
void write_file(const char *path, const void *data, size_t len);
bool exists(const char *path);
/* dest holds exactly the test body */
void assert_body(const char *path);
char *tpath(const char *name);
char *file_url(const char *name);
char *part_of(const char *dest);

/* Every pause transfer.c chose before a retry, in order. The tests check
 * these instead of the clock, and take no pause at all. */
#define MAX_BACKOFFS 16
extern double backoffs[MAX_BACKOFFS];
extern int nbackoffs;

/* Fixtures: a temporary directory holding "src" (the body); the http ones
 * also run the server. */
void setup(void);
void teardown(void);
void http_setup(void);
void http_teardown(void);

/* ---- the loopback server (see fetch-harness.c for the actions) ---------- */
#define MAX_ROUTES 8
#define MAX_CONNS 64
#define MAX_LOG 64

struct route {
  char path[64];
  char actions[8][8];
  int nactions, next;
};

struct server {
  int lfd, port;
  pthread_t thread;
  pthread_mutex_t lock;
  struct route routes[MAX_ROUTES];
  int nroutes;
  char log[MAX_LOG][96];
  int nlog;
  pthread_t conns[MAX_CONNS];
  int conn_fds[MAX_CONNS];
  int nconns;
  int stalling; /* requests being answered with "stall" right now or before */
  bool stopping;
};

extern struct server srv;
/* Gives path its list of actions, one per request (the last repeats). */
void route(const char *path, const char *actions);
char *srv_url(const char *path);
/* How many requests were logged for paths starting with prefix. */
int requests(const char *prefix);

/* An item for dest "out" (or name) from the given URLs (taken). */
struct one {
  char **urls;
  char *dest;
  struct vzt_fetch_item item;
};

void one_init(struct one *o, const char *name, const char *digest, char *url, ...);
void one_free(struct one *o);
int fetch_one(struct one *o, int retries, long timeout, struct vzt_error **err);
