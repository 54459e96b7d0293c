#!/usr/bin/env bash
# Traceback on the real-server testbed (seed 000 end to end): BIND is
# authoritative for the victim's zone, the BIND and Unbound resolvers and
# the dnsmasq forwarder (in front of the BIND resolver) each have a
# dnshound agent, and so has the authoritative server. Benign clients
# resolve the victim's name first, so that the record sits in the caches
# longer than the short window; then two bots resolve a C&C name and the
# victim's name - one behind the forwarder, one at Unbound, both answered
# from cache - and attack: one with spoofed sources, one with its own.
# The victim's side traces from the authoritative server's agent.
#
# Needs root and the testbed's servers (skips otherwise).
set -u
. "$(dirname "$0")/lib.sh"
tb_init
DH=${DH_BUILD_ROOT:-build}/src/cli/dnshound
[ -x "$DH" ] || tb_skip "dnshound not built at $DH"
command -v certtool >/dev/null || tb_skip "certtool (gnutls-bin) not installed"
tb_start

W=$(mktemp -d "${TMPDIR:-/tmp}/dh-tbtrace-XXXXXX")
AGENTS=""
finish() {
	local rc=$?
	for p in $AGENTS; do kill "$p" 2>/dev/null; done
	for p in $AGENTS; do wait "$p" 2>/dev/null; done
	if [ "${TB_KEEP:-0}" = 1 ]; then tb_note "kept $W"; else rm -rf "$W"; fi
	(exit "$rc")
	tb_cleanup
}
trap finish EXIT
bash "$DH_SOURCE_ROOT/tests/agent/mkcerts.sh" "$W/certs" || exit 1
C=$W/certs
fp() { certtool --fingerprint --hash sha256 --infile "$C/$1.pem" | tr -d ':' | tr A-F a-f; }

VICTIM_NAME=www.test
VICTIM_ADDR=192.0.2.80
CC_NAME=update.c2.example
BENIGN1=$TB_CLIENT1 BENIGN2=$TB_CLIENT2 BENIGN3=$TB_CLIENT3
BOT_FWD=$TB_CLIENT4 # behind dnsmasq
BOT_UNB=$TB_CLIENT5 # at Unbound

# Benign traffic: everyone resolves the victim's name and a few others.
for n in $VICTIM_NAME mail.test txt.test; do
	tb_query --via bind --from "$BENIGN1" "$n" A >/dev/null
	tb_query --via unbound --from "$BENIGN2" "$n" A >/dev/null
	tb_query --via dnsmasq --from "$BENIGN3" "$n" A >/dev/null
done
# Longer than the window, shorter than the record's TTL (300 s): the
# bots' lookups are answered from the caches.
sleep 15
for b in "$BOT_FWD:dnsmasq" "$BOT_UNB:unbound"; do
	tb_query --via "${b#*:}" --from "${b%:*}" "$CC_NAME" TXT >/dev/null
	tb_query --via "${b#*:}" --from "${b%:*}" "$VICTIM_NAME" A >/dev/null
done
sleep 1

# The attack, from inside the testbed's namespace: raw packets to the
# victim, with spoofed sources (the bot behind the forwarder) and with the
# bot's own address (the one at Unbound), captured at the victim.
tb_exec ip addr add "$VICTIM_ADDR/32" dev lo 2>/dev/null || true
tb_exec tcpdump -i lo -U -w "$W/spoofed.pcap" "dst host $VICTIM_ADDR and udp port 80" \
	>/dev/null 2>&1 &
TD=$!
sleep 1
ATTACK_START=$(date -u +%Y-%m-%dT%H:%M:%SZ)
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
tb_exec python3 "$W/flood.py" "$VICTIM_ADDR" 200 198.51.100.7 203.0.113.99 198.18.0.5
sleep 1
kill "$TD" 2>/dev/null
wait "$TD" 2>/dev/null
cp "$W/spoofed.pcap" "$W/spoofed.keep" 2>/dev/null
tb_exec tcpdump -i lo -U -w "$W/own.pcap" "dst host $VICTIM_ADDR and udp port 80" \
	>/dev/null 2>&1 &
