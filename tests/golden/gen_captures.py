#!/usr/bin/env python3
"""Write the small crafted captures that the golden tests decode.

Standard library only. Every capture is built here, byte by byte, at test
time, so nothing binary is committed and every byte in a capture has a
reason written next to it. The expected decoder output for each capture is
NOT computed here: it is written by hand in cases.json from what this file
puts in, so that a bug in this generator and a bug in the decoder cannot
cancel out.

Usage: gen_captures.py OUTDIR [CAPTURE...]
    Writes the named captures (all of them when none is named) into OUTDIR.

Conventions used by every capture (cases.json relies on them):
    client 192.0.2.1 port 40000, server 192.0.2.53 port 53 (RFC 5737);
    client 2001:db8::1, server 2001:db8::53 for IPv6 (RFC 3849);
    the query is sent at 2024-05-01T12:00:00.123456Z (T0) and its response
    2 ms later, so a decoder that pairs them reports rtt_ns 2000000.
"""

import gzip
import os
import socket
import struct
import sys

T0_NS = 1714564800123456000
RTT_NS = 2000000

CLIENT4, SERVER4 = "192.0.2.1", "192.0.2.53"
CLIENT6, SERVER6 = "2001:db8::1", "2001:db8::53"
CPORT, SPORT = 40000, 53

MAC_CLIENT = bytes.fromhex("020000000001")
MAC_SERVER = bytes.fromhex("020000000053")

# RR types (RFC 1035 3.2.2, RFC 3596, RFC 2782, RFC 6891, RFC 9460).
T_A, T_NS, T_CNAME, T_SOA, T_PTR, T_MX, T_TXT = 1, 2, 5, 6, 12, 15, 16
T_AAAA, T_SRV, T_OPT, T_HTTPS = 28, 33, 41, 65
C_IN = 1

# Link types (https://www.tcpdump.org/linktypes.html).
LT_NULL, LT_ETHERNET, LT_RAW, LT_SLL, LT_SLL2 = 0, 1, 101, 113, 276


# ---------------------------------------------------------------------------
# DNS messages (RFC 1035 4.1)
# ---------------------------------------------------------------------------


class Msg:
    """A DNS message being written, with RFC 1035 4.1.4 name compression."""

    def __init__(self):
        self.buf = bytearray()
        self.names = {}

    def name(self, text, compress=True):
        """Appends a name; compresses against earlier names when allowed."""
        labels = [x for x in text.split(".") if x]
        for i in range(len(labels)):
            key = ".".join(labels[i:]).lower()
            if compress and key in self.names:
                self.buf += struct.pack(">H", 0xC000 | self.names[key])
                return
            if len(self.buf) < 0x3FFF:
                self.names.setdefault(key, len(self.buf))
            lab = labels[i].encode()
            self.buf += bytes([len(lab)]) + lab
        self.buf += b"\x00"

    def u8(self, v):
        self.buf += struct.pack(">B", v)

    def u16(self, v):
        self.buf += struct.pack(">H", v)

    def u32(self, v):
        self.buf += struct.pack(">I", v)

    def raw(self, b):
        self.buf += b


def rdata_name(m, target, compress=True):
    m.name(target, compress)


def put_rr(m, owner, rtype, ttl, data, rclass=C_IN):
    """Appends one RR; data is a callable writing RDATA, or bytes."""
    m.name(owner)
    m.u16(rtype)
    m.u16(rclass)
    m.u32(ttl)
    at = len(m.buf)
    m.u16(0)
    start = len(m.buf)
    if callable(data):
        data(m)
    else:
        m.raw(data)
    struct.pack_into(">H", m.buf, at, len(m.buf) - start)


def a(addr):
    return socket.inet_pton(socket.AF_INET, addr)


def aaaa(addr):
    return socket.inet_pton(socket.AF_INET6, addr)


def nm(target, compress=True):
    return lambda m: m.name(target, compress)


def mx(pref, target):
    def w(m):
        m.u16(pref)
        m.name(target)

    return w


def txt(*strings):
    out = b""
    for s in strings:
        b = s.encode() if isinstance(s, str) else s
        out += bytes([len(b)]) + b
    return out


