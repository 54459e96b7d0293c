/*
 * cli_detect.c - alerts for detect's findings, and detect and top on a
 * live source: the engine hooked into the loops of listen (dnstap
 * socket), capture (interface) and follow mode (a growing log or dnstap
 * file), so there is one loop per source, not one per command.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_detect.h"
#include "util/err.h"

int cli_detector_alert_init(struct cli_detector *cd)
{
	alert_config_init(&cd->alert_cfg);
	dh_buf_init(&cd->alert_out);
	return 0;
}

int cli_detector_alert_option(struct cli_detector *cd, int c, const char *arg)
{
	int k = cli_alert_option(c, arg, &cd->alert_cfg);

	if (k == 1 && c != CLI_OPT_ALERT_LEVEL && c != CLI_OPT_BLOCK_LEVEL &&
	    c != CLI_OPT_SENDMAIL && c != CLI_OPT_BLOCK_TIMEOUT && c != CLI_OPT_APPLY)
		cd->alerting = 1;
	return k;
}

int cli_detector_alert_start(struct cli_detector *cd)
{
	int e;

	if (!cd->alerting)
		return 0;
	e = alert_new(&cd->alert, &cd->alert_cfg);
	if (e != 0) {
		cli_err("alert: %s",
		        e == DH_EUSAGE ? "a bad --mail address or nft name" : dh_strerror(e));
		return -1;
	}
	return 0;
}

void cli_detector_alert(struct cli_detector *cd, const struct store_finding *f)
{
	int e;

	if (!cd->alert)
		return;
	cd->alert_out.len = 0;
	e = alert_emit(cd->alert, f, &cd->alert_out);
	if (e < 0) {
		char host[DH_ADDR_TEXT_MAX];
		dh_addr_format(&f->host, host, sizeof(host));
		cli_err("alert for %s (%s): %s", host, f->kind, dh_strerror(e));
		cd->alert_failed++;
	}
	/* Block commands that were not applied go to stdout beside the
	 * finding, for review. */
	if (cd->alert_out.len)
		dh_buf_add(&cd->out, cd->alert_out.data, cd->alert_out.len);
}

void cli_detector_alert_release(struct cli_detector *cd)
{
	alert_free(cd->alert);
	cd->alert = NULL;
	dh_buf_release(&cd->alert_out);
}

/* ---- Live ---- */

static const char follow_usage[] =
    "usage: dnshound detect --follow [options] -- SOURCE-COMMAND [its options]\n"
    "       dnshound top --follow [options] -- SOURCE-COMMAND [its options]\n"
    "\n"
    "Runs the detectors on a live source as it delivers events. The source is\n"
    "one of the live commands with its own options:\n"
    "  listen --socket PATH [--store DIR]     dnstap from DNS servers\n"
    "  capture --interface IF [--store DIR]   live capture\n"
    "  decode --follow FILE                   a growing query log or dnstap file\n"
    "  ingest --follow FILE --store DIR       the same, stored as well\n"
    "With the source's --store the events are stored as well as detected.\n"
    "A finding is printed when a host crosses a level (within one event of\n"
    "the crossing). Findings are kept in the store's findings table (--store,\n"
    "default $DNSHOUND_STORE or ./dnshound.store), so a restarted follower\n"
    "raises none twice. Memory is bounded by the configuration (doc/detect.md).\n"
    "\n"
    "detect options: --store DIR, --config FILE, --json, --min-level L, and the\n"
    "alert options of 'dnshound detect --help'.\n"
    "top options: --config FILE, -n N, --tables, --json, --interval S (default 5).\n";

static int run_source(int argc, char **argv, const struct cli_event_hook *hook)
{
	if (argc < 1) {
		cli_err("--follow: no source command after '--'");
		fputs(follow_usage, stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[0], "listen") == 0)
		return cli_listen_run(argc, argv, hook);
	if (strcmp(argv[0], "capture") == 0)
		return cli_capture_run(argc, argv, hook);
	if (strcmp(argv[0], "decode") == 0 || strcmp(argv[0], "ingest") == 0) {
		if (!cli_has_follow(argc, argv)) {
			cli_err("--follow: '%s' needs --follow FILE here", argv[0]);
			return CLI_EXIT_USAGE;
		}
		return cli_follow_run(argc, argv, strcmp(argv[0], "ingest") == 0, hook);
	}
	cli_err("--follow: '%s' is not listen, capture, decode or ingest", argv[0]);
	return CLI_EXIT_USAGE;
}

static int detect_event(void *ctx, const struct ev_event *ev)
{
	int e = cli_detector_event(ctx, ev);

	if (e != 0)
		cli_err("detect: %s", dh_strerror(e));
	return e;
}

/* The input is idle: what was raised is already out; flush the rest. */
static int detect_idle(void *ctx)
{
	struct cli_detector *cd = ctx;

	return cli_flush_out(&cd->out);
}

