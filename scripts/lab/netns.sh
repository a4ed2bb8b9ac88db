#!/bin/bash
# netns.sh - the lab's network-path faults, in two network namespaces.
#
#   scripts/lab/netns.sh start DIR | stop DIR | check
#
#   mxdoclab-c (client) 198.18.0.1/30 --veth-- 198.18.0.2/30 (server) mxdoclab-s
#
#   198.18.0.2    listens on 25 (SMTP, faultd "ok"), 587 (same), 443 and 80;
#                 the client's iptables drops outgoing --dport 25: port blocked,
#                 443 answers -> net.port_blocked; 587 works (the control).
#   198.18.1.2    second server address, routed over the veth; the server's
#                 iptables drops everything to it -> net.connect_timeout.
#   198.18.2.0/24 "ip route add unreachable" in the client -> net.unreachable.
#
# 198.18.0.0/15 is the benchmarking range (RFC 2544): it exists only inside
# these namespaces. Tests run: ip netns exec mxdoclab-c mxdoc diagnose ...
# "check" exits 0 when this machine can create namespaces, veth and iptables
# rules, and prints the reason otherwise.
set -u

LAB_SRC=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
C=mxdoclab-c
S=mxdoclab-s
VC=mxdoclab-c0
VS=mxdoclab-s0

log() { echo "netns: $*" >&2; }

teardown() {
	ip netns pids "$S" 2>/dev/null | while read -r p; do kill -TERM "$p" 2>/dev/null; done
	ip netns pids "$C" 2>/dev/null | while read -r p; do kill -TERM "$p" 2>/dev/null; done
	ip netns del "$C" 2>/dev/null
	ip netns del "$S" 2>/dev/null
	ip link del "$VC" 2>/dev/null
	true
}

check() {
	local why=""
	[ "$(id -u)" -eq 0 ] || { echo "not root"; return 1; }
	command -v iptables >/dev/null || { echo "iptables missing"; return 1; }
	ip netns add mxdoclab-probe 2>/dev/null || { echo "ip netns add failed (no CAP_SYS_ADMIN or no netns support)"; return 1; }
	ip netns exec mxdoclab-probe iptables -A OUTPUT -p tcp --dport 9 -j DROP 2>/dev/null ||
		why="iptables does not work inside a namespace"
	ip netns del mxdoclab-probe 2>/dev/null
	[ -z "$why" ] || { echo "$why"; return 1; }
	return 0
}

start() {
	local dir=$1 why
	if ! why=$(check); then
		log "unavailable: $why"
		return 1
	fi
	teardown
	set -e
	ip netns add "$C"
	ip netns add "$S"
	ip link add "$VC" type veth peer name "$VS"
	ip link set "$VC" netns "$C"
	ip link set "$VS" netns "$S"
	ip -n "$C" link set lo up
	ip -n "$S" link set lo up
	ip -n "$C" addr add 198.18.0.1/30 dev "$VC"
	ip -n "$S" addr add 198.18.0.2/30 dev "$VS"
	ip -n "$S" addr add 198.18.1.2/32 dev "$VS"
	ip -n "$C" link set "$VC" up
	ip -n "$S" link set "$VS" up
	ip -n "$C" route add 198.18.1.0/24 via 198.18.0.2
	ip -n "$C" route add unreachable 198.18.2.0/24
	ip netns exec "$C" iptables -A OUTPUT -p tcp --dport 25 -j DROP
	ip netns exec "$S" iptables -A INPUT -d 198.18.1.2 -j DROP
	set +e
	cat >"$dir/netns-faultd.conf" <<'EOF'
198.18.0.2 25  ok     mx.netns.test
198.18.0.2 587 ok     mx.netns.test
198.18.0.2 443 silent mx.netns.test
198.18.0.2 80  silent mx.netns.test
198.18.1.2 25  ok     mx.blackhole.test
198.18.1.2 443 silent mx.blackhole.test
198.18.1.2 80  silent mx.blackhole.test
EOF
	# setsid: own session; killed by "stop" through ip netns pids.
	ip netns exec "$S" setsid timeout -s TERM 7200 "$PY" "$LAB_SRC/faultd.py" \
		--config "$dir/netns-faultd.conf" --conn-lifetime 20 \
		</dev/null >>"$dir/log/netns-faultd.log" 2>&1 &
	local i
	for i in $(seq 1 50); do
		ip netns exec "$S" ss -Hltn "sport = :443" 2>/dev/null | grep -q . && break
		sleep 0.1
	done
	# the control: 587 answers through the veth
	if ! ip netns exec "$C" "$PY" -c '
import socket
s = socket.create_connection(("198.18.0.2", 587), timeout=2)
assert s.recv(100).startswith(b"220")' 2>>"$dir/log/netns-faultd.log"; then
		log "the veth path does not work (see $dir/log/netns-faultd.log)"
		teardown
		return 1
	fi
	touch "$dir/run/netns.up"
	log "up: client $C, server $S"
}

stop() {
	local dir=$1
	teardown
	rm -f "$dir/run/netns.up"
}

case ${1:-} in
start) mkdir -p "${2:?DIR}/run" "$2/log"; start "$2" ;;
stop) stop "${2:?DIR}" ;;
check) check ;;
*) echo "usage: $0 start DIR | stop DIR | check" >&2; exit 2 ;;
esac
