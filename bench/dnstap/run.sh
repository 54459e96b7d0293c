#!/bin/bash
# What dnstap into "dnshound listen" costs a busy DNS server (issue 3).
#
# The server (BIND 9 authoritative, or Unbound answering from a local
# zone: no upstream, so only the server's own work limits it) runs in a
# network namespace of its own; dnsperf asks as fast as it can for
# SECONDS seconds. Runs alternate between dnstap off, dnstap on (client
# queries and responses to dnshound listen, which decodes every frame
# into an event and formats or stores it), and the same dnstap into
# fstrm_capture (fstrm-bin), the reference reader, which tells the cost
# of dnstap in the server from the cost of our listener. RUNS of each;
# the script prints the median queries/s of each, their ratio, and the
# frames each reader received against the frames the server should have
# sent (two per answered query: CLIENT_QUERY and CLIENT_RESPONSE). BIND
# also counts what it handed to its dnstap queue and what it dropped
# there (its statistics channel), so a loss is placed exactly: in the
# server's queue, or between the server and the reader. The target:
# less than 5% fewer queries/s with dnstap on, and no frame lost.
#
# Usage (root): bench/dnstap/run.sh DNSHOUND [SECONDS [RUNS]]
#   DNSHOUND  the dnshound binary (BUILD/src/cli/dnshound)
#   SECONDS   length of each dnsperf run (default 15)
#   RUNS      runs of each setting (default 3; the median is reported)
# Environment: BENCH_SERVER=bind|unbound (default bind),
# BENCH_THREADS=N the server's worker threads (default 1),
# BENCH_NOTIFY=N BIND's fstrm-set-output-notify-threshold (default 4096;
# BIND's own default is 32),
# BENCH_OUTPUT=text|json|store (what listen does with the events;
# default text to /dev/null), BENCH_QPS=N sends at most N queries/s
# (default: as fast as the server answers), BENCH_NICE=N runs the
# readers at that nice level (default 0), BENCH_PERF_NICE=N runs dnsperf
# at that nice level (default 0; a positive level lets the server and the
# reader go first, as if dnsperf ran on another machine), BENCH_KEEP=1
# keeps the directory.
set -eu
DH=$(realpath "${1:?usage: run.sh DNSHOUND [SECONDS [RUNS]]}")
SECONDS_RUN=${2:-15}
RUNS=${3:-3}
OUTPUT=${BENCH_OUTPUT:-text}
SERVER=${BENCH_SERVER:-bind}
THREADS=${BENCH_THREADS:-1}
NOTIFY=${BENCH_NOTIFY:-4096}
PATH="$PATH:/usr/sbin:/sbin"
[ "$(id -u)" -eq 0 ] || {
	echo "run.sh: needs root (network namespace)" >&2
	exit 77
}
case "$SERVER" in
bind) server_bin=named ;;
unbound) server_bin=unbound ;;
*)
	echo "run.sh: BENCH_SERVER must be bind or unbound, not '$SERVER'" >&2
	exit 2
	;;
esac
for t in "$server_bin" dnsperf ip python3; do
	command -v "$t" >/dev/null || {
		echo "run.sh: $t is not installed (bash scripts/deps.sh)" >&2
		exit 77
	}
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/dnshound-bench-dnstap.XXXXXX")
ns="dh-bench-${dir##*.}"
server_pid=""
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
	stop_pid "$server_pid"
	stop_pid "$listen_pid"
	ip netns del "$ns" 2>/dev/null || true
	[ "${BENCH_KEEP:-0}" = 1 ] && echo "kept $dir" >&2 || rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up

# 1000 names, answered from the server's own zone data: never from
# upstream, and (Unbound) never from the cache.
for i in $(seq 1000); do
	printf 'h%d.bench. A\n' "$i"
done >"$dir/queries.txt"

