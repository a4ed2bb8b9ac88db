#!/bin/sh
# tests/monitor/run.sh - `mxdoc monitor` against rbldnsd on loopback.
#
# rbldnsd serves watch.test on 127.0.0.1; round 1 finds 192.0.2.10 clean,
# the zone file then lists it (rbldnsd reloads on SIGHUP when the file's
# mtime changed), round 2 must give exactly one "listed" alert, and round 3,
# after the delisting, exactly one "delisted" alert: both through the
# command hook (it appends its stdin to a file) and through the webhook (a
# Python http.server on 127.0.0.1). `--history` must show the listing's
# begin and end; the metrics endpoint is scraped with curl and checked
# with promtool; a locked database is waited out and retried; a malformed
# config names its line and exits 2. Every --json output (the --history
# document, the event lines, what the hooks get) must follow
# doc/monitor.schema.json. As root, the history also goes on a 1 MB tmpfs
# in a private mount namespace (unshare -m; nothing outside sees it): the
# disk is filled between rounds, and a running monitor must report each
# refused write (stderr, metrics), keep running, and once space is freed
# hold every round in the history; then another process locks the
# database past the busy timeout, with the same promise.
# The auth audit and diagnose are watched against unbound (a zone changed
# between rounds with unbound-control) and an SMTP peer on 127.0.0.5
# (tests/auth/smtpd.py) stopped, busy and started again.
# Usage: tests/monitor/run.sh [path/to/mxdoc]   (needs rbldnsd, jq, curl;
# unbound, unbound-control and openssl for auth and diagnose)
# Prints "N passed, N failed"; exits 1 on a failure, 77 when skipped.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
MXDOC=${1:-${MXDOC:-$root/build/mxdoc}}
RBLDNSD=${RBLDNSD:-$(command -v rbldnsd || echo /usr/sbin/rbldnsd)}
pass=0
fail=0

for t in jq curl dig python3; do
	if ! command -v $t >/dev/null 2>&1; then
		echo "monitor: $t missing (scripts/deps.sh installs it): skipped"
		echo "0 passed, 0 failed"
		exit 77
	fi
done
if [ ! -x "$RBLDNSD" ]; then
	echo "monitor: rbldnsd missing (scripts/deps.sh installs it): skipped"
	echo "0 passed, 0 failed"
	exit 77
fi
if [ ! -x "$MXDOC" ]; then
	echo "monitor: no mxdoc at $MXDOC"
	exit 2
