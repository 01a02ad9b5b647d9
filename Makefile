# jobernetes: a newcomer's first two commands are `make demo` and `make test`.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c

OUT        ?= _output
BIN        := $(OUT)/bin/jobernetes
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT     ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS    := -s -w -X github.com/jobernetes/jobernetes/pkg/version.Version=$(VERSION) \
              -X github.com/jobernetes/jobernetes/pkg/version.Commit=$(COMMIT)
CLUSTER_DIR ?= $(OUT)/cluster
# make install: into $(GOBIN) when set, else $(PREFIX)/bin (DESTDIR for packagers).
PREFIX     ?= /usr/local
BINDIR     ?= $(if $(GOBIN),$(GOBIN),$(PREFIX)/bin)
DIST_DIR   ?= $(OUT)/dist
RELEASE_URL ?= https://github.com/jobernetes/jobernetes/releases/download/$(VERSION)
# make demo DEMO=dataflow runs examples/dataflow (docs/dataflow.md).
DEMO       ?= advanced
DEMO_MODEL ?= examples/$(DEMO)/jobermodel.yaml
# The control plane's binaries are built once into a cache outside git.
CP_BIN      = $(shell hack/build-control-plane.sh | tail -n 1)
# Kueue's manager, CRDs and webhooks (test/e2e/kueue), cached the same way.
KUEUE_BIN   = $(shell hack/build-kueue.sh | tail -n 1)

.PHONY: all build install dist docs test unit e2e chaos bench bench-ci bench-scale lint vet fmt golangci-lint demo cluster-up cluster-down cluster-status control-plane image clean help

all: build

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## build the jobernetes binary into _output/bin
	CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/jobernetes

install: build ## install jobernetes and the kubectl plugin name kubectl-jobernetes (a symlink) into GOBIN or PREFIX/bin
	install -d "$(DESTDIR)$(BINDIR)"
	install -m 0755 $(BIN) "$(DESTDIR)$(BINDIR)/jobernetes"
	ln -sf jobernetes "$(DESTDIR)$(BINDIR)/kubectl-jobernetes"
	@echo "installed $(DESTDIR)$(BINDIR)/jobernetes and $(DESTDIR)$(BINDIR)/kubectl-jobernetes (kubectl jobernetes ...)"

dist: ## release archives for linux/darwin x amd64/arm64, SHA256SUMS and the krew manifest, into _output/dist
	hack/dist.sh "$(DIST_DIR)" "$(VERSION)" "$(LDFLAGS)" "$(RELEASE_URL)"

docs: ## the command reference from the cobra commands (docs/commands, docs/man) and the table of model keys in docs/model.md from the JSON Schema; unit tests fail when they are stale
	go run ./hack/gendocs docs

control-plane: ## build (or find cached) etcd, kube-apiserver, kcm, scheduler, kwok
	hack/build-control-plane.sh

test: ## unit tests, then e2e tests on a real local control plane
	$(MAKE) unit
	$(MAKE) e2e

unit: ## unit tests, fuzz seed corpora and a short benchmark pass (no cluster)
	go test -count=1 ./cmd/... ./pkg/... ./test/bench
	go test -count=1 -run '^$$' -bench . -benchtime 1x ./pkg/...

e2e: ## e2e tests: one control plane per test package, packages one at a time
	@mkdir -p $(OUT)
	JOBERNETES_CONTROL_PLANE_BIN="$(CP_BIN)" JOBERNETES_KUEUE_BIN="$(KUEUE_BIN)" go test -count=1 -p 1 -timeout 60m -v ./test/e2e/... 2>&1 | tee $(OUT)/e2e.log

CHAOS_FULL     ?= 1
CHAOS_FUZZTIME ?= 5m

chaos: ## full-size chaos (50 SIGKILLs of a 200-Job run, control-plane restarts, interference), then fuzzing
	@mkdir -p $(OUT)
	JOBERNETES_CONTROL_PLANE_BIN="$(CP_BIN)" JOBERNETES_CHAOS_FULL=$(CHAOS_FULL) go test -count=1 -timeout 60m -v ./test/e2e/chaos 2>&1 | tee $(OUT)/chaos.log
	go test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(CHAOS_FUZZTIME) ./pkg/config
	go test -run '^$$' -fuzz '^FuzzBuild$$' -fuzztime $(CHAOS_FUZZTIME) ./pkg/graph
	go test -run '^$$' -fuzz '^FuzzFastTree$$' -fuzztime $(CHAOS_FUZZTIME) ./pkg/config

