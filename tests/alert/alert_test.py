#!/usr/bin/env python3
"""Command tests of dnshound's alert outputs against real programs.

    alert_test.py DNSHOUND PUT_FINDINGS CASE

block_text  `dnshound block` prints an nft script that `nft -c` accepts
            (when nft and root are there) and iptables lines with undo lines.
hook        `dnshound alert --hook` feeds each finding's JSON line to a real
            shell command; hostile names arrive as data, never as code.
nft_netns   two network namespaces joined by a veth pair: `dnshound block
            --apply` in one drops the blocked host's IPv4 and IPv6 traffic,
            lets another host of the same link pass, and the entry expires.
mail        a private postfix instance (its own configuration, queue and
            mailbox in a scratch directory; SMTP on 127.0.0.1 only) takes
            `dnshound alert --mail` through its sendmail and delivers it to
            a mailbox file the test reads back.
syslog      a private rsyslogd listening on a scratch Unix socket; dnshound
            runs in a mount namespace whose /dev/log is that socket, so
            syslog(3) itself is what is tested.

Cases needing root, namespaces or a program that is missing exit 77 (skip).
"""
import email
import email.policy
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77
DNSHOUND = PUT = None
T0 = 1795305600  # 2026-11-22T00:00:00Z

HOSTILE = "\"<b>&amp;'\x07\r\nBcc: evil@example.net $(touch PWNED)`id`\x7f"


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def skip(msg):
    print("SKIP: " + msg)
    sys.exit(SKIP)


def need_root(what):
    if os.geteuid() != 0:
        skip(what + " needs root")


def need_prog(*names):
    for n in names:
        if not shutil.which(n):
            skip("%s is not installed (scripts/deps.sh installs it)" % n)


