#!/usr/bin/env bash
# Smoke test of the real-DNS-server testbed: starts it, sends a scripted
# set of queries from known client addresses through every resolver
# (UDP, TCP, NXDOMAIN, a CNAME chain, a truncated answer that falls back
# to TCP, a query forwarded by dnsmasq), captures them with tcpdump,
# flushes, and checks the answers, every server's text log and dnstap
# file, the capture, and that stop leaves nothing behind.
set -u
. "$(dirname "$0")/lib.sh"
tb_init
tb_start
tb_note "started after ${SECONDS} s"

# One client address per resolver, so every log line can be traced back.
declare -A client=([bind]=$TB_CLIENT1 [unbound]=$TB_CLIENT2 [kresd]=$TB_CLIENT3 [dnsmasq]=$TB_CLIENT4)
declare -A out_addr=([bind]=$TB_BIND_OUT [unbound]=$TB_UNBOUND_OUT [kresd]=$TB_KRESD_OUT)
resolvers="bind unbound kresd dnsmasq"

tb_check "capture starts" tb_capture start

# --- answers ---------------------------------------------------------------
# The four resolvers are asked at the same time (each answer to a file),
# which keeps the test short on a busy machine; the checks come after.
ans="$TB_DIR/smoke"
mkdir -p "$ans"
ask() { # resolver, answer name, query options and arguments...
	local r=$1 key=$2
	shift 2
	tb_query --via "$r" --from "${client[$r]}" "$@" >"$ans/$r.$key" 2>&1
}
for r in $resolvers; do
	(
		ask "$r" a www.test A
		ask "$r" aaaa --tcp www.test AAAA
		# A name no other query asks for, so the authoritative server
		# must see this resolver's own query (no cache in between).
		ask "$r" wild "q-$r.dga.test" A
		ask "$r" nx --full "nx-$r.test" A
		ask "$r" cname alias.test A
		ask "$r" big --full big.test TXT
		ask "$r" sub host.sub.test A
		ask "$r" ptr 80.2.0.192.in-addr.arpa PTR
		ask "$r" mx test MX
	) &
done
wait
tb_note "answers in after ${SECONDS} s"

for r in $resolvers; do
	addr_var="TB_$(printf '%s' "$r" | tr a-z A-Z)_ADDR"
	raddr=${!addr_var}
	get() { cat "$ans/$r.$1"; }
	tb_check "$r: www.test A over UDP" tb_contains "$(get a)" 192.0.2.80
	tb_check "$r: www.test AAAA over TCP" tb_contains "$(get aaaa)" 2001:db8::80
	tb_check "$r: q-$r.dga.test A (wildcard)" tb_contains "$(get wild)" 203.0.113.7
	tb_check "$r: nx-$r.test is NXDOMAIN" tb_contains "$(get nx)" "status: NXDOMAIN"
	cn='[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+CNAME[[:space:]]+'
	tb_check "$r: CNAME chain alias -> alias2 -> alias3 -> www.example" tb_text_matches_all \
		"$(get cname)" answer "^alias\.test\.${cn}alias2\.test\.$" \
		"^alias2\.test\.${cn}alias3\.test\.$" "^alias3\.test\.${cn}www\.example\.$"
	tb_check "$r: CNAME chain ends in an address" tb_contains "$(get cname)" 192.0.2.10
	tb_check "$r: big.test TXT is truncated over UDP" \
		tb_contains "$(get big)" "Truncated, retrying in TCP mode"
	tb_check "$r: big.test TXT arrives over TCP" tb_contains "$(get big)" "#53($raddr) (TCP)"
	tb_check "$r: big.test TXT has all eight strings" tb_contains "$(get big)" '"hhhhhhhh'
	tb_check "$r: host.sub.test A (sub-delegation with glue)" tb_contains "$(get sub)" 192.0.2.53
	tb_check "$r: reverse PTR" tb_contains "$(get ptr)" www.test.
	tb_check "$r: test MX" tb_contains "$(get mx)" "10 mail.test."
done

# A short, bounded dnsperf run from the last client address.
load=$(tb_script load --dir "$TB_DIR" --via unbound --qps 100 --seconds 1 2>&1)
completed=$(printf '%s\n' "$load" | sed -n 's/^ *Queries completed: *\([0-9]*\).*/\1/p')
tb_check "dnsperf load through Unbound completes queries" test "${completed:-0}" -ge 50
[ "${completed:-0}" -ge 50 ] || printf '%s\n' "$load" | tail -20

