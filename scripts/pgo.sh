#!/usr/bin/env bash
# Regenerates cmd/leakscan/default.pgo, the CPU profile the Go compiler
# optimises the leakscan binary for (profile-guided optimisation: go build
# uses a default.pgo beside the main package by itself). It profiles the
# main commands on make bench's dump, with and without the index, and
# merges the profiles. Run it after changes to the hot loops.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH=${BENCH:-$HOME/.cache/leakscan-bench}
DUMP=$BENCH/PageRank.hprof
[ -f "$DUMP" ] || { echo "pgo: no $DUMP; make bench makes it" >&2; exit 2; }
go build -pgo=off -o bin/leakscan-nopgo ./cmd/leakscan
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { bin/leakscan-nopgo "$@" -q --cpuprofile "$tmp/$#-$RANDOM.prof" >/dev/null; }
run histogram "$DUMP" --no-index
run info "$DUMP" --no-index
run dominators "$DUMP" --no-index --top 10
run paths "$DUMP" --no-index --class java.util.ArrayList --max-paths 3
run paths "$DUMP" --no-index --class 'double[]'
run index "$DUMP" --index-dir "$tmp/index"
run paths "$DUMP" --index-dir "$tmp/index" --class java.util.ArrayList --max-paths 3
go tool pprof -proto "$tmp"/*.prof > cmd/leakscan/default.pgo
rm -f bin/leakscan-nopgo
echo "pgo: wrote cmd/leakscan/default.pgo ($(stat -c %s cmd/leakscan/default.pgo) bytes)"
