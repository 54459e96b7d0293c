/*
 * test_nshist.c - the glue rules of seed 003's NS-record history, one test
 * each (additional present, missing then found within the window, found
 * too late, AAAA glue, out-of-bailiwick glue, TTL expiry, learned after
 * the query), the anti-forgery zone rule, referrals, the history file
 * (idempotent saves, filters), the verdicts with the exception lists, the
 * findings' grading and the [nshist] configuration section.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../store/helpers.h"
#include "../wire/msg_build.h"
#include "nshist/nshist.h"
#include "nshist/nshist_check.h"
#include "nshist/nshist_db.h"
#include "util/allow.h"
#include "util/err.h"

#define SEC  1000000000LL
#define MS   1000000LL
#define T0   (1795305600LL * SEC)
#define RES  "10.0.0.53"
#define HOST "10.1.0.7"

static struct ev_event ev;

static struct nshist *mkhist(int64_t window, int64_t grace, int referrals)
{
	struct nshist_config cfg;
	struct nshist *h = NULL;

	nshist_config_init(&cfg);
	if (window >= 0)
		cfg.glue_window_ns = window;
	if (grace >= 0)
		cfg.grace_ns = grace;
	cfg.referrals = referrals;
	assert_int_equal(nshist_new(&h, &cfg), 0);
	return h;
}

/* A NOERROR response from the resolver to a client. */
static void resp(int64_t t, const char *qname, uint16_t qtype, int aa)
{
	th_event(&ev, t, qname, HOST, RES, 1);
	ev.msg.qtype = qtype;
	if (aa)
		ev.msg.flags |= DNS_FLAG_AA;
}

static unsigned verdict(struct nshist *h, const char *addr, int64_t t, struct nshist_why *w)
{
	struct dh_addr a = th_addr(addr);
	nshist_check(h, &a, t, w);
	return w->verdict;
}

/* The zone example.com. with ns1 in bailiwick. */
static void ns_response(int64_t t, int with_glue, int aaaa)
{
	resp(t, "www.example.com.", DNS_T_A, 0);
	th_add_rr(&ev, DNS_SEC_ANSWER, DNS_T_A, 300, "www.example.com.", "192.0.2.80");
	th_add_rr(&ev, DNS_SEC_AUTHORITY, DNS_T_NS, 86400, "example.com.", "ns1.example.com.");
	if (with_glue)
		th_add_rr(&ev, DNS_SEC_ADDITIONAL, aaaa ? DNS_T_AAAA : DNS_T_A, 3600,
		          "ns1.example.com.", aaaa ? "2001:db8::53" : "192.0.2.53");
}

static void test_null_and_empty(void **state)
{
	struct nshist *h = mkhist(-1, -1, 1);
	struct nshist_why w;
	struct nshist_stats st;
	struct nshist_config bad;

	nshist_free(NULL);
	nshist_config_init(&bad);
	bad.glue_window_ns = -1;
	struct nshist *x = (struct nshist *)1;
	assert_int_equal(nshist_new(&x, &bad), DH_EUSAGE);
	assert_null(x);
	assert_int_equal(verdict(h, "192.0.2.53", T0, &w), NSHIST_UNKNOWN);
	assert_null(w.ns);
	assert_null(w.answer);
	/* A query, a response without question and an error teach nothing. */
	th_event(&ev, T0, "www.example.com.", HOST, RES, 0);
	assert_int_equal(nshist_learn(h, &ev), 0);
	ns_response(T0, 1, 0);
	ev.msg.has_question = 0;
	assert_int_equal(nshist_learn(h, &ev), 0);
	ns_response(T0, 1, 0);
	ev.msg.flags |= 3; /* NXDOMAIN */
	assert_int_equal(nshist_learn(h, &ev), 0);
	nshist_stats(h, &st);
	assert_int_equal(st.ns_rows, 0);
	assert_int_equal(st.answer_rows, 0);
	assert_string_equal(nshist_verdict_name(NSHIST_INDIRECT), "indirect");
	assert_string_equal(nshist_verdict_name(9), "?");
	nshist_free(h);
}

static void test_additional_glue(void **state)
{
	struct nshist *h = mkhist(-1, 0, 1);
	struct nshist_why w;

	ns_response(T0, 1, 0);
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(verdict(h, "192.0.2.53", T0 + SEC, &w), NSHIST_REGISTERED);
	assert_non_null(w.ns);
	assert_string_equal(w.ns->zname, "example.com.");
	assert_string_equal(w.ns->nsfqdn, "ns1.example.com.");
	assert_int_equal(w.ns->nsttl, 86400);
	assert_int_equal(w.ns->glue_ttl, 3600);
	assert_int_equal(w.ns->src, NSHIST_SRC_ADDITIONAL);
	assert_int_equal(w.ns->res_ns, T0);
	assert_string_equal(w.ns->qname, "www.example.com.");
	/* The query time comes from the pairing (rtt 1500 ns, cut to ms). */
	assert_int_equal(w.ns->query_ns, T0 - MS);
	/* The answer's own address is an ordinary answer: indirect. */
	assert_int_equal(verdict(h, "192.0.2.80", T0 + SEC, &w), NSHIST_INDIRECT);
	assert_string_equal(w.answer->qname, "www.example.com.");
	nshist_free(h);
}

