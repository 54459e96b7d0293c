#!/usr/bin/env python3
"""Writes the demo capture: one hour of a small campus network's DNS.

Deterministic (fixed seed), standard library only. 300 clients (IPv4 and
IPv6) ask a resolver for Zipf-popular names; the resolver answers. Two of
them misbehave the way dnshound's seeds describe: 10.1.0.66 resolves the
MX records of many domains itself, as a spam bot does (Musashi et al.
2006), and 10.1.0.77 asks for random names that do not exist, as a bot
with a domain generation algorithm does.

usage: demo_capture.py OUTPUT.pcap [--packets N]
"""
import random
import struct
import sys

RESOLVER4 = bytes([10, 0, 0, 53])
RESOLVER6 = bytes.fromhex('20010db8000000000000000000000053')
START = 1714564800  # 2024-05-01T12:00:00Z
T_A, T_NS, T_CNAME, T_SOA, T_PTR, T_MX, T_TXT, T_AAAA, T_OPT = 1, 2, 5, 6, 12, 15, 16, 28, 41


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def name(n):
    out = b''
    for label in n.rstrip('.').split('.'):
        out += bytes([len(label)]) + label.encode()
    return out + b'\0'


def rr(owner, rtype, ttl, rdata):
    return name(owner) + struct.pack('!HHIH', rtype, 1, ttl, len(rdata)) + rdata


def message(qid, flags, qname, qtype, answers=(), authority=(), edns=True):
    ar = [name('.')[:1] + struct.pack('!HHIH', T_OPT, 1232, 0, 0)] if edns else []
    hdr = struct.pack('!HHHHHH', qid, flags, 1, len(answers), len(authority), len(ar))
    return hdr + name(qname) + struct.pack('!HH', qtype, 1) + b''.join(answers) + \
        b''.join(authority) + b''.join(ar)


def frame(src, dst, sport, dport, payload):
    udp_len = 8 + len(payload)
    if len(src) == 4:
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + udp_len, 0, 0x4000, 64, 17, 0, src, dst)
        ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
        pseudo = src + dst + struct.pack('!BBH', 0, 17, udp_len)
        ethertype = 0x0800
    else:
        ip = struct.pack('!IHBB16s16s', 0x60000000, udp_len, 17, 64, src, dst)
        pseudo = src + dst + struct.pack('!IxxxB', udp_len, 17)
        ethertype = 0x86dd
    udp = struct.pack('!HHHH', sport, dport, udp_len, 0) + payload
    c = csum(pseudo + udp) or 0xffff
    udp = udp[:6] + struct.pack('!H', c) + udp[8:]
    eth = bytes.fromhex('0050569a0153') + bytes.fromhex('00005e000101') + \
        struct.pack('!H', ethertype)
    return eth + ip + udp


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    packets = int(sys.argv[sys.argv.index('--packets') + 1]) if '--packets' in sys.argv else 40000
    rnd = random.Random(20240501)
    words = ['alpha', 'bravo', 'campus', 'delta', 'echo', 'library', 'mail', 'news', 'photo',
             'video', 'shop', 'cloud', 'maps', 'store', 'learn', 'sport', 'music', 'games']
    tlds = ['com', 'net', 'org', 'jp', 'edu']
    domains = ['%s%s.%s' % (rnd.choice(words), rnd.choice(words), rnd.choice(tlds))
               for _ in range(2000)]
    weights = [1.0 / (i + 1) ** 0.95 for i in range(len(domains))]
    clients = []
    for i in range(300):
        if i % 6 == 5:
            clients.append(bytes.fromhex('20010db800010000000000000000%04x' % (i + 256)))
        else:
            clients.append(bytes([10, 1, i // 250, 1 + i % 250]))
    spam_bot = bytes([10, 1, 0, 66])
    dga_bot = bytes([10, 1, 0, 77])
    records = []
    t = float(START)
    qid = 1
    while len(records) < packets:
        t += rnd.expovariate(10.0)
        r = rnd.random()
        if r < 0.04:
            client, qtype = spam_bot, T_MX
            qname = rnd.choice(domains)
        elif r < 0.06:
            client, qtype = dga_bot, T_A
            qname = ''.join(rnd.choice('abcdefghijklmnopqrstuvwxyz0123456789')
                            for _ in range(rnd.randint(10, 18))) + '.' + rnd.choice(tlds)
        else:
            client = rnd.choice(clients)
            qname = 'www.' + rnd.choices(domains, weights)[0]
            qtype = rnd.choices([T_A, T_AAAA, T_TXT, T_PTR], [70, 25, 3, 2])[0]
            if qtype == T_PTR:
                qname = '%d.%d.1.10.in-addr.arpa' % (rnd.randint(1, 250), rnd.randint(0, 1))
        server = RESOLVER4 if len(client) == 4 else RESOLVER6
        sport = rnd.randint(1024, 65535)
        query = message(qid, 0x0100, qname, qtype)
        zone = qname.split('.', 1)[-1] if '.' in qname else qname
        soa = rr(zone, T_SOA, 900, name('ns1.' + zone) + name('hostmaster.' + zone) +
                 struct.pack('!IIIII', 2024050101, 7200, 3600, 1209600, 900))
        if client == dga_bot:
            resp = message(qid, 0x8183, qname, qtype, authority=[soa])
        elif qtype == T_MX:
            resp = message(qid, 0x8180, qname, qtype,
                           [rr(qname, T_MX, 3600, struct.pack('!H', 10) + name('mx.' + qname))])
        elif qtype == T_A:
            host = qname.split('.', 1)[1]
            ip = bytes([203, 0, 113, 1 + sum(host.encode()) % 250])
            resp = message(qid, 0x8180, qname, qtype,
                           [rr(qname, T_CNAME, 300, name(host)), rr(host, T_A, 60, ip)])
        elif qtype == T_AAAA:
            resp = message(qid, 0x8180, qname, qtype,
                           [rr(qname, T_AAAA, 300,
                               bytes.fromhex('20010db8ffff000000000000000000%02x' % (len(qname) % 250)))])
        elif qtype == T_TXT:
            txt = b'v=spf1 -all'
            resp = message(qid, 0x8180, qname, qtype, [rr(qname, T_TXT, 300, bytes([len(txt)]) + txt)])
        else:
            resp = message(qid, 0x8183, qname, qtype, authority=[soa])
        rtt = rnd.choice([0.0003, 0.0005, 0.02, 0.08])
        records.append((t, frame(client, server, sport, 53, query)))
        records.append((t + rtt, frame(server, client, 53, sport, resp)))
        qid = qid % 65535 + 1
    records.sort(key=lambda x: x[0])
    with open(out, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for ts, data in records[:packets]:
            sec = int(ts)
            usec = int(round((ts - sec) * 1e6))
            if usec >= 1000000:
                sec, usec = sec + 1, usec - 1000000
            f.write(struct.pack('<IIII', sec, usec, len(data), len(data)) + data)


if __name__ == '__main__':
    main()
