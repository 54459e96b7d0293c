/*
 * test_store_brief.c - store_query_brief(): usage errors, an empty store,
 * and brief lookups that must deliver exactly the events of the full
 * lookup (same order, same brief fields) for clients whose rows span
 * several cluster frames, several segments and partitions, and windows
 * that start and end on an event. store_query_fields(): the fields asked
 * for equal the full event's, the others are empty, with and without a
 * key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"
#include "util/err.h"

#define SEC  1000000000LL
#define HOUR (3600 * SEC)
#define T0   (1795305600LL * SEC)

/* More events of one client than a cluster frame holds (512 rows), so
 * that a lookup crosses frames. */
#define HEAVY 1300

/* What a brief event must carry, for comparing the two lookups. */
struct row {
	int64_t ts;
	char qname[DNS_NAME_TEXT_MAX];
	char observer[EV_OBSERVER_MAX];
	struct dh_addr src, dst;
	uint16_t flags, qtype, qclass;
	uint8_t role, transport;
	uint16_t rr_count;
};

struct rows {
	struct row r[3 * HEAVY];
	size_t n;
};

static void row_of(struct row *r, const struct ev_event *ev)
{
	memset(r, 0, sizeof(*r));
	r->ts = ev->ts_ns;
	snprintf(r->qname, sizeof(r->qname), "%s", ev->msg.qname);
	snprintf(r->observer, sizeof(r->observer), "%s", ev->observer);
	r->src = ev->src;
	r->dst = ev->dst;
	r->flags = ev->msg.flags;
	r->qtype = ev->msg.qtype;
	r->qclass = ev->msg.qclass;
	r->role = ev->role;
	r->transport = ev->transport;
	r->rr_count = ev->msg.rr_count;
}

static int collect(void *ctx, const struct ev_event *ev)
{
	struct rows *h = ctx;
	if (h->n >= sizeof(h->r) / sizeof(h->r[0]))
		return 1;
	row_of(&h->r[h->n++], ev);
	return 0;
}

struct fx {
	char dir[4096];
	struct store *s;
	struct rows *full, *brief;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->full = calloc(1, sizeof(*f->full));
	f->brief = calloc(1, sizeof(*f->brief));
	assert_non_null(f->full);
	assert_non_null(f->brief);
	th_tmpdir(f->dir, sizeof(f->dir));
	assert_int_equal(store_open(&f->s, f->dir, STORE_CREATE), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->s);
	th_rmtree(f->dir);
	free(f->full);
	free(f->brief);
	free(f);
	return 0;
}

static void test_usage_and_empty(void **state)
{
	struct fx *f = *state;
	struct store_query q;
	memset(&q, 0, sizeof(q));
	q.since_ns = INT64_MIN;
	q.until_ns = INT64_MAX;
	q.client = th_addr("192.0.2.1");
	assert_int_equal(store_query_brief(NULL, &q, collect, f->brief), DH_EUSAGE);
	assert_int_equal(store_query_brief(f->s, &q, NULL, f->brief), DH_EUSAGE);
	assert_int_equal(store_query_brief(f->s, &q, collect, f->brief), 0);
	assert_int_equal(f->brief->n, 0);
	/* NULL query: everything, of which there is nothing. */
	assert_int_equal(store_query_brief(f->s, NULL, collect, f->brief), 0);
	assert_int_equal(f->brief->n, 0);
}

static const char *const clients[] = {"192.0.2.1", "192.0.2.2", "2001:db8::7", "192.0.2.9"};
static const char *const names[] = {"a.example.", "b.example.", "c.example.", "d.example."};

/* A heavy client (192.0.2.1) and two light ones, queries and responses,
 * input slightly out of order, across two hours, with a small buffer so
 * that the first hour has two segments (the first with ~670 rows of the
 * heavy client); responses carry a record. */
