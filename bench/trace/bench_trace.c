/*
 * bench_trace.c - the traceback's local cost on a large store, and the
 * private confirmation's CPU cost.
 *
 * Usage: bench_trace STORE_DIR [LOOKUPS [SEED]]
 *
 * STORE_DIR is a store made by bench/store's generator (bench_store DIR
 * N). Names are sampled from the store itself (the qnames of the events
 * in one second at a random time, so popular names come up as often as
 * in the traffic), and attack times uniformly over the store's span.
 * For each of LOOKUPS (default 200) draws it measures:
 *   lookup  - who asked for the name in [t - 10 s, t]: the brief query
 *             a source agent runs for end hosts;
 *   hop     - a whole relayed request at one agent (trace_agent_handle:
 *             parse, rights, the TTL-long scan, ranking, C&C lookback,
 *             confirmation data, answer encoding), lookback 310 s;
 *   first   - the same as the first hop, which also reads the name's
 *             answers over a day to find its TTL.
 * Then the OPRF: evaluation of one blinded element, one client's tag,
 * and the victim's blinding and unblinding.
 *
 * Prints key=value lines: the median and 99th percentile of each, in ms
 * of wall time and of this thread's CPU time. With BENCH_LOOKUP_ONLY=1 in
 * the environment only the lookups run (a hop takes seconds on a large
 * store, a lookup milliseconds); with BENCH_DRAWS=1 every lookup's name,
 * hits, CPU and wall time go to stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"
#include "trace/trace.h"
#include "util/err.h"

#define SEC  1000000000LL
#define MAXN 4096

static int64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * SEC + ts.tv_nsec;
}

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int first_cb(void *ctx, const struct ev_event *ev)
{
	*(int64_t *)ctx = ev->ts_ns;
	return 1;
}

struct names {
	char (*name)[256];
	size_t n;
};

static int name_cb(void *ctx, const struct ev_event *ev)
{
	struct names *nm = ctx;
	if (!ev->msg.has_question || nm->n >= MAXN || ev->msg.qname_len >= 256)
		return 0;
	memcpy(nm->name[nm->n++], ev->msg.qname, ev->msg.qname_len + 1u);
	return 0;
}

static uint64_t hits;
static int count_cb(void *ctx, const struct ev_event *ev)
{
	(void)ctx;
	(void)ev;
	hits++;
	return 0;
}

/* The measured lookup, a function of its own so that a profiler can
 * collect it alone (valgrind --toggle-collect=lookup). */
static __attribute__((noinline)) int lookup(struct store *st, const struct store_query *q)
{
	return store_query_brief(st, q, count_cb, NULL);
}

static int cmp64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return a < b ? -1 : a > b;
}

static void report(const char *what, int64_t *wall, int64_t *cpu, size_t n)
{
	qsort(wall, n, sizeof(*wall), cmp64);
	qsort(cpu, n, sizeof(*cpu), cmp64);
	size_t p99 = (n * 99 + 99) / 100 - 1;
	printf("%s_ms_p50=%.3f %s_ms_p99=%.3f %s_cpu_ms_p50=%.3f %s_cpu_ms_p99=%.3f\n", what,
	       (double)wall[n / 2] / 1e6, what, (double)wall[p99] / 1e6, what,
	       (double)cpu[n / 2] / 1e6, what, (double)cpu[p99] / 1e6);
}

/* A clock the agent reads: the time the request is made at. */
static int64_t fixed_now(void *ctx)
{
	return *(int64_t *)ctx;
}

