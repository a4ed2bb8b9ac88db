#!/bin/sh
# bench/run.sh - runs every benchmark in bench/ in turn against one mxdoc.
#
#   sh bench/run.sh [MXDOC]        (make bench: sh bench/run.sh build/mxdoc)
#
# A benchmark is any executable file in bench/ (this script and the README
# aside); each takes the mxdoc binary as its first argument, prints its own
# table and ends with one verdict line per target ("...: met" or
# "...: MISSED ..."). A missed target is not a failure: the exit status is
# 0 when every benchmark ran, 1 when one could not run at all.
set -u
MXDOC=${1:-build/mxdoc}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
cd "$top" || exit 3

out=$(mktemp) || exit 3
trap 'rm -f "$out" "$out.rc"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ran=0 broken=0 summary=""
for b in "$here"/*; do
	name=$(basename "$b")
	case $name in run.sh|README.md|*.md|*~) continue ;; esac
	if [ ! -f "$b" ] || [ ! -x "$b" ]; then continue; fi
	echo "### bench/$name"
	rm -f "$out.rc"
	# The status of the benchmark, not of tee (POSIX sh has no pipefail).
	{ "$b" "$MXDOC"; echo $? >"$out.rc"; } 2>&1 | tee "$out"
	rc=$(cat "$out.rc" 2>/dev/null || echo 3)
	ran=$((ran + 1))
	if [ "$rc" -ne 0 ]; then
		broken=$((broken + 1))
		summary="$summary
bench/$name: could not run (exit $rc, see above)"
	fi
	summary="$summary
$(grep -E ': (met|MISSED)' "$out" | sed "s|^|bench/$name: |")"
	echo
done

echo "### summary ($ran benchmarks, $(date -u +%Y-%m-%dT%H:%MZ))"
echo "$summary" | sed '/^$/d'
[ "$broken" -eq 0 ]
