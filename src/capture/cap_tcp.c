/*
 * cap_tcp.c - DNS over TCP stream reassembly (see cap_tcp.h).
 *
 * A flow keeps the bytes it received in order in one buffer and cuts DNS
 * messages off its front as they complete. Segments that arrive early are
 * copied aside (bounded) and merged when the hole before them fills. The
 * buffer remembers where each segment it holds ended (a mark), with the
 * segment's time, so that a message carries the time of the segment that
 * completed it even when several segments are merged at once.
 *
 * A flow is in step ("synced") when its buffer starts at a message
 * boundary: after a SYN, or once resynchronised. Out of step, the flow
 * keeps the bytes from the oldest segment start still in question and
 * tries every segment start in the buffer as a message start. A start is
 * taken when the frames from it are plausible (length of at least a DNS
 * header, RFC 1035 section 4.1.1; a header whose counts fit the length
 * and whose opcode and rcode make sense) and either end exactly where the
 * received data ends or make two whole messages in a row; it is rejected
 * at the first implausible frame. Senders start a message at a segment
 * start nearly always (many put the 2-byte prefix in a segment of its
 * own), so this finds the framing within a few segments, and the header
 * checks keep the bytes of a message's middle from being taken for one:
 * no message is handed out from a start that was not confirmed.
 *
 * Messages the flow cannot hand out through the normal path (those before
 * a hole that is given up, those of a flow that idles out) are copied into
 * a queue of the table, which cap_tcp_next() empties first.
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
	int64_t ts;
	uint64_t packet_no;
	uint8_t *data; /* from malloc() */
};

/* Where a chunk of the in-order buffer ends, and when it arrived. */
struct seg_mark {
	uint32_t end; /* sequence number just past the chunk */
	int bad;      /* out of step: no message starts at end */
	int64_t ts;
	uint64_t packet_no;
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
	uint32_t peer_ack; /* highest acknowledgment of the other direction */
	int have_peer_ack;
	int synced;   /* buf starts at a message boundary */
	int fin;      /* a FIN was seen */
	int closing;  /* close once its messages are taken */
	int closed;   /* buffers freed; kept to recognise late resends */
	uint8_t *buf; /* from malloc(): in-order bytes, [head, len) unread */
	size_t head, len, cap;
	/* Borrowed: the current segment's in-order bytes while buf is empty.
	 * Messages are cut straight from the frame; what is left of them is
	 * copied into buf before the frame goes away (ext_save()). */
	const uint8_t *ext;
	size_t ext_len;
	struct seg_mark *marks; /* from malloc() on first use: CAP_TCP_MAX_MARKS */
	unsigned nmarks;
	unsigned nooo;
	size_t ooo_bytes;
	struct ooo_seg *ooo; /* from malloc() on first use: CAP_TCP_MAX_OOO slots */
	int64_t last_ts;
	uint64_t last_packet;
};

/* A message copied out of its flow, waiting for cap_tcp_next(). */
struct queued {
	struct cap_dns m; /* m.data is unset: the bytes are at off */
	size_t off;
};

