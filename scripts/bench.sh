#!/usr/bin/env bash
# Benchmarks leakscan on a ~1.5 GB, 30-million-object dump of a PageRank-like
# program (testdata/java/PageRank.java), made once and cached in $BENCH.
# Prints the median wall time and peak RSS of several runs of each command;
# BENCHMARKS.md has the latest run's figures, docs/benchmark-log.md every run's.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH=${BENCH:-$HOME/.cache/leakscan-bench}
RUNS=${RUNS:-5}
DUMP=$BENCH/PageRank.hprof
BIN=bin/leakscan

if [ ! -f "$DUMP" ]; then
	command -v javac >/dev/null && command -v jcmd >/dev/null || { echo "bench: no JDK (javac, jcmd) to make $DUMP" >&2; exit 2; }
	echo "bench: making $DUMP (once; about a minute)" >&2
	go run ./internal/testjvm/capture -program PageRank -src testdata/java -out "$BENCH" -flags "-Xmx6g -Xshare:off" -- 3750000 >&2
fi
size=$(stat -c %s "$DUMP")
# Warm the page cache so every run reads from memory.
cat "$DUMP" >/dev/null

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

measure() { # name, command... (PREP, if set, runs untimed before each run)
	local name=$1; shift
	local walls=() rss=()
	for _ in $(seq "$RUNS"); do
		if [ -n "${PREP:-}" ]; then bash -c "$PREP"; fi
		/usr/bin/time -o "$BENCH/.time" -f '%e %M' "$@" >/dev/null 2>&1
		out=$(tail -1 "$BENCH/.time")
		walls+=("${out% *}")
		rss+=("${out#* }")
	done
	local w r
	w=$(printf '%s\n' "${walls[@]}" | median)
	r=$(printf '%s\n' "${rss[@]}" | median)
	local tput="-" # below the timer's 10 ms resolution
	if [ "$(echo "$w > 0" | bc)" = 1 ]; then
		tput=$(printf '%.0f' "$(echo "$size / $w / 1000000" | bc -l)")
	fi
	printf '| %s | %s s | %s MB/s | %s MB | %s |\n' "$name" "$w" "$tput" "$((r / 1024))" "$(printf '%s ' "${walls[@]}")"
}

# side_by_side name A B [PREP]: RUNS pairs of runs of the commands A and B
# (strings for bash -c), A then B (PREP, if set, untimed before B), and the
# medians over the pairs of B's time beyond A's and of B against A: the
# host's speed swings less within a pair than between medians taken
# minutes apart.
side_by_side() {
	local name=$1 a=$2 b=$3 prep=${4:-}
	local beyond=() ratio=() ta tb
	for _ in $(seq "$RUNS"); do
		/usr/bin/time -o "$BENCH/.time" -f '%e' bash -c "$a" >/dev/null 2>&1
		ta=$(tail -1 "$BENCH/.time")
		if [ -n "$prep" ]; then bash -c "$prep"; fi
		/usr/bin/time -o "$BENCH/.time" -f '%e' bash -c "$b" >/dev/null 2>&1
		tb=$(tail -1 "$BENCH/.time")
		beyond+=("$(echo "$tb - $ta" | bc -l)")
		ratio+=("$(echo "($tb / $ta - 1) * 100" | bc -l)")
	done
	printf '%s, %s pairs side by side: %+.2f s, %+.0f%% (medians; pairs: %s)\n' "$name" "$RUNS" \
		"$(printf '%s\n' "${beyond[@]}" | median)" "$(printf '%s\n' "${ratio[@]}" | median)" \
		"$(printf '%+.2f s\n' "${beyond[@]}" | paste -sd, - | sed 's/,/, /g')"
}

