/*
 * cmd_simtrace.c - "dnshound sim trace": the traceback itself on a
 * generated scenario, next to the simulator (seed 000 section 6.4).
 *
 * Seed 6.4 leaves open how many clients' queries for a name reach the
 * destination server at all: a resolver answers from its cache, so the
 * authoritative log sees the resolver once per TTL, whoever asked. This
 * generates a scenario (dnshound scenario), traces each of its attacks
 * through two agents on the fake transport (trace_eval_scenario(): the
 * resolver's and the authoritative side's), and for each attack counts
 * the victim name's client queries at the resolver and its upstream
 * queries (the cache misses, what the destination server logs) over the
 * traceback's lookback: the cache-miss ratio beside traceback success,
 * benign candidates and candidates per traceback. scripts/eval_trace.py
 * runs it over seeds and puts `dnshound sim mc` beside it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "eval/scenario.h"
#include "store/store.h"
#include "trace/trace_eval.h"
#include "util/err.h"

static const char usage[] =
    "usage: dnshound sim trace --out DIR [--seed N] [--clients N] [--hours H]\n"
    "                          [--window S] [--json]\n"
    "\n"
    "Generates a scenario into DIR, traces each of its attacks through a\n"
    "resolver's and an authoritative server's agent (fake transport), and\n"
    "prints per attack: the resolving bots found, the candidates, the best rank\n"
    "of a benign host, and the victim name's cache-miss ratio at the resolver\n"
    "(upstream queries over client queries in the lookback; seed 000 6.4).\n";

struct count {
	int64_t from, to;
	uint64_t client, upstream;
};

static int count_cb(void *ctx, const struct ev_event *ev)
{
	struct count *c = ctx;
	if (ev->ts_ns < c->from || ev->ts_ns >= c->to || dns_msg_is_response(&ev->msg))
		return 0;
	if (ev->role == EV_ROLE_CLIENT_QUERY)
		c->client++;
	else if (ev->role == EV_ROLE_RESOLVER_QUERY)
		c->upstream++;
	return 0;
}

int cmd_sim_trace(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"out", required_argument, NULL, 'o'},     {"seed", required_argument, NULL, 's'},
	    {"clients", required_argument, NULL, 'c'}, {"hours", required_argument, NULL, 'H'},
	    {"window", required_argument, NULL, 'w'},  {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};
	struct scenario_config cfg;
	const char *dir = NULL;
	uint64_t v, window = 10;
	int json = 0, c;
	scenario_config_default(&cfg);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			dir = optarg;
			break;
		case 's':
			if (cli_parse_count("--seed", optarg, UINT32_MAX, &v) != 0)
				return CLI_EXIT_USAGE;
			cfg.seed = v;
			break;
		case 'c':
			if (cli_parse_count("--clients", optarg, 1000000, &v) != 0)
				return CLI_EXIT_USAGE;
			cfg.clients = (uint32_t)v;
			break;
		case 'H':
			if (cli_parse_count("--hours", optarg, 48, &v) != 0)
				return CLI_EXIT_USAGE;
			cfg.hours = (double)v;
			break;
		case 'w':
			if (cli_parse_count("--window", optarg, 3600, &window) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return CLI_EXIT_OK;
		default:
			fputs(usage, stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (!dir || optind != argc) {
		fputs(usage, stderr);
		return CLI_EXIT_USAGE;
	}
	char sdir[4200];
	snprintf(sdir, sizeof(sdir), "mkdir -p '%s'", dir);
	if (strchr(dir, '\'') || system(sdir) != 0) {
		cli_err("sim trace: cannot make %s", dir);
		return CLI_EXIT_RUNTIME;
	}
	struct scenario_result *res = NULL;
	struct trace_eval_report rep;
	int e = scenario_run(&cfg, dir, &res);
	if (e == 0)
		e = trace_eval_scenario(dir, res, (uint32_t)window, &rep);
	if (e != 0) {
		cli_err("sim trace: %s", dh_strerror(e));
		scenario_result_free(res);
		return CLI_EXIT_RUNTIME;
	}
	struct store *st = NULL;
	snprintf(sdir, sizeof(sdir), "%s/store-res", dir);
	e = store_open(&st, sdir, STORE_READONLY);
	for (uint32_t k = 0; k < rep.nattacks && k < res->nattacks; k++) {
		const struct trace_eval_attack *a = &rep.attack[k];
		const struct scenario_attack *at = &res->attacks[k];
		struct count cnt = {at->start_ns - (int64_t)a->lookback_s * 1000000000LL,
		                    at->end_ns, 0, 0};
		char qname[80];
		snprintf(qname, sizeof(qname), "%s.", at->victim);
		struct store_query q;
		memset(&q, 0, sizeof(q));
		q.since_ns = cnt.from;
		q.until_ns = cnt.to;
		q.qname = qname;
		if (e == 0)
			(void)store_query_brief(st, &q, count_cb, &cnt);
		double miss = cnt.client ? (double)cnt.upstream / (double)cnt.client : 0;
		if (json)
			printf("{\"seed\":%llu,\"clients\":%u,\"attack\":%u,\"victim\":\"%s\","
			       "\"bots\":%u,\"bots_found\":%u,\"candidates\":%u,\"best_benign\":%u,"
			       "\"bots_above_benign\":%s,\"lookback_s\":%u,\"client_queries\":%llu,"
			       "\"upstream_queries\":%llu,\"miss_ratio\":%.4f,\"cc_rank\":%u}\n",
			       (unsigned long long)cfg.seed, cfg.clients, k + 1, at->victim,
			       a->bots, a->bots_found, a->candidates, a->best_benign,
			       a->bots_above_benign ? "true" : "false", a->lookback_s,
			       (unsigned long long)cnt.client, (unsigned long long)cnt.upstream,
			       miss, a->cc_c2_rank);
		else
			printf("attack %u on %s: %u/%u resolving bots found, %u candidates, best "
			       "benign rank %u, lookback %u s, %llu client queries and %llu "
			       "upstream (miss ratio %.3f), C&C rank %u\n",
			       k + 1, at->victim, a->bots_found, a->bots, a->candidates,
			       a->best_benign, a->lookback_s, (unsigned long long)cnt.client,
			       (unsigned long long)cnt.upstream, miss, a->cc_c2_rank);
	}
	store_close(st);
	scenario_result_free(res);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
}

/* "dnshound sim": the simulators of cmd_sim.c, and trace here (which needs
 * the trace layer; cmd_sim.c builds without it for its own tests). */
int cmd_sim_all(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "trace") == 0)
		return cmd_sim_trace(argc - 1, argv + 1);
	return cmd_sim(argc, argv);
}
