#!/usr/bin/env python3
"""Compare `dnshound decode --json` with the expected outputs of other DNS
tools on those tools' own test captures (the peers directory).

Standard library only.

Usage:
    conformance.py [--peers DIR] [--exe DNSHOUND] [--details] [--crash-only]
                   [--timeout S] [--ports 5353,5355,8053] [--markdown]

The peers directory (default: $DH_PEERS_DIR) holds, per source repository,
captures and the expected outputs of that repository's tests; its
MANIFEST.md says which output belongs to which capture. What is compared:

  Zeek dns.log (TSV baselines)    per transaction: query and qtype_name on
                                  the query, rcode_name, answers and TTLs
                                  on the response; keyed by addresses,
                                  ports and transaction id.
  tcpdump .out (default verbosity) per message: id, qtype and qname of
                                  queries; rcode and answers of responses.
  dnscap .gold (-g dumps)          per message: qname, qtype, rcode and the
                                  answer section (name, type, TTL, data).
  dnsjit dumpdns .gold             per message: qname, qtype, rcode and the
                                  answers' types and TTLs.
  PacketQ .gold (JSON)             message count, the qname sequence, and
                                  the qtype and rcode histograms.

Answer data is compared, after normalisation (case, trailing dot,
RFC 1035 escapes, address form), for A, AAAA, CNAME, NS, PTR, MX and TXT;
for other types only type and TTL are compared.

Every capture in the peers directory (pcap, pcapng, gzip'd or not, found
by its magic number) is decoded, whether or not an expected output exists,
and every crash (signal), hang (timeout), sanitizer report or non-zero exit
is reported. With --crash-only nothing else is done and the exit code is 1
only for crashes, hangs and sanitizer reports (the meson test
conformance-crash); 77 (skip) when the peers directory is absent.
"""

import argparse
import collections
import glob
import gzip
import ipaddress
import json
import os
import re
import subprocess
import sys
import time

TYPES = {
    "A": 1, "NS": 2, "MD": 3, "MF": 4, "CNAME": 5, "SOA": 6, "MB": 7, "MG": 8, "MR": 9,
    "NULL": 10, "WKS": 11, "PTR": 12, "HINFO": 13, "MINFO": 14, "MX": 15, "TXT": 16,
    "RP": 17, "AFSDB": 18, "X25": 19, "ISDN": 20, "RT": 21, "NSAP": 22, "NSAP-PTR": 23,
    "SIG": 24, "KEY": 25, "PX": 26, "GPOS": 27, "AAAA": 28, "LOC": 29, "NXT": 30,
    "SRV": 33, "NAPTR": 35, "KX": 36, "CERT": 37, "A6": 38, "DNAME": 39, "OPT": 41,
    "APL": 42, "DS": 43, "SSHFP": 44, "IPSECKEY": 45, "RRSIG": 46, "NSEC": 47,
    "DNSKEY": 48, "DHCID": 49, "NSEC3": 50, "NSEC3PARAM": 51, "TLSA": 52, "SMIMEA": 53,
    "HIP": 55, "CDS": 59, "CDNSKEY": 60, "OPENPGPKEY": 61, "CSYNC": 62, "ZONEMD": 63,
    "SVCB": 64, "HTTPS": 65, "SPF": 99, "NID": 104, "L32": 105, "L64": 106, "LP": 107,
    "EUI48": 108, "EUI64": 109, "TKEY": 249, "TSIG": 250, "IXFR": 251, "AXFR": 252,
    "MAILB": 253, "MAILA": 254, "ANY": 255, "URI": 256, "CAA": 257, "TA": 32768,
    "DLV": 32769,
}
RCODES = {
    "NOERROR": 0, "FORMERR": 1, "SERVFAIL": 2, "NXDOMAIN": 3, "NOTIMP": 4, "REFUSED": 5,
    "YXDOMAIN": 6, "YXRRSET": 7, "NXRRSET": 8, "NOTAUTH": 9, "NOTZONE": 10,
    "BADVERS": 16, "BADSIG": 16, "BADKEY": 17, "BADTIME": 18, "BADMODE": 19,
    "BADNAME": 20, "BADALG": 21, "BADTRUNC": 22, "BADCOOKIE": 23,
}
# tcpdump's rcode words (print-domain.c ns_rcode) in our mnemonics.
TCPDUMP_RCODES = {
    "FormErr": "FORMERR", "ServFail": "SERVFAIL", "NXDomain": "NXDOMAIN",
    "NotImp": "NOTIMP", "Refused": "REFUSED", "YXDomain": "YXDOMAIN",
    "YXRRSet": "YXRRSET", "NXRRSet": "NXRRSET", "NotAuth": "NOTAUTH",
    "NotZone": "NOTZONE", "BadVers": "BADVERS", "BadCookie": "BADCOOKIE",
}
DATA_TYPES = ("A", "AAAA", "CNAME", "NS", "PTR", "MX", "TXT")
BATCH = 25


