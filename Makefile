# Lookout — see README.md. `make run` sets everything up and starts both processes;
# `make test` runs every test (it starts its own Postgres when none is configured).
SHELL := /bin/bash
GO ?= go
BIN := bin
CONSOLE_ASSETS := internal/console/assets/graphiql.min.js
# The build's version (Site.buildVersion): the commit and its date.
VERSION ?= $(shell git log -1 --format='%H_%cs' 2>/dev/null | sed 's/^\(.\{12\}\)[^_]*/\1/')
LDFLAGS := -X github.com/lookout/lookout/internal/version.stamp=$(VERSION)

.PHONY: run stop demo-stop token test test-short build console-assets web web-check bench bench-queue bench-webapp vet fmt clean

run: ## Start Postgres, migrate, seed a demo, run frontend and worker
	dev/run.sh

stop: ## Stop the development Postgres that make run started (Ctrl-C stops Lookout itself)
	dev/postgres.sh stop

demo-stop: stop

token: ## Print a new access token of the site admin (ADMIN_USERNAME, default admin) on make run's database
	@eval "$$(dev/postgres.sh)" && export DATABASE_URL CODEINSIGHTS_DATABASE_URL && \
	  if [ -z "$${ENCRYPTION_KEY:-}" ] && [ -s .dev/encryption.key ]; then export ENCRYPTION_KEY="$$(cat .dev/encryption.key)"; fi && \
	  $(GO) run -ldflags "$(LDFLAGS)" ./cmd/frontend admin create-token --user "$${ADMIN_USERNAME:-admin}" --note "make token"

test: web web-check ## Run every test (web app checks, vet, then go test with the race detector)
	$(GO) vet ./...
	$(GO) test -race -timeout 20m ./...

test-short: ## Run the tests without the race detector
	$(GO) test -timeout 20m ./...

build: console-assets web ## Build both binaries into bin/
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/frontend ./cmd/worker

console-assets: $(CONSOLE_ASSETS) ## Install GraphiQL from npm and copy its bundles for embedding

$(CONSOLE_ASSETS): internal/console/package.json internal/console/package-lock.json
	dev/console-assets.sh

web: ## Build the web app (npm, Vite) into internal/webapp/dist/app for embedding
	dev/web.sh build

web-check: ## Web app: generated GraphQL types current, TypeScript compiles, Vitest passes
	dev/web.sh check

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
	$(MAKE) bench-webapp
	$(GO) test -run '^$$' -bench . -benchtime 3x ./...
	$(GO) run ./dev/bench/summary

bench-queue: ## Lookout's queue vs River on the same database (5 alternating rounds)
	cd dev/bench/queue && $(GO) run .

bench-webapp: web ## Cold loads in headless Chromium: code monitors list, insights dashboard (20 charts), campaign (1,000 changesets); JS size
	$(GO) test ./dev/bench/webapp -run ColdLoad -count=1 -v -args -rounds 7

vet:
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN)
