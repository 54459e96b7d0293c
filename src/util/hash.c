#include "util/hash.h"

#include <string.h>

/* Odd 64-bit constants with well-spread bits (from the digits of pi and
 * e); the mixer is a multiply-xorshift avalanche. */
#define K1 0x243f6a8885a308d3ULL
#define K2 0x9e3779b97f4a7c15ULL
#define K3 0xb7e151628aed2a6bULL

static inline uint64_t rotl64(uint64_t x, unsigned r)
{
	return (x << r) | (x >> (64 - r));
}

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 32;
	x *= K2;
	x ^= x >> 29;
	x *= K3;
	x ^= x >> 32;
	return x;
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

uint64_t dh_hash64(const void *data, size_t len, uint64_t seed)
{
	const uint8_t *p = data;
	uint64_t h = seed ^ (len * K1);

	while (len >= 8) {
		h = rotl64(h ^ (load64(p) * K2), 27) * K1;
		p += 8;
		len -= 8;
	}
	uint64_t t = 0;
	for (size_t i = 0; i < len; i++)
		t |= (uint64_t)p[i] << (8 * i);
	h ^= t * K3;
	return mix64(h);
}

void dh_hash128_init(struct dh_hash128 *st)
{
	st->h[0] = K1;
	st->h[1] = K3;
	st->total = 0;
	st->ntail = 0;
}

static inline void step(struct dh_hash128 *st, uint64_t w)
{
	st->h[0] = rotl64(st->h[0] ^ (w * K2), 29) * K1;
	st->h[1] = rotl64(st->h[1] + (w ^ K1), 31) * K3;
}

void dh_hash128_update(struct dh_hash128 *st, const void *data, size_t len)
{
	const uint8_t *p = data;

	st->total += len;
	if (st->ntail > 0 && st->ntail < 8) {
		size_t take = 8 - st->ntail;
		if (take > len)
			take = len;
		memcpy(st->tail + st->ntail, p, take);
		st->ntail += (unsigned)take;
		p += take;
		len -= take;
		if (st->ntail < 8)
			return;
		step(st, load64(st->tail));
		st->ntail = 0;
	}
	while (len >= 8) {
		step(st, load64(p));
		p += 8;
		len -= 8;
	}
	memcpy(st->tail, p, len);
	st->ntail = (unsigned)len;
}

void dh_hash128_final(struct dh_hash128 *st, uint8_t out[16])
{
	uint64_t t = 0;
	for (unsigned i = 0; i < st->ntail; i++)
		t |= (uint64_t)st->tail[i] << (8 * i);
	step(st, t ^ st->total);
	uint64_t a = mix64(st->h[0] ^ rotl64(st->h[1], 17));
	uint64_t b = mix64(st->h[1] ^ st->total ^ a);
	memcpy(out, &a, 8);
	memcpy(out + 8, &b, 8);
}
