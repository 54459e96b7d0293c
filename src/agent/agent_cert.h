/*
 * agent_cert.h - certificates for agents, made with GnuTLS: a CA of an
 * organisation and the certificates it issues to its agents. For the
 * demo and tests, and for an operator who has no CA of their own yet
 * (doc/deployment.md says how to use an existing one).
 *
 * Keys are ECDSA P-256. An agent's certificate serves both ways (TLS WWW
 * server and client), since every agent is the server of those who ask
 * it and the client of those it asks.
 */
#ifndef DH_AGENT_AGENT_CERT_H
#define DH_AGENT_AGENT_CERT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Writes a self-signed CA certificate (CN cn) and its key to cert_path and
 * key_path (PEM; the key mode 0600), valid from an hour ago for days
 * days. Returns 0 or a negative code; err says what failed.
 */
int agent_cert_make_ca(const char *cn, unsigned days, const char *cert_path, const char *key_path,
                       char *err, size_t errlen);

/*
 * Issues a certificate for an agent (CN cn, and the subject alternative
 * names "localhost", 127.0.0.1 and, when not NULL, host) signed by the CA
 * in ca_cert/ca_key, written as above. Returns 0 or a negative code.
 */
int agent_cert_make_agent(const char *cn, const char *host, unsigned days, const char *ca_cert,
                          const char *ca_key, const char *cert_path, const char *key_path,
                          char *err, size_t errlen);

/* The SHA-256 fingerprint of the first certificate in path, lower-case
 * hex (65 bytes with the NUL). Returns 0 or a negative code. */
int agent_cert_fingerprint(const char *path, char out[65]);

#endif
