/*
 * finding.c - the finding's JSON form and the catalog's findings table.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/finding.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/timefmt.h"

static const char *const level_names[] = {"none", "candidate", "warning", "emergency"};

const char *store_level_name(unsigned level)
{
	return level < sizeof(level_names) / sizeof(level_names[0]) ? level_names[level] : "?";
}

int store_level_parse(const char *text, unsigned *level)
{
	for (unsigned i = 1; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(text, level_names[i]) == 0) {
			*level = i;
			return 0;
		}
	}
	return DH_ENOTFOUND;
}

static void add_time(struct dh_buf *out, int64_t ns)
{
	char t[DH_TIME_TEXT_MAX];
	size_t n = dh_time_format(ns, t, sizeof(t));
	dh_buf_add_json_str(out, t, n);
}

void store_finding_json(const struct store_finding *f, struct dh_buf *out)
{
	char host[DH_ADDR_TEXT_MAX];
	size_t hn = dh_addr_format(&f->host, host, sizeof(host));
	dh_buf_adds(out, "{\"host\":");
	dh_buf_add_json_str(out, host, hn);
	dh_buf_adds(out, ",\"level\":\"");
	dh_buf_adds(out, store_level_name(f->level));
	dh_buf_adds(out, "\",\"kind\":");
	dh_buf_add_json_str(out, f->kind, strnlen(f->kind, sizeof(f->kind)));
	dh_buf_adds(out, ",\"window_start\":");
	add_time(out, f->window_start_ns);
	dh_buf_adds(out, ",\"window_end\":");
	add_time(out, f->window_end_ns);
	/* JSON has no NaN or infinity; a detector's score is finite by
	 * contract, but a bad one must not make the line unparseable. */
	double score = isfinite(f->score) ? f->score : 0.0;
	dh_buf_addf(out, ",\"score\":%.6g,\"evidence\":", score);
	dh_buf_adds(out, f->evidence && *f->evidence ? f->evidence : "{}");
	if (f->raised_ns) {
		dh_buf_adds(out, ",\"raised\":");
		add_time(out, f->raised_ns);
	}
	dh_buf_addc(out, '}');
}

struct store_findings {
	sqlite3 *db;
	sqlite3_stmt *get, *ins, *upd;
	unsigned batch; /* puts per transaction; 0: each put commits */
	unsigned puts;  /* puts in the open transaction */
	int in_tx;      /* a transaction is open */
};

static const char findings_schema[] =
    "CREATE TABLE IF NOT EXISTS findings(id INTEGER PRIMARY KEY,"
    " host TEXT NOT NULL, kind TEXT NOT NULL, level INTEGER NOT NULL,"
    " window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,"
    " score REAL NOT NULL, evidence TEXT NOT NULL, raised INTEGER NOT NULL,"
    " updated INTEGER NOT NULL, UNIQUE(host, kind, window_start));"
    "CREATE INDEX IF NOT EXISTS findings_window ON findings(window_start);";

