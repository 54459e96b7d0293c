/*
 * cmd_decode.c - "dnshound decode": DNS messages of files as lines, no store.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "event/ev_format.h"
#include "event/ev_match.h"
#include "util/buf.h"
#include "util/err.h"

/* Output is written in blocks of this size: one write per block, not
 * per line. */
#define OUT_FLUSH (1 << 20)

static const char usage[] =
    "usage: dnshound decode [options] FILE...\n"
    "\n"
    "Decodes every DNS message in the files and prints one line per message.\n"
    "\n"
    "  --json             JSON lines (fields: see dnshound(1))\n" CLI_SOURCE_HELP
    "  --no-match         do not pair queries with responses (no rtt_ns)\n"
    "  --count            print no messages, only the totals (decoding speed)\n"
    "  --stats            print a summary to stderr at the end\n"
    "  --follow           follow one growing log (see 'decode --follow --help')\n"
    "  -h, --help         this text\n";

int cmd_decode(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"format", required_argument, NULL, 'f'},
	    {"no-match", no_argument, NULL, 'n'},
	    {"stats", no_argument, NULL, 's'},
	    {"count", no_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    CLI_SOURCE_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	struct src_options sopt;
	struct cli_bad bad = {0};
	const char *format = "auto";
	int json = 0, match = 1, stats = 0, count = 0, c, rc = CLI_EXIT_OK;
	struct ev_match *matcher = NULL;
	struct ev_event *ev = NULL;
	struct dh_buf out;
	struct ev_formatter fmt;
	uint64_t total_events = 0, total_malformed = 0, total_records = 0;
	double t0 = cli_now();

	if (cli_has_follow(argc, argv))
		return cmd_follow(argc, argv, 0);
	memset(&sopt, 0, sizeof(sopt));
	dh_buf_init(&out);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'f':
			format = optarg;
			break;
		case 'n':
			match = 0;
			break;
		case 's':
			stats = 1;
			break;
		case 'c':
			/* Every message is still parsed into an event; nothing
			 * is paired or printed. */
			count = 1;
			match = 0;
			stats = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return CLI_EXIT_OK;
		default: {
			int k = cli_source_option(c, optarg, &sopt);
			if (k == 1)
				break;
			if (k == 0)
				fputs(usage, stderr);
			return CLI_EXIT_USAGE;
		}
		}
	}
	if (optind >= argc) {
		cli_err("decode: no input file");
		fputs(usage, stderr);
		return CLI_EXIT_USAGE;
	}
	sopt.on_bad = cli_bad_report;
	sopt.on_bad_ctx = &bad;
	ev = malloc(sizeof(*ev));
	if (!ev || (match && ev_match_new(&matcher, 0, 0) != 0)) {
		cli_err("out of memory");
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}
	ev_formatter_init(&fmt, 0);
	for (int i = optind; i < argc; i++) {
		const char *path = argv[i];
		struct src_reader *r = NULL;
		int e = src_open(&r, path, format, &sopt);
		if (e != 0) {
			if (e == DH_EUSAGE) {
				cli_err("decode: unknown format '%s'", format);
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			cli_err("%s: %s", path,
			        e == DH_EFORMAT ? "not a capture file this version can read"
			                        : dh_strerror(e));
			rc = CLI_EXIT_RUNTIME;
			continue;
		}
		ev_clear(ev);
		while ((e = src_next(r, ev)) == 1) {
			if (count)
				continue;
			if (matcher)
				ev_match_event(matcher, ev);
			if (json)
				ev_format_json(&fmt, ev, &out);
			else
				ev_format_text(&fmt, ev, &out);
			if (out.len >= OUT_FLUSH && cli_flush_out(&out) != 0) {
				src_close(r);
				rc = CLI_EXIT_RUNTIME;
				goto out;
			}
		}
		struct src_stats st;
		src_stats(r, &st);
		if (e < 0) {
			cli_err("%s: stopped after %llu records: %s", path,
			        (unsigned long long)st.records, dh_strerror(e));
			rc = CLI_EXIT_RUNTIME;
		}
		cli_bad_finish(&bad);
		total_events += st.events;
		total_malformed += st.malformed;
		total_records += st.records;
		src_close(r);
	}
	if (out.err) {
		cli_err("out of memory");
		rc = CLI_EXIT_RUNTIME;
	}
	if (cli_flush_out(&out) != 0)
		rc = CLI_EXIT_RUNTIME;
	if (stats) {
		double el = cli_now() - t0;
		fprintf(count ? stdout : stderr,
		        "decoded %llu records, %llu messages, %llu malformed in %.2f s (%.0f "
		        "messages/s)\n",
		        (unsigned long long)total_records, (unsigned long long)total_events,
		        (unsigned long long)total_malformed, el,
		        el > 0 ? (double)total_events / el : 0.0);
	}
out:
	ev_match_free(matcher);
	free(ev);
	dh_buf_release(&out);
	return rc;
}
