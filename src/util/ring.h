/*
 * ring.h - a bounded queue of byte records between two threads.
 *
 * One producer puts records (a small tag and a payload), one consumer
 * takes them in the same order. The memory is one block fixed at
 * creation, so a slow consumer costs at most that much: when it is full
 * the producer waits (or is told to), never grows it. A record is read in
 * place: dh_ring_peek() gives a pointer into the block that stays valid
 * until dh_ring_pop(), so the consumer needs no copy. Neither side takes
 * a lock or makes a system call unless the ring is empty or full.
 *
 * The producer calls dh_ring_close() when it has nothing more; the
 * consumer then drains what is left and sees the end.
 */
#ifndef DH_UTIL_RING_H
#define DH_UTIL_RING_H

#include <stddef.h>
#include <stdint.h>

struct dh_ring;

/* A record's tag: what the producer wants the consumer to know besides
 * the bytes. */
struct dh_ring_tag {
	uint64_t a, b;
};

/* Creates a ring of cap bytes (rounded up to a power of two; at least
 * 64). Returns 0 and *out (free with dh_ring_free()), or -ENOMEM or
 * -EINVAL. */
int dh_ring_new(struct dh_ring **out, size_t cap);
void dh_ring_free(struct dh_ring *r);

/* The largest payload a ring of this capacity takes. */
size_t dh_ring_max_record(const struct dh_ring *r);

/*
 * Producer: appends a record of len bytes. If the ring has no room, waits
 * until the consumer frees enough (or the ring is closed). Returns 0,
 * -EMSGSIZE when len exceeds dh_ring_max_record(), or -EPIPE after close.
 * *waited (may be NULL) is set to 1 when it had to wait.
 */
int dh_ring_put(struct dh_ring *r, struct dh_ring_tag tag, const void *p, size_t len, int *waited);

/* Producer: no more records. Wakes the consumer. */
void dh_ring_close(struct dh_ring *r);

/*
 * Consumer: waits up to timeout_ms (-1: forever, 0: not at all) for the
 * oldest record. Returns 1 with *tag, *p, *len set (p valid until
 * dh_ring_pop()), 0 when none came in time, or -EPIPE when the ring is
 * closed and empty.
 */
int dh_ring_peek(struct dh_ring *r, int timeout_ms, struct dh_ring_tag *tag, const uint8_t **p,
                 size_t *len);

/* Consumer: frees the record dh_ring_peek() returned. */
void dh_ring_pop(struct dh_ring *r);

/* Bytes in use now, and the most ever in use (records and their headers). */
void dh_ring_usage(struct dh_ring *r, size_t *used, size_t *peak);

#endif
