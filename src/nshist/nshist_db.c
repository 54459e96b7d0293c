/*
 * nshist_db.c - the history file (nshist_db.h).
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nshist/nshist_db.h"
#include "util/err.h"

struct nshist_db {
	sqlite3 *db;
	sqlite3_stmt *q_ins, *q_sel, *ns_ins, *ns_upd, *ans_ins, *ans_upd;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS nshist_query ("
    " id INTEGER PRIMARY KEY,"
    " querytime INTEGER NOT NULL,"
    " queryid INTEGER NOT NULL,"
    " queryname TEXT NOT NULL,"
    " qtype INTEGER NOT NULL,"
    " UNIQUE (querytime, queryid, queryname, qtype));"
    "CREATE TABLE IF NOT EXISTS nshist_ns ("
    " id INTEGER PRIMARY KEY,"
    " res_time INTEGER NOT NULL,"
    " zname TEXT NOT NULL,"
    " nsttl INTEGER NOT NULL,"
    " nsfqdn TEXT NOT NULL,"
    " glueAttl INTEGER,"
    " glueA TEXT,"
    " glueAAAAttl INTEGER,"
    " glueAAAA TEXT,"
    " glue_src TEXT NOT NULL,"
    " first_seen INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL,"
    " query INTEGER REFERENCES nshist_query(id));"
    "CREATE INDEX IF NOT EXISTS nshist_ns_zname ON nshist_ns(zname);"
    "CREATE INDEX IF NOT EXISTS nshist_ns_glueA ON nshist_ns(glueA);"
    "CREATE INDEX IF NOT EXISTS nshist_ns_glueAAAA ON nshist_ns(glueAAAA);"
    "CREATE TABLE IF NOT EXISTS nshist_answer ("
    " id INTEGER PRIMARY KEY,"
    " addr TEXT NOT NULL,"
    " qname TEXT NOT NULL,"
    " ttl INTEGER NOT NULL,"
    " first_seen INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS nshist_meta (key TEXT PRIMARY KEY, value INTEGER);";

static int64_t to_ms(int64_t ns)
{
	return ns < 0 ? -1 : ns / 1000000;
}

static int64_t from_ms(int64_t ms)
{
	return ms < 0 ? -1 : ms * 1000000;
}

void nshist_db_close(struct nshist_db *db)
{
	if (!db)
		return;
	sqlite3_finalize(db->q_ins);
	sqlite3_finalize(db->q_sel);
	sqlite3_finalize(db->ns_ins);
	sqlite3_finalize(db->ns_upd);
	sqlite3_finalize(db->ans_ins);
	sqlite3_finalize(db->ans_upd);
	sqlite3_close(db->db);
	free(db);
}

int nshist_db_open(struct nshist_db **out, const char *path, int create)
{
	struct nshist_db *db;
	struct stat sb;

	*out = NULL;
	if (!path)
		return DH_EUSAGE;
	if (!create && stat(path, &sb) != 0)
		return -ENOENT;
	db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	int fl = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &db->db, fl, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(db->db, 10000);
	/* WAL with synchronous NORMAL: a save is one transaction, durable
	 * at the next checkpoint, and a crash loses at most the last save,
	 * which the next build over the same data redoes. */
	if (sqlite3_exec(db->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL,
	                 NULL) != SQLITE_OK ||
	    sqlite3_exec(db->db, schema, NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_prepare_v2(db->db,
	                       "INSERT OR IGNORE INTO nshist_query (querytime, queryid, queryname, "
	                       "qtype) VALUES (?, ?, ?, ?)",
	                       -1, &db->q_ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db->db,
	                       "SELECT id FROM nshist_query WHERE querytime = ? AND queryid = ? "
	                       "AND queryname = ? AND qtype = ?",
	                       -1, &db->q_sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db->db,
	                       "INSERT INTO nshist_ns (res_time, zname, nsttl, nsfqdn, glueAttl, "
	                       "glueA, glueAAAAttl, glueAAAA, glue_src, first_seen, last_seen, "
	                       "query) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
	                       -1, &db->ns_ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db->db,
	                       "UPDATE nshist_ns SET res_time = ?, nsttl = ?, glueAttl = ?, "
	                       "glueAAAAttl = ?, glue_src = ?, first_seen = ?, last_seen = ?, "
	                       "query = ? WHERE id = ?",
	                       -1, &db->ns_upd, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db->db,
	                       "INSERT INTO nshist_answer (addr, qname, ttl, first_seen, "
	                       "last_seen) VALUES (?,?,?,?,?)",
	                       -1, &db->ans_ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db->db,
	                       "UPDATE nshist_answer SET qname = ?, ttl = ?, first_seen = ?, "
	                       "last_seen = ? WHERE id = ?",
	                       -1, &db->ans_upd, NULL) != SQLITE_OK)
		goto fail;
	*out = db;
	return 0;
fail:
	nshist_db_close(db);
	return DH_EDB;
}