static void test_later_answer_within_window(void **state)
{
	struct nshist *h = mkhist(-1, 0, 1);
	struct nshist_why w;
	struct nshist_stats st;

	ns_response(T0, 0, 0);
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(verdict(h, "192.0.2.53", T0 + SEC, &w), NSHIST_UNKNOWN);
	/* The resolver asks for the NS name's address 1.5 s later. */
	resp(T0 + 1500 * MS, "ns1.example.com.", DNS_T_A, 1);
	th_add_rr(&ev, DNS_SEC_ANSWER, DNS_T_A, 600, "ns1.example.com.", "192.0.2.53");
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(verdict(h, "192.0.2.53", T0 + 2 * SEC, &w), NSHIST_REGISTERED);
	assert_int_equal(w.ns->src, NSHIST_SRC_LATER);
	assert_int_equal(w.ns->glue_ttl, 600);
	assert_int_equal(w.ns->res_ns, T0);
	assert_int_equal(w.ns->first_ns, T0 + 1500 * MS);
	/* Before the answer came it was not glue yet. */
	assert_int_equal(verdict(h, "192.0.2.53", T0 + SEC, &w), NSHIST_UNKNOWN);
	assert_int_equal(w.later, 1);
	assert_int_equal(nshist_settle(h, INT64_MAX), 0);
	nshist_stats(h, &st);
	assert_int_equal(st.glue_later, 1);
	assert_int_equal(st.glue_missing, 0);
	assert_int_equal(st.ns_rows, 1);
	assert_int_equal(st.answer_rows, 1); /* www's address only */
	nshist_free(h);
}

static void test_later_answer_too_late(void **state)
{
	struct nshist *h = mkhist(-1, 0, 1);
	struct nshist_why w;
	struct nshist_stats st;

	ns_response(T0, 0, 0);
	assert_int_equal(nshist_learn(h, &ev), 0);
	resp(T0 + 2500 * MS, "ns1.example.com.", DNS_T_A, 1);
	th_add_rr(&ev, DNS_SEC_ANSWER, DNS_T_A, 600, "ns1.example.com.", "192.0.2.53");
	assert_int_equal(nshist_learn(h, &ev), 0);
	/* Only an ordinary answer now: indirect, never registered. */
	assert_int_equal(verdict(h, "192.0.2.53", T0 + 3 * SEC, &w), NSHIST_INDIRECT);
	assert_null(w.ns);
	assert_int_equal(nshist_settle(h, INT64_MAX), 0);
	nshist_stats(h, &st);
	assert_int_equal(st.glue_missing, 1);
	assert_int_equal(st.ns_rows, 1); /* the seed's row without glue */
	nshist_free(h);

	/* The window is configurable: 5 s takes the same answer. */
	h = mkhist(5 * SEC, 0, 1);
	ns_response(T0, 0, 0);
	assert_int_equal(nshist_learn(h, &ev), 0);
	resp(T0 + 2500 * MS, "ns1.example.com.", DNS_T_A, 1);
	th_add_rr(&ev, DNS_SEC_ANSWER, DNS_T_A, 600, "ns1.example.com.", "192.0.2.53");
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(verdict(h, "192.0.2.53", T0 + 3 * SEC, &w), NSHIST_REGISTERED);
	nshist_free(h);
}

static void test_case_of_ns_names(void **state)
{
	struct nshist *h = mkhist(-1, 0, 1);
	struct nshist_why w;

	resp(T0, "www.example.com.", DNS_T_A, 0);
	th_add_rr(&ev, DNS_SEC_AUTHORITY, DNS_T_NS, 86400, "example.com.", "NS1.Example.COM.");
	th_add_rr(&ev, DNS_SEC_ADDITIONAL, DNS_T_A, 3600, "ns1.example.com.", "192.0.2.53");
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(verdict(h, "192.0.2.53", T0 + SEC, &w), NSHIST_REGISTERED);
	assert_string_equal(w.ns->nsfqdn, "ns1.example.com.");
	nshist_free(h);
}

static void test_aaaa_glue(void **state)
{
	struct nshist *h = mkhist(-1, 0, 1);
	struct nshist_why w;

	ns_response(T0, 1, 1);
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(verdict(h, "2001:db8::53", T0 + SEC, &w), NSHIST_REGISTERED);
	assert_int_equal(w.ns->glue.family, DH_AF_INET6);
	assert_int_equal(verdict(h, "192.0.2.53", T0 + SEC, &w), NSHIST_UNKNOWN);
	/* AAAA from a later answer, too. */
	resp(T0 + 10 * SEC, "www.example.org.", DNS_T_A, 0);
	th_add_rr(&ev, DNS_SEC_AUTHORITY, DNS_T_NS, 86400, "example.org.", "ns.example.org.");
	assert_int_equal(nshist_learn(h, &ev), 0);
	resp(T0 + 11 * SEC, "ns.example.org.", DNS_T_AAAA, 1);
	th_add_rr(&ev, DNS_SEC_ANSWER, DNS_T_AAAA, 600, "ns.example.org.", "2001:db8::99");
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(verdict(h, "2001:db8::99", T0 + 12 * SEC, &w), NSHIST_REGISTERED);
	assert_int_equal(w.ns->src, NSHIST_SRC_LATER);
	nshist_free(h);
}

