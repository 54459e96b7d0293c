/*
 * test_trace_msg.c - the protocol's parser: round trips, and malformed,
 * oversized and wrong-version messages refused with the right code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trace/trace.h"
#include "util/err.h"

static const char good[] =
    "{\"v\":1,\"type\":\"trace\",\"request_id\":\"0123456789abcdef\",\"originator\":\"victim\","
    "\"hops\":1,\"max_hops\":4,\"path\":[\"auth\"],\"deadline_ms\":1772452805000,"
    "\"fqdn\":\"WWW.Victim.Example\",\"attack_start_ms\":1772452800000,"
    "\"attack_end_ms\":1772452830000,\"window_s\":10,\"lookback_s\":310}";

static int parse(const char *text, struct trace_request *r, char *err)
{
	return trace_request_parse((const uint8_t *)text, strlen(text), r, err, 256);
}

/* Replaces the first occurrence of from in good by to and parses it. */
static int parse_edit(const char *from, const char *to, char *err)
{
	char buf[4096];
	struct trace_request r;
	const char *p = strstr(good, from);
	assert_non_null(p);
	int n = snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - good), good, to, p + strlen(from));
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	return parse(buf, &r, err);
}

static void test_good(void **state)
{
	(void)state;
	struct trace_request r, r2;
	char err[256];
	assert_int_equal(parse(good, &r, err), 0);
	assert_string_equal(r.fqdn, "www.victim.example.");
	assert_int_equal(r.hops, 1);
	assert_string_equal(r.path[0], "auth");
	assert_int_equal(r.window_s, 10);
	assert_int_equal(r.lookback_s, 310);
	assert_int_equal(r.attack_end_ms - r.attack_start_ms, 30000);
	/* Encode and parse again: the same request. */
	char *text;
	size_t len;
	r.has_blinded = 1;
	memset(r.blinded, 0xab, sizeof(r.blinded));
	assert_int_equal(trace_request_encode(&r, &text, &len), 0);
	assert_int_equal(trace_request_parse((const uint8_t *)text, len, &r2, err, sizeof(err)), 0);
	assert_memory_equal(&r, &r2, sizeof(r));
	free(text);
}

static void test_malformed(void **state)
{
	(void)state;
	struct trace_request r;
	char err[256];
	static const char *const bad[] = {
	    "",
	    "{",
	    "[1,2]",
	    "\"text\"",
	    "{\"v\":1,}",
	    "{'v':1}",
	    "{\"v\":1} trailing",
	    "{\"v\":\"1\"}",
	    "{\"v\":1}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(bad[i], &r, err);
		assert_int_equal(rc, TRACE_EBADREQ);
		assert_true(err[0] != '\0');
	}
	/* A NUL byte inside is refused, not cut short. */
	char nul[sizeof(good)];
	memcpy(nul, good, sizeof(good));
	nul[10] = '\0';
	assert_int_equal(trace_request_parse((const uint8_t *)nul, sizeof(good) - 1, &r, err, 256),
	                 TRACE_EBADREQ);
	assert_non_null(strstr(err, "NUL"));
	/* Field by field. */
	assert_int_equal(parse_edit("\"hops\":1", "\"hops\":2", err), TRACE_EBADREQ);
	assert_non_null(strstr(err, "path"));
	assert_int_equal(parse_edit("\"hops\":1", "\"hops\":-1", err), TRACE_EBADREQ);
	assert_int_equal(parse_edit("\"hops\":1", "\"hops\":1.5", err), TRACE_EBADREQ);
	assert_int_equal(parse_edit("\"max_hops\":4", "\"max_hops\":99", err), TRACE_EBADREQ);
	assert_int_equal(parse_edit("\"window_s\":10", "\"window_s\":0", err), TRACE_EBADREQ);
	assert_int_equal(parse_edit("\"window_s\":10", "\"window_s\":10,\"extra\":1", err),
	                 TRACE_EBADREQ);
	assert_non_null(strstr(err, "extra"));
	assert_int_equal(parse_edit("0123456789abcdef", "short", err), TRACE_EBADREQ);
	assert_int_equal(parse_edit("0123456789abcdef", "0123456789abcdef/..", err), TRACE_EBADREQ);
	assert_int_equal(parse_edit("WWW.Victim.Example", "www..example", err), TRACE_EBADREQ);
	assert_int_equal(parse_edit("WWW.Victim.Example", "www.ex ample", err), TRACE_EBADREQ);
	assert_int_equal(parse_edit("\"type\":\"trace\"", "\"type\":\"dump\"", err), TRACE_EBADREQ);
	assert_int_equal(parse_edit("\"fqdn\"", "\"victim_ip\":\"192.0.2.1\",\"fqdn\"", err),
	                 TRACE_EBADREQ);
	assert_non_null(strstr(err, "exactly one"));
	assert_int_equal(parse_edit("\"attack_end_ms\":1772452830000", "\"attack_end_ms\":1", err),
	                 TRACE_EBADREQ);
	assert_int_equal(parse_edit("\"path\":[\"auth\"]", "\"path\":[7]", err), TRACE_EBADREQ);
	assert_int_equal(parse_edit("\"lookback_s\":310", "\"confirm\":{\"blinded\":\"zz\"}", err),
	                 TRACE_EBADREQ);
	assert_int_equal(parse_edit("\"type\":\"trace\"", "\"type\":\"confirm\"", err),
	                 TRACE_EBADREQ);
}