/* ---- load ------------------------------------------------------------------ */

static int load_ns(void *ctx, const struct nshist_ns *row)
{
	return nshist_add_ns(ctx, row);
}

int nshist_db_load(struct nshist_db *db, struct nshist *h)
{
	static const char ans_sql[] =
	    "SELECT id, addr, qname, ttl, first_seen, last_seen FROM nshist_answer ORDER BY id";
	sqlite3_stmt *st = NULL;
	int rc, s;

	if ((rc = nshist_db_list(db, NULL, load_ns, h)) != 0)
		return rc;
	if (sqlite3_prepare_v2(db->db, ans_sql, -1, &st, NULL) != SQLITE_OK)
		return DH_EDB;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct nshist_answer a;
		const char *addr = (const char *)sqlite3_column_text(st, 1);

		memset(&a, 0, sizeof(a));
		if (!addr || dh_addr_parse(&a.addr, addr) != 0)
			continue;
		a.id = sqlite3_column_int64(st, 0);
		a.qname = (const char *)sqlite3_column_text(st, 2);
		a.ttl = (uint32_t)sqlite3_column_int64(st, 3);
		a.first_ns = from_ms(sqlite3_column_int64(st, 4));
		a.last_ns = from_ms(sqlite3_column_int64(st, 5));
		if ((rc = nshist_add_answer(h, &a)) != 0)
			goto out;
	}
	if (s != SQLITE_DONE)
		rc = DH_EDB;
out:
	sqlite3_finalize(st);
	return rc;
}

/* ---- save ------------------------------------------------------------------ */

struct save_ctx {
	struct nshist_db *db;
	uint64_t written;
};

static int step_done(sqlite3_stmt *st)
{
	int s = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return s == SQLITE_DONE ? 0 : DH_EDB;
}

/* The id of the query row of r, inserted when new; 0 when r has none. */
static int query_id(struct nshist_db *db, const struct nshist_ns *r, int64_t *id)
{
	*id = 0;
	if (!r->qname || !r->qname[0])
		return 0;
	sqlite3_stmt *q[2] = {db->q_ins, db->q_sel};
	for (int i = 0; i < 2; i++) {
		sqlite3_bind_int64(q[i], 1, to_ms(r->query_ns));
		sqlite3_bind_int(q[i], 2, r->query_id);
		sqlite3_bind_text(q[i], 3, r->qname, -1, SQLITE_STATIC);
		sqlite3_bind_int(q[i], 4, r->qtype);
	}
	if (step_done(db->q_ins) != 0)
		return DH_EDB;
	int s = sqlite3_step(db->q_sel);
	if (s == SQLITE_ROW)
		*id = sqlite3_column_int64(db->q_sel, 0);
	sqlite3_reset(db->q_sel);
	sqlite3_clear_bindings(db->q_sel);
	return s == SQLITE_ROW ? 0 : DH_EDB;
}

