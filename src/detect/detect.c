/*
 * detect.c - the engine: windows, the per-client tables, levels and the
 * findings they raise; the statistics' read API (detect_stats.h).
 *
 * Seed 001's prototype ("Prototype of Detection System") counts per
 * client and day and grades the counts with three thresholds, 1000
 * (candidate), 5000 (warning, mailed to the manager) and 10000
 * (emergency, blocked with iptables). Each kind here counts one of the
 * seed's signals, or one beyond it, the same way in a window of its own.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "util/allow.h"
#include "util/hash.h"

#define NS_PER_S INT64_C(1000000000)
#define DAY_NS   (86400 * NS_PER_S)
#define HOUR_NS  (3600 * NS_PER_S)

static const char *const kind_names[DETECT_K_COUNT] = {
    "spam-mx", "mass-mailer", "worm-ip-literal", "volume", "outside-in", "dga", "tunnel", "beacon",
};

const char *detect_kind_name(unsigned kind)
{
	return kind < DETECT_K_COUNT ? kind_names[kind] : NULL;
}

int detect_kind_parse(const char *name)
{
	for (unsigned k = 0; k < DETECT_K_COUNT; k++)
		if (strcmp(name, kind_names[k]) == 0)
			return (int)k;
	return -1;
}

static const char *const qt_names[DETECT_QT_COUNT] = {"A",   "AAAA", "PTR", "MX",
                                                      "TXT", "SOA",  "ANY", "other"};

const char *detect_qt_name(unsigned qt)
{
	return qt < DETECT_QT_COUNT ? qt_names[qt] : "?";
}

unsigned detect_qt_of(uint16_t qtype)
{
	switch (qtype) {
	case DNS_T_A:
		return DETECT_QT_A;
	case DNS_T_AAAA:
		return DETECT_QT_AAAA;
	case DNS_T_PTR:
		return DETECT_QT_PTR;
	case DNS_T_MX:
		return DETECT_QT_MX;
	case DNS_T_TXT:
		return DETECT_QT_TXT;
	case DNS_T_SOA:
		return DETECT_QT_SOA;
	case DNS_T_ANY:
		return DETECT_QT_ANY;
	default:
		return DETECT_QT_OTHER;
	}
}

/* The list, which holds the seed's keywords ("mx", "ns", "mail",
 * "smtp", "gate", "relay") and the other heads of its five-column table
 * (pop, inbound, spam, post, barracuda, filter, email, mta). */
static const char *const default_keywords[] = {
    "mx",  "mail",    "smtp", "relay", "gate",      "ns",     "pop",
    "mta", "inbound", "spam", "post",  "barracuda", "filter", "email",
};

void detect_config_init(struct detect_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (unsigned k = 0; k < DETECT_K_COUNT; k++) {
		struct detect_kind_config *kc = &cfg->kind[k];
		kc->enabled = 1;
		kc->window_ns = DAY_NS;
		/* Seed 001's prototype: 1000, 5000, 10000 a day. */
		kc->level[0] = 1000;
		kc->level[1] = 5000;
		kc->level[2] = 10000;
	}
	/* Benign hosts ask no MX at all (seed 001, "Detection Rate of the
	 * clients-based MX RR Query Access"): a tenth of the prototype's
	 * counts already singles a spam bot out. */
	cfg->kind[DETECT_K_SPAM_MX].level[0] = 100;
	cfg->kind[DETECT_K_SPAM_MX].level[1] = 1000;
	cfg->kind[DETECT_K_SPAM_MX].level[2] = 5000;
	cfg->kind[DETECT_K_MASS_MAILER].min_share = 0.2;
	/* The prototype's raw count of every A query flags busy benign
	 * hosts too (a campus PC asks a few thousand names a day): off
	 * unless configured. */
	cfg->kind[DETECT_K_VOLUME].enabled = 0;
	cfg->kind[DETECT_K_DGA].level[0] = 200;
	cfg->kind[DETECT_K_DGA].level[1] = 1000;
	cfg->kind[DETECT_K_DGA].level[2] = 5000;
	cfg->kind[DETECT_K_DGA].min_share = 0.05;
	/* Beacon scores count regular intervals, not queries. */
	cfg->kind[DETECT_K_BEACON].level[0] = 24;
	cfg->kind[DETECT_K_BEACON].level[1] = 72;
	cfg->kind[DETECT_K_BEACON].level[2] = 144;
	cfg->stats_window_ns = HOUR_NS;
	cfg->max_clients = 65536;
	cfg->top_talkers = 1;
	cfg->beacon_slots = 1u << 20;
	for (size_t i = 0; i < sizeof(default_keywords) / sizeof(default_keywords[0]); i++) {
		memcpy(cfg->keywords[i], default_keywords[i], strlen(default_keywords[i]) + 1);
		cfg->nkeywords++;
	}
	cfg->entropy_baseline = 24;
	cfg->entropy_k = 3.0;
	cfg->tunnel_label = 40;
	cfg->beacon_tolerance = 0.02;
	cfg->beacon_min_s = 10;
	cfg->beacon_max_s = 7200;
}

void detect_config_release(struct detect_config *cfg)
{
	for (unsigned k = 0; k < DETECT_K_COUNT; k++) {
		dh_allow_free(cfg->kind[k].allow);
		cfg->kind[k].allow = NULL;
	}
	dh_allow_free(cfg->allow);
	dh_allow_free(cfg->local);
	dh_allow_free(cfg->servers);
	dh_allow_free(cfg->own);
	cfg->allow = cfg->local = cfg->servers = cfg->own = NULL;
}

static const struct detect_ops *const all_ops[] = {
    &detect_dga_ops,
    &detect_tunnel_ops,
    &detect_beacon_ops,
    /* Last: its outside-in signal may create another host's entry. */
    &detect_stats_ops,
};

/* The window of length len, made if missing; tracked ones keep a client
 * table (the statistics' own window needs none). */
static int add_win(struct detect *d, int64_t len, uint32_t cap, int tracked)
{
	int i;
	struct detect_win *w = NULL;

	for (i = 0; i < (int)d->nwin; i++)
		if (d->win[i].len == len) {
			w = &d->win[i];
			break;
		}
	if (!w) {
		w = &d->win[d->nwin++];
		w->len = len;
		w->start = INT64_MIN;
		w->end = INT64_MIN;
	}
	if (tracked && !w->tracked) {
		if (detect__ss_init(&w->clients, cap, sizeof(struct detect_client)) != 0)
			return -ENOMEM;
		w->tracked = 1;
	}
	return i;
}

int detect_new(struct detect **out, const struct detect_config *cfg, detect_finding_fn fn,
               void *fn_ctx)
{
	struct detect *d = calloc(1, sizeof(*d));
	int rc = -ENOMEM, w;

	*out = NULL;
	if (!d)
		return -ENOMEM;
	d->cfg = cfg;
	d->stats_on = cfg->top_talkers != 0;
	d->fn = fn;
	d->fn_ctx = fn_ctx;
	dh_buf_init(&d->evidence);
	dh_buf_init(&d->scratch);
	w = add_win(d, cfg->stats_window_ns > 0 ? cfg->stats_window_ns : HOUR_NS, cfg->max_clients,
	            0);
	if (w < 0)
		goto out;
	d->stats_win = w;
	d->win[w].stats = 1;
	w = add_win(d, INT64_MAX, cfg->max_clients, cfg->top_talkers);
	if (w < 0)
		goto out;
	d->run_win = w;
	d->win[w].run = 1;
	for (unsigned k = 0; k < DETECT_K_COUNT; k++) {
		d->kind_win[k] = -1;
		if (!cfg->kind[k].enabled)
			continue;
		w = add_win(d, cfg->kind[k].window_ns > 0 ? cfg->kind[k].window_ns : DAY_NS,
		            cfg->max_clients, 1);
		if (w < 0)
			goto out;
		d->kind_win[k] = w;
		d->win[w].kinds |= 1u << k;
	}
	d->ent_src = calloc(DETECT_ENT_BUCKETS, sizeof(uint32_t));
	d->ent_name = calloc(DETECT_ENT_BUCKETS, sizeof(uint32_t));
	d->names_bm = calloc(DETECT_ENT_BUCKETS / 64, sizeof(uint64_t));
	d->clients_bm = calloc(DETECT_ENT_BUCKETS / 64, sizeof(uint64_t));
	d->head_bucket = calloc((size_t)5 * DETECT_HEAD_BUCKETS, sizeof(uint32_t));
	d->series = calloc(DETECT_SERIES_MAX, sizeof(*d->series));
	d->series_lin = calloc(DETECT_SERIES_MAX, sizeof(*d->series_lin));
	d->peaks = calloc(DETECT_PEAKS_MAX, sizeof(*d->peaks));
	d->peaks_lin = calloc(DETECT_PEAKS_MAX, sizeof(*d->peaks_lin));
	if (!d->ent_src || !d->ent_name || !d->names_bm || !d->clients_bm || !d->head_bucket ||
	    !d->series || !d->series_lin || !d->peaks || !d->peaks_lin)
		goto out;
	if (detect__ss_init(&d->top_names, DETECT_TOPN_CAP, 0) != 0 ||
	    detect__ss_init(&d->top_srcs, DETECT_TOPN_CAP, 0) != 0)
		goto out;
	for (unsigned i = 0; i < 5; i++)
		if (detect__ss_init(&d->head[i], DETECT_HEAD_CAP, 0) != 0)
			goto out;
	for (unsigned k = 0; k < cfg->nkeywords; k++)
		d->kw_len[k] = (uint8_t)strlen(cfg->keywords[k]);
	for (size_t i = 0; i < sizeof(all_ops) / sizeof(all_ops[0]); i++) {
		struct detect_det *det = &d->det[d->ndet];
		det->ops = all_ops[i];
		rc = det->ops->init(&det->ctx, d);
		if (rc < 0)
			goto out;
		d->ndet++;
	}
	*out = d;
	return 0;
out:
	detect_free(d);
	return rc < 0 ? rc : -ENOMEM;
}

void detect_free(struct detect *d)
{
	if (!d)
		return;
	for (unsigned i = 0; i < d->ndet; i++)
		d->det[i].ops->free(d->det[i].ctx);
	for (unsigned i = 0; i < d->nwin; i++)
		detect__ss_release(&d->win[i].clients);
	detect__ss_release(&d->top_names);
	detect__ss_release(&d->top_srcs);
	for (unsigned i = 0; i < 5; i++)
		detect__ss_release(&d->head[i]);
	free(d->ent_src);
	free(d->ent_name);
	free(d->names_bm);
	free(d->clients_bm);
	free(d->head_bucket);
	free(d->series);
	free(d->series_lin);
	free(d->peaks);
	free(d->peaks_lin);
	dh_buf_release(&d->evidence);
	dh_buf_release(&d->scratch);
	free(d);
}

void detect_counters(const struct detect *d, struct detect_counters *out)
{
	*out = d->counters;
	out->evicted = 0;
	for (unsigned i = 0; i < d->nwin; i++)
		if (d->win[i].tracked)
			out->evicted += d->win[i].clients.evicted;
}

/* ---- Servers ---- */

/* dh_addr_equal() inline, with lengths the compiler knows: every answer
 * compares its server with the last one marked. */
static inline int addr_eq(const struct dh_addr *x, const struct dh_addr *y)
{
	if (x->family != y->family)
		return 0;
	return x->family == DH_AF_INET ? memcmp(x->a, y->a, 4) == 0 : memcmp(x->a, y->a, 16) == 0;
}

int detect__is_server(const struct detect *d, const struct dh_addr *addr, uint64_t h)
{
	if (d->cfg->servers && dh_allow_addr(d->cfg->servers, addr))
		return 1;
	if (!(d->server_bloom[(h >> 6) & 63] & ((uint64_t)1 << (h & 63))))
		return 0;
	h %= DETECT_SERVERS_MAX;
	for (unsigned i = 0; i < 8; i++) {
		unsigned s = (unsigned)((h + i) % DETECT_SERVERS_MAX);
		if (!d->server_used[s])
			return 0;
		if (addr_eq(&d->servers[s], addr))
			return 1;
	}
	return 0;
}

static void mark_server(struct detect *d, const struct dh_addr *addr)
{
	uint64_t h;

	/* Answers come mostly from one resolver: skip the hash. */
	if (d->nservers && addr_eq(addr, &d->last_server))
		return;
	d->last_server = *addr;
	h = detect__ss_hash(addr, sizeof(*addr));
	d->server_bloom[(h >> 6) & 63] |= (uint64_t)1 << (h & 63);
	h %= DETECT_SERVERS_MAX;

	/* Bounded: a capture with more than a few thousand answering
	 * addresses keeps the first it saw of each probe run. */
	for (unsigned i = 0; i < 8; i++) {
		unsigned s = (unsigned)((h + i) % DETECT_SERVERS_MAX);
		if (!d->server_used[s]) {
			d->servers[s] = *addr;
			d->server_used[s] = 1;
			d->nservers++;
			return;
		}
		if (addr_eq(&d->servers[s], addr))
			return;
	}
}

/* ---- Levels and findings ---- */

static double share(uint32_t part, uint32_t whole)
{
	return whole ? (double)part / (double)whole : 0;
}

/* The level kind's counter gives c, with the kind's extra condition. */
static unsigned level_of(const struct detect *d, unsigned kind, const struct detect_client *c)
{
	const struct detect_kind_config *kc = &d->cfg->kind[kind];
	uint64_t v = c->cnt[kind];
	unsigned lvl = 0;

	/* Seed 001's mass mailers: keyword traffic that follows the total
	 * ("Correlation between Total Traffic and Traffic including Several
	 * Keywords"), so keyword names must be a share of the A queries. */
	if (kind == DETECT_K_MASS_MAILER && share(c->cnt[kind], c->qt[DETECT_QT_A]) < kc->min_share)
		return 0;
	/* ... and they are the non-MX kind ("Detection- and Prevetion-System
	 * of Abnormal Traffic of the A record based DNS Query Packets from
	 * non-MX type BW-infected PC bots"): a host that asks MX records
	 * for a tenth of its keyword names or more is spam-mx's. */
	if (kind == DETECT_K_MASS_MAILER && (uint64_t)c->qt[DETECT_QT_MX] * 10 > c->cnt[kind])
		return 0;
	if (kind == DETECT_K_DGA && share(c->cnt[kind], c->queries) < kc->min_share)
		return 0;
	for (unsigned i = 0; i < 3; i++)
		if (kc->level[i] > 0 && v >= kc->level[i])
			lvl = i + 1;
	return lvl;
}

static void add_qtypes(struct dh_buf *b, const struct detect_client *c)
{
	dh_buf_adds(b, "\"qtypes\":{");
	for (unsigned q = 0; q < DETECT_QT_COUNT; q++) {
		if (q)
			dh_buf_addc(b, ',');
		dh_buf_addc(b, '"');
		dh_buf_adds(b, qt_names[q]);
		dh_buf_adds(b, "\":");
		dh_buf_addu(b, c->qt[q]);
	}
	dh_buf_addc(b, '}');
}

static void build_evidence(struct detect *d, unsigned kind, const struct detect_client *c,
                           uint64_t err)
{
	struct dh_buf *b = &d->evidence;
	unsigned n = 0;

	b->len = 0;
	dh_buf_adds(b, "{\"count\":");
	dh_buf_addu(b, c->cnt[kind]);
	dh_buf_adds(b, ",\"error_bound\":");
	dh_buf_addu(b, err);
	dh_buf_adds(b, ",\"queries\":");
	dh_buf_addu(b, c->queries);
	dh_buf_addc(b, ',');
	add_qtypes(b, c);
	dh_buf_adds(b, ",\"nxdomain\":");
	dh_buf_addu(b, c->nxdomain);
	dh_buf_adds(b, ",\"distinct_names\":");
	dh_buf_addu(b, detect__bm_estimate(c->names_bm, 256));
	switch (kind) {
	case DETECT_K_MASS_MAILER:
		dh_buf_addf(b, ",\"keyword_share\":%.3f", share(c->cnt[kind], c->qt[DETECT_QT_A]));
		break;
	case DETECT_K_DGA:
		dh_buf_addf(b, ",\"nxdomain_share\":%.3f", share(c->cnt[kind], c->queries));
		dh_buf_adds(b, ",\"distinct_nx_names\":");
		dh_buf_addu(b, detect__bm_estimate(c->aux_bm, 256));
		break;
	case DETECT_K_TUNNEL:
		dh_buf_adds(b, ",\"distinct_tunnel_names\":");
		dh_buf_addu(b, detect__bm_estimate(c->aux_bm, 256));
		break;
	case DETECT_K_BEACON:
		dh_buf_addf(b, ",\"period_s\":%.1f", c->beacon_period_s);
		break;
	default:
		break;
	}
	dh_buf_adds(b, ",\"inside\":");
	dh_buf_adds(b, c->inside ? "true" : "false");
	dh_buf_adds(b, ",\"samples\":[");
	for (unsigned i = 0; i < c->nsample && i < DETECT_SAMPLES; i++) {
		if (c->sample_kind[i] != kind)
			continue;
		if (n++)
			dh_buf_addc(b, ',');
		detect_json_str(b, c->sample[i], strnlen(c->sample[i], DETECT_SAMPLE_LEN));
	}
	dh_buf_adds(b, "]}");
}

static int emit(struct detect *d, const struct detect_win *w, unsigned kind,
                struct detect_client *c, uint64_t err, unsigned lvl, int how)
{
	struct store_finding f;

	memset(&f, 0, sizeof(f));
	f.host = c->addr;
	f.level = lvl;
	memcpy(f.kind, kind_names[kind], strlen(kind_names[kind]) + 1);
	f.window_start_ns = w->start;
	f.window_end_ns = w->end;
	f.score = (double)c->cnt[kind];
	build_evidence(d, kind, c, err);
	if (d->evidence.err)
		return d->evidence.err;
	dh_buf_addc(&d->evidence, '\0');
	f.evidence = d->evidence.data;
	d->counters.findings++;
	return d->fn ? d->fn(d->fn_ctx, &f, how) : 0;
}

static int host_allowed(const struct detect *d, unsigned kind, const struct dh_addr *host)
{
	if (detect__is_server(d, host, detect__ss_hash(host, sizeof(*host))))
		return 1;
	if (d->cfg->allow && dh_allow_addr(d->cfg->allow, host))
		return 1;
	if (d->cfg->kind[kind].allow && dh_allow_addr(d->cfg->kind[kind].allow, host))
		return 1;
	return 0;
}

/* Keeps name as one of kind's sample names. The four slots go to the
 * kinds that come near a level: a kind starts keeping samples at half
 * its candidate level, up to three, and when the slots are full it takes
 * one from the kind that has the most (leaving every kind at least one),
 * so the evidence of each finding names what made it. */
static void add_sample(const struct detect *d, struct detect_client *c, unsigned kind,
                       const char *name, size_t n)
{
	unsigned have = 0, per[DETECT_K_COUNT] = {0}, slot = DETECT_SAMPLES;

	if (!name || (uint64_t)c->cnt[kind] * 2 < d->cfg->kind[kind].level[0])
		return;
	if (n >= DETECT_SAMPLE_LEN)
		n = DETECT_SAMPLE_LEN - 1;
	for (unsigned i = 0; i < c->nsample; i++) {
		per[c->sample_kind[i]]++;
		if (c->sample_kind[i] != kind)
			continue;
		if (strncmp(c->sample[i], name, n) == 0 && c->sample[i][n] == '\0')
			return;
		have++;
	}
	if (have >= 3)
		return;
	if (c->nsample < DETECT_SAMPLES) {
		slot = c->nsample++;
	} else {
		unsigned most = 1;
		for (unsigned i = 0; i < DETECT_SAMPLES; i++) {
			unsigned k = c->sample_kind[i];
			if (k != kind && per[k] > most && per[k] > have + 1) {
				most = per[k];
				slot = i;
			}
		}
		if (slot == DETECT_SAMPLES)
			return;
	}
	memcpy(c->sample[slot], name, n);
	c->sample[slot][n] = '\0';
	c->sample_kind[slot] = (uint8_t)kind;
}

static int check_level(struct detect *d, unsigned kind, struct detect_win *w,
                       struct detect_client *c)
{
	unsigned lvl = level_of(d, kind, c);

