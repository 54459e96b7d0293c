/*
 * test_detect.c - the detection layer: Space-Saving bounds, name rules,
 * levels and windows, allow-lists, configuration, escaping, entropy
 * peaks, beacons and bounded memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect/detect.h"
#include "detect/detect_int.h"
#include "detect/detect_stats.h"
#include "util/allow.h"
#include "util/err.h"

#define S_NS INT64_C(1000000000)
#define T0   (INT64_C(1772409600) * S_NS) /* 2026-03-02T00:00:00Z */

/* ---- events and findings for the tests ---- */

struct got {
	unsigned n, crossed, closed;
	struct store_finding last;
	char kinds[64][STORE_KIND_MAX];
	unsigned levels[64];
	int hows[64];
	char evidence[8192];
	char addr[64][DH_ADDR_TEXT_MAX];
};

static int collect(void *ctx, const struct store_finding *f, int how)
{
	struct got *g = ctx;

	if (g->n < 64) {
		memcpy(g->kinds[g->n], f->kind, STORE_KIND_MAX);
		g->levels[g->n] = f->level;
		g->hows[g->n] = how;
		dh_addr_format(&f->host, g->addr[g->n], DH_ADDR_TEXT_MAX);
	}
	g->n++;
	if (how == DETECT_RAISE_CROSSED)
		g->crossed++;
	else
		g->closed++;
	g->last = *f;
	snprintf(g->evidence, sizeof(g->evidence), "%s", f->evidence ? f->evidence : "");
	g->last.evidence = g->evidence;
	return 0;
}

static void query(struct detect *d, struct ev_event *ev, int64_t ts, const char *src,
                  const char *name, uint16_t qtype)
{
	ev_clear(ev);
	ev->ts_ns = ts;
	assert_int_equal(dh_addr_parse(&ev->src, src), 0);
	assert_int_equal(dh_addr_parse(&ev->dst, "10.0.0.53"), 0);
	ev->sport = 40000;
	ev->dport = 53;
	ev->msg.has_question = 1;
	ev->msg.qtype = qtype;
	ev->msg.qclass = 1;
	ev->msg.flags = DNS_FLAG_RD;
	ev->msg.qname_len = (uint16_t)strlen(name);
	memcpy(ev->msg.qname, name, ev->msg.qname_len + 1);
	assert_int_equal(detect_feed(d, ev), 0);
}

static void answer(struct detect *d, struct ev_event *ev, int64_t ts, const char *client,
                   const char *name, unsigned rcode)
{
	ev_clear(ev);
	ev->ts_ns = ts;
	assert_int_equal(dh_addr_parse(&ev->src, "10.0.0.53"), 0);
	assert_int_equal(dh_addr_parse(&ev->dst, client), 0);
	ev->sport = 53;
	ev->dport = 40000;
	ev->msg.has_question = 1;
	ev->msg.qtype = DNS_T_A;
	ev->msg.qclass = 1;
	ev->msg.flags = (uint16_t)(DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA | rcode);
	ev->msg.qname_len = (uint16_t)strlen(name);
	memcpy(ev->msg.qname, name, ev->msg.qname_len + 1);
	assert_int_equal(detect_feed(d, ev), 0);
}

/* ---- Space-Saving ---- */

/* Space-Saving's bounds with cap entries; 1,500 makes the index grow
 * from its first 1,024 slots while the table fills. */
