/*
 * trace.h - the traceback agent's logic, which knows nothing of sockets
 * (seed 000 sections 4.2-4.5 and 6.3; doc/protocol.md).
 *
 * An agent runs beside one DNS server and reads that server's events only
 * through the store's query interface. Given a request (trace_msg.h) it
 * finds who asked its server for the name: downstream resolvers and
 * forwarders over the record's TTL before the attack (their caches answer
 * end hosts without asking again, section 6.1), end hosts only in the
 * short window. It relays to the agents of the downstream servers it
 * found (sections 4.2 step 2 and 4.3), ranks the hosts (section 4.4),
 * adds its confirmation data (section 4.5) and the C&C lookback (section
 * 6.3), and answers.
 *
 * The transport and the clock are interfaces, so the same logic runs over
 * HTTPS in the daemon and over trace_fake (below) in tests: several agents
 * in one process, with peers that are down, slow or refusing.
 */
#ifndef DH_TRACE_TRACE_H
#define DH_TRACE_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "trace/trace_msg.h"
#include "trace/trace_oprf.h"
#include "util/addr.h"

/* ---- peers and rights (doc/protocol.md section 5) ---- */

enum trace_right {
	TRACE_R_ASK = 1,     /* may start a traceback (hops 0) */
	TRACE_R_RELAY = 2,   /* may relay a traceback (hops > 0) */
	TRACE_R_CLIENTS = 4, /* may receive end-host addresses and their names */
	TRACE_R_CONFIRM = 8, /* may send confirm requests */
};

#define TRACE_FPR_MAX     64 /* SHA-256 of the certificate, hex */
#define TRACE_DN_MAX      128
#define TRACE_URL_MAX     256
#define TRACE_SERVERS_MAX 16

/* Who sent a request, as the transport authenticated it. */
struct trace_ident {
	char fingerprint[TRACE_FPR_MAX + 1]; /* "" when unknown */
	char ca[TRACE_DN_MAX];               /* the issuing CA's name */
	char name[TRACE_DN_MAX];             /* the certificate's subject name */
};

struct trace_peer {
	char name[TRACE_AGENT_MAX + 1]; /* the agent's name, as on paths */
	/* Identity: the fingerprint, or else CA plus name. */
	char fingerprint[TRACE_FPR_MAX + 1];
	char ca[TRACE_DN_MAX];
	char cn[TRACE_DN_MAX];
	char url[TRACE_URL_MAX]; /* where its agent listens */
	size_t nservers;         /* the DNS server addresses it speaks for */
	struct dh_addr servers[TRACE_SERVERS_MAX];
	unsigned rights;    /* enum trace_right bits */
	double rate, burst; /* requests per second and bucket size; 0 = none */
	/* Token bucket, kept by the agent that owns the table. */
	double tokens;
	int64_t bucket_ns;
};

/* Parses "ask,relay,clients,confirm" (any subset, comma-separated) into
 * *rights. Returns 0 or DH_EUSAGE naming nothing (the caller names the
 * line). */
int trace_rights_parse(const char *text, unsigned *rights);

/* Which peer ident is: by fingerprint (case-insensitive), else by CA and
 * name. Returns the index in peers[], or -1. */
int trace_peer_match(const struct trace_peer *peers, size_t n, const struct trace_ident *ident);

/* Which peer speaks for DNS server addr: index or -1. */
int trace_peer_by_server(const struct trace_peer *peers, size_t n, const struct dh_addr *addr);

/*
 * Is request r allowed from peer p at now_ns? Takes one token from p's
 * bucket when it is. Returns 0, TRACE_EFORBID (message in err) or
 * TRACE_ERATE.
 */
int trace_peer_admit(struct trace_peer *p, const struct trace_request *r, int64_t now_ns, char *err,
                     size_t errlen);

/* ---- clock and transport ---- */

struct trace_clock {
	int64_t (*now_ns)(void *ctx); /* ns since the epoch (UTC) */
	void *ctx;
};

/* The system's realtime clock. */
struct trace_clock trace_clock_system(void);

/* One exchange with one peer. */
struct trace_call {
	const struct trace_peer *peer; /* borrowed: whom to ask */
	const char *req;               /* borrowed: the request's JSON */
	size_t req_len;
	char *ans;                   /* out, from malloc(); the caller frees it */
	size_t ans_len;              /* out */
	int rc;                      /* out: 0, TRACE_EDOWN, TRACE_EDEADLINE or another code */
	char detail[TRACE_TEXT_MAX]; /* out: why, when rc != 0 */
};

struct trace_transport {
	/* Sends every call's request and waits for the answers until
	 * deadline_ns at the latest (calls run concurrently where the
	 * transport can). Every call gets rc set. */
	void (*exchange)(void *ctx, struct trace_call *calls, size_t n, int64_t deadline_ns);
	void *ctx;
};

