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
	struct slot *slots;
	size_t used;
	int64_t started_ns;
};

struct ev_match {
	struct gen cur, old;
	size_t mask;
	int64_t timeout_ns;
	struct ev_match_stats st;
};

int ev_match_new(struct ev_match **out, int64_t timeout_ns, size_t capacity)
{
	struct ev_match *m = calloc(1, sizeof(*m));
	size_t cap = 1024;

	if (!m)
		return -ENOMEM;
	if (capacity == 0)
		capacity = DEFAULT_CAPACITY;
	while (cap < capacity)
		cap *= 2;
	m->mask = cap - 1;
	m->timeout_ns = timeout_ns > 0 ? timeout_ns : DEFAULT_TIMEOUT_NS;
	m->cur.slots = calloc(cap, sizeof(struct slot));
	m->old.slots = calloc(cap, sizeof(struct slot));
	if (!m->cur.slots || !m->old.slots) {
		ev_match_free(m);
		return -ENOMEM;
	}
	m->cur.started_ns = INT64_MIN;
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
static struct slot *probe(struct gen *g, size_t mask, uint64_t key)
{
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
static void erase(struct gen *g, size_t mask, struct slot *s)
{
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

static void rotate(struct ev_match *m, int64_t now)
{
	struct gen tmp = m->old;

	m->st.expired += m->old.used;
	m->old = m->cur;
	m->cur = tmp;
	memset(m->cur.slots, 0, (m->mask + 1) * sizeof(struct slot));
	m->cur.used = 0;
	m->cur.started_ns = now;
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
		if (ev->ts_ns - m->cur.started_ns > m->timeout_ns || m->cur.used * 2 > m->mask)
			rotate(m, ev->ts_ns);
		struct slot *s = probe(&m->cur, m->mask, key);
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
		struct slot *s = probe(gens[i], m->mask, key);
		if (s->key != key)
			continue;
		int64_t rtt = ev->ts_ns - s->ts_ns;
		if (rtt >= 0 && rtt <= 2 * m->timeout_ns) {
			ev->rtt_ns = rtt;
			m->st.matched++;
		}
		erase(gens[i], m->mask, s);
		return;
	}
}