echo "dump: $DUMP ($((size / 1000000)) MB), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), runs: $RUNS"
echo
echo "| command | median wall | throughput | median peak RSS | all runs (s) |"
echo "|---|---|---|---|---|"
measure "leakscan histogram" $BIN histogram "$DUMP" -q --no-index
measure "leakscan info (full graph build)" $BIN info "$DUMP" -q --no-index
measure "leakscan dominators" $BIN dominators "$DUMP" -q --top 10 --no-index
measure "leakscan paths --class double[] (1 object)" $BIN paths "$DUMP" -q --class 'double[]' --no-index
measure "leakscan paths --class java.util.ArrayList (3.75 M objects)" $BIN paths "$DUMP" -q --class java.util.ArrayList --max-paths 3 --no-index
measure "leakscan paths --class java.util.HashMap (260 objects, one holding nearly all)" $BIN paths "$DUMP" -q --class java.util.HashMap --max-paths 3 --no-index
measure "leakscan suspects" $BIN suspects "$DUMP" -q --no-index
measure "leakscan report" $BIN report "$DUMP" -q --no-index -o "$(mktemp -d)/report.html"
echo
side_by_side "paths --class java.util.ArrayList (3.75 M objects) beyond info" \
	"$BIN info '$DUMP' -q --no-index" "$BIN paths '$DUMP' -q --class java.util.ArrayList --max-paths 3 --no-index"
echo
echo "phases of one dominators run:"
$BIN dominators "$DUMP" --timings --top 1 --no-index 2>&1 >/dev/null | sed 's/^/    /'

# The persistent index: a first run that writes it, then runs that read it.
echo
# The old index is removed untimed: deleting a 1 GB file takes 0.3 s here
# (a first run has none to delete).
PREP="rm -rf '$DUMP.leakscan' && sync" measure "leakscan dominators, first run writing the index" $BIN dominators "$DUMP" -q --top 10
side_by_side "dominators, first run writing the index, against --no-index" \
	"$BIN dominators '$DUMP' -q --top 10 --no-index" "$BIN dominators '$DUMP' -q --top 10" "rm -rf '$DUMP.leakscan' && sync"
$BIN index "$DUMP" -q >/dev/null
echo "index: $(du -sb "$DUMP.leakscan" | cut -f1) bytes, $(ls "$DUMP.leakscan")" | tr '\n' ' '
echo
measure "leakscan dominators (index)" $BIN dominators "$DUMP" -q --top 10
measure "leakscan dominators --depth 3 (index)" $BIN dominators "$DUMP" -q --top 10 --depth 3
measure "leakscan histogram (index)" $BIN histogram "$DUMP" -q
measure "leakscan info (index)" $BIN info "$DUMP" -q
measure "leakscan paths --class double[] (index)" $BIN paths "$DUMP" -q --class 'double[]'
measure "leakscan paths --class java.util.ArrayList (index)" $BIN paths "$DUMP" -q --class java.util.ArrayList --max-paths 3
# The map's table: the biggest object two levels below the top (8.4 M
# slots, one referrer); its id is the dump's, so it is looked up.
OBJ=$($BIN dominators "$DUMP" -q --top 1 --depth 2 --format csv | awk -F, 'NR == 4 {print $3}')
measure "leakscan inspect $OBJ (index)" $BIN inspect "$DUMP" "$OBJ" -q
measure "leakscan suspects (index)" $BIN suspects "$DUMP" -q
measure "leakscan report (index)" $BIN report "$DUMP" -q -o "$(mktemp -d)/report.html"
measure "leakscan dominators --of byte[] (9.4 M objects; index)" $BIN dominators "$DUMP" -q --of 'byte[]'
measure "leakscan finalizers (index)" $BIN finalizers "$DUMP" -q

# The peer, VisualVM's heap library (Debian package visualvm): slow, so
# once each and only when asked.
if [ "${PEER:-0}" = 1 ]; then
	RUNS=1
	echo
	measure "VisualVM heap library: histogram" bash scripts/peer.sh histogram "$DUMP" 10
	measure "VisualVM heap library: 10 biggest by retained size" bash scripts/peer.sh retained "$DUMP" 10
fi
