#!/usr/bin/env bash
# Makes the certificates of the agent's TLS tests in directory $1: a CA
# with a server and a client certificate, an expired client certificate of
# the same CA, a client certificate of another CA, and a certificate that
# is not yet valid. GnuTLS's certtool, with ECDSA P-256 keys (fast to make).
set -eu
d=$1
mkdir -p "$d"
cd "$d"
key() { certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 --outfile "$1" 2>/dev/null; }
tmpl() { # name, body lines...
	local f=$1; shift
	printf '%s\n' "$@" >"$f"
}
ca() { # name, cn
	key "$1.key"
	tmpl "$1.tmpl" "cn = \"$2\"" "ca" "cert_signing_key" "expiration_days = 30"
	certtool --generate-self-signed --load-privkey "$1.key" --template "$1.tmpl" \
		--outfile "$1.pem" 2>/dev/null
}
leaf() { # name, ca, cn, usage, extra template lines...
	local n=$1 c=$2 cn=$3 use=$4; shift 4
	key "$n.key"
	tmpl "$n.tmpl" "cn = \"$cn\"" "$use" "signing_key" "encryption_key" "$@"
	certtool --generate-certificate --load-privkey "$n.key" --load-ca-certificate "$c.pem" \
		--load-ca-privkey "$c.key" --template "$n.tmpl" --outfile "$n.pem" 2>/dev/null
}
ca ca "dnshound test CA"
ca other-ca "another CA"
leaf server ca localhost tls_www_server 'dns_name = "localhost"' 'ip_address = "127.0.0.1"' \
	'expiration_days = 30'
leaf client ca "resolver-a.example" tls_www_client 'expiration_days = 30'
leaf client2 ca "resolver-b.example" tls_www_client 'expiration_days = 30'
leaf expired ca "resolver-a.example" tls_www_client \
	'activation_date = "2020-01-01 00:00:00 UTC"' 'expiration_date = "2020-02-01 00:00:00 UTC"'
leaf future ca "resolver-a.example" tls_www_client \
	'activation_date = "2099-01-01 00:00:00 UTC"' 'expiration_date = "2099-02-01 00:00:00 UTC"'
leaf stranger other-ca "resolver-a.example" tls_www_client 'expiration_days = 30'
# Agents are servers to those who ask them and clients of those they ask.
for a in dest res fwd unb victim; do
	leaf "$a" ca "$a.example" tls_www_server tls_www_client 'dns_name = "localhost"' \
		'ip_address = "127.0.0.1"' 'expiration_days = 30'
done
leaf intruder other-ca "victim.example" tls_www_client 'expiration_days = 30'
# The server's second certificate, for the reload test.
leaf server2 ca localhost tls_www_server 'dns_name = "localhost"' 'ip_address = "127.0.0.1"' \
	'expiration_days = 30'
rm -f ./*.tmpl
