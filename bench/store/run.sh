#!/bin/sh
# Store benchmark: ingest rate, bytes per event, peak RSS and lookup
# latency. Three runs of 2,000,000 events, then the median of each figure;
# with an argument N, one more run of N events.
#
#   BUILD_DIR=build bench/store/run.sh [N]
#
# Stores are made in a scratch directory (mktemp -d, honours TMPDIR) and
# removed afterwards.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD_DIR:-$here/../../build}
bin=$build/bench/store/bench_store
[ -x "$bin" ] || { echo "run.sh: build first: ninja -C $build" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT INT TERM

median() { # key, then lines of key=value output on stdin
	tr ' ' '\n' | sed -n "s/^$1=//p" | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'
}

out=$scratch/runs.txt
: >"$out"
for run in 1 2 3; do
	rm -rf "$scratch/store"
	"$bin" "$scratch/store" 2000000 "$run" | tee -a "$out"
done
echo "median of 3 runs, 2000000 events:"
for k in events_per_s events_per_cpu_s bytes_per_event apparent_bytes_per_event peak_rss_mb \
	name_lookup_ms_median name_lookup_ms_p90 name_lookup_cpu_ms_median name_hits_avg \
	client_lookup_ms_median client_lookup_ms_p90 client_lookup_cpu_ms_median client_hits_avg \
	brief_name_ms_median brief_name_ms_p90 brief_name_cpu_ms_median brief_name_hits_avg \
	brief_client_ms_median brief_client_ms_p90 brief_client_cpu_ms_median brief_client_hits_avg; do
	printf '  %-26s %s\n' "$k" "$(median "$k" <"$out")"
done

if [ $# -ge 1 ]; then
	rm -rf "$scratch/store"
	echo "one run, $1 events:"
	"$bin" "$scratch/store" "$1" 1
fi
