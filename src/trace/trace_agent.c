/*
 * trace_agent.c - one traceback agent: what its own server's log says
 * about a name, relaying to the agents below it, ranking, confirmation
 * and C&C lookback (seed 000 sections 4.2-4.5, 6.1, 6.3).
 *
 * Scoring (doc/protocol.md section 6), per end host h found asking for
 * the name in [start - window, end]:
 *   1                      it asked in the window (section 4.2 step 3)
 * + 1 - min(dt, w) / w     dt = seconds between its nearest query and the
 *                          attack's start, w the window: bots resolve the
 *                          victim just before attacking (section 3)
 * + 1 per other traced request (another name, attack within a day) in
 *                          which this agent found h (section 4.4.1)
 * + 1 per further source agent that names h (section 4.4.2, added where
 *                          answers are merged)
 */
#include "trace/trace.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "util/err.h"
#include "util/hash.h"
#include "util/timefmt.h"

#define NS_PER_S  1000000000LL
#define NS_PER_MS 1000000LL

#define HIST_N       128   /* traced requests remembered for section 4.4.1 */
#define HIST_HOSTS   64    /* hosts remembered per request */
#define HIST_SPAN_S  86400 /* a host keeps its address that long, mostly */
#define CC_NAMES     32    /* names per traceback whose rarity is measured */
#define CC_OTHERS    1000  /* distinct other clients counted per name, at most */
#define CC_KEEP      32    /* cc_candidates an agent returns */
#define VICTIM_NAMES 8     /* names traced in victim-IP mode */

struct hist {
	char fqdn[TRACE_NAME_MAX];
	int64_t attack_ms;
	uint32_t n;
	struct dh_addr hosts[HIST_HOSTS];
};

struct trace_agent {
	char name[TRACE_AGENT_MAX + 1];
	struct store *store;
	struct dh_addr servers[TRACE_SERVERS_MAX];
	size_t nservers;
	struct dh_addr *downstream;
	size_t ndownstream;
	int sees_upstream;
	struct trace_clock clock;
	struct trace_transport transport;
	uint8_t key[TRACE_OPRF_KEY];
	uint32_t default_lookback_s, max_lookback_s, cc_lookback_s;
	unsigned cc_bots;
	size_t max_answer;
	struct trace_peer *peers;
	size_t npeers;
	struct hist hist[HIST_N];
	size_t hist_next, hist_n;
	struct trace_agent_stats st;
};

/* ---- life cycle ---- */

int trace_agent_set_peers(struct trace_agent *ag, const struct trace_peer *peers, size_t n)
{
	struct trace_peer *p = NULL;
	if (n) {
		p = calloc(n, sizeof(*p));
		if (!p)
			return -ENOMEM;
		memcpy(p, peers, n * sizeof(*p));
		for (size_t i = 0; i < n; i++) {
			p[i].tokens = 0;
			p[i].bucket_ns = 0;
		}
	}
	free(ag->peers);
	ag->peers = p;
	ag->npeers = n;
	return 0;
}

int trace_agent_new(struct trace_agent **out, const struct trace_agent_config *cfg,
                    const struct trace_peer *peers, size_t npeers)
{
	if (!cfg->name || !cfg->store || !cfg->clock.now_ns || !cfg->transport.exchange ||
	    cfg->nservers > TRACE_SERVERS_MAX || strlen(cfg->name) > TRACE_AGENT_MAX ||
	    cfg->name[0] == '\0')
		return DH_EUSAGE;
	if (sodium_init() < 0)
		return TRACE_EINTERNAL;
	struct trace_agent *ag = calloc(1, sizeof(*ag));
	if (!ag)
		return -ENOMEM;
	snprintf(ag->name, sizeof(ag->name), "%s", cfg->name);
	ag->store = cfg->store;
	if (cfg->nservers)
		memcpy(ag->servers, cfg->servers, cfg->nservers * sizeof(*cfg->servers));
	ag->nservers = cfg->nservers;
	if (cfg->ndownstream) {
		ag->downstream = calloc(cfg->ndownstream, sizeof(*ag->downstream));
		if (!ag->downstream) {
			free(ag);
			return -ENOMEM;
		}
		memcpy(ag->downstream, cfg->downstream,
		       cfg->ndownstream * sizeof(*cfg->downstream));
		ag->ndownstream = cfg->ndownstream;
	}
	ag->sees_upstream = cfg->sees_upstream;
	ag->clock = cfg->clock;
	ag->transport = cfg->transport;
	memcpy(ag->key, cfg->oprf_key, sizeof(ag->key));
	ag->default_lookback_s = cfg->default_lookback_s ? cfg->default_lookback_s : 7200;
	ag->max_lookback_s = cfg->max_lookback_s ? cfg->max_lookback_s : 86400;
	ag->cc_lookback_s = cfg->cc_lookback_s ? cfg->cc_lookback_s : 3600;
	ag->cc_bots = cfg->cc_bots ? cfg->cc_bots : 16;
	ag->max_answer = cfg->max_candidates ? cfg->max_candidates : 500;
	if (ag->max_answer > TRACE_CAND_MAX)
		ag->max_answer = TRACE_CAND_MAX;
	int rc = trace_agent_set_peers(ag, peers, npeers);
	if (rc) {
		trace_agent_free(ag);
		return rc;
	}
	*out = ag;
	return 0;
}

void trace_agent_free(struct trace_agent *ag)
{
	if (!ag)
		return;
	sodium_memzero(ag->key, sizeof(ag->key));
	free(ag->peers);
	free(ag->downstream);
	free(ag);
}

void trace_agent_stats(const struct trace_agent *ag, struct trace_agent_stats *st)
{
	*st = ag->st;
}

