#!/usr/bin/env python3
"""A fault-injecting HTTP front for the integration tests.

Listens on loopback and passes GET/HEAD requests to a real upstream server
(the test's lighttpd), breaking them as a rule file says. Each line of the
rule file is

    GLOB ATTEMPTS ACTION [ARG]

GLOB matches the request path (fnmatch), ATTEMPTS is "all" or a list of
1-based attempt numbers per path ("1" or "1,2"), and ACTION is one of
    pass                  the upstream's answer as it is
    status N              an empty answer with status N (404, 429, 500, 503)
    drop                  headers and half the body, then the connection closes
    truncate              a Content-Length of half the body, and that half
    flip                  the whole body with one byte changed
    wrong-length          a Content-Length larger than the body, then close
    stall SECONDS         nothing for SECONDS, then the answer
    trickle [BYTES]       the body in pieces of BYTES (1024), 20 ms apart
    redirect URL          302 to URL + the path
    redirect-loop         302 to the same path
The first matching line decides; no line means pass. The file is read again
for every request, so a test can change it between steps; a change of the
file starts the attempt counts again.

Usage: faultfront.py UPSTREAM RULES PORTFILE LOG [ADDRESS]
The chosen port is written to PORTFILE; LOG gets "PATH ATTEMPT ACTION" lines.
"""
import fnmatch
import os
import http.server
import sys
import threading
import time
import urllib.error
import urllib.request

UPSTREAM, RULES, PORTFILE, LOG = sys.argv[1:5]
ADDRESS = sys.argv[5] if len(sys.argv) > 5 else "127.0.0.1"
attempts = {}
rules_seen = [None]
lock = threading.Lock()


def read_rules():
    """The rule lines; a new text resets the attempt counts (caller holds lock)."""
    try:
        text = open(RULES).read()
    except FileNotFoundError:
        text = ""
    if text != rules_seen[0]:
        rules_seen[0] = text
        attempts.clear()
    return text.splitlines()


def rule_for(lines, path, attempt):
    for line in lines:
        words = line.split()
        if len(words) < 3 or words[0].startswith("#"):
            continue
        glob, which, action = words[0], words[1], words[2:]
        if not fnmatch.fnmatchcase(path, glob):
            continue
        if which != "all" and str(attempt) not in which.split(","):
            continue
        return action
    return ["pass"]


class Front(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def upstream(self):
        req = urllib.request.Request(UPSTREAM + self.path, method=self.command)
        for h in ("Range", "If-Modified-Since", "If-None-Match", "Accept"):
            if self.headers.get(h):
                req.add_header(h, self.headers[h])
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def answer(self, status, headers, body, length=None):
        self.send_response(status)
        for k, v in headers.items():
            if k.lower() in ("content-length", "connection", "transfer-encoding", "date", "server"):
                continue
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()

    def handle_one(self):
        with lock:
            lines = read_rules()
            attempts[self.path] = attempts.get(self.path, 0) + 1
            attempt = attempts[self.path]
        action = rule_for(lines, self.path, attempt)
        with lock, open(LOG, "a") as log:
            log.write(f"{self.path} {attempt} {' '.join(action)}\n")
        kind = action[0]
        if kind == "status":
            self.send_response(int(action[1]))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if kind == "redirect-loop":
            self.send_response(302)
            self.send_header("Location", self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if kind == "redirect":
            self.send_response(302)
            self.send_header("Location", action[1] + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if kind == "stall":
            time.sleep(float(action[1]))
        status, headers, body = self.upstream()
        if self.command == "HEAD":
            self.answer(status, headers, b"", length=headers.get("Content-Length", 0))
            return
        if kind == "drop" and len(body) > 1:
            self.answer(status, headers, body)
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        if kind == "truncate" and len(body) > 1:
            self.answer(status, headers, body[: len(body) // 2])
            self.wfile.write(body[: len(body) // 2])
            return
        if kind == "flip" and body:
            b = bytearray(body)
            b[len(b) // 2] ^= 0x01
            body = bytes(b)
        if kind == "wrong-length":
            self.answer(status, headers, body, length=len(body) + 1000)
            self.wfile.write(body)
            self.close_connection = True
            return
        self.answer(status, headers, body)
        if kind == "trickle":
            piece = int(action[1]) if len(action) > 1 else 1024
            for i in range(0, len(body), piece):
                self.wfile.write(body[i : i + piece])
                self.wfile.flush()
                time.sleep(0.02)
            return
        self.wfile.write(body)

    def do_GET(self):
        try:
            self.handle_one()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client hung up: tests kill clients

    do_HEAD = do_GET


server = http.server.ThreadingHTTPServer((ADDRESS, 0), Front)
server.daemon_threads = True
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
server.serve_forever()
