/*
 * buf.h - a growable output buffer for building lines of text.
 *
 * Appends never fail silently: on allocation failure the buffer records
 * -ENOMEM in err, later appends do nothing, and the owner checks err once.
 */
#ifndef DH_UTIL_BUF_H
#define DH_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct dh_buf {
	char *data; /* owned; from malloc() */
	size_t len;
	size_t cap;
	int err;
};

void dh_buf_init(struct dh_buf *b);
void dh_buf_release(struct dh_buf *b);

/* Makes room for n more bytes. Returns 0 or -ENOMEM (also kept in err). */
int dh_buf__grow(struct dh_buf *b, size_t n);

static inline int dh_buf_reserve(struct dh_buf *b, size_t n)
{
	if (b->cap - b->len >= n)
		return b->err;
	return dh_buf__grow(b, n);
}

static inline void dh_buf_add(struct dh_buf *b, const void *p, size_t n)
{
	if (dh_buf_reserve(b, n) != 0)
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static inline void dh_buf_addc(struct dh_buf *b, char c)
{
	if (dh_buf_reserve(b, 1) != 0)
		return;
	b->data[b->len++] = c;
}

static inline void dh_buf_adds(struct dh_buf *b, const char *s)
{
	dh_buf_add(b, s, strlen(s));
}

void dh_buf_addu(struct dh_buf *b, uint64_t v);
void dh_buf_addi(struct dh_buf *b, int64_t v);

/* Appends s as a JSON string literal, quotes included (RFC 8259 7). */
void dh_buf_add_json_str(struct dh_buf *b, const char *s, size_t n);

/* Appends printf-style text. */
void dh_buf_addf(struct dh_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