static void ss_bounds_with(uint32_t cap)
{
	struct detect_ss ss;
	enum { KEYS = 2000, N = 200000 };
	uint32_t *truth = calloc(KEYS, sizeof(uint32_t));
	uint64_t x = 88172645463325252ull;
	int created;

	assert_non_null(truth);
	assert_int_equal(detect__ss_init(&ss, cap, 0), 0);
	for (unsigned i = 0; i < N; i++) {
		/* Skewed keys: a few heavy ones and a long tail. */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint32_t k =
		    (uint32_t)(x % 100) < 40 ? (uint32_t)(x >> 32) % 8 : (uint32_t)(x >> 32) % KEYS;
		truth[k]++;
		detect__ss_add(&ss, &k, sizeof(k), 1, &created);
	}
	assert_true(ss.n == cap);
	assert_true(ss.evicted > 0);
	assert_true((uint64_t)ss.mask + 1 >= 2 * (uint64_t)ss.n); /* at most half full */
	for (uint32_t k = 0; k < KEYS; k++) {
		struct detect_ss_item *it = detect__ss_find(&ss, &k, sizeof(k));
		if (truth[k] > N / cap)
			assert_non_null(it); /* every heavy hitter is kept */
		if (it) {
			assert_true(it->count >= truth[k]);
			assert_true(it->count - it->err <= truth[k]);
			assert_true(it->err <= N / cap);
		}
	}
	uint32_t top[8];
	assert_int_equal(detect__ss_top(&ss, top, 8), 8);
	for (unsigned i = 1; i < 8; i++)
		assert_true(detect__ss_at(&ss, top[i - 1])->count >=
		            detect__ss_at(&ss, top[i])->count);
	detect__ss_clear(&ss);
	assert_null(detect__ss_find(&ss, &top[0], 4));
	detect__ss_release(&ss);
	free(truth);
}

static void ss_bounds_hold(void **state)
{
	(void)state;
	ss_bounds_with(64);
	ss_bounds_with(1500);
}

/* ---- name rules ---- */

static void names(void **state)
{
	struct detect_config cfg;
	struct dh_addr a, want;

	(void)state;
	detect_config_init(&cfg);
	assert_int_equal(detect__ip_literal("10.1.2.3.", 9), 1);
	assert_int_equal(detect__ip_literal("0.0.0.0", 7), 1);
	assert_int_equal(detect__ip_literal("127.0.0.1.foo-u.ac.jp.", 22), 2);
	assert_int_equal(detect__ip_literal("256.1.2.3.", 10), 0);
	assert_int_equal(detect__ip_literal("1.2.3.", 6), 0);
	assert_int_equal(detect__ip_literal("4.3.2.1.in-addr.arpa.", 21), 0);
	assert_int_equal(detect__ip_literal("www.example.com.", 16), 0);
	assert_int_equal(detect__ip_literal("", 0), 0);

	assert_true(detect__keyword(&cfg, "mail.example.com.", 17) >= 0);
	assert_true(detect__keyword(&cfg, "mx1.example.com.", 16) >= 0);
	assert_true(detect__keyword(&cfg, "mx-2.example.com.", 17) >= 0);
	assert_true(detect__keyword(&cfg, "mx.example.com.", 15) >= 0);
	assert_true(detect__keyword(&cfg, "smtp3.example.com.", 18) >= 0);
	assert_true(detect__keyword(&cfg, "pop3.example.com.", 17) >= 0);
	assert_int_equal(detect__keyword(&cfg, "popular.example.com.", 20), -1);
	assert_int_equal(detect__keyword(&cfg, "nsa.gov.", 8), -1);
	assert_int_equal(detect__keyword(&cfg, "www.mail.com.", 13), -1);
	assert_int_equal(detect__keyword(&cfg, "", 0), -1);

	assert_int_equal(detect__reverse_addr("4.3.2.10.in-addr.arpa.", 22, &a), 1);
	dh_addr_parse(&want, "10.2.3.4");
	assert_true(dh_addr_equal(&a, &want));
	const char *r6 =
	    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.";
	assert_int_equal(detect__reverse_addr(r6, strlen(r6), &a), 1);
	dh_addr_parse(&want, "2001:db8::1");
	assert_true(dh_addr_equal(&a, &want));
	assert_int_equal(detect__reverse_addr("x.in-addr.arpa.", 15, &a), 0);
	assert_int_equal(detect__reverse_addr("example.com.", 12, &a), 0);

	assert_int_equal(detect_generated("qxkzvbnmwtr.com.", 16), 1);
	assert_int_equal(detect_generated("www.xjqpmdkrtzlwbh.info.", 24), 1);
	assert_int_equal(detect_generated("www.cloudfront.net.", 19), 0);
	assert_int_equal(detect_generated("stackoverflow.com.", 18), 0);
	assert_int_equal(detect_generated("googleusercontent.com.", 22), 0);
	assert_int_equal(detect_generated("qxkzv.com.", 10), 0); /* too short */
	assert_int_equal(detect_generated("", 0), 0);
	assert_int_equal(detect__longest_label("a.bcd.ef.", 9), 3);
	assert_int_equal(detect__longest_label("", 0), 0);
	assert_true(detect__text_entropy("abcdabcd", 8) > 1.99);
	assert_true(detect__text_entropy("aaaa", 4) < 0.01);
	detect_config_release(&cfg);
}

