#!/usr/bin/env bash
# Real-DNS-server testbed of dnshound: a fake root (NSD), a BIND
# authoritative server, three resolvers (BIND, Unbound, Knot Resolver) and
# dnsmasq as a forwarder, all from Debian's packages, fully offline, on
# 127.0.0.0/8 addresses inside a network namespace of its own (or on the
# machine's loopback with --host). Every server logs its queries (text log
# and/or dnstap). doc/testbed.md describes the topology.
#
# Usage: testbed.sh COMMAND [options]
#   start [--dir DIR] [--host]   start everything; prints the state directory
#   query [--via NAME] [--from ADDR] [--tcp] [--full] NAME TYPE [-- DIG-ARGS]
#   load [--via NAME] [--from ADDR] [--qps N] [--seconds S]
#   capture start|stop           tcpdump on the testbed's loopback
#   flush                        make every server write its logs and dnstap
#   status                       show every component and whether it runs
#   stop [--keep]                stop everything, remove what start added
#   check                        render the configurations and check them only
#   reap                         stop every testbed of this machine (after a kill)
# Every command but start, check and reap needs --dir DIR or TB_DIR (set by
# sourcing DIR/testbed.env).
#
# Exit codes: 0 ok, 1 failure, 2 usage, 3 servers not installed, 4 not
# root, 5 an address or port the testbed needs is taken.
set -eu -o pipefail
# TB_TRACE=1 traces every command with a time stamp (bash ignores an
# inherited PS4 when run as root, so it is set here).
if [ "${TB_TRACE:-0}" = 1 ]; then
	PS4='+ ${EPOCHREALTIME} '
	set -x
fi

# The servers live in /usr/sbin, which a non-login root shell may lack.
PATH="$PATH:/usr/sbin:/sbin"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tpl="$here/testbed"

# Addresses (127.0.0.0/8 only; see doc/testbed.md for the picture).
AUTH_ADDR=127.0.0.10
ROOT_ADDR=127.0.0.20
SUB_ADDR=127.0.0.21
BIND_ADDR=127.0.0.31
UNBOUND_ADDR=127.0.0.32
KRESD_ADDR=127.0.0.33
DNSMASQ_ADDR=127.0.0.34
BIND_OUT=127.0.0.41
UNBOUND_OUT=127.0.0.42
KRESD_OUT=127.0.0.43
DNSMASQ_OUT=127.0.0.44
CLIENTS="127.0.0.45 127.0.0.46 127.0.0.47 127.0.0.48 127.0.0.49"
ALL_ADDRS="$AUTH_ADDR $ROOT_ADDR $SUB_ADDR $BIND_ADDR $UNBOUND_ADDR $KRESD_ADDR $DNSMASQ_ADDR \
$BIND_OUT $UNBOUND_OUT $KRESD_OUT $DNSMASQ_OUT $CLIENTS"
SERVER_ADDRS="$AUTH_ADDR $ROOT_ADDR $SUB_ADDR $BIND_ADDR $UNBOUND_ADDR $KRESD_ADDR $DNSMASQ_ADDR"

# Components in start order; stop walks the groups backwards.
DNSTAP_NAMES="root sub auth bind unbound kresd"
# Their fstrm_capture collectors.
DT_NAMES="dt-root dt-sub dt-auth dt-bind dt-unbound dt-kresd"
SERVER_NAMES="root sub auth bind unbound kresd dnsmasq"

# Bounds of the load command, so a typo cannot flood the machine.
LOAD_MAX_QPS=5000
LOAD_MAX_SECONDS=60
STOP_TIMEOUT_TENTHS=50

REQUIRED_TOOLS="nsd nsd-checkconf nsd-checkzone named named-checkconf named-checkzone rndc \
unbound unbound-checkconf kresd dnsmasq fstrm_capture dig dnsperf tcpdump ip ss"

DIR=""
NETNS=""

log() { printf 'testbed: %s\n' "$*" >&2; }
die() { # exit code, message
	local rc=$1
	shift
	log "$*"
	exit "$rc"
}

usage() { # exit code (2 unless given)
	sed -n '/^# Usage:/,/^# root, 5/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit "${1:-2}"
}

# --- helpers -----------------------------------------------------------

# Runs a command in the testbed's namespace (or on the host).
in_tb() {
	if [ -n "$NETNS" ]; then
		ip netns exec "$NETNS" "$@"
	else
		"$@"
	fi
}

# Whether a process is alive: a zombie counts as dead, since PID 1 on some
# machines does not reap the daemons the testbed orphans.
alive() { # pid
	stat_fields "$1" || return 1
	[ "$STAT_STATE" != Z ] && [ "$STAT_STATE" != X ]
}

