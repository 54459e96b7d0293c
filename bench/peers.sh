#!/usr/bin/env bash
# peers.sh - time dnshound's capture decoding against the tools people
# already use on the same file.
#
# Usage: bench/peers.sh [--install] [--build DIR] [--runs N] [--skip TOOLS]
#                       [CAPTURE]
#
#   CAPTURE    pcap to read. Default: a synthetic campus-resolver capture
#              generated into a temporary folder with
#              ../shared/bench/gen_dns_pcap.py --packets 2000000 --seed 1
#              (path relative to the repository root; ~300 MB, a few
#              minutes to generate).
#   --install  apt-get install the peers that are missing (tshark, dnscap,
#              dnstop, hyperfine). Without it, a missing peer is skipped.
#   --build    meson build folder holding src/cli/dnshound (default: build;
#              or set DNSHOUND to the executable).
#   --runs     timed runs per tool (default 3); the median is reported.
#   --skip     comma list of tool names to leave out (e.g. tshark,dnscap).
#
# Method. The file is read once with cat before any timing so that every
# tool reads it from the page cache; each command then runs --runs times
# and the median wall-clock time is taken (no hyperfine needed; its
# numbers agree within noise). Output goes to /dev/null, so terminal
# speed does not count, but every tool still formats every message:
#
#   cat          cat FILE                       (the floor: I/O only)
#   tcpdump      tcpdump -nr FILE               (one text line per packet)
#   tshark       tshark -r FILE -T fields -e dns.qry.name -e dns.qry.type
#                -e dns.flags.rcode -e dns.a    (full dissection)
#   dnscap       dnscap -r FILE -g              (dnscap 2.1: -r reads a
#                file, -g dumps every parsed message to stderr)
#   dnstop       dnstop -l 3 FILE               (with stdout not a tty
#                dnstop reads the whole file, then prints its tables)
#   dnshound-count  dnshound decode --count FILE (every message parsed into
#                an event and dropped: the decoder alone)
#   dnshound     dnshound decode FILE           (one text line per message)
#   dnshound-json  dnshound decode --json FILE
#   dnshound-ingest  dnshound ingest --store TMPDIR FILE (decode + store)
#
# Reported per tool: the median wall-clock seconds and the median CPU
# seconds (user + system, children included). messages/s divides the
# number of DNS messages in the file (counted by dnshound decode, or by
# tcpdump's line count when dnshound is missing) by the CPU median; "x
# tshark" is tshark's CPU median divided by the tool's (above 1 = cheaper
# than tshark). CPU time is the figure to compare on a shared machine;
# wall time is only meaningful on an idle one.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
install=0
build="$root/build"
runs=3
skip=","
capture=""

while [ $# -gt 0 ]; do
	case "$1" in
	--install) install=1 ;;
	--build) build="$2"; shift ;;
	--runs) runs="$2"; shift ;;
	--skip) skip=",$2,"; shift ;;
	-h | --help) sed -n '2,45p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "peers.sh: unknown option $1" >&2; exit 2 ;;
	*) capture="$1" ;;
	esac
	shift
done

case "$runs" in
'' | *[!0-9]* | 0) echo "peers.sh: --runs needs a positive number" >&2; exit 2 ;;
esac

