#!/bin/sh
# tests/auth/run.sh - `mxdoc auth` against unbound and an HTTPS policy host
# on loopback.
#
# Starts unbound on 127.0.0.1 at a free port with the zones of zones.conf
# (a good domain, DMARC p=none, bad DMARC tags, a subdomain falling back
# to its organizational domain's DMARC record, external report
# destinations with and without authorization, SPF over the lookup
# budget, +all, MTA-STS enforce with an MX its policy misses, broken MX
# hosts, a null MX, a policy host whose certificate does not match), and
# httpsd.py serving the MTA-STS policies with a certificate from a
# throwaway CA made here. Asserts the findings of mxdoc's JSON with jq.
# Usage: tests/auth/run.sh [path/to/mxdoc]    (needs unbound, openssl, jq)
# Prints "N passed, N failed"; exits 1 on a failure, 77 when skipped.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
MXDOC=${1:-${MXDOC:-$root/build/mxdoc}}
UNBOUND=${UNBOUND:-$(command -v unbound || echo /usr/sbin/unbound)}
pass=0
fail=0

for t in openssl jq python3 dig; do
	if ! command -v $t >/dev/null 2>&1; then
		echo "auth: $t missing (scripts/deps.sh installs it): skipped"
		echo "0 passed, 0 failed"
		exit 77
	fi
done
if [ ! -x "$UNBOUND" ]; then
	echo "auth: unbound missing: skipped"
	echo "0 passed, 0 failed"
	exit 77
fi
if [ ! -x "$MXDOC" ]; then
	echo "auth: no mxdoc at $MXDOC"
	exit 2
fi