# Sets STAT_STATE and STAT_PPID from /proc/PID/stat (after the command
# name, which may itself hold spaces and parentheses).
stat_fields() { # pid
	local stat="" rest
	# The process may be gone between the listing and the read.
	{ read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
	rest=${stat##*) }
	STAT_STATE=${rest%% *}
	rest=${rest#* }
	STAT_PPID=${rest%% *}
}

# Whether pid is one of ours: its command line names the state directory.
# This guards against killing an unrelated process that reused a PID.
ours() { # pid
	local pid=$1
	[ -r "/proc/$pid/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$DIR/"
}

# PIDs of every live process whose command line names the state dir
# (one grep over /proc, not a fork per process).
our_pids() {
	local f p
	grep -lasF -- "$DIR/" /proc/[0-9]*/cmdline 2>/dev/null | while read -r f; do
		p=${f#/proc/}
		p=${p%/cmdline}
		# Not this script, its subshells, nor the grep itself.
		[ "$p" = "$$" ] && continue
		grep -qaF testbed.sh "/proc/$p/cmdline" 2>/dev/null && continue
		alive "$p" || continue
		[ "$STAT_PPID" = "$$" ] && continue
		printf '%s\n' "$p"
	done || true
}

pid_of() { # component name
	local f="$DIR/run/$1.pid" pid
	[ -s "$f" ] || return 1
	read -r pid <"$f" || true
	case "$pid" in '' | *[!0-9]*) return 1 ;; esac
	printf '%s\n' "$pid"
}

# Sends SIGTERM to every named component, waits, then SIGKILLs stragglers.
stop_group() { # component names...
	local name pid pids="" i
	for name in "$@"; do
		pid=$(pid_of "$name") || continue
		if alive "$pid" && ours "$pid"; then
			kill -TERM "$pid" 2>/dev/null || true
			pids="$pids $pid"
		fi
	done
	[ -n "$pids" ] || return 0
	for ((i = 0; i < STOP_TIMEOUT_TENTHS; i++)); do
		local left=""
		for pid in $pids; do
			alive "$pid" && left="$left $pid"
		done
		pids=$left
		[ -n "$pids" ] || return 0
		sleep 0.1
	done
	for pid in $pids; do
		log "pid $pid did not stop on SIGTERM in $((STOP_TIMEOUT_TENTHS / 10)) s; SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	done
}

listening() { # address, tcp|udp
	local flag=-u
	[ "$2" = tcp ] && flag=-t
	in_tb ss -Hln "$flag" 2>/dev/null | grep -qE "[[:space:]]$1:53[[:space:]]"
}

# Waits until every named component listens on UDP and TCP port 53 of its
# address; one ss call per round, since each costs a fork and a setns.
wait_listening() { # component names...
	local i n pid sockets missing
	# Up to 20 s: named can take seconds to start on a loaded machine.
	for ((i = 0; i < 200; i++)); do
		sockets=$(in_tb ss -Hlnut 2>/dev/null || true)
		missing=""
		for n in "$@"; do
			has_socket "$sockets" udp "$(addr_of "$n")" &&
				has_socket "$sockets" tcp "$(addr_of "$n")" || missing="$missing $n"
		done
		[ -n "$missing" ] || return 0
		for n in $missing; do
			if pid=$(pid_of "$n") && ! alive "$pid"; then
				log "$n exited at start"
				return 1
			fi
		done
		sleep 0.1
	done
	log "not listening on port 53 after 20 s:$missing"
	return 1
}

has_socket() { # ss -Hlnut output, udp|tcp, address
	local line
	while read -r line; do
		case "$line" in "$2 "*" $3:53 "*) return 0 ;; esac
	done <<<"$1"
	return 1
}

wait_file() { # path, tenths of a second
	local i
	for ((i = 0; i < $2; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# Starts a program that stays in the foreground, detached from our
# terminal and stdio (a test harness waits for its pipes to close), and
# records its PID. ip netns exec and setsid both exec, so $! is the PID of
# the program itself.
spawn() { # name, log file, command...
	local name=$1 logf=$2
	shift 2
	if [ -n "$NETNS" ]; then
		setsid ip netns exec "$NETNS" "$@" </dev/null >>"$logf" 2>&1 &
	else
		setsid "$@" </dev/null >>"$logf" 2>&1 &
	fi
	printf '%s\n' "$!" >"$DIR/run/$name.pid"
}

# Starts a daemon that forks and writes its own pid file.
spawn_daemon() { # name, log file, command...
	local name=$1 logf=$2 i
	shift 2
	if ! in_tb "$@" </dev/null >>"$logf" 2>&1; then
		log "$name failed to start; see $logf"
		return 1
	fi
	for ((i = 0; i < 150; i++)); do
		pid_of "$name" >/dev/null && return 0
		sleep 0.1
	done
	log "$name wrote no pid file"
	return 1
}

# Writes a template with every {{NAME}} replaced, in bash alone: a fork
# per file costs seconds on a loaded two-core machine.
render() { # template, output, extra NAME=value pairs...
	local src=$1 out=$2 text="" kv
	shift 2
	IFS= read -r -d '' text <"$src" || true
	for kv in "DIR=$DIR" "AUTH_ADDR=$AUTH_ADDR" "ROOT_ADDR=$ROOT_ADDR" "SUB_ADDR=$SUB_ADDR" \
		"BIND_ADDR=$BIND_ADDR" "UNBOUND_ADDR=$UNBOUND_ADDR" "KRESD_ADDR=$KRESD_ADDR" \
		"DNSMASQ_ADDR=$DNSMASQ_ADDR" "BIND_OUT=$BIND_OUT" "UNBOUND_OUT=$UNBOUND_OUT" \
		"KRESD_OUT=$KRESD_OUT" "DNSMASQ_OUT=$DNSMASQ_OUT" "$@"; do
		text=${text//"{{${kv%%=*}}}"/"${kv#*=}"}
	done
	case "$text" in
	*'{{'[A-Z]*'}}'*)
		log "unreplaced placeholder in $out"
		return 1
		;;
	esac
	printf '%s' "$text" >"$out"
}

# Eight 200-byte strings: about 1.6 kB of TXT, above the 1232-byte EDNS
# buffer every testbed server and dig use, so UDP answers are truncated.
big_txt() {
	local c s out=""
	for c in a b c d e f g h; do
		printf -v s '%0200d' 0
		out="$out \"${s//0/$c}\""
	done
	printf '%s' "${out# }"
}

# Lays out the state directory and writes every configuration into it.
render_all() {
	local n
	mkdir -p "$DIR/run" "$DIR/hints" "$DIR/dnstap" "$DIR/root" "$DIR/sub" "$DIR/auth" \
		"$DIR/bind" "$DIR/unbound" "$DIR/kresd" "$DIR/dnsmasq" "$DIR/load"
	render "$tpl/root.hints" "$DIR/hints/root.hints"
	render "$tpl/root.zone" "$DIR/root/root.zone"
	render "$tpl/sub.test.zone" "$DIR/sub/sub.test.zone"
	render "$tpl/nsd.conf" "$DIR/root/nsd.conf" NAME=root "ADDR=$ROOT_ADDR" ZONE=. \
		ZONEFILE=root.zone
	render "$tpl/nsd.conf" "$DIR/sub/nsd.conf" NAME=sub "ADDR=$SUB_ADDR" ZONE=sub.test. \
		ZONEFILE=sub.test.zone
	render "$tpl/test.zone" "$DIR/auth/test.zone" "BIG_TXT=$(big_txt)"
	render "$tpl/example.zone" "$DIR/auth/example.zone"
	render "$tpl/reverse.zone" "$DIR/auth/reverse.zone"
	render "$tpl/named-auth.conf" "$DIR/auth/named.conf"
	render "$tpl/named-resolver.conf" "$DIR/bind/named.conf"
	render "$tpl/unbound.conf" "$DIR/unbound/unbound.conf"
	render "$tpl/kresd.conf" "$DIR/kresd/kresd.conf"
	render "$tpl/dnsmasq.conf" "$DIR/dnsmasq/dnsmasq.conf"
	# One HMAC key for both named instances, made here so no tool
	# writes into /etc/bind.
	n=$(head -c 32 /dev/urandom | base64)
	printf 'key "rndc-key" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' "$n" \
		>"$DIR/run/rndc.key"
	chmod 600 "$DIR/run/rndc.key"
	gen_load_queries >"$DIR/load/queries.txt"
}

# Checks every configuration and zone with the servers' own checkers.
check_all() {
	local out="$DIR/run/check.log"
	: >"$out"
	nsd-checkconf "$DIR/root/nsd.conf" >>"$out" 2>&1 &&
		nsd-checkconf "$DIR/sub/nsd.conf" >>"$out" 2>&1 &&
		nsd-checkzone . "$DIR/root/root.zone" >>"$out" 2>&1 &&
		nsd-checkzone sub.test. "$DIR/sub/sub.test.zone" >>"$out" 2>&1 &&
		named-checkconf "$DIR/auth/named.conf" >>"$out" 2>&1 &&
		named-checkconf "$DIR/bind/named.conf" >>"$out" 2>&1 &&
		named-checkzone test "$DIR/auth/test.zone" >>"$out" 2>&1 &&
		named-checkzone example "$DIR/auth/example.zone" >>"$out" 2>&1 &&
		named-checkzone 2.0.192.in-addr.arpa "$DIR/auth/reverse.zone" >>"$out" 2>&1 &&
		unbound-checkconf "$DIR/unbound/unbound.conf" >>"$out" 2>&1 &&
		dnsmasq --test --conf-file="$DIR/dnsmasq/dnsmasq.conf" >>"$out" 2>&1 || {
		cat "$out" >&2
		return 1
	}
	# The TCP fallback checks rely on big.test TXT not fitting in 1232
	# bytes; the rendered record line must stay well above that.
	local big
	big=$(grep -E '^big[[:space:]]' "$DIR/auth/test.zone" | wc -c)
	if [ "$big" -lt 1400 ]; then
		log "big.test TXT is only $big bytes: it would no longer be truncated over UDP"
		return 1
	fi
}

gen_load_queries() {
	local i
	for ((i = 0; i < 200; i++)); do
		case $((i % 8)) in
		0) printf 'www.test A\n' ;;
		1) printf 'www.test AAAA\n' ;;
		2) printf 'mail.test A\n' ;;
		3) printf 'test MX\n' ;;
		4) printf 'h%05d.dga.test A\n' "$i" ;;
		5) printf 'nx%05d.test A\n' "$i" ;;
		6) printf 'www.example A\n' ;;
		7) printf 'host.sub.test A\n' ;;
		esac
	done
}

