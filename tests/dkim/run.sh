#!/bin/sh
# DKIM interop with dkimpy (Debian python3-dkim), both ways: what mxdoc
# signs dkimpy verifies, and what dkimpy signs mxdoc verifies, with
# RSA-2048 and Ed25519 keys, relaxed and simple canonicalization; tampered
# messages fail on both sides. The keys are made by `mxdoc dkim keygen` and
# served by Debian's unbound on 127.0.0.1 at a free port, which both
# verifiers ask (dkimpy through dnspython, see dkimpy_helper.py).
#   tests/dkim/run.sh [path/to/mxdoc]      (default: $MXDOC or build/mxdoc)
# Ends with "N passed, N failed"; exits 77 (skipped) without dkimpy or
# unbound.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
MXDOC=${1:-${MXDOC:-$top/build/mxdoc}}
case $MXDOC in /*) ;; *) MXDOC=$top/$MXDOC ;; esac
PY=/usr/bin/python3
UNBOUND=${UNBOUND:-/usr/sbin/unbound}
pass=0 fail=0

if ! $PY -c 'import dkim, dns.resolver, nacl' 2>/dev/null; then
	echo "dkim interop: python3-dkim, python3-dnspython or python3-nacl missing (scripts/deps.sh): skipped"
	echo "0 passed, 0 failed, 1 skipped"
	exit 77
fi
if [ ! -x "$UNBOUND" ]; then
	echo "dkim interop: $UNBOUND missing: skipped"
	echo "0 passed, 0 failed, 1 skipped"
	exit 77
fi

tmp=$(mktemp -d)
ub_pid=""
cleanup() {
	if [ -n "$ub_pid" ]; then
		kill "$ub_pid" 2>/dev/null
		wait "$ub_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
umask 077

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# 1. Keys, made by mxdoc (never printed), and their records.
D=example.test
for t in rsa ed25519; do
	if ! "$MXDOC" dkim keygen --json --domain $D --selector "s$t" --type $t \
	    --out "$tmp/$t.pem" >"$tmp/$t.json" 2>"$tmp/$t.err"; then
		bad "keygen $t: $(cat "$tmp/$t.err")"
		echo "$pass passed, $fail failed"
		exit 1
	fi
	mode=$(stat -c %a "$tmp/$t.pem")
	if [ "$mode" = 600 ] && ! grep -q PRIVATE "$tmp/$t.json"; then
		ok "keygen $t: key file mode 0600, nothing secret printed"
	else
		bad "keygen $t: mode $mode or private key in the output"
	fi
	# A second keygen never overwrites the key.
	if "$MXDOC" dkim keygen --domain $D --selector "s$t" --type $t \
	    --out "$tmp/$t.pem" >/dev/null 2>&1; then
		bad "keygen $t: overwrote an existing key"
	else
		ok "keygen $t: an existing key file is left alone"
	fi
done
# dkimpy wants PKCS#1 for RSA and the bare base64 seed for Ed25519.
openssl rsa -in "$tmp/rsa.pem" -traditional -out "$tmp/rsa.pkcs1" 2>/dev/null
openssl pkey -in "$tmp/ed25519.pem" -outform DER 2>/dev/null | tail -c 32 |
	base64 >"$tmp/ed25519.seed"

# 2. unbound serves the records (split into 255-byte strings).
$PY - "$tmp" <<'PYEOF' >"$tmp/local-data"
import json, sys
tmp = sys.argv[1]
for t in ("rsa", "ed25519"):
    j = json.load(open("%s/%s.json" % (tmp, t)))
    rec = j["record"]
    parts = " ".join('"%s"' % rec[i:i + 255] for i in range(0, len(rec), 255))
    print("    local-data: '%s. 300 IN TXT %s'" % (j["record_name"], parts))
print("    local-data: 'srevoked._domainkey.example.test. 300 IN TXT \"v=DKIM1; k=rsa; p=\"'")
PYEOF
free_port() {
	$PY -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}
port=""
tries=0
while [ -z "$port" ] && [ $tries -lt 5 ]; do
	tries=$((tries + 1))
	p=$(free_port)
	cat >"$tmp/unbound.conf" <<UBCONF
server:
    interface: 127.0.0.1
    port: $p
    do-daemonize: no
    chroot: ""
    username: ""
    directory: "$tmp"
    pidfile: "$tmp/unbound.pid"
    use-syslog: no
    logfile: ""
    do-ip6: no
    access-control: 127.0.0.0/8 allow
    module-config: "iterator"
    local-zone: "test." nodefault
    local-zone: "$D." static
$(cat "$tmp/local-data")
UBCONF
	"$UNBOUND" -d -c "$tmp/unbound.conf" >"$tmp/unbound.log" 2>&1 &
	ub_pid=$!
	i=0
	while [ $i -lt 50 ]; do
		if dig +time=1 +tries=1 -p "$p" @127.0.0.1 \
		    sed25519._domainkey.$D TXT 2>/dev/null | grep -q 'k=ed25519'; then
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
	echo "dkim interop: unbound did not start:"
	cat "$tmp/unbound.log"
	echo "$pass passed, $((fail + 1)) failed"
	exit 1
fi

printf 'From: Joe SixPack <joe@example.test>\r\nTo: Suzie Q <suzie@example.net>\r\nSubject: Is dinner  ready?\r\nDate: Fri, 11 Jul 2003 21:00:37 -0700\r\nMessage-ID: <20030712040037.46341.5F8J@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nHi.\r\n\r\nWe lost the game.  Are you hungry yet?  \r\n\r\nJoe.\r\n\r\n\r\n' >"$tmp/msg.eml"

mx_verify() {	# FILE -> exit status of mxdoc dkim verify
	"$MXDOC" dkim verify --json --timeout 5 --resolver "127.0.0.1@$port" "$1" \
	    >"$1.json" 2>&1
}
py_verify() {	# FILE
	$PY "$here/dkimpy_helper.py" verify 127.0.0.1 "$port" <"$1" >"$1.py" 2>&1
}
tamper() {	# IN OUT: the body changed, then a signed header changed
	sed 's/We lost/We won/' "$1" >"$2.body"
	sed 's/^Subject: Is dinner/Subject: Is lunch/' "$1" >"$2.hdr"
}

# 3. mxdoc signs, dkimpy verifies (and mxdoc too); tampering fails both.
for t in rsa ed25519; do
	for c in relaxed/relaxed simple/simple relaxed/simple; do
		name="mxdoc signs $t $c"
		f="$tmp/mx-$t-$(echo $c | tr / -).eml"
		if ! "$MXDOC" dkim sign --domain $D --selector "s$t" \
		    --key "$tmp/$t.pem" --canon $c <"$tmp/msg.eml" >"$f" 2>"$f.err"; then
			bad "$name: $(cat "$f.err")"
			continue
		fi
		if py_verify "$f"; then ok "$name, dkimpy verifies"
		else bad "$name, dkimpy verifies: $(cat "$f.py")"; fi
		if mx_verify "$f"; then ok "$name, mxdoc verifies"
		else bad "$name, mxdoc verifies: $(cat "$f.json")"; fi
		tamper "$f" "$f"
		for k in body hdr; do
			if py_verify "$f.$k"; then bad "$name, $k tampered: dkimpy passes"
			else ok "$name, $k tampered: dkimpy fails"; fi
			if mx_verify "$f.$k"; then bad "$name, $k tampered: mxdoc passes"
			else ok "$name, $k tampered: mxdoc fails"; fi
		done
	done
done
# An LF-only message signed from a pipe keeps its line ends and verifies.
tr -d '\r' <"$tmp/msg.eml" | "$MXDOC" dkim sign --domain $D --selector sed25519 \
    --key "$tmp/ed25519.pem" >"$tmp/lf.eml" 2>&1
if ! grep -q "$(printf '\r')" "$tmp/lf.eml" && mx_verify "$tmp/lf.eml"; then
	ok "mxdoc signs an LF-only message from a pipe; mxdoc verifies"
else
	bad "LF-only message: $(cat "$tmp/lf.eml.json" 2>/dev/null)"
fi

# 4. dkimpy signs, mxdoc verifies; tampering fails both.
for t in rsa ed25519; do
	if [ $t = rsa ]; then key="$tmp/rsa.pkcs1"; alg=rsa-sha256
	else key="$tmp/ed25519.seed"; alg=ed25519-sha256; fi
	for c in relaxed/relaxed simple/simple relaxed/simple; do
		name="dkimpy signs $t $c"
		f="$tmp/py-$t-$(echo $c | tr / -).eml"
		if ! $PY "$here/dkimpy_helper.py" sign $D "s$t" "$key" $alg $c \
		    <"$tmp/msg.eml" >"$f" 2>"$f.err"; then
			bad "$name: $(tail -1 "$f.err")"
			continue
		fi
		if mx_verify "$f"; then ok "$name, mxdoc verifies"
		else bad "$name, mxdoc verifies: $(cat "$f.json")"; fi
		if py_verify "$f"; then ok "$name, dkimpy verifies"
		else bad "$name, dkimpy verifies: $(cat "$f.py")"; fi
		tamper "$f" "$f"
		for k in body hdr; do
			if mx_verify "$f.$k"; then bad "$name, $k tampered: mxdoc passes"
			else ok "$name, $k tampered: mxdoc fails"; fi
			if py_verify "$f.$k"; then bad "$name, $k tampered: dkimpy passes"
			else ok "$name, $k tampered: dkimpy fails"; fi
		done
	done
done

# 5. The reasons in the JSON document.
f="$tmp/mx-rsa-relaxed-relaxed.eml"
if $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["signatures"][0]; sys.exit(0 if d["verdict"]["cause"]=="ok" and s["result"]=="pass" and s["algorithm"]=="rsa-sha256" and s["key_bits"]==2048 else 1)' "$f.json"; then
	ok "JSON: pass, rsa-sha256, 2048 bits, verdict cause ok"
else bad "JSON pass document: $(cat "$f.json")"; fi
if $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["signatures"][0]; sys.exit(0 if d["verdict"]["cause"]=="auth.dkim" and s["result"]=="fail" and "body hash" in s["reason"] else 1)' "$f.body.json"; then
	ok "JSON: tampered body is fail, body hash mismatch"
else bad "JSON fail document: $(cat "$f.body.json")"; fi
sed 's/s=srsa;/s=srevoked;/' "$f" >"$tmp/revoked.eml"
mx_verify "$tmp/revoked.eml"
if grep -q '"permerror"' "$tmp/revoked.eml.json" && grep -q 'revoked' "$tmp/revoked.eml.json"; then
	ok "revoked key (empty p=) is permerror"
else bad "revoked key: $(cat "$tmp/revoked.eml.json")"; fi
sed 's/s=srsa;/s=snone;/' "$f" >"$tmp/nokey.eml"
mx_verify "$tmp/nokey.eml"
if grep -q '"permerror"' "$tmp/nokey.eml.json" && grep -q 'key not found' "$tmp/nokey.eml.json"; then
	ok "missing key is permerror, key not found"
else bad "missing key: $(cat "$tmp/nokey.eml.json")"; fi

# 6. Several messages in one run: sign --out-dir, verify FILE... (JSON Lines,
# in order, the tampered one failing, exit 1 for it).
mkdir -p "$tmp/many" "$tmp/many-out"
cp "$tmp/msg.eml" "$tmp/many/a.eml"
cp "$tmp/msg.eml" "$tmp/many/b.eml"
if "$MXDOC" dkim sign --domain $D --selector sed25519 --key "$tmp/ed25519.pem" \
    --out-dir "$tmp/many-out" "$tmp/many/a.eml" "$tmp/many/b.eml" 2>"$tmp/many.err" &&
    py_verify "$tmp/many-out/a.eml" && py_verify "$tmp/many-out/b.eml"; then
	ok "sign --out-dir: two messages, dkimpy verifies both"
else bad "sign --out-dir: $(cat "$tmp/many.err")"; fi
sed 's/We lost/We won/' "$tmp/many-out/b.eml" >"$tmp/many-out/c.eml"
"$MXDOC" dkim verify --json --resolver "127.0.0.1@$port" \
    "$tmp/many-out/a.eml" "$tmp/many-out/c.eml" "$tmp/many-out/b.eml" \
    >"$tmp/many.jsonl" 2>&1
rc=$?
if [ $rc -eq 1 ] && $PY -c 'import json,sys
d = [json.loads(l) for l in open(sys.argv[1])]
r = [(x["file"].rsplit("/", 1)[1], x["signatures"][0]["result"]) for x in d]
sys.exit(0 if r == [("a.eml", "pass"), ("c.eml", "fail"), ("b.eml", "pass")] else 1)' "$tmp/many.jsonl"; then
	ok "verify FILE...: JSON Lines in order, pass fail pass, exit 1"
else bad "verify FILE... (exit $rc): $(head -c 300 "$tmp/many.jsonl")"; fi

# 7. Threads change nothing: 40 messages (signed, tampered, unsigned,
# broken, missing, with a revoked and an unknown key) give the same
# output, byte for byte, and the same exit status with --jobs 1 and 4; so
# do the files sign --out-dir writes.
mkdir -p "$tmp/jobs" "$tmp/jobs-out1" "$tmp/jobs-out4"
i=0
while [ $i -lt 40 ]; do
	i=$((i + 1))
	case $((i % 8)) in
	0) sed 's/We lost/We won/' "$tmp/many-out/a.eml" ;;
	1) cat "$tmp/mx-rsa-relaxed-relaxed.eml" ;;
	2) cat "$tmp/py-ed25519-simple-simple.eml" ;;
	3) cat "$tmp/msg.eml" ;;
	4) echo "no header here" ;;
	5) cat "$tmp/revoked.eml" ;;
	6) cat "$tmp/nokey.eml" ;;
	7) cat "$tmp/many-out/b.eml" ;;
	esac >"$tmp/jobs/m$i.eml"
done
files=$(i=0; while [ $i -lt 40 ]; do i=$((i + 1)); printf '%s ' "$tmp/jobs/m$i.eml"; done)
for j in 1 4; do
	for fmt in text json; do
		flag=""
		[ $fmt = json ] && flag=--json
		"$MXDOC" dkim verify $flag --jobs $j --resolver "127.0.0.1@$port" \
		    $files "$tmp/jobs/missing.eml" >"$tmp/jobs-$j.$fmt" \
		    2>"$tmp/jobs-$j.$fmt.err"
		echo $? >>"$tmp/jobs-$j.$fmt.err"
	done
	"$MXDOC" dkim sign --jobs $j --now 1700000000 --domain $D \
	    --selector srsa --key "$tmp/rsa.pem" --out-dir "$tmp/jobs-out$j" \
	    $files >"$tmp/jobs-sign-$j" 2>&1
	echo $? >>"$tmp/jobs-sign-$j"
done
if cmp -s "$tmp/jobs-1.text" "$tmp/jobs-4.text" &&
    cmp -s "$tmp/jobs-1.json" "$tmp/jobs-4.json" &&
    cmp -s "$tmp/jobs-1.text.err" "$tmp/jobs-4.text.err" &&
    cmp -s "$tmp/jobs-1.json.err" "$tmp/jobs-4.json.err" &&
    [ "$(grep -c '"result":"pass"' "$tmp/jobs-4.json")" -eq 15 ] &&
    [ "$(grep -c '"error":' "$tmp/jobs-4.json")" -eq 6 ] &&
    [ "$(grep -c . "$tmp/jobs-4.json")" -eq 41 ] &&
    [ "$(tail -1 "$tmp/jobs-4.json.err")" = 2 ]; then
	ok "verify --jobs 4 gives the output of --jobs 1, in order (40 files)"
else bad "verify --jobs 4 differs from --jobs 1 (or pass/error/exit counts): $(grep -c "\"result\":\"pass\"" "$tmp/jobs-4.json") $(grep -c "\"error\":" "$tmp/jobs-4.json") $(tail -1 "$tmp/jobs-4.json.err") $(diff "$tmp/jobs-1.json" "$tmp/jobs-4.json" | head -5)"; fi
if cmp -s "$tmp/jobs-sign-1" "$tmp/jobs-sign-4" &&
    diff -r "$tmp/jobs-out1" "$tmp/jobs-out4" >/dev/null &&
    [ "$(ls "$tmp/jobs-out4" | wc -l)" -eq 35 ] &&
    py_verify "$tmp/jobs-out4/m11.eml"; then
	ok "sign --out-dir --jobs 4 writes what --jobs 1 writes; dkimpy verifies"
else bad "sign --jobs 4 differs: $(cat "$tmp/jobs-sign-4" | head -3)"; fi

# A header section over 1 MiB is refused whole, alone or among others,
# even when it arrives in one read.
awk 'BEGIN { printf "From: a@example.test\r\n"
	for (i = 0; i < 900; i++) { printf "X-Pad-%d: ", i
		for (k = 0; k < 26; k++) printf "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJK"
		printf "\r\n" }
	printf "\r\nbody\r\n" }' >"$tmp/bighdr.eml"
"$MXDOC" dkim verify --resolver "127.0.0.1@$port" "$tmp/bighdr.eml" >"$tmp/bighdr.out" 2>&1
rc1=$?
"$MXDOC" dkim verify --jobs 2 --resolver "127.0.0.1@$port" "$tmp/bighdr.eml" \
    "$tmp/many-out/a.eml" >"$tmp/bighdr2.out" 2>&1
rc2=$?
if [ $rc1 -eq 2 ] && [ $rc2 -eq 2 ] &&
    grep -q 'larger than 1 MiB' "$tmp/bighdr.out" &&
    [ "$(grep -c 'larger than 1 MiB' "$tmp/bighdr2.out")" -eq 2 ] &&
    grep -q '^OK' "$tmp/bighdr2.out"; then
	ok "a header section over 1 MiB is refused (exit 2), the next file verified"
else bad "header over 1 MiB (exit $rc1, $rc2): $(head -3 "$tmp/bighdr.out")"; fi

# 8. Every JSON document above follows doc/dkim.schema.json: the single
# documents, and each line of the JSON Lines runs (error lines included).
if $PY -c 'import jsonschema' 2>/dev/null; then
	nbad=0 ndoc=0
	for f in "$tmp"/*.eml.json "$tmp/rsa.json" "$tmp/ed25519.json"; do
		ndoc=$((ndoc + 1))
		PYTHONWARNINGS=ignore $PY "$top/scripts/check-json.py" \
		    "$top/doc/dkim.schema.json" "$f" >"$tmp/schema.out" 2>&1 ||
		    { nbad=$((nbad + 1)); echo "  $f: $(head -2 "$tmp/schema.out")"; }
	done
	for f in "$tmp/many.jsonl" "$tmp/jobs-4.json"; do
		grep '^{' "$f" | while IFS= read -r line; do
			printf '%s\n' "$line" >"$tmp/line.json"
			PYTHONWARNINGS=ignore $PY "$top/scripts/check-json.py" \
			    "$top/doc/dkim.schema.json" "$tmp/line.json" >"$tmp/line.err" 2>&1 ||
			    echo "  $(head -c 80 "$tmp/line.json"): $(head -2 "$tmp/line.err")"
		done >"$tmp/lines.bad"
		ndoc=$((ndoc + $(grep -c '^{' "$f")))
		nbad=$((nbad + $(grep -c . "$tmp/lines.bad")))
		cat "$tmp/lines.bad"
	done
	if [ $nbad -eq 0 ] && [ $ndoc -gt 40 ]; then
		ok "JSON: $ndoc documents and lines follow doc/dkim.schema.json"
	else bad "JSON: $nbad of $ndoc documents break doc/dkim.schema.json"; fi
else
	echo "skip JSON schema check (python3-jsonschema missing)"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
