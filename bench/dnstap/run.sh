#!/bin/bash
# What dnstap into "dnshound listen" costs a busy DNS server (issue 3).
#
# Unbound answers from a local zone (no upstream, so only the server's
# own work limits it) in a network namespace of its own; dnsperf asks as
# fast as it can for SECONDS seconds. Runs alternate between dnstap off
# and dnstap on (client queries and responses to dnshound listen, which
# decodes every frame into an event and formats it), RUNS of each, and
# the script prints the median queries/s of each, their ratio, and the
# frames the listener received against the frames Unbound should have
# sent (two per query: CLIENT_QUERY and CLIENT_RESPONSE). A third
# setting sends the same dnstap to fstrm_capture (fstrm-bin), the
# reference reader, which tells the cost of dnstap in the server from the
# cost of our listener. The target:
# less than 5% fewer queries/s with dnstap on, and no frame lost.
#
# Usage (root): bench/dnstap/run.sh DNSHOUND [SECONDS [RUNS]]
#   DNSHOUND  the dnshound binary (BUILD/src/cli/dnshound)
#   SECONDS   length of each dnsperf run (default 15)
#   RUNS      runs of each setting (default 3; the median is reported)
# Environment: BENCH_OUTPUT=text|json|store (what listen does with the
# events; default text to /dev/null), BENCH_QPS=N sends at most N
# queries/s (default: as fast as the server answers), BENCH_NICE=N runs
# the readers at that nice level (default 0), BENCH_KEEP=1 keeps
# the directory.
set -eu
DH=$(realpath "${1:?usage: run.sh DNSHOUND [SECONDS [RUNS]]}")
SECONDS_RUN=${2:-15}
RUNS=${3:-3}
OUTPUT=${BENCH_OUTPUT:-text}
PATH="$PATH:/usr/sbin:/sbin"
[ "$(id -u)" -eq 0 ] || {
	echo "run.sh: needs root (network namespace)" >&2
	exit 77
}
for t in unbound dnsperf ip; do
	command -v "$t" >/dev/null || {
		echo "run.sh: $t is not installed (bash scripts/deps.sh)" >&2
		exit 77
	}
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/dnshound-bench-dnstap.XXXXXX")
ns="dh-bench-${dir##*.}"
unbound_pid=""
listen_pid=""
stop_pid() { # pid
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
cleanup() {
	stop_pid "$unbound_pid"
	stop_pid "$listen_pid"
	ip netns del "$ns" 2>/dev/null || true
	[ "${BENCH_KEEP:-0}" = 1 ] && echo "kept $dir" >&2 || rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up

# 1000 names in a local zone: answered from Unbound's local data, never
# from upstream and never from the cache.
{
	for i in $(seq 1000); do
		printf 'h%d.bench. A\n' "$i"
	done
} >"$dir/queries.txt"
write_conf() { # dnstap: 0 or 1
	{
		printf 'server:\n'
		printf '\tinterface: 127.0.0.1\n\tport: 53\n\tdo-ip6: no\n\tnum-threads: 1\n'
		printf '\tusername: ""\n\tchroot: ""\n\tdirectory: "%s"\n' "$dir"
		printf '\tpidfile: "%s/unbound.pid"\n\tuse-syslog: no\n\tlogfile: "%s/unbound.log"\n' \
			"$dir" "$dir"
		printf '\tverbosity: 0\n\taccess-control: 127.0.0.0/8 allow\n'
		printf '\tmodule-config: "iterator"\n\tlocal-zone: "bench." static\n'
		for i in $(seq 1000); do
			printf '\tlocal-data: "h%d.bench. 300 IN A 192.0.2.%d"\n' "$i" $((i % 250 + 1))
		done
		printf 'remote-control:\n\tcontrol-enable: no\n'
		if [ "$1" = 1 ]; then
			printf 'dnstap:\n\tdnstap-enable: yes\n\tdnstap-socket-path: "%s/dt.sock"\n' "$dir"
			printf '\tdnstap-send-identity: yes\n\tdnstap-identity: "bench"\n'
			printf '\tdnstap-log-client-query-messages: yes\n'
			printf '\tdnstap-log-client-response-messages: yes\n'
		fi
	} >"$dir/unbound-$1.conf"
}
write_conf 0
write_conf 1

wait_udp53() {
	for _ in $(seq 100); do
		ip netns exec "$ns" ss -Hlnu 2>/dev/null | grep -q '127.0.0.1:53 ' && return 0
		sleep 0.1
	done
	echo "run.sh: unbound did not start; see $dir/unbound.log" >&2
	return 1
}

# One run: prints "qps sent completed frames".
one_run() { # dnstap: 0 or 1, run number
	local tap=$1 n=$2 frames=0
	if [ "$tap" = 2 ]; then
		# The reference reader: fstrm_capture writing the frames to a
		# file, so the cost of dnstap itself shows apart from ours.
		nice -n "${BENCH_NICE:-0}" fstrm_capture -t protobuf:dnstap.Dnstap -u "$dir/dt.sock" -w "$dir/ref-$n.fstrm" \
			>"$dir/ref-$n.err" 2>&1 &
		listen_pid=$!
		for _ in $(seq 50); do [ -S "$dir/dt.sock" ] && break; sleep 0.1; done
	fi
	if [ "$tap" = 1 ]; then
		local args=(--socket "$dir/dt.sock")
		case "$OUTPUT" in
		json) args+=(--json) ;;
		store) args+=(--store "$dir/store-$n") ;;
		esac
		nice -n "${BENCH_NICE:-0}" "$DH" listen "${args[@]}" >/dev/null 2>"$dir/listen-$n.err" &
		listen_pid=$!
		for _ in $(seq 50); do [ -S "$dir/dt.sock" ] && break; sleep 0.1; done
		[ -S "$dir/dt.sock" ] || {
			echo "run.sh: dnshound listen made no socket; see $dir/listen-$n.err" >&2
			return 1
		}
	fi
	setsid ip netns exec "$ns" unbound -d -c "$dir/unbound-$((tap > 0)).conf" \
		</dev/null >>"$dir/unbound.out" 2>&1 &
	unbound_pid=$!
	wait_udp53
	# A short warm-up, so the dnstap connection is up before measuring.
	ip netns exec "$ns" dnsperf -s 127.0.0.1 -d "$dir/queries.txt" -n 1 >"$dir/warm.txt" 2>&1 || true
	ip netns exec "$ns" dnsperf -s 127.0.0.1 -d "$dir/queries.txt" -l "$SECONDS_RUN" \
		-c 8 -q 500 ${BENCH_QPS:+-Q "$BENCH_QPS"} >"$dir/dnsperf-$tap-$n.txt" 2>&1
	stop_pid "$unbound_pid"
	unbound_pid=""
	if [ "$tap" = 2 ]; then
		stop_pid "$listen_pid"
		listen_pid=""
		frames=$("$DH" decode --count "$dir/ref-$n.fstrm" 2>/dev/null |
			sed -n 's/^decoded \([0-9]*\) records.*/\1/p')
		# The count includes the file's START and STOP control frames.
		frames=$((${frames:-2} - 2))
		rm -f "$dir/ref-$n.fstrm"
	fi
	if [ "$tap" = 1 ]; then
		# CPU seconds the listener used (user + system), from /proc.
		awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f\n", ($14 + $15) / hz}' \
			"/proc/$listen_pid/stat" >"$dir/listen-cpu-$n" 2>/dev/null || true
		stop_pid "$listen_pid"
		listen_pid=""
		frames=$(sed -n 's/.*connections.*, \([0-9]*\) frames,.*/\1/p' "$dir/listen-$n.err")
	fi
	local f="$dir/dnsperf-$tap-$n.txt"
	local qps sent done_q
	qps=$(awk '/Queries per second:/ {print $4}' "$f")
	sent=$(awk '/Queries sent:/ {print $3}' "$f")
	done_q=$(awk '/Queries completed:/ {print $3}' "$f")
	# The warm-up's answered queries count too: their frames reach the
	# reader like the others.
	done_q=$((${done_q:-0} + $(awk '/Queries completed:/ {print $3}' "$dir/warm.txt")))
	printf '%s %s %s %s\n' "${qps:-0}" "${sent:-0}" "${done_q:-0}" "${frames:-0}"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "# Unbound $(unbound -V 2>/dev/null | awk '/^Version/ {print $2}'), 1 thread, local zone;"
echo "# dnsperf -c 8 -q 500 ${BENCH_QPS:+-Q $BENCH_QPS }for ${SECONDS_RUN} s; listen output: $OUTPUT; readers at nice ${BENCH_NICE:-0}; $(nproc) CPUs"
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-4s %-6s %12s %10s %10s %10s %12s\n' run dnstap qps sent answered frames expected
: >"$dir/off"
: >"$dir/on"
: >"$dir/ref"
REF=""
command -v fstrm_capture >/dev/null && REF=2
lost_total=0
for n in $(seq "$RUNS"); do
	for tap in 0 1 $REF; do
		read -r qps sent done_q frames < <(one_run "$tap" "$n")
		if [ "$tap" = 2 ]; then
			printf '%-4s %-6s %12s %10s %10s %10s %12s\n' "$n" fstrm "$qps" "$sent" "$done_q" \
				"$frames" ">= $((2 * done_q))"
			echo "$qps" >>"$dir/ref"
		elif [ "$tap" = 1 ]; then
			# Unbound writes a CLIENT_QUERY for every query it read and
			# a CLIENT_RESPONSE for every answer it sent.
			expected=$((2 * done_q))
			printf '%-4s %-6s %12s %10s %10s %10s %12s\n' "$n" on "$qps" "$sent" "$done_q" \
				"$frames" ">= $expected"
			[ "$frames" -ge "$expected" ] || lost_total=$((lost_total + expected - frames))
			echo "$qps" >>"$dir/on"
			echo "#    listener CPU: $(cat "$dir/listen-cpu-$n" 2>/dev/null) s in ${SECONDS_RUN} s"
		else
			printf '%-4s %-6s %12s %10s %10s %10s %12s\n' "$n" off "$qps" "$sent" "$done_q" - -
			echo "$qps" >>"$dir/off"
		fi
	done
done
off=$(median <"$dir/off")
on=$(median <"$dir/on")
[ -z "$REF" ] || echo "median qps with dnstap into fstrm_capture (reference reader): $(median <"$dir/ref")"
awk -v off="$off" -v on="$on" -v lost="$lost_total" 'BEGIN {
	r = off > 0 ? on / off : 0
	printf "median qps: dnstap off %.0f, dnstap on %.0f, ratio %.3f (%.1f%% %s)\n", \
		off, on, r, (r < 1 ? 1 - r : r - 1) * 100, r < 1 ? "slower" : "faster"
	printf "frames lost (answered queries without both frames): %d\n", lost
	printf "target (< 5%% slower, 0 lost): %s\n", (r > 0.95 && lost == 0) ? "met" : "NOT met"
}'
