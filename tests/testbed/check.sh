#!/usr/bin/env bash
# Renders every testbed configuration and zone and checks them with the
# servers' own checkers (named-checkconf, named-checkzone, nsd-checkconf,
# nsd-checkzone, unbound-checkconf, dnsmasq --test), without starting
# anything: fast, and needs no root.
set -u
root=${DH_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PATH="$PATH:/usr/sbin:/sbin"
rc=0
out=$(bash "$root/scripts/testbed.sh" check 2>&1) || rc=$?
printf '%s\n' "$out"
case "$rc" in
0) ;;
3)
	echo "SKIP: DNS servers not installed (bash scripts/deps.sh)"
	exit 77
	;;
*) exit 1 ;;
esac
echo "testbed configuration: ok"
