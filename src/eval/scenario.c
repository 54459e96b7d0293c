/*
 * scenario.c - the traffic model of the labelled scenarios. See
 * scenario.h and doc/evaluation.md section 2 for the parameters' sources.
 *
 * Every host is an agent with a next-action time in one binary heap; the
 * earliest acts, writes its DNS messages and is put back. A lookup through
 * the resolver writes the client's query, then on a cache miss the
 * resolver's queries upstream (a referral from the TLD server when the
 * zone's delegation is not cached, then the authoritative answer), then
 * the answer to the client. Addresses come from documentation and
 * benchmarking ranges (RFC 5737, RFC 2544, RFC 3849) and private ones
 * (RFC 1918, RFC 4193), so no scenario packet is addressed to a real host.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eval/eval_rng.h"
#include "eval/scenario.h"
#include "eval/scenario_out.h"
#include "util/err.h"
#include "util/hash.h"

#define SEC_NS 1000000000LL
#define MS_NS  1000000LL

/* DNS header flags (RFC 1035 section 4.1.1). */
#define F_QR  0x8000
#define F_AA  0x0400
#define F_RD  0x0100
#define F_RA  0x0080
#define RC_NX 3

/* The popular sites clients pick from (Zipf) and the long tail of mail
 * recipients and spam targets (uniform). */
#define SITES      100000
#define TAIL_SITES 5000000

/* Direct-mapped cache: a slot per key hash, a later key evicts an earlier
 * one that shares its slot, as a bounded cache would. */
#define CACHE_BITS 20

/* Agent kinds. */
enum { AG_CLIENT, AG_MAIL, AG_FORWARDER, AG_BOT };

/* Name classes: how the authoritative side answers. */
enum { N_SITE, N_NX, N_LITERAL, N_DNSBL, N_TUNNEL, N_C2 };

static const char *const behaviour_names[SCEN_B_COUNT] = {
    "spam-mx", "mass-mailer", "worm-ip-literal", "ddos-resolve", "ddos-noresolve", "feederbot",
    "morto",   "dga",         "tunnel",          "beacon",
};

const char *scenario_behaviour_name(unsigned b)
{
	return b < SCEN_B_COUNT ? behaviour_names[b] : NULL;
}

void scenario_config_default(struct scenario_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->seed = 1;
	cfg->clients = 2000;
	cfg->hours = 1;
	cfg->start_ns = 1772409600LL * SEC_NS; /* 2026-03-02 00:00:00 UTC */
	/* About 1,700 lookups a day; each gives one to three queries. */
	cfg->client_rate = 0.02;
	cfg->mail_servers = 3;
	cfg->forwarders = 2;
	for (unsigned b = 0; b < SCEN_B_COUNT; b++)
		cfg->bots[b] = 1;
	cfg->bots[SCEN_B_DDOS] = 3;
	cfg->bots[SCEN_B_DDOS_NORES] = 2;
}

