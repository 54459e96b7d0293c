/*
 * cmd_detect.c - "dnshound detect", "dnshound findings" and "dnshound
 * top": the detection layer (src/detect/) over files, the store or a
 * live source, and the findings table.
 *
 * Events come from files through the sources, or from the store through
 * its query interface (store_query_fields(): only the fields the
 * detectors read); the same engine serves both, and
 * the live loops of listen, capture and follow (cli_detect.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cli_detect.h"
#include "detect/detect.h"
#include "detect/detect_stats.h"
#include "store/finding.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/timefmt.h"

/* Findings per transaction of a batch run, and the events after which
 * the open one is committed anyway (a power of two). */
#define CLI_FINDINGS_BATCH 1024
#define CLI_FINDINGS_EVERY 65536

static const char detect_usage[] =
    "usage: dnshound detect [options] [FILE...]\n"
    "\n"
    "Finds infected hosts: seed 001's statistics and levels (spam-mx,\n"
    "mass-mailer, worm-ip-literal, volume, outside-in) and the dga, tunnel and\n"
    "beacon detectors, over the files given or else the store. Prints one\n"
    "finding per host, kind and window with its final counts; with a store,\n"
    "findings are kept in its findings table (deduplicated across runs).\n"
    "\n"
    "  --store DIR        read events from DIR when no FILE is given, and keep\n"
    "                     the findings in DIR's table\n"
    "  --config FILE      [detect] and [detect KIND] sections (doc/detect.md)\n"
    "  --json             JSON lines: host, level, kind, window_start,\n"
    "                     window_end, score, evidence\n"
    "  --new              print only findings the table did not know (or that\n"
    "                     rose a level); needs --store\n"
    "  --min-level L      print findings from level L on (candidate, warning,\n"
    "                     emergency; default candidate)\n"
    "  --client IP, --since T, --until T   store events only: filter\n"
    "  --follow ...       live: see 'dnshound detect --follow --help'\n"
    "  --quiet            no summary on stderr\n" CLI_SOURCE_HELP
    "  -h, --help         this text\n";

/* Writes one finding as a text line: window, host, level, kind, score,
 * evidence (JSON, every name escaped). */
void cli_finding_text(const struct store_finding *f, struct dh_buf *out)
{
	char t[DH_TIME_TEXT_MAX], host[DH_ADDR_TEXT_MAX];

	dh_time_format(f->window_start_ns, t, sizeof(t));
	t[19] = '\0'; /* to the second */
	dh_buf_adds(out, t);
	dh_buf_adds(out, "Z ");
	dh_addr_format(&f->host, host, sizeof(host));
	dh_buf_adds(out, host);
	dh_buf_addc(out, ' ');
	dh_buf_adds(out, store_level_name(f->level));
	dh_buf_addc(out, ' ');
	dh_buf_adds(out, f->kind);
	dh_buf_addf(out, " score=%.0f ", f->score);
	dh_buf_adds(out, f->evidence ? f->evidence : "{}");
	dh_buf_addc(out, '\n');
}

int64_t cli_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Commits the findings table's open group of puts. Returns rc, or the
 * error (printed and kept in cd->err). */
static int flush_table(struct cli_detector *cd, int rc)
{
	int e = store_findings_flush(cd->table);

	if (e < 0) {
		cli_err("findings table: %s", dh_strerror(e));
		cd->err = e;
		return e;
	}
	return rc;
}

