#!/usr/bin/python3
"""faultd - one process, many misbehaving SMTP listeners for the mxdoc lab.

Each line of the configuration file is "ADDRESS PORT MODE"; faultd listens on
every ADDRESS:PORT and treats each accepted connection by its MODE:

  ok               a small, well-behaved ESMTP server (STARTTLS when a cert is given)
  greet421         "421 4.3.2 Service not available, too many connections", then close
  silent           accept, never greet (hold the connection until the client leaves)
  reset            accept, then close with SO_LINGER 0 (the client sees a TCP RST)
  close            accept, then close without sending a byte (FIN)
  garbage          4096 bytes of binary noise without CR or LF, then hold
  drip             "220 ..." one byte per second
  longline         a 5000-byte greeting line, then behave like "ok"
  manylines        10000 "220-" continuation lines, then "220 ok", then "ok"
  ehlo421          greet, then answer EHLO with
                   "421 4.4.2 <host> Error: timeout exceeded" and close
  ehlo421-dropped  greet, then answer EHLO with "421 4.4.2 <host> Connection dropped"
  starttls-stall   offer STARTTLS, answer "220 2.0.0 Ready to start TLS", then
                   never speak TLS (read and discard until the client leaves)
  tls-old          offer STARTTLS, then handshake with a server limited to
                   TLS 1.0/1.1 at SECLEVEL 0 (an OpenSSL 3 client refuses)
  rcpt-421         healthy through MAIL (STARTTLS included), RCPT gets a 421 rate reply
  tls-certreq      offer STARTTLS, then a TLS 1.3 handshake that requires a client
                   certificate: the server's alert (certificate_required) comes
                   after the client thinks the handshake is done

Standard library only. Every connection is bounded (--conn-lifetime) and the
whole process exits after --lifetime seconds.
"""

import argparse
import os
import random
import selectors
import socket
import ssl
import struct
import sys
import threading
import time

CONN_LIFETIME = 60.0


