/*
 * bench_agent.c - the traceback agents' speed over real HTTPS.
 *
 * Usage:
 *   bench_agent stores DIR [EVENTS]
 *       writes DIR/dest.store (an authoritative server's log: resolvers
 *       asking it), DIR/r1.store and DIR/r2.store (two resolvers' logs:
 *       their clients asking), EVENTS background events each (default
 *       1,000,000) around one attack on victim.bench. at T0 + 1800 s.
 *   bench_agent load URL CERT KEY CA THREADS SECONDS [FQDN]
 *       sends trace requests for FQDN (default victim.bench.) from
 *       THREADS threads for SECONDS seconds over kept-alive connections,
 *       and prints the requests' count, rate and latency percentiles.
 *
 * bench/agent/run.sh starts the agents and runs both (BENCHMARKS.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "agent/agent_http.h"
#include "event/event.h"
#include "store/store.h"
#include "trace/trace.h"
#include "util/buf.h"
#include "util/err.h"

#define SEC    1000000000LL
#define T0     (1795305600LL * SEC)
#define ATTACK (T0 + 1800 * SEC)
#define VICTIM "victim.bench."
#define AUTH   "198.51.100.1"
#define R1     "10.0.0.1"
#define R2     "10.0.0.2"
#define NAMES  20000

static uint64_t rng = 88172645463325252ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void query(struct ev_event *ev, int64_t ts, const char *name, const char *src,
                  const char *dst, unsigned role, int rd)
{
	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = ts;
	ev->rtt_ns = -1;
	ev->role = (uint8_t)role;
	ev->transport = EV_TRANSPORT_UDP;
	dh_addr_parse(&ev->src, src);
	dh_addr_parse(&ev->dst, dst);
	ev->sport = (uint16_t)(1024 + next() % 60000);
	ev->dport = 53;
	ev->size = 40;
	ev->msg.id = (uint16_t)next();
	ev->msg.flags = rd ? DNS_FLAG_RD : 0;
	ev->msg.qdcount = 1;
	ev->msg.has_question = 1;
	snprintf(ev->msg.qname, sizeof(ev->msg.qname), "%s", name);
	ev->msg.qname_len = (uint16_t)strlen(ev->msg.qname);
	ev->msg.qtype = DNS_T_A;
	ev->msg.qclass = 1;
}

/* The authoritative answer for the victim, whose TTL the destination
 * agent looks back over. */
static void answer(struct ev_event *ev, int64_t ts, const char *to)
{
	query(ev, ts, VICTIM, AUTH, to, EV_ROLE_AUTH_RESPONSE, 0);
	ev->msg.flags = DNS_FLAG_QR | DNS_FLAG_AA;
	struct dns_rr *rr = &ev->msg.rr[ev->msg.rr_count++];
	memset(rr, 0, sizeof(*rr));
	rr->section = DNS_SEC_ANSWER;
	rr->type = DNS_T_A;
	rr->rclass = 1;
	rr->ttl = 300;
	rr->owner_text = VICTIM;
	rr->data_text = "203.0.113.80";
	ev->msg.ancount = 1;
}

static int put(struct store *s, const struct ev_event *ev)
{
	int rc = store_ingest_add(s, ev);
	if (rc)
		fprintf(stderr, "store: %s\n", dh_strerror(rc));
	return rc;
}

/* One store: background events over an hour, and the traced ones. */
static int make(const char *dir, const char *which, uint64_t n)
{
	char path[4096], name[64], a[64], b[64];
	struct store *s = NULL;
	struct ev_event *ev = malloc(sizeof(*ev));
	uint64_t skip;
	uint8_t key[16] = {0};
	int rc;
	snprintf(path, sizeof(path), "%s/%s.store", dir, which);
	if (!ev || (rc = store_open(&s, path, STORE_CREATE)) != 0) {
		fprintf(stderr, "%s: cannot open\n", path);
		free(ev);
		return 1;
	}
	memcpy(key, which, strlen(which) < 16 ? strlen(which) : 16);
	if ((rc = store_ingest_begin(s, which, key, sizeof(key), &skip)) != 0)
		goto out;
	int dest = strcmp(which, "dest") == 0;
	const char *self = dest ? AUTH : strcmp(which, "r1") == 0 ? R1 : R2;
	for (uint64_t i = 0; i < n && rc == 0; i++) {
		int64_t ts = T0 + (int64_t)(i * 3600ULL * SEC / n);
		snprintf(name, sizeof(name), "host%" PRIu64 ".example%" PRIu64 ".", next() % NAMES,
		         next() % 50);
		if (dest)
			snprintf(a, sizeof(a), "10.1.%u.%u", (unsigned)(next() % 40),
			         (unsigned)(1 + next() % 250));
		else
			snprintf(a, sizeof(a), "10.%u.%u.%u", strcmp(which, "r1") == 0 ? 16 : 17,
			         (unsigned)(next() % 40), (unsigned)(1 + next() % 250));
		query(ev, ts, name, a, self, dest ? EV_ROLE_AUTH_QUERY : EV_ROLE_CLIENT_QUERY,
		      !dest);
		rc = put(s, ev);
	}
	/* The attack: both resolvers fetched the victim's record minutes
	 * before (benign users), bots asked them seconds before. */
	if (dest) {
		for (int k = 0; k < 2 && rc == 0; k++) {
			int64_t ts = ATTACK - (200 + 30 * k) * SEC;
			query(ev, ts, VICTIM, k ? R2 : R1, AUTH, EV_ROLE_AUTH_QUERY, 0);
			if ((rc = put(s, ev)) == 0) {
				answer(ev, ts + SEC / 100, k ? R2 : R1);
				rc = put(s, ev);
			}
		}
	} else {
		unsigned net = strcmp(which, "r1") == 0 ? 16 : 17;
		for (int k = 0; k < 20 && rc == 0; k++) {
			snprintf(b, sizeof(b), "10.%u.200.%d", net, k + 1);
			query(ev, ATTACK - (200 + k) * SEC, VICTIM, b, self, EV_ROLE_CLIENT_QUERY,
			      1);
			rc = put(s, ev);
		}
		for (int k = 0; k < 5 && rc == 0; k++) {
			snprintf(b, sizeof(b), "10.%u.66.%d", net, k + 1);
			query(ev, ATTACK - (2 + k) * SEC, "cc.bad.example.", b, self,
			      EV_ROLE_CLIENT_QUERY, 1);
			if ((rc = put(s, ev)) == 0) {
				query(ev, ATTACK - (1 + k) * SEC / 2, VICTIM, b, self,
				      EV_ROLE_CLIENT_QUERY, 1);
				rc = put(s, ev);
			}
		}
	}
	if (rc == 0)
		rc = store_ingest_end(s);
out:
	if (rc)
		fprintf(stderr, "%s: %s\n", path, dh_strerror(rc));
	store_close(s);
	free(ev);
	return rc ? 1 : 0;
}

