# tests/integration/lib.sh - shared by run.sh and netns.sh (sourced, bash).
#
# A scenario file has one scenario a line, six tab-separated columns; "-"
# stands for an empty column, lines starting with # are comments:
#
#   name  target  extra-args  cause  severity  jq
#
#   extra-args  words split on blanks; leading NAME=value words are put in
#               the environment of mxdoc (MXDOC_PASSWORD=...), the rest are
#               added after the common arguments; $LAB_NAME in a word is
#               replaced by that variable of DIR/env ($LAB_TRUST_ANCHOR)
#   cause       the expected verdict.cause; alternatives separated by "|"
#   severity    the expected verdict.severity ("|" alternatives, "-" any)
#   jq          an expression that must be true of the JSON document
#
# Every run: MXDOC diagnose TARGET --resolver $LAB_RESOLVER --ca-file $LAB_CA
#            --timeout $IT_TIMEOUT --json EXTRA..., under "timeout 30".

IT_PASS=0
IT_FAIL=0
IT_SKIP=0
IT_TIMEOUT=${IT_TIMEOUT:-3}
IT_GUARD=${IT_GUARD:-30}
IT_PREFIX=()		# e.g. (ip netns exec mxdoclab-c)
IT_PY=/usr/bin/python3
IT_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
IT_CHECKER=$IT_TOP/scripts/check-json.py
# Every document is validated against doc/diagnose.schema.json when the
# checker and python3-jsonschema are there.
IT_SCHEMA=$IT_TOP/doc/diagnose.schema.json
if ! [ -f "$IT_SCHEMA" ] || ! [ -f "$IT_CHECKER" ] || ! "$IT_PY" -c 'import jsonschema' 2>/dev/null; then
	IT_SCHEMA=
fi

it_line() {	# STATUS NAME TEXT
	printf '%-4s  %-18s %s\n' "$1" "$2" "$3"
}

it_match() {	# VALUE ALTERNATIVES
	local alt
	[ "$2" = "-" ] && return 0
	local IFS='|'
	for alt in $2; do
		[ "$1" = "$alt" ] && return 0
	done
	return 1
}

# it_run NAME TARGET EXTRA CAUSE SEVERITY JQ  (results in $IT_OUT/NAME.*)
it_run() {
	local name=$1 target=$2 extra=$3 want_cause=$4 want_sev=$5 expr=$6
	local out="$IT_OUT/$name.json" err="$IT_OUT/$name.err"
	local envs=() args=() w v rc t0 ms
	if [ "$extra" != "-" ]; then
		for w in $extra; do
			while [[ $w =~ \$(LAB_[A-Z0-9_]+) ]]; do
				v=${BASH_REMATCH[1]}
				w=${w/"\$$v"/${!v:-}}
			done
			if [ ${#args[@]} -eq 0 ] && [[ $w =~ ^[A-Z_][A-Z0-9_]*= ]]; then
				envs+=("$w")
			else
				args+=("$w")
			fi
		done
	fi
	t0=$(date +%s%N)
	"${IT_PREFIX[@]}" timeout -k 2 "$IT_GUARD" env "${envs[@]}" "$MXDOC" diagnose "$target" \
		--resolver "$LAB_RESOLVER" --ca-file "$LAB_CA" --timeout "$IT_TIMEOUT" --json "${args[@]}" \
		>"$out" 2>"$err" </dev/null
	rc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	printf '%s\n' "${IT_PREFIX[*]} ${envs[*]} $MXDOC diagnose '$target' --resolver $LAB_RESOLVER --ca-file $LAB_CA --timeout $IT_TIMEOUT --json ${args[*]}" >"$IT_OUT/$name.cmd"

	local want="$want_cause/$want_sev" got cause sev why="" schema_err
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		why="no answer within the ${IT_GUARD} s guard"
	elif ! jq -e 'type == "object"' "$out" >/dev/null 2>&1; then
		why="exit $rc, no JSON document ($(head -c 160 "$err" | tr '\n' ' '))"
	fi
	if [ -n "$why" ]; then
		IT_FAIL=$((IT_FAIL + 1))
		it_line FAIL "$name" "expected $want, got: $why [${ms} ms]"
		return 1
	fi
	cause=$(jq -r '.verdict.cause // "null"' "$out")
	sev=$(jq -r '.verdict.severity // "null"' "$out")
	got="$cause/$sev"
	if ! it_match "$cause" "$want_cause"; then
		why="cause"
	elif ! it_match "$sev" "$want_sev"; then
		why="severity"
	elif [ "$rc" -ge 2 ]; then
		why="exit status $rc (2 = usage, 3 = mxdoc could not work)"
	elif { [ "$sev" = ok ] || [ "$sev" = info ]; } && [ "$rc" -ne 0 ]; then
		why="exit status $rc with an $sev verdict (doc/diagnose.md: 0)"
	elif { [ "$sev" = warning ] || [ "$sev" = error ]; } && [ "$rc" -ne 1 ]; then
		why="exit status $rc with a $sev verdict (doc/diagnose.md: 1)"
	elif [ -n "$IT_SCHEMA" ] && ! schema_err=$("$IT_PY" "$IT_CHECKER" "$IT_SCHEMA" "$out" 2>&1); then
		why="schema: $(echo "$schema_err" | head -2 | tr '\n' ' ')"
	elif [ "$expr" != "-" ] && ! jq -e "$expr" "$out" >/dev/null 2>&1; then
		why="jq: $expr"
	fi
	if [ -n "$why" ]; then
		IT_FAIL=$((IT_FAIL + 1))
		local phase
		phase=$(jq -r '[.hosts[]?.addresses[]? | "\(.address):\(.port) \(.failed_phase // "-") \(.cause // "-")"] | join(", ")' "$out" 2>/dev/null)
		it_line FAIL "$name" "expected $want, got $got (mismatch: $why) [${ms} ms] addresses: ${phase:-none}"
		return 1
	fi
	IT_PASS=$((IT_PASS + 1))
	it_line PASS "$name" "$got [${ms} ms]"
	return 0
}

# it_file FILE: runs every scenario of FILE (NAME_FILTER: a grep -E on names).
it_file() {
	local name target extra cause sev expr
	while IFS=$'\t' read -r name target extra cause sev expr; do
		case $name in ''|'#'*) continue ;; esac
		if [ -n "${IT_FILTER:-}" ] && ! [[ $name =~ $IT_FILTER ]]; then
			continue
		fi
		it_run "$name" "$target" "${extra:--}" "${cause:--}" "${sev:--}" "${expr:--}"
	done <"$1"
}

it_skip() {	# NAME REASON
	IT_SKIP=$((IT_SKIP + 1))
	it_line SKIP "$1" "$2"
}

it_summary() {
	if [ "$IT_SKIP" -gt 0 ]; then
		echo "$IT_PASS passed, $IT_FAIL failed, $IT_SKIP skipped"
	else
		echo "$IT_PASS passed, $IT_FAIL failed"
	fi
}
