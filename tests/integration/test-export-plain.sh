#!/bin/sh
# vztmpl export to the plain tars OpenVZ and Proxmox take: the template's tar
# stream unchanged inside each compression, the same bytes from two exports,
# each file named as its platform names it when -o is a directory, and one
# file refused for several templates.
. "$(dirname "$0")/testlib.sh"
need_root
CACHE=${VZTMPL_TEST_CACHE:-/var/tmp/vztmpl-test-cache}
TPL=debian-12-x86_64-minbase
expect_exit 0 "$VZTMPL" -C "$CACHE" build debian:12 --variant minbase
zstd -dc "$CACHE/templates/$TPL.tar.zst" | sha256sum | cut -d' ' -f1 >"$T/tar.sha"
epoch=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["source_date_epoch"])' "$CACHE/templates/$TPL.json")
day=$(date -u -d "@$epoch" +%Y%m%d)

mkdir "$T/a" "$T/b"
# name FORMAT: what the platform calls the file.
name() {
  case $1 in
  tar.zst) echo "debian-12-minbase_12-${day}_amd64.tar.zst" ;;
  *) echo "$TPL.$1" ;;
  esac
}
# tar.xz and tar.bz2 go through the same re-compression as build -o, whose
# output tests/unit/test-pack.c checks; xz takes minutes on two shared
# cores, so gz and zst stand for them here.
for f in tar.gz tar.zst; do
  expect_exit 0 "$VZTMPL" -C "$CACHE" export --format "$f" -o "$T/a" "$TPL"
  n=$(name "$f")
  [ -f "$T/a/$n" ] || fail "$f: no $n in the directory: $(ls "$T/a")"
  expect_exit 0 "$VZTMPL" -C "$CACHE" export --format "$f" -o "$T/b/$n" "$TPL"
  cmp -s "$T/a/$n" "$T/b/$n" || fail "$f: two exports differ"
  case $f in tar.gz) d="gzip -dc" ;; *) d="zstd -dc" ;; esac
  [ "$($d "$T/a/$n" | sha256sum | cut -d' ' -f1)" = "$(cat "$T/tar.sha")" ] || fail "$f: holds another tar"
  echo "$f: $n, $(wc -c <"$T/a/$n") bytes, the template's tar, the same bytes twice"
  rm -f "$T/a/$n" "$T/b/$n"
done
# The cache keeps tar.zst: a Proxmox export is the cached archive itself.
expect_exit 0 "$VZTMPL" -C "$CACHE" export --format tar.zst -o "$T/p.tar.zst" "$TPL"
cmp -s "$T/p.tar.zst" "$CACHE/templates/$TPL.tar.zst" || fail "tar.zst is not the cached archive"
echo "tar.zst: the cached archive byte for byte"

expect_exit 1 "$VZTMPL" -C "$CACHE" export --format tar.gz -o "$T/two.tar.gz" "$TPL" "$TPL"
expect_stderr "need a directory"
[ ! -e "$T/two.tar.gz" ] || fail "a refused export left a file"
expect_exit 2 "$VZTMPL" -C "$CACHE" export --format tar -o "$T/x.tar" "$TPL"
echo "refused: two templates into one file (exit 1), an unknown format (exit 2)"