struct cap_tcp_table {
	struct cap_stats *stats; /* borrowed */
	struct tcp_flow *buckets[TCP_BUCKETS];
	struct tcp_flow *lru_head, *lru_tail;
	unsigned nflows;
	size_t bytes;
	struct tcp_flow *ready; /* flow whose messages cap_tcp_next() hands out */
	int finishing;
	struct queued *q; /* from malloc(): [qpos, qn) not yet handed out */
	size_t qn, qpos, qcap;
	uint8_t *qbytes; /* from malloc(): the queued messages' bytes */
	size_t qlen, qbcap;
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

/* Bytes not yet handed out; they end at next_seq. Only one of buf and ext
 * holds any at a time. */
static size_t unread(const struct tcp_flow *f)
{
	return f->len - f->head + f->ext_len;
}

static uint32_t read_seq(const struct tcp_flow *f)
{
	return f->next_seq - (uint32_t)unread(f);
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
	return f->nooo > 0 || (f->synced && unread(f) > 0);
}

/* Forgets the in-order bytes, buffered and borrowed. */
static void flow_drop_data(struct tcp_flow *f)
{
	f->head = f->len = 0;
	f->ext = NULL;
	f->ext_len = 0;
	f->nmarks = 0;
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
	free(f->marks);
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
	free(t->q);
	free(t->qbytes);
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
	f->have_peer_ack = 0;
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
	free(f->marks);
	f->marks = NULL;
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

static struct tcp_flow *flow_lookup(struct cap_tcp_table *t, const struct dh_addr *src,
                                    const struct dh_addr *dst, uint16_t sport, uint16_t dport,
                                    uint32_t hash)
{
	for (struct tcp_flow *f = t->buckets[hash & (TCP_BUCKETS - 1)]; f; f = f->hnext)
		if (f->hash == hash && f->sport == sport && f->dport == dport &&
		    dh_addr_equal(&f->src, src) && dh_addr_equal(&f->dst, dst))
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

/* Could these 12 bytes head a DNS message of len bytes? Only used to find
 * message starts in a stream out of step, where a wrong yes hands out
 * garbage and a wrong no only delays the resynchronisation. */
static int header_plausible(const uint8_t *h, size_t len)
{
	struct cur c;
	uint16_t flags, qd, an, ns, ar;
	unsigned opcode;

	cur_init(&c, h, DNS_HEADER_LEN);
	cur_skip(&c, 2); /* id */
	flags = cur_u16(&c);
	qd = cur_u16(&c);
	an = cur_u16(&c);
	ns = cur_u16(&c);
	ar = cur_u16(&c);
	if (c.err)
		return 0;
	opcode = (flags >> 11) & 0x0f;
	/* QUERY, IQUERY (RFC 3425, obsolete but seen), STATUS, NOTIFY (RFC
	 * 1996), UPDATE (RFC 2136) and DSO (RFC 8490); the rest unassigned. */
	if (opcode == 3 || opcode > 6)
		return 0;
	/* A request carries no response code (RFC 1035 section 4.1.1). */
	if (!(flags & 0x8000) && (flags & 0x000f) != 0)
		return 0;
	/* RFC 9619: QDCOUNT is 0 or 1 in practice. */
	if (qd > 1)
		return 0;
	/* Each question takes at least 5 bytes (root name, type, class) and
	 * each record at least 11 (root name, type, class, TTL, RDLENGTH). */
	if (DNS_HEADER_LEN + 5u * qd + 11u * ((uint32_t)an + ns + ar) > len)
		return 0;
	return 1;
}

enum { CHAIN_NO = 0, CHAIN_MAYBE = 1, CHAIN_YES = 2 };

/*
 * Checks the frames from p on as DNS over TCP: CHAIN_NO at the first
 * implausible one; CHAIN_YES when at least one whole message ends exactly
 * at the end of the data, or two whole messages follow each other, or
 * (final: no more data will come) one whole message is there; else
 * CHAIN_MAYBE. The walk stops at the second whole message, so its cost
 * does not grow with the data.
 */
static int chain_check(const uint8_t *p, size_t n, int final)
{
	struct cur c;
	unsigned whole = 0;

	cur_init(&c, p, n);
	while (cur_left(&c) >= 2) {
		uint16_t len = cur_u16(&c);
		if (len < DNS_HEADER_LEN)
			return CHAIN_NO;
		if (cur_left(&c) >= DNS_HEADER_LEN && !header_plausible(c.p, len))
			return CHAIN_NO;
		if (cur_left(&c) < len)
			break;
		cur_skip(&c, len);
		whole++;
		if (cur_left(&c) == 0 || whole >= 2)
			return CHAIN_YES;
	}
	return whole > 0 && final ? CHAIN_YES : CHAIN_MAYBE;
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

/* Forgets the marks at or before the read position: their bytes are gone. */
static void marks_prune(struct tcp_flow *f)
{
	uint32_t rd = read_seq(f);
	unsigned k = 0;

	while (k < f->nmarks && (int32_t)(f->marks[k].end - rd) <= 0)
		k++;
	if (k > 0) {
		memmove(f->marks, f->marks + k, (f->nmarks - k) * sizeof(*f->marks));
		f->nmarks -= k;
	}
}

/* Makes room for one mark by merging one into the next: a start already
 * rejected if there is one, else the oldest. The start at the front of
 * the buffer stays, so a long message over many segments can still be
 * confirmed from it; the merged chunk's messages carry the time of the
 * next mark, a little late. */
static void mark_forget_one(struct tcp_flow *f)
{
	unsigned i = 0;

	for (unsigned k = 0; k + 1 < f->nmarks; k++) {
		if (f->marks[k].bad) {
			i = k;
			break;
		}
	}
	memmove(f->marks + i, f->marks + i + 1, (f->nmarks - i - 1) * sizeof(*f->marks));
	f->nmarks--;
}

/* Records that the buffer's bytes now end at next_seq, received at ts. */
static void mark_push(struct tcp_flow *f, int64_t ts, uint64_t packet_no)
{
	if (!f->marks) {
		f->marks = malloc(CAP_TCP_MAX_MARKS * sizeof(*f->marks));
		if (!f->marks)
			return;
	}
	if (f->nmarks == CAP_TCP_MAX_MARKS)
		mark_forget_one(f);
	f->marks[f->nmarks].end = f->next_seq;
	f->marks[f->nmarks].bad = 0;
	f->marks[f->nmarks].ts = ts;
	f->marks[f->nmarks].packet_no = packet_no;
	f->nmarks++;
}

/* Out of step: gives up the segment start at the front of the buffer,
 * keeping the bytes from the next one on. */
static void drop_first_start(struct tcp_flow *f)
{
	if (f->nmarks == 0 || f->ext_len > 0) {
		flow_drop_data(f);
		return;
	}
	size_t skip = f->marks[0].end - read_seq(f);
	if (skip >= f->len - f->head) {
		flow_drop_data(f);
		return;
	}
	f->head += skip;
	marks_prune(f);
}

/* Out of step: looks for a confirmed message start among the segment
 * starts the buffer holds, oldest first; takes it and drops what is
 * before it. final says that no more bytes will follow these. */
static void resync(struct tcp_flow *f, int final)
{
	while (!f->synced && f->len > f->head) {
		const uint8_t *p = f->buf + f->head;
		size_t n = f->len - f->head;
		uint32_t rd = read_seq(f);
		int r = chain_check(p, n, final);
		if (r == CHAIN_YES) {
			f->synced = 1;
			return;
		}
		if (r == CHAIN_NO) {
			drop_first_start(f);
			continue;
		}
		/* The oldest start is still open; a later one may prove itself
		 * first (the oldest may be a middle that claims a long message). */
		for (unsigned i = 0; i + 1 < f->nmarks; i++) {
			size_t off = f->marks[i].end - rd;
			if (f->marks[i].bad || off == 0 || off >= n)
				continue;
			r = chain_check(p + off, n - off, final);
			if (r == CHAIN_YES) {
				f->head += off;
				marks_prune(f);
				f->synced = 1;
				return;
			}
			if (r == CHAIN_NO)
				f->marks[i].bad = 1;
		}
		return;
	}
}

/* Loses the framing after a failed append: the bytes are gone. */
static void lose_step(struct cap_tcp_table *t, struct tcp_flow *f)
{
	t->stats->tcp_gaps++;
	flow_drop_data(f);
	f->synced = 0;
}

/* Copies what is left of the borrowed segment bytes into buf, before the
 * frame they live in goes away. They came with the last segment. */
static void ext_save(struct cap_tcp_table *t, struct tcp_flow *f)
{
	const uint8_t *p = f->ext;
	size_t n = f->ext_len;

	if (n == 0)
		return;
	f->ext = NULL;
	f->ext_len = 0;
	f->nmarks = 0; /* buf was empty: every mark is stale */
	if (buf_append(t, f, p, n) != 0) {
		lose_step(t, f);
		return;
	}
	mark_push(f, f->last_ts, f->last_packet);
}

/* Takes a chunk that starts exactly at next_seq, received at ts. borrow
 * says p is the current segment's data, which may be lent out until
 * ext_save(); early segments being merged are freed at once and must be
 * copied. */
static void chunk_in_order(struct cap_tcp_table *t, struct tcp_flow *f, const uint8_t *p, size_t n,
                           int borrow, int64_t ts, uint64_t packet_no)
{
	if (borrow && unread(f) == 0 && (f->synced || chain_check(p, n, 0) == CHAIN_YES)) {
		/* The common case, a segment starting a message with nothing
		 * buffered: no copy unless a message stays unfinished. Out of
		 * step, a segment that confirms its own start (a capture that
		 * joins connections without their SYN, as most long-lived
		 * ones are) takes the same path. */
		f->synced = 1;
		f->nmarks = 0;
		f->ext = p;
		f->ext_len = n;
		f->next_seq += (uint32_t)n;
		return;
	}
	ext_save(t, f);
	if (!f->synced) {
		/* Out of step the buffer holds the starts in question: the
		 * oldest go when there is no room for more bytes. */
		while (unread(f) > 0 && n > TCP_BUF_MAX - unread(f))
			drop_first_start(f);
	}
	f->next_seq += (uint32_t)n;
	if (buf_append(t, f, p, n) != 0) {
		lose_step(t, f);
		return;
	}
	mark_push(f, ts, packet_no);
	if (!f->synced)
		resync(f, 0);
}

static void ooo_remove(struct cap_tcp_table *t, struct tcp_flow *f, unsigned i)
{
	t->bytes -= f->ooo[i].len;
	f->ooo_bytes -= f->ooo[i].len;
	free(f->ooo[i].data);
	f->ooo[i] = f->ooo[--f->nooo];
}

/* Moves the early segments that the stream has now reached into it. When
 * a segment filled the hole, the messages completed now; own_time says
 * the hole was given up instead, and each keeps its own segment's time. */
static void ooo_merge(struct cap_tcp_table *t, struct tcp_flow *f, int own_time)
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
				chunk_in_order(t, f, s->data + old, s->len - old, 0,
				               own_time ? s->ts : f->last_ts,
				               own_time ? s->packet_no : f->last_packet);
				progressed = 1;
			}
			ooo_remove(t, f, i);
		}
	}
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
		msg->ts_ns = f->last_ts;
		msg->packet_no = f->last_packet;
		if (!borrowed) {
			/* The first mark at or after the message's end is the
			 * segment that completed it. */
			uint32_t end = read_seq(f);
			for (unsigned k = 0; k < f->nmarks; k++) {
				if ((int32_t)(f->marks[k].end - end) >= 0) {
					msg->ts_ns = f->marks[k].ts;
					msg->packet_no = f->marks[k].packet_no;
					break;
				}
			}
			marks_prune(f);
		}
		if (len == 0)
			continue;
		msg->src = f->src;
		msg->dst = f->dst;
		msg->sport = f->sport;
		msg->dport = f->dport;
		msg->transport = DH_TRANSPORT_TCP;
		msg->data = p;
		msg->len = len;
		return 1;
	}
	return 0;
}

