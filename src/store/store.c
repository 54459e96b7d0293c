/*
 * store.c - the store handle: catalog (SQLite), ingest buffer, segment
 * commit, retention and statistics.
 *
 * Directory layout: DIR/catalog.db (SQLite, WAL), DIR/seg/N.dhs (segment
 * files), DIR/lock (held by the one writer). doc/store.md describes the
 * catalog tables.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_int.h"
#include "util/err.h"
#include "wire/dns_text.h"

/* One partition per hour of event time: retention works in hours, and an
 * hour at 100k events/s (360 M events) still lists only a few hundred
 * segments. */
#define PARTITION_NS (3600LL * 1000000000LL)

#define DEFAULT_BUFFER_EVENTS (1u << 20)
/* A second bound on the buffer: rows plus dictionary bytes. */
#define MAX_BUFFER_BYTES ((size_t)256 << 20)

/* zstd level 1: on the benchmark's data level 3 saves 1% of the bytes
 * for ~10% more ingest CPU, level 6 saves 3% for 40% (doc/store.md). */
#define ZLEVEL 1

/* Open segments kept between queries: the mmap, the parsed footer and
 * the decompressed dictionary chunks are what a lookup would otherwise
 * redo each time. Bounded in count and in chunk bytes. */
#define SEG_CACHE_N     256
#define SEG_CACHE_BYTES ((size_t)64 << 20)

struct seg_slot {
	char file[64];
	struct seg *sg; /* owned */
	unsigned refs;
	uint64_t used; /* LRU clock */
};

struct store {
	char *dir; /* owned */
	struct seg_slot cache[SEG_CACHE_N];
	uint64_t clock;
	int flags;
	int lockfd;
	sqlite3 *db;

	/* The ingest in progress. */
	int64_t file_id;    /* files.id, 0 = events without a file */
	uint64_t file_base; /* events committed before this session */
	uint64_t file_added;
	int in_file;

	struct srow *rows; /* owned */
	size_t nrows, caprows, max_rows;
	struct sdict dict;
	struct sbuf aset; /* scratch for encoding one answer set */
	char *rdata;      /* owned; scratch for rendering RDATA of wire records */
	/* The last observer interned: almost every event of a file has the
	 * same one, and a compare is cheaper than a hash probe. */
	char last_obs[EV_OBSERVER_MAX];
	/* During store_compact(): the segments the next commit replaces. */
	int compacting;
	const int64_t *drop; /* borrowed */
	size_t ndrop;
	uint32_t last_obs_id; /* STORE_NONE = nothing cached */
	int64_t next_seg;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value);"
    "CREATE TABLE IF NOT EXISTS partitions(id INTEGER PRIMARY KEY,"
    " start_ns INTEGER NOT NULL UNIQUE, end_ns INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS segments(id INTEGER PRIMARY KEY,"
    " partition_id INTEGER NOT NULL REFERENCES partitions(id),"
    " file TEXT NOT NULL UNIQUE, tmin INTEGER NOT NULL, tmax INTEGER NOT NULL,"
    " events INTEGER NOT NULL, bytes INTEGER NOT NULL, created_ns INTEGER);"
    "CREATE INDEX IF NOT EXISTS segments_time ON segments(tmin, tmax);"
    "CREATE TABLE IF NOT EXISTS files(id INTEGER PRIMARY KEY, path TEXT,"
    " hash BLOB NOT NULL UNIQUE, events_committed INTEGER NOT NULL DEFAULT 0,"
    " complete INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS observers(name TEXT PRIMARY KEY,"
    " first_ns INTEGER, last_ns INTEGER, events INTEGER NOT NULL DEFAULT 0);"
    "INSERT OR IGNORE INTO meta VALUES('format', 1);";

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Bounds of partition part, clamped at the ends of the time range (the
 * partitions of the first and last hours representable are short). */
static int64_t part_start(int64_t part)
{
	int64_t v;
	if (__builtin_mul_overflow(part, PARTITION_NS, &v))
		return part < 0 ? INT64_MIN : INT64_MAX;
	return v;
}

static int64_t part_end(int64_t part)
{
	int64_t v = part_start(part);
	if (v > INT64_MAX - PARTITION_NS)
		return INT64_MAX;
	return v + PARTITION_NS;
}

static int db_exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : DH_EDB;
}

static int path_join(char *buf, size_t buflen, const char *a, const char *b)
{
	int n = snprintf(buf, buflen, "%s/%s", a, b);
	return (n < 0 || (size_t)n >= buflen) ? DH_ESPACE : 0;
}

int store__seg_path(struct store *s, const char *file, char *buf, size_t buflen)
{
	int n = snprintf(buf, buflen, "%s/seg/%s", s->dir, file);
	return (n < 0 || (size_t)n >= buflen) ? DH_ESPACE : 0;
}

/* Removes segment files the catalog does not name: leftovers of a write
 * that crashed before its commit, or of a retention that crashed after. */
