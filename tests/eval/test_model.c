/*
 * test_model.c - the closed form of seed 000's Fig. 13 and the table's CSV
 * and JSON forms.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "eval/eval_model.h"
#include "eval/eval_table.h"
#include "util/buf.h"
#include "util/err.h"

static void test_null_and_empty(void **state)
{
	struct eval_table t;
	double q[] = {0.55};

	(void)state;
	assert_int_equal(eval_fig13_table(0.9, NULL, 1, 30, &t), DH_EUSAGE);
	assert_int_equal(eval_fig13_table(0.9, q, 1, 30, NULL), DH_EUSAGE);
	assert_int_equal(eval_fig13_table(0.9, q, 0, 30, &t), DH_EUSAGE);
	assert_int_equal(eval_fig13_table(0.9, q, 1, 0, &t), DH_EUSAGE);
	assert_int_equal(eval_table_init(NULL, "x", 1, 1), DH_EUSAGE);
	assert_int_equal(eval_table_init(&t, NULL, 1, 1), DH_EUSAGE);
	assert_int_equal(eval_table_init(&t, "x", 0, 1), DH_EUSAGE);
	assert_int_equal(eval_table_init(&t, "x", 1, 0), DH_EUSAGE);
	eval_table_release(NULL);
	assert_true(isnan(eval_conventional(-0.1, 3)));
	assert_true(isnan(eval_dnslog(0.9, 1.5, 3)));
}

static void test_bounds(void **state)
{
	struct eval_table t;
	double q[EVAL_MAX_Q + 1];

	(void)state;
	for (size_t i = 0; i <= EVAL_MAX_Q; i++)
		q[i] = 0.5;
	/* The largest table is accepted, one more q or hop is refused. */
	assert_int_equal(eval_fig13_table(0.9, q, EVAL_MAX_Q, EVAL_MAX_HOPS, &t), 0);
	assert_int_equal(t.nrows, EVAL_MAX_HOPS);
	assert_int_equal(t.ncols, EVAL_MAX_Q + 1);
	assert_true(eval_table_get(&t, EVAL_MAX_HOPS - 1, 0) >= 0.0);
	eval_table_release(&t);
	assert_int_equal(eval_fig13_table(0.9, q, EVAL_MAX_Q + 1, 30, &t), DH_EUSAGE);
	assert_int_equal(eval_fig13_table(0.9, q, 1, EVAL_MAX_HOPS + 1, &t), DH_EUSAGE);
	assert_int_equal(eval_fig13_table(1.01, q, 1, 30, &t), DH_EUSAGE);
	q[0] = -0.01;
	assert_int_equal(eval_fig13_table(0.9, q, 1, 30, &t), DH_EUSAGE);
	/* Extreme probabilities are allowed and exact. */
	assert_true(eval_conventional(1.0, 1000) == 1.0);
	assert_true(eval_conventional(0.0, 1) == 0.0);
	assert_true(eval_dnslog(1.0, 1.0, 30) == 1.0);
}

