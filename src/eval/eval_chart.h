/*
 * eval_chart.h - line charts of an eval_table as standalone SVG text.
 *
 * Drawn by hand rather than through a plotting library so that the
 * evaluation layer needs nothing beyond libc and the output is byte for
 * byte reproducible: the same table gives the same file, which lets the
 * charts under doc/ be regenerated and compared.
 */
#ifndef DH_EVAL_CHART_H
#define DH_EVAL_CHART_H

#include <stddef.h>

#include "eval/eval_table.h"
#include "util/buf.h"

/* Marks an unused column index. */
#define EVAL_NO_COL ((size_t)-1)
/* Most series one chart draws (the palette's size). */
#define EVAL_CHART_MAX_SERIES 8

/* One line: the value column and, optionally, the columns of its
 * confidence interval, drawn as error bars. */
struct eval_chart_series {
	size_t col;
	size_t lo_col; /* EVAL_NO_COL for none */
	size_t hi_col; /* EVAL_NO_COL for none */
	int dashed;    /* drawn dashed: closed-form reference lines */
};

/* A marked point: a ring around series' value at the row whose x is x,
 * with a short label beside it (seed 001's entropy peaks). */
struct eval_chart_mark {
	double x;
	size_t series;     /* index into the chart's series */
	const char *label; /* borrowed; escaped when drawn; may be NULL */
};

struct eval_chart {
	const char *title;  /* borrowed; may be NULL */
	const char *xlabel; /* borrowed; NULL uses the table's x name */
	const char *ylabel; /* borrowed; may be NULL */
	int logx;           /* logarithmic axes; values <= 0 sit on the axis */
	int logy;
	double ymin;                            /* NAN: from the data (0 for linear axes) */
	double ymax;                            /* NAN: from the data */
	const struct eval_chart_series *series; /* borrowed */
	size_t nseries;
	const struct eval_chart_mark *marks; /* borrowed; may be NULL */
	size_t nmarks;
	int no_points;        /* lines only: long series (a week of hours) */
	const char *x0_label; /* borrowed; when set, replaces the first x tick */
};

/* Appends an SVG 1.1 document (one <polyline> per series, a legend, axes
 * with ticks and labels) to out. Returns 0, DH_EUSAGE (NULL arguments, no
 * series or more than EVAL_CHART_MAX_SERIES, a column out of range) or
 * the buffer's error. */
int eval_chart_svg(const struct eval_table *t, const struct eval_chart *c, struct dh_buf *out);

/*
 * Appends s (n octets) as text safe inside XML and HTML elements and
 * attribute values: &, <, >, " and ' as character references, and every
 * octet outside printable ASCII as the four characters \xNN, so that
 * control bytes and broken UTF-8 from the wire are shown, never
 * interpreted.
 */
void eval_chart_escape(struct dh_buf *out, const char *s, size_t n);

/* A horizontal bar chart: n bars (at most EVAL_BARS_MAX) of values with
 * their labels (borrowed, escaped when drawn), longest bar for the
 * largest value. Returns 0, DH_EUSAGE (NULL arguments, n == 0 or too
 * many) or the buffer's error. */
#define EVAL_BARS_MAX 64
int eval_chart_bars_svg(const char *title, const char *const *labels, const double *values,
                        size_t n, struct dh_buf *out);

/*
 * A parallel-coordinates chart (seed 000, Fig. 4): every column of t is a
 * vertical axis from lo[c] to hi[c] (borrowed, t->ncols values each),
 * named by its column name; every row is one line across the axes. The
 * row's x value is its weight: heavier rows are drawn darker. Returns 0,
 * DH_EUSAGE (NULL arguments, fewer than two columns, an empty range) or
 * the buffer's error. A table of no rows draws the axes alone.
 */
int eval_chart_parallel_svg(const struct eval_table *t, const char *title, const double *lo,
                            const double *hi, struct dh_buf *out);

#endif
