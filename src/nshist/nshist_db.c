/*
 * nshist_db.c - the history file (nshist_db.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nshist/nshist_db.h"
#include "util/buf.h"
#include "util/cursor.h"
#include "util/err.h"
#include "util/hash.h"

struct nshist_db {
	sqlite3 *db;
	sqlite3_stmt *q_ins, *q_sel, *ns_ins, *ns_upd;
	/* The answer file (doc/store.md): batches of answer rows appended
	 * by each save. */
	char *ans_path;       /* from malloc() */
	int ans_fd;           /* -1 while the file does not exist */
	uint64_t ans_end;     /* end of the last whole batch read or written */
	uint64_t ans_next;    /* the id the next new answer row gets */
	uint64_t ans_records; /* records in the file, superseded ones included */
	int loaded;           /* a history holds every row of the file */
	int legacy;           /* rows came from the old nshist_answer table */
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
	sqlite3_close(db->db);
	if (db->ans_fd >= 0)
		close(db->ans_fd);
	free(db->ans_path);
	free(db);
}

/* ---- the answer file ------------------------------------------------------ */

/*
 * Answer rows are the bulk of a history (129,309 against 3,546 NS rows
 * for the benchmark capture) and are only ever read whole, at load; as
 * SQLite rows, saving them cost more than learning them (BENCHMARKS.md).
 * They live in a file of their own beside the history file, a sequence
 * of batches of up to ANS_BATCH bytes of records, each save writing the
 * rows it added or extended (doc/store.md):
 *
 *   batch:  u32 magic, u32 count, u64 bytes, u64 next_id, u64 check,
 *           then `bytes` bytes of `count` records
 *   record: u32 id, u8 family (4 or 6), u16 qname length, u32 ttl,
 *           i64 first_seen, i64 last_seen (ms), the address (4 or 16
 *           bytes), the query name (no NUL)
 *
 * all little-endian; check is dh_hash64 of the records, next_id one more
 * than the largest id in the file. A later record of an address replaces
 * the earlier one: it carries the same or an earlier first_seen and a
 * later last_seen, which is exactly what the merge at load keeps. A
 * batch cut short or failing its check (a crash during a save) ends the
 * file, and the next save cuts it off. When superseded records outnumber
 * the rows, a save writes every row to a new file and renames it over
 * the old one.
 */
#define ANS_MAGIC  0x31534e41u /* "ANS1" */
#define ANS_HEAD   32
#define ANS_QMAX   1024
#define ANS_SUFFIX ".answers"
/* A batch is written once its records reach this size, so that a save
 * holds at most this much of them in memory. */
#define ANS_BATCH (1u << 20)

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)v);
	put_u32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t cur_u64le(struct cur *c)
{
	uint64_t lo = cur_u32le(c);

	return lo | (uint64_t)cur_u32le(c) << 32;
}

/* The answer file's name: the history's, ".db" replaced by ".answers"
 * (DIR/nshist.answers beside DIR/nshist.db). fresh: the history file is
 * new, so an answer file left from a deleted one is emptied. Returns 0,
 * -ENOMEM or -errno. */
