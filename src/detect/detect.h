/*
 * detect.h - finding infected hosts in DNS events: seed 001's statistics
 * and levels (Musashi et al., "DNS-based Countermeasure Technologies for
 * Spam Bot Worm-infected PC terminals in the Campus Network", 2006), and
 * the DGA, tunnelling and beaconing detectors beyond it.
 *
 * One engine (struct detect) takes events one at a time, from a file,
 * the store or a live source alike, and keeps per-client counters per
 * time window in bounded memory (doc/detect.md, "Memory"). Each detector
 * is one small interface (struct detect_ops): it is fed every event with
 * the client's counters, is told when a window closes, and raises
 * findings through the engine, which grades them into seed 001's levels
 * (candidate, warning, emergency; the prototype's 1000, 5000 and 10000 a
 * day) with every threshold and window configurable per kind.
 *
 * Findings reach the caller through a callback as soon as a host crosses
 * a level (live use: within one event of the crossing) and once more when
 * the window closes, with the final counts. Formulas, kinds, scores and
 * configuration keys: doc/detect.md.
 */
#ifndef DH_DETECT_DETECT_H
#define DH_DETECT_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"
#include "store/finding.h"

struct dh_buf;
struct detect;

/* The kinds of finding. Their names (detect_kind_name()) are the "kind"
 * of struct store_finding and the [detect KIND] sections of the
 * configuration. */
enum detect_kind {
	DETECT_K_SPAM_MX = 0, /* MX queries of a client (seed 001; seed 000 Fig. 3) */
	DETECT_K_MASS_MAILER, /* keyword-headed A queries (seed 001's head-word tables) */
	DETECT_K_IP_LITERAL,  /* A queries for IP literals (seed 001, clients B and C) */
	DETECT_K_VOLUME,      /* all A queries of a client (seed 001's prototype; off by default) */
	DETECT_K_OUTSIDE_IN,  /* outside clients resolving a local host (seed 001, strategy 3) */
	DETECT_K_DGA,         /* NXDOMAIN answers for many distinct names */
	DETECT_K_TUNNEL,      /* long or high-entropy labels, TXT and NULL */
	DETECT_K_BEACON,      /* one name asked at a regular period */
	DETECT_K_COUNT
};

/* "spam-mx", "mass-mailer", "worm-ip-literal", "volume", "outside-in",
 * "dga", "tunnel", "beacon"; NULL past the end. */
const char *detect_kind_name(unsigned kind);

/* Returns the kind named, or -1. */
int detect_kind_parse(const char *name);

/* Query-type columns of seed 001's per-client tables. */
enum detect_qt {
	DETECT_QT_A = 0,
	DETECT_QT_AAAA,
	DETECT_QT_PTR,
	DETECT_QT_MX,
	DETECT_QT_TXT,
	DETECT_QT_SOA,
	DETECT_QT_ANY,
	DETECT_QT_OTHER,
	DETECT_QT_COUNT
};

/* "A", "AAAA", "PTR", "MX", "TXT", "SOA", "ANY", "other". */
const char *detect_qt_name(unsigned qt);

/* The column of a query type. */
unsigned detect_qt_of(uint16_t qtype);

#define DETECT_KEYWORDS_MAX 64
#define DETECT_KEYWORD_LEN  16

/* Per-kind settings (doc/detect.md, "Configuration"). */
struct detect_kind_config {
	int enabled;
	int64_t window_ns;      /* length of the counting window */
	uint64_t level[3];      /* candidate, warning, emergency thresholds of the score */
	double min_share;       /* mass-mailer: keyword share of A; dga: NXDOMAIN share */
	struct dh_allow *allow; /* hosts, networks and name suffixes never counted; owned */
};

struct detect_config {
	struct detect_kind_config kind[DETECT_K_COUNT];
	int64_t stats_window_ns; /* the statistics' window (series, top talkers, entropy) */
	uint32_t max_clients;    /* Space-Saving capacity of each window's client table */
	uint32_t beacon_slots;   /* (client, name) pairs the beacon detector tracks */
	/* Keep what only `top` and the report read (default 1): the run-wide
	 * client table of detect_top() and the statistics of detect_stats.h
	 * (series, peaks, head words). 0: findings only, as `detect` wants;
	 * the read API then returns no points, peaks or head words. */
	int top_talkers;
	struct dh_allow *allow;   /* global allow-list; owned */
	struct dh_allow *local;   /* inside networks; NULL = every client is inside; owned */
	struct dh_allow *servers; /* resolvers and other servers: never a finding's host; owned */
	struct dh_allow *own;     /* our own domains (outside-in); owned */
	unsigned nkeywords;
	char keywords[DETECT_KEYWORDS_MAX][DETECT_KEYWORD_LEN];
	int keywords_set; /* the configuration gave its own list */
	/* Entropy change detection (doc/detect.md, "Entropy"). */
	unsigned entropy_baseline; /* windows in the rolling baseline */
	double entropy_k;          /* a peak is more than k standard deviations off */
	/* Tunnel: the label length that counts as long. */
	unsigned tunnel_label;
	/* Beacon: tolerated relative deviation of an interval from the mean,
	 * and the shortest and longest period considered. */
	double beacon_tolerance;
	double beacon_min_s, beacon_max_s;
};

