#!/bin/sh
# NS-history benchmark: the check against a history of 1,000,000 name
# servers (bench_nshist), and the cost of building the history from the
# benchmark capture against decoding it (BENCHMARKS.md, "NS-record
# history"). CPU time (user + system) of three runs each, medians.
#
#   BUILD_DIR=build bench/nshist/run.sh [bench.pcap]
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

uptime
for run in 1 2 3; do
	"$bin" 1000000 20000000 "$run"
done >"$scratch/check.txt"
cat "$scratch/check.txt"
echo "median of 3 runs, 1,000,000 name servers, 20,000,000 checks each:"
for k in checks_per_cpu_s classify_per_cpu_s mb_per_million_rows peak_rss_mb; do
	printf '  %-22s %s\n' "$k" "$(median "$k" <"$scratch/check.txt")"
done

[ $# -ge 1 ] || exit 0
pcap=$1
cpu() { # command...: prints user+system seconds of one run
	/usr/bin/time -f '%U %S' -o "$scratch/t" "$@" >/dev/null 2>&1
	awk '{printf "%.2f\n", $1 + $2}' "$scratch/t"
}
for run in 1 2 3; do
	echo "decode=$(cpu "$dh" decode --count "$pcap")"
	rm -rf "$scratch/s"
	echo "build=$(cpu "$dh" nshist build -q --store "$scratch/s" "$pcap")"
	echo "rebuild=$(cpu "$dh" nshist build -q --store "$scratch/s" "$pcap")"
	rm -rf "$scratch/s"
	echo "build_ns_only=$(cpu "$dh" nshist build -q --no-answers --store "$scratch/s" "$pcap")"
done >"$scratch/build.txt"
echo "median of 3 runs, CPU seconds for $pcap:"
for k in decode build rebuild build_ns_only; do
	printf '  %-14s %s\n' "$k" "$(median "$k" <"$scratch/build.txt")"
done
