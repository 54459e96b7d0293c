/*
 * cap_frag.c - IPv4 and IPv6 fragment reassembly (see cap_frag.h).
 *
 * Fragments are rare in DNS traffic except in attacks and large EDNS
 * answers, so the table favours simplicity over speed: a small array of
 * slots searched linearly, each slot with a list of the byte ranges it
 * holds. Every range is checked against the others, so an overlap is
 * found whatever order the pieces arrive in.
 */
#include "capture/cap_frag.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"

/* The largest IP payload a 16-bit length field can describe. */
#define FRAG_MAX_DATAGRAM 65535u

struct frag_piece {
	uint32_t off, len;
};

struct frag_slot {
	int used;
	struct cap_frag_key key;
	int64_t first_ts;
	uint8_t proto;     /* from the offset-zero fragment */
	int have_first;    /* the offset-zero fragment arrived */
	uint32_t total;    /* payload length, known once the last fragment came */
	uint32_t received; /* bytes held; ranges never overlap, so this is coverage */
	uint8_t *buf;      /* from malloc(): the payload being rebuilt */
	uint32_t cap;
	unsigned npieces;
	struct frag_piece pieces[CAP_FRAG_MAX_PIECES];
};

struct cap_frag_table {
	struct cap_stats *stats; /* borrowed */
	size_t bytes;            /* sum of the slots' buffer sizes */
	uint8_t *done;           /* from malloc(): last reassembled payload */
	struct frag_slot slots[CAP_FRAG_SLOTS];
};

struct cap_frag_table *cap_frag_new(struct cap_stats *stats)
{
	struct cap_frag_table *t = calloc(1, sizeof(*t));

	if (t)
		t->stats = stats;
	return t;
}

static void slot_release(struct cap_frag_table *t, struct frag_slot *s)
{
	t->bytes -= s->cap;
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

/* Gives a datagram up, counting every fragment it held. */
static void slot_drop(struct cap_frag_table *t, struct frag_slot *s)
{
	t->stats->frag_dropped += s->npieces;
	slot_release(t, s);
}

void cap_frag_clear(struct cap_frag_table *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < CAP_FRAG_SLOTS; i++)
		if (t->slots[i].used)
			slot_drop(t, &t->slots[i]);
	free(t->done);
	t->done = NULL;
}

void cap_frag_free(struct cap_frag_table *t)
{
	if (!t)
		return;
	cap_frag_clear(t);
	free(t);
}

void cap_frag_expire(struct cap_frag_table *t, int64_t now)
{
	for (unsigned i = 0; i < CAP_FRAG_SLOTS; i++) {
		struct frag_slot *s = &t->slots[i];
		/* Capture time may run backwards in a merged file; only the
		 * forward distance can expire a datagram. */
		if (s->used && now > s->first_ts && now - s->first_ts > CAP_FRAG_TIMEOUT_NS)
			slot_drop(t, s);
	}
}

static int key_equal(const struct cap_frag_key *a, const struct cap_frag_key *b)
{
	return a->family == b->family && a->proto == b->proto && a->id == b->id &&
	       memcmp(a->src, b->src, sizeof(a->src)) == 0 &&
	       memcmp(a->dst, b->dst, sizeof(a->dst)) == 0;
}

static struct frag_slot *slot_oldest(struct cap_frag_table *t, const struct frag_slot *keep)
{
	struct frag_slot *old = NULL;

	for (unsigned i = 0; i < CAP_FRAG_SLOTS; i++) {
		struct frag_slot *s = &t->slots[i];
		if (s->used && s != keep && (!old || s->first_ts < old->first_ts))
			old = s;
	}
	return old;
}

