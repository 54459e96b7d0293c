/*
 * eval_mc.h - a Monte-Carlo simulation of DNS-log traceback (seed 000,
 * Takemori et al. 2009) that adds what the closed form of Fig. 13 leaves
 * out.
 *
 * One trial is one traceback request. A bot behind `resolvers` source
 * resolvers (section 4.4.2: a bot that asks several servers) attacks
 * `victims` victims (section 4.4.1) at time 0. With probability q (Table 1)
 * the bot resolved each victim's name up to `lead` seconds before the
 * attack. Each resolver reaches the victim's authoritative server D through
 * `forwarders` forwarders (section 4.3). Every server logs with probability
 * p (section 5.1: a "probe" is present), forwarders with p_fwd.
 *
 * Caches (section 6.1, 6.4): each resolver and forwarder caches the victim's
 * record for ttl seconds. Benign clients of the bot's resolver ask for the
 * name as a Poisson process (src_qpd per day), so the bot is often served
 * from the cache and its resolver's query to D happened earlier, up to ttl
 * before the attack. A cache filled from an upstream cache gets the TTL
 * that cache has left, as real resolvers answer, so a whole chain expires
 * together. The caches start in their stationary state: warm
 * with probability ttl*r / (1 + ttl*r) for a query rate r, with a uniform age
 * (exact for the resolver; an approximation for a forwarder that also has
 * other clients).
 *
 * The traceback (DESIGN.md, "Traceback"): D lists the servers that asked it
 * for the name in [-window_dest, 0] and relays the request to each; a
 * forwarder lists its clients in the same window and relays again; a
 * resolver answers with the hosts that asked it in [-window_src, 0]. A
 * server that does not log cannot answer. Other resolvers ask D too
 * (dest_qpd per day in total, section 6.1's 200,000 a day) and answer with
 * their own clients: false positives.
 *
 * False-positive reduction (section 4.4): a host's score is the number of
 * answers (one per victim and answering resolver) that name it; the final
 * candidates are the hosts with a score of at least min_common. The trial
 * succeeds when the bot is among them.
 *
 * Hop-by-hop traceback over `hops` routers is simulated alongside (each
 * router has a probe with probability p) for comparison.
 */
#ifndef DH_EVAL_MC_H
#define DH_EVAL_MC_H

#include <stddef.h>
#include <stdint.h>

#include "eval/eval_stats.h"
#include "eval/eval_table.h"
#include "util/buf.h"

/* Bounds that keep one trial's work and memory small; a parameter set
 * beyond them is refused with DH_EUSAGE. */
#define EVAL_MC_MAX_FORWARDERS 16
#define EVAL_MC_MAX_RESOLVERS  64
#define EVAL_MC_MAX_VICTIMS    64
#define EVAL_MC_MAX_TRIALS     100000000ULL
/* A host can be named at most once per resolver and victim. */
#define EVAL_MC_MAX_MIN_COMMON (EVAL_MC_MAX_RESOLVERS * EVAL_MC_MAX_VICTIMS)
/* Most simulated queries expected in one trial. */
#define EVAL_MC_MAX_EVENTS 10000000.0

struct eval_mc_params {
	double p;            /* logging probability of D and each resolver */
	double p_fwd;        /* of each forwarder; negative: same as p */
	double q;            /* share of bots that resolve the victim first */
	unsigned hops;       /* router hops of the hop-by-hop comparison */
	double ttl;          /* record TTL in seconds; 0 disables caching */
	double window_dest;  /* search window at D and forwarders, seconds */
	double window_src;   /* search window at resolvers, seconds */
	double lead;         /* the bot resolves up to lead s before attacking */
	double dest_qpd;     /* other resolvers' queries per day at D */
	double src_qpd;      /* benign queries per day at each resolver */
	double fwd_qpd;      /* other clients' queries per day at a forwarder */
	unsigned clients;    /* hosts behind each resolver */
	unsigned forwarders; /* forwarders between a resolver and D */
	unsigned resolvers;  /* resolvers the bot asks */
	unsigned victims;    /* victims one traceback covers */
	unsigned min_common; /* answers a candidate must appear in */
	uint64_t trials;
	uint64_t seed;
};

