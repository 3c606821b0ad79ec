# tarscache: make build | test | generate | run | lint | bench | bench-clients | bench-scale
GO      ?= go
BIN     := bin/tarscache
DATA    ?= ./tarscache.db
LISTEN  ?= 127.0.0.1:17890
ADMIN   ?= 127.0.0.1:17891
MYSQL   ?= root@tcp(127.0.0.1:3306)/
# Execution counts, not durations: with a duration, Go 1.26's fuzz coordinator can fail a
# clean run with "context deadline exceeded" when the time is up (golang/go#75804).
FUZZTIME ?= 20000x
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
GOFILES  = $(shell find . -name '*.go' -not -path './bin/*')

.PHONY: build test fuzz generate run lint bench bench-clients bench-scale

## build: the tarscache binary (bin/tarscache) and the sample loader used by make run
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/tarscache
	$(GO) build -o bin/sample ./internal/tools/sample

## test: vet, gofmt, every test with the race detector (needs MySQL/MariaDB on 127.0.0.1:3306), brief fuzzing
test: lint
	$(GO) test -race -count=1 ./...
	@# Tests with in-process TarsGo clients (build tag !race): TarsGo v1.4.6 races on its own clock.
	$(GO) test -count=1 ./tars ./cmd/...
	$(MAKE) --no-print-directory fuzz

## fuzz: run each fuzz target for FUZZTIME executions (default 20000x; a duration such as 1m works too)
fuzz:
	$(GO) test ./internal/endpoint -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cache -run '^$$' -fuzz '^FuzzDecodeRecord$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cache -run '^$$' -fuzz '^FuzzDecodeGroups$$' -fuzztime $(FUZZTIME)
	$(GO) test ./cache -run '^$$' -fuzz '^FuzzDecodeRule$$' -fuzztime $(FUZZTIME)
	$(GO) test ./tars -run '^$$' -fuzz '^FuzzSplitSetID$$' -fuzztime $(FUZZTIME)
	$(GO) test ./tars -run '^$$' -fuzz '^FuzzServer_packet$$' -fuzztime $(FUZZTIME)
	$(GO) test ./tars -run '^$$' -fuzz '^FuzzParseRequest_agreesWithTarsGo$$' -fuzztime $(FUZZTIME)
	$(GO) test ./subset -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)

## lint: go vet, gofmt, and no build output tracked by git (binaries, files over 1 MB outside testdata/)
lint:
	$(GO) vet ./...
	@.ci/tracked-files
	@out=$$(gofmt -l $(GOFILES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## generate: regenerate protocol/ from the .tars IDL with the pinned tars2go
generate:
	$(GO) tool tars2go -module github.com/tarscache/tarscache -outdir protocol -without-trace protocol/EndpointF.tars protocol/QueryF.tars

## run: serve the sample registry (loaded into the local MySQL/MariaDB, or seeded into the file when none answers)
## on LISTEN (QueryF) and ADMIN (admin API): by default the official registry's ports 17890 and 17891 on loopback
run: build
	@if dsn=$$(bin/sample --server '$(MYSQL)'); then \
	  echo "sample registry loaded into MySQL database tarscache_sample"; \
	  echo "It holds one deliberately bad row (an endpoint with -p 80abc): the WARN msg=\"row dropped\" below shows how"; \
	  echo "tarscache reports such a row and serves the rest."; \
	else \
	  code=$$?; [ $$code -eq 3 ] || exit $$code; \
	  echo "no MySQL answers: seeding $(DATA) from testdata/sample.records.json (serving from the file only)"; \
	  $(BIN) import --replace --data $(DATA) testdata/sample.records.json || exit 1; \
	  dsn='$(MYSQL)tarscache_sample'; \
	fi; \
	echo ""; \
	echo "Starting tarscache: QueryF on $(LISTEN), admin API on $(ADMIN). The defaults are the official"; \
	echo "registry's ports 17890 and 17891: if one is taken, make run LISTEN=HOST:PORT ADMIN=HOST:PORT picks others."; \
	echo "Once it logs msg=serving (and msg=\"sync applied\" first=true when MySQL answers), point a Tars client at"; \
	echo "the locator tars.tarsregistry.QueryObj@tcp -h $(firstword $(subst :, ,$(LISTEN))) -p $(lastword $(subst :, ,$(LISTEN)))"; \
	echo "and ask it from another terminal, for example:"; \
	echo "    $(BIN) query --locator $(LISTEN) Demo.HelloServer.HelloObj"; \
	echo "    $(BIN) route --admin $(ADMIN) Shop.OrderServer.OrderObj --keys 100000   # the sample's subset rule"; \
	echo "    curl -s http://$(ADMIN)/readyz   # also /metrics, /v1/servants, /v1/held (see README)"; \
	echo "Stop it with Ctrl-C."; \
	echo ""; \
	exec $(BIN) serve --dsn "$$dsn" --data $(DATA) --listen $(LISTEN) --admin $(ADMIN)

## bench: run the benchmarks and write docs/benchmarks.md (keeping its scale section), about 20 minutes;
## the official registry's columns need TARSCACHE_OFFICIAL_REGISTRY and TARSCACHE_OFFICIAL_TOOLS (loadgen's doc.go);
## tarscache is loaded a second time without its batch window (--batch-window=0), to show what the window gives
CLIENTS_FLAGS ?= -serve-flags-b=--batch-window=0
bench:
	$(GO) run ./internal/tools/benchreport -out docs/benchmarks.md -clients-flags "$(CLIENTS_FLAGS)"

## bench-clients: only the query path as clients call it, rewriting its section of docs/benchmarks.md
## (before/after: CLIENTS_FLAGS="-tarscache-bin A -label a -tarscache-bin-b B -label-b b", which replaces the default)
bench-clients:
	$(GO) run ./internal/tools/loadgen -clients -out docs/benchmarks.md $(CLIENTS_FLAGS)

## bench-scale: opt-in, about 10 minutes and ~2 GB of MariaDB data: the 10k/100k/1M-endpoint curve, written into docs/benchmarks.md
SCALE ?= 10000,100000,1000000
bench-scale:
	$(GO) run ./internal/tools/loadgen -scale $(SCALE) -out docs/benchmarks.md
