/*
 * cmd_report.c - "dnshound report": one self-contained HTML file of the
 * statistics, the findings and one host's traffic (doc/report.md).
 *
 * The statistics come from a detection run over the input (the engine of
 * src/detect/ and its read API, detect_stats.h); the findings from that
 * run and, with a store, from its findings table; the parallel-
 * coordinates rows from a second pass over the events of one host, read
 * with their ports (store_query_run(), or the files again).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "detect/detect.h"
#include "detect/detect_stats.h"
#include "report/report.h"
#include "store/finding.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/conf.h"
#include "util/err.h"

static const char usage[] =
    "usage: dnshound report [options] --out FILE.html [FILE...]\n"
    "\n"
    "Writes one HTML file that opens without network access: traffic by query\n"
    "type, entropy with its peaks, top talkers, findings with evidence, keyword\n"
    "and head-word tables, and one host's DNS traffic as parallel coordinates\n"
    "(seed 000 Fig. 4). Reads the files given, or else the store.\n"
    "\n"
    "  --out FILE         the HTML file to write (required)\n"
    "  --store DIR        read events and findings from DIR when no FILE is given\n"
    "  --config FILE      [detect] sections for the statistics (doc/detect.md)\n"
    "  --host IP          the host of the parallel-coordinates view (default: the\n"
    "                     host of the highest finding, else the top talker)\n"
    "  --title TEXT       the report's title\n"
    "  --window T         the statistics' window: 3600, 10m, 1d ... (default 1h;\n"
    "                     1d gives seed 001's daily curves)\n"
    "  --since T, --until T   store events only: the time range\n" CLI_SOURCE_HELP
    "  -h, --help         this text\n";

/* Rows taken from the statistics: what the report shows, with room. */
#define TALKERS_MAX   25
#define HEADWORDS_MAX 20

struct report_ctx {
	struct report_model *m;
	struct detect *d;
	int err;
	/* Second pass: the flow host's queries. */
	struct dh_addr host;
};

static int on_finding(void *vctx, const struct store_finding *f, int how)
{
	struct report_ctx *c = vctx;
	int e = report_add_finding(c->m, f);

	(void)how;
	if (e < 0) {
		c->err = e;
		return 1;
	}
	return 0;
}

static int feed_event(void *vctx, const struct ev_event *ev)
{
	struct report_ctx *c = vctx;

	if (c->m->events == 0 || ev->ts_ns < c->m->first_ns)
		c->m->first_ns = ev->ts_ns;
	if (ev->ts_ns > c->m->last_ns)
		c->m->last_ns = ev->ts_ns;
	c->m->events++;
	return detect_feed(c->d, ev);
}

static int flow_event(void *vctx, const struct ev_event *ev)
{
	struct report_ctx *c = vctx;

	if (dns_msg_is_response(&ev->msg) || !dh_addr_equal(&ev->src, &c->host))
		return 0;
	int e = report_add_flow(c->m, ev->sport, &ev->dst, ev->dport);
	if (e < 0) {
		c->err = e;
		return 1;
	}
	return 0;
}

static int table_finding(void *vctx, const struct store_finding *f)
{
	return on_finding(vctx, f, 0);
}

static void copy_count(struct report_count *dst, const struct detect_count *src)
{
	memset(dst, 0, sizeof(*dst));
	size_t n = strnlen(src->name, sizeof(src->name));
	if (n > sizeof(dst->name) - 1)
		n = sizeof(dst->name) - 1;
	memcpy(dst->name, src->name, n);
	dst->count = src->count;
	dst->err = src->err;
}

