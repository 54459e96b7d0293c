#!/usr/bin/env bash
# Traceback on the real-server testbed (seed 000 end to end), as
# scripts/testbed-trace.sh runs it for the demo: agents beside BIND
# authoritative, the BIND and Unbound resolvers and the dnsmasq forwarder;
# benign clients resolve the victim's name first, two bots later from the
# caches (one behind the forwarder, one at Unbound), then attack with
# spoofed sources and with a bot's own address. The checks read the
# answers the script wrote.
#
# Needs root and the testbed's servers (skips otherwise).
set -u
. "$(dirname "$0")/lib.sh"
tb_init
DH=${DH_BUILD_ROOT:-build}/src/cli/dnshound
[ -x "$DH" ] || tb_skip "dnshound not built at $DH"
command -v certtool >/dev/null || tb_skip "certtool (gnutls-bin) not installed"

W=$(mktemp -d "${TMPDIR:-/tmp}/dh-tbtrace-XXXXXX")
finish() {
	local rc=$?
	if [ "${TB_KEEP:-0}" = 1 ]; then tb_note "kept $W"; else rm -rf "$W"; fi
	exit "$rc"
}
trap finish EXIT
bash "$DH_SOURCE_ROOT/tests/agent/mkcerts.sh" "$W/certs" || exit 1
rc=0
TB_SETTLE=15 TB_WINDOW=10 bash "$DH_SOURCE_ROOT/scripts/testbed-trace.sh" "$DH" "$W/certs" \
	"$W/out" || rc=$?
[ "$rc" -ne 77 ] || tb_skip "the testbed cannot run here"
tb_check "testbed-trace.sh ran the world and its three traces" test "$rc" -eq 0
[ "$rc" -eq 0 ] || exit 1
O=$W/out
eval "$(python3 -c '
import json, sys
w = json.load(open(sys.argv[1]))
print("BOT_FWD=%s BOT_UNB=%s BENIGN=\"%s\" CC_NAME=%s" % (w["bots"][0]["host"], w["bots"][1]["host"],
      " ".join(w["benign"]), w["cc_name"]))' "$O/world.json")"
BOTS="$BOT_FWD $BOT_UNB"

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
RANKED='(lambda h: all(b in h for b in bots) and all(h.index(b) < h.index(x) for b in bots for x in benign if x in h))([c["host"] for c in a["candidates"]])'
tb_check "both bots are candidates, ranked above every benign host" \
	check_json "$O/spoofed.json" "$RANKED" "$BOTS" "$BENIGN"
tb_check "the bot behind the forwarder is traced through dnsmasq's agent" \
	check_json "$O/spoofed.json" \
	'any(c["host"] == bots[0] and "dnsmasq.example" in c["path"] and "bind.example" in c["path"] for c in a["candidates"])' \
	"$BOTS" "$BENIGN"
tb_check "the spoofed sources are found spoofed" \
	check_json "$O/spoofed.json" 'a["sources"] and all(s["spoofed"] is True for s in a["sources"])' \
	"$BOTS" "$BENIGN"
tb_check "a bot attacking with its own address is not spoofed" \
	check_json "$O/own.json" 'a["spoofed"] is False' "$BOTS" "$BENIGN"
tb_check "the C&C name is the first C&C candidate" \
	check_json "$O/spoofed.json" 'a["cc_candidates"] and a["cc_candidates"][0]["name"] == "'$CC_NAME'"' \
	"$BOTS" "$BENIGN"
tb_check "the destination looked back beyond the window (the TTL)" \
	check_json "$O/spoofed.json" 'a["lookback_s"] >= 60' "$BOTS" "$BENIGN"

tb_check "the cache hid end hosts' queries from the authoritative server (seed 000 6.4)" \
	python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); print("     cache: %s" % c); sys.exit(not (c["end_host_queries"] == 5 and 0 < c["destination_queries"] < 5))' "$O/cache.json"
# One agent down: the trace still answers and names it.
tb_check "with Unbound's agent stopped, it is named unreached" \
	check_json "$O/down.json" '[u["agent"] for u in a["unreached"]] == ["unbound.example"]' \
	"$BOTS" "$BENIGN"
tb_check "and the bot behind the forwarder is still found" \
	check_json "$O/down.json" 'bots[0] in [c["host"] for c in a["candidates"]]' "$BOTS" "$BENIGN"
for n in auth bind dnsmasq unbound; do
	tb_check "audit log of $n verifies" grep -qx "$n ok" "$O/audit.txt"
done
[ "$TB_FAILED" -eq 0 ] || for f in "$O"/*.err "$O"/*.log; do tb_note "$f:"; tail -5 "$f"; done
tb_finish
