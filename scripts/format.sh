#!/usr/bin/env bash
# Formats the C sources with the repository's .clang-format; with --check
# only reports files that differ.
set -u
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src tests fuzz bench -name '*.[ch]')
[ -n "$files" ] || exit 0
if [ "${1:-}" = "--check" ]; then
	clang-format --dry-run -Werror $files
else
	clang-format -i $files
fi
