/*
 * nshist.c - the NS-record history in memory: learning from responses
 * (seed 003 sections 3.3 and 3.4, Fig. 2) and the constant-time check.
 *
 * Five tables, all open addressing or plain arrays, nothing allocated per
 * message once they have grown:
 *   - names: every zone, NS name and NS row's query name interned once,
 *     so rows compare names by pointer and a million rows do not hold a
 *     million copies of "com." (an answer row's query name is a plain
 *     copy: ans_qname());
 *   - rows: NS rows and answer rows in arrays, with a key table
 *     (zname, nsfqdn, glue) -> newest row for merging;
 *   - addresses: address -> newest glue row and the glue interval it
 *     covers, for the check;
 *   - answers: address -> its answer row, in slots of 16 bytes (32 for
 *     IPv6) that also hold the row's latest sighting, so that the build's
 *     commonest work (an A answer for an address seen before) reads one
 *     small slot;
 *   - pending: NS names still waiting for an address, in arrival order
 *     (a ring), found by name, closed once the glue window has passed.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "nshist/nshist.h"
#include "util/bigmem.h"
#include "util/cursor.h"
#include "util/err.h"
#include "util/hash.h"
#include "wire/dns_text.h"

#define ARENA_CHUNK (256 * 1024)
#define QUERY_SLOTS 16384
#define SIEVE_SLOTS 1024
/* The bit of an answer slot's row field above the row index. */
#define ANS_CHANGED 0x80000000u
#define ANS_IDX     0x7fffffffu
/* An answer slot's packed latest sighting (struct ans_slot). */
#define ANS_TTL_BITS 20
#define ANS_MS_MAX   ((1ULL << (64 - ANS_TTL_BITS)) - 1)
#define ANS_WIDE     UINT64_MAX
#define MS_NS        1000000LL
/* How many answer slots ahead ans_sync() loads a row. */
#define SYNC_AHEAD 16

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	char data[];
};

struct name_slot {
	uint64_t hash;
	const char *s; /* in the arena; NULL = empty slot */
};

struct row {
	struct nshist_ns r;
	uint32_t key_next;  /* older row of the same key, index + 1 */
	uint32_t addr_next; /* older glue row of the same address, index + 1 */
	uint8_t changed;
};

struct ans {
	struct nshist_answer r;
	uint8_t changed;
};

struct key_slot {
	uint64_t hash;
	uint32_t row; /* index + 1; 0 = empty */
};

/* One address of the check table. The newest glue interval is kept in
 * the slot itself so that a check usually reads one cache line. */
struct addr_slot {
	uint8_t a[16];
	uint8_t family;       /* DH_AF_NONE = empty */
	uint32_t chain;       /* every glue row of the address, newest first, index + 1 */
	uint32_t glue;        /* the row whose interval is cached, index + 1 */
	int64_t gstart, gend; /* the cached row's validity */
};

/*
 * One address of the answer table. The benchmark capture has 1.3 million
 * A/AAAA answer records for 129,309 addresses (BENCHMARKS.md): nearly
 * every record is an address seen before, a little later. The slot alone
 * decides that case: the address is its key, and the row's latest
 * sighting (last_ns and its TTL, packed in one word) is kept here and
 * only here, so the row is not touched at all. Rows get these two fields
 * back when they are handed out (ans_current(), ans_sync()). IPv4
 * addresses have a table of 16-byte slots (4 MB for the benchmark, where
 * 48-byte check slots and 72-byte rows were 21 MB that every answer
 * missed, and writing the row on every sighting cost 7% of the build);
 * IPv6 ones a table of 32-byte slots holding the rest of the address.
 */
struct ans_slot {
	/* The row's last_ns in ms, shifted left by ANS_TTL_BITS, or'ed with
	 * its ttl; ANS_WIDE when either does not fit (a TTL of 12 days or
	 * more, a time off the ms or before 1970): the row holds both then. */
	uint64_t seen;
	uint32_t key; /* the IPv4 address; for IPv6 its last four bytes */
	uint32_t row; /* index + 1 | ANS_CHANGED; 0 = empty */
};

struct ans_slot6 {
	struct ans_slot s;
	uint8_t a[12]; /* the address's first twelve bytes */
};

struct pend {
	uint64_t older; /* seq + 1 of the next older entry in the bucket; 0 none */
	uint64_t hash;
	const char *zname, *nsfqdn, *qname;
	uint32_t nsttl;
	int64_t res_ns, query_ns;
	uint16_t qid, qtype;
	uint16_t sieve; /* the name's counter in the sieve */
	uint8_t found;
};

struct nshist {
	struct nshist_config cfg;
	struct arena_chunk *arena;
	size_t arena_bytes;

	struct name_slot *names;
	size_t names_cap, names_n;

	struct row *rows;
	size_t rows_n, rows_cap;
	struct ans *ans;
	size_t ans_n, ans_cap;

	struct key_slot *keys;
	size_t keys_cap, keys_n;

	struct addr_slot *addrs;
	size_t addrs_cap, addrs_n;

	struct ans_slot *a4;  /* IPv4 answers */
	size_t a4_cap, a4_n;  /* a4_cap a power of two */
	struct ans_slot6 *a6; /* IPv6 answers */
	size_t a6_cap, a6_n;
	size_t both_n; /* addresses in both tables (for the stats) */

	struct pend *ring;
	size_t ring_cap;     /* a power of two */
	uint64_t head, tail; /* live entries are seq head .. tail-1 */
	uint64_t *buckets;   /* seq + 1 of the newest entry per bucket */
	size_t nbuckets;     /* == ring_cap */
	/* The waiting names counted by a cheap hash (sieve_of()): a response
	 * whose query name has a zero count waits for nobody, and is not
	 * hashed and looked up in the buckets. Most responses are, since a
	 * wait lasts the glue window (2 s) and few names wait at once. */
	uint32_t sieve[SIEVE_SLOTS];

	/* The oldest wait's deadline (its res_ns + glue_window_ns), or
	 * INT64_MAX while nobody waits: a response later than this calls
	 * nshist_settle(). */
	int64_t settle_after;

	struct nshist_stats st;
	/* Seed 003's query_DB, kept only as long as a response may come:
	 * the recent queries by (client, port, id), direct-mapped, so that
	 * an NS response whose event was not paired (rtt_ns -1) still finds
	 * its query's time. A later query in the same slot replaces an
	 * older one; a lost query only leaves querytime empty. */
	struct qslot {
		uint64_t key;
		int64_t ts_ns;
	} queries[QUERY_SLOTS];
	/* The time of the response being learned from, cut to the ms the
	 * history file keeps (seed 003 keeps ms), so that learning the
	 * same data again after a save and a load finds every row as it
	 * was and changes nothing. */
	int64_t t;
	int64_t t_ms; /* t in ms */
};

static const struct ans_slot *ans_find(const struct nshist *h, const struct dh_addr *addr);

