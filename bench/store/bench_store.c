/*
 * bench_store.c - ingest and lookup benchmark of the event store.
 *
 * Usage: bench_store DIR [N [SEED]]
 *
 * Generates N synthetic events (default 2,000,000): query/response pairs
 * from ~5,000 clients to 2 servers, names drawn from a Zipf (s = 1)
 * distribution over 50,000 names, a realistic qtype mix, 1-3 answers per
 * NOERROR response, 5% NXDOMAIN, time advancing at 20,000 events/s with
 * jitter and responses 1-40 ms after their queries (so input is nearly,
 * not exactly, in time order). Events are generated in chunks before each
 * chunk's timed ingest, so the ingest rate excludes generation but
 * includes sorting, segment and index writing and catalog commits.
 *
 * Prints one line of key=value pairs: events/s, bytes/event on disk (du
 * of DIR / N, and apparent size), peak RSS, and the median and 90th
 * percentile of 100 lookups of a uniformly random name and of a random
 * client over a one-hour window (all matching events delivered).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "event/event.h"
#include "store/store.h"
#include "util/err.h"

#define NAMES   50000
#define CLIENTS 5000
#define RATE    20000 /* events per second of event time */
#define CHUNK   (1 << 20)
#define SEC     1000000000LL
#define HOUR    (3600 * SEC)
#define T0      (1795305600LL * SEC)

struct gen {
	uint64_t rng;
	double *cdf;          /* Zipf CDF over names */
	char (*name)[48];     /* the names */
	char (*addr)[3][20];  /* A-record data per name */
	char (*addr6)[2][40]; /* AAAA data per name */
	uint32_t *ttl;        /* per-name TTL */
	int64_t now;          /* event time of the next query */
	int pending;          /* the response of the last query is next */
	struct compact *last;
};

/* An event before expansion into struct ev_event. */
struct compact {
	int64_t ts;
	uint32_t name;
	uint16_t client, id, sport, qtype;
	uint8_t response, server, rcode, nans;
	int32_t rtt;
};

