#!/usr/bin/env python3
"""A registry front that speaks the bearer-token flow, for the integration tests.

Passes every request to an upstream registry that wants no credentials, but
first demands "Authorization: Bearer <token>" as registries with a token
server do (distribution's docs/spec/auth/token.md): without one it answers
401 with a WWW-Authenticate Bearer challenge naming its own /token realm and
the scope the request needs. /token hands out a pull-only token
anonymously, and to USER:PASSWORD given as Basic credentials a token for
what the scope asks (pull, or pull and push, as real token servers grant no
more than asked); a wrong password gets 401.

Usage: tokenfront.py UPSTREAM USER:PASSWORD PORTFILE LOG
LOG gets "METHOD PATH AUTH STATUS" lines.
"""
import base64
import hashlib
import http.server
import json
import os
import re
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request

UPSTREAM, CRED, PORTFILE, LOG = sys.argv[1:5]
TOKENS = {"anon-token": {"pull"}, "pull-token": {"pull"}, "push-token": {"pull", "push"}}
lock = threading.Lock()
referrers = {}  # subject digest -> descriptors of the manifests that name it


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


opener = urllib.request.build_opener(NoRedirect)


class Front(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def log(self, auth, status):
        with lock, open(LOG, "a") as f:
            f.write(f"{self.command} {self.path} {auth} {status}\n")

    def reply(self, status, headers, body):
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def token(self):
        auth = self.headers.get("Authorization", "")
        tok = "anon-token"
        if auth.startswith("Basic "):
            if base64.b64decode(auth[6:]).decode() != CRED:
                self.log("basic-wrong", 401)
                return self.reply(401, [], b'{"details":"bad credentials"}')
            scopes = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query).get("scope", [])
            tok = "push-token" if any(s.endswith(":pull,push") for s in scopes) else "pull-token"
        self.log("token:" + tok, 200)
        self.reply(200, [("Content-Type", "application/json")], ('{"token":"%s"}' % tok).encode())

    def handle_one(self):
        if self.path.startswith("/token"):
            return self.token()
        body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        m = re.match(r"/v2/(.+?)/(blobs|manifests|referrers)/", self.path)
        need = "pull" if self.command in ("GET", "HEAD") else "push"
        auth = self.headers.get("Authorization", "")
        tok = auth[7:] if auth.startswith("Bearer ") else ""
        if m and need not in TOKENS.get(tok, set()):
            scope = "repository:%s:pull%s" % (m.group(1), ",push" if need == "push" else "")
            host = self.headers.get("Host")
            self.log(tok or "none", 401)
            return self.reply(401, [("WWW-Authenticate",
                                     'Bearer realm="http://%s/token",service="vztmpl-test",scope="%s"' % (host, scope))],
                              b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}')
        r = re.match(r"/v2/.+?/referrers/(sha256:[0-9a-f]{64})$", self.path)
        if r:
            with lock:
                found = list(referrers.get(r.group(1), []))
            self.log(tok or "none", 200)
            index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": found}
            return self.reply(200, [("Content-Type", "application/vnd.oci.image.index.v1+json")],
                              json.dumps(index).encode())
        if self.command == "PUT" and "/manifests/" in self.path:
            doc = json.loads(body)
            if "subject" in doc:
                d = {"mediaType": doc.get("mediaType"), "digest": "sha256:" + hashlib.sha256(body).hexdigest(),
                     "size": len(body), "artifactType": doc.get("artifactType")}
                with lock:
                    if d not in referrers.setdefault(doc["subject"]["digest"], []):
                        referrers[doc["subject"]["digest"]].append(d)
        req = urllib.request.Request(UPSTREAM + self.path, data=body if body or self.command in ("PUT", "PATCH", "POST") else None,
                                     method=self.command)
        for h in ("Accept", "Content-Type", "Content-Range", "Range", "Host"):
            if self.headers.get(h):
                req.add_header(h, self.headers[h])
        try:
            with opener.open(req, timeout=60) as r:
                status, headers, data = r.status, r.getheaders(), r.read()
        except urllib.error.HTTPError as e:
            status, headers, data = e.code, e.headers.items(), e.read()
        self.log(tok or "none", status)
        self.reply(status, headers, data)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_one


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Front)
server.daemon_threads = True
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
server.serve_forever()
