/*
 * cmd_alert.c - "dnshound alert": stored findings through the alert
 * outputs, to send again what a run raised or to try a hook, a mail
 * address or a syslog set-up (doc/alerts.md).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alert/alert.h"
#include "cli/cli.h"
#include "store/finding.h"
#include "util/buf.h"
#include "util/err.h"

static const char usage[] =
    "usage: dnshound alert [options]\n"
    "\n"
    "Passes the stored findings that match through the alert outputs, oldest\n"
    "window first.\n"
    "\n"
    "  --store DIR        store directory (default $DNSHOUND_STORE or ./dnshound.store)\n"
    "  --kind K           findings of this kind only\n"
    "  --since T          findings whose window ends after T\n"
    "  --until T          findings whose window starts before T\n" CLI_ALERT_HELP
    "  -h, --help         this text\n";

struct emit_ctx {
	struct alert *alert;
	struct dh_buf out;
	uint64_t failed;
};

static int emit_one(void *vctx, const struct store_finding *f)
{
	struct emit_ctx *e = vctx;
	int r = alert_emit(e->alert, f, &e->out);

	if (r < 0) {
		char host[DH_ADDR_TEXT_MAX];
		dh_addr_format(&f->host, host, sizeof(host));
		cli_err("alert for %s (%.*s): %s", host, STORE_KIND_MAX, f->kind, dh_strerror(r));
		e->failed++;
	}
	return cli_flush_out(&e->out) != 0;
}

int cmd_alert(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"store", required_argument, NULL, 'S'},
	    {"kind", required_argument, NULL, 'k'},
	    {"since", required_argument, NULL, 's'},
	    {"until", required_argument, NULL, 'u'},
	    {"help", no_argument, NULL, 'h'},
	    CLI_ALERT_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	struct alert_config cfg;
	struct store_findings_filter flt;
	struct store_findings *t = NULL;
	struct emit_ctx e;
	const char *dir = NULL;
	int c, r, rc = CLI_EXIT_OK;

	alert_config_init(&cfg);
	store_findings_filter_init(&flt);
	memset(&e, 0, sizeof(e));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			dir = optarg;
			break;
		case 'k':
			flt.kind = optarg;
			break;
		case 's':
			if (cli_parse_time("--since", optarg, &flt.since_ns) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'u':
			if (cli_parse_time("--until", optarg, &flt.until_ns) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'h':
			fputs(usage, stdout);
			return CLI_EXIT_OK;
		default:
			r = cli_alert_option(c, optarg, &cfg);
			if (r == 1)
				break;
			if (r == 0)
				fputs(usage, stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_err("alert: unexpected argument '%s'", argv[optind]);
		fputs(usage, stderr);
		return CLI_EXIT_USAGE;
	}
	flt.min_level = cfg.min_level;
	r = alert_new(&e.alert, &cfg);
	if (r != 0) {
		cli_err("alert: %s",
		        r == DH_EUSAGE ? "a bad --mail address or nft name" : dh_strerror(r));
		return CLI_EXIT_USAGE;
	}
	dir = cli_store_dir(dir);
	r = store_findings_open(&t, dir, 0);
	if (r != 0) {
		cli_err("%s: cannot open the findings: %s", dir, dh_strerror(r));
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}
	dh_buf_init(&e.out);
	r = store_findings_list(t, &flt, emit_one, &e);
	if (r < 0) {
		cli_err("%s: listing findings failed: %s", dir, dh_strerror(r));
		rc = CLI_EXIT_RUNTIME;
	} else if (r > 0 || e.failed) {
		rc = CLI_EXIT_RUNTIME;
	}
	struct alert_stats st;
	alert_get_stats(e.alert, &st);
	fprintf(stderr,
	        "dnshound: %llu findings alerted, %llu failed (hooks %llu, mails %llu, "
	        "blocks %llu)\n",
	        (unsigned long long)st.findings, (unsigned long long)e.failed,
	        (unsigned long long)st.hooks_run, (unsigned long long)st.mails_sent,
	        (unsigned long long)st.blocked);
	dh_buf_release(&e.out);
out:
	store_findings_close(t);
	alert_free(e.alert);
	return rc;
}