missing_tools() {
	local t miss=""
	for t in $REQUIRED_TOOLS; do
		command -v "$t" >/dev/null 2>&1 || miss="$miss $t"
	done
	printf '%s' "${miss# }"
}

# Finds the state directory of every command but start and check.
need_dir() {
	[ -n "$DIR" ] || DIR=${TB_DIR:-}
	[ -n "$DIR" ] || die 2 "no testbed: pass --dir DIR or source DIR/testbed.env"
	[ -f "$DIR/testbed.env" ] || [ -f "$DIR/run/netns" ] || [ -f "$DIR/run/addrs" ] ||
		die 1 "$DIR is not a testbed state directory"
	DIR=$(cd "$DIR" && pwd)
	NETNS=""
	if [ -s "$DIR/run/netns" ]; then
		read -r NETNS <"$DIR/run/netns" || true
	fi
}

# Address of a server by name, for --via.
addr_of() {
	case "$1" in
	root) printf '%s' "$ROOT_ADDR" ;;
	sub) printf '%s' "$SUB_ADDR" ;;
	auth) printf '%s' "$AUTH_ADDR" ;;
	bind) printf '%s' "$BIND_ADDR" ;;
	unbound) printf '%s' "$UNBOUND_ADDR" ;;
	kresd) printf '%s' "$KRESD_ADDR" ;;
	dnsmasq) printf '%s' "$DNSMASQ_ADDR" ;;
	*) return 1 ;;
	esac
}