static int sweep_orphans(struct store *s)
{
	int rc = 0;
	char path[4096];
	DIR *d = NULL;
	sqlite3_stmt *st = NULL;
	if ((rc = path_join(path, sizeof(path), s->dir, "seg")))
		return rc;
	d = opendir(path);
	if (!d)
		return -errno;
	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM segments WHERE file = ?1", -1, &st, NULL) !=
	    SQLITE_OK) {
		rc = DH_EDB;
		goto out;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, de->d_name, -1, SQLITE_TRANSIENT);
		int r = sqlite3_step(st);
		if (r == SQLITE_ROW)
			continue;
		if (r != SQLITE_DONE) {
			rc = DH_EDB;
			goto out;
		}
		char f[4096];
		if (store__seg_path(s, de->d_name, f, sizeof(f)) == 0)
			(void)unlink(f);
	}
out:
	sqlite3_finalize(st);
	closedir(d);
	return rc;
}

static int64_t query_i64(sqlite3 *db, const char *sql, int *rc)
{
	sqlite3_stmt *st = NULL;
	int64_t v = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		*rc = DH_EDB;
		return 0;
	}
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else if (r != SQLITE_DONE)
		*rc = DH_EDB;
	sqlite3_finalize(st);
	return v;
}

int store_open(struct store **out, const char *dir, int flags)
{
	int rc = 0;
	char path[4096];
	struct store *s = NULL;
	*out = NULL;
	if (!dir || !*dir || ((flags & STORE_CREATE) && (flags & STORE_READONLY)))
		return DH_EUSAGE;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->lockfd = -1;
	s->flags = flags;
	s->max_rows = DEFAULT_BUFFER_EVENTS;
	s->last_obs_id = STORE_NONE;
	store__itab_init(&s->dict.str);
	store__itab_init(&s->dict.addr);
	store__itab_init(&s->dict.aset);
	s->dir = strdup(dir);
	if (!s->dir) {
		rc = -ENOMEM;
		goto out;
	}
	if (flags & STORE_CREATE) {
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			rc = -errno;
			goto out;
		}
		if ((rc = path_join(path, sizeof(path), dir, "seg")))
			goto out;
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			rc = -errno;
			goto out;
		}
	}
	int ro = (flags & STORE_READONLY) != 0;
	if (!ro) {
		/* One writer per store: a second one would sweep the first
		 * one's segment files in flight as orphans. */
		if ((rc = path_join(path, sizeof(path), dir, "lock")))
			goto out;
		s->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (s->lockfd < 0) {
			rc = -errno;
			goto out;
		}
		if (flock(s->lockfd, LOCK_EX | LOCK_NB) < 0) {
			rc = -errno;
			goto out;
		}
	}
	if ((rc = path_join(path, sizeof(path), dir, "catalog.db")))
		goto out;
	int oflags = ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (flags & STORE_CREATE)
		oflags |= SQLITE_OPEN_CREATE;
	if (!ro && !(flags & STORE_CREATE) && access(path, F_OK) < 0) {
		rc = -ENOENT;
		goto out;
	}
	if (sqlite3_open_v2(path, &s->db, oflags, NULL) != SQLITE_OK) {
		rc = ro ? -ENOENT : DH_EDB;
		goto out;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (!ro) {
		/* WAL lets readers run beside the writer; synchronous=NORMAL
		 * may lose the last commit at power loss but never breaks the
		 * catalog, and a lost commit only leaves orphan segments that
		 * the next open sweeps and a position the next ingest redoes. */
		if ((rc = db_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")) ||
		    (rc = db_exec(s->db, schema)))
			goto out;
		if ((rc = sweep_orphans(s)))
			goto out;
	} else {
		/* A read-only handle must still find a catalog. */
		query_i64(s->db, "SELECT count(*) FROM segments", &rc);
		if (rc)
			goto out;
	}
	/* Segment ids (and file names) are never reused, not even after
	 * retention dropped the newest ones: a reader's cache of open
	 * segments relies on it. */
	s->next_seg = query_i64(s->db,
	                        "SELECT max(coalesce((SELECT max(id) FROM segments), 0) + 1,"
	                        " coalesce((SELECT value FROM meta WHERE key = 'next_seg'), 1))",
	                        &rc);
out:
	if (rc) {
		store_close(s);
		s = NULL;
	}
	*out = s;
	return rc;
}

static void buffer_reset(struct store *s)
{
	s->nrows = 0;
	s->last_obs_id = STORE_NONE;
	store__itab_reset(&s->dict.str);
	store__itab_reset(&s->dict.addr);
	store__itab_reset(&s->dict.aset);
}

int store__seg_get(struct store *s, const char *file, struct seg **out)
{
	char path[4096];
	struct seg_slot *victim = NULL;
	*out = NULL;
	for (int i = 0; i < SEG_CACHE_N; i++) {
		struct seg_slot *sl = &s->cache[i];
		if (sl->sg && strcmp(sl->file, file) == 0) {
			sl->refs++;
			sl->used = ++s->clock;
			*out = sl->sg;
			return 0;
		}
		if (!sl->refs && (!victim || (victim->sg && (!sl->sg || sl->used < victim->used))))
			victim = sl;
	}
	int rc = store__seg_path(s, file, path, sizeof(path));
	if (!rc)
		rc = store__seg_open(out, path);
	if (rc || strlen(file) >= sizeof(victim->file) || !victim)
		return rc; /* not cached: store__seg_put() closes it */
	store__seg_close(victim->sg);
	snprintf(victim->file, sizeof(victim->file), "%s", file);
	victim->sg = *out;
	victim->refs = 1;
	victim->used = ++s->clock;
	return 0;
}

void store__seg_put(struct store *s, struct seg *sg)
{
	size_t total = 0;
	struct seg_slot *mine = NULL;
	for (int i = 0; i < SEG_CACHE_N; i++) {
		if (s->cache[i].sg == sg)
			mine = &s->cache[i];
		if (s->cache[i].sg)
			total += store__seg_cached(s->cache[i].sg);
	}
	if (!mine) {
		store__seg_close(sg);
		return;
	}
	mine->refs--;
	/* Over the budget: drop the chunks of every idle segment. */
	if (total > SEG_CACHE_BYTES)
		for (int i = 0; i < SEG_CACHE_N; i++)
			if (s->cache[i].sg && !s->cache[i].refs)
				store__seg_trim(s->cache[i].sg);
}

/* Closes idle cached segments (after retention removed files). */
static void seg_cache_drop(struct store *s)
{
	for (int i = 0; i < SEG_CACHE_N; i++) {
		struct seg_slot *sl = &s->cache[i];
		if (sl->sg && !sl->refs) {
			store__seg_close(sl->sg);
			memset(sl, 0, sizeof(*sl));
		}
	}
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (int i = 0; i < SEG_CACHE_N; i++)
		store__seg_close(s->cache[i].sg);
	sqlite3_close(s->db);
	if (s->lockfd >= 0)
		close(s->lockfd);
	free(s->rows);
	store__itab_release(&s->dict.str);
	store__itab_release(&s->dict.addr);
	store__itab_release(&s->dict.aset);
	store__sbuf_release(&s->aset);
	free(s->rdata);
	free(s->dir);
	free(s);
}

int store_set_buffer(struct store *s, uint64_t max_events)
{
	if (!s || max_events == 0 || max_events > UINT32_MAX / 4)
		return DH_EUSAGE;
	s->max_rows = (size_t)max_events;
	return 0;
}

int store_ingest_begin(struct store *s, const char *path, const uint8_t *hash, size_t hashlen,
                       uint64_t *skip)
{
	int rc = 0;
	sqlite3_stmt *st = NULL;
	if (!s || !hash || hashlen == 0 || hashlen > 64 || !skip || (s->flags & STORE_READONLY))
		return DH_EUSAGE;
	if (s->in_file || s->nrows)
		return DH_EUSAGE;
	*skip = 0;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT id, events_committed, complete FROM files WHERE hash = ?1",
	                       -1, &st, NULL) != SQLITE_OK)
		return DH_EDB;
	sqlite3_bind_blob(st, 1, hash, (int)hashlen, SQLITE_TRANSIENT);
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		if (sqlite3_column_int(st, 2)) {
			rc = DH_EEXIST;
			goto out;
		}
		s->file_id = sqlite3_column_int64(st, 0);
		s->file_base = (uint64_t)sqlite3_column_int64(st, 1);
	} else if (r == SQLITE_DONE) {
		sqlite3_finalize(st);
		st = NULL;
		if (sqlite3_prepare_v2(s->db, "INSERT INTO files(path, hash) VALUES(?1, ?2)", -1,
		                       &st, NULL) != SQLITE_OK) {
			rc = DH_EDB;
			goto out;
		}
		sqlite3_bind_text(st, 1, path ? path : "", -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(st, 2, hash, (int)hashlen, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = DH_EDB;
			goto out;
		}
		s->file_id = sqlite3_last_insert_rowid(s->db);
		s->file_base = 0;
	} else {
		rc = DH_EDB;
		goto out;
	}
	s->file_added = 0;
	s->in_file = 1;
	*skip = s->file_base;
out:
	sqlite3_finalize(st);
	return rc;
}

