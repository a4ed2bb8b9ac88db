#!/bin/sh
# Golden tests: each tests/golden/cases/NAME.args holds the arguments of one
# mxdoc run (shell words, one line); NAME.out is the expected output (stdout
# and stderr) and NAME.rc the expected exit status. Runs need no network.
#   tests/golden/run.sh [--update]   (MXDOC=path/to/mxdoc, default build/mxdoc)
# Ends with "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
MXDOC=${MXDOC:-$top/build/mxdoc}
case $MXDOC in /*) ;; *) MXDOC=$top/$MXDOC ;; esac
update=0
[ "${1:-}" = "--update" ] && update=1
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export NO_COLOR=1
for args in "$top"/tests/golden/cases/*.args; do
	name=$(basename "$args" .args)
	dir=$(dirname "$args")
	line=$(cat "$args")
	# eval, so that a case may redirect its standard input from a file.
	( cd "$dir" && eval "\"\$MXDOC\" $line" ) >"$tmp/out" 2>&1 </dev/null
	rc=$?
	if [ $update -eq 1 ]; then
		cp "$tmp/out" "$dir/$name.out"
		echo "$rc" >"$dir/$name.rc"
		echo "updated $name"
		continue
	fi
	want_rc=$(cat "$dir/$name.rc" 2>/dev/null || echo 0)
	# A JSON case must also follow its command's schema in doc/.
	cmd=${line%% *}
	schema=$top/doc/$cmd.schema.json
	case " $line " in *" --json "*)
		if [ -f "$schema" ] && /usr/bin/python3 -c 'import jsonschema' 2>/dev/null &&
		    ! /usr/bin/python3 "$top/scripts/check-json.py" "$schema" "$tmp/out"; then
			fail=$((fail + 1))
			echo "FAIL $name: the output does not follow doc/$cmd.schema.json"
			continue
		fi ;;
	esac
	if [ "$rc" = "$want_rc" ] && cmp -s "$tmp/out" "$dir/$name.out"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $name (exit $rc, want $want_rc)"
		diff -u "$dir/$name.out" "$tmp/out" | head -20
	fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
