/*
 * eval_chart.c - SVG line charts.
 */
#include "eval/eval_chart.h"

#include <math.h>
#include <string.h>

#include "util/err.h"

/* Canvas and plot area in SVG user units (pixels when rendered 1:1). The
 * right margin holds the legend. */
enum {
	CHART_W = 760,
	CHART_H = 460,
	PLOT_L = 80,
	PLOT_T = 50,
	PLOT_R = 560,
	PLOT_B = 390,
};

/* Colour-blind safe palette (Okabe and Ito, 2008). */
static const char *const palette[EVAL_CHART_MAX_SERIES] = {
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442",
};

struct axis {
	double lo;
	double hi;
	int log;
	int pix_lo; /* pixel of lo */
	int pix_hi; /* pixel of hi */
};

static double axis_pos(const struct axis *a, double v)
{
	double f;
	if (a->log) {
		if (!(v > 0.0))
			v = a->lo;
		f = (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo));
	} else {
		f = (v - a->lo) / (a->hi - a->lo);
	}
	if (f < 0.0)
		f = 0.0;
	if (f > 1.0)
		f = 1.0;
	return a->pix_lo + f * (a->pix_hi - a->pix_lo);
}

/* A "nice" step (1, 2 or 5 times a power of ten) giving about five
 * intervals over span. */
static double nice_step(double span)
{
	double raw = span / 5.0;
	double mag = pow(10.0, floor(log10(raw)));
	double f = raw / mag;
	if (f < 1.5)
		return mag;
	if (f < 3.5)
		return 2.0 * mag;
	if (f < 7.5)
		return 5.0 * mag;
	return 10.0 * mag;
}

void eval_chart_escape(struct dh_buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '&':
			dh_buf_adds(out, "&amp;");
			break;
		case '<':
			dh_buf_adds(out, "&lt;");
			break;
		case '>':
			dh_buf_adds(out, "&gt;");
			break;
		case '"':
			dh_buf_adds(out, "&quot;");
			break;
		case '\'':
			dh_buf_adds(out, "&#39;");
			break;
		default:
			if (c < 0x20 || c > 0x7e) {
				char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
				dh_buf_add(out, esc, 4);
			} else {
				dh_buf_addc(out, (char)c);
			}
		}
	}
}

static void add_escaped(struct dh_buf *out, const char *s)
{
	eval_chart_escape(out, s, strlen(s));
}

/* Formats a tick label without trailing zeros: 0.25, 10, 1000000. */
static void add_tick_label(struct dh_buf *out, double v)
{
	if (fabs(v) < 1e-12)
		v = 0.0;
	/* Whole numbers in full up to a billion: 1000000 reads better on an
	 * axis than %g's 1e+06. */
	if (fabs(v) < 1e9 && v == floor(v))
		dh_buf_addf(out, "%.0f", v);
	else
		dh_buf_addf(out, "%g", v);
}

/* Data range of the x values, or of the series columns for y. */
static void data_range(const struct eval_table *t, const struct eval_chart *c, int for_y, int log,
                       double *lo, double *hi)
{
	*lo = INFINITY;
	*hi = -INFINITY;
	for (size_t r = 0; r < t->nrows; r++) {
		if (!for_y) {
			double v = t->x[r];
			if (isfinite(v) && (!log || v > 0.0)) {
				*lo = fmin(*lo, v);
				*hi = fmax(*hi, v);
			}
			continue;
		}
		for (size_t s = 0; s < c->nseries; s++) {
			size_t cols[3] = {c->series[s].col, c->series[s].lo_col,
			                  c->series[s].hi_col};
			for (int k = 0; k < 3; k++) {
				if (cols[k] == EVAL_NO_COL)
					continue;
				double v = eval_table_get(t, r, cols[k]);
				if (isfinite(v) && (!log || v > 0.0)) {
					*lo = fmin(*lo, v);
					*hi = fmax(*hi, v);
				}
			}
		}
	}
	if (!isfinite(*lo)) {
		*lo = log ? 1.0 : 0.0;
		*hi = log ? 10.0 : 1.0;
	}
}

/* Widens [lo, hi] to whole decades (log) or nice steps (linear). */
static void round_range(struct axis *a)
{
	if (a->log) {
		a->lo = pow(10.0, floor(log10(a->lo)));
		a->hi = pow(10.0, ceil(log10(a->hi)));
		if (a->hi <= a->lo)
			a->hi = a->lo * 10.0;
		return;
	}
	if (a->hi <= a->lo)
		a->hi = a->lo + 1.0;
	double step = nice_step(a->hi - a->lo);
	a->lo = floor(a->lo / step + 1e-9) * step;
	a->hi = ceil(a->hi / step - 1e-9) * step;
}

/* Draws the ticks, grid lines and tick labels of one axis; x0_label,
 * when set, names the first tick instead of its number. */