static int on_finding(void *vctx, const struct store_finding *f, int how)
{
	struct cli_detector *cd = vctx;
	int put = STORE_FINDING_NEW;

	/* Batch runs report each finding once, with the window's final
	 * counts; live runs as soon as a level is crossed. */
	if (!cd->live && how != DETECT_RAISE_CLOSED)
		return 0;
	if (cd->table) {
		put = store_findings_put(cd->table, f, cli_wall_ns());
		if (put < 0) {
			cli_err("findings table: %s", dh_strerror(put));
			cd->err = put;
			return put;
		}
		/* A finding is alerted, and its line written out, only once it
		 * is committed: a rerun must know it. Batch runs group their
		 * puts (cli_detector_open_table()) and commit before that. */
		if (put != STORE_FINDING_KNOWN && cd->alert && (put = flush_table(cd, put)) < 0)
			return put;
	}
	if (cd->live && !cd->table && how == DETECT_RAISE_CLOSED)
		return 0; /* already reported when it crossed */
	if (put == STORE_FINDING_KNOWN && (cd->only_new || cd->live))
		return 0;
	if (f->level < cd->min_level)
		return 0;
	cd->printed++;
	if (cd->json) {
		store_finding_json(f, &cd->out);
		dh_buf_addc(&cd->out, '\n');
	} else {
		cli_finding_text(f, &cd->out);
	}
	if (put != STORE_FINDING_KNOWN)
		cli_detector_alert(cd, f);
	if (cd->live || cd->out.len >= (1 << 16)) {
		int e = flush_table(cd, 0);
		if (e < 0)
			return e;
		return cli_flush_out(&cd->out) == 0 ? 0 : -EIO;
	}
	return 0;
}

int cli_detector_init(struct cli_detector *cd, const char *config)
{
	char err[512];
	int e;

	memset(&cd->cfg, 0, sizeof(cd->cfg));
	detect_config_init(&cd->cfg);
	dh_buf_init(&cd->out);
	if (config) {
		e = detect_config_file(&cd->cfg, config, err, sizeof(err));
		if (e != 0) {
			cli_err("%s", err);
			return -1;
		}
	}
	if (cd->min_level == 0)
		cd->min_level = STORE_LEVEL_CANDIDATE;
	if (cd->no_top)
		cd->cfg.top_talkers = 0;
	e = detect_new(&cd->det, &cd->cfg, on_finding, cd);
	if (e != 0) {
		cli_err("detect: %s", dh_strerror(e));
		return -1;
	}
	return 0;
}

void cli_detector_release(struct cli_detector *cd)
{
	detect_free(cd->det);
	cd->det = NULL;
	store_findings_close(cd->table);
	cd->table = NULL;
	cli_detector_alert_release(cd);
	detect_config_release(&cd->cfg);
	dh_buf_release(&cd->out);
}

int cli_detector_open_table(struct cli_detector *cd, const char *dir)
{
	int e;

	/* A follower may start before anything was stored. */
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		cli_err("%s: cannot create the store directory: %s", dir, strerror(errno));
		return -1;
	}
	e = store_findings_open(&cd->table, dir, 1);

	if (e != 0) {
		cli_err("%s: cannot open the findings table: %s", dir, dh_strerror(e));
		return -1;
	}
	/* Batch runs raise their findings in bursts when windows close
	 * (7,483 over 100 M stored events): a sync per finding cost more
	 * than reading the events. Live runs report each finding at once,
	 * so each is committed at once. */
	if (!cd->live)
		store_findings_set_batch(cd->table, CLI_FINDINGS_BATCH);
	return 0;
}

/* Commits the grouped findings every so many events, so that the
 * catalog's write lock, which an ingest may be waiting for, is held for
 * a few milliseconds at most. */
static int feed_batch(struct cli_detector *cd, const struct ev_event *ev, uint64_t *n)
{
	if ((++*n & (CLI_FINDINGS_EVERY - 1)) == 0 && flush_table(cd, 0) < 0)
		return cd->err;
	return cli_detector_event(cd, ev);
}

int cli_detector_event(struct cli_detector *cd, const struct ev_event *ev)
{
	int e = detect_feed(cd->det, ev);

	if (e == 0 && cd->live && ++cd->since_tick >= 1024) {
		/* Live inputs may go quiet: close windows by the clock too. */
		cd->since_tick = 0;
		e = detect_tick(cd->det, ev->ts_ns);
	}
	return e;
}

struct store_feed {
	struct cli_detector *cd;
	uint64_t n;
};

static int store_cb(void *ctx, const struct ev_event *ev)
{
	struct store_feed *sf = ctx;
	return feed_batch(sf->cd, ev, &sf->n);
}

