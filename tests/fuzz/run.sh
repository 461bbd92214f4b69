#!/bin/sh
# Builds the fuzz targets with clang, libFuzzer, ASan and UBSan, and runs each
# for SECONDS on its corpus, one after another on one core. Run through
# `make fuzz FUZZ_SECONDS=N [FUZZ_TARGETS="sums recipe"]` in a configured build
# directory: make passes the compiler flags and libraries.
#   usage: run.sh SECONDS TARGET...
# New inputs go to fuzz/corpus/<target> in the build directory; fold them
# into the committed corpus (libFuzzer -merge=1: only inputs adding coverage):
#   FUZZ_MERGE=1 make fuzz
# Crashes are left as fuzz/<target>/crash-* and end the run with status 1.
# FUZZ_LIBSOLV=DIR links libsolv and libsolvext from a CMake build of
# libsolv in DIR (static, with CC=clang and this script's sanitizers plus
# -fsanitize=fuzzer-no-link), so that the index loaders the targets drive
# are instrumented too; Debian's libsolv is not.
set -eu
seconds=$1
shift
src=$(cd "$(dirname "$0")/../.." && pwd)
out=$PWD/fuzz
cc=${CC_FUZZ:-clang}
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
# The path macro AM_CPPFLAGS gives the build (its quoting does not survive
# the trip through make and the environment; the path has no blanks).
# shellcheck disable=SC2089 # the quotes are the C string literal's own
paths="-DVZT_RECIPES_DIR=\"$src/recipes\""
cflags="-g -O1 -fno-omit-frame-pointer $san ${FUZZ_CPPFLAGS:-} $paths"
mkdir -p "$out/obj"
libs=${FUZZ_LIBS:-}
if [ -n "${FUZZ_LIBSOLV:-}" ]; then
  libs="$FUZZ_LIBSOLV/ext/libsolvext.a $FUZZ_LIBSOLV/src/libsolv.a $(echo "$libs" | sed 's/-lsolvext //; s/-lsolv //') -lz -llzma -lzstd -lbz2"
fi

# The library, instrumented for coverage (the gcc-built libvztmpl.a is not).
objs=
for c in "$src"/lib/*.c "$src"/cache/*.c "$src"/fetch/*.c "$src"/fetch/*/*.c "$src"/kernel-support/*.c \
         "$src"/tmpl/*.c "$src"/tmpl/*/*.c \
         "$src"/tests/fuzz/fuzz-util.c "$src"/tests/fuzz/fuzz-index-walk.c "$src"/tests/fuzz/fuzz-rpm-index.c; do
  o=$out/obj/$(echo "${c#"$src"/}" | tr / _).o
  # shellcheck disable=SC3013 # dash, Debian's /bin/sh, has -nt
  if [ ! -f "$o" ] || [ "$c" -nt "$o" ] || [ -n "$(find "$src" -name '*.h' -newer "$o" | head -1)" ]; then
    # shellcheck disable=SC2086,SC2090 # cflags is a list of words, quotes and all (see paths)
    $cc $cflags -fsanitize=fuzzer-no-link -c "$c" -o "$o"
  fi
  objs="$objs $o"
done

status=0
for t in "$@"; do
  bin=$out/fuzz-$t
  # shellcheck disable=SC2086,SC2090 # as above; objs and libs are lists of words
  $cc $cflags -fsanitize=fuzzer "$src/tests/fuzz/fuzz-$t.c" $objs $libs -o "$bin"
  mkdir -p "$out/corpus/$t" "$out/$t"
  seed=$src/tests/fuzz/corpus/$t
  if [ -n "${FUZZ_MERGE:-}" ]; then
    # Minimise what the runs grew into the committed corpus: only inputs
    # that reach new edges (hit counts ignored), to keep it tens of files.
    "$bin" -merge=1 -use_counters=0 "$seed" "$out/corpus/$t" 2>&1 | grep MERGE-OUTER | tail -n 1
    continue
  fi
  echo "== fuzz-$t: ${seconds}s"
  (cd "$out/$t" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$bin" -max_total_time="$seconds" -jobs=1 -workers=1 -max_len=8192 -timeout=10 -rss_limit_mb=1024 \
      -print_final_stats=1 "$out/corpus/$t" "$seed" >"$out/$t.log" 2>&1) || status=1
  # With -jobs the fuzzing runs in a child that logs to fuzz-0.log.
  grep -hE '^(stat::number_of_executed_units|stat::peak_rss_mb|Done)|ERROR|SUMMARY' "$out/$t"/fuzz-*.log 2>/dev/null ||
    grep -hE '^(stat::number_of_executed_units|stat::peak_rss_mb|Done)|ERROR|SUMMARY' "$out/$t.log" || true
done
exit $status
