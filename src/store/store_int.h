/*
 * store_int.h - internals shared by the store's source files. Nothing here
 * is part of the store's contract (store.h); the `store__` prefix marks
 * cross-file helpers, as libuv's `uv__` does.
 */
#ifndef DH_STORE_STORE_INT_H
#define DH_STORE_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"
#include "store/store.h"
#include "util/addr.h"
#include "util/cursor.h"
#include "util/err.h"

struct sqlite3;

/* ---- Growable byte buffer with a sticky error (-ENOMEM). ---- */

struct sbuf {
	uint8_t *p; /* owned, from malloc() */
	size_t len, cap;
	int err;
};

void store__sbuf_release(struct sbuf *b);
/* Makes room for n more bytes; returns a pointer to them or NULL (err set). */
uint8_t *store__sbuf_room(struct sbuf *b, size_t n);
void store__sbuf_put(struct sbuf *b, const void *p, size_t n);
void store__sbuf_u8(struct sbuf *b, unsigned v);
void store__sbuf_u16le(struct sbuf *b, unsigned v);
void store__sbuf_u32le(struct sbuf *b, uint32_t v);
void store__sbuf_u64le(struct sbuf *b, uint64_t v);
void store__sbuf_varint(struct sbuf *b, uint64_t v);

static inline uint64_t store__zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t store__unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Reads a LEB128 varint of at most 10 bytes; errors stick in c. Inline:
 * block decoding reads several per event. */
static inline uint64_t store__cur_varint(struct cur *c)
{
	if (!c->err && c->p < c->end && *c->p < 0x80)
		return *c->p++;
	uint64_t v = 0;
	/* Ten bytes carry 64 bits; an eleventh continuation is a lie. */
	for (unsigned shift = 0; shift < 70; shift += 7) {
		if (!cur_need(c, 1))
			return 0;
		uint8_t x = *c->p++;
		v |= (uint64_t)(x & 0x7f) << shift;
		if (!(x & 0x80))
			return v;
	}
	cur_fail(c, DH_ECORRUPT);
	return 0;
}

uint64_t store__cur_u64le(struct cur *c);

/* CRC-32C (Castagnoli, as in iSCSI RFC 3720 and ext4): catches the bit
 * flips and torn writes a store file can suffer. */
uint32_t store__crc32c(uint32_t crc, const void *p, size_t n);

/* 64-bit hash of bytes (FNV-1a with a final avalanche); index keys. */
uint64_t store__hash64(const void *p, size_t n);

/* Canonical 17-byte form of an address (family + 16 bytes) used as a
 * dictionary item and hash input. */
#define STORE_ADDR_KEY 17
void store__addr_key(const struct dh_addr *a, uint8_t out[STORE_ADDR_KEY]);
void store__addr_from_key(struct dh_addr *a, const uint8_t *key, size_t len);

/* ---- Interning table: byte strings to dense ids 0..n-1. ---- */

struct itab_item {
	uint64_t off; /* of the item's bytes in data */
	uint32_t len;
};

struct itab_slot {
	uint32_t id1; /* id + 1, 0 = empty */
	uint32_t tag; /* high bits of the hash: most misses end here */
};

struct itab {
	struct sbuf data;       /* item bytes, back to back */
	struct itab_item *item; /* owned */
	uint64_t *hash;         /* owned; the hash of each item */
	uint32_t n, cap;
	struct itab_slot *slot; /* owned; open addressing */
	uint32_t nslot;         /* power of two */
};

void store__itab_init(struct itab *t);
void store__itab_release(struct itab *t);
void store__itab_reset(struct itab *t);
/* Returns 0 and *id, or -ENOMEM. */
int store__itab_put(struct itab *t, const void *p, size_t n, uint32_t *id);

static inline const uint8_t *store__itab_get(const struct itab *t, uint32_t id, uint32_t *n)
{
	*n = t->item[id].len;
	return t->data.p + t->item[id].off;
}

/* ---- Buffered rows: one event in the ingest buffer. ---- */

#define STORE_NONE UINT32_MAX

struct srow {
	int64_t ts;
	int64_t rtt;
	uint32_t size;
	uint32_t qname;    /* string id or STORE_NONE (no question) */
	uint32_t observer; /* string id */
	uint32_t src, dst; /* address ids */
	uint32_t aset;     /* answer-set id or STORE_NONE */
	uint32_t ecs_addr; /* address id or STORE_NONE */
	uint32_t rr_dropped;
	uint16_t sport, dport, id, flags, qtype, qclass;
	uint16_t qd, an, ns, ar;
	uint16_t udp_size;
	uint8_t role, transport;
	uint8_t edns; /* bit 0 present, bit 1 DO, bit 2 ECS present */
	uint8_t edns_version, ext_rcode, ecs_source, ecs_scope;
};