	if (lvl <= c->level[kind])
		return 0;
	if (host_allowed(d, kind, &c->addr))
		return 0;
	c->level[kind] = (uint8_t)lvl;
	struct detect_ss_item *it = detect__ss_find(&w->clients, &c->addr, sizeof(c->addr));
	return emit(d, w, kind, c, it ? it->err : 0, lvl, DETECT_RAISE_CROSSED);
}

static int name_allowed_for(const struct detect *d, unsigned kind, const char *name, size_t n)
{
	return name && d->cfg->kind[kind].allow && dh_allow_name(d->cfg->kind[kind].allow, name, n);
}

int detect__count(struct detect *d, const struct detect_obs *obs, unsigned kind,
                  const struct dh_addr *host, uint32_t inc, const char *name, size_t name_len)
{
	int wi = d->kind_win[kind];
	struct detect_client *c;

	if (wi < 0 || name_allowed_for(d, kind, name, name_len))
		return 0;
	if (host)
		c = detect__client(d, (unsigned)wi, host, detect__ss_hash(host, sizeof(*host)),
		                   obs->ev->ts_ns, 0);
	else
		c = obs->c[wi];
	if (!c)
		return 0;
	c->cnt[kind] += inc;
	add_sample(d, c, kind, name, name_len);
	return check_level(d, kind, &d->win[wi], c);
}

int detect__score(struct detect *d, const struct detect_obs *obs, unsigned kind, uint32_t value,
                  double period_s, const char *name, size_t name_len)
{
	int wi = d->kind_win[kind];
	struct detect_client *c;

	if (wi < 0 || name_allowed_for(d, kind, name, name_len))
		return 0;
	c = obs->c[wi];
	if (!c || value <= c->cnt[kind])
		return 0;
	c->cnt[kind] = value;
	if (kind == DETECT_K_BEACON)
		c->beacon_period_s = period_s;
	add_sample(d, c, kind, name, name_len);
	return check_level(d, kind, &d->win[wi], c);
}

/* ---- Windows ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static void open_win(struct detect_win *w, int64_t ts)
{
	if (w->run) {
		w->start = ts;
		w->end = INT64_MAX;
		return;
	}
	w->start = floor_div(ts, w->len) * w->len;
	w->end = w->start > INT64_MAX - w->len ? INT64_MAX : w->start + w->len;
}

static double bucket_entropy(const uint32_t *b, size_t nb, uint64_t n)
{
	double s = 0;

	/* Seed 001, "Entropy", equations (1) and (2): H = -sum P(i) log2
	 * P(i), P(i) = freq(i) / sum freq(j), written as log2(N) - (1/N)
	 * sum f log2 f over hashed buckets. */
	if (n == 0)
		return 0;
	for (size_t i = 0; i < nb; i++)
		if (b[i])
			s += (double)b[i] * log2((double)b[i]);
	return log2((double)n) - s / (double)n;
}

static void top_counts(const struct detect_ss *ss, struct detect_count *out, unsigned *n,
                       int addr_keys)
{
	uint32_t idx[DETECT_PEAK_TOP];
	size_t k = detect__ss_top(ss, idx, DETECT_PEAK_TOP);

	for (size_t i = 0; i < k; i++) {
		const struct detect_ss_item *it = detect__ss_at(ss, idx[i]);
		if (addr_keys) {
			struct dh_addr a;
			memcpy(&a, it->key, sizeof(a));
			dh_addr_format(&a, out[i].name, sizeof(out[i].name));
		} else {
			size_t l =
			    it->keylen < sizeof(out[i].name) ? it->keylen : sizeof(out[i].name) - 1;
			memcpy(out[i].name, it->key, l);
			out[i].name[l] = '\0';
		}
		out[i].count = it->count;
		out[i].err = it->err;
	}
	*n = (unsigned)k;
}

static const struct detect_point *series_at(const struct detect *d, size_t back)
{
	/* back = 1: the newest point. */
	size_t i = (d->series_head + DETECT_SERIES_MAX - back) % DETECT_SERIES_MAX;
	return &d->series[i];
}

static void baseline(const struct detect *d, int which, double *mean, double *sd, unsigned *n)
{
	unsigned want = d->cfg->entropy_baseline, k = 0;
	double s = 0, s2 = 0;

	for (size_t back = 1; back <= d->nseries && k < want; back++) {
		const struct detect_point *p = series_at(d, back);
		if (p->queries == 0)
			continue;
		double v = which ? p->h_name : p->h_src;
		s += v;
		s2 += v * v;
		k++;
	}
	*n = k;
	*mean = k ? s / k : 0;
	*sd = k > 1 ? sqrt(fmax(0, (s2 - s * s / k) / (k - 1))) : 0;
}

static void add_peak(struct detect *d, const struct detect_point *p, int which)
{
	struct detect_peak *pk = &d->peaks[d->peaks_head];

	memset(pk, 0, sizeof(*pk));
	pk->start_ns = p->start_ns;
	pk->end_ns = p->end_ns;
	pk->which = which;
	pk->value = which ? p->h_name : p->h_src;
	pk->mean = which ? p->h_name_mean : p->h_src_mean;
	pk->sd = which ? p->h_name_sd : p->h_src_sd;
	top_counts(&d->top_names, pk->names, &pk->nnames, 0);
	top_counts(&d->top_srcs, pk->sources, &pk->nsources, 1);
	d->peaks_head = (d->peaks_head + 1) % DETECT_PEAKS_MAX;
	if (d->npeaks < DETECT_PEAKS_MAX)
		d->npeaks++;
}

