"""Cross-checks the sources decoded by tests/integration/testbed.sh.

Reads DIR/NAME.json (dnshound decode --json or listen --json output) and
the testbed's addresses from the TB_* environment, and checks for every
scripted query (per resolver: a new name over UDP, one over TCP, an
NXDOMAIN) that the capture, the resolver's text log, its dnstap and the
authoritative server's sources agree on client address, port, names and
types, and that each resolver's upstream query can be followed to the
authoritative server. Differences with a real reason are allowed where
the source lacks the field, and listed in doc/dnstap.md:

- BIND's query log has no destination port and no message id.
- Unbound's log-queries/log-replies lines have no client port, no server
  address and no answer data.
- dnsmasq's log names no transport, and its "forwarded" line has no
  source address or port (only the upstream server).
- Knot Resolver writes no text log and its dnstap here holds only client
  messages, so its upstream query is followed through the capture and
  the authoritative server.
- Knot Resolver randomises the case of names it sends upstream (0x20):
  names are compared in lower case.

Exit 0 when every check passed, 1 otherwise.
"""

import json
import os
import sys

failed = 0
passed = 0


def check(what, ok, detail=""):
    global failed, passed
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else "\n     " + detail))
    if ok:
        passed += 1
    else:
        failed += 1


def load(d, name):
    path = os.path.join(d, name + ".json")
    try:
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]
    except OSError:
        return []


def find(events, **want):
    """Events whose fields equal want (qname compared in lower case)."""
    out = []
    for e in events:
        ok = True
        for k, v in want.items():
            got = e.get(k)
            if k == "qname":
                got = (got or "").lower()
            if got != v:
                ok = False
                break
        if ok:
            out.append(e)
    return out


def data_of(e):
    return sorted(a["data"] for a in e.get("answers", []) if a["type"] == "A")