/* The detection run's statistics into the model. */
static int fill_stats(struct report_model *m, const struct detect *d)
{
	const struct detect_point *pts;
	const struct detect_peak *peaks;
	struct detect_talker top[TALKERS_MAX];
	struct detect_count
	    cnt[DETECT_KEYWORDS_MAX > HEADWORDS_MAX ? DETECT_KEYWORDS_MAX : HEADWORDS_MAX];
	int e = 0;

	m->nqt = DETECT_QT_COUNT < REPORT_QT_MAX ? DETECT_QT_COUNT : REPORT_QT_MAX;
	for (unsigned q = 0; q < m->nqt; q++)
		m->qt_names[q] = detect_qt_name(q);
	size_t n = detect_series(d, &pts);
	for (size_t i = 0; i < n && e == 0; i++) {
		struct report_window w;
		memset(&w, 0, sizeof(w));
		w.start_ns = pts[i].start_ns;
		w.end_ns = pts[i].end_ns;
		w.queries = pts[i].queries;
		for (unsigned q = 0; q < m->nqt; q++)
			w.qt[q] = pts[i].qt[q];
		w.nxdomain = pts[i].nxdomain;
		w.h_src = pts[i].h_src;
		w.h_name = pts[i].h_name;
		w.peak_src = pts[i].peak_src;
		w.peak_name = pts[i].peak_name;
		e = report_add_window(m, &w);
	}
	n = detect_peaks(d, &peaks);
	for (size_t i = 0; i < n && e == 0; i++) {
		struct report_peak p;
		memset(&p, 0, sizeof(p));
		p.start_ns = peaks[i].start_ns;
		p.end_ns = peaks[i].end_ns;
		p.which = peaks[i].which;
		p.value = peaks[i].value;
		p.mean = peaks[i].mean;
		p.sd = peaks[i].sd;
		p.nnames = peaks[i].nnames < REPORT_PEAK_TOP ? peaks[i].nnames : REPORT_PEAK_TOP;
		p.nsources =
		    peaks[i].nsources < REPORT_PEAK_TOP ? peaks[i].nsources : REPORT_PEAK_TOP;
		for (unsigned k = 0; k < p.nnames; k++)
			copy_count(&p.names[k], &peaks[i].names[k]);
		for (unsigned k = 0; k < p.nsources; k++)
			copy_count(&p.sources[k], &peaks[i].sources[k]);
		e = report_add_peak(m, &p);
	}
	n = detect_top(d, top, TALKERS_MAX);
	for (size_t i = 0; i < n && e == 0; i++) {
		struct report_talker t;
		memset(&t, 0, sizeof(t));
		t.addr = top[i].addr;
		t.queries = top[i].queries;
		t.err = top[i].err;
		for (unsigned q = 0; q < m->nqt; q++)
			t.qt[q] = top[i].qt[q];
		t.nxdomain = top[i].nxdomain;
		t.distinct_names = top[i].distinct_names;
		t.a_keyword = top[i].a_keyword;
		t.a_ip_literal = top[i].a_ip_literal;
		t.inside = top[i].inside;
		e = report_add_talker(m, &t);
	}
	n = detect_keywords(d, cnt, DETECT_KEYWORDS_MAX);
	for (size_t i = 0; i < n && e == 0; i++) {
		struct report_count rc;
		copy_count(&rc, &cnt[i]);
		e = report_add_keyword(m, &rc);
	}
	for (unsigned len = 1; len <= 5 && e == 0; len++) {
		n = detect_headwords(d, len, cnt, HEADWORDS_MAX);
		for (size_t i = 0; i < n && e == 0; i++) {
			struct report_count rc;
			copy_count(&rc, &cnt[i]);
			e = report_add_headword(m, len, &rc);
		}
	}
	m->keyword_corr = detect_keyword_correlation(d);
	m->have_stats = 1;
	return e;
}

/* The view's host: the one asked for, else the highest finding's (level,
 * then score), else the busiest client. */
static void pick_host(struct report_model *m, const struct dh_addr *asked)
{
	if (asked->family != DH_AF_NONE) {
		m->flow_host = *asked;
		return;
	}
	const struct store_finding *best = NULL;
	for (size_t i = 0; i < m->nfindings; i++) {
		const struct store_finding *f = &m->findings[i];
		if (!best || f->level > best->level ||
		    (f->level == best->level && f->score > best->score))
			best = f;
	}
	if (best)
		m->flow_host = best->host;
	else if (m->ntop)
		m->flow_host = m->top[0].addr;
}