TD=$!
sleep 1
tb_exec python3 "$W/flood.py" "$VICTIM_ADDR" 100 "$BOT_UNB"
sleep 1
kill "$TD" 2>/dev/null
wait "$TD" 2>/dev/null

# Each server's own data into its agent's store.
tb_flush
"$DH" ingest --quiet --store "$W/auth.store" "$TB_AUTH_DNSTAP" || exit 1
"$DH" ingest --quiet --store "$W/bind.store" "$TB_BIND_DNSTAP" || exit 1
"$DH" ingest --quiet --store "$W/unbound.store" "$TB_UNBOUND_DNSTAP" || exit 1
"$DH" ingest --quiet --store "$W/dnsmasq.store" "$TB_DNSMASQ_LOG" || exit 1

agent_conf() { # name, certificate, servers..., then "--", then peer blocks as lines
	local name=$1 cert=$2
	shift 2
	{
		printf '[agent]\nname = %s.example\nlisten = 127.0.0.1\nport = 0\n' "$name"
		printf 'cert = %s\nkey = %s\nca = %s\n' "$C/$cert.pem" "$C/$cert.key" "$C/ca.pem"
		printf 'store = %s\naudit = %s\naudit-sync = no\n' "$W/$name.store" "$W/$name.audit"
		while [ $# -gt 0 ] && [ "$1" != "--" ]; do
			printf 'server = %s\n' "$1"
			shift
		done
		[ $# -gt 0 ] && shift
		printf '%s\n' "$@"
	} >"$W/$name.conf"
}
start_agent() { # name; sets PORT_<name>
	local name=$1 port=""
	"$DH" agent --config "$W/$name.conf" 2>"$W/$name.err" &
	local pid=$!
	AGENTS="$AGENTS $pid"
	eval "PID_$name=$pid"
	for _ in $(seq 100); do
		port=$(sed -n 's/.*serving \[[^]]*\]:\([0-9]*\).*/\1/p' "$W/$name.err")
		[ -n "$port" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$port" ] || { cat "$W/$name.err"; printf 'FAIL: agent %s did not start\n' "$name"; exit 1; }
	eval "PORT_$name=$port"
}

# The certificate names stand for the organisations: fwd = dnsmasq's,
# res = the BIND resolver's, unb = Unbound's, dest = the victim's
# authoritative server's, victim = the victim.
agent_conf dnsmasq fwd "$TB_DNSMASQ_ADDR" "$TB_DNSMASQ_OUT" -- \
	"[peer bind.example]" "fingerprint = $(fp res)" "rights = relay,clients,confirm"
start_agent dnsmasq
agent_conf bind res "$TB_BIND_ADDR" "$TB_BIND_OUT" -- \
	"[peer auth.example]" "fingerprint = $(fp dest)" "rights = relay,clients,confirm" \
	"[peer dnsmasq.example]" "fingerprint = $(fp fwd)" "url = https://localhost:$PORT_dnsmasq" \
	"server = $TB_DNSMASQ_ADDR" "server = $TB_DNSMASQ_OUT" "rights = relay"
start_agent bind
agent_conf unbound unb "$TB_UNBOUND_ADDR" "$TB_UNBOUND_OUT" -- \
	"[peer auth.example]" "fingerprint = $(fp dest)" "rights = relay,clients,confirm"
start_agent unbound
agent_conf auth dest "$TB_AUTH_ADDR" -- \
	"[peer victim.example]" "fingerprint = $(fp victim)" "rights = ask,clients,confirm" \
	"[peer bind.example]" "fingerprint = $(fp res)" "url = https://localhost:$PORT_bind" \
	"server = $TB_BIND_ADDR" "server = $TB_BIND_OUT" "rights = relay" \
	"[peer unbound.example]" "fingerprint = $(fp unb)" \
	"url = https://localhost:$PORT_unbound" "server = $TB_UNBOUND_ADDR" \
	"server = $TB_UNBOUND_OUT" "rights = relay"
start_agent auth

TLS="--cert $C/victim.pem --key $C/victim.key --ca $C/ca.pem"
URL=https://localhost:$PORT_auth
# shellcheck disable=SC2086
"$DH" trace --agent "$URL" --fqdn "$VICTIM_NAME" --from-capture "$W/spoofed.keep" --window 10 \
	--json $TLS >"$W/t1.json" 2>"$W/t1.err"
tb_check "trace from the spoofed attack's capture answers" test -s "$W/t1.json"
# shellcheck disable=SC2086
"$DH" trace --agent "$URL" --fqdn "$VICTIM_NAME" --time "$ATTACK_START" --window 10 \
	--source "$BOT_UNB" --json $TLS >"$W/t2.json" 2>"$W/t2.err"
tb_check "trace with the bot's own address answers" test -s "$W/t2.json"

check_json() { # file, python expression over the answer 'a' that must hold, description
	python3 - "$@" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
bots, benign = sys.argv[3].split(), sys.argv[4].split()
ok = eval(sys.argv[2])
if not ok:
    print('     answer: ' + json.dumps({k: a.get(k) for k in (
        'candidates', 'spoofed', 'sources', 'cc_candidates', 'unreached', 'warnings')})[:1500])
sys.exit(0 if ok else 1)
PY
}
BOTS="$BOT_FWD $BOT_UNB"
BENIGN="$BENIGN1 $BENIGN2 $BENIGN3"
RANKED='(lambda h: all(b in h for b in bots) and all(h.index(b) < h.index(x) for b in bots for x in benign if x in h))([c["host"] for c in a["candidates"]])'
tb_check "both bots are candidates, ranked above every benign host" \
	check_json "$W/t1.json" "$RANKED" "$BOTS" "$BENIGN"
tb_check "the bot behind the forwarder is traced through dnsmasq's agent" \
	check_json "$W/t1.json" \
	'any(c["host"] == bots[0] and "dnsmasq.example" in c["path"] and "bind.example" in c["path"] for c in a["candidates"])' \
	"$BOTS" "$BENIGN"
tb_check "the spoofed sources are found spoofed" \
	check_json "$W/t1.json" 'a["sources"] and all(s["spoofed"] is True for s in a["sources"])' \
	"$BOTS" "$BENIGN"
tb_check "a bot attacking with its own address is not spoofed" \
	check_json "$W/t2.json" 'a["spoofed"] is False' "$BOTS" "$BENIGN"
tb_check "the C&C name is the first C&C candidate" \
	check_json "$W/t1.json" 'a["cc_candidates"] and a["cc_candidates"][0]["name"] == "'$CC_NAME'."' \
	"$BOTS" "$BENIGN"
tb_check "the destination looked back beyond the window (the TTL)" \
	check_json "$W/t1.json" 'a["lookback_s"] >= 60' "$BOTS" "$BENIGN"

# One agent down: the trace still answers and names it.
kill "$PID_unbound"
wait "$PID_unbound" 2>/dev/null
# shellcheck disable=SC2086
"$DH" trace --agent "$URL" --fqdn "$VICTIM_NAME" --time "$ATTACK_START" --window 10 \
	--json $TLS >"$W/t3.json" 2>"$W/t3.err"
tb_check "with Unbound's agent stopped, it is named unreached" \
	check_json "$W/t3.json" '[u["agent"] for u in a["unreached"]] == ["unbound.example"]' \
	"$BOTS" "$BENIGN"
tb_check "and the bot behind the forwarder is still found" \
	check_json "$W/t3.json" 'bots[0] in [c["host"] for c in a["candidates"]]' "$BOTS" "$BENIGN"
for n in auth bind dnsmasq; do
	tb_check "audit log of $n verifies" "$DH" agent audit-verify "$W/$n.audit"
done
[ "$TB_FAILED" -eq 0 ] || for f in "$W"/*.err; do tb_note "$f:"; tail -5 "$f"; done
tb_finish