/* ---- levels and windows ---- */

static void levels_cross_and_close(void **state)
{
	struct detect_config cfg;
	struct detect *d;
	struct got g;
	struct ev_event *ev = malloc(sizeof(*ev));

	(void)state;
	memset(&g, 0, sizeof(g));
	detect_config_init(&cfg);
	assert_int_equal(detect_new(&d, &cfg, collect, &g), 0);
	/* spam-mx's levels are 100, 1000, 5000 MX a day. */
	for (int i = 0; i < 5000; i++) {
		query(d, ev, T0 + i * S_NS, "10.16.0.9", "example.com.", DNS_T_MX);
		if (i == 98)
			assert_int_equal(g.crossed, 0);
		if (i == 99) {
			assert_int_equal(g.crossed, 1);
			assert_int_equal(g.last.level, STORE_LEVEL_CANDIDATE);
			assert_string_equal(g.last.kind, "spam-mx");
		}
		if (i == 999)
			assert_int_equal(g.last.level, STORE_LEVEL_WARNING);
	}
	assert_int_equal(g.crossed, 3);
	assert_int_equal(g.last.level, STORE_LEVEL_EMERGENCY);
	assert_int_equal(g.closed, 0);
	assert_true(g.last.window_start_ns == T0);
	assert_true(g.last.window_end_ns == T0 + 86400 * S_NS);
	/* The next day's first event closes the window: one final finding. */
	query(d, ev, T0 + 86400 * S_NS, "10.16.0.10", "example.com.", DNS_T_A);
	assert_int_equal(g.closed, 1);
	assert_int_equal(g.last.level, STORE_LEVEL_EMERGENCY);
	assert_true(g.last.score == 5000);
	assert_non_null(strstr(g.evidence, "\"MX\":5000"));
	assert_int_equal(detect_finish(d), 0);
	assert_int_equal(g.closed, 1);

	struct detect_counters c;
	detect_counters(d, &c);
	assert_true(c.queries == 5001);
	detect_free(d);
	detect_config_release(&cfg);
	free(ev);
}

static void allow_and_servers(void **state)
{
	struct detect_config cfg;
	struct detect *d;
	struct got g;
	struct ev_event *ev = malloc(sizeof(*ev));
	char err[256];
	const char *conf = "[detect]\nallow = 10.0.0.25\nallow = cloud.example\n"
	                   "[detect spam-mx]\nallow = 10.0.0.26\n";

	(void)state;
	memset(&g, 0, sizeof(g));
	detect_config_init(&cfg);
	assert_int_equal(detect_config_text(&cfg, conf, strlen(conf), "t.conf", err, sizeof(err)),
	                 0);
	assert_int_equal(detect_new(&d, &cfg, collect, &g), 0);
	/* The resolver answers once: it is a server from then on. */
	answer(d, ev, T0, "10.16.0.1", "example.com.", 0);
	for (int i = 0; i < 200; i++) {
		query(d, ev, T0 + i * S_NS, "10.0.0.25", "example.com.", DNS_T_MX);
		query(d, ev, T0 + i * S_NS, "10.0.0.26", "example.com.", DNS_T_MX);
		query(d, ev, T0 + i * S_NS, "10.0.0.53", "example.com.", DNS_T_MX);
		query(d, ev, T0 + i * S_NS, "10.16.0.2", "x.cloud.example.", DNS_T_MX);
	}
	assert_int_equal(detect_finish(d), 0);
	assert_int_equal(g.n, 0);
	/* The resolver's own queries are upstream ones: not counted. */
	struct detect_counters c;
	detect_counters(d, &c);
	assert_true(c.skipped == 200);
	detect_free(d);
	detect_config_release(&cfg);
	free(ev);
}

