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
};

/* Appends an SVG 1.1 document (one <polyline> per series, a legend, axes
 * with ticks and labels) to out. Returns 0, DH_EUSAGE (NULL arguments, no
 * series or more than EVAL_CHART_MAX_SERIES, a column out of range) or
 * the buffer's error. */
int eval_chart_svg(const struct eval_table *t, const struct eval_chart *c, struct dh_buf *out);

#endif