static void test_out_of_bailiwick(void **state)
{
	struct nshist *h = mkhist(-1, 0, 1);
	struct nshist_why w;
	struct nshist_stats st;

	/* A response for example.com. naming ns.other.net. and offering an
	 * address for it: resolvers do not believe that address, nor do we. */
	resp(T0, "www.example.com.", DNS_T_A, 0);
	th_add_rr(&ev, DNS_SEC_AUTHORITY, DNS_T_NS, 86400, "example.com.", "ns.other.net.");
	th_add_rr(&ev, DNS_SEC_ADDITIONAL, DNS_T_A, 3600, "ns.other.net.", "198.51.100.66");
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(verdict(h, "198.51.100.66", T0 + SEC, &w), NSHIST_UNKNOWN);
	nshist_stats(h, &st);
	assert_int_equal(st.glue_out_of_bailiwick, 1);
	/* The resolver resolves ns.other.net. itself: that answer counts. */
	resp(T0 + 300 * MS, "ns.other.net.", DNS_T_A, 1);
	th_add_rr(&ev, DNS_SEC_ANSWER, DNS_T_A, 3600, "ns.other.net.", "198.51.100.67");
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(verdict(h, "198.51.100.67", T0 + SEC, &w), NSHIST_REGISTERED);
	assert_int_equal(verdict(h, "198.51.100.66", T0 + SEC, &w), NSHIST_UNKNOWN);
	nshist_free(h);
}

static void test_ttl_expiry(void **state)
{
	struct nshist *h = mkhist(-1, 0, 1);
	struct nshist_why w;

	resp(T0, "www.example.com.", DNS_T_A, 0);
	th_add_rr(&ev, DNS_SEC_AUTHORITY, DNS_T_NS, 86400, "example.com.", "ns1.example.com.");
	th_add_rr(&ev, DNS_SEC_ADDITIONAL, DNS_T_A, 60, "ns1.example.com.", "192.0.2.53");
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(verdict(h, "192.0.2.53", T0 + 59 * SEC, &w), NSHIST_REGISTERED);
	assert_int_equal(verdict(h, "192.0.2.53", T0 + 61 * SEC, &w), NSHIST_UNKNOWN);
	assert_int_equal(w.expired, 1);
	assert_non_null(w.ns);
	/* Seen again much later: a second interval, the gap stays unknown. */
	assert_int_equal(nshist_learn(h, &ev), 0);
	ev.ts_ns = T0 + 1000 * SEC;
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(verdict(h, "192.0.2.53", T0 + 500 * SEC, &w), NSHIST_UNKNOWN);
	assert_int_equal(verdict(h, "192.0.2.53", T0 + 1030 * SEC, &w), NSHIST_REGISTERED);
	assert_int_equal(w.ns->first_ns, T0 + 1000 * SEC);
	assert_int_equal(verdict(h, "192.0.2.53", T0 + 30 * SEC, &w), NSHIST_REGISTERED);
	assert_int_equal(w.ns->first_ns, T0);
	nshist_free(h);

	/* The grace extends the TTL. */
	h = mkhist(-1, 30 * SEC, 1);
	resp(T0, "www.example.com.", DNS_T_A, 0);
	th_add_rr(&ev, DNS_SEC_AUTHORITY, DNS_T_NS, 86400, "example.com.", "ns1.example.com.");
	th_add_rr(&ev, DNS_SEC_ADDITIONAL, DNS_T_A, 60, "ns1.example.com.", "192.0.2.53");
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(verdict(h, "192.0.2.53", T0 + 80 * SEC, &w), NSHIST_REGISTERED);
	assert_int_equal(verdict(h, "192.0.2.53", T0 + 91 * SEC, &w), NSHIST_UNKNOWN);
	nshist_free(h);
}

static void test_learned_after_query(void **state)
{
	struct nshist *h = mkhist(-1, 0, 1);
	struct nshist_why w;

	ns_response(T0, 1, 0);
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(verdict(h, "192.0.2.53", T0 - SEC, &w), NSHIST_UNKNOWN);
	assert_int_equal(w.later, 1);
	assert_non_null(w.ns);
	assert_int_equal(verdict(h, "192.0.2.80", T0 - SEC, &w), NSHIST_UNKNOWN);
	assert_int_equal(w.later, 1);
	assert_non_null(w.answer);
	nshist_free(h);
}