/* The three dictionaries of an ingest buffer (and of a segment). */
struct sdict {
	struct itab str;  /* names, record data, observers */
	struct itab addr; /* STORE_ADDR_KEY-byte addresses */
	struct itab aset; /* encoded answer sets (see seg_write.c) */
};

/* ---- Segment files (seg_write.c, seg_read.c). ---- */

/* Events per block. A lookup decompresses one block per matching event,
 * so small blocks make lookups cheap for a few bytes per event (4096
 * events and 256-item chunks: 27.4 B/event, 218 ms per 400-hit client
 * lookup; 256: 29.6 B/event, 6.9 ms CPU; 128: 30.4, 4.9 ms; 64: 31.9,
 * 3.5 ms; 32: 34.5, 2.6 ms; doc/store.md). */
#define STORE_BLOCK_EVENTS 128

/*
 * Writes rows[order[0..n)] (sorted by time, all of one partition) into a
 * new segment file at path and fsyncs it. d holds the buffer's
 * dictionaries the rows refer to; zlevel is the zstd level. Returns 0 and
 * the file size in *bytes, or a negative code (the file may then exist
 * and is the caller's to remove).
 */
int store__seg_write(const char *path, const struct srow *rows, const uint32_t *order, size_t n,
                     const struct sdict *d, int zlevel, uint64_t *bytes);

struct seg;

/* Opens and checks the segment file (footer checksum). Returns 0,
 * DH_ECORRUPT or a negative errno. *out: caller frees with
 * store__seg_close(). */
int store__seg_open(struct seg **out, const char *path);
void store__seg_close(struct seg *sg);
/* Bytes held by sg's decompressed dictionary chunks. */
size_t store__seg_cached(const struct seg *sg);
/* Frees sg's decompressed dictionary chunks (no event may point into
 * them any more). */
void store__seg_trim(struct seg *sg);

/* Borrows the open segment named file from the store's cache of open
 * segments (opening it on a miss); give it back with store__seg_put().
 * Returns 0, DH_ECORRUPT or a negative errno. */
int store__seg_get(struct store *s, const char *file, struct seg **out);
void store__seg_put(struct store *s, struct seg *sg);

/* The plan of a query, after store_query and SQL constraints. */
struct splan {
	int64_t since, until;  /* [since, until) */
	const char *qname;     /* borrowed, NULL = any */
	const char *observer;  /* borrowed, NULL = any */
	struct dh_addr client; /* DH_AF_NONE = any */
	struct dh_addr server;
	struct dh_addr src; /* SQL constraints on the raw columns */
	struct dh_addr dst;
	uint64_t limit;
	int brief; /* store_query_brief(): brief events are enough */
	/* STORE_FIELD_* to fill (store_query_run(): all, and the records);
	 * the others are neither decoded nor written. */
	unsigned fields;
};

struct seg_iter;
/* Starts a scan of sg for plan p (borrowed, must outlive the iterator).
 * Returns 0, DH_ECORRUPT or -ENOMEM. */
int store__seg_iter_new(struct seg_iter **out, struct seg *sg, const struct splan *p);
/* Returns 1 with *ev pointing at the next matching event (owned by the
 * iterator, valid until the next call), 0 at the end, or a negative code. */
int store__seg_iter_next(struct seg_iter *it, const struct ev_event **ev);
void store__seg_iter_free(struct seg_iter *it);

/* ---- Query iterator across segments (query.c). ---- */

struct store_iter;
int store__iter_new(struct store_iter **out, struct store *s, const struct splan *p);
/* Returns 1 with *ev (valid until the next call), 0 at the end, or a
 * negative code. Corrupt segments are skipped and counted. */
int store__iter_next(struct store_iter *it, const struct ev_event **ev);
/* Number of segments skipped as corrupt so far. */
unsigned store__iter_corrupt(const struct store_iter *it);
void store__iter_free(struct store_iter *it);

void store__plan_from_query(struct splan *p, const struct store_query *q);

/* ---- Store handle access for query.c and sql.c (store.c). ---- */

struct store_segref {
	char *file; /* owned */
	int64_t tmin, tmax;
};

/* Lists the segments overlapping [since, until) ordered by tmin.
 * *out is owned by the caller (store__segrefs_free). */
int store__segments(struct store *s, int64_t since, int64_t until, struct store_segref **out,
                    size_t *n);
void store__segrefs_free(struct store_segref *r, size_t n);
/* Builds dir/seg/file into buf. Returns 0 or DH_ESPACE. */
int store__seg_path(struct store *s, const char *file, char *buf, size_t buflen);

/* Text of an event's answer records as JSON (sql.c); into b. */
void store__answers_json(struct sbuf *b, const struct ev_event *ev);

#endif
