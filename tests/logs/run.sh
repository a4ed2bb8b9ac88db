#!/bin/bash
# tests/logs/run.sh - `mxdoc logs` on a real Postfix log made here and now.
#
#   tests/logs/run.sh [--reuse LABDIR] [--save FILE]
#   (MXDOC=path/to/mxdoc, default build/mxdoc; as root)
#
# Starts the integration lab (scripts/lab/lab.sh start, its own DIR) and a
# second Postfix of its own: a sending MTA with no listener, whose
# transport_maps route each lab domain to one misbehaving lab peer by IP
# address (no DNS). Injects one message per recipient with sendmail,
# waits (bounded) until every recipient has its first status line in the
# log, stops both, and checks that `mxdoc logs --json` recovers, per
# destination, the injected cause and the exact counts. --reuse uses a
# lab that already runs (started from LABDIR) and leaves it running;
# --save copies the log (bench/logs replicates it). Only one lab can run
# at a time: when another holds the addresses, start is retried for up to
# LAB_WAIT seconds (300). Ends with "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
MXDOC=${MXDOC:-$top/build/mxdoc}
case $MXDOC in /*) ;; *) MXDOC=$top/$MXDOC ;; esac
LAB_WAIT=${LAB_WAIT:-300}
reuse="" save=""
while [ $# -gt 0 ]; do
	case $1 in
	--reuse) reuse=$2; shift 2 ;;
	--save) save=$2; shift 2 ;;
	*) echo "usage: $0 [--reuse LABDIR] [--save FILE]" >&2; exit 2 ;;
	esac
done
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
finish() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

[ "$(id -u)" -eq 0 ] || { echo "skip: must run as root (lab on port 25, Postfix)"; bad "not root"; finish; }
for t in postfix postconf sendmail python3; do
	command -v $t >/dev/null || { bad "missing $t"; finish; }
done
[ -x "$MXDOC" ] || { bad "no mxdoc at $MXDOC"; finish; }

tmp=$(mktemp -d /tmp/mxdoc-logs.XXXXXX)
# Postfix runs as user postfix: its queue under here must be reachable
chmod 755 "$tmp"
PF=$tmp/sender
LAB=${reuse:-$tmp/lab}
lab_started=0 pf_started=0
cleanup() {
	if [ $pf_started -eq 1 ]; then
		postfix -c "$PF" stop >/dev/null 2>&1
		for _ in $(seq 1 50); do
			postfix -c "$PF" status >/dev/null 2>&1 || break
			sleep 0.1
		done
		postfix -c "$PF" status >/dev/null 2>&1 && postfix -c "$PF" abort >/dev/null 2>&1
	fi
	[ $lab_started -eq 1 ] && LAB_QUIET=1 "$top/scripts/lab/lab.sh" stop "$LAB" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the lab ---------------------------------------------------------------
if [ -z "$reuse" ]; then
	waited=0
	while :; do
		out=$(LAB_QUIET=1 "$top/scripts/lab/lab.sh" start "$LAB" 2>&1) && { lab_started=1; break; }
		lab_started=1	# stop what a half start left
		LAB_QUIET=1 "$top/scripts/lab/lab.sh" stop "$LAB" >/dev/null 2>&1
		lab_started=0
		case $out in *"is taken"*) ;; *) echo "$out" | tail -3; bad "lab start"; finish ;; esac
		[ $waited -ge "$LAB_WAIT" ] && { bad "another lab held the addresses for ${LAB_WAIT}s"; finish; }
		echo "# another lab runs; waiting ($waited s)"
		sleep 10
		waited=$((waited + 10))
	done
fi
[ -f "$LAB/env" ] || { bad "no lab env in $LAB"; finish; }

# --- the sending Postfix --------------------------------------------------
mkdir -p "$PF/spool" "$PF/data"
chown postfix "$PF/data"
touch "$PF/maillog"
cat >"$PF/transport" <<'T'
good.test	smtp:[127.0.10.1]
refused.test	smtp:[127.0.10.2]
busy.test	smtp:[127.0.10.50]
reset.test	smtp:[127.0.10.52]
tlsold.test	smtptls:[127.0.10.61]
sender.test	discard:bounces stay here
T
cat >"$PF/main.cf" <<C
compatibility_level = 3.6
mail_owner = postfix
setgid_group = postdrop
queue_directory = $PF/spool
data_directory = $PF/data
meta_directory = /etc/postfix
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
myhostname = out.sender.test
mydomain = sender.test
myorigin = sender.test
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
alias_maps =
alias_database =
biff = no
relayhost =
transport_maps = texthash:$PF/transport
default_transport = error:not a lab domain
smtp_host_lookup = native
smtp_connect_timeout = 3s
smtp_helo_timeout = 3s
smtp_starttls_timeout = 3s
smtp_tls_security_level = may
smtp_tls_loglevel = 1
smtp_bind_address = 127.0.0.1
# one attempt each: nothing is retried while the test runs
minimal_backoff_time = 1h
maximal_backoff_time = 2h
queue_run_delay = 1h
C
cat >"$PF/master.cf" <<'M'
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
smtptls   unix  -       -       n       -       -       smtp
  -o smtp_tls_security_level=encrypt
  -o smtp_tls_mandatory_protocols=>=TLSv1.2
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
M
postfix -c "$PF" check >"$tmp/check.log" 2>&1 || { cat "$tmp/check.log"; bad "postfix check"; finish; }
timeout 30 postfix -c "$PF" start >"$tmp/start.log" 2>&1 || { cat "$tmp/start.log"; bad "sending postfix start"; finish; }
pf_started=1

# recipient  expected-status  (one message each)
cat >"$tmp/plan" <<'P'
user@good.test sent
user@good.test sent
user@good.test sent
greylist@good.test deferred
greylist@good.test deferred
blocked@good.test bounced
a@refused.test deferred
b@refused.test deferred
c@refused.test deferred
d@refused.test deferred
a@busy.test deferred
b@busy.test deferred
a@reset.test deferred
b@reset.test deferred
a@tlsold.test deferred
b@tlsold.test deferred
P
n=0
while read -r rcpt _; do
	n=$((n + 1))
	printf 'From: sender@sender.test\nTo: %s\nSubject: logs test %d\nMessage-ID: <logs-test-%d@sender.test>\n\nbody %d\n' \
	    "$rcpt" $n $n $n | timeout 10 sendmail -C "$PF" -f sender@sender.test "$rcpt" ||
	    bad "sendmail to $rcpt"
done <"$tmp/plan"

# every recipient's first status line (bounded: the slowest peer times out
# in about 3 s per phase)
for _ in $(seq 1 120); do
	got=$(grep -c ' status=\(sent\|deferred\|bounced\)' "$PF/maillog" 2>/dev/null)
	sent_to_sender=$(grep ' status=' "$PF/maillog" | grep -c 'sender.test')
	[ $((got - sent_to_sender)) -ge "$n" ] && break
	sleep 0.5
done
sleep 1
postfix -c "$PF" stop >/dev/null 2>&1
for _ in $(seq 1 50); do postfix -c "$PF" status >/dev/null 2>&1 || break; sleep 0.1; done
pf_started=0
[ -n "$save" ] && cp "$PF/maillog" "$save"

"$MXDOC" logs --json --tz UTC "$PF/maillog" >"$tmp/out.json"
rc=$?
[ $rc -eq 1 ] && ok "exit status 1 (failures found)" || bad "exit status $rc, want 1"

# domain messages delivered deferred bounced cause=count[,cause=count]
cat >"$tmp/want" <<'W'
good.test 6 3 2 1 smtp.greylisted=2,smtp.blocklisted=1
refused.test 4 0 4 0 net.refused=4
busy.test 2 0 2 0 smtp.server_busy=2
reset.test 2 0 2 0 net.reset|smtp.connection_dropped|net.closed=2
tlsold.test 2 0 2 0 tls.handshake_failed=2
W
python3 - "$tmp/out.json" "$tmp/want" >"$tmp/check.out" 2>&1 <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
dests = {d["domain"]: d for d in doc["destinations"]}
for line in open(sys.argv[2]):
    dom, msgs, dl, de, bo, causes = line.split()
    d = dests.get(dom)
    if d is None:
        print("FAIL %s: not in the report" % dom)
        continue
    got = (d["messages"], d["delivered"], d["deferred"], d["bounced"])
    want = (int(msgs), int(dl), int(de), int(bo))
    if got != want:
        print("FAIL %s: messages/delivered/deferred/bounced %s, want %s" % (dom, got, want))
    else:
        print("ok   %s: %d messages, %d delivered, %d deferred, %d bounced" % ((dom,) + want))
    for c in causes.split(","):
        ids, n = c.split("=")
        have = {k: v for k, v in d["causes"].items() if k in ids.split("|")}
        if sum(have.values()) != int(n) or len(have) != 1:
            print("FAIL %s: cause %s x%s, got %s" % (dom, ids, n, d["causes"]))
        else:
            print("ok   %s: %s x%s" % (dom, list(have)[0], n))
    if d["deferred"] + d["bounced"] > 0 and not d["samples"]:
        print("FAIL %s: no samples" % dom)
t = doc["totals"]
if t["unparsed"] != 0:
    print("FAIL %d unparsed lines" % t["unparsed"])
else:
    print("ok   no unparsed line among %d" % t["lines"])
PY
cat "$tmp/check.out"
pass=$((pass + $(grep -c '^ok ' "$tmp/check.out")))
fail=$((fail + $(grep -c '^FAIL' "$tmp/check.out")))
grep -q '^ok \|^FAIL' "$tmp/check.out" || bad "the JSON could not be checked"
finish