def soa(mname, rname, serial, refresh, retry, expire, minimum):
    def w(m):
        m.name(mname)
        m.name(rname)
        for v in (serial, refresh, retry, expire, minimum):
            m.u32(v)

    return w


def srv(prio, weight, port, target):
    # RFC 2782: the target is not compressed.
    def w(m):
        m.u16(prio)
        m.u16(weight)
        m.u16(port)
        m.name(target, compress=False)

    return w


def https(prio, target, params):
    # RFC 9460 2.2: target uncompressed, then SvcParams in key order.
    def w(m):
        m.u16(prio)
        m.name(target, compress=False)
        for key, val in sorted(params):
            m.u16(key)
            m.u16(len(val))
            m.raw(val)

    return w


def opt_rr(m, udp_size=1232, do=0, options=b""):
    """Appends an OPT pseudo-RR (RFC 6891 6.1.2): root owner, class = UDP
    size, TTL = extended rcode, version and the DO bit."""
    m.u8(0)
    m.u16(T_OPT)
    m.u16(udp_size)
    m.u32(0x8000 if do else 0)
    m.u16(len(options))
    m.raw(options)


def ecs_option(family, source, scope, addr_bytes):
    # RFC 7871 6: only the bytes covering the source prefix are sent.
    nbytes = (source + 7) // 8
    body = struct.pack(">HBB", family, source, scope) + addr_bytes[:nbytes]
    return struct.pack(">HH", 8, len(body)) + body


def dns_message(ident, flags, qname, qtype, answers=(), authority=(), additional=(),
                opt=None, qclass=C_IN):
    """Builds a whole message. Sections are lists of put_rr argument tuples;
    opt is a dict of opt_rr keyword arguments or None."""
    m = Msg()
    arcount = len(additional) + (1 if opt is not None else 0)
    m.raw(struct.pack(">HHHHHH", ident, flags, 1 if qname is not None else 0,
                      len(answers), len(authority), arcount))
    if qname is not None:
        m.name(qname)
        m.u16(qtype)
        m.u16(qclass)
    for section in (answers, authority, additional):
        for rr in section:
            put_rr(m, *rr)
    if opt is not None:
        opt_rr(m, **opt)
    return bytes(m.buf)


# Header flag words (RFC 1035 4.1.1): QR 0x8000, AA 0x0400, TC 0x0200,
# RD 0x0100, RA 0x0080, AD 0x0020, CD 0x0010; rcode in the low 4 bits.
F_QUERY = 0x0100
F_RESP = 0x8180
F_RESP_AA = 0x8580


def a_query(ident=0x1234, qname="example.com"):
    return dns_message(ident, F_QUERY, qname, T_A)


def a_response(ident=0x1234, qname="example.com"):
    return dns_message(ident, F_RESP, qname, T_A, answers=[(qname, T_A, 300, a("192.0.2.80"))])


# ---------------------------------------------------------------------------
# IP, UDP, TCP
# ---------------------------------------------------------------------------


def csum(data):
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def is6(addr):
    return ":" in addr


def pseudo(src, dst, proto, length):
    if is6(src):
        return aaaa(src) + aaaa(dst) + struct.pack("!IxxxB", length, proto)
    return a(src) + a(dst) + struct.pack("!xBH", proto, length)


def udp(src, dst, sport, dport, payload):
    length = 8 + len(payload)
    hdr = struct.pack("!HHHH", sport, dport, length, 0)
    c = csum(pseudo(src, dst, 17, length) + hdr + payload) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, length, c) + payload


TCP_FIN, TCP_SYN, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x08, 0x10


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b""):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    c = csum(pseudo(src, dst, 6, len(hdr) + len(payload)) + hdr + payload)
    return hdr[:16] + struct.pack("!H", c) + hdr[18:] + payload


def ipv4(src, dst, proto, payload, ident=1, options=b"", frag_off=0, more=False, total=None):
    """An IPv4 header (RFC 791) in front of payload. frag_off is in bytes
    and must be a multiple of 8."""
    ihl = 5 + len(options) // 4
    tot = total if total is not None else ihl * 4 + len(payload)
    fl = (0x2000 if more else 0) | (frag_off // 8)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tot, ident, fl, 64, proto, 0,
                      a(src), a(dst)) + options
    c = csum(hdr)
    return hdr[:10] + struct.pack("!H", c) + hdr[12:] + payload


