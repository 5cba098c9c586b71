#!/usr/bin/env bash
# Print the URL of a Service of the stack and open it when a browser opener exists.
# NodePort services: http://<node>:<nodePort>, where <node> is `minikube ip` when minikube is
# installed, else the first node's InternalIP. Other services: a `kubectl port-forward` command.
set -euo pipefail
svc=$1 ns=$2 kubectl=${3:-kubectl}
port=$($kubectl -n "$ns" get service "$svc" -o jsonpath='{.spec.ports[0].nodePort}' 2>/dev/null || true)
if [ -z "$port" ]; then
  target=$($kubectl -n "$ns" get service "$svc" -o jsonpath='{.spec.ports[0].port}' 2>/dev/null || true)
  if [ -z "$target" ]; then
    echo "service $svc not found in namespace $ns: is the stack deployed? (make observability-deploy)" >&2
    exit 1
  fi
  echo "$svc has no NodePort; forward it with:"
  echo "  $kubectl -n $ns port-forward service/$svc $target:$target   # then http://localhost:$target"
  exit 0
fi
if command -v minikube >/dev/null 2>&1 && host=$(minikube ip 2>/dev/null); then :; else
  host=$($kubectl get nodes -o jsonpath='{.items[0].status.addresses[?(@.type=="InternalIP")].address}')
fi
url="http://$host:$port"
echo "$url"
for opener in xdg-open open; do
  if command -v "$opener" >/dev/null 2>&1 && { [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || [ "$opener" = open ]; }; then
    "$opener" "$url" >/dev/null 2>&1 &
    break
  fi
done
