#!/bin/sh
# SPF conformance: the RFC 7208 test suite (all 203 cases) and the RFC 4408
# suite where RFC 7208 kept the rule, against `mxdoc spf`, with each
# scenario's zones served by unbound on loopback (tests/spf/README.md).
# usage: tests/spf/run.sh [MXDOC]        default: build/mxdoc
# The last line is "N passed, N failed, N skipped"; exit 0 when none failed.
# Without the suites ($MXDOC_SHARED/testdata/spf, default ../shared),
# python3-yaml or unbound, it says why, counts the cases skipped, exits 0.
set -u
here=$(cd "$(dirname "$0")" && pwd)
mxdoc=${1:-$here/../../build/mxdoc}
exec /usr/bin/python3 "$here/conformance.py" "$mxdoc" --suite all