/* Fills cfg with the defaults of doc/detect.md (no allow-lists, the
 * issue's keyword list). */
void detect_config_init(struct detect_config *cfg);

/* Frees the lists cfg owns. */
void detect_config_release(struct detect_config *cfg);

/*
 * Reads a configuration file's [detect] and [detect KIND] sections into
 * cfg (other sections are ignored, so one file serves every command).
 * Returns 0, or a negative code with "FILE:LINE: what" in err.
 */
int detect_config_file(struct detect_config *cfg, const char *path, char *err, size_t errlen);

/* The same over text in memory; errors name "name:LINE". */
int detect_config_text(struct detect_config *cfg, const char *text, size_t n, const char *name,
                       char *err, size_t errlen);

/* How a finding reached the callback. */
enum {
	DETECT_RAISE_CROSSED = 0, /* a host crossed a level inside an open window */
	DETECT_RAISE_CLOSED = 1,  /* the window closed: the final counts */
};

/* Gets every finding; f and its evidence are borrowed for the call. A
 * non-zero return stops the feeding call, which returns it. */
typedef int (*detect_finding_fn)(void *ctx, const struct store_finding *f, int how);

/*
 * A new engine with the detectors of cfg (borrowed: it must outlive the
 * engine). Returns 0 and *out (free with detect_free()), or -ENOMEM.
 */
int detect_new(struct detect **out, const struct detect_config *cfg, detect_finding_fn fn,
               void *fn_ctx);

/* NULL ok. */
void detect_free(struct detect *d);

/* Feeds one event (borrowed). Events should come in time order; an event
 * older than the open window counts into it. Returns 0 or what the
 * finding callback returned. */
int detect_feed(struct detect *d, const struct ev_event *ev);

/* Closes the windows that end at or before now_ns (live use: called
 * periodically with the clock, so a quiet input still closes its
 * windows). Returns as detect_feed(). */
int detect_tick(struct detect *d, int64_t now_ns);

/* Closes every open window (end of input). Returns as detect_feed(). */
int detect_finish(struct detect *d);

struct detect_counters {
	uint64_t events;   /* events fed */
	uint64_t queries;  /* of them counted as client queries */
	uint64_t answers;  /* responses whose rcode was counted */
	uint64_t skipped;  /* upstream queries of the resolver, events without a question */
	uint64_t evicted;  /* clients pushed out of a full client table */
	uint64_t findings; /* findings handed to the callback */
};

void detect_counters(const struct detect *d, struct detect_counters *out);

/*
 * Writes s (n octets, borrowed) as a JSON string literal, quotes
 * included, escaping besides RFC 8259's set also <, >, &, ' and every
 * octet outside printable ASCII as \u00XX, so a name from the wire is
 * safe in JSON, in a terminal and inside HTML alike.
 */
void detect_json_str(struct dh_buf *out, const char *s, size_t n);

/* 1 when the registered label of name (n octets) looks generated: 10 or
 * more letters and digits, under 30% vowels, a run of 4 consonants
 * (detect_dga.c; the DGA detector's rule for inputs without answers). */
int detect_generated(const char *name, size_t n);

/* The detectors' interface. Internal to the layer: every detector is
 * one of these, listed in detect.c. */
struct detect_client;
struct detect_win;
struct detect_obs;

struct detect_ops {
	const char *name;
	int (*init)(void **ctx, struct detect *d);
	/* Optional (NULL): told the event's hashes before the engine's own
	 * table work, so a detector can prefetch what feed will touch. */
	void (*prefetch)(void *ctx, const struct detect_obs *obs);
	/* One event, with what the engine worked out about it (obs) and the
	 * client's entry in each window table. */
	int (*feed)(void *ctx, const struct detect_obs *obs);
	/* Window w is about to close: last chance to add to its entries. */
	int (*close)(void *ctx, struct detect_win *w);
	void (*free)(void *ctx);
};

#endif