write_unbound_conf() { # dnstap: 0 or 1
	{
		printf 'server:\n'
		printf '\tinterface: 127.0.0.1\n\tport: 53\n\tdo-ip6: no\n\tnum-threads: %d\n' "$THREADS"
		printf '\tusername: ""\n\tchroot: ""\n\tdirectory: "%s"\n' "$dir"
		printf '\tpidfile: "%s/unbound.pid"\n\tuse-syslog: no\n\tlogfile: "%s/server.log"\n' \
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
	} >"$dir/server-$1.conf"
}

# BIND: dnsperf sets RD, and named files a query with RD as a client
# query whatever the zone, so "client" is logged along with "auth". The
# fstrm queues are at BIND's largest: 16384 messages per worker, 64 KiB
# writes, 1024 messages per write. The notify threshold is how many
# messages wait in a queue before named wakes its dnstap thread: BIND's
# default, 32, wakes it thousands of times a second at full rate, and
# the thread then falls behind and named drops messages (doc/dnstap.md
# has the runs); 4096 wakes it once per 4096 messages (or at the 1-s
# flush timeout), and nothing was dropped.
write_bind_conf() { # dnstap: 0 or 1
	{
		printf '$TTL 300\n@ IN SOA ns.bench. host.bench. 1 3600 600 86400 300\n'
		printf '@ IN NS ns.bench.\nns IN A 127.0.0.1\n'
		for i in $(seq 1000); do
			printf 'h%d IN A 192.0.2.%d\n' "$i" $((i % 250 + 1))
		done
	} >"$dir/bench.zone"
	{
		printf 'options {\n\tdirectory "%s";\n\tpid-file "%s/named.pid";\n' "$dir" "$dir"
		printf '\tlisten-on port 53 { 127.0.0.1; };\n\tlisten-on-v6 { none; };\n'
		printf '\trecursion no;\n\tallow-query { any; };\n\tnotify no;\n\tquerylog no;\n'
		if [ "$1" = 1 ]; then
			printf '\tdnstap { auth; client; };\n\tdnstap-output unix "%s/dt.sock";\n' "$dir"
			printf '\tdnstap-identity "bench";\n\tfstrm-set-flush-timeout 1;\n'
			printf '\tfstrm-set-input-queue-size 16384;\n\tfstrm-set-output-queue-size 1024;\n'
			printf '\tfstrm-set-buffer-hint 65536;\n'
			printf '\tfstrm-set-output-notify-threshold %d;\n' "$NOTIFY"
		fi
		printf '};\nstatistics-channels { inet 127.0.0.1 port 8053 allow { 127.0.0.1; }; };\n'
		printf 'logging { channel f { file "%s/server.log"; severity info; };\n' "$dir"
		printf '\tcategory default { f; }; };\n'
		printf 'zone "bench" { type primary; file "%s/bench.zone"; };\n' "$dir"
	} >"$dir/server-$1.conf"
}
"write_${SERVER}_conf" 0
"write_${SERVER}_conf" 1

start_server() { # dnstap: 0 or 1
	if [ "$SERVER" = bind ]; then
		setsid ip netns exec "$ns" named -g -u root -n "$THREADS" -c "$dir/server-$1.conf" \
			</dev/null >>"$dir/server.out" 2>&1 &
	else
		setsid ip netns exec "$ns" unbound -d -c "$dir/server-$1.conf" \
			</dev/null >>"$dir/server.out" 2>&1 &
	fi
	server_pid=$!
	for _ in $(seq 100); do
		ip netns exec "$ns" ss -Hlnu 2>/dev/null | grep -q '127.0.0.1:53 ' && return 0
		sleep 0.1
	done
	echo "run.sh: $server_bin did not start; see $dir/server.out" >&2
	return 1
}

# What BIND says of its dnstap: "handed-to-queue dropped-in-queue"
# (cumulative since it started), or "- -" for Unbound, which keeps no
# such counters.
server_dnstap_stats() {
	if [ "$SERVER" != bind ]; then
		echo "- -"
		return
	fi
	ip netns exec "$ns" python3 -c '
import json, urllib.request
d = json.load(urllib.request.urlopen("http://127.0.0.1:8053/json/v1/server", timeout=5))
t = d.get("dnstapstats", {})
print(t.get("DNSTAPsuccess", 0), t.get("DNSTAPdropped", 0))' 2>/dev/null || echo "? ?"
}

