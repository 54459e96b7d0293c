#include "util/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void dh_buf_init(struct dh_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->err = 0;
}

void dh_buf_release(struct dh_buf *b)
{
	free(b->data);
	dh_buf_init(b);
}

int dh_buf__grow(struct dh_buf *b, size_t n)
{
	if (b->err)
		return b->err;
	size_t want = b->len + n;
	if (want < b->len) {
		b->err = -ENOMEM;
		return b->err;
	}
	size_t cap = b->cap ? b->cap : 256;
	while (cap < want)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (!p) {
		b->err = -ENOMEM;
		return b->err;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

void dh_buf_addu(struct dh_buf *b, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	dh_buf_add(b, tmp + i, sizeof(tmp) - i);
}

void dh_buf_addi(struct dh_buf *b, int64_t v)
{
	if (v < 0) {
		dh_buf_addc(b, '-');
		dh_buf_addu(b, (uint64_t)0 - (uint64_t)v);
	} else {
		dh_buf_addu(b, (uint64_t)v);
	}
}

void dh_buf_add_json_str(struct dh_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	/* Worst case every byte becomes \u00XX. */
	if (dh_buf_reserve(b, n * 6 + 2) != 0)
		return;
	char *o = b->data + b->len;
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			/* Names are escaped to ASCII already; anything else
			 * non-ASCII is emitted as its byte value so the
			 * output stays valid UTF-8 whatever the input. */
			*o++ = '\\';
			*o++ = 'u';
			*o++ = '0';
			*o++ = '0';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		} else {
			*o++ = (char)c;
		}
	}
	*o++ = '"';
	b->len = (size_t)(o - b->data);
}

void dh_buf_addf(struct dh_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];

	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		dh_buf_add(b, small, (size_t)n);
		return;
	}
	if (dh_buf_reserve(b, (size_t)n + 1) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}
