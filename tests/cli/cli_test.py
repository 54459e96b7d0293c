#!/usr/bin/env python3
"""End-to-end tests of the dnshound command line on the demo capture.

usage: cli_test.py DNSHOUND SOURCE_ROOT CASE
Each CASE is one meson test. A work directory is made per run and removed.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

DH, ROOT, CASE = sys.argv[1], sys.argv[2], sys.argv[3]
WORK = tempfile.mkdtemp(prefix='dh-cli-')
PACKETS = 4000


def run(*args, ok=(0,), stdin=None):
    p = subprocess.run([DH] + list(args), capture_output=True, text=True, timeout=120,
                       stdin=stdin)
    if p.returncode not in ok:
        fail('dnshound %s: exit %d (expected %s)\nstdout: %s\nstderr: %s' % (
            ' '.join(args), p.returncode, ok, p.stdout[-2000:], p.stderr[-2000:]))
    if p.returncode < 0:
        fail('dnshound %s: killed by signal %d' % (' '.join(args), -p.returncode))
    return p


def fail(msg):
    print('FAIL: ' + msg)
    shutil.rmtree(WORK, ignore_errors=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def capture(name='campus.pcap', packets=PACKETS):
    path = os.path.join(WORK, name)
    subprocess.run([sys.executable, os.path.join(ROOT, 'scripts', 'demo_capture.py'), path,
                    '--packets', str(packets)], check=True)
    return path


def case_usage():
    run(ok=(2,))
    p = run('no-such-command', ok=(2,))
    check('unknown command' in p.stderr, 'unknown command not named: ' + p.stderr)
    for cmd in ('decode', 'ingest', 'events', 'sql', 'export'):
        p = run(cmd, '--help')
        check(p.stdout.startswith('usage: dnshound ' + cmd), cmd + ' --help: ' + p.stdout)
        run(cmd, '--no-such-option', ok=(2,))
    run('decode', ok=(2,))
    run('ingest', ok=(2,))
    p = run('events', '--since', 'yesterday-ish', ok=(2,))
    check('--since' in p.stderr, 'bad --since not named: ' + p.stderr)
    p = run('events', '--client', '300.1.1.1', ok=(2,))
    check('--client' in p.stderr, 'bad --client not named: ' + p.stderr)
    run('events', '--limit', '-1', ok=(2,))
    run('decode', '--port', '70000', 'x', ok=(2,))
    p = run('decode', '--tz', '+25:00', 'x', ok=(2,))
    check('--tz' in p.stderr, 'bad --tz not named: ' + p.stderr)
    run('ingest', '--year', '19', 'x', ok=(2,))
    run('decode', '--log-role', 'nonsense', 'x', ok=(2,))
    run('decode', '--format', 'nonsense', 'x', ok=(2,))
    p = run('--version')
    check(p.stdout.startswith('dnshound '), 'version: ' + p.stdout)


def case_bad_files():
    missing = os.path.join(WORK, 'missing.pcap')
    p = run('decode', missing, ok=(1,))
    check(missing in p.stderr, 'missing file not named: ' + p.stderr)
    text = os.path.join(WORK, 'notes.txt')
    with open(text, 'w') as f:
        f.write('this is not a capture\n')
    p = run('decode', text, ok=(1,))
    check(text in p.stderr and 'not a capture' in p.stderr, 'text file: ' + p.stderr)
    # A good file after a bad one is still decoded.
    good = capture()
    p = run('decode', text, good, ok=(1,))
    check(len(p.stdout.splitlines()) == PACKETS, 'good file after bad one not decoded')
    # A capture cut in the middle of a record: everything before the cut
    # comes out, the cut is reported.
    cut = os.path.join(WORK, 'cut.pcap')
    data = open(good, 'rb').read()
    with open(cut, 'wb') as f:
        f.write(data[:len(data) // 2])
    p = run('decode', cut, ok=(0, 1))
    n = len(p.stdout.splitlines())
    check(PACKETS // 3 < n < PACKETS, 'cut capture gave %d lines' % n)


def case_decode_json():
    path = capture()
    p = run('decode', '--json', path)
    lines = p.stdout.splitlines()
    check(len(lines) == PACKETS, 'expected %d lines, got %d' % (PACKETS, len(lines)))
    need = ('ts', 'src', 'sport', 'dst', 'dport', 'proto', 'id', 'qr', 'opcode', 'rcode',
            'flags', 'qname', 'qtype', 'qclass', 'answers')
    matched = 0
    for line in lines:
        ev = json.loads(line)
        for k in need:
            check(k in ev, 'field %s missing in %s' % (k, line))
        check(ev['qname'].endswith('.'), 'qname without trailing dot: ' + line)
        check(ev['proto'] == 'udp', 'proto: ' + line)
        if ev['qr'] == 1:
            check(ev['sport'] == 53, 'response not from port 53: ' + line)
            matched += 'rtt_ns' in ev
            for a in ev['answers']:
                check(set(a) == {'name', 'type', 'ttl', 'data'}, 'answer keys: ' + line)
    # The demo capture answers every query shortly after; all responses
    # whose query is in the file must be matched.
    check(matched > PACKETS // 2 - 50, 'only %d responses matched' % matched)
    mx = [json.loads(x) for x in lines if '"qtype":"MX"' in x and '"qr":1' in x]
    check(mx and mx[0]['answers'][0]['data'].startswith('10 mx.'), 'MX data: %r' % mx[:1])


def case_ingest_events():
    path = capture()
    store = os.path.join(WORK, 'store')
    p = run('ingest', '--store', store, '--observer', 'resolver1', path)
    check('%d events stored' % PACKETS in p.stderr, 'summary: ' + p.stderr)
    p = run('ingest', '--store', store, path)
    check('already in the store' in p.stderr and '0 events stored' in p.stderr,
          're-ingest: ' + p.stderr)
    p = run('events', '--store', store, '--json')
    evs = [json.loads(x) for x in p.stdout.splitlines()]
    check(len(evs) == PACKETS, 'stored %d events, expected %d' % (len(evs), PACKETS))
    check(all(e['observer'] == 'resolver1' for e in evs), 'observer lost')
    ts = [e['ts_ns'] for e in evs]
    check(ts == sorted(ts), 'events not in time order')
    decoded = [json.loads(x) for x in run('decode', '--json', path).stdout.splitlines()]
    key = lambda e: (e['ts_ns'], e['src'], e['sport'], e['id'], e['qr'], e['qname'], e['qtype'],
                     e['rcode'], json.dumps(e['answers'], sort_keys=True))
    check(sorted(map(key, evs)) == sorted(map(key, decoded)), 'store differs from decode')
    # Filters.
    client = '10.1.0.66'
    p = run('events', '--store', store, '--client', client, '--json')
    sel = [json.loads(x) for x in p.stdout.splitlines()]
    p = run('events', '--store', store, '--client', client, '--json', '--brief')
    brief = [json.loads(x) for x in p.stdout.splitlines()]
    short = lambda e: (e['ts_ns'], e['src'], e['dst'], e['qr'], e['qname'], e['qtype'],
                       e['rcode'], e['observer'])
    check(list(map(short, brief)) == list(map(short, sel)), '--brief differs from full')
    want = [e for e in decoded if (e['qr'] == 0 and e['src'] == client) or
            (e['qr'] == 1 and e['dst'] == client)]
    check(len(sel) == len(want) and len(sel) > 0,
          '--client gave %d, expected %d' % (len(sel), len(want)))
    name = sel[0]['qname']
    t0 = sel[0]['ts_ns']
    p = run('events', '--store', store, '--qname', name.upper().rstrip('.'),
            '--since', '@%d.%09d' % (t0 // 10**9, t0 % 10**9), '--until',
            '@%d' % (t0 // 10**9 + 60), '--json')
    sel = [json.loads(x) for x in p.stdout.splitlines()]
    want = [e for e in decoded if e['qname'] == name and t0 <= e['ts_ns'] < t0 + 60 * 10**9 -
            (t0 % 10**9)]
    check(len(sel) == len(want) and sel, '--qname window gave %d, expected %d' % (
        len(sel), len(want)))
    p = run('events', '--store', store, '--limit', '3')
    check(len(p.stdout.splitlines()) == 3, '--limit 3')


def case_sql_export():
    path = capture()
    store = os.path.join(WORK, 'store')
    run('ingest', '--store', store, '-q', path)
    p = run('sql', '--store', store, 'SELECT count(*) AS n FROM events')
    check(p.stdout.split() == ['n', str(PACKETS)], 'sql count: ' + p.stdout)
    p = run('sql', '--store', store, '--json',
            "SELECT qname, count(*) AS n FROM events WHERE qtype = 'MX' GROUP BY 1 "
            "ORDER BY 2 DESC LIMIT 1")
    row = json.loads(p.stdout.splitlines()[0])
    check(row['n'] >= 2, 'sql group: ' + p.stdout)
    p = run('sql', '--store', store, 'SELEKT nonsense', ok=(1,))
    check('sql:' in p.stderr, 'sql error not reported: ' + p.stderr)
    out = os.path.join(WORK, 'out.sqlite')
    run('export', '--store', store, out)
    import sqlite3
    db = sqlite3.connect(out)
    n = db.execute('SELECT count(*) FROM events').fetchone()[0]
    check(n == PACKETS, 'export has %d rows' % n)
    # --qname is taken as events takes it: any case, trailing dot or not.
    name = db.execute("SELECT qname FROM events WHERE qtype = 'MX' LIMIT 1").fetchone()[0]
    want = db.execute('SELECT count(*) FROM events WHERE qname = ?', (name,)).fetchone()[0]
    out2 = os.path.join(WORK, 'one.sqlite')
    run('export', '--store', store, '--qname', name.upper().rstrip('.'), out2)
    got = sqlite3.connect(out2).execute('SELECT count(*) FROM events').fetchone()[0]
    check(got == want and got > 0, 'export --qname: %d rows, expected %d' % (got, want))


def case_logs():
    """A BIND query log without a year or zone in its syslog prefix: the
    options supply them, a broken query line is named and skipped."""
    log = os.path.join(WORK, 'named.log')
    with open(log, 'w') as f:
        f.write('May  1 12:00:00 ns1 named[42]: client @0x7f0 192.0.2.10#40000 '
                '(www.Example.com): query: www.Example.com IN A +E(0) (192.0.2.53)\n')
        f.write('May  1 12:00:01 ns1 named[42]: client @0x7f0 192.0.2.300#1 (x): query: x\n')
        f.write('May  1 12:00:02 ns1 named[42]: client @0x7f0 2001:db8::10#40001 '
                '(example.com): query: example.com IN MX -E(0)D (2001:db8::53)\n')
    p = run('decode', '--json', '--year', '2023', '--tz', '+09:00', log)
    evs = [json.loads(x) for x in p.stdout.splitlines()]
    check(len(evs) == 2, 'expected 2 events, got %d' % len(evs))
    check(evs[0]['qname'] == 'www.example.com.' and evs[0]['qtype'] == 'A' and
          evs[0]['src'] == '192.0.2.10' and evs[0]['sport'] == 40000, 'first: %r' % evs[0])
    check(evs[0]['ts'] == '2023-05-01T03:00:00.000000000Z', 'year/zone: ' + evs[0]['ts'])
    check(evs[1]['qtype'] == 'MX' and evs[1]['src'] == '2001:db8::10', 'second: %r' % evs[1])
    check('line 2' in p.stderr, 'bad line not named: ' + p.stderr)
    store = os.path.join(WORK, 'store')
    run('ingest', '--store', store, '-q', '--year', '2023', log)
    p = run('events', '--store', store, '--client', '2001:db8::10', '--json')
    check(len(p.stdout.splitlines()) == 1, 'stored log event: ' + p.stdout)


def case_roles():
    """--resolver and --auth give captured messages their roles."""
    path = capture()
    roles = {}
    for name, args in (('res', ['--resolver', '10.0.0.53']), ('auth', ['--auth', '10.0.0.53']),
                       ('up', ['--resolver', '10.1.0.66'])):
        store = os.path.join(WORK, name)
        run('ingest', '--store', store, '-q', *args, path)
        p = run('sql', '--store', store, '--csv',
                "SELECT src, dst, qr, role FROM events")
        roles[name] = [line.split(',') for line in p.stdout.splitlines()[1:]]
    for src, dst, qr, role in roles['res']:
        if ':' in src:
            check(role == 'unknown', 'IPv6 resolver not named, yet %s' % role)
        else:
            check(role == ('client_response' if qr == '1' else 'client_query'),
                  'resolver roles: %s %s %s %s' % (src, dst, qr, role))
    for src, dst, qr, role in roles['auth']:
        if ':' not in src:
            check(role == ('auth_response' if qr == '1' else 'auth_query'),
                  'auth roles: %s %s %s %s' % (src, dst, qr, role))
    up = [r for r in roles['up'] if '10.1.0.66' in (r[0], r[1])]
    check(up and all(r[3] == ('resolver_response' if r[2] == '1' else 'resolver_query')
                     for r in up), 'upstream roles: %r' % up[:3])
    check(all(r[3] == 'unknown' for r in roles['up'] if '10.1.0.66' not in (r[0], r[1])),
          'others must stay unknown')
    run('decode', '--resolver', 'not-an-address', path, ok=(2,))


def case_crash_resume():
    """Kills ingest at several points; after resuming, the store holds
    every event exactly once."""
    packets = 60000
    path = capture('big.pcap', packets)
    store = os.path.join(WORK, 'store')
    for delay in (0.05, 0.15, 0.3):
        p = subprocess.Popen([DH, 'ingest', '--store', store, '-q', '--checkpoint', '4000',
                              path],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
    run('ingest', '--store', store, '-q', '--checkpoint', '4000', path)
    p = run('events', '--store', store, '--json')
    evs = [json.loads(x) for x in p.stdout.splitlines()]
    keys = {(e['ts_ns'], e['src'], e['sport'], e['id'], e['qr']) for e in evs}
    check(len(evs) == packets, 'after crashes: %d events, expected %d' % (len(evs), packets))
    check(len(keys) == packets, 'duplicates after resume: %d distinct' % len(keys))


def case_interrupt():
    """SIGINT stops ingest cleanly: what was read is kept and the next run
    completes the file."""
    packets = 60000
    path = capture('big.pcap', packets)
    store = os.path.join(WORK, 'store')
    p = subprocess.Popen([DH, 'ingest', '--store', store, '--checkpoint', '10000', path],
                         stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    check(p.returncode in (0, 1), 'ingest after SIGINT: exit %d' % p.returncode)
    run('ingest', '--store', store, '-q', path)
    n = len(run('events', '--store', store).stdout.splitlines())
    check(n == packets, 'after interrupt and resume: %d events' % n)


try:
    globals()['case_' + CASE]()
except subprocess.TimeoutExpired as e:
    fail('timeout: %s' % e)
shutil.rmtree(WORK, ignore_errors=True)
print('ok')
