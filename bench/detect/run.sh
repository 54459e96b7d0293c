#!/usr/bin/env bash
# run.sh - speed of dnshound detect, side by side in one run.
#
# Usage: bench/detect/run.sh [--build DIR] [--runs N] [--store-events N]
#                            [--skip capture,store] [CAPTURE]
#
#   CAPTURE         pcap for the file part. Default: the benchmark capture,
#                   generated into a scratch folder with
#                   ../shared/bench/gen_dns_pcap.py --packets 2000000 --seed 1
#                   (as bench/peers.sh does).
#   --store-events  events of the synthetic store for the store part
#                   (default 100000000; made by bench/store's generator,
#                   bench_store DIR N, about 39 bytes an event on disk).
#   --runs          timed runs per command (default 3); medians reported.
#   --skip          parts to leave out: capture, store, listen.
#
# 1. From the capture: `dnstop -l 3 FILE` (its counting pass: questions
#    only, tables printed at the end) beside `dnshound detect --quiet
#    FILE` (every message decoded into an event, every detector fed) and
#    `dnshound top FILE`; the ratio is dnstop's CPU over detect's.
# 2. Over the store: `dnshound detect --store DIR --quiet` on the
#    synthetic store (taskset to one core), CPU seconds and events per
#    CPU-second.
# 3. Live: the dnstap of a generated scenario (2000 clients, one hour)
#    replayed with fstrm_replay into `dnshound listen --store` (A) and
#    into `dnshound detect --follow -- listen --store` (B: the same loop
#    storing the same events, with the detectors hooked in), the same
#    frames at the same rate; the listeners' CPU seconds (GNU time, user
#    + system); what detection adds is B / A - 1.
#
# Times are bash's (user + system, children included); the page cache is
# warmed with cat before timing. Scratch files go to mktemp -d (TMPDIR)
# and are removed at the end.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build"
runs=3
store_events=100000000
skip=","
capture=""
while [ $# -gt 0 ]; do
	case "$1" in
	--build) build="$2"; shift ;;
	--runs) runs="$2"; shift ;;
	--store-events) store_events="$2"; shift ;;
	--skip) skip=",$2,"; shift ;;
	-h|--help) sed -n '2,27p' "$0"; exit 0 ;;
	*) capture="$1" ;;
	esac
	shift
done
dnshound=${DNSHOUND:-$build/src/cli/dnshound}
[ -x "$dnshound" ] || { echo "run.sh: build first (no $dnshound)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# timed NAME CMD: median wall and CPU of $runs runs into $tmp/res.
timed() {
	local name="$1" cmd="$2" line n
	: > "$tmp/w"; : > "$tmp/c"
	for n in $(seq "$runs"); do
		line=$( { TIMEFORMAT='%R %U %S'; time bash -c "$cmd" > /dev/null 2>&1; } 2>&1)
		# shellcheck disable=SC2086
		set -- $line
		echo "$1" >> "$tmp/w"
		awk -v u="$2" -v s="$3" 'BEGIN { printf "%.3f\n", u + s }' >> "$tmp/c"
	done
	printf '%s %s %s\n' "$name" "$(median < "$tmp/w")" "$(median < "$tmp/c")" >> "$tmp/res"
	echo "  $name: wall $(tr '\n' ' ' < "$tmp/w")s, cpu $(tr '\n' ' ' < "$tmp/c")s" >&2
}

echo "load before: $(uptime)" >&2
: > "$tmp/res"
d=$(printf '%q' "$dnshound")
case "$skip" in *,capture,*) ;; *)
	if [ -z "$capture" ]; then
		capture="$tmp/bench.pcap"
		echo "generating the benchmark capture ..." >&2
		python3 "$root/../shared/bench/gen_dns_pcap.py" --packets 2000000 --seed 1 --out "$capture" >&2 || exit 1
	fi
	f=$(printf '%q' "$capture")
	cat "$capture" > /dev/null
	msgs=$("$dnshound" decode --count "$capture" | awk '{ print $4 }')
	echo "capture: $capture, $msgs DNS messages" >&2
	command -v dnstop > /dev/null && timed dnstop "dnstop -l 3 $f"
	timed detect "$d detect --quiet $f"
	timed top "$d top $f"
	timed decode-count "$d decode --count $f"
	printf '%-14s %8s %8s %14s\n' command "wall s" "cpu s" "messages/CPU-s"
	while read -r name wall cpu; do
		awk -v n="$name" -v w="$wall" -v c="$cpu" -v m="$msgs" 'BEGIN { printf "%-14s %8.2f %8.2f %14.0f\n", n, w, c, (c > 0 ? m / c : 0) }'
	done < "$tmp/res"
	dt=$(awk '$1 == "dnstop" { print $3 }' "$tmp/res")
	de=$(awk '$1 == "detect" { print $3 }' "$tmp/res")
	[ -n "$dt" ] && awk -v a="$dt" -v b="$de" 'BEGIN { printf "dnstop CPU / detect CPU = %.2f\n", a / b }'
	;;