static int64_t ms_floor(int64_t ns)
{
	int64_t r = ns % 1000000;
	return ns - (r < 0 ? r + 1000000 : r);
}

void nshist_config_init(struct nshist_config *cfg)
{
	cfg->glue_window_ns = 2 * NSHIST_SEC_NS;
	cfg->grace_ns = 3600 * NSHIST_SEC_NS;
	cfg->referrals = 1;
	cfg->answers = 1;
}

const char *nshist_src_name(unsigned src)
{
	switch (src) {
	case NSHIST_SRC_NONE:
		return "none";
	case NSHIST_SRC_ADDITIONAL:
		return "additional";
	case NSHIST_SRC_LATER:
		return "later-answer";
	default:
		return "?";
	}
}

const char *nshist_verdict_name(unsigned v)
{
	static const char *const n[] = {"resolver", "registered", "indirect", "unknown"};
	return v < 4 ? n[v] : "?";
}

/* ---- names -------------------------------------------------------------- */

static char *arena_alloc(struct nshist *h, size_t n)
{
	struct arena_chunk *c = h->arena;

	if (!c || c->cap - c->used < n) {
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = h->arena;
		c->used = 0;
		c->cap = cap;
		h->arena = c;
		h->arena_bytes += sizeof(*c) + cap;
	}
	char *p = c->data + c->used;
	c->used += n;
	return p;
}

static int names_grow(struct nshist *h)
{
	size_t cap = h->names_cap ? h->names_cap * 2 : 1024;
	struct name_slot *t = calloc(cap, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < h->names_cap; i++) {
		if (!h->names[i].s)
			continue;
		size_t j = h->names[i].hash & (cap - 1);
		while (t[j].s)
			j = (j + 1) & (cap - 1);
		t[j] = h->names[i];
	}
	free(h->names);
	h->names = t;
	h->names_cap = cap;
	return 0;
}

