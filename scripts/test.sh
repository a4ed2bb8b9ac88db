#!/bin/sh
# Runs every test against one build directory (normally the sanitizer
# build): the source checks, the unit suites, the fuzz-corpus replays, and
# the integration lab. Ends with one line "N passed, N failed" counting
# suites and scenarios, and exits non-zero when anything failed.
set -u
B=${1:-build-asan}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 3
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
pass=0 fail=0 skip=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== source checks"
if sh scripts/checksrc; then pass=$((pass + 1)); else fail=$((fail + 1)); fi

echo "== unit tests and fuzz-corpus replays ($B)"
meson test -C "$B" --suite unit --suite fuzz --print-errorlogs >"$log" 2>&1
cat "$log"
ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$log" | tail -1)
bad=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$log" | tail -1)
to=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$log" | tail -1)
pass=$((pass + ${ok:-0}))
fail=$((fail + ${bad:-0} + ${to:-0}))
[ -z "$ok" ] && fail=$((fail + 1))

echo "== golden tests"
MXDOC="$B/mxdoc" sh tests/golden/run.sh >"$log" 2>&1
cat "$log"
gp=$(sed -n "s/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p" "$log")
gf=$(sed -n "s/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p" "$log")
pass=$((pass + ${gp:-0})); fail=$((fail + ${gf:-1}))

echo "== integration lab"
MXDOC="$B/mxdoc" sh tests/integration/run.sh >"$log" 2>&1
rc=$?
cat "$log"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
if [ -n "$line" ]; then
	p=$(echo "$line" | sed 's/^\([0-9]*\) passed.*/\1/')
	f=$(echo "$line" | sed 's/.* \([0-9]*\) failed.*/\1/')
	s=$(echo "$line" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + ${s:-0}))
else
	fail=$((fail + 1))
fi
[ "$rc" -ne 0 ] && [ "$fail" -eq 0 ] && fail=1

echo
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
