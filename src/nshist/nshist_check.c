/*
 * nshist_check.c - settings, the verdict of a query event, and the
 * direct/indirect-outbound findings (nshist_check.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nshist/nshist_check.h"
#include "util/allow.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/hash.h"

/* Google Public DNS, Cloudflare, Quad9 and OpenDNS, as their operators
 * publish them: the resolvers a seed-003 deployment would register as
 * exceptions first (seed 003 section 4). */
const char *const nshist_public_default[] = {
    "8.8.8.8",
    "8.8.4.4",
    "2001:4860:4860::8888",
    "2001:4860:4860::8844",
    "1.1.1.1",
    "1.0.0.1",
    "2606:4700:4700::1111",
    "2606:4700:4700::1001",
    "9.9.9.9",
    "149.112.112.112",
    "2620:fe::fe",
    "2620:fe::9",
    "208.67.222.222",
    "208.67.220.220",
    "2620:119:35::35",
    "2620:119:53::53",
    NULL,
};

/* A multiplicative hash of the 16 address bytes: the table is small and
 * its keys are not chosen by an adversary who could make them collide
 * (they come from the configuration). */
static uint64_t aset_hash(const struct dh_addr *a)
{
	uint64_t x, y;

	memcpy(&x, a->a, 8);
	memcpy(&y, a->a + 8, 8);
	x = (x ^ (y * 0x9e3779b97f4a7c15ULL) ^ a->family) * 0xbf58476d1ce4e5b9ULL;
	return x ^ (x >> 29);
}

/* The flags of a in the table, 0 when absent. */
static unsigned aset_flags(const struct nshist_aset *s, const struct dh_addr *a)
{
	if (!s->n)
		return 0;
	size_t mask = s->cap - 1, j = aset_hash(a) & mask;
	for (;;) {
		const struct nshist_aslot *x = &s->slot[j];
		if (x->a.family == DH_AF_NONE)
			return 0;
		if (x->a.family == a->family && memcmp(x->a.a, a->a, 16) == 0)
			return x->flags;
		j = (j + 1) & mask;
	}
}

static int aset_add(struct nshist_aset *s, const struct dh_addr *a, unsigned flags)
{
	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		struct nshist_aslot *t = calloc(cap, sizeof(*t));
		if (!t)
			return -ENOMEM;
		for (size_t i = 0; i < s->cap; i++) {
			if (s->slot[i].a.family == DH_AF_NONE)
				continue;
			size_t j = aset_hash(&s->slot[i].a) & (cap - 1);
			while (t[j].a.family != DH_AF_NONE)
				j = (j + 1) & (cap - 1);
			t[j] = s->slot[i];
		}
		free(s->slot);
		s->slot = t;
		s->cap = cap;
	}
	size_t j = aset_hash(a) & (s->cap - 1);
	while (s->slot[j].a.family != DH_AF_NONE) {
		if (s->slot[j].a.family == a->family && memcmp(s->slot[j].a.a, a->a, 16) == 0) {
			s->slot[j].flags |= (uint8_t)flags;
			return 0;
		}
		j = (j + 1) & (s->cap - 1);
	}
	s->slot[j].a = *a;
	s->slot[j].flags = (uint8_t)flags;
	s->n++;
	return 0;
}

/* Adds entry to a list: a single address to both its set and the exact
 * table, a network to the set only (and marks that the set must be
 * asked). */
static int list_add(struct nshist_opts *o, int public, const char *entry)
{
	struct dh_addr a;
	int rc = dh_allow_add_net(public ? o->publics : o->resolvers, entry);

	if (rc != 0)
		return rc;
	if (dh_addr_parse(&a, entry) == 0)
		return aset_add(&o->exact, &a, public ? 2 : 1);
	if (public)
		o->publics_nets = 1;
	else
		o->resolvers_nets = 1;
	return 0;
}

int nshist_opts_resolver(struct nshist_opts *o, const char *entry)
{
	return list_add(o, 0, entry);
}

int nshist_opts_init(struct nshist_opts *o)
{
	memset(o, 0, sizeof(*o));
	nshist_config_init(&o->hist);
	o->warning_count = 10;
	o->emergency_count = 100;
	o->txt_warning = 1;
	o->txt_emergency = 10;
	o->window_ns = 86400 * NSHIST_SEC_NS;
	if (dh_allow_new(&o->resolvers) != 0 || dh_allow_new(&o->publics) != 0 ||
	    dh_allow_new(&o->local) != 0 || dh_allow_new(&o->allow) != 0)
		return -ENOMEM;
	for (size_t i = 0; nshist_public_default[i]; i++)
		if (list_add(o, 1, nshist_public_default[i]) != 0)
			return -ENOMEM;
	return 0;
}

