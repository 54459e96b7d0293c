/*
 * eval_model.h - the closed-form traceback model of seed 000 (Takemori et
 * al., "IP Traceback Using DNS Logs against Bots", 2009), section 5.1 and
 * Fig. 13.
 *
 * Hop-by-hop ("conventional") traceback needs a probe on every one of the
 * h routers of the path, each present with probability p, so it succeeds
 * with p^h (the seed's reference 5). DNS-log traceback needs only two
 * logs, the destination's authoritative server and the bot's resolver,
 * each present with probability p, and a bot that resolved the victim's
 * name first (probability q, Table 1: 16 of 29 bots, 0.55), so it succeeds
 * with q * p^2 whatever the path length. The seed says the DNS curves are
 * "constant values at more than 2 hops": on a one-hop path there is one
 * server to ask, so the model uses q * p^min(h, 2); from 2 hops on this is
 * exactly q * p^2. At h = 15, p = 0.9 the three curves of Fig. 13 are
 * 0.2059, 0.4455 (q = 0.55) and 0.8100 (q = 1.0).
 */
#ifndef DH_EVAL_MODEL_H
#define DH_EVAL_MODEL_H

#include <stddef.h>

#include "eval/eval_table.h"

/* Defaults of Fig. 13: per-hop probe rate (section 5.1) and the two query
 * rates (Table 1 and the ideal bot). */
#define EVAL_DEFAULT_P    0.9
#define EVAL_DEFAULT_Q1   0.55
#define EVAL_DEFAULT_Q2   1.0
#define EVAL_DEFAULT_HOPS 30
/* The seed's average Internet path length in May 2008 (section 5.1). */
#define EVAL_SEED_HOPS 15
/* Most q values one table may carry. */
#define EVAL_MAX_Q 8
/* Longest path a table may cover. */
#define EVAL_MAX_HOPS 1000

/* p^h; p outside [0, 1] is the caller's error and gives NAN. */
double eval_conventional(double p, unsigned hops);

/* q * p^min(h, 2); NAN for p or q outside [0, 1]. hops 0 gives q (no
 * server to ask, nothing to miss), kept only for completeness. */
double eval_dnslog(double p, double q, unsigned hops);

/* Fills t (uninitialised on entry; release with eval_table_release())
 * with rows h = 1..hops and the columns "conventional" and one
 * "dns_q%.2f" per q value. Returns 0, DH_EUSAGE (nq 0 or above
 * EVAL_MAX_Q, hops 0 or above EVAL_MAX_HOPS, p or a q outside [0, 1],
 * NULL pointers) or -ENOMEM. qs is borrowed. */
int eval_fig13_table(double p, const double *qs, size_t nq, unsigned hops, struct eval_table *t);

#endif
