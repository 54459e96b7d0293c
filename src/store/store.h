/*
 * store.h - the embedded event store.
 *
 * One directory holds everything: a SQLite catalog (partitions, segments,
 * ingested-file registry, observers) and immutable, compressed, indexed
 * segment files, grouped into time partitions so that retention drops
 * whole partitions. It answers the three questions traceback asks, each
 * within a time window: who asked for name f, what did client c ask, what
 * did server s receive or send. See doc/store.md.
 *
 * Crash safety: a segment becomes visible only when the catalog
 * transaction that records it commits, together with the ingest position
 * of the file it came from; files on disk that the catalog does not name
 * are removed on open. A kill at any moment therefore leaves a store that
 * opens, and a resumed ingest starts exactly after the last committed
 * event.
 */
#ifndef DH_STORE_STORE_H
#define DH_STORE_STORE_H

#include <stdint.h>

#include "event/event.h"
#include "util/addr.h"

struct store;

enum {
	STORE_CREATE = 1,   /* create the directory and catalog if missing */
	STORE_READONLY = 2, /* open for queries only */
};

/* Opens (or creates) the store in dir. Returns 0 and *out (caller frees
 * with store_close()), or a negative code. */
int store_open(struct store **out, const char *dir, int flags);

/* Flushes nothing (call store_ingest_end() first) and frees s. NULL ok. */
void store_close(struct store *s);

/*
 * Ingest of one input file. The file is identified by a content hash
 * (hash, hashlen: borrowed; at most 64 bytes) so that the same data under
 * another name is recognised.
 *
 * store_ingest_begin() returns 0 with *skip set to the number of events
 * of this file already committed by an earlier, interrupted ingest (the
 * caller skips that many events), or DH_EEXIST when the file was ingested
 * completely before (the caller skips the file).
 */
int store_ingest_begin(struct store *s, const char *path, const uint8_t *hash, size_t hashlen,
                       uint64_t *skip);

/* Adds one event. Events may arrive out of time order. The event is
 * copied; ev is borrowed for the call. */
int store_ingest_add(struct store *s, const struct ev_event *ev);

/* Makes everything added so far durable, with the file's position. */
int store_ingest_checkpoint(struct store *s);

/* Commits the rest and marks the file complete. */
int store_ingest_end(struct store *s);

/* Abandons uncommitted events of the current file (they will be redone
 * on the next ingest of the same file). */
void store_ingest_abort(struct store *s);

/* A query: every field is optional (NULL / family DH_AF_NONE / 0). */
struct store_query {
	int64_t since_ns;      /* inclusive; INT64_MIN = unbounded */
	int64_t until_ns;      /* exclusive; INT64_MAX = unbounded */
	const char *qname;     /* lower-case presentation form, trailing dot */
	struct dh_addr client; /* the querying side (query src / response dst) */
	struct dh_addr server; /* the answering side */
	const char *observer;  /* NULL = any */
	uint64_t limit;        /* 0 = no limit */
};

/*
 * Calls cb for every stored event matching q, in time order. The event is
 * borrowed for the call (its dns_msg has wire == NULL and records with
 * presentation text). cb returns 0 to go on, anything else to stop; that
 * value is returned. Returns 0 or a negative code.
 */
int store_query_run(struct store *s, const struct store_query *q,
                    int (*cb)(void *ctx, const struct ev_event *ev), void *ctx);

/* Drops every partition that ends before cutoff_ns. Returns the number of
 * partitions dropped or a negative code. */
int store_retain(struct store *s, int64_t cutoff_ns);

struct store_stats {
	uint64_t events;
	uint64_t partitions;
	uint64_t segments;
	uint64_t bytes_on_disk; /* segment files and catalog */
	uint64_t files;         /* input files registered */
};

int store_stats(struct store *s, struct store_stats *st);

/* ---- Added by the store layer (after the original contract). ---- */