static void config_errors(void **state)
{
	struct detect_config cfg;
	char err[256];
	const char *good = "# comment\n[detect]\ncandidate = 10\nwindow = 1h\nkeyword = Relay\n"
	                   "local = 10.0.0.0/8\n[detect beacon]\ncandidate = 3\ntolerance = 0.05\n"
	                   "[other]\nwhatever = 1\n";

	(void)state;
	detect_config_init(&cfg);
	assert_int_equal(detect_config_text(&cfg, good, strlen(good), "g.conf", err, sizeof(err)),
	                 0);
	assert_true(cfg.kind[DETECT_K_DGA].level[0] == 10);
	assert_true(cfg.kind[DETECT_K_BEACON].level[0] == 3);
	assert_true(cfg.kind[DETECT_K_SPAM_MX].window_ns == 3600 * S_NS);
	assert_int_equal(cfg.nkeywords, 1);
	assert_string_equal(cfg.keywords[0], "relay");
	assert_true(cfg.beacon_tolerance > 0.049 && cfg.beacon_tolerance < 0.051);
	detect_config_release(&cfg);

	static const char *const bad[] = {
	    "[detect]\ncandidate = lots\n",    "[detect nosuch]\ncandidate = 1\n",
	    "[detect]\nlocal = example.com\n", "[detect]\nwindow = 0\n",
	    "[detect]\nfrobnicate = 1\n",      "[detect tunnel]\nlabel = 99\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		detect_config_init(&cfg);
		err[0] = '\0';
		assert_true(detect_config_text(&cfg, bad[i], strlen(bad[i]), "b.conf", err,
		                               sizeof(err)) < 0);
		assert_non_null(strstr(err, "b.conf:2"));
		detect_config_release(&cfg);
	}
}

/* Names from the wire never reach evidence unescaped. */
static void evidence_escaped(void **state)
{
	struct detect_config cfg;
	struct detect *d;
	struct got g;
	struct ev_event *ev = malloc(sizeof(*ev));
	const char *nasty = "mail\"<script>&'\x01\x1b[31m\x7f\xff.example.";

	(void)state;
	memset(&g, 0, sizeof(g));
	detect_config_init(&cfg);
	cfg.kind[DETECT_K_MASS_MAILER].level[0] = 5;
	assert_int_equal(detect_new(&d, &cfg, collect, &g), 0);
	for (int i = 0; i < 5; i++)
		query(d, ev, T0 + i * S_NS, "10.16.0.3", nasty, DNS_T_A);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.last.kind, "mass-mailer");
	for (const char *p = g.evidence; *p; p++) {
		unsigned char c = (unsigned char)*p;
		assert_true(c >= 0x20 && c < 0x7f);
		assert_true(c != '<' && c != '>' && c != '&' && c != '\'');
	}
	assert_non_null(strstr(g.evidence, "mail\\\"\\u003cscript\\u003e\\u0026\\u0027\\u0001"));
	assert_non_null(strstr(g.evidence, "\\u00ff"));
	detect_free(d);
	detect_config_release(&cfg);
	free(ev);
}

static void entropy_peak(void **state)
{
	struct detect_config cfg;
	struct detect *d;
	struct got g;
	struct ev_event *ev = malloc(sizeof(*ev));
	char src[32], name[64];
	const struct detect_point *pts;
	const struct detect_peak *pk;

	(void)state;
	memset(&g, 0, sizeof(g));
	detect_config_init(&cfg);
	assert_int_equal(detect_new(&d, &cfg, collect, &g), 0);
	/* Ten ordinary hours: 100 clients, 50 names, evenly. */
	for (int h = 0; h < 11; h++) {
		for (int i = 0; i < 1000; i++) {
			int64_t ts = T0 + h * 3600 * S_NS + i * 3 * S_NS;
			if (h == 10 && i % 10) {
				/* The eleventh: one client asks one name. */
				query(d, ev, ts, "10.16.9.9", "0.0.0.0.", DNS_T_A);
				continue;
			}
			snprintf(src, sizeof(src), "10.16.0.%d", i % 100);
			snprintf(name, sizeof(name), "site%d.example.", (i * 7) % 50);
			query(d, ev, ts, src, name, DNS_T_A);
		}
	}
	assert_int_equal(detect_finish(d), 0);
	size_t n = detect_series(d, &pts);
	assert_int_equal(n, 11);
	for (size_t i = 0; i < 10; i++) {
		assert_int_equal(pts[i].peak_src, 0);
		assert_true(pts[i].h_src > 6.5 && pts[i].h_src < 6.7); /* log2(100) */
	}
	assert_int_equal(pts[10].peak_src, 1);
	assert_int_equal(pts[10].peak_name, 1);
	assert_true(pts[10].a_ip_literal == 900);
	size_t np = detect_peaks(d, &pk);
	assert_int_equal(np, 2);
	assert_string_equal(pk[0].sources[0].name, "10.16.9.9");
	assert_string_equal(pk[1].names[0].name, "0.0.0.0.");
	assert_true(pk[1].names[0].count == 900);

	struct detect_count hw[5];
	assert_true(detect_headwords(d, 1, hw, 5) >= 2);
	assert_string_equal(hw[0].name, "s");
	assert_int_equal(detect_headwords(d, 6, hw, 5), 0);
	struct detect_talker tt[2];
	assert_int_equal(detect_top(d, tt, 2), 2);
	assert_true(tt[0].queries == 900 && tt[0].a_ip_literal == 900);
	detect_free(d);
	detect_config_release(&cfg);
	free(ev);
}

