/*
 * agent_audit.c - the hash-chained audit log (agent_audit.h).
 */
#include "agent/agent_audit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/timefmt.h"

#define HASH_MARK     ",\"hash\":\""
#define HASH_MARK_LEN 9
/* ',"hash":"' + 64 hex digits + '"}' */
#define HASH_TAIL (HASH_MARK_LEN + 64 + 2)
/* An entry longer than this is no entry of ours: requests are bounded
 * far below it (doc/protocol.md). */
#define LINE_MAX_LEN (1u << 20)

struct agent_audit {
	int fd;
	pthread_mutex_t lock;
	pthread_cond_t synced_cond;
	uint64_t seq;    /* entries so far = the next entry's seq */
	uint64_t synced; /* entries known to be on disk */
	int syncing;     /* a writer is in fdatasync() for the others too */
	char prev[AGENT_AUDIT_HASH_HEX];
	struct dh_buf line;
};

static const char zero_hash[AGENT_AUDIT_HASH_HEX] =
    "0000000000000000000000000000000000000000000000000000000000000000";

static void hash_hex(const char *body, size_t len, char out[AGENT_AUDIT_HASH_HEX])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, (const unsigned char *)body, len);
	sodium_bin2hex(out, AGENT_AUDIT_HASH_HEX, h, sizeof(h));
}

/* Checks one line (without its newline) against the expected sequence
 * number and prev hash; on success writes its hash into out. Returns 0 or
 * DH_ECORRUPT with what filled. */
static int check_line(const char *p, size_t n, uint64_t seq, const char *prev,
                      char out[AGENT_AUDIT_HASH_HEX], char *what, size_t wlen)
{
	static const char head[] = "{\"seq\":";
	const char *end = p + n;
	if (n < sizeof(head) - 1 + HASH_TAIL || memcmp(p, head, sizeof(head) - 1) != 0) {
		snprintf(what, wlen, "not an audit entry");
		return DH_ECORRUPT;
	}
	const char *q = p + sizeof(head) - 1;
	uint64_t v = 0;
	const char *digits = q;
	while (q < end && *q >= '0' && *q <= '9' && q - digits < 20)
		v = v * 10 + (uint64_t)(*q++ - '0');
	if (q == digits || v != seq) {
		snprintf(what, wlen, "sequence number is not %llu: an entry was removed or moved",
		         (unsigned long long)seq);
		return DH_ECORRUPT;
	}
	static const char prev_key[] = ",\"prev\":\"";
	const char *pk = NULL;
	/* prev follows the ts string; ts holds no quote, so the first
	 * ',"prev":"' after the sequence is the key. */
	for (const char *s = q; s + sizeof(prev_key) - 1 + 64 <= end; s++) {
		if (memcmp(s, prev_key, sizeof(prev_key) - 1) == 0) {
			pk = s + sizeof(prev_key) - 1;
			break;
		}
	}
	if (!pk || memcmp(pk, prev, 64) != 0) {
		snprintf(what, wlen, "prev hash does not match the entry before it");
		return DH_ECORRUPT;
	}
	const char *mark = end - HASH_TAIL;
	if (mark < pk + 64 || memcmp(mark, HASH_MARK, HASH_MARK_LEN) != 0 || end[-2] != '"' ||
	    end[-1] != '}') {
		snprintf(what, wlen, "entry has no hash at its end");
		return DH_ECORRUPT;
	}
	/* The hashed text: the entry up to its hash, closed again. */
	size_t blen = (size_t)(mark - p);
	char *body = malloc(blen + 1);
	if (!body)
		return -ENOMEM;
	memcpy(body, p, blen);
	body[blen] = '}';
	hash_hex(body, blen + 1, out);
	free(body);
	if (memcmp(out, mark + HASH_MARK_LEN, 64) != 0) {
		snprintf(what, wlen, "hash does not match the entry's text: it was changed");
		return DH_ECORRUPT;
	}
	return 0;
}

/* Reads the log line by line, checking the chain. Returns 0, DH_ECORRUPT
 * or -errno; rep says how far it got. */
static int walk(int fd, struct agent_audit_report *rep)
{
	struct dh_buf line;
	char buf[65536];
	char prev[AGENT_AUDIT_HASH_HEX];
	int rc = 0;
	memcpy(prev, zero_hash, sizeof(prev));
	memset(rep, 0, sizeof(*rep));
	memcpy(rep->last_hash, zero_hash, sizeof(rep->last_hash));
	dh_buf_init(&line);
	for (;;) {
		ssize_t got = read(fd, buf, sizeof(buf));
		if (got < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		if (got == 0)
			break;
		for (ssize_t i = 0; i < got; i++) {
			if (buf[i] != '\n') {
				if (line.len >= LINE_MAX_LEN) {
					rep->bad_line = rep->entries + 1;
					snprintf(rep->what, sizeof(rep->what), "line too long");
					rc = DH_ECORRUPT;
					goto out;
				}
				dh_buf_addc(&line, buf[i]);
				continue;
			}
			char h[AGENT_AUDIT_HASH_HEX];
			if (line.err) {
				rc = line.err;
				goto out;
			}
			rc = check_line(line.data ? line.data : "", line.len, rep->entries, prev, h,
			                rep->what, sizeof(rep->what));
			if (rc) {
				rep->bad_line = rep->entries + 1;
				goto out;
			}
			memcpy(prev, h, sizeof(prev));
			memcpy(rep->last_hash, h, sizeof(rep->last_hash));
			rep->entries++;
			line.len = 0;
		}
	}
	if (line.len > 0) {
		rep->bad_line = rep->entries + 1;
		snprintf(rep->what, sizeof(rep->what), "last entry is cut short (no newline)");
		rc = DH_ECORRUPT;
	}
out:
	dh_buf_release(&line);
	return rc;
}

int agent_audit_verify(const char *path, struct agent_audit_report *rep)
{
	if (sodium_init() < 0)
		return -ENOSYS;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		memset(rep, 0, sizeof(*rep));
		return -errno;
	}
	int rc = walk(fd, rep);
	close(fd);
	return rc;
}

