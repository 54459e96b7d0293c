/*
 * detect_ss.c - the Space-Saving table of detect_int.h: bounded counting
 * of clients, names and prefixes whatever their number.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "util/bigmem.h"
#include "util/hash.h"

#define SS_SEED 0x5d5a7e11u

/*
 * The index is allocated for a full table (twice cap slots) but used
 * from SS_FIRST_SLOTS on, doubling whenever it would pass half full: a
 * client table of 65,536 entries that holds 5,000 clients then probes
 * 64 kB of index, which stays in cache, not 512 kB, where each probe
 * missed (a quarter of the client lookup's cost at 20 million events of
 * bench/store's generator). Which item a key finds does not depend on
 * where its slot is, so nothing the table counts changes.
 */
#define SS_FIRST_SLOTS 1024u

int detect__ss_init(struct detect_ss *ss, uint32_t cap, size_t payload_size)
{
	uint32_t slots = 1;

	memset(ss, 0, sizeof(*ss));
	if (cap == 0)
		cap = 1;
	while (slots < cap * 2u)
		slots <<= 1;
	ss->cap = cap;
	/* Items with a payload (clients) are read a few fields at a time
	 * from a table bigger than the caches: on whole cache lines, each
	 * touches as few lines as its layout allows. */
	ss->item_size = (sizeof(struct detect_ss_item) + payload_size + 7) & ~(size_t)7;
	if (payload_size)
		ss->item_size = (ss->item_size + 63) & ~(size_t)63;
	ss->items = dh_big_alloc((size_t)cap * ss->item_size);
	ss->heap = calloc(cap, sizeof(*ss->heap));
	ss->pos = calloc(cap, sizeof(uint32_t));
	ss->index = dh_big_alloc((size_t)slots * sizeof(uint32_t));
	ss->max_slots = slots;
	ss->mask = (slots < SS_FIRST_SLOTS ? slots : SS_FIRST_SLOTS) - 1;
	if (!ss->items || !ss->heap || !ss->pos || !ss->index) {
		detect__ss_release(ss);
		return -ENOMEM;
	}
	return 0;
}

void detect__ss_release(struct detect_ss *ss)
{
	dh_big_free(ss->items, (size_t)ss->cap * ss->item_size);
	free(ss->heap);
	free(ss->pos);
	dh_big_free(ss->index, (size_t)ss->max_slots * sizeof(uint32_t));
	memset(ss, 0, sizeof(*ss));
}

void detect__ss_clear(struct detect_ss *ss)
{
	memset(ss->index, 0, ((size_t)ss->mask + 1) * sizeof(uint32_t));
	ss->n = 0;
	ss->total = 0;
	ss->evicted = 0;
}

/* Doubles the slots in use and places every item again from its hash.
 * The slots stay within the allocation, so this cannot fail. */
static void index_grow(struct detect_ss *ss)
{
	uint32_t slots = (ss->mask + 1) * 2;

	memset(ss->index, 0, ((size_t)ss->mask + 1) * sizeof(uint32_t));
	ss->mask = slots - 1;
	for (uint32_t n = 0; n < ss->n; n++) {
		uint32_t i = (uint32_t)detect__ss_at(ss, n)->hash & ss->mask;
		while (ss->index[i])
			i = (i + 1) & ss->mask;
		ss->index[i] = n + 1;
	}
}

static inline int key_eq(const struct detect_ss_item *it, uint64_t h, const void *key, size_t len)
{
	if (it->hash != h || it->keylen != len)
		return 0;
	/* The keys of the hot tables are addresses (17 octets) and the 1 to
	 * 5 octet heads of names: compared inline, not through a call. */
	if (len == sizeof(struct dh_addr))
		return memcmp(it->key, key, sizeof(struct dh_addr)) == 0;
	if (len <= 8) {
		const uint8_t *a = it->key, *b = key;
		for (size_t i = 0; i < len; i++)
			if (a[i] != b[i])
				return 0;
		return 1;
	}
	return memcmp(it->key, key, len) == 0;
}

static uint32_t *slot_of(const struct detect_ss *ss, uint64_t h, const void *key, size_t len)
{
	uint32_t i = (uint32_t)h & ss->mask;

	for (;;) {
		uint32_t v = ss->index[i];
		if (v == 0 || key_eq(detect__ss_at(ss, v - 1), h, key, len))
			return &ss->index[i];
		i = (i + 1) & ss->mask;
	}
}

/* Removes an index slot with backward-shift deletion (linear probing
 * stays tombstone-free). */
static void index_remove(struct detect_ss *ss, uint32_t *slot)
{
	uint32_t i = (uint32_t)(slot - ss->index), j = i;

	for (;;) {
		j = (j + 1) & ss->mask;
		uint32_t v = ss->index[j];
		if (v == 0)
			break;
		uint32_t home = (uint32_t)detect__ss_at(ss, v - 1)->hash & ss->mask;
		/* v may move to i when its home is not cyclically in (i, j]. */
		if ((i <= j) ? (home <= i || home > j) : (home <= i && home > j)) {
			ss->index[i] = v;
			i = j;
		}
	}
	ss->index[i] = 0;
}

