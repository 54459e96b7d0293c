#!/usr/bin/env python3
"""Detection quality of `dnshound detect` on labelled scenarios.

For each scenario (generated with `dnshound scenario` when its directory
has no truth.json yet) runs `dnshound detect --json` on one of its inputs
(the capture, the BIND query log or the dnstap) with a configuration the
operator of that network would write (local networks, the resolver, the
mail servers on the allow-list), and compares the findings with
truth.json per host:

- recall per behaviour: infected hosts of that behaviour with a finding
  of a kind that covers it, over all infected hosts of the behaviour;
- precision per kind: flagged hosts that are infected, over flagged hosts
  (flags on infected hosts of another behaviour are counted apart, as
  "other bot": they are right about the host, not about the behaviour);
- false findings per 10,000 benign hosts per day, at any level and at
  warning or above.

Usage: eval_detect.py [--dnshound PATH] [--input pcap|log|dnstap]
                      [--markdown] SPEC...
where SPEC is DIR:SEED:CLIENTS:HOURS[:RATE[:BOTS]].
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

# Which behaviours each kind of finding covers (doc/detect.md, "Kinds").
KIND_COVERS = {
    "spam-mx": {"spam-mx"},
    "mass-mailer": {"mass-mailer"},
    "worm-ip-literal": {"worm-ip-literal"},
    "dga": {"dga"},
    "tunnel": {"tunnel"},
    # Periodic C&C check-ins: the beacon bots and the DDoS bots of seed
    # 000, which contact their C&C at a fixed period.
    "beacon": {"beacon", "ddos-resolve", "ddos-noresolve"},
    "volume": set(),
    "outside-in": set(),
}
# Behaviours dnshound's detect layer is meant to find (feederbot and
# morto are seed 003's, found by the NS-history check instead).
BEHAVIOURS = ["spam-mx", "mass-mailer", "worm-ip-literal", "ddos-resolve",
              "ddos-noresolve", "dga", "tunnel", "beacon"]
INPUTS = {"pcap": "traffic.pcap", "log": "resolver-query.log",
          "dnstap": "resolver.dnstap"}
LEVELS = {"candidate": 1, "warning": 2, "emergency": 3}


def generate(dnshound, d, seed, clients, hours, rate, bots):
    if os.path.exists(os.path.join(d, "truth.json")):
        return 0.0
    os.makedirs(d, exist_ok=True)
    cmd = [dnshound, "scenario", "--out", d, "--seed", str(seed),
           "--clients", str(clients), "--hours", str(hours), "--quiet"]
    if rate:
        cmd += ["--rate", str(rate)]
    if bots:
        cmd += ["--bots", bots]
    t0 = time.time()
    subprocess.run(cmd, check=True)
    return time.time() - t0


def config_for(truth):
    """What the network's operator knows: its networks, its resolver,
    its mail servers."""
    lines = ["[detect]", "local = 10.0.0.0/8", "local = fd00::/8"]
    res = truth["resolver"]
    lines += ["resolver = " + res["ipv4"], "resolver = " + res["ipv6"]]
    for s in truth["benign_servers"]:
        if s["role"] == "mail-server":
            lines.append("allow = " + s["addr"])
    return "\n".join(lines) + "\n"


def evaluate(dnshound, d, inp, extra_conf):
    truth = json.load(open(os.path.join(d, "truth.json")))
    conf = config_for(truth) + (open(extra_conf).read() if extra_conf else "")
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write(conf)
        conf_path = f.name
    t0 = time.time()
    r0 = os.times()
    out = subprocess.run([dnshound, "detect", "--json", "--quiet", "--config",
                          conf_path, os.path.join(d, INPUTS[inp])],
                         check=True, capture_output=True, text=True).stdout
    r1 = os.times()
    wall = time.time() - t0
    cpu = (r1.children_user - r0.children_user) + (r1.children_system - r0.children_system)
    os.unlink(conf_path)
    bots = {b["addr"]: b["behaviour"] for b in truth["infected"]}
    flagged = {}  # kind -> {host: max level}
    for line in out.splitlines():
        f = json.loads(line)
        k = flagged.setdefault(f["kind"], {})
        k[f["host"]] = max(k.get(f["host"], 0), LEVELS[f["level"]])
    days = truth["hours"] / 24.0
    benign = truth["clients"] - len(bots)
    res = {"dir": d, "seed": truth["seed"], "clients": truth["clients"],
           "hours": truth["hours"], "input": inp, "wall_s": wall, "cpu_s": cpu,
           "recall": {}, "precision": {}, "false": {}}
    for b in BEHAVIOURS:
        hosts = [h for h, bb in bots.items() if bb == b]
        if not hosts:
            continue
        found = [h for h in hosts
                 if any(h in flagged.get(k, {}) for k, cov in KIND_COVERS.items() if b in cov)]
        res["recall"][b] = (len(found), len(hosts))
    false_any, false_warn = set(), set()
    for k, hosts in flagged.items():
        tp = sum(1 for h in hosts if bots.get(h) in KIND_COVERS.get(k, set()))
        other = sum(1 for h in hosts if h in bots and bots[h] not in KIND_COVERS.get(k, set()))
        fp = [h for h in hosts if h not in bots]
        res["precision"][k] = (tp, other, len(hosts))
        false_any.update(fp)
        false_warn.update(h for h in fp if hosts[h] >= 2)
    scale = 10000.0 / max(benign, 1) / max(days, 1e-9)
    res["false"] = {"any": len(false_any), "warning": len(false_warn),
                    "any_per_10k_day": len(false_any) * scale,
                    "warning_per_10k_day": len(false_warn) * scale,
                    "benign": benign, "days": days,
                    "hosts": sorted(false_any)[:10]}
    return res


def fmt_ratio(n, m):
    return "%.3f (%d/%d)" % (n / m, n, m) if m else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dnshound", default=os.path.join("build", "src", "cli", "dnshound"))
    ap.add_argument("--input", default="pcap", choices=sorted(INPUTS))
    ap.add_argument("--config", help="extra configuration appended to each run's")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--delete", action="store_true",
                    help="delete each scenario's traffic files after its run")
    ap.add_argument("specs", nargs="+")
    a = ap.parse_args()
    results = []
    for spec in a.specs:
        p = spec.split(":")
        d, seed, clients, hours = p[0], int(p[1]), int(p[2]), float(p[3])
        rate = p[4] if len(p) > 4 and p[4] else None
        bots = p[5] if len(p) > 5 else None
        gen = generate(a.dnshound, d, seed, clients, hours, rate, bots)
        r = evaluate(a.dnshound, d, a.input, a.config)
        r["gen_s"] = gen
        results.append(r)
        if a.delete:
            for f in INPUTS.values():
                if os.path.exists(os.path.join(d, f)):
                    os.unlink(os.path.join(d, f))
        print(json.dumps(r), file=sys.stderr)
    # Totals over all scenarios.
    rec, prec = {}, {}
    fa = fw = 0
    benign_days = 0.0
    for r in results:
        for b, (n, m) in r["recall"].items():
            x = rec.setdefault(b, [0, 0])
            x[0] += n
            x[1] += m
        for k, (tp, other, n) in r["precision"].items():
            x = prec.setdefault(k, [0, 0, 0])
            x[0] += tp
            x[1] += other
            x[2] += n
        fa += r["false"]["any"]
        fw += r["false"]["warning"]
        benign_days += r["false"]["benign"] * r["false"]["days"]
    if a.markdown:
        print("| scenario | seed | clients | hours | input | detect wall / CPU s |")
        print("|---|---|---|---|---|---|")
        for r in results:
            print("| %s | %d | %d | %g | %s | %.1f / %.1f |" % (
                os.path.basename(r["dir"]), r["seed"], r["clients"], r["hours"],
                r["input"], r["wall_s"], r["cpu_s"]))
        print()
        print("| behaviour | recall (found/infected) |")
        print("|---|---|")
        for b in BEHAVIOURS:
            if b in rec:
                print("| %s | %s |" % (b, fmt_ratio(*rec[b])))
        print()
        print("| kind | precision (infected/flagged) | of them another behaviour |")
        print("|---|---|---|")
        for k in sorted(prec):
            tp, other, n = prec[k]
            print("| %s | %s | %d |" % (k, fmt_ratio(tp + other, n), other))
        print()
        print("False findings on benign hosts: %d at any level, %d at warning or above, "
              "over %.0f benign host-days: %.2f and %.2f per 10,000 benign hosts per day."
              % (fa, fw, benign_days, fa * 10000 / max(benign_days, 1e-9),
                 fw * 10000 / max(benign_days, 1e-9)))
    else:
        for b in BEHAVIOURS:
            if b in rec:
                print("recall %-16s %s" % (b, fmt_ratio(*rec[b])))
        for k in sorted(prec):
            tp, other, n = prec[k]
            print("precision %-13s %s (another behaviour: %d)" % (k, fmt_ratio(tp + other, n), other))
        print("false findings per 10,000 benign hosts per day: any %.2f, warning+ %.2f (%d, %d)"
              % (fa * 10000 / max(benign_days, 1e-9), fw * 10000 / max(benign_days, 1e-9), fa, fw))


if __name__ == "__main__":
    main()