static void close_stats(struct detect *d, const struct detect_win *w)
{
	struct detect_point *p = &d->cur;
	unsigned nb;
	double sd_floor = 0.05; /* bits: quieter baselines would flag noise */

	if (!d->stats_on) {
		memset(p, 0, sizeof(*p));
		return;
	}
	p->start_ns = w->start;
	p->end_ns = w->end;
	p->distinct_names = detect__bm_estimate(d->names_bm, DETECT_ENT_BUCKETS);
	p->clients = detect__bm_estimate(d->clients_bm, DETECT_ENT_BUCKETS);
	p->h_src = bucket_entropy(d->ent_src, DETECT_ENT_BUCKETS, d->ent_src_n);
	p->h_name = bucket_entropy(d->ent_name, DETECT_ENT_BUCKETS, d->ent_name_n);
	baseline(d, 0, &p->h_src_mean, &p->h_src_sd, &nb);
	if (nb >= 6 && d->ent_src_n &&
	    fabs(p->h_src - p->h_src_mean) > d->cfg->entropy_k * fmax(p->h_src_sd, sd_floor))
		p->peak_src = 1;
	baseline(d, 1, &p->h_name_mean, &p->h_name_sd, &nb);
	if (nb >= 6 && d->ent_name_n &&
	    fabs(p->h_name - p->h_name_mean) > d->cfg->entropy_k * fmax(p->h_name_sd, sd_floor))
		p->peak_name = 1;
	if (p->peak_src)
		add_peak(d, p, 0);
	if (p->peak_name)
		add_peak(d, p, 1);
	d->series[d->series_head] = *p;
	d->series_head = (d->series_head + 1) % DETECT_SERIES_MAX;
	if (d->nseries < DETECT_SERIES_MAX)
		d->nseries++;
	memset(p, 0, sizeof(*p));
	memset(d->ent_src, 0, DETECT_ENT_BUCKETS * sizeof(uint32_t));
	memset(d->ent_name, 0, DETECT_ENT_BUCKETS * sizeof(uint32_t));
	memset(d->names_bm, 0, DETECT_ENT_BUCKETS / 8);
	memset(d->clients_bm, 0, DETECT_ENT_BUCKETS / 8);
	d->ent_src_n = d->ent_name_n = 0;
	detect__ss_clear(&d->top_names);
	detect__ss_clear(&d->top_srcs);
}

static int close_win(struct detect *d, struct detect_win *w)
{
	int rc = 0;

	for (unsigned i = 0; i < d->ndet && rc == 0; i++)
		if (d->det[i].ops->close)
			rc = d->det[i].ops->close(d->det[i].ctx, w);
	if (w->stats)
		close_stats(d, w);
	/* The final counts of every finding of the window. */
	for (unsigned k = 0; k < DETECT_K_COUNT && rc == 0 && w->tracked; k++) {
		if (!(w->kinds & (1u << k)))
			continue;
		for (uint32_t i = 0; i < w->clients.n && rc == 0; i++) {
			struct detect_ss_item *it = detect__ss_at(&w->clients, i);
			struct detect_client *c = detect__ss_payload(it);
			unsigned lvl = level_of(d, k, c);
			if (lvl == 0 || host_allowed(d, k, &c->addr))
				continue;
			rc = emit(d, w, k, c, it->err, lvl, DETECT_RAISE_CLOSED);
		}
	}
	if (w->tracked)
		detect__ss_clear(&w->clients);
	w->start = w->end = INT64_MIN;
	return rc;
}

static int advance(struct detect *d, int64_t ts)
{
	int rc = 0;

	for (unsigned i = 0; i < d->nwin && rc == 0; i++) {
		struct detect_win *w = &d->win[i];
		if (w->start != INT64_MIN && ts >= w->end)
			rc = close_win(d, w);
		if (w->start == INT64_MIN)
			open_win(w, ts);
	}
	return rc;
}

int detect_tick(struct detect *d, int64_t now_ns)
{
	int rc = 0;

	for (unsigned i = 0; i < d->nwin && rc == 0; i++) {
		struct detect_win *w = &d->win[i];
		if (!w->run && w->start != INT64_MIN && now_ns >= w->end)
			rc = close_win(d, w);
	}
	return rc;
}

int detect_finish(struct detect *d)
{
	int rc = 0;

	for (unsigned i = 0; i < d->nwin && rc == 0; i++) {
		struct detect_win *w = &d->win[i];
		if (w->run || w->start == INT64_MIN)
			continue;
		rc = close_win(d, w);
	}
	return rc;
}

struct detect_client *detect__client(struct detect *d, unsigned w, const struct dh_addr *addr,
                                     uint64_t h, int64_t ts_ns, uint64_t inc)
{
	struct detect_win *win = &d->win[w];
	int created;
	struct detect_ss_item *it =
	    detect__ss_add_h(&win->clients, addr, sizeof(*addr), h, inc, &created);
	struct detect_client *c = detect__ss_payload(it);

	if (created) {
		c->addr = *addr;
		c->inside = d->cfg->local ? (uint8_t)dh_allow_addr(d->cfg->local, addr) : 1;
		c->first_ns = ts_ns;
	}
	c->last_ns = ts_ns;
	return c;
}