def type_num(t):
    if t is None:
        return None
    t = t.upper()
    if t == "*":
        return 255
    m = re.match(r"^(?:QUERY-|UNKNOWN\()?(\d+)\)?$", t)
    if m:
        return int(m.group(1))
    if t in TYPES:
        return TYPES[t]
    m = re.match(r"^TYPE(\d+)$", t)
    return int(m.group(1)) if m else None


def rcode_num(r):
    if r is None:
        return None
    r = r.upper()
    if r in RCODES:
        return RCODES[r]
    m = re.match(r"^RCODE(\d+)$", r)
    return int(m.group(1)) if m else None


# ---------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------


def unescape_name(text):
    """Presentation name to lower-case bytes without the trailing dot, so
    that different but equivalent escaping compares equal."""
    if text is None:
        return None
    out = bytearray()
    i = 0
    raw = text.encode("utf-8", "surrogateescape")
    while i < len(raw):
        c = raw[i]
        if c == 0x5C and i + 3 < len(raw) and raw[i + 1:i + 4].isdigit():
            out.append(int(raw[i + 1:i + 4]) & 0xFF)
            i += 4
            continue
        if c == 0x5C and i + 1 < len(raw):
            out.append(raw[i + 1])
            i += 2
            continue
        out.append(c)
        i += 1
    s = bytes(out).lower()
    if s.endswith(b".") and s != b".":
        s = s[:-1]
    if s == b".":
        s = b""
    return s


def norm_addr(text):
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return text.strip().lower()


def txt_strings(text):
    """Splits presentation TXT data ("a" "b c") into a list of byte strings."""
    out = []
    i = 0
    raw = text.encode("utf-8", "surrogateescape")
    n = len(raw)
    while i < n:
        while i < n and raw[i] == 0x20:
            i += 1
        if i >= n:
            break
        quoted = raw[i] == 0x22
        if quoted:
            i += 1
        cur = bytearray()
        while i < n:
            c = raw[i]
            if quoted and c == 0x22:
                i += 1
                break
            if not quoted and c == 0x20:
                break
            if c == 0x5C and i + 3 < n and raw[i + 1:i + 4].isdigit():
                cur.append(int(raw[i + 1:i + 4]) & 0xFF)
                i += 4
                continue
            if c == 0x5C and i + 1 < n:
                cur.append(raw[i + 1])
                i += 2
                continue
            cur.append(c)
            i += 1
        out.append(bytes(cur))
    return out


def norm_data(rtype, data):
    """Comparable form of an RR's data, or None when only the type is
    compared for this type."""
    if data is None or rtype not in DATA_TYPES:
        return None
    if rtype in ("A", "AAAA"):
        return norm_addr(data)
    if rtype in ("CNAME", "NS", "PTR"):
        return unescape_name(data.strip())
    if rtype == "MX":
        parts = data.split()
        if len(parts) == 2:
            if parts[0].isdigit():
                return (int(parts[0]), unescape_name(parts[1]))
            if parts[1].isdigit():
                return (int(parts[1]), unescape_name(parts[0]))
        if len(parts) == 1:
            return (None, unescape_name(parts[0]))
        return data
    if rtype == "TXT":
        return tuple(txt_strings(data))
    return None


def rr_equal(want, got):
    """want/got: dicts with optional name, type, ttl, data (data already in
    normalised form, None when not compared). Returns a reason or None."""
    if want.get("type") is not None and want["type"] != got.get("type"):
        return "type %s != %s" % (want["type"], got.get("type"))
    if want.get("name") is not None and want["name"] != got.get("name"):
        return "owner %r != %r" % (want["name"], got.get("name"))
    if want.get("ttl") is not None and want["ttl"] != got.get("ttl"):
        return "ttl %s != %s" % (want["ttl"], got.get("ttl"))
    wd, gd = want.get("data"), got.get("data")
    if wd is not None and gd is not None:
        if isinstance(wd, tuple) and len(wd) == 2 and wd[0] is None and isinstance(gd, tuple):
            gd = (None, gd[1])
        if wd != gd:
            return "data %r != %r" % (wd, gd)
    return None


def ours_rr(rr):
    t = rr.get("type")
    return {"name": unescape_name(rr.get("name")), "type": t, "ttl": rr.get("ttl"),
            "data": norm_data(t, rr.get("data"))}


# ---------------------------------------------------------------------------
# Expected outputs
# ---------------------------------------------------------------------------


class Expect:
    """One expected message: key fields to find it, and fields to compare.
    qname is normalised bytes; answers a list of rr dicts or None."""

    def __init__(self, key, qname=None, qtype=None, rcode=None, answers=None, label=""):
        self.key = key if isinstance(key, list) else [key]
        self.reuse = False
        self.zeek = False
        self.qname, self.qtype, self.rcode, self.answers = qname, qtype, rcode, answers
        self.label = label


