/*
 * test_store_basic.c - open, append, query by name, client and server,
 * window edges, out-of-order input, partitions, observers, records,
 * limit, retention and statistics.
 */
#include <dirent.h>
#include <errno.h>
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
/* 2026-11-22T00:00:00Z: far from zero so that partitions are realistic. */
#define T0 (1795305600LL * SEC)

struct fx {
	char dir[4096];
	struct store *s;
	struct th_hits *h;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->h = calloc(1, sizeof(*f->h));
	assert_non_null(f->h);
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
	free(f->h);
	free(f);
	return 0;
}

static void add(struct store *s, int64_t ts, const char *qname, const char *client,
                const char *server, int response)
{
	struct ev_event ev;
	th_event(&ev, ts, qname, client, server, response);
	assert_int_equal(store_ingest_add(s, &ev), 0);
}

static size_t run(struct fx *f, const struct store_query *q)
{
	memset(f->h, 0, sizeof(*f->h));
	assert_int_equal(store_query_run(f->s, q, th_collect, f->h), 0);
	return f->h->n;
}

static struct store_query all(void)
{
	struct store_query q;
	memset(&q, 0, sizeof(q));
	q.since_ns = INT64_MIN;
	q.until_ns = INT64_MAX;
	return q;
}

static void test_null_and_usage(void **state)
{
	(void)state;
	struct store *s = (struct store *)1;
	assert_int_equal(store_open(&s, NULL, STORE_CREATE), DH_EUSAGE);
	assert_null(s);
	assert_int_equal(store_open(&s, "", 0), DH_EUSAGE);
	assert_int_equal(store_open(&s, "x", STORE_CREATE | STORE_READONLY), DH_EUSAGE);
	store_close(NULL);
	store_ingest_abort(NULL);
	assert_int_equal(store_ingest_add(NULL, NULL), DH_EUSAGE);
	assert_int_equal(store_ingest_checkpoint(NULL), DH_EUSAGE);
	assert_int_equal(store_ingest_end(NULL), DH_EUSAGE);
	assert_int_equal(store_query_run(NULL, NULL, th_collect, NULL), DH_EUSAGE);
	assert_int_equal(store_retain(NULL, 0), DH_EUSAGE);
	assert_int_equal(store_stats(NULL, NULL), DH_EUSAGE);
	assert_int_equal(store_set_buffer(NULL, 1), DH_EUSAGE);
}

static void test_open_missing(void **state)
{
	struct fx *f = *state;
	char p[4200];
	struct store *s = NULL;
	snprintf(p, sizeof(p), "%s/nope", f->dir);
	assert_int_equal(store_open(&s, p, 0), -ENOENT);
	assert_int_equal(store_open(&s, p, STORE_READONLY), -ENOENT);
	assert_null(s);
}

static void test_second_writer_refused(void **state)
{
	struct fx *f = *state;
	struct store *s = NULL;
	assert_int_equal(store_open(&s, f->dir, 0), -EWOULDBLOCK);
	assert_int_equal(store_open(&s, f->dir, STORE_READONLY), 0);
	store_close(s);
}

static void test_empty(void **state)
{
	struct fx *f = *state;
	struct store_query q = all();
	struct store_stats st;
	assert_int_equal(run(f, &q), 0);
	assert_int_equal(store_query_run(f->s, NULL, th_collect, f->h), 0);
	assert_int_equal(store_ingest_checkpoint(f->s), 0);
	assert_int_equal(store_ingest_end(f->s), 0);
	assert_int_equal(store_stats(f->s, &st), 0);
	assert_int_equal(st.events, 0);
	assert_int_equal(st.segments, 0);
	assert_int_equal(store_retain(f->s, INT64_MAX), 0);
}

