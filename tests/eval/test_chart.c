/*
 * test_chart.c - the SVG line chart: well-formed XML, one polyline per
 * series, escaped text, refused arguments.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "eval/eval_chart.h"
#include "eval/eval_model.h"
#include "util/buf.h"
#include "util/err.h"

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/*
 * A small XML well-formedness check, enough for what the chart writes:
 * every element closed in order, attributes quoted, no stray '<' or '&'
 * in text. Returns 1 when well-formed.
 */
static int well_formed(const char *s)
{
	char stack[32][32];
	int depth = 0;
	int roots = 0;

	while (*s != '\0') {
		if (*s == '&') {
			const char *semi = strchr(s, ';');
			if (semi == NULL || semi - s > 6)
				return 0;
			s = semi + 1;
			continue;
		}
		if (*s != '<') {
			s++;
			continue;
		}
		int closing = s[1] == '/';
		const char *name = s + 1 + closing;
		size_t len = strcspn(name, " \t\n/>");
		if (len == 0 || len >= 32)
			return 0;
		const char *p = name + len;
		char quote = 0;
		while (*p != '\0' && (quote != 0 || *p != '>')) {
			if (quote == 0 && (*p == '"' || *p == '\''))
				quote = *p;
			else if (quote != 0 && *p == quote)
				quote = 0;
			else if (quote == 0 && *p == '<')
				return 0;
			p++;
		}
		if (*p != '>')
			return 0;
		int self = p[-1] == '/';
		if (closing) {
			if (depth == 0 || strncmp(stack[depth - 1], name, len) != 0 ||
			    stack[depth - 1][len] != '\0')
				return 0;
			depth--;
		} else if (!self) {
			if (depth == 0)
				roots++;
			if (depth == 32)
				return 0;
			memcpy(stack[depth], name, len);
			stack[depth][len] = '\0';
			depth++;
		}
		s = p + 1;
	}
	return depth == 0 && roots == 1;
}

static void test_checker_itself(void **state)
{
	(void)state;
	assert_true(well_formed("<svg><g a=\"x>y\"/><text>a &amp; b</text></svg>"));
	assert_false(well_formed("<svg><g></svg>"));
	assert_false(well_formed("<svg><text>a & b</text></svg>"));
	assert_false(well_formed("<svg></svg><svg></svg>"));
}

static void test_refused(void **state)
{
	struct eval_table t;
	struct dh_buf b;
	double q[] = {0.55};
	struct eval_chart_series s = {0, EVAL_NO_COL, EVAL_NO_COL, 0};
	struct eval_chart c = {.ymin = NAN, .ymax = NAN, .series = &s, .nseries = 1};
	struct eval_chart_series many[EVAL_CHART_MAX_SERIES + 1];

	(void)state;
	dh_buf_init(&b);
	assert_int_equal(eval_fig13_table(0.9, q, 1, 5, &t), 0);
	assert_int_equal(eval_chart_svg(NULL, &c, &b), DH_EUSAGE);
	assert_int_equal(eval_chart_svg(&t, NULL, &b), DH_EUSAGE);
	assert_int_equal(eval_chart_svg(&t, &c, NULL), DH_EUSAGE);
	c.nseries = 0;
	assert_int_equal(eval_chart_svg(&t, &c, &b), DH_EUSAGE);
	c.nseries = 1;
	s.col = 2; /* the table has columns 0 and 1 */
	assert_int_equal(eval_chart_svg(&t, &c, &b), DH_EUSAGE);
	s.col = 0;
	s.lo_col = 5;
	assert_int_equal(eval_chart_svg(&t, &c, &b), DH_EUSAGE);
	for (size_t i = 0; i <= EVAL_CHART_MAX_SERIES; i++)
		many[i] = (struct eval_chart_series){0, EVAL_NO_COL, EVAL_NO_COL, 0};
	c.series = many;
	c.nseries = EVAL_CHART_MAX_SERIES + 1;
	assert_int_equal(eval_chart_svg(&t, &c, &b), DH_EUSAGE);
	/* The maximum number of series is drawn. */
	c.nseries = EVAL_CHART_MAX_SERIES;
	assert_int_equal(eval_chart_svg(&t, &c, &b), 0);
	dh_buf_addc(&b, '\0');
	assert_int_equal(count(b.data, "<polyline"), EVAL_CHART_MAX_SERIES);
	assert_true(well_formed(b.data));
	assert_int_equal(b.len, strlen(b.data) + 1);
	eval_table_release(&t);
	dh_buf_release(&b);
}

