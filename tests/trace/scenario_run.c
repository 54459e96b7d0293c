/*
 * scenario_run.c - runs traceback scenario files (format in
 * tests/trace/scenarios/README.md): builds one real store per agent from
 * the events the file lists, connects the agents over the fake transport,
 * sends the requests and checks the answers. Every file given on the
 * command line is one cmocka test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../store/helpers.h"
#include "trace/trace.h"
#include "util/err.h"
#include "util/timefmt.h"

#define MAXA   16
#define MAXTOK 24
#define SEC    1000000000LL

struct sagent {
	char name[TRACE_AGENT_MAX + 1];
	size_t nservers;
	struct dh_addr servers[4];
	char server_text[4][DH_ADDR_TEXT_MAX];
	size_t ndown;
	struct dh_addr down[8];
	int upstream;
	int auth;
	char dir[512];
	struct store *st;
	uint64_t events;
	size_t npeers;
	struct trace_peer peers[16];
	struct trace_agent *ag;
};

struct sc {
	const char *file;
	int line;
	int64_t t0;
	size_t n;
	struct sagent a[MAXA];
	size_t nclients;
	char clients[8][TRACE_AGENT_MAX + 1];
	struct trace_fake *net;
	int built;
	int have; /* an answer is held */
	int rc;   /* the last ask's transport code */
	struct trace_answer ans;
	char raw[256]; /* start of the last answer, for messages */
	int matched;   /* confirmations that matched */
};

static void die(const struct sc *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void die(const struct sc *s, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fail_msg("%s:%d: %s", s->file, s->line, msg);
}

static struct trace_ident ident_of(const char *name)
{
	struct trace_ident id;
	memset(&id, 0, sizeof(id));
	snprintf(id.ca, sizeof(id.ca), "dnshound test CA");
	snprintf(id.name, sizeof(id.name), "%s", name);
	return id;
}

static struct sagent *agent(struct sc *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->a[i].name, name) == 0)
			return &s->a[i];
	die(s, "no agent %s", name);
	return NULL;
}

static int64_t rel(struct sc *s, const char *t)
{
	char *end;
	double d = strtod(t, &end);
	if (*end)
		die(s, "bad time %s", t);
	return s->t0 + (int64_t)(d * 1e9);
}

static long num(struct sc *s, const char *t)
{
	char *end;
	long v = strtol(t, &end, 10);
	if (*end || end == t)
		die(s, "bad number %s", t);
	return v;
}

/* Splits line into at most MAXTOK words at blanks; '#' starts a comment. */
static size_t split(char *line, char **tok)
{
	size_t n = 0;
	char *p = line;
	char *hash = strchr(p, '#');
	if (hash)
		*hash = '\0';
	while (*p && n < MAXTOK) {
		p += strspn(p, " \t\r\n");
		if (!*p)
			break;
		size_t len = strcspn(p, " \t\r\n");
		tok[n++] = p;
		if (!p[len])
			break;
		p[len] = '\0';
		p += len + 1;
	}
	return n;
}

static void addrs(struct sc *s, const char *list, struct dh_addr *out, size_t max, size_t *n,
                  char (*text)[DH_ADDR_TEXT_MAX])
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", list);
	char *p = buf;
	*n = 0;
	while (*p) {
		size_t len = strcspn(p, ",");
		char save = p[len];
		p[len] = '\0';
		if (*n >= max || dh_addr_parse(&out[*n], p) != 0)
			die(s, "bad address list %s", list);
		if (text)
			snprintf(text[*n], DH_ADDR_TEXT_MAX, "%.45s", p);
		(*n)++;
		if (!save)
			break;
		p += len + 1;
	}
}

static void add_event(struct sc *s, struct sagent *a, struct ev_event *ev)
{
	assert_int_equal(store_ingest_add(a->st, ev), 0);
	a->events++;
}