def ipv6(src, dst, nh, payload):
    hdr = struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 64, aaaa(src), aaaa(dst))
    return hdr + payload


def ip_udp(src, dst, sport, dport, payload):
    seg = udp(src, dst, sport, dport, payload)
    if is6(src):
        return ipv6(src, dst, 17, seg)
    return ipv4(src, dst, 17, seg)


def ipv4_fragments(src, dst, proto, payload, chunk, ident):
    """Splits one IPv4 datagram into fragments of chunk bytes (RFC 791)."""
    out = []
    for off in range(0, len(payload), chunk):
        part = payload[off:off + chunk]
        out.append(ipv4(src, dst, proto, part, ident=ident, frag_off=off,
                        more=off + chunk < len(payload)))
    return out


def ipv6_fragments(src, dst, proto, payload, chunk, ident):
    """Splits one IPv6 packet's upper layer into fragments carrying a
    Fragment header, next header 44 (RFC 8200 4.5)."""
    out = []
    for off in range(0, len(payload), chunk):
        part = payload[off:off + chunk]
        more = off + chunk < len(payload)
        fh = struct.pack("!BBHI", proto, 0, off | (1 if more else 0), ident)
        out.append(ipv6(src, dst, 44, fh + part))
    return out


# ---------------------------------------------------------------------------
# Link layers
# ---------------------------------------------------------------------------


def ethertype_of(ip):
    return 0x86DD if (ip[0] >> 4) == 6 else 0x0800


def eth(ip, to_server=True, tags=()):
    """Ethernet II; tags is a list of (TPID, VID) for 802.1Q / 802.1ad."""
    dst, src = (MAC_SERVER, MAC_CLIENT) if to_server else (MAC_CLIENT, MAC_SERVER)
    hdr = dst + src
    for tpid, vid in tags:
        hdr += struct.pack("!HH", tpid, vid)
    return hdr + struct.pack("!H", ethertype_of(ip)) + ip


def sll1(ip, to_server=True):
    # Linux cooked v1: packet type (0 to us, 4 outgoing), ARPHRD_ETHER,
    # address length, 8 address bytes, protocol.
    ptype = 4 if to_server else 0
    mac = MAC_CLIENT if to_server else MAC_SERVER
    return struct.pack("!HHH8sH", ptype, 1, 6, mac, ethertype_of(ip)) + ip


def sll2(ip, to_server=True):
    # Linux cooked v2: protocol, reserved, interface index, ARPHRD_ETHER,
    # packet type, address length, 8 address bytes.
    ptype = 4 if to_server else 0
    mac = MAC_CLIENT if to_server else MAC_SERVER
    return struct.pack("!HHIHBB8s", ethertype_of(ip), 0, 2, 1, ptype, 6, mac) + ip


def null_lo(ip, to_server=True):
    # BSD loopback: the address family in the writer's byte order (this
    # file is little-endian); AF_INET 2, AF_INET6 30 as macOS writes it.
    fam = 30 if (ip[0] >> 4) == 6 else 2
    return struct.pack("<I", fam) + ip


def raw(ip, to_server=True):
    return ip


# ---------------------------------------------------------------------------
# File formats
# ---------------------------------------------------------------------------


def pcap_file(frames, linktype, big_endian=False, nano=False, snaplen=65535):
    """Classic pcap: frames is a list of (ts_ns, bytes)."""
    e = ">" if big_endian else "<"
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)
    for ts, data in frames:
        sec, frac = divmod(ts, 1000000000)
        if not nano:
            frac //= 1000
        out += struct.pack(e + "IIII", sec, frac, len(data), len(data)) + data
    return out


def pcapng_block(btype, body):
    pad = (-len(body)) % 4
    total = 12 + len(body) + pad
    return struct.pack("<II", btype, total) + body + b"\x00" * pad + struct.pack("<I", total)


