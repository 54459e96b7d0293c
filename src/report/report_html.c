/*
 * report_html.c - the report model as one HTML document.
 *
 * Self-contained by construction: no script, no external reference, a
 * Content-Security-Policy that forbids every fetch (default-src 'none'),
 * so a browser opening the file makes no request even if a name in it
 * looked like a URL. Charts come from eval_chart.h as inline SVG.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/eval_chart.h"
#include "eval/eval_table.h"
#include "report/report.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/timefmt.h"

/* Rows shown in the tables: enough to see the pattern, small enough to
 * read. */
#define TOP_ROWS      25
#define HEAD_ROWS     20
#define FINDINGS_ROWS 1000

static void esc(struct dh_buf *out, const char *s)
{
	eval_chart_escape(out, s, strlen(s));
}

/* "2026-11-22 13:00:00Z": the RFC 3339 text without fraction, with a
 * space, which reads better in a table. */
static void add_time(struct dh_buf *out, int64_t ts_ns)
{
	char t[DH_TIME_TEXT_MAX];
	size_t n = dh_time_format(ts_ns, t, sizeof(t));

	if (n >= 19) {
		t[10] = ' ';
		dh_buf_add(out, t, 19);
		dh_buf_addc(out, 'Z');
	}
}

static void add_addr(struct dh_buf *out, const struct dh_addr *a)
{
	char t[DH_ADDR_TEXT_MAX];

	dh_addr_format(a, t, sizeof(t));
	dh_buf_adds(out, t);
}

static const char style[] =
    "body{font-family:sans-serif;margin:1.5em auto;max-width:1100px;color:#222;"
    "padding:0 1em}"
    "h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #ccc;"
    "padding-bottom:.2em;margin-top:2em}"
    "table{border-collapse:collapse;margin:.6em 0;font-size:.9em}"
    "th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
    "th{background:#f2f2f2}"
    ".lvl-emergency{background:#f8d0d0}.lvl-warning{background:#fbe8c8}"
    ".lvl-candidate{background:#eef3fa}"
    "code{font-family:monospace;font-size:.95em;word-break:break-all}"
    "figure{margin:1em 0}figcaption{font-size:.9em;color:#555}"
    "nav a{margin-right:1em}.meta{color:#555}.empty{color:#777;font-style:italic}";

static void head(const struct report_model *m, struct dh_buf *out)
{
	const char *title = m->title ? m->title : "dnshound report";

	dh_buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	                 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
	                 "'none'; style-src 'unsafe-inline'\">\n"
	                 "<meta name=\"viewport\" content=\"width=device-width\">\n<title>");
	esc(out, title);
	dh_buf_adds(out, "</title>\n<style>");
	dh_buf_adds(out, style);
	dh_buf_adds(out, "</style>\n</head>\n<body>\n<h1>");
	esc(out, title);
	dh_buf_adds(out, "</h1>\n<p class=\"meta\">");
	if (m->source) {
		dh_buf_adds(out, "Read: ");
		esc(out, m->source);
		dh_buf_adds(out, ". ");
	}
	dh_buf_addf(out, "%llu events", (unsigned long long)m->events);
	if (m->first_ns || m->last_ns) {
		dh_buf_adds(out, " from ");
		add_time(out, m->first_ns);
		dh_buf_adds(out, " to ");
		add_time(out, m->last_ns);
	}
	dh_buf_addf(out, "; %zu findings.</p>\n", m->nfindings);
	dh_buf_adds(out, "<nav><a href=\"#traffic\">Traffic</a><a href=\"#entropy\">Entropy</a>"
	                 "<a href=\"#talkers\">Top talkers</a><a href=\"#findings\">Findings</a>"
	                 "<a href=\"#keywords\">Keywords</a><a href=\"#headwords\">Head words</a>"
	                 "<a href=\"#flows\">Host traffic</a></nav>\n");
}

static void empty(struct dh_buf *out, const char *why)
{
	dh_buf_adds(out, "<p class=\"empty\">");
	esc(out, why);
	dh_buf_adds(out, "</p>\n");
}