int store_findings_open(struct store_findings **out, const char *dir, int create)
{
	int rc = 0;
	char path[4096];
	struct store_findings *t = NULL;
	*out = NULL;
	if (!dir || !*dir)
		return DH_EUSAGE;
	int n = snprintf(path, sizeof(path), "%s/catalog.db", dir);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	if (!create && access(path, F_OK) < 0)
		return -ENOENT;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	int oflags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &t->db, oflags, NULL) != SQLITE_OK) {
		rc = DH_EDB;
		goto out;
	}
	/* The ingest side holds write transactions for a segment's commit
	 * only; waiting for it is short. */
	sqlite3_busy_timeout(t->db, 10000);
	if (sqlite3_exec(t->db, "PRAGMA journal_mode=WAL;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(t->db, findings_schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(t->db,
	                       "SELECT id, level, score FROM findings"
	                       " WHERE host = ?1 AND kind = ?2 AND window_start = ?3",
	                       -1, &t->get, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(t->db,
	                       "INSERT INTO findings(host, kind, level, window_start, window_end,"
	                       " score, evidence, raised, updated)"
	                       " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
	                       -1, &t->ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(t->db,
	                       "UPDATE findings SET level = ?2, window_end = ?3, score = ?4,"
	                       " evidence = ?5, updated = ?6 WHERE id = ?1",
	                       -1, &t->upd, NULL) != SQLITE_OK)
		rc = DH_EDB;
out:
	if (rc) {
		store_findings_close(t);
		t = NULL;
	}
	*out = t;
	return rc;
}

void store_findings_set_batch(struct store_findings *t, unsigned max_puts)
{
	t->batch = max_puts;
}

int store_findings_flush(struct store_findings *t)
{
	if (!t || !t->in_tx)
		return 0;
	t->in_tx = 0;
	t->puts = 0;
	if (sqlite3_exec(t->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	/* A failed COMMIT may leave the transaction open: end it, so that
	 * the next put starts afresh. */
	if (!sqlite3_get_autocommit(t->db))
		sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
	return DH_EDB;
}

void store_findings_close(struct store_findings *t)
{
	if (!t)
		return;
	/* Nobody is left to hear of a failure; an uncommitted group is then
	 * rolled back by sqlite3_close(), as a crash would lose it. */
	(void)store_findings_flush(t);
	sqlite3_finalize(t->get);
	sqlite3_finalize(t->ins);
	sqlite3_finalize(t->upd);
	sqlite3_close(t->db);
	free(t);
}

static int put_one(struct store_findings *t, const struct store_finding *f, int64_t now_ns);

int store_findings_put(struct store_findings *t, const struct store_finding *f, int64_t now_ns)
{
	int rc;
	if (t->batch && !t->in_tx) {
		/* IMMEDIATE: the write lock is taken now, waiting for an ingest's
		 * commit through the busy timeout. A deferred transaction would
		 * read first and could then fail to write (SQLITE_BUSY_SNAPSHOT,
		 * which no timeout retries) when a segment was committed in
		 * between. */
		if (sqlite3_exec(t->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
			return DH_EDB;
		t->in_tx = 1;
	}
	rc = put_one(t, f, now_ns);
	if (t->in_tx && ++t->puts >= t->batch) {
		int e = store_findings_flush(t);
		if (rc >= 0 && e < 0)
			rc = e;
	}
	return rc;
}

static int put_one(struct store_findings *t, const struct store_finding *f, int64_t now_ns)
{
	char host[DH_ADDR_TEXT_MAX];
	size_t hn = dh_addr_format(&f->host, host, sizeof(host));
	size_t kn = strnlen(f->kind, sizeof(f->kind));
	const char *ev = f->evidence && *f->evidence ? f->evidence : "{}";
	double score = isfinite(f->score) ? f->score : 0.0;
	int rc = DH_EDB;

	sqlite3_reset(t->get);
	sqlite3_bind_text(t->get, 1, host, (int)hn, SQLITE_TRANSIENT);
	sqlite3_bind_text(t->get, 2, f->kind, (int)kn, SQLITE_TRANSIENT);
	sqlite3_bind_int64(t->get, 3, f->window_start_ns);
	int step = sqlite3_step(t->get);
	if (step == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(t->get, 0);
		unsigned old_level = (unsigned)sqlite3_column_int(t->get, 1);
		double old_score = sqlite3_column_double(t->get, 2);
		sqlite3_reset(t->get);
		if (f->level < old_level || (f->level == old_level && score <= old_score))
			return STORE_FINDING_KNOWN;
		sqlite3_reset(t->upd);
		sqlite3_bind_int64(t->upd, 1, id);
		sqlite3_bind_int(t->upd, 2, (int)f->level);
		sqlite3_bind_int64(t->upd, 3, f->window_end_ns);
		sqlite3_bind_double(t->upd, 4, score);
		sqlite3_bind_text(t->upd, 5, ev, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(t->upd, 6, now_ns);
		if (sqlite3_step(t->upd) == SQLITE_DONE)
			rc = f->level > old_level ? STORE_FINDING_RAISED : STORE_FINDING_KNOWN;
		sqlite3_reset(t->upd);
		return rc;
	}
	sqlite3_reset(t->get);
	if (step != SQLITE_DONE)
		return DH_EDB;
	sqlite3_reset(t->ins);
	sqlite3_bind_text(t->ins, 1, host, (int)hn, SQLITE_TRANSIENT);
	sqlite3_bind_text(t->ins, 2, f->kind, (int)kn, SQLITE_TRANSIENT);
	sqlite3_bind_int(t->ins, 3, (int)f->level);
	sqlite3_bind_int64(t->ins, 4, f->window_start_ns);
	sqlite3_bind_int64(t->ins, 5, f->window_end_ns);
	sqlite3_bind_double(t->ins, 6, score);
	sqlite3_bind_text(t->ins, 7, ev, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(t->ins, 8, now_ns);
	if (sqlite3_step(t->ins) == SQLITE_DONE)
		rc = STORE_FINDING_NEW;
	sqlite3_reset(t->ins);
	return rc;
}

void store_findings_filter_init(struct store_findings_filter *flt)
{
	memset(flt, 0, sizeof(*flt));
	flt->since_ns = INT64_MIN;
	flt->until_ns = INT64_MAX;
}

int store_findings_list(struct store_findings *t, const struct store_findings_filter *flt,
                        int (*cb)(void *ctx, const struct store_finding *f), void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;
	char host[DH_ADDR_TEXT_MAX];
	if (sqlite3_prepare_v2(
	        t->db,
	        "SELECT host, kind, level, window_start, window_end, score, evidence,"
	        " raised FROM findings WHERE window_end > ?1 AND window_start < ?2"
	        " AND (?3 IS NULL OR host = ?3) AND (?4 IS NULL OR kind = ?4)"
	        " AND level >= ?5 ORDER BY window_start, host, kind"
	        " LIMIT ?6",
	        -1, &st, NULL) != SQLITE_OK)
		return DH_EDB;
	sqlite3_bind_int64(st, 1, flt->since_ns);
	sqlite3_bind_int64(st, 2, flt->until_ns);
	if (flt->host.family != DH_AF_NONE) {
		size_t hn = dh_addr_format(&flt->host, host, sizeof(host));
		sqlite3_bind_text(st, 3, host, (int)hn, SQLITE_TRANSIENT);
	}
	if (flt->kind)
		sqlite3_bind_text(st, 4, flt->kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 5, (int)flt->min_level);
	sqlite3_bind_int64(
	    st, 6, flt->limit ? (int64_t)(flt->limit > INT64_MAX ? INT64_MAX : flt->limit) : -1);
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_finding f;
		memset(&f, 0, sizeof(f));
		const char *h = (const char *)sqlite3_column_text(st, 0);
		const char *k = (const char *)sqlite3_column_text(st, 1);
		/* A row someone edited by hand with a host that is no address
		 * keeps its place in the list with no host. */
		if (!h || dh_addr_parse(&f.host, h) != 0)
			f.host.family = DH_AF_NONE;
		snprintf(f.kind, sizeof(f.kind), "%s", k ? k : "");
		f.level = (unsigned)sqlite3_column_int(st, 2);
		f.window_start_ns = sqlite3_column_int64(st, 3);
		f.window_end_ns = sqlite3_column_int64(st, 4);
		f.score = sqlite3_column_double(st, 5);
		f.evidence = (const char *)sqlite3_column_text(st, 6);
		f.raised_ns = sqlite3_column_int64(st, 7);
		if ((rc = cb(ctx, &f)) != 0)
			break;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = DH_EDB;
	sqlite3_finalize(st);
	return rc;
}