def zeek_dns_log(path):
    fields, out = None, []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
                continue
            if not line or line.startswith("#") or fields is None:
                continue
            row = dict(zip(fields, line.split("\t")))

            def get(k):
                v = row.get(k)
                return None if v in (None, "-", "(empty)") else v

            orig, resp = get("id.orig_h"), get("id.resp_h")
            oport, rport = get("id.orig_p"), get("id.resp_p")
            tid = get("trans_id")
            qkey = {"src": orig, "dst": resp}
            if oport:
                qkey["sport"] = int(oport)
            if rport:
                qkey["dport"] = int(rport)
            if tid:
                qkey["id"] = int(tid)
            if get("proto"):
                qkey["proto"] = get("proto")
            rkey = dict(qkey)
            rkey["src"], rkey["dst"] = orig, resp
            rkey["src"], rkey["dst"] = resp, orig
            if "sport" in qkey:
                rkey["dport"] = qkey["sport"]
            else:
                rkey.pop("dport", None)
            if "dport" in qkey:
                rkey["sport"] = qkey["dport"]
            else:
                rkey.pop("sport", None)
            qkey["qr"], rkey["qr"] = 0, 1
            # Multicast DNS (RFC 6762 6) answers to the group, in the
            # query's direction: a response may also come that way.
            mkey = dict(qkey, qr=1)
            label = "%s:%s>%s:%s id %s" % (orig, oport, resp, rport, tid)
            if get("query") is not None or get("qtype_name") is not None:
                # Zeek fills query from whichever message it saw, so the
                # question may come from the response: either matches, and
                # matching it does not use the message up.
                e = Expect([qkey, rkey, mkey], unescape_name(get("query")) if get("query") else None,
                           get("qtype_name"), None, None, "question " + label)
                e.reuse = True
                out.append(e)
            if get("rcode_name") is not None:
                answers = None
                if "answers" in row:
                    vals = get("answers").split(",") if get("answers") else []
                    ttls = get("TTLs").split(",") if get("TTLs") else []
                    answers = []
                    for i, v in enumerate(vals):
                        ttl = int(float(ttls[i])) if i < len(ttls) else None
                        answers.append({"zeek": v, "ttl": ttl})
                e = Expect([rkey, mkey], None, None, get("rcode_name"), answers,
                           "response " + label)
                e.zeek = True
                out.append(e)
    return out


def zeek_answer_form(rr):
    """Our answer in the form Zeek writes into dns.log's answers column
    (base/protocols/dns/main.zeek): addresses, names without the trailing
    dot, "TXT len text" per string; None when Zeek's form is not known."""
    t, d = rr.get("type"), rr.get("data")
    if d is None:
        return None
    if t in ("A", "AAAA"):
        return norm_addr(d)
    if t in ("CNAME", "NS", "PTR", "DNAME"):
        return d.rstrip(".").lower()
    if t == "MX":
        return d.split()[-1].rstrip(".").lower()
    if t in ("TXT", "SPF"):
        return " ".join("%s %d %s" % (t, len(s), s.decode("utf-8", "replace"))
                        for s in txt_strings(d))
    return None


TCPDUMP_LINE = re.compile(r"\sIP6? (\S+)\.(\d+) > (\S+)\.(\d+): (.*)$")


def tcpdump_out(path):
    out = []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            m = TCPDUMP_LINE.search(line.rstrip("\n"))
            if not m:
                continue
            src, sport, dst, dport, rest = m.groups()
            tm = re.search(r"length \d+ (.*)$", rest) if rest.startswith("Flags [") else None
            if rest.startswith("Flags ["):
                if not tm:
                    continue
                rest = tm.group(1)
            dm = re.match(r"^(\d+)(\S*) (.*)$", rest)
            if not dm:
                continue
            ident, body = int(dm.group(1)), dm.group(3)
            key = {"src": src, "sport": int(sport), "dst": dst, "dport": int(dport), "id": ident}
            label = "%s.%s > %s.%s id %d" % (src, sport, dst, dport, ident)
            malformed = "[|domain]" in body or "[malformed]" in body
            cm = re.search(r"(?:^|\s)(\d+)/(\d+)/(\d+)(?:\s|$)", body)
            if cm:
                key["qr"] = 1
                head = body[:cm.start()]
                rcode = "NOERROR"
                for word, mn in TCPDUMP_RCODES.items():
                    if re.search(r"(?:^|\s)%s" % word, head):
                        rcode = mn
                answers = None
                if not malformed:
                    ans_text = re.sub(r"\s*\(\d+\)\s*$", "", body[cm.end():])
                    ans_text = re.sub(r"^\s*q: \S+ \S+\s*", "", ans_text)
                    an = int(cm.group(1))
                    parts = [p for p in ans_text.split(", ") if p] if an else []
                    answers = []
                    for p in parts[:an]:
                        toks = p.split(" ", 1)
                        t = toks[0].upper()
                        if t.startswith("TYPE") or not t.isalnum():
                            t = "TYPE" + t[4:] if t.startswith("TYPE") else t
                        answers.append({"type": t, "data": norm_data(t, toks[1] if len(toks) > 1
                                                                     else None)})
                    if len(answers) != an:
                        answers = None
                out.append(Expect(key, None, None, None if malformed else rcode, answers,
                                  "response " + label))
            else:
                qm = re.search(r"(\S+)\? (\S+)", body)
                key["qr"] = 0
                if qm and not malformed:
                    t = qm.group(1).upper()
                    out.append(Expect(key, unescape_name(qm.group(2)), t, None, None,
                                      "query " + label))
                else:
                    out.append(Expect(key, None, None, None, None, "query " + label))
    return out


