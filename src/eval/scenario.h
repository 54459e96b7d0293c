/*
 * scenario.h - labelled DNS traffic of a network, generated from a seed.
 *
 * A population of benign clients, mail servers and forwarders asks one
 * caching resolver; some clients are infected and show one bot behaviour
 * each (seeds 000, 001 and 003 and beyond: see doc/evaluation.md section
 * 2 for what each models and where its parameters come from). The
 * resolver answers from a cache that honours TTLs and asks upstream only
 * on a miss, so its upstream side shows what a real one would. The same
 * traffic is written as a capture at the resolver (pcap), as the
 * resolver's BIND query log and as its dnstap, together with the ground
 * truth (truth.json): every infected host, its behaviour, its active
 * interval and the parameters drawn for it.
 *
 * Deterministic: the same configuration gives the same bytes in every
 * file. Nothing is allocated per message.
 */
#ifndef DH_EVAL_SCENARIO_H
#define DH_EVAL_SCENARIO_H

#include <stdint.h>

#include "util/addr.h"

/* Bot behaviours. */
enum scenario_behaviour {
	SCEN_B_SPAM = 0,   /* resolves MX records itself (seed 001; seed 000 Fig. 3) */
	SCEN_B_MAILER,     /* mail/smtp/mx-prefixed A names via the resolver (seed 001) */
	SCEN_B_WORM,       /* IP literals queried as names (seed 001) */
	SCEN_B_DDOS,       /* C&C names, then the victim's FQDN, then a flood (seed 000) */
	SCEN_B_DDOS_NORES, /* C&C names and a flood without resolving (seed 000 Table 1) */
	SCEN_B_FEEDER,     /* TXT straight to a hard-coded address (seed 003, Feederbot) */
	SCEN_B_MORTO,      /* TXT to an address learned from an A answer (seed 003, Morto) */
	SCEN_B_DGA,        /* bursts of random names, nearly all NXDOMAIN */
	SCEN_B_TUNNEL,     /* long high-entropy labels, TXT and NULL */
	SCEN_B_BEACON,     /* one C&C name at a fixed period */
	SCEN_B_COUNT
};

/* The behaviour's name in --bots and truth.json ("spam-mx" ...), or NULL. */
const char *scenario_behaviour_name(unsigned b);

struct scenario_config {
	uint64_t seed;
	uint32_t clients;   /* benign stub clients (infected ones among them) */
	double hours;       /* length of the scenario */
	int64_t start_ns;   /* first instant, ns since the epoch */
	double client_rate; /* a client's mean lookups per second over a day */
	uint32_t mail_servers;
	uint32_t forwarders;
	uint32_t bots[SCEN_B_COUNT]; /* infected hosts per behaviour */
};

/* Fills cfg with the defaults (seed 1, 2000 clients, 1 hour from
 * 2026-03-02 00:00 UTC, one bot of each kind and three DDoS bots). */
void scenario_config_default(struct scenario_config *cfg);

/* Parses a --bots spec, "NAME=N[,NAME=N...]", into cfg->bots; names not
 * given keep their count, "none" sets all to 0. Returns 0 or
 * DH_EUSAGE. */
int scenario_config_bots(struct scenario_config *cfg, const char *spec);

/* One infected host of the ground truth. */
struct scenario_bot {
	struct dh_addr addr;
	unsigned behaviour;
	int64_t from_ns, to_ns; /* active interval, [from, to) */
	double rate;            /* queries per second of the behaviour, or 0 */
	double period_s;        /* beacon, C&C or burst period, or 0 */
	char domain[64];        /* C&C or tunnel domain, or "" */
	struct dh_addr c2;      /* the C&C address queried directly, or none */
	/* What was generated. */
	uint64_t queries;  /* DNS queries of the behaviour */
	uint64_t direct;   /* of them sent to a server other than the resolver */
	uint64_t nxdomain; /* NXDOMAIN answers received */
	uint64_t flood;    /* attack packets sent */
};

/* One attack of the DDoS bots. */
struct scenario_attack {
	char victim[64]; /* FQDN */
	struct dh_addr addr;
	int64_t start_ns, end_ns;
};

struct scenario_stats {
	uint64_t messages;         /* DNS messages generated (all outputs) */
	uint64_t client_queries;   /* to the resolver */
	uint64_t cache_hits;       /* client queries answered from the cache */
	uint64_t upstream_queries; /* resolver to authoritative servers */
	uint64_t direct_queries;   /* clients to servers other than the resolver */
	uint64_t tcp_queries;      /* client queries over TCP */
	uint64_t flood_packets;
	uint64_t pcap_packets;
	uint64_t bytes_pcap, bytes_log, bytes_dnstap;
};

/* The result of a run. Owned by the caller: free with
 * scenario_result_free(). */
struct scenario_result {
	struct scenario_config cfg;
	struct dh_addr resolver4, resolver6;
	uint32_t nbots;
	struct scenario_bot *bots; /* owned, nbots entries */
	uint32_t nattacks;
	struct scenario_attack *attacks; /* owned */
	struct scenario_stats stats;
};

/*
 * Generates the scenario into directory dir (which must exist):
 * traffic.pcap, resolver-query.log, resolver.dnstap and truth.json.
 * Returns 0 and *out, or a negative code (errno or DH_E*); nothing is
 * printed.
 */
int scenario_run(const struct scenario_config *cfg, const char *dir, struct scenario_result **out);

void scenario_result_free(struct scenario_result *res);

#endif
