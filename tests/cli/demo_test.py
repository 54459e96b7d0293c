#!/usr/bin/env python3
"""dnshound demo end to end: its summary names every infected host of the
generated world and no benign one, the traceback's candidates are bots,
the attack's sources are spoofed and a bot's own address is not, and the
report is a complete HTML file with its charts.

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
stages = re.findall(r'^\[(\d)/8', p.stderr, re.M)
if stages[:8] != [str(i) for i in range(1, 9)]:
    fail('progress lines: %s' % stages)
html = open(report).read()
if not html.rstrip().endswith('</html>') or html.count('<svg') < 3:
    fail('report incomplete: %d bytes, %d charts' % (len(html), html.count('<svg')))
left = [n for n in os.listdir(WORK) if n.startswith('dnshound-demo-')]
if left:
    fail('the demo left %s behind' % left)
print('demo: %d of %d infected hosts, no benign one; %d candidates, first %s (%s); report %d '
      'bytes' % (found, total, len(cands), cands[0][0], cands[0][1], len(html)))
shutil.rmtree(WORK, ignore_errors=True)
