#!/usr/bin/env bash
# Report whether the local cluster is up: processes, API readiness, node and kubeconfig.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.sh
. "$HERE/versions.sh"
S=$CLUSTER_STATE
rc=0
for n in "${CLUSTER_PROCS[@]}"; do
  if [ -f "$S/$n.pid" ] && kill -0 "$(cat "$S/$n.pid")" 2>/dev/null; then
    echo "$n: running (pid $(cat "$S/$n.pid"))"
  else
    echo "$n: not running"; rc=1
  fi
done
if [ "$rc" = 0 ]; then
  "$CLUSTER_BIN/kubectl" --kubeconfig "$S/kubeconfig" get --raw /readyz >/dev/null 2>&1 \
    && echo "api: ready ($("$CLUSTER_BIN/kubectl" --kubeconfig "$S/kubeconfig" config view --minify -o jsonpath='{.clusters[0].cluster.server}'))" \
    || { echo "api: not ready"; rc=1; }
  "$CLUSTER_BIN/kubectl" --kubeconfig "$S/kubeconfig" get nodes --no-headers 2>/dev/null | sed 's/^/node: /'
  echo "KUBECONFIG=$S/kubeconfig"
fi
exit $rc