static int ans_open(struct nshist_db *db, const char *path, int create, int fresh)
{
	size_t n = strlen(path);

	if (n > 3 && strcmp(path + n - 3, ".db") == 0)
		n -= 3;
	db->ans_path = malloc(n + sizeof(ANS_SUFFIX));
	if (!db->ans_path)
		return -ENOMEM;
	memcpy(db->ans_path, path, n);
	memcpy(db->ans_path + n, ANS_SUFFIX, sizeof(ANS_SUFFIX));
	db->ans_fd =
	    open(db->ans_path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0) | (fresh ? O_TRUNC : 0),
	         0644);
	if (db->ans_fd < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* Adds the count records of one batch to h. Returns 0, -ENOMEM, or
 * DH_ECORRUPT for a record that does not parse. */
static int ans_apply(struct nshist *h, const uint8_t *p, size_t n, uint32_t count)
{
	char q[ANS_QMAX + 1];
	struct cur c;
	int rc;

	cur_init(&c, p, n);
	for (uint32_t i = 0; i < count; i++) {
		struct nshist_answer a;

		memset(&a, 0, sizeof(a));
		a.id = cur_u32le(&c);
		uint8_t fam = cur_u8(&c);
		uint16_t ql = cur_u16le(&c);
		a.ttl = cur_u32le(&c);
		a.first_ns = from_ms((int64_t)cur_u64le(&c));
		a.last_ns = from_ms((int64_t)cur_u64le(&c));
		const uint8_t *ad = cur_take(&c, fam == 4 ? 4 : 16);
		const uint8_t *qn = cur_take(&c, ql);
		if (c.err || (fam != 4 && fam != 6) || ql > ANS_QMAX)
			return DH_ECORRUPT;
		if (fam == 4)
			dh_addr_set4(&a.addr, ad);
		else
			dh_addr_set6(&a.addr, ad);
		memcpy(q, qn, ql);
		q[ql] = '\0';
		a.qname = q;
		if ((rc = nshist_add_answer(h, &a)) != 0)
			return rc;
	}
	return cur_left(&c) ? DH_ECORRUPT : 0;
}

/* Reads the whole batches from db->ans_end to the end of the file,
 * adding their rows to h (NULL: only counting them), and moves ans_end
 * past them. Returns 0, -ENOMEM, -errno or DH_ECORRUPT. */
static int ans_read(struct nshist_db *db, struct nshist *h)
{
	struct stat sb;
	struct cur c;
	uint8_t *buf;
	size_t len, got = 0, good = 0;
	int rc = 0;

	if (db->ans_fd < 0)
		return 0;
	if (fstat(db->ans_fd, &sb) != 0)
		return -errno;
	if ((uint64_t)sb.st_size <= db->ans_end)
		return 0;
	len = (size_t)((uint64_t)sb.st_size - db->ans_end);
	if (!(buf = malloc(len)))
		return -ENOMEM;
	while (got < len) {
		ssize_t k = pread(db->ans_fd, buf + got, len - got, (off_t)(db->ans_end + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			rc = -errno;
			goto out;
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	cur_init(&c, buf, got);
	while (cur_left(&c) >= ANS_HEAD) {
		uint32_t magic = cur_u32le(&c), count = cur_u32le(&c);
		uint64_t bytes = cur_u64le(&c), next = cur_u64le(&c), check = cur_u64le(&c);
		if (magic != ANS_MAGIC || bytes > cur_left(&c))
			break;
		const uint8_t *rec = cur_take(&c, (size_t)bytes);
		if (dh_hash64(rec, (size_t)bytes, ANS_MAGIC) != check)
			break;
		if (h && (rc = ans_apply(h, rec, (size_t)bytes, count)) != 0)
			goto out;
		db->ans_records += count;
		if (next > db->ans_next)
			db->ans_next = next;
		good = cur_offset(&c);
	}
	db->ans_end += good;
out:
	free(buf);
	return rc;
}

static int write_all(int fd, const char *p, size_t n, uint64_t off)
{
	while (n) {
		ssize_t k = pwrite(fd, p, n, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		p += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

/* Reads the rows of the old nshist_answer table, when the file has one
 * (histories saved before the answer file): they are written to the
 * answer file, and the table dropped, by the next save. */
static int legacy_load(struct nshist_db *db, struct nshist *h)
{
	static const char ans_sql[] =
	    "SELECT id, addr, qname, ttl, first_seen, last_seen FROM nshist_answer ORDER BY id";
	sqlite3_stmt *st = NULL;
	int rc = 0, s;

	if (sqlite3_prepare_v2(db->db,
	                       "SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
	                       "name = 'nshist_answer'",
	                       -1, &st, NULL) != SQLITE_OK)
		return DH_EDB;
	s = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (s == SQLITE_DONE)
		return 0;
	if (s != SQLITE_ROW || sqlite3_prepare_v2(db->db, ans_sql, -1, &st, NULL) != SQLITE_OK)
		return DH_EDB;
	db->legacy = 1;
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
		if (a.id > 0 && (uint64_t)a.id >= db->ans_next)
			db->ans_next = (uint64_t)a.id + 1;
		if ((rc = nshist_add_answer(h, &a)) != 0)
			goto out;
	}
	if (s != SQLITE_DONE)
		rc = DH_EDB;
out:
	sqlite3_finalize(st);
	return rc;
}

int nshist_db_open(struct nshist_db **out, const char *path, int create)
{
	struct nshist_db *db;
	struct stat sb;

	*out = NULL;
	if (!path)
		return DH_EUSAGE;
	int fresh = stat(path, &sb) != 0;
	if (!create && fresh)
		return -ENOENT;
	db = calloc(1, sizeof(*db));
	if (!db)
		return -ENOMEM;
	db->ans_fd = -1;
	db->ans_next = 1;
	int e = ans_open(db, path, create, fresh);
	if (e != 0) {
		nshist_db_close(db);
		return e;
	}
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
	                       -1, &db->ns_upd, NULL) != SQLITE_OK)
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
	int rc;

	if ((rc = nshist_db_list(db, NULL, load_ns, h)) != 0 || (rc = legacy_load(db, h)) != 0)
		return rc;
	db->ans_end = 0;
	db->ans_records = 0;
	if ((rc = ans_read(db, h)) != 0)
		return rc;
	db->loaded = 1;
	return 0;
}

/* ---- save ------------------------------------------------------------------ */

struct save_ctx {
	struct nshist_db *db;
	uint64_t written;
	/* The last query row looked up: NS rows taught by one response are
	 * saved one after the other and share it. */
	const char *q_name;
	int64_t q_ns, q_id;
	uint16_t q_qid, q_qtype;
	struct dh_buf batch; /* the answer batch: its header, then its records */
	uint32_t count;      /* records in the batch */
	uint64_t records;    /* records written by the batches before it */
	int fd;              /* where the batches go, from offset off */
	uint64_t off;
};

static int step_done(sqlite3_stmt *st)
{
	int s = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return s == SQLITE_DONE ? 0 : DH_EDB;
}

/* Binds r's query (time, id, name, type) to st's four parameters. */
static void query_bind(sqlite3_stmt *st, const struct nshist_ns *r)
{
	sqlite3_bind_int64(st, 1, to_ms(r->query_ns));
	sqlite3_bind_int(st, 2, r->query_id);
	sqlite3_bind_text(st, 3, r->qname, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, r->qtype);
}

/* The id of the query row of r, inserted when new; 0 when r has none. */
static int query_id(struct save_ctx *c, const struct nshist_ns *r, int64_t *id)
{
	struct nshist_db *db = c->db;

	*id = 0;
	if (!r->qname || !r->qname[0])
		return 0;
	if (c->q_name && strcmp(c->q_name, r->qname) == 0 && c->q_ns == r->query_ns &&
	    c->q_qid == r->query_id && c->q_qtype == r->qtype) {
		*id = c->q_id;
		return 0;
	}
	/* A row the insert added is the last one inserted; only a row that
	 * was already there is looked up (each lookup was as dear as the
	 * insert: 1,171 of them in the benchmark build). */
	int before = sqlite3_total_changes(db->db);
	query_bind(db->q_ins, r);
	if (step_done(db->q_ins) != 0)
		return DH_EDB;
	if (sqlite3_total_changes(db->db) != before) {
		*id = sqlite3_last_insert_rowid(db->db);
	} else {
		query_bind(db->q_sel, r);
		int s = sqlite3_step(db->q_sel);
		if (s == SQLITE_ROW)
			*id = sqlite3_column_int64(db->q_sel, 0);
		sqlite3_reset(db->q_sel);
		sqlite3_clear_bindings(db->q_sel);
		if (s != SQLITE_ROW)
			return DH_EDB;
	}
	c->q_name = r->qname;
	c->q_ns = r->query_ns;
	c->q_qid = r->query_id;
	c->q_qtype = r->qtype;
	c->q_id = *id;
	return 0;
}

static int save_ns(void *ctx, struct nshist_ns *r)
{
	struct save_ctx *c = ctx;
	struct nshist_db *db = c->db;
	char addr[DH_ADDR_TEXT_MAX];
	int64_t qid;
	int v4 = r->glue.family == DH_AF_INET, v6 = r->glue.family == DH_AF_INET6;

	if (query_id(c, r, &qid) != 0)
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

/* Fills in the batch's header, writes it at c->off, and empties it. */
static int batch_flush(struct save_ctx *c)
{
	uint8_t *p = (uint8_t *)c->batch.data;
	uint64_t bytes = c->batch.len - ANS_HEAD;
	int rc;

	if (c->batch.err)
		return -ENOMEM;
	put_u32(p, ANS_MAGIC);
	put_u32(p + 4, c->count);
	put_u64(p + 8, bytes);
	put_u64(p + 16, c->db->ans_next);
	put_u64(p + 24, dh_hash64(p + ANS_HEAD, (size_t)bytes, ANS_MAGIC));
	if ((rc = write_all(c->fd, c->batch.data, c->batch.len, c->off)) != 0)
		return rc;
	c->off += c->batch.len;
	c->records += c->count;
	c->count = 0;
	c->batch.len = ANS_HEAD;
	return 0;
}

static int save_answer(void *ctx, struct nshist_answer *a, int changed)
{
	struct save_ctx *c = ctx;
	uint8_t rec[31];
	size_t ql = strlen(a->qname);
	int v4 = a->addr.family == DH_AF_INET;

	if ((!v4 && a->addr.family != DH_AF_INET6) || ql > ANS_QMAX)
		return 0;
	if (!a->id) {
		if (c->db->ans_next > UINT32_MAX)
			return DH_EDB;
		a->id = (int64_t)c->db->ans_next++;
	}
	put_u32(rec, (uint32_t)a->id);
	rec[4] = v4 ? 4 : 6;
	rec[5] = (uint8_t)ql;
	rec[6] = (uint8_t)(ql >> 8);
	put_u32(rec + 7, a->ttl);
	put_u64(rec + 11, (uint64_t)to_ms(a->first_ns));
	put_u64(rec + 19, (uint64_t)to_ms(a->last_ns));
	dh_buf_add(&c->batch, rec, 27);
	dh_buf_add(&c->batch, a->addr.a, v4 ? 4 : 16);
	dh_buf_add(&c->batch, a->qname, ql);
	c->count++;
	c->written += changed != 0;
	return c->batch.len >= ANS_BATCH ? batch_flush(c) : 0;
}

/* The name of the file a save that rewrites the answer file writes
 * first; from malloc(). */
static char *tmp_path(const struct nshist_db *db)
{
	size_t n = strlen(db->ans_path);
	char *tmp = malloc(n + 5);

	if (tmp) {
		memcpy(tmp, db->ans_path, n);
		memcpy(tmp + n, ".tmp", 5);
	}
	return tmp;
}

/*
 * The answer rows go to the answer file in batches: appended after the
 * last whole batch (cutting off what a crash left behind it), or, when
 * the file is mostly superseded records, every row into a new file that
 * is synced and renamed over the old one, so that a crash leaves one or
 * the other.
 */
int nshist_db_save(struct nshist_db *db, struct nshist *h, uint64_t *written)
{
	static const uint8_t head0[ANS_HEAD];
	struct save_ctx c;
	struct nshist_stats st;
	uint64_t end = db->ans_end, records = db->ans_records;
	char *tmp = NULL;
	int rc, compact = 0;

	memset(&c, 0, sizeof(c));
	c.db = db;
	c.fd = -1;
	dh_buf_init(&c.batch);
	if (written)
		*written = 0;
	if (sqlite3_exec(db->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return DH_EDB;
	/* Another process may have saved since this one read the file (the
	 * transaction's lock keeps it out from here on): its rows are not in
	 * h, so the file is then only appended to, never rewritten. */
	if ((rc = ans_read(db, NULL)) != 0)
		goto fail;
	if (db->ans_end != end)
		db->loaded = 0;
	nshist_stats(h, &st);
	compact = db->loaded && (db->legacy || db->ans_records > 2 * st.answer_rows + 4096);
	records = db->ans_records;
	end = db->ans_end;
	if ((rc = nshist__each_changed(h, save_ns, &c)) != 0)
		goto fail;
	if (compact) {
		if (!(tmp = tmp_path(db))) {
			rc = -ENOMEM;
			goto fail;
		}
		c.fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	} else {
		if (db->ans_fd < 0)
			db->ans_fd = open(db->ans_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (db->ans_fd >= 0 && ftruncate(db->ans_fd, (off_t)end) == 0)
			c.fd = db->ans_fd;
		c.off = end;
	}
	if (c.fd < 0) {
		rc = -errno;
		goto fail;
	}
	dh_buf_add(&c.batch, head0, ANS_HEAD); /* filled in by batch_flush() */
	if ((rc = nshist__each_answer(h, !compact, save_answer, &c)) != 0 ||
	    (c.count && (rc = batch_flush(&c)) != 0))
		goto fail;
	if (compact) {
		if (fsync(c.fd) != 0 || rename(tmp, db->ans_path) != 0) {
			rc = -errno;
			goto fail;
		}
		if (db->ans_fd >= 0)
			close(db->ans_fd);
		db->ans_fd = c.fd;
		c.fd = -1;
		db->ans_records = c.records;
	} else {
		db->ans_records += c.records;
	}
	db->ans_end = c.off;
	if (db->legacy && sqlite3_exec(db->db, "DROP TABLE IF EXISTS nshist_answer", NULL, NULL,
	                               NULL) != SQLITE_OK) {
		rc = DH_EDB;
		goto fail;
	}
	if (sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		rc = DH_EDB;
		goto fail;
	}
	db->legacy = 0;
	dh_buf_release(&c.batch);
	free(tmp);
	nshist_clear_changed(h);
	if (written)
		*written = c.written;
	return 0;
fail:
	sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	if (compact && c.fd >= 0) {
		/* Not renamed yet: the old file stands. */
		close(c.fd);
		unlink(tmp);
	} else if (!compact && c.fd >= 0 && ftruncate(c.fd, (off_t)end) == 0) {
		db->ans_end = end;
		db->ans_records = records;
	}
	dh_buf_release(&c.batch);
	free(tmp);
	return rc == -ENOMEM ? rc : DH_EDB;
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