int trace_request_init(struct trace_request *r, const char *originator, const char *fqdn,
                       const struct dh_addr *victim, int64_t start_ms, int64_t end_ms,
                       uint32_t window_s, int64_t deadline_ms)
{
	uint8_t id[16];
	memset(r, 0, sizeof(*r));
	if (sodium_init() < 0)
		return TRACE_EINTERNAL;
	r->version = TRACE_VERSION;
	r->kind = TRACE_KIND_TRACE;
	randombytes_buf(id, sizeof(id));
	for (size_t i = 0; i < sizeof(id); i++)
		snprintf(r->request_id + 2 * i, 3, "%02x", id[i]);
	if (!originator || strlen(originator) > TRACE_AGENT_MAX)
		return TRACE_EBADREQ;
	snprintf(r->originator, sizeof(r->originator), "%s", originator);
	r->max_hops = 4;
	r->deadline_ms = deadline_ms;
	if (fqdn) {
		if (trace_name_norm(fqdn, r->fqdn) != 0)
			return TRACE_EBADREQ;
	} else if (victim) {
		r->victim = *victim;
	} else {
		return TRACE_EBADREQ;
	}
	r->attack_start_ms = start_ms;
	r->attack_end_ms = end_ms < start_ms ? start_ms : end_ms;
	r->window_s = window_s ? window_s : 10;
	return 0;
}

/* ---- small helpers ---- */

/* sort() with an empty (possibly NULL) array is undefined; this is not. */
static void sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

static int is_own(const struct trace_agent *ag, const struct dh_addr *a)
{
	for (size_t i = 0; i < ag->nservers; i++)
		if (dh_addr_equal(&ag->servers[i], a))
			return 1;
	return 0;
}

static int is_downstream(const struct trace_agent *ag, const struct dh_addr *a)
{
	for (size_t i = 0; i < ag->ndownstream; i++)
		if (dh_addr_equal(&ag->downstream[i], a))
			return 1;
	return 0;
}

/* An open-addressing set of addresses, for distinct counts. */
struct aset {
	struct dh_addr *slot;
	size_t cap, n;
};

static uint64_t addr_hash(const struct dh_addr *a)
{
	return dh_hash64(a->a, sizeof(a->a), a->family);
}

