/*
 * eval_rng.c - xoshiro256** seeded by splitmix64.
 */
#include "eval/eval_rng.h"

#include <math.h>

uint64_t eval_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

void eval_rng_seed(struct eval_rng *rng, uint64_t seed)
{
	uint64_t st = seed;
	for (int i = 0; i < 4; i++)
		rng->s[i] = eval_splitmix64(&st);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t eval_rng_next(struct eval_rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double eval_rng_uniform(struct eval_rng *rng)
{
	/* The top 53 bits fill a double's mantissa exactly. */
	return (double)(eval_rng_next(rng) >> 11) * 0x1.0p-53;
}

uint64_t eval_rng_below(struct eval_rng *rng, uint64_t n)
{
	if (n <= 1)
		return 0;
	/* Draws above the last whole multiple of n are rejected, so every
	 * residue is equally likely (no modulo bias). */
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;
	do {
		x = eval_rng_next(rng);
	} while (x >= limit);
	return x % n;
}

int eval_rng_bernoulli(struct eval_rng *rng, double prob)
{
	if (prob >= 1.0)
		return 1;
	if (prob <= 0.0)
		return 0;
	return eval_rng_uniform(rng) < prob;
}

double eval_rng_exp(struct eval_rng *rng, double rate)
{
	/* 1 - u lies in (0, 1], so the logarithm is finite. */
	return -log(1.0 - eval_rng_uniform(rng)) / rate;
}

uint64_t eval_rng_poisson(struct eval_rng *rng, double mean)
{
	uint64_t total = 0;

	if (!(mean > 0.0))
		return 0;
	/* A sum of independent Poisson variates is Poisson with the summed
	 * mean, so a large mean is drawn in pieces of at most 500, where
	 * exp(-500) is still a normal double. */
	while (mean > 0.0) {
		double part = mean > 500.0 ? 500.0 : mean;
		double limit = exp(-part);
		double prod = eval_rng_uniform(rng);
		uint64_t k = 0;
		while (prod > limit) {
			k++;
			prod *= eval_rng_uniform(rng);
		}
		total += k;
		mean -= part;
	}
	return total;
}