int agent_audit_open(struct agent_audit **out, const char *path)
{
	struct agent_audit *a;
	struct agent_audit_report rep;
	int rc;
	*out = NULL;
	if (sodium_init() < 0)
		return -ENOSYS;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	dh_buf_init(&a->line);
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->synced_cond, NULL);
	a->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (a->fd < 0) {
		rc = -errno;
		goto out;
	}
	/* The whole chain is checked once at start: an agent must not go on
	 * writing to a log someone has changed. */
	if ((rc = walk(a->fd, &rep)) != 0)
		goto out;
	a->seq = rep.entries;
	a->synced = rep.entries;
	memcpy(a->prev, rep.last_hash, sizeof(a->prev));
out:
	if (rc) {
		agent_audit_close(a);
		a = NULL;
	}
	*out = a;
	return rc;
}

void agent_audit_close(struct agent_audit *a)
{
	if (!a)
		return;
	if (a->fd >= 0)
		close(a->fd);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->synced_cond);
	dh_buf_release(&a->line);
	free(a);
}

/* With a->lock held: returns once the entries up to want are on disk.
 * One writer syncs for all that wait meanwhile (group commit). Returns 0
 * or -errno. */
static int sync_upto(struct agent_audit *a, uint64_t want)
{
	int rc = 0;
	while (rc == 0 && a->synced < want) {
		if (a->syncing) {
			pthread_cond_wait(&a->synced_cond, &a->lock);
			continue;
		}
		a->syncing = 1;
		uint64_t upto = a->seq;
		pthread_mutex_unlock(&a->lock);
		int e = fdatasync(a->fd) < 0 ? -errno : 0;
		pthread_mutex_lock(&a->lock);
		a->syncing = 0;
		if (e == 0 && upto > a->synced)
			a->synced = upto;
		else if (e)
			rc = e;
		pthread_cond_broadcast(&a->synced_cond);
	}
	return rc;
}

int agent_audit_append(struct agent_audit *a, int64_t ts_ns, const char *event, size_t len,
                       int sync)
{
	char t[DH_TIME_TEXT_MAX];
	char h[AGENT_AUDIT_HASH_HEX];
	int rc = 0;
	if (len == 0 || event[0] != '{' || memchr(event, '\n', len))
		return DH_EUSAGE;
	size_t tn = dh_time_format(ts_ns, t, sizeof(t));
	pthread_mutex_lock(&a->lock);
	struct dh_buf *b = &a->line;
	b->len = 0;
	dh_buf_adds(b, "{\"seq\":");
	dh_buf_addu(b, a->seq);
	dh_buf_adds(b, ",\"ts\":\"");
	dh_buf_add(b, t, tn);
	dh_buf_adds(b, "\",\"prev\":\"");
	dh_buf_add(b, a->prev, 64);
	dh_buf_adds(b, "\",\"event\":");
	dh_buf_add(b, event, len);
	dh_buf_addc(b, '}');
	if (b->err) {
		rc = b->err;
		b->err = 0;
		goto out;
	}
	hash_hex(b->data, b->len, h);
	b->len--; /* reopen the object for the hash */
	dh_buf_adds(b, HASH_MARK);
	dh_buf_add(b, h, 64);
	dh_buf_adds(b, "\"}\n");
	if (b->err) {
		rc = b->err;
		b->err = 0;
		goto out;
	}
	/* One write() with O_APPEND: entries of concurrent writers never
	 * interleave, and a short write leaves a cut line that the next
	 * open reports instead of chaining onto. */
	size_t off = 0;
	while (off < b->len) {
		ssize_t w = write(a->fd, b->data + off, b->len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		off += (size_t)w;
	}
	memcpy(a->prev, h, sizeof(a->prev));
	a->seq++;
	/* Group commit: the entry is on disk when this returns, but writers
	 * that arrive while one is in fdatasync() wait for the next one and
	 * share it, so a busy agent pays one sync for many entries. */
	if (sync)
		rc = sync_upto(a, a->seq);
out:
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int agent_audit_flush(struct agent_audit *a)
{
	pthread_mutex_lock(&a->lock);
	int rc = sync_upto(a, a->seq);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

void agent_audit_head(struct agent_audit *a, uint64_t *entries, char hash[AGENT_AUDIT_HASH_HEX])
{
	pthread_mutex_lock(&a->lock);
	*entries = a->seq;
	memcpy(hash, a->prev, AGENT_AUDIT_HASH_HEX);
	pthread_mutex_unlock(&a->lock);
}