static void figure(struct dh_buf *out, const char *id, const struct dh_buf *svg,
                   const char *caption)
{
	dh_buf_addf(out, "<figure class=\"chart\" id=\"%s\">\n", id);
	dh_buf_add(out, svg->data, svg->len);
	dh_buf_adds(out, "<figcaption>");
	esc(out, caption);
	dh_buf_adds(out, "</figcaption>\n</figure>\n");
}

/* The x unit of the time charts: days for windows of a day or more
 * (seed 001's daily curves), hours below. */
static double x_unit_ns(const struct report_model *m)
{
	return m->win[0].end_ns - m->win[0].start_ns >= 86400LL * 1000000000LL ? 8.64e13 : 3.6e12;
}

static const char *x_unit_name(const struct report_model *m)
{
	return x_unit_ns(m) > 3.6e12 ? "days" : "hours";
}

/* Units since the first window, the x of the time charts. */
static double hours(const struct report_model *m, int64_t ts)
{
	return (double)(ts - m->win[0].start_ns) / x_unit_ns(m);
}

static int traffic(const struct report_model *m, struct dh_buf *out)
{
	struct eval_table t;
	struct eval_chart_series s[EVAL_CHART_MAX_SERIES];
	struct dh_buf svg;
	char x0[32], xlabel[64];
	int rc;

	dh_buf_adds(out, "<section id=\"traffic\">\n<h2>Traffic by query type</h2>\n");
	if (m->nwin == 0 || m->nqt == 0) {
		empty(out, "No statistics windows.");
		dh_buf_adds(out, "</section>\n");
		return 0;
	}
	size_t nq = m->nqt < EVAL_CHART_MAX_SERIES ? m->nqt : EVAL_CHART_MAX_SERIES;
	size_t rows = m->nwin < EVAL_TABLE_MAX_ROWS ? m->nwin : EVAL_TABLE_MAX_ROWS;
	rc = eval_table_init(&t, "hours", nq, rows);
	if (rc != 0)
		return rc;
	for (size_t q = 0; q < nq; q++) {
		eval_table_set_name(&t, q, m->qt_names[q] ? m->qt_names[q] : "?");
		s[q] = (struct eval_chart_series){q, EVAL_NO_COL, EVAL_NO_COL, 0};
	}
	for (size_t r = 0; r < rows; r++) {
		t.x[r] = hours(m, m->win[r].start_ns);
		for (size_t q = 0; q < nq; q++)
			*eval_table_at(&t, r, q) = (double)m->win[r].qt[q];
	}
	double len = (double)(m->win[0].end_ns - m->win[0].start_ns) / x_unit_ns(m);
	snprintf(xlabel, sizeof(xlabel), "%s (windows of %.4g %s)", x_unit_name(m), len,
	         x_unit_ns(m) > 3.6e12 ? "d" : "h");
	/* The first tick shows the first window's date and time,
	 * "11-22T00:00" out of the RFC 3339 text. */
	char t0[DH_TIME_TEXT_MAX];
	dh_time_format(m->win[0].start_ns, t0, sizeof(t0));
	snprintf(x0, sizeof(x0), "%.11s", t0 + 5);
	dh_buf_init(&svg);
	struct eval_chart c = {
	    .title = "Client queries per window by type",
	    .xlabel = xlabel,
	    .ylabel = "queries",
	    .ymin = NAN,
	    .ymax = NAN,
	    .series = s,
	    .nseries = nq,
	    .no_points = rows > 48,
	    .x0_label = x0,
	};
	rc = eval_chart_svg(&t, &c, &svg);
	if (rc == 0)
		figure(out, "chart-traffic", &svg,
		       "Seed 001's traffic curves: queries of all clients per window, one line per "
		       "query type; the first tick is the first window's start (UTC).");
	dh_buf_release(&svg);
	eval_table_release(&t);
	dh_buf_adds(out, "</section>\n");
	return rc;
}

static void count_list(struct dh_buf *out, const struct report_count *c, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		dh_buf_adds(out, i ? "<br><code>" : "<code>");
		esc(out, c[i].name);
		dh_buf_addf(out, "</code> %llu", (unsigned long long)c[i].count);
	}
}

