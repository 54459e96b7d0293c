/*
 * detect_int.h - internal to the detect layer: the engine's state, the
 * Space-Saving tables and the functions the detectors share.
 */
#ifndef DH_DETECT_DETECT_INT_H
#define DH_DETECT_DETECT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "detect/detect.h"
#include "detect/detect_stats.h"
#include "util/buf.h"

/*
 * Space-Saving (Metwally, Agrawal and El Abbadi, "Efficient computation
 * of frequent and top-k elements in data streams", ICDT 2005): at most
 * cap items, each with an estimated count; a new item when the table is
 * full takes the place of the item with the smallest estimate and
 * inherits that estimate as its error. After N additions every item's
 * true count lies in [count - err, count], err <= N / cap, and every item
 * whose true count exceeds N / cap is in the table. A min-heap on the
 * estimates finds the smallest in O(1) and keeps itself in O(log cap) per
 * addition; a hash index finds an item by key.
 *
 * Each item carries payload_size bytes of caller data after its header,
 * zeroed when the item is (re)created; the caller's counters there are
 * exact from that moment on, so they are lower bounds of the truth.
 */
#define DETECT_SS_KEY 64

struct detect_ss_item {
	uint64_t count; /* the estimate */
	uint64_t err;   /* the inherited part */
	uint64_t hash;
	uint8_t keylen;
	uint8_t key[DETECT_SS_KEY - 1];
	/* payload follows, aligned to 8 */
};

struct detect_ss_heap {
	uint64_t count; /* the item's count, kept equal to it */
	uint32_t item;
};

struct detect_ss {
	uint32_t cap, n;
	size_t item_size; /* header plus payload, multiple of 8 */
	uint8_t *items;   /* cap items; owned */
	/* The min-heap on count holds each item's estimate beside its
	 * number, so sifting compares within this array instead of loading
	 * one item (several hundred octets apart) per comparison. */
	struct detect_ss_heap *heap; /* owned */
	uint32_t *pos;               /* item number -> heap index; owned */
	uint32_t *index;             /* hash slots holding item number + 1, 0 empty; owned */
	uint32_t mask;               /* index slots in use - 1 */
	uint32_t max_slots;          /* index slots allocated: twice cap, a power of 2 */
	uint64_t total;              /* sum of the increments */
	uint64_t evicted;
};

int detect__ss_init(struct detect_ss *ss, uint32_t cap, size_t payload_size);
void detect__ss_release(struct detect_ss *ss);
/* Empties the table, keeping its memory. */
void detect__ss_clear(struct detect_ss *ss);
/* Adds inc to key's estimate, creating or replacing as above. Returns the
 * item; *created is set to 1 when its payload was just zeroed. */
struct detect_ss_item *detect__ss_add(struct detect_ss *ss, const void *key, size_t len,
                                      uint64_t inc, int *created);
/* The smallest estimate when the table is full, else 0: a key whose
 * count cannot exceed it needs no addition (see detect.c, prefilter). */
static inline uint64_t detect__ss_floor(const struct detect_ss *ss)
{
	return ss->n < ss->cap ? 0 : ss->heap[0].count;
}
/* The hash detect__ss_add() uses, and the same addition with it given
 * (callers that hash the key anyway). Any hash serves, as long as a
 * table is always given the same one for the same key (after the key is
 * cut to DETECT_SS_KEY - 1 octets): it only places the key in the
 * index, and detect__ss_find() works only on tables that use
 * detect__ss_hash(). */
uint64_t detect__ss_hash(const void *key, size_t len);
struct detect_ss_item *detect__ss_add_h(struct detect_ss *ss, const void *key, size_t len,
                                        uint64_t h, uint64_t inc, int *created);
/* Asks for the lines a lookup of the key hashed to h will read: its
 * index slot, and the first four lines of the item in that slot (the
 * key's own, unless a collision displaced it). The index is small
 * enough to be in cache, so the item's lines are asked for at once. */
static inline void detect__ss_prefetch(const struct detect_ss *ss, uint64_t h)
{
	uint32_t v = ss->index[(uint32_t)h & ss->mask];

	if (v) {
		const uint8_t *p = ss->items + (size_t)(v - 1) * ss->item_size;
		__builtin_prefetch(p);
		__builtin_prefetch(p + 64);
		__builtin_prefetch(p + 128);
		__builtin_prefetch(p + 192);
	}
}
/* The item of key, or NULL. */
struct detect_ss_item *detect__ss_find(const struct detect_ss *ss, const void *key, size_t len);
static inline void *detect__ss_payload(struct detect_ss_item *it)
{
	return (uint8_t *)it + sizeof(struct detect_ss_item);
}
static inline struct detect_ss_item *detect__ss_at(const struct detect_ss *ss, uint32_t i)
{
	return (struct detect_ss_item *)(ss->items + (size_t)i * ss->item_size);
}
/* Writes up to max item numbers into out, largest estimate first. Returns
 * how many. */
