#!/usr/bin/python3
"""SPF conformance: runs `mxdoc spf` against the openspf.org test suites
(RFC 7208, and RFC 4408 where RFC 7208 kept the rule), each scenario's
zone data served by a real unbound on loopback.

usage: conformance.py MXDOC [--suite all|rfc7208|rfc4408] [--batch] [-v]
                        [-k NAME]

Per scenario: one unbound (`unbound -d`) on 127.0.0.1 and a free port,
with the zone data as local-data; names marked TIMEOUT are forwarded to a
UDP socket of ours that never answers, so their lookups really time out.
Per test: `mxdoc spf --resolver 127.0.0.1@PORT --timeout 2 --json --ip HOST
--sender MAILFROM --helo HELO`, then `result` is compared (any of several
acceptable results passes) and `explanation` where the suite asserts one
("DEFAULT": no exp= text). Prints one line per failure and closes with
"N passed, N failed, N skipped". Exit 0 when nothing failed.

With --batch, a scenario's tests go through one `mxdoc spf --batch FILE
--json` (one line "IP SENDER HELO" each, JSON Lines back in order), so
they share one resolver and its answer cache, and each test after the
first is evaluated from what the ones before left there: the cache must
not change a result. Tests a batch line cannot carry (blanks or a NUL in
a name, no domain at all) run one process each as without --batch.
"""
import argparse
import concurrent.futures
import ipaddress
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

try:
    import yaml
except ImportError:
    yaml = None

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
UNBOUND = "/usr/sbin/unbound"

# RFC 4408 cases whose rule RFC 7208 changed: the RFC 4408 suite accepts
# several results there, the RFC 7208 suite asserts the one RFC 7208 wants
# (tests/spf/README.md says why for each).
RFC4408_EXCLUDED = {
    # RFC 7208 3.1 and 4.4: the SPF RR type (99) is gone; only TXT counts.
    "txtonly", "spfonly", "spftimeout", "txttimeout", "nospftxttimeout",
    "spfoverride", "multitxt1", "multispf2",
    # RFC 7208 5 (and 5.6): an IPv4-mapped client is IPv4, ip6 never matches.
    "cidr6-0-ip4", "cidr6-ip4",
    # RFC 7208 4.6.4: more than 10 MX names is a permerror.
    "mx-limit",
    # RFC 7208 5: a DNS error in exists is temperror, not a no-match.
    "exists-dnserr",
}
SUITE_SIZE = {"rfc7208": 203, "rfc4408": 191}


def shared_dir():
    return os.environ.get("MXDOC_SHARED",
                          os.path.join(REPO, "..", "shared"))


def raw_bytes(v):
    """YAML gives text; "\\xEF" escapes arrive as code points < 256. Those
    become single bytes, anything above as UTF-8."""
    if isinstance(v, bytes):
        return v
    v = str(v)
    out = bytearray()
    for ch in v:
        o = ord(ch)
        out += bytes([o]) if o < 256 else ch.encode("utf-8")
    return bytes(out)


def esc_name(name):
    """A domain name in zone-file text: unusual bytes as \\DDD."""
    b = raw_bytes(name)
    if not b.endswith(b"."):
        b += b"."
    out = []
    for c in b:
        ch = chr(c)
        if ch.isalnum() or ch in ".-_":
            out.append(ch)
        else:
            out.append("\\%03d" % c)
    return "".join(out)


def esc_strings(v):
    """TXT character-strings: a list of values, each split at 255 bytes,
    every byte outside safe printable ASCII as \\DDD inside quotes."""
    parts = v if isinstance(v, list) else [v]
    out = []
    for p in parts:
        b = raw_bytes(p)
        chunks = [b[i:i + 255] for i in range(0, len(b), 255)] or [b""]
        for ch in chunks:
            s = "".join(chr(c) if 0x20 <= c < 0x7f and chr(c) not in
                        "\"\\';" else "\\%03d" % c for c in ch)
            out.append('"%s"' % s)
    return " ".join(out)


