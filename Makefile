# Lookout — see README.md. `make run` sets everything up and starts both processes;
# `make test` runs every test (it starts its own Postgres when none is configured).
SHELL := /bin/bash
GO ?= go
BIN := bin
CONSOLE_ASSETS := internal/console/assets/graphiql.min.js

.PHONY: run test test-short build console-assets web web-check bench bench-queue bench-webapp vet fmt clean demo-stop

run: ## Start Postgres, migrate, seed a demo, run frontend and worker
	dev/run.sh

test: web web-check ## Run every test (web app checks, vet, then go test with the race detector)
	$(GO) vet ./...
	$(GO) test -race -timeout 20m ./...

test-short: ## Run the tests without the race detector
	$(GO) test -timeout 20m ./...

build: console-assets web ## Build both binaries into bin/
	$(GO) build -o $(BIN)/ ./cmd/frontend ./cmd/worker

console-assets: $(CONSOLE_ASSETS) ## Install GraphiQL from npm and copy its bundles for embedding

$(CONSOLE_ASSETS): internal/console/package.json internal/console/package-lock.json
	dev/console-assets.sh

web: ## Build the web app (npm, Vite) into internal/webapp/dist/app for embedding
	dev/web.sh build

web-check: ## Web app: generated GraphQL types current, TypeScript compiles, Vitest passes
	dev/web.sh check

bench: bench-queue bench-webapp ## Run the benchmarks (figures are printed)
	$(GO) test -run '^$$' -bench . -benchtime 3x ./...

bench-queue: ## Lookout's queue vs River on the same database
	cd dev/bench/queue && $(GO) run .

bench-webapp: web ## Cold loads in headless Chromium: code monitors list, insights dashboard (20 charts), campaign (1,000 changesets); JS size
	$(GO) test ./dev/bench/webapp -run ColdLoad -count=1 -v -args -rounds 7

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN)