/* ---- the agent ---- */

struct trace_agent_config {
	const char *name;    /* borrowed for the call: this agent's name */
	struct store *store; /* borrowed; must outlive the agent */
	/* The DNS server addresses this agent speaks for: queries to them
	 * are its server's clients', queries from them its upstream side. */
	const struct dh_addr *servers;
	size_t nservers;
	/* Known resolvers and forwarders below this server that have no
	 * agent (reported as unreached "no_agent"). */
	const struct dh_addr *downstream;
	size_t ndownstream;
	int sees_upstream; /* its events include its own upstream queries, so
	                      "served from cache" can be told */
	struct trace_clock clock;
	struct trace_transport transport;
	uint8_t oprf_key[TRACE_OPRF_KEY];
	uint32_t default_lookback_s; /* when no TTL is in the log (0 = 7200) */
	uint32_t max_lookback_s;     /* cap on the TTL lookback (0 = 86400) */
	uint32_t cc_lookback_s;      /* C&C lookback before the attack (0 = 3600) */
	unsigned cc_bots;            /* top candidates taken as bots (0 = 16) */
};

struct trace_agent_stats {
	uint64_t requests;  /* requests received */
	uint64_t served;    /* answered without error */
	uint64_t refused;   /* answered with an error */
	uint64_t relayed;   /* requests sent to peers */
	uint64_t unreached; /* peers not reached */
};

struct trace_agent;

/* Makes an agent. The peer table (peers, n) is copied. Returns 0 and
 * *out (free with trace_agent_free()), or a negative code. */
int trace_agent_new(struct trace_agent **out, const struct trace_agent_config *cfg,
                    const struct trace_peer *peers, size_t npeers);
void trace_agent_free(struct trace_agent *ag);

/* Replaces the peer table (a reload); buckets restart full. */
int trace_agent_set_peers(struct trace_agent *ag, const struct trace_peer *peers, size_t n);

/*
 * Handles one request (req, len: untrusted, borrowed) from the
 * authenticated ident. Always answers, with an error answer when the
 * request is refused: *ans (from malloc(), caller frees) of *ans_len
 * bytes. Returns 0, or a negative code when not even an error answer
 * could be made (out of memory).
 */
int trace_agent_handle(struct trace_agent *ag, const struct trace_ident *from, const uint8_t *req,
                       size_t len, char **ans, size_t *ans_len);

void trace_agent_stats(const struct trace_agent *ag, struct trace_agent_stats *st);

/* ---- requests made by the victim side ---- */

/* Fills r for a first-hop trace of fqdn (or victim, when fqdn is NULL)
 * with attack times in ms, window_s and a deadline; the request id is
 * fresh random hex. Returns 0 or TRACE_EBADREQ. */
int trace_request_init(struct trace_request *r, const char *originator, const char *fqdn,
                       const struct dh_addr *victim, int64_t start_ms, int64_t end_ms,
                       uint32_t window_s, int64_t deadline_ms);

/* ---- the fake transport (tests, benchmarks, simulations) ---- */

struct trace_fake;

/* A network of agents in one process, with its own clock starting at
 * start_ns that advances only by scripted delays. */
int trace_fake_new(struct trace_fake **out, int64_t start_ns);
void trace_fake_free(struct trace_fake *net);

/* Declares the node of agent name with the identity it presents; returns
 * 0 and the transport and clock that agent must be configured with. */
int trace_fake_node(struct trace_fake *net, const char *name, const struct trace_ident *ident,
                    struct trace_transport *tr, struct trace_clock *clock);
/* Attaches the agent made for node name (borrowed; outlives the net). */
int trace_fake_attach(struct trace_fake *net, const char *name, struct trace_agent *ag);

/* Scripts: a node that is down (calls fail with TRACE_EDOWN); one that
 * answers delay_ms late (the clock advances by that much); one that
 * answers every request with an error of code. */
int trace_fake_down(struct trace_fake *net, const char *name, int down);
int trace_fake_delay(struct trace_fake *net, const char *name, int64_t delay_ms);
int trace_fake_refuse(struct trace_fake *net, const char *name, int code);

int64_t trace_fake_now(const struct trace_fake *net);
void trace_fake_advance(struct trace_fake *net, int64_t ns);
/* Requests delivered to node name so far. */
uint64_t trace_fake_delivered(const struct trace_fake *net, const char *name);

/*
 * Sends request bytes to agent name as the given identity (as the victim
 * host would) and returns its answer (*ans from malloc()). Returns 0 or
 * the code the transport would report.
 */
int trace_fake_ask(struct trace_fake *net, const char *name, const struct trace_ident *as,
                   const char *req, size_t len, char **ans, size_t *ans_len);

#endif
