# bscope-chart — developer and operator entry points.
#   make demo    build, start the local cluster, install the stack, show its status
#   make test    fmt + clippy + every test, including cluster tests (starts the cluster)
#   make bench   print the performance figures
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO      ?= cargo
# Honour CARGO_TARGET_DIR, where cargo then puts the binary.
BIN        := $(abspath $(or $(CARGO_TARGET_DIR),target)/release/bscope-chart)
CLUSTER    := hack/cluster
KUBECONFIG_LOCAL := $(CURDIR)/.cluster/kubeconfig
# Cluster tests read this variable; it defaults to the local cluster's kubeconfig.
export BSCOPE_TEST_KUBECONFIG ?= $(KUBECONFIG_LOCAL)

ENV       ?= minikube
RELEASE   ?= observability
NAMESPACE ?= battlescope
REV       ?=
# Extra flags for deploy/diff, e.g. FLAGS="--set prometheus.retention=30d".
FLAGS     ?=
# The binary the operator verbs call (override with BSCOPE=path/to/bscope-chart).
BSCOPE    ?= $(BIN)
# kubectl for the read-only views: the one built with the local cluster, else the PATH's.
CLUSTER_KUBECTL := $(shell bash -c '. $(CLUSTER)/versions.sh && echo $$CLUSTER_BIN/kubectl')
KUBECTL   ?= $(if $(wildcard $(CLUSTER_KUBECTL)),$(CLUSTER_KUBECTL),kubectl)
# Operators keep their own KUBECONFIG; without one, the local cluster's is used if it is up.
ifeq ($(origin KUBECONFIG),undefined)
ifneq ($(wildcard $(KUBECONFIG_LOCAL)),)
export KUBECONFIG := $(KUBECONFIG_LOCAL)
endif
endif

.PHONY: help build test check bench demo cluster-up cluster-down cluster-status cluster-build \
	observability-deploy observability-destroy observability-status observability-diff \
	observability-rollback observability-history package grafana-open prometheus-open jaeger-open

help: ## list targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-24s %s\n", $$1, $$2}'

build: ## release build of the binary
	$(CARGO) build --release --locked

check: ## formatting and lints
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets --locked -- -D warnings

test: check cluster-up ## fmt, clippy and all tests (unit, CLI, chart, cluster)
	$(CARGO) test --locked -- --test-threads=4

bench: build cluster-up ## print performance figures (medians)
	$(CARGO) bench --locked --bench figures
	$(CARGO) run --release --locked --example release_figures
	$(CARGO) run --release --locked --example diff_figures

cluster-build: ## build (or reuse) the control-plane binaries from Go modules
	$(CLUSTER)/build.sh

cluster-up: ## start etcd, kube-apiserver, controllers, scheduler and a KWOK node on 127.0.0.1
	@$(CLUSTER)/up.sh >/dev/null
	@echo "KUBECONFIG=$(KUBECONFIG_LOCAL)"

cluster-down: ## stop the local cluster and remove its state
	$(CLUSTER)/down.sh

cluster-status: ## show whether the local cluster is up
	$(CLUSTER)/status.sh

demo: build cluster-up ## the main job from a fresh clone: build, local cluster, install, status
	$(BSCOPE) upgrade $(RELEASE) --install -n $(NAMESPACE) -f values/minikube.yaml --create-namespace --timeout 5m
	$(BSCOPE) status $(RELEASE) -n $(NAMESPACE)
	$(KUBECTL) -n $(NAMESPACE) get deployments,daemonsets,pvc

# --- Operator verbs (the seed's Makefile, on top of bscope-chart). ENV=minikube|prod.

# Operator verbs build the release binary first, unless BSCOPE points at another binary.
BSCOPE_DEP := $(if $(filter $(BIN),$(BSCOPE)),build,)

observability-deploy: $(BSCOPE_DEP) ## install or upgrade the stack with values/$(ENV).yaml and wait
	@echo "Deploying observability stack ($(ENV)) as release $(RELEASE) in $(NAMESPACE)..."
	$(BSCOPE) upgrade $(RELEASE) --install --create-namespace -n $(NAMESPACE) -f values/$(ENV).yaml --timeout 5m $(FLAGS)
	@echo "Observability stack deployed."

observability-destroy: $(BSCOPE_DEP) ## uninstall the stack (PVCs are kept)
	$(BSCOPE) uninstall $(RELEASE) -n $(NAMESPACE)
	@echo "PersistentVolumeClaims were kept (metrics, logs, traces survive). Delete them with:"
	@echo "  $(KUBECTL) -n $(NAMESPACE) delete pvc -l app.kubernetes.io/instance=$(RELEASE)"

observability-status: $(BSCOPE_DEP) ## release status and the pods of each component
	@$(BSCOPE) status $(RELEASE) -n $(NAMESPACE) | sed -n '1,9p'
	@for c in prometheus grafana loki promtail jaeger alertmanager; do \
	  echo ""; echo "=== $$c ==="; \
	  $(KUBECTL) -n $(NAMESPACE) get pods -l app=$$c; \
	done

observability-diff: $(BSCOPE_DEP) ## what an upgrade with values/$(ENV).yaml would change (exit 2 = changes)
	$(BSCOPE) diff $(RELEASE) -n $(NAMESPACE) -f values/$(ENV).yaml --detailed-exitcode $(FLAGS)

observability-rollback: $(BSCOPE_DEP) ## roll back to the previous revision (or REV=N)
	$(BSCOPE) rollback $(RELEASE) $(REV) -n $(NAMESPACE)

observability-history: $(BSCOPE_DEP) ## the release's revisions
	$(BSCOPE) history $(RELEASE) -n $(NAMESPACE)

package: $(BSCOPE_DEP) ## write the chart as a reproducible .tgz (+ .sha256) into dist/
	$(BSCOPE) package --chart chart -d dist

grafana-open: ## print (and open, if a browser opener exists) the Grafana URL
	@hack/open-url.sh grafana $(NAMESPACE) "$(KUBECTL)"

prometheus-open: ## print (and open) the Prometheus URL
	@hack/open-url.sh prometheus $(NAMESPACE) "$(KUBECTL)"

jaeger-open: ## print (and open) the Jaeger UI URL
	@hack/open-url.sh jaeger-query $(NAMESPACE) "$(KUBECTL)"
