/*
 * trace_eval.c - the traceback over a generated scenario, against its
 * ground truth (trace_eval.h).
 */
#include "trace/trace_eval.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "source/source.h"
#include "store/store.h"
#include "trace/trace.h"
#include "util/err.h"
#include "util/hash.h"

#define NS_PER_MS 1000000LL

static int is_resolver(const struct scenario_result *res, const struct dh_addr *a)
{
	return dh_addr_equal(a, &res->resolver4) || dh_addr_equal(a, &res->resolver6);
}

/* Reads the dnstap into the resolver's store and its upstream side,
 * turned into the authoritative servers' view, into auth's. */
static int build_stores(const char *dir, const struct scenario_result *res, struct store *rs,
                        struct store *as, uint64_t *events)
{
	char path[4096];
	struct src_options opt;
	struct src_reader *rd = NULL;
	struct ev_event *ev = calloc(1, sizeof(*ev));
	uint64_t skip;
	int rc;

	if (!ev)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/resolver.dnstap", dir);
	memset(&opt, 0, sizeof(opt));
	opt.observer = "resolver";
	if ((rc = src_open(&rd, path, "dnstap", &opt)) != 0)
		goto out;
	uint64_t h = dh_hash64(path, strlen(path), res->cfg.seed);
	if ((rc = store_ingest_begin(rs, path, (const uint8_t *)&h, sizeof(h), &skip)) != 0)
		goto out;
	if ((rc = store_ingest_begin(as, path, (const uint8_t *)&h, sizeof(h), &skip)) != 0)
		goto out;
	while ((rc = src_next(rd, ev)) == 1) {
		if ((rc = store_ingest_add(rs, ev)) != 0)
			goto out;
		(*events)++;
		if (ev->role == EV_ROLE_RESOLVER_QUERY && is_resolver(res, &ev->src))
			ev->role = EV_ROLE_AUTH_QUERY;
		else if (ev->role == EV_ROLE_RESOLVER_RESPONSE && is_resolver(res, &ev->dst))
			ev->role = EV_ROLE_AUTH_RESPONSE;
		else
			continue;
		snprintf(ev->observer, sizeof(ev->observer), "auth");
		if ((rc = store_ingest_add(as, ev)) != 0)
			goto out;
	}
	if (rc < 0)
		goto out;
	if ((rc = store_ingest_end(rs)) != 0 || (rc = store_ingest_end(as)) != 0)
		goto out;
	rc = 0;
out:
	src_close(rd);
	free(ev);
	return rc;
}

static struct trace_ident ident(const char *name)
{
	struct trace_ident id;
	memset(&id, 0, sizeof(id));
	snprintf(id.ca, sizeof(id.ca), "scenario CA");
	snprintf(id.name, sizeof(id.name), "%s", name);
	return id;
}

static struct trace_peer peer(const char *name, unsigned rights)
{
	struct trace_peer p;
	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	snprintf(p.ca, sizeof(p.ca), "scenario CA");
	snprintf(p.cn, sizeof(p.cn), "%s", name);
	p.rights = rights;
	return p;
}

static int is_bot_at(const struct scenario_result *res, const struct dh_addr *a, int64_t t,
                     const struct scenario_bot **out)
{
	for (uint32_t i = 0; i < res->nbots; i++)
		if (dh_addr_equal(&res->bots[i].addr, a)) {
			if (out)
				*out = &res->bots[i];
			(void)t;
			return 1;
		}
	return 0;
}

/* One attack: trace, then two confirmations. */
static int one_attack(struct trace_fake *net, const struct scenario_result *res,
                      const struct scenario_attack *at, uint32_t window_s,
                      struct trace_eval_attack *out)
{
	struct trace_request r;
	struct trace_answer a;
	struct trace_ident victim = ident("victim");
	char *req = NULL, *ans = NULL;
	size_t len, alen;
	char err[256];
	int rc;

	memset(out, 0, sizeof(*out));
	for (uint32_t i = 0; i < res->nbots; i++) {
		const struct scenario_bot *b = &res->bots[i];
		if (b->behaviour == SCEN_B_DDOS && b->from_ns <= at->start_ns &&
		    at->start_ns < b->to_ns)
			out->bots++;
	}
	int64_t now_ms = trace_fake_now(net) / NS_PER_MS;
	rc = trace_request_init(&r, "victim", at->victim, NULL, at->start_ns / NS_PER_MS,
	                        at->end_ns / NS_PER_MS, window_s, now_ms + 10000);
	if (rc)
		return rc;
	if ((rc = trace_request_encode(&r, &req, &len)) != 0)
		return rc;
	rc = trace_fake_ask(net, "auth", &victim, req, len, &ans, &alen);
	free(req);
	req = NULL;
	if (rc)
		return rc;
	rc = trace_answer_parse((const uint8_t *)ans, alen, &a, err, sizeof(err));
	free(ans);
	ans = NULL;
	if (rc == 0 && a.error)
		rc = a.error;
	if (rc) {
		trace_answer_release(&a);
		return rc;
	}
	out->candidates = (uint32_t)a.ncand;
	out->lookback_s = a.lookback_s;
	char bot_host[DH_ADDR_TEXT_MAX] = "";
	for (size_t i = 0; i < a.ncand; i++) {
		struct dh_addr h;
		const struct scenario_bot *b = NULL;
		if (dh_addr_parse(&h, a.cand[i].host) != 0)
			continue;
		if (is_bot_at(res, &h, at->start_ns, &b) && b->behaviour == SCEN_B_DDOS) {
			out->bots_found++;
			out->worst_bot = (uint32_t)i + 1;
			if (!bot_host[0])
				memcpy(bot_host, a.cand[i].host, sizeof(bot_host));
		} else if (!out->best_benign) {
			out->best_benign = (uint32_t)i + 1;
		}
	}
	out->bots_above_benign =
	    out->bots_found > 0 && (out->best_benign == 0 || out->worst_bot < out->best_benign);
	if (a.ncc)
		snprintf(out->cc_first, sizeof(out->cc_first), "%s", a.cc[0].name);
	for (size_t k = 0; k < a.ncc && !out->cc_c2_rank; k++)
		for (uint32_t i = 0; i < res->nbots; i++) {
			char d[80];
			snprintf(d, sizeof(d), "%s.", res->bots[i].domain);
			if (res->bots[i].behaviour == SCEN_B_DDOS && res->bots[i].domain[0] &&
			    strcmp(d, a.cc[k].name) == 0)
				out->cc_c2_rank = (uint32_t)k + 1;
		}
	trace_answer_release(&a);