struct loader {
	struct agent_client *c;
	const char *url, *fqdn;
	double until;
	double *lat;
	size_t n, cap;
	uint64_t errors;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *load_thread(void *arg)
{
	struct loader *l = arg;
	char err[512];
	while (now_s() < l->until) {
		struct trace_request r;
		char *body = NULL;
		size_t len = 0;
		struct timespec wall;
		clock_gettime(CLOCK_REALTIME, &wall);
		int64_t deadline = (int64_t)wall.tv_sec * 1000 + 10000;
		if (trace_request_init(&r, "bench", l->fqdn, NULL, ATTACK / 1000000,
		                       ATTACK / 1000000, 10, deadline) != 0 ||
		    trace_request_encode(&r, &body, &len) != 0) {
			l->errors++;
			continue;
		}
		struct dh_buf out;
		unsigned code = 0;
		dh_buf_init(&out);
		double t = now_s();
		int rc = agent_client_post(l->c, l->url, body, len, 10000, &code, &out, err,
		                           sizeof(err));
		double dt = now_s() - t;
		free(body);
		if (rc || code != 200 || !out.data || !strstr(out.data, "\"candidates\":[{")) {
			if (l->errors++ < 3)
				fprintf(stderr, "request failed: %d %u %s %.200s\n", rc, code, err,
				        out.data ? out.data : "");
		} else {
			if (l->n == l->cap) {
				l->cap = l->cap ? l->cap * 2 : 4096;
				l->lat = realloc(l->lat, l->cap * sizeof(*l->lat));
				if (!l->lat)
					abort();
			}
			l->lat[l->n++] = dt;
		}
		dh_buf_release(&out);
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int load(int argc, char **argv)
{
	struct agent_client_config cc = {argv[3], argv[4], argv[5], NULL, TRACE_ANSWER_MAX};
	struct agent_client *c = NULL;
	unsigned threads = (unsigned)strtoul(argv[6], NULL, 10);
	double seconds = strtod(argv[7], NULL);
	char url[512];
	snprintf(url, sizeof(url), "%s/v1/trace", argv[2]);
	if (threads == 0 || threads > 64 || agent_client_new(&c, &cc) != 0)
		return 2;
	struct loader *ls = calloc(threads, sizeof(*ls));
	pthread_t *th = calloc(threads, sizeof(*th));
	double start = now_s();
	for (unsigned i = 0; i < threads; i++) {
		ls[i] = (struct loader){
		    c, url, argc > 8 ? argv[8] : VICTIM, start + seconds, NULL, 0, 0, 0};
		pthread_create(&th[i], NULL, load_thread, &ls[i]);
	}
	size_t total = 0;
	uint64_t errors = 0;
	for (unsigned i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		total += ls[i].n;
		errors += ls[i].errors;
	}
	double elapsed = now_s() - start;
	double *all = malloc((total ? total : 1) * sizeof(*all));
	size_t k = 0;
	for (unsigned i = 0; i < threads; i++) {
		memcpy(all + k, ls[i].lat, ls[i].n * sizeof(*all));
		k += ls[i].n;
		free(ls[i].lat);
	}
	qsort(all, total, sizeof(*all), cmp);
#define PCT(p) (total ? all[(size_t)((double)(total - 1) * (p))] * 1000 : 0)
	printf("requests=%zu errors=%" PRIu64 " seconds=%.2f rate=%.0f p50_ms=%.2f p90_ms=%.2f "
	       "p99_ms=%.2f max_ms=%.2f\n",
	       total, errors, elapsed, (double)total / elapsed, PCT(0.50), PCT(0.90), PCT(0.99),
	       PCT(1.0));
	free(all);
	free(ls);
	free(th);
	agent_client_free(c);
	return errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "stores") == 0) {
		uint64_t n = argc > 3 ? strtoull(argv[3], NULL, 10) : 1000000;
		mkdir(argv[2], 0755);
		return make(argv[2], "dest", n) || make(argv[2], "r1", n) || make(argv[2], "r2", n);
	}
	if (argc >= 8 && strcmp(argv[1], "load") == 0)
		return load(argc, argv);
	fprintf(stderr, "usage: bench_agent stores DIR [EVENTS]\n"
	                "       bench_agent load URL CERT KEY CA THREADS SECONDS [FQDN]\n");
	return 2;
}