dnshound="${DNSHOUND:-$build/src/cli/dnshound}"
tmp=$(mktemp -d -t dh-peers.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

if [ "$install" = 1 ]; then
	missing=""
	for p in tshark dnscap dnstop hyperfine; do
		command -v "$p" > /dev/null 2>&1 || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		echo "installing:$missing" >&2
		# shellcheck disable=SC2086 # one word per package, on purpose
		DEBIAN_FRONTEND=noninteractive apt-get install -y $missing > "$tmp/apt.log" 2>&1 ||
			{ echo "peers.sh: apt-get failed, see below" >&2; tail -5 "$tmp/apt.log" >&2; }
	fi
fi

if [ -z "$capture" ]; then
	gen="$root/../shared/bench/gen_dns_pcap.py"
	if [ ! -f "$gen" ]; then
		echo "peers.sh: no capture given and $gen not found" >&2
		exit 2
	fi
	capture="$tmp/bench.pcap"
	echo "generating $capture (2,000,000 packets, seed 1)..." >&2
	python3 "$gen" --packets 2000000 --seed 1 --out "$capture" >&2 || exit 1
fi
if [ ! -r "$capture" ]; then
	echo "peers.sh: cannot read $capture" >&2
	exit 2
fi

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# time_tool NAME COMMAND-STRING: runs the command $runs times and appends
# "NAME median-wall-seconds median-cpu-seconds" to $tmp/res. CPU time
# (user + system of the command and its children, from bash's time) is
# kept beside wall-clock time because on a shared machine the wall clock
# mostly measures the neighbours.
time_tool() {
	local name="$1" cmd="$2" n rc line
	case "$skip" in *",$name,"*) return ;; esac
	: > "$tmp/w.$name"
	: > "$tmp/c.$name"
	for n in $(seq "$runs"); do
		line=$( { TIMEFORMAT='%R %U %S'; time bash -c "$cmd" > /dev/null 2>&1; } 2>&1)
		rc=$?
		if [ "$rc" -ne 0 ]; then
			echo "  $name: exit code $rc in run $n, left out ($cmd)" >&2
			return
		fi
		# shellcheck disable=SC2086 # split "wall user sys" on purpose
		set -- $line
		echo "$1" >> "$tmp/w.$name"
		awk -v u="$2" -v s="$3" 'BEGIN { printf "%.3f\n", u + s }' >> "$tmp/c.$name"
	done
	printf '%s %s %s\n' "$name" "$(median < "$tmp/w.$name")" "$(median < "$tmp/c.$name")" >> "$tmp/res"
	echo "  $name: wall $(tr '\n' ' ' < "$tmp/w.$name")s, cpu $(tr '\n' ' ' < "$tmp/c.$name")s" >&2
}

have() { command -v "$1" > /dev/null 2>&1; }

f=$(printf '%q' "$capture")
: > "$tmp/res"
cat "$capture" > /dev/null

if [ -x "$dnshound" ]; then
	msgs=$("$dnshound" decode "$capture" 2> /dev/null | wc -l)
	counted="dnshound decode"
else
	echo "note: $dnshound not found; dnshound rows are skipped" >&2
	msgs=$(tcpdump -nr "$capture" 2> /dev/null | wc -l)
	counted="tcpdump lines"
fi
echo "capture: $capture ($(stat -c %s "$capture") bytes), $msgs DNS messages ($counted), $runs runs each" >&2

# Every command's output goes to /dev/null (time_tool adds the redirection).
time_tool cat "cat $f"
have tcpdump && time_tool tcpdump "tcpdump -nr $f"
have tshark && time_tool tshark "tshark -r $f -T fields -e dns.qry.name -e dns.qry.type -e dns.flags.rcode -e dns.a"
have dnscap && time_tool dnscap "dnscap -r $f -g"
have dnstop && time_tool dnstop "dnstop -l 3 $f"
if [ -x "$dnshound" ]; then
	d=$(printf '%q' "$dnshound")
	time_tool dnshound-count "$d decode --count $f"
	time_tool dnshound "$d decode $f"
	time_tool dnshound-json "$d decode --json $f"
	time_tool dnshound-ingest "s=\$(mktemp -d $tmp/store.XXXXXX) && $d ingest --store \"\$s\" $f && rm -rf \"\$s\""
fi

ts=$(awk '$1 == "tshark" { print $3 }' "$tmp/res")
printf '%-16s %10s %10s %14s %9s\n' tool "wall s" "cpu s" "messages/s" "x tshark"
while read -r name wall cpu; do
	awk -v n="$name" -v w="$wall" -v c="$cpu" -v m="$msgs" -v ts="${ts:-0}" 'BEGIN {
		rate = (c > 0) ? m / c : 0
		ratio = (ts > 0 && c > 0) ? sprintf("%.2f", ts / c) : "-"
		printf "%-16s %10.2f %10.2f %14.0f %9s\n", n, w, c, rate, ratio
	}'
done < "$tmp/res"