/* Returns the interned copy of s[0..n), or NULL when out of memory. */
static const char *intern(struct nshist *h, const char *s, size_t n)
{
	uint64_t hv = dh_hash64(s, n, 0x6e73);

	if ((h->names_n + 1) * 4 > h->names_cap * 3 && names_grow(h) != 0)
		return NULL;
	size_t j = hv & (h->names_cap - 1);
	while (h->names[j].s) {
		if (h->names[j].hash == hv && strncmp(h->names[j].s, s, n) == 0 &&
		    h->names[j].s[n] == '\0')
			return h->names[j].s;
		j = (j + 1) & (h->names_cap - 1);
	}
	char *p = arena_alloc(h, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	h->names[j].hash = hv;
	h->names[j].s = p;
	h->names_n++;
	return p;
}

/* 1 when name is zone or below it, at a label boundary. Both are
 * lower-case presentation form with the trailing dot. */
static int in_zone(const char *name, size_t nlen, const char *zone, size_t zlen)
{
	if (zlen == 1 && zone[0] == '.')
		return 1;
	if (nlen < zlen || memcmp(name + nlen - zlen, zone, zlen) != 0)
		return 0;
	if (nlen == zlen)
		return 1;
	/* The character before must be a label separator, not an escaped
	 * dot inside a label ("a\.example.com."). */
	size_t k = nlen - zlen;
	return name[k - 1] == '.' && (k < 2 || name[k - 2] != '\\');
}

/* ---- rows and the address table ----------------------------------------- */

static int64_t ttl_ns(uint32_t ttl)
{
	return (int64_t)ttl * NSHIST_SEC_NS;
}

/* Where a row's validity ends: glue for its TTL after the last sighting,
 * a glue-less row for its NS TTL, plus the grace either way. */
static int64_t row_end(const struct nshist *h, const struct nshist_ns *r)
{
	uint32_t ttl = r->glue.family != DH_AF_NONE ? r->glue_ttl : r->nsttl;
	int64_t end = r->last_ns + ttl_ns(ttl);

	return end > INT64_MAX - h->cfg.grace_ns ? INT64_MAX : end + h->cfg.grace_ns;
}

static uint64_t row_key(const char *zname, const char *nsfqdn, const struct dh_addr *glue)
{
	struct {
		const char *z, *n;
		uint8_t fam, a[16];
	} k;

	memset(&k, 0, sizeof(k));
	k.z = zname;
	k.n = nsfqdn;
	k.fam = glue->family;
	memcpy(k.a, glue->a, 16);
	return dh_hash64(&k, sizeof(k), 0x726f77);
}

static uint64_t addr_hash(const struct dh_addr *a)
{
	return dh_hash64(a->a, a->family == DH_AF_INET ? 4 : 16, a->family);
}

static int grow(void **p, size_t *cap, size_t elem, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 256;
	while (c < need)
		c *= 2;
	void *q = realloc(*p, c * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

static int keys_grow(struct nshist *h)
{
	size_t cap = h->keys_cap ? h->keys_cap * 2 : 1024;
	struct key_slot *t = calloc(cap, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < h->keys_cap; i++) {
		if (!h->keys[i].row)
			continue;
		size_t j = h->keys[i].hash & (cap - 1);
		while (t[j].row)
			j = (j + 1) & (cap - 1);
		t[j] = h->keys[i];
	}
	free(h->keys);
	h->keys = t;
	h->keys_cap = cap;
	return 0;
}

/*
 * The check's table is probed at random, one probe per query: past a few
 * MB every probe also misses the TLB. Its tables therefore come from
 * dh_big_alloc(), on huge pages, which cut the check's cost by a third on
 * a 1-million-server history (BENCHMARKS.md).
 */
static int addrs_grow(struct nshist *h)
{
	size_t cap = h->addrs_cap ? h->addrs_cap * 2 : 1024;
	struct addr_slot *t = dh_big_alloc(cap * sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < h->addrs_cap; i++) {
		struct addr_slot *s = &h->addrs[i];
		if (s->family == DH_AF_NONE)
			continue;
		struct dh_addr a;
		a.family = s->family;
		memcpy(a.a, s->a, 16);
		size_t j = addr_hash(&a) & (cap - 1);
		while (t[j].family != DH_AF_NONE)
			j = (j + 1) & (cap - 1);
		t[j] = *s;
	}
	dh_big_free(h->addrs, h->addrs_cap * sizeof(*t));
	h->addrs = t;
	h->addrs_cap = cap;
	return 0;
}

static const struct addr_slot *addr_find(const struct nshist *h, const struct dh_addr *a)
{
	if (!h->addrs_cap || a->family == DH_AF_NONE)
		return NULL;
	size_t mask = h->addrs_cap - 1, j = addr_hash(a) & mask;
	for (;;) {
		const struct addr_slot *s = &h->addrs[j];
		if (s->family == DH_AF_NONE)
			return NULL;
		if (s->family == a->family && memcmp(s->a, a->a, 16) == 0)
			return s;
		j = (j + 1) & mask;
	}
}

/* The slot of a, created empty when missing; NULL when out of memory. */
static struct addr_slot *addr_get(struct nshist *h, const struct dh_addr *a)
{
	if ((h->addrs_n + 1) * 4 > h->addrs_cap * 3 && addrs_grow(h) != 0)
		return NULL;
	size_t mask = h->addrs_cap - 1, j = addr_hash(a) & mask;
	for (;;) {
		struct addr_slot *s = &h->addrs[j];
		if (s->family == DH_AF_NONE) {
			memset(s, 0, sizeof(*s));
			s->family = a->family;
			memcpy(s->a, a->a, 16);
			h->addrs_n++;
			h->both_n += ans_find(h, a) != NULL;
			return s;
		}
		if (s->family == a->family && memcmp(s->a, a->a, 16) == 0)
			return s;
		j = (j + 1) & mask;
	}
}

/* Keeps the slot's cached interval on the row that ends last. */
static void addr_cache(struct nshist *h, struct addr_slot *s, uint32_t idx)
{
	const struct nshist_ns *r = &h->rows[idx].r;
	int64_t end = row_end(h, r);

	if (!s->glue || s->glue == idx + 1 || end >= s->gend) {
		s->glue = idx + 1;
		s->gstart = r->first_ns;
		s->gend = end;
	}
}

/*
 * Records one sighting of (zname, nsfqdn, glue) at t: extends the row of
 * that key whose validity covers t, or adds a row. Strings must be
 * interned. Returns 0 or -ENOMEM.
 */
static int sight(struct nshist *h, const struct nshist_ns *in, int changed)
{
	int merge = changed;
	uint64_t hv = row_key(in->zname, in->nsfqdn, &in->glue);
	uint32_t ttl = in->glue.family != DH_AF_NONE ? in->glue_ttl : in->nsttl;
	size_t j;

	if ((h->keys_n + 1) * 4 > h->keys_cap * 3 && keys_grow(h) != 0)
		return -ENOMEM;
	j = hv & (h->keys_cap - 1);
	while (h->keys[j].row) {
		const struct nshist_ns *r = &h->rows[h->keys[j].row - 1].r;
		if (h->keys[j].hash == hv && r->zname == in->zname && r->nsfqdn == in->nsfqdn &&
		    dh_addr_equal(&r->glue, &in->glue))
			break;
		j = (j + 1) & (h->keys_cap - 1);
	}
	/* Every row of the key: the one whose validity (widened by the new
	 * sighting's own TTL for sightings older than the row) covers it. */
	for (uint32_t k = merge ? h->keys[j].row : 0; k; k = h->rows[k - 1].key_next) {
		struct row *w = &h->rows[k - 1];
		int64_t reach = ttl_ns(ttl) + h->cfg.grace_ns;
		if (in->first_ns > row_end(h, &w->r) || in->last_ns + reach < w->r.first_ns)
			continue;
		int grew = 0;
		if (in->first_ns < w->r.first_ns) {
			/* An older sighting becomes the row's origin. */
			w->r.first_ns = in->first_ns;
			w->r.res_ns = in->res_ns;
			w->r.src = in->src;
			w->r.query_ns = in->query_ns;
			w->r.query_id = in->query_id;
			w->r.qtype = in->qtype;
			w->r.qname = in->qname;
			grew = 1;
		}
		if (in->last_ns > w->r.last_ns) {
			w->r.last_ns = in->last_ns;
			w->r.nsttl = in->nsttl;
			w->r.glue_ttl = in->glue_ttl;
			grew = 1;
		}
		if (grew) {
			if (changed && !w->changed) {
				w->changed = 1;
				h->st.changed++;
			}
			if (w->r.glue.family != DH_AF_NONE) {
				struct addr_slot *s = addr_get(h, &w->r.glue);
				if (!s)
					return -ENOMEM;
				addr_cache(h, s, k - 1);
			}
		}
		return 0;
	}
	if (h->rows_n >= UINT32_MAX - 1 ||
	    grow((void **)&h->rows, &h->rows_cap, sizeof(*h->rows), h->rows_n + 1) != 0)
		return -ENOMEM;
	uint32_t idx = (uint32_t)h->rows_n;
	struct row *w = &h->rows[idx];
	struct addr_slot *s = NULL;
	if (in->glue.family != DH_AF_NONE && !(s = addr_get(h, &in->glue)))
		return -ENOMEM;
	w->r = *in;
	w->key_next = h->keys[j].row;
	w->addr_next = 0;
	w->changed = (uint8_t)(changed != 0);
	h->st.changed += w->changed;
	if (!h->keys[j].row)
		h->keys_n++;
	h->keys[j].hash = hv;
	h->keys[j].row = idx + 1;
	h->rows_n++;
	if (s) {
		/* Chain the row to its address: the check walks older rows
		 * only when the cached one does not cover the query. */
		w->addr_next = s->chain;
		s->chain = idx + 1;
		addr_cache(h, s, idx);
	}
	return 0;
}

int nshist_add_ns(struct nshist *h, const struct nshist_ns *row)
{
	struct nshist_ns r = *row;

	r.zname = intern(h, row->zname, strlen(row->zname));
	r.nsfqdn = intern(h, row->nsfqdn, strlen(row->nsfqdn));
	r.qname = intern(h, row->qname ? row->qname : "", row->qname ? strlen(row->qname) : 0);
	if (!r.zname || !r.nsfqdn || !r.qname)
		return -ENOMEM;
	return sight(h, &r, 0);
}

/* ---- the answer table --------------------------------------------------- */

static uint64_t ans_hash4(uint32_t w)
{
	uint64_t x = (uint64_t)w * 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 29);
}

static uint64_t ans_hash6(const uint8_t *a)
{
	uint64_t x, y;

	memcpy(&x, a, 8);
	memcpy(&y, a + 8, 8);
	x = (x ^ (y * 0x9e3779b97f4a7c15ULL)) * 0xbf58476d1ce4e5b9ULL;
	return x ^ (x >> 31);
}

/* The hash of an address of family (DH_AF_INET or DH_AF_INET6) whose
 * bytes are at a. */
static uint64_t ans_hash_bytes(uint8_t family, const uint8_t *a)
{
	uint32_t w;

	if (family != DH_AF_INET)
		return ans_hash6(a);
	memcpy(&w, a, 4);
	return ans_hash4(w);
}

static uint64_t ans_hash(const struct dh_addr *a)
{
	return ans_hash_bytes(a->family, a->a);
}

static struct ans_slot *ans4_slot(const struct nshist *h, uint32_t w, uint64_t hv)
{
	size_t mask = h->a4_cap - 1;

	for (size_t j = hv & mask;; j = (j + 1) & mask) {
		struct ans_slot *s = &h->a4[j];
		if (!s->row || s->key == w)
			return s;
	}
}

static struct ans_slot6 *ans6_slot(const struct nshist *h, const uint8_t *a, uint64_t hv)
{
	size_t mask = h->a6_cap - 1;
	uint32_t k;

	memcpy(&k, a + 12, 4);
	for (size_t j = hv & mask;; j = (j + 1) & mask) {
		struct ans_slot6 *e = &h->a6[j];
		if (!e->s.row || (e->s.key == k && memcmp(e->a, a, 12) == 0))
			return e;
	}
}

/* The slot of addr (hash hv): its own, or the empty one where it goes. */
static struct ans_slot *ans_slot_of(const struct nshist *h, const struct dh_addr *addr, uint64_t hv)
{
	uint32_t w;

	if (addr->family != DH_AF_INET)
		return &ans6_slot(h, addr->a, hv)->s;
	memcpy(&w, addr->a, 4);
	return ans4_slot(h, w, hv);
}

/* Where the probe for an address of family with hash hv starts. */
static const void *ans_first(const struct nshist *h, uint8_t family, uint64_t hv)
{
	if (family == DH_AF_INET)
		return &h->a4[hv & (h->a4_cap - 1)];
	return &h->a6[hv & (h->a6_cap - 1)];
}

static int ans4_grow(struct nshist *h)
{
	size_t cap = h->a4_cap ? h->a4_cap * 2 : 1024, ocap = h->a4_cap;
	struct ans_slot *t = dh_big_alloc(cap * sizeof(*t)), *old = h->a4;

	if (!t)
		return -ENOMEM;
	h->a4 = t;
	h->a4_cap = cap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].row)
			*ans4_slot(h, old[i].key, ans_hash4(old[i].key)) = old[i];
	dh_big_free(old, ocap * sizeof(*old));
	return 0;
}

