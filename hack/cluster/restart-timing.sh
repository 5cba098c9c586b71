#!/usr/bin/env bash
# Issue 4, acceptance 5: `cluster-down && cluster-up` on a warm binary cache is back to ready in
# under a minute. Prints the measured time and exits non-zero when it is over the limit.
#
# Not part of `cargo test`: restarting a cluster under running tests would break them. By default
# it measures a second, side-by-side cluster (own state directory and loopback ports) with the
# same scripts and binaries, so the shared cluster at .cluster/ is never touched:
#
#   hack/cluster/restart-timing.sh            # scratch cluster: up, then timed down + up, then down
#   hack/cluster/restart-timing.sh --shared   # the real thing: times `make cluster-down cluster-up`
#                                             # on the shared cluster (stops whatever uses it!)
#
# LIMIT_SECONDS (default 60) is the pass mark.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
LIMIT_SECONDS=${LIMIT_SECONDS:-60}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

if [ "${1:-}" = "--shared" ]; then
  make -C "$ROOT" --no-print-directory cluster-up >/dev/null   # warm: binaries built, state up
  t0=$(now)
  make -C "$ROOT" --no-print-directory cluster-down >/dev/null 2>&1
  make -C "$ROOT" --no-print-directory cluster-up >/dev/null
  t1=$(now)
  what="make cluster-down && make cluster-up (shared cluster)"
else
  # A scratch cluster beside the shared one: its own state and ports.
  export CLUSTER_STATE=${CLUSTER_STATE:-$ROOT/.cluster-timing}
  export ETCD_PORT=${TIMING_ETCD_PORT:-33791} ETCD_PEER_PORT=${TIMING_ETCD_PEER_PORT:-33801}
  export API_PORT=${TIMING_API_PORT:-36443} KCM_PORT=${TIMING_KCM_PORT:-30257}
  export SCHED_PORT=${TIMING_SCHED_PORT:-30259}
  trap '"$HERE/down.sh" >/dev/null 2>&1 || true' EXIT
  "$HERE/up.sh" >/dev/null                                  # warm start (builds if needed)
  t0=$(now)
  "$HERE/down.sh" >/dev/null 2>&1
  "$HERE/up.sh" >/dev/null
  t1=$(now)
  "$HERE/status.sh" | grep "^api: ready" >/dev/null || { echo "restart-timing: cluster not ready after restart" >&2; exit 1; }
  what="down.sh && up.sh (scratch cluster in $CLUSTER_STATE, API port $API_PORT)"
fi

secs=$(elapsed "$t0" "$t1")
echo "cluster restart: ${secs}s for $what (limit ${LIMIT_SECONDS}s)"
awk -v s="$secs" -v l="$LIMIT_SECONDS" 'BEGIN { exit !(s < l) }' || {
  echo "restart-timing: over the ${LIMIT_SECONDS}s limit" >&2
  exit 1
}