# --- network -------------------------------------------------------------

# Host mode: reports every listener on port 53 that would collide with
# the testbed (one on a testbed address, or on the wildcard address).
host_collisions() {
	local a found=1
	for a in $SERVER_ADDRS 0.0.0.0 '\*' '\[::\]'; do
		if ss -Hlnup 2>/dev/null | grep -E "[[:space:]]$a:53[[:space:]]" >&2; then
			found=0
		fi
		if ss -Hlntp 2>/dev/null | grep -E "[[:space:]]$a:53[[:space:]]" >&2; then
			found=0
		fi
	done
	return $found
}

# Creates the namespace (mode 0) or adds the missing addresses to the
# host's lo (mode 1). Every step is checked by hand: callers test the
# result, and bash turns set -e off inside a function called that way.
net_up() { # host mode (0 or 1)
	local a base
	if [ "$1" = 0 ]; then
		base=${DIR##*/}
		case "$base" in
		dnshound-testbed.*) base=${base#dnshound-testbed.} ;;
		*) base="$base-$$" ;;
		esac
		NETNS=$(printf 'dnshound-tb-%.24s' "$base" | tr -c 'A-Za-z0-9_-' '-')
		if ! ip netns add "$NETNS" 2>"$DIR/run/netns.err"; then
			log "cannot create network namespace $NETNS: $(cat "$DIR/run/netns.err")"
			NETNS=""
			return 1
		fi
		printf '%s\n' "$NETNS" >"$DIR/run/netns" || return 1
		ip -n "$NETNS" link set lo up || return 1
		for a in $ALL_ADDRS; do
			ip -n "$NETNS" addr add "$a/32" dev lo || return 1
		done
		return 0
	fi
	if host_collisions; then
		log "port 53 is taken on a testbed address or the wildcard address (above)"
		return 5
	fi
	: >"$DIR/run/addrs" || return 1
	for a in $ALL_ADDRS; do
		# BIND, kresd and dnsmasq bind only addresses that exist on an
		# interface; add the ones lo lacks and remember them for stop.
		if ! ip -4 addr show dev lo | grep -qE "inet ${a//./\\.}/"; then
			ip addr add "$a/32" dev lo || return 1
			printf '%s\n' "$a" >>"$DIR/run/addrs" || return 1
		fi
	done
}

net_down() {
	local a
	if [ -n "$NETNS" ]; then
		ip netns del "$NETNS" 2>/dev/null || true
		rm -f "$DIR/run/netns"
	fi
	if [ -f "$DIR/run/addrs" ]; then
		while read -r a; do
			[ -n "$a" ] && ip addr del "$a/32" dev lo 2>/dev/null || true
		done <"$DIR/run/addrs"
		rm -f "$DIR/run/addrs"
	fi
}

