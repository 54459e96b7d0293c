#!/usr/bin/env python3
"""End-to-end tests of live capture and follow mode.

usage: live_test.py DNSHOUND CASE
CASE capture: dnshound capture on the loopback interface sees the DNS
  queries this script sends to 127.0.0.1:5300 (no server is needed: the
  query packets are what is captured), and SIGINT stops it with a summary.
  Skipped (exit 77) when not root or when capturing is not permitted.
CASE capture-tcp: the same over TCP, against a small TCP DNS responder in
  this script: several queries in one segment, one split over three
  segments, answers matched to their queries.
CASE follow: a BIND query log is appended to, rotated (mv + new file) and
  truncated while 'ingest --follow' runs, the ingest is restarted in
  between, and the store must hold every line exactly once.
"""
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

DH, CASE = sys.argv[1], sys.argv[2]
WORK = tempfile.mkdtemp(prefix='dh-live-')
PORT = 5300


RUNNING = []


def fail(msg):
    print('FAIL: ' + msg)
    sys.stdout.flush()
    for p in RUNNING:
        if p.poll() is None:
            p.kill()
    if os.environ.get('DH_KEEP'):
        print('kept ' + WORK)
        sys.exit(1)
    shutil.rmtree(WORK, ignore_errors=True)
    sys.exit(1)


def skip(msg):
    print('SKIP: ' + msg)
    shutil.rmtree(WORK, ignore_errors=True)
    sys.exit(77)


def check(cond, msg):
    if not cond:
        fail(msg)


