/*
 * conf.h - dnshound's configuration file: the syntax, shared by every
 * command that reads one (dnshound.conf(5)).
 *
 *     # a comment, to the end of the line
 *     [section]            or   [section name]
 *     key = value          value to the end of the line, white space trimmed;
 *                          "double quotes" keep it as written
 *
 * Keys before the first section belong to the section "". A key may
 * repeat where its section says so (lists). This file knows only the
 * syntax: each layer that owns a section checks its keys and values
 * through the callback, and any error, the syntax's or the callback's,
 * names the file and the line.
 */
#ifndef DH_UTIL_CONF_H
#define DH_UTIL_CONF_H

#include <stddef.h>

/* One key = value line, everything borrowed for the callback only. */
struct dh_conf_item {
	const char *section; /* "" before the first [section] */
	const char *name;    /* the section's second word, or "" */
	const char *key;
	const char *value;
	unsigned line; /* 1-based */
};

/*
 * The callback gets every key = value line in order. It returns 0 to go
 * on, or a negative code after writing what is wrong (without file or
 * line: the parser adds them) into err (errlen bytes).
 */
typedef int (*dh_conf_fn)(void *ctx, const struct dh_conf_item *item, char *err, size_t errlen);

/*
 * Parses the file at path. On error returns a negative code (-errno when
 * the file cannot be read, DH_EMALFORMED for bad syntax, or what the
 * callback returned) and writes "PATH:LINE: what" into err.
 */
int dh_conf_parse_file(const char *path, dh_conf_fn fn, void *ctx, char *err, size_t errlen);

/* The same over text in memory (n octets); errors name "name:LINE". */
int dh_conf_parse(const char *text, size_t n, const char *name, dh_conf_fn fn, void *ctx, char *err,
                  size_t errlen);

/* Value helpers for callbacks: each returns 0 or DH_EMALFORMED. */
int dh_conf_bool(const char *value, int *out);               /* yes/no, true/false, on/off, 1/0 */
int dh_conf_u64(const char *value, unsigned long long *out); /* decimal, optional k/M/G (1000s) */
int dh_conf_seconds(const char *value, double *out);         /* "90", "1.5s", "10m", "2h", "1d" */

#endif