static int entropy(const struct report_model *m, struct dh_buf *out)
{
	struct eval_table t;
	struct dh_buf svg;
	int rc;

	dh_buf_adds(out, "<section id=\"entropy\">\n<h2>Entropy of sources and names</h2>\n");
	if (m->nwin == 0) {
		empty(out, "No statistics windows.");
		dh_buf_adds(out, "</section>\n");
		return 0;
	}
	size_t rows = m->nwin < EVAL_TABLE_MAX_ROWS ? m->nwin : EVAL_TABLE_MAX_ROWS;
	rc = eval_table_init(&t, "hours", 2, rows);
	if (rc != 0)
		return rc;
	eval_table_set_name(&t, 0, "source addresses");
	eval_table_set_name(&t, 1, "query names");
	for (size_t r = 0; r < rows; r++) {
		t.x[r] = hours(m, m->win[r].start_ns);
		*eval_table_at(&t, r, 0) = m->win[r].h_src;
		*eval_table_at(&t, r, 1) = m->win[r].h_name;
	}
	/* One mark per peak window and curve; the label numbers it for the
	 * table below. */
	struct eval_chart_mark *marks = calloc(m->npeaks ? m->npeaks : 1, sizeof(*marks));
	char(*labels)[24] = calloc(m->npeaks ? m->npeaks : 1, sizeof(*labels));
	if (!marks || !labels) {
		free(marks);
		free(labels);
		eval_table_release(&t);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->npeaks; i++) {
		snprintf(labels[i], sizeof(labels[i]), "%zu", i + 1);
		marks[i] = (struct eval_chart_mark){hours(m, m->peaks[i].start_ns),
		                                    m->peaks[i].which ? 1u : 0u, labels[i]};
	}
	struct eval_chart_series s[2] = {{0, EVAL_NO_COL, EVAL_NO_COL, 0},
	                                 {1, EVAL_NO_COL, EVAL_NO_COL, 0}};
	struct eval_chart c = {
	    .title = "Shannon entropy per window (seed 001, eq. 1 and 2)",
	    .xlabel = x_unit_ns(m) > 3.6e12 ? "days since the first window"
	                                    : "hours since the first window",
	    .ylabel = "bits",
	    .ymin = 0.0,
	    .ymax = NAN,
	    .series = s,
	    .nseries = 2,
	    .marks = marks,
	    .nmarks = m->npeaks,
	    .no_points = rows > 48,
	};
	dh_buf_init(&svg);
	rc = eval_chart_svg(&t, &c, &svg);
	if (rc == 0)
		figure(
		    out, "chart-entropy", &svg,
		    "H = -sum P(i) log2 P(i) over the sources and over the names of each window; "
		    "red rings are the peaks found against the rolling baseline, numbered as in "
		    "the table.");
	dh_buf_release(&svg);
	free(marks);
	free(labels);
	eval_table_release(&t);
	if (m->npeaks == 0) {
		empty(out, "No entropy peaks.");
	} else {
		dh_buf_adds(out, "<table id=\"peaks\">\n<tr><th class=\"n\">#</th><th>window</th>"
		                 "<th>curve</th><th class=\"n\">bits</th><th class=\"n\">baseline"
		                 "</th><th>top names</th><th>top sources</th></tr>\n");
		for (size_t i = 0; i < m->npeaks; i++) {
			const struct report_peak *p = &m->peaks[i];
			dh_buf_addf(out, "<tr><td class=\"n\">%zu</td><td>", i + 1);
			add_time(out, p->start_ns);
			dh_buf_addf(out,
			            "</td><td>%s</td><td class=\"n\">%.2f</td><td "
			            "class=\"n\">%.2f &#177; %.2f</td><td>",
			            p->which ? "names" : "sources", p->value, p->mean, p->sd);
			count_list(out, p->names,
			           p->nnames < REPORT_PEAK_TOP ? p->nnames : REPORT_PEAK_TOP);
			dh_buf_adds(out, "</td><td>");
			count_list(out, p->sources,
			           p->nsources < REPORT_PEAK_TOP ? p->nsources : REPORT_PEAK_TOP);
			dh_buf_adds(out, "</td></tr>\n");
		}
		dh_buf_adds(out, "</table>\n");
	}
	dh_buf_adds(out, "</section>\n");
	return rc;
}