int cli_detector_summary(struct cli_detector *cd, const char *what)
{
	struct detect_counters c;

	detect_counters(cd->det, &c);
	fprintf(stderr,
	        "%s: %llu events, %llu client queries, %llu answers, %llu skipped, "
	        "%llu findings (%llu printed), %llu table evictions\n",
	        what, (unsigned long long)c.events, (unsigned long long)c.queries,
	        (unsigned long long)c.answers, (unsigned long long)c.skipped,
	        (unsigned long long)c.findings, (unsigned long long)cd->printed,
	        (unsigned long long)c.evicted);
	return 0;
}

/* Feeds every input (files, else the store) through cd. Returns 0, or
 * CLI_EXIT_RUNTIME after printing what went wrong (the other files are
 * still read). */
int cli_detector_inputs(struct cli_detector *cd, int nfiles, char **files, const char *format,
                        struct src_options *sopt, const char *dir, const struct store_query *q)
{
	struct cli_bad bad = {0};
	struct ev_event *ev = NULL;
	uint64_t n = 0;
	int rc = 0, e;

	if (nfiles == 0) {
		struct store_feed sf = {cd, 0};
		struct store *s = NULL;
		dir = cli_store_dir(dir);
		e = store_open(&s, dir, STORE_READONLY);
		if (e != 0) {
			cli_err("%s: cannot open the store: %s", dir, dh_strerror(e));
			return CLI_EXIT_RUNTIME;
		}
		/* What detect_feed() reads besides the fields every event has:
		 * the source port (who answers from 53 is a server) and the
		 * EDNS extended rcode (NXDOMAIN is the 12-bit rcode 3). */
		e = store_query_fields(s, q, STORE_FIELD_PORTS | STORE_FIELD_EDNS, store_cb, &sf);
		if (e < 0) {
			cli_err("%s: %s", dir, dh_strerror(e));
			rc = CLI_EXIT_RUNTIME;
		}
		store_close(s);
		return rc;
	}
	sopt->on_bad = cli_bad_report;
	sopt->on_bad_ctx = &bad;
	ev = malloc(sizeof(*ev));
	if (!ev) {
		cli_err("out of memory");
		return CLI_EXIT_RUNTIME;
	}
	for (int i = 0; i < nfiles; i++) {
		struct src_reader *r = NULL;
		e = src_open(&r, files[i], format, sopt);
		if (e != 0) {
			cli_err("%s: %s", files[i],
			        e == DH_EFORMAT ? "not an input this version can read"
			                        : dh_strerror(e));
			rc = CLI_EXIT_RUNTIME;
			continue;
		}
		ev_clear(ev);
		while ((e = src_next(r, ev)) == 1) {
			e = feed_batch(cd, ev, &n);
			if (e != 0)
				break;
		}
		if (e < 0) {
			cli_err("%s: %s", files[i], dh_strerror(e));
			rc = CLI_EXIT_RUNTIME;
		}
		cli_bad_finish(&bad);
		src_close(r);
	}
	free(ev);
	return rc;
}

