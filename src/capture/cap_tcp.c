/*
 * cap_tcp.c - DNS over TCP stream reassembly (see cap_tcp.h).
 *
 * A flow keeps the bytes it received in order in one buffer and cuts DNS
 * messages off its front as they complete. Segments that arrive early are
 * copied aside (bounded) and merged when the hole before them fills.
 *
 * When the capture starts in the middle of a connection there is no SYN to
 * say where the stream begins. The flow then starts at the first segment
 * seen and only trusts a segment start that looks like a length prefix:
 * lengths of at least a DNS header (RFC 1035 section 4.1.1, 12 bytes) that
 * frame the segment exactly (strong evidence), or whose last message runs
 * on past the segment (weak evidence). A weak start is dropped for the next
 * strong one until a message completes from it. Senders start a message at
 * a segment start nearly always, so this finds the framing within a few
 * segments and rarely keeps a wrong one.
 */
#include "capture/cap_tcp.h"

#include <stdlib.h>
#include <string.h>

#include "util/cursor.h"
#include "util/err.h"

#define TCP_BUCKETS 4096u /* power of two; chains average 2 at the flow limit */
/* A forward jump this large is lost data, not reordering. */
#define TCP_WINDOW (1u << 20)
/* The in-order buffer never needs more than one unfinished message of at
 * most 65535 bytes plus its prefix, and the segment being added. */
#define TCP_BUF_MAX    (2u * 65536u + 64u)
#define DNS_HEADER_LEN 12

struct ooo_seg {
	uint32_t seq;
	uint32_t len;
	uint8_t *data; /* from malloc() */
};

struct tcp_flow {
	struct tcp_flow *hnext;       /* hash chain */
	struct tcp_flow *prev, *next; /* least recently used first */
	uint32_t hash;
	struct dh_addr src, dst;
	uint16_t sport, dport;
	uint32_t isn;
	int have_isn;
	uint32_t next_seq; /* sequence number of the next in-order byte */
	int synced;        /* buf starts at a message boundary */
	int tentative;     /* synced on weak evidence, not yet confirmed */
	int fin;           /* a FIN was seen */
	int closing;       /* close once its messages are taken */
	int closed;        /* buffers freed; kept to recognise late resends */
	uint8_t *buf;      /* from malloc(): in-order bytes, [head, len) unread */
	size_t head, len, cap;
	/* Borrowed: the current segment's in-order bytes while buf is empty.
	 * Messages are cut straight from the frame; what is left of them is
	 * copied into buf before the frame goes away (ext_save()). */
	const uint8_t *ext;
	size_t ext_len;
	unsigned nooo;
	size_t ooo_bytes;
	struct ooo_seg *ooo; /* from malloc() on first use: CAP_TCP_MAX_OOO slots */
	int64_t last_ts;
	uint64_t last_packet;
};

struct cap_tcp_table {
	struct cap_stats *stats; /* borrowed */
	struct tcp_flow *buckets[TCP_BUCKETS];
	struct tcp_flow *lru_head, *lru_tail;
	unsigned nflows;
	size_t bytes;
	struct tcp_flow *ready; /* flow whose messages cap_tcp_next() hands out */
	int finishing;
};

struct cap_tcp_table *cap_tcp_new(struct cap_stats *stats)
{
	struct cap_tcp_table *t = calloc(1, sizeof(*t));

	if (t)
		t->stats = stats;
	return t;
}

static size_t addr_len(const struct dh_addr *a)
{
	return a->family == DH_AF_INET6 ? 16 : 4;
}

/* FNV-1a over the flow key. Captures are offline data, so a keyed hash
 * against collision flooding buys little; the flow limit bounds chains. */
static uint32_t key_hash(const struct dh_addr *src, const struct dh_addr *dst, uint16_t sport,
                         uint16_t dport)
{
	uint32_t h = 2166136261u;
	size_t n = addr_len(src);

	for (size_t i = 0; i < n; i++)
		h = (h ^ src->a[i]) * 16777619u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ dst->a[i]) * 16777619u;
	h = (h ^ sport) * 16777619u;
	h = (h ^ dport) * 16777619u;
	return h ^ (h >> 15);
}