static int talkers(const struct report_model *m, struct dh_buf *out)
{
	char addrs[TOP_ROWS][DH_ADDR_TEXT_MAX];
	const char *labels[TOP_ROWS];
	double values[TOP_ROWS];
	struct dh_buf svg;
	int rc = 0;
	size_t n = m->ntop < TOP_ROWS ? m->ntop : TOP_ROWS;

	dh_buf_adds(out, "<section id=\"talkers\">\n<h2>Top talkers</h2>\n");
	if (n == 0) {
		empty(out, "No clients.");
		dh_buf_adds(out, "</section>\n");
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		dh_addr_format(&m->top[i].addr, addrs[i], sizeof(addrs[i]));
		labels[i] = addrs[i];
		values[i] = (double)m->top[i].queries;
	}
	dh_buf_init(&svg);
	rc =
	    eval_chart_bars_svg("Queries per client over the whole input", labels, values, n, &svg);
	if (rc == 0)
		figure(out, "chart-talkers", &svg,
		       "Seed 001's top access clients (dnstop's view, from the events).");
	dh_buf_release(&svg);
	dh_buf_adds(out, "<table id=\"talkers-table\">\n<tr><th>client</th><th class=\"n\">"
	                 "queries</th>");
	for (unsigned q = 0; q < m->nqt; q++) {
		dh_buf_adds(out, "<th class=\"n\">");
		esc(out, m->qt_names[q] ? m->qt_names[q] : "?");
		dh_buf_adds(out, "</th>");
	}
	dh_buf_adds(out, "<th class=\"n\">NXDOMAIN</th><th class=\"n\">names</th><th class=\"n\">"
	                 "keyword A</th><th class=\"n\">IP-literal A</th><th>where</th></tr>\n");
	for (size_t i = 0; i < n; i++) {
		const struct report_talker *t = &m->top[i];
		dh_buf_adds(out, "<tr><td>");
		esc(out, addrs[i]);
		dh_buf_addf(out, "</td><td class=\"n\">%llu", (unsigned long long)t->queries);
		if (t->err)
			dh_buf_addf(out, " (&#177;%llu)", (unsigned long long)t->err);
		dh_buf_adds(out, "</td>");
		for (unsigned q = 0; q < m->nqt; q++)
			dh_buf_addf(out, "<td class=\"n\">%llu</td>", (unsigned long long)t->qt[q]);
		dh_buf_addf(out,
		            "<td class=\"n\">%llu</td><td class=\"n\">%llu</td><td class=\"n\">%llu"
		            "</td><td class=\"n\">%llu</td><td>%s</td></tr>\n",
		            (unsigned long long)t->nxdomain, (unsigned long long)t->distinct_names,
		            (unsigned long long)t->a_keyword, (unsigned long long)t->a_ip_literal,
		            t->inside ? "inside" : "outside");
	}
	dh_buf_adds(out, "</table>\n</section>\n");
	return rc;
}

/* Highest level first, then highest score, then host text: the order a
 * reader acts in. */
static int finding_cmp(const void *x, const void *y)
{
	const struct store_finding *a = *(const struct store_finding *const *)x;
	const struct store_finding *b = *(const struct store_finding *const *)y;

	if (a->level != b->level)
		return a->level > b->level ? -1 : 1;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	if (a->window_start_ns != b->window_start_ns)
		return a->window_start_ns < b->window_start_ns ? -1 : 1;
	return memcmp(&a->host, &b->host, sizeof(a->host));
}

