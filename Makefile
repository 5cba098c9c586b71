# bscope-chart — developer and operator entry points.
#   make demo    build, start the local cluster, install the stack, show its status
#   make test    fmt + clippy + every test, including cluster tests (starts the cluster)
#   make bench   print the performance figures
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO      ?= cargo
BIN        := target/release/bscope-chart
CLUSTER    := hack/cluster
KUBECONFIG_LOCAL := $(CURDIR)/.cluster/kubeconfig
# Cluster tests read this variable; it defaults to the local cluster's kubeconfig.
export BSCOPE_TEST_KUBECONFIG ?= $(KUBECONFIG_LOCAL)

ENV       ?= minikube
RELEASE   ?= observability
NAMESPACE ?= battlescope

.PHONY: help build test check bench demo cluster-up cluster-down cluster-status cluster-build

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

cluster-build: ## build (or reuse) the control-plane binaries from Go modules
	$(CLUSTER)/build.sh

cluster-up: ## start etcd, kube-apiserver, controllers, scheduler and a KWOK node on 127.0.0.1
	@$(CLUSTER)/up.sh >/dev/null
	@echo "KUBECONFIG=$(KUBECONFIG_LOCAL)"

cluster-down: ## stop the local cluster and remove its state
	$(CLUSTER)/down.sh

cluster-status: ## show whether the local cluster is up
	$(CLUSTER)/status.sh