void nshist_opts_release(struct nshist_opts *o)
{
	dh_allow_free(o->resolvers);
	dh_allow_free(o->publics);
	dh_allow_free(o->local);
	dh_allow_free(o->allow);
	free(o->exact.slot);
	memset(o, 0, sizeof(*o));
}

int nshist_opts_public(struct nshist_opts *o, const char *entry)
{
	if (!o->publics_replaced) {
		struct dh_allow *fresh;
		if (dh_allow_new(&fresh) != 0)
			return -ENOMEM;
		dh_allow_free(o->publics);
		o->publics = fresh;
		o->publics_replaced = 1;
		o->publics_nets = 0;
		for (size_t i = 0; i < o->exact.cap; i++)
			o->exact.slot[i].flags &= 1;
	}
	if (strcmp(entry, "none") == 0)
		return 0;
	return list_add(o, 1, entry);
}

static int conf_count(const char *v, uint64_t *out, char *err, size_t errlen)
{
	unsigned long long n;

	if (dh_conf_u64(v, &n) != 0 || n == 0) {
		snprintf(err, errlen, "'%s' is not a count of 1 or more", v);
		return DH_EMALFORMED;
	}
	*out = n;
	return 0;
}

static int conf_time(const char *v, int64_t *out, int zero_ok, char *err, size_t errlen)
{
	double s;

	if (dh_conf_seconds(v, &s) != 0 || s < 0 || (!zero_ok && s == 0) || s > 1e9) {
		snprintf(err, errlen, "'%s' is not a duration (\"2s\", \"1h\")", v);
		return DH_EMALFORMED;
	}
	*out = (int64_t)(s * 1e9);
	return 0;
}

int nshist_opts_conf(void *ctx, const struct dh_conf_item *it, char *err, size_t errlen)
{
	struct nshist_opts *o = ctx;
	const char *k = it->key, *v = it->value;
	int rc = 0;

	if (strcmp(it->section, "nshist") != 0)
		return 0;
	if (strcmp(k, "glue_window") == 0)
		return conf_time(v, &o->hist.glue_window_ns, 1, err, errlen);
	if (strcmp(k, "grace") == 0)
		return conf_time(v, &o->hist.grace_ns, 1, err, errlen);
	if (strcmp(k, "window") == 0)
		return conf_time(v, &o->window_ns, 0, err, errlen);
	if (strcmp(k, "referrals") == 0 || strcmp(k, "answers") == 0) {
		int *flag = k[0] == 'r' ? &o->hist.referrals : &o->hist.answers;
		if (dh_conf_bool(v, flag) != 0) {
			snprintf(err, errlen, "%s: '%s' is not yes or no", k, v);
			return DH_EMALFORMED;
		}
		return 0;
	}
	if (strcmp(k, "warning_count") == 0)
		return conf_count(v, &o->warning_count, err, errlen);
	if (strcmp(k, "emergency_count") == 0)
		return conf_count(v, &o->emergency_count, err, errlen);
	if (strcmp(k, "txt_warning") == 0)
		return conf_count(v, &o->txt_warning, err, errlen);
	if (strcmp(k, "txt_emergency") == 0)
		return conf_count(v, &o->txt_emergency, err, errlen);
	if (strcmp(k, "resolver") == 0)
		rc = nshist_opts_resolver(o, v);
	else if (strcmp(k, "public_resolver") == 0)
		rc = nshist_opts_public(o, v);
	else if (strcmp(k, "local") == 0)
		rc = dh_allow_add_net(o->local, v);
	else if (strcmp(k, "allow") == 0)
		rc = dh_allow_add(o->allow, v);
	else {
		snprintf(err, errlen, "unknown key '%s' in [nshist]", k);
		return DH_EMALFORMED;
	}
	if (rc != 0)
		snprintf(err, errlen, "%s: '%s' is not an address or network%s", k, v,
		         strcmp(k, "allow") == 0 ? " or name" : "");
	return rc;
}

int nshist_classify(const struct nshist *h, const struct nshist_opts *o, const struct ev_event *ev,
                    struct nshist_why *why)
{
	const struct dns_msg *m = &ev->msg;

