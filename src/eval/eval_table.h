/*
 * eval_table.h - a small numeric table (one x column, several named series)
 * shared by the closed-form model, the Monte-Carlo sweeps, the CSV and
 * JSON writers and the SVG chart.
 */
#ifndef DH_EVAL_TABLE_H
#define DH_EVAL_TABLE_H

#include <stddef.h>

#include "util/buf.h"

/* Longest column name, terminating NUL included. */
#define EVAL_NAME_MAX 48

struct eval_table {
	char xname[EVAL_NAME_MAX];
	size_t ncols;
	size_t nrows;
	char (*names)[EVAL_NAME_MAX]; /* owned; ncols names */
	double *x;                    /* owned; nrows values */
	double *v;                    /* owned; nrows * ncols, row-major */
};

/* Upper bounds that keep the table's allocation far from overflow. */
#define EVAL_TABLE_MAX_COLS 64
#define EVAL_TABLE_MAX_ROWS 100000

/* Allocates a table of nrows rows and ncols series, all values 0 and all
 * names empty. Returns 0, DH_EUSAGE (NULL table or name, zero or too many
 * rows or columns) or -ENOMEM. Release with eval_table_release(). */
int eval_table_init(struct eval_table *t, const char *xname, size_t ncols, size_t nrows);

/* Frees what init allocated; the struct may be reused. NULL is allowed. */
void eval_table_release(struct eval_table *t);

/* Names column col. Returns 0, DH_EUSAGE (col out of range) or DH_ESPACE
 * (name longer than EVAL_NAME_MAX - 1). */
int eval_table_set_name(struct eval_table *t, size_t col, const char *name);

/* The cell of row r, column c; both must be in range. */
static inline double *eval_table_at(struct eval_table *t, size_t r, size_t c)
{
	return &t->v[r * t->ncols + c];
}

static inline double eval_table_get(const struct eval_table *t, size_t r, size_t c)
{
	return t->v[r * t->ncols + c];
}

/* Appends the table as CSV (RFC 4180 without quoting: our names never hold
 * commas): a header "xname,name1,..." and one line per row, x printed
 * with xdecimals digits after the point (negative: the shortest form, up
 * to 10 significant digits) and the values with decimals digits.
 * Errors are left in out->err. */
void eval_table_csv(const struct eval_table *t, int xdecimals, int decimals, struct dh_buf *out);

/* Appends the rows as a JSON array of objects keyed by the column names
 * (RFC 8259). Non-finite values become null. */
void eval_table_json(const struct eval_table *t, struct dh_buf *out);

#endif
