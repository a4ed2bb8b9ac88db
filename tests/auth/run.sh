#!/bin/sh
# tests/auth/run.sh - `mxdoc auth` against unbound and an HTTPS policy host
# on loopback.
#
# Starts unbound on 127.0.0.1 at a free port with the zones of zones.conf
# (a good domain, DMARC p=none, bad DMARC tags, a subdomain falling back
# to its organizational domain's DMARC record, external report
# destinations with and without authorization, SPF over the lookup
# budget, +all, MTA-STS enforce with an MX its policy misses, broken MX
# hosts, a null MX, a policy host whose certificate does not match, DKIM
# keys good, short, revoked, in testing, broken and at an unusual
# selector), httpsd.py serving the MTA-STS policies with a certificate
# from a throwaway CA made here, and smtpd.py, a STARTTLS MX whose chain
# (leaf and CA) the DANE scenarios publish matching and non-matching TLSA
# records for (added to unbound's local data here, as they hash the
# certificates made here). Asserts the findings of mxdoc's JSON with jq,
# validates every document against doc/auth.schema.json (when python3 has
# jsonschema), and audits a --file list as JSON Lines.
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
smtp_pid=""
cleanup() {
	[ -n "$ub_pid" ] && kill "$ub_pid" 2>/dev/null
	[ -n "$https_pid" ] && kill "$https_pid" 2>/dev/null
	[ -n "$smtp_pid" ] && kill "$smtp_pid" 2>/dev/null
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
		-out srv.pem -days 2 -extfile ext.cnf >/dev/null 2>&1 &&
	openssl req -newkey rsa:2048 -nodes -keyout mx.key -out mx.csr \
		-subj "/CN=mx.dane.test" >/dev/null 2>&1 &&
	printf 'subjectAltName=DNS:mx.dane.test\n' >mxext.cnf &&
	openssl x509 -req -in mx.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
		-out mx.pem -days 2 -extfile mxext.cnf >/dev/null 2>&1 &&
	cat mx.pem ca.pem >mxchain.pem
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

# --- The MX for DANE: STARTTLS with the leaf and the CA ---------------------
python3 "$here/smtpd.py" "$tmp/mxchain.pem" "$tmp/mx.key" 300 \
	>"$tmp/smtp.port" 2>"$tmp/smtp.log" &
smtp_pid=$!
i=0
while [ ! -s "$tmp/smtp.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
sport=$(cat "$tmp/smtp.port" 2>/dev/null)
if [ -z "$sport" ]; then
	echo "auth: the SMTP server did not start:"
	cat "$tmp/smtp.log"
	echo "0 passed, 1 failed"
	exit 1
fi
hexof() { od -An -v -tx1 | tr -d ' \n'; }
leaf_spki=$(openssl x509 -in "$tmp/mx.pem" -pubkey -noout |
	openssl pkey -pubin -outform DER | openssl dgst -sha256 -binary | hexof)
ca_cert512=$(openssl x509 -in "$tmp/ca.pem" -outform DER |
	openssl dgst -sha512 -binary | hexof)
other=$(printf 'not this certificate' | openssl dgst -sha256 -binary | hexof)
# dane.test: 3 1 1 of the leaf; danebad.test: a digest of something else;
# daneta.test: 2 0 2 of the CA and a PKIX-EE record.
{
	for d in dane danebad daneta; do
		printf "local-data: '%s.test. TXT \"v=spf1 -all\"'\n" $d
		printf "local-data: '_dmarc.%s.test. TXT \"v=DMARC1; p=reject; rua=mailto:d@%s.test\"'\n" $d $d
		printf "local-data: '%s.test. MX 10 mx.%s.test.'\n" $d $d
		printf "local-data: 'mx.%s.test. A 127.0.0.1'\n" $d
		printf "local-data: 'google._domainkey.%s.test. TXT \"v=DKIM1; k=ed25519; p=2GrQqBnkpuGYoUIm7LpspAnuOumMK3jQPK1KurUIPDM=\"'\n" $d
	done
	printf "local-data: '_25._tcp.mx.dane.test. TLSA 3 1 1 %s'\n" "$leaf_spki"
	printf "local-data: '_25._tcp.mx.danebad.test. TLSA 3 1 1 %s'\n" "$other"
	printf "local-data: '_25._tcp.mx.daneta.test. TLSA 2 0 2 %s'\n" "$ca_cert512"
	printf "local-data: '_25._tcp.mx.daneta.test. TLSA 1 1 1 %s'\n" "$leaf_spki"
	# cnins.test: its MX is an alias of mx.dane.test in an unsigned zone:
	# only the alias name's (non-matching) record counts, never the
	# target's (RFC 7672 2.2.2 wants a secure chain).
	printf "local-data: 'cnins.test. TXT \"v=spf1 -all\"'\n"
	printf "local-data: 'cnins.test. MX 10 mx.cnins.test.'\n"
	printf "local-data: 'mx.cnins.test. CNAME mx.dane.test.'\n"
	printf "local-data: '_25._tcp.mx.cnins.test. TLSA 3 1 1 %s'\n" "$other"
} >"$tmp/dane.conf"

# dsec.test: a DNSSEC-signed zone (served as an auth-zone) with the 3 1 1
# record; bog.dsec.test's TLSA is changed after signing (bogus);
# cname.dsec.test and cname2.dsec.test have MX aliases (RFC 7672 2.2.2).
# Skipped without bind9-utils.
signed=""
: >"$tmp/auth-zone.conf"
if command -v dnssec-keygen >/dev/null 2>&1 && command -v dnssec-signzone >/dev/null 2>&1 &&
    command -v dnssec-dsfromkey >/dev/null 2>&1; then
	mkdir -p "$tmp/dnssec"
	{
		printf '$TTL 300\ndsec.test. 3600 IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60\n'
		printf 'dsec.test. 3600 IN NS ns.test.\n'
		for n in dsec.test bog.dsec.test; do
			printf '%s. 300 IN TXT "v=spf1 -all"\n' $n
			printf '_dmarc.%s. 300 IN TXT "v=DMARC1; p=reject; rua=mailto:d@dsec.test"\n' $n
			printf 'google._domainkey.%s. 300 IN TXT "v=DKIM1; k=ed25519; p=2GrQqBnkpuGYoUIm7LpspAnuOumMK3jQPK1KurUIPDM="\n' $n
			printf '%s. 300 IN MX 10 mx.%s.\n' $n $n
			printf 'mx.%s. 300 IN A 127.0.0.1\n' $n
			printf '_25._tcp.mx.%s. 300 IN TLSA 3 1 1 %s\n' $n "$leaf_spki"
		done
		# RFC 7672 2.2.2: the MX of cname.dsec.test is an alias; the
		# record at its target's name matches, the one at the alias
		# does not (the target's comes first). cname2.dsec.test's
		# target has none: the alias name's record (matching) applies.
		for n in cname.dsec.test cname2.dsec.test; do
			printf '%s. 300 IN TXT "v=spf1 -all"\n' $n
			printf '_dmarc.%s. 300 IN TXT "v=DMARC1; p=reject; rua=mailto:d@dsec.test"\n' $n
			printf 'google._domainkey.%s. 300 IN TXT "v=DKIM1; k=ed25519; p=2GrQqBnkpuGYoUIm7LpspAnuOumMK3jQPK1KurUIPDM="\n' $n
			printf '%s. 300 IN MX 10 mx.%s.\n' $n $n
			printf 'mx.%s. 300 IN CNAME real.%s.\n' $n $n
			printf 'real.%s. 300 IN A 127.0.0.1\n' $n
		done
		printf '_25._tcp.real.cname.dsec.test. 300 IN TLSA 3 1 1 %s\n' "$leaf_spki"
		printf '_25._tcp.mx.cname.dsec.test. 300 IN TLSA 3 1 1 %s\n' "$other"
		printf '_25._tcp.mx.cname2.dsec.test. 300 IN TLSA 3 1 1 %s\n' "$leaf_spki"
	} >"$tmp/dnssec/dsec.test.zone"
	if key=$(cd "$tmp/dnssec" && dnssec-keygen -q -K . -a ECDSAP256SHA256 -f KSK -n ZONE dsec.test 2>>"$tmp/dnssec.log") &&
	    (cd "$tmp/dnssec" && dnssec-signzone -q -K . -S -z -O full -o dsec.test \
		-f dsec.test.signed dsec.test.zone >/dev/null 2>>"$tmp/dnssec.log") &&
	    dnssec-dsfromkey -2 "$tmp/dnssec/$key.key" >"$tmp/trust-anchor.ds" 2>>"$tmp/dnssec.log"; then
		# The TLSA data of bog.dsec.test, changed under its signature.
		sed -i "s/^\(_25\._tcp\.mx\.bog\.dsec\.test\..*TLSA[[:space:]]*3 1 1 \)[0-9A-Fa-f]/\1$( [ "$(printf %.1s "$leaf_spki")" = 0 ] && echo 1 || echo 0)/" \
			"$tmp/dnssec/dsec.test.signed"
		if ! cmp -s "$tmp/dnssec/dsec.test.signed" /dev/null &&
		    grep -q "^_25\._tcp\.mx\.bog\.dsec\.test\." "$tmp/dnssec/dsec.test.signed"; then
			signed=1
			printf "local-zone: \"dsec.test.\" transparent\n" >>"$tmp/dane.conf"
			cat >"$tmp/auth-zone.conf" <<AZ
auth-zone:
	name: "dsec.test."
	zonefile: "$tmp/dnssec/dsec.test.signed"
	for-downstream: yes
	for-upstream: no
	fallback-enabled: no
AZ
		fi
	fi
	[ -n "$signed" ] || echo "auth: could not sign dsec.test (see below): DNSSEC scenarios skipped"
	[ -n "$signed" ] || cat "$tmp/dnssec.log"
else
	echo "auth: bind9-utils missing: DNSSEC scenarios skipped"
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
		sed -e '/^#/d' -e 's/^/	/' "$here/zones.conf" "$tmp/dane.conf"
		cat "$tmp/auth-zone.conf"
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
# audit DOMAIN [OPTIONS...]: the JSON in $tmp/DOMAIN.json.
audit() {
	d=$1
	shift
	auditas "$d" "$d" "$@"
}
# auditas NAME DOMAIN [OPTIONS...]: the JSON in $tmp/NAME.json.
auditas() {
	n=$1
	d=$2
	shift 2
	timeout 60 "$MXDOC" auth --resolver "127.0.0.1@$port" --timeout 2 \
		--ca-file "$tmp/ca.pem" --https-port "$hport" --smtp-port "$sport" \
		--json "$@" "$d" >"$tmp/$n.json" 2>"$tmp/$n.err"
	echo $? >"$tmp/$n.rc"
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
    plusall.test sts.test mxbad.test nullmx.test nocert.test dkim.test sel.test \
    dane.test danebad.test daneta.test; do
	audit "$d"
done
auditas sel-given sel.test --selector x2024
auditas sel-only sel.test --selector x2024 --selector nothere --selectors-only

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
expect plusall.test "verdict error" '.verdict.severity == "error" and .verdict.cause == "auth.spf"'

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
expect nocert.test "certificate cause" '[.findings[] | select(.check == "mta_sts.fetch" and .cause == "auth.mta_sts")] | length == 1'
expect nocert.test "certificate remedy first" '[.findings[] | select(.check == "mta_sts.fetch") | .remedy[0] | test("certificate valid for mta-sts[.]nocert[.]test")] == [true]'

# DKIM: good.test has a 2048-bit RSA key and an Ed25519 one.
has good.test dkim.key ok "google: RSA 2048-bit"
has good.test dkim.key ok "pm: Ed25519"
expect good.test "dkim keys" '[.dkim.keys[] | .selector] == ["google", "pm"] and .dkim.selectors_tried >= 40'
has dkim.test dkim.key_size warning "selector1: RSA 1024-bit"
has dkim.test dkim.key_size error "k1: RSA 512-bit"
has dkim.test dkim.revoked warning "s1 is revoked"
has dkim.test dkim.testing warning "s2 has t=y"
has dkim.test dkim.key ok "s2: RSA 2048-bit"
has dkim.test dkim.syntax error "k=dsa|key type"
expect dkim.test "revoked in JSON" '[.dkim.keys[] | select(.selector == "s1" and .revoked and .bits == null)] | length == 1'
hasnt dkim.test dkim.none
has pnone.test dkim.none warning "no DKIM key found among [0-9]+ selectors tried \\\\(a selector can only be known from a signed message: use --selector\\\\)"
expect pnone.test "never DKIM missing" '[.findings[] | select(.summary | test("DKIM missing"))] | length == 0'
has sel.test dkim.none warning
has sel-given dkim.key ok "x2024: RSA 2048-bit"
expect sel-given "given selector first" '.dkim.keys[0].selector == "x2024"'
expect sel-only "only the given selectors" '.dkim.selectors_tried == 2 and (.dkim.keys | length) == 1'

# DANE: the MX at 127.0.0.1 presents leaf + CA over STARTTLS.
has dane.test dane.match ok "matches TLSA 3 1 1"
has dane.test dane.dnssec info "not DNSSEC-validated"
expect dane.test "probe facts" '.dane.hosts[0].probe.tls == true and .dane.hosts[0].probe.chain_length == 2 and .dane.hosts[0].tlsa[0].match == "match" and .dane.hosts[0].tlsa[0].chain_depth == 0 and .dane.hosts[0].dnssec == "unchecked"'
rc dane.test 0
has danebad.test dane.match error "matches none of its 1 TLSA record: DANE senders will not deliver"
expect danebad.test "no match in JSON" '.dane.hosts[0].tlsa[0].match == "no_match" and .verdict.cause == "auth.dane"'
rc danebad.test 1
has daneta.test dane.match ok "DANE-TA, chain element 1"
has daneta.test dane.usage warning "PKIX-EE"
has good.test dane.none info
if [ -n "$signed" ]; then
	auditas dsec-secure dsec.test --trust-anchor "$tmp/trust-anchor.ds"
	auditas dsec-bogus bog.dsec.test --trust-anchor "$tmp/trust-anchor.ds"
	auditas dane-insecure dane.test --trust-anchor "$tmp/trust-anchor.ds"
	auditas dsec-unchecked dsec.test
	has dsec-secure dane.dnssec ok "DNSSEC secure"
	has dsec-secure dane.match ok "matches TLSA 3 1 1"
	expect dsec-secure "secure in JSON" '.dane.hosts[0].dnssec == "secure" and .errors == 0 and .warnings == 0'
	has dsec-bogus dane.dnssec error "bogus"
	expect dsec-bogus "bogus cause, no probe" '.verdict.cause == "dns.dnssec_bogus" and .dane.hosts[0].dnssec == "bogus" and .dane.hosts[0].probe == null'
	has dane-insecure dane.dnssec warning "unsigned zone"
	has dsec-unchecked dane.dnssec info "not DNSSEC-validated"
	auditas cname-secure cname.dsec.test --trust-anchor "$tmp/trust-anchor.ds"
	auditas cname-fallback cname2.dsec.test --trust-anchor "$tmp/trust-anchor.ds"
	has cname-secure dane.name info "alias of real[.]cname[.]dsec[.]test.*_25[.]_tcp[.]real[.]cname[.]dsec[.]test first"
	has cname-secure dane.dnssec ok "_25[.]_tcp[.]real[.]cname[.]dsec[.]test are DNSSEC secure"
	has cname-secure dane.match ok "matches TLSA 3 1 1"
	expect cname-secure "the target's record, not the alias's" "(.dane.hosts[0].tlsa | length) == 1 and .dane.hosts[0].tlsa[0].data == \"$leaf_spki\" and .dane.hosts[0].tlsa[0].match == \"match\""
	has cname-fallback dane.name info "no TLSA records: those at _25[.]_tcp[.]mx[.]cname2[.]dsec[.]test apply"
	has cname-fallback dane.match ok "matches TLSA 3 1 1"
	expect cname-fallback "the alias name's record" '.dane.hosts[0].dnssec == "secure" and (.dane.hosts[0].tlsa | length) == 1'
fi
auditas cname-insecure cnins.test
expect cname-insecure "insecure alias: the alias name's record only" "(.dane.hosts[0].tlsa | length) == 1 and .dane.hosts[0].tlsa[0].data == \"$other\" and ([.findings[] | select(.check == \"dane.name\")] | length) == 0"
has cname-insecure dane.match error "matches none"
expect good.test "no probe without TLSA" '[.dane.hosts[] | select(.probe != null)] | length == 0'

# libcurl is loaded only for the policy fetch: not linked, and a missing
# one is the fetch's error, said plainly, with the rest of the audit done.
if command -v ldd >/dev/null 2>&1; then
	if ldd "$MXDOC" 2>/dev/null | grep -q 'libcurl'; then
		fail=$((fail + 1)); echo "FAIL: mxdoc links libcurl (it is loaded on first use)"
	else
		pass=$((pass + 1))
	fi
fi
MXDOC_LIBCURL=/nonexistent/libcurl.so.4
export MXDOC_LIBCURL
auditas nocurl good.test
unset MXDOC_LIBCURL
expect nocurl "no libcurl: the fetch fails, said so" '.mta_sts.fetch_error | test("libcurl cannot be loaded .*install it")'
has nocurl mta_sts.fetch error
expect nocurl "no libcurl: the rest is audited" '.spf.lookups == 1 and .dmarc.p == "reject"'

# --file: JSON Lines, in the order of the list, comments and blanks skipped.
printf '# domains\ngood.test\n\ndkim.test   # short keys\ndane.test\nnot a domain\n' >"$tmp/list"
timeout 120 "$MXDOC" auth --resolver "127.0.0.1@$port" --timeout 2 \
	--ca-file "$tmp/ca.pem" --https-port "$hport" --smtp-port "$sport" \
	--json --jobs 2 --file "$tmp/list" >"$tmp/list.jsonl" 2>"$tmp/list.err"
echo $? >"$tmp/list.rc"
if [ "$(cat "$tmp/list.rc")" = 1 ] && [ "$(wc -l <"$tmp/list.jsonl")" -eq 3 ] &&
    [ "$(jq -r .domain "$tmp/list.jsonl" | tr '\n' ' ')" = "good.test dkim.test dane.test " ] &&
    grep -q "list:6: 'not a domain'" "$tmp/list.err"; then
	pass=$((pass + 1))
else
	fail=$((fail + 1)); echo "FAIL: --file gives 3 JSON lines in order, exit 1"
	cat "$tmp/list.err"
fi
i=0
while IFS= read -r line; do
	i=$((i + 1))
	printf '%s\n' "$line" >"$tmp/line$i.json"
done <"$tmp/list.jsonl"
expect line2 "line 2 is dkim.test's" '.domain == "dkim.test" and .errors > 0'

# --file at scale: 120 lines over eight domains, 64 at once: well past the
# window of 512 DNS questions, so questions wait their turn; every line
# must be the single audit's document (durations aside, arrays sorted:
# unbound rotates the order of records), in the list's order.
big="good.test pnone.test badtags.test ext.test budget.test sts.test nocert.test dkim.test"
i=0
: >"$tmp/big.list"
while [ $i -lt 15 ]; do
	for d in $big; do echo "$d"; done >>"$tmp/big.list"
	i=$((i + 1))
done
norm='del(.duration_ms) | walk(if type == "array" then sort_by(tostring) else . end)'
timeout 300 "$MXDOC" auth --resolver "127.0.0.1@$port" --timeout 5 \
	--ca-file "$tmp/ca.pem" --https-port "$hport" --smtp-port "$sport" \
	--json --jobs 64 --file "$tmp/big.list" >"$tmp/big.jsonl" 2>"$tmp/big.err"
echo $? >"$tmp/big.rc"
for d in $big; do
	jq -c -S "$norm" "$tmp/$d.json" >"$tmp/$d.norm"
done
ok=1
n=0
while IFS= read -r line; do
	n=$((n + 1))
	d=$(sed -n "${n}p" "$tmp/big.list")
	if [ "$(printf '%s\n' "$line" | jq -c -S "$norm")" != "$(cat "$tmp/$d.norm")" ]; then
		ok=0
		echo "FAIL: --file line $n ($d) differs from the single audit:"
		printf '%s\n' "$line" | jq -S "$norm" >"$tmp/big.line"
		jq -S "$norm" "$tmp/$d.json" | diff - "$tmp/big.line" | head -20
		jq -r .mta_sts.fetch_error "$tmp/big.line"
		break
	fi
done <"$tmp/big.jsonl"
if [ $ok = 1 ] && [ $n -eq 120 ] && [ "$(cat "$tmp/big.rc")" = 1 ]; then
	pass=$((pass + 1))
else
	fail=$((fail + 1)); echo "FAIL: --file of 120 lines, 64 at once: $n lines, exit $(cat "$tmp/big.rc")"
	head -5 "$tmp/big.err"
fi
# Text: the reports of the list, one after another, a blank line between.
printf 'budget.test\ndkim.test\n' >"$tmp/two.list"
"$MXDOC" auth --resolver "127.0.0.1@$port" --timeout 2 --color=never \
	--ca-file "$tmp/ca.pem" --https-port "$hport" --file "$tmp/two.list" >"$tmp/two.txt" 2>&1
{
	"$MXDOC" auth --resolver "127.0.0.1@$port" --timeout 2 --color=never \
		--ca-file "$tmp/ca.pem" --https-port "$hport" budget.test
	echo
	"$MXDOC" auth --resolver "127.0.0.1@$port" --timeout 2 --color=never \
		--ca-file "$tmp/ca.pem" --https-port "$hport" dkim.test
} >"$tmp/two.want" 2>&1
if cmp -s "$tmp/two.txt" "$tmp/two.want"; then
	pass=$((pass + 1))
else
	fail=$((fail + 1)); echo "FAIL: --file text is not the single reports, one after another"
	diff "$tmp/two.want" "$tmp/two.txt" | head -10
fi
# No libcurl: each policy fetch of a list says so.
printf 'good.test\nsts.test\n' >"$tmp/sts.list"
MXDOC_LIBCURL=/nonexistent/libcurl.so.4 timeout 60 "$MXDOC" auth \
	--resolver "127.0.0.1@$port" --timeout 2 --ca-file "$tmp/ca.pem" \
	--https-port "$hport" --json --file "$tmp/sts.list" >"$tmp/nocurl.jsonl" 2>&1
if [ "$(jq -r '.mta_sts.fetch_error | test("libcurl cannot be loaded")' "$tmp/nocurl.jsonl" 2>/dev/null | tr '\n' ' ')" = "true true " ]; then
	pass=$((pass + 1))
else
	fail=$((fail + 1)); echo "FAIL: --file without libcurl: each fetch says so"
	head -c 300 "$tmp/nocurl.jsonl"
fi

# Every document against doc/auth.schema.json.
if python3 -c 'import jsonschema' 2>/dev/null; then
	for f in "$tmp"/*.json; do
		if out=$(python3 "$root/scripts/check-json.py" "$root/doc/auth.schema.json" "$f" 2>&1); then
			pass=$((pass + 1))
		else
			fail=$((fail + 1)); echo "FAIL: $(basename "$f") does not conform to doc/auth.schema.json:"
			echo "$out"
		fi
	done
else
	echo "auth: python3-jsonschema missing: schema not checked"
fi

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

if "$MXDOC" auth --resolver "127.0.0.1@$port" --timeout 2 --smtp-port "$sport" \
    --color=never danebad.test 2>&1 | grep -q 'ERROR.*matches none'; then
	pass=$((pass + 1))
else
	fail=$((fail + 1)); echo "FAIL: text report of danebad.test"
fi
"$MXDOC" auth --selector 'bad sel' good.test >/dev/null 2>&1
if [ $? -eq 2 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: a bad selector is exit 2"; fi
"$MXDOC" auth --file "$tmp/list" good.test >/dev/null 2>&1
if [ $? -eq 2 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: --file and DOMAIN is exit 2"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
