# Reference trees from the tools vztmpl is measured against, shared between
# tests and runs: mmdebstrap's output depends only on the package set (names,
# versions, architecture) and the suites, so one run per set is kept in
# $VZTMPL_REF_CACHE and reused. Source it after testlib.sh.
# shellcheck shell=sh
REF_CACHE=${VZTMPL_REF_CACHE:-/var/tmp/vztmpl-test-ref}

# dry_run_field JSON KEY...: a field of `build --dry-run --json` output.
dry_mirror() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mirrors"][int(sys.argv[2])])' "$1" "$2"; }
dry_packages() { python3 -c 'import json,sys; print("\n".join(sorted(p["name"] for p in json.load(open(sys.argv[1]))["packages"])))' "$1"; }
dry_set() { python3 -c 'import json,sys; print("\n".join(sorted("%s %s %s" % (p["name"], p["version"], p["architecture"]) for p in json.load(open(sys.argv[1]))["packages"])))' "$1"; }

# mmdebstrap_reference DRY_JSON CODENAME ARCH OUT.tar [HOOK_DIR]: mmdebstrap's
# tree (a tar) of exactly the packages of a vztmpl dry run, from the same
# mirrors; from the shared cache when the same set was built before.
mmdebstrap_reference() {
  dry=$1 codename=$2 arch=$3 out=$4 hooks=${5:-}
  # The same SOURCE_DATE_EPOCH as vztmpl's build (shadow's change dates, ...).
  epoch=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["source_date_epoch"])' "$dry")
  key=$( { dry_set "$dry"; echo "$codename $arch $epoch $hooks"; } | sha256sum | cut -c1-32)
  mkdir -p "$REF_CACHE"
  if [ ! -s "$REF_CACHE/$key.tar" ]; then
    mirror=$(dry_mirror "$dry" 0) security=$(dry_mirror "$dry" 1)
    pkgs=$(dry_packages "$dry" | paste -sd,)
    set -- --quiet --variant=custom --architectures="$arch" --include="$pkgs"
    [ -n "$hooks" ] && set -- "$@" --hook-dir="$hooks"
    SOURCE_DATE_EPOCH=$epoch mmdebstrap "$@" "$codename" "$REF_CACHE/$key.part.tar" \
      "deb $mirror $codename main" "deb $mirror $codename-updates main" \
      "deb $security $codename-security main" 2>"$T/mmdebstrap.log" ||
      { tail "$T/mmdebstrap.log"; fail "mmdebstrap $codename $arch failed"; }
    mv "$REF_CACHE/$key.part.tar" "$REF_CACHE/$key.tar"
    echo "reference: mmdebstrap $codename $arch, $(dry_packages "$dry" | wc -l) packages (new)"
  else
    echo "reference: mmdebstrap $codename $arch, $(dry_packages "$dry" | wc -l) packages (shared, $key)"
  fi
  cp "$REF_CACHE/$key.tar" "$out"
}

# tree_listing DIR OUT: OUT.meta (path, type, mode, owner, link target) and
# OUT.sums (path, sha256 of each regular file). The files volatile-paths.txt
# marks "sorted" are hashed with their lines sorted: the same lines in another
# order, where the order means nothing to their readers.
tree_listing() {
  (cd "$1" && find . -mindepth 1 -printf '%p %y %m %U %G %l\n' | LC_ALL=C sort) >"$2.meta"
  (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | awk '{print $2, $1}') >"$2.sums"
  sed -n 's/^sorted  *\([^ ]*\).*/\1/p' "$TESTS_DIR/volatile-paths.txt" | while read -r p; do
    if [ -f "$1/$p" ]; then
      sum=$(LC_ALL=C sort "$1/$p" | sha256sum | cut -d' ' -f1)
      sed -i "s|^$p .*|$p sorted:$sum|" "$2.sums"
    fi
  done
}

# without_volatile: stdin less the lines whose path matches volatile-paths.txt.
without_volatile() {
  sed 's/ *#.*//; /^$/d; /^sorted /d' "$TESTS_DIR/volatile-paths.txt" >"$T/volatile"
  while read -r line; do
    path=${line%% *}
    keep=1
    while read -r pat; do
      # shellcheck disable=SC2254
      case $path in $pat) keep=0; break ;; esac
    done <"$T/volatile"
    if [ $keep = 1 ]; then echo "$line"; fi
  done
}

# same_tree REF_DIR OUR_DIR WHAT: fails naming the first differences beyond
# the volatile paths; prints how many paths are equal.
same_tree() {
  tree_listing "$1" "$T/ref"
  tree_listing "$2" "$T/ours"
  for kind in meta sums; do
    without_volatile <"$T/ref.$kind" >"$T/ref.$kind.f"
    without_volatile <"$T/ours.$kind" >"$T/ours.$kind.f"
    diff "$T/ref.$kind.f" "$T/ours.$kind.f" >"$T/diff.$kind" ||
      { head -40 "$T/diff.$kind"; fail "$3: tree differs from mmdebstrap's ($kind)"; }
  done
  echo "$3: $(wc -l <"$T/ours.meta.f") paths equal to mmdebstrap's (type, mode, owner, link, content)"
}

# sound_dpkg_db ROOT WHAT: dpkg --audit and --verify are empty.
sound_dpkg_db() {
  [ -z "$(dpkg --root="$1" --audit)" ] || { dpkg --root="$1" --audit | head; fail "$2: dpkg --audit reports problems"; }
  [ -z "$(dpkg --root="$1" --verify)" ] || { dpkg --root="$1" --verify | head; fail "$2: dpkg --verify reports changes"; }
}
