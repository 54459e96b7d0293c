/*
 * detect_beacon.c - beaconing: one client asking one name at a regular
 * period, as bots check in with their C&C (the DDoS bots of seed 000
 * section 3 contact theirs every few minutes; commodity implants do the
 * same with a little jitter).
 *
 * For each (client, name) pair the detector keeps the time of the last
 * query, a period estimate and two counts. An interval within
 * beacon_tolerance (default 2%) of the period is a hit and pulls the
 * estimate toward itself (an exponential average, weight 1/8); another
 * interval is a miss; when misses outnumber hits the pair re-locks on
 * the latest interval. Intervals under beacon_min_s (a second query of
 * the same lookup) only move the reference time; over beacon_max_s they start afresh.
 * Human and browser lookups arrive as a Poisson-like process, whose
 * intervals fall within 2% of each other rarely enough that their hits
 * never accumulate; a beacon's hits grow by one per period, and the
 * occasional displaced check-in (a DDoS bot's attack) costs one miss.
 *
 * Score: the hits of the client's best pair in the window (levels
 * 24/72/144 by default: an hour, three and six at a 2.5-minute period,
 * or a day at a 10-minute one).
 *
 * Memory: a fixed table of beacon_slots pairs (24 octets each), probed
 * over 8 slots; a new pair takes the slot in its probe run that is least
 * worth keeping: a pair seen only once before one with an interval, one
 * without a regular interval before one with hits, and among equals the
 * one idle longest. Most names are asked once, so a beacon's pair, once
 * it has an interval, is pushed out only by probe runs full of other
 * repeating pairs (doc/detect.md gives the sizing).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "util/bigmem.h"

struct pair {
	uint64_t key; /* hash of client and name; 0 = empty */
	int64_t last; /* ns */
	float period; /* s; 0 = none yet */
	uint16_t hits, misses;
};

struct beacon {
	struct detect *d;
	struct pair *slots; /* owned */
	uint32_t mask;
};

static int b_init(void **ctx, struct detect *d)
{
	struct beacon *b = calloc(1, sizeof(*b));
	uint32_t n = 1;

	if (!b)
		return -ENOMEM;
	while (n < d->cfg->beacon_slots && n < (1u << 30))
		n <<= 1;
	b->slots = dh_big_alloc((size_t)n * sizeof(struct pair));
	if (!b->slots) {
		free(b);
		return -ENOMEM;
	}
	b->mask = n - 1;
	b->d = d;
	*ctx = b;
	return 0;
}

static void b_free(void *ctx)
{
	struct beacon *b = ctx;

	if (!b)
		return;
	dh_big_free(b->slots, ((size_t)b->mask + 1) * sizeof(struct pair));
	free(b);
}

/* Rank of a slot as a victim, lower goes first: pairs seen once (the
 * great majority: most names are asked once), then pairs without a
 * regular interval yet, then the rest. */
static int keep_rank(const struct pair *p)
{
	return p->period == 0 ? 0 : p->hits == 0 ? 1 : 2;
}

static struct pair *lookup(struct beacon *b, uint64_t key)
{
	struct pair *victim = NULL;

	for (uint32_t i = 0; i < 8; i++) {
		struct pair *p = &b->slots[(key + i) & b->mask];
		if (p->key == key)
			return p;
		if (p->key == 0) {
			victim = p;
			break;
		}
		if (!victim || keep_rank(p) < keep_rank(victim) ||
		    (keep_rank(p) == keep_rank(victim) && p->last < victim->last))
			victim = p;
	}
	memset(victim, 0, sizeof(*victim));
	victim->key = key;
	return victim;
}

static uint64_t pair_key(const struct detect_obs *obs)
{
	/* Both hashes are there already: mix them (a multiply-xorshift
	 * round) rather than hash the address again. */
	uint64_t key = (obs->client_hash ^ (obs->name_hash * 0x9e3779b97f4a7c15ull) ^ obs->qt) *
	               0xbf58476d1ce4e5b9ull;
	return (key ^ (key >> 31)) | 1;
}

static void b_prefetch(void *ctx, const struct detect_obs *obs)
{
	struct beacon *b = ctx;

	if (obs->query)
		__builtin_prefetch(&b->slots[pair_key(obs) & b->mask]);
}

static int b_feed(void *ctx, const struct detect_obs *obs)
{
	struct beacon *b = ctx;
	const struct detect_config *cfg = b->d->cfg;
	struct pair *p;
	uint64_t key;
	double dt;

	if (!obs->query || obs->name_allowed || b->d->kind_win[DETECT_K_BEACON] < 0)
		return 0;
	key = pair_key(obs);
	p = lookup(b, key);
	if (p->last == 0) {
		p->last = obs->ev->ts_ns;
		return 0;
	}
	dt = (double)(obs->ev->ts_ns - p->last) / 1e9;
	p->last = obs->ev->ts_ns;
	/* Faster than the shortest period: a repeat of the same lookup, or
	 * a stream no beacon is; it moves the reference time on. */
	if (dt < cfg->beacon_min_s)
		return 0;
	if (dt > cfg->beacon_max_s) {
		p->period = 0;
		p->hits = p->misses = 0;
		return 0;
	}
	if (p->period == 0) {
		p->period = (float)dt;
		return 0;
	}
	if (fabs(dt - p->period) <= cfg->beacon_tolerance * p->period) {
		if (p->hits < UINT16_MAX)
			p->hits++;
		p->period += (float)((dt - p->period) / 8);
	} else if (++p->misses > p->hits) {
		p->period = (float)dt;
		p->hits = p->misses = 0;
		return 0;
	}
	if (p->hits == 0)
		return 0;
	return detect__score(b->d, obs, DETECT_K_BEACON, p->hits, p->period, obs->name,
	                     obs->name_len);
}

const struct detect_ops detect_beacon_ops = {
    .name = "beacon",
    .init = b_init,
    .prefetch = b_prefetch,
    .feed = b_feed,
    .close = NULL,
    .free = b_free,
};