static void build(struct sc *s)
{
	if (s->built)
		return;
	s->built = 1;
	assert_int_equal(trace_fake_new(&s->net, s->t0), 0);
	struct trace_transport tr[MAXA];
	struct trace_clock clk[MAXA];
	for (size_t i = 0; i < s->n; i++) {
		struct sagent *a = &s->a[i];
		assert_int_equal(store_ingest_end(a->st), 0);
		struct trace_ident id = ident_of(a->name);
		assert_int_equal(trace_fake_node(s->net, a->name, &id, &tr[i], &clk[i]), 0);
	}
	for (size_t i = 0; i < s->nclients; i++) {
		struct trace_ident id = ident_of(s->clients[i]);
		struct trace_transport t;
		struct trace_clock c;
		assert_int_equal(trace_fake_node(s->net, s->clients[i], &id, &t, &c), 0);
	}
	for (size_t i = 0; i < s->n; i++) {
		struct sagent *a = &s->a[i];
		struct trace_agent_config cfg;
		memset(&cfg, 0, sizeof(cfg));
		cfg.name = a->name;
		cfg.store = a->st;
		cfg.servers = a->servers;
		cfg.nservers = a->nservers;
		cfg.downstream = a->down;
		cfg.ndownstream = a->ndown;
		cfg.sees_upstream = a->upstream;
		cfg.clock = clk[i];
		cfg.transport = tr[i];
		assert_int_equal(trace_oprf_keygen(cfg.oprf_key), 0);
		assert_int_equal(trace_agent_new(&a->ag, &cfg, a->peers, a->npeers), 0);
		assert_int_equal(trace_fake_attach(s->net, a->name, a->ag), 0);
	}
}

/* agent NAME server A[,A] [upstream] [downstream A,...] */
static void do_agent(struct sc *s, char **t, size_t n)
{
	if (n < 4 || strcmp(t[2], "server") != 0 || s->n >= MAXA)
		die(s, "usage: agent NAME server ADDR[,ADDR] [upstream] [downstream ADDRS]");
	struct sagent *a = &s->a[s->n++];
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", t[1]);
	addrs(s, t[3], a->servers, 4, &a->nservers, a->server_text);
	for (size_t i = 4; i < n; i++) {
		if (strcmp(t[i], "upstream") == 0)
			a->upstream = 1;
		else if (strcmp(t[i], "auth") == 0)
			a->auth = 1;
		else if (strcmp(t[i], "downstream") == 0 && i + 1 < n)
			addrs(s, t[++i], a->down, 8, &a->ndown, NULL);
		else
			die(s, "unknown agent option %s", t[i]);
	}
	th_tmpdir(a->dir, sizeof(a->dir));
	assert_int_equal(store_open(&a->st, a->dir, STORE_CREATE), 0);
	uint64_t skip = 0;
	uint8_t h[8] = {1, 2, 3, 4, 5, 6, 7, (uint8_t)s->n};
	assert_int_equal(store_ingest_begin(a->st, "scenario", h, sizeof(h), &skip), 0);
}

/* peer AGENT WHO RIGHTS [rate R] [burst B] */
static void do_peer(struct sc *s, char **t, size_t n)
{
	if (n < 4)
		die(s, "usage: peer AGENT WHO RIGHTS [rate R burst B]");
	struct sagent *a = agent(s, t[1]);
	if (a->npeers >= 16)
		die(s, "too many peers");
	struct trace_peer *p = &a->peers[a->npeers++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", t[2]);
	snprintf(p->ca, sizeof(p->ca), "dnshound test CA");
	snprintf(p->cn, sizeof(p->cn), "%s", t[2]);
	snprintf(p->url, sizeof(p->url), "fake://%s", t[2]);
	if (strcmp(t[3], "none") != 0 && trace_rights_parse(t[3], &p->rights) != 0)
		die(s, "bad rights %s", t[3]);
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->a[i].name, t[2]) == 0) {
			p->nservers = s->a[i].nservers;
			memcpy(p->servers, s->a[i].servers, sizeof(s->a[i].servers));
		}
	for (size_t i = 4; i + 1 < n; i += 2) {
		if (strcmp(t[i], "rate") == 0)
			p->rate = strtod(t[i + 1], NULL);
		else if (strcmp(t[i], "burst") == 0)
			p->burst = strtod(t[i + 1], NULL);
		else
			die(s, "unknown peer option %s", t[i]);
	}
}