def split_escaped(text, sep, maxsplit=-1):
    """str.split that leaves backslash-escaped separators alone (dnscap
    writes a comma inside a label as \\,)."""
    out, cur, i = [], [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            cur.append(text[i:i + 2])
            i += 2
            continue
        if c == sep and (maxsplit < 0 or len(out) < maxsplit):
            out.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    out.append("".join(cur))
    return out


def dnscap_sections(pieces):
    """Splits the section part of a dnscap -g record into lists of items.
    Each section starts with its count; items are one per line; empty
    sections show as bare trailing counts ("google.com.,IN,A 0 0 0")."""
    sections, need = [], 0
    for p in pieces:
        while p:
            if need == 0:
                m = re.match(r"^(\d+)(?: (.*))?$", p)
                if not m:
                    return sections
                sections.append([])
                need = int(m.group(1))
                p = m.group(2) or ""
                continue
            tail = re.match(r"^(.*?)((?: 0)+)$", p)
            item = tail.group(1) if tail else p
            sections[-1].append(item)
            need -= 1
            p = ""
            if tail:
                if need:
                    return sections
                sections.extend([] for _ in tail.group(2).split())
    return sections


def dnscap_gold(path):
    """Returns {capture basename: [Expect]} from a dnscap -g dump."""
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        text = f.read()
    records, cur = [], None
    for line in text.split("\n"):
        if line.startswith("["):
            cur = [line]
            records.append(cur)
        elif cur is not None and line.startswith("\t"):
            cur.append(line)
    out = collections.defaultdict(list)
    seen = set()
    for rec in records:
        pieces = [p.strip().rstrip("\\").strip() for p in rec]
        hm = re.match(r"^\[(\d+)\] (\S+ \S+) \[#(\d+) (\S+)", pieces[0])
        if not hm or len(pieces) < 3 or not pieces[2].startswith("dns "):
            continue
        num, cap = int(hm.group(3)), hm.group(4)
        # The same packet appears in several dumps (filters, copies); the
        # packet number depends on the filter, the time and addresses do not.
        if (cap, hm.group(2), pieces[1]) in seen:
            continue
        seen.add((cap, hm.group(2), pieces[1]))
        am = re.match(r"^\[([^\]]+)\]\.(\d+) \[([^\]]+)\]\.(\d+)", pieces[1])
        if not am:
            continue
        hdr = pieces[2][4:].split(",")
        if len(hdr) < 4:
            continue
        rcode, ident, flags = hdr[1], int(hdr[2]), hdr[3].split("|")
        key = {"src": am.group(1), "sport": int(am.group(2)), "dst": am.group(3),
               "dport": int(am.group(4)), "id": ident, "qr": 1 if "qr" in flags else 0}
        sections = dnscap_sections(pieces[3:])
        label = "#%d %s id %d" % (num, cap, ident)
        qname = qtype = None
        if sections and sections[0]:
            q = split_escaped(sections[0][0], ",")
            if len(q) >= 3:
                qname, qtype = unescape_name(q[0]), q[2]
        answers = None
        if len(sections) >= 2:
            answers = []
            for item in sections[1]:
                f = split_escaped(item, ",", 4)
                if len(f) < 5:
                    answers = None
                    break
                t = f[2]
                answers.append({"name": unescape_name(f[0]), "type": t,
                                "ttl": int(f[3]) if f[3].isdigit() else None,
                                "data": norm_data(t, f[4])})
        e = Expect(key, qname, qtype, rcode, answers,
                   ("response " if key["qr"] else "query ") + label)
        e.when = hm.group(2) + " " + pieces[1]
        out[cap].append(e)
    return out


def dnsjit_labels(text):
    """<12>google.<19>com. -> google.com. (offsets dropped)."""
    return re.sub(r"<\d+>", "", text)


def dnsjit_gold(path):
    out = []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^(udp|tcp) (\S+):(\d+) -> (\S+):(\d+)$", lines[i])
        if not m:
            i += 1
            continue
        key = {"proto": m.group(1), "src": m.group(2), "sport": int(m.group(3)),
               "dst": m.group(4), "dport": int(m.group(5))}
        i += 1
        vals, section, qs, ans = {}, None, [], []
        while i < len(lines) and not re.match(r"^(udp|tcp) ", lines[i]):
            ln = lines[i]
            i += 1
            if not ln.strip():
                continue
            if not ln.startswith("\t"):
                section = ln.split(":")[0]
                hm = re.match(r"^(\w+):\t(\S+)$", ln)
                if hm and section == "id":
                    vals["id"] = hm.group(2)
                continue
            cols = ln[1:].split("\t")
            if section is None or section == "id":
                if len(cols) >= 2 and cols[0].endswith(":"):
                    vals[cols[0][:-1]] = cols[1]
            elif section == "questions":
                qs.append(cols)
            elif section == "answers":
                ans.append(cols)
        try:
            key["id"] = int(lines_id(vals))
            key["qr"] = int(vals.get("qr", "0"))
        except ValueError:
            continue
        qname = qtype = None
        if qs and len(qs[0]) >= 3:
            qtype = qs[0][1]
            qname = unescape_name(dnsjit_labels(qs[0][2])) if "<" not in dnsjit_labels(
                qs[0][2]) else None
        answers = []
        for a in ans:
            if len(a) >= 3:
                answers.append({"type": a[1], "ttl": int(a[2]) if a[2].isdigit() else None})
        label = "%s:%d>%s:%d id %s" % (key["src"], key["sport"], key["dst"], key["dport"],
                                       key["id"])
        out.append(Expect(key, qname, qtype, vals.get("rcode"), answers,
                          ("response " if key["qr"] else "query ") + label))
    return out


def lines_id(vals):
    return vals.get("id", "x")


# ---------------------------------------------------------------------------
# Decoding with dnshound
# ---------------------------------------------------------------------------


def is_capture(path):
    try:
        with open(path, "rb") as f:
            head = f.read(4)
            if head[:2] == b"\x1f\x8b":
                f.seek(0)
                with gzip.open(f) as g:
                    head = g.read(4)
    except (OSError, EOFError, gzip.BadGzipFile):
        return False
    return head in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1",
                    b"\xa1\xb2\x3c\x4d", b"\x0a\x0d\x0d\x0a")


