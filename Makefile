# Velostream build and test entry points. `make demo` and `make test` are the
# README's two commands; both work on a fresh Debian machine with Go and Node.
SHELL := /usr/bin/env bash
GO ?= go
BIN := $(CURDIR)/bin
export PATH := $(BIN):$(PATH)
export GOFLAGS ?= -buildvcs=false

.PHONY: all build demo test unit bench fmt vet tools

all: build

build: web ## build bin/velo (with the Studio web UI embedded)
	$(GO) build -o $(BIN)/velo ./cmd/velo

demo: build ## the embedded broker, synthetic trades and transactions, and a live windowed query (Ctrl-C stops)
	$(BIN)/velo demo

test: tools web ## install what the tests need, then run every test
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: the files above need formatting (make fmt)"; exit 1; }
	$(GO) vet ./...
	hack/check-manifests.sh $(CONTROLLER_GEN)
	hack/check-rbac.sh $(CONTROLLER_GEN)
	set -o pipefail; KUBEBUILDER_ASSETS="$$(hack/setup-envtest.sh | tail -1)" && export KUBEBUILDER_ASSETS && \
		$(GO) test -count=1 -timeout 30m ./...
	$(MAKE) test-web test-e2e-web

unit: ## go tests only, no tool installation
	$(GO) test ./...

bench: ## engine benchmarks (figures go to docs/benchmarks.md)
	$(GO) test -run '^$$' -bench . -benchmem ./engine/...

tools: controller-gen helm kubeconform envtest ## everything the tests need: Debian packages, tools built into bin/
	@mkdir -p $(BIN)
	hack/install-apt.sh kcat=kcat promtool=prometheus

fmt:
	gofmt -w $$(git ls-files '*.go')

# --- Kubernetes foundation: tools built from source into bin/ (versions in
# hack/tools.versions), CRD generation from api/, and the API server tests.
.PHONY: envtest controller-gen helm kubeconform manifests generate check-manifests test-api

CONTROLLER_GEN := $(BIN)/controller-gen

envtest: ## build kube-apiserver and etcd for envtest into bin/k8s/ (cold: ~11 min)
	hack/setup-envtest.sh

controller-gen: ## build controller-gen into bin/
	hack/tools.sh controller-gen

helm: ## build helm into bin/
	hack/tools.sh helm

kubeconform: ## build kubeconform into bin/
	hack/tools.sh kubeconform

manifests: controller-gen ## generate the CRDs from api/ into config/crd/bases
	$(CONTROLLER_GEN) crd paths=./api/... output:crd:artifacts:config=config/crd/bases

generate: controller-gen ## generate the deepcopy code of api/
	$(CONTROLLER_GEN) object paths=./api/...

check-manifests: controller-gen ## fail when committed CRDs or deepcopy code are stale
	hack/check-manifests.sh $(CONTROLLER_GEN)

test-api: ## test the CRDs against a real API server (builds envtest binaries first)
	set -o pipefail; KUBEBUILDER_ASSETS="$$(hack/setup-envtest.sh | tail -1)" && export KUBEBUILDER_ASSETS && \
		$(GO) test -count=1 ./api/...

# --- The operator (issue 7): RBAC generated from the controllers' markers,
# the Helm chart, offline manifest validation, the envtest suites and the
# image. `make test` runs check-rbac, test-manifests, test-operator and
# test-image.
.PHONY: rbac check-rbac chart-sync helm-lint test-manifests test-operator bench-operator image test-image

rbac: controller-gen ## generate config/rbac/role.yaml from the +kubebuilder:rbac markers in controllers/
	$(CONTROLLER_GEN) rbac:roleName=manager-role paths=./controllers/... output:rbac:artifacts:config=config/rbac

check-rbac: controller-gen ## fail when config/rbac/role.yaml is stale
	hack/check-rbac.sh $(CONTROLLER_GEN)

chart-sync: ## copy the CRDs and the generated RBAC rules into charts/velostream
	hack/sync-chart.sh

helm-lint: helm ## lint the chart
	$(BIN)/helm lint --strict charts/velostream --kube-version 1.37.2

test-manifests: helm kubeconform ## render config/ and the chart; kubeconform with schemas from our CRDs, strict decode of built-in kinds
	$(GO) test -count=1 ./test/manifests/...

test-operator: ## controllers against two real API servers (envtest), the runner, and the runner contract as a process
	set -o pipefail; KUBEBUILDER_ASSETS="$$(hack/setup-envtest.sh | tail -1)" && export KUBEBUILDER_ASSETS && \
		$(GO) test -count=1 ./controllers/... ./runner/... ./test/e2e/...

# --- NL->SQL evaluation (assistant/): the offline generator always, model
# providers when configured (ANTHROPIC_API_KEY; VELO_OPENAI_BASE_URL and
# VELO_OPENAI_MODEL). `make test` guards the offline targets through
# assistant/eval's TestOfflineTargets.
.PHONY: eval-nl2sql
eval-nl2sql: ## run the NL->SQL evaluation set and print the figures per provider
	$(GO) run ./assistant/eval/cmd -v

bench-operator: ## 1,000 StreamingQueries against envtest: time to reconcile, API requests per query, operator memory
	set -o pipefail; KUBEBUILDER_ASSETS="$$(hack/setup-envtest.sh | tail -1)" && export KUBEBUILDER_ASSETS && \
		$(GO) test -run '^$$' -bench OperatorScale -benchtime 1x ./test/e2e/

IMAGE ?= velostream/velo:dev

image: ## build the velo image as an OCI tarball (dist/velo-image.tar) without a Docker engine
	$(GO) run ./hack/image -out dist/velo-image.tar -tag $(IMAGE)

test-image: ## build the image tarball in a test and run the binary from its layer
	$(GO) test -count=1 ./hack/image/...

# --- Studio web UI (issue 9): sources in studio/web, built into
# studio/webui/dist, which velo embeds (package studio/webui). Node modules
# come from the committed lock file (npm ci). The UI is rebuilt only when a
# source, the lock file or a config changed since the last build.
.PHONY: web test-web test-e2e-web

WEB := studio/web
WEB_MODULES := $(WEB)/node_modules/.package-lock.json
WEB_BUILD := studio/webui/dist/index.html
WEB_SRC := $(shell find $(WEB)/src $(WEB)/public -type f ! -name '*.test.ts' ! -name '*.test.tsx' 2>/dev/null) \
	$(WEB)/index.html $(WEB)/vite.config.ts $(WEB)/tsconfig.json $(WEB)/package.json

$(WEB_MODULES): $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund
	@touch $@

$(WEB_BUILD): $(WEB_MODULES) $(WEB_SRC)
	cd $(WEB) && npm run build

web: $(WEB_BUILD) ## build the Studio web UI into studio/webui/dist when it is stale

test-web: $(WEB_MODULES) ## type-check the web UI and run its Vitest unit tests
	cd $(WEB) && npm run typecheck && npx vitest run

test-e2e-web: web ## browser end-to-end tests of the Studio: Debian chromium + playwright-core against velo studio --demo
	hack/install-apt.sh chromium=chromium kcat=kcat
	$(GO) build -o $(BIN)/velo ./cmd/velo
	cd $(WEB) && VELO=$(BIN)/velo node e2e/run.mjs