/* query AGENT T CLIENT NAME [QTYPE] [nord] */
static void do_query(struct sc *s, char **t, size_t n)
{
	if (n < 5)
		die(s, "usage: query AGENT T CLIENT NAME [QTYPE] [nord]");
	struct sagent *a = agent(s, t[1]);
	struct ev_event ev;
	th_event(&ev, rel(s, t[2]), t[4], t[3], a->server_text[0], 0);
	ev.role = a->auth ? EV_ROLE_AUTH_QUERY : EV_ROLE_CLIENT_QUERY;
	for (size_t i = 5; i < n; i++) {
		if (strcmp(t[i], "nord") == 0)
			ev.msg.flags &= (uint16_t)~DNS_FLAG_RD;
		else if (strcmp(t[i], "AAAA") == 0)
			ev.msg.qtype = DNS_T_AAAA;
		else if (strcmp(t[i], "MX") == 0)
			ev.msg.qtype = DNS_T_MX;
		else if (strcmp(t[i], "A") != 0)
			die(s, "unknown query option %s", t[i]);
	}
	add_event(s, a, &ev);
}

/* upstream AGENT T NAME: the agent's server asks upstream. */
static void do_upstream(struct sc *s, char **t, size_t n)
{
	if (n != 4)
		die(s, "usage: upstream AGENT T NAME");
	struct sagent *a = agent(s, t[1]);
	struct ev_event ev;
	th_event(&ev, rel(s, t[2]), t[3], a->server_text[0], "198.51.100.53", 0);
	ev.role = EV_ROLE_RESOLVER_QUERY;
	ev.msg.flags = 0;
	add_event(s, a, &ev);
}

/* answer AGENT T CLIENT NAME TTL ADDR: the server's answer. */
static void do_answer(struct sc *s, char **t, size_t n)
{
	if (n != 7)
		die(s, "usage: answer AGENT T CLIENT NAME TTL ADDR");
	struct sagent *a = agent(s, t[1]);
	struct ev_event ev;
	th_event(&ev, rel(s, t[2]), t[4], t[3], a->server_text[0], 1);
	ev.role = a->auth ? EV_ROLE_AUTH_RESPONSE : EV_ROLE_CLIENT_RESPONSE;
	th_add_rr(&ev, DNS_SEC_ANSWER, strchr(t[6], ':') ? DNS_T_AAAA : DNS_T_A,
	          (uint32_t)num(s, t[5]), t[4], t[6]);
	add_event(s, a, &ev);
}

/* benign AGENT N PREFIX NAME T0 T1: N hosts PREFIX1..PREFIXN ask NAME
 * once each, evenly spread over [T0, T1]. */
static void do_benign(struct sc *s, char **t, size_t n)
{
	if (n != 7)
		die(s, "usage: benign AGENT N PREFIX NAME T0 T1");
	struct sagent *a = agent(s, t[1]);
	long count = num(s, t[2]);
	int64_t t0 = rel(s, t[5]), t1 = rel(s, t[6]);
	for (long i = 0; i < count; i++) {
		char host[DH_ADDR_TEXT_MAX];
		snprintf(host, sizeof(host), "%s%ld", t[3], i + 1);
		struct ev_event ev;
		int64_t ts = count > 1 ? t0 + (t1 - t0) / (count - 1) * i : t0;
		th_event(&ev, ts, t[4], host, a->server_text[0], 0);
		add_event(s, a, &ev);
	}
}

/* ask FROM TO (fqdn NAME | victim_ip A) start T [end T] [window W]
 *     [source A] [deadline MS] [hops H path A,B] [type confirm] */
