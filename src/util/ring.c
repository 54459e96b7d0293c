/*
 * ring.c - a bounded queue of byte records between two threads (see the
 * header).
 *
 * Records lie one after the other in the block, each an 8-byte aligned
 * header and payload, never split at the end: where the next record does
 * not fit before the end, a pad mark fills the rest and the record goes
 * to the front. Records are at most half the block, so a pad never
 * leaves a record waiting forever.
 *
 * The two positions are byte counts since creation (offsets are taken
 * modulo the capacity, a power of two): the producer alone moves wpos,
 * the consumer alone rpos, each publishing with a sequentially consistent
 * store, so putting and taking a record costs no lock and no system call.
 * A side that finds the ring empty (consumer) or full (producer) raises
 * its sleeping flag, looks once more and waits on a condition variable;
 * the other side signals only when it sees that flag. Flag and position
 * are both sequentially consistent, so of "I publish, then look at your
 * flag" and "I raise my flag, then look at your position" at least one
 * sees the other: no wakeup is lost. The waits also time out, as a guard.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/ring.h"

#define HDR      24u
#define PAD_MARK 0xffffffffu
#define GUARD_MS 100

struct dh_ring {
	uint8_t *buf; /* from malloc(); cap bytes */
	size_t cap;   /* a power of two */
	_Atomic size_t wpos, rpos;
	_Atomic size_t peak;
	_Atomic int closed;
	_Atomic int consumer_sleeps, producer_sleeps;
	size_t taken; /* consumer's: size of the record peek returned, 0 = none */
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
};

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

int dh_ring_new(struct dh_ring **out, size_t cap)
{
	pthread_condattr_t ca;
	struct dh_ring *r;
	size_t c = 64;

	if (cap > SIZE_MAX / 4)
		return -EINVAL;
	while (c < cap)
		c <<= 1;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->buf = malloc(c);
	if (!r->buf) {
		free(r);
		return -ENOMEM;
	}
	r->cap = c;
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->not_empty, &ca);
	pthread_cond_init(&r->not_full, &ca);
	pthread_condattr_destroy(&ca);
	*out = r;
	return 0;
}

void dh_ring_free(struct dh_ring *r)
{
	if (!r)
		return;
	pthread_cond_destroy(&r->not_empty);
	pthread_cond_destroy(&r->not_full);
	pthread_mutex_destroy(&r->mu);
	free(r->buf);
	free(r);
}

size_t dh_ring_max_record(const struct dh_ring *r)
{
	return r->cap / 2 - HDR;
}

static void deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static int later(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec >= b->tv_nsec);
}

/* Wakes the other side if it said it sleeps. */
static void wake(struct dh_ring *r, _Atomic int *sleeps, pthread_cond_t *cv)
{
	if (atomic_load(sleeps)) {
		pthread_mutex_lock(&r->mu);
		pthread_cond_signal(cv);
		pthread_mutex_unlock(&r->mu);
	}
}

