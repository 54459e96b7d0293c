# Helpers for tests that run against the real-DNS-server testbed
# (scripts/testbed.sh). Source it from a bash test script:
#
#   . "$(dirname "$0")/lib.sh"
#   tb_init                 # skips (exit 77) when not root or servers missing
#   tb_start                # starts the testbed, stops it on any exit
#   tb_query --via unbound --from "$TB_CLIENT1" www.test A
#   tb_check "unbound answers" tb_contains "$out" 192.0.2.80
#   tb_finish               # stops, checks nothing is left, prints the tally
#
# After tb_start every TB_* variable of DIR/testbed.env is set (addresses,
# log, dnstap and pid file paths; doc/testbed.md lists them).

TB_PASSED=0
TB_FAILED=0
TB_STARTED_DIR=""
TB_STARTED_NETNS=""
TB_STARTED_ADDRS=""

tb_skip() { # message
	printf 'SKIP: %s\n' "$*"
	exit 77
}

tb_note() { printf '# %s\n' "$*"; }

# Finds the script and skips unless the testbed can run here.
tb_init() {
	local root=${DH_SOURCE_ROOT:-}
	if [ -z "$root" ]; then
		root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	fi
	TB_SCRIPT_PATH="$root/scripts/testbed.sh"
	[ -f "$TB_SCRIPT_PATH" ] || tb_skip "scripts/testbed.sh not found under $root"
	[ "$(id -u)" -eq 0 ] || tb_skip "the testbed needs root (network namespace, port 53)"
	local t miss=""
	for t in nsd named rndc unbound kresd dnsmasq fstrm_capture dig dnsperf tcpdump ip ss; do
		command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || miss="$miss $t"
	done
	[ -z "$miss" ] || tb_skip "DNS servers or tools not installed:$miss (bash scripts/deps.sh)"
	PATH="$PATH:/usr/sbin:/sbin"
}

tb_script() { bash "$TB_SCRIPT_PATH" "$@"; }

# Stops the testbed if it runs; the EXIT trap calls it, so no test leaves
# servers behind, whatever failed. Keeps the exit status.
tb_cleanup() {
	local rc=$?
	if [ -n "${TB_DIR:-}" ] && [ -d "$TB_DIR" ]; then
		if [ "${TB_KEEP:-0}" = 1 ]; then
			tb_note "TB_KEEP=1: stopping but keeping $TB_DIR"
			tb_script stop --dir "$TB_DIR" --keep || true
		else
			tb_script stop --dir "$TB_DIR" || true
		fi
	fi
	exit "$rc"
}

# Starts the testbed and sources its environment. Exit codes of
# testbed.sh that mean "cannot run here" become a skip.
tb_start() { # extra start options...
	local out rc=0
	trap tb_cleanup EXIT
	trap 'exit 130' INT TERM
	out=$(tb_script start "$@") || rc=$?
	case "$rc" in
	0) ;;
	3) tb_skip "servers not installed (testbed.sh exit 3)" ;;
	4) tb_skip "not root (testbed.sh exit 4)" ;;
	5) tb_skip "port 53 taken on a testbed address (testbed.sh exit 5)" ;;
	*)
		printf 'FAIL: testbed.sh start exited %s\n' "$rc"
		exit 1
		;;
	esac
	# shellcheck disable=SC1091
	. "$out/testbed.env"
	TB_STARTED_DIR=$TB_DIR
	TB_STARTED_NETNS=$TB_NETNS
	TB_STARTED_ADDRS=$(cat "$TB_DIR/run/addrs" 2>/dev/null || true)
	# One variable per client address, for the tests that source this.
	# shellcheck disable=SC2086,SC2034
	set -- $TB_CLIENTS
	# shellcheck disable=SC2034
	TB_CLIENT1=$1 TB_CLIENT2=$2 TB_CLIENT3=$3 TB_CLIENT4=$4 TB_CLIENT5=$5
	tb_note "testbed in $TB_DIR${TB_NETNS:+ (namespace $TB_NETNS)}"
}

