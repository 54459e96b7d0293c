/*
 * eval_rng.h - a small deterministic pseudo-random generator for the
 * simulator.
 *
 * xoshiro256** (Blackman and Vigna, 2018) seeded through splitmix64, as its
 * authors recommend, so that every seed, even 0, gives a well-mixed state.
 * The C library's rand() is not used: its quality and its sequence differ
 * between libc versions, and a simulation must give the same numbers for
 * the same --seed on every machine.
 */
#ifndef DH_EVAL_RNG_H
#define DH_EVAL_RNG_H

#include <stdint.h>

struct eval_rng {
	uint64_t s[4];
};

/* Returns the next output of splitmix64 and advances *state. */
uint64_t eval_splitmix64(uint64_t *state);

/* Seeds rng from seed; any value is allowed. */
void eval_rng_seed(struct eval_rng *rng, uint64_t seed);

/* The next 64 random bits. */
uint64_t eval_rng_next(struct eval_rng *rng);

/* A uniform double in [0, 1) with 53 random bits. */
double eval_rng_uniform(struct eval_rng *rng);

/* A uniform integer in [0, n); n must be at least 1.
 * Rejection sampling, so there is no modulo bias. */
uint64_t eval_rng_below(struct eval_rng *rng, uint64_t n);

/* 1 with probability prob, else 0; prob outside [0, 1] is clamped. */
int eval_rng_bernoulli(struct eval_rng *rng, double prob);

/* An exponential variate with the given rate (events per unit); rate must
 * be positive. */
double eval_rng_exp(struct eval_rng *rng, double rate);

/* A Poisson variate with the given mean (mean >= 0). Exact for every mean:
 * small means use Knuth's product of uniforms, large ones are split into
 * pieces of at most 500 so that exp(-mean) never underflows. */
uint64_t eval_rng_poisson(struct eval_rng *rng, double mean);

#endif