static void do_ask(struct sc *s, char **t, size_t n)
{
	build(s);
	if (s->have)
		trace_answer_release(&s->ans);
	s->have = 0;
	if (n < 5)
		die(s, "usage: ask FROM TO fqdn NAME start T ...");
	const char *fqdn = NULL, *vip = NULL, *source = NULL, *path = NULL;
	int64_t start = s->t0, end = 0, deadline = 5000;
	long window = 10, hops = 0, maxhops = 4;
	int confirm = 0;
	for (size_t i = 3; i + 1 < n; i += 2) {
		if (strcmp(t[i], "fqdn") == 0)
			fqdn = t[i + 1];
		else if (strcmp(t[i], "victim_ip") == 0)
			vip = t[i + 1];
		else if (strcmp(t[i], "start") == 0)
			start = rel(s, t[i + 1]);
		else if (strcmp(t[i], "end") == 0)
			end = rel(s, t[i + 1]);
		else if (strcmp(t[i], "window") == 0)
			window = num(s, t[i + 1]);
		else if (strcmp(t[i], "source") == 0)
			source = t[i + 1];
		else if (strcmp(t[i], "deadline") == 0)
			deadline = num(s, t[i + 1]);
		else if (strcmp(t[i], "hops") == 0)
			hops = num(s, t[i + 1]);
		else if (strcmp(t[i], "path") == 0)
			path = t[i + 1];
		else if (strcmp(t[i], "maxhops") == 0)
			maxhops = num(s, t[i + 1]);
		else if (strcmp(t[i], "type") == 0)
			confirm = strcmp(t[i + 1], "confirm") == 0;
		else
			die(s, "unknown ask option %s", t[i]);
	}
	struct trace_request r;
	struct dh_addr victim, src;
	if (vip && dh_addr_parse(&victim, vip) != 0)
		die(s, "bad victim_ip");
	int64_t now_ms = trace_fake_now(s->net) / 1000000;
	assert_int_equal(trace_request_init(&r, t[1], fqdn, vip ? &victim : NULL, start / 1000000,
	                                    (end ? end : start) / 1000000, (uint32_t)window,
	                                    now_ms + deadline),
	                 0);
	if (confirm)
		r.kind = TRACE_KIND_CONFIRM;
	r.hops = (unsigned)hops;
	r.max_hops = (unsigned)maxhops;
	if (path) {
		char buf[256];
		snprintf(buf, sizeof(buf), "%s", path);
		char *p = buf;
		while (*p && r.npath < TRACE_PATH_MAX) {
			size_t len = strcspn(p, ",");
			char save = p[len];
			p[len] = '\0';
			snprintf(r.path[r.npath++], sizeof(r.path[0]), "%.64s", p);
			if (!save)
				break;
			p += len + 1;
		}
	}
	uint8_t blind_r[TRACE_OPRF_KEY];
	if (source) {
		if (dh_addr_parse(&src, source) != 0 || !fqdn)
			die(s, "source needs an address and an fqdn");
		assert_int_equal(trace_oprf_blind(&src, fqdn, blind_r, r.blinded), 0);
		r.has_blinded = 1;
	}
	char *req = NULL, *ans = NULL;
	size_t len = 0, alen = 0;
	assert_int_equal(trace_request_encode(&r, &req, &len), 0);
	struct trace_ident as = ident_of(t[1]);
	s->rc = trace_fake_ask(s->net, t[2], &as, req, len, &ans, &alen);
	free(req);
	if (s->rc == 0) {
		char err[256];
		int prc = trace_answer_parse((const uint8_t *)ans, alen, &s->ans, err, sizeof(err));
		if (prc != 0)
			die(s, "answer does not parse (%s): %.200s", err, ans);
		snprintf(s->raw, sizeof(s->raw), "%.*s", (int)(alen < 255 ? alen : 255), ans);
		s->have = 1;
		s->matched = -1;
		if (source)
			s->matched = trace_oprf_verdict(&s->ans, blind_r, &src, fqdn);
		if (getenv("TRACE_SCENARIO_VERBOSE"))
			fprintf(stderr, "%s:%d: %s\n", s->file, s->line, ans);
	}
	free(ans);
}

static const struct trace_candidate *cand(struct sc *s, const char *host, size_t *rank)
{
	for (size_t i = 0; i < s->ans.ncand; i++)
		if (strcmp(s->ans.cand[i].host, host) == 0) {
			if (rank)
				*rank = i + 1;
			return &s->ans.cand[i];
		}
	return NULL;
}

