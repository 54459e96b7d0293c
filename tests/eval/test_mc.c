/*
 * test_mc.c - the Monte-Carlo traceback simulator: refused parameters,
 * determinism, agreement with the closed form where the assumptions
 * coincide, the cache effect and the false-positive questions.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "eval/eval_mc.h"
#include "util/buf.h"
#include "util/err.h"

static int setup(void **state)
{
	struct eval_mc *mc;
	if (eval_mc_new(&mc) != 0)
		return -1;
	*state = mc;
	return 0;
}

static int teardown(void **state)
{
	eval_mc_free(*state);
	return 0;
}

static int within(double x, double lo, double hi)
{
	return x >= lo && x <= hi;
}

static void test_null_and_ranges(void **state)
{
	struct eval_mc *mc = *state;
	struct eval_mc_params par;
	struct eval_mc_result res;

	assert_int_equal(eval_mc_new(NULL), DH_EUSAGE);
	eval_mc_free(NULL);
	eval_mc_defaults(&par);
	assert_int_equal(eval_mc_run(NULL, &par, &res), DH_EUSAGE);
	assert_int_equal(eval_mc_run(mc, NULL, &res), DH_EUSAGE);
	assert_int_equal(eval_mc_run(mc, &par, NULL), DH_EUSAGE);
	assert_int_equal(eval_mc_check(NULL), DH_EUSAGE);
	assert_int_equal(eval_mc_set(NULL, "p", 0.5), DH_EUSAGE);
	assert_int_equal(eval_mc_set(&par, NULL, 0.5), DH_EUSAGE);
	assert_int_equal(eval_mc_set(&par, "", 0.5), DH_ENOTFOUND);
	assert_int_equal(eval_mc_set(&par, "nonsense", 0.5), DH_ENOTFOUND);
	assert_int_equal(eval_mc_set(&par, "seed", 5), DH_ENOTFOUND);
	assert_int_equal(eval_mc_set(&par, "p", 1.5), DH_EUSAGE);
	assert_int_equal(eval_mc_set(&par, "q", -0.1), DH_EUSAGE);
	assert_int_equal(eval_mc_set(&par, "p", NAN), DH_EUSAGE);
	assert_int_equal(eval_mc_set(&par, "resolvers", 2.5), DH_EUSAGE);
	assert_int_equal(eval_mc_set(&par, "resolvers", 0), DH_EUSAGE);
	assert_int_equal(eval_mc_set(&par, "trials", 0), DH_EUSAGE);
	assert_int_equal(eval_mc_set(&par, "ttl", -1), DH_EUSAGE);
	/* A refused value leaves the parameter as it was. */
	assert_true(par.p == 0.9);
	assert_int_equal(eval_mc_set(&par, "window", 30), 0);
	assert_true(par.window_dest == 30.0 && par.window_src == 30.0);
	assert_int_equal(eval_mc_set(&par, "min-common", 3), 0);
	assert_int_equal(par.min_common, 3);
	assert_int_equal(eval_mc_set(&par, "trials", 77), 0);
	assert_true(par.trials == 77);
}

static void test_defaults(void **state)
{
	struct eval_mc_params par;

	(void)state;
	eval_mc_defaults(&par);
	/* The seed's numbers: 5.1, Table 1, 6.1. */
	assert_true(par.p == 0.9 && par.q == 0.55 && par.hops == 15);
	assert_true(par.ttl == 7200.0 && par.window_dest == 5.0 && par.window_src == 5.0);
	assert_true(par.dest_qpd == 200000.0);
	assert_int_equal(eval_mc_check(&par), 0);
	assert_true(fabs(eval_mc_closed_form(&par) - 0.4455) < 1e-12);
	eval_mc_ideal(&par);
	assert_true(par.ttl == 0.0 && par.src_qpd == 0.0 && par.dest_qpd == 0.0);
	assert_true(par.p == 0.9 && par.q == 0.55);
	par.resolvers = 2;
	assert_true(isnan(eval_mc_closed_form(&par)));
}

