/*
 * test_stats.c - the generator and the confidence intervals.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "eval/eval_rng.h"
#include "eval/eval_stats.h"

/* splitmix64's published first outputs from state 0, so a change to the
 * mixing constants cannot go unnoticed. */
static void test_splitmix_known(void **state)
{
	uint64_t s = 0;

	(void)state;
	assert_true(eval_splitmix64(&s) == UINT64_C(0xe220a8397b1dcdaf));
	assert_true(eval_splitmix64(&s) == UINT64_C(0x6e789e6aa1b965f4));
	assert_true(eval_splitmix64(&s) == UINT64_C(0x06c45d188009454f));
}

static void test_rng_deterministic(void **state)
{
	struct eval_rng a, b, c;

	(void)state;
	eval_rng_seed(&a, 42);
	eval_rng_seed(&b, 42);
	eval_rng_seed(&c, 43);
	int differs = 0;
	for (int i = 0; i < 1000; i++) {
		uint64_t x = eval_rng_next(&a);
		assert_true(x == eval_rng_next(&b));
		differs |= x != eval_rng_next(&c);
	}
	assert_true(differs);
	/* Seed 0 is as good as any: the state is not all zero. */
	eval_rng_seed(&a, 0);
	assert_true(a.s[0] | a.s[1] | a.s[2] | a.s[3]);
	assert_true(eval_rng_next(&a) != eval_rng_next(&a));
}

static void test_rng_ranges(void **state)
{
	struct eval_rng r;
	unsigned hits[7] = {0};

	(void)state;
	eval_rng_seed(&r, 7);
	for (int i = 0; i < 70000; i++) {
		double u = eval_rng_uniform(&r);
		assert_true(u >= 0.0 && u < 1.0);
		uint64_t k = eval_rng_below(&r, 7);
		assert_true(k < 7);
		hits[k]++;
	}
	/* Each residue near 10,000 (sd about 93). */
	for (int k = 0; k < 7; k++)
		assert_true(hits[k] > 9500 && hits[k] < 10500);
	assert_true(eval_rng_below(&r, 0) == 0);
	assert_true(eval_rng_below(&r, 1) == 0);
	assert_true(eval_rng_below(&r, UINT64_MAX) < UINT64_MAX);
	assert_int_equal(eval_rng_bernoulli(&r, 0.0), 0);
	assert_int_equal(eval_rng_bernoulli(&r, 1.0), 1);
	assert_int_equal(eval_rng_bernoulli(&r, -3.0), 0);
	assert_int_equal(eval_rng_bernoulli(&r, 3.0), 1);
}

static void test_poisson_and_exp(void **state)
{
	struct eval_rng r;
	const double means[] = {0.05, 3.0, 700.0, 20000.0};

	(void)state;
	eval_rng_seed(&r, 11);
	assert_true(eval_rng_poisson(&r, 0.0) == 0);
	assert_true(eval_rng_poisson(&r, -1.0) == 0);
	assert_true(eval_rng_poisson(&r, NAN) == 0);
	for (size_t m = 0; m < sizeof(means) / sizeof(means[0]); m++) {
		struct eval_mean acc;
		int n = means[m] > 1000 ? 200 : 4000;
		eval_mean_init(&acc);
		for (int i = 0; i < n; i++)
			eval_mean_add(&acc, (double)eval_rng_poisson(&r, means[m]));
		eval_mean_finish(&acc, 4.0);
		/* The true mean within a 4-sigma band, and variance = mean. */
		assert_true(acc.lo <= means[m] && means[m] <= acc.hi);
		double var = eval_mean_sd(&acc) * eval_mean_sd(&acc);
		assert_true(fabs(var / means[m] - 1.0) < 0.25);
	}
	struct eval_mean e;
	eval_mean_init(&e);
	for (int i = 0; i < 20000; i++) {
		double x = eval_rng_exp(&r, 4.0);
		assert_true(x >= 0.0 && isfinite(x));
		eval_mean_add(&e, x);
	}
	assert_true(fabs(e.mean - 0.25) < 0.01);
}

static void test_wilson(void **state)
{
	struct eval_prop p;

	(void)state;
	/* No trials: the whole unit interval. */
	eval_prop_wilson(&p, 0, 0, EVAL_Z95);
	assert_true(p.value == 0.0 && p.lo == 0.0 && p.hi == 1.0);
	/* 0 of 10: [0, 0.2775] (Wilson's interval stays positive where the
	 * Wald interval collapses to a point). */
	eval_prop_wilson(&p, 0, 10, EVAL_Z95);
	assert_true(fabs(p.lo) < 1e-12);
	assert_true(fabs(p.hi - 0.2775) < 0.0001);
	/* 10 of 10 mirrors it. */
	eval_prop_wilson(&p, 10, 10, EVAL_Z95);
	assert_true(fabs(p.hi - 1.0) < 1e-12);
	assert_true(fabs(p.lo - 0.7225) < 0.0001);
	/* 50 of 100: [0.4038, 0.5962]. */
	eval_prop_wilson(&p, 50, 100, EVAL_Z95);
	assert_true(fabs(p.value - 0.5) < 1e-15);
	assert_true(fabs(p.lo - 0.4038) < 0.0001);
	assert_true(fabs(p.hi - 0.5962) < 0.0001);
	/* A huge n narrows to the point. */
	eval_prop_wilson(&p, UINT64_C(1) << 40, UINT64_C(1) << 41, EVAL_Z95);
	assert_true(p.hi - p.lo < 1e-5);
}

static void test_mean(void **state)
{
	struct eval_mean m;

	(void)state;
	eval_mean_init(&m);
	eval_mean_finish(&m, EVAL_Z95);
	assert_true(m.n == 0 && m.lo == 0.0 && m.hi == 0.0);
	eval_mean_add(&m, 5.0);
	assert_true(eval_mean_sd(&m) == 0.0);
	eval_mean_init(&m);
	const double xs[] = {2, 4, 4, 4, 5, 5, 7, 9};
	for (size_t i = 0; i < 8; i++)
		eval_mean_add(&m, xs[i]);
	eval_mean_finish(&m, EVAL_Z95);
	assert_true(fabs(m.mean - 5.0) < 1e-12);
	/* Sample sd sqrt(32 / 7). */
	assert_true(fabs(eval_mean_sd(&m) - sqrt(32.0 / 7.0)) < 1e-12);
	double half = EVAL_Z95 * sqrt(32.0 / 7.0) / sqrt(8.0);
	assert_true(fabs(m.lo - (5.0 - half)) < 1e-12);
	assert_true(fabs(m.hi - (5.0 + half)) < 1e-12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_splitmix_known), cmocka_unit_test(test_rng_deterministic),
	    cmocka_unit_test(test_rng_ranges),     cmocka_unit_test(test_poisson_and_exp),
	    cmocka_unit_test(test_wilson),         cmocka_unit_test(test_mean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
