/*
 * test_trace_eval.c - the traceback over a generated scenario (`dnshound
 * scenario`: a resolver with benign clients, DDoS bots and attacks on
 * popular sites that benign clients visit too): every resolving DDoS
 * bot is found and ranks above every benign host, its own address is
 * confirmed not spoofed and a made-up one spoofed, and a bot's C&C name
 * is among the first three cc_candidates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../store/helpers.h"
#include "trace/trace.h"
#include "trace/trace_eval.h"

static void test_scenario(void **state)
{
	(void)state;
	char dir[512];
	struct scenario_config cfg;
	struct scenario_result *res = NULL;
	struct trace_eval_report rep;

	th_tmpdir(dir, sizeof(dir));
	scenario_config_default(&cfg);
	cfg.clients = 3000;
	cfg.client_rate = 0.05;
	cfg.hours = 3;
	assert_int_equal(scenario_run(&cfg, dir, &res), 0);
	int rc = trace_eval_scenario(dir, res, 25, &rep);
	if (rc)
		print_message("trace_eval_scenario: %s\n", trace_strerror(rc));
	assert_int_equal(rc, 0);
	assert_true(rep.events > 0);
	assert_int_equal(rep.nattacks, res->nattacks);
	for (uint32_t i = 0; i < rep.nattacks; i++) {
		const struct trace_eval_attack *a = &rep.attack[i];
		print_message("attack %u (%s): %u candidates, %u/%u bots found, worst bot rank "
		              "%u, best benign rank %u, lookback %u s, spoofed own %d made-up %d, "
		              "C&C rank %u (first: %s)\n",
		              i, res->attacks[i].victim, a->candidates, a->bots_found, a->bots,
		              a->worst_bot, a->best_benign, a->lookback_s, a->spoofed_own,
		              a->spoofed_made_up, a->cc_c2_rank, a->cc_first);
		assert_true(a->bots > 0);
		assert_int_equal(a->bots_found, a->bots);
		assert_true(a->bots_above_benign);
		assert_int_equal(a->spoofed_own, 0);
		assert_int_equal(a->spoofed_made_up, 1);
		/* Each bot has a C&C name of its own here, so only repetition
		 * and rarity single it out among the names the bot resolved:
		 * at 3 hours both attacks rank it first, at 2 hours the first
		 * attack (an hour into the run) ranks it fifth. */
		assert_true(a->cc_c2_rank >= 1 && a->cc_c2_rank <= 3);
	}
	scenario_result_free(res);
	th_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scenario),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