esac
case "$skip" in *,store,*) ;; *)
	gen="$build/bench/store/bench_store"
	[ -x "$gen" ] || { echo "run.sh: no $gen" >&2; exit 1; }
	echo "generating a store of $store_events events ..." >&2
	"$gen" "$tmp/store" "$store_events" 1 > "$tmp/gen.txt" || exit 1
	one=$(command -v taskset > /dev/null && echo "taskset -c 0" || echo "")
	: > "$tmp/res"
	timed detect-store "$one $d detect --store $tmp/store --quiet"
	read -r _ wall cpu < "$tmp/res"
	awk -v w="$wall" -v c="$cpu" -v n="$store_events" 'BEGIN { printf "detect over the store: %d events, wall %.2f s, cpu %.2f s, %.0f events per CPU-s\n", n, w, c, n / c }'
	;;
esac
case "$skip" in *,listen,*) ;; *)
	command -v fstrm_replay > /dev/null || { echo "run.sh: fstrm_replay (fstrm-bin) missing" >&2; exit 1; }
	echo "generating a scenario for the live part ..." >&2
	"$dnshound" scenario --out "$tmp/scen" --clients 2000 --hours 1 --quiet || exit 1
	dt="$tmp/scen/resolver.dnstap"
	: > "$tmp/live"
	for n in $(seq "$runs"); do
		for mode in listen detect; do
			sock="$tmp/l.sock"
			rm -rf "$tmp/ls" "$sock"
			if [ "$mode" = listen ]; then
				set -- "$dnshound" listen --socket "$sock" --store "$tmp/ls" -q
			else
				set -- "$dnshound" detect --follow --store "$tmp/ls" -- listen --socket "$sock" --store "$tmp/ls" -q
			fi
			/usr/bin/time -f '%U %S' -o "$tmp/t" "$@" > /dev/null 2> "$tmp/err" &
			tpid=$!
			for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
			fstrm_replay -t protobuf:dnstap.Dnstap -r "$dt" -u "$sock" 2> /dev/null
			sleep 1
			# The listener is time's only child.
			kill -TERM "$(pgrep -P "$tpid")" 2> /dev/null
			wait "$tpid"
			cpu=$(awk '{ printf "%.3f", $1 + $2 }' "$tmp/t")
			echo "$mode $cpu" >> "$tmp/live"
			echo "  $mode run $n: cpu $cpu s" >&2
		done
	done
	frames=$("$dnshound" decode --count "$dt" | awk '{ print $4 }')
	l=$(awk '$1 == "listen" { print $2 }' "$tmp/live" | median)
	dd=$(awk '$1 == "detect" { print $2 }' "$tmp/live" | median)
	awk -v l="$l" -v d="$dd" -v f="$frames" 'BEGIN { printf "live: %d dnstap frames; listen --store %.2f CPU-s (A), detect --follow -- listen --store %.2f (B): detection adds %.1f%%\n", f, l, d, (d / l - 1) * 100 }'
	;;
esac
echo "load after: $(uptime)" >&2
