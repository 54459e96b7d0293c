#!/usr/bin/env bash
# The testbed must never leave anything behind: this test breaks it on
# purpose (a server killed, a collector killed, a server frozen so it
# ignores SIGTERM) and checks that stop still removes every process,
# the namespace and the state directory; that a refused start leaves
# nothing; and that the host-loopback mode removes the addresses it added.
set -u
. "$(dirname "$0")/lib.sh"
tb_init

# A start that is refused (state dir not empty) must not create anything.
scratch=$(mktemp -d)
touch "$scratch/not-empty"
rc=0
tb_script start --dir "$scratch" >/dev/null 2>&1 || rc=$?
tb_check "start refuses a non-empty state dir" test "$rc" -ne 0
tb_check "the refused start left the user's file" test -e "$scratch/not-empty"
# Its namespace would be named after the directory (other tests may run
# testbeds of their own meanwhile, so count nothing else).
base=$(basename "$scratch" | tr -c 'A-Za-z0-9_\n-' '-')
tb_check "the refused start made no namespace" \
	sh -c "! ip netns list | grep -qF 'dnshound-tb-$base'"
rm -rf "$scratch"

# Break a running testbed, then stop it.
tb_start
read -r unbound_pid <"$TB_UNBOUND_PIDFILE"
read -r dnsmasq_pid <"$TB_DNSMASQ_PIDFILE"
read -r collector_pid <"$TB_DIR/run/dt-kresd.pid"
kill -KILL "$unbound_pid" "$collector_pid"
# A stopped process does not act on SIGTERM: stop has to time out and
# use SIGKILL.
kill -STOP "$dnsmasq_pid"
tb_check "status reports the killed server" sh -c "! bash '$TB_SCRIPT_PATH' status --dir '$TB_DIR' >/dev/null"
a=$(tb_query --via kresd --from "$TB_CLIENT1" www.test A 2>&1)
tb_check "kresd still answers with its collector gone" tb_contains "$a" 192.0.2.80
tb_stop_and_check_clean
rc=0
tb_script stop --dir "$TB_STARTED_DIR" >/dev/null 2>&1 || rc=$?
tb_check "a second stop fails cleanly" test "$rc" -ne 0

# Host mode: the machine's own loopback, addresses added and removed.
collide=0
for a in 127.0.0.10 127.0.0.20 127.0.0.21 127.0.0.31 127.0.0.32 127.0.0.33 127.0.0.34; do
	ss -Hlnu 2>/dev/null | grep -qE "[[:space:]]$a:53[[:space:]]" && collide=1
done
if [ "$collide" = 1 ]; then
	tb_note "host mode not tried: port 53 is in use on a testbed address of this machine"
else
	tb_start --host
	tb_check "host mode: no namespace" test -z "$TB_NETNS"
	a=$(tb_query --via unbound --from "$TB_CLIENT2" www.test A 2>&1)
	tb_check "host mode: unbound answers" tb_contains "$a" 192.0.2.80
	tb_stop_and_check_clean
fi

tb_finish