static void test_zone_rule_and_referrals(void **state)
{
	struct nshist *h = mkhist(-1, 0, 1);
	struct nshist_why w;
	struct nshist_stats st;

	/* NS records for a zone that does not hold the query name (a
	 * poisoning attempt) teach nothing; nor does a suffix that is not a
	 * label boundary. */
	resp(T0, "www.example.com.", DNS_T_A, 0);
	th_add_rr(&ev, DNS_SEC_AUTHORITY, DNS_T_NS, 86400, "bank.test.", "ns.bank.test.");
	th_add_rr(&ev, DNS_SEC_ADDITIONAL, DNS_T_A, 3600, "ns.bank.test.", "198.51.100.1");
	th_add_rr(&ev, DNS_SEC_AUTHORITY, DNS_T_NS, 86400, "ple.com.", "ns.ple.com.");
	th_add_rr(&ev, DNS_SEC_ADDITIONAL, DNS_T_A, 3600, "ns.ple.com.", "198.51.100.2");
	assert_int_equal(nshist_learn(h, &ev), 0);
	nshist_stats(h, &st);
	assert_int_equal(st.ns_ignored, 2);
	assert_int_equal(verdict(h, "198.51.100.1", T0 + SEC, &w), NSHIST_UNKNOWN);
	assert_int_equal(verdict(h, "198.51.100.2", T0 + SEC, &w), NSHIST_UNKNOWN);
	/* A referral from a TLD server (no AA, no answer) counts ... */
	resp(T0, "www.example.com.", DNS_T_A, 0);
	th_add_rr(&ev, DNS_SEC_AUTHORITY, DNS_T_NS, 172800, "example.com.", "a.ns.example.com.");
	th_add_rr(&ev, DNS_SEC_ADDITIONAL, DNS_T_A, 172800, "a.ns.example.com.", "198.51.100.3");
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(verdict(h, "198.51.100.3", T0 + SEC, &w), NSHIST_REGISTERED);
	/* ... the root zone holds every name ... */
	resp(T0, ".", DNS_T_NS, 1);
	th_add_rr(&ev, DNS_SEC_ANSWER, DNS_T_NS, 518400, ".", "a.root-servers.test.");
	th_add_rr(&ev, DNS_SEC_ADDITIONAL, DNS_T_A, 518400, "a.root-servers.test.", "198.51.100.4");
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(verdict(h, "198.51.100.4", T0 + SEC, &w), NSHIST_REGISTERED);
	nshist_free(h);
	/* ... and referrals can be switched off, authoritative NS sets not. */
	h = mkhist(-1, 0, 0);
	resp(T0, "www.example.com.", DNS_T_A, 0);
	th_add_rr(&ev, DNS_SEC_AUTHORITY, DNS_T_NS, 172800, "example.com.", "a.ns.example.com.");
	th_add_rr(&ev, DNS_SEC_ADDITIONAL, DNS_T_A, 172800, "a.ns.example.com.", "198.51.100.3");
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(verdict(h, "198.51.100.3", T0 + SEC, &w), NSHIST_UNKNOWN);
	ev.msg.flags |= DNS_FLAG_AA;
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(verdict(h, "198.51.100.3", T0 + SEC, &w), NSHIST_REGISTERED);
	nshist_free(h);
}

/* The same rules on the wire: a referral with compressed names, glue
 * in the additional section and a pointer to the question. */
static void test_wire_referral(void **state)
{
	struct nshist *h = mkhist(-1, 0, 1);
	struct nshist_why w;
	struct mb b;
	size_t rdl;

	mb_header(&b, 0x1234, 0x8000, 1, 0, 1, 1);
	mb_question(&b, "www.example.net", DNS_T_A, 1); /* name at 12 */
	mb_name_ptr(&b, "", 12 + 4);                    /* example.net. */
	mb_rr_fixed(&b, DNS_T_NS, 1, 172800, 0);
	rdl = b.len - 2;
	size_t ns_at = b.len;
	mb_name_ptr(&b, "ns1", 12 + 4);
	mb_put16(&b, rdl, (unsigned)(b.len - ns_at));
	mb_u16(&b, 0xc000 | (unsigned)ns_at);
	mb_rr_fixed(&b, DNS_T_A, 1, 172800, 4);
	mb_bytes(&b, "\xc6\x33\x64\x09", 4);
	memset(&ev, 0, sizeof(ev));
	ev.ts_ns = T0;
	ev.rtt_ns = -1;
	ev.src = th_addr("198.51.100.200");
	ev.dst = th_addr(RES);
	assert_int_equal(dns_parse(&ev.msg, b.buf, b.len), 0);
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(verdict(h, "198.51.100.9", T0 + SEC, &w), NSHIST_REGISTERED);
	assert_string_equal(w.ns->zname, "example.net.");
	assert_string_equal(w.ns->nsfqdn, "ns1.example.net.");
	assert_int_equal(w.ns->query_ns, -1);
	assert_int_equal(w.ns->query_id, 0x1234);
	nshist_free(h);
}

static int count_row(void *ctx, const struct nshist_ns *row)
{
	(*(int *)ctx)++;
	return 0;
}

/* One A answer for cc.example.net. at t. */
static void answer_at(int64_t t, uint32_t ttl, const char *addr)
{
	resp(t, "cc.example.net.", DNS_T_A, 0);
	th_add_rr(&ev, DNS_SEC_ANSWER, DNS_T_A, ttl, "cc.example.net.", addr);
}

/* An answer's latest sighting is packed into its table slot when it fits
 * (a TTL under 2^20 s, a time on the ms); the rest is kept in the row,
 * and either way the row reads back as learned. */
