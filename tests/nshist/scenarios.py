#!/usr/bin/env python3
"""Seed 003's check on the labelled scenarios (doc/evaluation.md, section 3).

For each seed: 'dnshound scenario' writes a network's traffic with its
ground truth; 'dnshound nshist check' reads the capture (learning the
history from the resolver's upstream referrals as it goes), with the
scenario's resolver as the network's own and its public resolvers on the
exception list (doc/evaluation.md 2.2: "seed 003's exception list must
cover these"); the findings table of the store then names the hosts.
Prints one table row per seed and the totals, and exits 1 unless every
Feederbot-like and Morto-like host is found and no benign host is. Then
the first seed's resolver dnstap is replayed into 'nshist check -- listen'
(fstrm_replay), which must give the verdicts of the file's check.

    scenarios.py DNSHOUND [--seeds 1,2,3] [--clients N] [--hours H] [--bots SPEC] [--keep DIR]

The default --bots adds three Feederbot and three Morto hosts to the
scenario's default population (one host of every other behaviour).
"""

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

PUBLIC = ["192.0.2.8", "192.0.2.9", "192.0.2.10"]


def run_seed(dh, seed, clients, hours, bots, base):
    d = os.path.join(base, "seed%d" % seed)
    os.makedirs(d, exist_ok=True)
    subprocess.run([dh, "scenario", "--out", d, "--seed", str(seed), "--clients", str(clients),
                    "--hours", str(hours), "--bots", bots, "--quiet"], check=True, timeout=600)
    truth = json.load(open(os.path.join(d, "truth.json")))
    store = os.path.join(d, "store")
    cmd = [dh, "nshist", "check", "--store", store, "--suspicious", "--json", "-q"]
    for r in ("ipv4", "ipv6"):
        if truth["resolver"].get(r):
            cmd += ["--resolver", truth["resolver"][r]]
    for p in PUBLIC:
        cmd += ["--public-resolver", p]
    cmd.append(os.path.join(d, "traffic.pcap"))
    with open(os.path.join(d, "check.json"), "w") as out:
        subprocess.run(cmd, check=True, stdout=out, timeout=600)
    db = sqlite3.connect(os.path.join(store, "catalog.db"))
    found = {}
    for host, kind, level in db.execute("SELECT host, kind, level FROM findings"):
        found.setdefault(host, []).append((kind, level))
    db.close()
    infected = {b["addr"]: b["behaviour"] for b in truth["infected"]}
    row = {"seed": seed, "hosts": clients, "infected": len(infected)}
    for beh in ("feederbot", "morto"):
        hosts = [a for a, b in infected.items() if b == beh]
        row[beh] = (sum(1 for a in hosts if a in found), len(hosts))
        row[beh + "_levels"] = sorted(
            max(l for _, l in found[a]) for a in hosts if a in found)
    row["benign_flagged"] = sorted(a for a in found if a not in infected)
    row["other_flagged"] = sorted("%s (%s)" % (a, infected[a]) for a in found
                                  if a in infected and infected[a] not in ("feederbot", "morto"))
    return row


def listen_part(dh, base, seed):
    """The live check through listen's loop: the resolver's dnstap of the
    first seed replayed into 'nshist check -- listen' (fstrm_replay) must
    give the same verdicts as the check of the file. Returns None when
    fstrm_replay is missing, else True or False."""
    replay = shutil.which("fstrm_replay")
    if not replay:
        return None
    d = os.path.join(base, "seed%d" % seed)
    truth = json.load(open(os.path.join(d, "truth.json")))
    opts = ["--json", "-q", "--no-save", "--no-findings"]
    for r in ("ipv4", "ipv6"):
        if truth["resolver"].get(r):
            opts += ["--resolver", truth["resolver"][r]]
    dnstap = os.path.join(d, "resolver.dnstap")
    want = subprocess.run([dh, "nshist", "check", "--store", os.path.join(d, "ls1")] + opts +
                          [dnstap], capture_output=True, text=True, check=True,
                          timeout=600).stdout.splitlines()
    sock = os.path.join(d, "nshist.sock")
    out = open(os.path.join(d, "listen.json"), "w")
    p = subprocess.Popen([dh, "nshist", "check", "--store", os.path.join(d, "ls2")] + opts +
                         ["--", "listen", "--socket", sock, "-q"], stdout=out)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        subprocess.run([replay, "-t", "protobuf:dnstap.Dnstap", "-u", sock, "-r", dnstap],
                       check=True, timeout=120)
        time.sleep(1)
        p.send_signal(signal.SIGINT)
        rc = p.wait(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        out.close()
    got = open(os.path.join(d, "listen.json")).read().splitlines()
    ok = rc == 0 and sorted(got) == sorted(want) and len(want) > 0
    print("live through listen: %d verdicts, the file's check %d: %s" % (
        len(got), len(want), "same" if ok else "DIFFERENT"))
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dnshound")
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--clients", type=int, default=2000)
    ap.add_argument("--hours", type=float, default=1.0)
    ap.add_argument("--bots", default="feederbot=3,morto=3")
    ap.add_argument("--keep")
    a = ap.parse_args()
    base = a.keep or tempfile.mkdtemp(prefix="nshist-scen-")
    ok = True
    try:
        rows = [run_seed(a.dnshound, int(s), a.clients, a.hours, a.bots, base) for s in a.seeds.split(",")]
        names = {1: "candidate", 2: "warning", 3: "emergency"}
        print("| seed | clients | infected | Feederbot found | Morto found | levels (F; M) "
              "| benign flagged | other infected flagged |")
        print("|---|---|---|---|---|---|---|---|")
        tot = {"feederbot": [0, 0], "morto": [0, 0], "benign": 0}
        for r in rows:
            lv = "%s; %s" % (", ".join(names[x] for x in r["feederbot_levels"]) or "-",
                             ", ".join(names[x] for x in r["morto_levels"]) or "-")
            print("| %d | %d | %d | %d / %d | %d / %d | %s | %d | %s |" % (
                r["seed"], r["hosts"], r["infected"], r["feederbot"][0], r["feederbot"][1],
                r["morto"][0], r["morto"][1], lv, len(r["benign_flagged"]),
                ", ".join(r["other_flagged"]) or "-"))
            for k in ("feederbot", "morto"):
                tot[k][0] += r[k][0]
                tot[k][1] += r[k][1]
                ok &= r[k][0] == r[k][1]
            tot["benign"] += len(r["benign_flagged"])
            ok &= not r["benign_flagged"]
            if r["benign_flagged"]:
                print("  benign hosts flagged: %s" % ", ".join(r["benign_flagged"]),
                      file=sys.stderr)
        print("| all | | | %d / %d | %d / %d | | %d | |" % (
            tot["feederbot"][0], tot["feederbot"][1], tot["morto"][0], tot["morto"][1],
            tot["benign"]))
        live = listen_part(a.dnshound, base, rows[0]["seed"])
        ok &= live is not False
    finally:
        if not a.keep:
            shutil.rmtree(base, ignore_errors=True)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