static void fill(struct store *s)
{
	uint8_t hash[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	uint64_t skip;
	assert_int_equal(store_set_buffer(s, 2000), 0);
	assert_int_equal(store_ingest_begin(s, "brief", hash, sizeof(hash), &skip), 0);
	for (int i = 0; i < 3 * HEAVY; i++) {
		struct ev_event ev;
		int c = i % 3 == 0 ? 0 : 1 + (i / 3) % 2;
		int64_t ts = T0 + (int64_t)i * (HOUR / (2 * HEAVY)) + (i % 5 == 0 ? -7 : 0);
		/* A rare name among the four popular ones: its events stay
		 * out of the name cluster and come from the blocks. */
		th_event(&ev, ts, (i / 2) % 211 == 5 ? "rare.example." : names[(i / 2) % 4],
		         clients[c], "198.51.100.53", i % 2);
		ev.msg.qtype = (uint16_t)(i % 7 == 0 ? DNS_T_AAAA : DNS_T_A);
		snprintf(ev.observer, sizeof(ev.observer), "%s", i % 4 ? "obs-a" : "obs-b");
		if (i % 2)
			th_add_rr(&ev, DNS_SEC_ANSWER, DNS_T_A, 60, names[(i / 2) % 4],
			          "203.0.113.1");
		/* Ports, sizes, counts and EDNS that vary, for the fields of
		 * store_query_fields(). */
		ev.sport = (uint16_t)(ev.sport + i % 3);
		ev.size = (uint32_t)(40 + i % 50);
		ev.msg.ancount = (uint16_t)(i % 2);
		if (i % 3) {
			ev.msg.edns.present = 1;
			ev.msg.edns.udp_size = 1232;
			ev.msg.edns.do_bit = i % 6 == 1;
			ev.msg.edns.ext_rcode = (uint8_t)(i % 11 == 0);
		}
		assert_int_equal(store_ingest_add(s, &ev), 0);
	}
	assert_int_equal(store_ingest_end(s), 0);
}

static void compare(struct fx *f, const struct store_query *q)
{
	f->full->n = f->brief->n = 0;
	assert_int_equal(store_query_run(f->s, q, collect, f->full), 0);
	assert_int_equal(store_query_brief(f->s, q, collect, f->brief), 0);
	assert_int_equal(f->brief->n, f->full->n);
	for (size_t i = 0; i < f->full->n; i++) {
		const struct row *a = &f->full->r[i], *b = &f->brief->r[i];
		assert_int_equal(b->ts, a->ts);
		assert_string_equal(b->qname, a->qname);
		assert_string_equal(b->observer, a->observer);
		assert_true(dh_addr_equal(&b->src, &a->src));
		assert_true(dh_addr_equal(&b->dst, &a->dst));
		assert_int_equal(b->flags, a->flags);
		assert_int_equal(b->qtype, a->qtype);
		assert_int_equal(b->qclass, a->qclass);
		assert_int_equal(b->role, a->role);
		assert_int_equal(b->transport, a->transport);
		/* A brief event never has records. */
		assert_int_equal(b->rr_count, 0);
	}
}

static void test_same_as_full(void **state)
{
	struct fx *f = *state;
	fill(f->s);
	struct store_query q;
	memset(&q, 0, sizeof(q));
	q.since_ns = INT64_MIN;
	q.until_ns = INT64_MAX;
	for (size_t c = 0; c < sizeof(clients) / sizeof(clients[0]); c++) {
		q.client = th_addr(clients[c]);
		compare(f, &q);
		/* The heavy client, and no events for the one never seen. */
		if (c == 0)
			assert_int_equal(f->full->n, HEAVY);
		if (c == 3)
			assert_int_equal(f->full->n, 0);
	}
	q.client = th_addr(clients[0]);
	/* Windows that start and end on events, inside one segment, across
	 * segments and across the hour. */
	const int64_t edges[][2] = {
	    {T0, T0 + 1},
	    {T0 + 3 * (HOUR / (2 * HEAVY)), T0 + 1500 * (HOUR / (2 * HEAVY))},
	    {T0 + HOUR / 2, T0 + HOUR + HOUR / 3},
	    {T0 + 2 * HOUR, T0 + 4 * HOUR},
	    {T0 - HOUR, T0},
	};
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		q.since_ns = edges[i][0];
		q.until_ns = edges[i][1];
		compare(f, &q);
	}
	/* The first event (i = 0) came 7 ns early. */
	q.since_ns = T0 - 7;
	q.until_ns = T0 - 6;
	compare(f, &q);
	assert_int_equal(f->full->n, 1);
	/* With an observer, a name, or a name and a client: the brief
	 * lookup takes other paths and must agree all the same. */
	q.since_ns = INT64_MIN;
	q.until_ns = INT64_MAX;
	q.observer = "obs-b";
	compare(f, &q);
	assert_true(f->full->n > 0 && f->full->n < HEAVY);
	q.observer = NULL;
	q.qname = "b.example.";
	compare(f, &q);
	assert_true(f->full->n > 0);
	memset(&q.client, 0, sizeof(q.client));
	compare(f, &q);
	assert_true(f->full->n > 0);
	/* Popular names come from the name cluster, rare ones from the
	 * blocks; both over windows that cut segments and frames. */
	const char *const some[] = {"b.example.", "rare.example."};
	for (size_t k = 0; k < 2; k++) {
		q.qname = some[k];
		for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
			q.since_ns = edges[i][0];
			q.until_ns = edges[i][1];
			compare(f, &q);
		}
		q.since_ns = INT64_MIN;
		q.until_ns = INT64_MAX;
		compare(f, &q);
		assert_true(f->full->n > 0);
	}
	q.qname = NULL;
	q.server = th_addr("198.51.100.53");
	q.limit = 10;
	compare(f, &q);
	assert_int_equal(f->full->n, 10);
}

