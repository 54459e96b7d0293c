#!/usr/bin/env bash
# The example configurations the package installs are real: with the
# placeholders an operator replaces (certificate paths, the store, the
# audit log, the socket, the peers' fingerprints) filled in, each one
# passes "dnshound agent --config FILE --check".
# usage: examples_test.sh DNSHOUND SOURCE_ROOT
set -u
DH=$1 ROOT=$2
command -v certtool >/dev/null || { echo "SKIP: certtool is not installed (gnutls-bin)"; exit 77; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
bash "$ROOT/tests/agent/mkcerts.sh" "$W" >/dev/null 2>&1 || { echo "FAIL: making certificates"; exit 1; }
fp=$(certtool --fingerprint --hash sha256 --infile "$W/res.pem")
fail=0
n=0
for f in "$ROOT"/doc/examples/agent-*.conf; do
	n=$((n + 1))
	grep -q '^fingerprint = ..:..:\.\.\.:..$' "$f" || { echo "FAIL: $f has no placeholder fingerprint to fill"; fail=1; }
	sed -e "s|/etc/dnshound/agent.pem|$W/dest.pem|" -e "s|/etc/dnshound/agent.key|$W/dest.key|" \
		-e "s|/etc/dnshound/peers-ca.pem|$W/ca.pem|" -e "s|/var/lib/dnshound/store|$W/store|" \
		-e "s|/var/log/dnshound/audit.log|$W/audit.log|" -e "s|/run/dnshound/|$W/|" \
		-e "s|^fingerprint = ..:..:\.\.\.:..$|fingerprint = $fp|" "$f" >"$W/t.conf"
	if out=$("$DH" agent --config "$W/t.conf" --check 2>&1); then
		echo "ok: $(basename "$f"): $out"
	else
		echo "FAIL: $(basename "$f"): $out"
		fail=1
	fi
done
[ "$n" -ge 2 ] || { echo "FAIL: only $n example configurations"; fail=1; }
exit $fail