tmp=$(mktemp -d /tmp/mxdoc-auth.XXXXXX)
ub_pid=""
https_pid=""
cleanup() {
	[ -n "$ub_pid" ] && kill "$ub_pid" 2>/dev/null
	[ -n "$https_pid" ] && kill "$https_pid" 2>/dev/null
	wait 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

free_port() {
	python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# --- A throwaway CA and the policy host's certificate -----------------------
(
	cd "$tmp" || exit 1
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem \
		-days 2 -subj "/CN=mxdoc test CA" >/dev/null 2>&1 &&
	openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr \
		-subj "/CN=mta-sts.good.test" >/dev/null 2>&1 &&
	printf 'subjectAltName=DNS:mta-sts.good.test,DNS:mta-sts.sts.test\n' >ext.cnf &&
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
		-out srv.pem -days 2 -extfile ext.cnf >/dev/null 2>&1
) || { echo "auth: openssl could not make the certificates"; echo "0 passed, 1 failed"; exit 1; }

mkdir -p "$tmp/policy"
printf 'version: STSv1\r\nmode: enforce\r\nmx: mx1.good.test\r\nmx: *.good.test\r\nmax_age: 604800\r\n' \
	>"$tmp/policy/mta-sts.good.test"
printf 'version: STSv1\nmode: enforce\nmx: mx1.sts.test\nmax_age: 86400\n' \
	>"$tmp/policy/mta-sts.sts.test"

python3 "$here/httpsd.py" "$tmp/srv.pem" "$tmp/srv.key" "$tmp/policy" 300 \
	>"$tmp/https.port" 2>"$tmp/https.log" &
https_pid=$!
i=0
while [ ! -s "$tmp/https.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
hport=$(cat "$tmp/https.port" 2>/dev/null)
if [ -z "$hport" ]; then
	echo "auth: the HTTPS server did not start:"
	cat "$tmp/https.log"
	echo "0 passed, 1 failed"
	exit 1
fi

# --- unbound ----------------------------------------------------------------
port=""
tries=0
while [ -z "$port" ] && [ $tries -lt 5 ]; do
	tries=$((tries + 1))
	p=$(free_port)
	{
		cat <<CONF
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
	module-config: "iterator"
	do-not-query-localhost: no
CONF
		sed -e '/^#/d' -e 's/^/	/' "$here/zones.conf"
		printf 'remote-control:\n\tcontrol-enable: no\n'
	} >"$tmp/unbound.conf"
	timeout -s TERM 300 "$UNBOUND" -d -c "$tmp/unbound.conf" >"$tmp/unbound.log" 2>&1 &
	ub_pid=$!
	i=0
	while [ $i -lt 50 ]; do
		if dig +time=1 +tries=1 -p "$p" @127.0.0.1 good.test TXT 2>/dev/null |
		    grep -q 'v=spf1'; then
			port=$p
			break
		fi
		kill -0 "$ub_pid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	if [ -z "$port" ]; then
		kill "$ub_pid" 2>/dev/null
		wait "$ub_pid" 2>/dev/null
		ub_pid=""
	fi
done
if [ -z "$port" ]; then
	echo "auth: unbound did not start:"
	cat "$tmp/unbound.log"
	echo "0 passed, 1 failed"
	exit 1
fi

# --- Scenarios --------------------------------------------------------------
audit() {
	timeout 60 "$MXDOC" auth --resolver "127.0.0.1@$port" --timeout 2 \
		--ca-file "$tmp/ca.pem" --https-port "$hport" --json "$1" \
		>"$tmp/$1.json" 2>"$tmp/$1.err"
	echo $? >"$tmp/$1.rc"
}

# expect DOMAIN DESCRIPTION JQ-FILTER: the filter is true of DOMAIN's JSON.
expect() {
	if jq -e "$3" "$tmp/$1.json" >/dev/null 2>&1; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $1: $2"
		echo "  filter: $3"
	fi
}
# has DOMAIN CHECK SEVERITY [SUMMARY-REGEX]
has() {
	expect "$1" "$2 $3 ${4:-}" "[.findings[] | select(.check == \"$2\" and .severity == \"$3\" and (.summary | test(\"${4:-.}\")))] | length > 0"
}
# hasnt DOMAIN CHECK: no warning or error of that check.
hasnt() {
	expect "$1" "no problem $2" "[.findings[] | select(.check == \"$2\" and (.severity == \"error\" or .severity == \"warning\"))] | length == 0"
}
rc() {
	if [ "$(cat "$tmp/$1.rc")" = "$2" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $1: exit $(cat "$tmp/$1.rc"), want $2"
		cat "$tmp/$1.err"
	fi
}

for d in good.test pnone.test badtags.test sub.org.test ext.test budget.test \
    plusall.test sts.test mxbad.test nullmx.test nocert.test; do
	audit "$d"
done

# good.test: nothing wrong.
rc good.test 0
expect good.test "verdict ok" '.verdict.severity == "ok" and .verdict.cause == "ok"'
expect good.test "no warnings" '.errors == 0 and .warnings == 0'
has good.test spf.lookups ok "needs 1 of 10"
expect good.test "include tree" '.spf.tree | length == 2 and .[1].domain == "_spf.good.test" and .[1].via == "include"'
has good.test dmarc.policy ok "reject"
expect good.test "dmarc parsed" '.dmarc.p == "reject" and .dmarc.adkim == "s" and .dmarc.found_at == "good.test"'
has good.test mta_sts.mode ok "enforce"
has good.test mta_sts.mx ok
expect good.test "policy fetched" '.mta_sts.http_status == 200 and .mta_sts.policy.mode == "enforce" and (.mta_sts.policy.mx | length) == 2 and .mta_sts.id == "20240101"'
has good.test tls_rpt.record ok
has good.test mx.hosts ok "2 MX hosts"
expect good.test "schema keys" 'has("verdict") and has("findings") and has("spf") and has("dmarc") and has("mta_sts") and has("tls_rpt") and has("mx") and (.findings | all(has("cause") and has("severity") and has("summary") and has("evidence") and has("remedy") and has("section") and has("check")))'

# pnone.test: monitoring only.
rc pnone.test 1
has pnone.test dmarc.policy warning "monitoring only"
has pnone.test mta_sts.none info
has pnone.test tls_rpt.none info

# badtags.test
has badtags.test dmarc.tag error "p=block"
has badtags.test dmarc.tag error "pct=150"
has badtags.test dmarc.tag error "adkim=x"
has badtags.test dmarc.tag error "fo=2"
has badtags.test dmarc.tag error "http//x"
expect badtags.test "record not valid" '.dmarc.valid == false'
has badtags.test mx.none info

# sub.org.test: org-domain fallback, sp= applies.
has sub.org.test dmarc.org_fallback info "_dmarc.org.test"
has sub.org.test dmarc.policy ok "reject"
expect sub.org.test "found at org" '.dmarc.found_at == "org.test" and .dmarc.fallback == true and .dmarc.organizational_domain == "org.test"'

# ext.test: one destination authorized, one not.
has ext.test dmarc.report_auth warning "other.test"
has ext.test dmarc.report_auth ok "auth.test"
expect ext.test "authorization names" '[.dmarc.report_authorization[] | select(.destination == "other.test" and .authorized == false and .name == "ext.test._report._dmarc.other.test")] | length == 1'
expect ext.test "size limit" '.dmarc.rua[1].max_size == 10485760'

# budget.test: 13 lookups, a ptr, ?all in an include.
rc budget.test 1
has budget.test spf.lookups error "needs 13 DNS lookups"
expect budget.test "lookups counted" '.spf.lookups == 13 and (.spf.tree | length) == 5 and .spf.result != "permerror"'
has budget.test spf.ptr warning
expect budget.test "verdict error" '.verdict.severity == "error"'

# plusall.test
has plusall.test spf.all error "\\\\+all"
expect plusall.test "verdict error" '.verdict.severity == "error" and .verdict.cause == "smtp.unauthenticated"'

# sts.test: backup.other.test is not in the enforce policy.
has sts.test mta_sts.mx error "backup.other.test"
hasnt sts.test mta_sts.fetch
expect sts.test "mx1 covered" '[.findings[] | select(.check == "mta_sts.mx" and (.summary | test("mx1.sts.test")))] | length == 0'

# mxbad.test
has mxbad.test mx.cname warning "alias.mxbad.test"
has mxbad.test mx.no_address error "gone.mxbad.test"
has mxbad.test mx.ip_literal error "192.0.2.60"
has mxbad.test dmarc.none error

# nullmx.test
has nullmx.test mx.null warning
has nullmx.test spf.none error

# nocert.test: the policy host's certificate names other hosts.
has nocert.test mta_sts.fetch error
expect nocert.test "certificate cause" '[.findings[] | select(.check == "mta_sts.fetch" and .cause == "tls.certificate")] | length == 1'

# Text output and usage.
if "$MXDOC" auth --resolver "127.0.0.1@$port" --timeout 2 --ca-file "$tmp/ca.pem" \
    --https-port "$hport" --color=never budget.test 2>&1 | grep -q 'ERROR.*DNS lookups'; then
	pass=$((pass + 1))
else
	fail=$((fail + 1)); echo "FAIL: text report of budget.test"
fi
"$MXDOC" auth >/dev/null 2>&1
if [ $? -eq 2 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: no DOMAIN is exit 2"; fi
"$MXDOC" auth 'not a domain' >/dev/null 2>&1
if [ $? -eq 2 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: a bad DOMAIN is exit 2"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
