#!/bin/sh
# Benchmarks the capture reader (and libpcap for comparison) on one capture:
# three runs each, median packets/s and DNS messages/s.
#
# Usage: bench/capture/run.sh CAPTURE [BUILD_DIR]
# The benchmark capture is made with the shared generator, for example
#   gen_dns_pcap.py --packets 2000000 --seed 1 --out bench.pcap
# BUILD_DIR defaults to "build"; it must hold a configured meson build.
set -eu
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 CAPTURE [BUILD_DIR]" >&2
	exit 2
fi
capture=$1
build=${2:-build}
ninja -C "$build" bench/capture/bench_capture >/dev/null
# One untimed pass puts the file in the page cache.
cat "$capture" >/dev/null
"$build/bench/capture/bench_capture" "$capture" 3