static int intern_addr(struct store *s, const struct dh_addr *a, uint32_t *id)
{
	uint8_t k[STORE_ADDR_KEY];
	store__addr_key(a, k);
	return store__itab_put(&s->dict.addr, k, sizeof(k), id);
}

static int intern_str(struct store *s, const char *p, size_t n, uint32_t *id)
{
	return store__itab_put(&s->dict.str, p, n, id);
}

/* Encodes the event's records (all sections but OPT, whose content the
 * EDNS summary keeps) as an answer set and interns it. */
static int intern_records(struct store *s, const struct ev_event *ev, uint32_t qname_id,
                          uint32_t *id)
{
	const struct dns_msg *m = &ev->msg;
	char owner[DNS_NAME_TEXT_MAX];
	/* RDATA of 65535 octets renders to at most ~4 characters each. */
	static const size_t datamax = 4 * 65536;
	char *data = s->rdata;
	int rc = 0;
	unsigned kept = 0;
	struct sbuf *b = &s->aset;
	b->len = 0;
	b->err = 0;
	store__sbuf_varint(b, 0); /* count, patched below (fits one byte) */
	for (unsigned i = 0; i < m->rr_count && i < DNS_RR_MAX; i++) {
		const struct dns_rr *rr = &m->rr[i];
		if (rr->type == DNS_T_OPT)
			continue;
		const char *ot = rr->owner_text, *dt = rr->data_text;
		if (!ot) {
			if (dns_rr_owner_text(m, rr, owner, sizeof(owner)) < 0)
				owner[0] = '\0';
			ot = owner;
		}
		if (!dt) {
			if (!data) {
				data = s->rdata = malloc(datamax);
				if (!data) {
					rc = -ENOMEM;
					goto out;
				}
			}
			int n = dns_rr_data_text(m, rr, data, datamax);
			if (n < 0 && n != DH_ESPACE)
				data[0] = '\0';
			dt = data;
		}
		uint32_t oid, did;
		/* Most answers are owned by the question's name. */
		if (qname_id != STORE_NONE && strcmp(ot, m->qname) == 0)
			oid = qname_id;
		else if ((rc = intern_str(s, ot, strlen(ot), &oid)))
			goto out;
		if ((rc = intern_str(s, dt, strlen(dt), &did)))
			goto out;
		store__sbuf_u8(b, rr->section);
		store__sbuf_varint(b, rr->type);
		store__sbuf_varint(b, rr->rclass);
		store__sbuf_varint(b, rr->ttl);
		store__sbuf_varint(b, oid);
		store__sbuf_varint(b, did);
		kept++;
	}
	if (b->err) {
		rc = b->err;
		goto out;
	}
	*id = STORE_NONE;
	if (kept) {
		b->p[0] = (uint8_t)kept; /* DNS_RR_MAX < 128: one varint byte */
		rc = store__itab_put(&s->dict.aset, b->p, b->len, id);
	}
out:
	return rc;
}