static void test_answer_latest(void **state)
{
	struct nshist *h = mkhist(-1, 0, 1);
	struct nshist_answer a;
	struct nshist_why w;

	answer_at(T0, 4000000, "192.0.2.99");
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(verdict(h, "192.0.2.99", T0 + SEC, &w), NSHIST_INDIRECT);
	assert_int_equal(w.answer->ttl, 4000000);
	assert_int_equal(w.answer->last_ns, T0);
	answer_at(T0 + 5 * SEC, 300, "192.0.2.99");
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(verdict(h, "192.0.2.99", T0 + SEC, &w), NSHIST_INDIRECT);
	assert_int_equal(w.answer->ttl, 300);
	assert_int_equal(w.answer->last_ns, T0 + 5 * SEC);
	answer_at(T0 + 10 * SEC, 2147483647u, "192.0.2.99");
	assert_int_equal(nshist_learn(h, &ev), 0);
	answer_at(T0 + 7 * SEC, 60, "192.0.2.99"); /* older: changes nothing */
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(verdict(h, "192.0.2.99", T0 + SEC, &w), NSHIST_INDIRECT);
	assert_int_equal(w.answer->ttl, 2147483647u);
	assert_int_equal(w.answer->last_ns, T0 + 10 * SEC);
	assert_int_equal(w.answer->first_ns, T0);
	answer_at(T0 + 11 * SEC, 60, "192.0.2.99");
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(verdict(h, "192.0.2.99", T0 + SEC, &w), NSHIST_INDIRECT);
	assert_int_equal(w.answer->ttl, 60);
	assert_int_equal(w.answer->last_ns, T0 + 11 * SEC);
	/* A stored row whose time is not on the ms comes back as it was. */
	memset(&a, 0, sizeof(a));
	a.addr = th_addr("2001:db8::99");
	a.qname = "v6.example.net.";
	a.ttl = 30;
	a.first_ns = T0 - 5;
	a.last_ns = T0 + 123;
	a.id = 7;
	assert_int_equal(nshist_add_answer(h, &a), 0);
	assert_int_equal(verdict(h, "2001:db8::99", T0 + SEC, &w), NSHIST_INDIRECT);
	assert_int_equal(w.answer->last_ns, T0 + 123);
	assert_int_equal(w.answer->ttl, 30);
	assert_int_equal(w.answer->id, 7);
	answer_at(T0 + 2 * SEC, 40, "192.0.2.98");
	ev.msg.rr[0].type = DNS_T_AAAA;
	ev.msg.rr[0].data_text = "2001:db8::99";
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(verdict(h, "2001:db8::99", T0 + SEC, &w), NSHIST_INDIRECT);
	assert_int_equal(w.answer->last_ns, T0 + 2 * SEC);
	assert_int_equal(w.answer->ttl, 40);
	assert_string_equal(w.answer->qname, "v6.example.net.");
	nshist_free(h);
}

/* Answers for 60 addresses (59 IPv4, one IPv6) in one response at t. */
static void answers_response(int64_t t)
{
	static char txt[60][48];

	resp(t, "cdn.example.net.", DNS_T_A, 0);
	for (int i = 0; i < 60; i++) {
		if (i < 59)
			snprintf(txt[i], sizeof(txt[i]), "198.51.%d.%d", i / 50, i % 50 + 1);
		else
			snprintf(txt[i], sizeof(txt[i]), "2001:db8::%d", i);
		th_add_rr(&ev, DNS_SEC_ANSWER, i < 59 ? DNS_T_A : DNS_T_AAAA, 60,
		          "cdn.example.net.", txt[i]);
	}
}

static long file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* The answer file: rows come back with their ids, a batch cut short by
 * a crash is ignored and cut off by the next save, and a file of mostly
 * superseded records is rewritten. */
static void test_db_answer_file(void **state)
{
	char dir[4096], path[4200], apath[4200];
	struct nshist *h = mkhist(-1, 0, 1), *h2 = mkhist(-1, 0, 1), *h3 = mkhist(-1, 0, 1);
	struct nshist_db *db = NULL;
	struct nshist_stats st;
	struct nshist_why w;
	uint64_t written = 0;
	int64_t id;

	th_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/nshist.db", dir);
	snprintf(apath, sizeof(apath), "%s/nshist.answers", dir);
	assert_int_equal(nshist_db_open(&db, path, 1), 0);
	answers_response(T0);
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(nshist_db_save(db, h, &written), 0);
	assert_int_equal(written, 60);
	nshist_db_close(db);
	assert_true(file_size(apath) > 60 * 31);

	/* A save that died half-way left part of a batch behind. */
	FILE *f = fopen(apath, "ab");
	assert_non_null(f);
	assert_int_equal(fwrite("ANS1\x05\0\0\0garbage", 1, 15, f), 15);
	fclose(f);
	assert_int_equal(nshist_db_open(&db, path, 0), 0);
	assert_int_equal(nshist_db_load(db, h2), 0);
	nshist_stats(h2, &st);
	assert_int_equal(st.answer_rows, 60);
	assert_int_equal(st.changed, 0);
	assert_int_equal(verdict(h2, "198.51.1.7", T0 + SEC, &w), NSHIST_INDIRECT);
	assert_string_equal(w.answer->qname, "cdn.example.net.");
	assert_int_equal(w.answer->first_ns, T0);
	id = w.answer->id;
	assert_true(id > 0);
	assert_int_equal(verdict(h2, "2001:db8::59", T0 + SEC, &w), NSHIST_INDIRECT);
	/* Every address seen again, 80 times, each time saved: 4,860 records
	 * for 60 rows, so a save rewrites the file (a record is 47 bytes). */
	for (int k = 1; k <= 80; k++) {
		answers_response(T0 + k * SEC);
		assert_int_equal(nshist_learn(h2, &ev), 0);
		assert_int_equal(nshist_db_save(db, h2, &written), 0);
		assert_int_equal(written, 60);
	}
	nshist_db_close(db);
	assert_true(file_size(apath) < 81 * 60 * 47 / 4);

	assert_int_equal(nshist_db_open(&db, path, 0), 0);
	assert_int_equal(nshist_db_load(db, h3), 0);
	nshist_stats(h3, &st);
	assert_int_equal(st.answer_rows, 60);
	assert_int_equal(verdict(h3, "198.51.1.7", T0 + SEC, &w), NSHIST_INDIRECT);
	assert_int_equal(w.answer->id, id);
	assert_int_equal(w.answer->first_ns, T0);
	assert_int_equal(w.answer->last_ns, T0 + 80 * SEC);
	assert_int_equal(verdict(h3, "2001:db8::59", T0 + SEC, &w), NSHIST_INDIRECT);
	assert_int_equal(w.answer->last_ns, T0 + 80 * SEC);
	nshist_db_close(db);

	/* A new history file empties an answer file left behind. */
	char wal[4300];
	unlink(path);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", path);
	unlink(wal);
	assert_int_equal(nshist_db_open(&db, path, 1), 0);
	assert_int_equal(file_size(apath), 0);
	nshist_db_close(db);
	nshist_free(h);
	nshist_free(h2);
	nshist_free(h3);
	th_rmtree(dir);
}