static void do_expect(struct sc *s, char **t, size_t n)
{
	if (n < 2)
		die(s, "usage: expect WHAT ...");
	const char *w = t[1];
	if (strcmp(w, "error") == 0) {
		if (!s->have || s->ans.error == 0 || n != 3 ||
		    strcmp(trace_code_name(s->ans.error), t[2]) != 0)
			die(s, "expected error %s, got %s", n == 3 ? t[2] : "?",
			    s->have ? s->raw : trace_strerror(s->rc));
		return;
	}
	if (strcmp(w, "transport") == 0) {
		if (n != 3 || strcmp(trace_code_name(s->rc), t[2]) != 0)
			die(s, "expected transport failure %s, got %d", t[2], s->rc);
		return;
	}
	if (!s->have)
		die(s, "no answer (transport: %s)", trace_strerror(s->rc));
	if (s->ans.error)
		die(s, "error answer: %s", s->raw);
	if (strcmp(w, "rank") == 0 && n == 4) {
		size_t r = (size_t)num(s, t[2]);
		if (r == 0 || r > s->ans.ncand || strcmp(s->ans.cand[r - 1].host, t[3]) != 0)
			die(s, "rank %zu is %s, not %s", r,
			    r && r <= s->ans.ncand ? s->ans.cand[r - 1].host : "(none)", t[3]);
	} else if (strcmp(w, "top") == 0) {
		size_t k = n - 2;
		for (size_t i = 2; i < n; i++) {
			size_t r = 0;
			if (!cand(s, t[i], &r) || r > k)
				die(s, "%s is not among the top %zu (rank %zu)", t[i], k, r);
		}
	} else if (strcmp(w, "candidates") == 0 && n == 3) {
		if (s->ans.ncand != (size_t)num(s, t[2]))
			die(s, "%zu candidates, not %s", s->ans.ncand, t[2]);
	} else if (strcmp(w, "absent") == 0 && n == 3) {
		if (cand(s, t[2], NULL))
			die(s, "%s is a candidate", t[2]);
	} else if (strcmp(w, "path") == 0 && n == 4) {
		const struct trace_candidate *c = cand(s, t[2], NULL);
		char got[512] = "";
		size_t off = 0;
		for (unsigned i = 0; c && i < c->npath; i++)
			off += (size_t)snprintf(got + off, sizeof(got) - off, "%s%s", i ? "," : "",
			                        c->path[i]);
		if (!c || strcmp(got, t[3]) != 0)
			die(s, "path of %s is %s, not %s", t[2], got, t[3]);
	} else if (strcmp(w, "reason") == 0 && n >= 4) {
		const struct trace_candidate *c = cand(s, t[2], NULL);
		int found = 0;
		for (unsigned i = 0; c && i < c->nreasons; i++)
			found |= strstr(c->reasons[i], t[3]) != NULL;
		if (!found)
			die(s, "no reason of %s mentions %s", t[2], t[3]);
	} else if (strcmp(w, "cached") == 0 && n == 4) {
		const struct trace_candidate *c = cand(s, t[2], NULL);
		int want = strcmp(t[3], "true") == 0 ? 1 : strcmp(t[3], "false") == 0 ? 0 : -1;
		if (!c || c->nevidence == 0 || c->evidence[c->nevidence - 1].cached != want)
			die(s, "last evidence of %s is not cached=%s", t[2], t[3]);
	} else if (strcmp(w, "spoofed") == 0 && n == 3) {
		int want = strcmp(t[2], "true") == 0 ? 1 : strcmp(t[2], "false") == 0 ? 0 : -1;
		if (s->ans.spoofed != want)
			die(s, "spoofed is %d, not %s (%zu confirmations)", s->ans.spoofed, t[2],
			    s->ans.nconf);
	} else if (strcmp(w, "unreached") == 0 && n == 4) {
		int found = 0;
		for (size_t i = 0; i < s->ans.nunreached; i++)
			found |= strcmp(s->ans.unreached[i].agent, t[2]) == 0 &&
			         strcmp(s->ans.unreached[i].reason, t[3]) == 0;
		if (!found)
			die(s, "%s not unreached for %s: %s", t[2], t[3], s->raw);
	} else if (strcmp(w, "reached") == 0 && n == 3) {
		for (size_t i = 0; i < s->ans.nunreached; i++)
			if (strcmp(s->ans.unreached[i].agent, t[2]) == 0)
				die(s, "%s unreached: %s", t[2], s->ans.unreached[i].reason);
	} else if (strcmp(w, "cc") == 0 && n == 4) {
		size_t r = (size_t)num(s, t[2]);
		if (r == 0 || r > s->ans.ncc || strcmp(s->ans.cc[r - 1].name, t[3]) != 0)
			die(s, "cc rank %zu is %s, not %s", r,
			    r && r <= s->ans.ncc ? s->ans.cc[r - 1].name : "(none)", t[3]);
	} else if (strcmp(w, "hops") == 0 && n == 3) {
		if (s->ans.hops != (unsigned)num(s, t[2]))
			die(s, "hops %u, not %s", s->ans.hops, t[2]);
	} else if (strcmp(w, "lookback") == 0 && n == 3) {
		if (s->ans.lookback_s != (uint32_t)num(s, t[2]))
			die(s, "lookback %u, not %s (%s)", s->ans.lookback_s, t[2],
			    s->ans.lookback_reason);
	} else if (strcmp(w, "name") == 0 && n == 3) {
		int found = 0;
		for (unsigned i = 0; i < s->ans.nnames; i++)
			found |= strcmp(s->ans.names[i], t[2]) == 0;
		if (!found)
			die(s, "name %s not found", t[2]);
	} else if (strcmp(w, "warning") == 0 && n == 3) {
		int found = 0;
		for (size_t i = 0; i < s->ans.nwarnings; i++)
			found |= strstr(s->ans.warnings[i], t[2]) != NULL;
		if (!found)
			die(s, "no warning mentions %s: %s", t[2], s->raw);
	} else if (strcmp(w, "confirmations") == 0 && n == 3) {
		if (s->ans.nconf != (size_t)num(s, t[2]))
			die(s, "%zu confirmations, not %s", s->ans.nconf, t[2]);
	} else if (strcmp(w, "delivered") == 0 && n == 4) {
		if (trace_fake_delivered(s->net, t[2]) != (uint64_t)num(s, t[3]))
			die(s, "%s got %llu requests, not %s", t[2],
			    (unsigned long long)trace_fake_delivered(s->net, t[2]), t[3]);
	} else {
		die(s, "unknown expectation %s", w);
	}
}

