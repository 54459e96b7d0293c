#!/bin/sh
# Text-log benchmark: generates LINES synthetic lines per format (default
# one million) and times the parsers from memory and from a file.
# Usage: bench/logs/run.sh [LINES]   (a release build is made in
# build-bench-logs beside the sources when absent; the temporary files go
# to $TMPDIR or the system temporary directory and are removed).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build-bench-logs"
if [ ! -d "$build" ]; then
	meson setup "$build" "$root" --buildtype=release -Dtests=false >/dev/null
fi
ninja -C "$build" bench/logs/bench_logs >/dev/null
exec "$build/bench/logs/bench_logs" "${1:-1000000}"