static int save_ns(void *ctx, struct nshist_ns *r)
{
	struct save_ctx *c = ctx;
	struct nshist_db *db = c->db;
	char addr[DH_ADDR_TEXT_MAX];
	int64_t qid;
	int v4 = r->glue.family == DH_AF_INET, v6 = r->glue.family == DH_AF_INET6;

	if (query_id(db, r, &qid) != 0)
		return DH_EDB;
	dh_addr_format(&r->glue, addr, sizeof(addr));
	if (r->id) {
		sqlite3_stmt *st = db->ns_upd;
		sqlite3_bind_int64(st, 1, to_ms(r->res_ns));
		sqlite3_bind_int64(st, 2, r->nsttl);
		if (v4)
			sqlite3_bind_int64(st, 3, r->glue_ttl);
		if (v6)
			sqlite3_bind_int64(st, 4, r->glue_ttl);
		sqlite3_bind_text(st, 5, nshist_src_name(r->src), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, to_ms(r->first_ns));
		sqlite3_bind_int64(st, 7, to_ms(r->last_ns));
		if (qid)
			sqlite3_bind_int64(st, 8, qid);
		sqlite3_bind_int64(st, 9, r->id);
		if (step_done(st) != 0)
			return DH_EDB;
	} else {
		sqlite3_stmt *st = db->ns_ins;
		sqlite3_bind_int64(st, 1, to_ms(r->res_ns));
		sqlite3_bind_text(st, 2, r->zname, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, r->nsttl);
		sqlite3_bind_text(st, 4, r->nsfqdn, -1, SQLITE_STATIC);
		if (v4) {
			sqlite3_bind_int64(st, 5, r->glue_ttl);
			sqlite3_bind_text(st, 6, addr, -1, SQLITE_TRANSIENT);
		}
		if (v6) {
			sqlite3_bind_int64(st, 7, r->glue_ttl);
			sqlite3_bind_text(st, 8, addr, -1, SQLITE_TRANSIENT);
		}
		sqlite3_bind_text(st, 9, nshist_src_name(r->src), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 10, to_ms(r->first_ns));
		sqlite3_bind_int64(st, 11, to_ms(r->last_ns));
		if (qid)
			sqlite3_bind_int64(st, 12, qid);
		if (step_done(st) != 0)
			return DH_EDB;
		r->id = sqlite3_last_insert_rowid(db->db);
	}
	c->written++;
	return 0;
}

static int save_answer(void *ctx, struct nshist_answer *a)
{
	struct save_ctx *c = ctx;
	struct nshist_db *db = c->db;
	char addr[DH_ADDR_TEXT_MAX];

	dh_addr_format(&a->addr, addr, sizeof(addr));
	if (a->id) {
		sqlite3_stmt *st = db->ans_upd;
		sqlite3_bind_text(st, 1, a->qname, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, a->ttl);
		sqlite3_bind_int64(st, 3, to_ms(a->first_ns));
		sqlite3_bind_int64(st, 4, to_ms(a->last_ns));
		sqlite3_bind_int64(st, 5, a->id);
		if (step_done(st) != 0)
			return DH_EDB;
	} else {
		sqlite3_stmt *st = db->ans_ins;
		sqlite3_bind_text(st, 1, addr, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, a->qname, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, a->ttl);
		sqlite3_bind_int64(st, 4, to_ms(a->first_ns));
		sqlite3_bind_int64(st, 5, to_ms(a->last_ns));
		if (step_done(st) != 0)
			return DH_EDB;
		a->id = sqlite3_last_insert_rowid(db->db);
	}
	c->written++;
	return 0;
}

int nshist_db_save(struct nshist_db *db, struct nshist *h, uint64_t *written)
{
	struct save_ctx c = {db, 0};
	int rc;

	if (written)
		*written = 0;
	if (sqlite3_exec(db->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return DH_EDB;
	rc = nshist__each_changed(h, save_ns, save_answer, &c);
	if (rc != 0) {
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
		return DH_EDB;
	}
	if (sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
		return DH_EDB;
	}
	nshist_clear_changed(h);
	if (written)
		*written = c.written;
	return 0;
}

int nshist_db_meta_get(struct nshist_db *db, const char *key, int64_t *value)
{
	sqlite3_stmt *st = NULL;
	int rc = DH_ENOTFOUND;

	if (sqlite3_prepare_v2(db->db, "SELECT value FROM nshist_meta WHERE key = ?", -1, &st,
	                       NULL) != SQLITE_OK)
		return DH_EDB;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int s = sqlite3_step(st);
	if (s == SQLITE_ROW) {
		*value = sqlite3_column_int64(st, 0);
		rc = 0;
	} else if (s != SQLITE_DONE) {
		rc = DH_EDB;
	}
	sqlite3_finalize(st);
	return rc;
}

int nshist_db_meta_set(struct nshist_db *db, const char *key, int64_t value)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db->db,
	                       "INSERT OR REPLACE INTO nshist_meta (key, value) VALUES (?, ?)", -1,
	                       &st, NULL) != SQLITE_OK)
		return DH_EDB;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, value);
	int s = sqlite3_step(st);
	sqlite3_finalize(st);
	return s == SQLITE_DONE ? 0 : DH_EDB;
}