/* Reads every file, calling cb per event. Returns CLI_EXIT_* . */
static int read_files(char **paths, int n, const char *format, const struct src_options *sopt,
                      int (*cb)(void *, const struct ev_event *), struct report_ctx *ctx,
                      struct cli_bad *bad)
{
	struct ev_event *ev = malloc(sizeof(*ev));
	int rc = CLI_EXIT_OK;

	if (!ev) {
		cli_err("out of memory");
		return CLI_EXIT_RUNTIME;
	}
	for (int i = 0; i < n && rc == CLI_EXIT_OK; i++) {
		struct src_reader *r = NULL;
		int e = src_open(&r, paths[i], format, sopt);
		if (e != 0) {
			cli_err("%s: %s", paths[i],
			        e == DH_EFORMAT ? "not an input this version can read"
			                        : dh_strerror(e));
			rc = CLI_EXIT_RUNTIME;
			break;
		}
		ev_clear(ev);
		while ((e = src_next(r, ev)) == 1) {
			if (cb(ctx, ev) != 0) {
				e = ctx->err ? ctx->err : 0;
				break;
			}
		}
		if (e < 0) {
			cli_err("%s: %s", paths[i], dh_strerror(e));
			rc = CLI_EXIT_RUNTIME;
		}
		if (bad)
			cli_bad_finish(bad);
		src_close(r);
	}
	free(ev);
	return rc;
}

/* Writes the file next to its final name and renames it, so a reader
 * never sees half a report. */
static int write_file(const char *path, const struct dh_buf *b)
{
	size_t n = strlen(path);
	char *tmp = malloc(n + 8);
	int rc = 0;

	if (!tmp)
		return -ENOMEM;
	memcpy(tmp, path, n);
	memcpy(tmp + n, ".tmp", 5);
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		rc = -errno;
		goto out;
	}
	if (fwrite(b->data, 1, b->len, f) != b->len)
		rc = -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