static int findings(const struct report_model *m, struct dh_buf *out)
{
	dh_buf_adds(out, "<section id=\"findings\">\n<h2>Findings</h2>\n");
	if (m->nfindings == 0) {
		empty(out, "No findings.");
		dh_buf_adds(out, "</section>\n");
		return 0;
	}
	const struct store_finding **order = malloc(m->nfindings * sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < m->nfindings; i++)
		order[i] = &m->findings[i];
	qsort(order, m->nfindings, sizeof(*order), finding_cmp);
	unsigned per[4] = {0};
	for (size_t i = 0; i < m->nfindings; i++)
		per[order[i]->level < 4 ? order[i]->level : 0]++;
	dh_buf_addf(out, "<p>%u emergency, %u warning, %u candidate.</p>\n", per[3], per[2],
	            per[1]);
	dh_buf_adds(out, "<table id=\"findings-table\">\n<tr><th>host</th><th>level</th>"
	                 "<th>kind</th><th>window (UTC)</th><th class=\"n\">score</th>"
	                 "<th>evidence</th></tr>\n");
	size_t n = m->nfindings < FINDINGS_ROWS ? m->nfindings : FINDINGS_ROWS;
	for (size_t i = 0; i < n; i++) {
		const struct store_finding *f = order[i];
		const char *lvl = store_level_name(f->level);
		dh_buf_adds(out, "<tr class=\"lvl-");
		esc(out, lvl);
		dh_buf_adds(out, "\"><td>");
		add_addr(out, &f->host);
		dh_buf_adds(out, "</td><td>");
		esc(out, lvl);
		dh_buf_adds(out, "</td><td>");
		eval_chart_escape(out, f->kind, strnlen(f->kind, STORE_KIND_MAX));
		dh_buf_adds(out, "</td><td>");
		add_time(out, f->window_start_ns);
		dh_buf_adds(out, " &#8211; ");
		add_time(out, f->window_end_ns);
		dh_buf_addf(out, "</td><td class=\"n\">%.6g</td><td><code>", f->score);
		esc(out, f->evidence ? f->evidence : "{}");
		dh_buf_adds(out, "</code></td></tr>\n");
	}
	dh_buf_adds(out, "</table>\n");
	if (n < m->nfindings)
		dh_buf_addf(out, "<p>%zu more not shown; dnshound findings lists them all.</p>\n",
		            m->nfindings - n);
	free(order);
	dh_buf_adds(out, "</section>\n");
	return 0;
}

static void keywords(const struct report_model *m, struct dh_buf *out)
{
	dh_buf_adds(out, "<section id=\"keywords\">\n<h2>Keywords in A queries</h2>\n");
	if (m->nkeywords == 0) {
		empty(out, "No keyword counts.");
	} else {
		dh_buf_adds(out, "<table id=\"keywords-table\">\n<tr><th>keyword</th>"
		                 "<th class=\"n\">A queries headed by it</th></tr>\n");
		for (size_t i = 0; i < m->nkeywords; i++) {
			dh_buf_adds(out, "<tr><td><code>");
			esc(out, m->keywords[i].name);
			dh_buf_addf(out, "</code></td><td class=\"n\">%llu</td></tr>\n",
			            (unsigned long long)m->keywords[i].count);
		}
		dh_buf_adds(out, "</table>\n");
		dh_buf_addf(out,
		            "<p>Correlation between all A queries and keyword-headed A queries per "
		            "window (seed 001: strong for mass mailers): r = %.3f.</p>\n",
		            m->keyword_corr);
	}
	dh_buf_adds(out, "</section>\n");
}

static void headwords(const struct report_model *m, struct dh_buf *out)
{
	size_t rows = 0;

	dh_buf_adds(out, "<section id=\"headwords\">\n<h2>Head words of A-query names</h2>\n");
	for (int i = 0; i < 5; i++)
		if (m->nhead[i] > rows)
			rows = m->nhead[i];
	if (rows == 0) {
		empty(out, "No A queries.");
		dh_buf_adds(out, "</section>\n");
		return;
	}
	if (rows > HEAD_ROWS)
		rows = HEAD_ROWS;
	dh_buf_adds(out, "<p>Seed 001's five-column table: the most common first 1 to 5 "
	                 "characters of the names.</p>\n<table id=\"headwords-table\">\n<tr>");
	for (int i = 0; i < 5; i++)
		dh_buf_addf(out, "<th>%d</th><th class=\"n\">count</th>", i + 1);
	dh_buf_adds(out, "</tr>\n");
	for (size_t r = 0; r < rows; r++) {
		dh_buf_adds(out, "<tr>");
		for (int i = 0; i < 5; i++) {
			if (r >= m->nhead[i]) {
				dh_buf_adds(out, "<td></td><td></td>");
				continue;
			}
			dh_buf_adds(out, "<td><code>");
			esc(out, m->head[i][r].name);
			dh_buf_addf(out, "</code></td><td class=\"n\">%llu</td>",
			            (unsigned long long)m->head[i][r].count);
		}
		dh_buf_adds(out, "</tr>\n");
	}
	dh_buf_adds(out, "</table>\n</section>\n");
}

/* Seed 000 Fig. 4: host port, the host's four octets, the server's four
 * octets, server port. An IPv6 address shows its last four octets (the
 * interface identifier's end), which is what tells hosts of one network
 * apart. */
static int flows(const struct report_model *m, struct dh_buf *out)
{
	static const char *const names[10] = {"host port", "host 1",     "host 2",   "host 3",
	                                      "host 4",    "server 1",   "server 2", "server 3",
	                                      "server 4",  "server port"};
	double lo[10], hi[10];
	struct eval_table t;
	struct dh_buf svg;
	char host[DH_ADDR_TEXT_MAX];
	int rc;

	dh_buf_adds(out, "<section id=\"flows\">\n<h2>DNS traffic of one host</h2>\n");
	if (m->flow_host.family == DH_AF_NONE || m->nflows == 0) {
		empty(out, "No host chosen, or no queries from it.");
		dh_buf_adds(out, "</section>\n");
		return 0;
	}
	dh_addr_format(&m->flow_host, host, sizeof(host));
	rc = eval_table_init(&t, "queries", 10, m->nflows);
	if (rc != 0)
		return rc;
	for (int c = 0; c < 10; c++) {
		eval_table_set_name(&t, (size_t)c, names[c]);
		lo[c] = 0;
		hi[c] = c == 0 || c == 9 ? 65535 : 255;
	}
	int off = m->flow_host.family == DH_AF_INET6 ? 12 : 0;
	for (size_t r = 0; r < m->nflows; r++) {
		const struct report_flow *f = &m->flows[r];
		int soff = f->server.family == DH_AF_INET6 ? 12 : 0;
		t.x[r] = (double)f->count;
		*eval_table_at(&t, r, 0) = f->host_port;
		for (int k = 0; k < 4; k++) {
			*eval_table_at(&t, r, 1 + (size_t)k) = m->flow_host.a[off + k];
			*eval_table_at(&t, r, 5 + (size_t)k) = f->server.a[soff + k];
		}
		*eval_table_at(&t, r, 9) = f->server_port;
	}
	char title[DH_ADDR_TEXT_MAX + 16];
	snprintf(title, sizeof(title), "Queries of %s", host);
	dh_buf_init(&svg);
	rc = eval_chart_parallel_svg(&t, title, lo, hi, &svg);
	if (rc == 0) {
		dh_buf_addf(out, "<p>%zu distinct lines (port, server, server port) from ",
		            m->nflows);
		esc(out, host);
		if (m->flows_dropped)
			dh_buf_addf(out, "; %llu queries on further lines not drawn",
			            (unsigned long long)m->flows_dropped);
		dh_buf_adds(out, ".</p>\n");
		figure(out, "chart-flows", &svg,
		       "Seed 000 Fig. 4: one line per query pattern across host port, the four "
		       "octets of the host's address, the four of the server's and the server "
		       "port (IPv6: the last four octets). A bot acting as its own resolver fans "
		       "out to many servers on the right.");
	}
	dh_buf_release(&svg);
	eval_table_release(&t);
	dh_buf_adds(out, "</section>\n");
	return rc;
}

int report_html(const struct report_model *m, struct dh_buf *out)
{
	int rc;

	head(m, out);
	if (!m->have_stats)
		empty(out, "The statistics were not computed for this report.");
	if ((rc = traffic(m, out)) != 0 || (rc = entropy(m, out)) != 0 ||
	    (rc = talkers(m, out)) != 0 || (rc = findings(m, out)) != 0)
		return rc;
	keywords(m, out);
	headwords(m, out);
	if ((rc = flows(m, out)) != 0)
		return rc;
	dh_buf_adds(out, "<p class=\"meta\">Written by dnshound; charts drawn as inline SVG, "
	                 "no script, nothing fetched.</p>\n</body>\n</html>\n");
	return out->err;
}
