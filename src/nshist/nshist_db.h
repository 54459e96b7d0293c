/*
 * nshist_db.h - the NS-record history on disk: a SQLite file beside the
 * store's catalog (DIR/nshist.db; doc/store.md says why it is a file of
 * its own), and the answer rows in a file beside it (DIR/nshist.answers:
 * the history file's name with ".db" replaced by ".answers").
 *
 * Tables, with seed 003's column names (section 3.2 and 3.3; times in ms
 * since the epoch as in the seed, TTLs in seconds):
 *   nshist_query(id, querytime, queryid, queryname, qtype)
 *   nshist_ns(id, res_time, zname, nsttl, nsfqdn, glueAttl, glueA,
 *             glueAAAAttl, glueAAAA, glue_src, first_seen, last_seen, query)
 *   nshist_meta(key, value)
 * and the answer rows (id, addr, qname, ttl, first_seen, last_seen) in
 * the answer file, whose layout nshist_db.c and doc/store.md give: they
 * are a hundred times as many as the NS rows and only ever read whole,
 * and as SQLite rows they cost more to save than to learn. A history
 * saved with an nshist_answer table has it moved to the answer file by
 * its next save. querytime is -1 when the query was not seen. Saving
 * writes only the rows added or extended since the last save, so a
 * second build over the same data writes nothing.
 */
#ifndef DH_NSHIST_NSHIST_DB_H
#define DH_NSHIST_NSHIST_DB_H

#include <stdint.h>

#include "nshist/nshist.h"

struct nshist_db;

/* Opens (create: or creates) the history file at path, and its answer
 * file (a new history file empties an answer file left from a deleted
 * one). Returns 0 and *out (free with nshist_db_close()), -ENOENT when
 * it does not exist and create is 0, another -errno for the answer file,
 * or DH_EDB. */
int nshist_db_open(struct nshist_db **out, const char *path, int create);

/* NULL ok. */
void nshist_db_close(struct nshist_db *db);

/* Adds every stored row to h. Returns 0, -ENOMEM, -errno, DH_ECORRUPT
 * (an answer record that does not parse) or DH_EDB. */
int nshist_db_load(struct nshist_db *db, struct nshist *h);

/* Writes h's changed rows in one transaction (the answer rows appended
 * to the answer file while it holds SQLite's write lock, cut off again
 * when the commit fails) and clears their changed marks. *written (may
 * be NULL) gets the number of rows written. Returns 0, -ENOMEM or
 * DH_EDB; after a failure the files are as before, but h holds ids of
 * rows that were rolled back and must not be saved again. */
int nshist_db_save(struct nshist_db *db, struct nshist *h, uint64_t *written);

/* A number kept in nshist_meta (the build's position in the store).
 * get returns 0, DH_ENOTFOUND or DH_EDB. */
int nshist_db_meta_get(struct nshist_db *db, const char *key, int64_t *value);
int nshist_db_meta_set(struct nshist_db *db, const char *key, int64_t value);

struct nshist_db_filter {
	const char *zone;    /* zname equal to this (lower-case, trailing dot); NULL any */
	struct dh_addr addr; /* glue equal to this; DH_AF_NONE any */
	uint64_t limit;      /* 0 none */
};

/* Calls cb for the stored NS rows matching f, oldest res_time first; the
 * row and its strings are borrowed for the call. cb returns 0 to go on,
 * else that value is returned. Returns 0 or DH_EDB. */
int nshist_db_list(struct nshist_db *db, const struct nshist_db_filter *f,
                   int (*cb)(void *ctx, const struct nshist_ns *row), void *ctx);

#endif
