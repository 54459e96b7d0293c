/*
 * cmd_scenario.c - "dnshound scenario": labelled DNS traffic of a network
 * (pcap, BIND query log, dnstap) with its ground truth. The evaluation
 * layer generates (src/eval/scenario.h); this file parses options and
 * reports.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "eval/scenario.h"
#include "util/err.h"

static const char usage[] =
    "usage: dnshound scenario --out DIR [options]\n"
    "\n"
    "Generates, deterministically from a seed, the DNS traffic of a network\n"
    "seen at its resolver: DIR/traffic.pcap (client and upstream sides),\n"
    "DIR/resolver-query.log (BIND 9.18 query log), DIR/resolver.dnstap and\n"
    "DIR/truth.json (the infected hosts, their behaviours and active times).\n"
    "\n"
    "  --out DIR          output directory (created if missing)\n"
    "  --seed N           random seed (default 1)\n"
    "  --clients N        benign clients, infected ones among them (default 2000)\n"
    "  --hours H          length (default 1)\n"
    "  --start T          first instant (default 2026-03-02T00:00:00Z)\n"
    "  --rate R           a client's mean lookups per second (default 0.02)\n"
    "  --bots SPEC        infected hosts, NAME=N,...; 'none' for none. Names:\n"
    "                     spam-mx mass-mailer worm-ip-literal ddos-resolve\n"
    "                     ddos-noresolve feederbot morto dga tunnel beacon\n"
    "                     (default: one of each, 3 ddos-resolve, 2 ddos-noresolve)\n"
    "  --quiet            no summary on stderr\n"
    "  -h, --help         this text\n"
    "\n"
    "doc/evaluation.md, section 2, describes each behaviour and its sources.\n";

static int parse_u32(const char *opt, const char *text, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || v > max) {
		cli_err("%s: '%s' is not a number from 0 to %u", opt, text, max);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static int parse_double(const char *opt, const char *text, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || *end || !(v > lo) || v > hi) {
		cli_err("%s: '%s' is not a number above %g and at most %g", opt, text, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

int cmd_scenario(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"out", required_argument, NULL, 'O'},     {"seed", required_argument, NULL, 'S'},
	    {"clients", required_argument, NULL, 'C'}, {"hours", required_argument, NULL, 'H'},
	    {"start", required_argument, NULL, 'T'},   {"rate", required_argument, NULL, 'r'},
	    {"bots", required_argument, NULL, 'B'},    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
	};
	struct scenario_config cfg;
	struct scenario_result *res = NULL;
	const char *dir = NULL;
	int c, quiet = 0, rc;
	double t0, secs;
	char *end;

	scenario_config_default(&cfg);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'O':
			dir = optarg;
			break;
		case 'S':
			errno = 0;
			cfg.seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end || optarg[0] == '-') {
				cli_err("--seed: '%s' is not an unsigned number", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'C':
			if (parse_u32("--clients", optarg, 10000000, &cfg.clients) < 0)
				return CLI_EXIT_USAGE;
			break;
		case 'H':
			if (parse_double("--hours", optarg, 0, 24 * 366, &cfg.hours) < 0)
				return CLI_EXIT_USAGE;
			break;
		case 'T':
			if (cli_parse_time("--start", optarg, &cfg.start_ns) < 0)
				return CLI_EXIT_USAGE;
			break;
		case 'r':
			if (parse_double("--rate", optarg, 0, 1000, &cfg.client_rate) < 0)
				return CLI_EXIT_USAGE;
			break;
		case 'B':
			if (scenario_config_bots(&cfg, optarg) < 0) {
				cli_err("--bots: '%s' is not NAME=N,... (see --help for the names)",
				        optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'q':
			quiet = 1;
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
		cli_err("scenario: --out DIR is required and no other arguments are taken");
		fputs(usage, stderr);
		return CLI_EXIT_USAGE;
	}
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		cli_err("%s: %s", dir, strerror(errno));
		return CLI_EXIT_RUNTIME;
	}
	t0 = cli_now();
	rc = scenario_run(&cfg, dir, &res);
	secs = cli_now() - t0;
	if (rc == DH_EUSAGE) {
		cli_err("scenario: more infected hosts than IPv4 clients, or a bad value");
		return CLI_EXIT_USAGE;
	}
	if (rc < 0) {
		cli_err("scenario: writing %s: %s", dir, dh_strerror(rc));
		return CLI_EXIT_RUNTIME;
	}
	if (!quiet) {
		const struct scenario_stats *s = &res->stats;
		fprintf(
		    stderr,
		    "dnshound: scenario: %llu DNS messages (%llu client queries, %llu cache hits, "
		    "%llu upstream, %llu direct), %llu flood packets, %u infected hosts, in "
		    "%.2f s: %.0f messages/s\n",
		    (unsigned long long)s->messages, (unsigned long long)s->client_queries,
		    (unsigned long long)s->cache_hits, (unsigned long long)s->upstream_queries,
		    (unsigned long long)s->direct_queries, (unsigned long long)s->flood_packets,
		    res->nbots, secs, secs > 0 ? (double)s->messages / secs : 0.0);
	}
	scenario_result_free(res);
	return CLI_EXIT_OK;
}