/* An engine that keeps no statistics (top_talkers = 0, as `detect`
 * runs) finds the same, and its read API returns nothing. */
static void findings_only(void **state)
{
	struct detect_config cfg;
	struct detect *d[2];
	struct got *g = calloc(2, sizeof(*g));
	struct ev_event *ev = malloc(sizeof(*ev));
	char src[32], name[64];
	const struct detect_point *pts;
	const struct detect_peak *pk;
	struct detect_count hw[5];
	struct detect_talker tt[2];

	(void)state;
	assert_non_null(g);
	detect_config_init(&cfg);
	cfg.kind[DETECT_K_IP_LITERAL].level[0] = 50;
	cfg.kind[DETECT_K_SPAM_MX].level[0] = 20;
	cfg.kind[DETECT_K_MASS_MAILER].level[0] = 200;
	assert_int_equal(detect_new(&d[0], &cfg, collect, &g[0]), 0);
	cfg.top_talkers = 0;
	assert_int_equal(detect_new(&d[1], &cfg, collect, &g[1]), 0);
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < 3000; i++) {
			int64_t ts = T0 + i * 2 * S_NS;
			snprintf(src, sizeof(src), "10.16.0.%d", i % 5);
			if (i % 10 == 0)
				snprintf(name, sizeof(name), "1.2.3.%d.", i % 200);
			else
				snprintf(name, sizeof(name), "mx%d.site%d.example.", i % 7, i % 90);
			query(d[k], ev, ts, src, name, i % 13 ? DNS_T_A : DNS_T_MX);
		}
		assert_int_equal(detect_finish(d[k]), 0);
	}
	assert_true(g[0].n > 0);
	assert_int_equal(g[0].n, g[1].n);
	assert_string_equal(g[0].evidence, g[1].evidence);
	for (unsigned i = 0; i < g[0].n && i < 64; i++) {
		assert_string_equal(g[0].kinds[i], g[1].kinds[i]);
		assert_string_equal(g[0].addr[i], g[1].addr[i]);
		assert_int_equal(g[0].levels[i], g[1].levels[i]);
	}
	assert_true(detect_series(d[0], &pts) > 0);
	assert_int_equal(detect_series(d[1], &pts), 0);
	assert_int_equal(detect_peaks(d[1], &pk), 0);
	assert_true(detect_headwords(d[0], 2, hw, 5) > 0);
	assert_int_equal(detect_headwords(d[1], 2, hw, 5), 0);
	assert_int_equal(detect_top(d[1], tt, 2), 0);
	detect_free(d[0]);
	detect_free(d[1]);
	detect_config_release(&cfg);
	free(ev);
	free(g);
}

