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

# A suite script prints "N passed, N failed[, N skipped]" as its last such
# line; its counts join the total. A suite that exits non-zero without a
# failure counted still fails the run; exit 77 means it skipped itself.
suite() {	# TITLE COMMAND...
	title=$1; shift
	echo "== $title"
	"$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	if [ -z "$line" ]; then
		echo "test.sh: $title printed no 'N passed, N failed' line"
		fail=$((fail + 1))
		return
	fi
	p=$(echo "$line" | sed 's/^\([0-9]*\) passed.*/\1/')
	f=$(echo "$line" | sed 's/.* \([0-9]*\) failed.*/\1/')
	s=$(echo "$line" | sed -n 's/.* \([0-9]*\) skipped.*/\1/p')
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + ${s:-0}))
	if [ "$rc" -eq 77 ]; then
		skip=$((skip + 1))
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "test.sh: $title exited $rc"
		fail=$((fail + 1))
	fi
}

export MXDOC="$B/mxdoc"
suite "golden tests" sh tests/golden/run.sh
suite "blocklists against rbldnsd" sh tests/blocklist/run.sh
suite "SPF conformance (RFC 7208, RFC 4408)" sh tests/spf/run.sh "$B/mxdoc"
suite "SPF conformance through spf --batch (answer cache)" sh tests/spf/run-batch.sh "$B/mxdoc"
suite "auth audit against unbound and HTTPS" sh tests/auth/run.sh "$B/mxdoc"
suite "DKIM interop with dkimpy" sh tests/dkim/run.sh "$B/mxdoc"
suite "monitor against rbldnsd (as root: a full tmpfs, a held lock)" sh tests/monitor/run.sh "$B/mxdoc"
suite "logs of a real Postfix sending to the lab" sh tests/logs/run.sh
suite "logs --html rendered in headless Chromium" sh tests/logs/html.sh
suite "logs --follow across rotation" sh tests/logs/follow.sh
suite "integration lab" sh tests/integration/run.sh

echo
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
