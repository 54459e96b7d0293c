/*
 * eval_mc.c - the Monte-Carlo traceback simulator (see eval_mc.h for the
 * model).
 */
#include "eval/eval_mc.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "eval/eval_rng.h"
#include "util/err.h"

/* Seconds per day: the seed gives query rates per day (section 6.1). */
#define DAY 86400.0

/* Kinds of simulated query. */
enum { Q_BENIGN, Q_BOT, Q_OTHER };

struct mc_query {
	double t;       /* seconds, the attack is at 0 */
	unsigned level; /* 0 the resolver, 1..forwarders the forwarders */
	unsigned kind;  /* Q_* */
	uint64_t order; /* creation order, breaks ties so sorting is total */
};

struct eval_mc {
	struct eval_rng rng;
	struct mc_query *q; /* owned; this chain's queries */
	size_t q_len;
	size_t q_cap;
	uint64_t *ids; /* owned; host ids of every answer, one entry per answer */
	size_t ids_len;
	size_t ids_cap;
	uint64_t *pend; /* owned; the resolver's clients inside its window */
	size_t pend_len;
	size_t pend_cap;
	uint64_t *tmp; /* owned; scratch for another resolver's clients */
	size_t tmp_cap;
	uint64_t queries; /* simulated queries of the current run */
};

/* Rates and derived values of one run, computed once. */
struct mc_run {
	const struct eval_mc_params *par;
	double lam_s; /* benign queries per second at a resolver */
	double lam_d; /* other resolvers' queries per second at D */
	double lam_f; /* other clients' queries per second at a forwarder */
	double p_fwd;
	double span; /* simulated time before the attack */
};

/* What one trial found. */
struct mc_trial {
	int success;
	int conventional;
	uint64_t candidates;
};

void eval_mc_defaults(struct eval_mc_params *par)
{
	memset(par, 0, sizeof(*par));
	par->p = 0.9;
	par->p_fwd = -1.0;
	par->q = 0.55;
	par->hops = 15;
	par->ttl = 7200.0;
	par->window_dest = 5.0;
	par->window_src = 5.0;
	par->lead = 1.0;
	par->dest_qpd = 200000.0;
	par->src_qpd = 1000.0;
	par->fwd_qpd = 0.0;
	par->clients = 1000;
	par->forwarders = 0;
	par->resolvers = 1;
	par->victims = 1;
	par->min_common = 1;
	par->trials = 10000;
	par->seed = 1;
}

void eval_mc_ideal(struct eval_mc_params *par)
{
	eval_mc_defaults(par);
	par->ttl = 0.0;
	par->dest_qpd = 0.0;
	par->src_qpd = 0.0;
	par->fwd_qpd = 0.0;
}

/* Settable parameters: name, field, kind and allowed range. */
enum { K_DOUBLE, K_UNSIGNED, K_U64 };

static const struct param_def {
	const char *name;
	size_t off;
	int kind;
	double min;
	double max;
} param_defs[] = {
    {"p", offsetof(struct eval_mc_params, p), K_DOUBLE, 0.0, 1.0},
    {"p-fwd", offsetof(struct eval_mc_params, p_fwd), K_DOUBLE, 0.0, 1.0},
    {"q", offsetof(struct eval_mc_params, q), K_DOUBLE, 0.0, 1.0},
    {"hops", offsetof(struct eval_mc_params, hops), K_UNSIGNED, 0.0, 1000.0},
    {"ttl", offsetof(struct eval_mc_params, ttl), K_DOUBLE, 0.0, 1e7},
    {"window-dest", offsetof(struct eval_mc_params, window_dest), K_DOUBLE, 0.0, 1e7},
    {"window-src", offsetof(struct eval_mc_params, window_src), K_DOUBLE, 0.0, 1e7},
    {"lead", offsetof(struct eval_mc_params, lead), K_DOUBLE, 0.0, 1e7},
    {"dest-qpd", offsetof(struct eval_mc_params, dest_qpd), K_DOUBLE, 0.0, 1e10},
    {"src-qpd", offsetof(struct eval_mc_params, src_qpd), K_DOUBLE, 0.0, 1e10},
    {"fwd-qpd", offsetof(struct eval_mc_params, fwd_qpd), K_DOUBLE, 0.0, 1e10},
    {"clients", offsetof(struct eval_mc_params, clients), K_UNSIGNED, 1.0, 1e9},
    {"forwarders", offsetof(struct eval_mc_params, forwarders), K_UNSIGNED, 0.0,
     EVAL_MC_MAX_FORWARDERS},
    {"resolvers", offsetof(struct eval_mc_params, resolvers), K_UNSIGNED, 1.0,
     EVAL_MC_MAX_RESOLVERS},
    {"victims", offsetof(struct eval_mc_params, victims), K_UNSIGNED, 1.0, EVAL_MC_MAX_VICTIMS},
    {"min-common", offsetof(struct eval_mc_params, min_common), K_UNSIGNED, 1.0,
     EVAL_MC_MAX_MIN_COMMON},
    {"trials", offsetof(struct eval_mc_params, trials), K_U64, 1.0, (double)EVAL_MC_MAX_TRIALS},
};

