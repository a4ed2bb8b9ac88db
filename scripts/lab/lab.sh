#!/bin/bash
# lab.sh - the mxdoc integration lab: real DNS, SMTP and TLS peers on loopback
# (127.0.10.0/24 and 127.0.0.1) that misbehave in controlled ways.
#
#   scripts/lab/lab.sh start  [DIR]   start every peer (idempotent), write DIR/env
#   scripts/lab/lab.sh stop   [DIR]   stop everything started from DIR
#   scripts/lab/lab.sh status [DIR]   list the peers and whether they run
#   scripts/lab/lab.sh netns-start [DIR] / netns-stop [DIR]
#                                     the network-namespace scenarios (netns.sh)
#
# DIR defaults to .lab/ at the top of the repository (git-ignored). Everything
# the lab writes (CA, certificates, configuration, spools, logs, pid files)
# lives under DIR. Must run as root: the peers listen on port 25 and Postfix
# is started as root with its own configuration directory.
# See scripts/lab/README.md for the address plan and the scenario table.
set -u

LAB_SRC=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$LAB_SRC/../.." && pwd)
PY=/usr/bin/python3
# No peer outlives this many seconds, even when nobody stops the lab.
LAB_MAX_LIFETIME=${LAB_MAX_LIFETIME:-7200}

die() { echo "lab: $*" >&2; exit 1; }
say() { [ -n "${LAB_QUIET:-}" ] || echo "lab: $*" >&2; }

need_root() {
	[ "$(id -u)" -eq 0 ] || die "must run as root (peers bind port 25 and Postfix starts as root); try: sudo $0 $*"
}

need_tools() {
	local t missing=""
	for t in unbound postfix smtp-sink openssl "$PY" ip dnssec-keygen dnssec-signzone dnssec-dsfromkey; do
		command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
	done
	"$PY" -c 'import aiosmtpd' 2>/dev/null || missing="$missing python3-aiosmtpd"
	[ -z "$missing" ] || die "missing:$missing (run scripts/deps.sh)"
}

# --- process bookkeeping -----------------------------------------------------
# DIR/run/NAME.pid holds "PID" on the first line and a word of the process's
# command line on the second, so that a recycled pid is never killed.