def zone_config(zonedata, deadport):
    """The unbound.conf lines for one scenario's zone data."""
    zones, data, timeouts = set(), [], set()
    owners = {}
    for name, rrs in (zonedata or {}).items():
        owners.setdefault(str(name).lower(), (name, []))[1].extend(rrs or [])
    for key, (name, rrs) in owners.items():
        has_txt = any(isinstance(r, dict) and "TXT" in r for r in rrs)
        if any(r == "TIMEOUT" for r in rrs):
            timeouts.add(key)
        n = esc_name(name)
        for r in rrs:
            if not isinstance(r, dict):
                continue
            for typ, val in r.items():
                if typ in ("TXT", "SPF"):
                    if val == "NONE" or val == [] or val is None:
                        continue
                    if typ == "TXT" or not has_txt:
                        data.append("%s TXT %s" % (n, esc_strings(val)))
                    if typ == "SPF":
                        data.append("%s TYPE99 %s" % (n, esc_strings(val)))
                elif typ == "A" or typ == "AAAA":
                    data.append("%s %s %s" % (n, typ, val))
                elif typ == "MX":
                    pref, host = val
                    data.append("%s MX %d %s" % (n, int(pref),
                                                 esc_name(host) if host else "."))
                elif typ in ("PTR", "CNAME"):
                    data.append("%s %s %s" % (n, typ, esc_name(val)))
                else:
                    raise ValueError("unknown RR type %s" % typ)
        zones.add(key)
    lines = ['local-zone: "." static']
    for key in sorted(zones):
        kind = "typetransparent" if key in timeouts else "static"
        lines.append('local-zone: "%s" %s' % (esc_name(key), kind))
    for d in data:
        lines.append("local-data: '%s'" % d)
    fwd = []
    for key in sorted(timeouts):
        fwd += ["forward-zone:", '  name: "%s"' % esc_name(key),
                "  forward-addr: 127.0.0.1@%d" % deadport]
    return lines, fwd


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t.bind(("127.0.0.1", port))
    except OSError:
        return free_port()
    finally:
        t.close()
    return port


def dns_probe(port, timeout=5.0):
    """True once something answers a query on 127.0.0.1:port."""
    q = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + \
        b"\x05probe\x00\x00\x01\x00\x01"
    end = time.time() + timeout
    while time.time() < end:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(0.2)
        try:
            s.sendto(q, ("127.0.0.1", port))
            s.recvfrom(512)
            return True
        except OSError:
            time.sleep(0.05)
        finally:
            s.close()
    return False


