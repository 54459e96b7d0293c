/*
 * follow.h - reading a growing file like "tail -F".
 *
 * A follow hands out the bytes of the file a path names, and at its end
 * waits for more instead of stopping. Log rotation (the path now names
 * another file) and truncation (the file is shorter than what was read)
 * are recognised at the end of the data: the old file is read to its end,
 * an unfinished last line is closed with a newline, and then the follow
 * stops with follow_pending() set until the caller calls follow_advance(),
 * which starts on the new file (or on the truncated one) from offset 0.
 * The stop lets the caller make everything read so far durable and record
 * the new position before any byte of the new file is taken.
 *
 * A position (device, inode, offset, and a hash of the file's first bytes,
 * because inode numbers are reused after a delete) can be saved to a small
 * file and given back to follow_open(), so that a restart goes on where
 * the last run stopped. Plain files only: a gzip file does not grow.
 */
#ifndef DH_SOURCE_FOLLOW_H
#define DH_SOURCE_FOLLOW_H

#include <stddef.h>
#include <stdint.h>

/* The head hash covers at most this many first bytes of the file: enough
 * for a log's first time stamp and text to tell two files apart. */
#define FOLLOW_HEAD_MAX 64

struct follow_pos {
	uint64_t dev, ino;
	uint64_t offset;    /* bytes of the file consumed */
	uint32_t head_len;  /* bytes the head hash covers (<= FOLLOW_HEAD_MAX) */
	uint64_t head_hash; /* dh_hash64 of those bytes */
	/* Not used by the follow: a number the caller keeps with the
	 * position (the ingest's session, so that two sessions that start
	 * at equal positions, e.g. two truncations to nothing, differ). */
	uint64_t session;
};

struct follow;

/*
 * Opens path for following. When start (borrowed; may be NULL) names the
 * file the path now names (same device, inode and head hash, and the file
 * is at least start->offset bytes long), reading starts at start->offset
 * and follow_resumed() is 1; otherwise reading starts at 0. Returns 0 and
 * *out (caller frees with follow_free()), DH_EUSAGE for NULL arguments or
 * a path that is not a regular file, or a negative errno.
 */
int follow_open(struct follow **out, const char *path, const struct follow_pos *start);

/*
 * Reads up to len bytes into buf. Returns the count, 0 when nothing more
 * is there now (wait and call again, or follow_advance() when
 * follow_pending() is 1), or a negative errno. A rotation or truncation
 * may deliver a single "\n" that is not in the file, to end the old
 * file's unfinished last line.
 */
long follow_read(struct follow *f, uint8_t *buf, size_t len);

/* Whether a rotation or truncation closes an unfinished last line with a
 * "\n" that is not in the file: on (the default) for text logs, off for
 * binary streams such as dnstap. */
void follow_set_newline(struct follow *f, int on);

/* 1 when the old file is done and the next read needs follow_advance(). */
int follow_pending(const struct follow *f);

/* Starts on the file the path now names, from offset 0. Returns 0 or a
 * negative errno (then the follow stays pending and may be retried). */
int follow_advance(struct follow *f);

/* 1 when follow_open() took up the saved position. */
int follow_resumed(const struct follow *f);

/* Rotations and truncations seen so far. */
uint64_t follow_rotations(const struct follow *f);
uint64_t follow_truncations(const struct follow *f);

/*
 * The position after consumed bytes of all follow_read() output so far
 * (the reader above may hold bytes it has not used yet; consumed is what
 * it has used, e.g. lines_bytes()). Returns 0 or a negative code
 * (DH_EUSAGE when consumed lies before the current file's start).
 */
int follow_position(struct follow *f, uint64_t consumed, struct follow_pos *pos);

/* Writes pos to path atomically (a temporary file, fsync, rename).
 * Returns 0 or a negative errno. */
int follow_pos_save(const char *path, const struct follow_pos *pos);

/* Reads a position written by follow_pos_save(). Returns 0, -ENOENT when
 * there is none, or DH_EMALFORMED for a damaged file. */
int follow_pos_load(const char *path, struct follow_pos *pos);

/* A 16-byte key for pos (all its fields), for the store's ingest
 * registry. */
void follow_pos_key(const struct follow_pos *pos, uint8_t key[16]);

/* Frees the follow; NULL does nothing. */
void follow_free(struct follow *f);

#endif
