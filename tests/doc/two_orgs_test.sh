#!/usr/bin/env bash
# The certificate procedure of doc/deployment.md ("Certificates between
# two organisations"), done as written: two organisations, each with its
# own CA made by certtool and an agent certificate for both TLS uses; B's
# agent names A's by A's CA file and common name (ca-file, cn) and trusts
# the bundle of both CAs. A's agent certificate gets an answer from B; a
# certificate with the same common name from a third CA is refused with
# unknown_peer, and both are in B's audit log, whose chain verifies.
# usage: two_orgs_test.sh DNSHOUND
set -u
DH=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
command -v certtool >/dev/null || { echo "SKIP: certtool is not installed (gnutls-bin)"; exit 77; }
W=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$W"' EXIT
cd "$W" || exit 1
fail=0
check() { # description, command...
	local what=$1
	shift
	if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=1; fi
}
org() { # name, agent common name: the CA (step 1) and the agent certificate (step 2)
	certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 --outfile "ca-$1.key" 2>/dev/null
	printf 'cn = "%s dnshound CA"\norganization = "%s"\nca\ncert_signing_key\nexpiration_days = 30\n' \
		"$1" "$1" >ca.tmpl
	certtool --generate-self-signed --load-privkey "ca-$1.key" --template ca.tmpl \
		--outfile "ca-$1.pem" 2>/dev/null
	certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 --outfile "$1.key" 2>/dev/null
	printf 'cn = "%s"\ndns_name = "localhost"\ntls_www_server\ntls_www_client\nsigning_key\nexpiration_days = 30\n' \
		"$2" >agent.tmpl
	certtool --generate-certificate --load-privkey "$1.key" --load-ca-certificate "ca-$1.pem" \
		--load-ca-privkey "ca-$1.key" --template agent.tmpl --outfile "$1.pem" 2>/dev/null
}
org example-net resolver.example.net
org example-org auth.example.org
org elsewhere resolver.example.net
check "three CAs and agent certificates made" test -s example-net.pem -a -s example-org.pem -a -s elsewhere.pem
# Step 4: each side's ca file holds its own CA and the peer's.
cat ca-example-org.pem ca-example-net.pem >b-ca.pem
cat ca-example-net.pem ca-example-org.pem >a-ca.pem
# Step 6, B's side: A's agent by its CA and common name.
cat >b.conf <<CONF
[agent]
name = auth.example.org
listen = 127.0.0.1
port = 0
cert = $W/example-org.pem
key = $W/example-org.key
ca = $W/b-ca.pem
store = $W/b.store
audit = $W/b.audit
audit-sync = each
server = 127.0.0.53

[source tap]
type = dnstap
path = $W/tap.sock

[peer resolver.example.net]
ca-file = $W/ca-example-net.pem
cn = resolver.example.net
rights = ask, clients, confirm
CONF
check "B's configuration checks" "$DH" agent --config b.conf --check
"$DH" agent --config b.conf 2>b.err &
pid=$!
port=""
for _ in $(seq 100); do
	port=$(sed -n 's/.*serving \[[^]]*\]:\([0-9]*\).*/\1/p' b.err)
	[ -n "$port" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
[ -n "$port" ] || { cat b.err; echo "FAIL: B's agent did not start"; exit 1; }
trace() { # certificate name
	timeout 30 "$DH" trace --agent "https://localhost:$port" --fqdn www.example.org \
		--time 2026-12-01T10:00:00Z --cert "$1.pem" --key "$1.key" --ca a-ca.pem --json
}
trace example-net >a.json 2>a.err
check "A's agent certificate is answered" python3 -c \
	'import json,sys; a=json.load(open(sys.argv[1])); sys.exit(0 if "candidates" in a and not a.get("error") else 1)' a.json
trace elsewhere >c.json 2>c.err
check "the same name from a third CA is refused as unknown_peer" grep -q unknown_peer c.json c.err
kill "$pid"
wait "$pid" 2>/dev/null
pid=""
check "the answer is in B's audit log" grep -q '"peer_cn":"resolver.example.net"' b.audit
check "the refusal is in B's audit log" grep -q '"type":"refused"' b.audit
check "B's audit chain verifies" "$DH" agent audit-verify b.audit
[ $fail -eq 0 ] || { echo "--- a.err"; cat a.err; echo "--- c.json c.err"; cat c.json c.err; echo "--- b.err"; cat b.err; }
exit $fail
