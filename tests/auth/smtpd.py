#!/usr/bin/env python3
"""tests/auth/smtpd.py - the MX for the DANE scenarios of tests/auth/run.sh
and the SMTP peer of the diagnose scenario of tests/monitor/run.sh.

A tiny SMTP server (Python stdlib: socket, ssl, threads) on ADDR:PORT
(default 127.0.0.1 at a free port): greeting, EHLO offering STARTTLS,
STARTTLS with CERT and KEY, EHLO again, QUIT; anything else gets 502. With
"busy" last, it greets every connection with 421 4.3.2 and closes it
instead. Prints the port on stdout once listening; exits after LIFETIME
seconds at the latest, or on SIGTERM; every connection is closed after 10
seconds of silence.
usage: smtpd.py CERT KEY LIFETIME [ADDR [PORT [busy]]]
"""
import signal
import socket
import ssl
import sys
import threading
import time


def serve(conn, ctx, busy):
    conn.settimeout(10)
    f = conn.makefile("rb")

    def send(s):
        conn.sendall(s.encode() + b"\r\n")

    try:
        if busy:
            send("421 4.3.2 mx.test too busy, try later")
            return
        send("220 mx.test ESMTP test")
        tls = False
        for _ in range(50):
            line = f.readline(1000)
            if not line:
                return
            verb = line.decode("ascii", "replace").strip().split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                if tls:
                    send("250-mx.test\r\n250 8BITMIME")
                else:
                    send("250-mx.test\r\n250-8BITMIME\r\n250 STARTTLS")
            elif verb == "STARTTLS" and not tls:
                send("220 2.0.0 ready")
                conn = ctx.wrap_socket(conn, server_side=True)
                conn.settimeout(10)
                f = conn.makefile("rb")
                tls = True
            elif verb == "QUIT":
                send("221 2.0.0 bye")
                return
            else:
                send("502 5.5.2 not here")
    except (OSError, ssl.SSLError):
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    cert, key, life = sys.argv[1:4]
    addr = sys.argv[4] if len(sys.argv) > 4 else "127.0.0.1"
    port = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    busy = len(sys.argv) > 6 and sys.argv[6] == "busy"
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(16)
    print(srv.getsockname()[1], flush=True)
    srv.settimeout(0.2)
    deadline = time.monotonic() + float(life)
    while time.monotonic() < deadline:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
        except OSError:
            return
        threading.Thread(target=serve, args=(conn, ctx, busy), daemon=True).start()


main()