# Queries straight to the authoritative servers (no recursion).
a=$(tb_query --via auth --from "$TB_CLIENT5" www.example A 2>&1)
tb_check "auth: www.example A, direct" tb_contains "$a" 192.0.2.10
a=$(tb_query --via root --from "$TB_CLIENT5" --full www.test A 2>&1)
tb_check "root: refers test. to ns1.test" tb_contains "$a" "ns1.test."

tb_check "capture stops" tb_capture stop
tb_check "flush" tb_flush
tb_note "flushed after ${SECONDS} s"

# --- text logs ------------------------------------------------------------
# BIND authoritative: each resolver's own outgoing address, and the TCP
# retry ("T" flag) after the truncated UDP answer.
for r in bind unbound kresd; do
	tb_check "auth query log: q-$r.dga.test from ${out_addr[$r]}" tb_grep "$TB_AUTH_QUERYLOG" \
		"client @0x[0-9a-f]+ ${out_addr[$r]//./\\.}#[0-9]+ \(q-$r\.dga\.test\): query: q-$r\.dga\.test IN A "
done
tb_check "auth query log: big.test over TCP from the BIND resolver" tb_grep "$TB_AUTH_QUERYLOG" \
	"${TB_BIND_OUT//./\\.}#[0-9]+ \(big\.test\): query: big\.test IN TXT [-+][A-Z0-9()]*T"
# The forwarded query reaches the authoritative server from the BIND
# resolver (dnsmasq forwards to it) and the BIND resolver from dnsmasq's
# own outgoing address: the chain a traceback follows.
tb_check "auth query log: q-dnsmasq.dga.test from the BIND resolver" tb_grep "$TB_AUTH_QUERYLOG" \
	"${TB_BIND_OUT//./\\.}#[0-9]+ \(q-dnsmasq\.dga\.test\)"
tb_check "BIND resolver log: q-bind.dga.test from client ${client[bind]}" tb_grep "$TB_BIND_QUERYLOG" \
	"${client[bind]//./\\.}#[0-9]+ \(q-bind\.dga\.test\): query: q-bind\.dga\.test IN A \+"
tb_check "BIND resolver log: www.test AAAA over TCP" tb_grep "$TB_BIND_QUERYLOG" \
	"${client[bind]//./\\.}#[0-9]+ \(www\.test\): query: www\.test IN AAAA \+[A-Z0-9()]*T"
tb_check "BIND resolver log: q-dnsmasq.dga.test forwarded from $TB_DNSMASQ_OUT" \
	tb_grep "$TB_BIND_QUERYLOG" "${TB_DNSMASQ_OUT//./\\.}#[0-9]+ \(q-dnsmasq\.dga\.test\)"
tb_check "Unbound log: query from ${client[unbound]}" tb_grep "$TB_UNBOUND_LOG" \
	"query: ${client[unbound]//./\\.} q-unbound\.dga\.test\. A IN"
tb_check "Unbound log: dnsperf queries from $TB_CLIENT5" tb_grep "$TB_UNBOUND_LOG" \
	"query: ${TB_CLIENT5//./\\.} [a-z0-9.]+ (A|AAAA|MX) IN"
tb_check "Unbound log: NXDOMAIN reply" tb_grep "$TB_UNBOUND_LOG" \
	"reply: ${client[unbound]//./\\.} nx-unbound\.test\. A IN NXDOMAIN"
tb_check "dnsmasq log: query from ${client[dnsmasq]}" tb_grep "$TB_DNSMASQ_LOG" \
	"${client[dnsmasq]//./\\.}/[0-9]+ query\[A\] q-dnsmasq\.dga\.test from ${client[dnsmasq]//./\\.}"
tb_check "dnsmasq log: forwarded to the BIND resolver" tb_grep "$TB_DNSMASQ_LOG" \
	"forwarded q-dnsmasq\.dga\.test to ${TB_BIND_ADDR//./\\.}"
tb_check "dnsmasq log: reply" tb_grep "$TB_DNSMASQ_LOG" "reply q-dnsmasq\.dga\.test is 203\.0\.113\.7"

# --- dnstap ---------------------------------------------------------------
for n in root sub auth bind unbound kresd; do
	v="TB_$(printf '%s' "$n" | tr a-z A-Z)_DNSTAP"
	tb_check "dnstap file of $n is not empty" tb_nonempty "${!v}"
