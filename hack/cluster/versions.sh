# Pinned versions of the local control plane. Change them here and only here:
# the binary cache is keyed by these values, so a change triggers a rebuild.
KUBE_VERSION=${KUBE_VERSION:-v1.36.3}
ETCD_VERSION=${ETCD_VERSION:-v3.6.8}
KWOK_VERSION=${KWOK_VERSION:-v0.8.0}

# Where built binaries live (outside the clone, reused by every clone on this machine).
CLUSTER_CACHE=${CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bscope-chart}
CLUSTER_BIN=$CLUSTER_CACHE/bin/k8s-$KUBE_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION
