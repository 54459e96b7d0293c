/*
 * finding.h - what every detector reports, and the findings table that
 * keeps them.
 *
 * One finding names a host that behaved like an infected one in one time
 * window: which behaviour (kind), how sure (level and score) and why
 * (evidence: the counts and sample names that made it). Seed 001's
 * prototype grades hosts by their daily count into three levels,
 * candidate, warning and emergency; every detector of dnshound (seed 001's
 * statistics, seed 003's NS-history check, the DGA, tunnelling and
 * beaconing detectors) reports in that shape so that one table, one JSON
 * form, one alert path and one block list serve them all.
 *
 * The table lives in the store's catalog (doc/store.md) but is reached by
 * a handle of its own, not through struct store: a detector may record
 * findings while another process holds the store's ingest lock (SQLite's
 * WAL mode lets both write the catalog, each in short transactions).
 */
#ifndef DH_STORE_FINDING_H
#define DH_STORE_FINDING_H

#include <stdint.h>

#include "util/addr.h"

struct dh_buf;

/* Seed 001 section 4: the prototype's three grades, lowest first. */
enum store_level {
	STORE_LEVEL_NONE = 0,
	STORE_LEVEL_CANDIDATE = 1,
	STORE_LEVEL_WARNING = 2,
	STORE_LEVEL_EMERGENCY = 3,
};

/* "candidate", "warning", "emergency" ("none" for 0, "?" above). */
const char *store_level_name(unsigned level);

/* Parses a level name. Returns 0 or DH_ENOTFOUND. */
int store_level_parse(const char *text, unsigned *level);

#define STORE_KIND_MAX 32

struct store_finding {
	struct dh_addr host;       /* the suspected infected host */
	unsigned level;            /* enum store_level */
	char kind[STORE_KIND_MAX]; /* "spam-mx", "dga", "direct-outbound", ... */
	int64_t window_start_ns;   /* the window the counts cover, [start, end) */
	int64_t window_end_ns;
	double score;         /* the detector's measure, documented per kind */
	const char *evidence; /* a JSON object as text, or NULL for {};
	                       * borrowed: the producer owns it */
	int64_t raised_ns;    /* when first raised (filled by the table) */
};

/*
 * Appends f as one JSON object (no newline): host, level, kind,
 * window_start and window_end (RFC 3339), score and evidence. evidence is
 * inserted as it is, so it must be valid JSON built with
 * dh_buf_add_json_str() for every string taken from input.
 */
void store_finding_json(const struct store_finding *f, struct dh_buf *out);

struct store_findings;

/* Opens the findings table of the store in dir, creating the table (and,
 * with create set, the catalog) when missing. Returns 0 and *out (free
 * with store_findings_close()), -ENOENT when there is no store, or
 * DH_EDB. */
int store_findings_open(struct store_findings **out, const char *dir, int create);

/* Commits an open group of puts (store_findings_set_batch()) and closes
 * t. NULL ok. */
void store_findings_close(struct store_findings *t);

/* What store_findings_put() did. */
enum {
	STORE_FINDING_KNOWN = 0,  /* the same host, kind and window at this level or higher */
	STORE_FINDING_NEW = 1,    /* first time */
	STORE_FINDING_RAISED = 2, /* known, now at a higher level */
};

/*
 * Records f, deduplicated by (host, kind, window_start): a second put of
 * the same finding changes nothing, so a rerun over the same data or a
 * restarted follower raises nothing twice; a higher level or score
 * replaces level, score, window end and evidence. now_ns is the wall time
 * kept as raised_ns of a new row. Returns one of the STORE_FINDING_ codes
 * or a negative code.
 */
int store_findings_put(struct store_findings *t, const struct store_finding *f, int64_t now_ns);

/*
 * Groups the puts that follow into transactions of up to max_puts puts
 * (0: each put commits by itself, the default). A group is opened by a
 * put, holds the catalog's write lock from then on, and is committed by
 * store_findings_flush(), by the put that fills it, or by
 * store_findings_close(): one sync of the catalog per group instead of
 * one per finding. A crash loses the findings of the open group only;
 * they were in no committed state, so a rerun raises them again as new.
 * Callers flush when a burst of puts is done (an ingest that wants the
 * write lock waits for it), and before they report a finding as raised,
 * so that what was reported is on disk.
 */
void store_findings_set_batch(struct store_findings *t, unsigned max_puts);

/* Commits the open group of puts, if any. Returns 0 or DH_EDB (the
 * group's findings are then rolled back). NULL ok. */
int store_findings_flush(struct store_findings *t);

struct store_findings_filter {
	int64_t since_ns, until_ns; /* window overlap; INT64_MIN/MAX = unbounded */
	struct dh_addr host;        /* DH_AF_NONE = any */
	const char *kind;           /* NULL = any */
	unsigned min_level;         /* 0 = any */
	uint64_t limit;             /* 0 = no limit */
};

/* Sets every field to "any". */
void store_findings_filter_init(struct store_findings_filter *flt);

/* Calls cb for each finding matching flt, oldest window first; the
 * finding (with its evidence) is borrowed for the call. cb returns 0 to go
 * on, anything else to stop, which is returned. Returns 0 or a negative
 * code. */
int store_findings_list(struct store_findings *t, const struct store_findings_filter *flt,
                        int (*cb)(void *ctx, const struct store_finding *f), void *ctx);

#endif