static void test_db_roundtrip(void **state)
{
	char dir[4096], path[4200];
	struct nshist *h = mkhist(-1, 0, 1), *h2 = mkhist(-1, 0, 1);
	struct nshist_db *db = NULL;
	struct nshist_why w;
	uint64_t written = 0;
	int64_t v = 0;

	th_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/nshist.db", dir);
	assert_int_equal(nshist_db_open(&db, path, 0), -ENOENT);
	assert_int_equal(nshist_db_open(&db, path, 1), 0);
	nshist_db_close(NULL);
	ns_response(T0 + 123456, 1, 0);
	assert_int_equal(nshist_learn(h, &ev), 0);
	ns_response(T0 + 10 * SEC, 0, 0);
	ev.msg.rr[1].owner_text = "example.org.";
	ev.msg.rr[1].data_text = "ns.example.org.";
	ev.msg.qname_len =
	    (uint16_t)snprintf(ev.msg.qname, sizeof(ev.msg.qname), "www.example.org.");
	assert_int_equal(nshist_learn(h, &ev), 0);
	assert_int_equal(nshist_settle(h, INT64_MAX), 0);
	assert_int_equal(nshist_db_save(db, h, &written), 0);
	assert_int_equal(written, 3); /* two NS rows, one address answered twice */
	assert_int_equal(nshist_db_save(db, h, &written), 0);
	assert_int_equal(written, 0);
	assert_int_equal(nshist_db_meta_get(db, "x", &v), DH_ENOTFOUND);
	assert_int_equal(nshist_db_meta_set(db, "x", 42), 0);
	assert_int_equal(nshist_db_meta_get(db, "x", &v), 0);
	assert_int_equal(v, 42);
	nshist_db_close(db);

	/* Loaded again, the same data adds nothing. */
	assert_int_equal(nshist_db_open(&db, path, 0), 0);
	assert_int_equal(nshist_db_load(db, h2), 0);
	assert_int_equal(verdict(h2, "192.0.2.53", T0 + SEC, &w), NSHIST_REGISTERED);
	assert_true(w.ns->id > 0);
	assert_int_equal(w.ns->res_ns, T0); /* ms kept, sub-ms cut */
	ns_response(T0 + 123456, 1, 0);
	assert_int_equal(nshist_learn(h2, &ev), 0);
	assert_int_equal(nshist_db_save(db, h2, &written), 0);
	assert_int_equal(written, 0);
	/* A later sighting extends the row in place. */
	ns_response(T0 + 100 * SEC, 1, 0);
	assert_int_equal(nshist_learn(h2, &ev), 0);
	assert_int_equal(nshist_db_save(db, h2, &written), 0);
	assert_int_equal(written, 2);

	struct nshist_db_filter f;
	int n = 0;
	memset(&f, 0, sizeof(f));
	assert_int_equal(nshist_db_list(db, &f, count_row, &n), 0);
	assert_int_equal(n, 2);
	n = 0;
	f.zone = "example.org.";
	assert_int_equal(nshist_db_list(db, &f, count_row, &n), 0);
	assert_int_equal(n, 1);
	n = 0;
	f.zone = NULL;
	f.addr = th_addr("192.0.2.53");
	assert_int_equal(nshist_db_list(db, &f, count_row, &n), 0);
	assert_int_equal(n, 1);
	nshist_db_close(db);
	nshist_free(h);
	nshist_free(h2);
	th_rmtree(dir);
}

