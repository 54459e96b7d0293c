/*
 * test_scenario.c - the labelled traffic scenarios: argument checks,
 * determinism (same seed, same bytes), the three outputs read back by
 * dnshound's own readers without a malformed record and with the same
 * transactions, and the ground truth against the traffic (every labelled
 * bot's behaviour is in the capture, inside its active interval).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "eval/scenario.h"
#include "eval/scenario_out.h"
#include "source/source.h"
#include "util/err.h"
#include "util/hash.h"

#define SEC_NS 1000000000LL

static const char *const files[4] = {"traffic.pcap", "resolver-query.log", "resolver.dnstap",
                                     "truth.json"};

/* A fresh directory under the working directory (the build tree). */
static void make_dir(char *dir, size_t cap, const char *tag)
{
	snprintf(dir, cap, "scen-%s-XXXXXX", tag);
	assert_non_null(mkdtemp(dir));
}

static void remove_dir(const char *dir)
{
	char p[512];

	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

static void small_config(struct scenario_config *cfg, uint64_t seed)
{
	scenario_config_default(cfg);
	cfg->seed = seed;
	cfg->clients = 300;
	cfg->client_rate = 0.01;
}

static void test_bad_arguments(void **state)
{
	struct scenario_config cfg;
	struct scenario_result *res = (struct scenario_result *)1;

	(void)state;
	scenario_config_default(&cfg);
	assert_int_equal(scenario_config_bots(NULL, "dga=1"), DH_EUSAGE);
	assert_int_equal(scenario_config_bots(&cfg, NULL), DH_EUSAGE);
	assert_int_equal(scenario_config_bots(&cfg, "dga"), DH_EUSAGE);
	assert_int_equal(scenario_config_bots(&cfg, "nosuch=1"), DH_EUSAGE);
	assert_int_equal(scenario_config_bots(&cfg, "dga=-1"), DH_EUSAGE);
	assert_int_equal(scenario_config_bots(&cfg, "dga=1x"), DH_EUSAGE);
	assert_int_equal(scenario_config_bots(&cfg, "dga=100001"), DH_EUSAGE);
	assert_int_equal(scenario_config_bots(&cfg, ""), 0);
	assert_int_equal(scenario_config_bots(&cfg, "dga=100000,beacon=0"), 0);
	assert_int_equal(cfg.bots[SCEN_B_DGA], 100000);
	assert_int_equal(cfg.bots[SCEN_B_BEACON], 0);
	assert_int_equal(cfg.bots[SCEN_B_SPAM], 1);
	assert_int_equal(scenario_config_bots(&cfg, "none"), 0);
	for (unsigned b = 0; b < SCEN_B_COUNT; b++)
		assert_int_equal(cfg.bots[b], 0);
	assert_null(scenario_behaviour_name(SCEN_B_COUNT));
	assert_string_equal(scenario_behaviour_name(SCEN_B_SPAM), "spam-mx");

	assert_int_equal(scenario_run(NULL, ".", &res), DH_EUSAGE);
	assert_int_equal(scenario_run(&cfg, NULL, &res), DH_EUSAGE);
	assert_int_equal(scenario_run(&cfg, ".", NULL), DH_EUSAGE);
	cfg.hours = 0;
	assert_int_equal(scenario_run(&cfg, ".", &res), DH_EUSAGE);
	/* More infected hosts than clients. */
	scenario_config_default(&cfg);
	cfg.clients = 5;
	assert_int_equal(scenario_run(&cfg, ".", &res), DH_EUSAGE);
	assert_null(res);
	scenario_result_free(NULL);
}

/* The wire builder: names at the limits of RFC 1035 section 2.3.4. */
static void test_names(void **state)
{
	uint8_t w[300];
	char name[300];

	(void)state;
	assert_int_equal(scenario_name_wire("", w, sizeof(w)), 1);
	assert_int_equal(scenario_name_wire("a.b", w, sizeof(w)), 5);
	assert_int_equal(scenario_name_wire("a..b", w, sizeof(w)), DH_ENAMELEN);
	memset(name, 'x', 63);
	name[63] = '\0';
	assert_int_equal(scenario_name_wire(name, w, sizeof(w)), 65);
	memset(name, 'x', 64);
	name[64] = '\0';
	assert_int_equal(scenario_name_wire(name, w, sizeof(w)), DH_ENAMELEN);
	/* 127 labels of one octet: 254 octets in wire form with the root. */
	for (int i = 0; i < 127; i++) {
		name[2 * i] = 'a';
		name[2 * i + 1] = '.';
	}
	name[253] = '\0';
	assert_int_equal(scenario_name_wire(name, w, sizeof(w)), 255);
	name[253] = '.';
	name[254] = 'b';
	name[255] = '\0';
	assert_int_equal(scenario_name_wire(name, w, sizeof(w)), DH_ENAMELEN);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int same_file(const char *d1, const char *d2, const char *name)
{
	char p1[512], p2[512];
	size_t l1, l2;
	uint8_t *a, *b;
	int same;

	snprintf(p1, sizeof(p1), "%s/%s", d1, name);
	snprintf(p2, sizeof(p2), "%s/%s", d2, name);
	a = slurp(p1, &l1);
	b = slurp(p2, &l2);
	same = l1 == l2 && memcmp(a, b, l1) == 0;
	free(a);
	free(b);
	return same;
}

static void test_deterministic(void **state)
{
	struct scenario_config cfg;
	struct scenario_result *r1, *r2, *r3;
	char d1[64], d2[64], d3[64];

	(void)state;
	make_dir(d1, sizeof(d1), "a");
	make_dir(d2, sizeof(d2), "b");
	make_dir(d3, sizeof(d3), "c");
	small_config(&cfg, 42);
	cfg.hours = 0.5;
	assert_int_equal(scenario_run(&cfg, d1, &r1), 0);
	assert_int_equal(scenario_run(&cfg, d2, &r2), 0);
	cfg.seed = 43;
	assert_int_equal(scenario_run(&cfg, d3, &r3), 0);
	assert_true(r1->stats.messages > 1000);
	assert_int_equal(r1->stats.messages, r2->stats.messages);
	for (int i = 0; i < 4; i++)
		assert_true(same_file(d1, d2, files[i]));
	/* Another seed gives other traffic. */
	assert_false(same_file(d1, d3, "traffic.pcap"));
	assert_false(same_file(d1, d3, "truth.json"));
	scenario_result_free(r1);
	scenario_result_free(r2);
	scenario_result_free(r3);
	remove_dir(d1);
	remove_dir(d2);
	remove_dir(d3);
}

/* Everything read back from one output. */
struct readback {
	uint64_t events, malformed;
	uint64_t backwards; /* events earlier than the one before */
	uint64_t *client_q; /* keys of client queries to the resolver */
	size_t nclient_q;
	uint64_t *upstream_q; /* keys of the resolver's queries */
	size_t nupstream_q;
};

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* A transaction's key: what every output records of a query (the log has
 * no message id, no destination port and milliseconds only). */
static uint64_t query_key(const struct ev_event *ev)
{
	char k[400];
	int n = snprintf(k, sizeof(k), "%lld|%u|%02x%02x%02x%02x%02x%02x|%u|%s|%u",
	                 (long long)(ev->ts_ns / 1000000), ev->src.family, ev->src.a[0],
	                 ev->src.a[1], ev->src.a[2], ev->src.a[3], ev->src.a[14], ev->src.a[15],
	                 ev->sport, ev->msg.qname, ev->msg.qtype);

	return dh_hash64(k, (size_t)n, 0);
}

static void read_back(const char *dir, const char *name, const struct scenario_result *res,
                      struct readback *rb)
{
	struct src_options opt;
	struct src_reader *r = NULL;
	struct src_stats st;
	struct ev_event *ev = malloc(sizeof(*ev));
	char path[512];
	size_t cap = 1 << 16;
	int64_t last = 0;
	int rc;

	memset(&opt, 0, sizeof(opt));
	memset(rb, 0, sizeof(*rb));
	opt.default_year = 2026;
	rb->client_q = malloc(cap * sizeof(uint64_t));
	rb->upstream_q = malloc(cap * sizeof(uint64_t));
	assert_non_null(ev);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(src_open(&r, path, "auto", &opt), 0);
	while ((rc = src_next(r, ev)) == 1) {
		int q = !(ev->msg.flags & 0x8000);
		if (ev->ts_ns < last)
			rb->backwards++;
		last = ev->ts_ns;
		rb->events++;
		if (ev->msg.err)
			rb->malformed++;
		if (q && (dh_addr_equal(&ev->dst, &res->resolver4) ||
		          dh_addr_equal(&ev->dst, &res->resolver6) ||
		          ev->role == 5 /* client_query: the log knows no destination port */)) {
			if (rb->nclient_q == cap || rb->nupstream_q == cap) {
				cap *= 2;
				rb->client_q = realloc(rb->client_q, cap * sizeof(uint64_t));
				rb->upstream_q = realloc(rb->upstream_q, cap * sizeof(uint64_t));
				assert_non_null(rb->client_q);
				assert_non_null(rb->upstream_q);
			}
			rb->client_q[rb->nclient_q++] = query_key(ev);
		} else if (q && dh_addr_equal(&ev->src, &res->resolver4)) {
			if (rb->nupstream_q == cap) {
				cap *= 2;
				rb->client_q = realloc(rb->client_q, cap * sizeof(uint64_t));
				rb->upstream_q = realloc(rb->upstream_q, cap * sizeof(uint64_t));
				assert_non_null(rb->client_q);
				assert_non_null(rb->upstream_q);
			}
			rb->upstream_q[rb->nupstream_q++] = query_key(ev);
		}
	}
	assert_int_equal(rc, 0);
	src_stats(r, &st);
	rb->malformed += st.malformed;
	src_close(r);
	free(ev);
	qsort(rb->client_q, rb->nclient_q, sizeof(uint64_t), cmp_u64);
	qsort(rb->upstream_q, rb->nupstream_q, sizeof(uint64_t), cmp_u64);
}

static void readback_free(struct readback *rb)
{
	free(rb->client_q);
	free(rb->upstream_q);
}

static void test_outputs_agree(void **state)
{
	struct scenario_config cfg;
	struct scenario_result *res;
	struct readback pc, lg, tap;
	char dir[64];

	(void)state;
	make_dir(dir, sizeof(dir), "o");
	small_config(&cfg, 7);
	assert_int_equal(scenario_run(&cfg, dir, &res), 0);
	read_back(dir, "traffic.pcap", res, &pc);
	read_back(dir, "resolver-query.log", res, &lg);
	read_back(dir, "resolver.dnstap", res, &tap);
	assert_int_equal(pc.malformed, 0);
	assert_int_equal(lg.malformed, 0);
	assert_int_equal(tap.malformed, 0);
	/* Written in the order things happened, as a sensor or server
	 * would (the log to the millisecond, which it keeps). */
	assert_int_equal(pc.backwards, 0);
	assert_int_equal(lg.backwards, 0);
	assert_int_equal(tap.backwards, 0);
	/* Every DNS message is in the capture; the dnstap lacks only the
	 * direct exchanges the resolver never saw; the log has the client
	 * queries only. */
	assert_int_equal(pc.events, res->stats.messages);
	assert_int_equal(tap.events, res->stats.messages - 2 * res->stats.direct_queries);
	assert_int_equal(lg.events, res->stats.client_queries);
	assert_true(res->stats.tcp_queries > 0);
	assert_true(res->stats.cache_hits > 0);
	/* The same client transactions in all three, and the same upstream
	 * queries in capture and dnstap. */
	assert_int_equal(pc.nclient_q, res->stats.client_queries);
	assert_int_equal(lg.nclient_q, pc.nclient_q);
	assert_int_equal(tap.nclient_q, pc.nclient_q);
	assert_memory_equal(pc.client_q, lg.client_q, pc.nclient_q * sizeof(uint64_t));
	assert_memory_equal(pc.client_q, tap.client_q, pc.nclient_q * sizeof(uint64_t));
	assert_int_equal(pc.nupstream_q, res->stats.upstream_queries);
	assert_int_equal(tap.nupstream_q, pc.nupstream_q);
	assert_memory_equal(pc.upstream_q, tap.upstream_q, pc.nupstream_q * sizeof(uint64_t));
	readback_free(&pc);
	readback_free(&lg);
	readback_free(&tap);
	scenario_result_free(res);
	remove_dir(dir);
}

/* What the capture shows of one bot. */
struct seen {
	uint64_t queries, in_interval, mx, mail_prefix, literal, nx, direct_c2_txt, c2_via_res;
	uint64_t c2_answer, long_label_txt_null, victim_before_attack, victim_any;
	int64_t first_c2, last_c2, first_direct;
	int64_t gap_min, gap_max;
};

static int is_literal(const char *q)
{
	int dots = 0;

	for (; *q; q++) {
		if (*q == '.')
			dots++;
		else if (*q < '0' || *q > '9')
			return 0;
	}
	return dots == 4; /* "a.b.c.d." */
}

static void observe(const struct scenario_result *res, const struct scenario_bot *b,
                    const struct ev_event *ev, struct seen *s)
{
	const struct dns_msg *m = &ev->msg;
	int resp = (m->flags & 0x8000) != 0;
	size_t dl = strlen(b->domain);
	int ends_domain = m->qname_len > dl + 1 && m->qname[m->qname_len - dl - 2] == '.' &&
	                  memcmp(m->qname + m->qname_len - dl - 1, b->domain, dl) == 0;
	int is_domain = m->qname_len == dl + 1 && memcmp(m->qname, b->domain, dl) == 0;
	int to_res = dh_addr_equal(&ev->dst, &res->resolver4);

	if (resp) {
		if (!dh_addr_equal(&ev->dst, &b->addr))
			return;
		if ((m->flags & 0xf) == 3)
			s->nx++;
		if (is_domain && m->rr_count > 0 && m->rr[0].type == DNS_T_A &&
		    m->rr[0].rdlen == 4 && memcmp(m->wire + m->rr[0].rdata, b->c2.a, 4) == 0)
			s->c2_answer++;
		return;
	}
	if (!dh_addr_equal(&ev->src, &b->addr))
		return;
	if (b->behaviour == SCEN_B_DDOS || b->behaviour == SCEN_B_DDOS_NORES) {
		for (uint32_t k = 0; k < res->nattacks; k++) {
			if (strncmp(m->qname, res->attacks[k].victim,
			            strlen(res->attacks[k].victim)) != 0)
				continue;
			s->victim_any++;
			if (ev->ts_ns < res->attacks[k].start_ns &&
			    ev->ts_ns > res->attacks[k].start_ns - 60 * SEC_NS)
				s->victim_before_attack++;
		}
	}
	/* The bot's own traffic: recognised by its signature, so the
	 * host's benign lookups do not count. */
	switch (b->behaviour) {
	case SCEN_B_SPAM:
		if (m->qtype != DNS_T_MX)
			return;
		s->mx++;
		break;
	case SCEN_B_MAILER: {
		static const char *const p[6] = {"mail.",  "smtp.", "mx",
		                                 "relay.", "gate.", "inbound."};
		int hit = 0;
		for (int k = 0; k < 6; k++)
			hit |= strncmp(m->qname, p[k], strlen(p[k])) == 0;
		if (!hit || m->qtype != DNS_T_A)
			return;
		s->mail_prefix++;
		break;
	}
	case SCEN_B_WORM:
		if (!is_literal(m->qname))
			return;
		s->literal++;
		break;
	case SCEN_B_FEEDER:
	case SCEN_B_MORTO:
		if (is_domain && to_res) {
			s->c2_via_res++;
			if (!s->first_c2)
				s->first_c2 = ev->ts_ns;
			break;
		}
		if (!ends_domain)
			return;
		if (dh_addr_equal(&ev->dst, &b->c2) && m->qtype == DNS_T_TXT) {
			s->direct_c2_txt++;
			if (!s->first_direct)
				s->first_direct = ev->ts_ns;
		}
		break;
	case SCEN_B_TUNNEL: {
		const char *dot = strchr(m->qname, '.');
		if (!ends_domain || !dot || dot - m->qname < 50 ||
		    (m->qtype != DNS_T_TXT && m->qtype != DNS_T_NULL))
			return;
		s->long_label_txt_null++;
		break;
	}
	case SCEN_B_DGA: {
		/* One random label of 13 letters or more: longer than any
		 * benign site's (at most four syllables of three). */
		const char *dot = strchr(m->qname, '.');
		if (m->qtype != DNS_T_A || !dot || dot - m->qname < 13 ||
		    strchr(dot + 1, '.') == NULL || strchr(dot + 1, '.')[1] != '\0')
			return;
		for (const char *c = m->qname; c < dot; c++)
			if (*c < 'a' || *c > 'z')
				return;
		break;
	}
	case SCEN_B_BEACON:
	case SCEN_B_DDOS:
	case SCEN_B_DDOS_NORES:
		if (!is_domain)
			return;
		if (s->last_c2) {
			int64_t gap = ev->ts_ns - s->last_c2;
			if (!s->gap_min || gap < s->gap_min)
				s->gap_min = gap;
			if (gap > s->gap_max)
				s->gap_max = gap;
		}
		if (!s->first_c2)
			s->first_c2 = ev->ts_ns;
		s->last_c2 = ev->ts_ns;
		break;
	default:
		return;
	}
	s->queries++;
	if (ev->ts_ns >= b->from_ns && ev->ts_ns < b->to_ns + SEC_NS)
		s->in_interval++;
}

static void check_truth(uint64_t seed, double hours)
{
	struct scenario_config cfg;
	struct scenario_result *res;
	struct src_options opt;
	struct src_reader *r = NULL;
	struct ev_event *ev = malloc(sizeof(*ev));
	struct seen *seen;
	char dir[64], path[512];
	int rc;

	assert_non_null(ev);
	make_dir(dir, sizeof(dir), "t");
	small_config(&cfg, seed);
	cfg.hours = hours;
	assert_int_equal(scenario_run(&cfg, dir, &res), 0);
	assert_int_equal(res->nbots, 13);
	seen = calloc(res->nbots, sizeof(*seen));
	assert_non_null(seen);
	memset(&opt, 0, sizeof(opt));
	snprintf(path, sizeof(path), "%s/traffic.pcap", dir);
	assert_int_equal(src_open(&r, path, "pcap", &opt), 0);
	while ((rc = src_next(r, ev)) == 1)
		for (uint32_t i = 0; i < res->nbots; i++)
			observe(res, &res->bots[i], ev, &seen[i]);
	assert_int_equal(rc, 0);
	src_close(r);

	for (uint32_t i = 0; i < res->nbots; i++) {
		const struct scenario_bot *b = &res->bots[i];
		const struct seen *s = &seen[i];

		/* Every labelled bot's behaviour is in the traffic, all of
		 * it inside the labelled interval. */
		assert_true(b->queries > 0);
		assert_true(s->queries > 0);
		if (s->in_interval != s->queries)
			print_message("bot %u %s: %llu of %llu in interval\n", i,
			              scenario_behaviour_name(b->behaviour),
			              (unsigned long long)s->in_interval,
			              (unsigned long long)s->queries);
		assert_int_equal(s->in_interval, s->queries);
		switch (b->behaviour) {
		case SCEN_B_SPAM:
			assert_true(s->mx > 0);
			break;
		case SCEN_B_MAILER:
			assert_int_equal(s->mail_prefix, b->queries);
			break;
		case SCEN_B_WORM:
			assert_int_equal(s->literal, b->queries);
			assert_true(s->nx >= b->queries);
			break;
		case SCEN_B_DDOS:
			assert_true(b->flood > 0);
			assert_true(s->victim_before_attack > 0);
			assert_true(s->gap_min == 0 || s->gap_min > 0);
			break;
		case SCEN_B_DDOS_NORES:
			/* Seed 000 Table 1: it attacks without asking. */
			assert_true(b->flood > 0);
			assert_int_equal(s->victim_before_attack, 0);
			break;
		case SCEN_B_FEEDER:
			assert_true(s->direct_c2_txt > 0);
			assert_int_equal(s->c2_via_res, 0);
			assert_int_equal(s->direct_c2_txt, b->direct);
			break;
		case SCEN_B_MORTO:
			/* The address is learned before it is used. */
			assert_true(s->c2_via_res > 0);
			assert_true(s->c2_answer > 0);
			assert_true(s->direct_c2_txt > 0);
			assert_true(s->first_c2 == 0 || s->first_c2 < s->first_direct);
			break;
		case SCEN_B_DGA:
			assert_true(s->nx >= 10);
			assert_true(b->nxdomain >= 10);
			break;
		case SCEN_B_TUNNEL:
			assert_int_equal(s->long_label_txt_null, b->queries);
			break;
		case SCEN_B_BEACON:
			/* A fixed period: every gap within 1% of it. */
			assert_true(s->queries >= 2);
			assert_true((double)s->gap_min >= b->period_s * 0.99 * SEC_NS);
			assert_true((double)s->gap_max <= b->period_s * 1.01 * SEC_NS);
			break;
		default:
			fail();
		}
	}
	free(seen);
	free(ev);
	scenario_result_free(res);
	remove_dir(dir);
}

static void test_truth_matches_traffic(void **state)
{
	(void)state;
	/* Several seeds and lengths: the check must hold for any draw. */
	check_truth(3, 2);
	check_truth(4, 1);
	check_truth(5, 1);
	check_truth(6, 0.75);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_arguments),         cmocka_unit_test(test_names),
	    cmocka_unit_test(test_deterministic),         cmocka_unit_test(test_outputs_agree),
	    cmocka_unit_test(test_truth_matches_traffic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