static struct frag_slot *slot_find(struct cap_frag_table *t, const struct cap_frag_key *key,
                                   int64_t now)
{
	struct frag_slot *free_slot = NULL;

	for (unsigned i = 0; i < CAP_FRAG_SLOTS; i++) {
		struct frag_slot *s = &t->slots[i];
		if (s->used && key_equal(&s->key, key))
			return s;
		if (!s->used && !free_slot)
			free_slot = s;
	}
	if (!free_slot) {
		/* All slots busy: the oldest datagram is the least likely to
		 * complete, so it makes room. */
		free_slot = slot_oldest(t, NULL);
		slot_drop(t, free_slot);
	}
	free_slot->used = 1;
	free_slot->key = *key;
	free_slot->first_ts = now;
	return free_slot;
}

/* Makes the slot's buffer hold at least need bytes within the budget.
 * Returns 0 or DH_EFRAG. */
static int slot_reserve(struct cap_frag_table *t, struct frag_slot *s, uint32_t need)
{
	uint32_t cap = s->cap ? s->cap : 2048;
	uint8_t *buf;

	if (need <= s->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > FRAG_MAX_DATAGRAM)
		cap = FRAG_MAX_DATAGRAM;
	while (t->bytes + (cap - s->cap) > CAP_FRAG_MAX_BYTES) {
		struct frag_slot *old = slot_oldest(t, s);
		if (!old)
			return DH_EFRAG;
		slot_drop(t, old);
	}
	buf = realloc(s->buf, cap);
	if (!buf)
		return DH_EFRAG;
	t->bytes += cap - s->cap;
	s->buf = buf;
	s->cap = cap;
	return 0;
}

int cap_frag_add(struct cap_frag_table *t, const struct cap_frag_key *key, size_t off,
                 const uint8_t *data, size_t len, int more, uint8_t proto, int64_t now,
                 const uint8_t **out, size_t *outlen, uint8_t *outproto)
{
	struct frag_slot *s;
	uint32_t end;
	int rc = 0;

	free(t->done);
	t->done = NULL;
	t->stats->fragments++;
	cap_frag_expire(t, now);

	/* An empty fragment or one reaching past 64 KiB can only be an
	 * attack or damage (the "ping of death" shape). */
	if (len == 0 || off > FRAG_MAX_DATAGRAM || len > FRAG_MAX_DATAGRAM - off) {
		t->stats->frag_dropped++;
		return DH_EFRAG;
	}
	end = (uint32_t)(off + len);
	s = slot_find(t, key, now);

	/* Every fragment but the last carries a multiple of 8 bytes (RFC 791,
	 * RFC 8200 section 4.5); anything else cannot be placed safely. */
	if (more && len % 8 != 0)
		goto drop;
	if (s->total && (end > s->total || (!more && end != s->total)))
		goto drop;
	if (!more) {
		/* The last fragment fixes the length; a piece already held
		 * past it means two fragments disagree. */
		for (unsigned i = 0; i < s->npieces; i++)
			if (s->pieces[i].off + s->pieces[i].len > end)
				goto drop;
		s->total = end;
	}
	for (unsigned i = 0; i < s->npieces; i++) {
		const struct frag_piece *p = &s->pieces[i];
		if (off < p->off + p->len && p->off < end)
			goto drop;
	}
	if (s->npieces == CAP_FRAG_MAX_PIECES)
		goto drop;
	if (slot_reserve(t, s, end) != 0)
		goto drop;
	memcpy(s->buf + off, data, len);
	s->pieces[s->npieces].off = (uint32_t)off;
	s->pieces[s->npieces].len = (uint32_t)len;
	s->npieces++;
	s->received += (uint32_t)len;
	if (off == 0) {
		s->have_first = 1;
		s->proto = proto;
	}
	if (!s->total || s->received != s->total)
		goto out;

	/* Complete: hand the buffer over and free the slot. */
	t->done = s->buf;
	*out = s->buf;
	*outlen = s->total;
	*outproto = s->proto;
	s->buf = NULL;
	slot_release(t, s);
	t->stats->reassembled++;
	rc = 1;
	goto out;
drop:
	/* The fragment in hand is counted with the ones the slot held. */
	t->stats->frag_dropped++;
	slot_drop(t, s);
	rc = DH_EFRAG;
out:
	return rc;
}