class Session:
    """One accepted connection, served in its own thread."""

    def __init__(self, sock, peer, mode, hostname, tls_ctx, old_ctx, certreq_ctx=None):
        self.sock = sock
        self.peer = peer
        self.mode = mode
        self.host = hostname
        self.tls_ctx = tls_ctx
        self.old_ctx = old_ctx
        self.certreq_ctx = certreq_ctx
        self.deadline = time.monotonic() + CONN_LIFETIME
        self.buf = b""
        self.tls = False

    # -- io helpers
    def left(self):
        return max(0.05, self.deadline - time.monotonic())

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.settimeout(self.left())
        self.sock.sendall(data)

    def reply(self, *lines):
        out = "".join(lines[i][:3] + ("-" if i < len(lines) - 1 else " ") + lines[i][4:] + "\r\n"
                      for i in range(len(lines)))
        self.send(out)

    def readline(self):
        while b"\n" not in self.buf:
            if len(self.buf) > 4096:
                return None
            self.sock.settimeout(self.left())
            d = self.sock.recv(4096)
            if not d:
                return None
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("latin-1")

    def hold(self):
        """Reads and discards until the client leaves or the lifetime ends."""
        while time.monotonic() < self.deadline:
            self.sock.settimeout(self.left())
            try:
                if not self.sock.recv(4096):
                    return
            except (socket.timeout, OSError):
                return

    # -- modes
    def run(self):
        try:
            getattr(self, "m_" + self.mode.replace("-", "_"))()
        except (OSError, ssl.SSLError, socket.timeout, ValueError):
            pass
        finally:
            try:
                self.sock.close()
            except OSError:
                pass

    def m_ok(self, greeted=False):
        if not greeted:
            self.reply("220 %s ESMTP faultd" % self.host)
        self.smtp_loop()

    def ehlo_lines(self, name):
        lines = ["250-%s" % self.host, "250-PIPELINING", "250-SIZE 10240000"]
        if self.tls_ctx is not None and not self.tls:
            lines.append("250-STARTTLS")
        lines += ["250-ENHANCEDSTATUSCODES", "250-8BITMIME", "250 SMTPUTF8"]
        return lines

    def smtp_loop(self, rcpt_reply=None, on_starttls=None):
        have_mail = False
        while time.monotonic() < self.deadline:
            line = self.readline()
            if line is None:
                return
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                if verb == "HELO":
                    self.reply("250 %s" % self.host)
                else:
                    self.reply(*self.ehlo_lines(line[5:]))
            elif verb == "STARTTLS" and self.tls_ctx is not None and not self.tls:
                self.reply("220 2.0.0 Ready to start TLS")
                if on_starttls is not None:
                    on_starttls()
                    return
                self.sock = self.tls_ctx.wrap_socket(self.sock, server_side=True)
                self.tls = True
                self.buf = b""
            elif verb == "MAIL":
                have_mail = True
                self.reply("250 2.1.0 Ok")
            elif verb == "RCPT":
                if not have_mail:
                    self.reply("503 5.5.1 Error: need MAIL command")
                elif rcpt_reply:
                    self.reply(rcpt_reply)
                    if rcpt_reply.startswith("421"):
                        return
                else:
                    self.reply("250 2.1.5 Ok")
            elif verb == "RSET":
                have_mail = False
                self.reply("250 2.0.0 Ok")
            elif verb == "NOOP":
                self.reply("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            elif verb == "DATA":
                self.reply("554 5.5.1 Error: no valid recipients")
            else:
                self.reply("502 5.5.2 Error: command not recognized")

    def m_greet421(self):
        self.reply("421 4.3.2 Service not available, too many connections")
        time.sleep(0.2)

    def m_silent(self):
        self.hold()

    def m_reset(self):
        time.sleep(0.05)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def m_close(self):
        time.sleep(0.05)

    def m_garbage(self):
        rnd = random.Random(25)
        noise = bytes(b for b in (rnd.randrange(256) for _ in range(6000)) if b not in (10, 13))[:4096]
        self.send(noise)
        self.hold()

    def m_drip(self):
        for ch in ("220 %s ESMTP faultd drip\r\n" % self.host).encode():
            self.send(bytes([ch]))
            time.sleep(1.0)
        self.smtp_loop()

    def m_longline(self):
        self.send("220 " + self.host + " " + "x" * (5000 - len(self.host) - 5) + "\r\n")
        self.smtp_loop()

    def m_manylines(self):
        chunk = "".join("220-%s line %05d of a greeting that never ends\r\n" % (self.host, i)
                        for i in range(10000))
        self.send(chunk + "220 %s ESMTP faultd\r\n" % self.host)
        self.smtp_loop()

    def ehlo_then(self, text):
        self.reply("220 %s ESMTP faultd" % self.host)
        line = self.readline()
        if line is None:
            return
        self.reply(text)
        time.sleep(0.1)

    def m_ehlo421(self):
        self.ehlo_then("421 4.4.2 %s Error: timeout exceeded" % self.host)

    def m_ehlo421_dropped(self):
        self.ehlo_then("421 4.4.2 %s Connection dropped" % self.host)

    def m_starttls_stall(self):
        self.reply("220 %s ESMTP faultd" % self.host)
        self.smtp_loop(on_starttls=self.hold)

    def m_tls_old(self):
        def old_handshake():
            s = self.old_ctx.wrap_socket(self.sock, server_side=True, do_handshake_on_connect=False)
            s.settimeout(self.left())
            try:
                s.do_handshake()
            except (ssl.SSLError, OSError):
                return
            self.sock = s
            self.tls = True
            self.buf = b""
            self.smtp_loop()
        self.reply("220 %s ESMTP faultd" % self.host)
        self.smtp_loop(on_starttls=old_handshake)

    def m_tls_certreq(self):
        def certreq_handshake():
            try:
                s = self.certreq_ctx.wrap_socket(self.sock, server_side=True)
                s.settimeout(self.left())
                s.recv(100)
            except (ssl.SSLError, OSError):
                pass
        self.reply("220 %s ESMTP faultd" % self.host)
        self.smtp_loop(on_starttls=certreq_handshake)

    def m_rcpt_421(self):
        self.reply("220 %s ESMTP faultd" % self.host)
        self.smtp_loop(rcpt_reply="421 4.7.28 %s Our system has detected an unusual rate of "
                       "unsolicited mail originating from your IP address. To protect our users "
                       "from spam, mail sent from your IP address has been temporarily rate "
                       "limited." % self.host)


def host_for(addr, port):
    """The lab's naming: the address's zone entry is mx.<name>.test; faultd
    greets with a stable name derived from the address."""
    return "mx.faultd-%s.test" % addr.rsplit(".", 1)[-1]


def load_config(path):
    out = []
    with open(path) as f:
        for raw in f:
            line = raw.split("#", 1)[0].split()
            if not line:
                continue
            if len(line) < 3:
                sys.exit("faultd: bad line: %r" % raw)
            name = line[3] if len(line) > 3 else None
            out.append((line[0], int(line[1]), line[2], name))
    return out


def main():
    global CONN_LIFETIME
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--lifetime", type=float, default=7200)
    ap.add_argument("--conn-lifetime", type=float, default=60)
    a = ap.parse_args()
    CONN_LIFETIME = a.conn_lifetime

    tls_ctx = old_ctx = certreq_ctx = None
    if a.cert:
        # TLS 1.3 with a client certificate required: no client sends one.
        certreq_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        certreq_ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        certreq_ctx.load_cert_chain(a.cert, a.key)
        certreq_ctx.verify_mode = ssl.CERT_REQUIRED
        certreq_ctx.load_verify_locations(a.cert)
        tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_ctx.load_cert_chain(a.cert, a.key)
        old_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        old_ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        old_ctx.minimum_version = ssl.TLSVersion.TLSv1
        old_ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        old_ctx.load_cert_chain(a.cert, a.key)

    sel = selectors.DefaultSelector()
    for addr, port, mode, name in load_config(a.config):
        if not hasattr(Session, "m_" + mode.replace("-", "_")):
            sys.exit("faultd: unknown mode %s" % mode)
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        ls = socket.socket(fam, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((addr, port))
        ls.listen(64)
        ls.setblocking(False)
        sel.register(ls, selectors.EVENT_READ, (mode, name or host_for(addr, port)))
        print("faultd: %s:%d %s" % (addr, port, mode), flush=True)

    end = time.monotonic() + a.lifetime
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=1.0):
            mode, host = key.data
            try:
                cs, peer = key.fileobj.accept()
            except (BlockingIOError, OSError):
                continue
            cs.setblocking(True)
            s = Session(cs, peer, mode, host, tls_ctx, old_ctx, certreq_ctx)
            threading.Thread(target=s.run, daemon=True).start()
    print("faultd: lifetime over", flush=True)


if __name__ == "__main__":
    main()
