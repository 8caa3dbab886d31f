# Every tool version is pinned here or in go.mod.
OCB_VERSION    := v0.164.0
STATICCHECK_VERSION := v0.8.2
GO             ?= go
BUILD_DIR      := _build
BINARY         := $(BUILD_DIR)/otelcol-coordimap
MCP_BINARY     := $(BUILD_DIR)/coordimap-mcp
VERSION        := $(shell sed -n 's/^  version: *//p' builder-config.yaml)
# Tools live outside the checkout so that fresh clones (CI) reuse them.
TOOLS_DIR      ?= $(HOME)/.cache/otelcol-coordimap/tools
OCB            := $(TOOLS_DIR)/builder-$(OCB_VERSION)
STATICCHECK    := $(TOOLS_DIR)/staticcheck-$(STATICCHECK_VERSION)
CONFIG         ?= otelcol-config.yaml
GO_SOURCES     := $(shell find . -name '*.go' -not -path './_build/*' -not -path './.cache/*') go.mod go.sum builder-config.yaml \
                  $(wildcard extension/graphextension/web/dist/*)
# Test flags; override with e.g. `make test TESTFLAGS=-race`.
TESTFLAGS      ?=
# Benchmarks; override with e.g. `make bench BENCH=Crawl`.
BENCH          ?= .

.PHONY: all build run test unit-test e2e-test lint generate bench clean web

all: lint build test

$(OCB):
	@mkdir -p $(TOOLS_DIR)
	GOBIN=$(TOOLS_DIR) $(GO) install go.opentelemetry.io/collector/cmd/builder@$(OCB_VERSION)
	mv $(TOOLS_DIR)/builder $(OCB)

$(STATICCHECK):
	@mkdir -p $(TOOLS_DIR)
	GOBIN=$(TOOLS_DIR) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv $(TOOLS_DIR)/staticcheck $(STATICCHECK)

## build: the otelcol-coordimap distribution, with ocb, and coordimap-mcp into _build/
build: $(BINARY) $(MCP_BINARY)

$(BINARY): $(OCB) $(GO_SOURCES)
	$(OCB) --config builder-config.yaml
	@touch $(BINARY)

$(MCP_BINARY): $(GO_SOURCES)
	$(GO) build -ldflags '-X main.version=$(VERSION)' -o $(MCP_BINARY) ./cmd/coordimap-mcp

# coordimap-migrate: the coordimap-agent configuration converter.
MIGRATE        := $(BUILD_DIR)/coordimap-migrate
LEGACY         ?=
OUT            :=# set on the command line only (an OUT in the environment is ignored)
.PHONY: migrate
build: $(MIGRATE)

$(MIGRATE): $(GO_SOURCES)
	@$(GO) build -o $(MIGRATE) ./cmd/coordimap-migrate

## migrate: print the otelcol-coordimap config for a coordimap-agent one (LEGACY=config.yaml;
## OUT=otelcol.yaml writes it there atomically instead); the report goes to stderr; an
## incomplete result (the command's exit 1) still prints and make succeeds; a legacy file
## that cannot be converted writes nothing and fails
migrate: $(MIGRATE)
	@test -n "$(LEGACY)" || { echo "usage: make migrate LEGACY=path/to/coordimap-agent/config.yaml [OUT=otelcol.yaml]" >&2; exit 2; }
	@$(MIGRATE) $(if $(OUT),-o "$(OUT)") "$(LEGACY)" || { rc=$$?; [ $$rc -eq 1 ] || exit $$rc; }

## run: build and run the collector on the default config
run: build
	$(BINARY) --config $(CONFIG)

FERRETDB       := $(TOOLS_DIR)/ferretdb-v1.24.0

# FerretDB: the MongoDB wire-protocol server the mongodb tests run.
$(FERRETDB):
	TOOLS_DIR=$(TOOLS_DIR) GO=$(GO) internal/mongotest/build-ferretdb.sh

## test: every test, integration and end-to-end included
test: build $(FERRETDB)
	COORDIMAP_COLLECTOR_BIN=$(CURDIR)/$(BINARY) COORDIMAP_MCP_BIN=$(CURDIR)/$(MCP_BINARY) COORDIMAP_FERRETDB=$(FERRETDB) \
		$(GO) test $(TESTFLAGS) -count=1 ./...
	cd $(KUBE_TEST_MODULE) && COORDIMAP_COLLECTOR_BIN=$(CURDIR)/$(BINARY) \
		$(GO) test $(TESTFLAGS) -count=1 -timeout 20m ./...

# The Kubernetes receiver's tests against a real kube-apiserver live in a
# module of their own, so the main go.mod does not depend on k8s.io/kubernetes
# (cold compile ≈10 min, warm ≈40 s with the Go build cache).
KUBE_TEST_MODULE := receiver/kubernetesreceiver/apiservertest

## lint: gofmt, tidy go.mod files (both modules), go vet and staticcheck
lint: $(STATICCHECK)
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './_build/*' -not -path './.cache/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) mod tidy -diff
	cd $(KUBE_TEST_MODULE) && $(GO) mod tidy -diff
	$(GO) vet ./...
	$(STATICCHECK) ./...
	cd $(KUBE_TEST_MODULE) && $(GO) vet ./...

## generate: regenerate generated sources
generate:
	$(GO) generate ./...

## bench: the Go benchmarks of every component
bench:
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchmem ./...

# The web map's bundle (extension/graphextension/web/dist) is committed, so
# building the collector needs no npm; its npm packages, esbuild included,
# are pinned to exact versions in package.json and package-lock.json.
WEB_DIR        := extension/graphextension/web
NPM            ?= npm

## web: rebuild the web map's committed bundle from its sources (needs node and npm)
web:
	cd $(WEB_DIR) && $(NPM) ci --no-audit --no-fund && $(NPM) run build

clean:
	rm -rf $(BUILD_DIR)
