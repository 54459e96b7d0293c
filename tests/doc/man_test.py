#!/usr/bin/env python3
"""Checks the manual pages against the program.

usage: man_test.py DNSHOUND BUILT_PAGES_DIR SOURCE_DOC_DIR

- every command of `dnshound --help` has its page dnshound-CMD.1;
- each page names every option its command's --help shows, so a page
  made from an older program, or a help layout the generator misreads,
  is caught;
- dnshound(1), every command page and dnshound.conf(5) render with
  `groff -man -ww` (all warnings) without a single warning;
- dnshound.conf(5) describes every section the program reads.
"""
import os
import re
import shutil
import subprocess
import sys

DH, BUILT, SRCDOC = sys.argv[1], sys.argv[2], sys.argv[3]
failures = []


def fail(msg):
    failures.append(msg)
    print('FAIL: ' + msg)


def helptext(args):
    p = subprocess.run([DH] + args + ['--help'], capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        fail('dnshound %s --help exited %d' % (' '.join(args), p.returncode))
    return p.stdout


def render(path):
    """The page as plain text; every groff warning is a failure."""
    env = dict(os.environ, LC_ALL='C.UTF-8', MANWIDTH='80')
    p = subprocess.run(['groff', '-man', '-Tutf8', '-ww', '-rLL=80n', path],
                       capture_output=True, text=True, timeout=30, env=env)
    if p.returncode != 0 or p.stderr.strip():
        fail('%s: groff exit %d: %s' % (path, p.returncode, p.stderr.strip()))
    # Drop overstriking (bold, underline) and turn typographic minus and
    # hyphen back into ASCII for comparison with the help text.
    text = re.sub(r'.\x08', '', p.stdout)
    text = text.replace('\u2212', '-').replace('\u2010', '-')
    # Undo hyphenation at line ends so "--victim-" "ip" reads whole.
    return re.sub(r'-\n\s+', '-', text)


if shutil.which('groff') is None:
    print('SKIP: groff is not installed (Debian package groff-base)')
    sys.exit(77)

top = helptext([])
commands = []
inside = False
for line in top.splitlines():
    if line.strip() == 'commands:':
        inside = True
        continue
    if inside:
        m = re.match(r'^  ([a-z][a-z0-9-]*)\s', line)
        if not m:
            break
        commands.append(m.group(1))
if len(commands) < 5:
    fail('dnshound --help lists only %s' % commands)

for cmd in commands:
    page = os.path.join(BUILT, 'dnshound-%s.1' % cmd)
    if not os.path.isfile(page):
        fail('no page for the command %s (%s)' % (cmd, page))
        continue
    text = render(page)
    for sec in ('NAME', 'SYNOPSIS', 'DESCRIPTION', 'SEE ALSO'):
        if not re.search(r'^%s$' % sec, text, re.M):
            fail('%s: no %s section' % (page, sec))
    flat = ' '.join(text.split())
    if not re.search(r'NAME dnshound-%s - \S' % re.escape(cmd), flat):
        fail('%s: NAME does not read "dnshound-%s - ..."' % (page, cmd))
    for opt in sorted(set(re.findall(r'(?<![\w-])(--[a-z][a-z0-9-]*)', helptext([cmd])))):
        if opt not in flat:
            fail('%s: the option %s of "dnshound %s --help" is missing' % (page, opt, cmd))

render(os.path.join(SRCDOC, 'dnshound.1'))
conf = render(os.path.join(SRCDOC, 'dnshound.conf.5'))
for sec in ('[agent]', '[source NAME]', '[peer NAME]', '[detect]', '[nshist]'):
    if sec not in conf:
        fail('dnshound.conf.5 does not describe %s' % sec)

if failures:
    print('%d failures' % len(failures))
    sys.exit(1)
print('%d command pages, dnshound(1) and dnshound.conf(5): rendered without warnings' % len(commands))
