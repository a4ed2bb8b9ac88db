#!/bin/sh
# Runs every libFuzzer target of a -Dfuzzing=true build for N seconds on a
# scratch copy of its corpus; new inputs that raise coverage are merged
# back into tests/fuzz/corpus/<target>/ so that `make test` replays them.
# A crash leaves crash-* in tests/fuzz/ and makes this script fail.
set -u
B=${1:-build-fuzz}
secs=${2:-60}
top=$(cd "$(dirname "$0")/.." && pwd)
rc=0
for exe in "$B"/tests/fuzz/fuzz_*; do
	[ -x "$exe" ] || continue
	name=$(basename "$exe")
	corpus="$top/tests/fuzz/corpus/$name"
	work=$(mktemp -d)
	mkdir -p "$corpus"
	cp "$corpus"/* "$work"/ 2>/dev/null
	echo "== $name ($secs s)"
	if ! "$exe" -max_total_time="$secs" -max_len=8192 -timeout=10 \
	    -artifact_prefix="$top/tests/fuzz/" "$work" >"$work.log" 2>&1; then
		rc=1
	fi
	tail -3 "$work.log"
	rm -f "$work.log"
	"$exe" -merge=1 "$corpus" "$work" >/dev/null 2>&1
	rm -rf "$work"
done
ls "$top"/tests/fuzz/crash-* 2>/dev/null && rc=1
exit $rc
