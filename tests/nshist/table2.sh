#!/usr/bin/env bash
# Seed 003's Table 2 experiment on the real-server testbed (doc/testbed.md,
# doc/nshist.md): clients resolve names through the network's resolver
# (Unbound), then one client queries registered name servers directly
# (BIND authoritative for test., NSD for sub.test.: both learned as glue
# from the referrals the resolver received), one queries a DNS server no
# delegation names (Knot Resolver, standing in for a C&C server) and one
# a resolver that is not on the exception list (the BIND resolver,
# standing in for a public resolver). The check must say resolver,
# registered, registered, unknown, unknown: from the tcpdump capture,
# from the servers' dnstap, and live, through "nshist check -- capture".
#
# Usage: table2.sh DNSHOUND. Needs root and the servers; skips (77)
# without them.
set -u
DH=$1
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../testbed/lib.sh
. "$here/../testbed/lib.sh"
tb_init
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
tb_start
out="$TB_DIR/nshist"
mkdir -p "$out"

res=$TB_UNBOUND_ADDR
local_opts=()
for c in $TB_CLIENTS; do local_opts+=(--local "$c"); done
check_opts=(--json --resolver "$res" "${local_opts[@]}")

# The live check runs inside the namespace, on its loopback, from the
# start; SIGINT stops it with everything printed. "ip netns exec" execs
# the program, so the pid is dnshound's own.
live_cmd=("$DH" nshist check --store "$out/live" "${check_opts[@]}" -- capture -i lo -q)
if [ -n "${TB_NETNS:-}" ]; then
	ip netns exec "$TB_NETNS" "${live_cmd[@]}" >"$out/live.json" 2>"$out/live.err" &
else
	"${live_cmd[@]}" >"$out/live.json" 2>"$out/live.err" &
fi
live_pid=$!
trap 'kill -INT "$live_pid" 2>/dev/null; tb_cleanup' EXIT
tb_capture start
sleep 1

# 1. Through the resolver: the referrals teach the name servers.
for q in "www.test A" "host.sub.test A" "www.example A"; do
	# shellcheck disable=SC2086
	tb_query --via unbound --from "$TB_CLIENT1" $q >/dev/null
done
sleep 1
# 2. Straight to the registered name servers (seed 003 Table 2, lines 3-6).
tb_query --via auth --from "$TB_CLIENT2" www.test A >"$out/q-auth.txt"
tb_query --via sub --from "$TB_CLIENT2" host.sub.test A >"$out/q-sub.txt"
# 3. Straight to a server no delegation names (the C&C stand-in, TXT as
#    Feederbot does) and to a resolver off the exception list (lines 1-2).
tb_query --via kresd --from "$TB_CLIENT3" cc.botnet.test TXT >"$out/q-kresd.txt"
tb_query --via bind --from "$TB_CLIENT4" www.test A >"$out/q-bind.txt"
sleep 1
tb_capture stop
tb_flush
kill -INT "$live_pid" 2>/dev/null
wait "$live_pid"
live_rc=$?
trap tb_cleanup EXIT

tb_check "the direct query to BIND authoritative is answered" tb_contains "$(cat "$out/q-auth.txt")" 192.0.2.80
tb_check "the direct query to NSD sub.test is answered" tb_contains "$(cat "$out/q-sub.txt")" 192.0.2.53

# The verdicts, one line per (client, server, qname, qtype, verdict).
summary() { # JSON lines on stdin
	"$PY" -c '
import json, sys
seen = set()
for line in sys.stdin:
    r = json.loads(line)
    row = r["row"]
    why = ""
    if r["verdict"] == "registered":
        # BIND authoritative serves test. and example.: either row justifies it.
        why = " %s/%s" % ("ns1.sub.test." if row["nsfqdn"] == "ns1.sub.test." else "ns1", row["glue_src"])
    seen.add("%s %s %s %s %s%s" % (r["client"], r["server"], r["qname"].lower(), r["qtype"], r["verdict"], why))
print("\n".join(sorted(seen)))
'
}
expected=$(printf '%s\n' \
	"$TB_CLIENT1 $res host.sub.test. A resolver" \
	"$TB_CLIENT1 $res www.example. A resolver" \
	"$TB_CLIENT1 $res www.test. A resolver" \
	"$TB_CLIENT2 $TB_AUTH_ADDR www.test. A registered ns1/additional" \
	"$TB_CLIENT2 $TB_SUB_ADDR host.sub.test. A registered ns1.sub.test./additional" \
	"$TB_CLIENT3 $TB_KRESD_ADDR cc.botnet.test. TXT unknown" \
	"$TB_CLIENT4 $TB_BIND_ADDR www.test. A unknown" | sort)