# One run: prints "qps sent answered frames queued dropped".
one_run() { # dnstap: 0 off, 1 listen, 2 fstrm_capture; run number
	local tap=$1 n=$2 frames=0 stats="- -"
	rm -f "$dir/dt.sock"
	if [ "$tap" = 2 ]; then
		nice -n "${BENCH_NICE:-0}" fstrm_capture -t protobuf:dnstap.Dnstap -u "$dir/dt.sock" \
			-w "$dir/ref-$n.fstrm" >"$dir/ref-$n.err" 2>&1 &
		listen_pid=$!
	fi
	if [ "$tap" = 1 ]; then
		local args=(--socket "$dir/dt.sock")
		case "$OUTPUT" in
		json) args+=(--json) ;;
		store) args+=(--store "$dir/store-$n") ;;
		esac
		nice -n "${BENCH_NICE:-0}" "$DH" listen "${args[@]}" >/dev/null 2>"$dir/listen-$n.err" &
		listen_pid=$!
	fi
	if [ "$tap" != 0 ]; then
		for _ in $(seq 50); do
			[ -S "$dir/dt.sock" ] && break
			sleep 0.1
		done
		[ -S "$dir/dt.sock" ] || {
			echo "run.sh: the reader made no socket; see $dir/listen-$n.err $dir/ref-$n.err" >&2
			return 1
		}
	fi
	start_server $((tap > 0))
	# A short warm-up, so the dnstap connection is up before measuring.
	ip netns exec "$ns" dnsperf -s 127.0.0.1 -d "$dir/queries.txt" -n 1 >"$dir/warm.txt" 2>&1 || true
	ip netns exec "$ns" nice -n "${BENCH_PERF_NICE:-0}" dnsperf -s 127.0.0.1 -d "$dir/queries.txt" \
		-l "$SECONDS_RUN" -c 8 -q 500 ${BENCH_QPS:+-Q "$BENCH_QPS"} >"$dir/dnsperf-$tap-$n.txt" 2>&1
	if [ "$tap" != 0 ]; then
		# Past the flush timeout, so the counters hold every message.
		sleep 1.5
		stats=$(server_dnstap_stats)
	fi
	if [ "$tap" = 1 ]; then
		# CPU seconds the listener used (user + system), from /proc.
		awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f s", ($14 + $15) / hz}' \
			"/proc/$listen_pid/stat" >"$dir/listen-cpu-$n" 2>/dev/null || true
	fi
	stop_pid "$server_pid"
	server_pid=""
	stop_pid "$listen_pid"
	listen_pid=""
	if [ "$tap" = 2 ]; then
		frames=$("$DH" decode --count "$dir/ref-$n.fstrm" 2>/dev/null |
			sed -n 's/^decoded \([0-9]*\) records.*/\1/p')
		# The count includes the file's START and STOP control frames.
		frames=$((${frames:-2} - 2))
		rm -f "$dir/ref-$n.fstrm"
	fi
	if [ "$tap" = 1 ]; then
		frames=$(sed -n 's/.*connections.*, \([0-9]*\) frames,.*/\1/p' "$dir/listen-$n.err")
		# The listener's buffer: its peak use and the frames that waited.
		sed -n 's/.*; \(buffer peak .*\)$/; \1/p' "$dir/listen-$n.err" >>"$dir/listen-cpu-$n"
		rm -rf "$dir/store-$n"
	fi
	local f="$dir/dnsperf-$tap-$n.txt"
	local qps sent done_q
	qps=$(awk '/Queries per second:/ {print $4}' "$f")
	sent=$(awk '/Queries sent:/ {print $3}' "$f")
	done_q=$(awk '/Queries completed:/ {print $3}' "$f")
	# The warm-up's answered queries count too: their frames reach the
	# reader like the others.
	done_q=$((${done_q:-0} + $(awk '/Queries completed:/ {print $3}' "$dir/warm.txt")))
	printf '%s %s %s %s %s\n' "${qps:-0}" "${sent:-0}" "${done_q:-0}" "${frames:-0}" "$stats"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