static void test_classify(void **state)
{
	struct nshist *h = mkhist(-1, 0, 1);
	struct nshist_opts o;
	struct nshist_why w;

	assert_int_equal(nshist_opts_init(&o), 0);
	assert_int_equal(nshist_opts_resolver(&o, RES), 0);
	ns_response(T0, 1, 0);
	assert_int_equal(nshist_learn(h, &ev), 0);
	/* A response is not a query. */
	assert_int_equal(nshist_classify(h, &o, &ev, &w), 0);
	th_event(&ev, T0 + SEC, "www.example.com.", HOST, RES, 0);
	assert_int_equal(nshist_classify(h, &o, &ev, &w), 1);
	assert_int_equal(w.verdict, NSHIST_RESOLVER);
	th_event(&ev, T0 + SEC, "www.example.com.", HOST, "8.8.8.8", 0);
	assert_int_equal(nshist_classify(h, &o, &ev, &w), 1);
	assert_int_equal(w.verdict, NSHIST_RESOLVER);
	th_event(&ev, T0 + SEC, "www.example.com.", HOST, "192.0.2.53", 0);
	assert_int_equal(nshist_classify(h, &o, &ev, &w), 1);
	assert_int_equal(w.verdict, NSHIST_REGISTERED);
	th_event(&ev, T0 + SEC, "x.example.com.", HOST, "203.0.113.5", 0);
	assert_int_equal(nshist_classify(h, &o, &ev, &w), 1);
	assert_int_equal(w.verdict, NSHIST_UNKNOWN);
	/* The resolver's own upstream queries are not a host's. */
	th_event(&ev, T0 + SEC, "x.example.com.", RES, "203.0.113.5", 0);
	assert_int_equal(nshist_classify(h, &o, &ev, &w), 0);
	/* Replacing the public list: 8.8.8.8 becomes unknown. */
	assert_int_equal(nshist_opts_public(&o, "192.0.2.8"), 0);
	th_event(&ev, T0 + SEC, "www.example.com.", HOST, "8.8.8.8", 0);
	assert_int_equal(nshist_classify(h, &o, &ev, &w), 1);
	assert_int_equal(w.verdict, NSHIST_UNKNOWN);
	assert_int_equal(nshist_opts_public(&o, "not an address"), DH_EMALFORMED);
	nshist_opts_release(&o);
	/* Without a resolver list, the roles decide. */
	assert_int_equal(nshist_opts_init(&o), 0);
	th_event(&ev, T0 + SEC, "x.example.com.", HOST, "203.0.113.5", 0);
	assert_int_equal(ev.role, EV_ROLE_CLIENT_QUERY);
	assert_int_equal(nshist_classify(h, &o, &ev, &w), 1);
	assert_int_equal(w.verdict, NSHIST_RESOLVER);
	ev.role = EV_ROLE_RESOLVER_QUERY;
	assert_int_equal(nshist_classify(h, &o, &ev, &w), 0);
	ev.role = EV_ROLE_UNKNOWN;
	assert_int_equal(nshist_classify(h, &o, &ev, &w), 1);
	assert_int_equal(w.verdict, NSHIST_UNKNOWN);
	/* A list given wins over the roles. */
	assert_int_equal(nshist_opts_resolver(&o, RES), 0);
	ev.role = EV_ROLE_CLIENT_QUERY;
	assert_int_equal(nshist_classify(h, &o, &ev, &w), 1);
	assert_int_equal(w.verdict, NSHIST_UNKNOWN);
	/* With local networks, only their hosts are checked. */
	assert_int_equal(dh_allow_add_net(o.local, "10.2.0.0/16"), 0);
	assert_int_equal(nshist_classify(h, &o, &ev, &w), 0);
	nshist_opts_release(&o);
	nshist_free(h);
}

struct got {
	int n;
	unsigned level[8];
	char kind[8][32];
	char evidence[8][1024];
};

static int collect(void *ctx, const struct store_finding *f)
{
	struct got *g = ctx;
	if (g->n < 8) {
		g->level[g->n] = f->level;
		snprintf(g->kind[g->n], 32, "%s", f->kind);
		snprintf(g->evidence[g->n], 1024, "%s", f->evidence);
	}
	g->n++;
	return 0;
}

