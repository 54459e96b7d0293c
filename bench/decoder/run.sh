#!/bin/sh
# Decoder benchmark: dns_parse() against libknot and ldns on the DNS
# payloads of one classic pcap. Usage: bench/decoder/run.sh FILE.pcap
# (a release build is made in build-bench-decoder
# beside the sources when absent).
set -eu
if [ $# -ne 1 ]; then
	echo "usage: $0 FILE.pcap" >&2
	exit 2
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build-bench-decoder"
if [ ! -d "$build" ]; then
	meson setup "$build" "$root" --buildtype=release -Dtests=false >/dev/null
fi
ninja -C "$build" bench/decoder/bench_decoder >/dev/null
exec "$build/bench/decoder/bench_decoder" "$1"