/* Bounds the ingest buffer: a segment is written when max_events events
 * are buffered (default 1,048,576; at least 1). Peak memory of ingest
 * grows with this bound, never with the input. Returns 0 or DH_EUSAGE. */
int store_set_buffer(struct store *s, uint64_t max_events);

/*
 * Merges the segments of every partition that ends at or before
 * cutoff_ns and fits one ingest buffer into a single segment (frequent
 * checkpoints leave many small ones). Call between ingests. Returns the
 * number of partitions rewritten or a negative code; a partition with a
 * corrupt segment is left as it is and DH_ECORRUPT returned.
 */
int store_compact(struct store *s, int64_t cutoff_ns);

struct sqlite3;

/*
 * Registers the virtual-table module "dnshound_events" on db, and the
 * eponymous table "events" that reads every partition of s (columns in
 * doc/store.md). s is borrowed and must outlive db's use of the module.
 * Returns 0 or DH_EDB.
 */
int store_sql_register(struct store *s, struct sqlite3 *db);

/* Writes the events matching q (NULL = all) into a new plain SQLite file
 * at path with an events table of the same columns and indexes on ts,
 * qname, src and dst. Returns 0, DH_EEXIST when path exists, DH_ECORRUPT
 * when a corrupt segment was skipped (the rest is written), or a
 * negative code. */
int store_export_sqlite(struct store *s, const struct store_query *q, const char *path);

/*
 * Like store_query_run(), for lookups that need only the fields traceback
 * asks about: every event carries ts_ns, observer, role, transport, src,
 * dst, the message's flags, has_question, qname, qtype and qclass, and no
 * records (rr_count 0) and no ECS data. Other fields are empty (size 0,
 * rtt_ns -1, ports, id, counts and EDNS zero) when q names a key (a
 * client, a qname or a server): one client's or one popular name's events
 * then come from the segment's cluster, where they sit together, instead
 * of one block per event (doc/store.md). Only a query without a key still
 * fills every field but the records. Returns as store_query_run().
 */
int store_query_brief(struct store *s, const struct store_query *q,
                      int (*cb)(void *ctx, const struct ev_event *ev), void *ctx);

/* The fields of an event a reader may ask store_query_fields() for, on
 * top of those every event carries (ts_ns, role, src, dst, the message's
 * flags, has_question, qname, qtype). */
enum {
	STORE_FIELD_OBSERVER = 1 << 0,  /* observer (else "") */
	STORE_FIELD_TRANSPORT = 1 << 1, /* transport (else 0) */
	STORE_FIELD_QCLASS = 1 << 2,    /* the question's class (else 0) */
	STORE_FIELD_PORTS = 1 << 3,     /* sport, dport */
	STORE_FIELD_SIZE = 1 << 4,      /* size and rtt_ns (else 0 and -1) */
	STORE_FIELD_ID = 1 << 5,        /* the message id */
	STORE_FIELD_COUNTS = 1 << 6,    /* section counts and rr_dropped */
	STORE_FIELD_EDNS = 1 << 7,      /* the EDNS summary, without ECS */
};
/* What store_query_brief() fills with a key: what a cluster row has. */
#define STORE_FIELDS_BRIEF (STORE_FIELD_OBSERVER | STORE_FIELD_TRANSPORT | STORE_FIELD_QCLASS)
#define STORE_FIELDS_ALL   0xffu

/*
 * Like store_query_brief(), for readers that know which fields they use:
 * every event carries the fields named in fields (STORE_FIELD_*) and
 * those every event carries; the others stay empty (0, "", rtt_ns -1)
 * and are not decoded, with or without a key. A scan without a key costs
 * mostly the decoding and resolving of each row, so asking for less makes
 * it cheaper; a lookup by one client or one name reads its cluster when
 * fields is within STORE_FIELDS_BRIEF, and the blocks otherwise. Returns
 * as store_query_run().
 */
int store_query_fields(struct store *s, const struct store_query *q, unsigned fields,
                       int (*cb)(void *ctx, const struct ev_event *ev), void *ctx);

#endif
