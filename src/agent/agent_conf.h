/*
 * agent_conf.h - the agent's configuration file (dnshound.conf(5)).
 *
 *   [agent]            who this agent is and what it serves
 *   [source NAME]      one input of its DNS server's events (repeatable)
 *   [peer NAME]        one agent it trusts, and with what (repeatable)
 *
 * The syntax is util/conf.h's. Everything is checked at load: unknown
 * sections and keys, values out of range, a peer without an identity or
 * URL, two peers with one name, certificate files that cannot be read; the
 * first error names the file and the line, and nothing is started.
 * doc/protocol.md lists every key.
 */
#ifndef DH_AGENT_AGENT_CONF_H
#define DH_AGENT_AGENT_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "trace/trace.h"
#include "util/addr.h"

#define AGENT_PATH_MAX    1024
#define AGENT_SOURCES_MAX 16
#define AGENT_PEERS_MAX   256
#define AGENT_ADMINS_MAX  16

enum agent_source_type {
	AGENT_SRC_DNSTAP = 1,  /* a dnstap socket the server writes to */
	AGENT_SRC_CAPTURE = 2, /* live capture on an interface */
	AGENT_SRC_FOLLOW = 3,  /* a growing log or dnstap file */
};

enum { AGENT_SYNC_NO = 0, AGENT_SYNC_EACH = 1, AGENT_SYNC_PERIODIC = 2 };
#define AGENT_SYNC_PERIOD_MS 200

struct agent_source {
	char name[64];
	unsigned type;             /* enum agent_source_type */
	char path[AGENT_PATH_MAX]; /* socket (dnstap) or file (follow) */
	char iface[64];            /* capture */
	char format[32];           /* follow: "auto" or a format name */
	char filter[256];          /* capture: BPF filter, "" = DNS ports */
	unsigned line;             /* where the section starts */
};

struct agent_conf {
	char path[AGENT_PATH_MAX]; /* the file read */
	char name[TRACE_AGENT_MAX + 1];
	char listen[64];
	uint16_t port;
	char cert[AGENT_PATH_MAX], key[AGENT_PATH_MAX], ca[AGENT_PATH_MAX];
	char store[AGENT_PATH_MAX];
	char audit[AGENT_PATH_MAX];
	char oprf_key[AGENT_PATH_MAX];
	/* When audit entries reach the disk: AGENT_SYNC_EACH before each
	 * answer goes out, AGENT_SYNC_PERIODIC within AGENT_SYNC_PERIOD_MS
	 * (the default), AGENT_SYNC_NO when the kernel writes them. */
	int audit_sync;
	size_t nservers;
	struct dh_addr servers[TRACE_SERVERS_MAX];
	size_t ndownstream;
	struct dh_addr downstream[TRACE_SERVERS_MAX];
	int sees_upstream;
	double retention_s; /* 0 = keep everything */
	unsigned threads;
	size_t max_body;
	uint32_t lookback_default_s, lookback_max_s, cc_lookback_s;
	unsigned relay_timeout_ms; /* the longest a relay may wait */
	size_t nadmins;            /* certificate fingerprints allowed status */
	char admins[AGENT_ADMINS_MAX][TRACE_FPR_MAX + 1];
	size_t nsources;
	struct agent_source sources[AGENT_SOURCES_MAX];
	size_t npeers;
	struct trace_peer *peers; /* owned, npeers entries */
};

/*
 * Reads and checks the file at path into c (c is initialised here).
 * Returns 0, or a negative code with "FILE:LINE: what" in err; c is then
 * released. Release with agent_conf_release() in every case.
 */
int agent_conf_load(struct agent_conf *c, const char *path, char *err, size_t errlen);

void agent_conf_release(struct agent_conf *c);

#endif
