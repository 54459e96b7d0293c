/*
 * nshist.h - seed 003's NS-record history, and the check of every DNS query
 * against it.
 *
 * Seed 003 (Ichise, Jin, Iida 2017) observes that a host resolving names
 * the normal way learns a name server's address from an NS record and its
 * glue before it ever sends that server a query, while Feederbot sends DNS
 * straight to a hard-coded address (seed 003 Fig. 1(b)) and Morto to an
 * address it got from an ordinary A answer (Fig. 1(a)). The history keeps
 * what the responses taught:
 *
 *   - NS rows: the seed's NS_DB columns (res_time, zname, nsttl, nsfqdn,
 *     glueAttl, glueA; section 3.3), with AAAA glue as well, first and
 *     last seen, and the query whose response taught the row (the seed's
 *     query_DB columns querytime, queryid, queryname; section 3.2).
 *   - answer rows: addresses seen in ordinary A/AAAA answers, with the
 *     name asked, so that "indirect" can be told from "unknown".
 *
 * What is learned from what (doc/nshist.md):
 *   - NS records of a NOERROR response, in the answer section or the
 *     authority section (authoritative answers and referrals alike), for
 *     a zone at or above the query name. NS records for a zone that does
 *     not contain the query name are ignored: no resolver follows them,
 *     and a forged response must not register a name server.
 *   - Glue from the additional section, only for an NS name inside the
 *     zone's bailiwick (at or below zname).
 *   - Where the glue is missing, from a later A/AAAA answer whose query
 *     name is the NS name, within glue_window_ns of the NS response
 *     (seed 003 section 4: two seconds). NS names are never aliases
 *     (RFC 2181 section 10.3), so the answer's owner is the query name.
 *   - Every other A/AAAA answer record (owner in the answer section)
 *     makes an answer row.
 *
 * Rows are merged: a sighting of the same (zname, nsfqdn, glue) within
 * the row's validity extends it instead of adding a row, so feeding the
 * same data twice adds nothing (the build is idempotent) and a history of
 * a busy network grows with its name servers, not its responses.
 *
 * The check (nshist_check()) needs one hash probe per query when the
 * address is current glue: every glue address maps to its slot, which
 * holds its newest glue interval; older intervals of the same address
 * are walked only when the newest does not cover the query's time, and
 * the answer table (addresses of ordinary answers, kept apart so that
 * learning them stays in the caches) is probed only then.
 */
#ifndef DH_NSHIST_NSHIST_H
#define DH_NSHIST_NSHIST_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"
#include "util/addr.h"

#define NSHIST_SEC_NS 1000000000LL

struct nshist_config {
	/* Seed 003 section 4: glue missing from the additional section is
	 * taken from an A/AAAA answer for the NS name received within this
	 * time after the NS response. Default 2 s. */
	int64_t glue_window_ns;
	/* Glue stays valid for its TTL after it was last seen, plus this
	 * grace. Default 3600 s (doc/nshist.md). */
	int64_t grace_ns;
	/* 0: referrals (NS in the authority section of a non-authoritative
	 * response) are not learned. Default 1, as the issue asks. */
	int referrals;
	/* 0: ordinary A/AAAA answers are not kept (seed 003's NS_DB alone):
	 * indirect can then not be told from unknown, and the build costs
	 * a probe less per answer record (BENCHMARKS.md). Default 1. */
	int answers;
};

/* Fills cfg with the defaults above. */
void nshist_config_init(struct nshist_config *cfg);

/* How a row's glue was learned. */
enum nshist_src {
	NSHIST_SRC_NONE = 0,       /* no glue: NS name only */
	NSHIST_SRC_ADDITIONAL = 1, /* additional section of the NS response */
	NSHIST_SRC_LATER = 2,      /* a later A/AAAA answer within the window */
};

/* "none", "additional", "later-answer". */
const char *nshist_src_name(unsigned src);

/* One NS row. Strings are owned by the history and live as long as it. */
struct nshist_ns {
	int64_t res_ns;    /* res_time: when the NS response was received */
	const char *zname; /* the zone, lower-case, trailing dot */
	uint32_t nsttl;
	const char *nsfqdn;
	uint32_t glue_ttl;   /* glueAttl (or AAAA); 0 when no glue */
	struct dh_addr glue; /* glueA or AAAA; family DH_AF_NONE when none */
	uint8_t src;         /* enum nshist_src */
	int64_t first_ns;    /* when the address became glue (or res_ns) */
	int64_t last_ns;     /* the latest sighting */
	/* The query whose response taught the row (seed 003 query_DB);
	 * query_ns is -1 when the query was not seen. */
	int64_t query_ns;
	uint16_t query_id;
	uint16_t qtype;
	const char *qname;
	int64_t id; /* the row's id in the history file; 0 while unsaved */
};

/* One answer row: an address seen in an ordinary A/AAAA answer. */
struct nshist_answer {
	struct dh_addr addr;
	const char *qname; /* the name asked when first seen; owned by the history */
	uint32_t ttl;
	int64_t first_ns, last_ns;
	int64_t id; /* as in struct nshist_ns */
};

struct nshist;