static void test_findings(void **state)
{
	struct nshist_opts o;
	struct nshist_find *f = NULL;
	struct nshist_why w;
	struct got g;

	assert_int_equal(nshist_opts_init(&o), 0);
	o.warning_count = 3;
	o.emergency_count = 5;
	o.txt_warning = 1;
	o.txt_emergency = 2;
	assert_int_equal(dh_allow_add(o.allow, "allowed.test"), 0);
	assert_int_equal(nshist_find_new(&f, &o), 0);
	memset(&w, 0, sizeof(w));
	/* Registered and resolver verdicts never count. */
	w.verdict = NSHIST_REGISTERED;
	th_event(&ev, T0, "a.c2.test.", HOST, "203.0.113.5", 0);
	assert_int_equal(nshist_find_add(f, &ev, &w), 0);
	/* The first unknown query: candidate. */
	w.verdict = NSHIST_UNKNOWN;
	assert_int_equal(nshist_find_add(f, &ev, &w), 1);
	memset(&g, 0, sizeof(g));
	assert_int_equal(nshist_find_flush(f, collect, &g), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.level[0], STORE_LEVEL_CANDIDATE);
	assert_string_equal(g.kind[0], "direct-outbound");
	/* Nothing new: nothing flushed. */
	memset(&g, 0, sizeof(g));
	assert_int_equal(nshist_find_flush(f, collect, &g), 0);
	assert_int_equal(g.n, 0);
	/* A TXT query: warning, called out in the evidence. */
	ev.msg.qtype = DNS_T_TXT;
	assert_int_equal(nshist_find_add(f, &ev, &w), 1);
	assert_int_equal(nshist_find_add(f, &ev, &w), 1); /* second TXT: emergency */
	memset(&g, 0, sizeof(g));
	assert_int_equal(nshist_find_flush(f, collect, &g), 0);
	assert_int_equal(g.level[0], STORE_LEVEL_EMERGENCY);
	assert_non_null(strstr(g.evidence[0], "\"txt\":2"));
	assert_non_null(strstr(g.evidence[0], "\"txt_qnames\":[\"a.c2.test.\"]"));
	assert_non_null(strstr(g.evidence[0], "\"servers\":[\"203.0.113.5\"]"));
	/* Indirect is its own kind; allowed names are not counted. */
	w.verdict = NSHIST_INDIRECT;
	ev.msg.qtype = DNS_T_A;
	assert_int_equal(nshist_find_add(f, &ev, &w), 1);
	th_event(&ev, T0, "x.allowed.test.", "10.1.0.8", "203.0.113.5", 0);
	assert_int_equal(nshist_find_add(f, &ev, &w), 0);
	/* By count: 3 warning, 5 emergency. */
	th_event(&ev, T0, "b.c2.test.", "10.1.0.9", "203.0.113.6", 0);
	int raised = 0;
	for (int i = 0; i < 5; i++)
		raised += nshist_find_add(f, &ev, &w);
	assert_int_equal(raised, 3);
	memset(&g, 0, sizeof(g));
	assert_int_equal(nshist_find_flush(f, collect, &g), 0);
	assert_int_equal(g.n, 2);
	nshist_find_free(f);
	nshist_find_free(NULL);
	nshist_opts_release(&o);
}

static void test_conf(void **state)
{
	struct nshist_opts o;
	char err[256];
	static const char good[] = "[detect]\nwhatever = 1\n"
	                           "[nshist]\nglue_window = 3s\ngrace = 10m\nreferrals = no\n"
	                           "resolver = 10.0.0.53\npublic_resolver = 192.0.2.8\n"
	                           "local = 10.0.0.0/8\nallow = .example.com\n"
	                           "warning_count = 20\ntxt_emergency = 3\nwindow = 1h\n";
	static const char bad[] = "[nshist]\nresolver = 10.0.0.53\nresolver = nonsense\n";
	static const char badkey[] = "[nshist]\ncolour = blue\n";

	assert_int_equal(nshist_opts_init(&o), 0);
	assert_int_equal(
	    dh_conf_parse(good, sizeof(good) - 1, "t.conf", nshist_opts_conf, &o, err, sizeof(err)),
	    0);
	assert_int_equal(o.hist.glue_window_ns, 3 * SEC);
	assert_int_equal(o.hist.grace_ns, 600 * SEC);
	assert_int_equal(o.hist.referrals, 0);
	assert_int_equal(o.warning_count, 20);
	assert_int_equal(o.txt_emergency, 3);
	assert_int_equal(o.window_ns, 3600 * SEC);
	struct dh_addr a = th_addr("10.0.0.53");
	assert_int_equal(dh_allow_addr(o.resolvers, &a), 1);
	a = th_addr("8.8.8.8");
	assert_int_equal(dh_allow_addr(o.publics, &a), 0); /* replaced */
	a = th_addr("192.0.2.8");
	assert_int_equal(dh_allow_addr(o.publics, &a), 1);
	assert_int_equal(dh_allow_name(o.allow, "www.example.com.", 16), 1);
	assert_true(dh_conf_parse(bad, sizeof(bad) - 1, "t.conf", nshist_opts_conf, &o, err,
	                          sizeof(err)) < 0);
	assert_non_null(strstr(err, "t.conf:3"));
	assert_true(dh_conf_parse(badkey, sizeof(badkey) - 1, "t.conf", nshist_opts_conf, &o, err,
	                          sizeof(err)) < 0);
	assert_non_null(strstr(err, "colour"));
	nshist_opts_release(&o);
	/* The default list has the well-known public resolvers. */
	assert_int_equal(nshist_opts_init(&o), 0);
	a = th_addr("2606:4700:4700::1111");
	assert_int_equal(dh_allow_addr(o.publics, &a), 1);
	nshist_opts_release(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_null_and_empty),
	    cmocka_unit_test(test_additional_glue),
	    cmocka_unit_test(test_later_answer_within_window),
	    cmocka_unit_test(test_later_answer_too_late),
	    cmocka_unit_test(test_aaaa_glue),
	    cmocka_unit_test(test_case_of_ns_names),
	    cmocka_unit_test(test_out_of_bailiwick),
	    cmocka_unit_test(test_ttl_expiry),
	    cmocka_unit_test(test_learned_after_query),
	    cmocka_unit_test(test_zone_rule_and_referrals),
	    cmocka_unit_test(test_wire_referral),
	    cmocka_unit_test(test_db_roundtrip),
	    cmocka_unit_test(test_db_answer_file),
	    cmocka_unit_test(test_answer_latest),
	    cmocka_unit_test(test_classify),
	    cmocka_unit_test(test_findings),
	    cmocka_unit_test(test_conf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
