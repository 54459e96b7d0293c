#!/usr/bin/env python3
"""Run one golden case: write its capture, decode it with dnshound, and
compare the JSON lines with the expectations in cases.json.

Standard library only. Exit codes follow meson's test protocol: 0 pass,
1 fail, 77 skip (dnshound not built), 99 error in the test itself.

Usage:
    golden_run.py --list [--cases FILE]
        Prints the case names, one a line (meson.build reads them).
    golden_run.py --exe DNSHOUND --case NAME [--cases FILE] [--workdir DIR]
        Runs one case. The capture is written into DIR/NAME/ (default: a
        folder "golden-work" in the current directory).
    golden_run.py --exe DNSHOUND --all [...]
        Runs every case and prints a summary line.

On a mismatch the expected and the actual messages, reduced to the fields
the table lists, are printed as a unified diff.
"""

import argparse
import difflib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# Importing the generator must not leave __pycache__ in the source tree.
sys.dont_write_bytecode = True

import gen_captures  # noqa: E402

TIMEOUT_S = 10
ANY, SKIP = "<any>", "<skip>"


class TableError(Exception):
    pass


def load_table(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def expand(obj, templates, depth=0):
    """Resolves "$template" references; fields beside one override it."""
    if depth > 16:
        raise TableError("template nesting too deep (a loop?)")
    if isinstance(obj, list):
        return [expand(x, templates, depth + 1) for x in obj]
    if not isinstance(obj, dict):
        return obj
    out = {}
    if "$template" in obj:
        name = obj["$template"]
        if name not in templates:
            raise TableError("unknown template " + name)
        out.update(expand(templates[name], templates, depth + 1))
    for k, v in obj.items():
        if k != "$template":
            out[k] = expand(v, templates, depth + 1)
    return out


def project(expected, actual):
    """Returns (want, got): both reduced to what the expectation lists, in
    a form where equal means the case passes. Fields the expectation does
    not list are dropped from got; "<any>", null, "<skip>" and RFC 3597
    hex are resolved here so that the diff shows only real differences."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return expected, actual
        want, got = {}, {}
        for k, v in expected.items():
            if v == SKIP:
                continue
            present = k in actual
            if v is None:
                want[k] = "<absent>"
                got[k] = "<absent>" if not present else actual[k]
            elif v == ANY:
                want[k] = "<present>"
                got[k] = "<present>" if present else "<absent>"
            elif v == [] and not present:
                want[k], got[k] = [], []
            elif not present:
                want[k], got[k] = v, "<absent>"
            else:
                want[k], got[k] = project(v, actual[k])
        return want, got
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return expected, actual
        pairs = [project(e, a) for e, a in zip(expected, actual)]
        return [p[0] for p in pairs], [p[1] for p in pairs]
    if (isinstance(expected, str) and isinstance(actual, str) and expected.startswith("\\#")
            and expected.lower() == actual.lower()):
        # RFC 3597 does not fix the case of the hex digits.
        return expected, expected
    return expected, actual


def dump(msgs):
    return json.dumps(msgs, indent=1, sort_keys=True, ensure_ascii=False).splitlines()


def run_case(case, templates, exe, workdir):
    """Returns (ok, report lines)."""
    report = []
    capdir = os.path.join(workdir, case["name"])
    os.makedirs(capdir, exist_ok=True)
    path = gen_captures.write_capture(case["capture"], capdir)
    cmd = [exe, "decode", "--json"] + case.get("args", []) + [path]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return False, ["TIMEOUT after %d s: %s" % (TIMEOUT_S, " ".join(cmd))]
    stderr = proc.stderr.decode("utf-8", "replace")
    accepted = case.get("exit", [0])
    if not isinstance(accepted, list):
        accepted = [accepted]
    ok = True
    if proc.returncode not in accepted:
        ok = False
        what = "killed by signal %d" % -proc.returncode if proc.returncode < 0 else \
            "exit code %d" % proc.returncode
        report.append("%s, expected %s: %s" % (what, " or ".join(map(str, accepted)),
                                               " ".join(cmd)))
    if "Sanitizer" in stderr or "runtime error:" in stderr:
        ok = False
        report.append("sanitizer report on stderr")
    actual = []
    for n, line in enumerate(proc.stdout.decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            actual.append(json.loads(line))
        except ValueError as e:
            ok = False
            report.append("stdout line %d is not JSON (%s): %s" % (n, e, line[:200]))
    expected = expand(case["expect"], templates)
    want, got = [], []
    for i in range(max(len(expected), len(actual))):
        if i >= len(expected):
            want.append("<no message expected>")
            got.append(actual[i])
        elif i >= len(actual):
            want.append(expected[i])
            got.append("<missing message>")
        else:
            w, g = project(expected[i], actual[i])
            want.append(w)
            got.append(g)
    if want != got:
        ok = False
        report.append("messages differ (-expected +actual, listed fields only):")
        report.extend(difflib.unified_diff(dump(want), dump(got), "expected", "actual",
                                           lineterm="", n=4))
    if not ok and stderr.strip():
        report.append("stderr:")
        report.extend("  " + x for x in stderr.splitlines()[:20])
    return ok, report


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=os.path.join(HERE, "cases.json"))
    ap.add_argument("--exe")
    ap.add_argument("--case")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--workdir", default="golden-work")
    args = ap.parse_args(argv)

    try:
        table = load_table(args.cases)
    except (OSError, ValueError) as e:
        print("cannot read %s: %s" % (args.cases, e))
        return 99
    cases = {c["name"]: c for c in table["cases"]}
    if args.list:
        for c in table["cases"]:
            print(c["name"])
        return 0
    if not args.exe or not os.access(args.exe, os.X_OK):
        print("SKIP: dnshound executable not found (%s)" % args.exe)
        return 77
    names = [c["name"] for c in table["cases"]] if args.all else [args.case]
    failed = []
    for name in names:
        if name not in cases:
            print("no such case: %s" % name)
            return 99
        try:
            ok, report = run_case(cases[name], table.get("templates", {}), args.exe,
                                  args.workdir)
        except (TableError, KeyError) as e:
            print("%s: error in the table: %s" % (name, e))
            return 99
        print("%s %s" % ("PASS" if ok else "FAIL", name))
        for line in report:
            print(line)
        if not ok:
            failed.append(name)
    if args.all:
        print("%d of %d cases pass%s" % (len(names) - len(failed), len(names),
                                         (": failing " + " ".join(failed)) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
