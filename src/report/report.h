/*
 * report.h - one self-contained HTML file of what dnshound found: seed
 * 001's traffic curves by query type, the entropy curves with their
 * peaks, the top talkers, the findings with their evidence, the keyword
 * and head-word tables, and seed 000's Fig. 4 view of one host's DNS
 * traffic as parallel coordinates (doc/report.md).
 *
 * The report is a model filled by the caller (the command layer fills it
 * from the detection engine's statistics, the findings table and the
 * events) and a writer that turns it into HTML. The file needs nothing
 * when opened: the charts are SVG drawn by dnshound (eval_chart.h), the
 * style sheet is inline, there is no script. Every string that came from
 * input (names, evidence, kinds) is escaped with eval_chart_escape().
 */
#ifndef DH_REPORT_REPORT_H
#define DH_REPORT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "store/finding.h"
#include "util/addr.h"

struct dh_buf;

/* Query-type columns: the caller names them (seed 001's A, AAAA, PTR,
 * MX, TXT, SOA, ANY, other). */
#define REPORT_QT_MAX   8
#define REPORT_NAME_MAX 64
#define REPORT_PEAK_TOP 5
/* Most distinct lines the parallel-coordinates view keeps; more are
 * counted and said to be left out. */
#define REPORT_FLOWS_MAX 4000

/* One statistics window of all clients. */
struct report_window {
	int64_t start_ns, end_ns;
	uint64_t queries;
	uint64_t qt[REPORT_QT_MAX];
	uint64_t nxdomain;
	double h_src, h_name; /* entropy, bits (seed 001 eq. 1, 2) */
	int peak_src, peak_name;
};

/* A name or address with its count (and Space-Saving error bound). */
struct report_count {
	char name[REPORT_NAME_MAX]; /* raw octets, NUL-terminated; escaped when written */
	uint64_t count;
	uint64_t err;
};

struct report_peak {
	int64_t start_ns, end_ns;
	int which; /* 0: source addresses, 1: query names */
	double value, mean, sd;
	unsigned nnames, nsources;
	struct report_count names[REPORT_PEAK_TOP];
	struct report_count sources[REPORT_PEAK_TOP];
};

struct report_talker {
	struct dh_addr addr;
	uint64_t queries, err;
	uint64_t qt[REPORT_QT_MAX];
	uint64_t nxdomain, distinct_names, a_keyword, a_ip_literal;
	int inside;
};

/* One distinct line of the parallel-coordinates view. */
struct report_flow {
	uint16_t host_port, server_port;
	struct dh_addr server;
	uint64_t count;
};

struct report_model {
	const char *title;         /* borrowed; NULL: "dnshound report" */
	const char *source;        /* borrowed; what was read (store or files), shown as is */
	int64_t first_ns, last_ns; /* the events' time span; 0 when unknown */
	uint64_t events;           /* events read */

	unsigned nqt;
	const char *qt_names[REPORT_QT_MAX]; /* borrowed */

	struct report_window *win; /* owned arrays, appended with the functions below */
	size_t nwin, capwin;
	struct report_peak *peaks;
	size_t npeaks, cappeaks;
	struct report_talker *top;
	size_t ntop, captop;
	struct report_count *keywords;
	size_t nkeywords, capkeywords;
	struct report_count *head[5]; /* seed 001's five head-word columns */
	size_t nhead[5], caphead[5];
	double keyword_corr;
	int have_stats; /* the statistics above were filled */

	struct store_finding *findings; /* owned, evidence strdup()ed */
	size_t nfindings, capfindings;

	struct dh_addr flow_host; /* the host of the parallel-coordinates view */
	struct report_flow *flows;
	size_t nflows, capflows;
	uint64_t flows_dropped; /* queries whose line did not fit */
	void *flow_index;       /* owned; lookup of flows by key */
};

void report_model_init(struct report_model *m);
void report_model_release(struct report_model *m);

/* Appenders; each copies what it is given. Return 0 or -ENOMEM. */
int report_add_window(struct report_model *m, const struct report_window *w);
int report_add_peak(struct report_model *m, const struct report_peak *p);
int report_add_talker(struct report_model *m, const struct report_talker *t);
int report_add_keyword(struct report_model *m, const struct report_count *c);
int report_add_headword(struct report_model *m, unsigned len, const struct report_count *c);

/* Adds a finding, or merges it into the one of the same host, kind and
 * window start (the higher level and score win, as in the findings
 * table). The evidence is copied. */
int report_add_finding(struct report_model *m, const struct store_finding *f);

/* Counts one query of the flow host: from host_port to server:port. */
int report_add_flow(struct report_model *m, uint16_t host_port, const struct dh_addr *server,
                    uint16_t server_port);

/* Appends the HTML document. Returns 0 or the buffer's error. */
int report_html(const struct report_model *m, struct dh_buf *out);

#endif