static void lru_unlink(struct cap_tcp_table *t, struct tcp_flow *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		t->lru_head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		t->lru_tail = f->prev;
	f->prev = f->next = NULL;
}

static void lru_append(struct cap_tcp_table *t, struct tcp_flow *f)
{
	f->prev = t->lru_tail;
	f->next = NULL;
	if (t->lru_tail)
		t->lru_tail->next = f;
	else
		t->lru_head = f;
	t->lru_tail = f;
}

static void ooo_clear(struct cap_tcp_table *t, struct tcp_flow *f)
{
	for (unsigned i = 0; i < f->nooo; i++)
		free(f->ooo[i].data);
	t->bytes -= f->ooo_bytes;
	f->nooo = 0;
	f->ooo_bytes = 0;
}

/* True when releasing or resetting the flow now loses data. */
static int flow_has_leftover(const struct tcp_flow *f)
{
	return f->nooo > 0 || (f->synced && (f->len > f->head || f->ext_len > 0));
}

/* Forgets the in-order bytes, buffered and borrowed. */
static void flow_drop_data(struct tcp_flow *f)
{
	f->head = f->len = 0;
	f->ext = NULL;
	f->ext_len = 0;
}

static void flow_release(struct cap_tcp_table *t, struct tcp_flow *f)
{
	struct tcp_flow **pp = &t->buckets[f->hash & (TCP_BUCKETS - 1)];

	if (flow_has_leftover(f))
		t->stats->tcp_gaps++;
	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	lru_unlink(t, f);
	ooo_clear(t, f);
	free(f->ooo);
	t->bytes -= f->cap;
	free(f->buf);
	if (t->ready == f)
		t->ready = NULL;
	t->nflows--;
	free(f);
}

void cap_tcp_free(struct cap_tcp_table *t)
{
	if (!t)
		return;
	while (t->lru_head) {
		/* Freeing is not the end of the capture: no gap counting. */
		struct tcp_flow *f = t->lru_head;
		ooo_clear(t, f);
		flow_drop_data(f);
		flow_release(t, f);
	}
	free(t);
}

/* Drops everything the flow holds and forgets its framing. */
static void flow_reset(struct cap_tcp_table *t, struct tcp_flow *f)
{
	if (flow_has_leftover(f))
		t->stats->tcp_gaps++;
	ooo_clear(t, f);
	flow_drop_data(f);
	f->synced = 0;
	f->tentative = 0;
	f->fin = 0;
	f->closing = 0;
	f->closed = 0;
}

/* After FIN: frees the buffers but keeps the small flow record until it
 * idles out, so that data resent after the FIN is known as old instead of
 * starting a new stream that would hand the messages out twice. */
static void flow_close(struct cap_tcp_table *t, struct tcp_flow *f)
{
	flow_reset(t, f);
	t->bytes -= f->cap;
	free(f->buf);
	f->buf = NULL;
	f->cap = 0;
	f->closed = 1;
}

/* Makes room for need more bytes in the global budget by releasing the
 * least recently used flows other than f. Returns 0 or -1. */
static int budget(struct cap_tcp_table *t, struct tcp_flow *f, size_t need)
{
	while (t->bytes + need > CAP_TCP_MAX_BYTES) {
		struct tcp_flow *v = t->lru_head;
		if (v == f)
			v = f->next;
		if (!v)
			return -1;
		flow_release(t, v);
	}
	return 0;
}

static struct tcp_flow *flow_find(struct cap_tcp_table *t, const struct cap_tcp_seg *s,
                                  uint32_t hash)
{
	for (struct tcp_flow *f = t->buckets[hash & (TCP_BUCKETS - 1)]; f; f = f->hnext)
		if (f->hash == hash && f->sport == s->sport && f->dport == s->dport &&
		    dh_addr_equal(&f->src, &s->src) && dh_addr_equal(&f->dst, &s->dst))
			return f;
	return NULL;
}

