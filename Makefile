# leakscan — see README.md. Targets: build test demo bench fixtures fuzz pgo.
GO      ?= go
BIN     := bin/leakscan
BENCH   ?= $(HOME)/.cache/leakscan-bench
FUZZTIME ?= 10s

.PHONY: build test demo bench fixtures fuzz vet pgo

# The version --version prints: the commit, from git where there is one.
VERSION := $(shell git describe --always --dirty 2>/dev/null)

build:
	$(GO) build -ldflags "-X github.com/leakscan/leakscan/internal/cli.buildVersion=$(VERSION)" -o $(BIN) ./cmd/leakscan

# vet also type-checks the systems other than this one: the mapping code
# is per system (Windows has no mmap system call), and the prefetch hints
# per architecture.
vet:
	@test -z "$$(gofmt -l cmd internal)" || { echo "gofmt needed:"; gofmt -l cmd internal; exit 1; }
	$(GO) vet ./...
	GOOS=windows $(GO) vet ./...
	GOOS=darwin $(GO) vet ./...
	GOOS=linux GOARCH=arm64 $(GO) vet ./...

# The unit, golden, ground-truth and live-JVM tests (JVM tests skip without
# a JDK), then a short run of the reader's fuzz test on its committed corpus.
# test also runs the packages whose work runs on several goroutines (the
# dominator search and its folder, the path search beside the tree, index
# writers) under the race detector, which needs cgo and so a C compiler.
test: vet
	$(GO) test -count=1 ./...
	@if CGO_ENABLED=1 $(GO) env CC >/dev/null && command -v "$$(CGO_ENABLED=1 $(GO) env CC)" >/dev/null; then \
		CGO_ENABLED=1 $(GO) test -count=1 -race ./internal/cli ./internal/paths ./internal/dominator ./internal/index; \
	else echo "skipping the -race tests: no C compiler for cgo"; fi
	$(GO) test -count=1 -run '^$$' -fuzz FuzzBuild -fuzztime $(FUZZTIME) ./internal/heap

# The demo keeps the dump's index in bin/index, not beside the fixture.
DEMO := testdata/dumps/Spark22713.hprof --index-dir bin/index

demo: build
	$(BIN) info $(DEMO)
	@echo
	$(BIN) histogram $(DEMO) --top 10
	@echo
	$(BIN) dominators $(DEMO) --top 1 --depth 10 --children 2 --min-retained 100KB
	@echo
	$(BIN) paths $(DEMO) --class ExternalAppendOnlyMap
	@echo
	$(BIN) suspects $(DEMO)
	$(BIN) report $(DEMO) -o bin/report.html

# Regenerate the committed fixture dumps (needs a JDK).
fixtures:
	$(GO) run ./internal/testjvm/capture -program Basic -src testdata/java -out testdata/dumps -gz -flags "-Xmx64m -XX:+UseSerialGC -Xshare:off"
	$(GO) run ./internal/testjvm/capture -program Spark22713 -main org.apache.spark.executor.Executor -src testdata/java -out testdata/dumps -gz -flags "-Xmx128m -XX:+UseSerialGC -Xshare:off"
	$(GO) run ./internal/testjvm/capture -program JobServer -main spark.jobserver.JobServer -src testdata/java -out testdata/dumps -gz -flags "-Xmx128m -XX:+UseSerialGC -Xshare:off"
	$(GO) run ./internal/testjvm/capture -program Netty -main io.netty.buffer.NettyFixture -src testdata/java -out testdata/dumps -gz -flags "-Xmx64m -XX:MaxDirectMemorySize=256m -XX:+UseSerialGC -Xshare:off"

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzBuild -fuzztime 5m ./internal/heap

# Regenerate cmd/leakscan/default.pgo, the CPU profile go build optimises
# the binary for (profile-guided optimisation), from the main commands on
# the bench dump. Run after changing the hot loops.
pgo:
	BENCH=$(BENCH) bash scripts/pgo.sh

# Speed and memory on a ~1.5 GB, 30-million-object dump (made once, cached
# in $(BENCH)); prints the figures of a run: BENCHMARKS.md has the latest,
# docs/benchmark-log.md every one.
bench: build
	BENCH=$(BENCH) bash scripts/bench.sh