/* Returns 1 when added, 0 when present, -ENOMEM. */
static int aset_add(struct aset *s, const struct dh_addr *a)
{
	if (s->n * 2 >= s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		struct dh_addr *ns = calloc(ncap, sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		for (size_t i = 0; i < s->cap; i++)
			if (s->slot[i].family) {
				size_t j = addr_hash(&s->slot[i]) & (ncap - 1);
				while (ns[j].family)
					j = (j + 1) & (ncap - 1);
				ns[j] = s->slot[i];
			}
		free(s->slot);
		s->slot = ns;
		s->cap = ncap;
	}
	size_t j = addr_hash(a) & (s->cap - 1);
	while (s->slot[j].family) {
		if (dh_addr_equal(&s->slot[j], a))
			return 0;
		j = (j + 1) & (s->cap - 1);
	}
	s->slot[j] = *a;
	s->n++;
	return 1;
}

static int aset_has(const struct aset *s, const struct dh_addr *a)
{
	if (!s->cap)
		return 0;
	size_t j = addr_hash(a) & (s->cap - 1);
	while (s->slot[j].family) {
		if (dh_addr_equal(&s->slot[j], a))
			return 1;
		j = (j + 1) & (s->cap - 1);
	}
	return 0;
}

static void aset_release(struct aset *s)
{
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

/* ---- the local lookup: who asked this server for the name ---- */

enum host_kind {
	HOST_END = 0,     /* an end host: candidate */
	HOST_PEER = 1,    /* a downstream server with an agent: relay */
	HOST_NOAGENT = 2, /* a downstream server without one: unreached */
};

struct host {
	struct dh_addr addr;
	int kind; /* enum host_kind */
	int peer; /* index in the peer table for HOST_PEER */
	uint32_t queries;
	int64_t first_ns, last_ns, nearest_dt_ns;
	unsigned nev, ev_next;
	struct trace_evidence ev[TRACE_EVIDENCE_MAX];
	int64_t ev_ns[TRACE_EVIDENCE_MAX];
};

struct scan {
	struct trace_agent *ag;
	int64_t start_ns, window_lo_ns;
	struct host *h;
	size_t n, cap;
	uint32_t *idx; /* open-addressing index into h: slot = i + 1, 0 = empty */
	size_t idx_cap;
	int64_t *up; /* this server's own upstream queries for the name */
	size_t nup, capup;
	int err;
};

/* Rebuilds the index at twice the hosts' capacity. */
static int host_reindex(struct scan *s)
{
	size_t cap = s->cap * 2;
	uint32_t *idx = calloc(cap, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		size_t j = addr_hash(&s->h[i].addr) & (cap - 1);
		while (idx[j])
			j = (j + 1) & (cap - 1);
		idx[j] = (uint32_t)i + 1;
	}
	free(s->idx);
	s->idx = idx;
	s->idx_cap = cap;
	return 0;
}

static struct host *host_get(struct scan *s, const struct dh_addr *a, int kind, int peer)
{
	size_t slot = 0;
	if (s->idx_cap) {
		slot = addr_hash(a) & (s->idx_cap - 1);
		while (s->idx[slot]) {
			struct host *h = &s->h[s->idx[slot] - 1];
			if (dh_addr_equal(&h->addr, a))
				return h;
			slot = (slot + 1) & (s->idx_cap - 1);
		}
	}
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 32;
		if (ncap > TRACE_CAND_MAX * 2)
			return NULL;
		struct host *nh = realloc(s->h, ncap * sizeof(*nh));
		if (!nh) {
			s->err = -ENOMEM;
			return NULL;
		}
		s->h = nh;
		s->cap = ncap;
		if (host_reindex(s) != 0) {
			s->err = -ENOMEM;
			return NULL;
		}
		slot = addr_hash(a) & (s->idx_cap - 1);
		while (s->idx[slot])
			slot = (slot + 1) & (s->idx_cap - 1);
	}
	s->idx[slot] = (uint32_t)s->n + 1;
	struct host *h = &s->h[s->n++];
	memset(h, 0, sizeof(*h));
	h->addr = *a;
	h->kind = kind;
	h->peer = peer;
	h->nearest_dt_ns = INT64_MAX;
	return h;
}

static int scan_cb(void *ctx, const struct ev_event *ev)
{
	struct scan *s = ctx;
	struct trace_agent *ag = s->ag;
	if (dns_msg_is_response(&ev->msg) || !ev->msg.has_question)
		return 0;
	if (is_own(ag, &ev->src) || ev->role == EV_ROLE_RESOLVER_QUERY ||
	    ev->role == EV_ROLE_FORWARDER_QUERY) {
		/* This server asking upstream: the evidence of a cache miss. */
		if (s->nup == s->capup) {
			size_t ncap = s->capup ? s->capup * 2 : 64;
			int64_t *nu = realloc(s->up, ncap * sizeof(*nu));
			if (!nu) {
				s->err = -ENOMEM;
				return 1;
			}
			s->up = nu;
			s->capup = ncap;
		}
		s->up[s->nup++] = ev->ts_ns;
		return 0;
	}
	/* A query to another server is not this server's client's; one
	 * with no destination comes from a log that does not name the
	 * server it is the log of (dnsmasq's), so it is to this server. */
	if (ag->nservers && ev->dst.family != DH_AF_NONE && !is_own(ag, &ev->dst))
		return 0;
	int peer = trace_peer_by_server(ag->peers, ag->npeers, &ev->src);
	int kind = HOST_END;
	if (peer >= 0)
		kind = HOST_PEER;
	else if (is_downstream(ag, &ev->src) || !(ev->msg.flags & DNS_FLAG_RD))
		/* A query without RD is iterative: a resolver asking. */
		kind = HOST_NOAGENT;
	/* Section 6.1: a resolver or forwarder answers from its cache for up
	 * to the TTL, so its query may be that old; an end host asks just
	 * before attacking, so only the short window counts for it. */
	if (kind == HOST_END && ev->ts_ns < s->window_lo_ns)
		return 0;
	struct host *h = host_get(s, &ev->src, kind, peer);
	if (!h)
		return s->err ? 1 : 0;
	if (h->queries == 0)
		h->first_ns = ev->ts_ns;
	h->queries++;
	h->last_ns = ev->ts_ns;
	int64_t dt = ev->ts_ns - s->start_ns;
	if (dt < 0)
		dt = -dt;
	if (dt < h->nearest_dt_ns)
		h->nearest_dt_ns = dt;
	/* Keep the last TRACE_EVIDENCE_MAX queries: the ones nearest the
	 * attack for a host that asks before it. */
	unsigned slot = h->ev_next++ % TRACE_EVIDENCE_MAX;
	struct trace_evidence *e = &h->ev[slot];
	e->ts_ms = ev->ts_ns / NS_PER_MS;
	e->qtype = ev->msg.qtype;
	e->cached = -1;
	snprintf(e->agent, sizeof(e->agent), "%s", ag->name);
	h->ev_ns[slot] = ev->ts_ns;
	if (h->nev < TRACE_EVIDENCE_MAX)
		h->nev++;
	return 0;
}

/* Was the end host's query at t served from the cache? Only known when
 * this server's own upstream queries are in its log. */
static int8_t cached_at(const struct scan *s, int64_t t)
{
	if (!s->ag->sees_upstream)
		return -1;
	for (size_t i = 0; i < s->nup; i++)
		if (s->up[i] >= t - NS_PER_S && s->up[i] <= t + 5 * NS_PER_S)
			return 0;
	return 1;
}

/* Longest TTL of name's answers in this server's log. */
struct ttl_scan {
	uint32_t max;
	uint64_t seen;
};

static int ttl_cb(void *ctx, const struct ev_event *ev)
{
	struct ttl_scan *t = ctx;
	if (!dns_msg_is_response(&ev->msg))
		return 0;
	for (unsigned i = 0; i < ev->msg.rr_count && i < DNS_RR_MAX; i++) {
		const struct dns_rr *rr = &ev->msg.rr[i];
		if (rr->section != DNS_SEC_ANSWER || rr->type == DNS_T_OPT)
			continue;
		t->seen++;
		if (rr->ttl > t->max)
			t->max = rr->ttl;
	}
	return 0;
}

static int lookback_for(struct trace_agent *ag, const struct trace_request *r, const char *name,
                        uint32_t *lookback, char *why, size_t whylen)
{
	if (r->lookback_s) {
		*lookback = r->lookback_s;
		snprintf(why, whylen, "as the requesting agent decided");
		return 0;
	}
	struct ttl_scan t = {0, 0};
	struct store_query q;
	memset(&q, 0, sizeof(q));
	q.qname = name;
	q.since_ns = r->attack_start_ms * NS_PER_MS - (int64_t)ag->max_lookback_s * NS_PER_S;
	q.until_ns = r->attack_end_ms * NS_PER_MS + NS_PER_S;
	int rc = store_query_run(ag->store, &q, ttl_cb, &t);
	if (rc < 0 && rc != DH_ECORRUPT)
		return rc;
	if (t.seen) {
		uint32_t ttl = t.max > ag->max_lookback_s ? ag->max_lookback_s : t.max;
		*lookback = ttl + r->window_s;
		snprintf(why, whylen,
		         "the longest TTL of %s in %s's answers is %" PRIu32
		         " s%s, plus the %" PRIu32 " s window: caches may have held it that long "
		         "(seed 000 6.1)",
		         name, ag->name, t.max, t.max > ag->max_lookback_s ? " (capped)" : "",
		         r->window_s);
	} else {
		*lookback = ag->default_lookback_s + r->window_s;
		snprintf(why, whylen,
		         "no answer for %s in %s's log; assumed the usual cache time of %" PRIu32
		         " s (seed 000 6.1) plus the %" PRIu32 " s window",
		         name, ag->name, ag->default_lookback_s, r->window_s);
	}
	return 0;
}

/* ---- section 4.4.1: hosts common to several traced requests ---- */

static uint32_t hist_matches(const struct trace_agent *ag, const struct trace_request *r,
                             const char *name, const struct dh_addr *a)
{
	uint32_t k = 0;
	for (size_t i = 0; i < ag->hist_n; i++) {
		const struct hist *h = &ag->hist[i];
		int64_t d = h->attack_ms - r->attack_start_ms;
		if (strcmp(h->fqdn, name) == 0 || d > HIST_SPAN_S * 1000LL ||
		    d < -HIST_SPAN_S * 1000LL)
			continue;
		for (uint32_t j = 0; j < h->n; j++)
			if (dh_addr_equal(&h->hosts[j], a)) {
				k++;
				break;
			}
	}
	return k;
}

static void hist_add(struct trace_agent *ag, const struct trace_request *r, const char *name,
                     const struct scan *s)
{
	/* The same request arriving twice (two paths) is one request. */
	for (size_t i = 0; i < ag->hist_n; i++)
		if (strcmp(ag->hist[i].fqdn, name) == 0 &&
		    ag->hist[i].attack_ms == r->attack_start_ms)
			return;
	struct hist *h = &ag->hist[ag->hist_next];
	ag->hist_next = (ag->hist_next + 1) % HIST_N;
	if (ag->hist_n < HIST_N)
		ag->hist_n++;
	memset(h, 0, sizeof(*h));
	snprintf(h->fqdn, sizeof(h->fqdn), "%s", name);
	h->attack_ms = r->attack_start_ms;
	for (size_t i = 0; i < s->n && h->n < HIST_HOSTS; i++)
		if (s->h[i].kind == HOST_END)
			h->hosts[h->n++] = s->h[i].addr;
}

/* ---- candidates ---- */

static int cand_cmp(const void *x, const void *y)
{
	const struct trace_candidate *a = x, *b = y;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return strcmp(a->host, b->host);
}

static int local_candidates(struct trace_agent *ag, const struct trace_request *r, const char *name,
                            struct scan *s, struct trace_answer *out)
{
	double w = (double)r->window_s;
	for (size_t i = 0; i < s->n; i++) {
		struct host *h = &s->h[i];
		if (h->kind != HOST_END)
			continue;
		struct trace_candidate *c;
		int rc = trace_answer_add_cand(out, &c);
		if (rc == TRACE_ETOOBIG) {
			trace_answer_add_warning(out, "candidate list truncated at its limit");
			return 0;
		}
		if (rc)
			return rc;
		dh_addr_format(&h->addr, c->host, sizeof(c->host));
		for (unsigned p = 0; p < r->npath; p++)
			memcpy(c->path[p], r->path[p], sizeof(c->path[p]));
		c->npath = r->npath;
		snprintf(c->path[c->npath++], sizeof(c->path[0]), "%s", ag->name);
		/* Evidence oldest first. */
		unsigned first = h->nev < TRACE_EVIDENCE_MAX ? 0 : h->ev_next % TRACE_EVIDENCE_MAX;
		for (unsigned k = 0; k < h->nev; k++) {
			unsigned j = (first + k) % TRACE_EVIDENCE_MAX;
			c->evidence[k] = h->ev[j];
			c->evidence[k].cached = cached_at(s, h->ev_ns[j]);
		}
		c->nevidence = h->nev;
		c->queries = h->queries;
		c->resolvers = 1;
		double dt = (double)h->nearest_dt_ns / 1e9;
		double prox = 1.0 - (dt < w ? dt : w) / w;
		c->score = 1.0 + prox;
		trace_cand_reason(c,
		                  "asked %s for %s %" PRIu32 " time(s) in the %" PRIu32
		                  " s window (seed 000 4.2)",
		                  ag->name, name, h->queries, r->window_s);
		trace_cand_reason(c, "nearest query %.3f s %s the attack's start", dt,
		                  h->last_ns <= s->start_ns ? "before" : "from");
		uint32_t k = hist_matches(ag, r, name, &h->addr);
		c->requests = 1 + k;
		if (k) {
			c->score += (double)k;
			trace_cand_reason(c,
			                  "also found in %" PRIu32 " other traced request(s) "
			                  "within a day at %s (seed 000 4.4.1)",
			                  k, ag->name);
		}
	}
	return 0;
}

/* Merges a relayed answer's candidate into out (section 4.4.2). */
static int merge_cand(struct trace_answer *out, const struct trace_candidate *in)
{
	for (size_t i = 0; i < out->ncand; i++) {
		struct trace_candidate *c = &out->cand[i];
		if (strcmp(c->host, in->host) != 0)
			continue;
		/* The same host named again through another path. */
		int same_agent = c->npath && in->npath &&
		                 strcmp(c->path[c->npath - 1], in->path[in->npath - 1]) == 0;
		if (same_agent)
			return 0;
		c->resolvers += in->resolvers;
		c->queries += in->queries;
		if (in->requests > c->requests)
			c->requests = in->requests;
		c->score = (c->score > in->score ? c->score : in->score) + 1.0;
		for (unsigned k = 0; k < in->nevidence && c->nevidence < TRACE_EVIDENCE_MAX; k++)
			c->evidence[c->nevidence++] = in->evidence[k];
		char via[TRACE_REASON_LEN];
		snprintf(via, sizeof(via), "named by %" PRIu32 " source agents (seed 000 4.4.2)",
		         c->resolvers);
		unsigned r = 0;
		for (; r < c->nreasons; r++)
			if (strstr(c->reasons[r], "source agents (seed 000 4.4.2)"))
				break;
		if (r < c->nreasons)
			memcpy(c->reasons[r], via, sizeof(via));
		else
			trace_cand_reason(c, "%s", via);
		return 0;
	}
	struct trace_candidate *c;
	int rc = trace_answer_add_cand(out, &c);
	if (rc == TRACE_ETOOBIG)
		return trace_answer_add_warning(out, "candidate list truncated at its limit");
	if (rc)
		return rc;
	*c = *in;
	return 0;
}

/* ---- section 6.3: names the traced bots resolved before the attack ---- */

struct cc_name {
	char name[TRACE_NAME_MAX];
	uint32_t bots;
	uint32_t others;
	uint32_t queries; /* the bots' queries for it */
	double weight;    /* sum of the bots' weights */
	int last_bot;     /* index of the last bot counted, to count each once */
};

/* Names a C&C lookback keeps, and the slots of their hash index (twice
 * as many, a power of two). */
#define CC_SCAN_MAX   4096
#define CC_SCAN_SLOTS 8192

struct cc_scan {
	const struct trace_agent *ag;
	const char *traced;
	struct cc_name *names;
	size_t n, cap;
	/* Owned; CC_SCAN_SLOTS entries of index + 1 into names, 0 empty. The
	 * bots' hour of queries met each name by a linear search before,
	 * most of a hop's CPU after the store's own. */
	uint32_t *slot;
	int bot;
	double bot_weight;
	int err;
};

static int cc_bot_cb(void *ctx, const struct ev_event *ev)
{
	struct cc_scan *s = ctx;
	if (dns_msg_is_response(&ev->msg) || !ev->msg.has_question ||
	    strcmp(ev->msg.qname, s->traced) == 0 || ev->msg.qname_len >= TRACE_NAME_MAX)
		return 0;
	if (!s->slot && !(s->slot = calloc(CC_SCAN_SLOTS, sizeof(*s->slot)))) {
		s->err = -ENOMEM;
		return 1;
	}
	size_t j = dh_hash64(ev->msg.qname, ev->msg.qname_len, 0) & (CC_SCAN_SLOTS - 1);
	for (; s->slot[j]; j = (j + 1) & (CC_SCAN_SLOTS - 1)) {
		struct cc_name *c = &s->names[s->slot[j] - 1];
		if (strcmp(c->name, ev->msg.qname) != 0)
			continue;
		c->queries++;
		if (c->last_bot != s->bot) {
			c->bots++;
			c->weight += s->bot_weight;
			c->last_bot = s->bot;
		}
		return 0;
	}
	if (s->n >= CC_SCAN_MAX)
		return 0;
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		struct cc_name *nn = realloc(s->names, ncap * sizeof(*nn));
		if (!nn) {
			s->err = -ENOMEM;
			return 1;
		}
		s->names = nn;
		s->cap = ncap;
	}
	struct cc_name *c = &s->names[s->n++];
	memset(c, 0, sizeof(*c));
	memcpy(c->name, ev->msg.qname, ev->msg.qname_len + 1u);
	c->bots = 1;
	c->queries = 1;
	c->weight = s->bot_weight;
	c->last_bot = s->bot;
	s->slot[j] = (uint32_t)s->n;
	return 0;
}