done
if command -v dnstap-read >/dev/null 2>&1; then
	t=$(tb_dnstap_text "$TB_ROOT_DNSTAP")
	for r in bind unbound kresd; do
		tb_check "root dnstap: queries from $r (${out_addr[$r]})" tb_text_matches "$t" \
			" AQ ${out_addr[$r]//./\\.}:[0-9]+ -> ${TB_ROOT_ADDR//./\\.}:53 " root
	done
	t=$(tb_dnstap_text "$TB_SUB_DNSTAP")
	tb_check "sub dnstap: host.sub.test" tb_text_matches "$t" " AQ .* host\.sub\.test/IN/A" sub
	t=$(tb_dnstap_text "$TB_AUTH_DNSTAP")
	for r in bind unbound kresd; do
		tb_check "auth dnstap: q-$r.dga.test query and response" tb_text_matches "$t" \
			" AR ${out_addr[$r]//./\\.}:[0-9]+ <- ${TB_AUTH_ADDR//./\\.}:53 UDP [0-9]+b q-$r\.dga\.test/IN/A" auth
	done
	tb_check "auth dnstap: big.test over TCP" tb_text_matches "$t" " AQ .* TCP [0-9]+b big\.test/IN/TXT" auth
	t=$(tb_dnstap_text "$TB_BIND_DNSTAP")
	tb_check "BIND resolver dnstap: client query" tb_text_matches "$t" \
		" CQ ${client[bind]//./\\.}:[0-9]+ -> ${TB_BIND_ADDR//./\\.}:53 UDP [0-9]+b q-bind\.dga\.test/IN/A" bind
	tb_check "BIND resolver dnstap: resolver query" tb_text_matches "$t" \
		" RQ .* -> ${TB_AUTH_ADDR//./\\.}:53 UDP [0-9]+b q-bind\.dga\.test/IN/A" bind
	t=$(tb_dnstap_text "$TB_UNBOUND_DNSTAP")
	tb_check "Unbound dnstap: client query" tb_text_matches "$t" \
		" CQ ${client[unbound]//./\\.}:[0-9]+ -> ${TB_UNBOUND_ADDR//./\\.}:53 UDP [0-9]+b q-unbound\.dga\.test/IN/A" unbound
	tb_check "Unbound dnstap: resolver query from its own address" tb_text_matches "$t" \
		" RQ ${TB_UNBOUND_OUT//./\\.}:[0-9]+ -> ${TB_AUTH_ADDR//./\\.}:53 UDP [0-9]+b q-unbound\.dga\.test/IN/A" unbound
	t=$(tb_dnstap_text "$TB_KRESD_DNSTAP")
	tb_check "kresd dnstap: client query and response" tb_text_matches "$t" \
		" CR ${client[kresd]//./\\.}:[0-9]+ <- ${TB_KRESD_ADDR//./\\.}:53 UDP [0-9]+b q-kresd\.dga\.test/IN/A" kresd
else
	tb_note "dnstap-read not installed: dnstap files checked for size only"
fi

# --- capture --------------------------------------------------------------
tb_check "capture file exists" tb_nonempty "$TB_CAPTURE"
p=$(tcpdump -nr "$TB_CAPTURE" 2>/dev/null)
for r in bind unbound kresd dnsmasq; do
	addr_var="TB_$(printf '%s' "$r" | tr a-z A-Z)_ADDR"
	tb_check "capture: $r's client query" tb_text_matches "$p" \
		"IP ${client[$r]//./\\.}\.[0-9]+ > ${!addr_var//./\\.}\.53: [0-9]+\+.* A\? q-$r\.dga\.test\. " capture
	tb_check "capture: $r's TCP retry for big.test" tb_text_matches "$p" \
		"IP ${client[$r]//./\\.}\.[0-9]+ > ${!addr_var//./\\.}\.53: Flags \[S\]" capture
done
# The last query before "capture stop" must be in the file too (libpcap
# may hold packets in its ring for up to a second).
tb_check "capture: the last query before capture stop" tb_text_matches "$p" \
	"IP ${TB_CLIENT5//./\\.}\.[0-9]+ > ${TB_ROOT_ADDR//./\\.}\.53: [0-9]+ .*A\? www\.test\. " capture
tb_check "capture: dnsmasq forwards from its own address" tb_text_matches "$p" \
	"IP ${TB_DNSMASQ_OUT//./\\.}\.[0-9]+ > ${TB_BIND_ADDR//./\\.}\.53: .* q-dnsmasq\.dga\.test\. " capture
tb_check "capture: authoritative answer to the BIND resolver" tb_text_matches "$p" \
	"IP ${TB_AUTH_ADDR//./\\.}\.53 > ${TB_BIND_OUT//./\\.}\.[0-9]+: .* A 203\.0\.113\.7" capture

tb_note "checked after ${SECONDS} s"
tb_stop_and_check_clean
tb_note "stopped after ${SECONDS} s"
tb_finish