/* The defaults, each from the seed where it has one (see
 * doc/evaluation.md): p 0.9 (5.1), q 0.55 (Table 1), hops 15 (5.1), ttl
 * 7200 (6.1), windows 5 s (6.1), lead 1 s (Fig. 8), dest_qpd 200,000
 * (6.1), src_qpd 1,000, clients 1,000 (assumptions: the seed gives none),
 * no forwarders, one resolver, one victim, min_common 1, 10,000 trials,
 * seed 1. */
void eval_mc_defaults(struct eval_mc_params *par);

/* The seed's own assumptions (Fig. 13): no caching, no benign traffic, no
 * forwarders. Starts from the defaults. */
void eval_mc_ideal(struct eval_mc_params *par);

/* Sets the parameter called name (the option names of `dnshound sim mc`
 * without the dashes: "p", "p-fwd", "q", "hops", "ttl", "window" (both
 * windows), "window-dest", "window-src", "lead", "dest-qpd", "src-qpd",
 * "fwd-qpd", "clients", "forwarders", "resolvers", "victims",
 * "min-common", "trials") to value. Returns 0, DH_ENOTFOUND for an unknown
 * name or DH_EUSAGE for a value out of range (probabilities in [0, 1],
 * counts whole and within the limits above). */
int eval_mc_set(struct eval_mc_params *par, const char *name, double value);

/* Checks a whole parameter set, including the expected work per trial.
 * Returns 0 or DH_EUSAGE. */
int eval_mc_check(const struct eval_mc_params *par);

/* q * p^2 * p_fwd^forwarders: the closed form extended by the forwarders
 * (section 4.3), which the simulation must match when ttl, src_qpd,
 * dest_qpd and fwd_qpd are 0 and one resolver and one victim are used.
 * NAN for other shapes (several resolvers or victims). */
double eval_mc_closed_form(const struct eval_mc_params *par);

struct eval_mc_result {
	struct eval_prop success;      /* the bot is among the candidates */
	struct eval_prop conventional; /* every router had a probe */
	struct eval_mean fp;           /* candidates that are not the bot; lo >= 0 */
	struct eval_mean candidates;   /* all final candidates; lo >= 0 */
	double closed_form;            /* eval_mc_closed_form(), or NAN */
	uint64_t queries;              /* simulated DNS queries, all trials */
};

/* The simulator's context: the generator and scratch space. Nothing is
 * kept between runs except allocated space, so one context can run many
 * parameter sets. */
struct eval_mc;

/* Returns 0 and a context in *out (free with eval_mc_free()), DH_EUSAGE
 * for NULL or -ENOMEM. */
int eval_mc_new(struct eval_mc **out);
void eval_mc_free(struct eval_mc *mc);

/* Runs par->trials trials from par->seed. The same parameters give the
 * same result bit for bit. Returns 0, DH_EUSAGE or -ENOMEM. */
int eval_mc_run(struct eval_mc *mc, const struct eval_mc_params *par, struct eval_mc_result *res);

/* Runs base with parameter name set to each of vals[0..n) in turn (every
 * point from the same seed, so the points differ only by the parameter)
 * and fills res[0..n). Returns 0 or the first error. */
int eval_mc_sweep(struct eval_mc *mc, const struct eval_mc_params *base, const char *name,
                  const double *vals, size_t n, struct eval_mc_result *res);

/* Column indices of eval_mc_table(). */
enum {
	EVAL_MC_COL_TRIALS,
	EVAL_MC_COL_SUCCESS,
	EVAL_MC_COL_SUCCESS_LO,
	EVAL_MC_COL_SUCCESS_HI,
	EVAL_MC_COL_CLOSED_FORM,
	EVAL_MC_COL_CONV,
	EVAL_MC_COL_CONV_LO,
	EVAL_MC_COL_CONV_HI,
	EVAL_MC_COL_FP,
	EVAL_MC_COL_FP_LO,
	EVAL_MC_COL_FP_HI,
	EVAL_MC_COL_CAND,
	EVAL_MC_COL_CAND_LO,
	EVAL_MC_COL_CAND_HI,
	EVAL_MC_NCOLS,
};

/* Fills t (release with eval_table_release()) with one row per result,
 * x = vals[i] named xname. Returns 0, DH_EUSAGE or -ENOMEM. */
int eval_mc_table(const char *xname, const double *vals, const struct eval_mc_result *res, size_t n,
                  struct eval_table *t);

/* Appends the parameters as a JSON object. */
void eval_mc_params_json(const struct eval_mc_params *par, struct dh_buf *out);

#endif