int scenario_config_bots(struct scenario_config *cfg, const char *spec)
{
	const char *p = spec;

	if (!cfg || !spec)
		return DH_EUSAGE;
	if (strcmp(spec, "none") == 0) {
		memset(cfg->bots, 0, sizeof(cfg->bots));
		return 0;
	}
	while (*p) {
		const char *eq = strchr(p, '='), *end;
		unsigned b;
		char *num_end;
		unsigned long v;

		if (!eq)
			return DH_EUSAGE;
		for (b = 0; b < SCEN_B_COUNT; b++)
			if (strlen(behaviour_names[b]) == (size_t)(eq - p) &&
			    memcmp(behaviour_names[b], p, (size_t)(eq - p)) == 0)
				break;
		if (b == SCEN_B_COUNT || eq[1] < '0' || eq[1] > '9')
			return DH_EUSAGE;
		errno = 0;
		v = strtoul(eq + 1, &num_end, 10);
		if (errno || v > 100000 || (*num_end != ',' && *num_end != '\0'))
			return DH_EUSAGE;
		cfg->bots[b] = (uint32_t)v;
		end = num_end;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

struct agent {
	int64_t next_ns;
	uint32_t host; /* index into hosts */
	uint32_t bot;  /* index into the result's bots, for AG_BOT */
	uint8_t kind;
	uint8_t pubres;        /* sends a share of its lookups to a public resolver */
	double rate;           /* actions per second at the daily mean */
	uint64_t step;         /* actions so far (DGA burst position ...) */
	int64_t learned_until; /* Morto: when the learned address expires;
	                          DDoS: the next C&C contact */
	uint32_t sub;          /* DDoS: attack packets sent in this attack */
};

/* A message or TCP segment waiting in the reorder heap; its bytes (a
 * struct pend_rec, the qname and the payload) are in the arena at off. */
struct pend {
	int64_t ts;
	uint64_t seq;
	size_t off;
};

struct pend_rec {
	int64_t ts;
	struct dh_addr src, dst;
	uint16_t sport, dport;
	uint16_t qtype;
	uint16_t qname_len, len;
	uint8_t kind; /* 0: DNS message, 1: bare TCP segment */
	uint8_t outs, tap_type, response, rd, edns, tcp, tcp_flags;
	uint32_t seq, ack;
};

struct cache_slot {
	uint64_t key;
	int64_t expire_ns;
};

struct gen {
	const struct scenario_config *cfg;
	struct scenario_result *res;
	struct eval_rng rng;
	int64_t end_ns;

	struct dh_addr *hosts; /* owned */
	uint32_t nhosts;
	struct agent *agents; /* owned */
	uint32_t nagents;
	uint32_t *heap; /* owned, agent indices */
	uint32_t nheap;
	double *zipf_cdf;         /* owned, SITES entries */
	struct cache_slot *cache; /* owned, 1 << CACHE_BITS */

	struct scenario_file pcap, dnstap;
	struct scenario_log log;
	uint8_t qbuf[SCEN_MSG_MAX], rbuf[SCEN_MSG_MAX];

	/* Messages made but not yet written (see "Time order" below). */
	uint8_t *arena, *arena2; /* owned, arena_cap bytes each */
	size_t arena_cap, arena_used;
	struct pend *pend; /* owned, a heap by (ts, seq) */
	size_t npend, pend_cap;
	uint64_t seq;
	int err; /* first allocation failure */
};

/* Heap of agents by next_ns; ties broken by index so order is fixed. */
static int agent_before(const struct gen *g, uint32_t a, uint32_t b)
{
	const struct agent *x = &g->agents[a], *y = &g->agents[b];

	return x->next_ns < y->next_ns || (x->next_ns == y->next_ns && a < b);
}

static void heap_down(struct gen *g, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i, t;

		if (l < g->nheap && agent_before(g, g->heap[l], g->heap[m]))
			m = l;
		if (r < g->nheap && agent_before(g, g->heap[r], g->heap[m]))
			m = r;
		if (m == i)
			return;
		t = g->heap[i];
		g->heap[i] = g->heap[m];
		g->heap[m] = t;
		i = m;
	}
}

static void heap_up(struct gen *g, uint32_t i)
{
	while (i > 0) {
		uint32_t p = (i - 1) / 2, t;

		if (!agent_before(g, g->heap[i], g->heap[p]))
			return;
		t = g->heap[i];
		g->heap[i] = g->heap[p];
		g->heap[p] = t;
		i = p;
	}
}

/* Diurnal rhythm: 1 + 0.6 sin(...) peaks at 15:00 and is lowest at 03:00
 * (UTC is the network's local time here). The mean over a day is 1. */
#define DIURNAL_MAX 1.6
static double diurnal(int64_t t_ns)
{
	double h = (double)((t_ns / SEC_NS) % 86400) / 3600.0;

	return 1.0 + 0.6 * sin(2.0 * M_PI * (h - 9.0) / 24.0);
}

/* The next action of a Poisson process of the given mean rate modulated
 * by the diurnal rhythm (thinning, Lewis and Shedler 1979). */
static int64_t next_diurnal(struct gen *g, int64_t t, double rate)
{
	for (int i = 0; i < 1000; i++) {
		t += (int64_t)(eval_rng_exp(&g->rng, rate * DIURNAL_MAX) * (double)SEC_NS) + 1;
		if (eval_rng_uniform(&g->rng) * DIURNAL_MAX <= diurnal(t))
			return t;
	}
	return t;
}

static int64_t next_poisson(struct gen *g, int64_t t, double rate)
{
	return t + (int64_t)(eval_rng_exp(&g->rng, rate) * (double)SEC_NS) + 1;
}

/* Names. Sites are made of syllables, so they read like names and their
 * character statistics are not those of random strings. */
static const char *const syl[32] = {
    "ka", "no",  "mi",  "ta",  "ri",  "so",  "ne",  "lu",  "ve",  "do", "pa",
    "xi", "zen", "bar", "tor", "lin", "mar", "kel", "sun", "ora", "fi", "gu",
    "ha", "jo",  "qu",  "we",  "ty",  "cro", "net", "web", "hub", "ly",
};
static const char *const tlds[16] = {"com", "com", "com", "com", "com", "com",  "net", "org",
                                     "jp",  "de",  "io",  "uk",  "fr",  "info", "ru",  "cn"};

static size_t put_str(char *out, size_t cap, size_t n, const char *s)
{
	size_t l = strlen(s);

	if (n + l + 1 > cap)
		return n;
	memcpy(out + n, s, l);
	out[n + l] = '\0';
	return n + l;
}

/* The zone (registered domain) of site i. */
static void site_zone(uint64_t i, char *out, size_t cap)
{
	uint64_t h = dh_hash64(&i, sizeof(i), 0x5173);
	unsigned ns = 2 + (unsigned)(h % 3);
	size_t n = 0;

	out[0] = '\0';
	h >>= 2;
	for (unsigned k = 0; k < ns; k++, h >>= 5)
		n = put_str(out, cap, n, syl[h & 31]);
	/* Zipf's head is made distinct by the index itself. */
	if (i >= 1000) {
		char d[24];
		snprintf(d, sizeof(d), "%u", (unsigned)(i % 1000));
		n = put_str(out, cap, n, d);
	}
	n = put_str(out, cap, n, ".");
	put_str(out, cap, n, tlds[(h >> 3) & 15]);
}

static void random_label(struct gen *g, char *out, size_t len, const char *alphabet, size_t an)
{
	for (size_t k = 0; k < len; k++)
		out[k] = alphabet[eval_rng_below(&g->rng, an)];
	out[len] = '\0';
}

static const char lower[] = "abcdefghijklmnopqrstuvwxyz";
static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

static uint32_t zipf_pick(struct gen *g)
{
	double u = eval_rng_uniform(&g->rng);
	uint32_t lo = 0, hi = SITES - 1;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (g->zipf_cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Addresses. */
static void addr4(struct dh_addr *a, uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
	uint8_t b[4] = {x, y, z, w};

	dh_addr_set4(a, b);
}

/* An authoritative server of a zone: 198.18.0.0/15 (RFC 2544). */
static void zone_server(const char *zone, struct dh_addr *a)
{
	uint64_t h = dh_hash64(zone, strlen(zone), 0xa7);

	addr4(a, 198, (uint8_t)(18 + (h & 1)), (uint8_t)(h >> 8), (uint8_t)(1 + (h >> 16) % 254));
}

/* A TLD server: 198.51.100.0/24 (RFC 5737); the root: 198.51.100.1-13. */
static void tld_server(const char *zone, struct dh_addr *a)
{
	const char *dot = strrchr(zone, '.');
	const char *tld = dot ? dot + 1 : zone;
	uint64_t h = dh_hash64(tld, strlen(tld), 0x71d);

	addr4(a, 198, 51, 100, (uint8_t)(20 + h % 200));
}

static uint64_t cache_key(const char *name, uint16_t qtype)
{
	return dh_hash64(name, strlen(name), 0xcace) ^ ((uint64_t)qtype << 48) ^ qtype;
}

static struct cache_slot *cache_find(struct gen *g, uint64_t key)
{
	return &g->cache[key & ((1u << CACHE_BITS) - 1)];
}

/* The packet writers for one message. */
enum { OUT_PCAP = 1, OUT_TAP = 2, OUT_LOG = 4 };

/*
 * Time order. An action at time t writes messages from t up to a few
 * hundred milliseconds later (upstream round trips), while the next
 * agent may act before those. A capture, a dnstap file and a log are
 * written in the order things happen, so messages wait in a heap by
 * (time, creation order) and are written once no later action can come
 * before them: every action writes nothing earlier than its own time,
 * and agents act in time order. The arena that holds their bytes is
 * compacted into its twin when full and doubled when mostly live, so
 * there is no allocation per message.
 */
static int pend_before(const struct pend *x, const struct pend *y)
{
	return x->ts < y->ts || (x->ts == y->ts && x->seq < y->seq);
}

static int arena_make_room(struct gen *g, size_t need)
{
	size_t live = 0, cap = g->arena_cap;
	uint8_t *a, *b;

	for (size_t i = 0; i < g->npend; i++) {
		const struct pend_rec *r = (const void *)(g->arena + g->pend[i].off);
		live += (sizeof(*r) + r->qname_len + r->len + 7) & ~(size_t)7;
	}
	while (live + need > cap / 2)
		cap = cap ? cap * 2 : (size_t)16 << 20;
	if (cap != g->arena_cap) {
		a = malloc(cap);
		b = malloc(cap);
		if (!a || !b) {
			free(a);
			free(b);
			return -ENOMEM;
		}
		free(g->arena2);
		g->arena2 = b;
	} else {
		a = g->arena2;
	}
	live = 0;
	for (size_t i = 0; i < g->npend; i++) {
		const struct pend_rec *r = (const void *)(g->arena + g->pend[i].off);
		size_t n = (sizeof(*r) + r->qname_len + r->len + 7) & ~(size_t)7;
		memcpy(a + live, r, n);
		g->pend[i].off = live;
		live += n;
	}
	if (cap != g->arena_cap)
		free(g->arena);
	else
		g->arena2 = g->arena;
	g->arena = a;
	g->arena_cap = cap;
	g->arena_used = live;
	return 0;
}

/* Queues a record; payload is the DNS message (or TCP payload). */
static void pend_push(struct gen *g, const struct pend_rec *rec, const char *qname,
                      const uint8_t *payload)
{
	size_t n = (sizeof(*rec) + rec->qname_len + rec->len + 7) & ~(size_t)7, i;
	uint8_t *p;

	if (g->err)
		return;
	if (g->arena_used + n > g->arena_cap && arena_make_room(g, n) < 0) {
		g->err = -ENOMEM;
		return;
	}
	if (g->npend == g->pend_cap) {
		size_t nc = g->pend_cap ? g->pend_cap * 2 : 4096;
		struct pend *np = realloc(g->pend, nc * sizeof(*np));
		if (!np) {
			g->err = -ENOMEM;
			return;
		}
		g->pend = np;
		g->pend_cap = nc;
	}
	p = g->arena + g->arena_used;
	memcpy(p, rec, sizeof(*rec));
	if (rec->qname_len)
		memcpy(p + sizeof(*rec), qname, rec->qname_len);
	if (rec->len)
		memcpy(p + sizeof(*rec) + rec->qname_len, payload, rec->len);
	i = g->npend++;
	g->pend[i].ts = rec->ts;
	g->pend[i].seq = g->seq++;
	g->pend[i].off = g->arena_used;
	g->arena_used += n;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		struct pend t;
		if (!pend_before(&g->pend[i], &g->pend[up]))
			break;
		t = g->pend[i];
		g->pend[i] = g->pend[up];
		g->pend[up] = t;
		i = up;
	}
}

static void pend_pop(struct gen *g)
{
	size_t i = 0;

	g->pend[0] = g->pend[--g->npend];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct pend t;
		if (l < g->npend && pend_before(&g->pend[l], &g->pend[m]))
			m = l;
		if (r < g->npend && pend_before(&g->pend[r], &g->pend[m]))
			m = r;
		if (m == i)
			return;
		t = g->pend[i];
		g->pend[i] = g->pend[m];
		g->pend[m] = t;
		i = m;
	}
}

/* Writes every queued record earlier than until. */
static void pend_flush(struct gen *g, int64_t until)
{
	char qname[256];

	while (g->npend && g->pend[0].ts < until) {
		const struct pend_rec *r = (const void *)(g->arena + g->pend[0].off);
		const uint8_t *payload = (const uint8_t *)(r + 1) + r->qname_len;

		if (r->kind == 1) {
			scenario_pcap_tcp(&g->pcap, r->ts, &r->src, &r->dst, r->sport, r->dport,
			                  r->tcp_flags, r->seq, r->ack, payload, r->len);
		} else {
			struct scenario_pkt pk = {0};

			pk.ts_ns = r->ts;
			pk.src = r->src;
			pk.dst = r->dst;
			pk.sport = r->sport;
			pk.dport = r->dport;
			pk.tcp = r->tcp;
			pk.dns = payload;
			pk.dns_len = r->len;
			memcpy(qname, r + 1, r->qname_len);
			qname[r->qname_len] = '\0';
			if ((r->outs & OUT_PCAP) && !pk.tcp)
				scenario_pcap_udp(&g->pcap, &pk);
			if (r->outs & OUT_TAP)
				scenario_dnstap_msg(&g->dnstap, "resolver1", r->tap_type, &pk,
				                    r->response);
			if (r->outs & OUT_LOG)
				scenario_log_query(&g->log, &pk, qname, r->qtype, r->rd, r->edns);
		}
		pend_pop(g);
	}
	if (!g->npend)
		g->arena_used = 0;
}

static void emit(struct gen *g, const struct scenario_pkt *pk, int outs, unsigned tap_type,
                 int response, const char *qname, uint16_t qtype, int rd, int edns)
{
	struct pend_rec r;
	size_t ql = qname ? strlen(qname) : 0;

	if (ql > 255 || pk->dns_len > SCEN_MSG_MAX)
		return;
	memset(&r, 0, sizeof(r));
	r.ts = pk->ts_ns;
	r.src = pk->src;
	r.dst = pk->dst;
	r.sport = pk->sport;
	r.dport = pk->dport;
	r.qtype = qtype;
	r.qname_len = (uint16_t)ql;
	r.len = (uint16_t)pk->dns_len;
	r.outs = (uint8_t)outs;
	r.tap_type = (uint8_t)tap_type;
	r.response = (uint8_t)response;
	r.rd = (uint8_t)rd;
	r.edns = (uint8_t)edns;
	r.tcp = pk->tcp;
	pend_push(g, &r, qname, pk->dns);
	g->res->stats.messages++;
	if (outs & OUT_PCAP)
		g->res->stats.pcap_packets++;
}

/* Queues a TCP segment for the capture. */
static void tcp_seg(struct gen *g, int64_t ts, const struct dh_addr *src, const struct dh_addr *dst,
                    uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack,
                    const uint8_t *payload, size_t plen)
{
	struct pend_rec r;

	if (plen > SCEN_MSG_MAX + 2)
		return;
	memset(&r, 0, sizeof(r));
	r.kind = 1;
	r.ts = ts;
	r.src = *src;
	r.dst = *dst;
	r.sport = sport;
	r.dport = dport;
	r.tcp_flags = flags;
	r.seq = seq;
	r.ack = ack;
	r.len = (uint16_t)plen;
	pend_push(g, &r, NULL, payload);
}

/* A lookup: who asks what. */
struct lookup {
	const char *qname;
	const char *zone; /* registered domain; "" for the root */
	uint16_t qtype;
	uint8_t cls;
	uint8_t edns;
	uint8_t tcp;
	struct dh_addr fixed; /* N_C2: the address answered */
	uint32_t ttl;         /* N_C2, N_TUNNEL: the answer's TTL */
};

/* Builds the answer to l into out; aa for the authoritative server, ttl
 * the TTL to give. Sets *rcode and *neg_ttl (for negative answers).
 * Returns the length or a negative code. */
static int build_answer(struct gen *g, const struct lookup *l, uint16_t id, int aa,
                        uint32_t ttl_left, uint8_t *out, int *rcode, uint32_t *full_ttl)
{
	struct scenario_msg m;
	uint64_t h = dh_hash64(l->qname, strlen(l->qname), 0xa45);
	uint16_t flags = F_QR | F_RD | (aa ? F_AA : F_RA);
	uint32_t ttl;
	int nodata = 0, nx = 0;
	char name[300];
	uint8_t rd[300];

	static const uint32_t ttls[6] = {60, 300, 300, 3600, 3600, 86400};

	if (aa)
		flags &= (uint16_t)~F_RD;
	ttl = ttls[dh_hash64(l->zone, strlen(l->zone), 7) % 6];
	if (l->cls == N_C2 || l->cls == N_TUNNEL)
		ttl = l->ttl;
	if (l->cls == N_NX || l->cls == N_LITERAL)
		nx = 1;
	if (l->cls == N_DNSBL && h % 10 != 0)
		nx = 1; /* not listed */
	if (l->cls == N_SITE &&
	    ((l->qtype == SCEN_T_AAAA && h % 10 < 4) || (l->qtype == SCEN_T_HTTPS && h % 10 < 7)))
		nodata = 1;
	*rcode = nx ? RC_NX : 0;
	*full_ttl = ttl;
	if (nx || nodata)
		*full_ttl = l->cls == N_LITERAL ? 86400 : 900;
	if (ttl_left && ttl_left < *full_ttl)
		ttl = ttl_left;
	scenario_msg_begin(&m, out, SCEN_MSG_MAX, id, (uint16_t)(flags | (nx ? RC_NX : 0)),
	                   l->qname, l->qtype);
	if (nx || nodata) {
		/* RFC 2308: the zone's SOA in the authority section gives the
		 * negative TTL. */
		const char *zone = l->zone;
		uint8_t soa[300];
		int a, b;
		uint32_t neg = ttl_left && ttl_left < *full_ttl ? ttl_left : *full_ttl;

		if (l->cls == N_LITERAL) {
			a = scenario_name_wire("a.root-servers.net", soa, sizeof(soa));
			b = scenario_name_wire("nstld.verisign-grs.com", soa + a,
			                       sizeof(soa) - (size_t)a);
			zone = "";
		} else {
			snprintf(name, sizeof(name), "ns1.%s", zone);
			a = scenario_name_wire(name, soa, sizeof(soa));
			snprintf(name, sizeof(name), "hostmaster.%s", zone);
			b = scenario_name_wire(name, soa + a, sizeof(soa) - (size_t)a);
		}
		if (a < 0 || b < 0)
			return DH_ENAMELEN;
		{
			uint8_t *t = soa + a + b;
			uint32_t v[5] = {2026030201u, 7200, 3600, 1209600, *full_ttl};
			for (int k = 0; k < 5; k++) {
				t[4 * k] = (uint8_t)(v[k] >> 24);
				t[4 * k + 1] = (uint8_t)(v[k] >> 16);
				t[4 * k + 2] = (uint8_t)(v[k] >> 8);
				t[4 * k + 3] = (uint8_t)v[k];
			}
		}
		scenario_msg_rr(&m, SCEN_SEC_AUTHORITY, zone, SCEN_T_SOA, neg, soa,
		                (size_t)(a + b + 20));
		goto opt;
	}
	switch (l->qtype) {
	case SCEN_T_A:
		if (l->cls == N_C2) {
			scenario_msg_rr(&m, SCEN_SEC_ANSWER, NULL, SCEN_T_A, ttl, l->fixed.a, 4);
		} else if (l->cls == N_DNSBL) {
			uint8_t a[4] = {127, 0, 0, 2}; /* listed (RFC 5782 section 2.1) */
			scenario_msg_rr(&m, SCEN_SEC_ANSWER, NULL, SCEN_T_A, ttl, a, 4);
		} else {
			unsigned n = 1 + (unsigned)((h >> 8) % 2);
			for (unsigned k = 0; k < n; k++) {
				uint8_t a[4] = {198, 19, (uint8_t)(h >> 16),
				                (uint8_t)(1 + (h >> 24) % 250 + k)};
				scenario_msg_rr(&m, SCEN_SEC_ANSWER, NULL, SCEN_T_A, ttl, a, 4);
			}
		}
		break;
	case SCEN_T_AAAA: {
		uint8_t a[16] = {
		    0x20, 0x01, 0x0d, 0xb8, (uint8_t)(h >> 8), (uint8_t)(h >> 16), 0, 0, 0, 0, 0, 0,
		    0,    0,    0,    1};
		scenario_msg_rr(&m, SCEN_SEC_ANSWER, NULL, SCEN_T_AAAA, ttl, a, 16);
		break;
	}
	case SCEN_T_HTTPS: {
		/* RFC 9460: priority 1, target ".", alpn "h2","h3". */
		static const uint8_t svc[] = {0, 1, 0, 0, 1, 0, 6, 2, 'h', '2', 2, 'h', '3'};
		scenario_msg_rr(&m, SCEN_SEC_ANSWER, NULL, SCEN_T_HTTPS, ttl, svc, sizeof(svc));
		break;
	}
	case SCEN_T_MX: {
		uint8_t p1[2] = {0, 10}, p2[2] = {0, 20};
		snprintf(name, sizeof(name), "mx1.%s", l->zone);
		scenario_msg_rr_name(&m, SCEN_SEC_ANSWER, NULL, SCEN_T_MX, ttl, p1, 2, name);
		snprintf(name, sizeof(name), "mx2.%s", l->zone);
		scenario_msg_rr_name(&m, SCEN_SEC_ANSWER, NULL, SCEN_T_MX, ttl, p2, 2, name);
		break;
	}
	case SCEN_T_PTR:
		snprintf(name, sizeof(name), "host-%u.%s", (unsigned)(h % 100000), l->zone);
		scenario_msg_rr_name(&m, SCEN_SEC_ANSWER, NULL, SCEN_T_PTR, ttl, NULL, 0, name);
		break;
	case SCEN_T_TXT:
	case SCEN_T_NULL: {
		size_t n;
		if (l->cls == N_TUNNEL || l->cls == N_C2) {
			/* Encoded payload: random base32 text, or random octets
			 * for NULL. */
			n = 100 + (size_t)eval_rng_below(&g->rng, 120);
			if (l->qtype == SCEN_T_TXT) {
				rd[0] = (uint8_t)n;
				random_label(g, (char *)rd + 1, n, b32, 32);
				n++;
			} else {
				for (size_t k = 0; k < n; k++)
					rd[k] = (uint8_t)eval_rng_next(&g->rng);
			}
		} else {
			n = (size_t)snprintf((char *)rd + 1, sizeof(rd) - 1,
			                     "v=spf1 include:_spf.%s ~all", l->zone);
			if (n > 250)
				n = 250;
			rd[0] = (uint8_t)n;
			n++;
		}
		scenario_msg_rr(&m, SCEN_SEC_ANSWER, NULL, l->qtype, ttl, rd, n);
		break;
	}
	default:
		break;
	}
opt:
	if (l->edns)
		scenario_msg_opt(&m, 1232);
	return scenario_msg_end(&m);
}

static uint16_t eph_port(struct gen *g)
{
	return (uint16_t)(1024 + eval_rng_below(&g->rng, 64512));
}

/* A query and its answer between a host and a server other than the
 * resolver: seen by the capture only. */
static void direct_exchange(struct gen *g, int64_t t, const struct dh_addr *src,
                            const struct dh_addr *server, const struct lookup *l, int rdflag,
                            int *rcode)
{
	struct scenario_msg m;
	struct scenario_pkt pk = {0};
	uint16_t id = (uint16_t)eval_rng_next(&g->rng);
	uint32_t full;
	int n;

	scenario_msg_begin(&m, g->qbuf, sizeof(g->qbuf), id, rdflag ? F_RD : 0, l->qname, l->qtype);
	if (l->edns)
		scenario_msg_opt(&m, 1232);
	n = scenario_msg_end(&m);
	if (n < 0)
		return;
	pk.ts_ns = t;
	pk.src = *src;
	pk.dst = *server;
	pk.sport = eph_port(g);
	pk.dport = 53;
	pk.dns = g->qbuf;
	pk.dns_len = (size_t)n;
	emit(g, &pk, OUT_PCAP, 0, 0, NULL, 0, 0, 0);
	g->res->stats.direct_queries++;
	n = build_answer(g, l, id, !rdflag, 0, g->rbuf, rcode, &full);
	if (n < 0)
		return;
	pk.ts_ns = t + (10 + (int64_t)eval_rng_below(&g->rng, 60)) * MS_NS;
	pk.src = *server;
	pk.dst = *src;
	pk.dport = pk.sport;
	pk.sport = 53;
	pk.dns = g->rbuf;
	pk.dns_len = (size_t)n;
	emit(g, &pk, OUT_PCAP, 0, 1, NULL, 0, 0, 0);
}

/* The resolver's upstream exchange on a miss (RD clear, RFC 1034 section
 * 5.3.3). Returns the time the answer came back. */
static int64_t upstream(struct gen *g, int64_t t, const struct dh_addr *server,
                        const struct lookup *l, uint8_t *ans, size_t ans_len, uint16_t id)
{
	struct scenario_msg m;
	struct scenario_pkt pk = {0};
	int n;

	scenario_msg_begin(&m, g->qbuf, sizeof(g->qbuf), id, 0, l->qname, l->qtype);
	scenario_msg_opt(&m, 1232);
	n = scenario_msg_end(&m);
	if (n < 0)
		return t;
	pk.ts_ns = t;
	pk.src = g->res->resolver4;
	pk.dst = *server;
	pk.sport = eph_port(g);
	pk.dport = 53;
	pk.dns = g->qbuf;
	pk.dns_len = (size_t)n;
	emit(g, &pk, OUT_PCAP | OUT_TAP, 3, 0, NULL, 0, 0, 0);
	g->res->stats.upstream_queries++;
	pk.ts_ns = t + (5 + (int64_t)eval_rng_below(&g->rng, 80)) * MS_NS +
	           (int64_t)eval_rng_below(&g->rng, 1000000);
	pk.src = *server;
	pk.dst = g->res->resolver4;
	pk.dport = pk.sport;
	pk.sport = 53;
	pk.dns = ans;
	pk.dns_len = ans_len;
	emit(g, &pk, OUT_PCAP | OUT_TAP, 4, 1, NULL, 0, 0, 0);
	return pk.ts_ns;
}

/* The referral a TLD server gives for zone (RFC 1034 section 4.3.2):
 * the zone's NS records and their glue. */
static int build_referral(const struct lookup *l, uint16_t id, uint8_t *out)
{
	struct scenario_msg m;
	char ns[300];
	struct dh_addr a;

	scenario_msg_begin(&m, out, SCEN_MSG_MAX, id, F_QR, l->qname, l->qtype);
	for (int k = 1; k <= 2; k++) {
		snprintf(ns, sizeof(ns), "ns%d.%s", k, l->zone);
		scenario_msg_rr_name(&m, SCEN_SEC_AUTHORITY, l->zone, SCEN_T_NS, 172800, NULL, 0,
		                     ns);
	}
	zone_server(l->zone, &a);
	for (int k = 1; k <= 2; k++) {
		snprintf(ns, sizeof(ns), "ns%d.%s", k, l->zone);
		if (k == 2)
			a.a[3] = (uint8_t)(a.a[3] ^ 0x80);
		scenario_msg_rr(&m, SCEN_SEC_ADDITIONAL, ns, SCEN_T_A, 172800, a.a, 4);
	}
	scenario_msg_opt(&m, 1232);
	return scenario_msg_end(&m);
}

/*
 * A lookup through the resolver at time t from host src: the client's
 * query, the resolver's work on a miss, the answer. Returns the answer's
 * RCODE; *ans_out (may be NULL) receives the first A address answered.
 */
static int resolve(struct gen *g, int64_t t, const struct dh_addr *src, const struct lookup *l,
                   struct dh_addr *ans_out)
{
	struct scenario_pkt pk = {0};
	struct scenario_msg m;
	const struct dh_addr *res =
	    src->family == DH_AF_INET6 ? &g->res->resolver6 : &g->res->resolver4;
	uint16_t id = (uint16_t)eval_rng_next(&g->rng);
	uint64_t key = cache_key(l->qname, l->qtype);
	struct cache_slot *slot = cache_find(g, key);
	int64_t tr;
	uint32_t left = 0, full = 0;
	int n, qlen, rcode = 0;
	uint32_t seq_c = (uint32_t)eval_rng_next(&g->rng), seq_s = (uint32_t)eval_rng_next(&g->rng);

	scenario_msg_begin(&m, g->qbuf, sizeof(g->qbuf), id, F_RD, l->qname, l->qtype);
	if (l->edns)
		scenario_msg_opt(&m, 1232);
	n = scenario_msg_end(&m);
	if (n < 0)
		return n;
	qlen = n;
	pk.ts_ns = t;
	pk.src = *src;
	pk.dst = *res;
	pk.sport = eph_port(g);
	pk.dport = 53;
	pk.tcp = l->tcp;
	pk.dns = g->qbuf;
	pk.dns_len = (size_t)n;
	if (pk.tcp) {
		uint8_t seg[SCEN_MSG_MAX + 2];

		/* RFC 7766: handshake, then the message behind its length. */
		tcp_seg(g, t, src, res, pk.sport, 53, 0x02, seq_c, 0, NULL, 0);
		tcp_seg(g, t + 100000, res, src, 53, pk.sport, 0x12, seq_s, seq_c + 1, NULL, 0);
		seg[0] = (uint8_t)(n >> 8);
		seg[1] = (uint8_t)n;
		memcpy(seg + 2, g->qbuf, (size_t)n);
		tcp_seg(g, t + 200000, src, res, pk.sport, 53, 0x18, seq_c + 1, seq_s + 1, seg,
		        (size_t)n + 2);
		g->res->stats.pcap_packets += 2;
		g->res->stats.tcp_queries++;
		/* The query follows the handshake. */
		t += 200000;
		pk.ts_ns = t;
	}
	emit(g, &pk, OUT_PCAP | OUT_TAP | OUT_LOG, 5, 0, l->qname, l->qtype, 1, l->edns);
	g->res->stats.client_queries++;
	tr = t + 40000 + (int64_t)eval_rng_below(&g->rng, 200000);
	if (slot->key == key && slot->expire_ns > t) {
		g->res->stats.cache_hits++;
		left = (uint32_t)((slot->expire_ns - t + SEC_NS - 1) / SEC_NS);
	} else {
		struct dh_addr srv;
		uint16_t uid = (uint16_t)eval_rng_next(&g->rng);
		char zone_key[300];
		int rl;
		/* The resolver's own queries carry EDNS(0) whatever the
		 * client sent, so the servers' answers do too. */
		struct lookup up = *l;

		up.edns = 1;

		/* The delegation: in the cache, or asked of the TLD (the
		 * root for names under no TLD). */
		if (l->cls == N_LITERAL) {
			addr4(&srv, 198, 51, 100, (uint8_t)(1 + eval_rng_below(&g->rng, 13)));
			rl = build_answer(g, &up, uid, 1, 0, g->rbuf, &rcode, &full);
			if (rl > 0)
				tr = upstream(g, tr, &srv, &up, g->rbuf, (size_t)rl, uid);
		} else {
			struct cache_slot *ns;
			uint64_t nk;

			snprintf(zone_key, sizeof(zone_key), "%s/NS", l->zone);
			nk = cache_key(zone_key, SCEN_T_NS);
			ns = cache_find(g, nk);
			if (l->cls == N_NX) {
				/* The TLD says the zone does not exist. */
				tld_server(l->zone, &srv);
				rl = build_answer(g, &up, uid, 1, 0, g->rbuf, &rcode, &full);
				if (rl > 0)
					tr = upstream(g, tr, &srv, &up, g->rbuf, (size_t)rl, uid);
			} else {
				if (!(ns->key == nk && ns->expire_ns > tr)) {
					tld_server(l->zone, &srv);
					rl = build_referral(&up, uid, g->rbuf);
					if (rl > 0)
						tr = upstream(g, tr, &srv, &up, g->rbuf, (size_t)rl,
						              uid);
					ns->key = nk;
					ns->expire_ns = tr + 172800 * SEC_NS;
					uid = (uint16_t)eval_rng_next(&g->rng);
				}
				zone_server(l->zone, &srv);
				rl = build_answer(g, &up, uid, 1, 0, g->rbuf, &rcode, &full);
				if (rl > 0)
					tr = upstream(g, tr, &srv, &up, g->rbuf, (size_t)rl, uid);
			}
		}
		tr += 20000;
		slot = cache_find(g, key); /* the NS entry may share the slot */
		slot->key = key;
		slot->expire_ns = tr + (int64_t)full * SEC_NS;
	}
	n = build_answer(g, l, id, 0, left, g->rbuf, &rcode, &full);
	if (n < 0)
		return n;
	if (ans_out) {
		ans_out->family = DH_AF_NONE;
		if (rcode == 0 && l->qtype == SCEN_T_A && n > 12) {
			/* The first answer's RDATA: after the question and
			 * the answer's 12 fixed octets (pointer, type, class,
			 * TTL, length). */
			size_t off = 12 + strlen(l->qname) + 2 + 4;
			if (off + 12 + 4 <= (size_t)n)
				dh_addr_set4(ans_out, g->rbuf + off + 12);
		}
	}
	pk.ts_ns = tr;
	pk.src = *res;
	pk.dst = *src;
	pk.dport = pk.sport;
	pk.sport = 53;
	pk.dns = g->rbuf;
	pk.dns_len = (size_t)n;
	if (pk.tcp) {
		uint8_t seg[SCEN_MSG_MAX + 2];
		uint32_t cend = seq_c + 1 + (uint32_t)qlen + 2, send = seq_s + 1 + (uint32_t)n + 2;

		seg[0] = (uint8_t)(n >> 8);
		seg[1] = (uint8_t)n;
		memcpy(seg + 2, g->rbuf, (size_t)n);
		tcp_seg(g, tr, res, src, 53, pk.dport, 0x18, seq_s + 1, cend, seg, (size_t)n + 2);
		tcp_seg(g, tr + 100000, src, res, pk.dport, 53, 0x11, cend, send, NULL, 0);
		tcp_seg(g, tr + 200000, res, src, 53, pk.dport, 0x11, send, cend + 1, NULL, 0);
		g->res->stats.pcap_packets += 2;
	}
	emit(g, &pk, OUT_PCAP | OUT_TAP, 6, 1, NULL, 0, 0, 0);
	return rcode;
}

/* Benign lookups. */

static void lookup_init(struct lookup *l, const char *qname, const char *zone, uint16_t qtype,
                        uint8_t cls)
{
	memset(l, 0, sizeof(*l));
	l->qname = qname;
	l->zone = zone;
	l->qtype = qtype;
	l->cls = cls;
	l->edns = 1;
}

/* Public resolvers some clients use beside the local one (RFC 5737
 * stand-ins for the well-known anycast addresses). */
static void public_resolver(struct gen *g, struct dh_addr *a)
{
	addr4(a, 192, 0, 2, (uint8_t)(8 + eval_rng_below(&g->rng, 3)));
}

/* Sends l through the resolver, or for a public-resolver user sometimes
 * straight to a public resolver (seen only by the capture). */
static int client_send(struct gen *g, struct agent *ag, int64_t t, const struct lookup *l,
                       struct dh_addr *ans)
{
	const struct dh_addr *src = &g->hosts[ag->host];

	if (ag->pubres && src->family == DH_AF_INET && eval_rng_bernoulli(&g->rng, 0.3)) {
		struct dh_addr pub;
		int rcode = 0;

		public_resolver(g, &pub);
		direct_exchange(g, t, src, &pub, l, 1, &rcode);
		return rcode;
	}
	if (ag->kind == AG_FORWARDER) {
		/* A forwarder answers its own clients from its cache and
		 * asks the resolver only on a miss; its entries live for
		 * what the resolver's answer had left. They share the
		 * resolver's table, keyed apart by the forwarder. */
		uint64_t key = cache_key(l->qname, l->qtype);
		uint64_t fkey = key ^ (0x9e3779b97f4a7c15ull * (ag->host + 1ull));
		struct cache_slot *fs = cache_find(g, fkey), *rs;
		int rc;

		if (fs->key == fkey && fs->expire_ns > t)
			return 0;
		rc = resolve(g, t, src, l, ans);
		rs = cache_find(g, key);
		if (rs->key == key) {
			fs = cache_find(g, fkey);
			fs->key = fkey;
			fs->expire_ns = rs->expire_ns;
		}
		return rc;
	}
	return resolve(g, t, src, l, ans);
}

static void act_client(struct gen *g, struct agent *ag, int64_t t)
{
	char zone[128], qname[300];
	struct lookup l;
	double u = eval_rng_uniform(&g->rng);
	uint32_t site = zipf_pick(g);

	site_zone(site, zone, sizeof(zone));
	if (u < 0.04) {
		/* Reverse lookup of a peer's address (PTR). */
		char rz[64];
		uint64_t h = eval_rng_next(&g->rng);
		snprintf(rz, sizeof(rz), "%u.19.198.in-addr.arpa", (unsigned)((h >> 8) & 255));
		snprintf(qname, sizeof(qname), "%u.%s", (unsigned)(1 + h % 254), rz);
		lookup_init(&l, qname, rz, SCEN_T_PTR, N_SITE);
		client_send(g, ag, t, &l, NULL);
		return;
	}
	if (u < 0.05) {
		lookup_init(&l, zone, zone, SCEN_T_TXT, N_SITE);
		l.tcp = eval_rng_bernoulli(&g->rng, 0.2);
		client_send(g, ag, t, &l, NULL);
		return;
	}
	if (u < 0.065) {
		/* A mistyped or vanished name: NXDOMAIN from the TLD. */
		char lab[16];
		random_label(g, lab, 6 + (size_t)eval_rng_below(&g->rng, 6), lower, 26);
		snprintf(qname, sizeof(qname), "%s.com", lab);
		lookup_init(&l, qname, qname, SCEN_T_A, N_NX);
		client_send(g, ag, t, &l, NULL);
		return;
	}
	{
		/* A web lookup: A, then AAAA on dual-stack hosts and HTTPS
		 * from current browsers, a few milliseconds apart. */
		static const char *const pre[6] = {"www.", "www.", "", "api.", "cdn.", "img."};
		const char *p = pre[eval_rng_below(&g->rng, 6)];

		snprintf(qname, sizeof(qname), "%s%s", p, zone);
		lookup_init(&l, qname, zone, SCEN_T_A, N_SITE);
		l.tcp = eval_rng_bernoulli(&g->rng, 0.005);
		client_send(g, ag, t, &l, NULL);
		l.tcp = 0;
		if (eval_rng_bernoulli(&g->rng, 0.7)) {
			l.qtype = SCEN_T_AAAA;
			client_send(g, ag, t + 1000 + (int64_t)eval_rng_below(&g->rng, 2000000), &l,
			            NULL);
		}
		if (eval_rng_bernoulli(&g->rng, 0.35)) {
			l.qtype = SCEN_T_HTTPS;
			client_send(g, ag, t + 2000 + (int64_t)eval_rng_below(&g->rng, 2000000), &l,
			            NULL);
		}
	}
}

/* A mail server delivering and receiving: MX of the recipient's domain
 * and A of its exchanger, or a DNSBL lookup of a connecting address. */
static void act_mail(struct gen *g, struct agent *ag, int64_t t)
{
	char zone[128], qname[300];
	struct lookup l;
	const struct dh_addr *src = &g->hosts[ag->host];

	if (eval_rng_bernoulli(&g->rng, 0.6)) {
		site_zone(zipf_pick(g), zone, sizeof(zone));
		lookup_init(&l, zone, zone, SCEN_T_MX, N_SITE);
		resolve(g, t, src, &l, NULL);
		snprintf(qname, sizeof(qname), "mx1.%s", zone);
		lookup_init(&l, qname, zone, SCEN_T_A, N_SITE);
		resolve(g, t + 30 * MS_NS, src, &l, NULL);
	} else {
		uint64_t h = eval_rng_next(&g->rng);
		/* RFC 5782: the address's octets reversed under the list. */
		snprintf(qname, sizeof(qname), "%u.%u.%u.%u.zen.spamhaus.org", (unsigned)(h & 255),
		         (unsigned)((h >> 8) & 255), (unsigned)((h >> 16) & 255),
		         (unsigned)(1 + (h >> 24) % 223));
		lookup_init(&l, qname, "zen.spamhaus.org", SCEN_T_A, N_DNSBL);
		resolve(g, t, src, &l, NULL);
	}
}

/* Bots. */

static void bot_count(struct scenario_bot *b, int rcode, int direct)
{
	b->queries++;
	if (rcode == RC_NX)
		b->nxdomain++;
	if (direct)
		b->direct++;
}

static void tail_zone(struct gen *g, char *zone, size_t cap)
{
	site_zone(SITES + eval_rng_below(&g->rng, TAIL_SITES), zone, cap);
}

/* Prefixes of seed 001's A-query keyword tables (mail 7399, smtp 872,
 * mx1. 451, rela 195, mx2. 167, inbo 134, gate 64 of one day). */
static const char *mailer_prefix(struct gen *g)
{
	static const char *const p[8] = {"mail", "smtp",    "mx1",  "relay",
	                                 "mx2",  "inbound", "gate", "mx"};
	static const unsigned w[8] = {7399, 872, 451, 195, 167, 134, 64, 378};
	uint64_t r = eval_rng_below(&g->rng, 9660);

	for (int k = 0; k < 8; k++) {
		if (r < w[k])
			return p[k];
		r -= w[k];
	}
	return p[0];
}

/* Attack packets written per bot and attack: a sample, one every
 * (attack length / FLOOD_SAMPLE), not the flood's real rate. */
#define FLOOD_SAMPLE 20

/* One packet of the attack: a TCP SYN to port 80 from a random, spoofed
 * source (seed 000 section 4.5). */
static void flood_packet(struct gen *g, struct scenario_bot *b, const struct scenario_attack *a,
                         int64_t t)
{
	struct dh_addr s;
	uint64_t h = eval_rng_next(&g->rng);

	addr4(&s, (uint8_t)(1 + h % 223), (uint8_t)(h >> 8), (uint8_t)(h >> 16),
	      (uint8_t)(h >> 24));
	tcp_seg(g, t, &s, &a->addr, (uint16_t)(1024 + (h >> 32) % 60000), 80, 0x02,
	        (uint32_t)(h >> 16), 0, NULL, 0);
	b->flood++;
	g->res->stats.flood_packets++;
	g->res->stats.pcap_packets++;
}

/* One action of a bot; returns the time of the next. */
static int64_t act_bot(struct gen *g, struct agent *ag, int64_t t)
{
	struct scenario_bot *b = &g->res->bots[ag->bot];
	const struct dh_addr *src = &g->hosts[ag->host];
	char zone[128], qname[300], lab[80], lab2[80];
	struct lookup l;
	struct dh_addr ans;
	int rcode;
	const char *cz;

	switch (b->behaviour) {
	case SCEN_B_SPAM:
		/* MX of a recipient's domain, then A of its exchanger. A
		 * share goes straight to the domain's server, the bot
		 * acting as its own resolver (seed 000 Fig. 3). */
		tail_zone(g, zone, sizeof(zone));
		lookup_init(&l, zone, zone, SCEN_T_MX, N_SITE);
		l.edns = 0;
		if (eval_rng_bernoulli(&g->rng, 0.3)) {
			struct dh_addr srv;
			zone_server(zone, &srv);
			direct_exchange(g, t, src, &srv, &l, 0, &rcode);
			bot_count(b, rcode, 1);
		} else {
			bot_count(b, resolve(g, t, src, &l, NULL), 0);
			snprintf(qname, sizeof(qname), "mx1.%s", zone);
			lookup_init(&l, qname, zone, SCEN_T_A, N_SITE);
			l.edns = 0;
			bot_count(b, resolve(g, t + 20 * MS_NS, src, &l, NULL), 0);
		}
		return next_poisson(g, t, b->rate);
	case SCEN_B_MAILER:
		tail_zone(g, zone, sizeof(zone));
		snprintf(qname, sizeof(qname), "%s.%s", mailer_prefix(g), zone);
		lookup_init(&l, qname, zone, SCEN_T_A, N_SITE);
		l.edns = 0;
		bot_count(b, resolve(g, t, src, &l, NULL), 0);
		return next_poisson(g, t, b->rate);
	case SCEN_B_WORM: {
		/* A random scan target's address written as a name. */
		uint64_t h = eval_rng_next(&g->rng);
		snprintf(qname, sizeof(qname), "%u.%u.%u.%u", (unsigned)(1 + h % 223),
		         (unsigned)((h >> 8) & 255), (unsigned)((h >> 16) & 255),
		         (unsigned)(1 + (h >> 24) % 254));
		lookup_init(&l, qname, "", SCEN_T_A, N_LITERAL);
		l.edns = 0;
		bot_count(b, resolve(g, t, src, &l, NULL), 0);
		return next_poisson(g, t, b->rate);
	}
	case SCEN_B_DDOS:
	case SCEN_B_DDOS_NORES: {
		/* learned_until is the next C&C contact, step the next
		 * attack, sub the attack packets sent in it. The victim's
		 * name is resolved lead seconds before the attack. */
		const struct scenario_attack *a =
		    ag->step < g->res->nattacks ? &g->res->attacks[ag->step] : NULL;
		int64_t lead = (1 + (int64_t)(ag->bot * 7 % 20)) * SEC_NS, next;

		if (a && ag->sub > 0) {
			flood_packet(g, b, a, t);
			if (++ag->sub > FLOOD_SAMPLE) {
				ag->sub = 0;
				ag->step++;
				a = ag->step < g->res->nattacks ? &g->res->attacks[ag->step] : NULL;
			}
		} else if (a && t >= a->start_ns - lead) {
			if (b->behaviour == SCEN_B_DDOS) {
				const char *dot = strchr(a->victim, '.');
				lookup_init(&l, a->victim, dot ? dot + 1 : a->victim, SCEN_T_A,
				            N_SITE);
				l.edns = 0;
				bot_count(b, resolve(g, t, src, &l, NULL), 0);
			}
			ag->sub = 1;
		} else {
			lookup_init(&l, b->domain, b->domain, SCEN_T_A, N_C2);
			l.fixed = b->c2;
			l.ttl = 300;
			l.edns = 0;
			bot_count(b, resolve(g, t, src, &l, NULL), 0);
			ag->learned_until = t + (int64_t)(b->period_s * (double)SEC_NS);
		}
		next = ag->learned_until;
		if (a && ag->sub > 0) {
			int64_t tf = a->start_ns + (int64_t)(ag->sub - 1) *
			                               ((a->end_ns - a->start_ns) / FLOOD_SAMPLE);
			next = tf > t ? tf : t + 1;
		} else if (a && a->start_ns - lead < next) {
			next = a->start_ns - lead > t ? a->start_ns - lead : t + 1;
		}
		return next;
	}
	case SCEN_B_FEEDER:
		/* Commands in TXT answers from a hard-coded server, never
		 * through the resolver (seed 003 Fig. 1(b)). */
		random_label(g, lab, 12 + (size_t)eval_rng_below(&g->rng, 20), b32, 32);
		snprintf(qname, sizeof(qname), "%s.%s", lab, b->domain);
		lookup_init(&l, qname, b->domain, SCEN_T_TXT, N_C2);
		l.ttl = 0;
		l.edns = 0;
		direct_exchange(g, t, src, &b->c2, &l, 0, &rcode);
		bot_count(b, rcode, 1);
		return t + (int64_t)(b->period_s * (double)SEC_NS *
		                     (0.9 + 0.2 * eval_rng_uniform(&g->rng)));
	case SCEN_B_MORTO:
		/* The C&C's address from an A answer through the resolver,
		 * then TXT queries to that address (seed 003 Fig. 1(a)). */
		if (t >= ag->learned_until) {
			lookup_init(&l, b->domain, b->domain, SCEN_T_A, N_C2);
			l.fixed = b->c2;
			l.ttl = 300;
			l.edns = 0;
			bot_count(b, resolve(g, t, src, &l, &ans), 0);
			ag->learned_until = t + 300 * SEC_NS;
			t += 50 * MS_NS;
		}
		random_label(g, lab, 8 + (size_t)eval_rng_below(&g->rng, 8), lower, 26);
		snprintf(qname, sizeof(qname), "%s.%s", lab, b->domain);
		lookup_init(&l, qname, b->domain, SCEN_T_TXT, N_C2);
		l.ttl = 0;
		l.edns = 0;
		direct_exchange(g, t, src, &b->c2, &l, 1, &rcode);
		bot_count(b, rcode, 1);
		return t + (int64_t)(b->period_s * (double)SEC_NS *
		                     (0.9 + 0.2 * eval_rng_uniform(&g->rng)));
	case SCEN_B_DGA: {
		/* A burst of names; the one registered for this burst is
		 * the k-th, and the bot stops there. */
		uint64_t burst = ag->step / 1000, pos = ag->step % 1000;
		uint64_t hit = dh_hash64(&burst, sizeof(burst), ag->bot) % 150;
		static const char *const dt[4] = {"com", "net", "org", "info"};

		random_label(g, lab, 10 + (size_t)eval_rng_below(&g->rng, 10), lower, 26);
		snprintf(qname, sizeof(qname), "%s.%s", lab, dt[eval_rng_below(&g->rng, 4)]);
		if (pos == hit) {
			lookup_init(&l, qname, qname, SCEN_T_A, N_C2);
			l.fixed = b->c2;
			l.ttl = 300;
		} else {
			lookup_init(&l, qname, qname, SCEN_T_A, N_NX);
		}
		l.edns = 0;
		bot_count(b, resolve(g, t, src, &l, NULL), 0);
		if (pos == hit) {
			ag->step = (burst + 1) * 1000;
			return t + (int64_t)(b->period_s * (double)SEC_NS);
		}
		ag->step++;
		return t + (200 + (int64_t)eval_rng_below(&g->rng, 800)) * MS_NS;
	}
	case SCEN_B_TUNNEL: {
		/* iodine-like: data in up to two long base32 labels. */
		size_t n2 = (size_t)eval_rng_below(&g->rng, 50);
		random_label(g, lab, 50 + (size_t)eval_rng_below(&g->rng, 14), b32, 32);
		if (n2) {
			random_label(g, lab2, n2, b32, 32);
			snprintf(qname, sizeof(qname), "%s.%s.t.%s", lab, lab2, b->domain);
		} else {
			snprintf(qname, sizeof(qname), "%s.t.%s", lab, b->domain);
		}
		lookup_init(&l, qname, b->domain,
		            eval_rng_bernoulli(&g->rng, 0.7) ? SCEN_T_TXT : SCEN_T_NULL, N_TUNNEL);
		l.ttl = 0;
		bot_count(b, resolve(g, t, src, &l, NULL), 0);
		return next_poisson(g, t, b->rate);
	}
	case SCEN_B_BEACON:
		cz = b->domain;
		lookup_init(&l, cz, cz, SCEN_T_A, N_C2);
		l.fixed = b->c2;
		l.ttl = 60;
		l.edns = 0;
		bot_count(b, resolve(g, t, src, &l, NULL), 0);
		/* A fixed period with 1% jitter. */
		return t + (int64_t)(b->period_s * (double)SEC_NS *
		                     (0.995 + 0.01 * eval_rng_uniform(&g->rng)));
	default:
		return g->end_ns;
	}
}

static double log_uniform(struct gen *g, double lo, double hi)
{
	return lo * exp(log(hi / lo) * eval_rng_uniform(&g->rng));
}

static void c2_name(struct gen *g, char *out, size_t cap)
{
	static const char *const t[5] = {"net", "info", "biz", "ru", "cn"};
	char lab[24];

	random_label(g, lab, 8 + (size_t)eval_rng_below(&g->rng, 5), lower, 26);
	snprintf(out, cap, "%s.%s", lab, t[eval_rng_below(&g->rng, 5)]);
}

static int attack_cmp(const void *x, const void *y)
{
	const struct scenario_attack *a = x, *b = y;

	return a->start_ns < b->start_ns ? -1 : a->start_ns > b->start_ns;
}

/* Draws every host, bot and attack. */
static int setup(struct gen *g)
{
	const struct scenario_config *cfg = g->cfg;
	struct scenario_result *res = g->res;
	int64_t start = cfg->start_ns, dur = g->end_ns - start;
	uint32_t nb = 0, nclients = cfg->clients, a = 0, *pick = NULL;
	double sum = 0;
	int rc = 0;

	for (unsigned b = 0; b < SCEN_B_COUNT; b++)
		nb += cfg->bots[b];
	if (nb > nclients)
		return DH_EUSAGE;
	g->nhosts = nclients + cfg->mail_servers + cfg->forwarders;
	g->nagents = g->nhosts + nb;
	g->hosts = calloc(g->nhosts, sizeof(*g->hosts));
	g->agents = calloc(g->nagents, sizeof(*g->agents));
	g->heap = calloc(g->nagents, sizeof(*g->heap));
	g->zipf_cdf = calloc(SITES, sizeof(*g->zipf_cdf));
	g->cache = calloc((size_t)1 << CACHE_BITS, sizeof(*g->cache));
	res->bots = calloc(nb ? nb : 1, sizeof(*res->bots));
	res->nattacks = (uint32_t)(cfg->hours / 2.0) + 1;
	res->attacks = calloc(res->nattacks, sizeof(*res->attacks));
	pick = calloc(nclients ? nclients : 1, sizeof(*pick));
	if (!g->hosts || !g->agents || !g->heap || !g->zipf_cdf || !g->cache || !res->bots ||
	    !res->attacks || !pick) {
		rc = -ENOMEM;
		goto out;
	}
	/* Zipf's law with exponent 0.9 for site popularity (Breslau et al.,
	 * INFOCOM 1999, measured 0.64 to 0.83 for web requests; Jung et
	 * al., IMW 2001, found DNS names close to Zipf too). */
	for (uint32_t i = 0; i < SITES; i++) {
		sum += 1.0 / pow((double)(i + 1), 0.9);
		g->zipf_cdf[i] = sum;
	}
	for (uint32_t i = 0; i < SITES; i++)
		g->zipf_cdf[i] /= sum;
	addr4(&res->resolver4, 10, 0, 0, 53);
	dh_addr_parse(&res->resolver6, "fd00::53");

	/* Clients: 10.16.0.0/12; 15% IPv6-only toward the resolver. */
	for (uint32_t i = 0; i < nclients; i++) {
		struct agent *ag = &g->agents[a];
		uint32_t x = i + 256;

		if (eval_rng_bernoulli(&g->rng, 0.15)) {
			uint8_t v6[16] = {0xfd, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
			v6[12] = (uint8_t)(x >> 24);
			v6[13] = (uint8_t)(x >> 16);
			v6[14] = (uint8_t)(x >> 8);
			v6[15] = (uint8_t)x;
			dh_addr_set6(&g->hosts[i], v6);
		} else {
			addr4(&g->hosts[i], 10, (uint8_t)(16 + (x >> 16)), (uint8_t)(x >> 8),
			      (uint8_t)x);
		}
		ag->kind = AG_CLIENT;
		ag->host = i;
		/* Per-client activity is heavy-tailed: log-normal, sigma 1,
		 * mean client_rate. */
		{
			double u1 = eval_rng_uniform(&g->rng), u2 = eval_rng_uniform(&g->rng);
			double z = sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);
			ag->rate = cfg->client_rate * exp(z - 0.5);
		}
		ag->pubres = (uint8_t)eval_rng_bernoulli(&g->rng, 0.03);
		ag->next_ns = next_diurnal(g, start, ag->rate);
		a++;
	}
	for (uint32_t i = 0; i < cfg->mail_servers; i++) {
		uint32_t h = nclients + i;
		addr4(&g->hosts[h], 10, 0, 0, (uint8_t)(25 + i));
		g->agents[a].kind = AG_MAIL;
		g->agents[a].host = h;
		g->agents[a].rate = 0.2;
		g->agents[a].next_ns = next_diurnal(g, start, 0.2);
		a++;
	}
	for (uint32_t i = 0; i < cfg->forwarders; i++) {
		uint32_t h = nclients + cfg->mail_servers + i;
		addr4(&g->hosts[h], 10, 0, 1, (uint8_t)(1 + i));
		g->agents[a].kind = AG_FORWARDER;
		g->agents[a].host = h;
		/* A home router or dnsmasq in front of 20 clients. */
		g->agents[a].rate = 20 * cfg->client_rate;
		g->agents[a].next_ns = next_diurnal(g, start, g->agents[a].rate);
		a++;
	}

	/* Attacks: victims from the popular sites, so benign clients ask
	 * for them too (seed 000 section 4.4). */
	for (uint32_t k = 0; k < res->nattacks; k++) {
		struct scenario_attack *at = &res->attacks[k];
		char zone[48];
		uint64_t h;

		site_zone(10 + eval_rng_below(&g->rng, 1000), zone, sizeof(zone));
		snprintf(at->victim, sizeof(at->victim), "www.%s", zone);
		h = dh_hash64(at->victim, strlen(at->victim), 0xa45);
		addr4(&at->addr, 198, 19, (uint8_t)(h >> 16), (uint8_t)(1 + (h >> 24) % 250));
		at->start_ns =
		    start + dur / 10 + (int64_t)eval_rng_below(&g->rng, (uint64_t)(dur * 7 / 10));
		at->end_ns = at->start_ns + 300 * SEC_NS;
	}

	qsort(res->attacks, res->nattacks, sizeof(*res->attacks), attack_cmp);

	/* Bots: distinct IPv4 clients (partial Fisher-Yates). */
	{
		uint32_t n4 = 0;
		for (uint32_t i = 0; i < nclients; i++)
			if (g->hosts[i].family == DH_AF_INET)
				pick[n4++] = i;
		if (nb > n4) {
			rc = DH_EUSAGE;
			goto out;
		}
		for (uint32_t i = 0; i < nb; i++) {
			uint32_t j = i + (uint32_t)eval_rng_below(&g->rng, n4 - i), t = pick[i];
			pick[i] = pick[j];
			pick[j] = t;
		}
	}
	for (unsigned bh = 0, i = 0; bh < SCEN_B_COUNT; bh++) {
		for (uint32_t k = 0; k < cfg->bots[bh]; k++, i++) {
			struct scenario_bot *b = &res->bots[i];
			struct agent *ag = &g->agents[a++];

			b->addr = g->hosts[pick[i]];
			b->behaviour = bh;
			b->from_ns =
			    start + (int64_t)(eval_rng_uniform(&g->rng) * 0.3 * (double)dur);
			b->to_ns = b->from_ns + (int64_t)((0.5 + 0.5 * eval_rng_uniform(&g->rng)) *
			                                  (double)(g->end_ns - b->from_ns));
			addr4(&b->c2, 203, 0, 113, (uint8_t)(1 + eval_rng_below(&g->rng, 254)));
			c2_name(g, b->domain, sizeof(b->domain));
			switch (bh) {
			case SCEN_B_SPAM:
				/* Seed 001: candidates from 1,000 MX queries a
				 * day, emergency above 10,000. */
				b->rate = log_uniform(g, 1000.0 / 86400, 50000.0 / 86400);
				break;
			case SCEN_B_MAILER:
				b->rate = log_uniform(g, 5000.0 / 86400, 230000.0 / 86400);
				break;
			case SCEN_B_WORM:
				/* Seed 001's clients A to C: 32,728 to
				 * 400,964 queries a day. */
				b->rate = log_uniform(g, 32728.0 / 86400, 400964.0 / 86400);
				break;
			case SCEN_B_DDOS:
			case SCEN_B_DDOS_NORES:
				/* Bots under attack orders stay on for the
				 * whole scenario. */
				b->from_ns = start;
				b->to_ns = g->end_ns;
				b->period_s = log_uniform(g, 300, 1800);
				break;
			case SCEN_B_FEEDER:
			case SCEN_B_MORTO:
				b->period_s = log_uniform(g, 60, 600);
				break;
			case SCEN_B_DGA:
				b->period_s = log_uniform(g, 900, 3600);
				break;
			case SCEN_B_TUNNEL:
				b->rate = log_uniform(g, 0.2, 2.0);
				break;
			case SCEN_B_BEACON:
				b->period_s = log_uniform(g, 30, 600);
				break;
			default:
				break;
			}
			/* Whole microseconds, the capture's resolution, so
			 * the first packet is not stamped before "from". */
			b->from_ns -= b->from_ns % 1000;
			ag->kind = AG_BOT;
			ag->host = pick[i];
			ag->bot = i;
			ag->next_ns = b->from_ns;
			/* Bots on from the start do not all call home in the
			 * same instant: the first contact falls anywhere in
			 * the first period. */
			if (b->from_ns == start && b->period_s > 0)
				ag->next_ns += (int64_t)(eval_rng_uniform(&g->rng) * b->period_s *
				                         (double)SEC_NS) /
				               1000 * 1000;
			/* ... but before the first attack's orders are due. */
			if ((bh == SCEN_B_DDOS || bh == SCEN_B_DDOS_NORES) && res->nattacks &&
			    ag->next_ns > res->attacks[0].start_ns - 30 * SEC_NS)
				ag->next_ns = start;
		}
	}
	res->nbots = nb;
	for (uint32_t i = 0; i < g->nagents; i++) {
		g->heap[g->nheap] = i;
		heap_up(g, g->nheap++);
	}
out:
	free(pick);
	return rc;
}

static void json_addr(FILE *f, const char *key, const struct dh_addr *a)
{
	char t[DH_ADDR_TEXT_MAX];

	dh_addr_format(a, t, sizeof(t));
	fprintf(f, "\"%s\": \"%s\"", key, t);
}

static void json_time(FILE *f, const char *key, int64_t ns)
{
	time_t tt = (time_t)(ns / SEC_NS);
	struct tm tm;
	char b[40];

	gmtime_r(&tt, &tm);
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "\"%s\": \"%s\", \"%s_ns\": %lld", key, b, key, (long long)ns);
}

