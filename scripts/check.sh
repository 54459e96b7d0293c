#!/usr/bin/env bash
# Builds dnshound twice (optimised, and with AddressSanitizer and
# UndefinedBehaviorSanitizer, no recovery) and runs the whole test suite in
# both, after checking the formatting. Ends with "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/deps.sh || { echo "deps: installation failed"; echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
skipped=0

count() { # build dir
	local log="$1/meson-logs/testlog.json"
	[ -f "$log" ] || return 0
	local p f s
	read -r p f s < <(python3 - "$log" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    r = json.loads(line).get('result')
    if r in ('OK', 'EXPECTEDFAIL'):
        p += 1
    elif r == 'SKIP':
        s += 1
    else:
        f += 1
print(p, f, s)
PY
)
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}

# Formatting is a test of its own.
if bash scripts/format.sh --check; then
	passed=$((passed + 1))
else
	echo "check: formatting differs from .clang-format (run scripts/format.sh)"
	failed=$((failed + 1))
fi

build() { # dir, meson options...
	local dir=$1; shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
	fi
	ninja -C "$dir" >"$dir.build.log" 2>&1 || { tail -50 "$dir.build.log"; return 1; }
}

run_suite() { # dir, label, extra meson test arguments...
	local dir=$1 label=$2
	shift 2
	meson test -C "$dir" --num-processes 2 --print-errorlogs "$@" ${MESON_TEST_ARGS:-} >"$dir.test.log" 2>&1
	grep -E '^ *[0-9]+/[0-9]+ ' "$dir.test.log" | sed "s/^/[$label] /"
	grep -E -A40 '^=+ [0-9]+/[0-9]+ =+$' "$dir.test.log" | head -400 || true
	count "$dir"
}

if build build -Dbuildtype=release; then
	run_suite build release
else
	echo "check: the optimised build failed"
	failed=$((failed + 1))
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if build build-asan -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
	-Dc_args=-fno-sanitize-recover=all -Dc_link_args=-fno-sanitize-recover=all; then
	# The testbed's servers are the same programs in both builds and it
	# runs no dnshound code of its own: once is enough. The demo runs
	# every command for about a minute optimised, several times that
	# under the sanitizers, and its commands are tested there one by one.
	run_suite build-asan sanitizers --no-suite testbed --no-suite demo
else
	echo "check: the sanitizer build failed"
	failed=$((failed + 1))
fi

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