static uint64_t rnd(struct gen *g)
{
	/* splitmix64: fast, and good enough for synthetic traffic. */
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double rnd01(struct gen *g)
{
	return (double)(rnd(g) >> 11) / 9007199254740992.0;
}

static uint32_t zipf(struct gen *g)
{
	double u = rnd01(g);
	uint32_t lo = 0, hi = NAMES - 1;
	while (lo < hi) {
		uint32_t m = (lo + hi) / 2;
		if (g->cdf[m] < u)
			lo = m + 1;
		else
			hi = m;
	}
	return lo;
}

static int gen_init(struct gen *g, uint64_t seed)
{
	static const char *const sld[] = {"example", "cdn",    "mail",  "shop", "news",
	                                  "api",     "static", "cloud", "corp", "video"};
	static const char *const tld[] = {"com.", "net.", "org.", "jp.", "de.", "io."};
	memset(g, 0, sizeof(*g));
	g->rng = seed;
	g->cdf = malloc(NAMES * sizeof(*g->cdf));
	g->name = malloc(NAMES * sizeof(*g->name));
	g->addr = malloc(NAMES * sizeof(*g->addr));
	g->addr6 = malloc(NAMES * sizeof(*g->addr6));
	g->ttl = malloc(NAMES * sizeof(*g->ttl));
	if (!g->cdf || !g->name || !g->addr || !g->addr6 || !g->ttl)
		return -ENOMEM;
	double sum = 0;
	for (int i = 0; i < NAMES; i++)
		sum += 1.0 / (i + 1);
	double acc = 0;
	for (int i = 0; i < NAMES; i++) {
		acc += 1.0 / (i + 1) / sum;
		g->cdf[i] = acc;
		uint64_t r = rnd(g);
		static const char *const host[] = {"www", "mail", "smtp", "ns1", "api",
		                                   "img", "a",    "b",    "cdn", "m"};
		snprintf(g->name[i], sizeof(g->name[i]), "%s%u.%s%u.%s", host[r % 10],
		         (unsigned)(r >> 8) % 100, sld[(r >> 16) % 10], (unsigned)(r >> 24) % 1000,
		         tld[(r >> 40) % 6]);
		for (int k = 0; k < 3; k++) {
			uint64_t a = rnd(g);
			snprintf(g->addr[i][k], sizeof(g->addr[i][k]), "%u.%u.%u.%u",
			         (unsigned)(a & 0xff) | 1, (unsigned)(a >> 8) & 0xff,
			         (unsigned)(a >> 16) & 0xff, (unsigned)(a >> 24) & 0xff);
		}
		for (int k = 0; k < 2; k++) {
			uint64_t a = rnd(g);
			snprintf(g->addr6[i][k], sizeof(g->addr6[i][k]), "2001:db8:%x:%x::%x",
			         (unsigned)(a & 0xffff), (unsigned)(a >> 16) & 0xffff,
			         (unsigned)(a >> 32) & 0xffff);
		}
		static const uint32_t ttls[] = {60, 300, 300, 600, 3600, 86400};
		g->ttl[i] = ttls[rnd(g) % 6];
	}
	g->cdf[NAMES - 1] = 1.0;
	g->now = T0;
	return 0;
}

static void gen_release(struct gen *g)
{
	free(g->cdf);
	free(g->name);
	free(g->addr);
	free(g->addr6);
	free(g->ttl);
}

static uint16_t qtype_mix(struct gen *g)
{
	/* Roughly what a campus resolver sees: A and AAAA dominate, HTTPS
	 * grew with browsers, PTR from logging hosts. */
	unsigned r = (unsigned)(rnd(g) % 100);
	if (r < 55)
		return DNS_T_A;
	if (r < 80)
		return DNS_T_AAAA;
	if (r < 88)
		return DNS_T_HTTPS;
	if (r < 93)
		return DNS_T_PTR;
	if (r < 96)
		return DNS_T_MX;
	if (r < 98)
		return DNS_T_TXT;
	if (r < 99)
		return DNS_T_NS;
	return DNS_T_SRV;
}

/* Fills n compact events: each query is followed by its response. The
 * response is emitted right after the query in input order, with its
 * later timestamp, like a capture that matches pairs. */
static void gen_chunk(struct gen *g, struct compact *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct compact *c = &out[i];
		if (g->pending) {
			*c = *g->last;
			c->response = 1;
			c->rtt = (int32_t)(1000000 + rnd(g) % 39000000);
			c->ts += c->rtt;
			c->rcode = (rnd(g) % 100) < 5 ? 3 : 0;
			c->nans = c->rcode ? 0 : (uint8_t)(1 + rnd(g) % 3);
			g->pending = 0;
			g->now += SEC / RATE;
			continue;
		}
		c->ts = g->now + (int64_t)(rnd(g) % 20000) - 10000;
		g->now += SEC / RATE;
		c->name = zipf(g);
		c->client = (uint16_t)(rnd(g) % CLIENTS);
		c->server = (uint8_t)(rnd(g) % 2);
		c->id = (uint16_t)rnd(g);
		c->sport = (uint16_t)(1024 + rnd(g) % 64000);
		c->qtype = qtype_mix(g);
		c->response = 0;
		c->rcode = 0;
		c->nans = 0;
		c->rtt = -1;
		g->pending = 1;
		g->last = c;
	}
	/* The last query's response must not point into the next chunk. */
	if (g->pending) {
		static struct compact keep;
		keep = *g->last;
		g->last = &keep;
	}
}

static void client_addr(struct dh_addr *a, unsigned k)
{
	uint8_t b[4] = {10, (uint8_t)(k >> 16), (uint8_t)(k >> 8), (uint8_t)k};
	dh_addr_set4(a, b);
}

static void server_addr(struct dh_addr *a, unsigned k)
{
	uint8_t b[4] = {192, 0, 2, (uint8_t)(53 + k)};
	dh_addr_set4(a, b);
}