class Run:
    def __init__(self):
        self.msgs, self.rc, self.problem, self.seconds, self.stderr = [], 0, None, 0.0, ""
        self.crash = False


def decode(exe, path, timeout, ports):
    """Decodes one capture, or a list of captures in one run."""
    r = Run()
    cmd = [exe, "decode", "--json"]
    for p in ports:
        cmd += ["--port", str(p)]
    cmd += path if isinstance(path, list) else [path]
    t0 = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        r.problem, r.crash = "hang (no exit after %d s)" % timeout, True
        r.seconds = time.monotonic() - t0
        return r
    r.seconds = time.monotonic() - t0
    r.rc = proc.returncode
    r.stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode < 0:
        r.problem, r.crash = "crash (signal %d)" % -proc.returncode, True
    elif "Sanitizer" in r.stderr or "runtime error:" in r.stderr:
        r.problem, r.crash = "sanitizer report", True
    elif proc.returncode != 0:
        r.problem = "exit code %d: %s" % (proc.returncode,
                                          (r.stderr.strip().splitlines() or [""])[-1][:160])
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        try:
            r.msgs.append(json.loads(line))
        except ValueError:
            if r.problem is None:
                r.problem = "stdout line is not JSON: " + line[:120]
    return r


def key_match(keys, msg):
    return any(key_match1(k, msg) for k in keys)


def key_match1(key, msg):
    for k, v in key.items():
        if v is None:
            continue
        mv = msg.get(k)
        if k in ("src", "dst"):
            if mv is None or norm_addr(str(mv)) != norm_addr(str(v)):
                return False
        elif mv != v:
            return False
    return True


# Zeek's dns.log lists only the answer types it has an event for; these
# it leaves out (checked on its baselines for WKS and TKEY).
ZEEK_UNLOGGED = ("WKS", "TKEY", "TSIG", "OPT")
ZEEK_NAME_FORMS = ("CNAME", "NS", "PTR", "DNAME", "MX")