/* truth.json: the configuration, the hosts that are not ordinary clients
 * and every attack. Written with fixed formats, so byte-identical for the
 * same run. */
static int write_truth(const struct gen *g, const char *path)
{
	const struct scenario_result *res = g->res;
	const struct scenario_config *cfg = g->cfg;
	FILE *f = fopen(path, "w");
	int rc = 0;

	if (!f)
		return -errno;
	fprintf(f, "{\n  \"generator\": \"dnshound scenario\",\n  \"seed\": %llu,\n",
	        (unsigned long long)cfg->seed);
	fprintf(f, "  \"clients\": %u,\n  \"hours\": %.6g,\n  \"client_rate\": %.6g,\n  ",
	        cfg->clients, cfg->hours, cfg->client_rate);
	json_time(f, "start", cfg->start_ns);
	fputs(",\n  ", f);
	json_time(f, "end", g->end_ns);
	fputs(",\n  \"resolver\": {", f);
	json_addr(f, "ipv4", &res->resolver4);
	fputs(", ", f);
	json_addr(f, "ipv6", &res->resolver6);
	fputs(", \"identity\": \"resolver1\"},\n  \"benign_servers\": [", f);
	for (uint32_t i = 0; i < cfg->mail_servers + cfg->forwarders; i++) {
		const struct dh_addr *h = &g->hosts[cfg->clients + i];
		fputs(i ? ",\n    {" : "\n    {", f);
		json_addr(f, "addr", h);
		fprintf(f, ", \"role\": \"%s\"}",
		        i < cfg->mail_servers ? "mail-server" : "forwarder");
	}
	fputs("\n  ],\n  \"public_resolver_users\": [", f);
	{
		int first = 1;
		for (uint32_t i = 0; i < cfg->clients; i++) {
			char t[DH_ADDR_TEXT_MAX];
			if (!g->agents[i].pubres || g->hosts[i].family != DH_AF_INET)
				continue;
			dh_addr_format(&g->hosts[i], t, sizeof(t));
			fprintf(f, "%s\"%s\"", first ? "" : ", ", t);
			first = 0;
		}
	}
	fputs("],\n  \"infected\": [", f);
	for (uint32_t i = 0; i < res->nbots; i++) {
		const struct scenario_bot *b = &res->bots[i];
		fputs(i ? ",\n    {" : "\n    {", f);
		json_addr(f, "addr", &b->addr);
		fprintf(f, ", \"behaviour\": \"%s\", \"active\": {", behaviour_names[b->behaviour]);
		json_time(f, "from", b->from_ns);
		fputs(", ", f);
		json_time(f, "to", b->to_ns);
		fprintf(f,
		        "}, \"params\": {\"rate_per_s\": %.6g, \"period_s\": %.6g, \"domain\": "
		        "\"%s\", ",
		        b->rate, b->period_s, b->domain);
		json_addr(f, "c2", &b->c2);
		fprintf(
		    f,
		    "}, \"generated\": {\"queries\": %llu, \"direct\": %llu, \"nxdomain\": %llu, "
		    "\"flood_packets\": %llu}}",
		    (unsigned long long)b->queries, (unsigned long long)b->direct,
		    (unsigned long long)b->nxdomain, (unsigned long long)b->flood);
	}
	fputs("\n  ],\n  \"attacks\": [", f);
	for (uint32_t i = 0; i < res->nattacks; i++) {
		const struct scenario_attack *at = &res->attacks[i];
		fprintf(f, "%s{\"victim\": \"%s\", ", i ? ",\n    " : "\n    ", at->victim);
		json_addr(f, "addr", &at->addr);
		fputs(", ", f);
		json_time(f, "start", at->start_ns);
		fputs(", ", f);
		json_time(f, "end", at->end_ns);
		fputs("}", f);
	}
	{
		const struct scenario_stats *s = &res->stats;
		fprintf(
		    f,
		    "\n  ],\n  \"totals\": {\"messages\": %llu, \"client_queries\": %llu, "
		    "\"cache_hits\": %llu, \"upstream_queries\": %llu, \"direct_queries\": %llu, "
		    "\"tcp_queries\": %llu, \"flood_packets\": %llu, \"pcap_packets\": %llu}\n}\n",
		    (unsigned long long)s->messages, (unsigned long long)s->client_queries,
		    (unsigned long long)s->cache_hits, (unsigned long long)s->upstream_queries,
		    (unsigned long long)s->direct_queries, (unsigned long long)s->tcp_queries,
		    (unsigned long long)s->flood_packets, (unsigned long long)s->pcap_packets);
	}
	if (ferror(f))
		rc = -EIO;
	if (fclose(f) != 0 && !rc)
		rc = -EIO;
	return rc;
}