/* Copies one message into the table's queue. Returns 0 or -1. */
static int queue_push(struct cap_tcp_table *t, const struct cap_dns *m)
{
	if (t->qn == t->qcap) {
		size_t cap = t->qcap ? 2 * t->qcap : 16;
		struct queued *q = realloc(t->q, cap * sizeof(*q));
		if (!q)
			return -1;
		t->q = q;
		t->qcap = cap;
	}
	if (m->len > t->qbcap - t->qlen) {
		size_t cap = t->qbcap ? t->qbcap : 4096;
		while (cap - t->qlen < m->len)
			cap *= 2;
		uint8_t *b = realloc(t->qbytes, cap);
		if (!b)
			return -1;
		t->qbytes = b;
		t->qbcap = cap;
	}
	memcpy(t->qbytes + t->qlen, m->data, m->len);
	t->q[t->qn].m = *m;
	t->q[t->qn].m.data = NULL;
	t->q[t->qn].off = t->qlen;
	t->qlen += m->len;
	t->qn++;
	return 0;
}

/* No more bytes will follow what the flow holds (a hole is given up, the
 * flow idled out or the capture ended): a start out of step may now be
 * confirmed by one whole message, and every whole message is queued. */
static void flow_flush(struct cap_tcp_table *t, struct tcp_flow *f)
{
	struct cap_dns m;

	if (!f->synced)
		resync(f, 1);
	while (flow_pop(f, &m))
		if (queue_push(t, &m) != 0)
			t->stats->tcp_gaps++;
}