/* Returns 0 and *out (free with nshist_free()), DH_EUSAGE for a bad
 * configuration, or -ENOMEM. cfg NULL: defaults. */
int nshist_new(struct nshist **out, const struct nshist_config *cfg);

/* NULL ok. */
void nshist_free(struct nshist *h);

/*
 * Learns from one event: responses teach rows, everything else is
 * ignored. ev is borrowed for the call. The event's time drives the glue
 * window: answers that come later than glue_window_ns after an NS
 * response no longer give it glue. Returns 0 or -ENOMEM.
 */
int nshist_learn(struct nshist *h, const struct ev_event *ev);

/* Closes every glue wait that started before now_ns - glue_window_ns
 * (INT64_MAX: all of them, at the end of the input): NS names that got
 * no address become glue-less rows. Returns 0 or -ENOMEM. */
int nshist_settle(struct nshist *h, int64_t now_ns);

/* Adds a row as stored (nshist_db_load()): kept as it is (never merged
 * with another, so each stored row keeps its id) and not marked as
 * changed. Strings are copied. Returns 0 or -ENOMEM. */
int nshist_add_ns(struct nshist *h, const struct nshist_ns *row);
int nshist_add_answer(struct nshist *h, const struct nshist_answer *row);

/* Counts. */
struct nshist_stats {
	uint64_t responses;  /* responses looked at */
	uint64_t ns_records; /* NS records used */
	uint64_t ns_ignored; /* NS records for a zone not containing the query */
	uint64_t glue_additional;
	uint64_t glue_later;            /* glue from a later answer within the window */
	uint64_t glue_out_of_bailiwick; /* additional glue not learned */
	uint64_t glue_missing;          /* NS names that got no address in the window */
	uint64_t ns_rows;               /* rows now held */
	uint64_t answer_rows;
	uint64_t addresses; /* distinct addresses in the check table */
	uint64_t changed;   /* rows added or extended since the last save */
	uint64_t bytes;     /* memory held */
};

void nshist_stats(const struct nshist *h, struct nshist_stats *st);

/* Calls cb for every NS row (changed_only: only rows added or extended
 * since nshist_clear_changed()), then ans_cb for every answer row.
 * Either callback may be NULL. Rows are borrowed for the call; a
 * callback returns 0 to go on, anything else to stop (returned). */
int nshist_each(const struct nshist *h, int changed_only,
                int (*cb)(void *ctx, const struct nshist_ns *row),
                int (*ans_cb)(void *ctx, const struct nshist_answer *row), void *ctx);
void nshist_clear_changed(struct nshist *h);

/* Internal to the layer (nshist_db.c): calls cb for every changed NS
 * row with a pointer it may write the id through; the answer rows the
 * same way, every one (changed_only 0) or the changed ones, with their
 * changed mark. A callback returns 0 to go on, anything else to stop
 * (returned). */
int nshist__each_changed(struct nshist *h, int (*cb)(void *ctx, struct nshist_ns *row), void *ctx);
int nshist__each_answer(struct nshist *h, int changed_only,
                        int (*cb)(void *ctx, struct nshist_answer *row, int changed), void *ctx);

/* ---- The check ---------------------------------------------------------- */

enum nshist_verdict {
	NSHIST_RESOLVER = 0,   /* to a local resolver or one on the exception list */
	NSHIST_REGISTERED = 1, /* to a name server's glue, learned before, within TTL + grace */
	NSHIST_INDIRECT = 2,   /* to an address known only from an A/AAAA answer (Morto) */
	NSHIST_UNKNOWN = 3,    /* to an address never learned before the query (Feederbot) */
};

/* "resolver", "registered", "indirect", "unknown". */
const char *nshist_verdict_name(unsigned v);

/* Why a verdict was given. The rows (and the answer row's query name)
 * are borrowed from the history and valid until it changes. */
struct nshist_why {
	unsigned verdict;
	const struct nshist_ns *ns;         /* registered: the glue row; unknown:
	                                     * an expired one, or NULL */
	const struct nshist_answer *answer; /* indirect: the answer row (answer_row
	                                     * below), else NULL */
	int expired;                        /* ns is set but its glue had expired */
	int later;                          /* ns or answer was learned after the query */
	/* A copy of the answer row as it stands: the history keeps an answer
	 * address's latest sighting beside the row, not in it (nshist.c). */
	struct nshist_answer answer_row;
};

/*
 * Classifies a query to server sent at ts_ns against the history:
 * registered, indirect or unknown (the resolver verdict is the caller's,
 * who holds the exception list: nshist_checker below). Time matters: a
 * row learned after ts_ns does not count (seed 003's order: NS record
 * first, then the query). Constant time: one probe, plus the address's
 * older glue intervals and a probe of the answer table when the newest
 * glue does not cover ts_ns.
 */
void nshist_check(const struct nshist *h, const struct dh_addr *server, int64_t ts_ns,
                  struct nshist_why *why);

/* Starts loading the table slots nshist_check() will read for server,
 * so that their cache misses overlap with the caller's other work (the
 * exception lists). Changes nothing. */
void nshist_prefetch(const struct nshist *h, const struct dh_addr *server);

#endif