if [ "$SERVER" = bind ]; then
	version="BIND $(named -v 2>/dev/null | awk '{print $2}'), authoritative, notify threshold $NOTIFY"
else
	version="Unbound $(unbound -V 2>/dev/null | awk '/^Version/ {print $2}'), local zone"
fi
echo "# $version, $THREADS worker thread(s);"
echo "# dnsperf -c 8 -q 500 ${BENCH_QPS:+-Q $BENCH_QPS }for ${SECONDS_RUN} s at nice ${BENCH_PERF_NICE:-0}; listen output: $OUTPUT;" \
	"readers at nice ${BENCH_NICE:-0}; $(nproc) CPUs"
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# expected: 2 per answered query; queued, dropped: the server's own dnstap counters"
printf '%-4s %-6s %10s %9s %9s %9s %9s %9s %8s\n' run dnstap qps sent answered frames expected \
	queued dropped
: >"$dir/off"
: >"$dir/on"
: >"$dir/ref"
: >"$dir/pairs"
REF=""
command -v fstrm_capture >/dev/null && REF=2
lost_total=0
ref_lost_total=0
for n in $(seq "$RUNS"); do
	for tap in 0 1 $REF; do
		read -r qps sent done_q frames queued dropped < <(one_run "$tap" "$n")
		expected=$((2 * done_q))
		lost=0
		[ "$frames" -ge "$expected" ] || lost=$((expected - frames))
		case "$tap" in
		0)
			name=off
			expected=-
			frames=-
			echo "$qps" >>"$dir/off"
			;;
		1)
			name=listen
			lost_total=$((lost_total + lost))
			echo "$qps" >>"$dir/on"
			# This run against the off run just before it: the
			# machine's load drifts less within a pair than across.
			awk -v on="$qps" -v off="$(tail -n 1 "$dir/off")" \
				'BEGIN {if (off > 0) printf "%.4f\n", on / off}' >>"$dir/pairs"
			;;
		2)
			name=fstrm
			ref_lost_total=$((ref_lost_total + lost))
			echo "$qps" >>"$dir/ref"
			;;
		esac
		printf '%-4s %-6s %10.0f %9s %9s %9s %9s %9s %8s\n' "$n" "$name" "$qps" "$sent" \
			"$done_q" "$frames" "$expected" "$queued" "$dropped"
		if [ "$tap" != 0 ] && [ "$queued" != - ] && [ "$frames" != "$queued" ]; then
			echo "#    the reader received $frames of the $queued frames the server queued"
		fi
		if [ "$tap" = 1 ]; then
			echo "#    listener CPU in ${SECONDS_RUN} s: $(cat "$dir/listen-cpu-$n" 2>/dev/null)"
		fi
	done
done
off=$(median <"$dir/off")
on=$(median <"$dir/on")
if [ -n "$REF" ]; then
	printf 'median qps with dnstap into fstrm_capture (reference reader): %.0f; frames lost: %d\n' \
		"$(median <"$dir/ref")" "$ref_lost_total"
fi
pair=$(median <"$dir/pairs")
awk -v off="$off" -v on="$on" -v pair="$pair" -v lost="$lost_total" 'BEGIN {
	r = off > 0 ? on / off : 0
	printf "median qps: dnstap off %.0f, dnstap into listen %.0f, ratio %.3f (%.1f%% %s)\n", \
		off, on, r, (r < 1 ? 1 - r : r - 1) * 100, r < 1 ? "slower" : "faster"
	printf "median of the per-run ratios (each listen run / the off run before it): %.3f\n", pair
	printf "frames lost into listen (answered queries without both frames): %d\n", lost
	printf "target (< 5%% slower, 0 lost): %s\n", (r > 0.95 && lost == 0) ? "met" : "NOT met"
}'