def pcapng_file(interfaces, packets):
    """pcapng: interfaces is a list of (linktype, tsresol or None); packets
    a list of (interface index, ts_ns, bytes)."""
    out = pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    for lt, tsresol in interfaces:
        opts = b""
        if tsresol is not None:
            # if_tsresol (code 9): a power of ten, one byte, padded.
            opts += struct.pack("<HHB3x", 9, 1, tsresol)
        opts += struct.pack("<HH", 0, 0)
        out += pcapng_block(1, struct.pack("<HHI", lt, 0, 65535) + opts)
    resol = [t if t is not None else 6 for _, t in interfaces]
    for ifc, ts, data in packets:
        units = ts // (10 ** (9 - resol[ifc]))
        body = struct.pack("<IIIII", ifc, units >> 32, units & 0xFFFFFFFF, len(data), len(data))
        body += data + b"\x00" * ((-len(data)) % 4)
        out += pcapng_block(6, body)
    return out


# ---------------------------------------------------------------------------
# The captures
# ---------------------------------------------------------------------------


def pair(query, response, link=eth, v6=False, sport=CPORT, dport=SPORT):
    """The standard exchange: the query at T0, its response 2 ms later."""
    c, s = (CLIENT6, SERVER6) if v6 else (CLIENT4, SERVER4)
    return [
        (T0_NS, link(ip_udp(c, s, sport, dport, query), True)),
        (T0_NS + RTT_NS, link(ip_udp(s, c, dport, sport, response), False)),
    ]


def a_pair(link=eth, v6=False):
    return pair(a_query(), a_response(), link, v6)


def content(qname, qtype, ident, answers=(), authority=(), additional=(), flags=F_RESP,
            qopt=None, ropt=None, qclass=C_IN):
    q = dns_message(ident, F_QUERY, qname, qtype, opt=qopt, qclass=qclass)
    r = dns_message(ident, flags, qname, qtype, answers, authority, additional, opt=ropt,
                    qclass=qclass)
    return pcap_file(pair(q, r), LT_ETHERNET)


def cap_aaaa():
    # Mixed case on the wire: the decoder must lower-case qname and owners.
    return content("WWW.Example.COM", T_AAAA, 0x0101, answers=[
        ("WWW.Example.COM", T_AAAA, 300, aaaa("2001:db8::80")),
        # Two zero runs of equal length: RFC 5952 4.2.3 compresses the first.
        ("WWW.Example.COM", T_AAAA, 300, aaaa("2001:db8:0:0:1:0:0:1")),
    ])


def cap_cname():
    return content("a.example.com", T_A, 0x0202, answers=[
        ("a.example.com", T_CNAME, 60, nm("b.example.net")),
        ("b.example.net", T_CNAME, 120, nm("c.example.org")),
        ("c.example.org", T_A, 30, a("192.0.2.81")),
    ])


def cap_ns():
    return content("example.com", T_NS, 0x0303, answers=[
        ("example.com", T_NS, 86400, nm("ns1.example.com")),
        ("example.com", T_NS, 86400, nm("ns2.example.com")),
    ], additional=[
        ("ns1.example.com", T_A, 3600, a("192.0.2.10")),
        ("ns1.example.com", T_AAAA, 3600, aaaa("2001:db8::10")),
        ("ns2.example.com", T_A, 3600, a("192.0.2.11")),
    ], ropt=dict(udp_size=1232))


def cap_ptr():
    return content("80.2.0.192.in-addr.arpa", T_PTR, 0x0404, answers=[
        ("80.2.0.192.in-addr.arpa", T_PTR, 3600, nm("www.example.com")),
    ])


def cap_mx():
    return content("example.com", T_MX, 0x0505, answers=[
        ("example.com", T_MX, 300, mx(10, "mx1.example.com")),
        ("example.com", T_MX, 300, mx(20, "mx2.example.com")),
    ])


def cap_txt():
    return content("example.com", T_TXT, 0x0606, answers=[
        ("example.com", T_TXT, 300, txt("v=spf1 -all", "hello world")),
        # dig escapes a quote and a backslash inside a string (RFC 1035 5.1).
        ("example.com", T_TXT, 300, txt('say "hi"', "a\\b")),
    ])


def cap_nxdomain():
    return content("nope.example.com", T_A, 0x0707, flags=F_RESP_AA | 3, authority=[
        ("example.com", T_SOA, 300, soa("ns1.example.com", "hostmaster.example.com",
                                         2024050101, 7200, 3600, 1209600, 300)),
    ])


