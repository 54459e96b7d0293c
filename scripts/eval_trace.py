#!/usr/bin/env python3
"""Seed 000 section 6.4 measured: the traceback on generated scenarios
(dnshound sim trace) beside the Monte-Carlo model (dnshound sim mc) with
the same parameters.

usage: scripts/eval_trace.py DNSHOUND WORKDIR [SEEDS [CLIENTS [HOURS]]]
  SEEDS    comma-separated (default 1,2,3,4)
  CLIENTS  comma-separated (default 1000,5000)
  HOURS    scenario length (default 3)

For each attack: the victim name's client queries at the resolver over
the traceback's lookback, the upstream ones (cache misses: what the
destination server logs), their ratio, and whether the resolving bots
were traced, how many candidates, and whether every found bot ranked above
every benign host. The model is run with p = 1 (every log kept, as in the
scenario), q = 1 (it counts the bots that resolve), the scenario's TTL of
300 s, its lead of up to 20 s, the same window, and the benign queries
for the victim's name a day that the scenario's resolver saw.
"""
import json
import os
import statistics
import subprocess
import sys

DH, WORK = sys.argv[1], sys.argv[2]
SEEDS = [int(x) for x in (sys.argv[3] if len(sys.argv) > 3 else '1,2,3,4').split(',')]
CLIENTS = [int(x) for x in (sys.argv[4] if len(sys.argv) > 4 else '1000,5000').split(',')]
HOURS = int(sys.argv[5]) if len(sys.argv) > 5 else 3
WINDOW = 10

rows = []
for n in CLIENTS:
    for seed in SEEDS:
        d = os.path.join(WORK, 'c%d-s%d' % (n, seed))
        if os.path.exists(d):
            subprocess.run(['rm', '-rf', d], check=True)
        out = subprocess.run([DH, 'sim', 'trace', '--out', d, '--seed', str(seed), '--clients',
                              str(n), '--hours', str(HOURS), '--window', str(WINDOW), '--json'],
                             capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            rows.append(json.loads(line))
        subprocess.run(['rm', '-rf', d], check=True)

print('| clients | attacks | client queries for the victim (median) | upstream (median) '
      '| cache-miss ratio (median) | resolving bots traced | bots above every benign host '
      '| candidates (median) | model: success | model: candidates |')
print('|---|---|---|---|---|---|---|---|---|---|')
for n in CLIENTS:
    rs = [r for r in rows if r['clients'] == n]
    if not rs:
        continue
    found = sum(r['bots_found'] for r in rs)
    bots = sum(r['bots'] for r in rs)
    above = sum(1 for r in rs if r['bots_above_benign'])
    cq = statistics.median(r['client_queries'] for r in rs)
    uq = statistics.median(r['upstream_queries'] for r in rs)
    miss = statistics.median(r['miss_ratio'] for r in rs)
    cand = statistics.median(r['candidates'] for r in rs)
    # Benign queries for the name a day at the resolver, from the lookback.
    qpd = statistics.median(r['client_queries'] * 86400.0 / max(r['lookback_s'], 1) for r in rs)
    mc = json.loads(subprocess.run(
        [DH, 'sim', 'mc', '--p', '1', '--q', '1', '--ttl', '300', '--window', str(WINDOW),
         '--lead', '20', '--clients', str(n), '--src-qpd', '%d' % qpd, '--trials', '4000',
         '--json'], capture_output=True, text=True, check=True).stdout)['rows'][0]
    print('| %d | %d | %g | %g | %.3f | %d / %d (%.2f) | %d / %d | %g | %.3f | %.1f |' % (
        n, len(rs), cq, uq, miss, found, bots, found / max(bots, 1), above, len(rs), cand,
        mc['success'], mc['candidates']))