static void test_maximum(void **state)
{
	struct eval_mc *mc = *state;
	struct eval_mc_params par;
	struct eval_mc_result res;

	eval_mc_ideal(&par);
	/* The largest shape runs. */
	par.resolvers = EVAL_MC_MAX_RESOLVERS;
	par.victims = EVAL_MC_MAX_VICTIMS;
	par.forwarders = EVAL_MC_MAX_FORWARDERS;
	par.min_common = EVAL_MC_MAX_MIN_COMMON;
	par.trials = 20;
	assert_int_equal(eval_mc_run(mc, &par, &res), 0);
	assert_true(res.success.n == 20);
	/* One more of anything is refused. */
	par.resolvers++;
	assert_int_equal(eval_mc_run(mc, &par, &res), DH_EUSAGE);
	par.resolvers--;
	par.forwarders++;
	assert_int_equal(eval_mc_check(&par), DH_EUSAGE);
	par.forwarders--;
	par.victims++;
	assert_int_equal(eval_mc_check(&par), DH_EUSAGE);
	par.victims--;
	par.trials = EVAL_MC_MAX_TRIALS + 1;
	assert_int_equal(eval_mc_check(&par), DH_EUSAGE);
	/* So is a trial that would simulate too many queries: 1e10 a day
	 * over a 1e7-second window. */
	eval_mc_defaults(&par);
	assert_int_equal(eval_mc_set(&par, "dest-qpd", 1e10), 0);
	assert_int_equal(eval_mc_set(&par, "window-dest", 1e7), 0);
	assert_int_equal(eval_mc_run(mc, &par, &res), DH_EUSAGE);
}

static void test_deterministic(void **state)
{
	struct eval_mc *mc = *state;
	struct eval_mc_params par;
	struct eval_mc_result a, b, c;

	eval_mc_defaults(&par);
	par.trials = 1500;
	par.forwarders = 1;
	par.fwd_qpd = 5000;
	par.resolvers = 2;
	assert_int_equal(eval_mc_run(mc, &par, &a), 0);
	assert_int_equal(eval_mc_run(mc, &par, &b), 0);
	/* Bit for bit: every count, mean and bound. */
	assert_memory_equal(&a.success, &b.success, sizeof(a.success));
	assert_memory_equal(&a.conventional, &b.conventional, sizeof(a.conventional));
	assert_memory_equal(&a.fp, &b.fp, sizeof(a.fp));
	assert_memory_equal(&a.candidates, &b.candidates, sizeof(a.candidates));
	assert_true(a.queries == b.queries);
	/* A fresh context gives the same too. */
	struct eval_mc *other;
	assert_int_equal(eval_mc_new(&other), 0);
	assert_int_equal(eval_mc_run(other, &par, &c), 0);
	eval_mc_free(other);
	assert_memory_equal(&a.fp, &c.fp, sizeof(a.fp));
	assert_true(a.success.k == c.success.k);
	/* Another seed gives other numbers. */
	par.seed = 2;
	assert_int_equal(eval_mc_run(mc, &par, &c), 0);
	assert_true(a.fp.mean != c.fp.mean || a.success.k != c.success.k);
}

/* Where the simulation's assumptions are the seed's (no caches, no benign
 * hosts, no forwarders) it must agree with q * p^2 within its interval. */
static void test_closed_form(void **state)
{
	struct eval_mc *mc = *state;
	struct eval_mc_params par;
	struct eval_mc_result res;
	eval_mc_ideal(&par);
	par.trials = 20000;
	assert_int_equal(eval_mc_run(mc, &par, &res), 0);
	double cf = par.q * par.p * par.p;
	assert_true(fabs(res.closed_form - cf) < 1e-12);
	assert_true(within(cf, res.success.lo, res.success.hi));
	/* The interval is tight enough to mean something. */
	assert_true(res.success.hi - res.success.lo < 0.02);
	/* Hop-by-hop over 15 hops: p^15. */
	assert_true(within(pow(par.p, 15), res.conventional.lo, res.conventional.hi));
	/* No benign hosts, so no false positives. */
	assert_true(res.fp.mean == 0.0);

	/* One seed can land outside a 95% interval by chance (seed 1 with
	 * p = 0.7, q = 1 is 3.3 sigma low, checked against an independent
	 * implementation), so for other parameters the test asks for the
	 * interval's coverage over 20 seeds: 19 expected, 17 or more with
	 * probability 0.98. */
	unsigned covered = 0;
	par.p = 0.7;
	par.q = 1.0;
	par.trials = 5000;
	for (uint64_t seed = 1; seed <= 20; seed++) {
		par.seed = seed;
		assert_int_equal(eval_mc_run(mc, &par, &res), 0);
		covered += within(0.49, res.success.lo, res.success.hi);
	}
	assert_true(covered >= 17);
	par.seed = 1;
	par.trials = 20000;

	/* Forwarders add one log each (section 4.3). */
	par.p = 0.9;
	par.q = 0.55;
	par.forwarders = 2;
	assert_int_equal(eval_mc_run(mc, &par, &res), 0);
	assert_true(within(0.55 * pow(0.9, 4), res.success.lo, res.success.hi));
	/* Certain and impossible cases are exact. */
	par.forwarders = 0;
	par.p = 1.0;
	par.q = 1.0;
	par.trials = 500;
	assert_int_equal(eval_mc_run(mc, &par, &res), 0);
	assert_true(res.success.k == 500 && res.conventional.k == 500);
	par.p = 0.0;
	assert_int_equal(eval_mc_run(mc, &par, &res), 0);
	assert_true(res.success.k == 0 && res.candidates.mean == 0.0);
}