def run(args, check=True, timeout=60, **kw):
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)
    if check and p.returncode != 0:
        fail("%s exited %d:\n%s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p


def make_store(d, lines):
    store = os.path.join(d, "store")
    run([PUT, store], input="".join(l + "\n" for l in lines))
    return store


def standard_findings():
    ev = json.dumps({"names": [HOSTILE, "mx1.example.org"], "mx": 20000})
    return [
        "192.0.2.10 emergency spam-mx %d %d 20000 %s" % (T0, T0 + 86400, ev),
        "2001:db8::10 emergency dga %d %d 0.93 {\"nxdomain\":4000}" % (T0, T0 + 86400),
        "192.0.2.11 warning spam-mx %d %d 6000 {\"mx\":6000}" % (T0, T0 + 86400),
        "192.0.2.12 candidate tunnel %d %d 1200 -" % (T0, T0 + 86400),
    ]


def case_block_text(d):
    store = make_store(d, standard_findings())
    out = run([DNSHOUND, "block", "--store", store]).stdout
    for want in ("add table inet dnshound\n",
                 "add set inet dnshound blocked4 { type ipv4_addr; flags timeout; }\n",
                 "add element inet dnshound blocked4 { 192.0.2.10 timeout 3600s }\n",
                 "add element inet dnshound blocked6 { 2001:db8::10 timeout 3600s }\n",
                 "# undo: nft delete element inet dnshound blocked4 { 192.0.2.10 }\n"):
        if want not in out:
            fail("nft text lacks %r:\n%s" % (want, out))
    if "192.0.2.11" in out or "192.0.2.12" in out:
        fail("hosts below emergency are in the default block list:\n" + out)
    out = run([DNSHOUND, "block", "--store", store, "--level", "warning", "--iptables"]).stdout
    lines = out.splitlines()
    for want in ("iptables -I INPUT -s 192.0.2.11 -m comment --comment dnshound -j DROP",
                 "# undo: iptables -D INPUT -s 192.0.2.11 -m comment --comment dnshound -j DROP",
                 "ip6tables -I FORWARD -s 2001:db8::10 -m comment --comment dnshound -j DROP"):
        if want not in lines:
            fail("iptables text lacks %r:\n%s" % (want, out))
    if "192.0.2.12" in out:
        fail("a candidate is in a warning-level block list")
    p = run([DNSHOUND, "block", "--store", store, "--level", "bogus"], check=False)
    if p.returncode != 2:
        fail("a bad level is not a usage error")
    # nft's own parser in check mode: the script is valid nft, and
    # nothing is changed.
    if os.geteuid() == 0 and shutil.which("nft"):
        nft = run([DNSHOUND, "block", "--store", store, "--level", "candidate"]).stdout
        path = os.path.join(d, "block.nft")
        with open(path, "w") as f:
            f.write(nft)
        p = run(["nft", "-c", "-f", path], check=False)
        if p.returncode != 0 and "Operation not permitted" not in p.stderr:
            fail("nft -c rejects the script:\n%s\n%s" % (p.stderr, nft))
        print("nft -c accepts the script" if p.returncode == 0 else "nft -c not permitted here")
    print("ok: block lists printed, levels respected")


def case_hook(d):
    store = make_store(d, standard_findings())
    out = os.path.join(d, "hook.out")
    pwned = os.path.join(d, "PWNED")
    hook = "cat >> '%s'" % out
    p = run([DNSHOUND, "alert", "--store", store, "--hook", hook, "--alert-level", "warning"],
            cwd=d)
    got = [json.loads(l) for l in open(out)]
    hosts = [g["host"] for g in got]
    if sorted(hosts) != ["192.0.2.10", "192.0.2.11", "2001:db8::10"]:
        fail("hook got hosts %r" % hosts)
    spam = [g for g in got if g["host"] == "192.0.2.10"][0]
    if spam["level"] != "emergency" or spam["kind"] != "spam-mx":
        fail("hook line %r" % spam)
    if spam["evidence"]["names"][0] != HOSTILE:
        fail("evidence name did not round-trip: %r" % spam["evidence"]["names"][0])
    if os.path.exists(pwned) or os.path.exists(os.path.join(os.getcwd(), "PWNED")):
        fail("a name from the evidence was run by a shell")
    if "3 findings alerted, 0 failed" not in p.stderr:
        fail("summary line: " + p.stderr)
    p = run([DNSHOUND, "alert", "--store", store, "--hook", "exit 4"], check=False)
    if p.returncode != 1 or "alert for" not in p.stderr:
        fail("a failing hook is not reported: %d %s" % (p.returncode, p.stderr))
    print("ok: hook got %d JSON lines, hostile text stayed data" % len(got))


NS_R, NS_C = "dhaR%d" % os.getpid(), "dhaC%d" % os.getpid()


def ns(name, *args, check=True, timeout=30):
    return run(["ip", "netns", "exec", name] + list(args), check=check, timeout=timeout)


def ping(src, dst, v6=False):
    args = ["ping", "-n", "-c", "1", "-W", "1", "-I", src, dst]
    if v6:
        args.insert(1, "-6")
    return ns(NS_C, *args, check=False).returncode == 0


def netns_down():
    for n in (NS_R, NS_C):
        subprocess.run(["ip", "netns", "del", n], capture_output=True)


def case_nft_netns(d):
    need_root("the network-namespace test")
    need_prog("ip", "nft", "ping")
    if run(["ip", "netns", "add", NS_R], check=False).returncode != 0:
        skip("cannot create network namespaces here")
    try:
        run(["ip", "netns", "add", NS_C])
        run(["ip", "-n", NS_R, "link", "add", "vR", "type", "veth", "peer", "name", "vC",
             "netns", NS_C])
        for n, dev, addrs in ((NS_R, "vR", ["10.213.0.1/24", "fd42:213::1/64"]),
                              (NS_C, "vC", ["10.213.0.2/24", "10.213.0.3/24",
                                            "fd42:213::2/64", "fd42:213::3/64"])):
            run(["ip", "-n", n, "link", "set", "lo", "up"])
            for a in addrs:
                run(["ip", "-n", n, "addr", "add", a, "dev", dev] + (["nodad"] if ":" in a else []))
            run(["ip", "-n", n, "link", "set", dev, "up"])
        if not ns(NS_R, "nft", "list", "ruleset", check=False).returncode == 0:
            skip("nft cannot talk to netlink in a namespace here")
        # Before: everyone gets through (IPv6 neighbours may need a moment).
        deadline = time.time() + 10
        while not (ping("10.213.0.2", "10.213.0.1") and ping("fd42:213::2", "fd42:213::1", True)):
            if time.time() > deadline:
                fail("the namespaces do not talk before any block")
            time.sleep(0.3)
        store = make_store(d, [
            "10.213.0.2 emergency spam-mx %d %d 20000 -" % (T0, T0 + 86400),
            "fd42:213::2 emergency dga %d %d 0.9 -" % (T0, T0 + 86400),
            "10.213.0.3 warning spam-mx %d %d 6000 -" % (T0, T0 + 86400),
        ])
        timeout_s = 3
        p = ns(NS_R, DNSHOUND, "block", "--store", store, "--apply", "--timeout", str(timeout_s))
        applied = time.time()
        if "blocked 2 hosts" not in p.stderr:
            fail("block --apply said: " + p.stderr)
        listing = ns(NS_R, "nft", "list", "table", "inet", "dnshound").stdout
        if "10.213.0.2" not in listing or "fd42:213::2" not in listing or "expires" not in listing:
            fail("the set does not hold the hosts with timeouts:\n" + listing)
        if ping("10.213.0.2", "10.213.0.1"):
            fail("the blocked IPv4 host still gets through")
        if ping("fd42:213::2", "fd42:213::1", True):
            fail("the blocked IPv6 host still gets through")
        if not ping("10.213.0.3", "10.213.0.1"):
            fail("a host below the block level is dropped")
        if not ping("fd42:213::3", "fd42:213::1", True):
            fail("another IPv6 host is dropped")
        blocked_for = time.time() - applied
        # Running it again adds no rule twice.
        ns(NS_R, DNSHOUND, "block", "--store", store, "--apply", "--timeout", str(timeout_s))
        rules = ns(NS_R, "nft", "list", "chain", "inet", "dnshound", "input").stdout
        if rules.count("drop") != 2:
            fail("rules duplicated by a second apply:\n" + rules)
        # After the timeout the kernel removes the elements itself.
        time.sleep(max(0.0, timeout_s + 1.0 - (time.time() - applied)))
        expired_after = time.time() - applied
        if not ping("10.213.0.2", "10.213.0.1"):
            listing = ns(NS_R, "nft", "list", "table", "inet", "dnshound").stdout
            fail("the IPv4 entry did not expire after %ds:\n%s" % (timeout_s, listing))
        if not ping("fd42:213::2", "fd42:213::1", True):
            fail("the IPv6 entry did not expire")
        listing = ns(NS_R, "nft", "list", "set", "inet", "dnshound", "blocked4").stdout
        if "10.213.0.2" in listing:
            fail("the set still lists the host:\n" + listing)
        # Undo as documented: the whole table goes.
        ns(NS_R, "nft", "delete", "table", "inet", "dnshound")
        print("ok: blocked host dropped (v4, v6) for the %.1fs checked, others passed, "
              "entries gone %.1fs after a %ds timeout" % (blocked_for, expired_after, timeout_s))
    finally:
        netns_down()


POSTFIX_MAIN = """\
compatibility_level = 3.6
queue_directory = {d}/queue
data_directory = {d}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = dnshound-test.invalid
mydomain = invalid
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
relayhost =
default_transport = error:no mail leaves this test
alias_maps =
alias_database =
local_recipient_maps =
virtual_mailbox_domains = alerts.invalid
virtual_mailbox_base = {d}/mail
virtual_mailbox_maps = inline:{{ ops@alerts.invalid=ops }}
virtual_minimum_uid = 100
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
maillog_file = {d}/maillog
maillog_file_prefixes = {d}
smtputf8_enable = no
biff = no
"""


def postfix_master_cf(port):
    out = []
    for line in open("/etc/postfix/master.cf"):
        f = line.split()
        if line[0] not in " #\n" and len(f) >= 8:
            if f[0] == "smtp" and f[1] == "inet":
                f[0] = "127.0.0.1:%d" % port
            f[4] = "n"  # no chroot: the queue is a scratch directory
            line = " ".join(f) + "\n"
        out.append(line)
    return "".join(out)


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def case_mail(d):
    need_root("the mail test (postfix's master runs as root)")
    need_prog("postfix", "postconf")
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        skip("no postfix user")
    if not os.path.exists("/usr/sbin/sendmail") or not os.path.exists("/etc/postfix/master.cf"):
        skip("postfix's sendmail or master.cf is missing")
    conf = os.path.join(d, "conf")
    os.makedirs(conf)
    os.makedirs(os.path.join(d, "mail"))
    os.makedirs(os.path.join(d, "queue"))
    os.makedirs(os.path.join(d, "data"))
    os.chown(os.path.join(d, "data"), pwd.getpwnam("postfix").pw_uid, -1)
    os.chown(os.path.join(d, "mail"), 65534, 65534)
    os.chmod(d, 0o755)
    with open(os.path.join(conf, "main.cf"), "w") as f:
        f.write(POSTFIX_MAIN.format(d=d))
    with open(os.path.join(conf, "master.cf"), "w") as f:
        f.write(postfix_master_cf(free_port()))
    env = dict(os.environ, MAIL_CONFIG=conf)
    p = run(["postfix", "-c", conf, "start"], check=False, env=env)
    if p.returncode != 0:
        fail("postfix did not start:\n" + p.stdout + p.stderr)
    try:
        store = make_store(d, standard_findings())
        p = run([DNSHOUND, "alert", "--store", store, "--mail", "ops@alerts.invalid",
                 "--alert-level", "emergency", "--kind", "spam-mx"], env=env)
        box = os.path.join(d, "mail", "ops")
        deadline = time.time() + 60
        while not (os.path.exists(box) and os.path.getsize(box) > 0):
            if time.time() > deadline:
                log = open(os.path.join(d, "maillog")).read() if os.path.exists(
                    os.path.join(d, "maillog")) else "(no log)"
                fail("no mail delivered in 60 s; postfix log:\n" + log)
            time.sleep(0.2)
        time.sleep(0.3)
        raw = open(box, "rb").read()
        msgs = raw.split(b"\nFrom ")
        if len(msgs) != 1:
            fail("%d messages delivered, 1 expected" % len(msgs))
        msg = email.message_from_bytes(raw.split(b"\n", 1)[1], policy=email.policy.default)
        if msg["Subject"] != "dnshound emergency: spam-mx from 192.0.2.10":
            fail("Subject: %r" % msg["Subject"])
        if msg["To"] != "ops@alerts.invalid" or msg["X-Dnshound-Host"] != "192.0.2.10":
            fail("headers: %r" % dict(msg.items()))
        if msg["Bcc"] is not None or b"evil@example.net\n" in raw.split(b"\n\n", 1)[0]:
            fail("a header was injected from the finding")
        body = msg.get_content()
        line = [l for l in body.splitlines() if l.startswith("{")]
        if len(line) != 1:
            fail("no JSON line in the body:\n" + body)
        j = json.loads(line[0])
        if j["host"] != "192.0.2.10" or j["evidence"]["mx"] != 20000:
            fail("JSON in the mail: %r" % j)
        print("ok: postfix delivered the finding to the mailbox (%d bytes), headers clean"
              % len(raw))
    finally:
        run(["postfix", "-c", conf, "stop"], check=False, env=env)
        time.sleep(0.5)
        run(["postfix", "-c", conf, "abort"], check=False, env=env)


RSYSLOG_CONF = """\
global(workDirectory="{d}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{d}/log.sock" CreatePath="on")
template(name="t" type="string"
         string="%syslogfacility-text%.%syslogseverity-text% %syslogtag%%msg%\\n")
*.* action(type="omfile" file="{d}/messages" template="t")
"""


def case_syslog(d):
    need_root("the syslog test (a mount namespace for /dev/log)")
    need_prog("rsyslogd", "unshare", "mount")
    conf = os.path.join(d, "rsyslog.conf")
    with open(conf, "w") as f:
        f.write(RSYSLOG_CONF.format(d=d))
    rs = subprocess.Popen(["rsyslogd", "-n", "-f", conf, "-i", os.path.join(d, "rsyslog.pid")],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        sock = os.path.join(d, "log.sock")
        deadline = time.time() + 15
        while not os.path.exists(sock):
            if time.time() > deadline or rs.poll() is not None:
                fail("rsyslogd made no socket")
            time.sleep(0.1)
        store = make_store(d, standard_findings())
        # A private /dev (a tmpfs with the device nodes bound in) whose
        # log is the test's socket; the system's /dev is untouched.
        script = ("set -e; mkdir -p {d}/olddev; mount --rbind /dev {d}/olddev; "
                  "mount -t tmpfs none /dev; "
                  "for n in null zero urandom random; do touch /dev/$n; "
                  "mount --bind {d}/olddev/$n /dev/$n; done; ln -s {sock} /dev/log; "
                  "exec \"$@\"").format(d=d, sock=sock)
        p = run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                 DNSHOUND, "alert", "--store", store, "--syslog"], check=False)
        if p.returncode != 0:
            if "mount" in p.stderr and "permission" in p.stderr.lower():
                skip("cannot mount in a new namespace here")
            fail("dnshound alert --syslog: %d %s" % (p.returncode, p.stderr))
        path = os.path.join(d, "messages")
        deadline = time.time() + 15
        lines = []
        while len(lines) < 4:
            if time.time() > deadline:
                fail("rsyslogd got %d lines, 4 expected:\n%s" % (len(lines), "\n".join(lines)))
            time.sleep(0.2)
            if os.path.exists(path):
                lines = [l for l in open(path, errors="replace").read().splitlines()
                         if "dnshound[" in l]
        want = {"192.0.2.10": "daemon.crit", "2001:db8::10": "daemon.crit",
                "192.0.2.11": "daemon.warning", "192.0.2.12": "daemon.notice"}
        for l in lines:
            pri, rest = l.split(" ", 1)
            tag, msg = rest.split(" ", 1) if rest.startswith("dnshound[") else ("", rest)
            if not msg.startswith("finding {"):
                fail("syslog line: %r" % l)
            j = json.loads(msg[len("finding "):])
            if want.get(j["host"]) != pri:
                fail("priority %s for %s (%s)" % (pri, j["host"], l))
        print("ok: rsyslogd received %d lines with their priorities, JSON intact" % len(lines))
    finally:
        rs.send_signal(signal.SIGTERM)
        try:
            rs.wait(10)
        except subprocess.TimeoutExpired:
            rs.kill()


CASES = {
    "block_text": case_block_text,
    "hook": case_hook,
    "nft_netns": case_nft_netns,
    "mail": case_mail,
    "syslog": case_syslog,
}


def main():
    global DNSHOUND, PUT
    DNSHOUND, PUT, case = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3]
    d = tempfile.mkdtemp(prefix="dh-alert-")
    try:
        CASES[case](d)
    finally:
        subprocess.run(["umount", "-l", os.path.join(d, "olddev")], capture_output=True)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