static size_t buffer_bytes(const struct store *s)
{
	return s->nrows * sizeof(struct srow) + s->dict.str.data.len + s->dict.addr.data.len +
	       s->dict.aset.data.len;
}

static int flush(struct store *s, int complete);

int store_ingest_add(struct store *s, const struct ev_event *ev)
{
	int rc;
	if (!s || !ev || (s->flags & STORE_READONLY))
		return DH_EUSAGE;
	/* A flush that failed when the buffer filled is retried here, so the
	 * buffer never grows past its bound. */
	if (s->nrows >= s->max_rows && (rc = flush(s, 0)))
		return rc;
	if (s->nrows == s->caprows) {
		size_t cap = s->caprows ? s->caprows * 2 : 4096;
		if (cap > s->max_rows)
			cap = s->max_rows;
		struct srow *r = realloc(s->rows, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		s->rows = r;
		s->caprows = cap;
	}
	struct srow *r = &s->rows[s->nrows];
	const struct dns_msg *m = &ev->msg;
	memset(r, 0, sizeof(*r));
	r->ts = ev->ts_ns;
	r->rtt = ev->rtt_ns;
	r->size = ev->size;
	size_t olen = strnlen(ev->observer, sizeof(ev->observer) - 1);
	if (s->last_obs_id != STORE_NONE && memcmp(s->last_obs, ev->observer, olen) == 0 &&
	    s->last_obs[olen] == '\0') {
		r->observer = s->last_obs_id;
	} else {
		if ((rc = intern_str(s, ev->observer, olen, &r->observer)))
			return rc;
		memcpy(s->last_obs, ev->observer, olen);
		s->last_obs[olen] = '\0';
		s->last_obs_id = r->observer;
	}
	if ((rc = intern_addr(s, &ev->src, &r->src)) || (rc = intern_addr(s, &ev->dst, &r->dst)))
		return rc;
	r->qname = STORE_NONE;
	if (m->has_question) {
		size_t qlen = strnlen(m->qname, sizeof(m->qname) - 1);
		if ((rc = intern_str(s, m->qname, qlen, &r->qname)))
			return rc;
	}
	if ((rc = intern_records(s, ev, r->qname, &r->aset)))
		return rc;
	r->ecs_addr = STORE_NONE;
	r->rr_dropped = m->rr_dropped;
	r->sport = ev->sport;
	r->dport = ev->dport;
	r->id = m->id;
	r->flags = m->flags;
	r->qtype = m->qtype;
	r->qclass = m->qclass;
	r->qd = m->qdcount;
	r->an = m->ancount;
	r->ns = m->nscount;
	r->ar = m->arcount;
	r->role = ev->role;
	r->transport = ev->transport;
	if (m->edns.present) {
		r->edns = 1 | (m->edns.do_bit ? 2 : 0);
		r->edns_version = m->edns.version;
		r->udp_size = m->edns.udp_size;
		r->ext_rcode = m->edns.ext_rcode;
		if (m->edns.ecs_present) {
			r->edns |= 4;
			r->ecs_source = m->edns.ecs_source_prefix;
			r->ecs_scope = m->edns.ecs_scope_prefix;
			if ((rc = intern_addr(s, &m->edns.ecs_addr, &r->ecs_addr)))
				return rc;
		}
	}
	s->nrows++;
	s->file_added++;
	/* A compaction flushes once, at the end of its partition. */
	if (!s->compacting && (s->nrows >= s->max_rows || buffer_bytes(s) >= MAX_BUFFER_BYTES))
		return flush(s, 0);
	return 0;
}

struct tskey {
	int64_t ts;
	uint32_t idx;
};

static int tskey_cmp(const void *a, const void *b)
{
	const struct tskey *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

struct pending {
	int64_t id, part, tmin, tmax;
	uint64_t events, bytes;
	char file[64];
};

struct ostat {
	uint64_t cnt;
	int64_t lo, hi;
};

static int commit_catalog(struct store *s, const struct pending *pg, size_t npg,
                          const uint32_t *order, int complete)
{
	int rc = 0;
	sqlite3_stmt *ip = NULL, *is = NULL, *io = NULL, *iff = NULL, *idel = NULL;
	struct ostat *ostat = NULL;
	if ((rc = db_exec(s->db, "BEGIN IMMEDIATE")))
		return rc;
	if (sqlite3_prepare_v2(s->db,
	                       "INSERT OR IGNORE INTO partitions(start_ns, end_ns) VALUES(?1, ?2)",
	                       -1, &ip, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(
	        s->db,
	        "INSERT INTO segments(id, partition_id, file, tmin, tmax, events, bytes,"
	        " created_ns) SELECT ?1, id, ?2, ?3, ?4, ?5, ?6,"
	        " CAST((julianday('now') - 2440587.5) * 86400e9 AS INTEGER)"
	        " FROM partitions WHERE start_ns = ?7",
	        -1, &is, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db,
	                       "INSERT INTO observers(name, first_ns, last_ns, events) "
	                       "VALUES(?1, ?2, ?3, ?4) ON CONFLICT(name) DO UPDATE SET "
	                       "first_ns = min(first_ns, ?2), last_ns = max(last_ns, ?3), "
	                       "events = events + ?4",
	                       -1, &io, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(
	        s->db, "UPDATE files SET events_committed = ?1, complete = ?2 WHERE id = ?3", -1,
	        &iff, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "DELETE FROM segments WHERE id = ?1", -1, &idel, NULL) !=
	        SQLITE_OK) {
		rc = DH_EDB;
		goto out;
	}
	for (size_t i = 0; i < npg; i++) {
		const struct pending *p = &pg[i];
		sqlite3_reset(ip);
		sqlite3_bind_int64(ip, 1, part_start(p->part));
		sqlite3_bind_int64(ip, 2, part_end(p->part));
		sqlite3_reset(is);
		sqlite3_bind_int64(is, 1, p->id);
		sqlite3_bind_text(is, 2, p->file, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(is, 3, p->tmin);
		sqlite3_bind_int64(is, 4, p->tmax);
		sqlite3_bind_int64(is, 5, (int64_t)p->events);
		sqlite3_bind_int64(is, 6, (int64_t)p->bytes);
		sqlite3_bind_int64(is, 7, part_start(p->part));
		if (sqlite3_step(ip) != SQLITE_DONE || sqlite3_step(is) != SQLITE_DONE ||
		    sqlite3_changes(s->db) != 1) {
			rc = DH_EDB;
			goto out;
		}
	}
	/* A compaction replaces segments in the same transaction. */
	for (size_t i = 0; i < s->ndrop; i++) {
		sqlite3_reset(idel);
		sqlite3_bind_int64(idel, 1, s->drop[i]);
		if (sqlite3_step(idel) != SQLITE_DONE) {
			rc = DH_EDB;
			goto out;
		}
	}
	/* Observers: per-string counters, since observer names share the
	 * string dictionary with qnames and record data. A compaction moves
	 * events already counted. */
	if (s->nrows && !s->compacting) {
		uint32_t ns = s->dict.str.n;
		ostat = calloc(ns, sizeof(*ostat));
		if (!ostat) {
			rc = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < s->nrows; i++) {
			const struct srow *r = &s->rows[order[i]];
			struct ostat *o = &ostat[r->observer];
			if (!o->cnt)
				o->lo = r->ts;
			o->cnt++;
			o->hi = r->ts;
		}
		for (uint32_t k = 0; k < ns; k++) {
			if (!ostat[k].cnt)
				continue;
			uint32_t n;
			const uint8_t *name = store__itab_get(&s->dict.str, k, &n);
			sqlite3_reset(io);
			sqlite3_bind_text(io, 1, (const char *)name, (int)n, SQLITE_TRANSIENT);
			sqlite3_bind_int64(io, 2, ostat[k].lo);
			sqlite3_bind_int64(io, 3, ostat[k].hi);
			sqlite3_bind_int64(io, 4, (int64_t)ostat[k].cnt);
			if (sqlite3_step(io) != SQLITE_DONE) {
				rc = DH_EDB;
				goto out;
			}
		}
	}
	if (npg) {
		char sql[128];
		snprintf(sql, sizeof(sql),
		         "INSERT OR REPLACE INTO meta VALUES('next_seg', %" PRId64 ")",
		         s->next_seg);
		if ((rc = db_exec(s->db, sql)))
			goto out;
	}
	if (s->file_id) {
		sqlite3_bind_int64(iff, 1, (int64_t)(s->file_base + s->file_added));
		sqlite3_bind_int(iff, 2, complete);
		sqlite3_bind_int64(iff, 3, s->file_id);
		if (sqlite3_step(iff) != SQLITE_DONE) {
			rc = DH_EDB;
			goto out;
		}
	}
	if (db_exec(s->db, "COMMIT"))
		rc = DH_EDB;
out:
	sqlite3_finalize(ip);
	sqlite3_finalize(is);
	sqlite3_finalize(io);
	sqlite3_finalize(iff);
	sqlite3_finalize(idel);
	free(ostat);
	if (rc)
		(void)db_exec(s->db, "ROLLBACK");
	return rc;
}

/*
 * Writes the buffer as one segment per partition, then records them and
 * the file position in one catalog transaction. Until that commit the new
 * files are orphans: a crash leaves them to the next open's sweep.
 */
static int flush(struct store *s, int complete)
{
	int rc = 0;
	struct tskey *keys = NULL;
	uint32_t *order = NULL;
	struct pending *pg = NULL;
	size_t npg = 0;
	char tmp[4096], fin[4096];

	if (s->nrows) {
		keys = malloc(s->nrows * sizeof(*keys));
		order = malloc(s->nrows * sizeof(*order));
		if (!keys || !order) {
			rc = -ENOMEM;
			goto out;
		}
		int sorted = 1;
		for (size_t i = 0; i < s->nrows; i++) {
			keys[i].ts = s->rows[i].ts;
			keys[i].idx = (uint32_t)i;
			if (i && keys[i].ts < keys[i - 1].ts)
				sorted = 0;
		}
		/* Input is nearly in time order; glibc's merge sort is close
		 * to linear on such runs. */
		if (!sorted)
			qsort(keys, s->nrows, sizeof(*keys), tskey_cmp);
		for (size_t i = 0; i < s->nrows; i++)
			order[i] = keys[i].idx;
		int64_t first = floor_div(keys[0].ts, PARTITION_NS);
		int64_t last = floor_div(keys[s->nrows - 1].ts, PARTITION_NS);
		size_t maxpg =
		    (size_t)(last - first) + 1 < s->nrows ? (size_t)(last - first) + 1 : s->nrows;
		pg = calloc(maxpg, sizeof(*pg));
		if (!pg) {
			rc = -ENOMEM;
			goto out;
		}
		size_t i = 0;
		while (i < s->nrows) {
			int64_t part = floor_div(keys[i].ts, PARTITION_NS);
			size_t j = i + 1;
			while (j < s->nrows && floor_div(keys[j].ts, PARTITION_NS) == part)
				j++;
			struct pending *p = &pg[npg];
			p->id = s->next_seg++;
			p->part = part;
			p->tmin = keys[i].ts;
			p->tmax = keys[j - 1].ts;
			p->events = j - i;
			snprintf(p->file, sizeof(p->file), "%" PRId64 ".dhs", p->id);
			if ((rc = store__seg_path(s, ".tmp-segment", tmp, sizeof(tmp))) ||
			    (rc = store__seg_path(s, p->file, fin, sizeof(fin))))
				goto out;
			rc = store__seg_write(tmp, s->rows, order + i, j - i, &s->dict, ZLEVEL,
			                      &p->bytes);
			if (!rc && rename(tmp, fin) < 0)
				rc = -errno;
			if (rc) {
				(void)unlink(tmp);
				goto out;
			}
			npg++;
			i = j;
		}
		/* The renames must be durable before the catalog names them. */
		char segdir[4096];
		if ((rc = path_join(segdir, sizeof(segdir), s->dir, "seg")))
			goto out;
		int dfd = open(segdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0) {
			rc = -errno;
			goto out;
		}
		if (fsync(dfd) < 0)
			rc = -errno;
		close(dfd);
		if (rc)
			goto out;
	}
	rc = commit_catalog(s, pg, npg, order, complete);
	if (rc)
		goto out;
	s->file_base += s->file_added;
	s->file_added = 0;
	buffer_reset(s);
	npg = 0;
out:
	/* Files written before a failure are not in the catalog: remove them
	 * now rather than at the next open. */
	for (size_t k = 0; k < npg; k++)
		if (store__seg_path(s, pg[k].file, fin, sizeof(fin)) == 0)
			(void)unlink(fin);
	free(keys);
	free(order);
	free(pg);
	return rc;
}

int store_ingest_checkpoint(struct store *s)
{
	if (!s || (s->flags & STORE_READONLY))
		return DH_EUSAGE;
	return flush(s, 0);
}

int store_ingest_end(struct store *s)
{
	if (!s || (s->flags & STORE_READONLY))
		return DH_EUSAGE;
	int rc = flush(s, s->in_file);
	if (rc)
		return rc;
	s->in_file = 0;
	s->file_id = 0;
	s->file_base = 0;
	return 0;
}

void store_ingest_abort(struct store *s)
{
	if (!s)
		return;
	buffer_reset(s);
	s->in_file = 0;
	s->file_id = 0;
	s->file_base = 0;
	s->file_added = 0;
}

int store__segments(struct store *s, int64_t since, int64_t until, struct store_segref **out,
                    size_t *n)
{
	int rc = 0;
	sqlite3_stmt *st = NULL;
	struct store_segref *v = NULL;
	size_t nv = 0, cap = 0;
	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(
	        s->db,
	        "SELECT file, tmin, tmax FROM segments WHERE tmax >= ?1 AND tmin < ?2"
	        " ORDER BY tmin, id",
	        -1, &st, NULL) != SQLITE_OK)
		return DH_EDB;
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, until);
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (nv == cap) {
			cap = cap ? cap * 2 : 64;
			struct store_segref *nvp = realloc(v, cap * sizeof(*v));
			if (!nvp) {
				rc = -ENOMEM;
				goto out;
			}
			v = nvp;
		}
		const char *f = (const char *)sqlite3_column_text(st, 0);
		v[nv].file = strdup(f ? f : "");
		if (!v[nv].file) {
			rc = -ENOMEM;
			goto out;
		}
		v[nv].tmin = sqlite3_column_int64(st, 1);
		v[nv].tmax = sqlite3_column_int64(st, 2);
		nv++;
	}
	if (r != SQLITE_DONE)
		rc = DH_EDB;
out:
	sqlite3_finalize(st);
	if (rc) {
		store__segrefs_free(v, nv);
		return rc;
	}
	*out = v;
	*n = nv;
	return 0;
}

void store__segrefs_free(struct store_segref *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(r[i].file);
	free(r);
}

int store_retain(struct store *s, int64_t cutoff_ns)
{
	int rc = 0;
	sqlite3_stmt *st = NULL;
	char **files = NULL;
	size_t nf = 0, cap = 0;
	int64_t dropped = 0;
	if (!s || (s->flags & STORE_READONLY))
		return DH_EUSAGE;
	if ((rc = db_exec(s->db, "BEGIN IMMEDIATE")))
		return rc;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT s.file FROM segments s JOIN partitions p"
	                       " ON s.partition_id = p.id WHERE p.end_ns <= ?1",
	                       -1, &st, NULL) != SQLITE_OK) {
		rc = DH_EDB;
		goto out;
	}
	sqlite3_bind_int64(st, 1, cutoff_ns);
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (nf == cap) {
			cap = cap ? cap * 2 : 64;
			char **nfp = realloc(files, cap * sizeof(*files));
			if (!nfp) {
				rc = -ENOMEM;
				goto out;
			}
			files = nfp;
		}
		files[nf] = strdup((const char *)sqlite3_column_text(st, 0));
		if (!files[nf]) {
			rc = -ENOMEM;
			goto out;
		}
		nf++;
	}
	if (r != SQLITE_DONE) {
		rc = DH_EDB;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(s->db,
	                       "DELETE FROM segments WHERE partition_id IN"
	                       " (SELECT id FROM partitions WHERE end_ns <= ?1)",
	                       -1, &st, NULL) != SQLITE_OK) {
		rc = DH_EDB;
		goto out;
	}
	sqlite3_bind_int64(st, 1, cutoff_ns);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = DH_EDB;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(s->db, "DELETE FROM partitions WHERE end_ns <= ?1", -1, &st, NULL) !=
	    SQLITE_OK) {
		rc = DH_EDB;
		goto out;
	}
	sqlite3_bind_int64(st, 1, cutoff_ns);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = DH_EDB;
		goto out;
	}
	dropped = sqlite3_changes(s->db);
	sqlite3_finalize(st);
	st = NULL;
	rc = db_exec(s->db, "COMMIT");
