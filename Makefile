# Lookout — see README.md. `make run` sets everything up and starts both processes;
# `make test` runs every test (it starts its own Postgres when none is configured).
SHELL := /bin/bash
GO ?= go
BIN := bin
CONSOLE_ASSETS := internal/console/assets/graphiql.min.js

.PHONY: run test test-short build console-assets bench bench-queue vet fmt clean demo-stop

run: ## Start Postgres, migrate, seed a demo, run frontend and worker
	dev/run.sh

test: ## Run every test (vet, then go test with the race detector)
	$(GO) vet ./...
	$(GO) test -race -timeout 20m ./...

test-short: ## Run the tests without the race detector
	$(GO) test -timeout 20m ./...

build: console-assets ## Build both binaries into bin/
	$(GO) build -o $(BIN)/ ./cmd/frontend ./cmd/worker

console-assets: $(CONSOLE_ASSETS) ## Install GraphiQL from npm and copy its bundles for embedding

$(CONSOLE_ASSETS): internal/console/package.json internal/console/package-lock.json
	dev/console-assets.sh

# Every comparison of `make bench` appends its ratios here (dev/bench/rounds); the last
# step prints them as one table.
BENCH_SUMMARY ?= $(CURDIR)/.dev/bench-summary.jsonl
export BENCH_SUMMARY

bench: ## Run every benchmark (comparisons in alternating rounds, min/median/max) and print one table of every ratio
	mkdir -p $(dir $(BENCH_SUMMARY)) && rm -f $(BENCH_SUMMARY)
	$(MAKE) bench-queue
	$(GO) run ./dev/bench/search
	$(GO) run ./dev/bench/index
	$(GO) run ./dev/bench/insights
	$(GO) test -count=1 -v -run PushToDelivery ./dev/bench/monitors
	$(GO) test -count=1 -v -run PlanToPullRequests ./dev/bench/campaigns -args -repos 10
	$(GO) test -run '^$$' -bench . -benchtime 3x ./...
	$(GO) run ./dev/bench/summary

bench-queue: ## Lookout's queue vs River on the same database (5 alternating rounds)
	cd dev/bench/queue && $(GO) run .

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN)
