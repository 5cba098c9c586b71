#!/usr/bin/env bash
# Build etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and kwok from the
# Go module proxy into a cache keyed by version. A second run finds them and returns at once.
#
# k8s.io/kubernetes requires its staging modules at v0.0.0 and maps them to ./staging with a
# replace directive that only applies when it is the main module; so we build from a throw-away
# wrapper module that replaces each staging module with its published v0.Y.Z tag.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.sh
. "$HERE/versions.sh"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false
log() { echo "[cluster-build] $*" >&2; }

want=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok)
missing=0
for b in "${want[@]}"; do [ -x "$CLUSTER_BIN/$b" ] || missing=1; done
if [ "$missing" = 0 ]; then log "cached: $CLUSTER_BIN"; exit 0; fi

command -v go >/dev/null || { log "go is required (Go >= 1.26) to build the control plane"; exit 1; }
mkdir -p "$CLUSTER_BIN"
start=$(date +%s)

new_wrapper() {
  mkdir -p "$1" && cd "$1"
  [ -f go.mod ] || printf 'module local/bscope-testbin\n\ngo 1.26.0\n' > go.mod
}

build_kube() {
  local w=$CLUSTER_CACHE/src/k8s-$KUBE_VERSION staging=v0.${KUBE_VERSION#v1.} minor gomod ld="" p kv
  minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
  new_wrapper "$w"
  if ! grep -q '^tool' go.mod; then
    gomod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
    # shellcheck disable=SC2046 # one -replace flag per word is intended
    go mod edit $(awk -v v="$staging" '$2=="=>" && $3 ~ /^\.\/staging\// {print "-replace=" $1 "=" $1 "@" v}' "$gomod")
    go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$KUBE_VERSION" \
      "k8s.io/kubernetes/cmd/kube-controller-manager@$KUBE_VERSION" \
      "k8s.io/kubernetes/cmd/kube-scheduler@$KUBE_VERSION" \
      "k8s.io/kubernetes/cmd/kubectl@$KUBE_VERSION"
  fi
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    for kv in "gitVersion=$KUBE_VERSION" gitMajor=1 "gitMinor=$minor" gitTreeState=clean \
              buildDate=1970-01-01T00:00:00Z; do ld+=" -X $p.$kv"; done
  done
  go build -trimpath -ldflags "-s -w$ld" -o "$CLUSTER_BIN/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
}

build_etcd() {
  new_wrapper "$CLUSTER_CACHE/src/etcd-$ETCD_VERSION"
  grep -q '^tool' go.mod || go get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  go build -trimpath -ldflags "-s -w" -o "$CLUSTER_BIN/etcd" go.etcd.io/etcd/server/v3
}

build_kwok() {
  GOBIN=$CLUSTER_BIN go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  # kwok needs Stage objects; copy the "fast" stages shipped inside the module next to the binary.
  local s
  s=$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage
  mkdir -p "$CLUSTER_BIN/kwok-stages"
  cp -r "$s/." "$CLUSTER_BIN/kwok-stages/"
  chmod -R u+w "$CLUSTER_BIN/kwok-stages"
}

[ -x "$CLUSTER_BIN/etcd" ] || { log "building etcd $ETCD_VERSION"; ( build_etcd ); }
[ -x "$CLUSTER_BIN/kwok" ] || { log "building kwok $KWOK_VERSION"; ( build_kwok ); }
[ -x "$CLUSTER_BIN/kubectl" ] || { log "building kubernetes $KUBE_VERSION (slow: tens of minutes on 2 cores)"; ( build_kube ); }
log "built in $(( $(date +%s) - start ))s into $CLUSTER_BIN ($(du -sh "$CLUSTER_BIN" | cut -f1))"
