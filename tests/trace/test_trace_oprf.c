/*
 * test_trace_oprf.c - the private confirmation: a match is found, a
 * non-match is not, and what travels is blinded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trace/trace.h"

static struct dh_addr addr(const char *t)
{
	struct dh_addr a;
	assert_int_equal(dh_addr_parse(&a, t), 0);
	return a;
}

static void test_match(void **state)
{
	(void)state;
	uint8_t k[TRACE_OPRF_KEY], r[TRACE_OPRF_KEY], b[32], z[32], tag[32], want[32];
	struct dh_addr s = addr("10.0.0.66");
	assert_int_equal(trace_oprf_keygen(k), 0);
	assert_int_equal(trace_oprf_blind(&s, "www.victim.example", r, b), 0);
	assert_int_equal(trace_oprf_evaluate(k, b, z), 0);
	assert_int_equal(trace_oprf_finalize(r, &s, "WWW.victim.example.", z, tag), 0);
	assert_int_equal(trace_oprf_tag(k, &s, "www.victim.example.", want), 0);
	assert_memory_equal(tag, want, 32);
	/* IPv6 too. */
	struct dh_addr s6 = addr("2001:db8::66");
	assert_int_equal(trace_oprf_blind(&s6, "www.victim.example", r, b), 0);
	assert_int_equal(trace_oprf_evaluate(k, b, z), 0);
	assert_int_equal(trace_oprf_finalize(r, &s6, "www.victim.example", z, tag), 0);
	assert_int_equal(trace_oprf_tag(k, &s6, "www.victim.example", want), 0);
	assert_memory_equal(tag, want, 32);
}

static void test_no_match(void **state)
{
	(void)state;
	uint8_t k[32], k2[32], r[32], b[32], z[32], tag[32], other[32];
	struct dh_addr s = addr("10.0.0.66"), t = addr("10.0.0.67");
	assert_int_equal(trace_oprf_keygen(k), 0);
	assert_int_equal(trace_oprf_keygen(k2), 0);
	assert_int_equal(trace_oprf_blind(&s, "www.victim.example", r, b), 0);
	assert_int_equal(trace_oprf_evaluate(k, b, z), 0);
	assert_int_equal(trace_oprf_finalize(r, &s, "www.victim.example", z, tag), 0);
	/* Another address, another name, another agent's key. */
	assert_int_equal(trace_oprf_tag(k, &t, "www.victim.example", other), 0);
	assert_memory_not_equal(tag, other, 32);
	assert_int_equal(trace_oprf_tag(k, &s, "www2.victim.example", other), 0);
	assert_memory_not_equal(tag, other, 32);
	assert_int_equal(trace_oprf_tag(k2, &s, "www.victim.example", other), 0);
	assert_memory_not_equal(tag, other, 32);
}

static void test_blinding(void **state)
{
	(void)state;
	uint8_t k[32], r1[32], r2[32], b1[32], b2[32], z1[32], z2[32], t1[32], t2[32];
	struct dh_addr s = addr("10.0.0.66");
	assert_int_equal(trace_oprf_keygen(k), 0);
	/* Two blindings of the same input: unrelated bytes on the wire... */
	assert_int_equal(trace_oprf_blind(&s, "www.victim.example", r1, b1), 0);
	assert_int_equal(trace_oprf_blind(&s, "www.victim.example", r2, b2), 0);
	assert_memory_not_equal(b1, b2, 32);
	assert_int_equal(trace_oprf_evaluate(k, b1, z1), 0);
	assert_int_equal(trace_oprf_evaluate(k, b2, z2), 0);
	assert_memory_not_equal(z1, z2, 32);
	/* ...that unblind to the same tag. */
	assert_int_equal(trace_oprf_finalize(r1, &s, "www.victim.example", z1, t1), 0);
	assert_int_equal(trace_oprf_finalize(r2, &s, "www.victim.example", z2, t2), 0);
	assert_memory_equal(t1, t2, 32);
	/* The wrong blinding factor does not unblind. */
	assert_int_equal(trace_oprf_finalize(r2, &s, "www.victim.example", z1, t2), 0);
	assert_memory_not_equal(t1, t2, 32);
	/* The request on the wire does not carry the address. */
	struct trace_request req;
	assert_int_equal(trace_request_init(&req, "victim", "www.victim.example", NULL,
	                                    1772452800000, 1772452800000, 10, 1772452805000),
	                 0);
	memcpy(req.blinded, b1, 32);
	req.has_blinded = 1;
	char *text;
	size_t len;
	assert_int_equal(trace_request_encode(&req, &text, &len), 0);
	assert_null(strstr(text, "10.0.0.66"));
	assert_null(strstr(text, "0a000042")); /* nor its bytes in hex */
	free(text);
	/* Hostile elements get no evaluation. */
	uint8_t bad[32];
	memset(bad, 0, sizeof(bad)); /* the identity */
	assert_int_equal(trace_oprf_evaluate(k, bad, z1), TRACE_EBADREQ);
	memset(bad, 0xff, sizeof(bad)); /* not canonical */
	assert_int_equal(trace_oprf_evaluate(k, bad, z1), TRACE_EBADREQ);
}

static void test_verdict(void **state)
{
	(void)state;
	uint8_t k[32], r[32], b[32];
	struct dh_addr s = addr("10.0.0.66"), t = addr("10.0.0.67");
	struct trace_answer a;
	struct trace_confirmation *c;
	assert_int_equal(trace_oprf_keygen(k), 0);
	trace_answer_init(&a);
	/* No confirmation: no verdict. */
	assert_int_equal(trace_oprf_blind(&s, "v.example", r, b), 0);
	assert_int_equal(trace_oprf_verdict(&a, r, &s, "v.example"), 0);
	assert_int_equal(a.spoofed, -1);
	assert_int_equal(trace_answer_add_conf(&a, &c), 0);
	assert_int_equal(trace_oprf_evaluate(k, b, c->evaluated), 0);
	c->tags = calloc(8, 32);
	assert_non_null(c->tags);
	c->ntags = 8;
	assert_int_equal(trace_oprf_tag(k, &t, "v.example", c->tags[3]), 0);
	assert_int_equal(trace_oprf_verdict(&a, r, &s, "v.example"), 0);
	assert_int_equal(a.spoofed, 1);
	assert_int_equal(trace_oprf_tag(k, &s, "v.example", c->tags[5]), 0);
	assert_int_equal(trace_oprf_verdict(&a, r, &s, "v.example"), 1);
	assert_int_equal(a.spoofed, 0);
	trace_answer_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_match),
	    cmocka_unit_test(test_no_match),
	    cmocka_unit_test(test_blinding),
	    cmocka_unit_test(test_verdict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