def main():
    d = sys.argv[1]
    env = os.environ
    clients = env["TB_CLIENTS"].split()
    client = {"bind": clients[0], "unbound": clients[1], "kresd": clients[2],
              "dnsmasq": clients[3]}
    addr = {r: env["TB_%s_ADDR" % r.upper()] for r in client}
    out = {r: env["TB_%s_OUT" % r.upper()] for r in client}
    auth = env["TB_AUTH_ADDR"]

    cap = load(d, "capture")
    logs = {"bind": load(d, "bind-log"), "unbound": load(d, "unbound-log"),
            "dnsmasq": load(d, "dnsmasq-log")}
    tap = {"bind": load(d, "bind-replay"), "unbound": load(d, "unbound-replay"),
           "kresd": load(d, "kresd-live")}
    auth_tap = load(d, "auth-replay")
    auth_log = load(d, "auth-log")

    # The file decoded and the file replayed into a listener agree.
    for n in ("bind", "auth", "unbound", "root"):
        a = load(d, n + "-dnstap")
        b = load(d, n + "-replay")
        for e in b:
            e.pop("observer", None)
            e.pop("role", None)
        check("%s dnstap: listener and file give the same %d events" % (n, len(a)),
              a == b and len(a) > 0, "file %d events, listener %d" % (len(a), len(b)))

    # The listener's live events from kresd are what the capture saw.
    live = tap["kresd"]
    missing = [e for e in live
               if not find(cap, src=e["src"], sport=e["sport"], dst=e["dst"],
                           dport=e["dport"], id=e["id"], qr=e["qr"],
                           qname=e["qname"].lower(), qtype=e["qtype"])]
    check("kresd live dnstap: all %d events are in the capture" % len(live),
          len(live) > 0 and not missing, json.dumps(missing[:2]))

    for r in ("bind", "unbound", "kresd", "dnsmasq"):
        c, a, o = client[r], addr[r], out[r]
        for kind, proto, rcode, answer in (("udp", "udp", "NOERROR", ["203.0.113.7"]),
                                           ("tcp", "tcp", "NOERROR", ["203.0.113.7"]),
                                           ("nx", "udp", "NXDOMAIN", [])):
            name = ("it-%s-%s.test." if kind == "nx" else "it-%s-%s.dga.test.") % (kind, r)
            tag = "%s %s %s" % (r, kind, name)
            q = find(cap, qr=0, src=c, dst=a, dport=53, qname=name, qtype="A", proto=proto)
            check(tag + ": the capture has the client query over " + proto, len(q) == 1,
                  "%d found" % len(q))
            if len(q) != 1:
                continue
            q = q[0]
            sport = q["sport"]
            resp = find(cap, qr=1, src=a, dst=c, sport=53, dport=sport, qname=name)
            check(tag + ": the capture has the response, %s %s" % (rcode, answer),
                  len(resp) == 1 and resp[0]["rcode"] == rcode and data_of(resp[0]) == answer,
                  json.dumps(resp)[:400])

            # The resolver's text log.
            if r == "bind":
                lq = find(logs[r], qr=0, src=c, sport=sport, dst=a, qname=name, qtype="A",
                          proto=proto)
                check(tag + ": BIND query log has client, port, name, type, transport",
                      len(lq) == 1, "%d found" % len(lq))
            elif r == "unbound":
                lq = find(logs[r], qr=0, src=c, qname=name, qtype="A")
                lr = find(logs[r], qr=1, dst=c, qname=name, qtype="A", rcode=rcode)
                check(tag + ": Unbound log has the query and the reply's rcode",
                      len(lq) == 1 and len(lr) == 1, "%d/%d found" % (len(lq), len(lr)))
            elif r == "dnsmasq":
                lq = find(logs[r], qr=0, src=c, sport=sport, qname=name, qtype="A")
                lr = find(logs[r], qr=1, dst=c, dport=sport, qname=name, rcode=rcode)
                lf = find(logs[r], qr=0, dst=addr["bind"], dport=53, qname=name)
                check(tag + ": dnsmasq log has query, forward to BIND and reply data",
                      len(lq) == 1 and len(lf) == 1 and len(lr) == 1 and
                      data_of(lr[0]) == answer, "%d/%d/%d found" % (len(lq), len(lf), len(lr)))

            # The resolver's dnstap, with roles.
            if r in tap:
                tq = find(tap[r], role="client_query", src=c, sport=sport, dst=a, dport=53,
                          qname=name, qtype="A", proto=proto, id=q["id"])
                tr = find(tap[r], role="client_response", src=a, dst=c, dport=sport,
                          qname=name, rcode=rcode, id=q["id"])
                check(tag + ": %s dnstap CLIENT_QUERY and CLIENT_RESPONSE equal the capture" % r,
                      len(tq) == 1 and len(tr) == 1 and data_of(tr[0]) == answer,
                      "%d/%d found" % (len(tq), len(tr)))

            # Follow the query upstream to the authoritative server: the
            # resolver (for dnsmasq: the BIND resolver it forwards to)
            # asks 127.0.0.10 from its outgoing address.
            via = "bind" if r == "dnsmasq" else r
            if r == "dnsmasq":
                fq = find(cap, qr=0, src=o, dst=addr["bind"], qname=name)
                bq = find(tap["bind"], role="client_query", src=o, qname=name)
                bl = find(logs["bind"], qr=0, src=o, qname=name)
                check(tag + ": forwarded from %s, seen by capture, BIND dnstap and log" % o,
                      len(fq) == 1 and len(bq) == 1 and len(bl) == 1 and
                      fq[0]["sport"] == bq[0]["sport"] == bl[0]["sport"],
                      "%d/%d/%d found" % (len(fq), len(bq), len(bl)))
            uo = out[via]
            up = find(cap, qr=0, src=uo, dst=auth, qname=name)
            check(tag + ": the capture has the upstream query from %s to %s" % (uo, auth),
                  len(up) >= 1, "%d found" % len(up))
            if not up:
                continue
            ports = sorted(e["sport"] for e in up)
            if via in ("bind", "unbound"):
                rq = find(tap[via], role="resolver_query", src=uo, dst=auth, qname=name)
                check(tag + ": %s dnstap RESOLVER_QUERY to the authoritative server" % via,
                      len(rq) >= 1 and sorted(e["sport"] for e in rq) == ports,
                      "%s vs capture ports %s" % ([e["sport"] for e in rq], ports))
            aq = find(auth_tap, role="auth_query", src=uo, dst=auth, qname=name)
            al = find(auth_log, qr=0, src=uo, qname=name)
            check(tag + ": authoritative dnstap AUTH_QUERY and query log, same ports",
                  sorted(e["sport"] for e in aq) == ports and
                  sorted(e["sport"] for e in al) == ports,
                  "dnstap %s log %s capture %s" % ([e["sport"] for e in aq],
                                                  [e["sport"] for e in al], ports))
            ar = find(auth_tap, role="auth_response", dst=uo, qname=name, rcode=rcode)
            check(tag + ": authoritative dnstap AUTH_RESPONSE has %s %s" % (rcode, answer),
                  len(ar) >= 1 and all(data_of(e) == answer for e in ar), json.dumps(ar)[:300])

    print("source checks: %d ok, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
