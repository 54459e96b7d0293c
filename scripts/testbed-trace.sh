#!/usr/bin/env bash
# Seed 000's traceback on real DNS servers (scripts/testbed.sh): BIND is
# authoritative for the victim's zone, the BIND and Unbound resolvers and
# the dnsmasq forwarder in front of the BIND resolver each get a dnshound
# agent, and so does the authoritative server. Benign clients resolve the
# victim's name first, so that the record sits in every cache for longer
# than the short window; then two bots resolve a C&C name and the victim's
# name - one behind the forwarder, one at Unbound, both answered from the
# caches - and attack the victim: one with spoofed sources, one with its
# own address. The victim then traces from the authoritative server's
# agent, once more with Unbound's agent stopped.
#
# Used by 'dnshound demo' (its real-server stage) and by the testbed's
# traceback test, which checks the answers.
#
# Usage: testbed-trace.sh DNSHOUND CERTS OUT
#   DNSHOUND  the dnshound program
#   CERTS     ca.pem, and NAME.pem with NAME.key for each of dest (the
#             authoritative server's agent), res (the BIND resolver's),
#             unb (Unbound's), fwd (dnsmasq's) and victim; each NAME's
#             certificate issued by ca.pem with common name NAME.example
#   OUT       an empty or new directory; receives world.json (the victim,
#             the C&C name, the bots and the benign hosts), spoofed.json,
#             own.json and down.json (the three answers), cache.json (the
#             end hosts' queries for the victim's name and those of them
#             that reached its authoritative server: seed 000 section
#             6.4's cache-miss ratio), audit.txt (the agents'
#             audit-verify results) and each agent's log
# Environment: TB_SETTLE seconds between the benign and the bots' lookups
# (default 15), TB_WINDOW the trace's window in seconds (default 10; keep
# it shorter than TB_SETTLE, so that only the caches' lookback finds the
# bots behind their resolvers).
#
# Exit codes: 0 done, 1 failure, 2 usage, 77 the testbed cannot run here
# (not root, servers not installed, port taken); the reason is printed.
set -u
[ $# -eq 3 ] || {
	sed -n '/^# Usage/,/^# Exit codes/p' "$0" | sed '$d' >&2
	exit 2
}
DH=$1 C=$2 W=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TB="$here/testbed.sh"
PATH="$PATH:/usr/sbin:/sbin"
SETTLE=${TB_SETTLE:-15}
WINDOW=${TB_WINDOW:-10}
case "$SETTLE$WINDOW" in *[!0-9]*) echo "testbed-trace: TB_SETTLE and TB_WINDOW are seconds" >&2 && exit 2 ;; esac

[ -x "$DH" ] || {
	echo "testbed-trace: $DH is not a program" >&2
	exit 2
}
for n in ca dest res unb fwd victim; do
	[ -r "$C/$n.pem" ] || {
		echo "testbed-trace: $C/$n.pem is missing" >&2
		exit 2
	}
done
mkdir -p "$W" || exit 1
W=$(cd "$W" && pwd)

step() { printf 'testbed-trace: %s\n' "$*"; }

TB_DIR="" AGENTS=""
finish() {
	local rc=$?
	pkill -f -- "tcpdump -i lo -U -w $W/" 2>/dev/null
	for p in $AGENTS; do kill "$p" 2>/dev/null; done
	for p in $AGENTS; do wait "$p" 2>/dev/null; done
	[ -z "$TB_DIR" ] || bash "$TB" stop --dir "$TB_DIR" >/dev/null 2>&1 || true
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

rc=0
out=$(bash "$TB" start 2>"$W/testbed-start.err") || rc=$?
case "$rc" in
0) ;;
3 | 4 | 5)
	step "the testbed cannot run here: $(tail -1 "$W/testbed-start.err")"
	exit 77
	;;
*)
	step "testbed.sh start exited $rc:"
	tail -20 "$W/testbed-start.err"
	exit 1
	;;
esac
# shellcheck disable=SC1091
. "$out/testbed.env"
# shellcheck disable=SC2086
set -- $TB_CLIENTS
BENIGN1=$1 BENIGN2=$2 BENIGN3=$3
BOT_FWD=$4 # behind dnsmasq
BOT_UNB=$5 # at Unbound
VICTIM_NAME=www.test
VICTIM_ADDR=192.0.2.80
CC_NAME=update.c2.example
in_tb() { if [ -n "${TB_NETNS:-}" ]; then ip netns exec "$TB_NETNS" "$@"; else "$@"; fi; }
query() { bash "$TB" query --dir "$TB_DIR" "$@" >/dev/null; }
step "servers up${TB_NETNS:+ in namespace $TB_NETNS}: NSD (root), BIND (authoritative, resolver), Unbound, dnsmasq"