static void test_by_name_client_server(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < 300; i++) {
		const char *name =
		    i % 3 == 0 ? "a.example." : (i % 3 == 1 ? "b.example." : "c.test.");
		const char *client = i % 2 ? "192.0.2.1" : "2001:db8::7";
		const char *server = i % 5 ? "198.51.100.53" : "198.51.100.54";
		add(f->s, T0 + i * SEC, name, client, server, i % 4 == 3);
	}
	assert_int_equal(store_ingest_end(f->s), 0);
	struct store_query q = all();
	assert_int_equal(run(f, &q), 300);
	for (size_t i = 1; i < f->h->n; i++)
		assert_true(f->h->ts[i - 1] <= f->h->ts[i]);

	q.qname = "a.example.";
	assert_int_equal(run(f, &q), 100);
	for (size_t i = 0; i < f->h->n; i++)
		assert_string_equal(f->h->qname[i], "a.example.");
	q.qname = "nothere.example.";
	assert_int_equal(run(f, &q), 0);

	q = all();
	q.client = th_addr("192.0.2.1");
	assert_int_equal(run(f, &q), 150);
	q.client = th_addr("2001:db8::7");
	assert_int_equal(run(f, &q), 150);
	q.client = th_addr("192.0.2.2");
	assert_int_equal(run(f, &q), 0);

	q = all();
	q.server = th_addr("198.51.100.54");
	assert_int_equal(run(f, &q), 60);
	/* Every condition at once: i with i%3==0, i odd, i%5==0: i = 15 mod 30. */
	q.qname = "a.example.";
	q.client = th_addr("192.0.2.1");
	assert_int_equal(run(f, &q), 10);
}

static void test_window_edges(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < 10; i++)
		add(f->s, T0 + i * SEC, "w.example.", "192.0.2.1", "198.51.100.53", 0);
	assert_int_equal(store_ingest_end(f->s), 0);
	struct store_query q = all();
	q.since_ns = T0 + 2 * SEC; /* inclusive */
	q.until_ns = T0 + 5 * SEC; /* exclusive */
	assert_int_equal(run(f, &q), 3);
	assert_int_equal(f->h->ts[0], T0 + 2 * SEC);
	assert_int_equal(f->h->ts[2], T0 + 4 * SEC);
	q.qname = "w.example.";
	assert_int_equal(run(f, &q), 3);
	q.since_ns = q.until_ns = T0 + 3 * SEC;
	assert_int_equal(run(f, &q), 0);
	q.since_ns = T0 + 9 * SEC;
	q.until_ns = INT64_MAX;
	assert_int_equal(run(f, &q), 1);
	q.since_ns = T0 + 9 * SEC + 1;
	assert_int_equal(run(f, &q), 0);
}

static void test_out_of_order_and_partitions(void **state)
{
	struct fx *f = *state;
	/* Three hours, written backwards and interleaved, in small buffers
	 * so that segments of one partition overlap in time. */
	assert_int_equal(store_set_buffer(f->s, 7), 0);
	for (int i = 59; i >= 0; i--) {
		int64_t ts = T0 + (i % 3) * HOUR + (i / 3) * 60 * SEC + (i * 7919 % 13);
		add(f->s, ts, i % 2 ? "odd.example." : "even.example.", "192.0.2.9",
		    "198.51.100.53", 0);
	}
	assert_int_equal(store_ingest_end(f->s), 0);
	struct store_stats st;
	assert_int_equal(store_stats(f->s, &st), 0);
	assert_int_equal(st.events, 60);
	assert_int_equal(st.partitions, 3);
	assert_true(st.segments >= 9);
	assert_true(st.bytes_on_disk > 0);

	struct store_query q = all();
	assert_int_equal(run(f, &q), 60);
	for (size_t i = 1; i < f->h->n; i++)
		assert_true(f->h->ts[i - 1] <= f->h->ts[i]);
	q.qname = "odd.example.";
	q.since_ns = T0 + HOUR;
	q.until_ns = T0 + 2 * HOUR;
	assert_int_equal(run(f, &q), 10);
	for (size_t i = 0; i < f->h->n; i++)
		assert_true(f->h->ts[i] >= T0 + HOUR && f->h->ts[i] < T0 + 2 * HOUR);
	for (size_t i = 1; i < f->h->n; i++)
		assert_true(f->h->ts[i - 1] <= f->h->ts[i]);

	/* Retention drops whole partitions that end before the cutoff. */
	assert_int_equal(store_retain(f->s, T0 + HOUR + 1), 1);
	q = all();
	assert_int_equal(run(f, &q), 40);
	assert_true(f->h->ts[0] >= T0 + HOUR);
	assert_int_equal(store_retain(f->s, T0 + HOUR + 1), 0);
	assert_int_equal(store_retain(f->s, INT64_MAX), 2);
	assert_int_equal(run(f, &q), 0);
	assert_int_equal(store_stats(f->s, &st), 0);
	assert_int_equal(st.segments, 0);
	assert_int_equal(st.partitions, 0);
}