size_t detect__ss_top(const struct detect_ss *ss, uint32_t *out, size_t max);

#define DETECT_SAMPLES    4
#define DETECT_SAMPLE_LEN 64

/* One client in one window table (the payload of its Space-Saving item).
 * Every counted event touches the item's header and the fields up to
 * names_bm, so they come first: with the item on a 64-octet boundary
 * they span four cache lines, against five or six when the address and
 * the cold fields sat between them (the table is bigger than the caches,
 * so each line is a miss). */
struct detect_client {
	uint32_t queries; /* exact since the entry was created */
	uint32_t qt[DETECT_QT_COUNT];
	uint32_t nxdomain;
	uint32_t answers;
	uint32_t a_keyword, a_ip_literal; /* for top talkers, in every table */
	uint32_t cnt[DETECT_K_COUNT];     /* each kind's score counter */
	uint8_t level[DETECT_K_COUNT];    /* the level already raised per kind */
	uint8_t inside;
	uint8_t nsample;
	uint8_t sample_kind[DETECT_SAMPLES];
	int64_t last_ns;
	uint64_t names_bm[4]; /* linear-counting bitmap of names */
	int64_t first_ns;
	double beacon_period_s; /* the period of the beacon behind cnt[BEACON] */
	uint64_t aux_bm[4];     /* the same for a kind's own names (dga, tunnel) */
	uint64_t gen_bm[4];     /* dga on inputs without answers: generated labels */
	struct dh_addr addr;
	char sample[DETECT_SAMPLES][DETECT_SAMPLE_LEN];
};

enum { DETECT_WIN_MAX = DETECT_K_COUNT + 2 };

/* One window table: all clients for one window length. */
struct detect_win {
	int64_t len;        /* INT64_MAX: the whole run */
	int64_t start, end; /* the open window; start == INT64_MIN: none yet */
	uint32_t kinds;     /* bit per kind counted in this table */
	int stats;          /* the statistics' window */
	int run;            /* the run-wide table (top talkers) */
	int tracked;        /* keeps a client table (a kind counts in it, or top talkers) */
	struct detect_ss clients;
};

#define DETECT_NAME_SEED 3

/* What the engine worked out about one event, for the detectors. */
struct detect_obs {
	const struct ev_event *ev;
	const struct dh_addr *client;
	int query;        /* a client query (else a counted answer) */
	int nxdomain;     /* an answer with NXDOMAIN */
	int inside;       /* the client is inside the local networks */
	int name_allowed; /* the name is on the global allow-list */
	unsigned qt;      /* enum detect_qt */
	const char *name; /* the qname (presentation form, trailing dot) */
	size_t name_len;
	uint64_t name_hash;                      /* dh_hash64 of the name, DETECT_NAME_SEED */
	uint64_t client_hash;                    /* detect__ss_hash() of the client's address */
	struct detect_client *c[DETECT_WIN_MAX]; /* the client's entry per window */
};

#define DETECT_SERIES_MAX   8760
#define DETECT_PEAKS_MAX    1024
#define DETECT_HEAD_CAP     256
#define DETECT_TOPN_CAP     256
#define DETECT_ENT_BUCKETS  65536
#define DETECT_HEAD_BUCKETS 8192 /* per head length: 32 kB, cache-resident */
#define DETECT_SERVERS_MAX  4096

struct detect_det {
	const struct detect_ops *ops;
	void *ctx;
};

struct detect {
	const struct detect_config *cfg;
	detect_finding_fn fn;
	void *fn_ctx;

	unsigned nwin;
	struct detect_win win[DETECT_WIN_MAX];
	int kind_win[DETECT_K_COUNT]; /* window index per kind, -1 disabled */
	int stats_win, run_win;

	unsigned ndet;
	struct detect_det det[8];

	/* Addresses seen answering DNS (responses from port 53): servers,
	 * never a finding's host, and their queries are upstream ones. */
	struct dh_addr servers[DETECT_SERVERS_MAX];
	uint8_t server_used[DETECT_SERVERS_MAX];
	unsigned nservers;
	uint64_t server_bloom[64];  /* a bit per address hash: most clients are no server */
	struct dh_addr last_server; /* the last answering address marked */

