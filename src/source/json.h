/*
 * json.h - a small, bounded, non-allocating JSON reader for one log line
 * (Suricata EVE, Zeek's JSON logs).
 *
 * Nothing is built: a value is a span of the line, an object or array is
 * walked member by member, and a string is decoded only when asked. The
 * walk checks the grammar (RFC 8259) of every member it hands out, so a
 * line cut in the middle or with garbage inside yields an error rather
 * than a wrong value; a nested object or array it only passes over is
 * checked for balanced brackets and well-formed strings, and its inside
 * when it is walked in turn (json_parse() checks everything at once). Nesting deeper than
 * JSON_DEPTH_MAX is refused: skipping a value keeps a counter, not the C stack, but no log writer
 * nests that deep and a hostile line should cost no more than a line.
 */
#ifndef DH_SOURCE_JSON_H
#define DH_SOURCE_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define JSON_DEPTH_MAX 64

enum json_type {
	JSON_NONE = 0,
	JSON_OBJECT,
	JSON_ARRAY,
	JSON_STRING,
	JSON_NUMBER,
	JSON_TRUE,
	JSON_FALSE,
	JSON_NULL,
};

/* A value: for a string p/n is the text between the quotes, still
 * escaped; for anything else the value's whole text. Borrowed from the
 * line. */
struct json_val {
	int type; /* enum json_type */
	const char *p;
	size_t n;
};

/* Walks the members of an object or the elements of an array. */
struct json_iter {
	const char *p, *end;
	int is_object;
	int started;
	int err;
};

/*
 * Reads the single value that makes up p[0..n) (spaces around it are
 * allowed, anything else after it is not). Returns 0 or DH_EMALFORMED /
 * DH_ETRUNC.
 */
int json_parse(const char *p, size_t n, struct json_val *v);

/*
 * The cheap form of json_parse() for a line that should be one object:
 * only the outer braces are checked here, the members are checked as
 * json_iter_next() walks them (a caller must walk to the end, where a
 * walk returns 0, to know the whole line was good). Returns 0 or
 * DH_EMALFORMED / DH_ETRUNC.
 */
int json_object(const char *p, size_t n, struct json_val *v);

/* Starts a walk over v, which must be an object or array. Returns 0 or
 * DH_EMALFORMED. */
int json_iter_init(struct json_iter *it, const struct json_val *v);

/*
 * The next member: for an object *key is its name (a JSON_STRING span),
 * for an array key is left alone (may be NULL). Returns 1, 0 at the end,
 * or a negative DH_E* code (which also sticks in it->err).
 */
int json_iter_next(struct json_iter *it, struct json_val *key, struct json_val *val);

/* 1 when the key span (escaped text) equals lit; keys we look for have no
 * escapes. Inline so that the length of a literal is known at compile
 * time: key matching is most of the work on a log line. */
static inline int json_key_is(const struct json_val *key, const char *lit)
{
	size_t l = strlen(lit);
	return key->n == l && memcmp(key->p, lit, l) == 0;
}

/*
 * Decodes a string value into out (cap bytes, NUL-terminated). \u escapes
 * below 0x100 become that octet (Suricata and Zeek write odd octets of a
 * name this way), others UTF-8; a surrogate pair is combined. Returns the
 * length without the NUL, DH_ESPACE when out is too small, or
 * DH_EMALFORMED.
 */
int json_string(const struct json_val *v, char *out, size_t cap);

/* A non-negative integer number (or a string of digits). Returns 0 or
 * DH_EMALFORMED. */
int json_u64(const struct json_val *v, uint64_t *out);

#endif