static struct tcp_flow *flow_create(struct cap_tcp_table *t, const struct cap_tcp_seg *s,
                                    uint32_t hash)
{
	struct tcp_flow *f;

	if (t->nflows >= CAP_TCP_MAX_FLOWS)
		flow_release(t, t->lru_head);
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->hash = hash;
	f->src = s->src;
	f->dst = s->dst;
	f->sport = s->sport;
	f->dport = s->dport;
	f->hnext = t->buckets[hash & (TCP_BUCKETS - 1)];
	t->buckets[hash & (TCP_BUCKETS - 1)] = f;
	lru_append(t, f);
	t->nflows++;
	return f;
}

enum { START_NO = 0, START_WEAK = 1, START_STRONG = 2 };

/* Does a chunk that starts a segment look like the start of a message?
 * Strong when its prefixes frame it exactly (the messages end where the
 * segment ends), weak when the last message runs on past it. */
static int plausible_start(const uint8_t *p, size_t n)
{
	struct cur c;

	cur_init(&c, p, n);
	for (;;) {
		uint16_t len = cur_u16(&c);
		if (c.err || len < DNS_HEADER_LEN)
			return START_NO;
		if (cur_left(&c) < len)
			return START_WEAK;
		cur_skip(&c, len);
		if (cur_left(&c) == 0)
			return START_STRONG;
	}
}

/* Appends to the in-order buffer. Returns 0 or -1 when over a bound. */
static int buf_append(struct cap_tcp_table *t, struct tcp_flow *f, const uint8_t *p, size_t n)
{
	if (f->head > 0) {
		/* Messages before head were handed out during an earlier
		 * call, so their bytes may move now. */
		memmove(f->buf, f->buf + f->head, f->len - f->head);
		f->len -= f->head;
		f->head = 0;
	}
	if (n > TCP_BUF_MAX - f->len)
		return -1;
	if (f->len + n > f->cap) {
		size_t cap = f->cap ? f->cap : 1024;
		while (cap < f->len + n)
			cap *= 2;
		if (cap > TCP_BUF_MAX)
			cap = TCP_BUF_MAX;
		if (budget(t, f, cap - f->cap) != 0)
			return -1;
		uint8_t *buf = realloc(f->buf, cap);
		if (!buf)
			return -1;
		t->bytes += cap - f->cap;
		f->buf = buf;
		f->cap = cap;
	}
	memcpy(f->buf + f->len, p, n);
	f->len += n;
	return 0;
}

/* Copies what is left of the borrowed segment bytes into buf, before the
 * frame they live in goes away. */
static void ext_save(struct cap_tcp_table *t, struct tcp_flow *f)
{
	const uint8_t *p = f->ext;
	size_t n = f->ext_len;

	if (n == 0)
		return;
	f->ext = NULL;
	f->ext_len = 0;
	if (buf_append(t, f, p, n) != 0) {
		t->stats->tcp_gaps++;
		flow_drop_data(f);
		f->synced = 0;
	}
}

/* Takes a chunk that starts exactly at next_seq. borrow says p is the
 * current segment's data, which may be lent out until ext_save(); early
 * segments being merged are freed at once and must be copied. */
static void chunk_in_order(struct cap_tcp_table *t, struct tcp_flow *f, const uint8_t *p, size_t n,
                           int borrow)
{
	f->next_seq += (uint32_t)n;
	if (!f->synced || f->tentative) {
		/* Unframed: what came before is dropped if this chunk starts
		 * a message. A weak start is replaced by a strong one, as a
		 * message that never completes was a wrong guess. */
		int s = plausible_start(p, n);
		if (!f->synced && s == START_NO) {
			flow_drop_data(f);
			return;
		}
		if (!f->synced || s == START_STRONG) {
			flow_drop_data(f);
			f->synced = 1;
			f->tentative = s == START_WEAK;
		}
	}
	if (borrow && f->len == f->head && f->ext_len == 0) {
		/* The common case, a segment starting a message with nothing
		 * buffered: no copy unless a message stays unfinished. */
		f->ext = p;
		f->ext_len = n;
		return;
	}
	ext_save(t, f);
	if (buf_append(t, f, p, n) != 0) {
		t->stats->tcp_gaps++;
		flow_drop_data(f);
		f->synced = 0;
	}
}