static int ans6_grow(struct nshist *h)
{
	size_t cap = h->a6_cap ? h->a6_cap * 2 : 256, ocap = h->a6_cap;
	struct ans_slot6 *t = dh_big_alloc(cap * sizeof(*t)), *old = h->a6;
	uint8_t a[16];

	if (!t)
		return -ENOMEM;
	h->a6 = t;
	h->a6_cap = cap;
	for (size_t i = 0; i < ocap; i++) {
		if (!old[i].s.row)
			continue;
		memcpy(a, old[i].a, 12);
		memcpy(a + 12, &old[i].s.key, 4);
		*ans6_slot(h, a, ans_hash6(a)) = old[i];
	}
	dh_big_free(old, ocap * sizeof(*old));
	return 0;
}

/* The answer slot of addr, or NULL. */
static const struct ans_slot *ans_find(const struct nshist *h, const struct dh_addr *addr)
{
	if (addr->family == DH_AF_NONE)
		return NULL;
	const struct ans_slot *s = ans_slot_of(h, addr, ans_hash(addr));
	return s->row ? s : NULL;
}

static int64_t slot_last(const struct nshist *h, const struct ans_slot *s)
{
	if (s->seen == ANS_WIDE)
		return h->ans[(s->row & ANS_IDX) - 1].r.last_ns;
	return (int64_t)(s->seen >> ANS_TTL_BITS) * MS_NS;
}

static uint32_t slot_ttl(const struct nshist *h, const struct ans_slot *s)
{
	if (s->seen == ANS_WIDE)
		return h->ans[(s->row & ANS_IDX) - 1].r.ttl;
	return (uint32_t)(s->seen & ((1u << ANS_TTL_BITS) - 1));
}

/* Sets the latest sighting of the row of slot s (its row field set). */
static void slot_set(struct nshist *h, struct ans_slot *s, int64_t last, uint32_t ttl)
{
	if (last >= 0 && last % MS_NS == 0 && (uint64_t)(last / MS_NS) < ANS_MS_MAX &&
	    ttl < (1u << ANS_TTL_BITS)) {
		s->seen = (uint64_t)(last / MS_NS) << ANS_TTL_BITS | ttl;
		return;
	}
	h->ans[(s->row & ANS_IDX) - 1].r.last_ns = last;
	h->ans[(s->row & ANS_IDX) - 1].r.ttl = ttl;
	s->seen = ANS_WIDE;
}

/* A copy of the row of slot s as it stands. */
static void ans_current(const struct nshist *h, const struct ans_slot *s, struct nshist_answer *out)
{
	*out = h->ans[(s->row & ANS_IDX) - 1].r;
	out->last_ns = slot_last(h, s);
	out->ttl = slot_ttl(h, s);
}

/* Gives every row its latest sighting back from its slot. */
static void ans_sync(struct nshist *h)
{
	size_t n = h->a4_cap + h->a6_cap;

	for (size_t i = 0; i < n; i++) {
		const struct ans_slot *s = i < h->a4_cap ? &h->a4[i] : &h->a6[i - h->a4_cap].s;
		/* The slots are read in order, the rows they name are written
		 * at random: the row of a slot some way ahead is loaded while
		 * this one is written (the save of the benchmark history
		 * writes 129,309 rows spread over 7 MB). IPv4 slots only:
		 * they hold nearly all of them. */
		size_t ahead = i + SYNC_AHEAD;
		if (ahead < h->a4_cap && h->a4[ahead].row)
			__builtin_prefetch(&h->ans[(h->a4[ahead].row & ANS_IDX) - 1], 1);
		if (s->row && s->seen != ANS_WIDE) {
			struct ans *a = &h->ans[(s->row & ANS_IDX) - 1];
			a->r.last_ns = slot_last(h, s);
			a->r.ttl = slot_ttl(h, s);
		}
	}
}

/* Marks a row changed since the last save; the mark lives in the slot as
 * well, so that the common sighting reads nothing from the row. */
static void ans_mark(struct nshist *h, struct ans_slot *s, struct ans *a)
{
	if (!(s->row & ANS_CHANGED)) {
		s->row |= ANS_CHANGED;
		a->changed = 1;
		h->st.changed++;
	}
}

/*
 * The query name of an answer row: a copy in the arena, remembered in
 * *qcache (NULL: not) for the next record of the same response, which
 * has the same query name. Not interned: the names of ordinary answers
 * are seldom shared by two rows (the benchmark capture's 129,309 rows
 * have nearly as many names), and interning each cost a hash and a
 * probe of a names table grown by a slot a row, 10 ms of the build
 * (BENCHMARKS.md); the copies take less memory than that table did.
 * Nothing compares these names by pointer.
 */
static const char *ans_qname(struct nshist *h, const char *s, size_t n, const char **qcache)
{
	if (qcache && *qcache)
		return *qcache;
	char *q = arena_alloc(h, n + 1);
	if (q) {
		memcpy(q, s, n);
		q[n] = '\0';
	}
	if (qcache)
		*qcache = q;
	return q;
}

/*
 * Records addr as answered for qname from t to last: extends its row (an
 * older first sighting becomes the origin, with its query name; a later
 * last sighting moves last_ns and the TTL), or adds a row. changed 0 and
 * id: a stored row being loaded. qcache as for ans_qname(). Returns 0
 * or -ENOMEM.
 */