/* Caching: a bot served from its resolver's cache leaves no query at D at
 * attack time, so a 5-second search at D fails; reaching back over the
 * TTL recovers the closed form. */
static void test_cache(void **state)
{
	struct eval_mc *mc = *state;
	struct eval_mc_params par;
	struct eval_mc_result none, short_win, long_win;

	eval_mc_defaults(&par);
	par.dest_qpd = 0; /* other resolvers do not matter here */
	par.trials = 4000;
	par.ttl = 0;
	assert_int_equal(eval_mc_run(mc, &par, &none), 0);
	assert_true(within(0.4455, none.success.lo, none.success.hi));

	par.ttl = 7200;
	par.window_dest = 5;
	assert_int_equal(eval_mc_run(mc, &par, &short_win), 0);
	/* 1000 queries a day keep a 2-hour record cached 99% of the time. */
	assert_true(short_win.success.hi < 0.05);
	assert_true(short_win.success.hi < none.success.lo);

	par.window_dest = 7200;
	assert_int_equal(eval_mc_run(mc, &par, &long_win), 0);
	assert_true(within(0.4455, long_win.success.lo, long_win.success.hi));
	assert_true(long_win.success.lo > short_win.success.hi);

	/* In between, the resolver asked D inside the window when its cache
	 * was cold at the bot's query or filled at most W ago:
	 * (1 + r W) / (1 + r T) for a query rate r (stationary cache). */
	par.window_dest = 3600;
	par.trials = 6000;
	assert_int_equal(eval_mc_run(mc, &par, &long_win), 0);
	double r = 1000.0 / 86400.0;
	double expect = 0.4455 * (1 + r * 3600) / (1 + r * 7200);
	assert_true(within(expect, long_win.success.lo, long_win.success.hi));
	assert_true(long_win.success.hi < none.success.lo);
	par.trials = 4000;

	/* Through a forwarder whose cache others keep warm the chain is just
	 * as cached, and the long window still recovers it. */
	par.forwarders = 1;
	par.fwd_qpd = 2000;
	par.trials = 2000;
	par.window_dest = 5;
	assert_int_equal(eval_mc_run(mc, &par, &short_win), 0);
	par.window_dest = 7200;
	assert_int_equal(eval_mc_run(mc, &par, &long_win), 0);
	assert_true(short_win.success.hi < 0.05);
	assert_true(within(0.55 * pow(0.9, 3), long_win.success.lo, long_win.success.hi));
}

/* Section 6.1: 200,000 queries a day and a 5-second window give about 12
 * other resolvers at D, each naming the client that made it ask. */
static void test_seed_false_positives(void **state)
{
	struct eval_mc *mc = *state;
	struct eval_mc_params par;
	struct eval_mc_result res;

	eval_mc_ideal(&par);
	par.p = 1.0;
	par.dest_qpd = 200000;
	par.trials = 4000;
	assert_int_equal(eval_mc_run(mc, &par, &res), 0);
	assert_true(within(200000.0 * 5.0 / 86400.0, res.fp.lo, res.fp.hi));
	assert_true(fabs(res.candidates.mean - res.fp.mean - res.success.value) < 1e-9);
}

static void test_fp_grows_with_rate(void **state)
{
	struct eval_mc *mc = *state;
	struct eval_mc_params par;
	struct eval_mc_result res[4];
	const double rates[] = {0, 50000, 200000, 800000};

	eval_mc_defaults(&par);
	par.trials = 2000;
	assert_int_equal(eval_mc_sweep(mc, &par, "dest-qpd", rates, 4, res), 0);
	for (size_t i = 1; i < 4; i++)
		assert_true(res[i].fp.lo > res[i - 1].fp.hi);
	/* Benign clients of the bot's own resolver count too. */
	const double src[] = {0, 100000};
	eval_mc_ideal(&par);
	par.trials = 2000;
	assert_int_equal(eval_mc_sweep(mc, &par, "src-qpd", src, 2, res), 0);
	assert_true(res[0].fp.mean == 0.0);
	assert_true(res[1].fp.lo > 2.0);
}