pid_alive() {	# NAME -> 0 when the recorded process still runs
	local f="$DIR/run/$1.pid" pid word
	[ -f "$f" ] || return 1
	pid=$(sed -n 1p "$f"); word=$(sed -n 2p "$f")
	[ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$word"
}

record() {	# NAME PID WORD
	printf '%s\n%s\n' "$2" "$3" >"$DIR/run/$1.pid"
}

running() {	# PID -> 0 while it runs (a zombie waiting for its reaper does not)
	[ -r "/proc/$1/stat" ] || return 1
	! sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | grep -q '^[ZX]'
}

# Stops the recorded processes NAME...: TERM to all, a bounded wait, KILL.
kill_recorded() {
	local n pids="" p i left
	for n in "$@"; do
		pid_alive "$n" && pids="$pids $(sed -n 1p "$DIR/run/$n.pid")"
	done
	for p in $pids; do kill -TERM "$p" 2>/dev/null; done
	for i in $(seq 1 40); do
		left=""
		for p in $pids; do running "$p" && left="$left $p"; done
		[ -z "$left" ] && break
		sleep 0.1
	done
	for p in $left; do kill -KILL "$p" 2>/dev/null; done
	for n in "$@"; do rm -f "$DIR/run/$n.pid"; done
}

# Starts a background peer: NAME WORD CMD... ; output to DIR/log/NAME.log.
spawn() {
	local name=$1 word=$2; shift 2
	if pid_alive "$name"; then
		return 0
	fi
	# setsid: the peer has its own session, so a test's Ctrl-C does not
	# reach it and lab.sh stop is the one way it ends.
	setsid "$@" </dev/null >>"$DIR/log/$name.log" 2>&1 &
	record "$name" $! "$word"
}

# Waits (bounded) until something listens on HOST:PORT. Looks at the socket
# table instead of connecting, so that no probe lands in the peers' logs.
wait_port() {	# HOST PORT NAME
	local i
	for i in $(seq 1 50); do
		ss -Hltn "src $1 and sport = :$2" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	say "warning: $3 does not listen on $1:$2 (see $DIR/log/)"
	return 1
}

free_port() {
	"$PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- certificates ------------------------------------------------------------

# Leaf certificates signed by the lab CA: NAME SAN... (first SAN is the CN).
leaf() {
	local name=$1; shift
	local sans="" s
	for s in "$@"; do sans="${sans:+$sans,}DNS:$s"; done
	openssl ecparam -name prime256v1 -genkey -noout -out "$CA/$name.key" 2>/dev/null
	openssl req -new -key "$CA/$name.key" -subj "/CN=$1" -out "$CA/$name.csr" 2>/dev/null
	printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$sans" >"$CA/$name.ext"
	openssl x509 -req -in "$CA/$name.csr" -CA "$CA/ca.pem" -CAkey "$CA/ca.key" \
		-CAcreateserial -days 30 -sha256 -extfile "$CA/$name.ext" -out "$CA/$name.pem" 2>/dev/null
	cat "$CA/$name.pem" "$CA/ca.pem" >"$CA/$name.chain.pem"
}

make_ca() {
	CA=$DIR/ca
	# DIR/ca/done holds a checksum of this function and leaf(): a lab
	# directory made before a certificate changed gets a new set. Peers
	# that run keep the certificates they loaded, so a running lab keeps
	# its set until it is restarted.
	local stamp
	stamp=$(declare -f make_ca leaf | cksum | cut -d' ' -f1)
	if [ -s "$CA/ca.pem" ] && [ -s "$CA/done" ]; then
		[ "$(cat "$CA/done")" = "$stamp" ] && return 0
		if pid_alive faultd; then
			say "warning: the lab certificates changed; 'lab.sh restart' issues the new set"
			return 0
		fi
	fi
	rm -rf "$CA"; mkdir -p "$CA/db"
	openssl ecparam -name prime256v1 -genkey -noout -out "$CA/ca.key" 2>/dev/null
	openssl req -x509 -new -key "$CA/ca.key" -subj "/O=mxdoc lab/CN=mxdoc lab CA" -days 30 \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" -out "$CA/ca.pem" 2>/dev/null ||
		die "openssl could not create the lab CA"

	# implicit.test (no MX: its own A is the MX) and mx.cname.test (an MX
	# host that is a CNAME) land on mx1.good.test, so its certificate names
	# them too: those scenarios test the DNS walk, not a name mismatch.
	# So does mx.sec.test, the MX host of the DNSSEC-signed sec.test.
	leaf good mx1.good.test good.test implicit.test mx.cname.test mx.sec.test
	leaf wrongname mx.elsewhere.test elsewhere.test
	leaf submit submit.test
	leaf tls10 tls10.test mx.tls10.test
	leaf faultd mx.faultd.test $(for n in busy silent reset close garbage drip longline manylines drop dropped tlsstall tlsold rcpt421 certreq; do printf "mx.%s.test " $n; done)
	leaf mode mode.test mx.mode.test

	# Expired: openssl ca takes explicit start and end dates.
	cat >"$CA/ca.cnf" <<EOF
[ ca ]
default_ca = lab
[ lab ]
database = $CA/db/index.txt
new_certs_dir = $CA/db
serial = $CA/db/serial
default_md = sha256
policy = anything
copy_extensions = copy
unique_subject = no
[ anything ]
commonName = supplied
EOF
	: >"$CA/db/index.txt"
	openssl rand -hex 8 >"$CA/db/serial"
	openssl ecparam -name prime256v1 -genkey -noout -out "$CA/expired.key" 2>/dev/null
	openssl req -new -key "$CA/expired.key" -subj "/CN=mx.expired.test" -out "$CA/expired.csr" 2>/dev/null
	printf 'subjectAltName=DNS:mx.expired.test,DNS:expired.test\nextendedKeyUsage=serverAuth\n' >"$CA/expired.ext"
	openssl ca -batch -config "$CA/ca.cnf" -cert "$CA/ca.pem" -keyfile "$CA/ca.key" \
		-in "$CA/expired.csr" -out "$CA/expired.pem" -notext \
		-startdate 20200101000000Z -enddate 20200201000000Z \
		-extfile "$CA/expired.ext" >/dev/null 2>&1 || die "openssl ca could not sign the expired certificate"
	cat "$CA/expired.pem" "$CA/ca.pem" >"$CA/expired.chain.pem"

	# Self-signed, right name, not from the lab CA.
	openssl ecparam -name prime256v1 -genkey -noout -out "$CA/selfsigned.key" 2>/dev/null
	openssl req -x509 -new -key "$CA/selfsigned.key" -subj "/CN=mx.selfsigned.test" -days 30 \
		-addext "subjectAltName=DNS:mx.selfsigned.test" -out "$CA/selfsigned.pem" 2>/dev/null
	cp "$CA/selfsigned.pem" "$CA/selfsigned.chain.pem"
	chmod 644 "$CA"/*.pem "$CA"/*.key
	echo "$stamp" >"$CA/done"
}

# --- DNS: unbound with static local zones ---------------------------------------

write_zone() {
	cat <<'EOF'
	local-zone: "test." static
	local-data: "test. 3600 IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60"
	local-data: "test. 3600 IN NS ns.test."
	local-data: "ns.test. 3600 IN A 127.0.0.1"

	# healthy Postfix
	local-data: "good.test. 300 IN MX 10 mx1.good.test."
	local-data: "mx1.good.test. 300 IN A 127.0.10.1"
	local-data: "implicit.test. 300 IN A 127.0.10.1"
	local-data: "backup.test. 300 IN MX 10 mx1.backup.test."
	local-data: "backup.test. 300 IN MX 20 mx1.good.test."
	local-data: "mx1.backup.test. 300 IN A 127.0.10.2"
	local-data: "refused.test. 300 IN MX 10 mx.refused.test."
	local-data: "mx.refused.test. 300 IN A 127.0.10.2"
	local-data: "cname.test. 300 IN MX 10 mx.cname.test."
	local-data: "mx.cname.test. 300 IN CNAME mx1.good.test."

	# DNS-only faults
	local-data: "nullmx.test. 300 IN MX 0 ."
	local-data: "nomail.test. 300 IN TXT \"v=spf1 -all\""
	local-data: "noaddr.test. 300 IN MX 10 mx.noaddr.test."
	local-data: "mx.noaddr.test. 300 IN TXT \"no address here\""
	local-data: "nxhost.test. 300 IN MX 10 mx.nxhost.test."
	local-zone: "servfail.test." refuse

	# Postfix, other listeners
	local-data: "expired.test. 300 IN MX 10 mx.expired.test."
	local-data: "mx.expired.test. 300 IN A 127.0.10.20"
	local-data: "wrongname.test. 300 IN MX 10 mx.wrongname.test."
	local-data: "mx.wrongname.test. 300 IN A 127.0.10.21"
	local-data: "notls.test. 300 IN MX 10 mx.notls.test."
	local-data: "mx.notls.test. 300 IN A 127.0.10.22"
	local-data: "selfsigned.test. 300 IN MX 10 mx.selfsigned.test."
	local-data: "mx.selfsigned.test. 300 IN A 127.0.10.23"
	local-data: "mode.test. 300 IN A 127.0.10.24"
	local-data: "mx.mode.test. 300 IN A 127.0.10.24"

	# submission (aiosmtpd) and implicit TLS (openssl s_server)
	local-data: "submit.test. 300 IN A 127.0.10.30"
	local-data: "tls10.test. 300 IN A 127.0.10.70"
	local-data: "mx.tls10.test. 300 IN A 127.0.10.70"
EOF
	# one domain per fault peer: NAME ADDRESS
	local n a
	while read -r n a; do
		[ -n "$n" ] || continue
		printf '\tlocal-data: "%s.test. 300 IN MX 10 mx.%s.test."\n' "$n" "$n"
		printf '\tlocal-data: "mx.%s.test. 300 IN A %s"\n' "$n" "$a"
	done <<'EOF'
hangup 127.0.10.40
sinkbusy 127.0.10.41
rcpttemp 127.0.10.42
bigmsg 127.0.10.43
oldsmtp 127.0.10.44
tarpit 127.0.10.45
rcptperm 127.0.10.46
busy 127.0.10.50
silent 127.0.10.51
reset 127.0.10.52
close 127.0.10.53
garbage 127.0.10.54
drip 127.0.10.55
longline 127.0.10.56
manylines 127.0.10.57
drop 127.0.10.58
dropped 127.0.10.59
tlsstall 127.0.10.60
tlsold 127.0.10.61
rcpt421 127.0.10.62
certreq 127.0.10.63
EOF
}

# --- DNSSEC: signed zones, served by the same unbound as auth-zones ----------------
# Made once per start of unbound, in DIR/dnssec/: one ECDSA P-256 key per
# zone (dnssec-keygen), the zone signed with NSEC (dnssec-signzone), and
# DIR/dnssec/trust-anchor.ds with the DS records of both keys (pass it to
# --trust-anchor; LAB_TRUST_ANCHOR in DIR/env).
#
#   sec.test.         signed, valid for 30 days: MX 10 mx.sec.test (127.0.10.1,
#                     the healthy Postfix) -> secure
#     tampered.sec.test  MX signed as "10 mx.sec.test", changed to 20 after
#                     signing: the RRSIG no longer matches -> bogus
#   sigexpired.test.  signed with signatures valid 2020-01-01 to 2020-02-01
#                     (every RRset, DNSKEY included, is expired) -> bogus
SIGNED_ZONES="sec.test sigexpired.test"

signed_zone_data() {	# ZONE -> the unsigned zone file
	printf '$TTL 300\n%s. 3600 IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60\n' "$1"
	printf '%s. 3600 IN NS ns.test.\n' "$1"
	case $1 in
	sec.test)
		cat <<'EOF'
sec.test. 300 IN MX 10 mx.sec.test.
mx.sec.test. 300 IN A 127.0.10.1
tampered.sec.test. 300 IN MX 10 mx.sec.test.
EOF
		;;
	sigexpired.test)
		cat <<'EOF'
sigexpired.test. 300 IN MX 10 mx.sigexpired.test.
mx.sigexpired.test. 300 IN A 127.0.10.1
EOF
		;;
	esac
}

make_signed_zones() {
	local z=$DIR/dnssec zone key when
	rm -rf "$z"; mkdir -p "$z"
	: >"$z/trust-anchor.ds"
	for zone in $SIGNED_ZONES; do
		signed_zone_data "$zone" >"$z/$zone.zone"
		# -P: no verification, which would refuse the expired signatures.
		when=""
		[ "$zone" = sigexpired.test ] && when="-P -s 20200101000000 -e 20200201000000"
		# In DIR/dnssec: dnssec-signzone writes its dsset- file in the
		# working directory.
		# shellcheck disable=SC2086
		key=$(cd "$z" && dnssec-keygen -q -K . -a ECDSAP256SHA256 -f KSK -n ZONE "$zone" 2>>"$DIR/log/dnssec.log") &&
			(cd "$z" && dnssec-signzone -q -K . -S -z -O full $when -o "$zone" \
				-f "$zone.signed" "$zone.zone" >/dev/null 2>>"$DIR/log/dnssec.log") &&
			dnssec-dsfromkey -2 "$z/$key.key" >>"$z/trust-anchor.ds" 2>>"$DIR/log/dnssec.log" ||
			die "could not sign $zone (see $DIR/log/dnssec.log)"
	done
	# Tampered after signing: same owner, type and TTL, other preference.
	sed -i 's/^\(tampered\.sec\.test\.[[:space:]].*[[:space:]]MX[[:space:]]\+\)10 /\120 /' "$z/sec.test.signed"
	grep -q '^tampered\.sec\.test\..*MX[[:space:]]*20 ' "$z/sec.test.signed" ||
		die "could not tamper with tampered.sec.test in $z/sec.test.signed"
	chmod 644 "$z"/*.signed "$z/trust-anchor.ds"
}

# local-zone lines (inside server:) that let the auth-zones below answer
# under the static test. zone, then the auth-zone clauses.
write_signed_local_zones() {
	local zone
	for zone in $SIGNED_ZONES; do
		printf '\tlocal-zone: "%s." transparent\n' "$zone"
	done
}

write_auth_zones() {
	local zone
	for zone in $SIGNED_ZONES; do
		cat <<EOF
auth-zone:
	name: "$zone."
	zonefile: "$DIR/dnssec/$zone.signed"
	for-downstream: yes
	for-upstream: no
	fallback-enabled: no
EOF
	done
}

start_dns() {
	local d=$DIR/unbound port
	mkdir -p "$d"
	if pid_alive unbound && [ -s "$d/port" ]; then
		LAB_DNS_PORT=$(cat "$d/port")
		return 0
	fi
	port=$(free_port)
	make_signed_zones
	{
		cat <<EOF
server:
	interface: 127.0.0.1
	port: $port
	do-daemonize: no
	chroot: ""
	username: ""
	directory: "$d"
	pidfile: "$d/unbound.pid"
	logfile: ""
	use-syslog: no
	verbosity: 1
	do-ip6: no
	access-control: 127.0.0.0/8 allow
	num-threads: 1
	so-reuseport: no
	hide-identity: yes
	hide-version: yes
	# nothing leaves the machine: no root hints are used for test.
	do-not-query-localhost: no
EOF
		write_zone
		write_signed_local_zones
		write_auth_zones
		cat <<EOF
remote-control:
	control-enable: no
EOF
	} >"$d/unbound.conf"
	unbound-checkconf "$d/unbound.conf" >"$DIR/log/unbound-checkconf.log" 2>&1 ||
		die "unbound.conf rejected (see $DIR/log/unbound-checkconf.log)"
	echo "$port" >"$d/port"
	spawn unbound "$d/unbound.conf" timeout -s TERM "$LAB_MAX_LIFETIME" unbound -d -c "$d/unbound.conf"
	LAB_DNS_PORT=$port
	# wait for an answer (bounded)
	local i
	for i in $(seq 1 50); do
		if command -v dig >/dev/null; then
			dig +time=1 +tries=1 -p "$port" @127.0.0.1 good.test MX +short 2>/dev/null | grep -q mx1 && return 0
		else
			wait_port 127.0.0.1 "$port" unbound && return 0
		fi
		sleep 0.1
	done
	say "warning: unbound does not answer on 127.0.0.1@$port"
}

# --- Postfix -------------------------------------------------------------------

POSTFIX_ADDRS="127.0.10.1 127.0.10.20 127.0.10.21 127.0.10.22 127.0.10.23 127.0.10.24"

start_postfix() {
	local d=$DIR/postfix
	mkdir -p "$d/spool" "$d/data"
	chown postfix "$d/data"
	touch "$d/maillog"
	cat >"$d/main.cf" <<EOF
# mxdoc lab Postfix: never delivers, only answers SMTP on the lab addresses.
compatibility_level = 3.6
mail_owner = postfix
setgid_group = postdrop
queue_directory = $d/spool
data_directory = $d/data
meta_directory = /etc/postfix
maillog_file = $d/maillog
maillog_file_prefixes = $d
myhostname = mx1.good.test
mydomain = good.test
myorigin = good.test
mydestination = good.test
# Postfix refuses inet_interfaces addresses that no interface carries
# (127.0.10.x is routed to lo but not assigned): the smtpd entries in
# master.cf name their own address and port, so this only has to be valid.
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 192.0.2.1/32
smtpd_peername_lookup = no
smtpd_banner = \$myhostname ESMTP mxdoc-lab
biff = no
alias_maps =
alias_database =
local_recipient_maps = texthash:$d/local_recipients
unknown_local_recipient_reject_code = 550
relayhost =
default_transport = discard:the lab does not deliver mail
local_transport = discard:the lab does not deliver mail
# Postfix puts "<rcpt>: Recipient address rejected: " before the text of
# an access map reply, as it does for real-world policy services.
# Relay control first (554 5.7.1 Relay access denied), then the canned
# replies of the recipient access map.
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:$d/recipient_access, permit
smtpd_tls_security_level = may
smtpd_tls_cert_file = $DIR/ca/good.chain.pem
smtpd_tls_key_file = $DIR/ca/good.key
smtpd_tls_loglevel = 1
smtpd_tls_received_header = no
smtpd_timeout = 30s
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 200
smtpd_client_connection_count_limit = 0
anvil_rate_time_unit = 60s
disable_vrfy_command = yes
EOF
	cat >"$d/local_recipients" <<'EOF'
user@good.test		ok
postmaster@good.test	ok
greylist@good.test	ok
throttle@good.test	ok
blocked@good.test	ok
dmarc@good.test		ok
tss04@good.test		ok
EOF
	cat >"$d/recipient_access" <<'EOF'
greylist@good.test	450 4.2.0 Greylisted, see http://postgrey.schweikert.ch/help/good.test.html
throttle@good.test	450 4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered. Please resend your message at a later time.
blocked@good.test	554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/127.0.0.1
dmarc@good.test		550 5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM.
tss04@good.test		421 4.7.0 [TSS04] Messages from 127.0.0.1 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes
EOF
	local ca=$DIR/ca
	cat >"$d/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command
127.0.10.1:25  inet n - n - - smtpd
127.0.10.1:465 inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes
  -o syslog_name=postfix/smtps
127.0.10.20:25 inet n - n - - smtpd
  -o myhostname=mx.expired.test
  -o smtpd_tls_cert_file=$ca/expired.chain.pem
  -o smtpd_tls_key_file=$ca/expired.key
  -o syslog_name=postfix/expired
127.0.10.21:25 inet n - n - - smtpd
  -o myhostname=mx.wrongname.test
  -o smtpd_tls_cert_file=$ca/wrongname.chain.pem
  -o smtpd_tls_key_file=$ca/wrongname.key
  -o syslog_name=postfix/wrongname
127.0.10.22:25 inet n - n - - smtpd
  -o myhostname=mx.notls.test
  -o smtpd_tls_security_level=none
  -o syslog_name=postfix/notls
127.0.10.23:25 inet n - n - - smtpd
  -o myhostname=mx.selfsigned.test
  -o smtpd_tls_cert_file=$ca/selfsigned.chain.pem
  -o smtpd_tls_key_file=$ca/selfsigned.key
  -o syslog_name=postfix/selfsigned
127.0.10.24:465 inet n - n - - smtpd
  -o myhostname=mx.mode.test
  -o smtpd_tls_cert_file=$ca/mode.chain.pem
  -o smtpd_tls_key_file=$ca/mode.key
  -o syslog_name=postfix/mode
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
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	if postfix -c "$d" status >/dev/null 2>&1; then
		postfix -c "$d" reload >/dev/null 2>&1
		return 0
	fi
	# "check" creates the queue directories with the right owners. Postfix
	# writes its fatal errors to stderr only when stderr is a terminal:
	# script(1) gives it one so that the reason lands in the log.
	if ! postfix -c "$d" check >>"$DIR/log/postfix.log" 2>&1; then
		command -v script >/dev/null &&
			script -qc "postfix -c '$d' check" /dev/null >>"$DIR/log/postfix.log" 2>&1
		say "warning: postfix check failed: $(tail -1 "$DIR/log/postfix.log")"
	fi
	postfix -c "$d" start >>"$DIR/log/postfix.log" 2>&1 ||
		say "warning: postfix did not start (see $DIR/log/postfix.log and $d/maillog)"
	echo postfix >"$DIR/run/postfix.instance"
}

stop_postfix() {
	local d=$DIR/postfix
	[ -f "$d/main.cf" ] || return 0
	if postfix -c "$d" status >/dev/null 2>&1; then
		postfix -c "$d" stop >>"$DIR/log/postfix.log" 2>&1
		local i
		for i in $(seq 1 50); do
			postfix -c "$d" status >/dev/null 2>&1 || break
			sleep 0.1
		done
		postfix -c "$d" status >/dev/null 2>&1 && postfix -c "$d" abort >>"$DIR/log/postfix.log" 2>&1
	fi
	rm -f "$DIR/run/postfix.instance"
}

# --- smtp-sink --------------------------------------------------------------------

start_sinks() {
	local life="timeout -s TERM $LAB_MAX_LIFETIME"
	# Hangs up (no reply) on EHLO and HELO.
	spawn sink-hangup "127.0.10.40:25" $life smtp-sink -u postfix -h mx.hangup.test -q EHLO,HELO 127.0.10.40:25 64
	# Greets with 421 (smtp-sink keeps the session open after it: not RFC-clean).
	spawn sink-busy "127.0.10.41:25" $life smtp-sink -u postfix -h mx.sinkbusy.test -r CONNECT \
		-b "421 4.7.0 mx.sinkbusy.test Too many concurrent SMTP connections; please try again later." 127.0.10.41:25 64
	# Soft-fails RCPT.
	spawn sink-rcpttemp "127.0.10.42:25" $life smtp-sink -u postfix -h mx.rcpttemp.test -r RCPT \
		-b "451 4.3.0 Error: queue file write error" 127.0.10.42:25 64
	# Hard-fails MAIL FROM for size.
	spawn sink-bigmsg "127.0.10.43:25" $life smtp-sink -u postfix -h mx.bigmsg.test -f MAIL \
		-B "552 5.3.4 Error: message file too big" 127.0.10.43:25 64
	# Tarpit: the greeting comes after 8 s (past a --timeout 3 greeting wait).
	spawn sink-tarpit "127.0.10.45:25" $life smtp-sink -u postfix -h mx.tarpit.test -W CONNECT:8 127.0.10.45:25 64
	# Hard-fails RCPT with a reply no provider rule knows (smtp.permanent).
	spawn sink-rcptperm "127.0.10.46:25" $life smtp-sink -u postfix -h mx.rcptperm.test -f RCPT \
		-B "554 5.0.0 Transaction failed" 127.0.10.46:25 64
	# No ESMTP: EHLO is an unknown command, HELO works.
	spawn sink-oldsmtp "127.0.10.44:25" $life smtp-sink -u postfix -h mx.oldsmtp.test -e 127.0.10.44:25 64
}

# --- faultd, submission, s_server ----------------------------------------------

write_faultd_conf() {
	cat >"$DIR/faultd.conf" <<EOF
# address port mode [host name used in replies]   (see scripts/lab/faultd.py)
127.0.10.50 25 greet421        mx.busy.test
127.0.10.51 25 silent          mx.silent.test
127.0.10.52 25 reset           mx.reset.test
127.0.10.53 25 close           mx.close.test
127.0.10.54 25 garbage         mx.garbage.test
127.0.10.55 25 drip            mx.drip.test
127.0.10.56 25 longline        mx.longline.test
127.0.10.57 25 manylines       mx.manylines.test
127.0.10.58 25 ehlo421         mx.drop.test
127.0.10.59 25 ehlo421-dropped mx.dropped.test
127.0.10.60 25 starttls-stall  mx.tlsstall.test
127.0.10.61 25 tls-old         mx.tlsold.test
127.0.10.62 25 rcpt-421        mx.rcpt421.test
127.0.10.63 25 tls-certreq     mx.certreq.test
EOF
}

start_peers() {
	write_faultd_conf
	spawn faultd "faultd.py" timeout -s TERM "$LAB_MAX_LIFETIME" "$PY" "$LAB_SRC/faultd.py" \
		--config "$DIR/faultd.conf" --cert "$DIR/ca/faultd.chain.pem" --key "$DIR/ca/faultd.key"
	spawn submitd "submitd.py" timeout -s TERM "$LAB_MAX_LIFETIME" "$PY" "$LAB_SRC/submitd.py" \
		--listen 127.0.10.30 --port 587 --hostname submit.test \
		--cert "$DIR/ca/submit.chain.pem" --key "$DIR/ca/submit.key"
	# Implicit TLS that only speaks TLS 1.0 at security level 0: an OpenSSL 3
	# client (default level 1, no TLS 1.0/1.1) cannot agree with it.
	spawn s_server "127.0.10.70:465" timeout -s TERM "$LAB_MAX_LIFETIME" openssl s_server -quiet -www \
		-accept 127.0.10.70:465 -cert "$DIR/ca/tls10.pem" -key "$DIR/ca/tls10.key" \
		-cert_chain "$DIR/ca/ca.pem" -tls1 -cipher "DEFAULT@SECLEVEL=0"
}

# --- commands --------------------------------------------------------------------

write_env() {
	cat >"$DIR/env" <<EOF
# written by scripts/lab/lab.sh start; source it from a shell
LAB_DIR=$DIR
LAB_DNS_PORT=$LAB_DNS_PORT
LAB_RESOLVER=127.0.0.1@$LAB_DNS_PORT
LAB_CA=$DIR/ca/ca.pem
LAB_TRUST_ANCHOR=$DIR/dnssec/trust-anchor.ds
LAB_MAILLOG=$DIR/postfix/maillog
LAB_POSTFIX_CONFIG=$DIR/postfix
LAB_SUBMIT_USER=alice
LAB_SUBMIT_PASSWORD=lab-secret
LAB_NETNS=$( [ -f "$DIR/run/netns.up" ] && echo 1 || echo 0)
LAB_NETNS_CLIENT=mxdoclab-c
EOF
}

cmd_start() {
	need_root start
	need_tools
	mkdir -p "$DIR/run" "$DIR/log"
	local t0=$SECONDS
	# One lab per machine: the peers own fixed addresses and ports.
	if ! pid_alive faultd && ss -Hltn 'src 127.0.10.50 and sport = :25' 2>/dev/null | grep -q .; then
		die "127.0.10.50:25 is taken: another lab runs (scripts/lab/lab.sh stop ITS_DIR; see ps for faultd.py --config DIR/faultd.conf)"
	fi
	make_ca
	start_dns
	start_postfix
	start_sinks
	start_peers
	write_env
	# bounded readiness checks
	local ok=1 hp
	for hp in 127.0.10.1:25 127.0.10.1:465 127.0.10.20:25 127.0.10.24:465 127.0.10.40:25 \
		127.0.10.44:25 127.0.10.46:25 127.0.10.50:25 127.0.10.62:25 127.0.10.30:587 127.0.10.70:465; do
		wait_port "${hp%:*}" "${hp#*:}" "$hp" || ok=0
	done
	say "started in $((SECONDS - t0)) s; resolver 127.0.0.1@$LAB_DNS_PORT; env in $DIR/env"
	[ "$ok" -eq 1 ] || { say "some peers are not ready"; return 1; }
	return 0
}

cmd_stop() {
	[ -d "$DIR" ] || return 0
	need_root stop
	mkdir -p "$DIR/log" "$DIR/run"
	if [ -f "$DIR/run/netns.up" ]; then
		"$LAB_SRC/netns.sh" stop "$DIR"
	fi
	stop_postfix
	local f names=""
	for f in "$DIR"/run/*.pid; do
		[ -e "$f" ] || continue
		f=${f##*/}
		names="$names ${f%.pid}"
	done
	# shellcheck disable=SC2086
	[ -z "$names" ] || kill_recorded $names
	rm -f "$DIR/env"
	say "stopped"
}

cmd_status() {
	[ -d "$DIR/run" ] || { echo "lab: not started in $DIR"; return 1; }
	local f name rc=0
	for f in "$DIR"/run/*.pid; do
		[ -e "$f" ] || continue
		name=${f##*/}; name=${name%.pid}
		if pid_alive "$name"; then
			printf '%-14s running (pid %s)\n' "$name" "$(sed -n 1p "$f")"
		else
			printf '%-14s DEAD\n' "$name"; rc=1
		fi
	done
	if [ -f "$DIR/postfix/main.cf" ]; then
		if postfix -c "$DIR/postfix" status >/dev/null 2>&1; then
			printf '%-14s running\n' postfix
		else
			printf '%-14s DEAD\n' postfix; rc=1
		fi
	fi
	[ -f "$DIR/run/netns.up" ] && printf '%-14s up\n' netns
	[ -f "$DIR/env" ] && sed -n 's/^LAB_RESOLVER=/resolver       /p' "$DIR/env"
	return $rc
}

main() {
	local cmd=${1:-}
	DIR=${2:-$REPO/.lab}
	case $DIR in /*) ;; *) DIR=$(pwd)/$DIR ;; esac
	case $cmd in
	start) cmd_start ;;
	stop) cmd_stop ;;
	restart) cmd_stop; cmd_start ;;
	status) cmd_status ;;
	netns-start) need_root netns; mkdir -p "$DIR/run" "$DIR/log"; "$LAB_SRC/netns.sh" start "$DIR" ;;
	netns-stop) need_root netns; "$LAB_SRC/netns.sh" stop "$DIR" ;;
	*) echo "usage: $0 start|stop|restart|status|netns-start|netns-stop [DIR]" >&2; exit 2 ;;
	esac
}

main "$@"
