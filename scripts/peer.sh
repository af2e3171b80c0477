#!/usr/bin/env bash
# Runs the peer benchmark: bench/peer/VisualVMPeer.java, which answers
# `histogram`, `retained` or `all` (every object's shallow and retained
# size, for scripts/crosscheck) for a dump with the VisualVM heap library from
# Debian's visualvm package, under /usr/bin/time.
#
#	scripts/peer.sh histogram|retained|all DUMP [N]
#
# The library keeps its index files in a DUMP.hwcache directory beside the
# dump, and reuses them when the dump is opened again. So that every run is
# cold and nothing is written beside the dump, the dump is opened through a
# symbolic link in a fresh scratch directory, removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: scripts/peer.sh histogram|retained|all DUMP [N]" >&2
	exit 2
fi
mode=$1 dump=$2 n=${3:-10}
case $mode in histogram | retained | all) ;; *) echo "peer: unknown mode $mode (histogram, retained or all)" >&2; exit 2 ;; esac
[ -f "$dump" ] || { echo "peer: no dump $dump" >&2; exit 2; }
command -v javac >/dev/null && command -v java >/dev/null || { echo "peer: needs a JDK (java, javac)" >&2; exit 2; }

# The heap library's jar: org.graalvm.visualvm.lib.jfluid.heap in VisualVM 2,
# org.netbeans.lib.profiler.heap inside the profiler jar in older releases.
jar=""
pkg=""
for dir in /usr/share/visualvm /usr/lib/visualvm /usr/share/java; do
	[ -d "$dir" ] || continue
	while IFS= read -r j; do
		listing=$(unzip -Z1 "$j" 2>/dev/null || jar tf "$j")
		if grep -q '^org/graalvm/visualvm/lib/jfluid/heap/HeapFactory.class$' <<<"$listing"; then
			jar=$j pkg=org.graalvm.visualvm.lib.jfluid.heap
		elif grep -q '^org/netbeans/lib/profiler/heap/HeapFactory.class$' <<<"$listing"; then
			jar=$j pkg=org.netbeans.lib.profiler.heap
		fi
		[ -n "$jar" ] && break
	done < <(find "$dir" -name '*.jar' \( -name '*jfluid-heap*' -o -name '*lib-profiler*' \) 2>/dev/null | sort)
	[ -n "$jar" ] && break
done
[ -n "$jar" ] || { echo "peer: VisualVM heap library not found; install the Debian package visualvm" >&2; exit 2; }

cache=${XDG_CACHE_HOME:-$HOME/.cache}/leakscan-peer
src=bench/peer/VisualVMPeer.java
classes=$cache/classes
if [ ! -f "$classes/VisualVMPeer.class" ] || [ "$src" -nt "$classes/VisualVMPeer.class" ] ||
	[ "$jar" -nt "$classes/VisualVMPeer.class" ] || [ "$(cat "$classes/jar" 2>/dev/null)" != "$jar" ]; then
	echo "peer: compiling $src against $jar" >&2
	rm -rf "$classes" && mkdir -p "$classes/src"
	sed "s/org\.graalvm\.visualvm\.lib\.jfluid\.heap/$pkg/g" "$src" >"$classes/src/VisualVMPeer.java"
	javac -nowarn -cp "$jar" -d "$classes" "$classes/src/VisualVMPeer.java"
	echo "$jar" >"$classes/jar"
fi

scratch=$cache/run.$$
trap 'rm -rf "$scratch"' EXIT
rm -rf "$scratch" && mkdir -p "$scratch/tmp"
ln -s "$(realpath "$dump")" "$scratch/$(basename "$dump")"

echo "peer: $mode $dump $n ($pkg, $jar)" >&2
/usr/bin/time -f 'peer_wall_s=%e peer_maxrss_kb=%M' \
	java -Xmx20g -Djava.io.tmpdir="$scratch/tmp" -cp "$classes:$jar" \
	VisualVMPeer "$mode" "$scratch/$(basename "$dump")" "$n"