static void test_fig13_chart(void **state)
{
	struct eval_table t;
	struct dh_buf b;
	double q[] = {0.55, 1.0};
	struct eval_chart_series s[3];

	(void)state;
	dh_buf_init(&b);
	assert_int_equal(eval_fig13_table(0.9, q, 2, 30, &t), 0);
	for (size_t i = 0; i < 3; i++)
		s[i] = (struct eval_chart_series){i, EVAL_NO_COL, EVAL_NO_COL, 0};
	struct eval_chart c = {
	    .title = "Fig. 13 <p & q>",
	    .xlabel = "hops",
	    .ylabel = "success",
	    .ymin = 0.0,
	    .ymax = 1.0,
	    .series = s,
	    .nseries = 3,
	};
	assert_int_equal(eval_chart_svg(&t, &c, &b), 0);
	dh_buf_addc(&b, '\0');
	assert_true(strncmp(b.data, "<svg ", 5) == 0);
	assert_non_null(strstr(b.data, "xmlns=\"http://www.w3.org/2000/svg\""));
	assert_true(strcmp(b.data + strlen(b.data) - 7, "</svg>\n") == 0);
	assert_true(well_formed(b.data));
	/* One line per series, and the legend names each. */
	assert_int_equal(count(b.data, "<polyline"), 3);
	assert_non_null(strstr(b.data, ">conventional</text>"));
	assert_non_null(strstr(b.data, ">dns_q0.55</text>"));
	assert_non_null(strstr(b.data, ">dns_q1.00</text>"));
	/* Text is escaped. */
	assert_non_null(strstr(b.data, "Fig. 13 &lt;p &amp; q&gt;"));
	/* 30 points per line. */
	const char *pts = strstr(b.data, "points=\"");
	assert_non_null(pts);
	size_t commas = 0;
	for (const char *p = pts + 8; *p != '"'; p++)
		commas += *p == ',';
	assert_int_equal(commas, 30);
	/* Ticks 0 to 1 on y and at multiples of 5 on x. */
	assert_non_null(strstr(b.data, ">0.2</text>"));
	assert_non_null(strstr(b.data, ">25</text>"));

	/* The same table gives the same bytes. */
	struct dh_buf b2;
	dh_buf_init(&b2);
	assert_int_equal(eval_chart_svg(&t, &c, &b2), 0);
	dh_buf_addc(&b2, '\0');
	assert_int_equal(b.len, b2.len);
	assert_memory_equal(b.data, b2.data, b.len);
	dh_buf_release(&b2);
	eval_table_release(&t);
	dh_buf_release(&b);
}

static void test_log_axes_and_bars(void **state)
{
	struct eval_table t;
	struct dh_buf b;

	(void)state;
	dh_buf_init(&b);
	assert_int_equal(eval_table_init(&t, "window", 3, 4), 0);
	const double xs[] = {5, 60, 600, 7200};
	for (size_t r = 0; r < 4; r++) {
		t.x[r] = xs[r];
		*eval_table_at(&t, r, 0) = r == 0 ? 0.0 : 10.0 * (double)r; /* 0 on a log axis */
		*eval_table_at(&t, r, 1) = 10.0 * (double)r * 0.9;
		*eval_table_at(&t, r, 2) = 10.0 * (double)r * 1.1 + 1.0;
	}
	eval_table_set_name(&t, 0, "fp");
	struct eval_chart_series s = {0, 1, 2, 0};
	struct eval_chart c = {
	    .logx = 1, .logy = 1, .ymin = NAN, .ymax = NAN, .series = &s, .nseries = 1};
	assert_int_equal(eval_chart_svg(&t, &c, &b), 0);
	dh_buf_addc(&b, '\0');
	assert_true(well_formed(b.data));
	assert_int_equal(count(b.data, "<polyline"), 1);
	/* One error bar per point, decade ticks on x. */
	assert_int_equal(count(b.data, "class=\"ci\""), 4);
	assert_non_null(strstr(b.data, ">1000</text>"));
	assert_null(strstr(b.data, "nan"));
	assert_null(strstr(b.data, "inf"));
	eval_table_release(&t);
	dh_buf_release(&b);
}