def differences(e, m):
    """Returns the list of reasons why message m does not agree with e."""
    why = []
    if e.qname is not None and unescape_name(m.get("qname")) != e.qname:
        why.append("qname %r != %r" % (e.qname, m.get("qname")))
    if e.qtype is not None and type_num(e.qtype) != type_num(m.get("qtype")):
        why.append("qtype %s != %s" % (e.qtype, m.get("qtype")))
    if e.rcode is not None and rcode_num(e.rcode) != rcode_num(m.get("rcode")):
        why.append("rcode %s != %s" % (e.rcode, m.get("rcode")))
    if e.answers is None:
        return why
    ours = m.get("answers") or []
    zeek = any("zeek" in w for w in e.answers) or (e.answers == [] and e.zeek)
    if e.zeek:
        if m.get("opcode") == "UPDATE":
            # Zeek logs an UPDATE's prerequisite and update sections as
            # "pre: ..."/"add: ..." answers: its own representation.
            return why
        ours = [g for g in ours if g.get("type") not in ZEEK_UNLOGGED]
    if len(ours) != len(e.answers):
        why.append("%d answers expected, %d decoded" % (len(e.answers), len(ours)))
        return why
    for j, (w, g) in enumerate(zip(e.answers, ours)):
        if zeek:
            form = zeek_answer_form(g)
            if w.get("ttl") is not None and w["ttl"] != g.get("ttl"):
                why.append("answer %d: ttl %s != %s" % (j, w["ttl"], g.get("ttl")))
            elif form is not None and form != w["zeek"] and norm_addr(w["zeek"]) != form and \
                    not (g.get("type") in ZEEK_NAME_FORMS and form == w["zeek"].lower()):
                why.append("answer %d: %r != %r" % (j, w["zeek"], form))
            continue
        r = rr_equal(w, ours_rr(g))
        if r:
            why.append("answer %d: %s" % (j, r))
    return why


def compare(expects, msgs):
    """Returns (agree, disagree, unmatched, [details], extra). An expected
    message is paired with the first unused decoded message that has its
    key and agrees with it, else with the first that has its key (ids
    repeat: mDNS uses 0 for everything)."""
    used = [False] * len(msgs)
    agree = disagree = unmatched = 0
    details = []
    for e in expects:
        cands = [i for i, m in enumerate(msgs)
                 if (e.reuse or not used[i]) and key_match(e.key, m)]
        if not cands:
            unmatched += 1
            details.append("unmatched: %s (no decoded message with this key)" % e.label)
            continue
        idx, why = cands[0], None
        for i in cands:
            w = differences(e, msgs[i])
            if why is None:
                why = w
            if not w:
                idx, why = i, w
                break
        used[idx] = used[idx] or not e.reuse
        m = msgs[idx]
        if m.get("malformed") and why:
            why.append("(ours marked malformed: %s)" % m.get("malformed"))
        if why:
            disagree += 1
            details.append("disagree: %s: %s" % (e.label, "; ".join(why)))
        else:
            agree += 1
    return agree, disagree, unmatched, details, used.count(False)


def packetq_checks(path, msgs):
    """Aggregate checks from a PacketQ JSON gold. Returns (agree,
    disagree, details) over the tables it understands."""
    tables = []
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        # PacketQ does not escape a backslash inside a name ("\\."): make
        # such strings valid JSON before parsing.
        text = re.sub(r"\\(.)", lambda m: m.group(0) if m.group(1) in '"\\/bfnrtu'
                      else "\\\\" + m.group(1), text)
        # A gold holds one JSON array per query, one after the other, and
        # sometimes the same results in CSV or table form: read the arrays.
        dec, pos = json.JSONDecoder(), 0
        while pos < len(text):
            if text[pos] == "[":
                try:
                    obj, pos = dec.raw_decode(text, pos)
                    tables.extend(t for t in obj if isinstance(t, dict))
                    continue
                except ValueError:
                    pass
            nl = text.find("\n", pos)
            pos = len(text) if nl < 0 else nl + 1
    except (OSError, ValueError) as e:
        return 0, 0, ["cannot read %s: %s" % (path, e)]
    agree = disagree = 0
    details = []
    # test8 lists "select qname from dns" twice: raw (non-printable octets
    # shown as $, ambiguous) and then with --rfc1035 escapes; only the
    # last, unambiguous one is compared.
    qname_tables = [t for t in tables if t.get("query", "").strip().rstrip(";").strip() ==
                    "select qname from dns"]
    for t in tables:
        if t in qname_tables[:-1]:
            continue
        q = t.get("query", "").strip().rstrip(";").strip()
        data = t.get("data", [])
        if q == "select count(*) from dns":
            got, want = len(msgs), data[0][0] if data else None
            what = "message count"
        elif q == "select qname from dns":
            want = [unescape_name(r[0]) for r in data]
            got = [unescape_name(m.get("qname")) for m in msgs]
            what = "qname sequence"
        elif re.match(r"^select 'ALL' as All, qtype as Qtype, count\(1\) as count from dns "
                      r"where qr==0 group by", q):
            want = {r[1]: r[2] for r in data}
            got = collections.Counter(type_num(m.get("qtype")) for m in msgs if m.get("qr") == 0)
            got = dict(got)
            what = "qtype histogram of queries"
        elif re.match(r"^select 'ALL' as All, rcode as Rcode, count\(1\) as count from dns "
                      r"where qr==1 group by", q):
            want = {r[1]: r[2] for r in data}
            got = dict(collections.Counter(rcode_num(m.get("rcode")) for m in msgs
                                           if m.get("qr") == 1))
            what = "rcode histogram of responses"
        else:
            continue
        if want == got:
            agree += 1
        else:
            disagree += 1
            details.append("disagree: %s: expected %r, decoded %r" % (what, want, got))
    return agree, disagree, details


