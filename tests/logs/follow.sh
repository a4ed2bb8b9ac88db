#!/bin/sh
# tests/logs/follow.sh - `mxdoc logs --follow` on a log that grows and is
# rotated under it: a writer appends failures to a temp file, renames it
# (as logrotate does) and goes on in a new file of the same name; mxdoc
# must print each failure of both files as it comes, and on SIGTERM the
# report of everything it saw. Bounded: every wait has a deadline.
# Ends with "N passed, N failed".
#
#   MXDOC=build/mxdoc sh tests/logs/follow.sh
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
MXDOC=${MXDOC:-$top/build/mxdoc}
case $MXDOC in /*) ;; *) MXDOC=$top/$MXDOC ;; esac
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
[ -x "$MXDOC" ] || { bad "no mxdoc at $MXDOC"; echo "$pass passed, $fail failed"; exit 1; }

tmp=$(mktemp -d /tmp/mxdoc-follow.XXXXXX)
mx=""
cleanup() {
	[ -n "$mx" ] && kill "$mx" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log=$tmp/mail.log
line() {	# minute, queue id, domain, status, text
	printf 'Nov 28 09:%02d:00 mx1 postfix/smtp[77]: %s: to=<u@%s>, relay=mx.%s[192.0.2.7]:25, delay=1, delays=0/0/0.5/0.5, dsn=4.7.0, status=%s (%s)\n' \
	    "$1" "$2" "$3" "$3" "$4" "$5"
}
# what was there before: read, not printed
line 0 0A0000000A old.example deferred "host mx.old.example[192.0.2.7] said: 421 4.7.0 Too many messages from this IP address, rate limited (in reply to MAIL FROM command)" >"$log"

# wait_for FILE PATTERN SECONDS
wait_for() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

"$MXDOC" logs --follow --year 2026 --tz UTC --color=never "$log" >"$tmp/out" 2>"$tmp/err" &
mx=$!
wait_for "$tmp/err" "following" 10 && ok "mxdoc is following" || bad "no 'following' on stderr: $(head -c 300 "$tmp/err")"

line 1 1B0000000B first.example deferred "host mx.first.example[192.0.2.7] said: 450 4.7.1 Greylisted, please try again later (in reply to RCPT TO command)" >>"$log"
line 2 2C0000000C first.example bounced "host mx.first.example[192.0.2.7] said: 550 5.1.1 <u@first.example>: Recipient address rejected: User unknown (in reply to RCPT TO command)" >>"$log"
wait_for "$tmp/out" "first.example" 5 && ok "a failure of the live file is printed as it comes" || bad "first file's failure not printed"

# rotation: the old file moves away, a new one takes its name
mv "$log" "$log.1"
line 3 3D0000000D first.example deferred "host mx.first.example[192.0.2.7] said: 421 4.4.2 Connection dropped (in reply to end of DATA command)" >>"$log.1"
line 4 4E0000000E second.example deferred "host mx.second.example[192.0.2.7] said: 421 4.7.0 Too many messages from this IP address, rate limited (in reply to MAIL FROM command)" >"$log"
wait_for "$tmp/out" "second.example" 6 && ok "the new file after rotation is followed" || bad "new file not followed"
line 5 5F0000000F second.example bounced "host mx.second.example[192.0.2.7] said: 554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org (in reply to RCPT TO command)" >>"$log"
wait_for "$tmp/out" "smtp.blocklisted" 6 && ok "and goes on being followed" || bad "later line of the new file not printed"

# truncation in place (copytruncate)
: >"$log"
sleep 1.5
line 6 6A0000001A third.example bounced "host mx.third.example[192.0.2.7] said: 550 5.1.1 User unknown (in reply to RCPT TO command)" >>"$log"
wait_for "$tmp/out" "third.example" 6 && ok "a truncated file is read again from its start" || bad "line after truncation not printed"

kill -TERM "$mx"
i=0
while kill -0 "$mx" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$mx" 2>/dev/null; then
	bad "mxdoc did not stop within 5 s of SIGTERM"
	kill -KILL "$mx" 2>/dev/null
else
	wait "$mx"; rc=$?
	[ $rc -eq 1 ] && ok "stops on SIGTERM with the report's exit status (1)" || bad "exit $rc after SIGTERM"
fi
mx=""

grep -q "old.example" "$tmp/out" && ! grep -q "^2026.*old.example" "$tmp/out" &&
	ok "what was there before is in the report, not printed as new" ||
	{ grep -q "^2026.*old.example" "$tmp/out" && bad "old content printed as live" || bad "old content missing from the report"; }
n=$(grep -c '^2026-11-28T09:0[1-6]:00Z ' "$tmp/out")
[ "$n" -eq 6 ] && ok "six live failure lines, both files" || bad "live failure lines: $n (want 6)"
grep -q '^2026-11-28T09:02:00Z  bounced  smtp.recipient' "$tmp/out" &&
	ok "a line gives time, status, cause, recipient and reply" || bad "line format: $(grep '09:02:00' "$tmp/out")"
grep -q '^2026-11-28T09:03:00Z .*4.4.2' "$tmp/out" &&
	ok "the old file's last line after the rotation is read" || bad "line written to the rotated file was lost"
grep -q "delivered 0, deferred 4, bounced 3" "$tmp/out" &&
	ok "the report counts what was seen: 4 deferred, 3 bounced" || bad "report totals: $(grep 'delivered' "$tmp/out")"

# usage
"$MXDOC" logs --follow a b >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "--follow with two files is bad usage" || bad "two files: exit $rc"
"$MXDOC" logs --follow - </dev/null >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "--follow of standard input is bad usage" || bad "stdin: exit $rc"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
