#!/usr/bin/env python3
"""Golden test of seed 003's glue rules, on the wire.

Writes one capture (with tests/golden/gen_captures.py's message and frame
builders) in which a resolver receives a referral with in-bailiwick A and
AAAA glue, a referral with only out-of-bailiwick glue followed by the NS
name's answer within 2 s, a referral without glue whose answer comes 2.5
s later, and an ordinary answer for a C&C-like name; a host then queries
each of those addresses directly, before and after they were learned and
after the glue's TTL. 'dnshound nshist check --json' must give the
verdicts of the table below, written by hand from the capture; 'nshist
show --json' the rows; and the findings table two findings for the host.
Then the live mode through follow's loop: 'nshist check -- follow' reads a
growing BIND query log against the history the capture taught.

    golden.py DNSHOUND
"""

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "golden"))
sys.dont_write_bytecode = True

import gen_captures as g  # noqa: E402

T0 = 1714564800 * 10**9  # 2024-05-01T12:00:00Z
S = 10**9
RES, TLD, AUTH = "10.0.0.53", "198.51.100.1", "198.51.100.67"
HOST, HOST6 = "10.1.0.7", "fd00::7"


def frame(ts, src, dst, sport, dport, msg):
    return (ts, g.eth(g.ip_udp(src, dst, sport, dport, msg)))


def exchange(frames, t, client, server, ident, qname, qtype, answers=(), authority=(),
             additional=(), flags=g.F_RESP, port=40000):
    """A query at t and its response 10 ms later."""
    frames.append(frame(t, client, server, port, 53,
                        g.dns_message(ident, 0, qname, qtype)))
    frames.append(frame(t + 10**7, server, client, 53, port,
                        g.dns_message(ident, flags, qname, qtype, answers, authority,
                                      additional)))


def capture():
    f = []
    # 1. Referral for example.com. with in-bailiwick A and AAAA glue.
    exchange(f, T0, RES, TLD, 1, "www.example.com", g.T_A,
             authority=[("example.com", g.T_NS, 86400, g.nm("ns1.example.com"))],
             additional=[("ns1.example.com", g.T_A, 60, g.a("192.0.2.53")),
                         ("ns1.example.com", g.T_AAAA, 60, g.aaaa("2001:db8::53"))],
             flags=0x8000)
    # 2. Referral for other.com. whose NS lives in another zone: its
    #    address in the additional section is not believed; the resolver
    #    then asks for it and gets another address 0.4 s later.
    exchange(f, T0 + S // 10, RES, TLD, 2, "www.other.com", g.T_A,
             authority=[("other.com", g.T_NS, 86400, g.nm("ns.dns-host.net"))],
             additional=[("ns.dns-host.net", g.T_A, 3600, g.a("198.51.100.66"))],
             flags=0x8000)
    exchange(f, T0 + S // 2, RES, TLD, 3, "ns.dns-host.net", g.T_A,
             answers=[("ns.dns-host.net", g.T_A, 3600, g.a(AUTH))], flags=g.F_RESP_AA)
    # 3. Referral for late.com. without glue; the answer for its NS name
    #    comes 2.5 s later: too late to be glue, an ordinary answer.
    exchange(f, T0 + S, RES, TLD, 4, "www.late.com", g.T_A,
             authority=[("late.com", g.T_NS, 86400, g.nm("ns.late.net"))], flags=0x8000)
    exchange(f, T0 + 3 * S + S // 2, RES, TLD, 5, "ns.late.net", g.T_A,
             answers=[("ns.late.net", g.T_A, 3600, g.a("198.51.100.88"))], flags=g.F_RESP_AA)
    # 4. The host resolves a C&C-like name through the resolver.
    exchange(f, T0 + 2 * S, HOST, RES, 6, "cc.bad.test", g.T_A,
             answers=[("cc.bad.test", g.T_A, 300, g.a("203.0.113.9"))], port=41000)
    # The host's direct queries (responses do not matter to the check).
    q = [(T0 - S, HOST, "192.0.2.53", "www.example.com", g.T_A),
         (T0 + 5 * S, HOST, "192.0.2.53", "www.example.com", g.T_A),
         (T0 + 5 * S, HOST6, "2001:db8::53", "www.example.com", g.T_A),
         (T0 + 5 * S, HOST, "198.51.100.66", "www.other.com", g.T_A),
         (T0 + 5 * S, HOST, AUTH, "www.other.com", g.T_A),
         (T0 + 5 * S, HOST, "198.51.100.88", "www.late.com", g.T_A),
         (T0 + 5 * S, HOST, "203.0.113.9", "x1.cc.bad.test", g.T_TXT),
         (T0 + 5 * S, HOST, "203.0.113.200", "x2.cc.evil.test", g.T_TXT),
         (T0 + 5 * S, HOST, RES, "www.example.com", g.T_A),
         (T0 + 5 * S, HOST, "8.8.8.8", "www.example.com", g.T_A),
         (T0 + 100 * S, HOST, "192.0.2.53", "www.example.com", g.T_A)]
    for i, (t, src, dst, qname, qtype) in enumerate(q):
        f.append(frame(t, src, dst, 42000 + i, 53, g.dns_message(100 + i, 0, qname, qtype)))
    f.sort(key=lambda x: x[0])
    return g.pcap_file(f, 1)


# (ts offset s, client, server, qname, qtype, verdict, glue_src or table, flag)
# In one pass the first query comes before anything is known (no row);
# checked again against the saved history, the row is there but learned
# after the query (EXPECTED_AGAIN).
EXPECTED = [
    (-1, HOST, "192.0.2.53", "www.example.com.", "A", "unknown", None, None),
    (2, HOST, RES, "cc.bad.test.", "A", "resolver", None, None),
    (5, HOST, "192.0.2.53", "www.example.com.", "A", "registered", "additional", None),
    (5, HOST6, "2001:db8::53", "www.example.com.", "A", "registered", "additional", None),
    (5, HOST, "198.51.100.66", "www.other.com.", "A", "unknown", None, None),
    (5, HOST, AUTH, "www.other.com.", "A", "registered", "later-answer", None),
    (5, HOST, "198.51.100.88", "www.late.com.", "A", "indirect", "nshist_answer", None),
    (5, HOST, "203.0.113.9", "x1.cc.bad.test.", "TXT", "indirect", "nshist_answer", None),
    (5, HOST, "203.0.113.200", "x2.cc.evil.test.", "TXT", "unknown", None, None),
    (5, HOST, RES, "www.example.com.", "A", "resolver", None, None),
    (5, HOST, "8.8.8.8", "www.example.com.", "A", "resolver", None, None),
    (100, HOST, "192.0.2.53", "www.example.com.", "A", "unknown", "nshist_ns", "expired"),
]
EXPECTED_AGAIN = [(-1, HOST, "192.0.2.53", "www.example.com.", "A", "unknown", "nshist_ns",
                   "learned_after")] + EXPECTED[1:]


def reduce(r):
    row = r["row"]
    src = None
    if row is not None:
        src = row.get("glue_src") if r["verdict"] == "registered" else row["table"]
    flag = "learned_after" if r.get("learned_after") else "expired" if r.get("expired") else None
    sec = (int(r["ts"][17:19]) - 0) if r["ts"].startswith("2024-05-01T12:00:") else None
    if r["ts"].startswith("2024-05-01T11:59:59"):
        sec = -1
    if r["ts"].startswith("2024-05-01T12:01:40"):
        sec = 100
    return (sec, r["client"], r["server"], r["qname"], r["qtype"], r["verdict"], src, flag)


def compare(got, exp, what):
    fails = 0
    for e in exp:
        if e not in got:
            print("%s: missing: %r" % (what, e))
            fails += 1
    for x in got:
        if x not in exp:
            print("%s: unexpected: %r" % (what, x))
            fails += 1
    return fails


def check(dh, store, pcap, extra=()):
    out = subprocess.run([dh, "nshist", "check", "--store", store, "--json", "-q",
                          "--grace", "0", "--resolver", RES, "--local", "10.1.0.0/16",
                          "--local", "fd00::/64"] + list(extra) + [pcap],
                         capture_output=True, text=True, timeout=30)
    if out.returncode != 0:
        raise RuntimeError("check failed: %s" % out.stderr)
    return [reduce(json.loads(line)) for line in out.stdout.splitlines()]


BIND_LINE = ("01-May-2024 12:00:%02d.000 queries: info: client @0x7fa5d4743098 "
             "%s#%d (%s): query: %s IN %s -E(0) (%s)\n")


def follow_part(dh, store, work):
    """The live mode through follow's loop: a BIND query log of the
    servers the host asked, growing while 'nshist check -- follow' reads
    it, against the history the capture taught."""
    log = os.path.join(work, "query.log")
    open(log, "w").close()
    err = open(os.path.join(work, "follow.err"), "w")
    p = subprocess.Popen([dh, "nshist", "check", "--store", store, "--json", "--no-learn",
                          "--no-findings", "--local", "10.1.0.0/16", "--", "follow",
                          "--format", "bind", log],
                         stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        time.sleep(0.5)
        with open(log, "a") as f:
            f.write(BIND_LINE % (6, HOST, 5000, "www.example.com", "www.example.com", "A",
                                 "192.0.2.53"))
            f.write(BIND_LINE % (7, HOST, 5001, "x3.cc.evil.test", "x3.cc.evil.test", "TXT",
                                 "203.0.113.200"))
        time.sleep(1.5)
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        err.close()
    got = sorted((r["server"], r["qname"], r["qtype"], r["verdict"])
                 for r in map(json.loads, out.splitlines()))
    want = sorted([("192.0.2.53", "www.example.com.", "A", "registered"),
                   ("203.0.113.200", "x3.cc.evil.test.", "TXT", "unknown")])
    if p.returncode != 0 or got != want:
        print("follow: exit %d\n  got  %r\n  want %r\n%s" % (
            p.returncode, got, want, open(os.path.join(work, "follow.err")).read()))
        return 1
    return 0


def main():
    dh = sys.argv[1]
    work = tempfile.mkdtemp(prefix="nshist-golden-")
    fails = 0
    try:
        pcap = os.path.join(work, "glue.pcap")
        with open(pcap, "wb") as f:
            f.write(capture())
        store = os.path.join(work, "store")
        fails += compare(check(dh, store, pcap), EXPECTED, "one pass")
        fails += compare(check(dh, store, pcap, ["--no-learn", "--no-findings"]),
                         EXPECTED_AGAIN, "against the saved history")
        # The rows, as 'show --json' prints them.
        show = subprocess.run([dh, "nshist", "show", "--store", store, "--json"],
                              capture_output=True, text=True, timeout=30, check=True)
        rows = sorted((r["zname"], r["nsfqdn"], r["glue"], r["glue_src"], r["queryname"],
                       r["queryid"]) for r in map(json.loads, show.stdout.splitlines()))
        want = sorted([
            ("example.com.", "ns1.example.com.", "192.0.2.53", "additional", "www.example.com.", 1),
            ("example.com.", "ns1.example.com.", "2001:db8::53", "additional", "www.example.com.",
             1),
            ("other.com.", "ns.dns-host.net.", AUTH, "later-answer", "www.other.com.", 2),
            ("late.com.", "ns.late.net.", None, "none", "www.late.com.", 4),
        ])
        if rows != want:
            print("show rows:\n  got  %r\n  want %r" % (rows, want))
            fails += 1
        db = sqlite3.connect(os.path.join(store, "catalog.db"))
        fnd = sorted(db.execute("SELECT host, kind, level FROM findings"))
        db.close()
        # Each kind: the first query is a candidate, its TXT query makes
        # it a warning (doc/nshist.md).
        want_f = [(HOST, "direct-outbound", 2), (HOST, "indirect-outbound", 2)]
        if fnd != want_f:
            print("findings:\n  got  %r\n  want %r" % (fnd, want_f))
            fails += 1
        fails += follow_part(dh, store, work)
        # A second run over the same capture changes nothing.
        again = subprocess.run([dh, "nshist", "build", "--store", store, pcap],
                               capture_output=True, text=True, timeout=30)
        if " 0 rows written" not in again.stderr:
            print("second build wrote rows: %s" % again.stderr)
            fails += 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d golden checks failed" % fails if fails else "all golden checks passed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
