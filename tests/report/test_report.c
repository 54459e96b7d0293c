/*
 * test_report.c - the HTML report: every section and chart from a small
 * model, hostile names (quotes, angle brackets, ampersands, control
 * bytes, broken UTF-8) shown as text and never as markup, merged
 * findings, the flow table's cap, and an empty model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "report/report.h"
#include "util/buf.h"
#include "util/err.h"

#define SEC  1000000000LL
#define HOUR (3600 * SEC)
#define T0   (1795305600LL * SEC)

static const char hostile[] = "<b>\"x&y'\x07\x1b[31m\xff</b>";
/* What eval_chart_escape() makes of it. */
static const char hostile_esc[] = "&lt;b&gt;&quot;x&amp;y&#39;\\x07\\x1b[31m\\xff&lt;/b&gt;";

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void fill(struct report_model *m)
{
	static const char *const qt[] = {"A", "AAAA", "PTR", "MX", "TXT", "SOA", "ANY", "other"};
	struct report_count c;

	report_model_init(m);
	m->title = hostile;
	m->source = "store <x>";
	m->events = 1000;
	m->first_ns = T0;
	m->last_ns = T0 + 24 * HOUR;
	m->nqt = 8;
	for (int i = 0; i < 8; i++)
		m->qt_names[i] = qt[i];
	for (int h = 0; h < 24; h++) {
		struct report_window w;
		memset(&w, 0, sizeof(w));
		w.start_ns = T0 + h * HOUR;
		w.end_ns = w.start_ns + HOUR;
		for (int q = 0; q < 8; q++)
			w.qt[q] = (uint64_t)(100 * (8 - q) + h);
		w.h_src = 5.0 + (h == 12 ? 3 : 0);
		w.h_name = 9.0;
		w.peak_src = h == 12;
		assert_int_equal(report_add_window(m, &w), 0);
	}
	struct report_peak p;
	memset(&p, 0, sizeof(p));
	p.start_ns = T0 + 12 * HOUR;
	p.end_ns = p.start_ns + HOUR;
	p.value = 8.0;
	p.mean = 5.0;
	p.sd = 0.1;
	p.nnames = 1;
	snprintf(p.names[0].name, sizeof(p.names[0].name), "%s", hostile);
	p.names[0].count = 77;
	assert_int_equal(report_add_peak(m, &p), 0);
	struct report_talker t;
	memset(&t, 0, sizeof(t));
	dh_addr_parse(&t.addr, "192.0.2.10");
	t.queries = 5000;
	assert_int_equal(report_add_talker(m, &t), 0);
	dh_addr_parse(&t.addr, "2001:db8::10");
	t.queries = 2500;
	assert_int_equal(report_add_talker(m, &t), 0);
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "mx");
	c.count = 300;
	assert_int_equal(report_add_keyword(m, &c), 0);
	for (unsigned len = 1; len <= 5; len++) {
		snprintf(c.name, sizeof(c.name), "%.*s", (int)len, hostile);
		c.count = 10 * len;
		assert_int_equal(report_add_headword(m, len, &c), 0);
	}
	assert_int_equal(report_add_headword(m, 6, &c), 0); /* ignored */
	m->have_stats = 1;
	struct store_finding f;
	memset(&f, 0, sizeof(f));
	dh_addr_parse(&f.host, "192.0.2.10");
	f.level = STORE_LEVEL_WARNING;
	snprintf(f.kind, sizeof(f.kind), "<i>kind</i>");
	f.window_start_ns = T0;
	f.window_end_ns = T0 + 24 * HOUR;
	f.score = 6000;
	f.evidence = "{\"names\":[\"<script>alert(1)</script>\"]}";
	assert_int_equal(report_add_finding(m, &f), 0);
	/* The same host, kind and window at a higher level replaces it. */
	f.level = STORE_LEVEL_EMERGENCY;
	f.score = 12000;
	f.evidence = "{\"names\":[\"<script>alert(2)</script>\"]}";
	assert_int_equal(report_add_finding(m, &f), 0);
	/* A lower one changes nothing. */
	f.level = STORE_LEVEL_CANDIDATE;
	f.evidence = "{}";
	assert_int_equal(report_add_finding(m, &f), 0);
	assert_int_equal(m->nfindings, 1);
	dh_addr_parse(&m->flow_host, "192.0.2.10");
	struct dh_addr srv;
	dh_addr_parse(&srv, "198.51.100.1");
	for (int i = 0; i < 50; i++)
		assert_int_equal(report_add_flow(m, (uint16_t)(40000 + i % 10), &srv, 53), 0);
	assert_int_equal(m->nflows, 10);
	assert_int_equal(m->flows[3].count, 5);
}