/* The item at heap index h grew: move it down. A hole moves instead of
 * the item, which gives the same order as swapping at every step with
 * half the stores. Ties stay where they are, so the item given up when
 * the table is full is the same as before the counts sat in the heap. */
static void sift_down(struct detect_ss *ss, uint32_t h)
{
	struct detect_ss_heap x = ss->heap[h];
	uint32_t n = ss->n;

	for (;;) {
		uint32_t l = 2 * h + 1, r = l + 1, m = h;
		uint64_t mc = x.count;
		if (l < n && ss->heap[l].count < mc) {
			m = l;
			mc = ss->heap[l].count;
		}
		if (r < n && ss->heap[r].count < mc)
			m = r;
		if (m == h)
			break;
		ss->heap[h] = ss->heap[m];
		ss->pos[ss->heap[h].item] = h;
		h = m;
	}
	ss->heap[h] = x;
	ss->pos[x.item] = h;
}

static void sift_up(struct detect_ss *ss, uint32_t h)
{
	struct detect_ss_heap x = ss->heap[h];

	while (h > 0) {
		uint32_t p = (h - 1) / 2;
		if (ss->heap[p].count <= x.count)
			break;
		ss->heap[h] = ss->heap[p];
		ss->pos[ss->heap[h].item] = h;
		h = p;
	}
	ss->heap[h] = x;
	ss->pos[x.item] = h;
}

static void set_key(struct detect_ss_item *it, uint64_t h, const void *key, size_t len)
{
	it->hash = h;
	it->keylen = (uint8_t)len;
	memcpy(it->key, key, len);
}

uint64_t detect__ss_hash(const void *key, size_t len)
{
	return dh_hash64(key, len > DETECT_SS_KEY - 1 ? DETECT_SS_KEY - 1 : len, SS_SEED);
}

struct detect_ss_item *detect__ss_add(struct detect_ss *ss, const void *key, size_t len,
                                      uint64_t inc, int *created)
{
	return detect__ss_add_h(ss, key, len, detect__ss_hash(key, len), inc, created);
}

struct detect_ss_item *detect__ss_add_h(struct detect_ss *ss, const void *key, size_t len,
                                        uint64_t h, uint64_t inc, int *created)
{
	uint32_t *slot, i;
	struct detect_ss_item *it;

	if (len > DETECT_SS_KEY - 1)
		len = DETECT_SS_KEY - 1;
	if (ss->n < ss->cap && (ss->n + 1) * 2 > ss->mask + 1 && ss->mask + 1 < ss->max_slots)
		index_grow(ss);
	slot = slot_of(ss, h, key, len);
	ss->total += inc;
	*created = 0;
	if (*slot) {
		i = *slot - 1;
		it = detect__ss_at(ss, i);
		it->count += inc;
		if (inc) {
			uint32_t hp = ss->pos[i];
			ss->heap[hp].count += inc;
			sift_down(ss, hp);
		}
		return it;
	}
	*created = 1;
	if (ss->n < ss->cap) {
		i = ss->n++;
		it = detect__ss_at(ss, i);
		memset(it, 0, ss->item_size);
		set_key(it, h, key, len);
		it->count = inc;
		ss->heap[ss->n - 1].count = inc;
		ss->heap[ss->n - 1].item = i;
		ss->pos[i] = ss->n - 1;
		*slot = i + 1;
		sift_up(ss, ss->n - 1);
		return it;
	}
	/* Full: the smallest estimate gives its place (Space-Saving). */
	i = ss->heap[0].item;
	it = detect__ss_at(ss, i);
	index_remove(ss, slot_of(ss, it->hash, it->key, it->keylen));
	uint64_t min = it->count;
	memset(it, 0, ss->item_size);
	set_key(it, h, key, len);
	it->err = min;
	it->count = min + inc;
	ss->heap[0].count = min + inc;
	/* The removal may have moved slots: look the new key's slot up again. */
	*slot_of(ss, h, key, len) = i + 1;
	sift_down(ss, 0);
	ss->evicted++;
	return it;
}

struct detect_ss_item *detect__ss_find(const struct detect_ss *ss, const void *key, size_t len)
{
	uint64_t h;
	uint32_t *slot;

	if (len > DETECT_SS_KEY - 1)
		len = DETECT_SS_KEY - 1;
	h = dh_hash64(key, len, SS_SEED);
	slot = slot_of(ss, h, key, len);
	return *slot ? detect__ss_at(ss, *slot - 1) : NULL;
}

size_t detect__ss_top(const struct detect_ss *ss, uint32_t *out, size_t max)
{
	size_t k = 0;

	/* A partial selection: keep out[] sorted, largest first. Callers
	 * ask for a few dozen out of at most a few hundred thousand. */
	for (uint32_t i = 0; i < ss->n; i++) {
		uint64_t c = detect__ss_at(ss, i)->count;
		size_t j;
		if (k == max && (max == 0 || detect__ss_at(ss, out[k - 1])->count >= c))
			continue;
		if (k < max)
			k++;
		for (j = k - 1; j > 0 && detect__ss_at(ss, out[j - 1])->count < c; j--)
			out[j] = out[j - 1];
		out[j] = i;
	}
	return k;
}
