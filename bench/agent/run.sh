#!/usr/bin/env bash
# The traceback agents' speed over real HTTPS on loopback (issue targets:
# a full traceback over three agents at most 100 ms at the 99th
# percentile with connections kept alive; one agent answering 1,000
# requests per second from authorised peers while it ingests).
#
# usage: bench/agent/run.sh BUILD [EVENTS [RUNS [SECONDS]]]
#   BUILD    the build directory (dnshound and bench/agent/bench_agent)
#   EVENTS   background events per store (default 1000000)
#   RUNS     repetitions of each measurement (default 3)
#   SECONDS  length of each measurement (default 10)
# Three agents: dest (the victim name's authoritative server) relays to
# r1 and r2 (two resolvers). r1 follows a query log that a writer appends
# to at INGEST_RATE lines per second (default 2000) during its runs.
set -eu
B=$(cd "$1" && pwd)
EVENTS=${2:-1000000}
RUNS=${3:-3}
SECS=${4:-10}
RATE=${INGEST_RATE:-2000}
THREADS=${BENCH_THREADS:-4}
here=$(cd "$(dirname "$0")" && pwd)
DH=$B/src/cli/dnshound
BA=$B/bench/agent/bench_agent
W=$(mktemp -d "${TMPDIR:-/tmp}/dh-bench-agent-XXXXXX")
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT

bash "$here/../../tests/agent/mkcerts.sh" "$W/certs" >/dev/null
C=$W/certs
fp() { certtool --fingerprint --hash sha256 --infile "$C/$1.pem" | tr -d ':' | tr A-F a-f; }
echo "making three stores of $EVENTS events each" >&2
"$BA" stores "$W" "$EVENTS"

conf() { # name cert server lines...
	local n=$1 c=$2 s=$3
	shift 3
	{
		printf '[agent]\nname = %s\nlisten = 127.0.0.1\nport = 0\nthreads = 4\n' "$n"
		printf 'cert = %s\nkey = %s\nca = %s\n' "$C/$c.pem" "$C/$c.key" "$C/ca.pem"
		printf 'store = %s\naudit = %s\nserver = %s\naudit-sync = %s\n' "$W/$n.store" "$W/$n.audit" "$s" "${AUDIT_SYNC:-periodic}"
		printf '%s\n' "$@"
	} >"$W/$n.conf"
}
start() { # name; prints its port
	"$DH" agent --config "$W/$1.conf" >/dev/null 2>"$W/$1.err" &
	PIDS="$PIDS $!"
	for _ in $(seq 200); do
		p=$(sed -n 's/.*serving \[[^]]*\]:\([0-9]*\).*/\1/p' "$W/$1.err")
		[ -n "$p" ] && { echo "$p"; return; }
		sleep 0.05
	done
	cat "$W/$1.err" >&2
	exit 1
}
touch "$W/r1-live.log"
VIC="[peer victim]
fingerprint = $(fp victim)
rights = ask,clients,confirm"
conf r1 res 10.0.0.1 "$VIC" "[peer dest]" "fingerprint = $(fp dest)" "rights = relay,clients,confirm" \
	"[source live]" "type = follow" "path = $W/r1-live.log" "format = bind"
conf r2 unb 10.0.0.2 "$VIC" "[peer dest]" "fingerprint = $(fp dest)" "rights = relay,clients,confirm"
P1=$(start r1)
P2=$(start r2)
conf dest dest 198.51.100.1 "$VIC" \
	"[peer r1]" "fingerprint = $(fp res)" "url = https://localhost:$P1" "server = 10.0.0.1" "rights = relay" \
	"[peer r2]" "fingerprint = $(fp unb)" "url = https://localhost:$P2" "server = 10.0.0.2" "rights = relay"
PD=$(start dest)
TLS="$C/victim.pem $C/victim.key $C/ca.pem"

# The writer: INGEST_RATE lines a second into r1's followed log.
writer() {
	python3 - "$W/r1-live.log" "$RATE" "$1" <<'PY'
import sys, time
path, rate, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
end = time.time() + secs
i = 0
with open(path, 'a') as f:
    while time.time() < end:
        t = time.time()
        stamp = time.strftime('%d-%b-%Y %H:%M:%S', time.gmtime(t)) + '.%03d' % int((t % 1) * 1000)
        for _ in range(rate // 10):
            i += 1
            f.write('%s queries: info: client @0x7f5a1c0a4e98 10.18.%d.%d#4242 (n%d.live.example): '
                    'query: n%d.live.example IN A +E(0)K (10.0.0.1)\n'
                    % (stamp, i // 250 % 250, i % 250 + 1, i % 5000, i % 5000))
        f.flush()
        time.sleep(max(0, 0.1 - (time.time() - t)))
PY
}

echo "audit-sync = ${AUDIT_SYNC:-periodic}; load: $(uptime)"
for r in $(seq "$RUNS"); do
	printf 'full traceback (victim -> dest -> r1, r2), 1 thread, run %d: ' "$r"
	# shellcheck disable=SC2086
	"$BA" load "https://localhost:$PD" $TLS 1 "$SECS"
done
for r in $(seq "$RUNS"); do
	printf 'full traceback, %d threads, run %d: ' "$THREADS" "$r"
	# shellcheck disable=SC2086
	"$BA" load "https://localhost:$PD" $TLS "$THREADS" "$SECS"
done
for r in $(seq "$RUNS"); do
	writer "$SECS" &
	WP=$!
	printf 'one agent (r1) while ingesting %d lines/s, %d threads, run %d: ' "$RATE" "$THREADS" "$r"
	# shellcheck disable=SC2086
	"$BA" load "https://localhost:$P1" $TLS "$THREADS" "$SECS"
	wait "$WP"
done
sleep 2
"$DH" agent status --url "https://localhost:$P1" --cert "$C/res.pem" --key "$C/res.key" \
	--ca "$C/ca.pem" | python3 -c 'import json,sys; s=json.load(sys.stdin); i=s["ingest"]; print("r1 ingest: %d events, %d bad, %d drops, %d checkpoints" % (i["events"], i["bad"], i["drops"], i["checkpoints"]))'
echo "audit-sync = ${AUDIT_SYNC:-periodic}; load: $(uptime)"