struct cc_other {
	const struct trace_agent *ag;
	const struct aset *bots;
	struct aset seen;
	int err;
};

static int cc_other_cb(void *ctx, const struct ev_event *ev)
{
	struct cc_other *o = ctx;
	if (dns_msg_is_response(&ev->msg) || is_own(o->ag, &ev->src) || aset_has(o->bots, &ev->src))
		return 0;
	if (aset_add(&o->seen, &ev->src) < 0) {
		o->err = -ENOMEM;
		return 1;
	}
	return o->seen.n >= CC_OTHERS ? 1 : 0;
}

/*
 * A name's score: the summed weight of the traced bots that resolved it
 * (each bot weighs its candidate score over the best candidate's, so a
 * likely bot counts more than a benign host that happened to ask), over
 * one plus the other clients that resolved it in the same hour: common
 * among the bots, rare among everyone else (seed 000 6.3). A bot asks
 * its C&C name again at every contact (seed 000 section 3, Fig. 2:
 * every active bot resolved its C&C server), so the weight grows with
 * the log of the queries per bot: when each bot has a C&C name of its
 * own, repetition is what tells it from a site visited once.
 */
static double cc_score(double weight, uint32_t others)
{
	return weight / (1.0 + (double)others);
}

static double cc_weight(double weight, uint32_t queries, uint32_t bots)
{
	double per = bots ? (double)queries / (double)bots : 1.0;
	return weight * (1.0 + log2(per < 1.0 ? 1.0 : per));
}

