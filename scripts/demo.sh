#!/usr/bin/env bash
# The main job on its embedded default: builds dnshound, writes the demo
# capture (one hour of a small campus network's DNS, with a spam bot and a
# DGA bot in it), decodes it, ingests it into a store and asks the store
# the questions traceback asks.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/deps.sh
if [ ! -f build/build.ninja ]; then
	meson setup build -Dbuildtype=release >/dev/null
fi
ninja -C build >/dev/null
dh=build/src/cli/dnshound
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 scripts/demo_capture.py "$work/campus.pcap"

echo "== the first messages of the capture (dnshound decode)"
$dh decode "$work/campus.pcap" | head -6
echo
echo "== ingest into a store"
$dh ingest --store "$work/store" --observer campus-resolver "$work/campus.pcap"
echo
echo "== again: the store recognises the file and adds nothing"
$dh ingest --store "$work/store" "$work/campus.pcap"
echo
echo "== who asked for MX records (the spam bot's signature, seed M)"
$dh sql --store "$work/store" \
	"SELECT dst AS client, count(*) AS mx_queries FROM events
	 WHERE qtype = 'MX' AND qr = 1 GROUP BY dst ORDER BY 2 DESC LIMIT 5" || true
echo
echo "== who got NXDOMAIN most often (a DGA bot's signature)"
$dh sql --store "$work/store" \
	"SELECT dst AS client, count(*) AS nxdomain FROM events
	 WHERE rcode = 'NXDOMAIN' GROUP BY dst ORDER BY 2 DESC LIMIT 5" || true
echo
echo "== what did client 10.1.0.66 ask between 12:00 and 12:01 (traceback question)"
$dh events --store "$work/store" --client 10.1.0.66 \
	--since 2024-05-01T12:00:00Z --until 2024-05-01T12:01:00Z | head -5
echo
echo "== why traceback through DNS logs: the seed's end-to-end model (Fig. 13)"
$dh sim fig13 | tail -4
