#!/usr/bin/env python3
"""dnshound detect, findings and top end to end.

Usage: detect_cli.py DNSHOUND CASE

Cases:
  escaping  hostile query names (quotes, angle brackets, control bytes)
            from a capture through detect (JSON and text) and top: no
            raw byte reaches the output
  store     a scenario ingested into a store: detect over the store keeps
            the findings, a second run raises nothing new, findings lists
            and filters them, top reads the store
  follow    detect --follow on a growing BIND query log: the finding comes
            within seconds of the crossing, and a restarted follower does
            not raise it again
"""
import json
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

DNSHOUND = sys.argv[1]
CASE = sys.argv[2]
TMP = tempfile.mkdtemp(prefix="dh-detect-")


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def run(*args, ok=(0,), timeout=120):
    p = subprocess.run([DNSHOUND] + list(args), capture_output=True, timeout=timeout)
    if p.returncode not in ok:
        fail("%s exited %d: %s" % (" ".join(args), p.returncode, p.stderr.decode(errors="replace")))
    return p.stdout, p.stderr


def dns_query(qid, labels, qtype):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for lab in labels:
        q += bytes([len(lab)]) + lab
    return q + b"\x00" + struct.pack("!HH", qtype, 1)


def csum(b):
    if len(b) % 2:
        b += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def udp_frame(src, dst, sport, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     bytes(src), bytes(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x02\x00\x00\x00\x00\x01" + b"\x02\x00\x00\x00\x00\x02" + b"\x08\x00"
    return eth + ip + udp


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ts, fr in frames:
            f.write(struct.pack("<IIII", int(ts), int((ts % 1) * 1e6), len(fr), len(fr)))
            f.write(fr)


def no_raw_bytes(data, what, json_safe):
    for i, c in enumerate(data):
        if c in (9, 10):
            continue
        if c < 0x20 or c >= 0x7F:
            fail("%s: raw byte 0x%02x at %d: %r" % (what, c, i, data[max(0, i - 40):i + 40]))
        if json_safe and c in b"<>":
            fail("%s: unescaped %r at %d" % (what, chr(c), i))


def case_escaping():
    labels = [b'mail"<script>alert(1)</script>', b"x\x01\x1b[31m'&\x7f\xff", b"example"]
    frames = []
    t = 1772409600.0
    for i in range(30):
        frames.append((t + i, udp_frame([10, 16, 0, 5], [10, 0, 0, 53], 40000 + i, 53,
                                         dns_query(i, labels, 1))))
    pcap = os.path.join(TMP, "nasty.pcap")
    write_pcap(pcap, frames)
    conf = os.path.join(TMP, "d.conf")
    with open(conf, "w") as f:
        f.write("[detect mass-mailer]\ncandidate = 10\n")
    out, _ = run("detect", "--json", "--quiet", "--config", conf, pcap)
    no_raw_bytes(out, "detect --json", True)
    lines = out.decode().splitlines()
    check(len(lines) == 1, "one finding expected, got %r" % lines)
    f = json.loads(lines[0])
    check(f["kind"] == "mass-mailer" and f["host"] == "10.16.0.5", "wrong finding %r" % f)
    check(f["level"] == "candidate" and f["score"] == 30, "wrong level or score %r" % f)
    sample = f["evidence"]["samples"][0]
    check(sample.startswith('mail"<script>'), "sample not decoded back: %r" % sample)
    check(set(f) >= {"host", "level", "kind", "window_start", "window_end", "score", "evidence"},
          "fields missing: %r" % f)
    out, _ = run("detect", "--quiet", "--config", conf, pcap)
    no_raw_bytes(out, "detect text", True)
    out, _ = run("top", "--tables", pcap)
    no_raw_bytes(out, "top --tables", False)
    check(b"10.16.0.5" in out, "top lacks the client")
    out, _ = run("top", "--tables", "--json", pcap)
    no_raw_bytes(out, "top --json", True)
    j = json.loads(out)
    check(j["top"][0]["client"] == "10.16.0.5" and j["top"][0]["queries"] == 30, "top %r" % j["top"])
    check(j["headwords"][0][0]["name"] == "m", "head words %r" % j["headwords"][0])
    # A configuration error names the file and line.
    with open(conf, "w") as f:
        f.write("[detect]\n\ncandidate = many\n")
    _, err = run("detect", "--config", conf, pcap, ok=(2,))
    check((conf + ":3").encode() in err, "config error without file and line: %r" % err)


def scenario(d):
    run("scenario", "--out", d, "--clients", "60", "--hours", "1", "--quiet",
        "--bots", "spam-mx=2,mass-mailer=0,worm-ip-literal=1,ddos-resolve=0,"
        "ddos-noresolve=0,feederbot=0,morto=0,dga=0,tunnel=1,beacon=0")
    return json.load(open(os.path.join(d, "truth.json")))


def lowconf(truth):
    conf = os.path.join(TMP, "low.conf")
    with open(conf, "w") as f:
        # One hour of traffic: an hour's share of the day's levels.
        f.write("[detect]\nwindow = 1h\ncandidate = 40\nwarning = 200\nemergency = 400\n"
                "resolver = %s\n" % truth["resolver"]["ipv4"])
        for s in truth["benign_servers"]:
            if s["role"] == "mail-server":
                f.write("allow = %s\n" % s["addr"])
        f.write("[detect spam-mx]\ncandidate = 4\nwarning = 40\nemergency = 200\n")
    return conf


def case_store():
    d = os.path.join(TMP, "scen")
    truth = scenario(d)
    conf = lowconf(truth)
    store = os.path.join(TMP, "store")
    run("ingest", "--store", store, os.path.join(d, "traffic.pcap"))
    out, err = run("detect", "--store", store, "--json", "--config", conf)
    found = [json.loads(x) for x in out.decode().splitlines()]
    bots = {b["addr"]: b["behaviour"] for b in truth["infected"]}
    hosts = {(f["host"], f["kind"]) for f in found}
    for addr, b in bots.items():
        want = {"spam-mx": "spam-mx", "worm-ip-literal": "worm-ip-literal", "tunnel": "tunnel"}[b]
        check((addr, want) in hosts, "%s (%s) not found in %r" % (addr, b, hosts))
    check(all(f["host"] in bots for f in found), "false findings: %r" % found)
    # The same over the file directly gives the same findings.
    out2, _ = run("detect", "--json", "--quiet", "--config", conf, os.path.join(d, "traffic.pcap"))
    check(sorted(out2.decode().splitlines()) == sorted(out.decode().splitlines()),
          "store and file runs differ")
    # A rerun over the store raises nothing new.
    out, _ = run("detect", "--store", store, "--json", "--new", "--quiet", "--config", conf)
    check(out == b"", "second run raised again: %r" % out)
    out, _ = run("findings", "--store", store, "--json")
    listed = [json.loads(x) for x in out.decode().splitlines()]
    check(len(listed) == len(found), "findings lists %d of %d" % (len(listed), len(found)))
    out, _ = run("findings", "--store", store, "--json", "--kind", "spam-mx")
    check(all(json.loads(x)["kind"] == "spam-mx" for x in out.decode().splitlines()) and out,
          "findings --kind")
    worm = [a for a, b in bots.items() if b == "worm-ip-literal"][0]
    out, _ = run("findings", "--store", store, "--host", worm)
    check(worm.encode() in out and out.count(b"\n") >= 1, "findings --host")
    out, _ = run("top", "--store", store, "-n", "3", "--json")
    j = json.loads(out)
    check(j["top"][0]["client"] == worm, "top of the store: %r" % j["top"][0])


BIND_LINE = "%s queries: info: client @0x7f0000000001 %s#%d (%s): query: %s IN %s +E(0)K (10.0.0.53)\n"


def bind_time(t):
    return time.strftime("%d-%b-%Y %H:%M:%S", time.gmtime(t)) + ".000"


def case_follow():
    log = os.path.join(TMP, "query.log")
    store = os.path.join(TMP, "fstore")
    conf = os.path.join(TMP, "f.conf")
    with open(conf, "w") as f:
        f.write("[detect spam-mx]\ncandidate = 50\nwarning = 100\nemergency = 1000\n")
    t = time.time() - 60
    open(log, "w").close()

    def append(n, start, host="10.16.0.44"):
        with open(log, "a") as f:
            for i in range(n):
                name = "d%d.example.com" % (start + i)
                f.write(BIND_LINE % (bind_time(t + start + i), host, 40000 + i, name, name, "MX"))

    def start():
        return subprocess.Popen([DNSHOUND, "detect", "--follow", "--store", store, "--json",
                                 "--config", conf, "--", "decode", "--follow", log],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def read_line(p, deadline):
        buf = b""
        fd = p.stdout.fileno()
        while time.time() < deadline:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                buf += chunk
                if b"\n" in buf:
                    return buf
        return buf

    append(49, 0)
    p = start()
    try:
        time.sleep(1.5)
        if p.poll() is not None:
            fail("follower died: %r" % p.stderr.read())
        append(1, 49)
        t0 = time.time()
        out = read_line(p, t0 + 30)
        dt = time.time() - t0
        check(b'"level":"candidate"' in out and b"spam-mx" in out,
              "no candidate within 30 s: %r" % out)
        check(dt < 60, "finding took %.1f s" % dt)
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=20)
    # Restarted: the same host goes on below the next level; nothing new.
    append(20, 50)
    p = start()
    try:
        out = read_line(p, time.time() + 4)
        check(b"spam-mx" not in out, "restarted follower raised again: %r" % out)
        append(40, 70)  # 110 in the window from the log's start: warning
        out = read_line(p, time.time() + 30)
        check(b'"level":"warning"' in out, "no warning after the restart: %r" % out)
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=20)
    out, _ = run("findings", "--store", store, "--json")
    rows = [json.loads(x) for x in out.decode().splitlines()]
    check(len(rows) == 1 and rows[0]["level"] == "warning", "table: %r" % rows)


try:
    {"escaping": case_escaping, "store": case_store, "follow": case_follow}[CASE]()
finally:
    shutil.rmtree(TMP, ignore_errors=True)
print("ok")