# --- commands ------------------------------------------------------------

write_env() {
	local f="$DIR/testbed.env" n
	{
		printf '# Written by scripts/testbed.sh start; source it.\n'
		printf 'export TB_DIR=%q\n' "$DIR"
		printf 'export TB_NETNS=%q\n' "$NETNS"
		printf 'export TB_SCRIPT=%q\n' "$here/testbed.sh"
		printf 'export TB_ROOT_ADDR=%s TB_SUB_ADDR=%s TB_AUTH_ADDR=%s\n' \
			"$ROOT_ADDR" "$SUB_ADDR" "$AUTH_ADDR"
		printf 'export TB_BIND_ADDR=%s TB_UNBOUND_ADDR=%s TB_KRESD_ADDR=%s TB_DNSMASQ_ADDR=%s\n' \
			"$BIND_ADDR" "$UNBOUND_ADDR" "$KRESD_ADDR" "$DNSMASQ_ADDR"
		printf 'export TB_BIND_OUT=%s TB_UNBOUND_OUT=%s TB_KRESD_OUT=%s TB_DNSMASQ_OUT=%s\n' \
			"$BIND_OUT" "$UNBOUND_OUT" "$KRESD_OUT" "$DNSMASQ_OUT"
		printf 'export TB_CLIENTS=%q\n' "$CLIENTS"
		printf 'export TB_SERVERS=%q\n' "$SERVER_NAMES"
		printf 'export TB_RESOLVERS=%q\n' "bind unbound kresd dnsmasq"
		# Text query logs (kresd and NSD have none: dnstap only).
		printf 'export TB_AUTH_QUERYLOG=%q\n' "$DIR/auth/query.log"
		printf 'export TB_BIND_QUERYLOG=%q\n' "$DIR/bind/query.log"
		printf 'export TB_UNBOUND_LOG=%q\n' "$DIR/unbound/unbound.log"
		printf 'export TB_DNSMASQ_LOG=%q\n' "$DIR/dnsmasq/dnsmasq.log"
		printf 'export TB_KRESD_LOG=%q\n' "$DIR/kresd/kresd.log"
		printf 'export TB_ROOT_LOG=%q TB_SUB_LOG=%q\n' "$DIR/root/nsd.log" "$DIR/sub/nsd.log"
		printf 'export TB_AUTH_LOG=%q TB_BIND_LOG=%q\n' "$DIR/auth/named.log" \
			"$DIR/bind/named.log"
		for n in $DNSTAP_NAMES; do
			printf 'export TB_%s_DNSTAP=%q\n' "$(printf '%s' "$n" | tr a-z A-Z)" \
				"$DIR/dnstap/$n.fstrm"
		done
		for n in $SERVER_NAMES; do
			printf 'export TB_%s_PIDFILE=%q\n' "$(printf '%s' "$n" | tr a-z A-Z)" \
				"$DIR/run/$n.pid"
		done
		printf 'export TB_CAPTURE=%q\n' "$DIR/capture.pcap"
		printf 'export TB_RNDC_KEY=%q\n' "$DIR/run/rndc.key"
		printf 'export TB_LOAD_QUERIES=%q\n' "$DIR/load/queries.txt"
	} >"$f"
}