out:
	sqlite3_finalize(st);
	if (rc)
		(void)db_exec(s->db, "ROLLBACK");
	seg_cache_drop(s);
	/* Files go only after the commit: a crash in between leaves orphans
	 * for the next open, never a catalog row without its file. */
	for (size_t i = 0; i < nf; i++) {
		char p[4096];
		if (!rc && store__seg_path(s, files[i], p, sizeof(p)) == 0)
			(void)unlink(p);
		free(files[i]);
	}
	free(files);
	return rc ? rc : (int)dropped;
}

/* Collects the ids and files of the segments of partition pid. */
static int partition_segments(struct store *s, int64_t pid, int64_t **ids, char ***files, size_t *n)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc = 0, r;
	*ids = NULL;
	*files = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT id, file FROM segments WHERE partition_id = ?1", -1,
	                       &st, NULL) != SQLITE_OK)
		return DH_EDB;
	sqlite3_bind_int64(st, 1, pid);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			int64_t *ni = realloc(*ids, cap * sizeof(**ids));
			if (ni)
				*ids = ni;
			char **nf = realloc(*files, cap * sizeof(**files));
			if (nf)
				*files = nf;
			if (!ni || !nf) {
				rc = -ENOMEM;
				break;
			}
		}
		(*ids)[*n] = sqlite3_column_int64(st, 0);
		(*files)[*n] = strdup((const char *)sqlite3_column_text(st, 1));
		if (!(*files)[*n]) {
			rc = -ENOMEM;
			break;
		}
		(*n)++;
	}
	if (!rc && r != SQLITE_DONE)
		rc = DH_EDB;
	sqlite3_finalize(st);
	return rc;
}