BENCH_TIMEOUT ?= 180m

bench: ## DAG shapes run by jobernetes, a kubectl script and a poller on the local control plane (BENCHMARKS.md); then the Go benchmarks
	@mkdir -p $(OUT)/bench
	JOBERNETES_CONTROL_PLANE_BIN="$(CP_BIN)" JOBERNETES_BENCH=1 go test -count=1 -timeout $(BENCH_TIMEOUT) -v -run '^TestBench(Dataflow)?$$' ./test/bench 2>&1 | tee $(OUT)/bench/bench.log
	go test -count=1 -run '^$$' -bench . -benchmem ./pkg/controller ./pkg/graph ./pkg/config 2>&1 | tee $(OUT)/bench/go-bench.log

bench-ci: ## the same suite at reduced size, one run each (what .ci/run runs; ~7 min)
	@mkdir -p $(OUT)/bench-ci
	JOBERNETES_CONTROL_PLANE_BIN="$(CP_BIN)" JOBERNETES_BENCH=1 JOBERNETES_BENCH_CI=1 JOBERNETES_BENCH_OUT=$(CURDIR)/$(OUT)/bench-ci/results.md go test -count=1 -timeout 40m -v -run '^TestBench(Dataflow)?$$' ./test/bench 2>&1 | tee $(OUT)/bench-ci/bench.log

SCALE_SHAPE ?= layered-30x1000

bench-scale: ## a 30,000-Job layered DAG (30 layers of 1,000, 0 s pods, cleanup) run by jobernetes alone: RSS, Job writes and record bytes per Job (not in CI; BENCHMARKS.md)
	@mkdir -p $(OUT)/bench-scale
	JOBERNETES_CONTROL_PLANE_BIN="$(CP_BIN)" JOBERNETES_BENCH=1 JOBERNETES_BENCH_SHAPES=$(SCALE_SHAPE) JOBERNETES_BENCH_PODS=0s \
	  JOBERNETES_BENCH_ORCHESTRATORS=jobernetes JOBERNETES_BENCH_REPEAT_LARGE=1 JOBERNETES_BENCH_JOBERNETES_ARGS=-v=1 \
	  JOBERNETES_BENCH_OUT=$(CURDIR)/$(OUT)/bench-scale/results.md \
	  go test -count=1 -timeout $(BENCH_TIMEOUT) -v -run '^TestBench$$' ./test/bench 2>&1 | tee $(OUT)/bench-scale/bench.log
	@grep -ho 'Run record written.*' $(OUT)/bench-scale/logs/*.log | tail -1 || true

lint: vet fmt golangci-lint ## go vet, gofmt and golangci-lint (.golangci.yml)
vet:
	go vet ./...
fmt:
	@test -z "$$(gofmt -l cmd pkg test)" || { gofmt -l cmd pkg test; echo "gofmt needed"; exit 1; }
golangci-lint: ## golangci-lint alone: the pinned version, built on first use into a cache outside git
	hack/golangci-lint.sh run ./...

cluster-up: ## start a local control plane in the background; prints the KUBECONFIG line
	@JOBERNETES_CONTROL_PLANE_BIN="$(CP_BIN)" go run ./test/e2e/cmd/cluster up --dir $(CLUSTER_DIR)

cluster-down: ## stop the control plane that cluster-up started
	@go run ./test/e2e/cmd/cluster down --dir $(CLUSTER_DIR)

cluster-status: ## is the cluster-up control plane running?
	@go run ./test/e2e/cmd/cluster status --dir $(CLUSTER_DIR)

demo: build ## build, start the local control plane, run the advanced example (DEMO=dataflow: examples/dataflow), stop
	hack/demo.sh $(BIN) $(DEMO_MODEL) "$(CP_BIN)"

image: ## container image (needs a docker engine)
	docker build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) -t jobernetes:$(VERSION) .

clean:
	rm -rf $(OUT)