/* Every field store_query_fields() may fill, for comparing it with the
 * full events. */
struct frow {
	struct row b;
	uint16_t sport, dport, id, qd, an, ns, ar, udp_size;
	uint32_t size, rr_dropped;
	int64_t rtt;
	uint8_t edns_present, edns_version, do_bit, ext_rcode;
};

struct frows {
	struct frow r[3 * HEAVY];
	size_t n;
};

static int collect_all(void *ctx, const struct ev_event *ev)
{
	struct frows *h = ctx;
	if (h->n >= sizeof(h->r) / sizeof(h->r[0]))
		return 1;
	struct frow *r = &h->r[h->n];
	memset(r, 0, sizeof(*r));
	row_of(&r->b, ev);
	r->sport = ev->sport;
	r->dport = ev->dport;
	r->id = ev->msg.id;
	r->qd = ev->msg.qdcount;
	r->an = ev->msg.ancount;
	r->ns = ev->msg.nscount;
	r->ar = ev->msg.arcount;
	r->rr_dropped = ev->msg.rr_dropped;
	r->size = ev->size;
	r->rtt = ev->rtt_ns;
	r->edns_present = ev->msg.edns.present;
	r->edns_version = ev->msg.edns.version;
	r->do_bit = ev->msg.edns.do_bit;
	r->udp_size = ev->msg.edns.udp_size;
	r->ext_rcode = ev->msg.edns.ext_rcode;
	h->n++;
	return 0;
}

/* Checks the events of store_query_fields(q, fields) against the full
 * events of q: the fields asked for equal, the others empty. */