int eval_mc_set(struct eval_mc_params *par, const char *name, double value)
{
	if (par == NULL || name == NULL)
		return DH_EUSAGE;
	if (strcmp(name, "window") == 0) {
		int rc = eval_mc_set(par, "window-dest", value);
		if (rc == 0)
			rc = eval_mc_set(par, "window-src", value);
		return rc;
	}
	for (size_t i = 0; i < sizeof(param_defs) / sizeof(param_defs[0]); i++) {
		const struct param_def *d = &param_defs[i];
		if (strcmp(name, d->name) != 0)
			continue;
		if (!(value >= d->min && value <= d->max))
			return DH_EUSAGE;
		char *field = (char *)par + d->off;
		switch (d->kind) {
		case K_DOUBLE:
			memcpy(field, &value, sizeof(value));
			break;
		case K_UNSIGNED: {
			if (value != floor(value))
				return DH_EUSAGE;
			unsigned u = (unsigned)value;
			memcpy(field, &u, sizeof(u));
			break;
		}
		default: {
			if (value != floor(value))
				return DH_EUSAGE;
			uint64_t u = (uint64_t)value;
			memcpy(field, &u, sizeof(u));
			break;
		}
		}
		return 0;
	}
	return DH_ENOTFOUND;
}

static int in_range(double v, double lo, double hi)
{
	return v >= lo && v <= hi;
}

static double max3(double a, double b, double c)
{
	double m = a > b ? a : b;
	return m > c ? m : c;
}

/* Expected simulated queries in one trial, to refuse runs that would not
 * finish. */
static double expected_work(const struct eval_mc_params *par)
{
	double span = max3(par->window_dest, par->window_src, par->lead);
	double lam_s = par->src_qpd / DAY;
	double per_chain = 1.0 + lam_s * span + par->forwarders * (par->fwd_qpd / DAY) * span;
	double per_victim = par->resolvers * per_chain + (par->dest_qpd / DAY) * par->window_dest *
	                                                     (1.0 + lam_s * par->window_src);
	return par->victims * per_victim + par->hops;
}

int eval_mc_check(const struct eval_mc_params *par)
{
	if (par == NULL)
		return DH_EUSAGE;
	if (!in_range(par->p, 0, 1) || !in_range(par->q, 0, 1) ||
	    !(par->p_fwd < 0 || in_range(par->p_fwd, 0, 1)))
		return DH_EUSAGE;
	if (!in_range(par->ttl, 0, 1e7) || !in_range(par->window_dest, 0, 1e7) ||
	    !in_range(par->window_src, 0, 1e7) || !in_range(par->lead, 0, 1e7))
		return DH_EUSAGE;
	if (!in_range(par->dest_qpd, 0, 1e10) || !in_range(par->src_qpd, 0, 1e10) ||
	    !in_range(par->fwd_qpd, 0, 1e10))
		return DH_EUSAGE;
	if (par->hops > 1000 || par->clients == 0 || par->clients > 1000000000u ||
	    par->forwarders > EVAL_MC_MAX_FORWARDERS || par->resolvers == 0 ||
	    par->resolvers > EVAL_MC_MAX_RESOLVERS || par->victims == 0 ||
	    par->victims > EVAL_MC_MAX_VICTIMS || par->min_common == 0 || par->trials == 0 ||
	    par->trials > EVAL_MC_MAX_TRIALS)
		return DH_EUSAGE;
	if (expected_work(par) > EVAL_MC_MAX_EVENTS)
		return DH_EUSAGE;
	return 0;
}

double eval_mc_closed_form(const struct eval_mc_params *par)
{
	if (par == NULL || par->resolvers != 1 || par->victims != 1 || par->min_common != 1)
		return NAN;
	double pf = par->p_fwd < 0 ? par->p : par->p_fwd;
	return par->q * par->p * par->p * pow(pf, (double)par->forwarders);
}

int eval_mc_new(struct eval_mc **out)
{
	if (out == NULL)
		return DH_EUSAGE;
	*out = calloc(1, sizeof(**out));
	return *out == NULL ? -ENOMEM : 0;
}

void eval_mc_free(struct eval_mc *mc)
{
	if (mc == NULL)
		return;
	free(mc->q);
	free(mc->ids);
	free(mc->pend);
	free(mc->tmp);
	free(mc);
}

/* Makes room for need elements of size elem in *arr. */
static int reserve(void **arr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap < 64 ? 64 : *cap;
	while (n < need)
		n *= 2;
	if (n > SIZE_MAX / elem)
		return -ENOMEM;
	void *p = realloc(*arr, n * elem);
	if (p == NULL)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

static int push_query(struct eval_mc *mc, double t, unsigned level, unsigned kind)
{
	int rc = reserve((void **)&mc->q, &mc->q_cap, mc->q_len + 1, sizeof(*mc->q));
	if (rc != 0)
		return rc;
	mc->q[mc->q_len] = (struct mc_query){t, level, kind, mc->q_len};
	mc->q_len++;
	mc->queries++;
	return 0;
}

static int push_id(uint64_t **arr, size_t *len, size_t *cap, uint64_t id)
{
	int rc = reserve((void **)arr, cap, *len + 1, sizeof(**arr));
	if (rc != 0)
		return rc;
	(*arr)[(*len)++] = id;
	return 0;
}

static int cmp_query(const void *a, const void *b)
{
	const struct mc_query *x = a;
	const struct mc_query *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a;
	uint64_t y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorts arr[0..n) and removes repeats; returns the new length. */
static size_t sort_unique(uint64_t *arr, size_t n)
{
	if (n < 2)
		return n;
	qsort(arr, n, sizeof(*arr), cmp_u64);
	size_t w = 1;
	for (size_t i = 1; i < n; i++)
		if (arr[i] != arr[w - 1])
			arr[w++] = arr[i];
	return w;
}

/* The expiry time at t0 of a cache fed by Poisson queries at rate lam in
 * its stationary state: warm for ttl after each miss, then cold until the
 * next query, so warm with probability ttl / (ttl + 1/lam) and, when
 * warm, at a uniform point of its ttl. -INFINITY means cold. */
static double initial_expiry(struct eval_rng *rng, double lam, double ttl, double t0)
{
	if (!(ttl > 0.0) || !(lam > 0.0))
		return -INFINITY;
	if (!eval_rng_bernoulli(rng, lam * ttl / (1.0 + lam * ttl)))
		return -INFINITY;
	return t0 + eval_rng_uniform(rng) * ttl;
}

/* Poisson arrivals at rate lam on [t0, 0] for one level. When ids is set,
 * each arrival inside [-window, 0] also draws the asking client's id
 * (base + a client number); *inside counts those arrivals. */
static int add_arrivals(struct eval_mc *mc, const struct mc_run *run, double lam, unsigned level,
                        unsigned kind, double window, int ids, uint64_t base, uint64_t *inside)
{
	int rc = 0;
	if (!(lam > 0.0))
		return 0;
	for (double t = -run->span + eval_rng_exp(&mc->rng, lam); t <= 0.0;
	     t += eval_rng_exp(&mc->rng, lam)) {
		rc = push_query(mc, t, level, kind);
		if (rc != 0)
			return rc;
		if (t >= -window) {
			(*inside)++;
			if (ids) {
				uint64_t c = eval_rng_below(&mc->rng, run->par->clients);
				rc = push_id(&mc->pend, &mc->pend_len, &mc->pend_cap, base + c);
				if (rc != 0)
					return rc;
			}
		}
	}
	return 0;
}

/*
 * One chain: resolver k and its forwarders for one victim's name. Plays
 * the queries through the caches, then follows the traceback from D down.
 * Appends the resolver's answer to mc->ids and adds the forwarders' other
 * clients to *other. d_logs, s_logs and f_logs say which servers log.
 */
static int run_chain(struct eval_mc *mc, const struct mc_run *run, unsigned k, int resolves,
                     double t_bot, int d_logs, int s_logs, const unsigned char *f_logs,
                     uint64_t *other)
{
	const struct eval_mc_params *par = run->par;
	unsigned nf = par->forwarders;
	double expiry[EVAL_MC_MAX_FORWARDERS + 1];
	double last_miss[EVAL_MC_MAX_FORWARDERS + 1];
	uint64_t fwd_inside[EVAL_MC_MAX_FORWARDERS + 1] = {0};
	uint64_t s_inside = 0;
	uint64_t base = 1 + (uint64_t)k * par->clients;
	int rc;

	mc->q_len = 0;
	mc->pend_len = 0;
	rc = add_arrivals(mc, run, run->lam_s, 0, Q_BENIGN, par->window_src, 1, base, &s_inside);
	if (rc != 0)
		return rc;
	if (resolves) {
		rc = push_query(mc, t_bot, 0, Q_BOT);
		if (rc != 0)
			return rc;
	}
	for (unsigned j = 1; j <= nf; j++) {
		rc = add_arrivals(mc, run, run->lam_f, j, Q_OTHER, par->window_dest, 0, 0,
		                  &fwd_inside[j]);
		if (rc != 0)
			return rc;
	}
	/* qsort must not see the NULL of an array never allocated. */
	if (mc->q_len > 1)
		qsort(mc->q, mc->q_len, sizeof(*mc->q), cmp_query);

	/* A forwarder's cache holds at least what it passed down, so it
	 * expires no earlier than its client's. */
	expiry[0] = initial_expiry(&mc->rng, run->lam_s, par->ttl, -run->span);
	last_miss[0] = -INFINITY;
	for (unsigned j = 1; j <= nf; j++) {
		double e = initial_expiry(&mc->rng, run->lam_f, par->ttl, -run->span);
		expiry[j] = e > expiry[j - 1] ? e : expiry[j - 1];
		last_miss[j] = -INFINITY;
	}

	for (size_t i = 0; i < mc->q_len; i++) {
		double t = mc->q[i].t;
		unsigned from = mc->q[i].level;
		unsigned j = from;
		/* Each level that misses asks the next one up at once. */
		while (j <= nf && t >= expiry[j]) {
			last_miss[j] = t;
			j++;
		}
		/* The levels that missed cache what the first hit had left,
		 * or a fresh ttl when D answered. */
		double e = j <= nf ? expiry[j] : t + par->ttl;
		for (unsigned l = from; l < j; l++)
			expiry[l] = e;
	}

	if (!d_logs)
		return 0;
	/* D finds the top of the chain if it asked inside D's window. */
	int found = last_miss[nf] >= -par->window_dest;
	for (unsigned j = nf; j >= 1 && found; j--) {
		if (!f_logs[j - 1]) {
			found = 0;
			break;
		}
		*other += fwd_inside[j];
		found = last_miss[j - 1] >= -par->window_dest;
	}
	if (!found || !s_logs)
		return 0;
	if (resolves && t_bot >= -par->window_src) {
		rc = push_id(&mc->pend, &mc->pend_len, &mc->pend_cap, 0);
		if (rc != 0)
			return rc;
	}
	size_t n = sort_unique(mc->pend, mc->pend_len);
	for (size_t i = 0; i < n; i++) {
		rc = push_id(&mc->ids, &mc->ids_len, &mc->ids_cap, mc->pend[i]);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* The other resolvers that asked D inside its window, each answering with
 * its own clients: hosts that can only ever be in one answer. Adds their
 * number to *other. */
static int run_others(struct eval_mc *mc, const struct mc_run *run, uint64_t *other)
{
	const struct eval_mc_params *par = run->par;
	double w_in = par->window_src < par->window_dest ? par->window_src : par->window_dest;
	/* A resolver that asked D inside the source window was itself asked
	 * by a client then, so that client is in its answer. */
	uint64_t n_in = eval_rng_poisson(&mc->rng, run->lam_d * w_in);
	uint64_t n_out = eval_rng_poisson(&mc->rng, run->lam_d * (par->window_dest - w_in));
	double mean_clients = run->lam_s * par->window_src;
	int rc;

	for (uint64_t i = 0; i < n_in + n_out; i++) {
		mc->queries++;
		if (!eval_rng_bernoulli(&mc->rng, par->p))
			continue;
		uint64_t n = eval_rng_poisson(&mc->rng, mean_clients) + (i < n_in ? 1 : 0);
		mc->queries += n;
		if (n < 2) {
			*other += n;
			continue;
		}
		rc = reserve((void **)&mc->tmp, &mc->tmp_cap, n, sizeof(*mc->tmp));
		if (rc != 0)
			return rc;
		for (uint64_t c = 0; c < n; c++)
			mc->tmp[c] = eval_rng_below(&mc->rng, par->clients);
		*other += sort_unique(mc->tmp, n);
	}
	return 0;
}

static int run_trial(struct eval_mc *mc, const struct mc_run *run, struct mc_trial *out)
{
	const struct eval_mc_params *par = run->par;
	unsigned char s_logs[EVAL_MC_MAX_RESOLVERS];
	unsigned char f_logs[EVAL_MC_MAX_RESOLVERS][EVAL_MC_MAX_FORWARDERS];
	uint64_t other = 0;
	int rc = 0;

	/* Table 1 counts bot kinds, so resolving is a property of the bot:
	 * drawn once per trial, the same for every victim. */
	int resolves = eval_rng_bernoulli(&mc->rng, par->q);
	out->conventional = 1;
	for (unsigned h = 0; h < par->hops; h++)
		if (!eval_rng_bernoulli(&mc->rng, par->p))
			out->conventional = 0;
	/* A probe belongs to a server, so the same servers log for every
	 * victim of this traceback. */
	for (unsigned k = 0; k < par->resolvers; k++) {
		s_logs[k] = (unsigned char)eval_rng_bernoulli(&mc->rng, par->p);
		for (unsigned j = 0; j < par->forwarders; j++)
			f_logs[k][j] = (unsigned char)eval_rng_bernoulli(&mc->rng, run->p_fwd);
	}

	mc->ids_len = 0;
	for (unsigned v = 0; v < par->victims; v++) {
		int d_logs = eval_rng_bernoulli(&mc->rng, par->p);
		double t_bot = -par->lead * eval_rng_uniform(&mc->rng);
		for (unsigned k = 0; k < par->resolvers; k++) {
			rc = run_chain(mc, run, k, resolves, t_bot, d_logs, s_logs[k], f_logs[k],
			               &other);
			if (rc != 0)
				goto out;
		}
		if (d_logs) {
			rc = run_others(mc, run, &other);
			if (rc != 0)
				goto out;
		}
	}

	/* Score = number of answers naming the host (each answer lists a
	 * host once); section 4.4 keeps the hosts common to several. */
	if (mc->ids_len > 1)
		qsort(mc->ids, mc->ids_len, sizeof(*mc->ids), cmp_u64);
	out->success = 0;
	out->candidates = 0;
	for (size_t i = 0; i < mc->ids_len;) {
		size_t j = i;
		while (j < mc->ids_len && mc->ids[j] == mc->ids[i])
			j++;
		if (j - i >= par->min_common) {
			out->candidates++;
			if (mc->ids[i] == 0)
				out->success = 1;
		}
		i = j;
	}
	/* Hosts of other resolvers and forwarders' other clients appear in
	 * one answer each, so only a min_common of 1 keeps them. */
	if (par->min_common <= 1)
		out->candidates += other;
out:
	return rc;
}

int eval_mc_run(struct eval_mc *mc, const struct eval_mc_params *par, struct eval_mc_result *res)
{
	struct mc_run run;
	struct mc_trial tr;
	uint64_t wins = 0;
	uint64_t conv = 0;
	int rc;

	if (mc == NULL || res == NULL)
		return DH_EUSAGE;
	rc = eval_mc_check(par);
	if (rc != 0)
		return rc;
	run.par = par;
	run.lam_s = par->src_qpd / DAY;
	run.lam_d = par->dest_qpd / DAY;
	run.lam_f = par->fwd_qpd / DAY;
	run.p_fwd = par->p_fwd < 0 ? par->p : par->p_fwd;
	run.span = max3(par->window_dest, par->window_src, par->lead);
	eval_rng_seed(&mc->rng, par->seed);
	mc->queries = 0;

	memset(res, 0, sizeof(*res));
	eval_mean_init(&res->fp);
	eval_mean_init(&res->candidates);
	for (uint64_t i = 0; i < par->trials; i++) {
		rc = run_trial(mc, &run, &tr);
		if (rc != 0)
			return rc;
		wins += (uint64_t)tr.success;
		conv += (uint64_t)tr.conventional;
		eval_mean_add(&res->candidates, (double)tr.candidates);
		eval_mean_add(&res->fp, (double)(tr.candidates - (uint64_t)tr.success));
	}
	eval_prop_wilson(&res->success, wins, par->trials, EVAL_Z95);
	eval_prop_wilson(&res->conventional, conv, par->trials, EVAL_Z95);
	eval_mean_finish(&res->fp, EVAL_Z95);
	eval_mean_finish(&res->candidates, EVAL_Z95);
	/* Counts are never negative; the normal approximation's lower bound
	 * can be when the mean is near 0 and events are rare. */
	res->fp.lo = res->fp.lo < 0.0 ? 0.0 : res->fp.lo;
	res->candidates.lo = res->candidates.lo < 0.0 ? 0.0 : res->candidates.lo;
	res->closed_form = eval_mc_closed_form(par);
	res->queries = mc->queries;
	return 0;
}

int eval_mc_sweep(struct eval_mc *mc, const struct eval_mc_params *base, const char *name,
                  const double *vals, size_t n, struct eval_mc_result *res)
{
	if (mc == NULL || base == NULL || name == NULL || vals == NULL || res == NULL || n == 0)
		return DH_EUSAGE;
	for (size_t i = 0; i < n; i++) {
		struct eval_mc_params par = *base;
		int rc = eval_mc_set(&par, name, vals[i]);
		if (rc == 0)
			rc = eval_mc_run(mc, &par, &res[i]);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int eval_mc_table(const char *xname, const double *vals, const struct eval_mc_result *res, size_t n,
                  struct eval_table *t)
{
	static const char *const names[EVAL_MC_NCOLS] = {
	    "trials",          "success",         "success_lo",
	    "success_hi",      "closed_form",     "conventional",
	    "conventional_lo", "conventional_hi", "fp",
	    "fp_lo",           "fp_hi",           "candidates",
	    "candidates_lo",   "candidates_hi",
	};
	int rc;

	if (xname == NULL || vals == NULL || res == NULL || t == NULL)
		return DH_EUSAGE;
	rc = eval_table_init(t, xname, EVAL_MC_NCOLS, n);
	if (rc != 0)
		return rc;
	for (size_t c = 0; c < EVAL_MC_NCOLS; c++)
		eval_table_set_name(t, c, names[c]);
	for (size_t r = 0; r < n; r++) {
		const struct eval_mc_result *e = &res[r];
		double row[EVAL_MC_NCOLS] = {
		    (double)e->success.n,
		    e->success.value,
		    e->success.lo,
		    e->success.hi,
		    e->closed_form,
		    e->conventional.value,
		    e->conventional.lo,
		    e->conventional.hi,
		    e->fp.mean,
		    e->fp.lo,
		    e->fp.hi,
		    e->candidates.mean,
		    e->candidates.lo,
		    e->candidates.hi,
		};
		t->x[r] = vals[r];
		memcpy(eval_table_at(t, r, 0), row, sizeof(row));
	}
	return 0;
}

static void json_num(struct dh_buf *out, const char *key, double v, int last)
{
	dh_buf_addf(out, "\"%s\":", key);
	if (isfinite(v))
		dh_buf_addf(out, "%.17g", v);
	else
		dh_buf_adds(out, "null");
	if (!last)
		dh_buf_addc(out, ',');
}

void eval_mc_params_json(const struct eval_mc_params *par, struct dh_buf *out)
{
	dh_buf_addc(out, '{');
	json_num(out, "p", par->p, 0);
	json_num(out, "p_fwd", par->p_fwd < 0 ? par->p : par->p_fwd, 0);
	json_num(out, "q", par->q, 0);
	json_num(out, "hops", par->hops, 0);
	json_num(out, "ttl", par->ttl, 0);
	json_num(out, "window_dest", par->window_dest, 0);
	json_num(out, "window_src", par->window_src, 0);
	json_num(out, "lead", par->lead, 0);
	json_num(out, "dest_qpd", par->dest_qpd, 0);
	json_num(out, "src_qpd", par->src_qpd, 0);
	json_num(out, "fwd_qpd", par->fwd_qpd, 0);
	json_num(out, "clients", par->clients, 0);
	json_num(out, "forwarders", par->forwarders, 0);
	json_num(out, "resolvers", par->resolvers, 0);
	json_num(out, "victims", par->victims, 0);
	json_num(out, "min_common", par->min_common, 0);
	json_num(out, "trials", (double)par->trials, 0);
	/* The seed is printed as an integer: a double would round it. */
	dh_buf_addf(out, "\"seed\":%llu}", (unsigned long long)par->seed);
}