int dh_ring_put(struct dh_ring *r, struct dh_ring_tag tag, const void *p, size_t len, int *waited)
{
	size_t need, total, w, off;
	uint32_t len32 = (uint32_t)len;

	if (waited)
		*waited = 0;
	if (len > dh_ring_max_record(r))
		return -EMSGSIZE;
	need = HDR + align8(len);
	w = atomic_load_explicit(&r->wpos, memory_order_relaxed);
	off = w & (r->cap - 1);
	total = need <= r->cap - off ? need : r->cap - off + need;
	for (;;) {
		if (atomic_load(&r->closed))
			return -EPIPE;
		if (r->cap - (w - atomic_load(&r->rpos)) >= total)
			break;
		if (waited)
			*waited = 1;
		struct timespec until;
		deadline(&until, GUARD_MS);
		pthread_mutex_lock(&r->mu);
		atomic_store(&r->producer_sleeps, 1);
		if (r->cap - (w - atomic_load(&r->rpos)) < total && !atomic_load(&r->closed))
			pthread_cond_timedwait(&r->not_full, &r->mu, &until);
		atomic_store(&r->producer_sleeps, 0);
		pthread_mutex_unlock(&r->mu);
	}
	if (total != need) {
		/* The end is too short: mark it skipped, start at the front. */
		uint32_t mark = PAD_MARK;
		memcpy(r->buf + off, &mark, 4);
		off = 0;
	}
	memcpy(r->buf + off, &len32, 4);
	memset(r->buf + off + 4, 0, 4);
	memcpy(r->buf + off + 8, &tag.a, 8);
	memcpy(r->buf + off + 16, &tag.b, 8);
	if (len)
		memcpy(r->buf + off + HDR, p, len);
	atomic_store(&r->wpos, w + total);
	size_t used = w + total - atomic_load_explicit(&r->rpos, memory_order_relaxed);
	if (used > atomic_load_explicit(&r->peak, memory_order_relaxed))
		atomic_store_explicit(&r->peak, used, memory_order_relaxed);
	wake(r, &r->consumer_sleeps, &r->not_empty);
	return 0;
}

void dh_ring_close(struct dh_ring *r)
{
	atomic_store(&r->closed, 1);
	pthread_mutex_lock(&r->mu);
	pthread_cond_broadcast(&r->not_empty);
	pthread_cond_broadcast(&r->not_full);
	pthread_mutex_unlock(&r->mu);
}

int dh_ring_peek(struct dh_ring *r, int timeout_ms, struct dh_ring_tag *tag, const uint8_t **p,
                 size_t *len)
{
	struct timespec until, now;
	size_t rp = atomic_load_explicit(&r->rpos, memory_order_relaxed);
	uint32_t len32;

	if (timeout_ms > 0)
		deadline(&until, timeout_ms);
	for (;;) {
		if (atomic_load(&r->wpos) != rp) {
			size_t off = rp & (r->cap - 1);
			memcpy(&len32, r->buf + off, 4);
			if (len32 != PAD_MARK)
				break;
			/* A pad: the record is at the front. */
			rp += r->cap - off;
			atomic_store(&r->rpos, rp);
			wake(r, &r->producer_sleeps, &r->not_full);
			continue;
		}
		/* Empty. The producer closes only after its last put, so
		 * closed and still empty means the end. */
		if (atomic_load(&r->closed) && atomic_load(&r->wpos) == rp)
			return -EPIPE;
		if (timeout_ms == 0)
			return 0;
		struct timespec guard;
		deadline(&guard, GUARD_MS);
		if (timeout_ms > 0 && later(&guard, &until))
			guard = until;
		pthread_mutex_lock(&r->mu);
		atomic_store(&r->consumer_sleeps, 1);
		if (atomic_load(&r->wpos) == rp && !atomic_load(&r->closed))
			pthread_cond_timedwait(&r->not_empty, &r->mu, &guard);
		atomic_store(&r->consumer_sleeps, 0);
		pthread_mutex_unlock(&r->mu);
		if (timeout_ms > 0 && atomic_load(&r->wpos) == rp) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (later(&now, &until))
				return 0;
		}
	}
	size_t off = rp & (r->cap - 1);
	memcpy(&tag->a, r->buf + off + 8, 8);
	memcpy(&tag->b, r->buf + off + 16, 8);
	*p = r->buf + off + HDR;
	*len = len32;
	r->taken = HDR + align8(len32);
	return 1;
}

void dh_ring_pop(struct dh_ring *r)
{
	if (!r->taken)
		return;
	size_t rp = atomic_load_explicit(&r->rpos, memory_order_relaxed);
	atomic_store(&r->rpos, rp + r->taken);
	r->taken = 0;
	wake(r, &r->producer_sleeps, &r->not_full);
}

void dh_ring_usage(struct dh_ring *r, size_t *used, size_t *peak)
{
	*used = atomic_load(&r->wpos) - atomic_load(&r->rpos);
	*peak = atomic_load(&r->peak);
}