/* Section 4.4: keeping only hosts named by several answers removes the
 * hosts of other resolvers, which appear in one answer only. */
static void test_fp_intersection(void **state)
{
	struct eval_mc *mc = *state;
	struct eval_mc_params par;
	struct eval_mc_result one, two;

	/* 4.4.2: a bot that asks three resolvers. */
	eval_mc_defaults(&par);
	par.ttl = 0;
	par.resolvers = 3;
	par.trials = 2000;
	assert_int_equal(eval_mc_run(mc, &par, &one), 0);
	par.min_common = 2;
	assert_int_equal(eval_mc_run(mc, &par, &two), 0);
	assert_true(one.fp.lo > 5.0);
	assert_true(two.fp.hi < one.fp.lo);
	assert_true(two.fp.mean < 0.1);
	/* The bot survives when D and two of its three resolvers log:
	 * q * p * (p^3 + 3 p^2 (1 - p)). */
	double expect = 0.55 * 0.9 * (pow(0.9, 3) + 3 * 0.81 * 0.1);
	assert_true(within(expect, two.success.lo, two.success.hi));

	/* 4.4.1: one bot, three victims, a busy resolver. */
	eval_mc_defaults(&par);
	par.ttl = 0;
	par.victims = 3;
	par.src_qpd = 200000;
	par.clients = 200;
	par.trials = 1000;
	assert_int_equal(eval_mc_run(mc, &par, &one), 0);
	par.min_common = 2;
	assert_int_equal(eval_mc_run(mc, &par, &two), 0);
	assert_true(two.fp.hi < one.fp.lo);
	/* Some benign clients did ask for two victims' names: not zero. */
	assert_true(two.fp.mean > 0.0);
	par.min_common = 3;
	struct eval_mc_result three;
	assert_int_equal(eval_mc_run(mc, &par, &three), 0);
	assert_true(three.fp.mean <= two.fp.mean);
}

static void test_table(void **state)
{
	struct eval_mc *mc = *state;
	struct eval_mc_params par;
	struct eval_mc_result res[2];
	struct eval_table t;
	struct dh_buf b;
	const double vals[] = {5, 7200};

	eval_mc_defaults(&par);
	par.trials = 200;
	par.dest_qpd = 20000;
	assert_int_equal(eval_mc_sweep(mc, &par, "window-dest", vals, 2, res), 0);
	assert_int_equal(eval_mc_sweep(mc, &par, "bogus", vals, 2, res), DH_ENOTFOUND);
	assert_int_equal(eval_mc_sweep(mc, &par, "window-dest", vals, 0, res), DH_EUSAGE);
	assert_int_equal(eval_mc_table("window-dest", vals, res, 2, &t), 0);
	assert_int_equal(t.ncols, EVAL_MC_NCOLS);
	assert_string_equal(t.names[EVAL_MC_COL_SUCCESS], "success");
	assert_string_equal(t.names[EVAL_MC_COL_FP_HI], "fp_hi");
	assert_true(eval_table_get(&t, 1, EVAL_MC_COL_TRIALS) == 200.0);
	assert_true(eval_table_get(&t, 0, EVAL_MC_COL_SUCCESS) == res[0].success.value);
	dh_buf_init(&b);
	eval_table_csv(&t, -1, 4, &b);
	dh_buf_addc(&b, '\0');
	const char *head = "window-dest,trials,success,success_lo,success_hi,closed_form,";
	assert_true(strncmp(b.data, head, strlen(head)) == 0);
	assert_non_null(strstr(b.data, "\n7200,200.0000,"));
	b.len = 0;
	eval_mc_params_json(&par, &b);
	dh_buf_addc(&b, '\0');
	assert_true(b.data[0] == '{');
	assert_non_null(strstr(b.data, "\"dest_qpd\":20000,"));
	assert_non_null(strstr(b.data, "\"seed\":1}"));
	dh_buf_release(&b);
	eval_table_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_null_and_ranges, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_maximum, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deterministic, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_closed_form, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_seed_false_positives, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fp_grows_with_rate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fp_intersection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_table, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
