/*
 * cmd_block.c - "dnshound block": a block list from the stored findings,
 * printed for review or applied (doc/alerts.md).
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert.h"
#include "cli/cli.h"
#include "store/finding.h"
#include "util/buf.h"
#include "util/err.h"

static const char usage[] =
    "usage: dnshound block [options]\n"
    "\n"
    "Turns the stored findings into a block list: an nft script (default) or\n"
    "iptables commands, one entry per host, printed unless --apply is given.\n"
    "\n"
    "  --store DIR        store directory (default $DNSHOUND_STORE or ./dnshound.store)\n"
    "  --nft              an nftables script with timed set elements (default)\n"
    "  --iptables         iptables and ip6tables commands, each with its undo line\n"
    "  --level L          hosts with a finding at level L or above (candidate,\n"
    "                     warning, emergency; default emergency)\n"
    "  --kind K           findings of this kind only\n"
    "  --since T          findings whose window ends after T\n"
    "  --until T          findings whose window starts before T\n"
    "  --timeout S        seconds an nft element lasts (default 3600)\n"
    "  --apply            run the commands (nft -f, iptables) instead of printing\n"
    "  -h, --help         this text\n";

struct block_ctx {
	struct dh_addr *hosts; /* owned; from malloc() */
	size_t n, cap;
	int err;
};

/* Each host once, however many findings name it. The list is small (the
 * hosts worth blocking), so a linear scan is enough. */
static int add_host(void *vctx, const struct store_finding *f)
{
	struct block_ctx *b = vctx;

	if (f->host.family == DH_AF_NONE)
		return 0;
	for (size_t i = 0; i < b->n; i++)
		if (dh_addr_equal(&b->hosts[i], &f->host))
			return 0;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct dh_addr *h = realloc(b->hosts, cap * sizeof(*h));
		if (!h) {
			b->err = -ENOMEM;
			return 1;
		}
		b->hosts = h;
		b->cap = cap;
	}
	b->hosts[b->n++] = f->host;
	return 0;
}

int cmd_block(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"store", required_argument, NULL, 'S'},
	    {"nft", no_argument, NULL, 'N'},
	    {"iptables", no_argument, NULL, 'I'},
	    {"level", required_argument, NULL, 'L'},
	    {"kind", required_argument, NULL, 'k'},
	    {"since", required_argument, NULL, 's'},
	    {"until", required_argument, NULL, 'u'},
	    {"timeout", required_argument, NULL, 't'},
	    {"apply", no_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct alert_config cfg;
	struct store_findings_filter flt;
	struct store_findings *t = NULL;
	struct block_ctx b = {0};
	struct dh_buf out;
	const char *dir = NULL;
	int c, e, rc = CLI_EXIT_OK;

	alert_config_init(&cfg);
	cfg.block = ALERT_BLOCK_NFT;
	store_findings_filter_init(&flt);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			dir = optarg;
			break;
		case 'N':
			cfg.block = ALERT_BLOCK_NFT;
			break;
		case 'I':
			cfg.block = ALERT_BLOCK_IPTABLES;
			break;
		case 'L':
			if (cli_alert_option(CLI_OPT_BLOCK_LEVEL, optarg, &cfg) != 1)
				return CLI_EXIT_USAGE;
			break;
		case 't':
			if (cli_alert_option(CLI_OPT_BLOCK_TIMEOUT, optarg, &cfg) != 1)
				return CLI_EXIT_USAGE;
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
		case 'a':
			cfg.apply = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return CLI_EXIT_OK;
		default:
			fputs(usage, stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_err("block: unexpected argument '%s'", argv[optind]);
		fputs(usage, stderr);
		return CLI_EXIT_USAGE;
	}
	flt.min_level = cfg.block_level;
	dir = cli_store_dir(dir);
	e = store_findings_open(&t, dir, 0);
	if (e != 0) {
		cli_err("%s: cannot open the findings: %s", dir, dh_strerror(e));
		return CLI_EXIT_RUNTIME;
	}
	e = store_findings_list(t, &flt, add_host, &b);
	if (e == 0 && b.err)
		e = b.err;
	if (e < 0) {
		cli_err("%s: listing findings failed: %s", dir, dh_strerror(e));
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}
	dh_buf_init(&out);
	alert_block_setup(&cfg, &out);
	for (size_t i = 0; i < b.n; i++)
		alert_block_host(&cfg, &b.hosts[i], &out);
	if (out.err) {
		cli_err("block: %s", dh_strerror(out.err));
		rc = CLI_EXIT_RUNTIME;
	} else if (cfg.apply) {
		e = alert_block_apply(&cfg, out.data, out.len);
		if (e < 0) {
			cli_err("block: applying the %s list failed: %s",
			        cfg.block == ALERT_BLOCK_NFT ? "nft" : "iptables", dh_strerror(e));
			rc = CLI_EXIT_RUNTIME;
		} else {
			fprintf(stderr, "dnshound: blocked %zu host%s\n", b.n, b.n == 1 ? "" : "s");
		}
	} else if (cli_flush_out(&out) != 0) {
		rc = CLI_EXIT_RUNTIME;
	}
	dh_buf_release(&out);
out:
	free(b.hosts);
	store_findings_close(t);
	return rc;
}
