#!/bin/sh
# A signed repository served over https with a certificate from a private
# CA: vztmpl fetches it when given that CA by --ca-file, CURL_CA_BUNDLE or
# SSL_CERT_FILE (--ca-file first, then CURL_CA_BUNDLE), and without it fails
# closed, saying to pass --ca-file. The CA never enters the system store.
. "$(dirname "$0")/testlib.sh"

command -v openssl >/dev/null || skip "needs openssl"
[ -f /usr/lib/lighttpd/mod_openssl.so ] || skip "needs lighttpd's mod_openssl (Debian package lighttpd-mod-openssl)"

# A throw-away CA with a certificate for 127.0.0.1 it signed, and another
# CA, which did not sign it.
make_ca "$T/tls" ca other

make_key good
make_deb "$T/repo/pool/main" hello-vzt 1.0
make_repo "$T/repo" testing good 7
export VZTMPL_APT_DIR="$T/no-apt" # no host sources may leak in

serve_tls "$T/repo" "$T/tls"
port=$TLS_PORT URL=$TLS_URL
wait_until "lighttpd with TLS on port $port" curl -s --cacert "$T/tls/ca.pem" -o /dev/null "$URL/dists/testing/InRelease"
write_recipe "$T/test.conf" "$URL" "$T/good.gpg" hello-vzt

# fetch_with CASE EXIT ENV... -- ARGS...: vztmpl fetch into a fresh cache,
# with only the named CA variables set.
fetch_with() {
  what=$1 want=$2; shift 2
  rm -rf "$T/cache"
  envs=
  while [ "$1" != "--" ]; do envs="$envs $1"; shift; done
  shift
  # shellcheck disable=SC2086 # one word per variable
  expect_exit "$want" env -u CURL_CA_BUNDLE -u SSL_CERT_FILE $envs "$VZTMPL" -C "$T/cache" "$@" fetch "$T/test.conf"
  echo "$what: exit $want"
}

fetch_with "no CA given: refused, the system store does not know the CA" 1 --
expect_stderr "--ca-file"
expect_stderr "127.0.0.1:$port"
[ ! -d "$T/cache/blobs" ] || [ -z "$(find "$T/cache/blobs" -type f)" ] || fail "something was downloaded without a trusted certificate"

fetch_with "--ca-file with the CA" 0 -- --ca-file "$T/tls/ca.pem"
[ -n "$(find "$T/cache/blobs" -type f -size +0)" ] || fail "--ca-file: nothing was downloaded"

fetch_with "CURL_CA_BUNDLE with the CA" 0 CURL_CA_BUNDLE="$T/tls/ca.pem" --
fetch_with "SSL_CERT_FILE with the CA" 0 SSL_CERT_FILE="$T/tls/ca.pem" --

fetch_with "--ca-file wins over a wrong CURL_CA_BUNDLE" 0 CURL_CA_BUNDLE="$T/tls/other.pem" -- --ca-file "$T/tls/ca.pem"
fetch_with "CURL_CA_BUNDLE wins over a wrong SSL_CERT_FILE" 0 CURL_CA_BUNDLE="$T/tls/ca.pem" SSL_CERT_FILE="$T/tls/other.pem" --

fetch_with "--ca-file with another CA: refused" 1 -- --ca-file "$T/tls/other.pem"
expect_stderr "does not chain to a CA"
fetch_with "a wrong --ca-file wins over a right CURL_CA_BUNDLE: refused" 1 CURL_CA_BUNDLE="$T/tls/ca.pem" -- --ca-file "$T/tls/other.pem"

expect_exit 2 "$VZTMPL" --ca-file "$T/tls/missing.pem" list
expect_stderr "missing.pem"
echo "a missing --ca-file: a usage error naming it"
echo "https with a private CA behaved"
