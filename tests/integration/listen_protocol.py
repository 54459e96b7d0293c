"""Frame Streams protocol tests of "dnshound listen" (no root needed).

Speaks the writer's side by hand (fstrm(3): READY, ACCEPT, START, data
frames, STOP, FINISH) against a real listener: several writers at once,
frames split across writes, and writers that break the protocol, each of
which must lose only its own connection. Usage: listen_protocol.py
DNSHOUND. Exit 0 when every check passed, 1 otherwise.
"""

import json
import re
import shutil
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

CT = b"protobuf:dnstap.Dnstap"
READY, ACCEPT, START, STOP, FINISH = 4, 1, 2, 3, 5
failed = 0


def check(what, ok, detail=""):
    global failed
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else ": " + detail))
    if not ok:
        failed += 1


def control(kind, ctype=CT):
    body = struct.pack(">I", kind)
    if ctype is not None:
        body += struct.pack(">II", 1, len(ctype)) + ctype
    return struct.pack(">II", 0, len(body)) + body


def varint(v):
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field(num, wire, payload):
    key = varint(num << 3 | wire)
    if wire == 0:
        return key + varint(payload)
    return key + varint(len(payload)) + payload


def dns_query(qid, name):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00" + struct.pack(">HH", 1, 1)


def dnstap_frame(qid, name, identity=b"writer"):
    """A CLIENT_QUERY (type 5) from 192.0.2.1#5353 to 192.0.2.53#53."""
    msg = (
        field(1, 0, 5)  # type CLIENT_QUERY
        + field(2, 0, 1)  # socket_family INET
        + field(3, 0, 1)  # socket_protocol UDP
        + field(4, 2, bytes([192, 0, 2, 1]))
        + field(5, 2, bytes([192, 0, 2, 53]))
        + field(6, 0, 5353)
        + field(7, 0, 53)
        + field(8, 0, 1700000000)
        + varint(9 << 3 | 5) + struct.pack("<I", 0)  # query_time_nsec, fixed32
        + field(10, 2, dns_query(qid, name))
    )
    top = field(1, 2, identity) + field(14, 2, msg) + field(15, 0, 1)
    return struct.pack(">I", len(top)) + top


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    return s


def handshake(s):
    s.sendall(control(READY))
    reply = s.recv(64)
    return reply == control(ACCEPT)


