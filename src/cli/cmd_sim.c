/*
 * cmd_sim.c - "dnshound sim": the traceback simulator of seed 000
 * (Takemori et al. 2009): the closed form of Fig. 13 and a Monte-Carlo
 * simulation with caches, forwarders and benign hosts. The evaluation
 * layer computes; this file parses options and writes text, CSV, SVG and
 * JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "eval/eval_chart.h"
#include "eval/eval_mc.h"
#include "eval/eval_model.h"
#include "eval/eval_table.h"
#include "util/buf.h"
#include "util/err.h"

/* Most values one --sweep may list. */
#define SWEEP_MAX 200

static const char usage_top[] =
    "usage: dnshound sim fig13 [options]\n"
    "       dnshound sim mc [options]\n"
    "       dnshound sim trace --out DIR [options]\n"
    "\n"
    "Traceback simulator (seed 000, Takemori et al. 2009). 'fig13' computes the\n"
    "closed form of the seed's Fig. 13; 'mc' runs a Monte-Carlo simulation that\n"
    "adds caches, forwarders and benign hosts. 'dnshound sim fig13 --help' and\n"
    "'dnshound sim mc --help' list the options; doc/evaluation.md explains them.\n";

static const char usage_fig13[] =
    "usage: dnshound sim fig13 [options]\n"
    "\n"
    "End-to-end success of hop-by-hop traceback (p^h) against DNS-log traceback\n"
    "(q * p^2, q * p on a one-hop path) for h = 1..N hops (seed 000, 5.1).\n"
    "\n"
    "  --p X              probe (log) rate per hop or server (default 0.9)\n"
    "  --q X[,Y...]       shares of bots resolving the victim first\n"
    "                     (default 0.55,1.0; at most 8)\n"
    "  --hops N           longest path (default 30)\n"
    "  --csv FILE         write the table as CSV ('-' for stdout)\n"
    "  --svg FILE         write a line chart as SVG ('-' for stdout)\n"
    "  --json             print JSON instead of the text summary\n"
    "  -h, --help         this text\n";

static const char usage_mc[] =
    "usage: dnshound sim mc [options]\n"
    "\n"
    "Monte-Carlo simulation of DNS-log traceback: success rate, false positives\n"
    "and candidates per traceback with 95% confidence intervals.\n"
    "\n"
    "  --p X              log rate of D and of each resolver (0.9; seed 5.1)\n"
    "  --p-fwd X          log rate of each forwarder (same as --p)\n"
    "  --q X              share of bots resolving the victim first (0.55; Table 1)\n"
    "  --hops N           router hops of the hop-by-hop comparison (15; 5.1)\n"
    "  --ttl S            the victim record's TTL, 0 = no caching (7200; 6.1)\n"
    "  --window S         both search windows (5; 6.1)\n"
    "  --window-dest S    window at D and at forwarders (5)\n"
    "  --window-src S     window at the resolvers (5)\n"
    "  --lead S           the bot resolves up to S before attacking (1; Fig. 8)\n"
    "  --dest-qpd N       other resolvers' queries a day at D (200000; 6.1)\n"
    "  --src-qpd N        benign queries a day at each resolver (1000)\n"
    "  --fwd-qpd N        other clients' queries a day at each forwarder (0)\n"
    "  --clients N        hosts behind each resolver (1000)\n"
    "  --forwarders N     forwarders between resolver and D (0; 4.3)\n"
    "  --resolvers N      resolvers the bot asks (1; 4.4.2)\n"
    "  --victims N        victims one traceback covers (1; 4.4.1)\n"
    "  --min-common N     answers a candidate must appear in (1; 4.4)\n"
    "  --trials N         trials per point (10000)\n"
    "  --seed N           generator seed (1)\n"
    "  --ideal            the seed's assumptions: --ttl 0 --src-qpd 0 --dest-qpd 0\n"
    "                     (applied first, whatever its position)\n"
    "  --sweep NAME=LIST  run once per value; LIST is V1,V2,... or FROM:TO[:STEP];\n"
    "                     NAME is an option above without dashes\n"
    "  --metric M         what --svg draws: success (default), fp, candidates\n"
    "  --logx, --logy     logarithmic chart axes\n"
    "  --title TEXT       chart title\n"
    "  --csv FILE         write one row per point as CSV ('-' for stdout)\n"
    "  --svg FILE         write a chart of the sweep as SVG (needs --sweep)\n"
    "  --json             print JSON instead of the text summary\n"
    "  -h, --help         this text\n";

