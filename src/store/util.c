/*
 * util.c - byte buffers, varints, checksums, hashing and the interning
 * table the store's writer and reader share.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/cursor.h"

void store__sbuf_release(struct sbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

uint8_t *store__sbuf_room(struct sbuf *b, size_t n)
{
	if (b->err)
		return NULL;
	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap - b->len < n) {
			if (cap > SIZE_MAX / 2) {
				b->err = -ENOMEM;
				return NULL;
			}
			cap *= 2;
		}
		uint8_t *p = realloc(b->p, cap);
		if (!p) {
			b->err = -ENOMEM;
			return NULL;
		}
		b->p = p;
		b->cap = cap;
	}
	return b->p + b->len;
}

void store__sbuf_put(struct sbuf *b, const void *p, size_t n)
{
	uint8_t *d = store__sbuf_room(b, n);
	if (!d)
		return;
	if (n)
		memcpy(d, p, n);
	b->len += n;
}

void store__sbuf_u8(struct sbuf *b, unsigned v)
{
	uint8_t c = (uint8_t)v;
	store__sbuf_put(b, &c, 1);
}

void store__sbuf_u16le(struct sbuf *b, unsigned v)
{
	uint8_t c[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	store__sbuf_put(b, c, 2);
}

void store__sbuf_u32le(struct sbuf *b, uint32_t v)
{
	uint8_t c[4];
	for (int i = 0; i < 4; i++)
		c[i] = (uint8_t)(v >> (8 * i));
	store__sbuf_put(b, c, 4);
}

void store__sbuf_u64le(struct sbuf *b, uint64_t v)
{
	uint8_t c[8];
	for (int i = 0; i < 8; i++)
		c[i] = (uint8_t)(v >> (8 * i));
	store__sbuf_put(b, c, 8);
}

void store__sbuf_varint(struct sbuf *b, uint64_t v)
{
	uint8_t *d = store__sbuf_room(b, 10);
	if (!d)
		return;
	size_t n = 0;
	while (v >= 0x80) {
		d[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	d[n++] = (uint8_t)v;
	b->len += n;
}

uint64_t store__cur_u64le(struct cur *c)
{
	uint64_t lo = cur_u32le(c);
	uint64_t hi = cur_u32le(c);
	return lo | (hi << 32);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define HAVE_CRC_HW 1

/* SSE 4.2 has a CRC-32C instruction: ~10x the table's speed, which
 * matters because every block read for a lookup is checked first. */
__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t crc, const uint8_t *b, size_t n)
{
	uint64_t c = ~crc;
	while (n >= 8) {
		uint64_t v;
		memcpy(&v, b, 8);
		c = _mm_crc32_u64(c, v);
		b += 8;
		n -= 8;
	}
	uint32_t c32 = (uint32_t)c;
	while (n--)
		c32 = _mm_crc32_u8(c32, *b++);
	return ~c32;
}

static int crc_hw_ok;
#endif

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
#ifdef HAVE_CRC_HW
	__builtin_cpu_init();
	crc_hw_ok = __builtin_cpu_supports("sse4.2");
#endif
	/* Reflected Castagnoli polynomial 0x1EDC6F41. */
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc_table[0][i] = c;
	}
	/* Slicing-by-8 tables: eight bytes per step keeps checking a block
	 * cheap next to decompressing it. */
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = crc_table[0][i];
		for (int t = 1; t < 8; t++) {
			c = crc_table[0][c & 0xff] ^ (c >> 8);
			crc_table[t][i] = c;
		}
	}
}

uint32_t store__crc32c(uint32_t crc, const void *p, size_t n)
{
	const uint8_t *b = p;
	pthread_once(&crc_once, crc_init);
#ifdef HAVE_CRC_HW
	if (crc_hw_ok)
		return crc_hw(crc, b, n);
#endif
	crc = ~crc;
	while (n >= 8) {
		uint32_t lo = crc ^ ((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		                     (uint32_t)b[3] << 24);
		uint32_t hi = (uint32_t)b[4] | (uint32_t)b[5] << 8 | (uint32_t)b[6] << 16 |
		              (uint32_t)b[7] << 24;
		crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
		      crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
		      crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
		      crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
		b += 8;
		n -= 8;
	}
	while (n--)
		crc = crc_table[0][(crc ^ *b++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

uint64_t store__hash64(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	/* FNV's low bits mix poorly; the murmur3 finaliser spreads them so
	 * that a power-of-two table and sorted keys both behave. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

void store__addr_key(const struct dh_addr *a, uint8_t out[STORE_ADDR_KEY])
{
	memset(out, 0, STORE_ADDR_KEY);
	out[0] = a->family;
	if (a->family == DH_AF_INET)
		memcpy(out + 1, a->a, 4);
	else if (a->family == DH_AF_INET6)
		memcpy(out + 1, a->a, 16);
}

void store__addr_from_key(struct dh_addr *a, const uint8_t *key, size_t len)
{
	memset(a, 0, sizeof(*a));
	if (len != STORE_ADDR_KEY)
		return;
	if (key[0] == DH_AF_INET)
		dh_addr_set4(a, key + 1);
	else if (key[0] == DH_AF_INET6)
		dh_addr_set6(a, key + 1);
}

void store__itab_init(struct itab *t)
{
	memset(t, 0, sizeof(*t));
}

void store__itab_release(struct itab *t)
{
	store__sbuf_release(&t->data);
	free(t->item);
	free(t->hash);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

void store__itab_reset(struct itab *t)
{
	t->data.len = 0;
	t->data.err = 0;
	t->n = 0;
	if (t->slot)
		memset(t->slot, 0, (size_t)t->nslot * sizeof(*t->slot));
}

static int itab_grow_slots(struct itab *t)
{
	uint32_t nslot = t->nslot ? t->nslot * 2 : 1024;
	struct itab_slot *slot = calloc(nslot, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->n; i++) {
		uint32_t k = (uint32_t)t->hash[i] & (nslot - 1);
		while (slot[k].id1)
			k = (k + 1) & (nslot - 1);
		slot[k].id1 = i + 1;
		slot[k].tag = (uint32_t)(t->hash[i] >> 32);
	}
	free(t->slot);
	t->slot = slot;
	t->nslot = nslot;
	return 0;
}

int store__itab_put(struct itab *t, const void *p, size_t n, uint32_t *id)
{
	/* Keep the load factor under one half so probes stay short. */
	if ((uint64_t)(t->n + 1) * 2 > t->nslot) {
		int rc = itab_grow_slots(t);
		if (rc)
			return rc;
	}
	uint64_t h = store__hash64(p, n);
	uint32_t tag = (uint32_t)(h >> 32);
	uint32_t k = (uint32_t)h & (t->nslot - 1);
	for (;;) {
		const struct itab_slot *sl = &t->slot[k];
		if (!sl->id1)
			break;
		if (sl->tag == tag) {
			uint32_t i = sl->id1 - 1;
			const struct itab_item *it = &t->item[i];
			if (it->len == n && memcmp(t->data.p + it->off, p, n) == 0) {
				*id = i;
				return 0;
			}
		}
		k = (k + 1) & (t->nslot - 1);
	}
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 1024;
		struct itab_item *item = realloc(t->item, cap * sizeof(*item));
		if (!item)
			return -ENOMEM;
		t->item = item;
		uint64_t *hash = realloc(t->hash, cap * sizeof(*hash));
		if (!hash)
			return -ENOMEM;
		t->hash = hash;
		t->cap = cap;
	}
	size_t at = t->data.len;
	store__sbuf_put(&t->data, p, n);
	if (t->data.err)
		return t->data.err;
	t->item[t->n].off = at;
	t->item[t->n].len = (uint32_t)n;
	t->hash[t->n] = h;
	t->slot[k].id1 = t->n + 1;
	t->slot[k].tag = tag;
	*id = t->n++;
	return 0;
}