static void test_full(void **state)
{
	struct report_model m;
	struct dh_buf b;

	(void)state;
	fill(&m);
	dh_buf_init(&b);
	assert_int_equal(report_html(&m, &b), 0);
	dh_buf_addc(&b, '\0');
	const char *h = b.data;
	/* Self-contained: no script, nothing fetched, a policy that forbids it. */
	assert_non_null(strstr(h, "default-src 'none'"));
	assert_null(strstr(h, "<script"));
	assert_null(strstr(h, "src=\"http"));
	/* The only markup is ours: the hostile text appears escaped in the
	 * title (twice), the peak table, and no raw '<b>' anywhere. */
	assert_null(strstr(h, "<b>"));
	assert_null(strstr(h, "<i>"));
	assert_true(count(h, hostile_esc) >= 3);
	assert_non_null(strstr(h, "&lt;script&gt;alert(2)&lt;/script&gt;"));
	assert_null(strstr(h, "alert(1)"));
	assert_non_null(strstr(h, "&lt;i&gt;kind&lt;/i&gt;"));
	for (const char *p = h; *p; p++)
		assert_true(*p == '\n' || ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f));
	/* Every chart with its elements. */
	assert_int_equal(count(h, "<figure class=\"chart\""), 4);
	assert_non_null(strstr(h, "id=\"chart-traffic\""));
	assert_int_equal(count(h, "class=\"series\""), 8 + 2);
	assert_int_equal(count(h, "class=\"mark\""), 1);
	assert_int_equal(count(h, "class=\"bar\""), 2);
	assert_int_equal(count(h, "class=\"pc\""), 10);
	assert_int_equal(count(h, "class=\"lvl-emergency\""), 1);
	assert_non_null(strstr(h, "<table id=\"headwords-table\">"));
	dh_buf_release(&b);
	report_model_release(&m);
}

static void test_empty_and_caps(void **state)
{
	struct report_model m;
	struct dh_buf b;
	struct dh_addr srv;

	(void)state;
	report_model_init(&m);
	dh_buf_init(&b);
	assert_int_equal(report_html(&m, &b), 0);
	dh_buf_addc(&b, '\0');
	assert_int_equal(count(b.data, "<figure"), 0);
	assert_int_equal(count(b.data, "class=\"empty\""), 8);
	assert_non_null(strstr(b.data, "</html>\n"));
	/* Distinct lines stop at the cap; the rest are counted. */
	dh_addr_parse(&m.flow_host, "192.0.2.1");
	dh_addr_parse(&srv, "2001:db8::53");
	for (unsigned i = 0; i < REPORT_FLOWS_MAX + 100; i++) {
		srv.a[14] = (uint8_t)(i >> 8);
		srv.a[15] = (uint8_t)i;
		assert_int_equal(report_add_flow(&m, (uint16_t)i, &srv, 53), 0);
	}
	assert_int_equal(m.nflows, REPORT_FLOWS_MAX);
	assert_int_equal(m.flows_dropped, 100);
	b.len = 0;
	assert_int_equal(report_html(&m, &b), 0);
	dh_buf_addc(&b, '\0');
	assert_int_equal(count(b.data, "class=\"pc\""), REPORT_FLOWS_MAX);
	assert_non_null(strstr(b.data, "100 queries on further lines not drawn"));
	dh_buf_release(&b);
	report_model_release(&m);
	report_model_release(&m); /* released twice is fine */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full),
	    cmocka_unit_test(test_empty_and_caps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