/* Parses a finite number that fills the whole text. */
static int parse_number(const char *opt, const char *text, double *out)
{
	char *end;
	double v = strtod(text, &end);
	if (text[0] == '\0' || *end != '\0' || !isfinite(v)) {
		cli_err("--%s: '%s' is not a number", opt, text);
		return -1;
	}
	*out = v;
	return 0;
}

/* Writes buf to path, or to stdout for "-". Returns 0 or -1 (message
 * printed). */
static int write_out(const char *path, const struct dh_buf *buf)
{
	FILE *f = stdout;
	int rc = 0;

	if (buf->err != 0) {
		cli_err("%s: %s", path, dh_strerror(buf->err));
		return -1;
	}
	if (strcmp(path, "-") != 0) {
		f = fopen(path, "w");
		if (f == NULL) {
			cli_err("%s: cannot open for writing: %s", path, strerror(errno));
			return -1;
		}
	}
	if (buf->len > 0 && fwrite(buf->data, 1, buf->len, f) != buf->len)
		rc = -1;
	if (f != stdout) {
		if (fclose(f) != 0)
			rc = -1;
	} else if (fflush(f) != 0) {
		rc = -1;
	}
	if (rc != 0)
		cli_err("%s: write failed", path);
	return rc;
}

/* Rounds to three decimals half away from zero on the decimal value, so
 * that 0.4455 (0.55 * 0.81, stored a hair below) prints as 0.446, as the
 * seed rounds it. */
static double round3(double v)
{
	return floor(v * 1000.0 + 0.5 + 1e-9) / 1000.0;
}