static int cc_rank_cmp(const void *x, const void *y)
{
	const struct cc_name *a = x, *b = y;
	double wa = cc_weight(a->weight, a->queries, a->bots);
	double wb = cc_weight(b->weight, b->queries, b->bots);
	if (wa != wb)
		return wa > wb ? -1 : 1;
	return strcmp(a->name, b->name);
}

static int cc_cmp(const void *x, const void *y)
{
	const struct trace_cc *a = x, *b = y;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return strcmp(a->name, b->name);
}

static int cc_lookback(struct trace_agent *ag, const struct trace_request *r, const char *name,
                       const struct trace_candidate *cand, size_t ncand, struct trace_answer *out)
{
	struct cc_scan s;
	struct aset bots;
	struct store_query q;
	int rc = 0;
	memset(&s, 0, sizeof(s));
	memset(&bots, 0, sizeof(bots));
	s.ag = ag;
	s.traced = name;
	int64_t start = r->attack_start_ms * NS_PER_MS;
	size_t nb = ncand < ag->cc_bots ? ncand : ag->cc_bots;
	for (size_t i = 0; i < nb; i++) {
		struct dh_addr a;
		if (dh_addr_parse(&a, cand[i].host) != 0)
			continue;
		if ((rc = aset_add(&bots, &a)) < 0)
			goto out;
		memset(&q, 0, sizeof(q));
		q.client = a;
		q.since_ns = start - (int64_t)ag->cc_lookback_s * NS_PER_S;
		q.until_ns = start;
		s.bot = (int)i;
		s.bot_weight = cand[0].score > 0 ? cand[i].score / cand[0].score : 1.0;
		rc = store_query_brief(ag->store, &q, cc_bot_cb, &s);
		if (s.err) {
			rc = s.err;
			goto out;
		}
		if (rc < 0 && rc != DH_ECORRUPT)
			goto out;
	}
	rc = 0;
	sort(s.names, s.n, sizeof(*s.names), cc_rank_cmp);
	size_t nn = s.n < CC_NAMES ? s.n : CC_NAMES;
	for (size_t i = 0; i < nn; i++) {
		struct cc_other o;
		memset(&o, 0, sizeof(o));
		o.ag = ag;
		o.bots = &bots;
		memset(&q, 0, sizeof(q));
		q.qname = s.names[i].name;
		q.since_ns = start - (int64_t)ag->cc_lookback_s * NS_PER_S;
		q.until_ns = start;
		rc = store_query_brief(ag->store, &q, cc_other_cb, &o);
		s.names[i].others = (uint32_t)o.seen.n;
		aset_release(&o.seen);
		if (o.err) {
			rc = o.err;
			goto out;
		}
		if (rc < 0 && rc != DH_ECORRUPT)
			goto out;
		rc = 0;
	}
	struct trace_cc tmp[CC_NAMES];
	for (size_t i = 0; i < nn; i++) {
		memcpy(tmp[i].name, s.names[i].name, sizeof(tmp[i].name));
		tmp[i].bots = s.names[i].bots;
		tmp[i].others = s.names[i].others;
		tmp[i].queries = s.names[i].queries;
		tmp[i].score =
		    cc_score(cc_weight(s.names[i].weight, s.names[i].queries, s.names[i].bots),
		             tmp[i].others);
	}
	sort(tmp, nn, sizeof(tmp[0]), cc_cmp);
	for (size_t i = 0; i < nn && i < CC_KEEP; i++) {
		struct trace_cc *c;
		if ((rc = trace_answer_add_cc(out, &c)) != 0)
			break;
		*c = tmp[i];
	}
	if (rc == TRACE_ETOOBIG)
		rc = 0;
out:
	aset_release(&bots);
	free(s.names);
	free(s.slot);
	return rc;
}