static int open_out(const char *dir, const char *name, char *path, size_t cap)
{
	int n = snprintf(path, cap, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int scenario_run(const struct scenario_config *cfg, const char *dir, struct scenario_result **out)
{
	struct gen *g = NULL;
	struct scenario_result *res = NULL;
	char path[4096];
	int rc = 0, rc2;

	if (!cfg || !dir || !out || cfg->hours <= 0 || cfg->hours > 24 * 366 ||
	    cfg->client_rate < 0 || cfg->client_rate > 1000)
		return DH_EUSAGE;
	*out = NULL;
	g = calloc(1, sizeof(*g));
	res = calloc(1, sizeof(*res));
	if (!g || !res) {
		rc = -ENOMEM;
		goto out;
	}
	res->cfg = *cfg;
	g->cfg = cfg;
	g->res = res;
	g->end_ns = cfg->start_ns + (int64_t)(cfg->hours * 3600.0 * (double)SEC_NS);
	eval_rng_seed(&g->rng, cfg->seed);
	rc = setup(g);
	if (rc < 0)
		goto out;
	if ((rc = open_out(dir, "traffic.pcap", path, sizeof(path))) < 0 ||
	    (rc = scenario_pcap_open(&g->pcap, path)) < 0)
		goto out;
	if ((rc = open_out(dir, "resolver.dnstap", path, sizeof(path))) < 0 ||
	    (rc = scenario_dnstap_open(&g->dnstap, path)) < 0)
		goto out;
	if ((rc = open_out(dir, "resolver-query.log", path, sizeof(path))) < 0 ||
	    (rc = scenario_log_open(&g->log, path)) < 0)
		goto out;

	while (g->nheap) {
		uint32_t i = g->heap[0];
		struct agent *ag = &g->agents[i];
		int64_t t = ag->next_ns;

		if (t >= g->end_ns)
			break;
		pend_flush(g, t);
		switch (ag->kind) {
		case AG_CLIENT:
		case AG_FORWARDER:
			act_client(g, ag, t);
			ag->next_ns = next_diurnal(g, t, ag->rate);
			break;
		case AG_MAIL:
			act_mail(g, ag, t);
			ag->next_ns = next_diurnal(g, t, ag->rate);
			break;
		default:
			ag->next_ns = act_bot(g, ag, t);
			if (ag->next_ns >= res->bots[ag->bot].to_ns)
				ag->next_ns = g->end_ns;
			break;
		}
		if (ag->next_ns <= t)
			ag->next_ns = t + 1;
		heap_down(g, 0);
	}
	pend_flush(g, INT64_MAX);
	if (g->err) {
		rc = g->err;
		goto out;
	}
	res->stats.bytes_pcap = g->pcap.bytes;
	res->stats.bytes_dnstap = g->dnstap.bytes;
	res->stats.bytes_log = g->log.file.bytes;
out:
	if (g) {
		rc2 = scenario_file_close(&g->pcap);
		if (!rc)
			rc = rc2;
		rc2 = scenario_dnstap_close(&g->dnstap);
		if (!rc)
			rc = rc2;
		rc2 = scenario_log_close(&g->log);
		if (!rc)
			rc = rc2;
		if (!rc) {
			rc = open_out(dir, "truth.json", path, sizeof(path));
			if (!rc)
				rc = write_truth(g, path);
		}
		free(g->hosts);
		free(g->agents);
		free(g->heap);
		free(g->zipf_cdf);
		free(g->cache);
		free(g->arena);
		free(g->arena2);
		free(g->pend);
		free(g);
	}
	if (rc < 0) {
		scenario_result_free(res);
		return rc;
	}
	*out = res;
	return 0;
}

void scenario_result_free(struct scenario_result *res)
{
	if (!res)
		return;
	free(res->bots);
	free(res->attacks);
	free(res);
}