int nshist_db_list(struct nshist_db *db, const struct nshist_db_filter *f,
                   int (*cb)(void *ctx, const struct nshist_ns *row), void *ctx)
{
	char sql[1024], addr[DH_ADDR_TEXT_MAX];
	sqlite3_stmt *st = NULL;
	int rc = 0, s, k;

	k = snprintf(sql, sizeof(sql),
	             "SELECT n.id, n.res_time, n.zname, n.nsttl, n.nsfqdn, n.glueAttl, n.glueA, "
	             "n.glueAAAAttl, n.glueAAAA, n.glue_src, n.first_seen, n.last_seen, "
	             "q.querytime, q.queryid, q.queryname, q.qtype "
	             "FROM nshist_ns n LEFT JOIN nshist_query q ON q.id = n.query WHERE 1%s%s "
	             "ORDER BY n.res_time, n.id%s",
	             f && f->zone ? " AND n.zname = ?1" : "",
	             f && f->addr.family != DH_AF_NONE ? " AND (n.glueA = ?2 OR n.glueAAAA = ?2)"
	                                               : "",
	             f && f->limit ? " LIMIT ?3" : "");
	if (k < 0 || (size_t)k >= sizeof(sql))
		return DH_EUSAGE;
	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
		return DH_EDB;
	if (f && f->zone)
		sqlite3_bind_text(st, 1, f->zone, -1, SQLITE_STATIC);
	if (f && f->addr.family != DH_AF_NONE) {
		dh_addr_format(&f->addr, addr, sizeof(addr));
		sqlite3_bind_text(st, 2, addr, -1, SQLITE_STATIC);
	}
	if (f && f->limit)
		sqlite3_bind_int64(st, 3, (sqlite3_int64)f->limit);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct nshist_ns r;
		const char *ga = (const char *)sqlite3_column_text(st, 6);
		const char *g6 = (const char *)sqlite3_column_text(st, 8);
		const char *src = (const char *)sqlite3_column_text(st, 9);

		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(st, 0);
		r.res_ns = from_ms(sqlite3_column_int64(st, 1));
		r.zname = (const char *)sqlite3_column_text(st, 2);
		r.nsttl = (uint32_t)sqlite3_column_int64(st, 3);
		r.nsfqdn = (const char *)sqlite3_column_text(st, 4);
		if (ga && dh_addr_parse(&r.glue, ga) == 0)
			r.glue_ttl = (uint32_t)sqlite3_column_int64(st, 5);
		else if (g6 && dh_addr_parse(&r.glue, g6) == 0)
			r.glue_ttl = (uint32_t)sqlite3_column_int64(st, 7);
		r.src = src && strcmp(src, "additional") == 0     ? NSHIST_SRC_ADDITIONAL
		        : src && strcmp(src, "later-answer") == 0 ? NSHIST_SRC_LATER
		                                                  : NSHIST_SRC_NONE;
		r.first_ns = from_ms(sqlite3_column_int64(st, 10));
		r.last_ns = from_ms(sqlite3_column_int64(st, 11));
		r.query_ns = -1;
		r.qname = "";
		if (sqlite3_column_type(st, 12) != SQLITE_NULL) {
			r.query_ns = from_ms(sqlite3_column_int64(st, 12));
			r.query_id = (uint16_t)sqlite3_column_int(st, 13);
			r.qname = (const char *)sqlite3_column_text(st, 14);
			r.qtype = (uint16_t)sqlite3_column_int(st, 15);
		}
		if (!r.zname || !r.nsfqdn)
			continue;
		if ((rc = cb(ctx, &r)) != 0)
			break;
	}
	if (rc == 0 && s != SQLITE_DONE && s != SQLITE_ROW)
		rc = DH_EDB;
	sqlite3_finalize(st);
	return rc;
}
