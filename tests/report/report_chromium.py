#!/usr/bin/env python3
"""dnshound report, opened in a real headless Chromium.

    report_chromium.py DNSHOUND PUT_FINDINGS

Makes a labelled scenario, adds a capture of its own whose query names
hold quotes, angle brackets, ampersands and control bytes, ingests both
into a store, adds findings whose kind and evidence are hostile too, and
writes the report. Then:

- the file itself: only printable ASCII and newlines, no <script>, the
  hostile text present only in escaped form;
- Chromium, driven over its DevTools protocol (a small WebSocket client
  below, no third-party module): no exception, no console or log entry at
  level error, and no request but the file itself (the page's CSP forbids
  any, and the network domain is watched for attempts); every chart has
  its elements (DOM counts), the hostile names are text in the DOM and
  made no element; a full-page screenshot is kept in the build directory
  (report-test/report.png) with the report beside it.

A tampered copy of the report (an inline script that throws, an image
from 127.0.0.1) must fail the same checks, so the checker is shown to
see what it is looking for.

Exits 77 (skip) without chromium or when it cannot start.
"""
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

SKIP = 77
HOSTILE_LABELS = [b'<b>"x&y\'', b'\x07bell<i>', b'a&amp;<img', b'\x1b[31mred']


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def skip(msg):
    print("SKIP: " + msg)
    sys.exit(SKIP)


def run(args, **kw):
    p = subprocess.run(args, capture_output=True, text=True, timeout=120, **kw)
    if p.returncode != 0:
        fail("%s exited %d:\n%s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p


def dns_name(labels):
    return b"".join(bytes([len(l)]) + l for l in labels) + b"\x00"


def ip_checksum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def write_hostile_pcap(path, t0):
    """Queries from 10.16.9.9 to the resolver for names with hostile
    labels, one a second, and the NXDOMAIN answers."""
    src, dst = bytes([10, 16, 9, 9]), bytes([10, 0, 0, 53])
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    n = 0
    for rep in range(60):
        for i, lab in enumerate(HOSTILE_LABELS):
            qname = dns_name([lab, b"example", b"org"])
            for resp in (0, 1):
                qid = (rep * 16 + i) & 0xFFFF
                flags = 0x8183 if resp else 0x0100
                dns = struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 0) + qname + struct.pack(
                    "!HH", 1, 1)
                sport, dport = (53, 40000 + i) if resp else (40000 + i, 53)
                udp = struct.pack("!HHHH", sport, dport, 8 + len(dns), 0) + dns
                a, b = (dst, src) if resp else (src, dst)
                iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), n & 0xFFFF, 0, 64,
                                  17, 0, a, b)
                iph = iph[:10] + struct.pack("!H", ip_checksum(iph)) + iph[12:]
                frame = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + iph + udp
                ts = t0 + rep * 60 + i
                out.append(struct.pack("<IIII", ts, resp * 1000, len(frame), len(frame)))
                out.append(frame)
                n += 1
    with open(path, "wb") as f:
        f.write(b"".join(out))


# --- a minimal DevTools client (RFC 6455 WebSocket, text frames) ---

class DevTools:
    def __init__(self, ws_url):
        assert ws_url.startswith("ws://")
        hostport, path = ws_url[5:].split("/", 1)
        host, port = hostport.split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise OSError("DevTools closed during the handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise OSError("DevTools refused the WebSocket: %r" % head[:200])
        self.buf = head.split(b"\r\n\r\n", 1)[1]
        self.next_id = 1
        self.events = []

    def _recv_exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise OSError("DevTools connection closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _recv_message(self):
        data = b""
        while True:
            b0, b1 = self._recv_exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._recv_exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._recv_exact(8))[0]
            payload = self._recv_exact(n)
            op = b0 & 0x0F
            if op == 8:
                raise OSError("DevTools sent close")
            if op in (0, 1, 2):
                data += payload
                if b0 & 0x80:
                    return json.loads(data)

    def send(self, method, **params):
        mid = self.next_id
        self.next_id += 1
        payload = json.dumps({"id": mid, "method": method, "params": params}).encode()
        mask = os.urandom(4)
        head = bytes([0x81])
        if len(payload) < 126:
            head += bytes([0x80 | len(payload)])
        elif len(payload) < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", len(payload))
        masked = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
        self.sock.sendall(head + mask + masked)
        self.sock.settimeout(60)
        while True:
            msg = self._recv_message()
            if msg.get("id") == mid:
                if "error" in msg:
                    raise OSError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            self.events.append(msg)

    def wait_event(self, method, timeout):
        deadline = time.time() + timeout
        self.sock.settimeout(timeout)
        for e in self.events:
            if e.get("method") == method:
                return e
        while time.time() < deadline:
            msg = self._recv_message()
            self.events.append(msg)
            if msg.get("method") == method:
                return msg
        raise OSError("no %s within %ss" % (method, timeout))

    def drain(self, seconds):
        """Collects events for a while (late console errors)."""
        end = time.time() + seconds
        while time.time() < end:
            self.sock.settimeout(max(0.05, end - time.time()))
            try:
                self.events.append(self._recv_message())
            except socket.timeout:
                break


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                  "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0"]

