/*
 * trace_eval.h - one traceback per attack over agents built from a
 * `dnshound scenario` run (scenario.h), measured against its ground
 * truth: the hook for comparing the traceback with the simulators
 * (doc/evaluation.md).
 *
 * The scenario's resolver dnstap holds both sides of the resolver: its
 * clients' queries (the source agent's log) and its own upstream queries
 * and answers (what the victims' authoritative servers would log). Two
 * stores are built from it: "res", the whole dnstap, and "auth", only
 * the upstream side seen from the authoritative end. Two agents on the
 * fake transport serve them; the victim asks "auth" about each attack.
 */
#ifndef DH_TRACE_TRACE_EVAL_H
#define DH_TRACE_TRACE_EVAL_H

#include <stdint.h>

#include "eval/scenario.h"

#define TRACE_EVAL_ATTACKS 16

struct trace_eval_attack {
	uint32_t candidates;   /* hosts the traceback named */
	uint32_t bots;         /* resolving DDoS bots active in this attack */
	uint32_t bots_found;   /* of them, named as candidates */
	uint32_t worst_bot;    /* the lowest rank (1 = first) of a found bot */
	uint32_t best_benign;  /* the best rank of a host that is no bot (0 = none) */
	int bots_above_benign; /* every found bot ranks above every other host */
	int spoofed_own;       /* verdict for a found bot's own address (0 expected) */
	int spoofed_made_up;   /* verdict for a made-up address (1 expected) */
	uint32_t lookback_s;
	uint32_t cc_c2_rank; /* rank of the first bot C&C domain among the
	                        cc_candidates (1 = first, 0 = absent) */
	char cc_first[256];  /* the first cc_candidate */
};

struct trace_eval_report {
	uint64_t events; /* events ingested into the resolver's store */
	uint32_t nattacks;
	struct trace_eval_attack attack[TRACE_EVAL_ATTACKS];
};

/*
 * Builds the stores below dir (the scenario's output directory; adds
 * store-res/ and store-auth/, which must not exist) and traces every
 * attack of res in time order with window_s. Returns 0 and fills rep, or
 * a negative code.
 */
int trace_eval_scenario(const char *dir, const struct scenario_result *res, uint32_t window_s,
                        struct trace_eval_report *rep);

#endif
