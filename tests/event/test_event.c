#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "event/ev_format.h"
#include "event/ev_match.h"
#include "event/event.h"
#include "util/err.h"

static struct ev_event *make(int64_t ts, const char *src, uint16_t sport, const char *dst,
                             uint16_t dport, uint16_t id, int response, const char *qname)
{
	struct ev_event *ev = malloc(sizeof(*ev));
	assert_non_null(ev);
	ev_clear(ev);
	ev->ts_ns = ts;
	assert_int_equal(dh_addr_parse(&ev->src, src), 0);
	assert_int_equal(dh_addr_parse(&ev->dst, dst), 0);
	ev->sport = sport;
	ev->dport = dport;
	ev->transport = EV_TRANSPORT_UDP;
	ev->msg.id = id;
	ev->msg.flags = response ? DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA : DNS_FLAG_RD;
	ev->msg.has_question = 1;
	ev->msg.qtype = DNS_T_A;
	ev->msg.qclass = 1;
	ev->msg.qname_len = (uint16_t)strlen(qname);
	memcpy(ev->msg.qname, qname, ev->msg.qname_len + 1);
	return ev;
}

static void match_pairs_and_forgets(void **state)
{
	(void)state;
	struct ev_match *m;
	assert_int_equal(ev_match_new(&m, 0, 0), 0);

	struct ev_event *q = make(1000, "192.0.2.1", 4000, "192.0.2.53", 53, 7, 0, "a.example.");
	struct ev_event *r = make(3500, "192.0.2.53", 53, "192.0.2.1", 4000, 7, 1, "a.example.");
	struct ev_event *r2 = make(4000, "192.0.2.53", 53, "192.0.2.1", 4000, 7, 1, "a.example.");
	ev_match_event(m, q);
	assert_true(q->rtt_ns == -1);
	ev_match_event(m, r);
	assert_true(r->rtt_ns == 2500);
	/* A duplicate response finds nothing left to answer. */
	ev_match_event(m, r2);
	assert_true(r2->rtt_ns == -1);
	assert_int_equal(ev_match_stats(m)->matched, 1);
	free(q);
	free(r);
	free(r2);
	ev_match_free(m);
}

static void match_needs_every_field(void **state)
{
	(void)state;
	struct ev_match *m;
	assert_int_equal(ev_match_new(&m, 0, 0), 0);
	struct ev_event *q = make(0, "192.0.2.1", 4000, "192.0.2.53", 53, 7, 0, "a.example.");
	ev_match_event(m, q);

	struct ev_event *wrong[] = {
	    make(1, "192.0.2.53", 53, "192.0.2.1", 4000, 8, 1, "a.example."), /* id */
	    make(1, "192.0.2.53", 53, "192.0.2.1", 4001, 7, 1, "a.example."), /* port */
	    make(1, "192.0.2.54", 53, "192.0.2.1", 4000, 7, 1, "a.example."), /* server */
	    make(1, "192.0.2.53", 53, "192.0.2.2", 4000, 7, 1, "a.example."), /* client */
	    make(1, "192.0.2.53", 53, "192.0.2.1", 4000, 7, 1, "b.example."), /* name */
	};
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		ev_match_event(m, wrong[i]);
		assert_true(wrong[i]->rtt_ns == -1);
		free(wrong[i]);
	}
	free(q);
	ev_match_free(m);
}

static void match_expires_and_stays_bounded(void **state)
{
	(void)state;
	struct ev_match *m;
	const int64_t s = 1000000000LL;
	/* 1 s timeout, 1024 slots: far more queries than slots must not
	 * overflow, and an old query must be forgotten. */
	assert_int_equal(ev_match_new(&m, s, 1024), 0);
	struct ev_event *q = make(0, "192.0.2.1", 4000, "192.0.2.53", 53, 7, 0, "a.example.");
	ev_match_event(m, q);
	for (int i = 0; i < 100000; i++) {
		q->ts_ns = (int64_t)i * 100000; /* 10 s in all */
		q->msg.id = (uint16_t)i;
		q->sport = (uint16_t)(5000 + i % 1000);
		ev_match_event(m, q);
	}
	struct ev_event *r = make(10 * s, "192.0.2.53", 53, "192.0.2.1", 4000, 7, 1, "a.example.");
	ev_match_event(m, r);
	assert_true(r->rtt_ns == -1);
	assert_true(ev_match_stats(m)->expired > 0);
	free(q);
	free(r);
	ev_match_free(m);
}

static void json_of_text_source_event(void **state)
{
	(void)state;
	struct ev_formatter f;
	struct dh_buf b;
	struct ev_event *ev =
	    make(1714564800123456789LL, "192.0.2.53", 53, "2001:db8::1", 4000, 7, 1, "a.example.");

	ev->msg.rr_count = 1;
	ev->msg.rr[0].section = DNS_SEC_ANSWER;
	ev->msg.rr[0].type = DNS_T_A;
	ev->msg.rr[0].rclass = 1;
	ev->msg.rr[0].ttl = 300;
	ev->msg.rr[0].owner_text = "a.example.";
	ev->msg.rr[0].data_text = "192.0.2.80";
	ev->rtt_ns = 2500;
	snprintf(ev->observer, sizeof(ev->observer), "ns1");
	ev->role = EV_ROLE_CLIENT_RESPONSE;
	ev_formatter_init(&f, EV_FMT_OBSERVER);
	dh_buf_init(&b);
	ev_format_json(&f, ev, &b);
	dh_buf_addc(&b, '\0');
	assert_string_equal(
	    b.data,
	    "{\"ts\":\"2024-05-01T12:00:00.123456789Z\",\"ts_ns\":1714564800123456789,"
	    "\"observer\":\"ns1\",\"role\":\"client_response\",\"src\":\"192.0.2.53\","
	    "\"sport\":53,\"dst\":\"2001:db8::1\",\"dport\":4000,\"proto\":\"udp\",\"id\":7,"
	    "\"qr\":1,\"opcode\":\"QUERY\",\"rcode\":\"NOERROR\",\"flags\":[\"qr\",\"rd\","
	    "\"ra\"],\"qname\":\"a.example.\",\"qtype\":\"A\",\"qclass\":\"IN\",\"size\":0,"
	    "\"rtt_ns\":2500,\"answers\":[{\"name\":\"a.example.\",\"type\":\"A\",\"ttl\":"
	    "300,\"data\":\"192.0.2.80\"}],\"authority\":[],\"additional\":[]}\n");
	b.len = 0;
	ev_format_text(&f, ev, &b);
	dh_buf_addc(&b, '\0');
	assert_string_equal(b.data, "2024-05-01T12:00:00.123456789Z ns1 client_response "
	                            "192.0.2.53#53 > 2001:db8::1#4000 udp id=7 QUERY qr rd ra "
	                            "NOERROR A a.example. 0/0/0 A 192.0.2.80 (0.003 ms)\n");
	dh_buf_release(&b);
	free(ev);
}

static void role_names_round_trip(void **state)
{
	(void)state;
	unsigned role;
	for (unsigned i = 0; i <= EV_ROLE_MAX; i++) {
		assert_int_equal(ev_role_parse(ev_role_name(i), &role), 0);
		assert_int_equal(role, i);
	}
	assert_int_equal(ev_role_parse("nonsense", &role), DH_ENOTFOUND);
	assert_string_equal(ev_role_name(200), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(match_pairs_and_forgets),
	    cmocka_unit_test(match_needs_every_field),
	    cmocka_unit_test(match_expires_and_stays_bounded),
	    cmocka_unit_test(json_of_text_source_event),
	    cmocka_unit_test(role_names_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
