#!/usr/bin/python3
"""submitd - the mxdoc lab's submission server (aiosmtpd).

Listens on ADDRESS:587, offers STARTTLS with the lab certificate and, only
after STARTTLS, AUTH PLAIN and LOGIN. One account: alice / lab-secret
(override with --user/--password). Accepts MAIL/RCPT only when authenticated;
DATA is accepted and discarded. Exits after --lifetime seconds.
"""

import argparse
import asyncio
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        return "250 2.0.0 Ok: discarded by the lab"


def make_authenticator(user, password):
    def authenticator(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = (auth_data.login.decode("utf-8", "replace") == user and
              auth_data.password.decode("utf-8", "replace") == password)
        return AuthResult(success=ok, handled=False)
    return authenticator


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.10.30")
    ap.add_argument("--port", type=int, default=587)
    ap.add_argument("--hostname", default="submit.test")
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--user", default="alice")
    ap.add_argument("--password", default="lab-secret")
    ap.add_argument("--lifetime", type=float, default=7200)
    a = ap.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)

    ctl = Controller(
        Handler(),
        hostname=a.listen,
        port=a.port,
        server_hostname=a.hostname,
        ident="mxdoc-lab submission",
        tls_context=ctx,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=make_authenticator(a.user, a.password),
        timeout=30,
    )
    ctl.start()
    print("submitd: %s:%d" % (a.listen, a.port), flush=True)
    try:
        end = time.monotonic() + a.lifetime
        while time.monotonic() < end:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        ctl.stop()


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    main()