static int answer_put(struct nshist *h, const struct dh_addr *addr, const char *qname, size_t qlen,
                      const char **qcache, uint32_t ttl, int64_t t, int64_t last, int changed,
                      int64_t id)
{
	int v4 = addr->family == DH_AF_INET;
	if (v4 ? (h->a4_n + 1) * 4 > h->a4_cap * 3 && ans4_grow(h) != 0
	       : (h->a6_n + 1) * 4 > h->a6_cap * 3 && ans6_grow(h) != 0)
		return -ENOMEM;
	uint64_t hv = ans_hash(addr);
	struct ans_slot *s = ans_slot_of(h, addr, hv);

	if (s->row) {
		struct ans *a = &h->ans[(s->row & ANS_IDX) - 1];
		int grew = 0;
		if (t < a->r.first_ns) {
			const char *q = ans_qname(h, qname, qlen, qcache);
			if (!q)
				return -ENOMEM;
			a->r.first_ns = t;
			a->r.qname = q;
			grew = 1;
		}
		if (last > slot_last(h, s)) {
			slot_set(h, s, last, ttl);
			grew = 1;
		}
		if (grew && changed)
			ans_mark(h, s, a);
		return 0;
	}
	if (h->ans_n >= ANS_IDX - 1 ||
	    grow((void **)&h->ans, &h->ans_cap, sizeof(*h->ans), h->ans_n + 1) != 0)
		return -ENOMEM;
	const char *q = ans_qname(h, qname, qlen, qcache);
	if (!q)
		return -ENOMEM;
	struct ans *a = &h->ans[h->ans_n];
	a->r.addr = *addr;
	a->r.qname = q;
	a->r.ttl = ttl;
	a->r.first_ns = t;
	a->r.last_ns = last;
	a->r.id = id;
	a->changed = (uint8_t)(changed != 0);
	h->st.changed += a->changed;
	h->both_n += h->addrs_n && addr_find(h, addr) != NULL;
	if (v4) {
		h->a4_n++;
	} else {
		/* The slot is the s member of an IPv6 slot. */
		struct ans_slot6 *e =
		    (struct ans_slot6 *)((char *)s - offsetof(struct ans_slot6, s));
		memcpy(e->a, addr->a, 12);
		h->a6_n++;
	}
	memcpy(&s->key, addr->a + (v4 ? 0 : 12), 4);
	s->row = (uint32_t)++h->ans_n | (changed ? ANS_CHANGED : 0);
	slot_set(h, s, last, ttl);
	return 0;
}

/* An answer record of the response being learned (time h->t; hv is the
 * address's ans_hash). A sighting of a known address at or after its
 * last one is decided by the slot alone and only stores into the row;
 * anything else is answer_put()'s. */
static int answer_seen(struct nshist *h, const struct dh_addr *addr, uint64_t hv, const char *qname,
                       size_t qlen, const char **qcache, uint32_t ttl)
{
	struct ans_slot *s = ans_slot_of(h, addr, hv);

	uint64_t last_ms = s->seen >> ANS_TTL_BITS;
	if (s->row && s->seen != ANS_WIDE && h->t_ms >= 0 && (uint64_t)h->t_ms >= last_ms) {
		if ((uint64_t)h->t_ms > last_ms) {
			if ((uint64_t)h->t_ms < ANS_MS_MAX && ttl < (1u << ANS_TTL_BITS))
				s->seen = (uint64_t)h->t_ms << ANS_TTL_BITS | ttl;
			else
				slot_set(h, s, h->t, ttl);
			if (!(s->row & ANS_CHANGED))
				ans_mark(h, s, &h->ans[(s->row & ANS_IDX) - 1]);
		}
		return 0;
	}
	return answer_put(h, addr, qname, qlen, qcache, ttl, h->t, h->t, 1, 0);
}

int nshist_add_answer(struct nshist *h, const struct nshist_answer *row)
{
	const char *q = row->qname ? row->qname : "";

	if (row->addr.family == DH_AF_NONE)
		return 0;
	return answer_put(h, &row->addr, q, strlen(q), NULL, row->ttl, row->first_ns, row->last_ns,
	                  0, row->id);
}

/* ---- pending glue waits ------------------------------------------------- */

static int ring_grow(struct nshist *h)
{
	size_t cap = h->ring_cap ? h->ring_cap * 2 : 1024;
	struct pend *r = malloc(cap * sizeof(*r));
	uint64_t *b = calloc(cap, sizeof(*b));

	if (!r || !b) {
		free(r);
		free(b);
		return -ENOMEM;
	}
	for (uint64_t s = h->head; s < h->tail; s++) {
		struct pend *e = &r[s & (cap - 1)];
		*e = h->ring[s & (h->ring_cap - 1)];
		size_t bi = e->hash & (cap - 1);
		e->older = b[bi];
		b[bi] = s + 1;
	}
	free(h->ring);
	free(h->buckets);
	h->ring = r;
	h->buckets = b;
	h->ring_cap = cap;
	h->nbuckets = cap;
	return 0;
}

/* The sieve counter of a name: its length and first and last four
 * bytes, which tell most names apart for the cost of two loads. */
static unsigned sieve_of(const char *name, size_t n)
{
	uint32_t a = 0, b = 0;

	if (n >= 4) {
		memcpy(&a, name, 4);
		memcpy(&b, name + n - 4, 4);
	} else {
		for (size_t i = 0; i < n; i++)
			a = a << 8 | (uint8_t)name[i];
	}
	return ((a * 0x9e3779b1u) ^ (b * 0x85ebca6bu) ^ ((uint32_t)n * 0xc2b2ae35u)) >> 22;
}

/* Sets settle_after from the oldest wait, after the ring changed at its
 * head. */
static void settle_mark(struct nshist *h)
{
	int64_t res = h->ring[h->head & (h->ring_cap - 1)].res_ns, w = h->cfg.glue_window_ns;

	if (h->head == h->tail)
		h->settle_after = INT64_MAX;
	else
		h->settle_after = res > INT64_MAX - w ? INT64_MAX : res + w;
}

static int pend_add(struct nshist *h, const struct pend *p)
{
	if (h->tail - h->head == h->ring_cap && ring_grow(h) != 0)
		return -ENOMEM;
	uint64_t s = h->tail++;
	struct pend *e = &h->ring[s & (h->ring_cap - 1)];
	size_t bi = p->hash & (h->nbuckets - 1);

	*e = *p;
	e->older = h->buckets[bi];
	h->buckets[bi] = s + 1;
	h->sieve[e->sieve]++;
	if (s == h->head)
		settle_mark(h);
	return 0;
}

