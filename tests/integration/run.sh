#!/bin/bash
# tests/integration/run.sh - runs `mxdoc diagnose` against the lab's peers.
#
#   tests/integration/run.sh [--reuse] [--lab DIR] [--only REGEX] [--no-netns]
#
#   --lab DIR    the lab directory (default: $LAB_DIR, else .lab/ in the repo)
#   --reuse      use the lab already running in DIR and leave it running;
#                without it the lab is started here and stopped on exit
#   --only RE    run only the scenarios whose name matches RE (bash regex)
#   --no-netns   leave out the network-namespace scenarios (netns.sh)
#
# The binary is $MXDOC (default build/mxdoc, relative to the repository).
# Scenarios: tests/integration/scenarios.tsv (format in lib.sh) and
# tests/integration/netns.tsv. One line per scenario, then exactly
# "N passed, N failed" (", N skipped" when some were skipped); exit 1 when
# any failed. The JSON of each run is kept in DIR/results/NAME.json with
# the command line in NAME.cmd.
# scripts/test.sh runs it with sh: continue under bash.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"

DIR=${LAB_DIR:-$REPO/.lab}
REUSE=0
NETNS=1
IT_FILTER=
while [ $# -gt 0 ]; do
	case $1 in
	--reuse) REUSE=1 ;;
	--lab) DIR=${2:?--lab DIR}; shift ;;
	--only) IT_FILTER=${2:?--only REGEX}; shift ;;
	--no-netns) NETNS=0 ;;
	-h|--help) sed -n '2,18p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
case $DIR in /*) ;; *) DIR=$(pwd)/$DIR ;; esac

MXDOC=${MXDOC:-build/mxdoc}
case $MXDOC in /*) ;; *) if [ -x "$MXDOC" ]; then MXDOC=$(pwd)/$MXDOC; else MXDOC=$REPO/$MXDOC; fi ;; esac
[ -x "$MXDOC" ] || { echo "run.sh: no mxdoc binary at $MXDOC (build it, or set MXDOC)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "run.sh: the lab needs root (ports 25/465/587, Postfix, namespaces)" >&2; exit 2; }
command -v jq >/dev/null || { echo "run.sh: jq is required (scripts/deps.sh)" >&2; exit 2; }

LAB=$REPO/scripts/lab/lab.sh
STARTED=0
cleanup() {
	if [ "$STARTED" -eq 1 ]; then
		LAB_QUIET=1 "$LAB" stop "$DIR" >/dev/null 2>&1
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$REUSE" -eq 1 ]; then
	"$LAB" status "$DIR" >/dev/null 2>&1 || { echo "run.sh: --reuse, but no lab runs in $DIR" >&2; exit 2; }
else
	STARTED=1
	"$LAB" start "$DIR" || { echo "run.sh: the lab did not start" >&2; exit 1; }
fi
set -a
. "$DIR/env"
set +a
export MXDOC LAB_DIR=$DIR
IT_OUT=$DIR/results
export IT_OUT
rm -rf "$IT_OUT"; mkdir -p "$IT_OUT"

T0=$SECONDS
echo "mxdoc: $MXDOC"
echo "lab:   $DIR (resolver $LAB_RESOLVER)"
it_file "$HERE/scenarios.tsv"

if [ "$NETNS" -eq 1 ]; then
	while IFS= read -r line; do
		case $line in
		*" passed, "*" failed"*)
			set -- $(echo "$line" | tr -dc '0-9 ')
			IT_PASS=$((IT_PASS + $1)); IT_FAIL=$((IT_FAIL + $2))
			IT_SKIP=$((IT_SKIP + ${3:-0})) ;;
		*) echo "$line" ;;
		esac
	done < <(IT_FILTER=$IT_FILTER "$HERE/netns.sh" "$DIR" 2>&1)
fi

echo "($((SECONDS - T0)) s; JSON of each run in $IT_OUT/)"
it_summary
[ "$IT_FAIL" -eq 0 ]
