# Roster developer tasks. `make` alone lists them.

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS := -s -w -X main.version=$(VERSION)

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build a static bin/roster, version from git
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/roster ./cmd/roster

.PHONY: run
run: ## Run the server on SQLite (./roster.db)
	$(GO) run ./cmd/roster serve

.PHONY: test
# Tests whose SQLite part skips under -race (see internal/racedetect: the
# race detector would instrument the SQLite engine itself, minutes instead
# of seconds); test runs them again without it.
NORACE_TESTS := ./internal/store/sqlite:TestUserSearchUsesTheTrigramIndex ./scim:TestLargeGroups

test: ## Run every test with the race detector (PostgreSQL tests need ROSTER_TEST_POSTGRES_URL)
	$(GO) test -race ./...
	@for t in $(NORACE_TESTS); do $(GO) test -count=1 -run "^$${t#*:}$$" "$${t%%:*}" || exit 1; done

.PHONY: lint
lint: ## Run golangci-lint, pinned in tools/go.mod's tool block
	$(GO) tool -modfile=tools/go.mod golangci-lint run ./...

.PHONY: tidy-check
tidy-check: ## Fail if go.mod or tools/go.mod is not tidy
	$(GO) mod tidy -diff
	cd tools && $(GO) mod tidy -diff

.PHONY: fmt-check
fmt-check: ## Fail if a Go file is not gofmt-formatted
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt -w these files:"; echo "$$out"; exit 1; fi

.PHONY: vet
vet: ## Run go vet
	$(GO) vet ./...

.PHONY: ci
ci: fmt-check tidy-check vet lint test ## Run what CI runs (.ci/run also starts PostgreSQL)

.PHONY: clean
clean: ## Remove build output
	rm -rf bin