static void run_file(void **state)
{
	const char *path = *state;
	struct sc *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	s->file = path;
	trace_answer_init(&s->ans);
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	char line[1024];
	int expects = 0;
	while (fgets(line, sizeof(line), f)) {
		char *t[MAXTOK];
		s->line++;
		size_t n = split(line, t);
		if (n == 0)
			continue;
		if (strcmp(t[0], "start") == 0 && n == 2) {
			if (dh_time_parse(t[1], &s->t0) != 0)
				die(s, "bad start time");
		} else if (strcmp(t[0], "agent") == 0) {
			do_agent(s, t, n);
		} else if (strcmp(t[0], "client") == 0 && n == 2) {
			snprintf(s->clients[s->nclients++], sizeof(s->clients[0]), "%s", t[1]);
		} else if (strcmp(t[0], "peer") == 0) {
			do_peer(s, t, n);
		} else if (strcmp(t[0], "query") == 0) {
			do_query(s, t, n);
		} else if (strcmp(t[0], "upstream") == 0) {
			do_upstream(s, t, n);
		} else if (strcmp(t[0], "answer") == 0) {
			do_answer(s, t, n);
		} else if (strcmp(t[0], "benign") == 0) {
			do_benign(s, t, n);
		} else if (strcmp(t[0], "down") == 0 && n == 2) {
			build(s);
			assert_int_equal(trace_fake_down(s->net, t[1], 1), 0);
		} else if (strcmp(t[0], "up") == 0 && n == 2) {
			build(s);
			assert_int_equal(trace_fake_down(s->net, t[1], 0), 0);
		} else if (strcmp(t[0], "delay") == 0 && n == 3) {
			build(s);
			assert_int_equal(trace_fake_delay(s->net, t[1], num(s, t[2])), 0);
		} else if (strcmp(t[0], "refuse") == 0 && n == 3) {
			build(s);
			assert_int_equal(trace_fake_refuse(s->net, t[1], trace_code_parse(t[2])),
			                 0);
		} else if (strcmp(t[0], "ask") == 0) {
			do_ask(s, t, n);
		} else if (strcmp(t[0], "expect") == 0) {
			do_expect(s, t, n);
			expects++;
		} else {
			die(s, "unknown line %s", t[0]);
		}
	}
	fclose(f);
	if (expects == 0)
		fail_msg("%s has no expectations", path);
	if (s->have)
		trace_answer_release(&s->ans);
	for (size_t i = 0; i < s->n; i++) {
		trace_agent_free(s->a[i].ag);
		store_close(s->a[i].st);
		th_rmtree(s->a[i].dir);
	}
	trace_fake_free(s->net);
	free(s);
}

int main(int argc, char **argv)
{
	struct CMUnitTest *tests = calloc((size_t)argc, sizeof(*tests));
	if (!tests || argc < 2) {
		fprintf(stderr, "usage: %s SCENARIO...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		const char *base = strrchr(argv[i], '/');
		tests[i - 1].name = base ? base + 1 : argv[i];
		tests[i - 1].test_func = run_file;
		tests[i - 1].initial_state = argv[i];
	}
	int rc = _cmocka_run_group_tests("trace-scenarios", tests, (size_t)argc - 1, NULL, NULL);
	free(tests);
	return rc;
}