# ---------------------------------------------------------------------------
# Mapping expected outputs to captures
# ---------------------------------------------------------------------------


def manifest_tcpdump(peers):
    """tcpdump: capture -> .out file run without options (or with -e)."""
    out = {}
    path = os.path.join(peers, "MANIFEST.md")
    try:
        text = open(path, encoding="utf-8").read()
    except OSError:
        return out
    for m in re.finditer(r"(tests/[\w.+-]+\.out) \(tcpdump -# -n -r ([\w.+-]+)\s*(-e)?\s*\)", text):
        cap = "tests/" + m.group(2)
        if cap not in out or not m.group(3):
            out[cap] = m.group(1)
    return out


def manifest_zeek(peers):
    """Zeek: capture -> dns.log baselines named in the same table row."""
    out = collections.defaultdict(list)
    path = os.path.join(peers, "MANIFEST.md")
    try:
        lines = open(path, encoding="utf-8").read().split("\n")
    except OSError:
        return out
    in_zeek = False
    for line in lines:
        if line.startswith("## "):
            in_zeek = line.strip() == "## zeek/zeek"
        if not in_zeek or not line.startswith("| `testing/btest/Traces/"):
            continue
        cap = re.match(r"^\| `([^`]+)`", line).group(1)
        for logp in re.findall(r"(testing/btest/Baseline/[^\s,\[\]]+/dns\.log)", line):
            if logp not in out[cap]:
                out[cap].append(logp)
    return out


def build_expectations(peers):
    """Returns {capture path relative to peers: [(source, expected file,
    kind, payload)]}."""
    exp = collections.defaultdict(list)
    z = "zeek_zeek"
    for cap, logs in manifest_zeek(peers).items():
        for lp in logs:
            full = os.path.join(peers, z, lp)
            if os.path.exists(full):
                exp[os.path.join(z, cap)].append(("zeek/zeek", os.path.join(z, lp), "keyed",
                                                  zeek_dns_log(full)))
    t = "the-tcpdump-group_tcpdump"
    for cap, outp in manifest_tcpdump(peers).items():
        full = os.path.join(peers, t, outp)
        if os.path.exists(full) and os.path.exists(os.path.join(peers, t, cap)):
            exp[os.path.join(t, cap)].append(("the-tcpdump-group/tcpdump", os.path.join(t, outp),
                                              "keyed", tcpdump_out(full)))
    d = os.path.join("DNS-OARC_dnscap", "src", "test")
    merged = collections.defaultdict(dict)
    for gold in sorted(glob.glob(os.path.join(peers, d, "*.gold*"))):
        for cap, items in dnscap_gold(gold).items():
            for e in items:
                ident = (e.label.split(" ", 2)[2], e.when)
                merged[cap].setdefault(ident, (e, os.path.join(d, os.path.basename(gold))))
    for cap, items in merged.items():
        golds = sorted({g for _, g in items.values()})
        es = [e for e, _ in items.values()]
        for target in [cap] + (["frags.pcap"] if cap == "dns.pcap" else []):
            if os.path.exists(os.path.join(peers, d, target)):
                exp[os.path.join(d, target)].append(("DNS-OARC/dnscap", ", ".join(golds), "keyed",
                                                     es))
    j = os.path.join("DNS-OARC_dnsjit", "src", "test")
    for gold, cap in (("test1.gold", "dns.pcap"), ("test-sll2.gold", "sll2.pcap")):
        full = os.path.join(peers, j, gold)
        if os.path.exists(full):
            exp[os.path.join(j, cap)].append(("DNS-OARC/dnsjit", os.path.join(j, gold), "keyed",
                                              dnsjit_gold(full)))
    p = "DNS-OARC_PacketQ"
    for gold, cap in (("src/test/test5.gold", "pcap/sample.pcap.gz"),
                      ("src/test/test6.gold", "pcap/sample-bigendian.pcap.gz"),
                      ("src/test/test8.gold", "pcap/sample-rfc1035escape.pcap.gz")):
        full = os.path.join(peers, p, gold)
        if os.path.exists(full):
            exp[os.path.join(p, cap)].append(("DNS-OARC/PacketQ", os.path.join(p, gold),
                                              "packetq", full))
    return exp


