#!/bin/bash
# Detection on real servers' output (doc/detect.md): bots run as real
# clients of the testbed's BIND and Unbound resolvers (scripts/testbed.sh),
# each from its own source address, with dnsperf and dig; then dnshound
# detect reads the resolvers' query logs and dnstap and must name every
# bot with its kind and nothing else.
#
#   via BIND:    client 1 a spam bot (MX for many domains),
#                client 2 a worm (A queries for IP literals),
#                client 5 a beacon (one name every 1.5 s)
#   via Unbound: client 3 a tunnel (TXT for long base32 labels),
#                client 4 a DGA (random names that do not exist)
#
# The levels are scaled to the test's few seconds by a configuration
# file: the method is the one of the scenarios, only the counts are
# smaller. Usage: testbed_detect.sh DNSHOUND. Needs root and the servers;
# skips (77) without them.
set -u
DH=$1
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../testbed/lib.sh
. "$here/../testbed/lib.sh"
tb_init
t0=$(date +%s)
tb_start
out="$TB_DIR/detect"
mkdir -p "$out"

# dnsperf query files: one name and type per line.
for i in $(seq 1 400); do echo "d$i.dga.test MX"; done >"$out/spam.txt"
for i in $(seq 1 400); do echo "10.$((i % 7)).$((i % 251)).$((i % 253)) A"; done >"$out/worm.txt"
for i in $(seq 1 400); do
	printf 'mzxw6ytboi%04dgezdgnbvgy3tqojqgezdgnbvgy3tqojqgezdgnbvgy3tq.t.dga.test TXT\n' "$i"
done >"$out/tunnel.txt"
for i in $(seq 1 400); do
	printf '%s.nxtld A\n' "$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr 0-9 g-p)"
done >"$out/dga.txt"

perf() { # via address, from, file
	tb_exec timeout 30 dnsperf -s "$1" -a "$2" -d "$3" -n 1 -Q 400 -c 2 -t 2 >"$3.out" 2>&1
}
perf "$TB_BIND_ADDR" "$TB_CLIENT1" "$out/spam.txt" &
perf "$TB_BIND_ADDR" "$TB_CLIENT2" "$out/worm.txt" &
perf "$TB_UNBOUND_ADDR" "$TB_CLIENT3" "$out/tunnel.txt" &
perf "$TB_UNBOUND_ADDR" "$TB_CLIENT4" "$out/dga.txt" &
# The beacon: cc.botnet.test every 1.5 s, twelve times.
(for _ in $(seq 12); do
	tb_query --via bind --from "$TB_CLIENT5" cc.botnet.test A >/dev/null 2>&1
	sleep 1.5
done) &
wait
tb_check "dnsperf sent the spam bot's queries" grep -q "Queries sent: *400" "$out/spam.txt.out"
tb_flush
sleep 0.5

cat >"$out/detect.conf" <<CONF
[detect]
resolver = $TB_BIND_ADDR
resolver = $TB_UNBOUND_ADDR
candidate = 100
warning = 300
emergency = 1000
[detect spam-mx]
candidate = 100
[detect dga]
candidate = 100
[detect beacon]
candidate = 6
warning = 20
emergency = 50
min-period = 1s
tolerance = 0.1
CONF

# found FILE HOST KIND: the findings name HOST with KIND.
found() { grep -q "\"host\":\"$2\",\"level\":\"[a-z]*\",\"kind\":\"$3\"" "$1"; }
only() { # file, allowed hosts...: no finding names another host
	local f=$1 h
	shift
	local hosts
	hosts=$(grep -o '"host":"[^"]*"' "$f" | sort -u | sed 's/"host":"//; s/"//')
	for h in $hosts; do
		case " $* " in *" $h "*) ;; *)
			echo "unexpected finding for $h in $f"
			return 1
			;;
		esac
	done
}
det() { # name, input file
	"$DH" detect --json --quiet --config "$out/detect.conf" "$2" >"$out/$1.json" 2>"$out/$1.err"
	tb_check "detect $1 ($(wc -l <"$out/$1.json") findings)" test -s "$out/$1.json"
}
det bind-log "$TB_BIND_QUERYLOG"
det bind-dnstap "$TB_BIND_DNSTAP"
det unbound-log "$TB_UNBOUND_LOG"
det unbound-dnstap "$TB_UNBOUND_DNSTAP"

for src in bind-log bind-dnstap; do
	tb_check "$src: spam bot $TB_CLIENT1" found "$out/$src.json" "$TB_CLIENT1" spam-mx
	tb_check "$src: worm $TB_CLIENT2" found "$out/$src.json" "$TB_CLIENT2" worm-ip-literal
	tb_check "$src: beacon $TB_CLIENT5" found "$out/$src.json" "$TB_CLIENT5" beacon
	tb_check "$src: no other host" only "$out/$src.json" "$TB_CLIENT1" "$TB_CLIENT2" "$TB_CLIENT5"
done
for src in unbound-log unbound-dnstap; do
	tb_check "$src: tunnel $TB_CLIENT3" found "$out/$src.json" "$TB_CLIENT3" tunnel
	tb_check "$src: no other host" only "$out/$src.json" "$TB_CLIENT3" "$TB_CLIENT4"
done
# NXDOMAIN is in dnstap's answers, not in query logs (doc/detect.md).
tb_check "unbound-dnstap: DGA $TB_CLIENT4" found "$out/unbound-dnstap.json" "$TB_CLIENT4" dga

tb_note "detection on real servers took $(($(date +%s) - t0)) s"
[ -z "${DH_IT_SAVE:-}" ] || cp -r "$out" "$DH_IT_SAVE"
tb_stop_and_check_clean
tb_finish
