# Pinned versions of the local control plane. Change them here and only here:
# the binary cache is keyed by these values, so a change triggers a rebuild.
KUBE_VERSION=${KUBE_VERSION:-v1.36.3}
ETCD_VERSION=${ETCD_VERSION:-v3.6.8}
KWOK_VERSION=${KWOK_VERSION:-v0.8.0}

# Where built binaries live (outside the clone, reused by every clone on this machine).
CLUSTER_CACHE=${CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bscope-chart}
CLUSTER_BIN=$CLUSTER_CACHE/bin/k8s-$KUBE_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION

# Where a running cluster keeps its state, logs, PKI and kubeconfig (inside the clone, ignored).
REPO_ROOT=${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
CLUSTER_STATE=${CLUSTER_STATE:-$REPO_ROOT/.cluster}
# Loopback ports; override to run two clusters side by side.
ETCD_PORT=${ETCD_PORT:-23791}
ETCD_PEER_PORT=${ETCD_PEER_PORT:-23801}
API_PORT=${API_PORT:-26443}
KCM_PORT=${KCM_PORT:-20257}
SCHED_PORT=${SCHED_PORT:-20259}
# Processes we start, in start order (stopped in reverse).
CLUSTER_PROCS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