def query(qid, name, qtype=1):
    """A DNS query message (RFC 1035 4.1) for name."""
    q = struct.pack('>HHHHHH', qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip('.').split('.'):
        q += bytes([len(label)]) + label.encode()
    return q + b'\0' + struct.pack('>HH', qtype, 1)


def wait_for(pred, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.05)
    fail('timed out waiting for ' + what)


def start_capture(*extra):
    out = open(os.path.join(WORK, 'out.jsonl'), 'w')
    err = open(os.path.join(WORK, 'err.txt'), 'w')
    p = subprocess.Popen([DH, 'capture', '-i', 'lo', '--port', str(PORT), '--json',
                          '--observer', 'lo-test'] + list(extra), stdout=out, stderr=err)
    RUNNING.append(p)
    return p, out, err


def read(name):
    with open(os.path.join(WORK, name)) as f:
        return f.read()


def exited_early(p):
    """Skips when the capture could not start for lack of permission,
    fails when it stopped for another reason."""
    if p.poll() is None:
        return
    e = read('err.txt')
    if 'not permitted' in e or 'ermission' in e:
        skip('capturing on lo is not permitted here: ' + e.strip())
    fail('capture exited early (exit %d): %s' % (p.returncode, e))


def send_until_seen(p, names, deadline=8.0):
    """Sends the queries until the capture is up (its first packets may
    go by before libpcap is active), then once more each as the test."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    end = time.time() + deadline
    while time.time() < end:
        s.sendto(query(0x7777, 'probe.live.test'), ('127.0.0.1', PORT))
        time.sleep(0.1)
        exited_early(p)
        if 'probe.live.test' in read('out.jsonl'):
            break
    for i, n in enumerate(names):
        s.sendto(query(0x1000 + i, n, 28 if i % 2 else 1), ('127.0.0.1', PORT))
    s.close()


def case_capture():
    if os.geteuid() != 0:
        skip('live capture needs root (or CAP_NET_RAW)')
    names = ['q%d.Live.Test' % i for i in range(20)]
    # --count stops the capture by itself after the probes and the queries.
    p, out, err = start_capture('--duration', '15')
    time.sleep(0.3)
    exited_early(p)
    send_until_seen(p, names)

    def all_seen():
        return all(('"qname":"%s."' % n.lower()) in read('out.jsonl') for n in names)
    wait_for(all_seen, 5, 'the 20 queries in the capture output')
    p.send_signal(signal.SIGINT)
    try:
        rc = p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        p.kill()
        fail('capture did not stop within 5 s of SIGINT')
    out.close()
    err.close()
    check(rc == 0, 'capture exit %d after SIGINT: %s' % (rc, read('err.txt')))
    e = read('err.txt')
    check('captured on lo:' in e and 'stopped by a signal' in e, 'no summary: ' + e)
    evs = [json.loads(l) for l in read('out.jsonl').splitlines()]
    mine = [ev for ev in evs if ev['qname'].endswith('.live.test.') and
            ev['qname'] != 'probe.live.test.']
    check(len(mine) == len(names), '%d events for %d queries' % (len(mine), len(names)))
    for i, ev in enumerate(sorted(mine, key=lambda ev: ev['id'])):
        check(ev['qname'] == names[i].lower() + '.', 'qname %s' % ev['qname'])
        check(ev['id'] == 0x1000 + i, 'id %d' % ev['id'])
        check(ev['qtype'] == ('AAAA' if i % 2 else 'A'), 'qtype %s' % ev['qtype'])
        check(ev['dport'] == PORT and ev['dst'] == '127.0.0.1' and ev['proto'] == 'udp',
              'addresses %r' % ev)
        check(ev.get('observer') == 'lo-test', 'observer %r' % ev.get('observer'))

    # --count N stops by itself after N events, with the summary.
    p, out, err = start_capture('--count', '3', '--duration', '15')
    time.sleep(0.3)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    end = time.time() + 8
    while p.poll() is None and time.time() < end:
        s.sendto(query(0x2000, 'count.live.test'), ('127.0.0.1', PORT))
        time.sleep(0.05)
    s.close()
    check(p.poll() is not None, 'capture --count 3 did not stop')
    out.close()
    err.close()
    check(p.returncode == 0, 'capture --count exit %d: %s' % (p.returncode, read('err.txt')))
    lines = read('out.jsonl').splitlines()
    check(len(lines) == 3, '--count 3 printed %d events' % len(lines))
    check('3 events' in read('err.txt'), 'summary: ' + read('err.txt'))

    # --store: the events go into the store, checkpointed on the way out.
    store = os.path.join(WORK, 'store')
    err = open(os.path.join(WORK, 'store.err'), 'w')
    p = subprocess.Popen([DH, 'capture', '-i', 'lo', '--port', str(PORT), '--store', store,
                          '--duration', '15', '-q'], stderr=err)
    RUNNING.append(p)
    time.sleep(0.5)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(50):
        s.sendto(query(0x3000 + i, 'stored%d.live.test' % i), ('127.0.0.1', PORT))
    s.close()
    time.sleep(0.5)
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=5)
    err.close()
    check(rc == 0, 'capture --store exit %d: %s' % (rc, read('store.err')))
    q = subprocess.run([DH, 'events', '--store', store, '--json'], capture_output=True,
                       text=True, timeout=30)
    got = sorted(json.loads(l)['qname'] for l in q.stdout.splitlines())
    want = sorted('stored%d.live.test.' % i for i in range(50))
    check([g for g in got if g.startswith('stored')] == want,
          'stored %d of 50 queries: %s' % (len(got), q.stderr))


def tcp_answer(msg):
    """The query back as a response: QR, RA set, no answer."""
    return msg[:2] + struct.pack('>H', struct.unpack('>H', msg[2:4])[0] | 0x8080) + msg[4:]


def tcp_server(lsock):
    """Answers every length-prefixed message on every connection until
    the listening socket is closed (RFC 7766 framing)."""
    while True:
        try:
            conn, _ = lsock.accept()
        except OSError:
            return
        buf = b''
        with conn:
            while True:
                data = conn.recv(4096)
                if not data:
                    break
                buf += data
                while len(buf) >= 2 and len(buf) >= 2 + struct.unpack('>H', buf[:2])[0]:
                    n = struct.unpack('>H', buf[:2])[0]
                    msg, buf = buf[2:2 + n], buf[2 + n:]
                    r = tcp_answer(msg)
                    conn.sendall(struct.pack('>H', len(r)) + r)


def case_capture_tcp():
    """DNS over TCP captured live: several messages in one segment, one
    message split over two segments, answers matched to their queries."""
    import threading
    if os.geteuid() != 0:
        skip('live capture needs root (or CAP_NET_RAW)')
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(('127.0.0.1', PORT))
    lsock.listen(8)
    threading.Thread(target=tcp_server, args=(lsock,), daemon=True).start()
    p, out, err = start_capture('--duration', '20')
    time.sleep(0.3)
    exited_early(p)
    send_until_seen(p, [])

    def framed(qid, name):
        m = query(qid, name)
        return struct.pack('>H', len(m)) + m

    names = ['t%d.tcp.live.test' % i for i in range(6)]
    # Three queries in one write, so (on lo) in one segment.
    c = socket.create_connection(('127.0.0.1', PORT))
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    c.sendall(b''.join(framed(0x4000 + i, names[i]) for i in range(3)))
    got = b''
    while len(got) < 3 * (2 + len(query(0, names[0]))):
        got += c.recv(4096)
    c.close()
    # One query split inside its length prefix and again inside the name.
    c = socket.create_connection(('127.0.0.1', PORT))
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    m = framed(0x4003, names[3])
    for part in (m[:1], m[1:9], m[9:]):
        c.sendall(part)
        time.sleep(0.05)
    c.recv(4096)
    c.close()
    # Two queries on one connection, one after the other's answer.
    c = socket.create_connection(('127.0.0.1', PORT))
    for i in (4, 5):
        c.sendall(framed(0x4000 + i, names[i]))
        c.recv(4096)
    c.close()

    def all_answered():
        return read('out.jsonl').count('.tcp.live.test.') >= 2 * len(names)
    wait_for(all_answered, 5, 'the 6 TCP queries and their answers in the capture output')
    p.send_signal(signal.SIGINT)
    rc = p.wait(timeout=5)
    out.close()
    err.close()
    lsock.close()
    check(rc == 0, 'capture exit %d after SIGINT: %s' % (rc, read('err.txt')))
    evs = [json.loads(l) for l in read('out.jsonl').splitlines()]
    mine = [ev for ev in evs if ev['qname'].endswith('.tcp.live.test.')]
    queries = sorted((ev for ev in mine if ev['qr'] == 0), key=lambda ev: ev['id'])
    answers = sorted((ev for ev in mine if ev['qr'] == 1), key=lambda ev: ev['id'])
    check(len(queries) == 6 and len(answers) == 6,
          '%d queries and %d answers over TCP, want 6 and 6' % (len(queries), len(answers)))
    for i in range(6):
        q, a = queries[i], answers[i]
        check(q['qname'] == names[i] + '.' and q['id'] == 0x4000 + i, 'query %r' % q)
        check(q['proto'] == 'tcp' and q['dport'] == PORT and q['dst'] == '127.0.0.1',
              'query addresses %r' % q)
        check(a['proto'] == 'tcp' and a['sport'] == PORT and a['dport'] == q['sport'],
              'answer addresses %r for query %r' % (a, q))
        check(a['id'] == q['id'] and 'rtt_ns' in a, 'answer not matched: %r' % a)
    # The three queries of the first write came over one connection.
    check(len({q['sport'] for q in queries[:3]}) == 1, 'first three on one connection')
    check(len({q['sport'] for q in queries[3:]}) == 2 and queries[3]['sport'] != queries[0]['sport'],
          'one connection for the split query and one for the last two')


LINE = ('22-Nov-2026 21:%02d:%02d.%03d queries: info: client @0x7fa5d4743098 '
        '192.0.2.%d#%d (n%d.follow.test): query: n%d.follow.test IN A +E(0)K (127.0.0.10)\n')


# A refused query gives two events from one line (the query and the
# REFUSED response): a checkpoint between them must not lose the second.
DENIED = ('22-Nov-2026 21:%02d:%02d.%03d security: info: client @0x7fa5d4743098 '
          '192.0.2.%d#%d (n%d.follow.test): query (cache) \'n%d.follow.test/A/IN\' denied\n')


def line(i):
    fmt = DENIED if i % 4 == 3 else LINE
    return fmt % (i // 60 % 60, i % 60, i % 1000, 1 + i % 200, 1024 + i, i, i)


def events_of(i):
    return 2 if i % 4 == 3 else 1


def stored_names(store):
    p = subprocess.run([DH, 'events', '--store', store, '--json'], capture_output=True,
                       text=True, timeout=30)
    check(p.returncode == 0, 'events: ' + p.stderr)
    return [json.loads(l)['qname'] for l in p.stdout.splitlines()]


def case_follow():
    log = os.path.join(WORK, 'query.log')
    store = os.path.join(WORK, 'store')
    state = {'next': 0}

    def append(n, path=log):
        with open(path, 'a') as f:
            for _ in range(n):
                f.write(line(state['next']))
                state['next'] += 1

    def start(checkpoint=7):
        err = open(os.path.join(WORK, 'follow.err'), 'a')
        p = subprocess.Popen([DH, 'ingest', '--follow', '--format', 'bind', '--store', store,
                              '--checkpoint', str(checkpoint), log], stderr=err)
        RUNNING.append(p)
        return p, err

    def stop(p, err):
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            fail('ingest --follow did not stop within 5 s of SIGTERM')
        err.close()
        check(rc == 0, 'ingest --follow exit %d: %s' % (rc, read('follow.err')))

    def settle():
        # Gives the follower time to read what was written (it polls
        # every 0.2 s).
        time.sleep(0.8)

    append(10)
    p, err = start()
    settle()
    append(15)
    # A line written in two parts: the follower must wait for its end.
    with open(log, 'a') as f:
        text = line(state['next'])
        state['next'] += 1
        f.write(text[:40])
        f.flush()
        time.sleep(0.5)
        f.write(text[40:])
    settle()
    # Rotation: the old file gets a last line after the rename.
    os.rename(log, log + '.1')
    append(3, log + '.1')
    append(5)
    settle()
    append(4)
    settle()
    stop(p, err)
    # Lines written while no ingest runs, then a restart.
    append(6)
    p, err = start()
    settle()
    append(4)
    settle()
    # Truncation: the file is emptied in place, then written again.
    with open(log, 'w'):
        pass
    settle()
    append(8)
    settle()
    stop(p, err)
    check('1 truncations' in read('follow.err'), 'summary: ' + read('follow.err'))
    # A kill without warning: the restart must redo what was not
    # checkpointed and nothing that was.
    p, err = start()
    append(3)
    settle()
    append(9)
    time.sleep(0.1)
    p.kill()
    p.wait()
    err.close()
    append(2)
    p, err = start()
    settle()
    # A stop while the follower is busy with a batch (a checkpoint every
    # 7 events makes it slow: a few hundred lines a second here), then a
    # restart that reads the rest quickly.
    append(1000)
    time.sleep(0.3)
    stop(p, err)
    p, err = start(100000)
    settle()
    stop(p, err)
    names = stored_names(store)
    count = {}
    for n in names:
        count[n] = count.get(n, 0) + 1
    bad = ['%s: %d of %d' % ('n%d' % i, count.get('n%d.follow.test.' % i, 0), events_of(i))
           for i in range(state['next'])
           if count.get('n%d.follow.test.' % i, 0) != events_of(i)]
    check(not bad, 'lines not stored exactly once: %s\n%s' % (bad[:10], read('follow.err')))
    want = sum(events_of(i) for i in range(state['next']))
    check(len(names) == want, '%d stored, %d written' % (len(names), want))
    e = read('follow.err')
    check('1 rotations' in e, 'summary lines: ' + e)
    pos = [f for f in os.listdir(store) if f.startswith('follow-') and f.endswith('.pos')]
    check(len(pos) == 1, 'position files: %r' % pos)
    if os.environ.get('DH_VERBOSE'):
        print(read('follow.err'))


def case_follow_dnstap():
    """A dnstap file written in pieces that cut frames, then rotated:
    every frame once, and no newline added between the files."""
    peers = os.environ.get('DH_PEERS_DIR', '')
    src = os.path.join(peers, 'DNS-OARC_dsc', 'src', 'test', 'dotdoh.dnstap')
    if not os.path.exists(src):
        skip('peers data not found (DH_PEERS_DIR=%r)' % peers)
    with open(src, 'rb') as f:
        data = f.read()
    p = subprocess.run([DH, 'decode', '--json', src], capture_output=True, text=True,
                       timeout=30)
    whole = p.stdout.splitlines()
    check(p.returncode == 0 and whole, 'decode of the dnstap file: ' + p.stderr)
    path = os.path.join(WORK, 'dnstap.fstrm')
    with open(path, 'wb') as f:
        f.write(data[:100])
    out = open(os.path.join(WORK, 'out.jsonl'), 'w')
    err = open(os.path.join(WORK, 'err.txt'), 'w')
    p = subprocess.Popen([DH, 'decode', '--follow', '--json', '--format', 'dnstap', path],
                         stdout=out, stderr=err)
    RUNNING.append(p)
    for off in range(100, len(data), 333):
        with open(path, 'ab') as f:
            f.write(data[off:off + 333])
        time.sleep(0.05)
    time.sleep(0.5)
    os.rename(path, path + '.1')
    with open(path, 'wb') as f:
        f.write(data)
    time.sleep(0.8)
    p.send_signal(signal.SIGINT)
    rc = p.wait(timeout=5)
    out.close()
    err.close()
    check(rc == 0, 'decode --follow exit %d: %s' % (rc, read('err.txt')))
    got = read('out.jsonl').splitlines()
    check(got == whole + whole, '%d events, want %d twice\n%s' % (len(got), len(whole),
                                                                read('err.txt')))
    check('1 rotations' in read('err.txt'), 'summary: ' + read('err.txt'))


{'capture': case_capture, 'capture-tcp': case_capture_tcp, 'follow': case_follow, 'follow-dnstap': case_follow_dnstap}[CASE]()
shutil.rmtree(WORK, ignore_errors=True)
print('ok')