/* Gives up the bytes from next_seq to seq: the capture lost them. */
static void skip_to(struct cap_tcp_table *t, struct tcp_flow *f, uint32_t seq)
{
	t->stats->tcp_gaps++;
	flow_flush(t, f);
	flow_drop_data(f);
	f->synced = 0;
	f->next_seq = seq;
	ooo_merge(t, f, 1);
}

static uint32_t ooo_first_seq(const struct tcp_flow *f)
{
	uint32_t best = f->next_seq, dist = UINT32_MAX;

	for (unsigned i = 0; i < f->nooo; i++) {
		uint32_t d = f->ooo[i].seq - f->next_seq;
		if (d < dist) {
			dist = d;
			best = f->ooo[i].seq;
		}
	}
	return best;
}

/* Gives up the hole before the earliest early segment. */
static void skip_hole(struct cap_tcp_table *t, struct tcp_flow *f)
{
	skip_to(t, f, ooo_first_seq(f));
}

/* Is the hole before a segment at seq, arriving at ts, lost for good? It
 * is when the receiver acknowledged the bytes before seq (it has them, so
 * they will not be sent again), or when an early segment has waited
 * behind it for longer than a retransmission takes. */
static int hole_lost(const struct tcp_flow *f, uint32_t seq, int64_t ts)
{
	if (f->have_peer_ack && (int32_t)(f->peer_ack - seq) >= 0 &&
	    (int32_t)(f->peer_ack - f->next_seq) <= (int32_t)TCP_WINDOW)
		return 1;
	for (unsigned i = 0; i < f->nooo; i++)
		if (ts > f->ooo[i].ts && ts - f->ooo[i].ts > CAP_TCP_HOLE_NS)
			return 1;
	return 0;
}