static void ooo_remove(struct cap_tcp_table *t, struct tcp_flow *f, unsigned i)
{
	t->bytes -= f->ooo[i].len;
	f->ooo_bytes -= f->ooo[i].len;
	free(f->ooo[i].data);
	f->ooo[i] = f->ooo[--f->nooo];
}

/* Moves the early segments that the stream has now reached into it. */
static void ooo_merge(struct cap_tcp_table *t, struct tcp_flow *f)
{
	int progressed = 1;

	while (progressed) {
		progressed = 0;
		for (unsigned i = 0; i < f->nooo;) {
			struct ooo_seg *s = &f->ooo[i];
			int32_t d = (int32_t)(s->seq - f->next_seq);
			if (d > 0) {
				i++;
				continue;
			}
			uint32_t old = (uint32_t)(-(int64_t)d);
			if (old < s->len) {
				chunk_in_order(t, f, s->data + old, s->len - old, 0);
				progressed = 1;
			}
			ooo_remove(t, f, i);
		}
	}
}

/* Gives up the hole before the earliest early segment. */
static void skip_hole(struct cap_tcp_table *t, struct tcp_flow *f)
{
	uint32_t best = 0, dist = UINT32_MAX;

	for (unsigned i = 0; i < f->nooo; i++) {
		uint32_t d = f->ooo[i].seq - f->next_seq;
		if (d < dist) {
			dist = d;
			best = f->ooo[i].seq;
		}
	}
	t->stats->tcp_gaps++;
	f->next_seq = best;
	flow_drop_data(f);
	f->synced = 0;
	ooo_merge(t, f);
}

/* Restarts the stream at seq, giving up what the flow held. */
static void jump(struct cap_tcp_table *t, struct tcp_flow *f, uint32_t seq, const uint8_t *p,
                 size_t n)
{
	t->stats->tcp_gaps++;
	ooo_clear(t, f);
	flow_drop_data(f);
	f->synced = 0;
	f->next_seq = seq;
	chunk_in_order(t, f, p, n, 1);
}

static void flow_data(struct cap_tcp_table *t, struct tcp_flow *f, uint32_t seq, const uint8_t *p,
                      size_t n)
{
	int32_t diff = (int32_t)(seq - f->next_seq);
	uint8_t *copy;

	if (diff < -(int32_t)TCP_WINDOW || diff > (int32_t)TCP_WINDOW) {
		jump(t, f, seq, p, n);
		return;
	}
	if (diff <= 0) {
		/* Retransmitted bytes are dropped; only new ones count. */
		uint32_t old = (uint32_t)(-(int64_t)diff);
		if (old >= n)
			return;
		chunk_in_order(t, f, p + old, n - old, 1);
		ooo_merge(t, f);
		return;
	}
	if (!f->ooo)
		f->ooo = malloc(CAP_TCP_MAX_OOO * sizeof(*f->ooo));
	if (!f->ooo || f->nooo == CAP_TCP_MAX_OOO || n > CAP_TCP_MAX_OOO_BYTES - f->ooo_bytes ||
	    budget(t, f, n) != 0 || (copy = malloc(n)) == NULL) {
		jump(t, f, seq, p, n);
		return;
	}
	memcpy(copy, p, n);
	f->ooo[f->nooo].seq = seq;
	f->ooo[f->nooo].len = (uint32_t)n;
	f->ooo[f->nooo].data = copy;
	f->nooo++;
	f->ooo_bytes += n;
	t->bytes += n;
}

