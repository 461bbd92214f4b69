#!/bin/sh
# A server that trickles (2 bytes a second) is cut off as a stall within
# about --timeout seconds per attempt, and the download fails naming the
# stall; a manifest response that never ends is cut at its cap (its size is
# not signed), refused, and nothing of it is left in the cache. (The trickle
# used to hold vztmpl forever; the endless manifest filled the cache disk.)
. "$(dirname "$0")/../integration/testlib.sh"
need_root
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
A=debian-12-x86_64-minbase
[ -e "$CACHE/templates/$A.tar.zst" ] || expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase

# A published directory made by hand: the real archive, a manifest that the
# server replaces with an endless stream, a signed SHA256SUMS.
make_key pub
SITE="$T/site"
B=20260101-000000-000000000000
mkdir -p "$SITE/templates/$A/$B"
cp "$CACHE/templates/$A.tar.zst" "$SITE/templates/$A/$B/$A.tar.zst"
cp "$CACHE/templates/$A.json" "$SITE/templates/$A/$B/$A.json"
size=$(stat -c %s "$SITE/templates/$A/$B/$A.tar.zst")
cat >"$SITE/index.json" <<JSON
{"format": 1, "templates": [{"name": "$A", "last_good": "$B", "builds": [
  {"build": "$B", "archive": "templates/$A/$B/$A.tar.zst", "size": $size,
   "manifest": "templates/$A/$B/$A.json"}]}]}
JSON
(cd "$SITE" && sha256sum index.json "templates/$A/$B/$A.tar.zst" "templates/$A/$B/$A.json" >SHA256SUMS)
gpg --batch --quiet --yes --local-user pub@test.invalid --detach-sign -o "$SITE/SHA256SUMS.gpg" "$SITE/SHA256SUMS"

# /trickle/...: every file at 2 bytes a second; /endless/...: the files as
# they are, but a manifest is zeros without end (no Content-Length).
cat >"$T/server.py" <<'PY'
import http.server, os, socketserver, sys, time
site = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    def log_message(self, *a): pass
    def do_GET(self):
        mode, _, rel = self.path.lstrip("/").partition("/")
        path = os.path.join(site, rel)
        if not os.path.isfile(path):
            self.send_error(404); return
        try:
            if mode == "endless" and rel.endswith(".json") and rel.startswith("templates/"):
                self.send_response(200); self.end_headers()
                block = b"\0" * 65536
                while True:
                    self.wfile.write(block)
            data = open(path, "rb").read()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if mode == "trickle":
                for i in range(0, len(data), 2):
                    self.wfile.write(data[i:i + 2]); self.wfile.flush(); time.sleep(1)
            else:
                self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
s = S(("127.0.0.1", 0), H)
open(sys.argv[2], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
python3 "$T/server.py" "$SITE" "$T/port" &
FRONT_PIDS=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || fail "the test server did not start"
PORT=$(cat "$T/port")

# bounded SECONDS CMD...: CMD with a bound for the test (not a timing claim).
bounded() {
  limit=$1; shift
  start=$(date +%s)
  set +e
  timeout "$limit" "$@" >"$T/stdout" 2>"$T/stderr"
  got=$?
  set -e
  took=$(($(date +%s) - start))
}

user_owns "$T/c1"
bounded 90 "$VZTMPL" --timeout 3 -C "$T/c1" download "$A" --from "http://127.0.0.1:$PORT/trickle" \
  --keyring "$T/pub.gpg"
echo "download from a 2 bytes/s server with --timeout 3: exit $got after $took s: $(tail -c 300 "$T/stderr" | tr '\n' ' ')"
[ "$got" != 124 ] || fail "the trickle was never cut off (killed by the test after 90 s)"
[ "$got" = 1 ] || fail "exit $got, wanted 1"
expect_stderr "stalled"
[ "$took" -le 60 ] || fail "the trickle was cut off only after $took s"

user_owns "$T/c2"
bounded 300 "$VZTMPL" --timeout 10 -C "$T/c2" download "$A" --from "http://127.0.0.1:$PORT/endless" \
  --keyring "$T/pub.gpg"
echo "download with an endless manifest: exit $got after $took s: $(tail -c 300 "$T/stderr" | tr '\n' ' ')"
[ "$got" != 124 ] || fail "the endless manifest was never cut off"
[ "$got" = 3 ] || fail "exit $got, wanted 3"
expect_stderr "larger than the limit"
cap=$(grep -o 'limit of [0-9]*' "$T/stderr" | head -1 | cut -d' ' -f3)
[ "$cap" -le 67108864 ] || fail "the manifest was cut only at $cap bytes"
left=$(find "$T/c2" -type f -name '*.json*' | head -5)
[ -z "$left" ] || fail "left in the cache: $left"
echo "cache after the refusal: no manifest data; left: $(cd "$T/c2" && find . -type f -printf '%p (%s bytes) ' )"
[ ! -e "$T/c2/templates/$A.tar.zst" ] || fail "the template was installed"

# The same site served whole downloads fine: the limits cut only what is wrong.
user_owns "$T/c3"
expect_exit 0 "$VZTMPL" --timeout 10 -C "$T/c3" download "$A" --from "http://127.0.0.1:$PORT/plain" \
  --keyring "$T/pub.gpg"
echo "download from a well-behaved server: exit 0"
echo "slow server: trickles cut as stalls, endless responses cut at their cap"