static void beacon_and_noise(void **state)
{
	struct detect_config cfg;
	struct detect *d;
	struct got g;
	struct ev_event *ev = malloc(sizeof(*ev));
	uint64_t x = 12345;

	(void)state;
	memset(&g, 0, sizeof(g));
	detect_config_init(&cfg);
	assert_int_equal(detect_new(&d, &cfg, collect, &g), 0);
	int64_t tb = T0, tn = T0;
	for (int i = 0; i < 60; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		double jitter = 0.997 + 0.006 * (double)(x >> 11) / 9007199254740992.0;
		tb += (int64_t)(300 * jitter * 1e9);
		query(d, ev, tb, "10.16.0.7", "c2.example.", DNS_T_A);
		/* A human asking a popular name at random times. */
		double u = (double)(x >> 11) / 9007199254740992.0;
		tn += (int64_t)((20 + 580 * u) * 1e9);
		query(d, ev, tn, "10.16.0.8", "www.example.", DNS_T_A);
	}
	assert_int_equal(detect_finish(d), 0);
	assert_true(g.n >= 1);
	for (unsigned i = 0; i < g.n && i < 64; i++) {
		assert_string_equal(g.kinds[i], "beacon");
		assert_string_equal(g.addr[i], "10.16.0.7");
	}
	const char *ps = strstr(g.evidence, "\"period_s\":");
	assert_non_null(ps);
	double period = strtod(ps + 11, NULL);
	assert_true(period > 298 && period < 302);
	/* One sample per distinct name. */
	assert_non_null(strstr(g.evidence, "\"samples\":[\"c2.example.\"]"));
	detect_free(d);
	detect_config_release(&cfg);
	free(ev);
}

static void bounded_memory(void **state)
{
	struct detect_config cfg;
	struct detect *d;
	struct got g;
	struct ev_event *ev = malloc(sizeof(*ev));
	char src[32];

	(void)state;
	memset(&g, 0, sizeof(g));
	detect_config_init(&cfg);
	cfg.max_clients = 16;
	cfg.beacon_slots = 64;
	assert_int_equal(detect_new(&d, &cfg, collect, &g), 0);
	/* 20,000 one-query clients around one heavy spam bot. */
	for (int i = 0; i < 20000; i++) {
		snprintf(src, sizeof(src), "10.%d.%d.%d", 17 + i / 65536, (i / 256) % 256, i % 256);
		query(d, ev, T0 + i * S_NS / 10, src, "www.example.", DNS_T_A);
		if (i % 4 == 0)
			query(d, ev, T0 + i * S_NS / 10, "10.16.0.66", "example.net.", DNS_T_MX);
	}
	assert_int_equal(detect_finish(d), 0);
	struct detect_counters c;
	detect_counters(d, &c);
	assert_true(c.evicted > 10000);
	assert_true(g.closed == 1);
	assert_string_equal(g.addr[g.n - 1], "10.16.0.66");
	assert_int_equal(g.levels[g.n - 1], STORE_LEVEL_EMERGENCY);
	detect_free(d);
	detect_config_release(&cfg);
	free(ev);
}

static void mass_mailer_and_dga_shares(void **state)
{
	struct detect_config cfg;
	struct detect *d;
	struct got g;
	struct ev_event *ev = malloc(sizeof(*ev));
	char name[64];

	(void)state;
	memset(&g, 0, sizeof(g));
	detect_config_init(&cfg);
	cfg.kind[DETECT_K_MASS_MAILER].level[0] = 100;
	cfg.kind[DETECT_K_DGA].level[0] = 100;
	assert_int_equal(detect_new(&d, &cfg, collect, &g), 0);
	for (int i = 0; i < 200; i++) {
		int64_t ts = T0 + i * S_NS;
		snprintf(name, sizeof(name), "mail.d%d.example.", i);
		/* .1: keyword names, no MX: a mass mailer. */
		query(d, ev, ts, "10.16.0.1", name, DNS_T_A);
		/* .2: the same names, each after an MX query: spam-mx's. */
		query(d, ev, ts, "10.16.0.2", name + 5, DNS_T_MX);
		query(d, ev, ts, "10.16.0.2", name, DNS_T_A);
		/* .3: random names that fail, among many good lookups. */
		snprintf(name, sizeof(name), "q%dzkx%d.com.", i * 31, i);
		query(d, ev, ts, "10.16.0.3", name, DNS_T_A);
		answer(d, ev, ts, "10.16.0.3", name, 3);
		/* .4: fails as often but asks thirty times more. */
		for (int k = 0; k < 30; k++)
			query(d, ev, ts, "10.16.0.4", "www.example.", DNS_T_A);
		answer(d, ev, ts, "10.16.0.4", name, 3);
	}
	assert_int_equal(detect_finish(d), 0);
	int mm1 = 0, mm2 = 0, dga3 = 0, dga4 = 0;
	for (unsigned i = 0; i < g.n && i < 64; i++) {
		if (g.hows[i] != DETECT_RAISE_CLOSED)
			continue;
		if (strcmp(g.kinds[i], "mass-mailer") == 0) {
			mm1 += strcmp(g.addr[i], "10.16.0.1") == 0;
			mm2 += strcmp(g.addr[i], "10.16.0.2") == 0;
		}
		if (strcmp(g.kinds[i], "dga") == 0) {
			dga3 += strcmp(g.addr[i], "10.16.0.3") == 0;
			dga4 += strcmp(g.addr[i], "10.16.0.4") == 0;
		}
	}
	assert_int_equal(mm1, 1);
	assert_int_equal(mm2, 0);
	assert_int_equal(dga3, 1);
	assert_int_equal(dga4, 0); /* under 5% of its queries */
	detect_free(d);
	detect_config_release(&cfg);
	free(ev);
}

