/*
 * agent_audit.h - the agent's append-only audit log, chained by hash.
 *
 * Every traceback request an agent receives, every answer it gives and
 * every refusal is one line of JSON:
 *
 *   {"seq":N,"ts":"RFC 3339","prev":"H(N-1)","event":{...},"hash":"H(N)"}
 *
 * where H(N) is the SHA-256, in lower-case hex, of the line's text up to
 * (not including) ',"hash":' followed by '}' - that is, of the entry
 * without its own hash - and H(0)'s prev is 64 zeros. Changing any byte of
 * an entry changes its hash, and removing or reordering entries breaks the
 * next entry's prev and the sequence, so agent_audit_verify() finds both.
 * Cutting entries off the end leaves a shorter chain that still verifies:
 * that is caught only against a copy of the last hash kept elsewhere (the
 * status endpoint reports it; doc/protocol.md says how to anchor it).
 */
#ifndef DH_AGENT_AGENT_AUDIT_H
#define DH_AGENT_AGENT_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#define AGENT_AUDIT_HASH_HEX 65 /* 64 hex digits and a NUL */

struct agent_audit;

/*
 * Opens (creating it, mode 0600) the log at path for appending. An
 * existing log's last entry gives the next sequence number and prev hash;
 * a last line that is cut short (a crash during a write) is reported as
 * DH_ECORRUPT rather than chained onto, so nothing is appended to a log
 * that no longer verifies. Returns 0 and *out (free with
 * agent_audit_close()), or a negative code.
 */
int agent_audit_open(struct agent_audit **out, const char *path);

/* NULL ok. */
void agent_audit_close(struct agent_audit *a);

/*
 * Appends one entry. event is a JSON object as text (the caller escapes
 * every string in it); ts_ns the time to record. Safe to call from
 * several threads. The line is written with one write() and flushed to
 * disk with fdatasync() when sync is set. Returns 0 or a negative code.
 */
int agent_audit_append(struct agent_audit *a, int64_t ts_ns, const char *event, size_t len,
                       int sync);

/* Makes every entry appended so far durable (one fdatasync(), shared
 * with writers syncing at the same time). Returns 0 or -errno. */
int agent_audit_flush(struct agent_audit *a);

/* The number of entries and the last hash, for status reports. */
void agent_audit_head(struct agent_audit *a, uint64_t *entries, char hash[AGENT_AUDIT_HASH_HEX]);

/* What agent_audit_verify() found. */
struct agent_audit_report {
	uint64_t entries;                     /* entries that verified, in order */
	uint64_t bad_line;                    /* first line that does not, 0 = none */
	char what[160];                       /* why it does not */
	char last_hash[AGENT_AUDIT_HASH_HEX]; /* hash of the last good entry */
};

/*
 * Reads the log at path and checks every entry's hash, prev and sequence.
 * Returns 0 when the whole log verifies, DH_ECORRUPT with rep->bad_line
 * and rep->what when it does not, or -errno when it cannot be read.
 */
int agent_audit_verify(const char *path, struct agent_audit_report *rep);

#endif