# Benign traffic: everyone resolves the victim's name and a few others.
for n in $VICTIM_NAME mail.test txt.test; do
	query --via bind --from "$BENIGN1" "$n" A
	query --via unbound --from "$BENIGN2" "$n" A
	query --via dnsmasq --from "$BENIGN3" "$n" A
done
step "benign clients resolved $VICTIM_NAME; the bots ask ${SETTLE} s later, from the caches"
sleep "$SETTLE"
for b in "$BOT_FWD:dnsmasq" "$BOT_UNB:unbound"; do
	query --via "${b#*:}" --from "${b%:*}" "$CC_NAME" TXT
	query --via "${b#*:}" --from "${b%:*}" "$VICTIM_NAME" A
done
sleep 1

# The attack: raw UDP packets to the victim from inside the testbed's
# namespace, with spoofed sources (the bot behind the forwarder) and with
# the bot's own address (the one at Unbound), captured at the victim.
cat >"$W/flood.py" <<'PY'
import socket, struct, sys
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
dst, n = sys.argv[1], int(sys.argv[2])
srcs = sys.argv[3:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for i in range(n):
    src = srcs[i % len(srcs)]
    payload = b'x' * 32
    udp = struct.pack('!HHHH', 1024 + i, 80, 8 + len(payload), 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    s.sendto(ip + udp, (dst, 0))
PY
stop_capture() { pkill -f -- "tcpdump -i lo -U -w $1" 2>/dev/null || true; }
in_tb ip addr add "$VICTIM_ADDR/32" dev lo 2>/dev/null || true
attack() { # capture file, packets, sources...
	local f=$1 n=$2 td
	shift 2
	in_tb tcpdump -i lo -U -w "$f" "dst host $VICTIM_ADDR and udp port 80" >/dev/null 2>&1 &
	td=$!
	sleep 1
	in_tb python3 "$W/flood.py" "$VICTIM_ADDR" "$n" "$@" || return 1
	sleep 1
	# ip netns exec runs tcpdump as its child: stop tcpdump itself (by
	# the file it writes), so that the capture ends before the next one.
	stop_capture "$f"
	wait "$td" 2>/dev/null
	[ -s "$f" ]
}
ATTACK_START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
attack "$W/spoofed.pcap" 200 198.51.100.7 203.0.113.99 198.18.0.5 || {
	step "the spoofed attack was not captured"
	exit 1
}
attack "$W/own.pcap" 100 "$BOT_UNB" || {
	step "the own-address attack was not captured"
	exit 1
}
step "attack on $VICTIM_ADDR: 200 packets from spoofed sources, 100 from a bot's own address"

# Each server's own data into its agent's store.
bash "$TB" flush --dir "$TB_DIR" >/dev/null 2>&1
for s in "auth:$TB_AUTH_DNSTAP" "bind:$TB_BIND_DNSTAP" "unbound:$TB_UNBOUND_DNSTAP" \
	"dnsmasq:$TB_DNSMASQ_LOG"; do
	"$DH" ingest --quiet --store "$W/${s%%:*}.store" "${s#*:}" 2>"$W/ingest-${s%%:*}.err" || {
		step "ingest of ${s#*:} failed:"
		cat "$W/ingest-${s%%:*}.err"
		exit 1
	}
done

# Seed 000 section 6.4's cache-miss ratio on these servers: the end
# hosts' queries for the victim's name at the resolvers and the
# forwarder, against the queries for it that reached its authoritative
# server (the only ones its log shows).
count() { # store, SQL condition
	"$DH" sql --store "$W/$1.store" \
		"SELECT count(*) FROM events WHERE qr = 0 AND qname = '$VICTIM_NAME.' AND ($2)" | tail -1
}
hosts="'$BENIGN1','$BENIGN2','$BENIGN3','$BOT_FWD','$BOT_UNB'"
ends=0
for s in bind unbound dnsmasq; do
	n=$(count "$s" "src IN ($hosts)") || exit 1
	ends=$((ends + n))
done
dest=$(count auth "1") || exit 1
printf '{"end_host_queries": %d, "destination_queries": %d}\n' "$ends" "$dest" >"$W/cache.json"
step "cache-miss ratio: $dest of the end hosts' $ends queries for $VICTIM_NAME reached its authoritative server"

# Peers are named by their CA and common name (doc/agent.md), as two
# organisations that exchanged CA certificates would name each other.
peer() { # name, rights, then url and servers (optional)
	local n=$1 r=$2
	shift 2
	printf '[peer %s.example]\nca-file = %s\ncn = %s.example\nrights = %s\n' \
		"$n" "$C/ca.pem" "$(certname "$n")" "$r"
	[ $# -eq 0 ] || printf 'url = %s\n' "$1"
	[ $# -eq 0 ] || shift
	for a in "$@"; do printf 'server = %s\n' "$a"; done
}
certname() { # agent name -> its certificate's name
	case "$1" in
	auth) echo dest ;; bind) echo res ;; unbound) echo unb ;; dnsmasq) echo fwd ;; *) echo "$1" ;;
	esac
}
agent_conf() { # name, servers...; peers on stdin
	local n=$1 k
	shift
	k=$(certname "$n")
	{
		printf '[agent]\nname = %s.example\nlisten = 127.0.0.1\nport = 0\n' "$n"
		printf 'cert = %s\nkey = %s\nca = %s\n' "$C/$k.pem" "$C/$k.key" "$C/ca.pem"
		printf 'store = %s\naudit = %s\naudit-sync = no\n' "$W/$n.store" "$W/$n.audit"
		for a in "$@"; do printf 'server = %s\n' "$a"; done
		printf '\n'
		cat
	} >"$W/$n.conf"
}
start_agent() { # name; sets PORT_<name> and PID_<name>
	local n=$1 port="" pid
	: >"$W/$n.log"
	"$DH" agent --config "$W/$n.conf" 2>"$W/$n.log" &
	pid=$!
	AGENTS="$AGENTS $pid"
	eval "PID_$n=$pid"
	for _ in $(seq 100); do
		port=$(sed -n 's/.*serving \[[^]]*\]:\([0-9]*\).*/\1/p' "$W/$n.log")
		[ -n "$port" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$port" ] || {
		step "agent $n did not start:"
		cat "$W/$n.log"
		exit 1
	}
	eval "PORT_$n=$port"
}
peer bind relay,clients,confirm | agent_conf dnsmasq "$TB_DNSMASQ_ADDR" "$TB_DNSMASQ_OUT"
start_agent dnsmasq
{
	peer auth relay,clients,confirm
	peer dnsmasq relay "https://localhost:$PORT_dnsmasq" "$TB_DNSMASQ_ADDR" "$TB_DNSMASQ_OUT"
} | agent_conf bind "$TB_BIND_ADDR" "$TB_BIND_OUT"
start_agent bind
peer auth relay,clients,confirm | agent_conf unbound "$TB_UNBOUND_ADDR" "$TB_UNBOUND_OUT"
start_agent unbound
{
	peer victim ask,clients,confirm
	peer bind relay "https://localhost:$PORT_bind" "$TB_BIND_ADDR" "$TB_BIND_OUT"
	peer unbound relay "https://localhost:$PORT_unbound" "$TB_UNBOUND_ADDR" "$TB_UNBOUND_OUT"
} | agent_conf auth "$TB_AUTH_ADDR"
start_agent auth
step "agents beside BIND (authoritative), the BIND resolver, Unbound and dnsmasq"

