/*
 * agent.h - the traceback agent that runs beside one DNS server: the
 * protocol served over HTTPS (agent_http.h), every request and answer in
 * the audit log (agent_audit.h), relays to peer agents over HTTPS, and
 * the counters an operator watches (status in JSON, and Prometheus's text
 * format).
 *
 * What a request means is the trace layer's (trace.h); this file adds the
 * sockets. The trace logic is not reentrant, so requests run it one at a
 * time, but a request that is waiting for its peers' answers lets the
 * others go on: the lock is released for the time of every relay. The
 * ingest of the server's events (sources into the store) is the command
 * layer's; the agent reads the store through a handle of its own.
 *
 * Endpoints: POST /v1/trace (the protocol, doc/protocol.md); GET
 * /v1/status and GET /metrics, for the agent's own certificate and the
 * admin fingerprints of the configuration.
 */
#ifndef DH_AGENT_AGENT_H
#define DH_AGENT_AGENT_H

#include <stdint.h>

#include "agent/agent_conf.h"
#include "store/store.h"
#include "util/buf.h"

/* Counters of the ingest side, kept by the command layer and read by the
 * status endpoint (updated with relaxed atomics: a status report may be a
 * moment old, never torn). */
struct agent_ingest_stats {
	uint64_t events;      /* events stored */
	uint64_t bad;         /* bad records skipped */
	uint64_t drops;       /* events lost before the store (kernel, writer) */
	uint64_t checkpoints; /* commits that made events visible */
	int64_t last_event_ns;
	int64_t last_commit_ns;
	unsigned sources;         /* sources configured */
	unsigned sources_running; /* sources whose loop is running */
};

struct agent;

/*
 * Starts the agent of configuration conf (copied) with store (borrowed,
 * a handle of its own, e.g. opened STORE_READONLY; must outlive the
 * agent) and ingest counters (borrowed; may be NULL). Loads or makes the
 * OPRF key, opens the audit log (refusing one that does not verify),
 * binds and serves. Returns 0 and *out (free with agent_free()), or a
 * negative code with err saying what and where.
 */
int agent_new(struct agent **out, const struct agent_conf *conf, struct store *store,
              const struct agent_ingest_stats *ingest, char *err, size_t errlen);

/*
 * Takes a new configuration (a SIGHUP): peers, rights, certificates and
 * limits. name, listen, port, store and audit stay as they were (a change
 * is reported in err and ignored). No request is dropped: requests in
 * progress finish under the old peer table. Returns 0 or a negative code
 * (the old configuration then stays in force).
 */
int agent_reload(struct agent *a, const struct agent_conf *conf, char *err, size_t errlen);

/* The port served (useful with port 0). */
uint16_t agent_port(const struct agent *a);

/* Appends the status as one JSON object / the Prometheus text. */
void agent_status_json(struct agent *a, struct dh_buf *out);
void agent_metrics(struct agent *a, struct dh_buf *out);

/* Stops serving (finishing the requests in progress) and frees. NULL ok. */
void agent_free(struct agent *a);

#endif