def cap_srv():
    return content("_sip._udp.example.com", T_SRV, 0x0808, answers=[
        ("_sip._udp.example.com", T_SRV, 600, srv(10, 60, 5060, "sip.example.com")),
    ])


def cap_https():
    alpn = txt("h2", "h3")
    hints = a("192.0.2.80") + a("192.0.2.81")
    return content("example.com", T_HTTPS, 0x0909, answers=[
        ("example.com", T_HTTPS, 300, https(1, ".", [(1, alpn), (4, hints)])),
    ])


def cap_edns():
    ecs = ecs_option(1, 24, 0, a("192.0.2.0"))
    return content("example.com", T_A, 0x0A0A, answers=[
        ("example.com", T_A, 300, a("192.0.2.80")),
    ], qopt=dict(udp_size=1232, do=1, options=ecs), ropt=dict(udp_size=4096, do=1))


def cap_unknown():
    # A private-use type (RFC 6895 3.1) must come out in RFC 3597 form.
    return content("example.com", 65280, 0x0B0B, answers=[
        ("example.com", 65280, 300, bytes.fromhex("deadbeef")),
    ])


def cap_root():
    # The root name: qname "." and a single zero label on the wire.
    q = dns_message(0x0C0C, F_QUERY, ".", T_NS)
    return pcap_file(pair(q, dns_message(0x0C0C, F_RESP, ".", T_NS, answers=[
        (".", T_NS, 518400, nm("a.root-servers.net"))])), LT_ETHERNET)


def cap_chaos():
    # CLASS CH (RFC 1035 3.2.4) as used by "version.bind" queries.
    return content("version.bind", T_TXT, 0x0D0D, qclass=3, answers=[
        ("version.bind", T_TXT, 0, txt("9.18"), 3),
    ])


def cap_opcode_rcode():
    # Opcode 3 and rcode 12 are unassigned (IANA DNS parameters), so they
    # have no mnemonic.
    q = dns_message(0x0E0E, F_QUERY | (3 << 11), "example.com", T_A)
    r = dns_message(0x0E0E, F_RESP | (3 << 11) | 12, "example.com", T_A)
    return pcap_file(pair(q, r), LT_ETHERNET)


def cap_flags():
    # Every header bit: RD, Z (0x0040), AD and CD on the query; QR, AA, TC
    # and RA on the response (RFC 1035 4.1.1, RFC 4035 3.2).
    q = dns_message(0x0F0F, 0x0100 | 0x0040 | 0x0020 | 0x0010, "example.com", T_A)
    r = dns_message(0x0F0F, 0x8000 | 0x0400 | 0x0200 | 0x0080, "example.com", T_A)
    return pcap_file(pair(q, r), LT_ETHERNET)


def cap_vlan():
    return pcap_file(a_pair(lambda ip, d: eth(ip, d, [(0x8100, 100)])), LT_ETHERNET)


def cap_qinq():
    return pcap_file(a_pair(lambda ip, d: eth(ip, d, [(0x88A8, 200), (0x8100, 100)])),
                     LT_ETHERNET)


def cap_ipv4_options():
    # IHL 6: a NOP, NOP, NOP, end-of-options word (RFC 791 3.1).
    q = ipv4(CLIENT4, SERVER4, 17, udp(CLIENT4, SERVER4, CPORT, SPORT, a_query()),
             options=b"\x01\x01\x01\x00")
    r = ipv4(SERVER4, CLIENT4, 17, udp(SERVER4, CLIENT4, SPORT, CPORT, a_response()),
             options=b"\x01\x01\x01\x00")
    return pcap_file([(T0_NS, eth(q, True)), (T0_NS + RTT_NS, eth(r, False))], LT_ETHERNET)


def frag4_frames(reverse):
    q = eth(ip_udp(CLIENT4, SERVER4, CPORT, SPORT, a_query()), True)
    seg = udp(SERVER4, CLIENT4, SPORT, CPORT, a_response())
    frags = ipv4_fragments(SERVER4, CLIENT4, 17, seg, 24, ident=0x4242)
    if reverse:
        frags.reverse()
    frames = [(T0_NS, q)]
    # The datagram is complete when its last fragment (in capture order)
    # arrives, 2 ms after the query; earlier ones arrive just before.
    n = len(frags)
    for i, f in enumerate(frags):
        frames.append((T0_NS + RTT_NS - (n - 1 - i) * 1000, eth(f, False)))
    return frames