class Unbound:
    def __init__(self, zonedata, deadport, tmp):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(dir=tmp)
        conf = os.path.join(self.dir, "unbound.conf")
        lines, fwd = zone_config(zonedata, deadport)
        server = [
            "server:",
            "  interface: 127.0.0.1",
            "  port: %d" % self.port,
            "  do-daemonize: no",
            '  chroot: ""',
            '  username: ""',
            '  directory: "%s"' % self.dir,
            '  pidfile: "%s"' % os.path.join(self.dir, "unbound.pid"),
            "  use-syslog: no",
            '  logfile: ""',
            "  verbosity: 0",
            "  do-ip6: no",
            "  num-threads: 1",
            "  access-control: 127.0.0.0/8 allow",
            '  module-config: "iterator"',
            "  do-not-query-localhost: no",
            "  qname-minimisation: no",
            "  minimal-responses: yes",
        ] + ["  " + l for l in lines] + \
            ["remote-control:", "  control-enable: no"] + fwd
        with open(conf, "w", encoding="latin-1") as f:
            f.write("\n".join(server) + "\n")
        self.proc = subprocess.Popen([UNBOUND, "-d", "-c", conf],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        if not dns_probe(self.port):
            err = b""
            self.stop()
            if self.proc.stderr:
                err = self.proc.stderr.read()
            raise RuntimeError("unbound did not start: %s" %
                               err.decode("latin-1")[-2000:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def load_schema():
    """A validator for doc/spf.schema.json, or None without
    python3-jsonschema: every document the suite gets is checked."""
    try:
        import jsonschema
    except ImportError:
        return None
    doc = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "doc")
    store = {}
    for name in os.listdir(doc):
        if name.endswith(".schema.json"):
            s = json.load(open(os.path.join(doc, name)))
            if "$id" in s:
                store[s["$id"]] = s
    schema = store.get("urn:mxdoc:spf")
    if schema is None:
        return None
    resolver = jsonschema.RefResolver.from_schema(schema, store=store)
    return jsonschema.Draft202012Validator(schema, resolver=resolver)


SCHEMA = load_schema()


def run_test(mxdoc, port, t):
    args = [mxdoc, "spf", "--resolver", "127.0.0.1@%d" % port,
            "--timeout", "2", "--json", "--ip", str(t["host"]),
            "--sender", str(t.get("mailfrom", "")),
            "--helo", str(t.get("helo", ""))]
    # argv cannot carry a NUL; other bytes go through as latin-1.
    args = [a.encode("latin-1", "replace") if isinstance(a, str) else a
            for a in args]
    try:
        p = subprocess.run(args, capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        return None, None, "mxdoc did not finish in 60 s"
    try:
        doc = json.loads(p.stdout.decode("utf-8", "replace"))
    except ValueError:
        return None, None, "exit %d, no JSON: %s" % (
            p.returncode, p.stderr.decode("latin-1")[-300:].strip())
    if SCHEMA is not None:
        errors = list(SCHEMA.iter_errors(doc))
        if errors:
            return doc.get("result"), doc.get("explanation"), \
                "the document does not follow doc/spf.schema.json: %s" % errors[0].message
    want_rc = 0 if doc.get("result") == "pass" else 1
    if p.returncode != want_rc:
        return doc.get("result"), doc.get("explanation"), \
            "exit %d for %s" % (p.returncode, doc.get("result"))
    return doc.get("result"), doc.get("explanation"), None


def batch_line(t):
    """The --batch line of a test as bytes, or None when a line cannot
    say what the command line does."""
    host = str(t["host"])
    sender = raw_bytes(t.get("mailfrom", ""))
    helo = raw_bytes(t.get("helo", ""))
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    for w in (sender, helo):
        if any(c in b" \t\r\n\0" for c in w):
            return None
    if sender in (b"<>", b'""') or helo == b"-" or len(sender) > 512 or \
            len(helo) > 255 or (not sender and not helo):
        return None
    return b" ".join([host.encode(), sender or b"<>", helo or b"-"])


def run_batch(mxdoc, port, lines, tmp):
    """Runs one batch; a list of (result, explanation, error), one per
    line, in order."""
    path = os.path.join(tmp, "batch.%d.in" % port)
    with open(path, "wb") as f:
        f.write(b"\n".join(lines) + b"\n")
    args = [mxdoc, "spf", "--resolver", "127.0.0.1@%d" % port,
            "--timeout", "2", "--json", "--batch", path]
    try:
        p = subprocess.run(args, capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        return [(None, None, "mxdoc --batch did not finish in 120 s")] * \
            len(lines)
    out = p.stdout.decode("utf-8", "replace").splitlines()
    if len(out) != len(lines) or p.returncode not in (0, 1):
        why = "--batch: exit %d, %d of %d lines: %s" % (
            p.returncode, len(out), len(lines),
            p.stderr.decode("latin-1")[-300:].strip())
        return [(None, None, why)] * len(lines)
    res = []
    for line in out:
        try:
            doc = json.loads(line)
        except ValueError:
            res.append((None, None, "--batch: a line is not JSON"))
            continue
        err = None
        if SCHEMA is not None:
            errors = list(SCHEMA.iter_errors(doc))
            if errors:
                err = "the document does not follow " \
                    "doc/spf.schema.json: %s" % errors[0].message
        res.append((doc.get("result"), doc.get("explanation"), err))
    return res


def check(t, result, expl, err):
    """None when the test passes, else why not."""
    if err is not None:
        return err
    want = t["result"] if isinstance(t["result"], list) else [t["result"]]
    if result not in want:
        return "result %s, want %s" % (result, "/".join(want))
    if "explanation" in t and result == "fail":
        we = t["explanation"]
        if we == "DEFAULT":
            if expl is not None:
                return "explanation %r, want none (DEFAULT)" % expl
        elif expl is None or expl.lower() != str(we).lower():
            # DNS names are case-blind: the suite writes IPv6 nibbles in
            # upper case, RFC 7208 7.4's own example in lower case.
            return "explanation %r, want %r" % (expl, we)
    return None


def run_suite(a, suite):
    """Runs one suite; returns (passed, failed, skipped)."""
    path = os.path.join(shared_dir(), "testdata", "spf",
                        "%s-tests.yml" % suite)
    if not os.path.exists(path) or yaml is None or \
            not os.access(UNBOUND, os.X_OK):
        why = ("%s not found" % path if not os.path.exists(path) else
               "python3-yaml missing" if yaml is None else
               "%s missing (scripts/deps.sh)" % UNBOUND)
        print("spf conformance %s: skipped: %s" % (suite, why))
        return 0, 0, SUITE_SIZE[suite]
    with open(path, "rb") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]

    passed = failed = skipped = 0
    tmp = tempfile.mkdtemp(prefix="mxdoc-spf-")
    dead = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dead.bind(("127.0.0.1", 0))     # never read: lookups sent here time out
    deadport = dead.getsockname()[1]
    servers = []

    def cleanup():
        for s in list(servers):
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    def on_signal(*_):
        cleanup()
        sys.exit(1)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        for doc in docs:
            tests = doc.get("tests") or {}
            run = {}
            for name, t in tests.items():
                if a.only and name != a.only:
                    continue
                if suite == "rfc4408" and name in RFC4408_EXCLUDED:
                    skipped += 1
                    continue
                run[name] = t
            if not run:
                continue
            ub = Unbound(doc.get("zonedata"), deadport, tmp)
            servers.append(ub)
            try:
                got = {}
                if a.batch:
                    names, lines = [], []
                    for name, t in run.items():
                        line = batch_line(t)
                        if line is not None:
                            names.append(name)
                            lines.append(line)
                    if lines:
                        got = dict(zip(names, run_batch(a.mxdoc, ub.port,
                                                        lines, tmp)))
                with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
                    futs = {name: ex.submit(run_test, a.mxdoc, ub.port, t)
                            for name, t in run.items() if name not in got}
                    for name, t in run.items():
                        res, expl, err = got[name] if name in got else \
                            futs[name].result()
                        why = check(t, res, expl, err)
                        if why is None:
                            passed += 1
                            if a.verbose:
                                print("ok   %s %s: %s%s" % (
                                    suite, name, res,
                                    " (batch)" if name in got else ""))
                        else:
                            failed += 1
                            print("FAIL %s %s/%s: %s" % (
                                suite, doc.get("description", "?"), name,
                                why))
            finally:
                ub.stop()
                servers.remove(ub)
    finally:
        cleanup()
        dead.close()
    return passed, failed, skipped


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mxdoc")
    ap.add_argument("--suite", default="all",
                    choices=["all", "rfc7208", "rfc4408"])
    ap.add_argument("-k", dest="only", help="run only this test name")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("-j", "--jobs", type=int, default=8)
    ap.add_argument("--batch", action="store_true",
                    help="a scenario's tests in one mxdoc spf --batch")
    a = ap.parse_args()
    if not os.access(a.mxdoc, os.X_OK):
        print("spf conformance: %s is not executable" % a.mxdoc)
        print("0 passed, 1 failed, 0 skipped")
        return 1
    suites = ["rfc7208", "rfc4408"] if a.suite == "all" else [a.suite]
    total = [0, 0, 0]
    for suite in suites:
        p, f, s = run_suite(a, suite)
        print("%s: %d passed, %d failed, %d skipped" % (suite, p, f, s))
        total = [total[0] + p, total[1] + f, total[2] + s]
    print("%d passed, %d failed, %d skipped" % tuple(total))
    return 1 if total[1] else 0


if __name__ == "__main__":
    sys.exit(main())