DOM_PROBE = r"""
(() => {
  const q = (s) => document.querySelectorAll(s).length;
  const cells = Array.from(document.querySelectorAll('#headwords-table code, #findings-table td'))
                     .map(e => e.textContent);
  return JSON.stringify({
    figures: q('figure.chart'),
    traffic_lines: q('#chart-traffic polyline.series'),
    entropy_lines: q('#chart-entropy polyline.series'),
    entropy_marks: q('#chart-entropy circle.mark'),
    bars: q('#chart-talkers rect.bar'),
    pc_lines: q('#chart-flows polyline.pc'),
    pc_axes: q('#chart-flows line.axis'),
    findings_rows: q('#findings-table tr') - 1,
    headword_rows: q('#headwords-table tr') - 1,
    peaks_rows: q('#peaks tr') ? q('#peaks tr') - 1 : 0,
    scripts: q('script'), imgs: q('img'), injected_b: q('td b, td i, code b, code i'),
    cells: cells,
    rects: Object.fromEntries(Array.from(document.querySelectorAll('section')).map(e => {
      const r = e.getBoundingClientRect();
      return [e.id, [r.left + window.scrollX, r.top + window.scrollY, r.width, r.height]];
    })),
    width: document.documentElement.scrollWidth,
    height: document.documentElement.scrollHeight,
  });
})()
"""