static int run_fig13(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"p", required_argument, NULL, 'p'},    {"q", required_argument, NULL, 'q'},
	    {"hops", required_argument, NULL, 'n'}, {"csv", required_argument, NULL, 'c'},
	    {"svg", required_argument, NULL, 's'},  {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
	};
	double p = EVAL_DEFAULT_P;
	double qs[EVAL_MAX_Q] = {EVAL_DEFAULT_Q1, EVAL_DEFAULT_Q2};
	size_t nq = 2;
	double hops_d = EVAL_DEFAULT_HOPS;
	const char *csv = NULL;
	const char *svg = NULL;
	int json = 0;
	struct eval_table t = {0};
	struct dh_buf out;
	int c, rc = CLI_EXIT_OK;

	dh_buf_init(&out);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_number("p", optarg, &p) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'q': {
			char list[256];
			if (strlen(optarg) >= sizeof(list)) {
				cli_err("--q: list too long");
				return CLI_EXIT_USAGE;
			}
			memcpy(list, optarg, strlen(optarg) + 1);
			nq = 0;
			char *save = NULL;
			for (char *tok = strtok_r(list, ",", &save); tok != NULL;
			     tok = strtok_r(NULL, ",", &save)) {
				if (nq == EVAL_MAX_Q) {
					cli_err("--q: at most %d values", EVAL_MAX_Q);
					return CLI_EXIT_USAGE;
				}
				if (parse_number("q", tok, &qs[nq]) != 0)
					return CLI_EXIT_USAGE;
				nq++;
			}
			if (nq == 0) {
				cli_err("--q: no value given");
				return CLI_EXIT_USAGE;
			}
			break;
		}
		case 'n':
			if (parse_number("hops", optarg, &hops_d) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'c':
			csv = optarg;
			break;
		case 's':
			svg = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			fputs(usage_fig13, stdout);
			return CLI_EXIT_OK;
		default:
			fputs(usage_fig13, stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_err("sim fig13: unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	if (!(hops_d >= 1 && hops_d <= EVAL_MAX_HOPS) || hops_d != floor(hops_d)) {
		cli_err("--hops: a whole number from 1 to %d", EVAL_MAX_HOPS);
		return CLI_EXIT_USAGE;
	}
	int e = eval_fig13_table(p, qs, nq, (unsigned)hops_d, &t);
	if (e == DH_EUSAGE) {
		cli_err("sim fig13: --p and --q must lie in [0, 1]");
		return CLI_EXIT_USAGE;
	}
	if (e != 0) {
		cli_err("sim fig13: %s", dh_strerror(e));
		return CLI_EXIT_RUNTIME;
	}

	if (csv != NULL) {
		eval_table_csv(&t, 0, 6, &out);
		if (write_out(csv, &out) != 0)
			rc = CLI_EXIT_RUNTIME;
		out.len = 0;
	}
	if (svg != NULL && rc == CLI_EXIT_OK) {
		struct eval_chart_series series[EVAL_MAX_Q + 1];
		char title[96];
		for (size_t i = 0; i <= nq; i++)
			series[i] = (struct eval_chart_series){i, EVAL_NO_COL, EVAL_NO_COL, 0};
		snprintf(title, sizeof(title), "End-to-end traceback success, p = %.2f", p);
		struct eval_chart ch = {
		    .title = title,
		    .xlabel = "traceback hops h",
		    .ylabel = "end-to-end success rate",
		    .ymin = 0.0,
		    .ymax = 1.0,
		    .series = series,
		    .nseries = nq + 1,
		};
		e = eval_chart_svg(&t, &ch, &out);
		if (e != 0 || write_out(svg, &out) != 0) {
			if (e != 0)
				cli_err("sim fig13: chart: %s", dh_strerror(e));
			rc = CLI_EXIT_RUNTIME;
		}
		out.len = 0;
	}
	if (rc != CLI_EXIT_OK)
		goto out;

	if (json) {
		dh_buf_addf(&out, "{\"model\":\"fig13\",\"p\":%.17g,\"q\":[", p);
		for (size_t i = 0; i < nq; i++)
			dh_buf_addf(&out, "%s%.17g", i ? "," : "", qs[i]);
		dh_buf_addf(&out, "],\"hops\":%u,\"rows\":", (unsigned)hops_d);
		eval_table_json(&t, &out);
		dh_buf_adds(&out, "}\n");
	} else {
		static const unsigned show[] = {1, 5, 10, 15, 20, 30};
		dh_buf_addf(&out,
		            "Fig. 13 (seed 000, 5.1): end-to-end traceback success, p = %.2f\n"
		            "conventional = p^h; dns_qX = q * p^2 (q * p at h = 1)\n\n%5s",
		            p, "hops");
		for (size_t i = 0; i < t.ncols; i++)
			dh_buf_addf(&out, " %13s", t.names[i]);
		dh_buf_addc(&out, '\n');
		for (size_t k = 0; k < sizeof(show) / sizeof(show[0]); k++) {
			if (show[k] > t.nrows)
				continue;
			dh_buf_addf(&out, "%5u", show[k]);
			for (size_t i = 0; i < t.ncols; i++)
				dh_buf_addf(&out, " %13.4f", eval_table_get(&t, show[k] - 1, i));
			dh_buf_addc(&out, '\n');
		}
		unsigned at = t.nrows >= EVAL_SEED_HOPS ? EVAL_SEED_HOPS : (unsigned)t.nrows;
		dh_buf_addf(&out, "\nAt %u hops: hop-by-hop %.3f", at,
		            round3(eval_table_get(&t, at - 1, 0)));
		for (size_t i = 0; i < nq; i++)
			dh_buf_addf(&out, ", DNS logs %.3f (q = %.2f)",
			            round3(eval_table_get(&t, at - 1, i + 1)), qs[i]);
		dh_buf_adds(&out, ".\n");
		for (size_t i = 0; i < nq; i++) {
			unsigned from = 0;
			for (size_t r = 0; r < t.nrows && from == 0; r++)
				if (eval_table_get(&t, r, i + 1) > eval_table_get(&t, r, 0))
					from = (unsigned)r + 1;
			if (from != 0)
				dh_buf_addf(
				    &out, "DNS logs (q = %.2f) beat hop-by-hop from %u hops on.\n",
				    qs[i], from);
			else
				dh_buf_addf(&out,
				            "DNS logs (q = %.2f) never beat hop-by-hop here.\n",
				            qs[i]);
		}
	}
	if (write_out("-", &out) != 0)
		rc = CLI_EXIT_RUNTIME;
out:
	eval_table_release(&t);
	dh_buf_release(&out);
	return rc;
}

/* Parses "V1,V2,..." or "FROM:TO[:STEP]" into vals. Returns the count or
 * -1 (message printed). */
static int parse_list(const char *text, double *vals, size_t max)
{
	char list[1024];
	size_t n = 0;

	if (strlen(text) >= sizeof(list) || text[0] == '\0') {
		cli_err("--sweep: list empty or too long");
		return -1;
	}
	memcpy(list, text, strlen(text) + 1);
	if (strchr(list, ':') != NULL) {
		double r[3] = {0, 0, 1};
		int k = 0;
		char *save = NULL;
		for (char *tok = strtok_r(list, ":", &save); tok != NULL;
		     tok = strtok_r(NULL, ":", &save)) {
			if (k == 3 || parse_number("sweep", tok, &r[k]) != 0) {
				cli_err("--sweep: use FROM:TO[:STEP]");
				return -1;
			}
			k++;
		}
		if (k < 2 || !(r[2] > 0) || r[1] < r[0] || (r[1] - r[0]) / r[2] >= (double)max) {
			cli_err(
			    "--sweep: FROM:TO[:STEP] needs FROM <= TO, STEP > 0 and at most %zu "
			    "values",
			    max);
			return -1;
		}
		/* Each value from FROM, not by adding STEP, so errors do not
		 * accumulate. */
		for (size_t i = 0; r[0] + (double)i * r[2] <= r[1] + r[2] * 1e-9; i++)
			vals[n++] = r[0] + (double)i * r[2];
		return (int)n;
	}
	char *save = NULL;
	for (char *tok = strtok_r(list, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n == max) {
			cli_err("--sweep: at most %zu values", max);
			return -1;
		}
		if (parse_number("sweep", tok, &vals[n]) != 0)
			return -1;
		n++;
	}
	return (int)n;
}

/* Long options of sim mc: the model's parameters come first, in the order
 * of this table, and are set through eval_mc_set() by name. */
static const char *const mc_params[] = {
    "p",           "p-fwd",      "q",         "hops",     "ttl",        "window",
    "window-dest", "window-src", "lead",      "dest-qpd", "src-qpd",    "fwd-qpd",
    "clients",     "forwarders", "resolvers", "victims",  "min-common", "trials",
};
#define MC_NPARAMS (sizeof(mc_params) / sizeof(mc_params[0]))

enum {
	OPT_PARAM = 1000, /* OPT_PARAM + index into mc_params */
	OPT_SEED = 2000,
	OPT_IDEAL,
	OPT_SWEEP,
	OPT_METRIC,
	OPT_LOGX,
	OPT_LOGY,
	OPT_TITLE,
	OPT_CSV,
	OPT_SVG,
	OPT_JSON,
};

static void add_interval(struct dh_buf *out, double v, double lo, double hi, int decimals)
{
	dh_buf_addf(out, "%.*f [%.*f, %.*f]", decimals, v, decimals, lo, decimals, hi);
}

static void mc_text(const struct eval_mc_params *par, const char *sweep, const double *vals,
                    const struct eval_mc_result *res, size_t n, struct dh_buf *out)
{
	double pf = par->p_fwd < 0 ? par->p : par->p_fwd;

	dh_buf_addf(out,
	            "Monte-Carlo DNS-log traceback (seed 000), %llu trials per point, seed %llu\n"
	            "  p %.2f (forwarders %.2f), q %.2f, ttl %g s, window %g s at D and "
	            "forwarders, %g s at resolvers, lead %g s\n"
	            "  benign: %g queries/day at D, %g/day at each resolver (%u clients), "
	            "%g/day at each forwarder\n"
	            "  forwarders %u, resolvers %u, victims %u, min-common %u, hop-by-hop over %u "
	            "hops\n",
	            (unsigned long long)par->trials, (unsigned long long)par->seed, par->p, pf,
	            par->q, par->ttl, par->window_dest, par->window_src, par->lead, par->dest_qpd,
	            par->src_qpd, par->clients, par->fwd_qpd, par->forwarders, par->resolvers,
	            par->victims, par->min_common, par->hops);
	if (sweep != NULL)
		dh_buf_addf(out, "  sweep over %s (other parameters as above)\n", sweep);
	dh_buf_addc(out, '\n');
	for (size_t i = 0; i < n; i++) {
		const struct eval_mc_result *r = &res[i];
		if (sweep != NULL)
			dh_buf_addf(out, "%s = %g\n", sweep, vals[i]);
		dh_buf_adds(out, "  success        ");
		add_interval(out, r->success.value, r->success.lo, r->success.hi, 4);
		if (isfinite(r->closed_form))
			dh_buf_addf(out, "   closed form q*p^2*p_fwd^f = %.4f", r->closed_form);
		dh_buf_adds(out, "\n  hop-by-hop     ");
		add_interval(out, r->conventional.value, r->conventional.lo, r->conventional.hi, 4);
		dh_buf_adds(out, "\n  false pos.     ");
		add_interval(out, r->fp.mean, r->fp.lo, r->fp.hi, 3);
		dh_buf_adds(out, " per traceback\n  candidates     ");
		add_interval(out, r->candidates.mean, r->candidates.lo, r->candidates.hi, 3);
		dh_buf_adds(out, " per traceback\n");
	}
	dh_buf_adds(out, "(95% intervals: Wilson for rates, normal approximation for means)\n");
}

static int mc_chart(const struct eval_table *t, const char *sweep, const char *metric, int logx,
                    int logy, const char *title, struct dh_buf *out)
{
	struct eval_chart_series s[3];
	size_t ns = 0;
	struct eval_chart ch = {
	    .title = title,
	    .xlabel = sweep,
	    .logx = logx,
	    .logy = logy,
	    .ymin = NAN,
	    .ymax = NAN,
	    .series = s,
	};

	if (strcmp(metric, "success") == 0) {
		s[ns++] = (struct eval_chart_series){EVAL_MC_COL_SUCCESS, EVAL_MC_COL_SUCCESS_LO,
		                                     EVAL_MC_COL_SUCCESS_HI, 0};
		if (isfinite(eval_table_get(t, 0, EVAL_MC_COL_CLOSED_FORM)))
			s[ns++] = (struct eval_chart_series){EVAL_MC_COL_CLOSED_FORM, EVAL_NO_COL,
			                                     EVAL_NO_COL, 1};
		if (strcmp(sweep, "hops") == 0 || strcmp(sweep, "p") == 0)
			s[ns++] = (struct eval_chart_series){EVAL_MC_COL_CONV, EVAL_MC_COL_CONV_LO,
			                                     EVAL_MC_COL_CONV_HI, 0};
		ch.ylabel = "traceback success rate";
		if (!logy) {
			ch.ymin = 0.0;
			ch.ymax = 1.0;
		}
	} else if (strcmp(metric, "fp") == 0) {
		s[ns++] = (struct eval_chart_series){EVAL_MC_COL_FP, EVAL_MC_COL_FP_LO,
		                                     EVAL_MC_COL_FP_HI, 0};
		ch.ylabel = "false positives per traceback";
	} else {
		s[ns++] = (struct eval_chart_series){EVAL_MC_COL_CAND, EVAL_MC_COL_CAND_LO,
		                                     EVAL_MC_COL_CAND_HI, 0};
		ch.ylabel = "candidates per traceback";
	}
	ch.nseries = ns;
	return eval_chart_svg(t, &ch, out);
}

static int run_mc(int argc, char **argv)
{
	struct option opts[MC_NPARAMS + 12];
	struct eval_mc_params par;
	const char *sweep = NULL;
	const char *metric = "success";
	const char *title = NULL;
	const char *csv = NULL;
	const char *svg = NULL;
	int json = 0, logx = 0, logy = 0;
	double vals[SWEEP_MAX];
	size_t nvals = 1;
	struct eval_mc_result *res = NULL;
	struct eval_mc *mc = NULL;
	struct eval_table t = {0};
	struct dh_buf out;
	int c, e, rc = CLI_EXIT_OK;

	dh_buf_init(&out);
	for (size_t i = 0; i < MC_NPARAMS; i++)
		opts[i] =
		    (struct option){mc_params[i], required_argument, NULL, OPT_PARAM + (int)i};
	size_t k = MC_NPARAMS;
	opts[k++] = (struct option){"seed", required_argument, NULL, OPT_SEED};
	opts[k++] = (struct option){"ideal", no_argument, NULL, OPT_IDEAL};
	opts[k++] = (struct option){"sweep", required_argument, NULL, OPT_SWEEP};
	opts[k++] = (struct option){"metric", required_argument, NULL, OPT_METRIC};
	opts[k++] = (struct option){"logx", no_argument, NULL, OPT_LOGX};
	opts[k++] = (struct option){"logy", no_argument, NULL, OPT_LOGY};
	opts[k++] = (struct option){"title", required_argument, NULL, OPT_TITLE};
	opts[k++] = (struct option){"csv", required_argument, NULL, OPT_CSV};
	opts[k++] = (struct option){"svg", required_argument, NULL, OPT_SVG};
	opts[k++] = (struct option){"json", no_argument, NULL, OPT_JSON};
	opts[k++] = (struct option){"help", no_argument, NULL, 'h'};
	opts[k] = (struct option){NULL, 0, NULL, 0};

	/* --ideal replaces the defaults, so it must act before the options
	 * that refine it, wherever it stands. */
	eval_mc_defaults(&par);
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--ideal") == 0)
			eval_mc_ideal(&par);

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c >= OPT_PARAM && c < OPT_PARAM + (int)MC_NPARAMS) {
			const char *name = mc_params[c - OPT_PARAM];
			double v;
			if (parse_number(name, optarg, &v) != 0)
				return CLI_EXIT_USAGE;
			if (eval_mc_set(&par, name, v) != 0) {
				cli_err("--%s: %s is out of range (see dnshound sim mc --help)",
				        name, optarg);
				return CLI_EXIT_USAGE;
			}
			continue;
		}
		switch (c) {
		case OPT_SEED: {
			char *end;
			par.seed = strtoull(optarg, &end, 0);
			if (optarg[0] == '\0' || optarg[0] == '-' || *end != '\0') {
				cli_err("--seed: '%s' is not a whole number", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		}
		case OPT_IDEAL:
			break;
		case OPT_SWEEP:
			sweep = optarg;
			break;
		case OPT_METRIC:
			metric = optarg;
			if (strcmp(metric, "success") != 0 && strcmp(metric, "fp") != 0 &&
			    strcmp(metric, "candidates") != 0) {
				cli_err("--metric: use success, fp or candidates");
				return CLI_EXIT_USAGE;
			}
			break;
		case OPT_LOGX:
			logx = 1;
			break;
		case OPT_LOGY:
			logy = 1;
			break;
		case OPT_TITLE:
			title = optarg;
			break;
		case OPT_CSV:
			csv = optarg;
			break;
		case OPT_SVG:
			svg = optarg;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case 'h':
			fputs(usage_mc, stdout);
			return CLI_EXIT_OK;
		default:
			fputs(usage_mc, stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_err("sim mc: unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_USAGE;
	}

	char sweep_name[EVAL_NAME_MAX] = "";
	if (sweep != NULL) {
		const char *eq = strchr(sweep, '=');
		size_t len = eq != NULL ? (size_t)(eq - sweep) : 0;
		if (eq == NULL || len == 0 || len >= sizeof(sweep_name)) {
			cli_err("--sweep: use NAME=V1,V2,... or NAME=FROM:TO[:STEP]");
			return CLI_EXIT_USAGE;
		}
		memcpy(sweep_name, sweep, len);
		sweep_name[len] = '\0';
		int n = parse_list(eq + 1, vals, SWEEP_MAX);
		if (n <= 0)
			return CLI_EXIT_USAGE;
		nvals = (size_t)n;
		for (size_t i = 0; i < nvals; i++) {
			struct eval_mc_params tmp = par;
			e = eval_mc_set(&tmp, sweep_name, vals[i]);
			if (e == 0)
				e = eval_mc_check(&tmp);
			if (e == DH_ENOTFOUND) {
				cli_err("--sweep: no parameter '%s' (see dnshound sim mc --help)",
				        sweep_name);
				return CLI_EXIT_USAGE;
			}
			if (e != 0) {
				cli_err(
				    "--sweep: %s = %g is out of range or too much work per trial",
				    sweep_name, vals[i]);
				return CLI_EXIT_USAGE;
			}
		}
	} else if (svg != NULL) {
		cli_err("--svg draws a sweep: add --sweep NAME=LIST (e.g. --sweep window-dest=5,60,"
		        "600,7200)");
		return CLI_EXIT_USAGE;
	}
	if (eval_mc_check(&par) != 0) {
		cli_err("sim mc: the parameters are out of range or need too much work per trial "
		        "(over %.0f simulated queries)",
		        EVAL_MC_MAX_EVENTS);
		return CLI_EXIT_USAGE;
	}

	res = calloc(nvals, sizeof(*res));
	e = res == NULL ? DH_EUSAGE : eval_mc_new(&mc);
	if (res == NULL || e != 0) {
		cli_err("sim mc: out of memory");
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}
	if (sweep != NULL) {
		e = eval_mc_sweep(mc, &par, sweep_name, vals, nvals, res);
	} else {
		vals[0] = 0.0;
		e = eval_mc_run(mc, &par, &res[0]);
	}
	if (e == 0)
		e = eval_mc_table(sweep != NULL ? sweep_name : "run", vals, res, nvals, &t);
	if (e != 0) {
		cli_err("sim mc: %s", dh_strerror(e));
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}

	if (csv != NULL) {
		eval_table_csv(&t, -1, 6, &out);
		if (write_out(csv, &out) != 0)
			rc = CLI_EXIT_RUNTIME;
		out.len = 0;
	}
	if (svg != NULL && rc == CLI_EXIT_OK) {
		e = mc_chart(&t, sweep_name, metric, logx, logy, title, &out);
		if (e != 0 || write_out(svg, &out) != 0) {
			if (e != 0)
				cli_err("sim mc: chart: %s", dh_strerror(e));
			rc = CLI_EXIT_RUNTIME;
		}
		out.len = 0;
	}
	if (rc != CLI_EXIT_OK)
		goto out;
	if (json) {
		dh_buf_adds(&out, "{\"model\":\"mc\",\"params\":");
		eval_mc_params_json(&par, &out);
		dh_buf_adds(&out, ",\"sweep\":");
		if (sweep != NULL)
			dh_buf_add_json_str(&out, sweep_name, strlen(sweep_name));
		else
			dh_buf_adds(&out, "null");
		dh_buf_adds(&out, ",\"rows\":");
		eval_table_json(&t, &out);
		dh_buf_adds(&out, "}\n");
	} else {
		mc_text(&par, sweep != NULL ? sweep_name : NULL, vals, res, nvals, &out);
	}
	if (write_out("-", &out) != 0)
		rc = CLI_EXIT_RUNTIME;
out:
	eval_table_release(&t);
	eval_mc_free(mc);
	free(res);
	dh_buf_release(&out);
	return rc;
}

int cmd_sim(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_top, stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage_top, stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "fig13") == 0)
		return run_fig13(argc - 1, argv + 1);
	if (strcmp(argv[1], "mc") == 0)
		return run_mc(argc - 1, argv + 1);

	cli_err("sim: unknown model '%s' (use fig13 or mc)", argv[1]);
	fputs(usage_top, stderr);
	return CLI_EXIT_USAGE;
}