static void draw_ticks(struct dh_buf *out, const struct axis *a, int vertical, const char *x0_label)
{
	double vals[64];
	size_t n = 0;

	if (a->log) {
		for (double v = a->lo; v <= a->hi * 1.0001 && n < 64; v *= 10.0)
			vals[n++] = v;
	} else {
		/* Ticks on whole multiples of the step, so an axis from 1 to
		 * 30 is marked 5, 10, ... rather than 1, 6, ... */
		double step = nice_step(a->hi - a->lo);
		double first = ceil(a->lo / step - 1e-9) * step;
		for (size_t i = 0; n < 64; i++) {
			double v = first + (double)i * step;
			if (v > a->hi + step * 1e-6)
				break;
			vals[n++] = v;
		}
	}
	for (size_t i = 0; i < n; i++) {
		double p = axis_pos(a, vals[i]);
		if (vertical) {
			dh_buf_addf(
			    out,
			    "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n"
			    "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">",
			    PLOT_L, p, PLOT_R, p, PLOT_L - 8, p + 4.0);
		} else {
			dh_buf_addf(
			    out,
			    "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n"
			    "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
			    p, PLOT_T, p, PLOT_B, p, PLOT_B + 18);
		}
		if (i == 0 && x0_label)
			add_escaped(out, x0_label);
		else
			add_tick_label(out, vals[i]);
		dh_buf_adds(out, "</text>\n");
	}
}

static int check_col(const struct eval_table *t, size_t col, int optional)
{
	if (col == EVAL_NO_COL)
		return optional;
	return col < t->ncols;
}

/* Rings around marked points, with their labels. A mark whose x is no
 * row's, or whose series is out of range, is left out. */
static void draw_marks(struct dh_buf *out, const struct eval_table *t, const struct eval_chart *c,
                       const struct axis *ax, const struct axis *ay)
{
	for (size_t m = 0; m < c->nmarks && c->marks; m++) {
		const struct eval_chart_mark *mk = &c->marks[m];
		if (mk->series >= c->nseries)
			continue;
		for (size_t r = 0; r < t->nrows; r++) {
			if (t->x[r] != mk->x)
				continue;
			double v = eval_table_get(t, r, c->series[mk->series].col);
			if (!isfinite(v))
				break;
			double px = axis_pos(ax, mk->x), py = axis_pos(ay, v);
			dh_buf_addf(out,
			            "<circle class=\"mark\" cx=\"%.1f\" cy=\"%.1f\" r=\"7\" "
			            "fill=\"none\" stroke=\"#cc0000\" stroke-width=\"2\"/>\n",
			            px, py);
			if (mk->label) {
				dh_buf_addf(out,
				            "<text class=\"mark-label\" x=\"%.1f\" y=\"%.1f\" "
				            "fill=\"#cc0000\" text-anchor=\"middle\">",
				            px, py - 11.0 < PLOT_T ? py + 22.0 : py - 11.0);
				add_escaped(out, mk->label);
				dh_buf_adds(out, "</text>\n");
			}
			break;
		}
	}
}

int eval_chart_svg(const struct eval_table *t, const struct eval_chart *c, struct dh_buf *out)
{
	struct axis ax = {0};
	struct axis ay = {0};

	if (t == NULL || c == NULL || out == NULL || c->series == NULL || c->nseries == 0 ||
	    c->nseries > EVAL_CHART_MAX_SERIES || t->nrows == 0)
		return DH_EUSAGE;
	for (size_t s = 0; s < c->nseries; s++) {
		const struct eval_chart_series *se = &c->series[s];
		if (!check_col(t, se->col, 0) || !check_col(t, se->lo_col, 1) ||
		    !check_col(t, se->hi_col, 1))
			return DH_EUSAGE;
	}

	ax.log = c->logx;
	ax.pix_lo = PLOT_L;
	ax.pix_hi = PLOT_R;
	data_range(t, c, 0, ax.log, &ax.lo, &ax.hi);
	if (!ax.log && ax.hi - ax.lo < 1e-12)
		ax.hi = ax.lo + 1.0;
	/* x keeps the data's own ends on a linear axis (hops 1..30 should
	 * start at 1), but log axes round to decades so ticks exist. */
	if (ax.log)
		round_range(&ax);

	ay.log = c->logy;
	ay.pix_lo = PLOT_B;
	ay.pix_hi = PLOT_T;
	data_range(t, c, 1, ay.log, &ay.lo, &ay.hi);
	if (!ay.log && ay.lo > 0.0)
		ay.lo = 0.0;
	if (!isnan(c->ymin))
		ay.lo = c->ymin;
	if (!isnan(c->ymax))
		ay.hi = c->ymax;
	if (ay.log && !(ay.lo > 0.0))
		ay.lo = ay.hi > 1.0 ? 0.1 : ay.hi / 100.0;
	round_range(&ay);

	dh_buf_addf(out,
	            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
	            "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
	            "font-size=\"12\">\n",
	            CHART_W, CHART_H, CHART_W, CHART_H);
	dh_buf_adds(out, "<style>.grid{stroke:#dddddd;stroke-width:1}"
	                 ".axis{stroke:#000000;stroke-width:1.5;fill:none}"
	                 ".ci{stroke-width:1}</style>\n");
	dh_buf_addf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
	            CHART_W, CHART_H);
	if (c->title != NULL) {
		dh_buf_addf(out, "<text x=\"%d\" y=\"28\" text-anchor=\"middle\" font-size=\"15\">",
		            (PLOT_L + PLOT_R) / 2);
		add_escaped(out, c->title);
		dh_buf_adds(out, "</text>\n");
	}
	draw_ticks(out, &ax, 0, c->x0_label);
	draw_ticks(out, &ay, 1, NULL);
	dh_buf_addf(out, "<path class=\"axis\" d=\"M%d %d V%d H%d\"/>\n", PLOT_L, PLOT_T, PLOT_B,
	            PLOT_R);
	dh_buf_addf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">", (PLOT_L + PLOT_R) / 2,
	            PLOT_B + 42);
	add_escaped(out, c->xlabel != NULL ? c->xlabel : t->xname);
	dh_buf_adds(out, "</text>\n");
	if (c->ylabel != NULL) {
		dh_buf_addf(out,
		            "<text x=\"22\" y=\"%d\" text-anchor=\"middle\" "
		            "transform=\"rotate(-90 22 %d)\">",
		            (PLOT_T + PLOT_B) / 2, (PLOT_T + PLOT_B) / 2);
		add_escaped(out, c->ylabel);
		dh_buf_adds(out, "</text>\n");
	}

	for (size_t s = 0; s < c->nseries; s++) {
		const struct eval_chart_series *se = &c->series[s];
		const char *colour = palette[s];

		dh_buf_addf(out,
		            "<polyline class=\"series\" fill=\"none\" stroke=\"%s\" "
		            "stroke-width=\"2\"",
		            colour);
		if (se->dashed)
			dh_buf_adds(out, " stroke-dasharray=\"6 4\"");
		dh_buf_adds(out, " points=\"");
		for (size_t r = 0; r < t->nrows; r++) {
			double v = eval_table_get(t, r, se->col);
			if (!isfinite(v) || !isfinite(t->x[r]))
				continue;
			dh_buf_addf(out, "%s%.1f,%.1f", r > 0 ? " " : "", axis_pos(&ax, t->x[r]),
			            axis_pos(&ay, v));
		}
		dh_buf_adds(out, "\"/>\n");
		for (size_t r = 0; r < t->nrows; r++) {
			double v = eval_table_get(t, r, se->col);
			if (!isfinite(v) || !isfinite(t->x[r]))
				continue;
			double px = axis_pos(&ax, t->x[r]);
			if (se->lo_col != EVAL_NO_COL && se->hi_col != EVAL_NO_COL) {
				double lo = eval_table_get(t, r, se->lo_col);
				double hi = eval_table_get(t, r, se->hi_col);
				if (isfinite(lo) && isfinite(hi))
					dh_buf_addf(out,
					            "<line class=\"ci\" stroke=\"%s\" x1=\"%.1f\" "
					            "y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
					            colour, px, axis_pos(&ay, lo), px,
					            axis_pos(&ay, hi));
			}
			if (!se->dashed && !c->no_points)
				dh_buf_addf(
				    out,
				    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n", px,
				    axis_pos(&ay, v), colour);
		}
		/* Legend entry. */
		int ly = PLOT_T + 10 + (int)s * 22;
		dh_buf_addf(out,
		            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
		            "stroke-width=\"2\"%s/>\n<text x=\"%d\" y=\"%d\">",
		            PLOT_R + 16, ly, PLOT_R + 46, ly, colour,
		            se->dashed ? " stroke-dasharray=\"6 4\"" : "", PLOT_R + 52, ly + 4);
		add_escaped(out, t->names[se->col]);
		dh_buf_adds(out, "</text>\n");
	}
	draw_marks(out, t, c, &ax, &ay);
	dh_buf_adds(out, "</svg>\n");
	return out->err;
}