int nshist_settle(struct nshist *h, int64_t now_ns)
{
	int rc = 0;

	while (h->head < h->tail) {
		struct pend *e = &h->ring[h->head & (h->ring_cap - 1)];
		if (now_ns != INT64_MAX && e->res_ns + h->cfg.glue_window_ns >= now_ns)
			break;
		if (!e->found) {
			/* The seed's row with zname, nsttl and nsfqdn only. */
			struct nshist_ns r;
			memset(&r, 0, sizeof(r));
			r.res_ns = r.first_ns = r.last_ns = e->res_ns;
			r.zname = e->zname;
			r.nsfqdn = e->nsfqdn;
			r.nsttl = e->nsttl;
			r.src = NSHIST_SRC_NONE;
			r.query_ns = e->query_ns;
			r.query_id = e->qid;
			r.qtype = e->qtype;
			r.qname = e->qname;
			h->st.glue_missing++;
			if ((rc = sight(h, &r, 1)) != 0)
				goto out;
		}
		h->sieve[e->sieve]--;
		h->head++;
	}
out:
	settle_mark(h);
	return rc;
}

/* ---- learning ------------------------------------------------------------ */

static uint64_t query_key(const struct dh_addr *client, uint16_t port, const struct dns_msg *m)
{
	uint64_t x, y;

	memcpy(&x, client->a, 8);
	memcpy(&y, client->a + 8, 8);
	x ^= ((uint64_t)port << 48) ^ ((uint64_t)m->id << 32) ^ ((uint64_t)m->qtype << 16) ^
	     m->qname_len ^ (y * 0x9e3779b97f4a7c15ULL);
	x *= 0xbf58476d1ce4e5b9ULL;
	return (x ^ (x >> 31)) | 1;
}

/* When the response's query was sent: from the pairing when the event
 * has it, else from the recent queries; -1 when unknown. */
static int64_t query_time(const struct nshist *h, const struct ev_event *ev)
{
	if (ev->rtt_ns >= 0)
		return ms_floor(ev->ts_ns - ev->rtt_ns);
	uint64_t k = query_key(&ev->dst, ev->dport, &ev->msg);
	const struct qslot *q = &h->queries[k & (QUERY_SLOTS - 1)];
	if (q->key == k && q->ts_ns <= ev->ts_ns)
		return ms_floor(q->ts_ns);
	return -1;
}

/* rr_addr() for text sources. */
static int rr_addr_text(const struct dns_rr *rr, struct dh_addr *a)
{
	if (!rr->data_text || dh_addr_parse(a, rr->data_text) != 0)
		return DH_EMALFORMED;
	return (rr->type == DNS_T_A) == (a->family == DH_AF_INET) ? 0 : DH_EMALFORMED;
}

/* The address in an A or AAAA record, from the wire or the text. Inline
 * and without dh_addr_set4/6(): this runs for every answer record of the
 * build, and a call each cost more than the copy. */
static inline int rr_addr(const struct dns_msg *m, const struct dns_rr *rr, struct dh_addr *a)
{
	if (!m->wire)
		return rr_addr_text(rr, a);
	if (rr->type == DNS_T_A && rr->rdlen == 4) {
		memset(a, 0, sizeof(*a));
		a->family = DH_AF_INET;
		memcpy(a->a, m->wire + rr->rdata, 4);
		return 0;
	}
	if (rr->type == DNS_T_AAAA && rr->rdlen == 16) {
		a->family = DH_AF_INET6;
		memcpy(a->a, m->wire + rr->rdata, 16);
		return 0;
	}
	return DH_EMALFORMED;
}

/* 1 when the record's owner is the question's name. On the wire the
 * owner is nearly always a pointer to offset 12, where the question's
 * name starts; anything else is rendered and compared. */
static int owner_is_qname(const struct dns_msg *m, const struct dns_rr *rr)
{
	char buf[DNS_NAME_TEXT_MAX];

	if (m->wire && (size_t)rr->owner + 1 < m->wire_len && m->wire[rr->owner] == 0xc0 &&
	    m->wire[rr->owner + 1] == 12)
		return 1;
	int n = dns_rr_owner_text(m, rr, buf, sizeof(buf));
	return n >= 0 && (size_t)n == m->qname_len && memcmp(buf, m->qname, (size_t)n) == 0;
}

/* 1 when an NS response waits for the address of name (hash qhash). */
static int pend_waits(const struct nshist *h, uint64_t qhash, const char *name)
{
	for (uint64_t b = h->buckets[qhash & (h->nbuckets - 1)]; b;) {
		uint64_t s = b - 1;
		if (s < h->head)
			return 0;
		const struct pend *e = &h->ring[s & (h->ring_cap - 1)];
		if (e->hash == qhash && strcmp(e->nsfqdn, name) == 0)
			return 1;
		b = e->older;
	}
	return 0;
}

/* An A/AAAA answer for a name whose NS response is waiting for glue:
 * every waiting entry of that name gets this address as glue. Returns 1
 * when the address became glue, 0 when nobody waited, or -ENOMEM. */
static int glue_later(struct nshist *h, const struct ev_event *ev, uint64_t qhash,
                      const struct dh_addr *a, uint32_t ttl)
{
	int used = 0;

	if (h->head == h->tail)
		return 0;
	for (uint64_t b = h->buckets[qhash & (h->nbuckets - 1)]; b;) {
		uint64_t s = b - 1;
		if (s < h->head)
			break;
		struct pend *e = &h->ring[s & (h->ring_cap - 1)];
		b = e->older;
		if (e->hash != qhash || strcmp(e->nsfqdn, ev->msg.qname) != 0)
			continue;
		if (h->t < e->res_ns || h->t - e->res_ns > h->cfg.glue_window_ns)
			continue;
		struct nshist_ns r;
		r.res_ns = e->res_ns;
		r.zname = e->zname;
		r.nsttl = e->nsttl;
		r.nsfqdn = e->nsfqdn;
		r.glue_ttl = ttl;
		r.glue = *a;
		r.src = NSHIST_SRC_LATER;
		r.first_ns = r.last_ns = h->t;
		r.query_ns = e->query_ns;
		r.query_id = e->qid;
		r.qtype = e->qtype;
		r.qname = e->qname;
		r.id = 0;
		int rc = sight(h, &r, 1);
		if (rc != 0)
			return rc;
		if (!e->found)
			h->st.glue_later++;
		e->found = 1;
		used = 1;
	}
	return used;
}

/* The NS records of one response: glue from the additional section when
 * in bailiwick, else a wait for a later answer. */