/* Restarts the stream at the segment, giving up what the flow held. */
static void jump(struct cap_tcp_table *t, struct tcp_flow *f, uint32_t seq,
                 const struct cap_tcp_seg *s)
{
	t->stats->tcp_gaps++;
	flow_flush(t, f);
	ooo_clear(t, f);
	flow_drop_data(f);
	f->synced = 0;
	f->next_seq = seq;
	chunk_in_order(t, f, s->data, s->len, 1, s->ts_ns, s->packet_no);
}

/* Keeps a segment that arrived before the bytes ahead of it. Returns 0,
 * or -1 when the flow has no room for it. */
static int ooo_store(struct cap_tcp_table *t, struct tcp_flow *f, uint32_t seq,
                     const struct cap_tcp_seg *s)
{
	uint8_t *copy;

	for (unsigned i = 0; i < f->nooo; i++)
		if (f->ooo[i].seq == seq && f->ooo[i].len >= s->len)
			return 0; /* a resend of an early segment */
	if (!f->ooo)
		f->ooo = malloc(CAP_TCP_MAX_OOO * sizeof(*f->ooo));
	if (!f->ooo || f->nooo == CAP_TCP_MAX_OOO ||
	    s->len > CAP_TCP_MAX_OOO_BYTES - f->ooo_bytes || budget(t, f, s->len) != 0 ||
	    (copy = malloc(s->len)) == NULL)
		return -1;
	memcpy(copy, s->data, s->len);
	f->ooo[f->nooo].seq = seq;
	f->ooo[f->nooo].len = (uint32_t)s->len;
	f->ooo[f->nooo].ts = s->ts_ns;
	f->ooo[f->nooo].packet_no = s->packet_no;
	f->ooo[f->nooo].data = copy;
	f->nooo++;
	f->ooo_bytes += s->len;
	t->bytes += s->len;
	return 0;
}