static void expand(const struct gen *g, const struct compact *c, struct ev_event *ev)
{
	struct dh_addr cl, sv;
	client_addr(&cl, c->client);
	server_addr(&sv, c->server);
	ev->ts_ns = c->ts;
	memcpy(ev->observer, "resolver1", 10);
	ev->role = c->response ? EV_ROLE_CLIENT_RESPONSE : EV_ROLE_CLIENT_QUERY;
	ev->transport = EV_TRANSPORT_UDP;
	ev->src = c->response ? sv : cl;
	ev->dst = c->response ? cl : sv;
	ev->sport = c->response ? 53 : c->sport;
	ev->dport = c->response ? c->sport : 53;
	ev->rtt_ns = c->rtt;
	struct dns_msg *m = &ev->msg;
	m->wire = NULL;
	m->id = c->id;
	m->flags =
	    (uint16_t)(DNS_FLAG_RD | (c->response ? DNS_FLAG_QR | DNS_FLAG_RA : 0) | c->rcode);
	m->qdcount = 1;
	m->ancount = c->nans;
	m->nscount = m->arcount = 0;
	m->has_question = 1;
	size_t nl = strlen(g->name[c->name]);
	memcpy(m->qname, g->name[c->name], nl + 1);
	m->qname_len = (uint16_t)nl;
	m->qtype = c->qtype;
	m->qclass = 1;
	m->edns.present = 1;
	m->edns.udp_size = 1232;
	m->rr_count = 0;
	uint32_t ttl = g->ttl[c->name];
	/* A cache hands out the remaining TTL. */
	uint32_t left = ttl - (uint32_t)((c->ts / SEC) % ttl);
	for (unsigned k = 0; k < c->nans; k++) {
		struct dns_rr *rr = &m->rr[m->rr_count++];
		memset(rr, 0, sizeof(*rr));
		rr->section = DNS_SEC_ANSWER;
		rr->rclass = 1;
		rr->ttl = left;
		rr->owner_text = g->name[c->name];
		if (c->qtype == DNS_T_AAAA) {
			rr->type = DNS_T_AAAA;
			rr->data_text = g->addr6[c->name][k % 2];
		} else {
			rr->type = DNS_T_A;
			rr->data_text = g->addr[c->name][k];
		}
	}
	ev->size = (uint32_t)(30 + nl + c->nans * 16);
}

