/*
 * detect_stats.h - the statistics of a detection run, for reports and
 * tables: seed 001's curves and tables as the engine counted them.
 *
 * Everything here is read from a struct detect (detect.h) between feeds
 * or after detect_finish(); the pointers returned are borrowed from the
 * engine and stay valid until the next detect_feed(), detect_tick(),
 * detect_finish() or detect_free(). The API is stable: fields may be
 * added at the end of the structs, none is removed or changes meaning.
 *
 * Seed 001 sections cited below are the slide titles of the paper:
 * "Example DNS query traffic from the BW-infected PCs" (per-client counts
 * by type), "Statistics of the DNS Query Contents in the A RR based DNS
 * query Traffic" (the five-column head-word table), "Correlation between
 * Total Traffic and Traffic including Several Keywords", "Total IPv6 based
 * DNS query traffic", "DNS traffic from the outside of the Campus
 * Network" and "Entropy" (equations 1 and 2).
 */
#ifndef DH_DETECT_DETECT_STATS_H
#define DH_DETECT_DETECT_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "detect/detect.h"
#include "util/addr.h"

/* One statistics window (stats_window_ns long, default one hour) of all
 * clients together: the seed's daily and hourly traffic curves. */
struct detect_point {
	int64_t start_ns, end_ns;
	uint64_t queries;             /* client queries */
	uint64_t qt[DETECT_QT_COUNT]; /* by type (enum detect_qt) */
	uint64_t nxdomain;            /* NXDOMAIN answers to clients */
	uint64_t distinct_names;      /* estimate (linear counting, doc/detect.md) */
	uint64_t clients;             /* distinct clients (estimate, idem) */
	uint64_t v4, v6;              /* queries from IPv4 and IPv6 sources */
	uint64_t inside, outside;     /* queries from inside and outside the local networks */
	uint64_t a_keyword;           /* A queries whose name starts with a keyword */
	uint64_t a_ip_literal;        /* A queries whose name is or starts with an IP literal */
	uint64_t outside_in;          /* outside queries naming a local host */
	double h_src, h_name;         /* entropy of sources and of names, bits (eq. 1, 2) */
	double h_src_mean, h_src_sd;  /* rolling baseline before this window */
	double h_name_mean, h_name_sd;
	int peak_src, peak_name; /* 1 when the window is a peak (detect_peak) */
};

/* The per-window series, oldest first (at most the last 8760 windows,
 * a year of hours). */
size_t detect_series(const struct detect *d, const struct detect_point **out);

/* A name or a source address with its count. name is the lower-cased
 * presentation form as the source gave it, NUL-terminated, raw: escape it
 * (detect_json_str()) before printing. */
struct detect_count {
	char name[64]; /* truncated to 63 octets */
	uint64_t count;
	uint64_t err; /* Space-Saving overestimate bound: count - err <= true <= count */
};

#define DETECT_PEAK_TOP 5

/* An entropy peak: a window whose entropy left the rolling baseline by
 * more than entropy_k standard deviations, with the names and sources
 * that made it. */
struct detect_peak {
	int64_t start_ns, end_ns;
	int which;       /* 0: source addresses, 1: query names */
	double value;    /* the window's entropy, bits */
	double mean, sd; /* the baseline it is compared with */
	unsigned nnames, nsources;
	struct detect_count names[DETECT_PEAK_TOP];   /* most asked names of the window */
	struct detect_count sources[DETECT_PEAK_TOP]; /* most active sources (text form) */
};

/* The peaks found so far, oldest first (at most the last 1024). */
size_t detect_peaks(const struct detect *d, const struct detect_peak **out);

/* One top talker over the whole run (seed 001's "top access client"). */
struct detect_talker {
	struct dh_addr addr;
	uint64_t queries;
	uint64_t err; /* Space-Saving bound, as detect_count */
	uint64_t qt[DETECT_QT_COUNT];
	uint64_t nxdomain;
	uint64_t distinct_names; /* estimate */
	uint64_t a_keyword, a_ip_literal;
	int inside;
};

/* Fills out[0..max) with the busiest clients of the run, busiest first.
 * Returns how many were written. */
size_t detect_top(const struct detect *d, struct detect_talker *out, size_t max);

/* The keyword list's hits over the run (one entry per keyword of the
 * configuration, in its order). Returns how many were written. */
size_t detect_keywords(const struct detect *d, struct detect_count *out, size_t max);

/*
 * Seed 001's head-word table: column len (1 to 5) holds the most common
 * first len characters of A-query names over the run, most common first.
 * Returns how many were written (0 for a len outside 1..5).
 */
size_t detect_headwords(const struct detect *d, unsigned len, struct detect_count *out, size_t max);

/* Pearson's correlation over the series between total A queries and
 * keyword-headed A queries per window (the seed's "strong correlation"
 * of mass mailers), or 0 with fewer than three windows or no variance. */
double detect_keyword_correlation(const struct detect *d);

#endif