def cap_ipv4_frag():
    return pcap_file(frag4_frames(False), LT_ETHERNET)


def cap_ipv4_frag_rev():
    return pcap_file(frag4_frames(True), LT_ETHERNET)


def cap_ipv6_dstopts():
    # A Destination Options header (RFC 8200 4.6) with one PadN option
    # filling its 8 bytes, between IPv6 and UDP.
    def wrap(src, dst, sport, dport, msg):
        dopt = struct.pack("!BBBB4x", 17, 0, 1, 4)
        return ipv6(src, dst, 60, dopt + udp(src, dst, sport, dport, msg))

    q = wrap(CLIENT6, SERVER6, CPORT, SPORT, a_query())
    r = wrap(SERVER6, CLIENT6, SPORT, CPORT, a_response())
    return pcap_file([(T0_NS, eth(q, True)), (T0_NS + RTT_NS, eth(r, False))], LT_ETHERNET)


def cap_ipv6_frag():
    q = eth(ip_udp(CLIENT6, SERVER6, CPORT, SPORT, a_query()), True)
    seg = udp(SERVER6, CLIENT6, SPORT, CPORT, a_response())
    frags = ipv6_fragments(SERVER6, CLIENT6, 17, seg, 32, ident=0x66)
    frames = [(T0_NS, q)]
    n = len(frags)
    for i, f in enumerate(frags):
        frames.append((T0_NS + RTT_NS - (n - 1 - i) * 1000, eth(f, False)))
    return pcap_file(frames, LT_ETHERNET)


def cap_udp_port():
    return pcap_file(pair(a_query(), a_response(), dport=5300), LT_ETHERNET)


# DNS over TCP (RFC 1035 4.2.2, RFC 7766): a two-byte length in front of
# each message. A connection opens with a handshake; the tests put the
# payload into segments in the ways that break naive decoders.


def lp(msg):
    return struct.pack("!H", len(msg)) + msg


class Conn:
    """One TCP connection between client and server, writing frames."""

    def __init__(self, t0=T0_NS - 1000000):
        self.frames = []
        self.t = t0
        self.cseq, self.sseq = 1000, 5000
        self.emit(True, TCP_SYN, b"", step=0)
        self.cseq += 1
        self.emit(False, TCP_SYN | TCP_ACK, b"", step=100000)
        self.sseq += 1
        self.emit(True, TCP_ACK, b"", step=100000)

    def emit(self, from_client, flags, payload, step=0, seq=None, at=None):
        self.t = at if at is not None else self.t + step
        if from_client:
            s = seq if seq is not None else self.cseq
            # The first SYN acknowledges nothing (RFC 9293 3.1).
            ack = self.sseq if flags & TCP_ACK else 0
            ip = ipv4(CLIENT4, SERVER4, 6, tcp(CLIENT4, SERVER4, CPORT, SPORT, s, ack, flags,
                                                payload))
        else:
            s = seq if seq is not None else self.sseq
            ip = ipv4(SERVER4, CLIENT4, 6, tcp(SERVER4, CLIENT4, SPORT, CPORT, s, self.cseq,
                                                flags, payload))
        self.frames.append((self.t, eth(ip, from_client)))

    def send(self, from_client, payload, at):
        """Sends payload in one segment at time at and advances seq."""
        self.emit(from_client, TCP_PSH | TCP_ACK, payload, at=at)
        if from_client:
            self.cseq += len(payload)
        else:
            self.sseq += len(payload)

    def send_split(self, from_client, payload, cuts, times, order=None):
        """Sends payload cut at the given offsets, segment i at times[i],
        in the given order of segment indexes."""
        bounds = [0] + list(cuts) + [len(payload)]
        base = self.cseq if from_client else self.sseq
        segs = [(base + bounds[i], payload[bounds[i]:bounds[i + 1]])
                for i in range(len(bounds) - 1)]
        for n, i in enumerate(order if order is not None else range(len(segs))):
            seq, part = segs[i]
            self.emit(from_client, TCP_PSH | TCP_ACK, part, seq=seq, at=times[n])
        if from_client:
            self.cseq += len(payload)
        else:
            self.sseq += len(payload)

    def close(self):
        self.emit(True, TCP_FIN | TCP_ACK, b"", step=100000)
        self.cseq += 1
        self.emit(False, TCP_FIN | TCP_ACK, b"", step=100000)
        self.sseq += 1
        self.emit(True, TCP_ACK, b"", step=100000)