TLS=(--cert "$C/victim.pem" --key "$C/victim.key" --ca "$C/ca.pem")
URL=https://localhost:$PORT_auth
trace() { # answer file, arguments...
	local f=$1
	shift
	"$DH" trace --agent "$URL" --fqdn "$VICTIM_NAME" --window "$WINDOW" --json "${TLS[@]}" "$@" \
		>"$W/$f" 2>"$W/$f.err" && [ -s "$W/$f" ] || {
		step "trace $* failed:"
		cat "$W/$f.err"
		exit 1
	}
}
trace spoofed.json --from-capture "$W/spoofed.pcap"
trace own.json --time "$ATTACK_START" --source "$BOT_UNB"
# One agent down: the trace still answers and names it.
kill "$PID_unbound"
wait "$PID_unbound" 2>/dev/null
trace down.json --time "$ATTACK_START"
: >"$W/audit.txt"
for n in auth bind dnsmasq unbound; do
	if "$DH" agent audit-verify "$W/$n.audit" >>"$W/audit.txt" 2>&1; then
		echo "$n ok" >>"$W/audit.txt"
	else
		echo "$n FAILED" >>"$W/audit.txt"
	fi
done
cat >"$W/world.json" <<EOF
{"victim": "$VICTIM_NAME", "victim_addr": "$VICTIM_ADDR", "cc_name": "$CC_NAME.",
 "attack_start": "$ATTACK_START",
 "bots": [{"host": "$BOT_FWD", "via": "dnsmasq.example"}, {"host": "$BOT_UNB", "via": "unbound.example"}],
 "benign": ["$BENIGN1", "$BENIGN2", "$BENIGN3"],
 "spoofed_sources": ["198.51.100.7", "203.0.113.99", "198.18.0.5"]}
EOF
step "traced: answers in $W"
