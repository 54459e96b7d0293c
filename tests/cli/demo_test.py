#!/usr/bin/env python3
"""dnshound demo end to end: its summary names every infected host of the
generated world and no benign one, the traceback's candidates are bots,
the attack's sources are spoofed and a bot's own address is not, and the
report is a complete HTML file with its charts. Where the real servers
can run (root, the testbed's packages installed), the attack traced on
them names both bots, the one behind the dnsmasq forwarder through the
forwarder's agent, with the same verdicts.

usage: demo_test.py DNSHOUND
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

DH = sys.argv[1]
WORK = tempfile.mkdtemp(prefix='dh-demo-')
report = os.path.join(WORK, 'demo.html')
env = dict(os.environ, TMPDIR=WORK)
p = subprocess.run([DH, 'demo', '--out', report], capture_output=True, text=True, timeout=600,
                   env=env)


def fail(msg):
    print('FAIL: ' + msg)
    print(p.stdout[-4000:])
    print(p.stderr[-3000:])
    shutil.rmtree(WORK, ignore_errors=True)
    sys.exit(1)


if p.returncode != 0:
    fail('exit %d' % p.returncode)
out = p.stdout
m = re.search(r'(\d+) of (\d+) infected hosts found, (\d+) benign host\(s\) flagged', out)
if not m:
    fail('no detection summary')
found, total, benign = (int(x) for x in m.groups())
if found != total or benign != 0:
    fail('detection: %d of %d found, %d benign flagged' % (found, total, benign))
cands = re.findall(r'^\s+\d+\. (\S+)\s+score [0-9.]+\s+(\S+)$', out, re.M)
if not cands or cands[0][1] != 'ddos-resolve':
    fail('traceback candidates: %s' % cands)
if 'spoofed' not in out or 'not spoofed' not in out:
    fail('spoofed verdicts missing')
if 'first C&C candidate:' not in out:
    fail('no C&C candidate')
stages = re.findall(r'^\[(\d)/9', p.stderr, re.M)
if stages[:9] != [str(i) for i in range(1, 10)]:
    fail('progress lines: %s' % stages)

# The real servers' traceback.
TOOLS = ['nsd', 'named', 'rndc', 'unbound', 'kresd', 'dnsmasq', 'fstrm_capture', 'dig', 'dnsperf',
         'tcpdump', 'ip', 'ss']
path = os.environ.get('PATH', '') + ':/usr/sbin:/sbin'
can_run = os.geteuid() == 0 and all(shutil.which(t, path=path) for t in TOOLS)
real = out[out.find('traceback on real servers'):out.find('report:')]
if not real:
    fail('no real-server section')
if real.startswith('traceback on real servers: FAILED'):
    fail('the real-server traceback failed')
if real.startswith('traceback on real servers: skipped'):
    if can_run:
        fail('real servers skipped where they can run')
    print('# real servers skipped: ' + real.strip())
else:
    rows = re.findall(r'^\s+\d+\. (\S+)\s+score [0-9.]+\s+(bot|benign|unknown)[^;]*; path (.*)$',
                      real, re.M)
    bots = [r for r in rows if r[1] == 'bot']
    if len(bots) != 2 or rows[0][1] != 'bot' or rows[1][1] != 'bot':
        fail('real servers: the two bots are not the first candidates: %s' % rows)
    if not any('dnsmasq.example' in r[2] and 'bind.example' in r[2] for r in bots):
        fail('real servers: no bot traced through the forwarder: %s' % rows)
    if not re.search(r'attack source \S+\s+spoofed', real) or \
            not re.search(r"a bot's own address \S+\s+not spoofed", real):
        fail('real servers: spoofed verdicts missing')
    if 'first C&C candidate: update.c2.example.' not in real:
        fail('real servers: the C&C name is not the first candidate')
    if 'named unreached' not in real:
        fail('real servers: the stopped agent is not named unreached')

html = open(report).read()
if not html.rstrip().endswith('</html>') or html.count('<svg') < 3:
    fail('report incomplete: %d bytes, %d charts' % (len(html), html.count('<svg')))
left = [n for n in os.listdir(WORK) if n.startswith('dnshound-demo-')]
if left:
    fail('the demo left %s behind' % left)
print('demo: %d of %d infected hosts, no benign one; %d candidates, first %s (%s); report %d '
      'bytes' % (found, total, len(cands), cands[0][0], cands[0][1], len(html)))
shutil.rmtree(WORK, ignore_errors=True)
