#!/usr/bin/env python3
"""tests/auth/httpsd.py - the MTA-STS policy host for tests/auth/run.sh.

Serves /.well-known/mta-sts.txt over HTTPS on 127.0.0.1 at a free port,
choosing the policy by the Host header (the files in POLICYDIR are named
after the host). Prints the port on stdout once listening; exits after
LIFETIME seconds at the latest.
usage: httpsd.py CERT KEY POLICYDIR LIFETIME
"""
import http.server
import os
import ssl
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        path = os.path.join(sys.argv[3], host)
        if self.path != "/.well-known/mta-sts.txt" or not os.path.isfile(path):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with open(path, "rb") as f:
            body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(http.server.ThreadingHTTPServer):
    # Many fetches at once (auth --file): a deep accept queue, so no SYN
    # is dropped and retried a second later.
    request_queue_size = 256
    daemon_threads = True


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[1], sys.argv[2])
    # The handshake runs in each connection's thread, not in accept().
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                 do_handshake_on_connect=False)
    print(srv.server_address[1], flush=True)
    threading.Timer(float(sys.argv[4]), srv.shutdown).start()
    srv.serve_forever()


main()