/* Rewrites one partition's segments as one: read every event in time
 * order into the (empty) buffer, write, and swap the catalog rows in one
 * transaction. A crash leaves either the old segments or the new one. */
static int compact_partition(struct store *s, int64_t pid, int64_t start, int64_t end)
{
	int64_t *ids = NULL;
	char **files = NULL;
	size_t n = 0;
	struct store_iter *it = NULL;
	const struct ev_event *ev;
	struct splan p;
	int rc = partition_segments(s, pid, &ids, &files, &n);
	if (rc || n < 2)
		goto out;
	store__plan_from_query(&p, NULL);
	p.since = start;
	p.until = end;
	if ((rc = store__iter_new(&it, s, &p)))
		goto out;
	s->compacting = 1;
	while ((rc = store__iter_next(it, &ev)) == 1)
		if ((rc = store_ingest_add(s, ev)))
			break;
	/* Never replace a segment that could not be read completely. */
	if (!rc && store__iter_corrupt(it))
		rc = DH_ECORRUPT;
	store__iter_free(it);
	it = NULL;
	if (!rc) {
		s->drop = ids;
		s->ndrop = n;
		rc = flush(s, 0);
	}
	s->drop = NULL;
	s->ndrop = 0;
	s->compacting = 0;
	s->file_added = 0;
	buffer_reset(s);
	if (rc)
		goto out;
	seg_cache_drop(s);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		if (store__seg_path(s, files[i], path, sizeof(path)) == 0)
			(void)unlink(path);
	}
	rc = 1;