def open_in_chromium(html_path, shot_path, profile):
    """Returns (errors, requests, dom) for the page."""
    chrome = shutil.which("chromium")
    proc = subprocess.Popen([chrome] + CHROMIUM_FLAGS + ["--user-data-dir=" + profile,
                                                        "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.time() + 30
        while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
            if proc.poll() is not None or time.time() > deadline:
                skip("chromium did not start its DevTools endpoint")
            time.sleep(0.1)
        port = int(open(port_file).read().split()[0])
        targets = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port,
                                                   timeout=10))
        page = [t for t in targets if t.get("type") == "page"][0]
        dt = DevTools(page["webSocketDebuggerUrl"])
        for domain in ("Runtime", "Log", "Network", "Page"):
            dt.send(domain + ".enable")
        url = "file://" + html_path
        # The width the screenshots have, set before the page lays out.
        dt.send("Emulation.setDeviceMetricsOverride", width=1200, height=1000,
                deviceScaleFactor=1, mobile=False)
        dt.send("Page.navigate", url=url)
        dt.wait_event("Page.loadEventFired", 30)
        dt.drain(1.0)
        dom = json.loads(dt.send("Runtime.evaluate", expression=DOM_PROBE,
                                 returnByValue=True)["result"]["value"])
        if shot_path:
            dt.send("Emulation.setDeviceMetricsOverride", width=1200,
                    height=min(int(dom["height"]), 16000), deviceScaleFactor=1, mobile=False)
            # Layout at the full height may move sections: measure again.
            dom["rects"] = json.loads(dt.send("Runtime.evaluate", expression=DOM_PROBE,
                                              returnByValue=True)["result"]["value"])["rects"]
            shot = dt.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
            with open(shot_path, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
            # One picture per section too, to look at a chart at full size.
            for sid, (x, y, w, h) in dom["rects"].items():
                clip = {"x": x, "y": y, "width": w, "height": min(h, 2500), "scale": 1}
                part = dt.send("Page.captureScreenshot", format="png", clip=clip,
                               captureBeyondViewport=True)
                with open(shot_path[:-4] + "-" + sid + ".png", "wb") as f:
                    f.write(base64.b64decode(part["data"]))
        errors, requests = [], []
        for e in dt.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.exceptionThrown":
                errors.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:300])
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                errors.append("console.%s: %s" % (p["type"], json.dumps(p.get("args"))[:300]))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                errors.append("log: " + p["entry"].get("text", "")[:300])
            elif m == "Network.requestWillBeSent":
                requests.append(p["request"]["url"])
        return errors, requests, dom
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    dnshound, put = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    if not shutil.which("chromium"):
        skip("chromium is not installed (scripts/deps.sh installs it)")
    if os.geteuid() != 0:
        skip("this test runs Chromium with --no-sandbox, which it allows only as root here")
    keep = os.path.join(os.environ.get("DH_BUILD_ROOT", tempfile.gettempdir()), "report-test")
    shutil.rmtree(keep, ignore_errors=True)
    os.makedirs(keep)
    d = tempfile.mkdtemp(prefix="dh-report-")
    try:
        scen = os.path.join(d, "scen")
        run([dnshound, "scenario", "--out", scen, "--clients", "150", "--hours", "24",
             "--rate", "0.005", "--seed", "7", "--quiet"])
        truth = json.load(open(os.path.join(scen, "truth.json")))
        spam = [h["addr"] for h in truth["infected"] if h["behaviour"] == "spam-mx"][0]
        t0 = truth["start_ns"] // 10**9
        hostile_pcap = os.path.join(d, "hostile.pcap")
        write_hostile_pcap(hostile_pcap, t0 + 3600)
        store = os.path.join(d, "store")
        run([dnshound, "ingest", "--store", store, os.path.join(scen, "traffic.pcap"),
             hostile_pcap])
        ev = json.dumps({"names": ["<script>alert('x')</script>", "\x07\x1b[2J&amp;\"q\""]})
        run([put, store], input="10.16.9.9 warning <b>kind</b>&\" %d %d 5000 %s\n"
            % (t0, t0 + 86400, ev))
        html = os.path.join(keep, "report.html")
        p = run([dnshound, "report", "--store", store, "--out", html, "--host", spam,
                 "--title", "dnshound <test> & \"report\""])
        print(p.stderr.strip())

        raw = open(html, "rb").read()
        bad = [i for i, c in enumerate(raw) if not (c == 10 or 32 <= c < 127)]
        if bad:
            fail("the file holds %d bytes outside printable ASCII, first at %d: %r"
                 % (len(bad), bad[0], raw[max(0, bad[0] - 40):bad[0] + 40]))
        text = raw.decode("ascii")
        for needle in ("<script", "<b>", "<i>", "<img"):
            if needle in text:
                fail("raw %r in the report" % needle)
        if "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" not in text:
            fail("the hostile evidence is not in the report, escaped")
        if "&lt;b&gt;kind&lt;/b&gt;&amp;&quot;" not in text:
            fail("the hostile kind is not in the report, escaped")

        errors, requests, dom = open_in_chromium(html, os.path.join(keep, "report.png"),
                                                 os.path.join(d, "profile"))
        print("DOM:", json.dumps({k: v for k, v in dom.items() if k not in ("cells", "rects")}))
        if errors:
            fail("console errors:\n" + "\n".join(errors))
        others = [u for u in requests if u != "file://" + html]
        if others:
            fail("the page asked for more than itself: %r" % others)
        want = {"figures": 4, "traffic_lines": 8, "entropy_lines": 2, "pc_axes": 10,
                "scripts": 0, "imgs": 0, "injected_b": 0}
        for k, v in want.items():
            if dom[k] != v:
                fail("%s = %r, expected %r" % (k, dom[k], v))
        for k in ("bars", "pc_lines", "findings_rows", "headword_rows"):
            if dom[k] < 1:
                fail("%s is empty" % k)
        if dom["entropy_marks"] != dom["peaks_rows"]:
            fail("%d peak marks for %d peaks" % (dom["entropy_marks"], dom["peaks_rows"]))
        cells = "\n".join(dom["cells"])
        if "<script>alert('x')</script>" not in cells or "<b>kind</b>&\"" not in cells:
            fail("the hostile strings are not shown as text")
        # The names from the wire: their head words are text, control
        # bytes shown as \xNN (the text form may escape further).
        if not any(c.startswith("<b>") or c.startswith("\\060b") for c in dom["cells"]):
            print("note: head words of the hostile names are not among the top rows")
        print("ok: no console errors, nothing fetched, %d charts with their elements, "
              "hostile names shown as text; screenshot %s"
              % (dom["figures"], os.path.join(keep, "report.png")))

        # The checker itself: a tampered copy must fail it.
        bad_html = os.path.join(d, "tampered.html")
        with open(bad_html, "w") as f:
            f.write(text.replace("</body>", "<script>undefinedFunction();</script>"
                                 "<img src=\"http://127.0.0.1:9/x.png\"></body>"))
        errors, requests, dom = open_in_chromium(bad_html, None, os.path.join(d, "profile2"))
        if not errors:
            fail("the checker saw no error in a page that throws and breaks its CSP")
        print("ok: the tampered copy is caught (%d errors, e.g. %s)" % (len(errors),
                                                                       errors[0][:120]))
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