static void outside_in(void **state)
{
	struct detect_config cfg;
	struct detect *d;
	struct got g;
	struct ev_event *ev = malloc(sizeof(*ev));
	char err[256], src[32];
	const char *conf = "[detect]\nlocal = 133.95.0.0/16\n[detect outside-in]\ncandidate = 50\n";

	(void)state;
	memset(&g, 0, sizeof(g));
	detect_config_init(&cfg);
	assert_int_equal(detect_config_text(&cfg, conf, strlen(conf), "o.conf", err, sizeof(err)),
	                 0);
	assert_int_equal(detect_new(&d, &cfg, collect, &g), 0);
	/* Spam filters elsewhere look up the PTR of one of our hosts. */
	for (int i = 0; i < 60; i++) {
		snprintf(src, sizeof(src), "198.51.100.%d", i);
		query(d, ev, T0 + i * S_NS, src, "7.1.95.133.in-addr.arpa.", DNS_T_PTR);
	}
	assert_int_equal(detect_finish(d), 0);
	assert_true(g.n >= 1);
	assert_string_equal(g.last.kind, "outside-in");
	assert_string_equal(g.addr[g.n - 1], "133.95.1.7");
	detect_free(d);
	detect_config_release(&cfg);
	free(ev);
}

static void null_and_empty(void **state)
{
	struct detect_config cfg;
	struct detect *d;
	struct ev_event *ev = malloc(sizeof(*ev));
	const struct detect_point *pts;

	(void)state;
	detect_free(NULL);
	detect_config_init(&cfg);
	assert_int_equal(detect_new(&d, &cfg, NULL, NULL), 0);
	assert_int_equal(detect_finish(d), 0);
	assert_int_equal(detect_series(d, &pts), 0);
	assert_true(detect_keyword_correlation(d) == 0);
	/* An event without a question is skipped. */
	ev_clear(ev);
	ev->ts_ns = T0;
	assert_int_equal(detect_feed(d, ev), 0);
	struct detect_counters c;
	detect_counters(d, &c);
	assert_true(c.skipped == 1 && c.queries == 0);
	assert_int_equal(detect_tick(d, T0 + 90000 * S_NS), 0);
	detect_free(d);
	detect_config_release(&cfg);
	assert_null(detect_kind_name(DETECT_K_COUNT));
	assert_int_equal(detect_kind_parse("beacon"), DETECT_K_BEACON);
	assert_int_equal(detect_kind_parse("nope"), -1);
	free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ss_bounds_hold),
	    cmocka_unit_test(names),
	    cmocka_unit_test(levels_cross_and_close),
	    cmocka_unit_test(allow_and_servers),
	    cmocka_unit_test(config_errors),
	    cmocka_unit_test(evidence_escaped),
	    cmocka_unit_test(entropy_peak),
	    cmocka_unit_test(findings_only),
	    cmocka_unit_test(beacon_and_noise),
	    cmocka_unit_test(bounded_memory),
	    cmocka_unit_test(mass_mailer_and_dga_shares),
	    cmocka_unit_test(outside_in),
	    cmocka_unit_test(null_and_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