	/* Spoofed or not: a bot's own address, then a made-up one. */
	out->spoofed_own = out->spoofed_made_up = -1;
	for (int k = 0; k < 2; k++) {
		struct dh_addr src;
		uint8_t blind[TRACE_OPRF_KEY];
		if (k == 0 && !bot_host[0])
			continue;
		dh_addr_parse(&src, k == 0 ? bot_host : "203.0.113.254");
		struct trace_request c = r;
		c.kind = TRACE_KIND_CONFIRM;
		if ((rc = trace_oprf_blind(&src, at->victim, blind, c.blinded)) != 0)
			return rc;
		c.has_blinded = 1;
		if ((rc = trace_request_encode(&c, &req, &len)) != 0)
			return rc;
		rc = trace_fake_ask(net, "auth", &victim, req, len, &ans, &alen);
		free(req);
		req = NULL;
		if (rc)
			return rc;
		rc = trace_answer_parse((const uint8_t *)ans, alen, &a, err, sizeof(err));
		free(ans);
		ans = NULL;
		if (rc == 0 && !a.error)
			trace_oprf_verdict(&a, blind, &src, at->victim);
		if (k == 0)
			out->spoofed_own = a.spoofed;
		else
			out->spoofed_made_up = a.spoofed;
		trace_answer_release(&a);
		if (rc)
			return rc;
	}
	return 0;
}

int trace_eval_scenario(const char *dir, const struct scenario_result *res, uint32_t window_s,
                        struct trace_eval_report *rep)
{
	char rdir[4096], adir[4096];
	struct store *rs = NULL, *as = NULL;
	struct trace_fake *net = NULL;
	struct trace_agent *ra = NULL, *aa = NULL;
	int rc;

	memset(rep, 0, sizeof(*rep));
	snprintf(rdir, sizeof(rdir), "%s/store-res", dir);
	snprintf(adir, sizeof(adir), "%s/store-auth", dir);
	if ((rc = store_open(&rs, rdir, STORE_CREATE)) != 0 ||
	    (rc = store_open(&as, adir, STORE_CREATE)) != 0)
		goto out;
	if ((rc = build_stores(dir, res, rs, as, &rep->events)) != 0)
		goto out;
	if ((rc = trace_fake_new(&net, res->attacks ? res->attacks[0].start_ns : 0)) != 0)
		goto out;

	struct trace_ident ri = ident("res"), ai = ident("auth"), vi = ident("victim");
	struct trace_transport rt, at, vt;
	struct trace_clock rc_, ac, vc;
	if ((rc = trace_fake_node(net, "res", &ri, &rt, &rc_)) != 0 ||
	    (rc = trace_fake_node(net, "auth", &ai, &at, &ac)) != 0 ||
	    (rc = trace_fake_node(net, "victim", &vi, &vt, &vc)) != 0)
		goto out;
	struct dh_addr servers[2] = {res->resolver4, res->resolver6};
	struct trace_peer auth_peers[2] = {peer("victim", TRACE_R_ASK | TRACE_R_CLIENTS),
	                                   peer("res", 0)};
	auth_peers[1].nservers = 2;
	auth_peers[1].servers[0] = servers[0];
	auth_peers[1].servers[1] = servers[1];
	struct trace_peer res_peers[1] = {peer("auth", TRACE_R_RELAY | TRACE_R_CLIENTS)};
	struct trace_agent_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = "res";
	cfg.store = rs;
	cfg.servers = servers;
	cfg.nservers = 2;
	cfg.sees_upstream = 1;
	cfg.clock = rc_;
	cfg.transport = rt;
	if ((rc = trace_oprf_keygen(cfg.oprf_key)) != 0 ||
	    (rc = trace_agent_new(&ra, &cfg, res_peers, 1)) != 0)
		goto out;
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = "auth";
	cfg.store = as;
	cfg.clock = ac;
	cfg.transport = at;
	if ((rc = trace_oprf_keygen(cfg.oprf_key)) != 0 ||
	    (rc = trace_agent_new(&aa, &cfg, auth_peers, 2)) != 0)
		goto out;
	trace_fake_attach(net, "res", ra);
	trace_fake_attach(net, "auth", aa);
	for (uint32_t i = 0; i < res->nattacks && i < TRACE_EVAL_ATTACKS; i++) {
		if ((rc = one_attack(net, res, &res->attacks[i], window_s, &rep->attack[i])) != 0)
			goto out;
		rep->nattacks++;
	}
out:
	trace_agent_free(ra);
	trace_agent_free(aa);
	trace_fake_free(net);
	store_close(rs);
	store_close(as);
	return rc;
}