static void no_exchange(void *ctx, struct trace_call *calls, size_t n, int64_t deadline)
{
	(void)ctx;
	(void)deadline;
	for (size_t i = 0; i < n; i++)
		calls[i].rc = TRACE_EDOWN;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_trace STORE_DIR [LOOKUPS [SEED]]\n");
		return 2;
	}
	/* Each figure is printed as soon as it is known. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	size_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 200;
	uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
	if (n == 0 || n > 100000)
		n = 200;
	struct store *st;
	int rc = store_open(&st, argv[1], STORE_READONLY);
	if (rc) {
		fprintf(stderr, "bench_trace: %s: %s\n", argv[1], dh_strerror(rc));
		return 1;
	}
	struct store_stats ss;
	store_stats(st, &ss);

	/* The store's span: its first event, and the last found by
	 * halving (a query with limit 1 says whether anything follows). */
	struct store_query q;
	memset(&q, 0, sizeof(q));
	q.since_ns = INT64_MIN;
	q.until_ns = INT64_MAX;
	q.limit = 1;
	int64_t first = 0, probe;
	store_query_brief(st, &q, first_cb, &first);
	int64_t lo = first, hi = first + 30LL * 86400 * SEC;
	while (hi - lo > SEC) {
		int64_t mid = lo + (hi - lo) / 2;
		probe = 0;
		q.since_ns = mid;
		store_query_brief(st, &q, first_cb, &probe);
		if (probe)
			lo = mid;
		else
			hi = mid;
	}
	int64_t span = lo - first;
	if (span < 60 * SEC) {
		fprintf(stderr, "bench_trace: the store spans under a minute\n");
		return 1;
	}

	struct names nm = {calloc(MAXN, 256), 0};
	int64_t *wall = calloc(n, sizeof(int64_t)), *cpu = calloc(n, sizeof(int64_t));
	char(*pick)[256] = calloc(n, 256);
	int64_t *at = calloc(n, sizeof(int64_t));
	if (!nm.name || !wall || !cpu || !pick || !at)
		return 1;
	/* Attack times after the first 400 s (the relayed hop looks back 310
	 * s), or after the first half of a shorter store. */
	int64_t skip = span > 800 * SEC ? 400 * SEC : span / 2;
	size_t tries = 0;
	for (size_t i = 0; i < n; i++) {
		if (++tries > 100 * n) {
			fprintf(stderr, "bench_trace: no events found at sampled times\n");
			return 1;
		}
		at[i] = first + skip + (int64_t)(rnd(&seed) % (uint64_t)(span - skip));
		nm.n = 0;
		memset(&q, 0, sizeof(q));
		q.since_ns = at[i] - SEC;
		q.until_ns = at[i];
		store_query_brief(st, &q, name_cb, &nm);
		if (nm.n == 0) {
			i--;
			continue;
		}
		memcpy(pick[i], nm.name[rnd(&seed) % nm.n], 256);
	}
	printf("store_events=%llu span_s=%lld lookups=%zu\n", (unsigned long long)ss.events,
	       (long long)(span / SEC), n);

	/* lookup */
	uint64_t total_hits = 0;
	for (size_t i = 0; i < n; i++) {
		memset(&q, 0, sizeof(q));
		q.qname = pick[i];
		q.since_ns = at[i] - 10 * SEC;
		q.until_ns = at[i];
		hits = 0;
		int64_t w0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
		lookup(st, &q);
		cpu[i] = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
		wall[i] = now_ns(CLOCK_MONOTONIC) - w0;
		total_hits += hits;
		if (getenv("BENCH_DRAWS"))
			fprintf(stderr, "draw %zu %s hits=%llu cpu_ms=%.3f wall_ms=%.3f\n", i,
			        pick[i], (unsigned long long)hits, (double)cpu[i] / 1e6,
			        (double)wall[i] / 1e6);
	}
	report("lookup", wall, cpu, n);
	printf("lookup_hits_avg=%.1f\n", (double)total_hits / (double)n);
	const char *only = getenv("BENCH_LOOKUP_ONLY");
	if (only && strcmp(only, "1") == 0)
		goto done;

	/* hop and first: one agent, every caller allowed everything. */
	int64_t clock_at = 0;
	struct trace_peer p;
	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "up");
	snprintf(p.ca, sizeof(p.ca), "bench");
	snprintf(p.cn, sizeof(p.cn), "up");
	p.rights = TRACE_R_ASK | TRACE_R_RELAY | TRACE_R_CLIENTS | TRACE_R_CONFIRM;
	struct trace_ident id;
	memset(&id, 0, sizeof(id));
	snprintf(id.ca, sizeof(id.ca), "bench");
	snprintf(id.name, sizeof(id.name), "up");
	struct trace_agent_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = "res";
	cfg.store = st;
	cfg.clock.now_ns = fixed_now;
	cfg.clock.ctx = &clock_at;
	cfg.transport.exchange = no_exchange;
	trace_oprf_keygen(cfg.oprf_key);
	struct trace_agent *ag;
	if ((rc = trace_agent_new(&ag, &cfg, &p, 1)) != 0) {
		fprintf(stderr, "bench_trace: agent: %s\n", trace_strerror(rc));
		return 1;
	}
	for (int pass = 0; pass < 2; pass++) {
		uint64_t cands = 0, bytes = 0;
		for (size_t i = 0; i < n; i++) {
			struct trace_request r;
			char *req, *ans;
			size_t len, alen;
			clock_at = at[i];
			trace_request_init(&r, "up", pick[i], NULL, at[i] / 1000000,
			                   at[i] / 1000000, 10, at[i] / 1000000 + 5000);
			if (pass == 0) {
				r.hops = 1;
				r.npath = 1;
				snprintf(r.path[0], sizeof(r.path[0]), "up");
				r.lookback_s = 310;
			}
			struct dh_addr x;
			dh_addr_parse(&x, "192.0.2.1");
			uint8_t blind[TRACE_OPRF_KEY];
			trace_oprf_blind(&x, pick[i], blind, r.blinded);
			r.has_blinded = 1;
			trace_request_encode(&r, &req, &len);
			int64_t w0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
			rc = trace_agent_handle(ag, &id, (const uint8_t *)req, len, &ans, &alen);
			cpu[i] = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
			wall[i] = now_ns(CLOCK_MONOTONIC) - w0;
			if (rc == 0) {
				struct trace_answer a;
				char err[256];
				if (trace_answer_parse((const uint8_t *)ans, alen, &a, err,
				                       sizeof(err)) == 0 &&
				    !a.error)
					cands += a.ncand;
				else
					fprintf(stderr, "bench_trace: error answer (%s): %.200s\n",
					        err, ans);
				trace_answer_release(&a);
				bytes += alen;
			}
			free(req);
			free(ans);
		}
		report(pass == 0 ? "hop" : "first", wall, cpu, n);
		printf("%s_candidates_avg=%.1f %s_answer_bytes_avg=%.0f\n", pass ? "first" : "hop",
		       (double)cands / (double)n, pass ? "first" : "hop",
		       (double)bytes / (double)n);
	}
	trace_agent_free(ag);

	/* The OPRF. */
	uint8_t k[TRACE_OPRF_KEY], r[TRACE_OPRF_KEY], b[32], z[32], tag[32];
	struct dh_addr x;
	dh_addr_parse(&x, "192.0.2.1");
	trace_oprf_keygen(k);
	int64_t ops[4] = {0, 0, 0, 0};
	size_t m = 2000;
	for (size_t i = 0; i < m; i++) {
		int64_t c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
		trace_oprf_blind(&x, "www.example.com", r, b);
		int64_t c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
		trace_oprf_evaluate(k, b, z);
		int64_t c2 = now_ns(CLOCK_THREAD_CPUTIME_ID);
		trace_oprf_tag(k, &x, "www.example.com", tag);
		int64_t c3 = now_ns(CLOCK_THREAD_CPUTIME_ID);
		trace_oprf_finalize(r, &x, "www.example.com", z, tag);
		int64_t c4 = now_ns(CLOCK_THREAD_CPUTIME_ID);
		ops[0] += c1 - c0;
		ops[1] += c2 - c1;
		ops[2] += c3 - c2;
		ops[3] += c4 - c3;
	}
	printf("oprf_blind_us=%.1f oprf_evaluate_us=%.1f oprf_tag_us=%.1f oprf_finalize_us=%.1f\n",
	       (double)ops[0] / (double)m / 1e3, (double)ops[1] / (double)m / 1e3,
	       (double)ops[2] / (double)m / 1e3, (double)ops[3] / (double)m / 1e3);
done:
	store_close(st);
	free(nm.name);
	free(wall);
	free(cpu);
	free(pick);
	free(at);
	return 0;
}
