/*
 * cursor.h - a bounded reader over untrusted bytes whose first error sticks.
 *
 * Every read of packet, log or file data goes through a cursor. A read past
 * the end sets err to DH_ETRUNC; from then on every read does nothing and
 * yields zero, so a parser can read a whole structure and check err once at
 * the end (the model is Knot DNS's wire_ctx). Nothing here asserts on input:
 * assertions vanish in release builds, input does not.
 */
#ifndef DH_UTIL_CURSOR_H
#define DH_UTIL_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct cur {
	const uint8_t *start; /* borrowed: the whole buffer */
	const uint8_t *p;     /* next byte to read */
	const uint8_t *end;   /* one past the last byte */
	int err;              /* 0, or the first error met */
};

static inline void cur_init(struct cur *c, const uint8_t *buf, size_t len)
{
	c->start = buf;
	c->p = buf;
	c->end = buf + len;
	c->err = 0;
}

static inline size_t cur_left(const struct cur *c)
{
	return c->err ? 0 : (size_t)(c->end - c->p);
}

static inline size_t cur_offset(const struct cur *c)
{
	return (size_t)(c->p - c->start);
}

/* Records err unless an earlier error is already recorded. */
static inline void cur_fail(struct cur *c, int err)
{
	if (!c->err)
		c->err = err;
}

/* Returns 1 when n more bytes can be read, else records DH_ETRUNC. */
static inline int cur_need(struct cur *c, size_t n)
{
	if (c->err)
		return 0;
	if ((size_t)(c->end - c->p) < n) {
		c->err = DH_ETRUNC;
		return 0;
	}
	return 1;
}

/* Big-endian 16 and 32 bits at p, for callers that have checked the length. */
static inline uint16_t dh_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t dh_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline uint8_t cur_u8(struct cur *c)
{
	if (!cur_need(c, 1))
		return 0;
	return *c->p++;
}

static inline uint16_t cur_u16(struct cur *c)
{
	if (!cur_need(c, 2))
		return 0;
	uint16_t v = dh_be16(c->p);
	c->p += 2;
	return v;
}

static inline uint32_t cur_u32(struct cur *c)
{
	if (!cur_need(c, 4))
		return 0;
	uint32_t v = dh_be32(c->p);
	c->p += 4;
	return v;
}

static inline uint16_t cur_u16le(struct cur *c)
{
	if (!cur_need(c, 2))
		return 0;
	uint16_t v = (uint16_t)(c->p[0] | (c->p[1] << 8));
	c->p += 2;
	return v;
}

static inline uint32_t cur_u32le(struct cur *c)
{
	if (!cur_need(c, 4))
		return 0;
	uint32_t v = c->p[0] | ((uint32_t)c->p[1] << 8) | ((uint32_t)c->p[2] << 16) |
	             ((uint32_t)c->p[3] << 24);
	c->p += 4;
	return v;
}

/* Returns a borrowed pointer to the next n bytes and skips them, or NULL. */
static inline const uint8_t *cur_take(struct cur *c, size_t n)
{
	if (!cur_need(c, n))
		return NULL;
	const uint8_t *p = c->p;
	c->p += n;
	return p;
}

static inline void cur_skip(struct cur *c, size_t n)
{
	(void)cur_take(c, n);
}

#endif