static int learn_ns(struct nshist *h, const struct ev_event *ev, const char **qname_i)
{
	const struct dns_msg *m = &ev->msg;
	char zbuf[DNS_NAME_TEXT_MAX], nbuf[DNS_NAME_TEXT_MAX], obuf[DNS_NAME_TEXT_MAX];
	/* Owners of the additional address records, rendered once. */
	const char *owner[DNS_RR_MAX];
	int rc;

	memset(owner, 0, sizeof(owner));
	for (unsigned i = 0; i < m->rr_count; i++) {
		const struct dns_rr *ns = &m->rr[i];
		if (ns->type != DNS_T_NS || ns->rclass != 1 ||
		    (ns->section != DNS_SEC_ANSWER && ns->section != DNS_SEC_AUTHORITY))
			continue;
		if (ns->section == DNS_SEC_AUTHORITY && !(m->flags & DNS_FLAG_AA) &&
		    !h->cfg.referrals)
			continue;
		int zl = dns_rr_owner_text(m, ns, zbuf, sizeof(zbuf));
		int nl = dns_rr_data_text(m, ns, nbuf, sizeof(nbuf));
		if (zl <= 0 || nl <= 0)
			continue;
		/* Owners come lower-cased; a name in RDATA keeps the zone's
		 * case, and names compare without it (RFC 4343). */
		for (int c = 0; c < nl; c++)
			if (nbuf[c] >= 'A' && nbuf[c] <= 'Z')
				nbuf[c] = (char)(nbuf[c] + 32);
		/* Only a zone that holds the query name: a resolver follows no
		 * other NS records, and a forged response must not register a
		 * name server for a zone it was not asked about. */
		if (!in_zone(m->qname, m->qname_len, zbuf, (size_t)zl)) {
			h->st.ns_ignored++;
			continue;
		}
		h->st.ns_records++;
		if (!*qname_i && !(*qname_i = intern(h, m->qname, m->qname_len)))
			return -ENOMEM;
		const char *z = intern(h, zbuf, (size_t)zl);
		const char *n = intern(h, nbuf, (size_t)nl);
		if (!z || !n)
			return -ENOMEM;
		int in_bw = in_zone(n, (size_t)nl, z, (size_t)zl), found = 0;
		for (unsigned k = 0; k < m->rr_count; k++) {
			const struct dns_rr *g = &m->rr[k];
			struct dh_addr a;
			if (g->section != DNS_SEC_ADDITIONAL ||
			    (g->type != DNS_T_A && g->type != DNS_T_AAAA) || g->rclass != 1)
				continue;
			if (!owner[k]) {
				int ol = dns_rr_owner_text(m, g, obuf, sizeof(obuf));
				if (ol <= 0)
					continue;
				if (!(owner[k] = intern(h, obuf, (size_t)ol)))
					return -ENOMEM;
			}
			if (owner[k] != n || rr_addr(m, g, &a) != 0)
				continue;
			if (!in_bw) {
				/* Out of bailiwick: resolvers do not trust it. */
				h->st.glue_out_of_bailiwick++;
				continue;
			}
			struct nshist_ns r;
			r.res_ns = r.first_ns = r.last_ns = h->t;
			r.zname = z;
			r.nsttl = ns->ttl;
			r.nsfqdn = n;
			r.glue_ttl = g->ttl;
			r.glue = a;
			r.src = NSHIST_SRC_ADDITIONAL;
			r.query_ns = query_time(h, ev);
			r.query_id = m->id;
			r.qtype = m->qtype;
			r.qname = *qname_i;
			r.id = 0;
			if ((rc = sight(h, &r, 1)) != 0)
				return rc;
			h->st.glue_additional++;
			found = 1;
		}
		if (found)
			continue;
		struct pend p;
		memset(&p, 0, sizeof(p));
		p.hash = dh_hash64(n, (size_t)nl, 0x70);
		p.sieve = (uint16_t)sieve_of(n, (size_t)nl);
		p.zname = z;
		p.nsfqdn = n;
		p.qname = *qname_i;
		p.nsttl = ns->ttl;
		p.res_ns = h->t;
		p.query_ns = query_time(h, ev);
		p.qid = m->id;
		p.qtype = m->qtype;
		if ((rc = pend_add(h, &p)) != 0)
			return rc;
	}
	return 0;
}

/* A response (nshist_learn()). Kept out of line: its frame (the answers'
 * addresses, the records' owners) is large, and the queries, half of
 * the benchmark's messages, need none of it. */
