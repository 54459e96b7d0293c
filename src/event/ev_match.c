#include "event/ev_match.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"

#define DEFAULT_TIMEOUT_NS (10LL * 1000000000LL)
#define DEFAULT_CAPACITY   262144

/* A slot holds the full 64-bit key hash and the query time. Two
 * different transactions sharing a 64-bit hash inside one timeout is a
 * 2^-40 event at a million queries in flight; the cost of such a
 * collision is one wrong response time, which is acceptable here. */
struct slot {
	uint64_t key; /* 0 = empty */
	int64_t ts_ns;
};

struct gen {
	struct slot *slots; /* from calloc() */
	size_t mask;        /* slots - 1; a power of two minus one */
	size_t used;
	int64_t started_ns;
};

struct ev_match {
	struct gen cur, old;
	size_t max_slots;
	int64_t timeout_ns;
	struct ev_match_stats st;
};

/* A generation starts small and doubles when half full, up to max_slots:
 * answered queries leave the table at once, so what stays is the
 * unanswered few, and a small table stays in the processor's cache. */
#define INITIAL_SLOTS 4096

static int gen_init(struct gen *g, size_t slots, int64_t now)
{
	g->slots = calloc(slots, sizeof(struct slot));
	if (!g->slots)
		return -ENOMEM;
	g->mask = slots - 1;
	g->used = 0;
	g->started_ns = now;
	return 0;
}

int ev_match_new(struct ev_match **out, int64_t timeout_ns, size_t capacity)
{
	struct ev_match *m = calloc(1, sizeof(*m));
	size_t cap = INITIAL_SLOTS;

	if (!m)
		return -ENOMEM;
	if (capacity == 0)
		capacity = DEFAULT_CAPACITY;
	while (cap < capacity)
		cap *= 2;
	m->max_slots = cap;
	m->timeout_ns = timeout_ns > 0 ? timeout_ns : DEFAULT_TIMEOUT_NS;
	size_t first = cap < INITIAL_SLOTS ? cap : INITIAL_SLOTS;
	if (gen_init(&m->cur, first, INT64_MIN) != 0 || gen_init(&m->old, first, INT64_MIN) != 0) {
		ev_match_free(m);
		return -ENOMEM;
	}
	*out = m;
	return 0;
}

void ev_match_free(struct ev_match *m)
{
	if (!m)
		return;
	free(m->cur.slots);
	free(m->old.slots);
	free(m);
}

const struct ev_match_stats *ev_match_stats(const struct ev_match *m)
{
	return &m->st;
}

/* The transaction key, seen from the client's side. */
static uint64_t txn_key(const struct ev_event *ev, int response)
{
	struct {
		uint8_t client[16], server[16];
		uint16_t cport, sport, id, qtype, qclass;
		uint8_t cfam, sfam, transport, pad;
		uint64_t qname;
	} k;
	const struct dh_addr *client = response ? &ev->dst : &ev->src;
	const struct dh_addr *server = response ? &ev->src : &ev->dst;

	memset(&k, 0, sizeof(k));
	memcpy(k.client, client->a, 16);
	memcpy(k.server, server->a, 16);
	k.cfam = client->family;
	k.sfam = server->family;
	k.cport = response ? ev->dport : ev->sport;
	k.sport = response ? ev->sport : ev->dport;
	k.id = ev->msg.id;
	k.qtype = ev->msg.qtype;
	k.qclass = ev->msg.qclass;
	k.transport = ev->transport;
	k.qname = dh_hash64(ev->msg.qname, ev->msg.qname_len, 0);
	uint64_t h = dh_hash64(&k, sizeof(k), 0x5eed);
	return h ? h : 1;
}

/* Returns the slot holding key, or the empty slot where it would go. */
static struct slot *probe(struct gen *g, uint64_t key)
{
	size_t mask = g->mask;
	size_t i = (size_t)key & mask;
	for (;;) {
		struct slot *s = &g->slots[i];
		if (s->key == key || s->key == 0)
			return s;
		i = (i + 1) & mask;
	}
}

/* Removes the slot's entry, shifting later entries of its probe run back
 * so that lookups never stop at a hole (linear probing deletion). */
static void erase(struct gen *g, struct slot *s)
{
	size_t mask = g->mask;
	size_t i = (size_t)(s - g->slots);
	size_t j = i;

	for (;;) {
		j = (j + 1) & mask;
		if (g->slots[j].key == 0)
			break;
		size_t home = (size_t)g->slots[j].key & mask;
		/* The entry at j may fill the hole at i only when i lies on
		 * its probe path, i.e. it is no nearer its home than i. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			g->slots[i] = g->slots[j];
			i = j;
		}
	}
	g->slots[i].key = 0;
	g->used--;
}

/* Doubles the current generation's table. Returns 0 or -ENOMEM (the
 * table is then left as it was). */
static int grow(struct gen *g)
{
	struct gen bigger;

	if (gen_init(&bigger, (g->mask + 1) * 2, g->started_ns) != 0)
		return -ENOMEM;
	for (size_t i = 0; i <= g->mask; i++) {
		if (g->slots[i].key == 0)
			continue;
		*probe(&bigger, g->slots[i].key) = g->slots[i];
		bigger.used++;
	}
	free(g->slots);
	*g = bigger;
	return 0;
}

/* Drops the older generation and starts a new, small current one. */
static void rotate(struct ev_match *m, int64_t now)
{
	struct gen fresh;

	if (gen_init(&fresh, INITIAL_SLOTS < m->max_slots ? INITIAL_SLOTS : m->max_slots, now) !=
	    0) {
		/* No memory for a new table: reuse the old one's. */
		fresh = m->old;
		memset(fresh.slots, 0, (fresh.mask + 1) * sizeof(struct slot));
		fresh.used = 0;
		fresh.started_ns = now;
		m->old.slots = NULL;
	}
	m->st.expired += m->old.used;
	free(m->old.slots);
	m->old = m->cur;
	m->cur = fresh;
}

void ev_match_event(struct ev_match *m, struct ev_event *ev)
{
	if (!ev->msg.has_question)
		return;
	int response = dns_msg_is_response(&ev->msg);
	uint64_t key = txn_key(ev, response);

	if (!response) {
		m->st.queries++;
		if (m->cur.started_ns == INT64_MIN)
			m->cur.started_ns = ev->ts_ns;
		if (ev->ts_ns - m->cur.started_ns > m->timeout_ns)
			rotate(m, ev->ts_ns);
		if (m->cur.used * 2 > m->cur.mask &&
		    (m->cur.mask + 1 >= m->max_slots || grow(&m->cur) != 0))
			rotate(m, ev->ts_ns);
		struct slot *s = probe(&m->cur, key);
		if (s->key == 0) {
			s->key = key;
			m->cur.used++;
		}
		/* A retransmitted query restarts the clock, as the client's
		 * own timer does. */
		s->ts_ns = ev->ts_ns;
		return;
	}
	m->st.responses++;
	struct gen *gens[2] = {&m->cur, &m->old};
	for (int i = 0; i < 2; i++) {
		struct slot *s = probe(gens[i], key);
		if (s->key != key)
			continue;
		int64_t rtt = ev->ts_ns - s->ts_ns;
		if (rtt >= 0 && rtt <= 2 * m->timeout_ns) {
			ev->rtt_ns = rtt;
			m->st.matched++;
		}
		erase(gens[i], s);
		return;
	}
}
