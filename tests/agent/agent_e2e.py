#!/usr/bin/env python3
"""End to end: two traceback agents as real processes on loopback, with
certificates made at test time, over stores ingested from a labelled
scenario; the victim's side traces the scenario's attack through them.

usage: agent_e2e.py DNSHOUND SOURCE_ROOT

The scenario's capture is taken at the resolver and shows both its client
side and its upstream side, so the same capture gives the resolver's
agent its clients' queries and the destination agent (the attacked
name's authoritative server) the resolver's queries to it.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

DH, ROOT = sys.argv[1], sys.argv[2]
WORK = tempfile.mkdtemp(prefix='dh-agent-')
PROCS = []


def fail(msg):
    print('FAIL: ' + msg)
    for p in PROCS:
        if p.poll() is None:
            p.kill()
    if not os.environ.get('DH_KEEP'):
        shutil.rmtree(WORK, ignore_errors=True)
    else:
        print('kept ' + WORK)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def run(*args, ok=(0,), timeout=120):
    p = subprocess.run([DH] + list(args), capture_output=True, text=True, timeout=timeout)
    if p.returncode not in ok:
        fail('dnshound %s: exit %d\nstdout: %s\nstderr: %s' % (
            ' '.join(args), p.returncode, p.stdout[-3000:], p.stderr[-3000:]))
    return p


def w(path, text):
    with open(path, 'w') as f:
        f.write(text)


def fingerprint(pem):
    out = subprocess.run(['certtool', '--fingerprint', '--hash', 'sha256', '--infile', pem],
                         capture_output=True, text=True, check=True).stdout
    return out.strip().replace(':', '').lower()


def start_agent(name, conf):
    err = open(os.path.join(WORK, name + '.stderr'), 'w+')
    p = subprocess.Popen([DH, 'agent', '--config', conf], stdout=subprocess.DEVNULL, stderr=err)
    PROCS.append(p)
    deadline = time.time() + 20
    while time.time() < deadline:
        err.flush()
        err.seek(0)
        m = re.search(r'serving \[[^\]]*\]:(\d+)', err.read())
        if m:
            return p, int(m.group(1)), err
        if p.poll() is not None:
            err.seek(0)
            fail('agent %s exited %d: %s' % (name, p.returncode, err.read()))
        time.sleep(0.05)
    fail('agent %s did not start' % name)


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        fail('agent did not stop on SIGTERM')
    check(p.returncode == 0, 'agent exit code %d after SIGTERM' % p.returncode)


certs = os.path.join(WORK, 'certs')
subprocess.run(['bash', os.path.join(ROOT, 'tests/agent/mkcerts.sh'), certs], check=True)
C = lambda n: os.path.join(certs, n)

# The scenario: 300 clients, three bots that resolve the victim's name
# before they attack it, two that attack without resolving.
scen = os.path.join(WORK, 'scen')
run('scenario', '--out', scen, '--clients', '300', '--bots', 'ddos-resolve=3,ddos-noresolve=2',
    '--quiet')
truth = json.load(open(os.path.join(scen, 'truth.json')))
attack = truth['attacks'][0]
victim, fqdn = attack['addr'], attack['victim']
bots = [b['addr'] for b in truth['infected'] if b['behaviour'] == 'ddos-resolve']
resolver = truth['resolver']['ipv4']

# Which server is authoritative for the victim's name: the one that
# answered the resolver with aa for it.
dec = run('decode', '--json', os.path.join(scen, 'traffic.pcap')).stdout
auth = None
for line in dec.splitlines():
    e = json.loads(line)
    if e.get('qname') == fqdn + '.' and 'aa' in e.get('flags', []) and e['dst'] == resolver:
        auth = e['src']
        break
check(auth is not None, 'no authoritative server for %s in the capture' % fqdn)

dstore, rstore = os.path.join(WORK, 'dest.store'), os.path.join(WORK, 'res.store')
pcap = os.path.join(scen, 'traffic.pcap')
run('ingest', '--store', dstore, '--auth', auth, pcap)
run('ingest', '--store', rstore, '--resolver', resolver, '--auth', auth, pcap)

fp = {n: fingerprint(C(n + '.pem')) for n in ('dest', 'res', 'victim', 'intruder')}


def conf(name, store, server, peers, port=0):
    text = '[agent]\nname = %s.example\nlisten = 127.0.0.1\nport = %d\n' % (name, port)
    text += 'cert = %s\nkey = %s\nca = %s\n' % (C(name + '.pem'), C(name + '.key'), C('ca.pem'))
    text += 'store = %s\naudit = %s\nserver = %s\naudit-sync = no\n' % (
        store, os.path.join(WORK, name + '.audit'), server)
    text += 'lookback-default = 1h\n'
    for p in peers:
        text += '\n[peer %s]\n' % p['name']
        for k, v in p.items():
            if k != 'name':
                text += '%s = %s\n' % (k, v)
    path = os.path.join(WORK, name + '.conf')
    w(path, text)
    return path


# A configuration with a mistake names its line and starts nothing.
bad = os.path.join(WORK, 'bad.conf')
w(bad, '[agent]\nname = x\n\n[peer a]\nrights = ask,fly\n')
p = run('agent', '--config', bad, ok=(2,))
check('bad.conf:5:' in p.stderr and 'rights' in p.stderr, 'bad config: ' + p.stderr)
w(bad, '[agent]\nname = x\nlisten = 127.0.0.1\nportt = 3\n')
p = run('agent', '--config', bad, ok=(2,))
check('bad.conf:4: unknown key' in p.stderr, 'unknown key: ' + p.stderr)

rconf = conf('res', rstore, resolver, [
    {'name': 'dest.example', 'fingerprint': fp['dest'], 'rights': 'relay,clients,confirm'}])
run('agent', '--config', rconf, '--check')
rproc, rport, rerr = start_agent('res', rconf)
dconf = conf('dest', dstore, auth, [
    {'name': 'victim.example', 'fingerprint': fp['victim'], 'rights': 'ask,clients,confirm',
     'rate': '20', 'burst': '40'},
    {'name': 'res.example', 'fingerprint': fp['res'], 'url': 'https://localhost:%d' % rport,
     'server': resolver, 'rights': 'relay'}])
dproc, dport, derr = start_agent('dest', dconf)
url = 'https://localhost:%d' % dport
tls = ['--cert', C('victim.pem'), '--key', C('victim.key'), '--ca', C('ca.pem')]
spoof = '192.0.2.77'

t0 = time.time()
p = run('trace', '--agent', url, '--fqdn', fqdn, '--time', attack['start'], '--end', attack['end'],
        '--window', '30', '--source', bots[0], '--source', spoof, '--json', *tls)
elapsed = time.time() - t0
ans = json.loads(p.stdout)
for k in ('request_id', 'fqdn', 'candidates', 'spoofed', 'cc_candidates', 'hops', 'lookback_s',
          'unreached', 'warnings'):
    check(k in ans, 'answer lacks %s: %s' % (k, p.stdout[:500]))
hosts = [c['host'] for c in ans['candidates']]
check(set(bots) <= set(hosts), 'bots %s not all among candidates %s' % (bots, hosts))
for c in ans['candidates']:
    if c['host'] in bots:
        check('dest.example' in c['path'] and 'res.example' in c['path'],
              'path of %s: %s' % (c['host'], c['path']))
check(ans['unreached'] == [], 'unreached: %s' % ans['unreached'])
verdict = {s['address']: s['spoofed'] for s in ans['sources']}
check(verdict == {bots[0]: False, spoof: True},
      'spoofed verdicts: %s (stderr: %s)' % (ans['sources'], p.stderr[-1500:]))
check(ans['spoofed'] is False, 'answer spoofed for a real bot: %s' % ans['spoofed'])
check(ans['lookback_s'] > 0, 'lookback_s %s' % ans['lookback_s'])
print('trace: %d candidates, bots %s found through dest and res in %.2f s' % (
    len(hosts), bots, elapsed))

# The source address never travels in clear: not in the audit logs of
# either agent, which record every request.
for n in ('dest', 'res'):
    text = open(os.path.join(WORK, n + '.audit')).read()
    check(spoof not in text and '"type":"request"' in text,
          '%s audit log: source in clear or no request' % n)

# Text output, and the victim-IP mode.
p = run('trace', '--agent', url, '--victim-ip', victim, '--time', attack['start'], '--window',
        '30', *tls)
check('name of the victim\'s address: ' + fqdn in p.stdout, 'victim-ip mode: ' + p.stdout)
check(all(b in p.stdout for b in bots), 'victim-ip candidates: ' + p.stdout)

# From a capture of the attack: its span, victim and sources.
p = run('trace', '--agent', url, '--fqdn', fqdn, '--from-capture', pcap, '--window', '30',
        '--json', *tls)
ans2 = json.loads(p.stdout)
check(len(ans2['sources']) >= 1 and all(s['spoofed'] is True for s in ans2['sources']),
      'from-capture: the flood\'s random sources are spoofed: %s' % ans2['sources'])

# Refusals: a certificate of another CA, a peer without the right, both
# logged; the audit chains verify.
itls = ['--cert', C('intruder.pem'), '--key', C('intruder.key'), '--ca', C('ca.pem')]
p = run('trace', '--agent', url, '--fqdn', fqdn, '--time', attack['start'], *itls, ok=(1,))
check('certificate' in p.stderr, 'intruder: ' + p.stderr)
rtls = ['--cert', C('res.pem'), '--key', C('res.key'), '--ca', C('ca.pem')]
p = run('trace', '--agent', url, '--fqdn', fqdn, '--time', attack['start'], *rtls, ok=(1,))
check('forbidden' in p.stderr, 'peer beyond its rights: ' + p.stderr)
text = open(os.path.join(WORK, 'dest.audit')).read()
check('"type":"refused"' in text and 'not issued by a trusted CA' in text,
      'intruder not in the audit log')
check('"error":"forbidden"' in text, 'forbidden answer not in the audit log')

# Status and metrics, for the agent's own certificate only.
dtls = ['--cert', C('dest.pem'), '--key', C('dest.key'), '--ca', C('ca.pem')]
p = run('agent', 'status', '--url', url, *dtls)
st = json.loads(p.stdout)
check(st['agent'] == 'dest.example' and st['requests']['received'] >= 3, 'status: ' + p.stdout)
check(any(x['name'] == 'res.example' and x['reachable'] is True for x in st['peers']),
      'status peers: %s' % st['peers'])
p = run('agent', 'status', '--url', url, '--metrics', *dtls)
check('dnshound_agent_requests_total' in p.stdout and
      'dnshound_agent_peer_up{peer="res.example"} 1' in p.stdout, 'metrics: ' + p.stdout)
p = run('agent', 'status', '--url', url, *tls, ok=(1,))

# SIGHUP: a reload with a new rate keeps serving.
text = open(dconf).read().replace('rate = 20', 'rate = 50')
w(dconf, text)
dproc.send_signal(signal.SIGHUP)
time.sleep(0.5)
p = run('trace', '--agent', url, '--fqdn', fqdn, '--time', attack['start'], '--window', '30',
        '--json', *tls)
check(json.loads(p.stdout)['candidates'], 'after reload: no candidates')
derr.seek(0)
check('reloaded' in derr.read(), 'no reload line')

# A peer that is down: the trace still answers and names it.
stop(rproc)
p = run('trace', '--agent', url, '--fqdn', fqdn, '--time', attack['start'], '--window', '30',
        '--json', *tls)
ans3 = json.loads(p.stdout)
check([u['agent'] for u in ans3['unreached']] == ['res.example'],
      'unreached: %s' % ans3['unreached'])
stop(dproc)
for n in ('dest', 'res'):
    p = run('agent', 'audit-verify', os.path.join(WORK, n + '.audit'))
    check('chain intact' in p.stdout, p.stdout)
# One changed byte breaks the chain.
a = os.path.join(WORK, 'dest.audit')
text = open(a).read()
w(a, text.replace('victim.example', 'victim.exampla', 1))
p = run('agent', 'audit-verify', a, ok=(1,))
check('changed' in p.stdout or 'prev' in p.stdout, p.stdout)
print('agents: refusals audited, status, reload, a peer down, audit chain checked')

# Live ingest: an agent that follows its server's query logs (two at
# once, into one store) sees a query within seconds; a restart goes on
# where it stopped in each, adding nothing twice.
import http.client
import ssl
lstore = os.path.join(WORK, 'live.store')
llog = os.path.join(WORK, 'live-query.log')
llog2 = os.path.join(WORK, 'live-query2.log')
w(llog, '')
w(llog2, '')
text = open(conf('fwd', lstore, '10.99.0.53', [
    {'name': 'victim.example', 'fingerprint': fp['victim'], 'rights': 'ask,clients,confirm',
     'rate': '1', 'burst': '3'}])).read()
text = text.replace('[agent]\n', '[agent]\nretention = 30d\n')
text += '\n[source log]\ntype = follow\npath = %s\nformat = bind\n' % llog
text += '\n[source log2]\ntype = follow\npath = %s\nformat = bind\n' % llog2
lconf = os.path.join(WORK, 'fwd.conf')
w(lconf, text)


def logline(t, client, name):
    ms = int((t - int(t)) * 1000)
    stamp = time.strftime('%d-%b-%Y %H:%M:%S', time.gmtime(t)) + '.%03d' % ms
    return ('%s queries: info: client @0x7f5a1c0a4e98 %s#4242 (%s): query: %s IN A +E(0)K '
            '(10.99.0.53)\n' % (stamp, client, name, name))


lproc, lport, lerr = start_agent('fwd', lconf)
now = time.time()
with open(llog, 'a') as f:
    for i in range(5):
        f.write(logline(now - 3 + i * 0.5, '10.99.1.%d' % (i + 1), 'live.example.net'))
with open(llog2, 'a') as f:
    for i in range(5, 7):
        f.write(logline(now - 3 + i * 0.25, '10.99.1.%d' % (i + 1), 'live.example.net'))
time.sleep(2.5)
lurl = 'https://localhost:%d' % lport
p = run('trace', '--agent', lurl, '--fqdn', 'live.example.net', '--time',
        '%.3f' % (now + 0.5), '--json', *tls)
live = sorted(c['host'] for c in json.loads(p.stdout)['candidates'])
check(live == ['10.99.1.%d' % i for i in range(1, 8)],
      'live ingest from two logs: candidates %s 2.5 s after the lines were written' % live)

# Over its rate (1/s, burst 3) the peer is refused, and malformed or
# unknown-version requests are refused with their code; the agent goes on.
codes = []
for i in range(4):
    p = run('trace', '--agent', lurl, '--fqdn', 'live.example.net', '--time', '%.3f' % now,
            '--json', *tls, ok=(0, 1))
    codes.append('rate_limited' in p.stderr)
check(codes[-1], 'no rate limit after a burst of 4: %s' % codes)
ctx = ssl.create_default_context(cafile=C('ca.pem'))
ctx.load_cert_chain(C('victim.pem'), C('victim.key'))
for body, want in ((b'{"v":1,', 'bad_request'), (b'{"v":99,"type":"trace"}', 'unsupported_version'),
                   (b'\xff\xfe\x00', 'bad_request')):
    time.sleep(1.1)  # one token back
    hc = http.client.HTTPSConnection('localhost', lport, context=ctx, timeout=10)
    hc.request('POST', '/v1/trace', body, {'Content-Type': 'application/json'})
    r = hc.getresponse()
    ans = json.loads(r.read())
    check(r.status == 400 and ans.get('error', {}).get('code') == want,
          'malformed request %r: %d %s' % (body, r.status, ans))
    hc.close()
# An oversized request, a client without a certificate and one with an
# expired certificate: refused, logged, and nothing else changes.
def post(body, certs=True, key='victim'):
    cx = ssl.create_default_context(cafile=C('ca.pem'))
    if certs:
        cx.load_cert_chain(C(key + '.pem'), C(key + '.key'))
    hc = http.client.HTTPSConnection('localhost', lport, context=cx, timeout=10)
    hc.request('POST', '/v1/trace', body, {'Content-Type': 'application/json'})
    r = hc.getresponse()
    data = r.read()
    hc.close()
    return r.status, data


time.sleep(1.1)
status, data = post(b'{' + b' ' * 20000 + b'}')
check(status == 413 and b'too_large' in data, 'oversized: %d %r' % (status, data[:200]))
status, data = post(b'{}', certs=False)
check(status == 403 and b'no client certificate' in data, 'no certificate: %d %r' % (status, data))
status, data = post(b'{}', key='expired')
check(status == 403 and b'expired' in data, 'expired: %d %r' % (status, data))
text = open(os.path.join(WORK, 'fwd.audit')).read()
check(text.count('"type":"refused"') >= 3 and 'over max-request' in text and 'no client certificate' in text and
      'certificate expired' in text, 'refusals missing from the audit log')
stop(lproc)
with open(llog, 'a') as f:
    f.write(logline(time.time(), '10.99.1.9', 'after.example.net'))
with open(llog2, 'a') as f:
    f.write(logline(time.time(), '10.99.1.10', 'after.example.net'))
lproc, lport, lerr = start_agent('fwd', lconf)
time.sleep(2.5)
stop(lproc)
p = run('sql', '--store', lstore, 'SELECT count(*) FROM events')
check(p.stdout.split()[-1] == '9', 'events in the live store after a restart: %s' % p.stdout)
print('live: events visible within 2.5 s, rate limit, malformed requests refused, restart '
      'resumed without duplicates')

shutil.rmtree(WORK, ignore_errors=True)