start_failed() {
	local rc=$? f
	trap - EXIT
	[ "$rc" -ne 0 ] || rc=1
	log "start failed (exit $rc); last lines of the server logs:"
	for f in "$DIR"/*/*.log; do
		[ -s "$f" ] || continue
		printf '==> %s <==\n' "$f" >&2
		tail -n 5 "$f" >&2
	done
	if [ "${TB_KEEP_ON_FAILURE:-0}" = 1 ]; then
		log "TB_KEEP_ON_FAILURE=1: leaving $DIR and its processes for inspection"
	else
		do_stop 0
	fi
	exit "$rc"
}

cmd_start() {
	local host=0 want_dir="" miss n
	while [ $# -gt 0 ]; do
		case "$1" in
		--dir)
			want_dir=${2:?--dir needs a value}
			shift 2
			;;
		--host)
			host=1
			shift
			;;
		*) usage ;;
		esac
	done
	[ "$(id -u)" -eq 0 ] || die 4 "start needs root (addresses, namespaces, port 53)"
	miss=$(missing_tools)
	[ -z "$miss" ] || die 3 "not installed: $miss (bash scripts/deps.sh installs them)"

	if [ -n "$want_dir" ]; then
		mkdir -p "$want_dir"
		[ -z "$(ls -A "$want_dir")" ] || die 1 "$want_dir is not empty"
		DIR=$(cd "$want_dir" && pwd)
	else
		DIR=$(mktemp -d -t dnshound-testbed.XXXXXX)
	fi
	# Paths end up in configuration files and Unix socket names (at most
	# 107 bytes), so keep them plain and short.
	case "$DIR" in *[!A-Za-z0-9._/-]*) die 2 "state dir path has unusual characters: $DIR" ;; esac
	[ ${#DIR} -le 80 ] || die 2 "state dir path is longer than 80 bytes: $DIR"

	mkdir -p "$DIR/run"
	trap start_failed EXIT
	trap 'exit 130' INT TERM HUP
	# The checkers run in "check" (and its test), not here: the servers
	# report a bad configuration themselves, and start_failed shows it.
	render_all
	if [ "$host" = 0 ] && ! net_up 0; then
		# A container may forbid namespaces; the host's loopback still
		# works, with its collision check. Undo a half-made namespace.
		net_down
		log "falling back to the host's loopback"
		host=1
	fi
	if [ "$host" = 1 ]; then
		local rc=0
		net_up 1 || rc=$?
		[ "$rc" -eq 0 ] || die "$rc" "cannot set up the host's loopback"
	fi
	if [ "$host" = 0 ]; then
		# Report what the machine itself has on port 53 (systemd-resolved,
		# a system BIND...): it cannot collide with the namespace.
		ss -Hlnu 2>/dev/null | grep -E ':53[[:space:]]' | while read -r _ _ _ a _; do
			log "note: the host listens on $a (no conflict: the testbed has its own namespace)"
		done || true
	fi

	# Collectors first: the servers connect to their sockets at start.
	for n in $DNSTAP_NAMES; do
		spawn "dt-$n" "$DIR/dnstap/$n.log" fstrm_capture -t protobuf:dnstap.Dnstap \
			-u "$DIR/dnstap/$n.sock" -w "$DIR/dnstap/$n.fstrm"
	done
	for n in $DNSTAP_NAMES; do
		wait_file "$DIR/dnstap/$n.sock" 50 || die 1 "fstrm_capture for $n made no socket"
	done

	spawn_daemon root "$DIR/root/nsd.log" nsd -c "$DIR/root/nsd.conf"
	spawn_daemon sub "$DIR/sub/nsd.log" nsd -c "$DIR/sub/nsd.conf"
	spawn_daemon auth "$DIR/auth/named.log" named -4 -n 1 -c "$DIR/auth/named.conf"
	wait_listening root sub auth

	spawn_daemon bind "$DIR/bind/named.log" named -4 -n 1 -c "$DIR/bind/named.conf"
	spawn_daemon unbound "$DIR/unbound/unbound.log" unbound -c "$DIR/unbound/unbound.conf"
	spawn kresd "$DIR/kresd/kresd.log" kresd -n -c "$DIR/kresd/kresd.conf" "$DIR/kresd"
	spawn dnsmasq "$DIR/dnsmasq/dnsmasq.log" dnsmasq --keep-in-foreground \
		--conf-file="$DIR/dnsmasq/dnsmasq.conf"
	wait_listening bind unbound kresd dnsmasq

	write_env
	trap - EXIT
	printf '%s\n' "$DIR"
}

do_stop() { # keep (0 or 1)
	local keep=$1 n pid left i
	stop_group capture
	stop_group dnsmasq kresd unbound bind
	stop_group auth root sub
	# Collectors last, so the servers' final dnstap frames get written.
	# shellcheck disable=SC2086 # a list of names
	stop_group $DT_NAMES
	# Anything else that names the state directory (NSD's worker
	# processes, a collector started by hand) goes the same way, by PID.
	for ((i = 0; i < 3; i++)); do
		left=$(our_pids)
		[ -n "$left" ] || break
		for pid in $left; do
			kill -TERM "$pid" 2>/dev/null || true
		done
		sleep 0.3
	done
	left=$(our_pids)
	for pid in $left; do
		log "pid $pid still alive; SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	done
	net_down
	if [ "$keep" = 1 ]; then
		rm -f "$DIR"/dnstap/*.sock
		log "kept $DIR"
	else
		rm -rf "$DIR"
	fi
}

cmd_stop() {
	local keep=0
	while [ $# -gt 0 ]; do
		case "$1" in
		--keep)
			keep=1
			shift
			;;
		*) usage ;;
		esac
	done
	need_dir
	do_stop "$keep"
}

cmd_query() {
	local via=bind from="" tcp="" full=0 name type addr norec=""
	while [ $# -gt 0 ]; do
		case "$1" in
		--via)
			via=${2:?}
			shift 2
			;;
		--from)
			from=${2:?}
			shift 2
			;;
		--tcp)
			tcp=+tcp
			shift
			;;
		--full)
			full=1
			shift
			;;
		--) break ;;
		-*) usage ;;
		*) break ;;
		esac
	done
	[ $# -ge 2 ] || usage
	name=$1
	type=$2
	shift 2
	[ "${1:-}" != -- ] || shift
	need_dir
	addr=$(addr_of "$via") || die 2 "unknown server '$via' (root sub auth bind unbound kresd dnsmasq)"
	[ -n "$from" ] || from=${CLIENTS%% *}
	case "$from" in 127.*) ;; *) die 2 "--from must be a 127.0.0.0/8 address" ;; esac
	case "$via" in root | sub | auth) norec=+norec ;; esac
	# Bounded: two tries of three seconds at most.
	if [ "$full" = 1 ]; then
		in_tb dig -b "$from" "@$addr" +time=3 +tries=2 $tcp $norec "$name" "$type" "$@"
	else
		in_tb dig -b "$from" "@$addr" +time=3 +tries=2 +noall +answer $tcp $norec \
			"$name" "$type" "$@"
	fi
}

cmd_load() {
	local via=bind from="" qps=100 seconds=5 addr
	while [ $# -gt 0 ]; do
		case "$1" in
		--via)
			via=${2:?}
			shift 2
			;;
		--from)
			from=${2:?}
			shift 2
			;;
		--qps)
			qps=${2:?}
			shift 2
			;;
		--seconds)
			seconds=${2:?}
			shift 2
			;;
		*) usage ;;
		esac
	done
	need_dir
	addr=$(addr_of "$via") || die 2 "unknown server '$via'"
	[ -n "$from" ] || from=${CLIENTS##* }
	case "$qps$seconds" in *[!0-9]*) die 2 "--qps and --seconds take whole numbers" ;; esac
	[ "$qps" -ge 1 ] && [ "$qps" -le "$LOAD_MAX_QPS" ] || die 2 "--qps must be 1..$LOAD_MAX_QPS"
	[ "$seconds" -ge 1 ] && [ "$seconds" -le "$LOAD_MAX_SECONDS" ] ||
		die 2 "--seconds must be 1..$LOAD_MAX_SECONDS"
	in_tb timeout $((seconds + 15)) dnsperf -s "$addr" -a "$from" -d "$DIR/load/queries.txt" \
		-l "$seconds" -Q "$qps" -c 4 -t 3
}

cmd_capture() {
	local what=${1:-} filter a i
	need_dir
	case "$what" in
	start)
		if pid=$(pid_of capture) && alive "$pid"; then
			die 1 "a capture is already running (pid $pid)"
		fi
		filter="port 53"
		if [ -z "$NETNS" ]; then
			# On the host's loopback, keep to the testbed's own traffic.
			filter=""
			for a in $ALL_ADDRS; do
				filter="$filter${filter:+ or }host $a"
			done
			filter="port 53 and ($filter)"
		fi
		rm -f "$DIR/capture.pcap" "$DIR/run/capture.log"
		# --immediate-mode hands every packet to tcpdump at once:
		# otherwise libpcap's TPACKET_V3 ring holds packets until a block
		# fills or its one-second timeout ends, and packets of the last
		# second before "capture stop" are lost. -U writes each packet
		# to the file at once; -Z root keeps the file owned like the
		# rest of the state directory.
		spawn capture "$DIR/run/capture.log" tcpdump -i lo -n --immediate-mode -U -Z root \
			-s 0 -w "$DIR/capture.pcap" "$filter"
		# Queries sent before tcpdump is listening would be lost.
		for ((i = 0; i < 100; i++)); do
			grep -q 'listening on' "$DIR/run/capture.log" 2>/dev/null && return 0
			pid=$(pid_of capture) && alive "$pid" || break
			sleep 0.1
		done
		cat "$DIR/run/capture.log" >&2 || true
		die 1 "tcpdump did not start"
		;;
	stop)
		pid=$(pid_of capture) || die 1 "no capture was started"
		# Let tcpdump write the packets of the last moment.
		sleep 0.3
		stop_group capture
		rm -f "$DIR/run/capture.pid"
		# tcpdump prints its packet counts on exit.
		grep -E 'packets (captured|received|dropped)' "$DIR/run/capture.log" >&2 || true
		;;
	*) usage ;;
	esac
}

# Total size of the dnstap files, with one stat for all of them.
fstrm_size() {
	local n files=() total=0 s
	for n in $DNSTAP_NAMES; do
		[ -e "$DIR/dnstap/$n.fstrm" ] && files+=("$DIR/dnstap/$n.fstrm")
	done
	[ ${#files[@]} -gt 0 ] || {
		printf 0
		return 0
	}
	for s in $(stat -c %s "${files[@]}" 2>/dev/null); do
		total=$((total + s))
	done
	printf '%s' "$total"
}

cmd_flush() {
	local n pid i before after addr stable
	need_dir
	# named keeps dnstap frames in its fstrm queue for up to the flush
	# timeout; "rndc dnstap -reopen" closes that queue, which sends
	# everything at once (with file output it would also truncate, which
	# is why the testbed uses sockets).
	for n in auth bind; do
		addr=$(addr_of "$n")
		in_tb rndc -k "$DIR/run/rndc.key" -s "$addr" -p 953 dnstap -reopen >/dev/null 2>&1 ||
			log "rndc dnstap -reopen failed for $n"
	done
	# Knot Resolver and NSD have no such command: their fstrm queue sends
	# at least once a second (libfstrm's default flush timeout). Unbound's
	# writer thread sends at once.
	sleep 1.1
	# Then make every collector write what it holds (SIGHUP flushes
	# fstrm_capture's stdio buffer) until the files have not grown for
	# three rounds in a row (0.9 s; a starved machine may run a
	# one-second flush timer late), 10 s at most.
	before=-1
	stable=0
	for ((i = 0; i < 33 && stable < 3; i++)); do
		for n in $DNSTAP_NAMES; do
			if pid=$(pid_of "dt-$n") && alive "$pid"; then
				kill -HUP "$pid" 2>/dev/null || true
			fi
		done
		sleep 0.3
		after=$(fstrm_size)
		if [ "$after" = "$before" ]; then
			stable=$((stable + 1))
		else
			stable=0
		fi
		before=$after
	done
	# The text logs need nothing: named and Unbound flush every line,
	# and dnsmasq writes its log queue from its main loop at once.
}

cmd_status() {
	local n pid state addr rc=0
	need_dir
	printf 'state dir: %s\n' "$DIR"
	if [ -n "$NETNS" ]; then
		printf 'network namespace: %s (isolated: nothing else can take port 53 there)\n' "$NETNS"
	else
		printf 'network: host loopback; addresses added: %s\n' \
			"$(tr '\n' ' ' <"$DIR/run/addrs" 2>/dev/null)"
	fi
	for n in $SERVER_NAMES $DT_NAMES capture; do
		addr=""
		case "$n" in dt-* | capture) ;; *) addr=$(addr_of "$n") ;; esac
		if pid=$(pid_of "$n"); then
			if alive "$pid"; then
				state=running
				if [ -n "$addr" ] && ! listening "$addr" udp; then
					state="running, NOT listening"
					rc=1
				fi
			else
				state=dead
				rc=1
			fi
		else
			[ "$n" = capture ] && continue
			pid=-
			state="not started"
			rc=1
		fi
		printf '%-11s %-15s pid %-7s %s\n' "$n" "${addr:--}" "$pid" "$state"
	done
	return $rc
}

# Stops every testbed of this machine: those whose state directory is in
# the temporary directory, then any dnshound-tb-* namespace left without
# one (its processes by PID, from "ip netns pids"). For a test run that
# was SIGKILLed before its EXIT trap could stop its testbed; it also stops
# testbeds still in use.
cmd_reap() {
	local d ns pid pids tmp
	tmp=$(dirname "$(mktemp -u -t x.XXXXXX)")
	for d in "$tmp"/dnshound-testbed.*; do
		[ -d "$d" ] || continue
		[ -f "$d/testbed.env" ] || [ -f "$d/run/netns" ] || [ -f "$d/run/addrs" ] || continue
		log "stopping the testbed in $d"
		bash "$here/testbed.sh" stop --dir "$d" || true
	done
	for ns in $(ip netns list 2>/dev/null | sed -n 's/^\(dnshound-tb-[A-Za-z0-9_-]*\).*/\1/p'); do
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		for pid in $pids; do
			kill -TERM "$pid" 2>/dev/null || true
		done
		sleep 1
		for pid in $pids; do
			alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
		log "removed namespace $ns"
	done
}