static double clock_s(clockid_t id)
{
	struct timespec t;
	clock_gettime(id, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Wall time, and CPU time of this process: on a shared machine the CPU
 * figures say what the code costs, the wall figures what a user waits. */
static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static double cpu_s(void)
{
	return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

/* du semantics (allocated blocks) and apparent size of a tree. */
static void tree_size(const char *dir, uint64_t *du, uint64_t *apparent)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char p[4096];
		struct stat st;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (lstat(p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			tree_size(p, du, apparent);
		} else {
			*du += (uint64_t)st.st_blocks * 512;
			*apparent += (uint64_t)st.st_size;
		}
	}
	closedir(d);
}

static int count_cb(void *ctx, const struct ev_event *ev)
{
	(void)ev;
	(*(uint64_t *)ctx)++;
	return 0;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Runs 100 lookups; kind 0 = name, 1 = client, 2 and 3 the same through
 * store_query_brief(). */
static int lookups(struct store *s, struct gen *g, int kind, int64_t tmin, int64_t tmax,
                   double *median, double *p90, double *avg_hits, double *cpu_median)
{
	double lat[100], cpu[100];
	uint64_t hits = 0;
	for (int i = 0; i < 100; i++) {
		struct store_query q;
		memset(&q, 0, sizeof(q));
		/* A one-hour window starting anywhere in the data. */
		int64_t span = tmax - tmin > HOUR ? tmax - tmin - HOUR : 0;
		q.since_ns = tmin + (span ? (int64_t)(rnd(g) % (uint64_t)span) : 0);
		q.until_ns = q.since_ns + HOUR;
		if (kind % 2 == 0)
			q.qname = g->name[rnd(g) % NAMES];
		else
			client_addr(&q.client, (unsigned)(rnd(g) % CLIENTS));
		uint64_t n = 0;
		double t = now_s(), c = cpu_s();
		int rc = kind < 2 ? store_query_run(s, &q, count_cb, &n)
		                  : store_query_brief(s, &q, count_cb, &n);
		lat[i] = (now_s() - t) * 1e3;
		cpu[i] = (cpu_s() - c) * 1e3;
		if (rc)
			return rc;
		hits += n;
	}
	qsort(lat, 100, sizeof(lat[0]), dbl_cmp);
	qsort(cpu, 100, sizeof(cpu[0]), dbl_cmp);
	*cpu_median = (cpu[49] + cpu[50]) / 2;
	*median = (lat[49] + lat[50]) / 2;
	*p90 = lat[89];
	*avg_hits = (double)hits / 100;
	return 0;
}

/* Runs the brief lookups and prints their figures (no newline). */
static int brief_lookups(struct store *s, struct gen *g, int64_t tmin, int64_t tmax)
{
	double nm, n90, nh, ncpu, cm, c90, ch, ccpu;
	int rc;
	if ((rc = lookups(s, g, 2, tmin, tmax, &nm, &n90, &nh, &ncpu)) ||
	    (rc = lookups(s, g, 3, tmin, tmax, &cm, &c90, &ch, &ccpu)))
		return rc;
	printf("brief_name_ms_median=%.2f brief_name_ms_p90=%.2f brief_name_cpu_ms_median=%.2f "
	       "brief_name_hits_avg=%.1f brief_client_ms_median=%.2f brief_client_ms_p90=%.2f "
	       "brief_client_cpu_ms_median=%.2f brief_client_hits_avg=%.1f ",
	       nm, n90, ncpu, nh, cm, c90, ccpu, ch);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 0;
	struct gen g;
	struct store *s = NULL;
	struct compact *chunk = NULL;
	struct ev_event *ev = NULL;
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: %s DIR [N [SEED]]\n", argv[0]);
		fprintf(stderr,
		        "BENCH_INGEST_ONLY=1 skips the lookups, BENCH_QUERY_ONLY=1 the ingest,\n"
		        "BENCH_QUERY_ONLY=1 BENCH_BRIEF_ONLY=1 runs only the brief lookups\n");
		return 2;
	}
	uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 2000000;
	uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
	if (n == 0 || gen_init(&g, seed) != 0) {
		fprintf(stderr, "bad arguments or out of memory\n");
		return 2;
	}
	chunk = malloc(CHUNK * sizeof(*chunk));
	ev = calloc(1, sizeof(*ev));
	if (!chunk || !ev) {
		rc = -ENOMEM;
		goto out;
	}
	ev_clear(ev);
	int query_only = getenv("BENCH_QUERY_ONLY") != NULL;
	if (query_only) {
		/* Lookups on a store made by an earlier run with the same N and
		 * SEED (for profiling the read path alone). */
		gen_chunk(&g, chunk, 1);
		int64_t t0 = T0 - SEC, t1 = T0 + (int64_t)(n / RATE + 1) * SEC;
		double nm, n90, nh, cm, c90, ch, ncpu, ccpu;
		if (getenv("BENCH_BRIEF_ONLY")) {
			if (!(rc = store_open(&s, argv[1], STORE_READONLY)) &&
			    !(rc = brief_lookups(s, &g, t0, t1)))
				printf("\n");
			goto out;
		}
		if ((rc = store_open(&s, argv[1], STORE_READONLY)) ||
		    (rc = lookups(s, &g, 0, t0, t1, &nm, &n90, &nh, &ncpu)) ||
		    (rc = lookups(s, &g, 1, t0, t1, &cm, &c90, &ch, &ccpu)) ||
		    (rc = brief_lookups(s, &g, t0, t1)))
			goto out;
		printf("name_lookup_ms_median=%.2f name_lookup_ms_p90=%.2f "
		       "name_lookup_cpu_ms_median=%.2f "
		       "name_hits_avg=%.1f client_lookup_ms_median=%.2f client_lookup_ms_p90=%.2f "
		       "client_lookup_cpu_ms_median=%.2f client_hits_avg=%.1f\n",
		       nm, n90, ncpu, nh, cm, c90, ccpu, ch);
		goto out;
	}
	if ((rc = store_open(&s, argv[1], STORE_CREATE)))
		goto out;
	uint8_t hash[8];
	uint64_t skip;
	memcpy(hash, &seed, sizeof(hash));
	if ((rc = store_ingest_begin(s, "bench", hash, sizeof(hash), &skip)))
		goto out;
	double spent = 0, spent_cpu = 0;
	int64_t tmin = INT64_MAX, tmax = INT64_MIN;
	for (uint64_t done = 0; done < n;) {
		size_t k = n - done < CHUNK ? (size_t)(n - done) : CHUNK;
		gen_chunk(&g, chunk, k);
		double t = now_s(), c = cpu_s();
		for (size_t i = 0; i < k; i++) {
			expand(&g, &chunk[i], ev);
			tmin = ev->ts_ns < tmin ? ev->ts_ns : tmin;
			tmax = ev->ts_ns > tmax ? ev->ts_ns : tmax;
			if ((rc = store_ingest_add(s, ev)))
				goto out;
		}
		done += k;
		if (done == n)
			rc = store_ingest_end(s);
		spent += now_s() - t;
		spent_cpu += cpu_s() - c;
		if (rc)
			goto out;
	}
	uint64_t du = 0, apparent = 0;
	tree_size(argv[1], &du, &apparent);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double ingest_rss = (double)ru.ru_maxrss / 1024;
	store_close(s);
	s = NULL;
	if (getenv("BENCH_INGEST_ONLY")) {
		printf("events=%" PRIu64 " ingest_s=%.2f events_per_s=%.0f events_per_cpu_s=%.0f "
		       "bytes_per_event=%.1f peak_rss_mb=%.0f\n",
		       n, spent, (double)n / spent, (double)n / spent_cpu, (double)du / (double)n,
		       ingest_rss);
		goto out;
	}
	/* Lookups from a fresh read-only handle, as another process would. */
	if ((rc = store_open(&s, argv[1], STORE_READONLY)))
		goto out;
	double nm, n90, nh, cm, c90, ch, ncpu, ccpu;
	if ((rc = lookups(s, &g, 0, tmin, tmax, &nm, &n90, &nh, &ncpu)) ||
	    (rc = lookups(s, &g, 1, tmin, tmax, &cm, &c90, &ch, &ccpu)) ||
	    (rc = brief_lookups(s, &g, tmin, tmax)))
		goto out;
	getrusage(RUSAGE_SELF, &ru);
	printf("events=%" PRIu64 " ingest_s=%.2f events_per_s=%.0f events_per_cpu_s=%.0f "
	       "bytes_per_event=%.1f apparent_bytes_per_event=%.1f peak_rss_mb=%.0f "
	       "name_lookup_ms_median=%.2f name_lookup_ms_p90=%.2f name_lookup_cpu_ms_median=%.2f "
	       "name_hits_avg=%.1f client_lookup_ms_median=%.2f client_lookup_ms_p90=%.2f "
	       "client_lookup_cpu_ms_median=%.2f client_hits_avg=%.1f span_s=%.0f\n",
	       n, spent, (double)n / spent, (double)n / spent_cpu, (double)du / (double)n,
	       (double)apparent / (double)n, ingest_rss, nm, n90, ncpu, nh, cm, c90, ccpu, ch,
	       (double)(tmax - tmin) / SEC);
	(void)ru;
out:
	if (rc)
		fprintf(stderr, "bench_store: %s\n", dh_strerror(rc));
	store_close(s);
	free(chunk);
	free(ev);
	gen_release(&g);
	return rc ? 1 : 0;
}