/* ---- Feeding ---- */

static int counted_role(unsigned role)
{
	/* The resolver's own upstream traffic is not a client's. */
	return role != EV_ROLE_RESOLVER_QUERY && role != EV_ROLE_RESOLVER_RESPONSE &&
	       role != EV_ROLE_FORWARDER_QUERY && role != EV_ROLE_FORWARDER_RESPONSE;
}

static void count_point(struct detect *d, const struct detect_obs *obs)
{
	struct detect_point *p = &d->cur;
	const struct dh_addr *a = obs->client;

	if (!obs->query) {
		if (obs->nxdomain)
			p->nxdomain++;
		return;
	}
	p->queries++;
	p->qt[obs->qt]++;
	if (a->family == DH_AF_INET6)
		p->v6++;
	else
		p->v4++;
	if (obs->inside)
		p->inside++;
	else
		p->outside++;
	uint64_t ha = obs->client_hash;
	d->clients_bm[(ha >> 6) % (DETECT_ENT_BUCKETS / 64)] |= (uint64_t)1 << (ha & 63);
	d->names_bm[(obs->name_hash >> 6) % (DETECT_ENT_BUCKETS / 64)] |= (uint64_t)1
	                                                                  << (obs->name_hash & 63);
	/* Seed 001's script counts the queries of clients outside the
	 * campus ("grep -v client 133\.95\."): with local networks
	 * configured, the entropy is that of outside traffic. */
	if (!d->cfg->local || !obs->inside) {
		uint32_t bs = ++d->ent_src[(ha >> 20) % DETECT_ENT_BUCKETS];
		uint32_t bn = ++d->ent_name[(obs->name_hash >> 20) % DETECT_ENT_BUCKETS];
		int cr;
		d->ent_src_n++;
		d->ent_name_n++;
		/* Prefilter: a bucket's count bounds the count of every value
		 * in it, so a value whose bucket is not above the table's
		 * smallest estimate cannot be a top one yet and is left out;
		 * a value in the table always passes (its estimate never
		 * exceeds its bucket), so the table's counts stay those of
		 * Space-Saving, at a fraction of the additions. */
		/* The name's hash serves the table too, when the name is
		 * not longer than the table's keys; a longer one is hashed
		 * as the key it is cut to, so its hash is that of a name of
		 * exactly those octets. */
		if (bn > detect__ss_floor(&d->top_names))
			detect__ss_add_h(
			    &d->top_names, obs->name, obs->name_len,
			    obs->name_len <= DETECT_SS_KEY - 1
			        ? obs->name_hash
			        : dh_hash64(obs->name, DETECT_SS_KEY - 1, DETECT_NAME_SEED),
			    1, &cr);
		if (bs > detect__ss_floor(&d->top_srcs))
			detect__ss_add_h(&d->top_srcs, a, sizeof(*a), ha, 1, &cr);
	}
}

