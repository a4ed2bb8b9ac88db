#!/usr/bin/python3
"""The dkimpy side of tests/dkim/run.sh.

  dkimpy_helper.py sign DOMAIN SELECTOR KEYFILE ALG CANON  < msg > signed
      ALG rsa-sha256 (KEYFILE: PKCS#1 PEM) or ed25519-sha256 (KEYFILE: the
      base64 32-byte seed); CANON like relaxed/simple.
  dkimpy_helper.py verify SERVER PORT  < msg
      exit 0 when dkimpy verifies the message (every signature), 1 when
      not; the keys come from the DNS server at SERVER:PORT (dnspython).
"""
import sys

import dkim
import dns.resolver


def dnsfunc_for(server, port):
    res = dns.resolver.Resolver(configure=False)
    res.nameservers = [server]
    res.port = port
    res.lifetime = 5.0

    def get_txt(name, timeout=5):
        qname = name.decode() if isinstance(name, bytes) else name
        try:
            ans = res.resolve(qname.rstrip('.') + '.', 'TXT')
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        for rr in ans:
            return b''.join(rr.strings)
        return None
    return get_txt


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == 'sign' and len(sys.argv) == 7:
        domain, selector, keyfile, alg, canon = sys.argv[2:7]
        with open(keyfile, 'rb') as f:
            key = f.read().strip()
        msg = sys.stdin.buffer.read()
        h, b = canon.split('/')
        sig = dkim.sign(msg, selector.encode(), domain.encode(), key,
                        canonicalize=(h.encode(), b.encode()),
                        signature_algorithm=alg.encode(),
                        include_headers=[b'from', b'to', b'subject',
                                         b'date', b'message-id'])
        sys.stdout.buffer.write(sig + msg)
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == 'verify':
        msg = sys.stdin.buffer.read()
        d = dkim.DKIM(msg)
        fn = dnsfunc_for(sys.argv[2], int(sys.argv[3]))
        n = len([x for x in d.headers if x[0].lower() == b'dkim-signature'])
        if n == 0:
            print('dkimpy: no signature')
            return 1
        for i in range(n):
            try:
                ok = d.verify(idx=i, dnsfunc=fn)
            except dkim.DKIMException as e:
                print('dkimpy: signature %d: %s' % (i, e))
                return 1
            if not ok:
                print('dkimpy: signature %d does not verify' % i)
                return 1
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main())
