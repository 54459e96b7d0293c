#!/bin/sh
# Traceback benchmark: local lookup, one agent's whole request and the
# OPRF's CPU cost, on a store of N synthetic events (default 2,000,000)
# made by bench/store's generator.
#
#   BUILD_DIR=build bench/trace/run.sh [N [LOOKUPS]]
#
# With BENCH_STORE=DIR an existing store is used instead (not removed).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD_DIR:-$here/../../build}
bin=$build/bench/trace/bench_trace
gen=$build/bench/store/bench_store
[ -x "$bin" ] && [ -x "$gen" ] || { echo "run.sh: build first: ninja -C $build" >&2; exit 1; }
n=${1:-2000000}
lookups=${2:-200}
if [ -n "${BENCH_STORE:-}" ]; then
	store=$BENCH_STORE
else
	scratch=$(mktemp -d)
	trap 'rm -rf "$scratch"' EXIT INT TERM
	store=$scratch/store
	"$gen" "$store" "$n" 1 >/dev/null
fi
uptime
"$bin" "$store" "$lookups" 1