int detect_feed(struct detect *d, const struct ev_event *ev)
{
	const struct dns_msg *m = &ev->msg;
	struct detect_obs obs;
	int rc;

	d->counters.events++;
	if (!m->has_question || !counted_role(ev->role)) {
		d->counters.skipped++;
		return 0;
	}
	/* Every field is set below before it is read; only the entries
	 * are cleared, and only for events that get that far (half of a
	 * resolver's events are answers that count for nothing). */
	obs.ev = ev;
	obs.query = 0;
	obs.nxdomain = 0;
	if (dns_msg_is_response(m)) {
		/* Whoever answers from port 53 is a server. */
		if (ev->sport == 53 || ev->role == EV_ROLE_CLIENT_RESPONSE ||
		    ev->role == EV_ROLE_AUTH_RESPONSE)
			mark_server(d, &ev->src);
		obs.client = &ev->dst;
		obs.nxdomain = dns_msg_rcode(m) == 3 /* NXDOMAIN, RFC 1035 4.1.1 */;
		d->counters.answers++;
		if (!obs.nxdomain)
			return 0;
		obs.client_hash = detect__ss_hash(&ev->dst, sizeof(ev->dst));
	} else {
		/* A server's query in a capture without roles is an upstream
		 * one (the resolver answering its clients also asks). */
		obs.client_hash = detect__ss_hash(&ev->src, sizeof(ev->src));
		if (ev->role == EV_ROLE_UNKNOWN &&
		    detect__is_server(d, &ev->src, obs.client_hash)) {
			d->counters.skipped++;
			return 0;
		}
		obs.client = &ev->src;
		obs.query = 1;
		d->counters.queries++;
	}
	if (obs.client->family == DH_AF_NONE) {
		d->counters.skipped++;
		return 0;
	}
	rc = advance(d, ev->ts_ns);
	if (rc)
		return rc;
	d->last_ts = ev->ts_ns;
	memset(obs.c, 0, sizeof(obs.c));
	obs.name = m->qname;
	obs.name_len = m->qname_len;
	obs.name_hash = dh_hash64(m->qname, m->qname_len, DETECT_NAME_SEED);
	obs.qt = detect_qt_of(m->qtype);
	/* The beacon table and the client tables are bigger than the caches:
	 * ask for their lines now, use them after the work in between. */
	for (unsigned i = 0; i < d->ndet; i++)
		if (d->det[i].ops->prefetch)
			d->det[i].ops->prefetch(d->det[i].ctx, &obs);
	for (unsigned i = 0; i < d->nwin; i++)
		if (d->win[i].tracked)
			detect__ss_prefetch(&d->win[i].clients, obs.client_hash);
	obs.inside = d->cfg->local ? dh_allow_addr(d->cfg->local, obs.client) : 1;
	obs.name_allowed = d->cfg->allow ? dh_allow_name(d->cfg->allow, m->qname, m->qname_len) : 0;
	for (unsigned i = 0; i < d->nwin; i++) {
		if (!d->win[i].tracked)
			continue;
		struct detect_client *c =
		    detect__client(d, i, obs.client, obs.client_hash, ev->ts_ns, obs.query);
		obs.c[i] = c;
		if (obs.query) {
			c->queries++;
			c->qt[obs.qt]++;
			detect__bm_set(c->names_bm, obs.name_hash);
		} else {
			c->answers++;
			c->nxdomain++;
		}
	}
	if (d->stats_on)
		count_point(d, &obs);
	for (unsigned i = 0; i < d->ndet; i++) {
		rc = d->det[i].ops->feed(d->det[i].ctx, &obs);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- The statistics' read API ---- */

size_t detect_series(const struct detect *d, const struct detect_point **out)
{
	struct detect *dm = (struct detect *)d; /* the linear copy is a cache */

	for (size_t i = 0; i < d->nseries; i++)
		dm->series_lin[i] = *series_at(d, d->nseries - i);
	*out = d->series_lin;
	return d->nseries;
}

size_t detect_peaks(const struct detect *d, const struct detect_peak **out)
{
	struct detect *dm = (struct detect *)d;

	for (size_t i = 0; i < d->npeaks; i++) {
		size_t j = (d->peaks_head + DETECT_PEAKS_MAX - d->npeaks + i) % DETECT_PEAKS_MAX;
		dm->peaks_lin[i] = d->peaks[j];
	}
	*out = d->peaks_lin;
	return d->npeaks;
}

size_t detect_top(const struct detect *d, struct detect_talker *out, size_t max)
{
	const struct detect_ss *ss = &d->win[d->run_win].clients;
	uint32_t idx[256];
	size_t k;

	if (max > 256)
		max = 256;
	if (!d->win[d->run_win].tracked)
		return 0;
	k = detect__ss_top(ss, idx, max);
	for (size_t i = 0; i < k; i++) {
		struct detect_ss_item *it = detect__ss_at(ss, idx[i]);
		const struct detect_client *c = detect__ss_payload(it);
		struct detect_talker *t = &out[i];
		memset(t, 0, sizeof(*t));
		t->addr = c->addr;
		t->queries = it->count;
		t->err = it->err;
		for (unsigned q = 0; q < DETECT_QT_COUNT; q++)
			t->qt[q] = c->qt[q];
		t->nxdomain = c->nxdomain;
		t->distinct_names = detect__bm_estimate(c->names_bm, 256);
		t->a_keyword = c->a_keyword;
		t->a_ip_literal = c->a_ip_literal;
		t->inside = c->inside;
	}
	return k;
}

size_t detect_keywords(const struct detect *d, struct detect_count *out, size_t max)
{
	size_t k = 0;

	for (unsigned i = 0; i < d->cfg->nkeywords && k < max; i++, k++) {
		memset(&out[k], 0, sizeof(out[k]));
		memcpy(out[k].name, d->cfg->keywords[i], strlen(d->cfg->keywords[i]) + 1);
		out[k].count = d->kw_count[i];
	}
	return k;
}

size_t detect_headwords(const struct detect *d, unsigned len, struct detect_count *out, size_t max)
{
	uint32_t idx[DETECT_HEAD_CAP];
	size_t k;

	if (len < 1 || len > 5)
		return 0;
	if (max > DETECT_HEAD_CAP)
		max = DETECT_HEAD_CAP;
	k = detect__ss_top(&d->head[len - 1], idx, max);
	for (size_t i = 0; i < k; i++) {
		const struct detect_ss_item *it = detect__ss_at(&d->head[len - 1], idx[i]);
		memset(&out[i], 0, sizeof(out[i]));
		memcpy(out[i].name, it->key, it->keylen);
		out[i].count = it->count;
		out[i].err = it->err;
	}
	return k;
}

double detect_keyword_correlation(const struct detect *d)
{
	double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, n = 0;

	for (size_t back = 1; back <= d->nseries; back++) {
		const struct detect_point *p = series_at(d, back);
		double x = (double)p->qt[DETECT_QT_A], y = (double)p->a_keyword;
		sx += x;
		sy += y;
		sxx += x * x;
		syy += y * y;
		sxy += x * y;
		n++;
	}
	if (n < 3)
		return 0;
	double vx = sxx - sx * sx / n, vy = syy - sy * sy / n;
	if (vx <= 0 || vy <= 0)
		return 0;
	return (sxy - sx * sy / n) / sqrt(vx * vy);
}
