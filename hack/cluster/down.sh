#!/usr/bin/env bash
# Stop what up.sh started (by recorded PID only, checking it is still our binary) and remove the
# cluster state. KEEP_LOGS=1 keeps $CLUSTER_STATE/logs for debugging.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.sh
. "$HERE/versions.sh"
S=$CLUSTER_STATE
for (( idx=${#CLUSTER_PROCS[@]}-1; idx>=0; idx-- )); do
  n=${CLUSTER_PROCS[$idx]}
  f=$S/$n.pid; [ -f "$f" ] || continue
  pid=$(cat "$f"); rm -f "$f"
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  [ "$(basename "${exe:-none}")" = "$n" ] || continue   # PID reused by something else: leave it
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
done
if [ "${KEEP_LOGS:-0}" = 1 ]; then
  find "$S" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} + 2>/dev/null
else
  rm -rf "$S"
fi
echo "[cluster-down] stopped" >&2
