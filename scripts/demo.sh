#!/usr/bin/env bash
# The main job on its embedded default: installs what dnshound needs
# (scripts/deps.sh), builds it, and runs 'dnshound demo': a day of a
# generated campus network with bots in it, stored, searched for infected
# hosts, an attack traced back through two traceback agents, and an HTML
# report (dnshound-demo.html in the current directory). Arguments go to
# 'dnshound demo' (--keep, --clients N, --seed N, --out FILE).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/deps.sh
if [ ! -f build/build.ninja ]; then
	meson setup build -Dbuildtype=release >/dev/null
fi
ninja -C build >/dev/null
exec build/src/cli/dnshound demo "$@"