def cap_tcp_one():
    c = Conn()
    c.send(True, lp(a_query()), T0_NS)
    c.send(False, lp(a_response()), T0_NS + RTT_NS)
    c.close()
    return pcap_file(c.frames, LT_ETHERNET)


def cap_tcp_two_in_one():
    # RFC 7766 6.2.1.1: pipelined queries, and both answers in one segment.
    c = Conn()
    c.send(True, lp(a_query(0x2001)) + lp(a_query(0x2002, "example.net")), T0_NS)
    c.send(False, lp(a_response(0x2001)) + lp(a_response(0x2002, "example.net")),
           T0_NS + RTT_NS)
    c.close()
    return pcap_file(c.frames, LT_ETHERNET)


def cap_tcp_three_segments():
    c = Conn()
    c.send(True, lp(a_query()), T0_NS)
    r = lp(a_response())
    # Cuts inside the header and inside the question; the message is
    # complete with the third segment, at T0 + 2 ms.
    c.send_split(False, r, [10, 30], [T0_NS + RTT_NS - 2000, T0_NS + RTT_NS - 1000,
                                       T0_NS + RTT_NS])
    c.close()
    return pcap_file(c.frames, LT_ETHERNET)


def cap_tcp_split_length():
    c = Conn()
    # The first segment holds one byte: half of the length prefix.
    c.send_split(True, lp(a_query()), [1], [T0_NS - 1000, T0_NS])
    c.send(False, lp(a_response()), T0_NS + RTT_NS)
    c.close()
    return pcap_file(c.frames, LT_ETHERNET)


def cap_tcp_out_of_order():
    c = Conn()
    c.send(True, lp(a_query()), T0_NS)
    r = lp(a_response())
    # The second half is captured before the first one.
    c.send_split(False, r, [20], [T0_NS + RTT_NS - 1000, T0_NS + RTT_NS], order=[1, 0])
    c.close()
    return pcap_file(c.frames, LT_ETHERNET)


def cap_pcapng():
    # Interface 0: Ethernet, default microsecond resolution. Interface 1:
    # raw IP with if_tsresol 9 (nanoseconds). The response carries a
    # timestamp that only a nanosecond reader gets exactly.
    q, r = a_pair(raw)
    return pcapng_file([(LT_ETHERNET, None), (LT_RAW, 9)], [
        (0, T0_NS, eth(q[1], True)),
        (1, T0_NS + RTT_NS + 789, r[1]),
    ])


def cap_pcap_ns():
    q, r = a_pair()
    return pcap_file([(T0_NS + 789, q[1]), (T0_NS + RTT_NS + 789, r[1])], LT_ETHERNET,
                     nano=True)


def cap_truncated():
    frames = [
        (T0_NS, eth(ip_udp(CLIENT4, SERVER4, CPORT, SPORT, a_query(0x3001)), True)),
        (T0_NS + 1000000, eth(ip_udp(CLIENT4, SERVER4, CPORT + 1, SPORT,
                                     a_query(0x3002, "example.net")), True)),
        (T0_NS + 2000000, eth(ip_udp(CLIENT4, SERVER4, CPORT + 2, SPORT,
                                     a_query(0x3003, "example.org")), True)),
    ]
    data = pcap_file(frames, LT_ETHERNET)
    # The file ends 20 bytes into the last record's packet data, as when a
    # capture is copied while still being written.
    return data[:len(data) - len(frames[2][1]) + 20]