/* Text from the wire: markup and control bytes come out as text. */
static void test_escape(void **state)
{
	struct dh_buf b;
	static const char hostile[] = "<script>\"a&b'\r\n\x01\xff";

	(void)state;
	dh_buf_init(&b);
	eval_chart_escape(&b, hostile, sizeof(hostile) - 1);
	dh_buf_addc(&b, '\0');
	assert_string_equal(b.data, "&lt;script&gt;&quot;a&amp;b&#39;\\x0d\\x0a\\x01\\xff");
	dh_buf_release(&b);
}

static void test_marks_bars_parallel(void **state)
{
	struct eval_table t;
	struct dh_buf b;
	struct eval_chart_series s = {0, EVAL_NO_COL, EVAL_NO_COL, 0};
	struct eval_chart_mark mk[2] = {{2.0, 0, "<peak>"}, {9.0, 0, "no such row"}};
	struct eval_chart c = {.ymin = NAN,
	                       .ymax = NAN,
	                       .series = &s,
	                       .nseries = 1,
	                       .marks = mk,
	                       .nmarks = 2,
	                       .no_points = 1,
	                       .x0_label = "00:00"};

	(void)state;
	dh_buf_init(&b);
	assert_int_equal(eval_table_init(&t, "x", 2, 4), 0);
	assert_int_equal(eval_table_set_name(&t, 0, "a"), 0);
	assert_int_equal(eval_table_set_name(&t, 1, "b"), 0);
	for (size_t r = 0; r < 4; r++) {
		t.x[r] = (double)r;
		*eval_table_at(&t, r, 0) = (double)(r * r);
		*eval_table_at(&t, r, 1) = 255.0 - (double)r;
	}
	assert_int_equal(eval_chart_svg(&t, &c, &b), 0);
	dh_buf_addc(&b, '\0');
	assert_true(well_formed(b.data));
	assert_int_equal(count(b.data, "class=\"mark\""), 1);
	assert_non_null(strstr(b.data, "&lt;peak&gt;"));
	assert_non_null(strstr(b.data, ">00:00</text>"));
	assert_int_equal(count(b.data, "<circle"), 1); /* the mark only */

	b.len = 0;
	const char *labels[] = {"192.0.2.1", "<b>"};
	double values[] = {10, 5};
	assert_int_equal(eval_chart_bars_svg("top", labels, values, 2, &b), 0);
	dh_buf_addc(&b, '\0');
	assert_true(well_formed(b.data));
	assert_int_equal(count(b.data, "class=\"bar\""), 2);
	assert_non_null(strstr(b.data, "width=\"360.0\""));
	assert_non_null(strstr(b.data, "width=\"180.0\""));
	assert_int_equal(eval_chart_bars_svg("top", labels, values, 0, &b), DH_EUSAGE);

	b.len = 0;
	double lo[2] = {0, 0}, hi[2] = {255, 255};
	assert_int_equal(eval_chart_parallel_svg(&t, "pc", lo, hi, &b), 0);
	dh_buf_addc(&b, '\0');
	assert_true(well_formed(b.data));
	assert_int_equal(count(b.data, "class=\"pc\""), 4);
	assert_int_equal(count(b.data, "class=\"axis\""), 2);
	hi[1] = 0;
	assert_int_equal(eval_chart_parallel_svg(&t, "pc", lo, hi, &b), DH_EUSAGE);
	eval_table_release(&t);
	dh_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_checker_itself), cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_fig13_chart),    cmocka_unit_test(test_log_axes_and_bars),
	    cmocka_unit_test(test_escape),         cmocka_unit_test(test_marks_bars_parallel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