static int merge_cc(struct trace_answer *out, const struct trace_cc *in)
{
	for (size_t i = 0; i < out->ncc; i++)
		if (strcmp(out->cc[i].name, in->name) == 0) {
			/* Recover each side's weight from score and others. */
			double w = out->cc[i].score * (1.0 + out->cc[i].others) +
			           in->score * (1.0 + in->others);
			out->cc[i].bots += in->bots;
			out->cc[i].others += in->others;
			out->cc[i].queries += in->queries;
			out->cc[i].score = cc_score(w, out->cc[i].others);
			return 0;
		}
	struct trace_cc *c;
	int rc = trace_answer_add_cc(out, &c);
	if (rc == 0)
		*c = *in;
	return rc == TRACE_ETOOBIG ? 0 : rc;
}

/* ---- section 4.5: the confirmation data ---- */

static int tag_cmp(const void *x, const void *y)
{
	return memcmp(x, y, TRACE_OPRF_BYTES);
}

static int confirmation(struct trace_agent *ag, const struct trace_request *r, const char *name,
                        const struct scan *s, struct trace_answer *out)
{
	struct trace_confirmation *c;
	size_t real = 0;
	for (size_t i = 0; i < s->n; i++)
		real += s->h[i].kind == HOST_END;
	/* Padding to a multiple of 8 (at least 8) with random tags hides the
	 * exact number of clients that asked (doc/privacy.md). */
	size_t n = (real + 8) & ~(size_t)7;
	if (n > TRACE_TAGS_MAX) {
		n = TRACE_TAGS_MAX;
		trace_answer_add_warning(out, "more clients asked than confirmation tags fit; a "
		                              "\"spoofed\" verdict may be wrong");
	}
	int rc = trace_answer_add_conf(out, &c);
	if (rc)
		return rc == TRACE_ETOOBIG ? 0 : rc;
	snprintf(c->agent, sizeof(c->agent), "%s", ag->name);
	if ((rc = trace_oprf_evaluate(ag->key, r->blinded, c->evaluated)) != 0)
		return rc;
	c->tags = calloc(n, TRACE_OPRF_BYTES);
	if (!c->tags)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < s->n && k < n; i++)
		if (s->h[i].kind == HOST_END &&
		    trace_oprf_tag(ag->key, &s->h[i].addr, name, c->tags[k]) == 0)
			k++;
	for (; k < n; k++)
		randombytes_buf(c->tags[k], TRACE_OPRF_BYTES);
	c->ntags = n;
	sort(c->tags, n, TRACE_OPRF_BYTES, tag_cmp);
	return 0;
}

/* ---- relaying (sections 4.2 step 2, 4.3) ---- */

static int on_path(const struct trace_request *r, const char *name)
{
	if (strcmp(r->originator, name) == 0)
		return 1;
	for (unsigned i = 0; i < r->npath; i++)
		if (strcmp(r->path[i], name) == 0)
			return 1;
	return 0;
}

static void merge_answer(struct trace_answer *out, const struct trace_peer *p,
                         struct trace_answer *in)
{
	char buf[TRACE_TEXT_MAX];
	for (size_t i = 0; i < in->ncand; i++)
		merge_cand(out, &in->cand[i]);
	for (size_t i = 0; i < in->ncc; i++)
		merge_cc(out, &in->cc[i]);
	for (size_t i = 0; i < in->nunreached; i++)
		trace_answer_add_unreached(out, in->unreached[i].agent, in->unreached[i].reason,
		                           in->unreached[i].detail);
	for (size_t i = 0; i < in->nwarnings; i++) {
		if (strncmp(in->warnings[i], p->name, strlen(p->name)) == 0 ||
		    strchr(in->warnings[i], ':'))
			snprintf(buf, sizeof(buf), "%s", in->warnings[i]);
		else
			snprintf(buf, sizeof(buf), "%s: %s", p->name, in->warnings[i]);
		trace_answer_add_warning(out, buf);
	}
	for (size_t i = 0; i < in->nconf; i++) {
		struct trace_confirmation *c;
		if (trace_answer_add_conf(out, &c) != 0)
			break;
		*c = in->conf[i];
		in->conf[i].tags = NULL; /* moved */
		in->conf[i].ntags = 0;
	}
	if (in->hops > out->hops)
		out->hops = in->hops;
}

