#!/bin/sh
# tests/logs/html.sh - `mxdoc logs --html`: the file stands alone (no URL
# to fetch, no script), escapes what the log says, and headless Chromium
# renders its charts: the DOM it dumps has the deferral bars by cause, the
# destination bars and the rate lines with the throttling mark, and a
# screenshot is made. Skips (exit 77, "0 passed, 0 failed") without
# chromium. Ends with "N passed, N failed".
#
#   MXDOC=build/mxdoc sh tests/logs/html.sh
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
MXDOC=${MXDOC:-$top/build/mxdoc}
case $MXDOC in /*) ;; *) MXDOC=$top/$MXDOC ;; esac
DATA=$top/tests/data/logs
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

CHROME=""
for c in chromium chromium-browser google-chrome; do
	command -v $c >/dev/null 2>&1 && { CHROME=$c; break; }
done
if [ -z "$CHROME" ]; then
	echo "skip: no chromium"
	echo "0 passed, 0 failed"
	exit 77
fi
[ -x "$MXDOC" ] || { bad "no mxdoc at $MXDOC"; echo "$pass passed, $fail failed"; exit 1; }

tmp=$(mktemp -d /tmp/mxdoc-html.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Chromium, bounded, offline, with a profile of its own.
chrome() {
	prof=$(mktemp -d "$tmp/prof.XXXXXX")
	timeout -k 5 60 "$CHROME" --headless --no-sandbox --disable-gpu \
	    --disable-quic --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync \
	    --user-data-dir="$prof" "$@" 2>>"$tmp/chrome.err"
}

# 1. the report of a log with throttling
"$MXDOC" logs --year 2026 --tz UTC --html "$tmp/report.html" \
    "$DATA/postfix-throttle.log" >"$tmp/text.out" 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && [ -s "$tmp/report.html" ] && ok "--html writes the file (exit 1: failures found)" ||
	bad "--html: exit $rc, $(head -c 300 "$tmp/err")"
grep -q '^WARNING' "$tmp/text.out" && ok "the text report still goes to standard output" ||
	bad "no text report beside --html"

# 2. self-contained: no fetch of anything, no script
if grep -Eiq '<script|<link|<img|src=|@import|url\(' "$tmp/report.html"; then
	bad "the page refers to something outside it: $(grep -Eio '<script|<link|<img|src=[^ ]*|@import|url\(' "$tmp/report.html" | head -3 | tr '\n' ' ')"
else
	ok "no script, link, image or url() in the page"
fi

# 3. escaping: a log line with markup in its reply
cat >"$tmp/evil.log" <<'LOG'
Nov 28 08:00:01 mx1 postfix/smtp[1]: 1A2B3C4D5E: to=<a@evil.example>, relay=mx.evil.example[192.0.2.9]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.7.1, status=bounced (host mx.evil.example[192.0.2.9] said: 550 5.7.1 <script>alert(1)</script> & "rejected" (in reply to RCPT TO command))
LOG
"$MXDOC" logs --year 2026 --tz UTC --html "$tmp/evil.html" "$tmp/evil.log" >/dev/null 2>&1
if grep -q '<script>' "$tmp/evil.html"; then
	bad "a reply's markup went into the page unescaped"
elif grep -q '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;rejected&quot;' "$tmp/evil.html"; then
	ok "a reply's markup is escaped"
else
	bad "the escaped reply is not in the page"
fi

# 4. Chromium renders it: the charts are in the DOM it built
chrome --dump-dom "file://$tmp/report.html" >"$tmp/dom.html"
if [ -s "$tmp/dom.html" ]; then
	ok "chromium rendered the page"
else
	bad "chromium gave no DOM: $(tail -3 "$tmp/chrome.err")"
fi
n=$(grep -o '<svg[^>]*data-chart="[a-z]*"' "$tmp/dom.html" | sed 's/.*data-chart="//; s/"//' | sort | tr '\n' ' ')
[ "$n" = "deferrals destinations rates " ] && ok "three charts: $n" || bad "charts: '$n'"
nb=$(grep -c '<rect class="bar" data-cause="smtp.throttled"' "$tmp/dom.html")
[ "$nb" -ge 10 ] && ok "deferral bars of smtp.throttled: $nb" || bad "deferral bars of smtp.throttled: $nb"
grep -q '<rect class="bar" data-cause="smtp.throttled"[^>]*><title>[0-9:]* smtp.throttled: [0-9]* deferred</title>' "$tmp/dom.html" &&
	ok "the bars have titles" || bad "no title on the deferral bars"
grep -q '<g class="dest" data-domain="outlook.com" data-failures="94" data-delivered="566">' "$tmp/dom.html" &&
	ok "outlook.com's bar: 94 failed, 566 delivered" || bad "no bar for outlook.com with its counts"
grep -q '<g class="dest" data-domain="gmail.com" data-failures="3" data-delivered="132">' "$tmp/dom.html" &&
	ok "gmail.com's bar: 3 failed, 132 delivered" || bad "no bar for gmail.com with its counts"
np=$(grep -o '<polyline class="rate" data-domain="[^"]*"' "$tmp/dom.html" | wc -l)
[ "$np" -eq 2 ] && ok "two rate series" || bad "rate series: $np"
grep -q '<line class="throttle" data-domain="outlook.com" data-per-minute-before="36.6"' "$tmp/dom.html" &&
	ok "the throttling mark of outlook.com, 36.6/min before it" || bad "no throttling mark for outlook.com at 36.6/min"
grep -q '<table class="throttles">' "$tmp/dom.html" && grep -q '<td>outlook.com</td><td>2026-11-28T08:29:55Z</td><td class="n">400</td>' "$tmp/dom.html" &&
	ok "the table of rates before throttling" || bad "no table of rates before throttling"
grep -q '<div class="cause" data-cause="smtp.throttled">' "$tmp/dom.html" &&
	ok "the causes table" || bad "no causes table"

# 5. a screenshot, for a person to look at
chrome --screenshot="$tmp/shot.png" --window-size=1100,1800 --hide-scrollbars \
    "file://$tmp/report.html" >/dev/null
if [ -s "$tmp/shot.png" ] && [ "$(head -c 4 "$tmp/shot.png" | od -An -c | tr -d ' ')" = "211PNG" ]; then
	ok "screenshot made ($(wc -c <"$tmp/shot.png") bytes)"
	[ -n "${HTML_SHOT:-}" ] && cp "$tmp/shot.png" "$HTML_SHOT"
else
	bad "no screenshot: $(tail -3 "$tmp/chrome.err")"
fi

# 6. --html - writes the page alone to standard output
"$MXDOC" logs --year 2026 --tz UTC --html - "$DATA/postfix-throttle.log" >"$tmp/stdout.html" 2>/dev/null
head -c 15 "$tmp/stdout.html" | grep -q '<!DOCTYPE html>' && ! grep -q '^WARNING' "$tmp/stdout.html" &&
	ok "--html - gives the page alone" || bad "--html - mixes the text report in"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
