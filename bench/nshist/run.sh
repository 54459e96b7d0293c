#!/bin/sh
# NS-history benchmark: the check against a history of 1,000,000 name
# servers (bench_nshist), and the cost of building the history from the
# benchmark capture against decoding it (BENCHMARKS.md, "NS-record
# history"). CPU time (user + system), medians of RUNS runs (3).
#
#   BUILD_DIR=build bench/nshist/run.sh [bench.pcap]
#   RUNS=7 CPU=1 BEFORE=/path/to/old/dnshound bench/nshist/run.sh bench.pcap
#
# CPU pins every command to that core (taskset). BEFORE times an older
# dnshound as well, run by run in turn with this one, so that both see the
# same load (a shared machine's neighbours come and go); its figures are
# printed with a "before_" prefix. CHECK=0 skips bench_nshist.
#
# The capture is the shared generator's 2,000,000-message file:
#   python3 ../shared/bench/gen_dns_pcap.py --packets 2000000 --seed 1 --out bench.pcap
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD_DIR:-$here/../../build}
bin=$build/bench/nshist/bench_nshist
dh=$build/src/cli/dnshound
[ -x "$bin" ] && [ -x "$dh" ] || { echo "run.sh: build first: ninja -C $build" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT INT TERM

median() { # key, then lines of key=value output on stdin
	tr ' ' '\n' | sed -n "s/^$1=//p" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'
}

runs=${RUNS:-3}
pin=
[ -n "${CPU:-}" ] && pin="taskset -c $CPU"

uptime
if [ "${CHECK:-1}" != 0 ]; then
	for run in $(seq "$runs"); do
		$pin "$bin" 1000000 20000000 "$run"
	done >"$scratch/check.txt"
	cat "$scratch/check.txt"
	echo "median of $runs runs, 1,000,000 name servers, 20,000,000 checks each:"
	for k in checks_per_cpu_s classify_per_cpu_s mb_per_million_rows peak_rss_mb; do
		printf '  %-22s %s\n' "$k" "$(median "$k" <"$scratch/check.txt")"
	done
fi

[ $# -ge 1 ] || exit 0
pcap=$1
cpu() { # command...: prints user+system seconds of one run
	/usr/bin/time -f '%U %S' -o "$scratch/t" $pin "$@" >/dev/null 2>&1
	awk '{printf "%.2f\n", $1 + $2}' "$scratch/t"
}
builds() { # prefix, dnshound: one run of each command
	echo "${1}decode=$(cpu "$2" decode --count "$pcap")"
	rm -rf "$scratch/s"
	echo "${1}build=$(cpu "$2" nshist build -q --store "$scratch/s" "$pcap")"
	echo "${1}rebuild=$(cpu "$2" nshist build -q --store "$scratch/s" "$pcap")"
	rm -rf "$scratch/s"
	echo "${1}build_ns_only=$(cpu "$2" nshist build -q --no-answers --store "$scratch/s" "$pcap")"
}
for run in $(seq "$runs"); do
	[ -z "${BEFORE:-}" ] || builds before_ "$BEFORE"
	builds "" "$dh"
done >"$scratch/build.txt"
echo "median of $runs runs, CPU seconds for $pcap:"
keys="decode build rebuild build_ns_only"
[ -z "${BEFORE:-}" ] || keys="$keys before_decode before_build before_rebuild before_build_ns_only"
for k in $keys; do
	printf '  %-21s %s   (%s)\n' "$k" "$(median "$k" <"$scratch/build.txt")" \
		"$(sed -n "s/^$k=//p" "$scratch/build.txt" | tr '\n' ' ')"
done
uptime