def pointer_loop_response():
    """A response whose answer owner name is a compression pointer to
    itself: a loop that a decoder must stop (RFC 9267 2.1)."""
    m = bytearray(struct.pack(">HHHHHH", 0x4002, F_RESP, 1, 1, 0, 0))
    m += b"\x07example\x03com\x00" + struct.pack(">HH", T_A, C_IN)
    here = len(m)
    m += struct.pack(">H", 0xC000 | here)
    m += struct.pack(">HHIH", T_A, C_IN, 300, 4) + a("192.0.2.80")
    return bytes(m)


def cap_malformed():
    frames = [
        (T0_NS, eth(ip_udp(CLIENT4, SERVER4, CPORT, SPORT, a_query(0x4001)), True)),
        (T0_NS + 1000000, eth(ip_udp(SERVER4, CLIENT4, SPORT, CPORT + 1,
                                     pointer_loop_response()), False)),
        (T0_NS + 2000000, eth(ip_udp(CLIENT4, SERVER4, CPORT + 2, SPORT,
                                     a_query(0x4003, "example.org")), True)),
    ]
    return pcap_file(frames, LT_ETHERNET)


CAPTURES = {
    "eth-a.pcap": lambda: pcap_file(a_pair(), LT_ETHERNET),
    "aaaa.pcap": cap_aaaa,
    "cname.pcap": cap_cname,
    "ns-glue.pcap": cap_ns,
    "ptr.pcap": cap_ptr,
    "mx.pcap": cap_mx,
    "txt.pcap": cap_txt,
    "nxdomain-soa.pcap": cap_nxdomain,
    "srv.pcap": cap_srv,
    "https.pcap": cap_https,
    "edns-ecs.pcap": cap_edns,
    "unknown-type.pcap": cap_unknown,
    "root.pcap": cap_root,
    "chaos.pcap": cap_chaos,
    "opcode-rcode.pcap": cap_opcode_rcode,
    "flags.pcap": cap_flags,
    "vlan.pcap": cap_vlan,
    "qinq.pcap": cap_qinq,
    "sll.pcap": lambda: pcap_file(a_pair(sll1), LT_SLL),
    "sll2.pcap": lambda: pcap_file(a_pair(sll2), LT_SLL2),
    "raw4.pcap": lambda: pcap_file(a_pair(raw), LT_RAW),
    "raw6.pcap": lambda: pcap_file(a_pair(raw, v6=True), LT_RAW),
    "null4.pcap": lambda: pcap_file(a_pair(null_lo), LT_NULL),
    "null6.pcap": lambda: pcap_file(a_pair(null_lo, v6=True), LT_NULL),
    "ipv4-options.pcap": cap_ipv4_options,
    "ipv4-frag.pcap": cap_ipv4_frag,
    "ipv4-frag-rev.pcap": cap_ipv4_frag_rev,
    "ipv6-dstopts.pcap": cap_ipv6_dstopts,
    "ipv6-frag.pcap": cap_ipv6_frag,
    "udp-5300.pcap": cap_udp_port,
    "tcp-one.pcap": cap_tcp_one,
    "tcp-two-in-one.pcap": cap_tcp_two_in_one,
    "tcp-three-segments.pcap": cap_tcp_three_segments,
    "tcp-split-length.pcap": cap_tcp_split_length,
    "tcp-out-of-order.pcap": cap_tcp_out_of_order,
    "bigendian.pcap": lambda: pcap_file(a_pair(), LT_ETHERNET, big_endian=True),
    "nanosecond.pcap": cap_pcap_ns,
    "two-interfaces.pcapng": cap_pcapng,
    "eth-a.pcap.gz": lambda: gzip.compress(pcap_file(a_pair(), LT_ETHERNET), mtime=0),
    "truncated.pcap": cap_truncated,
    "malformed.pcap": cap_malformed,
}


def write_capture(name, outdir):
    """Writes capture name into outdir and returns its path."""
    if name not in CAPTURES:
        raise KeyError("no such capture: " + name)
    path = os.path.join(outdir, name)
    tmp = path + ".tmp%d" % os.getpid()
    with open(tmp, "wb") as f:
        f.write(CAPTURES[name]())
    os.replace(tmp, path)
    return path


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        sys.stderr.write(__doc__)
        return 2
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)
    for name in argv[2:] or sorted(CAPTURES):
        print(write_capture(name, outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