	if (dns_msg_is_response(m) || !m->has_question || dns_msg_opcode(m) != 0 ||
	    ev->dst.family == DH_AF_NONE)
		return 0;
	nshist_prefetch(h, &ev->dst);
	if ((aset_flags(&o->exact, &ev->src) & 1) ||
	    (o->resolvers_nets && dh_allow_addr(o->resolvers, &ev->src)))
		return 0;
	/* Without a list of the network's resolvers, the roles a source
	 * knows (a resolver's dnstap, a capture read with --resolver) say
	 * which queries a resolver received and which it sent upstream. */
	int no_list = dh_allow_count(o->resolvers) == 0;
	if (no_list && (ev->role == EV_ROLE_RESOLVER_QUERY || ev->role == EV_ROLE_FORWARDER_QUERY))
		return 0;
	if (dh_allow_count(o->local) && !dh_allow_addr(o->local, &ev->src))
		return 0;
	if ((no_list && ev->role == EV_ROLE_CLIENT_QUERY) || aset_flags(&o->exact, &ev->dst) ||
	    (o->resolvers_nets && dh_allow_addr(o->resolvers, &ev->dst)) ||
	    (o->publics_nets && dh_allow_addr(o->publics, &ev->dst))) {
		memset(why, 0, sizeof(*why));
		why->verdict = NSHIST_RESOLVER;
		return 1;
	}
	nshist_check(h, &ev->dst, ev->ts_ns, why);
	return 1;
}

/* ---- findings ---------------------------------------------------------------- */

#define SAMPLES   4
#define SERVERS   8
#define NAME_KEEP 128

struct agg {
	struct dh_addr host;
	unsigned kind; /* 0 direct-outbound, 1 indirect-outbound */
	int64_t window_start;
	uint64_t queries, txt;
	int64_t first_ns, last_ns;
	unsigned level;
	uint8_t dirty, used;
	unsigned nservers;
	struct dh_addr servers[SERVERS];
	unsigned nnames, ntxt_names;
	char names[SAMPLES][NAME_KEEP];
	char txt_names[SAMPLES][NAME_KEEP];
};

struct nshist_find {
	const struct nshist_opts *o;
	struct agg *t;
	size_t cap, n;
	struct dh_buf ev;
};

int nshist_find_new(struct nshist_find **out, const struct nshist_opts *o)
{
	struct nshist_find *f = calloc(1, sizeof(*f));

	*out = NULL;
	if (!f)
		return -ENOMEM;
	f->o = o;
	f->cap = 64;
	f->t = calloc(f->cap, sizeof(*f->t));
	if (!f->t) {
		free(f);
		return -ENOMEM;
	}
	dh_buf_init(&f->ev);
	*out = f;
	return 0;
}

void nshist_find_free(struct nshist_find *f)
{
	if (!f)
		return;
	free(f->t);
	dh_buf_release(&f->ev);
	free(f);
}

static uint64_t agg_hash(const struct dh_addr *host, unsigned kind, int64_t ws)
{
	uint8_t k[16 + 1 + 1 + 8];

	memcpy(k, host->a, 16);
	k[16] = host->family;
	k[17] = (uint8_t)kind;
	memcpy(k + 18, &ws, 8);
	return dh_hash64(k, sizeof(k), 0x66);
}

static int find_grow(struct nshist_find *f)
{
	size_t cap = f->cap * 2;
	struct agg *t = calloc(cap, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < f->cap; i++) {
		if (!f->t[i].used)
			continue;
		size_t j = agg_hash(&f->t[i].host, f->t[i].kind, f->t[i].window_start) & (cap - 1);
		while (t[j].used)
			j = (j + 1) & (cap - 1);
		t[j] = f->t[i];
	}
	free(f->t);
	f->t = t;
	f->cap = cap;
	return 0;
}

static unsigned grade(const struct nshist_opts *o, const struct agg *a)
{
	if (a->queries >= o->emergency_count || a->txt >= o->txt_emergency)
		return STORE_LEVEL_EMERGENCY;
	if (a->queries >= o->warning_count || a->txt >= o->txt_warning)
		return STORE_LEVEL_WARNING;
	return STORE_LEVEL_CANDIDATE;
}

static void keep_name(char (*names)[NAME_KEEP], unsigned *n, const char *name)
{
	for (unsigned i = 0; i < *n; i++)
		if (strcmp(names[i], name) == 0)
			return;
	if (*n < SAMPLES) {
		/* Samples only: a longer name is cut (at a byte; the JSON
		 * writer escapes whatever is left). */
		size_t len = strnlen(name, NAME_KEEP - 1);
		memcpy(names[*n], name, len);
		names[(*n)++][len] = '\0';
	}
}

