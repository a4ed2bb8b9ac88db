#!/usr/bin/python3
"""bench/blocklist-forwarder.py - a UDP DNS forwarder that adds a delay.

    blocklist-forwarder.py LISTEN_ADDR LISTEN_PORT UPSTREAM_ADDR UPSTREAM_PORT [DELAY_MS]

Forwards every DNS query it receives to the upstream server and holds each
answer for DELAY_MS (default 20) milliseconds before passing it back, the
way a resolver that far away would. One thread, one selectors loop: a reply
waiting out its delay never holds up another query or reply. The query id is
rewritten on the way up (16 bits, a counter), so clients whose ids collide
still get their own answers. At most UPSTREAM_MAX queries are out at the
upstream at once, the rest wait here: rbldnsd's socket buffer (the kernel's
default, about 270 small datagrams) would drop a larger burst, and a dropped
query costs the client a retry after hundreds of milliseconds, which would
measure the buffer, not the client. rbldnsd answers in microseconds, so the
queue adds nothing a client could see. Prints "ready" once it listens, and a line of
counts when it is stopped (SIGTERM or SIGINT). Used by bench/blocklist only.
"""
import collections
import heapq
import selectors
import signal
import socket
import sys
import time


UPSTREAM_MAX = 128
UPSTREAM_GIVEUP = 2.0   # seconds: a query rbldnsd never answered frees its slot


def main():
    if len(sys.argv) not in (5, 6):
        sys.stderr.write(__doc__)
        return 2
    laddr, lport = sys.argv[1], int(sys.argv[2])
    uaddr, uport = sys.argv[3], int(sys.argv[4])
    delay = (float(sys.argv[5]) if len(sys.argv) == 6 else 20.0) / 1000.0

    down = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    down.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    down.bind((laddr, lport))
    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    up.bind(("127.0.0.1", 0))
    for s in (down, up):
        # As root, past net.core.rmem_max: a client's burst of a few
        # thousand queries must not be dropped here.
        for opt, force in ((socket.SO_RCVBUF, 33), (socket.SO_SNDBUF, 32)):
            try:
                s.setsockopt(socket.SOL_SOCKET, force, 8 << 20)
            except OSError:
                s.setsockopt(socket.SOL_SOCKET, opt, 8 << 20)
        s.setblocking(False)

    sel = selectors.DefaultSelector()
    sel.register(down, selectors.EVENT_READ, "down")
    sel.register(up, selectors.EVENT_READ, "up")

    pending = {}        # upstream id -> (client id bytes, client address, sent at)
    waiting = collections.deque()   # (client packet, client address)
    held = []           # heap of (release time, sequence, packet, client address)
    next_id = 0
    seq = 0
    stats = {"queries": 0, "answers": 0, "dropped": 0, "lost": 0}
    running = [True]

    def stop(*_):
        running[0] = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("ready", flush=True)

    def send_up(now):
        nonlocal next_id
        if len(pending) >= UPSTREAM_MAX and waiting:
            # Forget queries the upstream never answered (rare, bounded).
            for qid in [q for q, e in pending.items() if now - e[2] > UPSTREAM_GIVEUP]:
                del pending[qid]
                stats["lost"] += 1
        while waiting and len(pending) < UPSTREAM_MAX:
            pkt, addr = waiting.popleft()
            qid = next_id
            next_id = (next_id + 1) & 0xFFFF
            pending[qid] = (pkt[:2], addr, now)
            try:
                up.sendto(qid.to_bytes(2, "big") + pkt[2:], (uaddr, uport))
            except OSError:
                stats["dropped"] += 1

    while running[0]:
        now = time.monotonic()
        while held and held[0][0] <= now:
            _, _, pkt, addr = heapq.heappop(held)
            try:
                down.sendto(pkt, addr)
                stats["answers"] += 1
            except OSError:
                stats["dropped"] += 1
        timeout = max(0.0, held[0][0] - now) if held else 0.5
        try:
            events = sel.select(timeout)
        except InterruptedError:
            continue
        for key, _ in events:
            sock = key.fileobj
            for _ in range(256):        # drain what is there, bounded
                try:
                    pkt, addr = sock.recvfrom(65535)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break
                if len(pkt) < 12:
                    continue
                if key.data == "down":
                    stats["queries"] += 1
                    waiting.append((pkt, addr))
                else:
                    qid = int.from_bytes(pkt[:2], "big")
                    entry = pending.pop(qid, None)
                    if entry is None:
                        continue
                    cid, caddr, _ = entry
                    seq += 1
                    heapq.heappush(held, (time.monotonic() + delay, seq,
                                          cid + pkt[2:], caddr))
        send_up(time.monotonic())
    print("forwarder: %(queries)d queries, %(answers)d answers, "
          "%(dropped)d dropped, %(lost)d never answered upstream" % stats, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
