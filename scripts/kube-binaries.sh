#!/usr/bin/env bash
# Provides a kube-apiserver and an etcd for the contract suite (test/contract).
#
# stdout: exactly two lines, `KUBE_APISERVER=<path>` and `ETCD=<path>`; progress goes to stderr.
#
# Where the binaries come from, first match wins:
#   1. KUBE_APISERVER and ETCD (paths to the executables), both set;
#   2. KUBEBUILDER_ASSETS (envtest's folder holding kube-apiserver and etcd);
#   3. the cache, $KUBE_BINARIES_CACHE or ${XDG_CACHE_HOME:-~/.cache}/kubectl-ambient/kube-1.20.2/bin;
#   4. a build from Debian bookworm's packages into that cache (root, ~3 GB of disk, ~10 min on
#      2 cores): kube-apiserver 1.20.2 from the `kubernetes` source package with golang-1.19, after
#      swapping the vendored modern-go/reflect2 and json-iterator/go for Debian's newer copies
#      (else the server crashes serving a custom resource), and Debian's etcd-server 3.4.
#      See ../shared/docs/real-apiserver.md. The build tree is removed afterwards
#      (KUBE_BINARIES_KEEP_BUILD=1 keeps it).
#
# Exit 0 with the two lines, or 1 with one line `kube-binaries: error: <what>; <what to do>`.
set -euo pipefail

KUBE_VERSION=1.20.2
DEB_SRC_VERSION=1.20.5+really1.20.2-1.1+deb12u1
ORIG_TARBALL=kubernetes_1.20.5+really1.20.2.orig.tar.gz
GO_ROOT=/usr/lib/go-1.19
APT_PACKAGES=(golang-1.19-go golang-1.19-src rsync etcd-server golang-github-modern-go-reflect2-dev
  golang-github-json-iterator-go-dev dpkg-dev make)
NEED_GB=3

log() { echo "kube-binaries: $*" >&2; }
step() { STEP="$1"; log "[$(date +%H:%M:%S)] $1"; }
STEP=start
on_exit() {
  rc=$?
  if [ $rc -ne 0 ] && [ "${DIED:-}" != 1 ]; then echo "kube-binaries: error: step \"$STEP\" failed (exit $rc); see the output above" >&2; fi
}
trap on_exit EXIT
die() { DIED=1; echo "kube-binaries: error: $*" >&2; exit 1; }

emit() { # apiserver etcd
  [ -x "$1" ] || die "kube-apiserver not executable: $1; fix the path"
  [ -x "$2" ] || die "etcd not executable: $2; fix the path"
  echo "KUBE_APISERVER=$1"
  echo "ETCD=$2"
  exit 0
}

# 1 and 2: binaries given by the caller.
if [ -n "${KUBE_APISERVER:-}" ] || [ -n "${ETCD:-}" ]; then
  [ -n "${KUBE_APISERVER:-}" ] && [ -n "${ETCD:-}" ] || die "set both KUBE_APISERVER and ETCD (or neither)"
  log "using KUBE_APISERVER=$KUBE_APISERVER ETCD=$ETCD"
  emit "$KUBE_APISERVER" "$ETCD"
fi
if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  log "using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
  emit "$KUBEBUILDER_ASSETS/kube-apiserver" "$KUBEBUILDER_ASSETS/etcd"
fi