/* Fig. 13 at 15 hops, p = 0.9: the seed's 0.20, 0.45 and 0.81. */
static void test_fig13_values(void **state)
{
	struct eval_table t;
	double q[] = {0.55, 1.0};

	(void)state;
	assert_int_equal(eval_fig13_table(0.9, q, 2, 30, &t), 0);
	assert_int_equal(t.nrows, 30);
	assert_int_equal(t.ncols, 3);
	assert_string_equal(t.xname, "hops");
	assert_string_equal(t.names[0], "conventional");
	assert_string_equal(t.names[1], "dns_q0.55");
	assert_string_equal(t.names[2], "dns_q1.00");
	assert_true(t.x[14] == 15.0);
	assert_true(fabs(eval_table_get(&t, 14, 0) - 0.2059) < 0.00005);
	assert_true(fabs(eval_table_get(&t, 14, 1) - 0.4455) < 0.00005);
	assert_true(fabs(eval_table_get(&t, 14, 2) - 0.8100) < 0.00005);
	/* DNS-log traceback is flat from 2 hops on; hop-by-hop falls. */
	for (size_t r = 1; r < 30; r++) {
		assert_true(fabs(eval_table_get(&t, r, 1) - 0.4455) < 1e-12);
		assert_true(eval_table_get(&t, r, 0) < eval_table_get(&t, r - 1, 0));
	}
	/* On a one-hop path there is one server: q * p. */
	assert_true(fabs(eval_table_get(&t, 0, 1) - 0.495) < 1e-12);
	/* The crossings the seed names: "more than 3 or 8 routing hops". */
	assert_true(eval_table_get(&t, 1, 0) >= eval_table_get(&t, 1, 2) - 1e-12);
	assert_true(eval_table_get(&t, 2, 0) < eval_table_get(&t, 2, 2));
	assert_true(eval_table_get(&t, 6, 0) > eval_table_get(&t, 6, 1));
	assert_true(eval_table_get(&t, 7, 0) < eval_table_get(&t, 7, 1));
	eval_table_release(&t);
}

static void test_csv(void **state)
{
	struct eval_table t;
	struct dh_buf b;
	double q[] = {0.55, 1.0};

	(void)state;
	dh_buf_init(&b);
	assert_int_equal(eval_fig13_table(0.9, q, 2, 30, &t), 0);
	eval_table_csv(&t, 0, 6, &b);
	dh_buf_addc(&b, '\0');
	assert_int_equal(b.err, 0);
	assert_true(strncmp(b.data, "hops,conventional,dns_q0.55,dns_q1.00\n", 38) == 0);
	assert_non_null(strstr(b.data, "\n1,0.900000,0.495000,0.900000\n"));
	assert_non_null(strstr(b.data, "\n15,0.205891,0.445500,0.810000\n"));
	assert_non_null(strstr(b.data, "\n30,0.042391,0.445500,0.810000\n"));
	/* Header plus 30 rows, each ending in a newline. */
	size_t lines = 0;
	for (size_t i = 0; i < b.len; i++)
		lines += b.data[i] == '\n';
	assert_int_equal(lines, 31);
	eval_table_release(&t);
	dh_buf_release(&b);
}

static void test_json(void **state)
{
	struct eval_table t;
	struct dh_buf b;
	double q[] = {1.0};

	(void)state;
	dh_buf_init(&b);
	assert_int_equal(eval_fig13_table(0.5, q, 1, 2, &t), 0);
	*eval_table_at(&t, 1, 1) = NAN;
	eval_table_json(&t, &b);
	dh_buf_addc(&b, '\0');
	assert_string_equal(b.data, "[{\"hops\":1,\"conventional\":0.5,\"dns_q1.00\":0.5},"
	                            "{\"hops\":2,\"conventional\":0.25,\"dns_q1.00\":null}]");
	eval_table_release(&t);
	dh_buf_release(&b);
}

static void test_names(void **state)
{
	struct eval_table t;
	char longname[EVAL_NAME_MAX + 1];

	(void)state;
	memset(longname, 'a', sizeof(longname) - 1);
	longname[EVAL_NAME_MAX] = '\0';
	assert_int_equal(eval_table_init(&t, longname, 1, 1), DH_EUSAGE);
	assert_int_equal(eval_table_init(&t, "x", 2, 1), 0);
	assert_int_equal(eval_table_set_name(&t, 2, "c"), DH_EUSAGE);
	assert_int_equal(eval_table_set_name(&t, 1, longname), DH_ESPACE);
	longname[EVAL_NAME_MAX - 1] = '\0';
	assert_int_equal(eval_table_set_name(&t, 1, longname), 0);
	eval_table_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_null_and_empty), cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_fig13_values),   cmocka_unit_test(test_csv),
	    cmocka_unit_test(test_json),           cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