int nshist_find_add(struct nshist_find *f, const struct ev_event *ev, const struct nshist_why *why)
{
	const struct nshist_opts *o = f->o;
	const char *qn = ev->msg.qname;

	if (why->verdict != NSHIST_UNKNOWN && why->verdict != NSHIST_INDIRECT)
		return 0;
	if (dh_allow_addr(o->allow, &ev->src) || dh_allow_addr(o->allow, &ev->dst) ||
	    dh_allow_name(o->allow, qn, ev->msg.qname_len))
		return 0;
	unsigned kind = why->verdict == NSHIST_INDIRECT;
	int64_t ws = ev->ts_ns - ((ev->ts_ns % o->window_ns) + o->window_ns) % o->window_ns;
	if ((f->n + 1) * 4 > f->cap * 3 && find_grow(f) != 0)
		return -ENOMEM;
	size_t j = agg_hash(&ev->src, kind, ws) & (f->cap - 1);
	struct agg *a;
	for (;;) {
		a = &f->t[j];
		if (!a->used) {
			memset(a, 0, sizeof(*a));
			a->used = 1;
			a->host = ev->src;
			a->kind = kind;
			a->window_start = ws;
			a->first_ns = ev->ts_ns;
			f->n++;
			break;
		}
		if (a->kind == kind && a->window_start == ws && dh_addr_equal(&a->host, &ev->src))
			break;
		j = (j + 1) & (f->cap - 1);
	}
	a->queries++;
	if (ev->ts_ns < a->first_ns)
		a->first_ns = ev->ts_ns;
	if (ev->ts_ns > a->last_ns)
		a->last_ns = ev->ts_ns;
	unsigned s;
	for (s = 0; s < a->nservers; s++)
		if (dh_addr_equal(&a->servers[s], &ev->dst))
			break;
	if (s == a->nservers && a->nservers < SERVERS)
		a->servers[a->nservers++] = ev->dst;
	keep_name(a->names, &a->nnames, qn);
	if (ev->msg.qtype == DNS_T_TXT) {
		a->txt++;
		keep_name(a->txt_names, &a->ntxt_names, qn);
	}
	a->dirty = 1;
	unsigned lv = grade(o, a);
	if (lv > a->level) {
		a->level = lv;
		return 1;
	}
	return 0;
}

static void json_names(struct dh_buf *b, const char *key, char (*names)[NAME_KEEP], unsigned n)
{
	dh_buf_addf(b, ",\"%s\":[", key);
	for (unsigned i = 0; i < n; i++) {
		if (i)
			dh_buf_addc(b, ',');
		dh_buf_add_json_str(b, names[i], strlen(names[i]));
	}
	dh_buf_addc(b, ']');
}

int nshist_find_flush(struct nshist_find *f, int (*cb)(void *ctx, const struct store_finding *sf),
                      void *ctx)
{
	char addr[DH_ADDR_TEXT_MAX];
	int rc;

	for (size_t i = 0; i < f->cap; i++) {
		struct agg *a = &f->t[i];
		if (!a->used || !a->dirty)
			continue;
		struct store_finding sf;
		memset(&sf, 0, sizeof(sf));
		sf.host = a->host;
		sf.level = a->level;
		snprintf(sf.kind, sizeof(sf.kind), "%s",
		         a->kind ? "indirect-outbound" : "direct-outbound");
		sf.window_start_ns = a->window_start;
		sf.window_end_ns = a->window_start + f->o->window_ns;
		sf.score = (double)a->queries;
		f->ev.len = 0;
		dh_buf_addf(&f->ev, "{\"verdict\":\"%s\",\"queries\":%llu,\"txt\":%llu",
		            a->kind ? "indirect" : "unknown", (unsigned long long)a->queries,
		            (unsigned long long)a->txt);
		dh_buf_adds(&f->ev, ",\"first_ns\":");
		dh_buf_addi(&f->ev, a->first_ns);
		dh_buf_adds(&f->ev, ",\"last_ns\":");
		dh_buf_addi(&f->ev, a->last_ns);
		dh_buf_adds(&f->ev, ",\"servers\":[");
		for (unsigned s = 0; s < a->nservers; s++) {
			size_t n = dh_addr_format(&a->servers[s], addr, sizeof(addr));
			if (s)
				dh_buf_addc(&f->ev, ',');
			dh_buf_add_json_str(&f->ev, addr, n);
		}
		dh_buf_addc(&f->ev, ']');
		json_names(&f->ev, "qnames", a->names, a->nnames);
		json_names(&f->ev, "txt_qnames", a->txt_names, a->ntxt_names);
		dh_buf_addc(&f->ev, '}');
		dh_buf_addc(&f->ev, '\0');
		if (f->ev.err)
			return f->ev.err;
		sf.evidence = f->ev.data;
		a->dirty = 0;
		if ((rc = cb(ctx, &sf)) != 0)
			return rc;
	}
	return 0;
}
