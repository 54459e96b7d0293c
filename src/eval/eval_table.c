/*
 * eval_table.c - numeric tables and their CSV and JSON forms.
 */
#include "eval/eval_table.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

int eval_table_init(struct eval_table *t, const char *xname, size_t ncols, size_t nrows)
{
	int rc = 0;

	if (t == NULL || xname == NULL)
		return DH_EUSAGE;
	memset(t, 0, sizeof(*t));
	if (ncols == 0 || nrows == 0 || ncols > EVAL_TABLE_MAX_COLS ||
	    nrows > EVAL_TABLE_MAX_ROWS || strlen(xname) >= EVAL_NAME_MAX) {
		rc = DH_EUSAGE;
		goto out;
	}
	memcpy(t->xname, xname, strlen(xname) + 1);
	t->names = calloc(ncols, sizeof(*t->names));
	t->x = calloc(nrows, sizeof(*t->x));
	t->v = calloc(nrows * ncols, sizeof(*t->v));
	if (t->names == NULL || t->x == NULL || t->v == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	t->ncols = ncols;
	t->nrows = nrows;
out:
	if (rc != 0)
		eval_table_release(t);
	return rc;
}

void eval_table_release(struct eval_table *t)
{
	if (t == NULL)
		return;
	free(t->names);
	free(t->x);
	free(t->v);
	t->names = NULL;
	t->x = NULL;
	t->v = NULL;
	t->ncols = 0;
	t->nrows = 0;
}

int eval_table_set_name(struct eval_table *t, size_t col, const char *name)
{
	if (t == NULL || name == NULL || col >= t->ncols)
		return DH_EUSAGE;
	size_t n = strlen(name);
	if (n >= EVAL_NAME_MAX)
		return DH_ESPACE;
	memcpy(t->names[col], name, n + 1);
	return 0;
}

static void add_number(struct dh_buf *out, double v, int decimals)
{
	if (isfinite(v))
		dh_buf_addf(out, "%.*f", decimals, v);
	else
		dh_buf_adds(out, "nan");
}

void eval_table_csv(const struct eval_table *t, int xdecimals, int decimals, struct dh_buf *out)
{
	dh_buf_adds(out, t->xname);
	for (size_t c = 0; c < t->ncols; c++) {
		dh_buf_addc(out, ',');
		dh_buf_adds(out, t->names[c]);
	}
	dh_buf_addc(out, '\n');
	for (size_t r = 0; r < t->nrows; r++) {
		if (xdecimals < 0 && isfinite(t->x[r]))
			dh_buf_addf(out, "%.10g", t->x[r]);
		else
			add_number(out, t->x[r], xdecimals < 0 ? 6 : xdecimals);
		for (size_t c = 0; c < t->ncols; c++) {
			dh_buf_addc(out, ',');
			add_number(out, eval_table_get(t, r, c), decimals);
		}
		dh_buf_addc(out, '\n');
	}
}

static void add_json_number(struct dh_buf *out, double v)
{
	/* %.17g round-trips every double; JSON has no NaN or infinity. */
	if (isfinite(v))
		dh_buf_addf(out, "%.17g", v);
	else
		dh_buf_adds(out, "null");
}

void eval_table_json(const struct eval_table *t, struct dh_buf *out)
{
	dh_buf_addc(out, '[');
	for (size_t r = 0; r < t->nrows; r++) {
		if (r > 0)
			dh_buf_addc(out, ',');
		dh_buf_addc(out, '{');
		dh_buf_add_json_str(out, t->xname, strlen(t->xname));
		dh_buf_addc(out, ':');
		add_json_number(out, t->x[r]);
		for (size_t c = 0; c < t->ncols; c++) {
			dh_buf_addc(out, ',');
			dh_buf_add_json_str(out, t->names[c], strlen(t->names[c]));
			dh_buf_addc(out, ':');
			add_json_number(out, eval_table_get(t, r, c));
		}
		dh_buf_addc(out, '}');
	}
	dh_buf_addc(out, ']');
}