out:
	store__iter_free(it);
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	free(ids);
	return rc;
}

int store_compact(struct store *s, int64_t cutoff_ns)
{
	int rc = 0, done = 0;
	sqlite3_stmt *st = NULL;
	if (!s || (s->flags & STORE_READONLY) || s->in_file || s->nrows)
		return DH_EUSAGE;
	/* Partitions that fit one buffer; bigger ones already consist of
	 * full-size segments. */
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT p.id, p.start_ns, p.end_ns FROM partitions p"
	                       " JOIN segments g ON g.partition_id = p.id WHERE p.end_ns <= ?1"
	                       " GROUP BY p.id HAVING count(*) > 1 AND sum(g.events) <= ?2"
	                       " ORDER BY p.start_ns",
	                       -1, &st, NULL) != SQLITE_OK)
		return DH_EDB;
	sqlite3_bind_int64(st, 1, cutoff_ns);
	sqlite3_bind_int64(st, 2, (int64_t)s->max_rows);
	/* Collect first: the compaction writes to the tables being read. */
	int64_t(*parts)[3] = NULL;
	size_t np = 0, cap = 0;
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (np == cap) {
			cap = cap ? cap * 2 : 16;
			int64_t(*nparts)[3] = realloc(parts, cap * sizeof(*parts));
			if (!nparts) {
				rc = -ENOMEM;
				goto out;
			}
			parts = nparts;
		}
		for (int k = 0; k < 3; k++)
			parts[np][k] = sqlite3_column_int64(st, k);
		np++;
	}
	if (r != SQLITE_DONE) {
		rc = DH_EDB;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	int corrupt = 0;
	for (size_t i = 0; i < np; i++) {
		rc = compact_partition(s, parts[i][0], parts[i][1], parts[i][2]);
		if (rc == DH_ECORRUPT) {
			corrupt = 1;
			continue;
		}
		if (rc < 0)
			goto out;
		done += rc;
	}
	rc = corrupt ? DH_ECORRUPT : 0;
out:
	sqlite3_finalize(st);
	free(parts);
	return rc ? rc : done;
}

static uint64_t file_size(const char *dir, const char *name)
{
	char p[4096];
	struct stat st;
	if (path_join(p, sizeof(p), dir, name) || stat(p, &st) < 0)
		return 0;
	return (uint64_t)st.st_size;
}

int store_stats(struct store *s, struct store_stats *st)
{
	int rc = 0;
	if (!s || !st)
		return DH_EUSAGE;
	memset(st, 0, sizeof(*st));
	st->events =
	    (uint64_t)query_i64(s->db, "SELECT coalesce(sum(events), 0) FROM segments", &rc);
	st->segments = (uint64_t)query_i64(s->db, "SELECT count(*) FROM segments", &rc);
	st->partitions = (uint64_t)query_i64(s->db, "SELECT count(*) FROM partitions", &rc);
	st->files = (uint64_t)query_i64(s->db, "SELECT count(*) FROM files", &rc);
	st->bytes_on_disk =
	    (uint64_t)query_i64(s->db, "SELECT coalesce(sum(bytes), 0) FROM segments", &rc);
	st->bytes_on_disk += file_size(s->dir, "catalog.db") + file_size(s->dir, "catalog.db-wal");
	return rc;
}