fi
case $MXDOC in /*) ;; *) MXDOC=$PWD/$MXDOC ;; esac

tmp=$(mktemp -d /tmp/mxdoc-mon.XXXXXX)
rbl_pid="" hook_pid="" mon_pid="" lock_pid="" ns_pid="" full_pid="" ub_pid="" peer_pid=""
cleanup() {
	for p in $rbl_pid $hook_pid $mon_pid $lock_pid $full_pid $ns_pid $ub_pid $peer_pid; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect_rc() { if [ "$1" -eq "$2" ]; then ok; else ko "$3: exit $1, want $2"; fi; }
# expect_eq GOT WANT DESCRIPTION
expect_eq() { if [ "$1" = "$2" ]; then ok; else ko "$3: got '$1', want '$2'"; fi; }

free_port() {
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, getattr(socket, sys.argv[1]))
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])' "$1"
}

soa='$SOA 60 ns.test. hostmaster.test. 1 3600 600 86400 60'
stamp=0
# write_zone [ADDRESS...]: the zone lists its test entry and ADDRESS...;
# each version gets a later mtime so that rbldnsd sees the change.
write_zone() {
	{
		echo "$soa"
		echo ':127.0.0.2:Listed on watch.test, see https://watch.test/$'
		echo 127.0.0.2
		for a in "$@"; do echo "$a"; done
	} >"$tmp/zones/watch.new"
	chmod 644 "$tmp/zones/watch.new"
	stamp=$((stamp + 10))
	touch -d "@$(($(date +%s) + stamp))" "$tmp/zones/watch.new"
	mv "$tmp/zones/watch.new" "$tmp/zones/watch"
	[ -n "$rbl_pid" ] && kill -HUP "$rbl_pid"
}
# wait_answer NAME WANT: until rbldnsd answers NAME as WANT (an address or
# "none"), at most 5 s.
wait_answer() {
	i=0
	while [ $i -lt 50 ]; do
		got=$(dig +time=1 +tries=1 +short -p "$port" @127.0.0.1 "$1" A 2>/dev/null)
		[ -z "$got" ] && got=none
		[ "$got" = "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

mkdir -p "$tmp/zones"
chmod 755 "$tmp" "$tmp/zones"
write_zone
user=""
[ "$(id -u)" -eq 0 ] && user="-u nobody"
port=""
tries=0
while [ -z "$port" ] && [ $tries -lt 5 ]; do
	tries=$((tries + 1))
	p=$(free_port SOCK_DGRAM)
	# shellcheck disable=SC2086
	"$RBLDNSD" -n -q $user -b "127.0.0.1/$p" -w "$tmp/zones" \
		watch.test:ip4set:watch >"$tmp/rbldnsd.log" 2>&1 &
	rbl_pid=$!
	port=$p
	if ! wait_answer 2.0.0.127.watch.test 127.0.0.2; then
		kill "$rbl_pid" 2>/dev/null
		wait "$rbl_pid" 2>/dev/null
		rbl_pid="" port=""
	fi
done
if [ -z "$port" ]; then
	echo "monitor: rbldnsd did not start:"
	cat "$tmp/rbldnsd.log"
	echo "0 passed, 1 failed"
	exit 1
fi

python3 "$here/webhook.py" "$tmp/webhook.out" 300 >"$tmp/webhook.port" &
hook_pid=$!
i=0
while [ ! -s "$tmp/webhook.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
hport=$(cat "$tmp/webhook.port")

# conf FILE [EXTRA MONITOR LINES]
conf() {
	cat >"$1" <<EOC
# tests/monitor: one target, one zone on loopback
[monitor]
interval = 1
db = $tmp/monitor.db
resolver = 127.0.0.1@$port
timeout = 2
zones = $here/zones.csv
retry = 0.5
$2

[alert]
alert_command = cat >> $tmp/hook.out
command_timeout = 5
webhook = http://127.0.0.1:$hport/hook
webhook_timeout = 5

[target 192.0.2.10]
checks = blocklist
EOC
}
conf "$tmp/mon.conf" ""
: >"$tmp/hook.out"
: >"$tmp/webhook.out"
mon() { "$MXDOC" monitor --color=never "$@"; }
count() { grep -c "\"event\":\"$2\"" "$1" 2>/dev/null || true; }

# --json follows doc/monitor.schema.json (needs python3's jsonschema).
schema=$root/doc/monitor.schema.json
have_schema=0
py=/usr/bin/python3	# as tests/golden/run.sh: the system's jsonschema
[ -x "$py" ] || py=python3
if "$py" -c 'import jsonschema' 2>/dev/null; then
	have_schema=1
else
	echo "monitor: python3-jsonschema missing: schema checks skipped"
fi
# valid_doc FILE WHAT: FILE is one document of the schema.
valid_doc() {
	[ "$have_schema" -eq 1 ] || return 0
	if "$py" "$root/scripts/check-json.py" "$schema" "$1" >"$tmp/schema.out" 2>/dev/null; then
		ok
	else
		ko "$2 does not follow doc/monitor.schema.json: $(head -c 400 "$tmp/schema.out")"
	fi
}
# valid_lines FILE WHAT: every line of FILE is one (JSON Lines); at least one.
valid_lines() {
	[ "$have_schema" -eq 1 ] || return 0
	n=0 bad=0
	while IFS= read -r line && [ $n -lt 1000 ]; do
		n=$((n + 1))
		printf '%s\n' "$line" >"$tmp/line.json"
		"$py" "$root/scripts/check-json.py" "$schema" "$tmp/line.json" >"$tmp/schema.out" 2>/dev/null ||
			{ bad=$((bad + 1)); cp "$tmp/schema.out" "$tmp/schema.bad"; }
	done <"$1"
	if [ $n -gt 0 ] && [ $bad -eq 0 ]; then ok; else
		ko "$2: $bad of $n lines do not follow doc/monitor.schema.json: $(head -c 400 "$tmp/schema.bad" 2>/dev/null)"
	fi
}
# metric FILE NAME: the value of an unlabelled metric, or "none".
metric() { v=$(sed -n "s/^$2 //p" "$1" 2>/dev/null | head -1); echo "${v:-none}"; }

# Round 1: not listed, no alert.
mon --once "$tmp/mon.conf" >"$tmp/r1.out" 2>"$tmp/r1.err"
expect_rc $? 0 "round 1 (clean)"
expect_eq "$(wc -l <"$tmp/hook.out" | tr -d ' ')" 0 "round 1 alerts by the command"
expect_eq "$(wc -l <"$tmp/webhook.out" | tr -d ' ')" 0 "round 1 alerts by the webhook"

# Round 2: listed.
write_zone 192.0.2.10
wait_answer 10.2.0.192.watch.test 127.0.0.2 || ko "rbldnsd did not reload the listing"
mon --once "$tmp/mon.conf" >"$tmp/r2.out" 2>"$tmp/r2.err"
expect_rc $? 1 "round 2 (listed)"
expect_eq "$(count "$tmp/hook.out" listed)" 1 "one 'listed' alert by the command"
expect_eq "$(count "$tmp/webhook.out" listed)" 1 "one 'listed' alert by the webhook"
expect_eq "$(wc -l <"$tmp/hook.out" | tr -d ' ')" 1 "nothing else by the command"
expect_eq "$(head -1 "$tmp/webhook.out" | jq -r '[.target, .zone, .status, .previous_status, .codes[0], .delist, .verdict.cause] | join("|")')" \
	"192.0.2.10|watch.test|listed|clean|127.0.0.2|https://watch.test/delist|bl.listed" "the 'listed' event"
grep -q 'listed .*192.0.2.10 on watch.test' "$tmp/r2.out" && ok || ko "round 2 prints the change: $(cat "$tmp/r2.out")"

# Round 2 again: still listed, no new alert.
mon --once "$tmp/mon.conf" >/dev/null 2>&1
expect_rc $? 1 "round 2b (still listed)"
expect_eq "$(wc -l <"$tmp/hook.out" | tr -d ' ')" 1 "no alert while nothing changes"

# Round 3: delisted.
write_zone
wait_answer 10.2.0.192.watch.test none || ko "rbldnsd did not reload the delisting"
mon --once --json "$tmp/mon.conf" >"$tmp/r3.out" 2>"$tmp/r3.err"
expect_rc $? 0 "round 3 (delisted)"
expect_eq "$(count "$tmp/hook.out" delisted)" 1 "one 'delisted' alert by the command"
expect_eq "$(count "$tmp/webhook.out" delisted)" 1 "one 'delisted' alert by the webhook"
expect_eq "$(wc -l <"$tmp/webhook.out" | tr -d ' ')" 2 "two webhook posts in all"
expect_eq "$(jq -r '.event' "$tmp/r3.out" 2>/dev/null)" "delisted" "--json prints the event"
valid_lines "$tmp/r3.out" "--once --json events"
valid_lines "$tmp/hook.out" "the alert command's events"
valid_lines "$tmp/webhook.out" "the webhook's events"

# The history: the listing's begin and end.
mon --history 192.0.2.10 --db "$tmp/monitor.db" --json >"$tmp/h.json" 2>"$tmp/h.err"
expect_rc $? 0 "--history (not listed now)"
expect_eq "$(jq -r '.listings | length' "$tmp/h.json")" 1 "one listing in the history"
expect_eq "$(jq -r '.listings[0] | [.zone, .query, (.listed_at != null), (.delisted_at != null), .listed_now] | join("|")' "$tmp/h.json")" \
	"watch.test|192.0.2.10|true|true|false" "listing with begin and end"
expect_eq "$(jq -r '(.listings[0].listed_at < .listings[0].delisted_at)' "$tmp/h.json")" true "begin before end"
expect_eq "$(jq -r '[.events[].event] | join(",")' "$tmp/h.json")" "listed,delisted" "events in order"
expect_eq "$(jq -r '.rounds' "$tmp/h.json")" 4 "every round stored"
expect_eq "$(jq -r '.verdict.cause' "$tmp/h.json")" ok "history verdict"
valid_doc "$tmp/h.json" "--history --json"
# The schema can fail: a document without its rounds is refused.
if [ "$have_schema" -eq 1 ]; then
	jq 'del(.rounds)' "$tmp/h.json" >"$tmp/h-bad.json"
	if "$py" "$root/scripts/check-json.py" "$schema" "$tmp/h-bad.json" >/dev/null 2>&1; then
		ko "the schema takes a history without rounds"
	else
		ok
	fi
fi
mon --history 192.0.2.99 --db "$tmp/monitor.db" --json >"$tmp/h0.json" 2>/dev/null
expect_rc $? 0 "--history of a target never checked"
valid_doc "$tmp/h0.json" "--history --json of a target never checked"
mon --history 192.0.2.10 --db "$tmp/monitor.db" >"$tmp/h.txt" 2>&1
expect_rc $? 0 "--history text"
lt=$(jq -r '.listings[0].listed_at' "$tmp/h.json")
dt=$(jq -r '.listings[0].delisted_at' "$tmp/h.json")
grep "watch.test" "$tmp/h.txt" | grep -q "$lt.*$dt" && ok || ko "text timeline lacks the listing: $(cat "$tmp/h.txt")"
n=$(python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select count(*) from results").fetchone()[0])' "$tmp/monitor.db")
expect_eq "$n" 4 "one result row per round and zone"

# Metrics, and a clean stop on SIGTERM.
mport=$(free_port SOCK_STREAM)
"$MXDOC" monitor --color=never --metrics "127.0.0.1:$mport" "$tmp/mon.conf" >"$tmp/daemon.out" 2>"$tmp/daemon.err" &
mon_pid=$!
i=0
while [ $i -lt 100 ]; do
	curl -s --max-time 2 "http://127.0.0.1:$mport/metrics" >"$tmp/metrics.txt" 2>/dev/null &&
		grep -q '^mxdoc_blocklist_listed' "$tmp/metrics.txt" && break
	sleep 0.1
	i=$((i + 1))
done
grep -q '^mxdoc_blocklist_listed{target="192.0.2.10",zone="watch.test"} 0$' "$tmp/metrics.txt" && ok ||
	ko "metrics: $(cat "$tmp/metrics.txt")"
grep -q '^mxdoc_monitor_last_check_timestamp_seconds ' "$tmp/metrics.txt" && ok || ko "no last-check time"
grep -q '^mxdoc_monitor_check_duration_seconds ' "$tmp/metrics.txt" && ok || ko "no check duration"
grep -q '^mxdoc_monitor_check_errors 0$' "$tmp/metrics.txt" && ok || ko "no error count"
if command -v promtool >/dev/null 2>&1; then
	if promtool check metrics <"$tmp/metrics.txt" >"$tmp/promtool.out" 2>&1; then ok; else
		ko "promtool check metrics: $(cat "$tmp/promtool.out")"
	fi
else
	echo "monitor: promtool missing (Debian's prometheus package): metrics lint skipped"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$mport/other")
expect_eq "$code" 404 "only /metrics is served"
# The daemon sees the next listing within its interval.
write_zone 192.0.2.10
wait_answer 10.2.0.192.watch.test 127.0.0.2 || ko "rbldnsd did not reload"
i=0
while [ $i -lt 100 ]; do
	[ "$(count "$tmp/webhook.out" listed)" -ge 2 ] && break
	sleep 0.1
	i=$((i + 1))
done
expect_eq "$(count "$tmp/webhook.out" listed)" 2 "the running monitor alerts a new listing"
curl -s --max-time 2 "http://127.0.0.1:$mport/metrics" >"$tmp/metrics2.txt"
grep -q '^mxdoc_blocklist_listed{target="192.0.2.10",zone="watch.test"} 1$' "$tmp/metrics2.txt" && ok ||
	ko "metrics after the listing: $(grep blocklist_listed "$tmp/metrics2.txt")"
kill -TERM "$mon_pid"
i=0
while kill -0 "$mon_pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$mon_pid" 2>/dev/null; then
	ko "monitor still running 10 s after SIGTERM"
else
	wait "$mon_pid"
	expect_rc $? 0 "exit after SIGTERM"
fi
mon_pid=""

# A locked database: the round is held, retried, then written; its alert
# goes out once, after the write.
write_zone
wait_answer 10.2.0.192.watch.test none || ko "rbldnsd did not reload"
python3 -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(7)
c.execute("ROLLBACK")' "$tmp/monitor.db" >"$tmp/lock.out" &
lock_pid=$!
i=0
while ! grep -q locked "$tmp/lock.out" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
mon --once "$tmp/mon.conf" >"$tmp/lk.out" 2>"$tmp/lk.err"
expect_rc $? 0 "round with a locked database"
grep -q 'locked' "$tmp/lk.err" && ok || ko "the lock is not reported: $(cat "$tmp/lk.err")"
expect_eq "$(count "$tmp/webhook.out" delisted)" 2 "the held round's alert sent once"
wait "$lock_pid" 2>/dev/null
lock_pid=""
mon --history 192.0.2.10 --db "$tmp/monitor.db" --json >"$tmp/h2.json" 2>/dev/null
expect_eq "$(jq -r '[.listings[] | (.delisted_at != null)] | join(",")' "$tmp/h2.json")" "true,true" "the held round is in the history"
valid_doc "$tmp/h2.json" "--history --json with two listings"

# Bad input: the malformed line is named, exit 2.
conf "$tmp/bad.conf" "this line is wrong"
mon --once "$tmp/bad.conf" >/dev/null 2>"$tmp/bad.err"
expect_rc $? 2 "malformed config"
grep -q 'line 9: ' "$tmp/bad.err" && ok || ko "the malformed line is not named: $(cat "$tmp/bad.err")"
conf "$tmp/bad2.conf" "interval = soon"
mon --check-config "$tmp/bad2.conf" >/dev/null 2>"$tmp/bad2.err"
expect_rc $? 2 "bad interval"
grep -q "line 9: interval" "$tmp/bad2.err" && ok || ko "bad interval: $(cat "$tmp/bad2.err")"
conf "$tmp/bad3.conf" "colour = red"
mon --check-config "$tmp/bad3.conf" >/dev/null 2>"$tmp/bad3.err"
expect_rc $? 2 "unknown key"
grep -q "line 9: unknown key 'colour'" "$tmp/bad3.err" && ok || ko "unknown key: $(cat "$tmp/bad3.err")"
printf '[target 300.1.2.3]\n' >"$tmp/bad4.conf"
mon --check-config "$tmp/bad4.conf" >/dev/null 2>"$tmp/bad4.err"
expect_rc $? 2 "bad target"
mon --check-config "$here/../../doc/monitor.conf.example" >/dev/null 2>"$tmp/ex.err"
expect_rc $? 0 "doc/monitor.conf.example is valid: $(cat "$tmp/ex.err")"
mon --history 192.0.2.10 --db "$tmp/nosuch.db" >/dev/null 2>&1
expect_rc $? 2 "--history on a missing database"

# The auth audit and diagnose (checks = auth, diagnose). unbound serves
# mon.test on 127.0.0.1 from an included file (reloaded by unbound-control
# between rounds); tests/auth/smtpd.py is mon.test's MX on 127.0.0.5, with
# STARTTLS and a certificate from a throwaway CA made here (the monitor's
# ca_file). Round 1 is the baseline (no alert); the DMARC record goes
# (one "worse" alert for auth/dmarc), the peer stops (one "worse" alert,
# net.refused), answers 421 (one "changed" alert, smtp.server_busy),
# starts again (one "better" alert, ok), the DMARC record
# comes back (one "better" alert), the DKIM key is revoked and restored
# (one "worse", one "better"). Then a history made before these checks
# existed is opened and gains their columns.
UNBOUND=${UNBOUND:-$(command -v unbound || echo /usr/sbin/unbound)}
UNBOUND_CONTROL=${UNBOUND_CONTROL:-$(command -v unbound-control || echo /usr/sbin/unbound-control)}
if [ ! -x "$UNBOUND" ] || [ ! -x "$UNBOUND_CONTROL" ] || ! command -v openssl >/dev/null 2>&1; then
	echo "monitor: unbound, unbound-control or openssl missing: auth and diagnose checks skipped"
else
	(
		cd "$tmp" || exit 1
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem \
			-days 2 -subj "/CN=mxdoc monitor test CA" >/dev/null 2>&1 &&
		openssl req -newkey rsa:2048 -nodes -keyout mx.key -out mx.csr \
			-subj "/CN=mx.mon.test" >/dev/null 2>&1 &&
		printf 'subjectAltName=DNS:mx.mon.test,IP:127.0.0.5\n' >ext.cnf &&
		openssl x509 -req -in mx.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-out mx.pem -days 2 -extfile ext.cnf >/dev/null 2>&1 &&
		cat mx.pem ca.pem >mxchain.pem
	) || ko "openssl could not make the certificates"
	# mon_zone [dmarc] [revoked]: mon.test's records, with its DMARC
	# record or not, its DKIM key revoked (an empty p=) or not.
	mon_zone() {
		key=2GrQqBnkpuGYoUIm7LpspAnuOumMK3jQPK1KurUIPDM=
		[ "${2:-}" = revoked ] && key=""
		{
			echo 'local-zone: "mon.test." static'
			echo "local-data: 'mon.test. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"'"
			[ "${1:-}" = dmarc ] &&
				echo "local-data: '_dmarc.mon.test. TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@mon.test\"'"
			echo "local-data: 'mon.test. MX 10 mx.mon.test.'"
			echo "local-data: 'mx.mon.test. A 127.0.0.5'"
			echo "local-data: 'google._domainkey.mon.test. TXT \"v=DKIM1; k=ed25519; p=$key\"'"
		} >"$tmp/mon-zone.conf"
	}
	mon_zone dmarc
	ub_pid="" uport=""
	tries=0
	while [ -z "$uport" ] && [ $tries -lt 5 ]; do
		tries=$((tries + 1))
		p=$(free_port SOCK_DGRAM)
		cp=$(free_port SOCK_STREAM)
		cat >"$tmp/unbound.conf" <<UB
server:
	interface: 127.0.0.1
	port: $p
	do-daemonize: no
	chroot: ""
	username: ""
	directory: "$tmp"
	pidfile: "$tmp/unbound.pid"
	logfile: ""
	use-syslog: no
	verbosity: 0
	do-ip6: no
	num-threads: 1
	access-control: 127.0.0.0/8 allow
	include: "$tmp/mon-zone.conf"
remote-control:
	control-enable: yes
	control-interface: 127.0.0.1
	control-port: $cp
	control-use-cert: no
UB
		"$UNBOUND" -d -c "$tmp/unbound.conf" >"$tmp/unbound.log" 2>&1 &
		ub_pid=$!
		i=0
		while [ $i -lt 50 ]; do
			[ -n "$(dig +time=1 +tries=1 +short -p "$p" @127.0.0.1 _dmarc.mon.test TXT 2>/dev/null)" ] && uport=$p && break
			kill -0 "$ub_pid" 2>/dev/null || break
			sleep 0.1
			i=$((i + 1))
		done
		if [ -z "$uport" ]; then
			kill "$ub_pid" 2>/dev/null
			wait "$ub_pid" 2>/dev/null
			ub_pid=""
		fi
	done
	# ub_reload [dmarc] [revoked]: the zone so, served.
	ub_reload() {
		mon_zone "${1:-}" "${2:-}"
		"$UNBOUND_CONTROL" -c "$tmp/unbound.conf" reload >"$tmp/ubc.out" 2>&1 ||
			ko "unbound-control reload: $(cat "$tmp/ubc.out")"
		want=${1:+yes}
		i=0
		while [ $i -lt 50 ]; do
			got=$(dig +time=1 +tries=1 +short -p "$uport" @127.0.0.1 _dmarc.mon.test TXT 2>/dev/null)
			[ -n "$got" ] && got=yes
			[ "$got" = "$want" ] && return 0
			sleep 0.1
			i=$((i + 1))
		done
		ko "unbound did not reload the zone (DMARC: '${1:-none}')"
	}
	sport=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.5", 0))
print(s.getsockname()[1])')
	peer_pid=""
	# peer_start [busy]: the peer, greeting with 220 or (busy) 421.
	peer_start() {
		: >"$tmp/peer.out"
		python3 "$here/../auth/smtpd.py" "$tmp/mxchain.pem" "$tmp/mx.key" 120 127.0.0.5 "$sport" ${1:-} \
			>"$tmp/peer.out" 2>"$tmp/peer.err" &
		peer_pid=$!
		i=0
		while [ ! -s "$tmp/peer.out" ] && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		[ -s "$tmp/peer.out" ] || ko "the SMTP peer did not start: $(cat "$tmp/peer.err")"
	}
	peer_stop() {
		kill "$peer_pid" 2>/dev/null
		wait "$peer_pid" 2>/dev/null
		peer_pid=""
	}
	if [ -z "$uport" ]; then
		ko "unbound did not start: $(head -c 400 "$tmp/unbound.log")"
	else
		peer_start
		cat >"$tmp/checks.conf" <<EOC
# tests/monitor: the auth audit and diagnose
[monitor]
interval = 1
db = $tmp/checks.db
resolver = 127.0.0.1@$uport
timeout = 2
retry = 0.5
ca_file = $tmp/ca.pem

[alert]
alert_command = cat >> $tmp/chook.out
command_timeout = 5

[target mon.test]
checks = auth

[target 127.0.0.5]
checks = diagnose
port = $sport
EOC
		: >"$tmp/chook.out"
		# cev FILE CHECK ITEM EVENT: how many such events FILE has.
		cev() { jq -r --arg c "$2" --arg i "$3" --arg e "$4" \
			'select(.check == $c and .item == $i and .event == $e) | .event' "$1" 2>/dev/null | grep -c . ; }
		mon --check-config "$tmp/checks.conf" >"$tmp/cc.out" 2>&1
		expect_rc $? 0 "--check-config with auth and diagnose"
		grep -q 'blocklist 0, auth 1, diagnose 1' "$tmp/cc.out" && ok || ko "--check-config counts: $(cat "$tmp/cc.out")"

		# Round 1: the baseline. Nothing is wrong, nothing alerted.
		mon --once --json "$tmp/checks.conf" >"$tmp/c1.out" 2>"$tmp/c1.err"
		expect_rc $? 0 "auth and diagnose round 1 (baseline): $(head -c 300 "$tmp/c1.err")"
		expect_eq "$(wc -l <"$tmp/chook.out" | tr -d ' ')" 0 "no alert for the baseline"
		python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for r in c.execute("select check_name, subject, status, severity, cause from results order by rowid"):
    print("|".join(str(x) for x in r))' "$tmp/checks.db" >"$tmp/c1.rows"
		grep -q '^auth|dmarc|ok|ok|ok$' "$tmp/c1.rows" && ok || ko "auth/dmarc row: $(cat "$tmp/c1.rows")"
		grep -q '^diagnose|verdict|ok|ok|ok$' "$tmp/c1.rows" && ok || ko "diagnose verdict row: $(cat "$tmp/c1.rows")"
		expect_eq "$(grep -c '^auth|' "$tmp/c1.rows")" 7 "one row per audit section"

		# Round 2: the DMARC record is gone.
		ub_reload
		mon --once --json "$tmp/checks.conf" >"$tmp/c2.out" 2>"$tmp/c2.err"
		expect_rc $? 1 "round 2 (DMARC gone)"
		expect_eq "$(wc -l <"$tmp/chook.out" | tr -d ' ')" 1 "exactly one alert when DMARC goes"
		expect_eq "$(cev "$tmp/chook.out" auth dmarc worse)" 1 "the alert is auth/dmarc worse"
		expect_eq "$(head -1 "$tmp/chook.out" | jq -r '[.target, .query, .previous_status, .status, .codes[0], .verdict.cause, (.remedy | length > 0), (.detail | test("DMARC"))] | map(tostring) | join("|")')" \
			"mon.test|mon.test|ok|error|dmarc.none|auth.dmarc|true|true" "the DMARC event"
		valid_lines "$tmp/c2.out" "the auth event on stdout"
		valid_lines "$tmp/chook.out" "the auth event of the command"
		# The same again: no new alert.
		mon --once "$tmp/checks.conf" >/dev/null 2>&1
		expect_rc $? 1 "round 2b (DMARC still gone)"
		expect_eq "$(wc -l <"$tmp/chook.out" | tr -d ' ')" 1 "no alert while nothing changes"

		# Round 3: the peer is down.
		peer_stop
		mon --once --json "$tmp/checks.conf" >"$tmp/c3.out" 2>"$tmp/c3.err"
		expect_rc $? 1 "round 3 (peer down)"
		expect_eq "$(wc -l <"$tmp/chook.out" | tr -d ' ')" 2 "exactly one alert when the peer stops"
		expect_eq "$(sed -n 2p "$tmp/chook.out" | jq -r '[.check, .item, .event, .previous_status, .status, .verdict.cause] | join("|")')" \
			"diagnose|verdict|worse|ok|net.refused|net.refused" "the diagnose event"
		valid_lines "$tmp/c3.out" "the diagnose event on stdout"

		# Round 4a: the peer answers, but 421 (as bad: "changed").
		peer_start busy
		mon --once "$tmp/checks.conf" >/dev/null 2>"$tmp/c7.err"
		expect_rc $? 1 "round 4a (peer busy)"
		expect_eq "$(wc -l <"$tmp/chook.out" | tr -d ' ')" 3 "exactly one alert when the peer turns busy"
		expect_eq "$(sed -n 3p "$tmp/chook.out" | jq -r '[.check, .event, .previous_status, .status, .severity] | join("|")')" \
			"diagnose|changed|net.refused|smtp.server_busy|error" "the busy event"
		peer_stop

		# Round 4: the peer is back.
		peer_start
		mon --once "$tmp/checks.conf" >"$tmp/c4.out" 2>"$tmp/c4.err"
		expect_rc $? 1 "round 4 (peer back, DMARC still gone)"
		expect_eq "$(wc -l <"$tmp/chook.out" | tr -d ' ')" 4 "exactly one alert when the peer is back"
		expect_eq "$(sed -n 4p "$tmp/chook.out" | jq -r '[.check, .event, .previous_status, .status] | join("|")')" \
			"diagnose|better|smtp.server_busy|ok" "the recovery event"
		grep -q 'better .*127.0.0.5 diagnose verdict: smtp.server_busy -> ok' "$tmp/c4.out" && ok ||
			ko "the text event: $(cat "$tmp/c4.out")"

		# Round 5: DMARC is back.
		ub_reload dmarc
		mon --once "$tmp/checks.conf" >/dev/null 2>"$tmp/c5.err"
		expect_rc $? 0 "round 5 (all well again)"
		expect_eq "$(wc -l <"$tmp/chook.out" | tr -d ' ')" 5 "exactly one alert when DMARC is back"
		expect_eq "$(cev "$tmp/chook.out" auth dmarc better)" 1 "the alert is auth/dmarc better"

		# Round 6: the DKIM key is revoked.
		ub_reload dmarc revoked
		mon --once "$tmp/checks.conf" >/dev/null 2>"$tmp/c6.err"
		expect_eq "$(wc -l <"$tmp/chook.out" | tr -d ' ')" 6 "exactly one alert when the DKIM key is revoked"
		expect_eq "$(sed -n 6p "$tmp/chook.out" | jq -r '[.check, .item, .event, (.codes | index("dkim.revoked") != null)] | map(tostring) | join("|")')" \
			"auth|dkim|worse|true" "the DKIM event"
		ub_reload dmarc
		mon --once "$tmp/checks.conf" >/dev/null 2>&1
		expect_rc $? 0 "round 7 (the key is back)"
		expect_eq "$(cev "$tmp/chook.out" auth dkim better)" 1 "the key back is one auth/dkim better"
		expect_eq "$(wc -l <"$tmp/chook.out" | tr -d ' ')" 7 "seven alerts in all"
		valid_lines "$tmp/chook.out" "every event of the command"

		# The history of both targets.
		mon --history mon.test --db "$tmp/checks.db" --json >"$tmp/ch.json" 2>"$tmp/ch.err"
		expect_rc $? 0 "--history of the auth target"
		expect_eq "$(jq -r '[.events[] | .check + "/" + .item + ":" + .event] | join(",")' "$tmp/ch.json")" \
			"auth/dmarc:worse,auth/dmarc:better,auth/dkim:worse,auth/dkim:better" "auth events in the history"
		expect_eq "$(jq -r '[.checks[] | select(.check == "auth")] | length' "$tmp/ch.json")" 7 "every section's state"
		expect_eq "$(jq -r '.checks[] | select(.item == "dmarc") | .status' "$tmp/ch.json")" ok "DMARC's state now"
		expect_eq "$(jq -r '.rounds' "$tmp/ch.json")" 9 "every round of the auth target"
		valid_doc "$tmp/ch.json" "--history --json of the auth target"
		mon --history 127.0.0.5 --db "$tmp/checks.db" --json >"$tmp/dh.json" 2>/dev/null
		expect_rc $? 0 "--history of the diagnose target"
		expect_eq "$(jq -r '[.events[] | .event + ":" + .status] | join(",")' "$tmp/dh.json")" \
			"worse:net.refused,changed:smtp.server_busy,better:ok" "diagnose events in the history"
		valid_doc "$tmp/dh.json" "--history --json of the diagnose target"
		mon --history mon.test --db "$tmp/checks.db" >"$tmp/ch.txt" 2>&1
		grep -q 'worse .*auth DMARC: error (was ok)' "$tmp/ch.txt" && ok || ko "text history of auth: $(cat "$tmp/ch.txt")"
		# While DMARC is missing, the history says so (exit 1).
		ub_reload
		mon --once "$tmp/checks.conf" >/dev/null 2>&1
		mon --history mon.test --db "$tmp/checks.db" --json >"$tmp/ch2.json" 2>/dev/null
		expect_rc $? 1 "--history while DMARC is missing"
		expect_eq "$(jq -r '.verdict | [.cause, .severity] | join("|")' "$tmp/ch2.json")" "auth.dmarc|error" "history verdict"
		valid_doc "$tmp/ch2.json" "--history --json with a failing section"

		# Metrics of the checks.
		cport=$(free_port SOCK_STREAM)
		"$MXDOC" monitor --color=never --metrics "127.0.0.1:$cport" "$tmp/checks.conf" >/dev/null 2>"$tmp/cd.err" &
		mon_pid=$!
		i=0
		while [ $i -lt 100 ]; do
			curl -s --max-time 2 "http://127.0.0.1:$cport/metrics" >"$tmp/cm.txt" 2>/dev/null &&
				grep -q '^mxdoc_diagnose_verdict' "$tmp/cm.txt" && break
			sleep 0.1
			i=$((i + 1))
		done
		grep -q '^mxdoc_auth_check_severity{target="mon.test",check="dmarc"} 3$' "$tmp/cm.txt" && ok ||
			ko "auth metric: $(grep auth_check "$tmp/cm.txt")"
		grep -q '^mxdoc_auth_check_severity{target="mon.test",check="spf"} 0$' "$tmp/cm.txt" && ok ||
			ko "auth metric (spf): $(grep auth_check "$tmp/cm.txt")"
		grep -q '^mxdoc_diagnose_verdict{target="127.0.0.5",cause="ok"} 1$' "$tmp/cm.txt" && ok ||
			ko "diagnose metric: $(grep diagnose "$tmp/cm.txt")"
		if command -v promtool >/dev/null 2>&1; then
			if promtool check metrics <"$tmp/cm.txt" >"$tmp/promtool2.out" 2>&1; then ok; else
				ko "promtool check metrics (checks): $(cat "$tmp/promtool2.out")"
			fi
		fi
		kill -TERM "$mon_pid"
		wait "$mon_pid"
		expect_rc $? 0 "exit after SIGTERM (checks)"
		mon_pid=""
		peer_stop
		# Exit 1 is also what a sanitizer report exits with.
		cat "$tmp"/c[0-9].err "$tmp/cd.err" >"$tmp/c-all.err" 2>/dev/null
		grep -qi 'sanitizer\|runtime error' "$tmp/c-all.err" &&
			ko "sanitizer report: $(grep -i -m3 'sanitizer\|runtime error' "$tmp/c-all.err")" || ok
	fi
	[ -n "$ub_pid" ] && kill "$ub_pid" 2>/dev/null && wait "$ub_pid" 2>/dev/null
	ub_pid=""
fi

# A check that does not exist, or does not fit its target: the line is named.
printf '[monitor]\ninterval = 60\n\n[target 192.0.2.1]\nchecks = blocklist, dns\n' >"$tmp/bad5.conf"
mon --check-config "$tmp/bad5.conf" >/dev/null 2>"$tmp/bad5.err"
expect_rc $? 2 "unknown check"
grep -q "line 5: unknown check 'dns'" "$tmp/bad5.err" && ok || ko "unknown check: $(cat "$tmp/bad5.err")"
printf '[target 192.0.2.1]\n# an address has no SPF\nchecks = auth\n' >"$tmp/bad6.conf"
mon --check-config "$tmp/bad6.conf" >/dev/null 2>"$tmp/bad6.err"
expect_rc $? 2 "auth on an address"
grep -q "line 3: the auth audit needs a domain name" "$tmp/bad6.err" && ok || ko "auth on an address: $(cat "$tmp/bad6.err")"
printf '[target example.com]\nchecks = auth\nport = 2525\n' >"$tmp/bad7.conf"
mon --check-config "$tmp/bad7.conf" >/dev/null 2>"$tmp/bad7.err"
expect_rc $? 2 "port without diagnose"
grep -q "line 3: port" "$tmp/bad7.err" && ok || ko "port without diagnose: $(cat "$tmp/bad7.err")"
printf '[target example.com]\nchecks = blocklist, auth, diagnose\n[target 2001:db8::25]\nchecks = diagnose,blocklist\nport = 2525\n' >"$tmp/good.conf"
mon --check-config "$tmp/good.conf" >"$tmp/good.out" 2>&1
expect_rc $? 0 "every check: $(cat "$tmp/good.out")"

# A history made by the mxdoc before auth and diagnose: opened, it gains
# their columns and keeps its rows.
python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.executescript("""
CREATE TABLE rounds (id INTEGER PRIMARY KEY, at_us INTEGER NOT NULL, duration_ms REAL,
  observations INTEGER, errors INTEGER);
CREATE TABLE results (round INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
  target TEXT NOT NULL, check_name TEXT NOT NULL, subject TEXT NOT NULL,
  query TEXT NOT NULL, status TEXT NOT NULL, codes TEXT, detail TEXT);
CREATE INDEX results_by_target ON results(target, round);
CREATE INDEX results_by_round ON results(round);
CREATE TABLE state (target TEXT NOT NULL, check_name TEXT NOT NULL, subject TEXT NOT NULL,
  query TEXT NOT NULL, status TEXT NOT NULL, verdict TEXT,
  since_us INTEGER NOT NULL, last_us INTEGER NOT NULL,
  PRIMARY KEY (target, check_name, subject, query));
CREATE TABLE events (id INTEGER PRIMARY KEY, at_us INTEGER NOT NULL, target TEXT NOT NULL,
  check_name TEXT NOT NULL, subject TEXT NOT NULL, query TEXT NOT NULL,
  event TEXT NOT NULL, previous TEXT, status TEXT NOT NULL, codes TEXT, detail TEXT);
CREATE INDEX events_by_target ON events(target, at_us);
INSERT INTO rounds VALUES (1, 1700000000000000, 10, 1, 0);
INSERT INTO results VALUES (1, \"192.0.2.10\", \"blocklist\", \"watch.test\", \"192.0.2.10\", \"listed\", \"127.0.0.2\", \"old\");
INSERT INTO state VALUES (\"192.0.2.10\", \"blocklist\", \"watch.test\", \"192.0.2.10\", \"listed\", \"listed\", 1700000000000000, 1700000000000000);
INSERT INTO events VALUES (1, 1700000000000000, \"192.0.2.10\", \"blocklist\", \"watch.test\", \"192.0.2.10\", \"listed\", \"clean\", \"listed\", \"127.0.0.2\", \"old\");
""")
c.commit()' "$tmp/old.db"
conf "$tmp/old.conf" "db = $tmp/old.db"
: >"$tmp/hook-old.out"
mon --once --json "$tmp/old.conf" >"$tmp/old.out" 2>"$tmp/old.err"
expect_rc $? 0 "a round on a history of the previous version: $(head -c 300 "$tmp/old.err")"
expect_eq "$(jq -r '.event' "$tmp/old.out" 2>/dev/null)" delisted "the old listing ends in the new round"
python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
cols = [r[1] for r in c.execute("pragma table_info(state)")]
print(c.execute("pragma user_version").fetchone()[0], "severity" in cols, "cause" in cols,
      c.execute("select count(*) from events").fetchone()[0])' "$tmp/old.db" >"$tmp/old.rows"
expect_eq "$(cat "$tmp/old.rows")" "1 True True 2" "the old history migrated, its events kept"
mon --history 192.0.2.10 --db "$tmp/old.db" --json >"$tmp/oh.json" 2>/dev/null
expect_eq "$(jq -r '[.events[].event] | join(",")' "$tmp/oh.json")" "listed,delisted" "the old history's events"
valid_doc "$tmp/oh.json" "--history --json of a migrated history"

# A full disk, then a locked database, under a running monitor. The
# history lives on a 1 MB tmpfs mounted in a private mount namespace held
# by a sleeping shell; every command that touches it enters that namespace
# (nsenter). The monitor runs with -v, which prints a line per round, so
# the rounds it ran can be counted against the rows it wrote.
ns_ok=0
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null 2>&1 ||
    ! command -v nsenter >/dev/null 2>&1; then
	echo "monitor: not root or no unshare/nsenter: the full-disk test is skipped"
else
	fs=$tmp/fs
	mkdir -p "$fs"
	# shellcheck disable=SC2016  # $0 belongs to the inner shell
	unshare -m --propagation private sh -c \
	    'mount -t tmpfs -o size=1m,mode=0755 mxdoc-test "$0" && echo mounted && exec sleep 120' \
	    "$fs" >"$tmp/ns.out" 2>&1 &
	ns_pid=$!
	i=0
	while ! grep -q mounted "$tmp/ns.out" 2>/dev/null && [ $i -lt 50 ]; do
		kill -0 "$ns_pid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	if grep -q mounted "$tmp/ns.out" 2>/dev/null; then
		ns_ok=1
	else
		echo "monitor: cannot mount a tmpfs in a mount namespace ($(head -c 200 "$tmp/ns.out")): the full-disk test is skipped"
		kill "$ns_pid" 2>/dev/null
		wait "$ns_pid" 2>/dev/null
		ns_pid=""
	fi
fi
if [ "$ns_ok" -eq 1 ]; then
	inns() { nsenter -t "$ns_pid" -m -- "$@"; }
	# The tmpfs is not mounted out here: the history must not land in $tmp.
	[ ! -e "$fs/monitor.db" ] && ok || ko "the namespace's tmpfs is visible outside"
	conf "$tmp/full.conf" "db = $fs/monitor.db"
	fport=$(free_port SOCK_STREAM)
	# Not through inns: $! must be the monitor itself (nsenter execs it).
	nsenter -t "$ns_pid" -m -- "$MXDOC" monitor -v --color=never \
	    --metrics "127.0.0.1:$fport" "$tmp/full.conf" >"$tmp/full.out" 2>"$tmp/full.err" &
	full_pid=$!
	scrape() { curl -s --max-time 2 "http://127.0.0.1:$fport/metrics" >"$tmp/fm.txt" 2>/dev/null; }
	# until_metric NAME OP VALUE: until the metric compares so, at most 15 s.
	until_metric() {
		i=0
		while [ $i -lt 150 ]; do
			scrape
			v=$(metric "$tmp/fm.txt" "$1")
			[ "$v" != none ] && [ "$v" "$2" "$3" ] && return 0
			kill -0 "$full_pid" 2>/dev/null || return 1
			sleep 0.1
			i=$((i + 1))
		done
		return 1
	}
	until_metric mxdoc_monitor_rounds_total -ge 2 && ok || ko "the monitor on the tmpfs does not run rounds: $(cat "$tmp/full.err")"
	expect_eq "$(metric "$tmp/fm.txt" mxdoc_monitor_history_pending_rounds)" 0 "rounds written before the disk fills"
	# Fill the disk: dd stops at ENOSPC.
	inns dd if=/dev/zero of="$fs/fill" bs=4096 >/dev/null 2>&1
	inns sh -c 'df -k "$0" | tail -1' "$fs" >"$tmp/df.out"
	awk '{ exit !($4 == 0) }' "$tmp/df.out" && ok || ko "the tmpfs is not full: $(cat "$tmp/df.out")"
	until_metric mxdoc_monitor_history_pending_rounds -ge 3 && ok ||
		ko "no round held while the disk is full: $(tail -3 "$tmp/full.err")"
	kill -0 "$full_pid" 2>/dev/null && ok || ko "the monitor died on a full disk: $(tail -5 "$tmp/full.err")"
	grep -q 'history: database or disk is full' "$tmp/full.err" && ok ||
		ko "the full disk is not reported on stderr: $(tail -3 "$tmp/full.err")"
	v=$(metric "$tmp/fm.txt" mxdoc_monitor_history_write_failures_total)
	[ "$v" != none ] && [ "$v" -ge 1 ] && ok || ko "write failures not counted in the metrics: $v"
	# Free the space: the held rounds go in, oldest first.
	inns rm -f "$fs/fill"
	until_metric mxdoc_monitor_history_pending_rounds -eq 0 && ok ||
		ko "held rounds not written once space is free: $(tail -3 "$tmp/full.err")"

	# A lock held by another process past the 5 s busy timeout.
	f0=$(metric "$tmp/fm.txt" mxdoc_monitor_history_write_failures_total)
	nsenter -t "$ns_pid" -m -- python3 -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(7)
c.execute("ROLLBACK")
print("released", flush=True)' "$fs/monitor.db" >"$tmp/lock2.out" 2>&1 &
	lock_pid=$!
	i=0
	while ! grep -q released "$tmp/lock2.out" 2>/dev/null && [ $i -lt 150 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	wait "$lock_pid" 2>/dev/null
	lock_pid=""
	grep -q locked "$tmp/lock2.out" && ok || ko "the lock was not taken: $(cat "$tmp/lock2.out")"
	until_metric mxdoc_monitor_history_pending_rounds -eq 0 && ok ||
		ko "held rounds not written once the lock is gone"
	v=$(metric "$tmp/fm.txt" mxdoc_monitor_history_write_failures_total)
	[ "$v" != none ] && [ "$f0" != none ] && [ "$v" -gt "$f0" ] && ok ||
		ko "the lock is not counted in the metrics: $f0 -> $v"
	grep -q 'history: database is locked' "$tmp/full.err" && ok ||
		ko "the lock is not reported on stderr: $(tail -3 "$tmp/full.err")"

	kill -TERM "$full_pid" 2>/dev/null
	i=0
	while kill -0 "$full_pid" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
	if kill -0 "$full_pid" 2>/dev/null; then
		ko "the monitor on the tmpfs still runs 15 s after SIGTERM"
	else
		wait "$full_pid"
		expect_rc $? 0 "exit after the full disk and the lock"
	fi
	full_pid=""
	# Every round it ran is in the history, with its result.
	ran=$(grep -c 'mxdoc monitor: round: ' "$tmp/full.err")
	inns python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("select count(*) from rounds").fetchone()[0],
      c.execute("select count(*) from results").fetchone()[0],
      c.execute("select count(distinct at_us) from rounds").fetchone()[0])' "$fs/monitor.db" >"$tmp/full.rows" 2>&1
	expect_eq "$(cat "$tmp/full.rows")" "$ran $ran $ran" "rounds run = rounds, results and distinct times in the history"
	[ "$ran" -ge 5 ] && ok || ko "too few rounds to mean anything: $ran"
	grep -q 'could not be written\|dropped unwritten' "$tmp/full.err" &&
		ko "a round was lost: $(grep 'could not be written\|dropped' "$tmp/full.err")" || ok
	grep -qi 'sanitizer\|runtime error' "$tmp/full.err" && ko "sanitizer report: $(grep -i -m3 'sanitizer\|runtime error' "$tmp/full.err")" || ok
	kill "$ns_pid" 2>/dev/null
	wait "$ns_pid" 2>/dev/null
	ns_pid=""
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
