/*
 * eval_stats.h - confidence intervals for the simulator's estimates.
 *
 * Proportions (success rates) use the Wilson score interval (Wilson, 1927):
 * unlike the normal "Wald" interval it stays inside [0, 1] and keeps its
 * coverage when the rate is near 0 or 1, which is where traceback success
 * rates often sit. Means (false positives per traceback) use the normal
 * approximation mean +- z * s / sqrt(n), sound for the thousands of trials
 * the simulator runs.
 */
#ifndef DH_EVAL_STATS_H
#define DH_EVAL_STATS_H

#include <stdint.h>

/* z for a two-sided 95% interval. */
#define EVAL_Z95 1.959963984540054

/* A proportion: k successes out of n trials. */
struct eval_prop {
	uint64_t k;
	uint64_t n;
	double value; /* k / n, or 0 when n is 0 */
	double lo;    /* Wilson interval; [0, 1] when n is 0 */
	double hi;
};

/* Fills p from k and n with the interval for z. */
void eval_prop_wilson(struct eval_prop *p, uint64_t k, uint64_t n, double z);

/* A running mean and variance (Welford's update, numerically stable for
 * long runs). */
struct eval_mean {
	uint64_t n;
	double mean;
	double m2; /* sum of squared deviations */
	double lo; /* filled by eval_mean_finish() */
	double hi;
};

void eval_mean_init(struct eval_mean *m);
void eval_mean_add(struct eval_mean *m, double x);
/* The sample standard deviation; 0 with fewer than two values. */
double eval_mean_sd(const struct eval_mean *m);
/* Sets lo and hi to mean -+ z * sd / sqrt(n). */
void eval_mean_finish(struct eval_mean *m, double z);

#endif