def main():
    exe = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="dh-listen-")
    path = os.path.join(tmp, "dt.sock")
    out = open(os.path.join(tmp, "out.json"), "w+")
    err = open(os.path.join(tmp, "err.txt"), "w+")
    p = subprocess.Popen([exe, "listen", "--socket", path, "--json"], stdout=out, stderr=err)
    for _ in range(100):
        if os.path.exists(path):
            break
        time.sleep(0.05)
    check("the socket appears", os.path.exists(path))

    second = subprocess.run([exe, "listen", "--socket", path, "-q"], capture_output=True,
                            text=True, timeout=10)
    check("a second listener refuses a socket in use", second.returncode == 1 and
          "another listener" in second.stderr, second.stderr)

    # Two writers at once, interleaved, one frame split byte by byte.
    a, b = connect(path), connect(path)
    check("writer a gets ACCEPT with the dnstap content type", handshake(a))
    check("writer b gets ACCEPT with the dnstap content type", handshake(b))
    a.sendall(control(START))
    b.sendall(control(START))
    for i in range(50):
        a.sendall(dnstap_frame(i, "a%d.example" % i))
        b.sendall(dnstap_frame(1000 + i, "b%d.example" % i))
    split = dnstap_frame(77, "split.example")
    for k in range(len(split)):
        a.send(split[k : k + 1])
    a.sendall(control(STOP, None))
    check("writer a gets FINISH after STOP", a.recv(64) == control(FINISH, None))
    a.close()

    # Writers that break the protocol; b must be unaffected.
    bad = connect(path)
    bad.sendall(dnstap_frame(1, "early.example"))  # data before START
    check("a data frame before START closes that writer", bad.recv(64) == b"")
    bad.close()
    bad = connect(path)
    bad.sendall(control(READY, b"protobuf:other"))
    check("a foreign content type closes that writer", bad.recv(64) == b"")
    bad.close()
    bad = connect(path)
    handshake(bad)
    bad.sendall(control(START) + struct.pack(">I", 0x7FFFFFFF) + b"x" * 16)
    check("a frame length over the limit closes that writer", bad.recv(64) == b"")
    bad.close()
    bad = connect(path)
    handshake(bad)
    bad.sendall(control(START) + struct.pack(">I", 5) + b"\xff\xff\xff\xff\xff")
    bad.sendall(dnstap_frame(5, "afterbad.example"))
    bad.sendall(control(STOP, None))
    check("a bad payload is skipped, not fatal", bad.recv(64) == control(FINISH, None))
    bad.close()

    b.sendall(dnstap_frame(2000, "last.example"))
    time.sleep(0.3)
    # Stop with b still connected: its frames already sent must count.
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=10)
    b.close()
    check("listen exits 0 on SIGTERM", rc == 0, str(rc))
    check("the socket file is removed", not os.path.exists(path))
    out.seek(0)
    events = [json.loads(line) for line in out if line.strip()]
    names = [e["qname"] for e in events]
    check("51 frames of a, 51 of b and the 1 after a bad frame decoded",
          len(events) == 103, "%d events" % len(events))
    check("the split frame decoded", "split.example." in names)
    check("the last frame of the writer still open at stop decoded", "last.example." in names)
    check("the frame after a bad payload decoded", "afterbad.example." in names)
    check("no frame of a violating writer decoded", "early.example." not in names)
    check("order per writer is kept",
          [n for n in names if n.startswith("a")] ==
          ["a%d.example." % i for i in range(50)] + ["afterbad.example."])
    e0 = next(e for e in events if e["qname"] == "a0.example.")
    check("fields from dnstap", e0["src"] == "192.0.2.1" and e0["sport"] == 5353 and
          e0["dst"] == "192.0.2.53" and e0["role"] == "client_query" and
          e0["observer"] == "writer" and e0["proto"] == "udp", json.dumps(e0))
    err.seek(0)
    text = err.read()
    print("# stderr of listen:\n" + "".join("#   " + l + "\n" for l in text.splitlines()))
    check("violations are reported with the connection and why",
          re.search(r"connection \d+ closed: data frame before START", text) and
          "content type other than dnstap" in text and "256 KiB" in text, text)
    check("the summary counts 3 violations and 1 bad frame",
          "3 closed for violations" in text and "1 bad" in text, text)
    store_test(exe, tmp)
    if not failed:
        shutil.rmtree(tmp)
    return 1 if failed else 0


def store_test(exe, tmp):
    """--store: events stored, checkpointed while running, all at stop."""
    path = os.path.join(tmp, "st.sock")
    store = os.path.join(tmp, "store")
    p = subprocess.Popen([exe, "listen", "--socket", path, "--store", store,
                          "--checkpoint-seconds", "1", "-q"])
    for _ in range(100):
        if os.path.exists(path):
            break
        time.sleep(0.05)
    w = connect(path)
    handshake(w)
    w.sendall(control(START))
    for i in range(20):
        w.sendall(dnstap_frame(i, "stored%d.example" % i, b"store-writer"))
    time.sleep(1.5)
    mid = subprocess.run([exe, "events", "--store", store, "--json"],
                         capture_output=True, text=True)
    check("a checkpoint makes events visible while listening",
          mid.stdout.count("\n") == 20, mid.stdout + mid.stderr)
    # A burst, and the stop right behind it: frames still in the socket
    # or in the listener's buffer at SIGINT must be stored too.
    w.sendall(b"".join(dnstap_frame(i, "stored%d.example" % i, b"store-writer")
                       for i in range(20, 3000)))
    p.send_signal(signal.SIGINT)
    rc = p.wait(timeout=10)
    w.close()
    check("listen --store exits 0 on SIGINT", rc == 0, str(rc))
    end = subprocess.run([exe, "events", "--store", store, "--json",
                          "--observer", "store-writer"], capture_output=True, text=True)
    check("every event is stored at stop", end.stdout.count("\n") == 3000,
          end.stdout[-500:] + end.stderr)


if __name__ == "__main__":
    sys.exit(main())
