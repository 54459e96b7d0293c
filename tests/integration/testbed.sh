#!/bin/bash
# Integration test on the real-server testbed (doc/testbed.md): scripted
# client queries with known sources, names and types go through every
# resolver; then dnshound decodes each server's text log, each dnstap
# file and the packet capture, and check_sources.py checks that they
# agree with what was sent and with each other (doc/dnstap.md lists the
# differences that have a real reason). Knot Resolver's dnstap goes to
# "dnshound listen" instead of fstrm_capture, and every dnstap file is
# also replayed into a listener (fstrm_replay) and must give the same
# events as decoding the file.
#
# Usage: testbed.sh DNSHOUND. Needs root and the servers; skips (77)
# without them.
set -u
DH=$1
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../testbed/lib.sh
. "$here/../testbed/lib.sh"
tb_init
command -v fstrm_replay >/dev/null 2>&1 || tb_skip "fstrm_replay (fstrm-bin) not installed"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
t0=$(date +%s)
tb_start
out="$TB_DIR/integration"
mkdir -p "$out"

# Knot Resolver's collector gives way to dnshound listen on the same
# socket; kresd's Frame Streams writer reconnects by itself.
listen_pid=""
stop_listener() {
	[ -n "$listen_pid" ] || return 0
	kill -TERM "$listen_pid" 2>/dev/null || true
	wait "$listen_pid" 2>/dev/null
	listen_pid=""
}
read -r dtpid <"$TB_DIR/run/dt-kresd.pid"
kill -TERM "$dtpid"
for _ in $(seq 50); do kill -0 "$dtpid" 2>/dev/null || break; sleep 0.1; done
rm -f "$TB_DIR/dnstap/kresd.sock"
"$DH" listen --socket "$TB_DIR/dnstap/kresd.sock" --json -q \
	>"$out/kresd-live.json" 2>"$out/kresd-live.err" &
listen_pid=$!
trap 'stop_listener; tb_cleanup' EXIT
tb_capture start
# kresd reopens its socket after a few seconds (libfstrm's reopen
# interval): ask until a probe shows up in the listener's output.
live=0
for i in $(seq 15); do
	tb_query --via kresd --from "$TB_CLIENT3" "probe$i.dga.test" A >/dev/null 2>&1
	sleep 1
	if grep -q "probe[0-9]*\.dga\.test" "$out/kresd-live.json"; then
		live=1
		break
	fi
done
tb_check "kresd reconnects to dnshound listen" test "$live" = 1
tb_note "kresd connected to the listener after $i probes"

# The scripted queries: per resolver, from its own client address, a
# new wildcard name over UDP and over TCP (answer 203.0.113.7) and a
# name that does not exist (NXDOMAIN from the authoritative server).
declare -A client=([bind]=$TB_CLIENT1 [unbound]=$TB_CLIENT2 [kresd]=$TB_CLIENT3 [dnsmasq]=$TB_CLIENT4)
for r in bind unbound kresd dnsmasq; do
	(
		tb_query --via "$r" --from "${client[$r]}" "it-udp-$r.dga.test" A
		tb_query --via "$r" --from "${client[$r]}" --tcp "it-tcp-$r.dga.test" A
		tb_query --via "$r" --from "${client[$r]}" "it-nx-$r.test" A
	) >"$out/answers.$r" 2>&1 &
done
wait_pids=$(jobs -p | grep -vx "$listen_pid")
# shellcheck disable=SC2086
wait $wait_pids
tb_capture stop
tb_flush
sleep 0.5
stop_listener

# Decode every source.
dec() { # name, file, [options]
	local name=$1 file=$2
	shift 2
	"$DH" decode --json "$@" "$file" >"$out/$name.json" 2>"$out/$name.err"
	tb_check "decode $name ($(wc -l <"$out/$name.json") events)" test -s "$out/$name.json"
}
dec capture "$TB_CAPTURE"
dec bind-log "$TB_BIND_QUERYLOG" --format auto
dec auth-log "$TB_AUTH_QUERYLOG" --format auto
dec unbound-log "$TB_UNBOUND_LOG" --format auto
dec dnsmasq-log "$TB_DNSMASQ_LOG" --format auto
for n in bind auth unbound root; do
	f="$TB_DIR/dnstap/$n.fstrm"
	dec "$n-dnstap" "$f"
	# The same file through a listener: the same events, with roles.
	sock="$out/replay-$n.sock"
	"$DH" listen --socket "$sock" --json -q >"$out/$n-replay.json" 2>"$out/$n-replay.err" &
	lp=$!
	for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
	fstrm_replay -t protobuf:dnstap.Dnstap -r "$f" -u "$sock" 2>"$out/$n-fstrm_replay.err"
	sleep 0.3
	kill -TERM "$lp"
	wait "$lp"
	tb_check "listen exits 0 after the replay of $n" test $? = 0
done

tb_note "sources decoded in $out after $(($(date +%s) - t0)) s"
[ -z "${DH_IT_SAVE:-}" ] || cp -r "$out" "$DH_IT_SAVE"
"$PY" "$here/check_sources.py" "$out" && TB_PASSED=$((TB_PASSED + 1)) || TB_FAILED=$((TB_FAILED + 1))
tb_stop_and_check_clean
tb_note "integration test took $(($(date +%s) - t0)) s"
tb_finish