# ---------------------------------------------------------------------------


def source_of(rel):
    top = rel.split(os.sep)[0]
    return top.replace("_", "/", 1)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peers", default=os.environ.get("DH_PEERS_DIR"))
    ap.add_argument("--exe", default="dnshound")
    ap.add_argument("--details", action="store_true")
    ap.add_argument("--crash-only", action="store_true")
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--ports", default="5353,5355,8053",
                    help="extra ports passed with --port (comma list; empty for none)")
    ap.add_argument("--markdown", action="store_true", help="print the tables as markdown")
    args = ap.parse_args(argv)

    if not args.peers or not os.path.isdir(args.peers):
        print("SKIP: peers directory not found (%s); set DH_PEERS_DIR or --peers" % args.peers)
        return 77
    peers = os.path.abspath(args.peers)
    ports = [int(p) for p in args.ports.split(",") if p.strip()]

    captures = []
    for root, dirs, files in os.walk(peers):
        dirs.sort()
        for fn in sorted(files):
            full = os.path.join(root, fn)
            if is_capture(full):
                captures.append(os.path.relpath(full, peers))
    expectations = {} if args.crash_only else build_expectations(peers)

    problems, crashes = [], []
    if args.crash_only:
        # Starting the program costs more than decoding these small files,
        # so they go in batches; a batch that crashes, hangs or fails is
        # run again file by file to name the culprit.
        n_msgs, t0 = 0, time.monotonic()
        for i in range(0, len(captures), BATCH):
            batch = captures[i:i + BATCH]
            run = decode(args.exe, [os.path.join(peers, x) for x in batch], args.timeout, ports)
            n_msgs += len(run.msgs)
            if run.problem is None:
                continue
            for rel in batch:
                one = decode(args.exe, os.path.join(peers, rel), args.timeout, ports)
                if one.problem:
                    problems.append((rel, one.problem))
                    if one.crash:
                        crashes.append((rel, one.problem))
        print("decoded %d captures in %.2f s, %d messages; %d with a problem, "
              "%d crash/hang/sanitizer" % (len(captures), time.monotonic() - t0, n_msgs,
                                           len(problems), len(crashes)))
        for rel, what in problems:
            print("  %s: %s: %s" % ("CRASH" if (rel, what) in crashes else "problem", rel, what))
        return 1 if crashes else 0

    per_file = []
    per_source = collections.defaultdict(lambda: [0, 0, 0, 0, 0])
    total_s = 0.0
    total_msgs = 0
    for rel in captures:
        run = decode(args.exe, os.path.join(peers, rel), args.timeout, ports)
        total_s += run.seconds
        total_msgs += len(run.msgs)
        if run.problem:
            problems.append((rel, run.problem))
            if run.crash:
                crashes.append((rel, run.problem))
        for source, gold, kind, payload in expectations.get(rel, []):
            if kind == "keyed":
                a, d, u, det, extra = compare(payload, run.msgs)
            else:
                a, d, det = packetq_checks(payload, run.msgs)
                u, extra = 0, 0
            per_file.append((source, rel, gold, a, d, u, len(run.msgs), det))
            s = per_source[source]
            s[0] += 1
            s[1] += a
            s[2] += d
            s[3] += u
        per_source[source_of(rel)][4] += 1

    print("decoded %d captures in %.2f s, %d messages; %d with a problem, %d crash/hang/sanitizer"
          % (len(captures), total_s, total_msgs, len(problems), len(crashes)))
    for rel, what in problems:
        print("  %s: %s: %s" % ("CRASH" if (rel, what) in crashes else "problem", rel, what))
    if args.crash_only:
        return 1 if crashes else 0

    bar = "|" if args.markdown else " "
    print()
    print("per source (files compared / agree / disagree / unmatched; captures decoded):")
    if args.markdown:
        print("| source | expected files | agree | disagree | unmatched | captures decoded |")
        print("|---|---|---|---|---|---|")
    for source in sorted(per_source):
        f, a, d, u, c = per_source[source]
        if args.markdown:
            print("| %s | %d | %d | %d | %d | %d |" % (source, f, a, d, u, c))
        else:
            print("  %-32s files %3d  agree %5d  disagree %4d  unmatched %4d  captures %3d"
                  % (source, f, a, d, u, c))
    print()
    print("per file:")
    for source, rel, gold, a, d, u, n, det in per_file:
        print("  %s%s %s <- %s: agree %d, disagree %d, unmatched %d (%d decoded)"
              % (bar if args.markdown else "", source, rel, gold, a, d, u, n))
        if args.details:
            for line in det:
                print("      " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