int eval_chart_bars_svg(const char *title, const char *const *labels, const double *values,
                        size_t n, struct dh_buf *out)
{
	enum { BAR_H = 18, GAP = 6, LABEL_W = 300, BAR_W = 360, TOP = 40 };
	double max = 0.0;

	if (labels == NULL || values == NULL || out == NULL || n == 0 || n > EVAL_BARS_MAX)
		return DH_EUSAGE;
	for (size_t i = 0; i < n; i++)
		if (isfinite(values[i]) && values[i] > max)
			max = values[i];
	int h = TOP + (int)n * (BAR_H + GAP) + 10;
	dh_buf_addf(out,
	            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
	            "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
	            "font-size=\"12\">\n",
	            CHART_W, h, CHART_W, h);
	dh_buf_addf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
	            CHART_W, h);
	if (title != NULL) {
		dh_buf_addf(out, "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">",
		            CHART_W / 2);
		add_escaped(out, title);
		dh_buf_adds(out, "</text>\n");
	}
	for (size_t i = 0; i < n; i++) {
		int y = TOP + (int)i * (BAR_H + GAP);
		double v = isfinite(values[i]) && values[i] > 0.0 ? values[i] : 0.0;
		double w = max > 0.0 ? v / max * BAR_W : 0.0;
		dh_buf_addf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", LABEL_W - 8,
		            y + BAR_H - 5);
		add_escaped(out, labels[i] ? labels[i] : "");
		dh_buf_addf(out,
		            "</text>\n<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%.1f\" "
		            "height=\"%d\" fill=\"%s\"/>\n<text x=\"%.1f\" y=\"%d\">",
		            LABEL_W, y, w, BAR_H, palette[0], LABEL_W + w + 6.0, y + BAR_H - 5);
		add_tick_label(out, v);
		dh_buf_adds(out, "</text>\n");
	}
	dh_buf_adds(out, "</svg>\n");
	return out->err;
}

int eval_chart_parallel_svg(const struct eval_table *t, const char *title, const double *lo,
                            const double *hi, struct dh_buf *out)
{
	enum { TOP = 60, BOTTOM = 400, LEFT = 50, RIGHT = 710 };
	double wmax = 0.0;

	if (t == NULL || lo == NULL || hi == NULL || out == NULL || t->ncols < 2)
		return DH_EUSAGE;
	for (size_t c = 0; c < t->ncols; c++)
		if (!(hi[c] > lo[c]))
			return DH_EUSAGE;
	for (size_t r = 0; r < t->nrows; r++)
		if (isfinite(t->x[r]) && t->x[r] > wmax)
			wmax = t->x[r];
	double step = (double)(RIGHT - LEFT) / (double)(t->ncols - 1);
	dh_buf_addf(out,
	            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
	            "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
	            "font-size=\"12\">\n",
	            CHART_W, CHART_H, CHART_W, CHART_H);
	dh_buf_addf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
	            CHART_W, CHART_H);
	if (title != NULL) {
		dh_buf_addf(out, "<text x=\"%d\" y=\"28\" text-anchor=\"middle\" font-size=\"15\">",
		            CHART_W / 2);
		add_escaped(out, title);
		dh_buf_adds(out, "</text>\n");
	}
	/* Lines first, axes on top, so every axis stays readable. A row's
	 * opacity grows with the logarithm of its weight: one query is
	 * faint, a flood is solid. */
	for (size_t r = 0; r < t->nrows; r++) {
		double w = isfinite(t->x[r]) && t->x[r] > 0.0 ? t->x[r] : 1.0;
		double op = wmax > 1.0 ? 0.15 + 0.85 * log(w) / log(wmax) : 0.6;
		dh_buf_addf(out,
		            "<polyline class=\"pc\" fill=\"none\" stroke=\"%s\" "
		            "stroke-opacity=\"%.2f\" stroke-width=\"1.2\" points=\"",
		            palette[0], op);
		for (size_t c = 0; c < t->ncols; c++) {
			double v = eval_table_get(t, r, c);
			double f = isfinite(v) ? (v - lo[c]) / (hi[c] - lo[c]) : 0.0;
			f = f < 0.0 ? 0.0 : f > 1.0 ? 1.0 : f;
			dh_buf_addf(out, "%s%.1f,%.1f", c ? " " : "", LEFT + step * (double)c,
			            BOTTOM - f * (BOTTOM - TOP));
		}
		dh_buf_adds(out, "\"/>\n");
	}
	for (size_t c = 0; c < t->ncols; c++) {
		double x = LEFT + step * (double)c;
		dh_buf_addf(out,
		            "<line class=\"axis\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
		            "stroke=\"#000000\" stroke-width=\"1.5\"/>\n"
		            "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
		            x, TOP, x, BOTTOM, x, TOP - 8);
		add_tick_label(out, hi[c]);
		dh_buf_addf(out, "</text>\n<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", x,
		            BOTTOM + 16);
		add_tick_label(out, lo[c]);
		dh_buf_addf(out, "</text>\n<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">", x,
		            BOTTOM + 36);
		add_escaped(out, t->names[c]);
		dh_buf_adds(out, "</text>\n");
	}
	dh_buf_adds(out, "</svg>\n");
	return out->err;
}
