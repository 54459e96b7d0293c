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
	/* Two digits per division: a time in nanoseconds has 19. */
	static const char pairs[] = "00010203040506070809101112131415161718192021222324"
	                            "25262728293031323334353637383940414243444546474849"
	                            "50515253545556575859606162636465666768697071727374"
	                            "75767778798081828384858687888990919293949596979899";
	char tmp[24];
	size_t i = sizeof(tmp);

	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		tmp[--i] = pairs[2 * r + 1];
		tmp[--i] = pairs[2 * r];
	}
	if (v >= 10) {
		tmp[--i] = pairs[2 * v + 1];
		tmp[--i] = pairs[2 * v];
	} else {
		tmp[--i] = (char)('0' + v);
	}
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

/* The bytes a JSON string must escape: controls, '"', '\\' and, since
 * input may be any bytes, everything from 0x7f up (written as \u00XX so
 * the output is ASCII and valid UTF-8 whatever came in). */
static inline int json_escape(unsigned char c)
{
	return c < 0x20 || c >= 0x7f || c == '"' || c == '\\';
}

void dh_buf_add_json_str(struct dh_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	/* Worst case every byte becomes \u00XX. */
	if (dh_buf_reserve(b, n * 6 + 2) != 0)
		return;
	char *o = b->data + b->len;
	*o++ = '"';
	size_t i = 0;
	while (i < n) {
		size_t run = i;
		while (run < n && !json_escape((unsigned char)s[run]))
			run++;
		memcpy(o, s + i, run - i);
		o += run - i;
		if (run == n)
			break;
		unsigned char c = (unsigned char)s[run];
		*o++ = '\\';
		if (c == '"' || c == '\\') {
			*o++ = (char)c;
		} else {
			*o++ = 'u';
			*o++ = '0';
			*o++ = '0';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
		i = run + 1;
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
