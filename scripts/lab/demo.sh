#!/bin/bash
# demo.sh - `make demo`: starts the lab, runs `mxdoc diagnose` (the human
# report) on a representative set of the lab's destinations, one after the
# other with a heading each, then stops the lab. Builds nothing.
#
#   scripts/lab/demo.sh [DIR]        MXDOC=path/to/mxdoc (default build/mxdoc)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
DIR=${1:-${LAB_DIR:-$REPO/.lab}}
case $DIR in /*) ;; *) DIR=$(pwd)/$DIR ;; esac
MXDOC=${MXDOC:-build/mxdoc}
case $MXDOC in /*) ;; *) if [ -x "$MXDOC" ]; then MXDOC=$(pwd)/$MXDOC; else MXDOC=$REPO/$MXDOC; fi ;; esac
[ -x "$MXDOC" ] || { echo "demo: no mxdoc binary at $MXDOC (build first, or set MXDOC)" >&2; exit 2; }

trap '"$HERE/lab.sh" stop "$DIR" >/dev/null 2>&1' EXIT
trap 'exit 130' INT TERM
"$HERE/lab.sh" start "$DIR" || exit 1
. "$DIR/env"

# Bold headings only on a terminal, and never with NO_COLOR (as mxdoc does).
B= R=
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then B=$(printf '\033[1m'); R=$(printf '\033[0m'); fi

show() {	# TITLE TARGET [ARGS...]
	local title=$1; shift
	printf '\n%s=== %s%s\n$ mxdoc diagnose %s\n\n' "$B" "$title" "$R" "$*"
	timeout 12 "$MXDOC" diagnose "$@" --resolver "$LAB_RESOLVER" --ca-file "$LAB_CA" --timeout 3
	local rc=$?
	[ "$rc" -eq 124 ] && echo "(no answer within 12 s)"
	return 0
}

show "A healthy destination" good.test
show "A greylisting recipient" greylist@good.test
show "A Yahoo-style rate deferral at RCPT" tss04@good.test
show "Refused for a DNS blocklist" blocked@good.test
show "Relay access denied" '[mx1.good.test]' --rcpt x@elsewhere.test
show "Primary MX down, backup answers" backup.test
show "Null MX (RFC 7505)" nullmx.test
show "A domain that does not exist" nosuch.test
show "421 at the greeting: too many connections" busy.test
show "Connected, never greeted" silent.test
show "Reset by the peer" reset.test
show "421 4.4.2 after EHLO" drop.test
show "STARTTLS not offered" notls.test
show "Expired certificate" expired.test
show "Server that only speaks TLS 1.0" tlsold.test
show "STARTTLS accepted, handshake never happens" tlsstall.test
MXDOC_PASSWORD=lab-secret show "Submission with AUTH" submission://submit.test --user alice
MXDOC_PASSWORD=wrong show "Submission with a wrong password" submission://submit.test --user alice
echo