static void test_version(void **state)
{
	(void)state;
	char err[256];
	assert_int_equal(parse_edit("\"v\":1", "\"v\":2", err), TRACE_EVERSION);
	assert_non_null(strstr(err, "version 2"));
	assert_int_equal(parse_edit("\"v\":1", "\"v\":0", err), TRACE_EVERSION);
	assert_int_equal(parse_edit("\"v\":1,", "", err), TRACE_EBADREQ);
}

static void test_oversized(void **state)
{
	(void)state;
	struct trace_request r;
	char err[256];
	/* Over the size limit, though valid JSON. */
	size_t n = TRACE_REQUEST_MAX + 100;
	char *big = malloc(n + 1);
	assert_non_null(big);
	memset(big, ' ', n);
	memcpy(big, good, strlen(good));
	big[n] = '\0';
	assert_int_equal(parse(big, &r, err), TRACE_ETOOBIG);
	/* Deep nesting is stopped at the depth limit. */
	size_t d = 5000, k = 0;
	for (size_t i = 0; i < d; i++)
		big[k++] = '[';
	big[k] = '\0';
	assert_int_equal(parse(big, &r, err), TRACE_ETOOBIG);
	assert_non_null(strstr(err, "nesting"));
	free(big);
	/* A path longer than the list limit. */
	char buf[4096];
	int m = snprintf(buf, sizeof(buf), "\"path\":[");
	for (int i = 0; i < TRACE_PATH_MAX + 1; i++)
		m += snprintf(buf + m, sizeof(buf) - (size_t)m, "%s\"a%d\"", i ? "," : "", i);
	snprintf(buf + m, sizeof(buf) - (size_t)m, "]");
	assert_int_equal(parse_edit("\"path\":[\"auth\"]", buf, err), TRACE_ETOOBIG);
	/* A string longer than its field. */
	char name[400];
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(parse_edit("victim\"", name, err), TRACE_EBADREQ);
}

