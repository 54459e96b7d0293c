#!/usr/bin/env python3
"""Writes one manual page per dnshound command from its --help text.

usage: mkman.py --exe DNSHOUND --version V --outdir DIR COMMAND...

The commands change more often than anyone edits a manual page, so the
pages are made at build time from the program itself: `dnshound --help`
lists the commands, `dnshound COMMAND --help` gives each page's synopsis,
description and options, and a help text that points at a mode's own help
(`'dnshound sim fig13 --help'`, `'decode --follow --help'`) brings that
text in as a section of the same page. COMMAND... is the list the build
expects (read from the command table of src/cli/main.c); a command the
program lists that the build does not expect, or the reverse, is an error,
so no page can go missing silently.

The help layout this reads (every dnshound command follows it):
  usage: dnshound CMD ...          synopsis, continued by indented lines
  <blank>
  paragraphs of description
  <blank>
    -x, --option ARG   text        options: two spaces, a dash, the
                       more text   description in a column
"""
import os
import re
import subprocess
import sys
import time


def run_help(exe, args):
    # --help exits 0 on every command; a nonzero exit means the program
    # could not describe itself, which must stop the build.
    p = subprocess.run([exe] + args + ['--help'], capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise SystemExit('mkman: %s %s --help exited %d: %s' %
                         (exe, ' '.join(args), p.returncode, p.stderr.strip()))
    return p.stdout


def listed_commands(top_help):
    """(name, summary) pairs of the 'commands:' block of dnshound --help."""
    out = []
    inside = False
    for line in top_help.splitlines():
        if line.strip() == 'commands:':
            inside = True
            continue
        if inside:
            m = re.match(r'^  ([a-z][a-z0-9-]*)\s+(.*)$', line)
            if not m:
                break
            out.append((m.group(1), m.group(2).strip()))
    return out


def esc(text):
    """Escapes text for roff: backslashes, and minus signs so that options
    are typed as ASCII hyphen-minus when copied from the page."""
    text = text.replace('\\', '\\e').replace('-', '\\-')
    return text


def line_safe(text):
    # A line starting with . or ' would be read as a request.
    if text.startswith('.') or text.startswith("'"):
        return '\\&' + text
    return text


def split_blocks(text):
    blocks, cur = [], []
    for line in text.rstrip('\n').split('\n'):
        if line.strip() == '':
            if cur:
                blocks.append(cur)
                cur = []
        else:
            cur.append(line.rstrip())
    if cur:
        blocks.append(cur)
    return blocks


def is_option_block(block):
    return block[0].startswith('  -')


def option_entries(block):
    """[(tag, description)] of an option block. The description column is
    the one most option lines use; a line whose tag runs into it is split
    at its first run of two spaces instead."""
    cols = {}
    for line in block:
        if line.startswith('  -'):
            m = re.search(r'\S(\s{2,})(\S)', line[2:])
            if m:
                c = m.start(2) + 2
                cols[c] = cols.get(c, 0) + 1
    col = max(cols, key=cols.get) if cols else None
    entries = []
    for line in block:
        if line.startswith('  -'):
            if col and len(line) > col and line[col - 1] == ' ' and line[col] != ' ':
                tag, desc = line[:col].strip(), line[col:].strip()
            else:
                parts = re.split(r'\s{2,}', line.strip(), maxsplit=1)
                tag = parts[0]
                desc = parts[1] if len(parts) > 1 else ''
            entries.append([tag, desc])
        elif entries:
            entries[-1][1] = (entries[-1][1] + ' ' + line.strip()).strip()
        else:
            entries.append(['', line.strip()])
    return entries


def synopsis(block):
    """Each usage form on a line of its own, continuation lines kept with
    the form they continue."""
    forms = []
    for i, line in enumerate(block):
        s = line.strip()
        if i == 0:
            s = re.sub(r'^usage:\s*', '', s, flags=re.I)
            forms.append(s)
        elif s.startswith('dnshound '):
            forms.append(s)
        else:
            forms[-1] += ' ' + s
    out = []
    for f in forms:
        words = f.split(' ')
        # The command words are bold, the rest as written.
        n = 1
        while n < len(words) and re.match(r'^[a-z][a-z0-9-]*$', words[n]) and n < 3:
            n += 1
        out.append('.B %s\n%s' % (esc(' '.join(words[:n])), line_safe(esc(' '.join(words[n:])))))
    return '\n.br\n'.join(out)


def render_body(blocks):
    """The blocks after the synopsis: description paragraphs and option
    lists in the order the help gives them."""
    out = []
    for b in blocks:
        if is_option_block(b):
            for tag, desc in option_entries(b):
                if tag:
                    out.append('.TP\n.B %s\n%s' % (esc(tag), line_safe(esc(desc))))
                else:
                    out.append('.IP\n%s' % line_safe(esc(desc)))
        elif any(l.startswith(' ') for l in b[1:]) or b[0].startswith(' '):
            # Laid out by hand (an example, a list of names): kept as is.
            out.append('.PP\n.nf\n%s\n.fi' % '\n'.join(line_safe(esc(l)) for l in b))
        else:
            out.append('.PP\n%s' % '\n'.join(line_safe(esc(l)) for l in b))
    return '\n'.join(out)


def sub_helps(cmd, text):
    """Modes whose help the command's help points at, in order, once each."""
    seen = []
    pat = r"'(?:dnshound )?%s ((?:--)?[a-z][a-z0-9-]*) --help'" % re.escape(cmd)
    for m in re.finditer(pat, text):
        if m.group(1) not in seen:
            seen.append(m.group(1))
    return seen


def page(exe, version, date, cmd, summary, exit_text):
    text = run_help(exe, [cmd])
    blocks = split_blocks(text)
    if not blocks or not blocks[0][0].lower().startswith('usage:'):
        raise SystemExit("mkman: 'dnshound %s --help' does not start with 'usage:'" % cmd)
    title = 'DNSHOUND-%s' % cmd.upper()
    parts = [
        '.\\" Generated from the output of "dnshound %s --help" by scripts/mkman.py.' % cmd,
        '.TH %s 1 "%s" "dnshound %s" "User Commands"' % (title, date, version),
        '.SH NAME',
        'dnshound\\-%s \\- %s' % (esc(cmd), esc(summary)),
        '.SH SYNOPSIS',
        synopsis(blocks[0]),
        '.SH DESCRIPTION',
        render_body(blocks[1:]),
    ]
    for sub in sub_helps(cmd, text):
        st = run_help(exe, [cmd, sub])
        sb = split_blocks(st)
        if not sb or not sb[0][0].lower().startswith('usage:'):
            raise SystemExit("mkman: 'dnshound %s %s --help' does not start with 'usage:'" % (cmd, sub))
        parts.append('.SH "%s"' % esc(('dnshound %s %s' % (cmd, sub)).upper()))
        parts.append(synopsis(sb[0]))
        parts.append('.PP')
        parts.append(render_body(sb[1:]))
    if exit_text:
        parts.append('.SH EXIT STATUS')
        parts.append(line_safe(esc(exit_text)))
    parts.append('.SH SEE ALSO')
    parts.append('.BR dnshound (1),\n.BR dnshound.conf (5)')
    return '\n'.join(p for p in parts if p) + '\n'


def main(argv):
    args = {'--exe': None, '--version': None, '--outdir': None}
    expected = []
    i = 0
    while i < len(argv):
        if argv[i] in args and i + 1 < len(argv):
            args[argv[i]] = argv[i + 1]
            i += 2
        else:
            expected.append(argv[i])
            i += 1
    if None in args.values():
        raise SystemExit(__doc__.split('\n\n')[1])
    exe = args['--exe']
    top = run_help(exe, [])
    listed = listed_commands(top)
    names = [n for n, _ in listed]
    missing = [c for c in names if c not in expected]
    extra = [c for c in expected if c not in names]
    if missing or extra:
        raise SystemExit('mkman: dnshound --help lists %s, the build expects %s; '
                         'the command table in src/cli/main.c and the build disagree'
                         % (' '.join(names), ' '.join(expected)))
    exit_text = ' '.join(l.strip() for l in top.splitlines() if l.startswith('Exit codes:'))
    # Reproducible builds set SOURCE_DATE_EPOCH (dpkg does, from the
    # changelog); otherwise the page carries no date rather than today's.
    sde = os.environ.get('SOURCE_DATE_EPOCH')
    date = time.strftime('%Y-%m-%d', time.gmtime(int(sde))) if sde else ''
    for name, summary in listed:
        path = os.path.join(args['--outdir'], 'dnshound-%s.1' % name)
        body = page(exe, args['--version'], date, name, summary, exit_text)
        with open(path + '.tmp', 'w') as f:
            f.write(body)
        os.replace(path + '.tmp', path)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