out:
	free(tmp);
	return rc;
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"out", required_argument, NULL, 'O'},
	    {"store", required_argument, NULL, 'S'},
	    {"config", required_argument, NULL, 'C'},
	    {"host", required_argument, NULL, 'H'},
	    {"title", required_argument, NULL, 'T'},
	    {"since", required_argument, NULL, 's'},
	    {"until", required_argument, NULL, 'u'},
	    {"format", required_argument, NULL, 'f'},
	    {"window", required_argument, NULL, 'W'},
	    {"help", no_argument, NULL, 'h'},
	    CLI_SOURCE_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	struct detect_config dcfg;
	struct report_model m;
	struct report_ctx ctx;
	struct src_options sopt;
	struct cli_bad bad = {0};
	struct store_query q;
	struct dh_addr asked = {0};
	struct dh_buf html;
	struct store *s = NULL;
	struct store_findings *t = NULL;
	const char *out = NULL, *dir = NULL, *config = NULL, *title = NULL, *format = "auto";
	double window_s = 0;
	char err[256], source[512];
	int c, e, rc = CLI_EXIT_OK;

	memset(&sopt, 0, sizeof(sopt));
	memset(&q, 0, sizeof(q));
	q.since_ns = INT64_MIN;
	q.until_ns = INT64_MAX;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'O':
			out = optarg;
			break;
		case 'S':
			dir = optarg;
			break;
		case 'C':
			config = optarg;
			break;
		case 'H':
			if (dh_addr_parse(&asked, optarg) != 0) {
				cli_err("--host: '%s' is not an address", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'T':
			title = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'W':
			if (dh_conf_seconds(optarg, &window_s) != 0 || window_s < 1 ||
			    window_s > 366 * 86400.0) {
				cli_err("--window: '%s' is not a window from 1s to 366d", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 's':
			if (cli_parse_time("--since", optarg, &q.since_ns) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'u':
			if (cli_parse_time("--until", optarg, &q.until_ns) != 0)
				return CLI_EXIT_USAGE;
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
	if (!out) {
		cli_err("report: --out FILE is required");
		fputs(usage, stderr);
		return CLI_EXIT_USAGE;
	}
	detect_config_init(&dcfg);
	report_model_init(&m);
	dh_buf_init(&html);
	memset(&ctx, 0, sizeof(ctx));
	ctx.m = &m;
	if (config && detect_config_file(&dcfg, config, err, sizeof(err)) != 0) {
		cli_err("%s", err);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (window_s > 0) /* the option wins over the file */
		dcfg.stats_window_ns = (int64_t)(window_s * 1e9);
	e = detect_new(&ctx.d, &dcfg, on_finding, &ctx);
	if (e != 0) {
		cli_err("report: %s", dh_strerror(e));
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}
	sopt.on_bad = cli_bad_report;
	sopt.on_bad_ctx = &bad;
	int files = optind < argc;
	if (files) {
		snprintf(source, sizeof(source), "%d file%s, first %s", argc - optind,
		         argc - optind == 1 ? "" : "s", argv[optind]);
		rc =
		    read_files(argv + optind, argc - optind, format, &sopt, feed_event, &ctx, &bad);
	} else {
		dir = cli_store_dir(dir);
		snprintf(source, sizeof(source), "store %s", dir);
		e = store_open(&s, dir, STORE_READONLY);
		if (e != 0) {
			cli_err("%s: cannot open the store: %s", dir, dh_strerror(e));
			rc = CLI_EXIT_RUNTIME;
			goto out;
		}
		/* The brief form carries every field the detectors read. */
		e = store_query_brief(s, &q, feed_event, &ctx);
		if (e < 0 || ctx.err) {
			cli_err("%s: reading events failed: %s", dir,
			        dh_strerror(e < 0 ? e : ctx.err));
			rc = CLI_EXIT_RUNTIME;
		}
	}
	if (rc != CLI_EXIT_OK)
		goto out;
	e = detect_finish(ctx.d);
	if (e == 0 && !ctx.err && s) {
		/* What earlier detect runs kept, beside what this run found. */
		e = store_findings_open(&t, dir, 0);
		if (e == 0) {
			struct store_findings_filter flt;
			store_findings_filter_init(&flt);
			flt.since_ns = q.since_ns;
			flt.until_ns = q.until_ns;
			e = store_findings_list(t, &flt, table_finding, &ctx);
		}
	}
	if (e == 0 && !ctx.err)
		e = fill_stats(&m, ctx.d);
	if (e < 0 || ctx.err) {
		cli_err("report: %s", dh_strerror(e < 0 ? e : ctx.err));
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}
	pick_host(&m, &asked);
	ctx.host = m.flow_host;
	if (m.flow_host.family != DH_AF_NONE) {
		if (files) {
			rc = read_files(argv + optind, argc - optind, format, &sopt, flow_event,
			                &ctx, NULL);
		} else {
			struct store_query hq = q;
			hq.client = m.flow_host;
			e = store_query_run(s, &hq, flow_event, &ctx);
			if (e < 0 || ctx.err) {
				cli_err("%s: reading the host's events failed: %s", dir,
				        dh_strerror(e < 0 ? e : ctx.err));
				rc = CLI_EXIT_RUNTIME;
			}
		}
		if (rc != CLI_EXIT_OK)
			goto out;
	}
	m.title = title;
	m.source = source;
	e = report_html(&m, &html);
	if (e == 0)
		e = write_file(out, &html);
	if (e != 0) {
		cli_err("%s: %s", out, dh_strerror(e));
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}
	fprintf(stderr, "dnshound: %s: %llu events, %zu windows, %zu findings, %zu flow lines\n",
	        out, (unsigned long long)m.events, m.nwin, m.nfindings, m.nflows);
out:
	dh_buf_release(&html);
	store_findings_close(t);
	store_close(s);
	detect_free(ctx.d);
	report_model_release(&m);
	detect_config_release(&dcfg);
	return rc;
}