static int count_files(const char *dir)
{
	char p[4200];
	snprintf(p, sizeof(p), "%s/seg", dir);
	DIR *d = opendir(p);
	assert_non_null(d);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_compact(void **state)
{
	struct fx *f = *state;
	/* Two closed hours and a current one, checkpointed every 5 events. */
	for (int i = 0; i < 90; i++) {
		add(f->s, T0 + (i / 30) * HOUR + (i % 30) * SEC,
		    i % 2 ? "x.example." : "y.example.", "192.0.2.1", "198.51.100.53", 0);
		if (i % 5 == 4)
			assert_int_equal(store_ingest_checkpoint(f->s), 0);
	}
	assert_int_equal(store_ingest_end(f->s), 0);
	struct store_stats st;
	assert_int_equal(store_stats(f->s, &st), 0);
	assert_int_equal(st.segments, 18);
	struct store_query q = all();
	assert_int_equal(run(f, &q), 90);
	int64_t before[90];
	memcpy(before, f->h->ts, sizeof(before));

	assert_int_equal(store_compact(NULL, 0), DH_EUSAGE);
	assert_int_equal(store_compact(f->s, T0 + 2 * HOUR), 2);
	assert_int_equal(store_stats(f->s, &st), 0);
	assert_int_equal(st.segments, 8);
	assert_int_equal(st.events, 90);
	assert_int_equal(count_files(f->dir), 8);
	assert_int_equal(run(f, &q), 90);
	assert_memory_equal(before, f->h->ts, sizeof(before));
	q.qname = "x.example.";
	q.since_ns = T0;
	q.until_ns = T0 + HOUR;
	assert_int_equal(run(f, &q), 15);
	/* Nothing left to merge in closed partitions. */
	assert_int_equal(store_compact(f->s, T0 + 2 * HOUR), 0);
	/* Not during an ingest. */
	add(f->s, T0, "z.example.", "192.0.2.1", "198.51.100.53", 0);
	assert_int_equal(store_compact(f->s, INT64_MAX), DH_EUSAGE);
	store_ingest_abort(f->s);
	assert_int_equal(store_compact(f->s, INT64_MAX), 1);
	assert_int_equal(count_files(f->dir), 3);
}

static void test_negative_time(void **state)
{
	struct fx *f = *state;
	add(f->s, -1, "neg.example.", "192.0.2.1", "198.51.100.53", 0);
	add(f->s, 0, "zero.example.", "192.0.2.1", "198.51.100.53", 0);
	/* The extremes of the time range have partitions too. */
	add(f->s, INT64_MIN, "min.example.", "192.0.2.1", "198.51.100.53", 0);
	add(f->s, INT64_MAX, "max.example.", "192.0.2.1", "198.51.100.53", 0);
	assert_int_equal(store_ingest_end(f->s), 0);
	struct store_stats st;
	assert_int_equal(store_stats(f->s, &st), 0);
	assert_int_equal(st.partitions, 4);
	struct store_query q = all();
	assert_int_equal(run(f, &q), 3); /* until is exclusive: INT64_MAX is not in */
	assert_int_equal(f->h->ts[0], INT64_MIN);
	assert_int_equal(f->h->ts[1], -1);
	q.since_ns = INT64_MAX - 1;
	q.qname = "max.example.";
	assert_int_equal(run(f, &q), 0);
	q.since_ns = INT64_MIN;
	q.until_ns = INT64_MIN + 1;
	q.qname = NULL;
	assert_int_equal(run(f, &q), 1);
	assert_string_equal(f->h->qname[0], "min.example.");
}

struct obs_ctx {
	char seen[8][EV_OBSERVER_MAX];
	size_t n;
};

static int obs_cb(void *ctx, const struct ev_event *ev)
{
	struct obs_ctx *o = ctx;
	if (o->n < 8)
		snprintf(o->seen[o->n++], EV_OBSERVER_MAX, "%s", ev->observer);
	return 0;
}

static void test_observers(void **state)
{
	struct fx *f = *state;
	struct ev_event ev;
	for (int i = 0; i < 6; i++) {
		th_event(&ev, T0 + i, "o.example.", "192.0.2.1", "198.51.100.53", 0);
		snprintf(ev.observer, sizeof(ev.observer), "%s", i % 2 ? "ns1" : "resolver-a");
		assert_int_equal(store_ingest_add(f->s, &ev), 0);
	}
	/* A maximal observer name (127 characters) survives. */
	th_event(&ev, T0 + 100, "o.example.", "192.0.2.1", "198.51.100.53", 0);
	memset(ev.observer, 'x', EV_OBSERVER_MAX - 1);
	ev.observer[EV_OBSERVER_MAX - 1] = '\0';
	assert_int_equal(store_ingest_add(f->s, &ev), 0);
	assert_int_equal(store_ingest_end(f->s), 0);

	struct obs_ctx o = {.n = 0};
	struct store_query q = all();
	q.observer = "ns1";
	assert_int_equal(store_query_run(f->s, &q, obs_cb, &o), 0);
	assert_int_equal(o.n, 3);
	for (size_t i = 0; i < o.n; i++)
		assert_string_equal(o.seen[i], "ns1");
	o.n = 0;
	q.observer = ev.observer;
	assert_int_equal(store_query_run(f->s, &q, obs_cb, &o), 0);
	assert_int_equal(o.n, 1);
	assert_int_equal(strlen(o.seen[0]), EV_OBSERVER_MAX - 1);
}

struct rr_ctx {
	int calls;
	struct ev_event copy;
	char owner[4][300];
	char data[4][300];
	char last_data[300]; /* of the last record: pointers die after the callback */
};

static int rr_cb(void *ctx, const struct ev_event *ev)
{
	struct rr_ctx *c = ctx;
	c->calls++;
	c->copy = *ev;
	for (unsigned i = 0; i < ev->msg.rr_count && i < 4; i++) {
		snprintf(c->owner[i], sizeof(c->owner[i]), "%s", ev->msg.rr[i].owner_text);
		snprintf(c->data[i], sizeof(c->data[i]), "%s", ev->msg.rr[i].data_text);
	}
	if (ev->msg.rr_count)
		snprintf(c->last_data, sizeof(c->last_data), "%s",
		         ev->msg.rr[ev->msg.rr_count - 1].data_text);
	return 0;
}

static void test_records_round_trip(void **state)
{
	struct fx *f = *state;
	struct ev_event ev;
	th_event(&ev, T0 + 5, "www.example.", "192.0.2.1", "198.51.100.53", 1);
	th_add_rr(&ev, DNS_SEC_ANSWER, DNS_T_CNAME, 300, "www.example.", "web.example.");
	th_add_rr(&ev, DNS_SEC_ANSWER, DNS_T_A, 60, "web.example.", "203.0.113.5");
	th_add_rr(&ev, DNS_SEC_AUTHORITY, DNS_T_NS, 86400, "example.", "ns1.example.");
	/* OPT is summarised in edns, never stored as a record. */
	th_add_rr(&ev, DNS_SEC_ADDITIONAL, DNS_T_OPT, 0, ".", "");
	th_add_rr(&ev, DNS_SEC_ADDITIONAL, DNS_T_A, 86400, "ns1.example.", "203.0.113.53");
	ev.msg.edns.present = 1;
	ev.msg.edns.do_bit = 1;
	ev.msg.edns.udp_size = 1232;
	ev.msg.edns.ecs_present = 1;
	ev.msg.edns.ecs_source_prefix = 24;
	ev.msg.edns.ecs_addr = th_addr("192.0.2.0");
	ev.msg.flags |= 3; /* NXDOMAIN would not carry answers; SERVFAIL... */
	ev.msg.edns.ext_rcode = 1;
	ev.msg.rr_dropped = 2;
	ev.msg.id = 0xbeef;
	snprintf(ev.observer, sizeof(ev.observer), "res1");
	assert_int_equal(store_ingest_add(f->s, &ev), 0);
	assert_int_equal(store_ingest_end(f->s), 0);

	struct rr_ctx *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	struct store_query q = all();
	assert_int_equal(store_query_run(f->s, &q, rr_cb, c), 0);
	assert_int_equal(c->calls, 1);
	const struct ev_event *g = &c->copy;
	assert_null(g->msg.wire);
	assert_int_equal(g->ts_ns, T0 + 5);
	assert_string_equal(g->observer, "res1");
	assert_int_equal(g->role, EV_ROLE_CLIENT_RESPONSE);
	assert_int_equal(g->transport, EV_TRANSPORT_UDP);
	assert_true(dh_addr_equal(&g->src, &ev.src));
	assert_true(dh_addr_equal(&g->dst, &ev.dst));
	assert_int_equal(g->sport, 53);
	assert_int_equal(g->dport, 40000);
	assert_int_equal(g->size, 40);
	assert_int_equal(g->rtt_ns, 1500);
	assert_int_equal(g->msg.id, 0xbeef);
	assert_int_equal(g->msg.flags, ev.msg.flags);
	assert_int_equal(dns_msg_rcode(&g->msg), dns_msg_rcode(&ev.msg));
	assert_string_equal(g->msg.qname, "www.example.");
	assert_int_equal(g->msg.qname_len, strlen("www.example."));
	assert_int_equal(g->msg.qtype, DNS_T_A);
	assert_int_equal(g->msg.ancount, 2);
	assert_int_equal(g->msg.rr_dropped, 2);
	assert_int_equal(g->msg.edns.present, 1);
	assert_int_equal(g->msg.edns.do_bit, 1);
	assert_int_equal(g->msg.edns.udp_size, 1232);
	assert_int_equal(g->msg.edns.ecs_present, 1);
	assert_int_equal(g->msg.edns.ecs_source_prefix, 24);
	assert_true(dh_addr_equal(&g->msg.edns.ecs_addr, &ev.msg.edns.ecs_addr));
	assert_int_equal(g->msg.rr_count, 4);
	assert_int_equal(g->msg.rr[0].section, DNS_SEC_ANSWER);
	assert_int_equal(g->msg.rr[0].type, DNS_T_CNAME);
	assert_int_equal(g->msg.rr[0].ttl, 300);
	assert_string_equal(c->owner[0], "www.example.");
	assert_string_equal(c->data[0], "web.example.");
	assert_string_equal(c->data[1], "203.0.113.5");
	assert_int_equal(g->msg.rr[2].section, DNS_SEC_AUTHORITY);
	assert_string_equal(c->data[2], "ns1.example.");
	assert_int_equal(g->msg.rr[3].section, DNS_SEC_ADDITIONAL);
	assert_string_equal(c->owner[3], "ns1.example.");
	free(c);
}

/* A wire-format message (no text in its records): the store renders the
 * records through dns_text.h at ingest. */
static void test_wire_records(void **state)
{
	struct fx *f = *state;
	static const uint8_t wire[] = {
	    0x12, 0x34, 0x81, 0x80, 0,   1,   0,   1,   0,   0,    0, 0, /* header */
	    1,    'a',  7,    'e',  'x', 'a', 'm', 'p', 'l', 'e',  0,    /* a.example. */
	    0,    1,    0,    1,                                         /* A IN */
	    0xc0, 0x0c, 0,    1,    0,   1,   0,   0,   1,   0x2c,       /* ptr, A IN 300 */
	    0,    4,    192,  0,    2,   1,                              /* 192.0.2.1 */
	};
	struct ev_event ev;
	th_event(&ev, T0, NULL, "192.0.2.1", "198.51.100.53", 1);
	assert_int_equal(dns_parse(&ev.msg, wire, sizeof(wire)), 0);
	assert_int_equal(ev.msg.rr_count, 1);
	assert_null(ev.msg.rr[0].owner_text);
	assert_int_equal(store_ingest_add(f->s, &ev), 0);
	assert_int_equal(store_ingest_end(f->s), 0);
	struct rr_ctx *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	struct store_query q = all();
	q.qname = "a.example.";
	assert_int_equal(store_query_run(f->s, &q, rr_cb, c), 0);
	assert_int_equal(c->calls, 1);
	assert_null(c->copy.msg.wire);
	assert_int_equal(c->copy.msg.id, 0x1234);
	assert_int_equal(c->copy.msg.rr_count, 1);
	assert_int_equal(c->copy.msg.rr[0].ttl, 300);
	assert_string_equal(c->owner[0], "a.example.");
	assert_string_equal(c->data[0], "192.0.2.1");
	free(c);
}

static void test_max_records_and_no_question(void **state)
{
	struct fx *f = *state;
	struct ev_event ev;
	static char data[DNS_RR_MAX][16];
	th_event(&ev, T0, NULL, "192.0.2.1", "198.51.100.53", 1);
	for (int i = 0; i < DNS_RR_MAX; i++) {
		snprintf(data[i], sizeof(data[i]), "10.0.0.%d", i);
		th_add_rr(&ev, DNS_SEC_ANSWER, DNS_T_A, (uint32_t)i, "many.example.", data[i]);
	}
	assert_int_equal(store_ingest_add(f->s, &ev), 0);
	assert_int_equal(store_ingest_end(f->s), 0);
	struct rr_ctx *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	struct store_query q = all();
	assert_int_equal(store_query_run(f->s, &q, rr_cb, c), 0);
	assert_int_equal(c->calls, 1);
	assert_int_equal(c->copy.msg.has_question, 0);
	assert_string_equal(c->copy.msg.qname, "");
	assert_int_equal(c->copy.msg.rr_count, DNS_RR_MAX);
	assert_int_equal(c->copy.msg.rr[DNS_RR_MAX - 1].ttl, DNS_RR_MAX - 1);
	assert_string_equal(c->last_data, "10.0.0.63");
	free(c);
}

static int stop_at_3(void *ctx, const struct ev_event *ev)
{
	int *n = ctx;
	(void)ev;
	return ++*n == 3 ? 42 : 0;
}

static void test_limit_and_stop(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < 20; i++)
		add(f->s, T0 + i, "l.example.", "192.0.2.1", "198.51.100.53", 0);
	assert_int_equal(store_ingest_end(f->s), 0);
	struct store_query q = all();
	q.limit = 5;
	assert_int_equal(run(f, &q), 5);
	assert_int_equal(f->h->ts[4], T0 + 4);
	q.limit = 1;
	q.qname = "l.example.";
	assert_int_equal(run(f, &q), 1);
	int n = 0;
	q.limit = 0;
	assert_int_equal(store_query_run(f->s, &q, stop_at_3, &n), 42);
	assert_int_equal(n, 3);
}

