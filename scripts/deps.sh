#!/bin/sh
# Installs every Debian package that building, testing, the demo lab and the
# benchmarks need. Idempotent: packages already present are left alone.
# Usage: scripts/deps.sh            (as root, or through sudo)
set -eu

# libcurl4: mxdoc loads libcurl when it first needs it (src/core/http.c):
# nothing links it, so the run-time package is named on its own.
PKGS="
build-essential pkg-config meson ninja-build python3
clang llvm libclang-rt-14-dev
libunbound-dev libevent-dev libssl-dev libsqlite3-dev libexpat1-dev
libarchive-dev libpsl-dev libcurl4-openssl-dev zlib1g-dev
libcurl4
unbound postfix openssl iproute2 iptables procps psmisc
rbldnsd bind9-utils rblcheck dnsperf
swaks dnsutils jq time python3-aiosmtpd python3-jsonschema pflogsumm
python3-yaml prometheus
python3-spf spfquery python3-dkim python3-nacl python3-dnspython
chromium
"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && { echo "deps: all packages present"; exit 0; }

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# Postfix must not be configured or started as the machine's mailer: the lab
# runs its own instances with their own configuration directories.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
# Services that packages would start (unbound, postfix) stay stopped: the
# tests start their own on loopback.
pol=/usr/sbin/policy-rc.d
created=0
if [ ! -e "$pol" ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$pol" >/dev/null
	$SUDO chmod 755 "$pol"
	created=1
fi
echo "deps: installing$missing"
$SUDO apt-get update -qq || true
$SUDO apt-get install -y -qq --no-install-recommends $missing
[ "$created" -eq 1 ] && $SUDO rm -f "$pol"
exit 0