# 3: the cache.
CACHE="${KUBE_BINARIES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-ambient/kube-$KUBE_VERSION}"
BIN="$CACHE/bin"
cached() { [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/etcd" ] && [ -f "$BIN/.complete" ]; }
if cached; then
  log "cached: $BIN (kube-apiserver $KUBE_VERSION, $("$BIN/etcd" --version 2>/dev/null | head -1))"
  emit "$BIN/kube-apiserver" "$BIN/etcd"
fi

# 4: build. One build at a time per cache folder (test files may ask concurrently).
mkdir -p "$CACHE" || die "cannot create the cache folder $CACHE; set KUBE_BINARIES_CACHE to a writable folder"
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
  log "another build into $CACHE is running; waiting for it"
  flock 9
fi
if cached; then
  log "built meanwhile by another run: $BIN"
  emit "$BIN/kube-apiserver" "$BIN/etcd"
fi

START=$(date +%s)
log "no cached binaries in $BIN: building kube-apiserver $KUBE_VERSION from Debian's source package (about 10 min on 2 cores)"
[ "$(id -u)" = 0 ] || die "the build installs Debian packages and needs root;" \
  "run as root, or set KUBEBUILDER_ASSETS (or KUBE_APISERVER and ETCD)"
command -v apt-get >/dev/null || die "apt-get not found: the build needs Debian bookworm;" \
  "set KUBEBUILDER_ASSETS (or KUBE_APISERVER and ETCD) instead"

step "checking free disk space in $CACHE (need ${NEED_GB} GB)"
avail_kb=$(df -Pk "$CACHE" | awk 'NR==2 {print $4}')
[ "$avail_kb" -ge $((NEED_GB * 1024 * 1024)) ] ||
  die "only $((avail_kb / 1024)) MB free in $CACHE, the build needs ${NEED_GB} GB; free some space or set KUBE_BINARIES_CACHE elsewhere"

export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

# A deb-src line for bookworm, from the mirror of the existing bookworm deb line.
SRC_LIST=/etc/apt/sources.list.d/kubectl-ambient-deb-src.list
if [ ! -f "$SRC_LIST" ]; then
  step "adding a deb-src line for bookworm"
  # One-line format: the bookworm deb line itself, as deb-src (its [options] kept).
  line=$(
    { cat /etc/apt/sources.list 2>/dev/null; cat /etc/apt/sources.list.d/*.list 2>/dev/null; } |
      grep -E '^deb[[:space:]].*[[:space:]]bookworm[[:space:]]' | head -1 || true
  )
  if [ -n "$line" ]; then
    line="deb-src${line#deb}"
  else
    # deb822 format: the stanza with Types: deb and Suites: bookworm (its URIs and Signed-By kept).
    line=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
      function out() { if (deb && uri && bw) { printf "deb-src %s%s bookworm main\n", (key ? "[signed-by=" key "] " : ""), uri; done = 1 } }
      /^[[:space:]]*$/ { if (!done) out(); deb = 0; uri = ""; bw = 0; key = "" }
      /^Types:/ && / deb( |$)/ { deb = 1 }
      /^URIs:/ { uri = $2 }
      /^Signed-By:/ { key = $2 }
      /^Suites:/ && / bookworm( |$)/ { bw = 1 }
      END { if (!done) out() }' | head -1 || true)
  fi
  [ -n "$line" ] || die "no bookworm deb line found in /etc/apt/sources.list*; add a 'deb-src <mirror> bookworm main' line to $SRC_LIST"
  echo "$line" >"$SRC_LIST"
  log "wrote $SRC_LIST: $line"
fi

step "apt-get update"
apt-get update -q >&2 || die "apt-get update failed (no network, the Debian archive unreachable, or a bad sources list: see above);" \
  "check and retry"

step "installing ${APT_PACKAGES[*]}"
apt-get install "${APT_OPTS[@]}" --no-install-recommends "${APT_PACKAGES[@]}" >&2 ||
  die "apt-get install failed (no network, no disk, or a package missing from bookworm); see the apt output above"
[ -x "$GO_ROOT/bin/go" ] || die "Go 1.19 not found at $GO_ROOT after installing golang-1.19-go"
ETCD_SYS=$(command -v etcd || true)
[ -n "$ETCD_SYS" ] || die "etcd not found on PATH after installing etcd-server"

BUILD="$CACHE/build"
rm -rf "$BUILD"
mkdir -p "$BUILD"
step "downloading the kubernetes source package $DEB_SRC_VERSION"
(cd "$BUILD" && apt-get source -q --download-only "kubernetes=$DEB_SRC_VERSION" >&2) ||
  die "apt-get source kubernetes=$DEB_SRC_VERSION failed (no network, or no deb-src line: see $SRC_LIST); check and retry"
[ -f "$BUILD/$ORIG_TARBALL" ] || die "$ORIG_TARBALL not found after apt-get source; the source package changed? see $BUILD"

step "unpacking $ORIG_TARBALL"
mkdir -p "$BUILD/src"
tar -xzf "$BUILD/$ORIG_TARBALL" -C "$BUILD/src" --strip-components=1 ||
  die "unpacking $ORIG_TARBALL failed (disk full?); check df -h $CACHE"
rm -f "$BUILD/$ORIG_TARBALL"
SRC="$BUILD/src"
[ -f "$SRC/cmd/kube-apiserver/apiserver.go" ] || die "no cmd/kube-apiserver in the unpacked source; see $SRC"

step "swapping vendored modern-go/reflect2 and json-iterator/go for Debian's newer copies"
swap() { # vendored-folder debian-folder
  local v="$SRC/vendor/$1" d="/usr/share/gocode/src/$1"
  [ -d "$v" ] || die "vendored $1 not found in $SRC/vendor"
  [ -d "$d" ] || die "$d not found: is the Debian package for $1 installed?"
  find "$v" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) -delete
  find -L "$d" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) ! -name '*_test.go' -exec cp {} "$v/" \;
  log "  $1: $(find "$v" -maxdepth 1 -name '*.go' | wc -l) files from $d"
}
swap github.com/modern-go/reflect2
swap github.com/json-iterator/go

step "building cmd/kube-apiserver with Go 1.19 (nice; about 10 min on 2 cores)"
cat >"$BUILD/version.env" <<EOF
KUBE_GIT_VERSION='v$KUBE_VERSION'
KUBE_GIT_MAJOR='1'
KUBE_GIT_MINOR='20'
KUBE_GIT_TREE_STATE='clean'
KUBE_GIT_COMMIT='faecb196815e248d3ecfb03c680a4507229c2a56'
EOF
(
  cd "$SRC"
  export GOROOT="$GO_ROOT" PATH="$GO_ROOT/bin:$PATH" GOFLAGS=-mod=vendor GOPROXY=off CGO_ENABLED=0 \
    GOCACHE="$BUILD/gocache" GOPATH="$BUILD/gopath" KUBE_GIT_VERSION_FILE="$BUILD/version.env"
  nice -n 15 make WHAT=cmd/kube-apiserver >&2
) || die "building kube-apiserver failed (disk full? see the Go output above); re-run to retry from scratch"
[ -s "$SRC/_output/bin/kube-apiserver" ] || die "the build left no _output/bin/kube-apiserver; see the output above"

step "installing the binaries into $BIN"
rm -rf "$BIN"
mkdir -p "$BIN"
cp "$SRC/_output/bin/kube-apiserver" "$BIN/kube-apiserver"
cp "$ETCD_SYS" "$BIN/etcd"
"$BIN/kube-apiserver" --version >&2 || die "the built kube-apiserver does not run"
"$BIN/etcd" --version | head -1 >&2 || die "etcd does not run"
date -u +%FT%TZ >"$BIN/.complete"
if [ "${KUBE_BINARIES_KEEP_BUILD:-}" != 1 ]; then
  step "removing the build tree $BUILD"
  rm -rf "$BUILD"
fi
log "done in $(($(date +%s) - START)) s: $BIN"
emit "$BIN/kube-apiserver" "$BIN/etcd"