# Runs a command where the testbed's servers are (its namespace).
tb_exec() {
	if [ -n "${TB_NETNS:-}" ]; then
		ip netns exec "$TB_NETNS" "$@"
	else
		"$@"
	fi
}

tb_query() { tb_script query --dir "$TB_DIR" "$@"; }
tb_flush() { tb_script flush --dir "$TB_DIR"; }
tb_capture() { tb_script capture "$1" --dir "$TB_DIR"; }

# Records one check: runs the command, prints ok or FAIL with the text.
tb_check() { # description, command...
	local desc=$1
	shift
	if "$@"; then
		TB_PASSED=$((TB_PASSED + 1))
		printf 'ok   %s\n' "$desc"
	else
		TB_FAILED=$((TB_FAILED + 1))
		printf 'FAIL %s\n' "$desc"
	fi
}

tb_contains() { # text, fixed string
	case "$1" in *"$2"*) return 0 ;; esac
	printf '     expected "%s" in:\n%s\n' "$2" "$1" | head -20
	return 1
}

tb_grep() { # file, extended regex (case-insensitive: resolvers use 0x20)
	if [ ! -s "$1" ]; then
		printf '     %s is missing or empty\n' "$1"
		return 1
	fi
	grep -qiE -- "$2" "$1" && return 0
	printf '     no line matches /%s/ in %s; last lines:\n' "$2" "$1"
	tail -n 5 "$1" | cut -c1-200
	return 1
}

tb_nonempty() { # file
	[ -s "$1" ] && return 0
	printf '     %s is missing or empty\n' "$1"
	return 1
}

# Decodes a dnstap file into one line per message, if dnstap-read (from
# bind9-dnsutils) is installed; prints nothing otherwise.
tb_dnstap_text() { # file
	command -v dnstap-read >/dev/null 2>&1 || return 0
	dnstap-read "$1" 2>/dev/null || true
}

tb_text_matches() { # text, extended regex, what
	printf '%s\n' "$1" | grep -qiE -- "$2" && return 0
	printf '     no %s line matches /%s/\n' "$3" "$2"
	return 1
}

tb_text_matches_all() { # text, what, extended regex...
	local text=$1 what=$2
	shift 2
	while [ $# -gt 0 ]; do
		tb_text_matches "$text" "$1" "$what" || return 1
		shift
	done
}

# Stops the testbed and checks that it left nothing: no process naming the
# state directory, no namespace, no added address, no state directory.
tb_stop_and_check_clean() {
	local left="" f p
	tb_script stop --dir "$TB_STARTED_DIR"
	# One grep over every command line; the grep itself matches too, and
	# is gone by the time its State is read.
	for f in $(grep -lasF -- "$TB_STARTED_DIR/" /proc/[0-9]*/cmdline 2>/dev/null); do
		p=${f#/proc/}
		p=${p%/cmdline}
		[ "$p" = "$$" ] && continue
		[ -e "/proc/$p/status" ] || continue
		grep -qE '^State:[[:space:]]+Z' "/proc/$p/status" 2>/dev/null && continue
		left="$left $p"
	done
	tb_check "no testbed process is left after stop" test -z "$left"
	[ -z "$left" ] || ps -o pid,args -p "${left# }" 2>/dev/null || true
	if [ -n "$TB_STARTED_NETNS" ]; then
		tb_check "network namespace $TB_STARTED_NETNS is removed" \
			sh -c "! ip netns list | grep -qw '$TB_STARTED_NETNS'"
	fi
	local a bad=""
	for a in $TB_STARTED_ADDRS; do
		ip -4 addr show dev lo | grep -q "inet $a/" && bad="$bad $a"
	done
	tb_check "no address added to lo is left" test -z "$bad"
	tb_check "state directory is removed" test ! -e "$TB_STARTED_DIR"
	TB_DIR=""
}

# Prints the tally and exits non-zero on any failed check.
tb_finish() {
	printf 'testbed checks: %d ok, %d failed\n' "$TB_PASSED" "$TB_FAILED"
	[ "$TB_FAILED" -eq 0 ]
}