static void test_abort_and_readonly(void **state)
{
	struct fx *f = *state;
	add(f->s, T0, "kept.example.", "192.0.2.1", "198.51.100.53", 0);
	assert_int_equal(store_ingest_checkpoint(f->s), 0);
	add(f->s, T0 + 1, "lost.example.", "192.0.2.1", "198.51.100.53", 0);
	store_ingest_abort(f->s);
	assert_int_equal(store_ingest_end(f->s), 0);
	struct store_query q = all();
	assert_int_equal(run(f, &q), 1);
	assert_string_equal(f->h->qname[0], "kept.example.");

	struct store *ro = NULL;
	assert_int_equal(store_open(&ro, f->dir, STORE_READONLY), 0);
	struct ev_event ev;
	th_event(&ev, T0, "x.", "192.0.2.1", "198.51.100.53", 0);
	assert_int_equal(store_ingest_add(ro, &ev), DH_EUSAGE);
	memset(f->h, 0, sizeof(*f->h));
	assert_int_equal(store_query_run(ro, &q, th_collect, f->h), 0);
	assert_int_equal(f->h->n, 1);
	store_close(ro);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_null_and_usage),
	    cmocka_unit_test_setup_teardown(test_open_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_second_writer_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_by_name_client_server, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_window_edges, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_out_of_order_and_partitions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compact, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_negative_time, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_observers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_records_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wire_records, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_max_records_and_no_question, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_limit_and_stop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_abort_and_readonly, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