int cmd_detect_follow(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"follow", no_argument, NULL, 'W'},
	    {"store", required_argument, NULL, 'S'},
	    {"config", required_argument, NULL, 'C'},
	    {"json", no_argument, NULL, 'j'},
	    {"min-level", required_argument, NULL, 'L'},
	    {"help", no_argument, NULL, 'h'},
	    CLI_DETECT_ALERT_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	struct cli_detector cd;
	struct cli_event_hook hook = {0};
	const char *dir = NULL, *config = NULL;
	int c, rc;

	memset(&cd, 0, sizeof(cd));
	cli_detector_alert_init(&cd);
	cd.live = 1;
	cd.no_top = 1;
	optind = 1;
	/* '+': stop at the first non-option, the source command. */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'W':
			break;
		case 'S':
			dir = optarg;
			break;
		case 'C':
			config = optarg;
			break;
		case 'j':
			cd.json = 1;
			break;
		case 'L':
			if (store_level_parse(optarg, &cd.min_level) != 0) {
				cli_err("--min-level: '%s' is not a level", optarg);
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			break;
		case 'h':
			fputs(follow_usage, stdout);
			rc = CLI_EXIT_OK;
			goto out;
		default: {
			int k = cli_detector_alert_option(&cd, c, optarg);
			if (k == 0)
				fputs(follow_usage, stderr);
			if (k != 1) {
				rc = CLI_EXIT_USAGE;
				goto out;
			}
		}
		}
	}
	if (cli_detector_init(&cd, config) != 0) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (cli_detector_alert_start(&cd) != 0 ||
	    cli_detector_open_table(&cd, cli_store_dir(dir)) != 0) {
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}
	hook.fn = detect_event;
	hook.idle = detect_idle;
	hook.ctx = &cd;
	hook.idle = NULL; /* the struct is on the stack: no idle callback here */
	rc = run_source(argc - optind, argv + optind, &hook);
	if (detect_finish(cd.det) != 0)
		rc = CLI_EXIT_RUNTIME;
	if (cli_flush_out(&cd.out) != 0)
		rc = CLI_EXIT_RUNTIME;
	cli_detector_summary(&cd, "detect");
out:
	cli_detector_release(&cd);
	return rc;
}

struct top_live {
	struct cli_detector cd;
	unsigned n;
	int tables, json, tty;
	double interval, last;
};

static int top_show(struct top_live *t)
{
	double now = cli_now();

	if (now - t->last < t->interval)
		return 0;
	t->last = now;
	t->cd.out.len = 0;
	if (t->tty)
		dh_buf_adds(&t->cd.out, "\033[H\033[2J");
	cli_top_print(t->cd.det, t->n, t->tables, t->json, &t->cd.out);
	return cli_flush_out(&t->cd.out);
}

static int top_event(void *ctx, const struct ev_event *ev)
{
	struct top_live *t = ctx;
	int e = cli_detector_event(&t->cd, ev);

	if (e != 0)
		return e;
	return ++t->cd.since_tick % 1024 == 0 ? top_show(t) : 0;
}

static int top_idle(void *ctx)
{
	return top_show(ctx);
}

int cmd_top_follow(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"follow", no_argument, NULL, 'W'},      {"config", required_argument, NULL, 'C'},
	    {"count", required_argument, NULL, 'n'}, {"tables", no_argument, NULL, 'T'},
	    {"json", no_argument, NULL, 'j'},        {"interval", required_argument, NULL, 'I'},
	    {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
	};
	struct top_live *t = calloc(1, sizeof(*t));
	struct cli_event_hook hook = {0};
	const char *config = NULL;
	uint64_t v;
	int c, rc;

	if (!t) {
		cli_err("out of memory");
		return CLI_EXIT_RUNTIME;
	}
	t->n = 20;
	t->interval = 5;
	cli_detector_alert_init(&t->cd);
	optind = 1;
	while ((c = getopt_long(argc, argv, "+hn:", opts, NULL)) != -1) {
		switch (c) {
		case 'W':
			break;
		case 'C':
			config = optarg;
			break;
		case 'n':
			if (cli_parse_count("--count", optarg, 256, &v) != 0) {
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			t->n = (unsigned)v;
			break;
		case 'T':
			t->tables = 1;
			break;
		case 'j':
			t->json = 1;
			break;
		case 'I':
			if (cli_parse_count("--interval", optarg, 86400, &v) != 0) {
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			t->interval = (double)v;
			break;
		case 'h':
			fputs(follow_usage, stdout);
			rc = CLI_EXIT_OK;
			goto out;
		default:
			fputs(follow_usage, stderr);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
	}
	t->cd.min_level = STORE_LEVEL_EMERGENCY + 1; /* no findings printed */
	t->cd.live = 1;
	t->tty = !t->json && isatty(STDOUT_FILENO);
	t->last = cli_now();
	if (cli_detector_init(&t->cd, config) != 0) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	hook.fn = top_event;
	hook.idle = top_idle;
	hook.ctx = t;
	hook.idle = NULL; /* the struct is on the stack: no idle callback here */
	rc = run_source(argc - optind, argv + optind, &hook);
	t->cd.out.len = 0;
	cli_top_print(t->cd.det, t->n, t->tables, t->json, &t->cd.out);
	if (cli_flush_out(&t->cd.out) != 0)
		rc = CLI_EXIT_RUNTIME;
out:
	cli_detector_release(&t->cd);
	free(t);
	return rc;
}
