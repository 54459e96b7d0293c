/*
 * msg_build.h - builds DNS messages byte by byte for the wire tests, so
 * that every crafted input is visible in the test that uses it.
 */
#ifndef DH_TESTS_WIRE_MSG_BUILD_H
#define DH_TESTS_WIRE_MSG_BUILD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct mb {
	uint8_t buf[70000];
	size_t len;
};

static inline void mb_u8(struct mb *b, unsigned v)
{
	if (b->len < sizeof(b->buf))
		b->buf[b->len++] = (uint8_t)v;
}

static inline void mb_u16(struct mb *b, unsigned v)
{
	mb_u8(b, v >> 8);
	mb_u8(b, v & 0xff);
}

static inline void mb_u32(struct mb *b, uint32_t v)
{
	mb_u16(b, v >> 16);
	mb_u16(b, v & 0xffff);
}

static inline void mb_bytes(struct mb *b, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mb_u8(b, ((const uint8_t *)p)[i]);
}

static inline void mb_header(struct mb *b, unsigned id, unsigned flags, unsigned qd, unsigned an,
                             unsigned ns, unsigned ar)
{
	b->len = 0;
	mb_u16(b, id);
	mb_u16(b, flags);
	mb_u16(b, qd);
	mb_u16(b, an);
	mb_u16(b, ns);
	mb_u16(b, ar);
}

/* Appends a dotted name ("www.example.com", "" for the root) uncompressed,
 * ending with the zero octet. Labels are plain: no escapes. */
static inline void mb_name(struct mb *b, const char *dotted)
{
	const char *p = dotted;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		mb_u8(b, (unsigned)n);
		mb_bytes(b, p, n);
		p += n;
		if (*p == '.')
			p++;
	}
	mb_u8(b, 0);
}

/* Appends labels of a dotted name without the final zero octet, then a
 * compression pointer to off. */
static inline void mb_name_ptr(struct mb *b, const char *dotted, unsigned off)
{
	const char *p = dotted;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		mb_u8(b, (unsigned)n);
		mb_bytes(b, p, n);
		p += n;
		if (*p == '.')
			p++;
	}
	mb_u16(b, 0xc000 | off);
}

static inline void mb_question(struct mb *b, const char *dotted, unsigned type, unsigned rclass)
{
	mb_name(b, dotted);
	mb_u16(b, type);
	mb_u16(b, rclass);
}

/* The fixed part of a record after its owner; rdlen as given (a test may
 * lie). */
static inline void mb_rr_fixed(struct mb *b, unsigned type, unsigned rclass, uint32_t ttl,
                               unsigned rdlen)
{
	mb_u16(b, type);
	mb_u16(b, rclass);
	mb_u32(b, ttl);
	mb_u16(b, rdlen);
}

/* Patches a 16-bit value at off (to fill in an RDLENGTH afterwards). */
static inline void mb_put16(struct mb *b, size_t off, unsigned v)
{
	b->buf[off] = (uint8_t)(v >> 8);
	b->buf[off + 1] = (uint8_t)v;
}

#endif
