/*
 * agent_http.h - the agent's HTTPS server and client: TLS 1.3 only, both
 * sides authenticated by certificates (seed 000 section 6.5: "encrypted
 * connection, client authentication, server authentication").
 *
 * The server is libmicrohttpd over GnuTLS; the client is libcurl. Neither
 * parses HTTP itself. What a request means is not decided here: the
 * server hands each complete request, with what it found out about the
 * peer's certificate, to a callback, and returns what the callback put in
 * the response. A request without a client certificate, or with one that
 * does not verify, still reaches the callback (marked so), which refuses
 * it and logs the refusal: a refusal at the TLS layer would leave no
 * trace in the audit log.
 */
#ifndef DH_AGENT_AGENT_HTTP_H
#define DH_AGENT_AGENT_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "util/addr.h"
#include "util/buf.h"

/* What the server learned of the client's certificate. */
struct agent_peer_cert {
	int present;          /* the client sent a certificate */
	int verified;         /* it chains to the trusted CAs and is within its dates */
	char why[96];         /* when not verified: why ("expired", "unknown CA", ...) */
	char fingerprint[65]; /* SHA-256 of the certificate (DER), lower-case hex */
	char cn[128];         /* subject common name, "" when none */
	char issuer[256];     /* issuer distinguished name (RFC 4514 text) */
};

struct agent_http_request {
	const char *method; /* "POST", "GET", ... */
	const char *path;   /* "/v1/trace" */
	const char *body;   /* NUL-terminated copy; len octets */
	size_t len;
	const struct agent_peer_cert *peer;
	struct dh_addr remote; /* the connection's source address */
	size_t too_large;      /* > 0: the body was this many octets, over max_body,
	                          and was dropped (body is empty) */
};

struct agent_http_response {
	unsigned status;          /* HTTP status; 500 if the callback sets none */
	const char *content_type; /* default "application/json" */
	struct dh_buf body;       /* owned by the server; the callback appends */
};

/* Called on one of the server's threads for every complete request;
 * several at once. */
typedef void (*agent_http_fn)(void *ctx, const struct agent_http_request *req,
                              struct agent_http_response *resp);

struct agent_http_config {
	const char *listen;               /* address to bind, "127.0.0.1" or "::"; NULL = any */
	uint16_t port;                    /* 0 = any free port (tests) */
	const char *cert_file, *key_file; /* the server's certificate and key (PEM) */
	const char *ca_file;              /* CAs that client certificates must chain to */
	unsigned threads;                 /* worker threads (default 4) */
	size_t max_body;                  /* larger request bodies get 413 (default 65536) */
	unsigned timeout_s;               /* idle connection timeout (default 30) */
	unsigned max_connections;         /* default 256 */
};

struct agent_http;

/*
 * Binds, loads the certificates and starts serving. Returns 0 and *out
 * (stop with agent_http_stop()), or a negative code with a message naming
 * the file or address in err.
 */
int agent_http_start(struct agent_http **out, const struct agent_http_config *cfg, agent_http_fn fn,
                     void *ctx, char *err, size_t errlen);

/*
 * Reloads certificates, keys and CAs (and every other setting but the
 * address and port) without dropping a request: a new server takes over
 * the same listening socket, and the old one finishes the requests it has
 * before it stops (waiting up to drain_ms). On error the old server goes
 * on as it was. Returns 0 or a negative code with err filled.
 */
int agent_http_reload(struct agent_http *h, const struct agent_http_config *cfg, unsigned drain_ms,
                      char *err, size_t errlen);

/* The port bound (useful with port 0). */
uint16_t agent_http_port(const struct agent_http *h);

/* Stops and frees; requests in progress are finished first. NULL ok. */
void agent_http_stop(struct agent_http *h);

/* ---- client ---- */

struct agent_client_config {
	const char *cert_file, *key_file; /* this agent's client certificate */
	const char *ca_file;              /* CAs the server's certificate must chain to */
	const char *pin;                  /* "sha256//BASE64" of the server's public key, or NULL */
	size_t max_response;              /* larger answers are an error (default 4 MiB) */
};

struct agent_client;

/* Returns 0 and *out (free with agent_client_free()), or a negative code. */
int agent_client_new(struct agent_client **out, const struct agent_client_config *cfg);

void agent_client_free(struct agent_client *c);

/*
 * POSTs body (len octets, JSON) to url (https only) and waits at most
 * timeout_ms for the whole answer. Connections are kept alive between
 * calls and may be used by several threads at once (each call takes a
 * free handle from a small pool). Returns 0 with *status and the answer
 * appended to resp, or a negative code with err filled: -ETIMEDOUT past
 * the deadline, -ECONNREFUSED when nothing listens, DH_EUSAGE for a URL
 * that is not https, -EACCES when TLS fails (the server's certificate or
 * ours was refused).
 */
int agent_client_post(struct agent_client *c, const char *url, const char *body, size_t len,
                      unsigned timeout_ms, unsigned *status, struct dh_buf *resp, char *err,
                      size_t errlen);

/* The same with another method: "GET" (body NULL) or "POST". */
int agent_client_request(struct agent_client *c, const char *method, const char *url,
                         const char *body, size_t len, unsigned timeout_ms, unsigned *status,
                         struct dh_buf *resp, char *err, size_t errlen);

#endif