__attribute__((noinline)) static int learn_response(struct nshist *h, const struct ev_event *ev)
{
	const struct dns_msg *m = &ev->msg;
	const char *qname_i = NULL;
	int rc, any_ns = 0;

	h->st.responses++;
	/* The time in whole ms, floored (one division, not two). */
	int64_t ms = ev->ts_ns / MS_NS;
	ms -= ev->ts_ns % MS_NS < 0;
	h->t_ms = ms;
	h->t = ms * MS_NS;
	/* Settled only when the oldest wait has run out, which is rare:
	 * this runs for every response. */
	if (h->t > h->settle_after && (rc = nshist_settle(h, h->t)) != 0)
		return rc;
	if (dns_msg_rcode(m) != 0)
		return 0;
	/* One pass over the records: the answers' addresses are taken out
	 * and their slots loaded while the NS records are worked on; each
	 * would otherwise be a cache miss waited for in turn. */
	struct {
		struct dh_addr a;
		uint64_t hv;
		unsigned i;
	} ad[DNS_RR_MAX];
	unsigned nad = 0;
	for (unsigned i = 0; i < m->rr_count; i++) {
		const struct dns_rr *rr = &m->rr[i];
		any_ns |= rr->type == DNS_T_NS;
		if (rr->section != DNS_SEC_ANSWER ||
		    (rr->type != DNS_T_A && rr->type != DNS_T_AAAA) || rr->rclass != 1 ||
		    rr_addr(m, rr, &ad[nad].a) != 0)
			continue;
		ad[nad].i = i;
		if (h->cfg.answers) {
			/* Hashed from the message's bytes: reading back the
			 * address just stored would wait for the stores. */
			uint8_t fam = rr->type == DNS_T_A ? DH_AF_INET : DH_AF_INET6;
			ad[nad].hv =
			    ans_hash_bytes(fam, m->wire ? m->wire + rr->rdata : ad[nad].a.a);
			__builtin_prefetch(ans_first(h, fam, ad[nad].hv));
		}
		nad++;
	}
	if (any_ns && (rc = learn_ns(h, ev, &qname_i)) != 0)
		return rc;
	if (!nad)
		return 0;
	/* Is an NS response waiting for this name's address? Asked once
	 * per response, and the owners compared only then. */
	uint64_t qhash = 0;
	int waited = 0;
	if (h->head != h->tail && h->sieve[sieve_of(m->qname, m->qname_len)]) {
		qhash = dh_hash64(m->qname, m->qname_len, 0x70);
		waited = pend_waits(h, qhash, m->qname);
	}
	if (!waited && !h->cfg.answers)
		return 0;
	for (unsigned k = 0; k < nad; k++) {
		const struct dns_rr *rr = &m->rr[ad[k].i];
		if (waited && owner_is_qname(m, rr)) {
			rc = glue_later(h, ev, qhash, &ad[k].a, rr->ttl);
			if (rc < 0)
				return rc;
			if (rc == 1)
				continue; /* glue, not an ordinary answer */
		}
		if (!h->cfg.answers)
			continue;
		rc = answer_seen(h, &ad[k].a, ad[k].hv, m->qname, m->qname_len, &qname_i, rr->ttl);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int nshist_learn(struct nshist *h, const struct ev_event *ev)
{
	const struct dns_msg *m = &ev->msg;

	if (!m->has_question || dns_msg_opcode(m) != 0)
		return 0;
	if (dns_msg_is_response(m))
		return learn_response(h, ev);
	uint64_t k = query_key(&ev->src, ev->sport, m);
	struct qslot *q = &h->queries[k & (QUERY_SLOTS - 1)];
	q->key = k;
	q->ts_ns = ev->ts_ns;
	return 0;
}

/* ---- the check ------------------------------------------------------------ */

void nshist_prefetch(const struct nshist *h, const struct dh_addr *server)
{
	if (server->family == DH_AF_NONE)
		return;
	__builtin_prefetch(&h->addrs[addr_hash(server) & (h->addrs_cap - 1)]);
	if (h->ans_n)
		__builtin_prefetch(ans_first(h, server->family, ans_hash(server)));
}

void nshist_check(const struct nshist *h, const struct dh_addr *server, int64_t ts_ns,
                  struct nshist_why *why)
{
	const struct addr_slot *s = addr_find(h, server);
	const struct nshist_ns *expired = NULL;
	int later = 0;

	why->verdict = NSHIST_UNKNOWN;
	why->ns = NULL;
	why->answer = NULL;
	why->expired = 0;
	why->later = 0;
	if (s && s->glue && s->gstart <= ts_ns && ts_ns <= s->gend) {
		why->verdict = NSHIST_REGISTERED;
		why->ns = &h->rows[s->glue - 1].r;
		return;
	}
	for (uint32_t k = s ? s->chain : 0; k; k = h->rows[k - 1].addr_next) {
		const struct nshist_ns *r = &h->rows[k - 1].r;
		if (r->first_ns > ts_ns) {
			later = 1;
			continue;
		}
		if (ts_ns <= row_end(h, r)) {
			why->verdict = NSHIST_REGISTERED;
			why->ns = r;
			return;
		}
		if (!expired || r->last_ns > expired->last_ns)
			expired = r;
	}
	const struct ans_slot *as = h->ans_n ? ans_find(h, server) : NULL;
	if (as) {
		const struct nshist_answer *a = &why->answer_row;
		ans_current(h, as, &why->answer_row);
		if (a->first_ns <= ts_ns) {
			why->verdict = NSHIST_INDIRECT;
			why->answer = a;
			return;
		}
		later = 1;
		if (!expired)
			why->answer = a;
	}
	why->ns = expired;
	why->expired = expired != NULL;
	if (!expired && later) {
		why->later = 1;
		if (!why->answer && s && s->glue)
			why->ns = &h->rows[s->glue - 1].r;
	}
}

/* ---- life cycle ----------------------------------------------------------- */

int nshist_new(struct nshist **out, const struct nshist_config *cfg)
{
	struct nshist *h;

	*out = NULL;
	if (cfg && (cfg->glue_window_ns < 0 || cfg->grace_ns < 0))
		return DH_EUSAGE;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	if (cfg)
		h->cfg = *cfg;
	else
		nshist_config_init(&h->cfg);
	h->settle_after = INT64_MAX;
	if (ring_grow(h) != 0 || names_grow(h) != 0 || keys_grow(h) != 0 || addrs_grow(h) != 0 ||
	    ans4_grow(h) != 0 || ans6_grow(h) != 0) {
		nshist_free(h);
		return -ENOMEM;
	}
	*out = h;
	return 0;
}

void nshist_free(struct nshist *h)
{
	if (!h)
		return;
	while (h->arena) {
		struct arena_chunk *c = h->arena;
		h->arena = c->next;
		free(c);
	}
	free(h->names);
	free(h->rows);
	free(h->ans);
	free(h->keys);
	dh_big_free(h->addrs, h->addrs_cap * sizeof(*h->addrs));
	dh_big_free(h->a4, h->a4_cap * sizeof(*h->a4));
	dh_big_free(h->a6, h->a6_cap * sizeof(*h->a6));
	free(h->ring);
	free(h->buckets);
	free(h);
}

void nshist_stats(const struct nshist *h, struct nshist_stats *st)
{
	*st = h->st;
	st->ns_rows = h->rows_n;
	st->answer_rows = h->ans_n;
	st->addresses = h->addrs_n + h->ans_n - h->both_n;
	st->bytes = sizeof(*h) + h->arena_bytes + h->names_cap * sizeof(*h->names) +
	            h->rows_cap * sizeof(*h->rows) + h->ans_cap * sizeof(*h->ans) +
	            h->keys_cap * sizeof(*h->keys) + h->addrs_cap * sizeof(*h->addrs) +
	            h->a4_cap * sizeof(*h->a4) + h->a6_cap * sizeof(*h->a6) +
	            h->ring_cap * (sizeof(*h->ring) + sizeof(*h->buckets));
}

int nshist_each(const struct nshist *h, int changed_only,
                int (*cb)(void *ctx, const struct nshist_ns *row),
                int (*ans_cb)(void *ctx, const struct nshist_answer *row), void *ctx)
{
	int rc;

	for (size_t i = 0; cb && i < h->rows_n; i++)
		if ((!changed_only || h->rows[i].changed) && (rc = cb(ctx, &h->rows[i].r)) != 0)
			return rc;
	for (size_t i = 0; ans_cb && i < h->ans_n; i++) {
		struct nshist_answer a;
		if (changed_only && !h->ans[i].changed)
			continue;
		ans_current(h, ans_find(h, &h->ans[i].r.addr), &a);
		if ((rc = ans_cb(ctx, &a)) != 0)
			return rc;
	}
	return 0;
}

int nshist__each_changed(struct nshist *h, int (*cb)(void *ctx, struct nshist_ns *row), void *ctx)
{
	int rc;

	for (size_t i = 0; i < h->rows_n; i++)
		if (h->rows[i].changed && (rc = cb(ctx, &h->rows[i].r)) != 0)
			return rc;
	return 0;
}

int nshist__each_answer(struct nshist *h, int changed_only,
                        int (*cb)(void *ctx, struct nshist_answer *row, int changed), void *ctx)
{
	int rc;

	ans_sync(h);
	for (size_t i = 0; i < h->ans_n; i++)
		if ((!changed_only || h->ans[i].changed) &&
		    (rc = cb(ctx, &h->ans[i].r, h->ans[i].changed)) != 0)
			return rc;
	return 0;
}

void nshist_clear_changed(struct nshist *h)
{
	for (size_t i = 0; i < h->rows_n; i++)
		h->rows[i].changed = 0;
	for (size_t i = 0; i < h->ans_n; i++)
		h->ans[i].changed = 0;
	for (size_t i = 0; i < h->a4_cap; i++)
		h->a4[i].row &= ~ANS_CHANGED;
	for (size_t i = 0; i < h->a6_cap; i++)
		h->a6[i].s.row &= ~ANS_CHANGED;
	h->st.changed = 0;
}