cmd_check() {
	local miss
	miss=$(missing_tools)
	[ -z "$miss" ] || die 3 "not installed: $miss"
	DIR=$(mktemp -d -t dnshound-testbed-check.XXXXXX)
	trap 'rm -rf "$DIR"' EXIT
	mkdir -p "$DIR/run"
	render_all
	check_all || die 1 "a configuration does not check"
	printf 'testbed configuration checks passed\n'
}

main() {
	local cmd=${1:-}
	[ -n "$cmd" ] || usage
	shift
	# --dir may come before the command's own options.
	local args=()
	while [ $# -gt 0 ]; do
		if [ "$1" = --dir ] && [ "$cmd" != start ]; then
			DIR=${2:?--dir needs a value}
			shift 2
			continue
		fi
		args+=("$1")
		shift
	done
	case "$cmd" in
	start) cmd_start ${args[@]+"${args[@]}"} ;;
	stop) cmd_stop ${args[@]+"${args[@]}"} ;;
	query) cmd_query ${args[@]+"${args[@]}"} ;;
	load) cmd_load ${args[@]+"${args[@]}"} ;;
	capture) cmd_capture ${args[@]+"${args[@]}"} ;;
	flush) cmd_flush ;;
	status) cmd_status ;;
	check) cmd_check ;;
	reap) cmd_reap ;;
	-h | --help | help) usage 0 ;;
	*) usage ;;
	esac
}

main "$@"