static int relay(struct trace_agent *ag, const struct trace_request *r, const char *name,
                 uint32_t lookback, const struct scan *s, struct trace_answer *out)
{
	struct trace_call calls[TRACE_LIST_MAX];
	char *reqs[TRACE_LIST_MAX];
	int peers[TRACE_LIST_MAX];
	size_t n = 0;
	int rc = 0;
	char detail[TRACE_TEXT_MAX], addr[DH_ADDR_TEXT_MAX];

	for (size_t i = 0; i < s->n; i++) {
		const struct host *h = &s->h[i];
		dh_addr_format(&h->addr, addr, sizeof(addr));
		if (h->kind == HOST_NOAGENT) {
			snprintf(detail, sizeof(detail),
			         "resolver or forwarder %s asked %s for %s; no agent speaks for it",
			         addr, ag->name, name);
			trace_answer_add_unreached(out, addr, "no_agent", detail);
			ag->st.unreached++;
			continue;
		}
		if (h->kind != HOST_PEER)
			continue;
		const struct trace_peer *p = &ag->peers[h->peer];
		int dup = 0;
		for (size_t k = 0; k < n; k++)
			dup |= peers[k] == h->peer;
		if (dup)
			continue;
		if (on_path(r, p->name) || strcmp(p->name, ag->name) == 0) {
			snprintf(detail, sizeof(detail), "%s (%s) is already on the path", p->name,
			         addr);
			trace_answer_add_unreached(out, p->name, "loop", detail);
			continue;
		}
		if (r->hops + 1 > r->max_hops || r->npath + 1 > TRACE_PATH_MAX) {
			snprintf(detail, sizeof(detail), "relaying to %s would exceed %u hops",
			         p->name, r->max_hops);
			trace_answer_add_unreached(out, p->name, "hop_limit", detail);
			ag->st.unreached++;
			continue;
		}
		if (n == TRACE_LIST_MAX) {
			trace_answer_add_warning(out, "too many downstream agents; some not asked");
			break;
		}
		struct trace_request sub = *r;
		snprintf(sub.path[sub.npath++], sizeof(sub.path[0]), "%s", ag->name);
		sub.hops = r->hops + 1;
		snprintf(sub.fqdn, sizeof(sub.fqdn), "%s", name);
		sub.victim.family = DH_AF_NONE;
		sub.lookback_s = lookback;
		int64_t now_ms = ag->clock.now_ns(ag->clock.ctx) / NS_PER_MS;
		/* Keep a quarter of the time left for merging and answering. */
		sub.deadline_ms = now_ms + (r->deadline_ms - now_ms) * 3 / 4;
		if (sub.deadline_ms <= now_ms)
			sub.deadline_ms = now_ms + 1;
		memset(&calls[n], 0, sizeof(calls[n]));
		reqs[n] = NULL;
		if ((rc = trace_request_encode(&sub, &reqs[n], &calls[n].req_len)) != 0)
			goto out;
		calls[n].req = reqs[n];
		calls[n].peer = p;
		peers[n] = h->peer;
		n++;
	}
	if (n == 0)
		return 0;
	int64_t deadline_ns = r->deadline_ms * NS_PER_MS;
	ag->transport.exchange(ag->transport.ctx, calls, n, deadline_ns * 1 / 1);
	ag->st.relayed += n;
	for (size_t i = 0; i < n; i++) {
		const struct trace_peer *p = calls[i].peer;
		if (calls[i].rc != 0) {
			trace_answer_add_unreached(out, p->name, trace_code_name(calls[i].rc),
			                           calls[i].detail);
			ag->st.unreached++;
			continue;
		}
		struct trace_answer in;
		char err[TRACE_TEXT_MAX];
		int prc = trace_answer_parse((const uint8_t *)calls[i].ans, calls[i].ans_len, &in,
		                             err, sizeof(err));
		if (prc != 0) {
			snprintf(detail, sizeof(detail), "unreadable answer: %.200s", err);
			trace_answer_add_unreached(out, p->name, trace_code_name(prc), detail);
			ag->st.unreached++;
		} else if (in.error) {
			trace_answer_add_unreached(out, p->name, trace_code_name(in.error),
			                           in.error_message);
			ag->st.unreached++;
		} else {
			merge_answer(out, p, &in);
		}
		trace_answer_release(&in);
	}
out:
	for (size_t i = 0; i < n; i++) {
		free(reqs[i]);
		free(calls[i].ans);
	}
	return rc;
}

/* ---- one name, and the victim-IP search ---- */

static int trace_name(struct trace_agent *ag, const struct trace_request *r, const char *name,
                      unsigned rights, struct trace_answer *out)
{
	uint32_t lookback;
	char why[TRACE_TEXT_MAX];
	struct scan s;
	int rc = lookback_for(ag, r, name, &lookback, why, sizeof(why));
	if (rc)
		return rc;
	if (lookback > out->lookback_s) {
		out->lookback_s = lookback;
		snprintf(out->lookback_reason, sizeof(out->lookback_reason), "%s", why);
	}
	memset(&s, 0, sizeof(s));
	s.ag = ag;
	s.start_ns = r->attack_start_ms * NS_PER_MS;
	s.window_lo_ns = s.start_ns - (int64_t)r->window_s * NS_PER_S;
	struct store_query q;
	memset(&q, 0, sizeof(q));
	q.qname = name;
	q.since_ns = s.start_ns - (int64_t)lookback * NS_PER_S;
	q.until_ns = r->attack_end_ms * NS_PER_MS + NS_PER_S;
	rc = store_query_brief(ag->store, &q, scan_cb, &s);
	if (s.err) {
		rc = s.err;
		goto out;
	}
	if (rc == DH_ECORRUPT)
		trace_answer_add_warning(out, "a corrupt segment of the store was skipped");
	else if (rc < 0)
		goto out;
	rc = 0;
	if (s.n == s.cap && s.cap >= TRACE_CAND_MAX * 2)
		trace_answer_add_warning(out, "more hosts asked than one answer can list");
	size_t before = out->ncand;
	if (r->kind == TRACE_KIND_TRACE && (rc = local_candidates(ag, r, name, &s, out)) != 0)
		goto out;
	if (r->kind == TRACE_KIND_TRACE && out->ncand > before) {
		sort(out->cand + before, out->ncand - before, sizeof(*out->cand), cand_cmp);
		if (rights & TRACE_R_CLIENTS)
			rc = cc_lookback(ag, r, name, out->cand + before, out->ncand - before, out);
		if (rc)
			goto out;
	}
	if (r->kind == TRACE_KIND_TRACE)
		hist_add(ag, r, name, &s);
	if (r->has_blinded && (rc = confirmation(ag, r, name, &s, out)) != 0)
		goto out;
	rc = relay(ag, r, name, lookback, &s, out);
out:
	free(s.h);
	free(s.idx);
	free(s.up);
	return rc;
}

struct vic_scan {
	const struct dh_addr *victim;
	struct trace_answer *out;
	int err;
};

static int victim_cb(void *ctx, const struct ev_event *ev)
{
	struct vic_scan *v = ctx;
	if (!dns_msg_is_response(&ev->msg) || !ev->msg.has_question)
		return 0;
	for (unsigned i = 0; i < ev->msg.rr_count && i < DNS_RR_MAX; i++) {
		const struct dns_rr *rr = &ev->msg.rr[i];
		struct dh_addr a;
		if (rr->section != DNS_SEC_ANSWER ||
		    (rr->type != DNS_T_A && rr->type != DNS_T_AAAA) || !rr->data_text ||
		    dh_addr_parse(&a, rr->data_text) != 0 || !dh_addr_equal(&a, v->victim))
			continue;
		char norm[TRACE_NAME_MAX];
		if (trace_name_norm(ev->msg.qname, norm) != 0)
			return 0;
		for (unsigned k = 0; k < v->out->nnames; k++)
			if (strcmp(v->out->names[k], norm) == 0)
				return 0;
		if (v->out->nnames >= VICTIM_NAMES)
			return 1;
		if (trace_answer_add_name(v->out, norm) != 0) {
			v->err = -ENOMEM;
			return 1;
		}
		return 0;
	}
	return 0;
}