static void flow_data(struct cap_tcp_table *t, struct tcp_flow *f, uint32_t seq,
                      const struct cap_tcp_seg *s)
{
	/* Each turn either takes the segment or gives up at least one hole
	 * or early segment, so the loop ends. */
	for (;;) {
		int32_t diff = (int32_t)(seq - f->next_seq);
		if (diff < -(int32_t)TCP_WINDOW || diff > (int32_t)TCP_WINDOW) {
			jump(t, f, seq, s);
			return;
		}
		if (diff <= 0) {
			/* Retransmitted bytes are dropped; only new ones count. */
			uint32_t old = (uint32_t)(-(int64_t)diff);
			if (old >= s->len)
				return;
			chunk_in_order(t, f, s->data + old, s->len - old, 1, s->ts_ns,
			               s->packet_no);
			ooo_merge(t, f, 0);
			return;
		}
		if (hole_lost(f, seq, s->ts_ns)) {
			uint32_t first = ooo_first_seq(f);
			skip_to(t, f, f->nooo > 0 && (int32_t)(first - seq) < 0 ? first : seq);
			continue;
		}
		if (ooo_store(t, f, seq, s) == 0)
			return;
		if (f->nooo == 0) {
			jump(t, f, seq, s);
			return;
		}
		skip_hole(t, f);
	}
}

/* Notes an acknowledgment for the other direction of the connection. */
static void note_ack(struct cap_tcp_table *t, const struct cap_tcp_seg *s, struct tcp_flow *self)
{
	uint32_t hash = key_hash(&s->dst, &s->src, s->dport, s->sport);
	struct tcp_flow *r = flow_lookup(t, &s->dst, &s->src, s->dport, s->sport, hash);

	if (!r || r == self || r->closed)
		return;
	if (!r->have_peer_ack || (int32_t)(s->ack - r->peer_ack) > 0) {
		r->peer_ack = s->ack;
		r->have_peer_ack = 1;
	}
}

/* A flow that idled out or was reset goes; the whole messages it still
 * holds are handed out. */
static void flow_expire(struct cap_tcp_table *t, struct tcp_flow *f)
{
	if (!f->closed) {
		ext_save(t, f);
		while (f->nooo > 0)
			skip_hole(t, f);
		flow_flush(t, f);
	}
	flow_release(t, f);
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
		flow_expire(t, t->lru_head);

	f = flow_lookup(t, &s->src, &s->dst, s->sport, s->dport, hash);
	if (s->flags & CAP_TCP_ACK)
		note_ack(t, s, f);
	if (s->flags & CAP_TCP_RST) {
		/* Nothing follows a reset: holes are final, and the whole
		 * messages behind them come out. */
		if (f)
			flow_expire(t, f);
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
		flow_data(t, f, seq, s);
	if (s->flags & CAP_TCP_FIN)
		f->fin = 1;
	if (f->fin && f->nooo == 0) {
		/* Nothing follows a FIN: what is still in question is final. */
		f->closing = 1;
		if (!f->synced)
			resync(f, 1);
	}
	t->ready = f;
}

void cap_tcp_detach(struct cap_tcp_table *t)
{
	if (t->ready)
		ext_save(t, t->ready);
}

int cap_tcp_next(struct cap_tcp_table *t, struct cap_dns *msg)
{
	for (;;) {
		if (t->qpos < t->qn) {
			*msg = t->q[t->qpos].m;
			msg->data = t->qbytes + t->q[t->qpos].off;
			t->qpos++;
			return 1;
		}
		/* The message handed out last may point into the queue; this
		 * call ends its life, so the queue starts over. */
		t->qn = t->qpos = t->qlen = 0;
		struct tcp_flow *f = t->ready;
		if (f) {
			if (flow_pop(f, msg))
				return 1;
			ext_save(t, f);
			t->ready = NULL;
			if (f->closing && !t->finishing)
				flow_close(t, f);
			if (!t->finishing)
				return 0;
			continue;
		}
		if (!t->finishing || !t->lru_head)
			return 0;
		flow_expire(t, t->lru_head);
	}
}

void cap_tcp_finish(struct cap_tcp_table *t)
{
	if (t->ready) {
		ext_save(t, t->ready);
		if (t->ready->closing)
			flow_close(t, t->ready);
	}
	t->ready = NULL;
	t->finishing = 1;
}
