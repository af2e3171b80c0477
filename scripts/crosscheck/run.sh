#!/usr/bin/env bash
# Cross-checks leakscan's retained sizes with VisualVM's heap library, object
# by object, on every dump named (default: the shared reference dumps and
# testdata/dumps). See scripts/crosscheck/README.md.
#
#	scripts/crosscheck/run.sh [DUMP...]
#
# Gzip dumps are gunzipped into $OUT (VisualVM reads plain files only).
# Results go to $OUT (default /tmp/crosscheck): NAME.vv.tsv (peer.sh all),
# NAME.vv.err (its timings) and NAME.txt (the comparison); a summary table
# goes to stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/crosscheck}
mkdir -p "$out"
if [ $# -eq 0 ]; then
	set -- testdata/dumps/*.hprof
	for f in ../shared/dumps/*/*.hprof ../shared/dumps/*/*.hprof.gz ../shared/dumps/*/*.bin; do
		[ -f "$f" ] && set -- "$@" "$f"
	done
fi
go build -o "$out/crosscheck" ./scripts/crosscheck

printf '%-45s %9s %9s %9s %8s\n' dump compared equal different vv_wall_s
for dump in "$@"; do
	name=$(basename "$dump")
	case $dump in
	*.gz)
		name=${name%.gz}
		[ -f "$out/$name" ] || gunzip -c "$dump" >"$out/$name"
		dump=$out/$name
		;;
	esac
	if ! scripts/peer.sh all "$dump" >"$out/$name.vv.tsv" 2>"$out/$name.vv.err"; then
		printf '%-45s VisualVM failed: %s\n' "$name" "$(grep -v '^peer' "$out/$name.vv.err" | grep -m1 . || true)"
		continue
	fi
	wall=$(sed -n 's/.*peer_wall_s=\([0-9.]*\).*/\1/p' "$out/$name.vv.err")
	if ! "$out/crosscheck" compare "$dump" "$out/$name.vv.tsv" >"$out/$name.txt" 2>&1; then
		printf '%-45s crosscheck failed: %s\n' "$name" "$(head -1 "$out/$name.txt")"
		continue
	fi
	read -r compared equal different < <(sed -n 's/^objects compared \([0-9]*\), equal \([0-9]*\), different \([0-9]*\).*/\1 \2 \3/p' "$out/$name.txt")
	printf '%-45s %9s %9s %9s %8s\n' "$name" "$compared" "$equal" "$different" "$wall"
done