void cap_tcp_segment(struct cap_tcp_table *t, const struct cap_tcp_seg *s)
{
	uint32_t hash = key_hash(&s->src, &s->dst, s->sport, s->dport);
	uint32_t seq = s->seq;
	struct tcp_flow *f;

	if (t->ready) {
		ext_save(t, t->ready);
		if (t->ready->closing)
			flow_close(t, t->ready);
	}
	t->ready = NULL;
	while (t->lru_head && s->ts_ns > t->lru_head->last_ts &&
	       s->ts_ns - t->lru_head->last_ts > CAP_TCP_IDLE_NS)
		flow_release(t, t->lru_head);

	f = flow_find(t, s, hash);
	if (s->flags & CAP_TCP_RST) {
		if (f)
			flow_release(t, f);
		return;
	}
	if (f && f->closed && !(s->flags & CAP_TCP_SYN))
		return;
	if (s->flags & CAP_TCP_SYN) {
		if (!f)
			f = flow_create(t, s, hash);
		if (!f)
			return;
		if (!f->have_isn || f->isn != seq || f->closed) {
			/* A new connection on this 4-tuple, or the first SYN. */
			flow_reset(t, f);
			f->isn = seq;
			f->have_isn = 1;
			f->next_seq = seq + 1;
			f->synced = 1;
		}
		/* Data on a SYN (TCP Fast Open, RFC 7413) follows the SYN's
		 * own sequence number. */
		seq++;
	}
	if (!f) {
		/* A bare ACK or FIN of a flow we do not know needs no state. */
		if (s->len == 0)
			return;
		f = flow_create(t, s, hash);
		if (!f)
			return;
		f->next_seq = seq;
	}
	lru_unlink(t, f);
	lru_append(t, f);
	f->last_ts = s->ts_ns;
	f->last_packet = s->packet_no;
	if (s->len > 0)
		flow_data(t, f, seq, s->data, s->len);
	if (s->flags & CAP_TCP_FIN)
		f->fin = 1;
	if (f->fin && f->nooo == 0)
		f->closing = 1;
	t->ready = f;
}

/* Cuts the next message off the flow's buffer, or off the borrowed
 * segment bytes when the buffer is empty. Returns 1 or 0. */
static int flow_pop(struct tcp_flow *f, struct cap_dns *msg)
{
	while (f->synced) {
		int borrowed = f->len == f->head;
		size_t avail = borrowed ? f->ext_len : f->len - f->head;
		struct cur c;
		if (avail < 2)
			return 0;
		cur_init(&c, borrowed ? f->ext : f->buf + f->head, avail);
		uint16_t len = cur_u16(&c);
		const uint8_t *p = cur_take(&c, len);
		if (!p)
			return 0;
		if (borrowed) {
			f->ext += 2u + len;
			f->ext_len -= 2u + len;
		} else {
			f->head += 2u + len;
		}
		f->tentative = 0;
		if (len == 0)
			continue;
		msg->ts_ns = f->last_ts;
		msg->src = f->src;
		msg->dst = f->dst;
		msg->sport = f->sport;
		msg->dport = f->dport;
		msg->transport = DH_TRANSPORT_TCP;
		msg->data = p;
		msg->len = len;
		msg->packet_no = f->last_packet;
		return 1;
	}
	return 0;
}

void cap_tcp_detach(struct cap_tcp_table *t)
{
	if (t->ready)
		ext_save(t, t->ready);
}

int cap_tcp_next(struct cap_tcp_table *t, struct cap_dns *msg)
{
	for (;;) {
		struct tcp_flow *f = t->ready;
		if (!f) {
			if (!t->finishing || !t->lru_head)
				return 0;
			f = t->lru_head;
			while (f->nooo > 0)
				skip_hole(t, f);
			f->closing = 1;
			t->ready = f;
		}
		if (flow_pop(f, msg))
			return 1;
		ext_save(t, f);
		t->ready = NULL;
		if (t->finishing)
			flow_release(t, f);
		else if (f->closing)
			flow_close(t, f);
		if (!t->finishing)
			return 0;
	}
}

void cap_tcp_finish(struct cap_tcp_table *t)
{
	if (t->ready) {
		ext_save(t, t->ready);
		if (t->ready->closing)
			flow_release(t, t->ready);
	}
	t->ready = NULL;
	t->finishing = 1;
}