static int victim_names(struct trace_agent *ag, const struct trace_request *r,
                        struct trace_answer *out)
{
	struct vic_scan v = {&r->victim, out, 0};
	struct store_query q;
	memset(&q, 0, sizeof(q));
	q.since_ns = r->attack_start_ms * NS_PER_MS - (int64_t)ag->default_lookback_s * NS_PER_S;
	q.until_ns = r->attack_end_ms * NS_PER_MS + NS_PER_S;
	int rc = store_query_run(ag->store, &q, victim_cb, &v);
	if (v.err)
		return v.err;
	if (rc < 0 && rc != DH_ECORRUPT)
		return rc;
	return 0;
}

/* ---- the request ---- */

static int refuse(struct trace_agent *ag, const char *id, int code, const char *msg, char **ans,
                  size_t *ans_len)
{
	ag->st.refused++;
	return trace_error_encode(id, ag->name, code, msg, ans, ans_len);
}

int trace_agent_handle(struct trace_agent *ag, const struct trace_ident *from, const uint8_t *req,
                       size_t len, char **ans, size_t *ans_len)
{
	struct trace_request r;
	struct trace_answer out;
	char err[TRACE_TEXT_MAX];
	int rc;

	ag->st.requests++;
	*ans = NULL;
	*ans_len = 0;
	rc = trace_request_parse(req, len, &r, err, sizeof(err));
	if (rc)
		return refuse(ag, r.request_id, rc, err, ans, ans_len);
	int pi = trace_peer_match(ag->peers, ag->npeers, from);
	if (pi < 0) {
		snprintf(err, sizeof(err),
		         "no peer entry for certificate %.64s (%.60s, issued by %.60s)",
		         from->fingerprint[0] ? from->fingerprint : "-", from->name, from->ca);
		return refuse(ag, r.request_id, TRACE_EUNKNOWN, err, ans, ans_len);
	}
	struct trace_peer *peer = &ag->peers[pi];
	int64_t now = ag->clock.now_ns(ag->clock.ctx);
	if ((rc = trace_peer_admit(peer, &r, now, err, sizeof(err))) != 0)
		return refuse(ag, r.request_id, rc, err, ans, ans_len);
	if (now / NS_PER_MS > r.deadline_ms) {
		snprintf(err, sizeof(err), "deadline passed %lld ms ago",
		         (long long)(now / NS_PER_MS - r.deadline_ms));
		return refuse(ag, r.request_id, TRACE_EDEADLINE, err, ans, ans_len);
	}
	if (on_path(&r, ag->name)) {
		snprintf(err, sizeof(err), "%s is already on the path", ag->name);
		return refuse(ag, r.request_id, TRACE_ELOOP, err, ans, ans_len);
	}
	if (r.hops > r.max_hops) {
		snprintf(err, sizeof(err), "hops %u over max_hops %u", r.hops, r.max_hops);
		return refuse(ag, r.request_id, TRACE_EHOPS, err, ans, ans_len);
	}
	if (r.kind == TRACE_KIND_TRACE && r.victim.family != DH_AF_NONE && r.hops > 0)
		return refuse(ag, r.request_id, TRACE_EBADREQ,
		              "victim_ip is for the destination agent only", ans, ans_len);

	trace_answer_init(&out);
	snprintf(out.request_id, sizeof(out.request_id), "%s", r.request_id);
	snprintf(out.agent, sizeof(out.agent), "%s", ag->name);
	out.hops = r.hops;
	if (r.fqdn[0]) {
		snprintf(out.fqdn, sizeof(out.fqdn), "%s", r.fqdn);
		rc = trace_name(ag, &r, r.fqdn, peer->rights, &out);
	} else {
		rc = victim_names(ag, &r, &out);
		if (rc == 0 && out.nnames == 0)
			trace_answer_add_warning(&out,
			                         "no name resolved to the victim's address in "
			                         "this server's log");
		if (rc == 0 && r.has_blinded)
			trace_answer_add_warning(&out, "confirmation needs the FQDN; not done in "
			                               "victim-IP mode");
		r.has_blinded = 0;
		for (unsigned i = 0; rc == 0 && i < out.nnames; i++) {
			char nm[TRACE_NAME_MAX];
			memcpy(nm, out.names[i], sizeof(nm));
			rc = trace_name(ag, &r, nm, peer->rights, &out);
		}
		if (out.nnames)
			snprintf(out.fqdn, sizeof(out.fqdn), "%s", out.names[0]);
	}
	if (rc) {
		trace_answer_release(&out);
		return refuse(ag, r.request_id, TRACE_EINTERNAL, trace_strerror(rc), ans, ans_len);
	}
	sort(out.cand, out.ncand, sizeof(*out.cand), cand_cmp);
	sort(out.cc, out.ncc, sizeof(*out.cc), cc_cmp);
	if (out.ncand > ag->max_answer) {
		/* A popular name asked by thousands in the window: the answer
		 * keeps the best and says how many it left out, so it stays
		 * within TRACE_ANSWER_MAX at every hop. */
		snprintf(err, sizeof(err), "%s: %zu lower-ranked candidate(s) not listed", ag->name,
		         out.ncand - ag->max_answer);
		out.ncand = ag->max_answer;
		trace_answer_add_warning(&out, err);
	}
	if (!(peer->rights & TRACE_R_CLIENTS) && (out.ncand || out.ncc)) {
		snprintf(err, sizeof(err),
		         "%s: %zu candidate(s) and %zu name(s) withheld: peer %s lacks the "
		         "\"clients\" right",
		         ag->name, out.ncand, out.ncc, peer->name);
		out.ncand = 0;
		out.ncc = 0;
		trace_answer_add_warning(&out, err);
	}
	rc = trace_answer_encode(&out, ans, ans_len);
	trace_answer_release(&out);
	if (rc == 0)
		ag->st.served++;
	return rc;
}
