#!/bin/bash
# tests/integration/netns.sh - the network-path scenarios (netns.tsv), run
# from the client namespace mxdoclab-c against the server namespace
# mxdoclab-s (scripts/lab/netns.sh). Skips cleanly, counted as skipped with
# the reason, when this machine cannot create namespaces or iptables rules.
#
#   tests/integration/netns.sh [LABDIR]     (run.sh calls it; LABDIR/env read
#                                            when LAB_RESOLVER is not set)
# Prints one line per scenario and the summary line "N passed, N failed[, N skipped]".
# scripts/test.sh runs it with sh: continue under bash.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"

DIR=${1:-${LAB_DIR:-$REPO/.lab}}
if [ -z "${LAB_RESOLVER:-}" ] && [ -f "$DIR/env" ]; then
	. "$DIR/env"
fi
MXDOC=${MXDOC:-$REPO/build/mxdoc}
case $MXDOC in /*) ;; *) MXDOC=$REPO/$MXDOC ;; esac
LAB_RESOLVER=${LAB_RESOLVER:-127.0.0.1@53}
LAB_CA=${LAB_CA:-/dev/null}
IT_OUT=${IT_OUT:-$DIR/results}
IT_TIMEOUT=2
mkdir -p "$IT_OUT" "$DIR/run" "$DIR/log"

skip_all() {
	local name target rest
	while IFS=$'\t' read -r name target rest; do
		case $name in ''|'#'*) continue ;; esac
		it_skip "$name" "$1"
	done <"$HERE/netns.tsv"
	it_summary
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip_all "not root"
why=$("$REPO/scripts/lab/netns.sh" check) || skip_all "network namespaces unavailable: $why"

cleanup() { "$REPO/scripts/lab/netns.sh" stop "$DIR" >/dev/null 2>&1; }
trap cleanup EXIT
trap 'exit 130' INT TERM
"$REPO/scripts/lab/netns.sh" start "$DIR" 2>>"$DIR/log/netns.log" ||
	skip_all "the namespace path did not come up (see $DIR/log/netns.log)"

IT_PREFIX=(ip netns exec mxdoclab-c)
it_file "$HERE/netns.tsv"
it_summary
[ "$IT_FAIL" -eq 0 ]