int cmd_detect(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"store", required_argument, NULL, 'S'},
	    {"config", required_argument, NULL, 'C'},
	    {"json", no_argument, NULL, 'j'},
	    {"new", no_argument, NULL, 'N'},
	    {"min-level", required_argument, NULL, 'L'},
	    {"format", required_argument, NULL, 'f'},
	    {"client", required_argument, NULL, 'c'},
	    {"since", required_argument, NULL, 's'},
	    {"until", required_argument, NULL, 'u'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    CLI_SOURCE_LONGOPTS,
	    CLI_DETECT_ALERT_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	struct cli_detector cd;
	struct src_options sopt;
	struct store_query q;
	char qname[DNS_NAME_TEXT_MAX];
	const char *dir = NULL, *config = NULL, *format = "auto";
	int c, rc = CLI_EXIT_OK, quiet = 0, e;

	if (cli_has_follow(argc, argv))
		return cmd_detect_follow(argc, argv);
	memset(&cd, 0, sizeof(cd));
	memset(&sopt, 0, sizeof(sopt));
	memset(&q, 0, sizeof(q));
	q.since_ns = INT64_MIN;
	q.until_ns = INT64_MAX;
	if (cli_detector_alert_init(&cd) != 0)
		return CLI_EXIT_RUNTIME;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			dir = optarg;
			break;
		case 'C':
			config = optarg;
			break;
		case 'j':
			cd.json = 1;
			break;
		case 'N':
			cd.only_new = 1;
			break;
		case 'L':
			if (store_level_parse(optarg, &cd.min_level) != 0) {
				cli_err("--min-level: '%s' is not candidate, warning or emergency",
				        optarg);
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			break;
		case 'f':
			format = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			fputs(detect_usage, stdout);
			fputs(CLI_DETECT_ALERT_HELP, stdout);
			goto out;
		case 'c':
		case 's':
		case 'u': {
			int k = cli_query_option(c, optarg, &q, qname);
			if (k != 1) {
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			break;
		}
		default: {
			int k = cli_source_option(c, optarg, &sopt);
			if (k == 0)
				k = cli_detector_alert_option(&cd, c, optarg);
			if (k == 1)
				break;
			if (k == 0)
				fputs(detect_usage, stderr);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		}
	}
	if (cd.only_new && !dir) {
		cli_err("detect: --new needs --store");
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	cd.no_top = 1; /* detect prints no top talkers */
	if (cli_detector_init(&cd, config) != 0) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (cli_detector_alert_start(&cd) != 0) {
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}
	if ((dir || optind >= argc) && cli_detector_open_table(&cd, cli_store_dir(dir)) != 0) {
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}
	rc = cli_detector_inputs(&cd, argc - optind, argv + optind, format, &sopt, dir, &q);
	e = detect_finish(cd.det);
	if (e != 0 && cd.err == 0)
		cli_err("detect: %s", dh_strerror(e));
	if (e != 0)
		rc = CLI_EXIT_RUNTIME;
	if (cd.table && cd.err == 0 && flush_table(&cd, 0) < 0)
		rc = CLI_EXIT_RUNTIME;
	if (cd.out.err) {
		cli_err("out of memory");
		rc = CLI_EXIT_RUNTIME;
	}
	if (cli_flush_out(&cd.out) != 0)
		rc = CLI_EXIT_RUNTIME;
	if (!quiet)
		cli_detector_summary(&cd, "detect");
out:
	cli_detector_release(&cd);
	return rc;
}

/* ---- findings ---- */

static const char findings_usage[] =
    "usage: dnshound findings [options]\n"
    "\n"
    "Lists the findings table of the store, oldest window first.\n"
    "\n"
    "  --store DIR        store directory (default $DNSHOUND_STORE or ./dnshound.store)\n"
    "  --host IP          findings of this host\n"
    "  --kind K           findings of this kind (spam-mx, dga, ...)\n"
    "  --min-level L      from level L on (candidate, warning, emergency)\n"
    "  --since T          windows that end after T\n"
    "  --until T          windows that start before T\n"
    "  --limit N          at most N findings\n"
    "  --json             JSON lines\n"
    "  -h, --help         this text\n";

struct list_ctx {
	struct dh_buf out;
	int json;
	uint64_t n;
};

static int list_cb(void *vctx, const struct store_finding *f)
{
	struct list_ctx *l = vctx;

	if (l->json) {
		store_finding_json(f, &l->out);
		dh_buf_addc(&l->out, '\n');
	} else {
		cli_finding_text(f, &l->out);
	}
	l->n++;
	if (l->out.len >= (1 << 16))
		return cli_flush_out(&l->out) == 0 ? 0 : -EIO;
	return 0;
}

int cmd_findings(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"store", required_argument, NULL, 'S'}, {"host", required_argument, NULL, 'H'},
	    {"kind", required_argument, NULL, 'k'},  {"min-level", required_argument, NULL, 'L'},
	    {"since", required_argument, NULL, 's'}, {"until", required_argument, NULL, 'u'},
	    {"limit", required_argument, NULL, 'l'}, {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
	};
	struct store_findings_filter flt;
	struct store_findings *t = NULL;
	struct list_ctx l;
	const char *dir = NULL;
	int c, rc = CLI_EXIT_OK, e;

	store_findings_filter_init(&flt);
	memset(&l, 0, sizeof(l));
	dh_buf_init(&l.out);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			dir = optarg;
			break;
		case 'H':
			if (dh_addr_parse(&flt.host, optarg) != 0) {
				cli_err("--host: '%s' is not an IP address", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'k':
			flt.kind = optarg;
			break;
		case 'L':
			if (store_level_parse(optarg, &flt.min_level) != 0) {
				cli_err("--min-level: '%s' is not candidate, warning or emergency",
				        optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 's':
			if (cli_parse_time("--since", optarg, &flt.since_ns) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'u':
			if (cli_parse_time("--until", optarg, &flt.until_ns) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'l':
			if (cli_parse_count("--limit", optarg, UINT64_MAX, &flt.limit) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'j':
			l.json = 1;
			break;
		case 'h':
			fputs(findings_usage, stdout);
			return CLI_EXIT_OK;
		default:
			fputs(findings_usage, stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_err("findings: unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	dir = cli_store_dir(dir);
	e = store_findings_open(&t, dir, 0);
	if (e != 0) {
		cli_err("%s: cannot open the findings table: %s", dir, dh_strerror(e));
		return CLI_EXIT_RUNTIME;
	}
	e = store_findings_list(t, &flt, list_cb, &l);
	if (e < 0) {
		cli_err("%s: %s", dir, dh_strerror(e));
		rc = CLI_EXIT_RUNTIME;
	}
	if (cli_flush_out(&l.out) != 0)
		rc = CLI_EXIT_RUNTIME;
	store_findings_close(t);
	dh_buf_release(&l.out);
	return rc;
}

/* ---- top ---- */

static const char top_usage[] =
    "usage: dnshound top [options] [FILE...]\n"
    "\n"
    "Top talkers, like dnstop, over the files given or else the store: per\n"
    "client the queries by type (seed 001's columns), NXDOMAIN answers,\n"
    "distinct names (estimate), keyword-headed and IP-literal A queries.\n"
    "\n"
    "  --store DIR        read the store (when no FILE is given)\n"
    "  -n, --count N      how many clients (default 20, at most 256)\n"
    "  --tables           also seed 001's tables: the head words of A-query\n"
    "                     names (1-5 characters), the keyword hits, and the\n"
    "                     per-window series with entropy and its peaks\n"
    "  --config FILE      [detect] settings (local networks, keywords, windows)\n"
    "  --json             one JSON object\n"
    "  --client IP, --since T, --until T   store events only: filter\n"
    "  --follow ...       live: see 'dnshound top --follow --help'\n" CLI_SOURCE_HELP
    "  -h, --help         this text\n";

static void json_count_list(struct dh_buf *b, const struct detect_count *c, size_t n)
{
	dh_buf_addc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			dh_buf_addc(b, ',');
		dh_buf_adds(b, "{\"name\":");
		detect_json_str(b, c[i].name, strlen(c[i].name));
		dh_buf_adds(b, ",\"count\":");
		dh_buf_addu(b, c[i].count);
		dh_buf_adds(b, ",\"error_bound\":");
		dh_buf_addu(b, c[i].err);
		dh_buf_addc(b, '}');
	}
	dh_buf_addc(b, ']');
}

/* Copies a name into a printable column: octets outside printable
 * ASCII as \DDD, so a terminal shows no raw control bytes. */
static void text_name(struct dh_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x21 || c >= 0x7f)
			dh_buf_addf(b, "\\%03u", c);
		else
			dh_buf_addc(b, (char)c);
	}
}

void cli_top_print(struct detect *det, unsigned n, int tables, int json, struct dh_buf *b)
{
	struct detect_talker tt[256];
	size_t k = detect_top(det, tt, n);
	char a[DH_ADDR_TEXT_MAX];

	if (json) {
		dh_buf_adds(b, "{\"top\":[");
		for (size_t i = 0; i < k; i++) {
			dh_addr_format(&tt[i].addr, a, sizeof(a));
			dh_buf_addf(b, "%s{\"client\":\"%s\",\"queries\":%llu,\"error_bound\":%llu",
			            i ? "," : "", a, (unsigned long long)tt[i].queries,
			            (unsigned long long)tt[i].err);
			for (unsigned q = 0; q < DETECT_QT_COUNT; q++)
				dh_buf_addf(b, ",\"%s\":%llu", detect_qt_name(q),
				            (unsigned long long)tt[i].qt[q]);
			dh_buf_addf(b,
			            ",\"nxdomain\":%llu,\"distinct_names\":%llu,\"a_keyword\":%llu,"
			            "\"a_ip_literal\":%llu,\"inside\":%s}",
			            (unsigned long long)tt[i].nxdomain,
			            (unsigned long long)tt[i].distinct_names,
			            (unsigned long long)tt[i].a_keyword,
			            (unsigned long long)tt[i].a_ip_literal,
			            tt[i].inside ? "true" : "false");
		}
		dh_buf_adds(b, "]");
	} else {
		dh_buf_adds(
		    b, "client                                  queries        A     AAAA      PTR"
		       "       MX      TXT      SOA      ANY    other       NX distinct  keyword"
		       "  literal\n");
		for (size_t i = 0; i < k; i++) {
			dh_addr_format(&tt[i].addr, a, sizeof(a));
			dh_buf_addf(b, "%-39s %8llu", a, (unsigned long long)tt[i].queries);
			for (unsigned q = 0; q < DETECT_QT_COUNT; q++)
				dh_buf_addf(b, " %8llu", (unsigned long long)tt[i].qt[q]);
			dh_buf_addf(b, " %8llu %8llu %8llu %8llu\n",
			            (unsigned long long)tt[i].nxdomain,
			            (unsigned long long)tt[i].distinct_names,
			            (unsigned long long)tt[i].a_keyword,
			            (unsigned long long)tt[i].a_ip_literal);
		}
	}
	if (tables) {
		struct detect_count hw[5][24], kw[DETECT_KEYWORDS_MAX];
		size_t nh[5], nk = detect_keywords(det, kw, DETECT_KEYWORDS_MAX), rows = 0;
		const struct detect_point *pts;
		const struct detect_peak *pk;
		size_t np = detect_series(det, &pts), npk;
		for (unsigned l = 0; l < 5; l++) {
			nh[l] = detect_headwords(det, l + 1, hw[l], 24);
			if (nh[l] > rows)
				rows = nh[l];
		}
		if (json) {
			dh_buf_adds(b, ",\"headwords\":[");
			for (unsigned l = 0; l < 5; l++) {
				if (l)
					dh_buf_addc(b, ',');
				json_count_list(b, hw[l], nh[l]);
			}
			dh_buf_adds(b, "],\"keywords\":");
			json_count_list(b, kw, nk);
			dh_buf_addf(b, ",\"keyword_correlation\":%.4f,\"series\":[",
			            detect_keyword_correlation(det));
			for (size_t i = 0; i < np; i++) {
				char t[DH_TIME_TEXT_MAX];
				dh_time_format(pts[i].start_ns, t, sizeof(t));
				dh_buf_addf(b, "%s{\"start\":\"%s\",\"queries\":%llu", i ? "," : "",
				            t, (unsigned long long)pts[i].queries);
				for (unsigned q = 0; q < DETECT_QT_COUNT; q++)
					dh_buf_addf(b, ",\"%s\":%llu", detect_qt_name(q),
					            (unsigned long long)pts[i].qt[q]);
				dh_buf_addf(
				    b,
				    ",\"nxdomain\":%llu,\"v4\":%llu,\"v6\":%llu,\"inside\":%llu,"
				    "\"outside\":%llu,\"a_keyword\":%llu,\"a_ip_literal\":%llu,"
				    "\"h_src\":%.4f,\"h_name\":%.4f,\"peak_src\":%d,\"peak_name\":%"
				    "d}",
				    (unsigned long long)pts[i].nxdomain,
				    (unsigned long long)pts[i].v4, (unsigned long long)pts[i].v6,
				    (unsigned long long)pts[i].inside,
				    (unsigned long long)pts[i].outside,
				    (unsigned long long)pts[i].a_keyword,
				    (unsigned long long)pts[i].a_ip_literal, pts[i].h_src,
				    pts[i].h_name, pts[i].peak_src, pts[i].peak_name);
			}
			dh_buf_adds(b, "],\"peaks\":[");
			npk = detect_peaks(det, &pk);
			for (size_t i = 0; i < npk; i++) {
				char t[DH_TIME_TEXT_MAX];
				dh_time_format(pk[i].start_ns, t, sizeof(t));
				dh_buf_addf(b,
				            "%s{\"start\":\"%s\",\"of\":\"%s\",\"value\":%.4f,"
				            "\"mean\":%.4f,"
				            "\"sd\":%.4f,\"names\":",
				            i ? "," : "", t, pk[i].which ? "names" : "sources",
				            pk[i].value, pk[i].mean, pk[i].sd);
				json_count_list(b, pk[i].names, pk[i].nnames);
				dh_buf_adds(b, ",\"sources\":");
				json_count_list(b, pk[i].sources, pk[i].nsources);
				dh_buf_addc(b, '}');
			}
			dh_buf_addc(b, ']');
		} else {
			dh_buf_adds(b, "\nhead words of A-query names (seed 001's table)\n");
			dh_buf_adds(
			    b, "1                2                3                4               "
			       " 5\n");
			for (size_t r = 0; r < rows; r++) {
				for (unsigned l = 0; l < 5; l++) {
					size_t before = b->len;
					if (r < nh[l]) {
						text_name(b, hw[l][r].name);
						dh_buf_addf(b, " %llu",
						            (unsigned long long)hw[l][r].count);
					}
					while (b->len < before + 17)
						dh_buf_addc(b, ' ');
				}
				dh_buf_addc(b, '\n');
			}
			dh_buf_adds(b, "\nkeyword hits in A queries\n");
			for (size_t i = 0; i < nk; i++)
				dh_buf_addf(b, "%-12s %llu\n", kw[i].name,
				            (unsigned long long)kw[i].count);
			dh_buf_addf(b,
			            "correlation of total and keyword A queries per window: %.4f\n",
			            detect_keyword_correlation(det));
			dh_buf_adds(
			    b,
			    "\nwindow                queries        A     AAAA      PTR       MX   "
			    "   TXT       NX     IPv6  outside  keyword  literal  H(src) "
			    "H(name)\n");
			for (size_t i = 0; i < np; i++) {
				char t[DH_TIME_TEXT_MAX];
				dh_time_format(pts[i].start_ns, t, sizeof(t));
				t[19] = '\0';
				dh_buf_addf(b,
				            "%sZ %8llu %8llu %8llu %8llu %8llu %8llu %8llu %8llu "
				            "%8llu %8llu "
				            "%8llu %7.3f%s %7.3f%s\n",
				            t, (unsigned long long)pts[i].queries,
				            (unsigned long long)pts[i].qt[DETECT_QT_A],
				            (unsigned long long)pts[i].qt[DETECT_QT_AAAA],
				            (unsigned long long)pts[i].qt[DETECT_QT_PTR],
				            (unsigned long long)pts[i].qt[DETECT_QT_MX],
				            (unsigned long long)pts[i].qt[DETECT_QT_TXT],
				            (unsigned long long)pts[i].nxdomain,
				            (unsigned long long)pts[i].v6,
				            (unsigned long long)pts[i].outside,
				            (unsigned long long)pts[i].a_keyword,
				            (unsigned long long)pts[i].a_ip_literal, pts[i].h_src,
				            pts[i].peak_src ? "*" : " ", pts[i].h_name,
				            pts[i].peak_name ? "*" : " ");
			}
			npk = detect_peaks(det, &pk);
			for (size_t i = 0; i < npk; i++) {
				char t[DH_TIME_TEXT_MAX];
				dh_time_format(pk[i].start_ns, t, sizeof(t));
				t[19] = '\0';
				dh_buf_addf(
				    b, "peak %sZ %s entropy %.3f (baseline %.3f, sd %.3f): ", t,
				    pk[i].which ? "name" : "source", pk[i].value, pk[i].mean,
				    pk[i].sd);
				for (unsigned j = 0; j < pk[i].nnames; j++) {
					text_name(b, pk[i].names[j].name);
					dh_buf_addf(b, " %llu ",
					            (unsigned long long)pk[i].names[j].count);
				}
				dh_buf_adds(b, "| ");
				for (unsigned j = 0; j < pk[i].nsources; j++)
					dh_buf_addf(b, "%s %llu ", pk[i].sources[j].name,
					            (unsigned long long)pk[i].sources[j].count);
				dh_buf_addc(b, '\n');
			}
		}
	}
	if (json)
		dh_buf_adds(b, "}\n");
}

int cmd_top(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"store", required_argument, NULL, 'S'},
	    {"count", required_argument, NULL, 'n'},
	    {"tables", no_argument, NULL, 'T'},
	    {"config", required_argument, NULL, 'C'},
	    {"json", no_argument, NULL, 'j'},
	    {"format", required_argument, NULL, 'f'},
	    {"client", required_argument, NULL, 'c'},
	    {"since", required_argument, NULL, 's'},
	    {"until", required_argument, NULL, 'u'},
	    {"help", no_argument, NULL, 'h'},
	    CLI_SOURCE_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	struct cli_detector cd;
	struct src_options sopt;
	struct store_query q;
	char qname[DNS_NAME_TEXT_MAX];
	const char *dir = NULL, *config = NULL, *format = "auto";
	uint64_t n = 20;
	int c, rc = CLI_EXIT_OK, tables = 0, json = 0;

	if (cli_has_follow(argc, argv))
		return cmd_top_follow(argc, argv);
	memset(&cd, 0, sizeof(cd));
	memset(&sopt, 0, sizeof(sopt));
	memset(&q, 0, sizeof(q));
	q.since_ns = INT64_MIN;
	q.until_ns = INT64_MAX;
	optind = 1;
	while ((c = getopt_long(argc, argv, "hn:", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			dir = optarg;
			break;
		case 'n':
			if (cli_parse_count("--count", optarg, 256, &n) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'T':
			tables = 1;
			break;
		case 'C':
			config = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'f':
			format = optarg;
			break;
		case 'h':
			fputs(top_usage, stdout);
			return CLI_EXIT_OK;
		case 'c':
		case 's':
		case 'u':
			if (cli_query_option(c, optarg, &q, qname) != 1)
				return CLI_EXIT_USAGE;
			break;
		default: {
			int k = cli_source_option(c, optarg, &sopt);
			if (k == 1)
				break;
			if (k == 0)
				fputs(top_usage, stderr);
			return CLI_EXIT_USAGE;
		}
		}
	}
	/* Top talkers need no findings: nothing is printed or kept. */
	cd.min_level = STORE_LEVEL_EMERGENCY + 1;
	if (cli_detector_init(&cd, config) != 0) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	rc = cli_detector_inputs(&cd, argc - optind, argv + optind, format, &sopt, dir, &q);
	if (detect_finish(cd.det) != 0)
		rc = CLI_EXIT_RUNTIME;
	cd.out.len = 0;
	cli_top_print(cd.det, (unsigned)n, tables, json, &cd.out);
	if (cli_flush_out(&cd.out) != 0)
		rc = CLI_EXIT_RUNTIME;
out:
	cli_detector_release(&cd);
	return rc;
}
