#!/bin/sh
# SPF conformance through `mxdoc spf --batch --json`: the suites of
# run.sh, each scenario's tests in one process on one resolver, so that
# every test after the first meets the answer cache (and the parsed
# records) the tests before it left. The cache must change no result.
# usage: tests/spf/run-batch.sh [MXDOC]  default: build/mxdoc
# The last line is "N passed, N failed, N skipped"; exit 0 when none failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
mxdoc=${1:-$here/../../build/mxdoc}
exec /usr/bin/python3 "$here/conformance.py" "$mxdoc" --suite all --batch