static void compare_fields(struct fx *f, const struct store_query *q, unsigned fields,
                           struct frows *full, struct frows *got)
{
	full->n = got->n = 0;
	assert_int_equal(store_query_run(f->s, q, collect_all, full), 0);
	assert_int_equal(store_query_fields(f->s, q, fields, collect_all, got), 0);
	assert_int_equal(got->n, full->n);
	for (size_t i = 0; i < full->n; i++) {
		const struct frow *a = &full->r[i], *b = &got->r[i];
		assert_int_equal(b->b.ts, a->b.ts);
		assert_string_equal(b->b.qname, a->b.qname);
		assert_true(dh_addr_equal(&b->b.src, &a->b.src));
		assert_true(dh_addr_equal(&b->b.dst, &a->b.dst));
		assert_int_equal(b->b.flags, a->b.flags);
		assert_int_equal(b->b.qtype, a->b.qtype);
		assert_int_equal(b->b.role, a->b.role);
		assert_int_equal(b->b.rr_count, 0);
		assert_string_equal(b->b.observer,
		                    fields & STORE_FIELD_OBSERVER ? a->b.observer : "");
		assert_int_equal(b->b.transport,
		                 fields & STORE_FIELD_TRANSPORT ? a->b.transport : 0);
		assert_int_equal(b->b.qclass, fields & STORE_FIELD_QCLASS ? a->b.qclass : 0);
		assert_int_equal(b->sport, fields & STORE_FIELD_PORTS ? a->sport : 0);
		assert_int_equal(b->dport, fields & STORE_FIELD_PORTS ? a->dport : 0);
		assert_int_equal(b->size, fields & STORE_FIELD_SIZE ? a->size : 0);
		assert_int_equal(b->rtt, fields & STORE_FIELD_SIZE ? a->rtt : -1);
		assert_int_equal(b->id, fields & STORE_FIELD_ID ? a->id : 0);
		int c = (fields & STORE_FIELD_COUNTS) != 0;
		assert_int_equal(b->qd, c ? a->qd : 0);
		assert_int_equal(b->an, c ? a->an : 0);
		assert_int_equal(b->ns, c ? a->ns : 0);
		assert_int_equal(b->ar, c ? a->ar : 0);
		assert_int_equal(b->rr_dropped, c ? a->rr_dropped : 0);
		int e = (fields & STORE_FIELD_EDNS) != 0;
		assert_int_equal(b->edns_present, e ? a->edns_present : 0);
		assert_int_equal(b->edns_version, e ? a->edns_version : 0);
		assert_int_equal(b->do_bit, e ? a->do_bit : 0);
		assert_int_equal(b->udp_size, e ? a->udp_size : 0);
		assert_int_equal(b->ext_rcode, e ? a->ext_rcode : 0);
	}
}

static void test_fields(void **state)
{
	struct fx *f = *state;
	struct frows *full = calloc(1, sizeof(*full)), *got = calloc(1, sizeof(*got));
	assert_non_null(full);
	assert_non_null(got);
	fill(f->s);
	const unsigned masks[] = {
	    0,
	    STORE_FIELD_PORTS | STORE_FIELD_EDNS, /* what detect reads */
	    STORE_FIELDS_BRIEF,
	    STORE_FIELDS_ALL,
	    STORE_FIELD_OBSERVER,
	    STORE_FIELD_TRANSPORT,
	    STORE_FIELD_QCLASS,
	    STORE_FIELD_PORTS,
	    STORE_FIELD_SIZE,
	    STORE_FIELD_ID,
	    STORE_FIELD_COUNTS,
	    STORE_FIELD_EDNS,
	};
	struct store_query q;
	for (size_t m = 0; m < sizeof(masks) / sizeof(masks[0]); m++) {
		/* A scan, a window that cuts blocks and segments, an observer,
		 * a client and a name (cluster or blocks, after the fields). */
		memset(&q, 0, sizeof(q));
		q.since_ns = INT64_MIN;
		q.until_ns = INT64_MAX;
		compare_fields(f, &q, masks[m], full, got);
		assert_int_equal(full->n, 3 * HEAVY);
		q.since_ns = T0 + 3 * (HOUR / (2 * HEAVY));
		q.until_ns = T0 + HOUR + HOUR / 3;
		compare_fields(f, &q, masks[m], full, got);
		q.observer = "obs-b";
		compare_fields(f, &q, masks[m], full, got);
		q.observer = NULL;
		q.client = th_addr(clients[0]);
		compare_fields(f, &q, masks[m], full, got);
		assert_true(full->n > 0);
		memset(&q.client, 0, sizeof(q.client));
		q.qname = "b.example.";
		compare_fields(f, &q, masks[m], full, got);
		assert_true(full->n > 0);
	}
	free(full);
	free(got);
}

/* After compaction the merged segment has its own cluster. */
static void test_after_compact(void **state)
{
	struct fx *f = *state;
	fill(f->s);
	assert_int_equal(store_set_buffer(f->s, 1 << 20), 0);
	assert_int_equal(store_compact(f->s, T0 + 4 * HOUR), 1);
	struct store_query q;
	memset(&q, 0, sizeof(q));
	q.since_ns = INT64_MIN;
	q.until_ns = INT64_MAX;
	q.client = th_addr(clients[0]);
	compare(f, &q);
	assert_int_equal(f->full->n, HEAVY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_usage_and_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_same_as_full, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_after_compact, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fields, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
