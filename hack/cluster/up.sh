#!/usr/bin/env bash
# Start a local Kubernetes control plane on 127.0.0.1: etcd, kube-apiserver (TLS, token auth,
# RBAC), kube-controller-manager (with the hostPath provisioner), kube-scheduler, and KWOK with
# one fake node. Builds the binaries first if the cache lacks them. Idempotent: does nothing
# when the cluster is already up. Prints the kubeconfig path on stdout's last line.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.sh
. "$HERE/versions.sh"
log() { echo "[cluster-up] $*" >&2; }
S=$CLUSTER_STATE
K=$S/kubeconfig

if [ -f "$S/kube-apiserver.pid" ] && kill -0 "$(cat "$S/kube-apiserver.pid")" 2>/dev/null \
   && [ -f "$S/ready" ]; then
  log "already up (state in $S)"; echo "$K"; exit 0
fi

"$HERE/build.sh"
"$HERE/down.sh" >/dev/null 2>&1 || true   # clear leftovers of a half-dead earlier run
start_ts=$(date +%s)
fail() {
  log "FAILED: $*"
  for n in "${CLUSTER_PROCS[@]}"; do
    [ -f "$S/logs/$n.log" ] && { echo "--- last lines of $S/logs/$n.log" >&2; tail -n 15 "$S/logs/$n.log" >&2; }
  done
  KEEP_LOGS=1 "$HERE/down.sh" >/dev/null 2>&1 || true
  exit 1
}
for port in "$ETCD_PORT" "$ETCD_PEER_PORT" "$API_PORT" "$KCM_PORT" "$SCHED_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    log "port $port on 127.0.0.1 is already in use (another cluster?)"
    log "choose free ports with ETCD_PORT, ETCD_PEER_PORT, API_PORT, KCM_PORT, SCHED_PORT"
    exit 1
  fi
done
mkdir -p "$S/pki" "$S/logs"

# --- PKI: a CA, a serving cert for 127.0.0.1 (CA:FALSE, as rustls requires), an admin client
# cert in system:masters, and the service-account signing key pair.
P=$S/pki
(
  cd "$P"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=bscope-test-ca -keyout ca.key -out ca.crt 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver -keyout apiserver.key -out apiserver.csr 2>/dev/null
  printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth' \
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc,IP:10.0.0.1' > apiserver.ext
  openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile apiserver.ext -out apiserver.crt 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=bscope-admin" -keyout admin.key -out admin.csr 2>/dev/null
  printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=digitalSignature,keyEncipherment' 'extendedKeyUsage=clientAuth' > admin.ext
  openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile admin.ext -out admin.crt 2>/dev/null
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.key 2>/dev/null
  openssl pkey -in sa.key -pubout -out sa.pub 2>/dev/null
) || fail "PKI generation (is openssl installed?)"

b64() { base64 -w0 "$1"; }
cat > "$K" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: bscope-local
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(b64 "$P/ca.crt")
users:
- name: bscope-admin
  user:
    client-certificate-data: $(b64 "$P/admin.crt")
    client-key-data: $(b64 "$P/admin.key")
contexts:
- name: bscope-local
  context: {cluster: bscope-local, user: bscope-admin, namespace: default}
current-context: bscope-local
KCFG
chmod 600 "$K"

start() {
  local n=$1; shift
  nohup "$CLUSTER_BIN/$n" "$@" > "$S/logs/$n.log" 2>&1 < /dev/null &
  echo $! > "$S/$n.pid"
}
wait_for() {
  local what=$1 i; shift
  for i in $(seq 1 240); do
    curl -fsS -o /dev/null "$@" 2>/dev/null && return 0
    sleep 0.25
  done
  fail "timeout waiting for $what"
}
URL=https://127.0.0.1:$API_PORT
CURL_AUTH=(--cacert "$P/ca.crt" --cert "$P/admin.crt" --key "$P/admin.key")
KUBECTL=("$CLUSTER_BIN/kubectl" --kubeconfig "$K")

start etcd --name=bscope --data-dir="$S/etcd" --unsafe-no-fsync=true --log-level=warn \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="bscope=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls=""
wait_for etcd "http://127.0.0.1:$ETCD_PORT/health"

start kube-apiserver --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 --secure-port="$API_PORT" --advertise-address=127.0.0.1 --endpoint-reconciler-type=none \
  --tls-cert-file="$P/apiserver.crt" --tls-private-key-file="$P/apiserver.key" --client-ca-file="$P/ca.crt" \
  --authorization-mode=RBAC --allow-privileged=true \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$P/sa.pub" --service-account-signing-key-file="$P/sa.key" \
  --service-cluster-ip-range=10.0.0.0/24 --service-node-port-range=30000-32767
wait_for kube-apiserver "${CURL_AUTH[@]}" "$URL/readyz"
wait_for "namespace default" "${CURL_AUTH[@]}" "$URL/api/v1/namespaces/default"

start kube-controller-manager --kubeconfig="$K" --authentication-kubeconfig="$K" --authorization-kubeconfig="$K" \
  --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --leader-elect=false \
  --service-account-private-key-file="$P/sa.key" --root-ca-file="$P/ca.crt" \
  --use-service-account-credentials=false --enable-hostpath-provisioner=true \
  --controllers='*,-nodeipam' --node-monitor-grace-period=60s
start kube-scheduler --kubeconfig="$K" --authentication-kubeconfig="$K" --authorization-kubeconfig="$K" \
  --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --leader-elect=false

ST=$CLUSTER_BIN/kwok-stages
for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
         pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
  cat "$ST/$f.yaml"; echo '---'
done > "$S/kwok.yaml"
cat "$HERE/stages-fail.yaml" >> "$S/kwok.yaml"
# Keep the stock pod-ready stage away from the marker images of stages-fail.yaml.
python3 - "$S/kwok.yaml" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
marker = "  name: pod-ready\n"
i = s.index(marker)
j = s.index("    matchExpressions:\n", i) + len("    matchExpressions:\n")
extra = ("    - key: '.spec.containers.[0].image'\n      operator: 'NotIn'\n"
         "      values: ['kwok.test/crashloop:latest', 'kwok.test/imagepullbackoff:latest']\n")
open(p, "w").write(s[:j] + extra + s[j:])
PY
start kwok --kubeconfig="$K" --config="$S/kwok.yaml" --manage-all-nodes=false \
  --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake --cidr=10.244.0.0/16 \
  --node-ip=127.0.0.1 --node-lease-duration-seconds=40

wait_for kube-controller-manager -k "https://127.0.0.1:$KCM_PORT/healthz"
wait_for kube-scheduler -k "https://127.0.0.1:$SCHED_PORT/healthz"

"${KUBECTL[@]}" apply -f - >/dev/null <<'YAML' || fail "creating the node and storage class"
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {kubernetes.io/hostname: kwok-node-0, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok}
status:
  allocatable: {cpu: "64", memory: 256Gi, pods: "250"}
  capacity: {cpu: "64", memory: 256Gi, pods: "250"}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/host-path
reclaimPolicy: Delete
volumeBindingMode: Immediate
YAML
"${KUBECTL[@]}" wait --for=condition=Ready node/kwok-node-0 --timeout=60s >/dev/null || fail "node kwok-node-0 Ready"
for i in $(seq 1 120); do
  "${KUBECTL[@]}" -n default get serviceaccount default >/dev/null 2>&1 && break
  [ "$i" = 120 ] && fail "default service account"
  sleep 0.25
done
echo "export KUBECONFIG=$K" > "$S/env"
touch "$S/ready"
log "ready in $(( $(date +%s) - start_ts ))s: KUBECONFIG=$K"
echo "$K"