static void test_answer_roundtrip(void **state)
{
	(void)state;
	struct trace_answer a, b;
	struct trace_candidate *c;
	struct trace_cc *cc;
	struct trace_confirmation *cf;
	char *text;
	size_t len;
	char err[256];

	trace_answer_init(&a);
	snprintf(a.request_id, sizeof(a.request_id), "0123456789abcdef");
	snprintf(a.agent, sizeof(a.agent), "auth");
	snprintf(a.fqdn, sizeof(a.fqdn), "www.victim.example.");
	a.hops = 2;
	a.lookback_s = 310;
	a.spoofed = 0;
	assert_int_equal(trace_answer_add_cand(&a, &c), 0);
	snprintf(c->host, sizeof(c->host), "2001:db8::66");
	c->score = 2.5;
	trace_cand_reason(c, "asked %s", "res1");
	c->npath = 2;
	snprintf(c->path[0], sizeof(c->path[0]), "auth");
	snprintf(c->path[1], sizeof(c->path[1]), "res1");
	c->nevidence = 1;
	c->evidence[0].ts_ms = 1772452798000;
	c->evidence[0].qtype = 28;
	c->evidence[0].cached = -1;
	c->queries = 3;
	assert_int_equal(trace_answer_add_cc(&a, &cc), 0);
	snprintf(cc->name, sizeof(cc->name), "cc.evil.example.");
	cc->score = 2;
	cc->bots = 2;
	assert_int_equal(trace_answer_add_unreached(&a, "res2", "down", "refused"), 0);
	assert_int_equal(trace_answer_add_warning(&a, "w"), 0);
	assert_int_equal(trace_answer_add_warning(&a, "w"), 0); /* deduplicated */
	assert_int_equal(trace_answer_add_conf(&a, &cf), 0);
	snprintf(cf->agent, sizeof(cf->agent), "res1");
	cf->ntags = 2;
	cf->tags = calloc(2, TRACE_OPRF_BYTES);
	assert_non_null(cf->tags);
	cf->tags[1][0] = 7;
	assert_int_equal(trace_answer_encode(&a, &text, &len), 0);
	assert_int_equal(trace_answer_parse((const uint8_t *)text, len, &b, err, sizeof(err)), 0);
	assert_int_equal(b.ncand, 1);
	assert_string_equal(b.cand[0].host, "2001:db8::66");
	assert_true(b.cand[0].score == 2.5);
	assert_string_equal(b.cand[0].path[1], "res1");
	assert_int_equal(b.cand[0].evidence[0].qtype, 28);
	assert_int_equal(b.cand[0].evidence[0].cached, -1);
	assert_int_equal(b.spoofed, 0);
	assert_int_equal(b.ncc, 1);
	assert_int_equal(b.nunreached, 1);
	assert_string_equal(b.unreached[0].reason, "down");
	assert_int_equal(b.nwarnings, 1);
	assert_int_equal(b.nconf, 1);
	assert_int_equal(b.conf[0].ntags, 2);
	assert_int_equal(b.conf[0].tags[1][0], 7);
	assert_int_equal(b.hops, 2);
	free(text);
	trace_answer_release(&b);
	trace_answer_release(&a);

	/* An error answer. */
	assert_int_equal(
	    trace_error_encode("0123456789abcdef", "auth", TRACE_EFORBID, "no", &text, &len), 0);
	assert_int_equal(trace_answer_parse((const uint8_t *)text, len, &b, err, sizeof(err)), 0);
	assert_int_equal(b.error, TRACE_EFORBID);
	assert_string_equal(b.error_message, "no");
	free(text);
	trace_answer_release(&b);

	/* A candidate whose host is not an address is refused. */
	static const char bad[] =
	    "{\"v\":1,\"request_id\":\"0123456789abcdef\",\"fqdn\":\"x.\",\"candidates\":[{"
	    "\"host\":\"not-an-ip\",\"score\":1,\"reasons\":[],\"path\":[]}],\"spoofed\":null,"
	    "\"cc_candidates\":[],\"hops\":0,\"lookback_s\":0,\"unreached\":[],\"warnings\":[]}";
	assert_int_equal(trace_answer_parse((const uint8_t *)bad, strlen(bad), &b, err, 256),
	                 TRACE_EBADREQ);
	trace_answer_release(&b);
}

static void test_codes(void **state)
{
	(void)state;
	for (int c = TRACE_EBADREQ; c > TRACE_ELAST; c--)
		assert_int_equal(trace_code_parse(trace_code_name(c)), c);
	assert_string_equal(trace_code_name(TRACE_EFORBID), "forbidden");
	assert_int_equal(trace_code_parse("nonsense"), TRACE_EINTERNAL);
	unsigned rights;
	assert_int_equal(trace_rights_parse("ask, relay,clients", &rights), 0);
	assert_int_equal(rights, TRACE_R_ASK | TRACE_R_RELAY | TRACE_R_CLIENTS);
	assert_int_equal(trace_rights_parse("ask,admin", &rights), DH_EUSAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_version),
	    cmocka_unit_test(test_oversized),
	    cmocka_unit_test(test_answer_roundtrip),
	    cmocka_unit_test(test_codes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