	/* The open statistics window's global counts. */
	struct detect_point cur;
	int cur_open;
	uint32_t *ent_src, *ent_name; /* hashed frequency buckets; owned */
	uint64_t ent_src_n, ent_name_n;
	uint64_t *names_bm, *clients_bm;      /* linear counting, DETECT_ENT_BUCKETS bits; owned */
	struct detect_ss top_names, top_srcs; /* of the open window */

	struct detect_point *series; /* owned ring of DETECT_SERIES_MAX */
	size_t nseries, series_head;
	struct detect_point *series_lin; /* owned: the ring in order, for detect_series() */
	struct detect_peak *peaks;       /* owned ring of DETECT_PEAKS_MAX */
	size_t npeaks, peaks_head;
	struct detect_peak *peaks_lin; /* owned */

	/* Run-wide tables. */
	struct detect_ss head[5];
	uint32_t *head_bucket; /* 5 x DETECT_HEAD_BUCKETS prefilter counts; owned */
	uint64_t kw_count[DETECT_KEYWORDS_MAX];
	uint8_t kw_len[DETECT_KEYWORDS_MAX];

	/* cfg->top_talkers: the statistics are kept. A run that prints
	 * only findings skips them: they were a sixth of detect --store's
	 * CPU (the entropy buckets, the top names and sources, five
	 * head-word tables per A query), and no finding depends on them. */
	int stats_on;

	struct detect_counters counters;
	struct dh_buf evidence; /* the finding being raised */
	struct dh_buf scratch;
	int64_t last_ts;
};

/* The client entry of window w for addr (created if missing); h is
 * detect__ss_hash() of addr. */
struct detect_client *detect__client(struct detect *d, unsigned w, const struct dh_addr *addr,
                                     uint64_t h, int64_t ts_ns, uint64_t inc);

/* Adds inc to kind's counter of obs's client (or of host, when not NULL:
 * the host a signal names, as outside-in does), keeps name as a sample,
 * and raises a finding when the counter crossed a level. Returns 0 or the
 * callback's return. */
int detect__count(struct detect *d, const struct detect_obs *obs, unsigned kind,
                  const struct dh_addr *host, uint32_t inc, const char *name, size_t name_len);

/* Sets kind's counter of obs's client to at least value (beacon), then
 * as detect__count(). */
int detect__score(struct detect *d, const struct detect_obs *obs, unsigned kind, uint32_t value,
                  double period_s, const char *name, size_t name_len);

/* 1 when addr is a server (configured or seen answering); h is
 * detect__ss_hash() of addr. */
int detect__is_server(const struct detect *d, const struct dh_addr *addr, uint64_t h);

/* Linear-counting bitmap of 256 bits: set and estimate. */
static inline void detect__bm_set(uint64_t bm[4], uint64_t h)
{
	bm[(h >> 6) & 3] |= (uint64_t)1 << (h & 63);
}
uint64_t detect__bm_estimate(const uint64_t *bm, size_t bits);

/* Name rules (detect_name.c). */
/* Length of the first label of name (up to the first dot or the end). */
size_t detect__first_label(const char *name, size_t n);
/* The longest label's length. */
size_t detect__longest_label(const char *name, size_t n);
/* 1 when name (n octets, presentation form) is four labels that are
 * decimal octets 0-255 ("10.1.2.3."), 2 when such four labels start a
 * longer name ("127.0.0.1.example.jp."), 0 otherwise and for names under
 * in-addr.arpa and ip6.arpa. */
int detect__ip_literal(const char *name, size_t n);
/* The keyword of cfg that heads name's first label, or -1 (rules in
 * doc/detect.md, "Keywords"). */
int detect__keyword(const struct detect_config *cfg, const char *name, size_t n);
/* The address a reverse-lookup name (in-addr.arpa, ip6.arpa) names, in
 * *out; returns 1 when it is one, else 0. */
int detect__reverse_addr(const char *name, size_t n, struct dh_addr *out);
/* Shannon entropy of the octets of s, bits per octet. */
double detect__text_entropy(const char *s, size_t n);

extern const struct detect_ops detect_stats_ops;
extern const struct detect_ops detect_dga_ops;
extern const struct detect_ops detect_tunnel_ops;
extern const struct detect_ops detect_beacon_ops;

#endif