# From the capture: learning and checking in one pass, in time order.
"$DH" nshist check --store "$out/pcap" "${check_opts[@]}" "$TB_CAPTURE" \
	>"$out/pcap.json" 2>"$out/pcap.err"
tb_check "check of the capture exits 0" test $? -eq 0
got=$(summary <"$out/pcap.json")
tb_check "capture: resolver, registered, registered, unknown, unknown" test "$got" = "$expected"
[ "$got" = "$expected" ] || diff <(echo "$expected") <(echo "$got")
tb_check "capture: a direct-outbound finding for the C&C client, with its TXT" \
	grep -qE "new finding: .*\"host\":\"$TB_CLIENT3\".*\"kind\":\"direct-outbound\".*\"txt\":1" \
	"$out/pcap.err"
tb_check "capture: a direct-outbound finding for the public-resolver client" \
	grep -qE "new finding: .*\"host\":\"$TB_CLIENT4\".*\"direct-outbound\"" "$out/pcap.err"
tb_check "capture: no finding for the client of the registered servers" \
	sh -c "! grep -q '\"host\":\"$TB_CLIENT2\"' '$out/pcap.err'"
# The seed's own wording in the text form.
"$DH" nshist check --store "$out/pcap" --no-save --no-findings --resolver "$res" \
	"${local_opts[@]}" "$TB_CAPTURE" >"$out/pcap.txt" 2>/dev/null
tb_check "capture, text: '$TB_AUTH_ADDR is registered glue'" \
	grep -qE "$TB_AUTH_ADDR is registered glue \((test|example)\. NS ns1\.(test|example)\.\)" "$out/pcap.txt"
tb_check "capture, text: '$TB_KRESD_ADDR is unknown'" grep -q "$TB_KRESD_ADDR is unknown" "$out/pcap.txt"

# The history as the seed's Table 1, built from the capture.
"$DH" nshist build --store "$out/pcap" -q "$TB_CAPTURE"
"$DH" nshist show --store "$out/pcap" --ns "$TB_SUB_ADDR" >"$out/show.txt"
tb_check "show --ns: the row of ns1.sub.test. with its glue" \
	grep -qE "^[0-9]+ [0-9]+ [a-z.]+ [0-9]+ sub\.test\. [0-9]+ ns1\.sub\.test\. [0-9]+ $TB_SUB_ADDR " \
	"$out/show.txt"

# From dnstap: the resolver's stream teaches, the servers' streams show
# the direct queries (client side of kresd and BIND, auth side of BIND
# authoritative and NSD).
"$DH" nshist build --store "$out/dnstap" -q "$TB_UNBOUND_DNSTAP"
tb_check "build from Unbound's dnstap exits 0" test $? -eq 0
"$DH" nshist check --store "$out/dnstap" --no-learn "${check_opts[@]}" \
	"$TB_UNBOUND_DNSTAP" "$TB_AUTH_DNSTAP" "$TB_SUB_DNSTAP" "$TB_KRESD_DNSTAP" "$TB_BIND_DNSTAP" \
	>"$out/dnstap.json" 2>"$out/dnstap.err"
got=$(summary <"$out/dnstap.json")
tb_check "dnstap: resolver, registered, registered, unknown, unknown" test "$got" = "$expected"
[ "$got" = "$expected" ] || diff <(echo "$expected") <(echo "$got")

# Live, through capture's own loop.
tb_check "live check exits 0 on SIGINT" test "$live_rc" -eq 0
got=$(summary <"$out/live.json")
tb_check "live capture: resolver, registered, registered, unknown, unknown" test "$got" = "$expected"
[ "$got" = "$expected" ] || { diff <(echo "$expected") <(echo "$got"); cat "$out/live.err"; }

tb_stop_and_check_clean
tb_finish
