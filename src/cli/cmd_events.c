/*
 * cmd_events.c - "dnshound events": stored events, filtered.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "event/ev_format.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

static const char usage[] =
    "usage: dnshound events [options]\n"
    "\n"
    "Prints stored events in time order, filtered.\n"
    "\n"
    "  --store DIR        store directory (default $DNSHOUND_STORE or ./dnshound.store)\n"
    "  --client IP        queries from IP and responses to it\n"
    "  --server IP        queries to IP and responses from it\n"
    "  --qname NAME       events for this name (case-insensitive)\n"
    "  --observer NAME    events seen by this observer\n"
    "  --since T          from time T on (2024-05-01T12:00:00Z, a date, or epoch s)\n"
    "  --until T          before time T\n"
    "  --limit N          at most N events\n"
    "  --json             JSON lines (fields: see dnshound(1))\n"
    "  --brief            without ports, ids, records, sizes and EDNS: what traceback\n"
    "                     needs, read from the store\'s client-ordered copy (fast)\n"
    "  -h, --help         this text\n";

struct print_ctx {
	struct ev_formatter fmt;
	struct dh_buf out;
	int json;
	int failed;
};

static int print_event(void *vctx, const struct ev_event *ev)
{
	struct print_ctx *p = vctx;

	if (p->json)
		ev_format_json(&p->fmt, ev, &p->out);
	else
		ev_format_text(&p->fmt, ev, &p->out);
	if (p->out.len >= (1 << 16)) {
		if (fwrite(p->out.data, 1, p->out.len, stdout) != p->out.len) {
			p->failed = 1;
			return 1;
		}
		p->out.len = 0;
	}
	return 0;
}

int cmd_events(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"store", required_argument, NULL, 'S'},    {"client", required_argument, NULL, 'c'},
	    {"server", required_argument, NULL, 'v'},   {"qname", required_argument, NULL, 'n'},
	    {"observer", required_argument, NULL, 'o'}, {"since", required_argument, NULL, 's'},
	    {"until", required_argument, NULL, 'u'},    {"limit", required_argument, NULL, 'l'},
	    {"json", no_argument, NULL, 'j'},           {"brief", no_argument, NULL, 'b'},
	    {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
	};
	struct store_query q;
	struct print_ctx p;
	char qname[DNS_NAME_TEXT_MAX];
	const char *dir = NULL;
	struct store *s = NULL;
	int c, rc = CLI_EXIT_OK, brief = 0;

	memset(&q, 0, sizeof(q));
	q.since_ns = INT64_MIN;
	q.until_ns = INT64_MAX;
	memset(&p, 0, sizeof(p));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			dir = optarg;
			break;
		case 'o':
			q.observer = optarg;
			break;
		case 'l': {
			char *end;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (*end || optarg[0] == '-' || optarg[0] == '\0') {
				cli_err("--limit: '%s' is not a count", optarg);
				return CLI_EXIT_USAGE;
			}
			q.limit = v;
			break;
		}
		case 'j':
			p.json = 1;
			break;
		case 'b':
			brief = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return CLI_EXIT_OK;
		default: {
			int k = cli_query_option(c, optarg, &q, qname);
			if (k == 1)
				break;
			if (k == 0)
				fputs(usage, stderr);
			return CLI_EXIT_USAGE;
		}
		}
	}
	if (optind < argc) {
		cli_err("events: unexpected argument '%s'", argv[optind]);
		fputs(usage, stderr);
		return CLI_EXIT_USAGE;
	}
	dir = cli_store_dir(dir);
	int e = store_open(&s, dir, STORE_READONLY);
	if (e != 0) {
		cli_err("%s: cannot open the store: %s", dir, dh_strerror(e));
		return CLI_EXIT_RUNTIME;
	}
	ev_formatter_init(&p.fmt, EV_FMT_OBSERVER);
	dh_buf_init(&p.out);
	e = brief ? store_query_brief(s, &q, print_event, &p)
	          : store_query_run(s, &q, print_event, &p);
	if (e < 0) {
		cli_err("%s: query failed: %s", dir, dh_strerror(e));
		rc = CLI_EXIT_RUNTIME;
	}
	if (p.out.len && fwrite(p.out.data, 1, p.out.len, stdout) != p.out.len)
		p.failed = 1;
	if (p.failed || fflush(stdout) != 0) {
		cli_err("writing output failed");
		rc = CLI_EXIT_RUNTIME;
	}
	dh_buf_release(&p.out);
	store_close(s);
	return rc;
}
