/*
 * follow.c - tail -F for log and dnstap files, with a saved position.
 */
#include "source/follow.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"
#include "util/hash.h"

#define HEAD_SEED 0x666f6c6c6f77ULL /* "follow" */

struct follow {
	char *path;
	int fd;
	uint64_t dev, ino;
	uint64_t offset;    /* file offset of the next read */
	uint64_t origin;    /* file offset that delivered byte number base has */
	uint64_t base;      /* bytes delivered before this file's first one */
	uint64_t delivered; /* bytes handed out in all */
	int last_nl;        /* the last byte handed out was '\n' (or none was) */
	int pending;        /* the old file is done; waiting for follow_advance() */
	int resumed;
	int newline; /* close an unfinished last line at a switch */
	uint64_t rotations, truncations;
};

static int open_file(struct follow *f)
{
	struct stat st;
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return DH_EUSAGE;
	}
	if (f->fd >= 0)
		close(f->fd);
	f->fd = fd;
	f->dev = (uint64_t)st.st_dev;
	f->ino = (uint64_t)st.st_ino;
	return 0;
}

/* Hashes the first min(want, size) bytes of fd. Returns the count. */
static uint32_t head_of(int fd, uint32_t want, uint64_t *hash)
{
	uint8_t buf[FOLLOW_HEAD_MAX];
	ssize_t n;

	if (want > FOLLOW_HEAD_MAX)
		want = FOLLOW_HEAD_MAX;
	n = pread(fd, buf, want, 0);
	if (n < 0)
		n = 0;
	*hash = dh_hash64(buf, (size_t)n, HEAD_SEED);
	return (uint32_t)n;
}

int follow_open(struct follow **out, const char *path, const struct follow_pos *start)
{
	struct follow *f;
	struct stat st;
	int rc;

	if (!out || !path)
		return DH_EUSAGE;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->fd = -1;
	f->last_nl = 1;
	f->newline = 1;
	f->path = strdup(path);
	if (!f->path) {
		rc = -ENOMEM;
		goto out;
	}
	rc = open_file(f);
	if (rc != 0)
		goto out;
	if (start && start->dev == f->dev && start->ino == f->ino && fstat(f->fd, &st) == 0 &&
	    (uint64_t)st.st_size >= start->offset && start->head_len <= FOLLOW_HEAD_MAX) {
		uint64_t h;
		uint32_t n = head_of(f->fd, start->head_len, &h);
		if (n == start->head_len && h == start->head_hash) {
			f->offset = start->offset;
			f->origin = start->offset;
			f->resumed = 1;
		}
	}
out:
	if (rc != 0) {
		follow_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

static long deliver(struct follow *f, const uint8_t *buf, size_t n)
{
	f->delivered += n;
	f->last_nl = buf[n - 1] == '\n';
	return (long)n;
}

long follow_read(struct follow *f, uint8_t *buf, size_t len)
{
	struct stat st;
	ssize_t n;

	if (f->pending || len == 0)
		return 0;
	n = pread(f->fd, buf, len, (off_t)f->offset);
	if (n < 0)
		return -errno;
	if (n > 0) {
		f->offset += (uint64_t)n;
		return deliver(f, buf, (size_t)n);
	}
	/* At the end: has the path moved on to another file, or has this
	 * one been cut short? A path that names nothing for a moment (the
	 * gap between "mv" and the new file) is no rotation yet. */
	if (stat(f->path, &st) != 0)
		return 0;
	int rotated = (uint64_t)st.st_dev != f->dev || (uint64_t)st.st_ino != f->ino;
	if (!rotated) {
		struct stat cur;
		if (fstat(f->fd, &cur) != 0 || (uint64_t)cur.st_size >= f->offset)
			return 0;
		f->truncations++;
	} else {
		/* The writer may have added to the old file between our read
		 * and the stat: take that first. */
		n = pread(f->fd, buf, len, (off_t)f->offset);
		if (n > 0) {
			f->offset += (uint64_t)n;
			return deliver(f, buf, (size_t)n);
		}
		f->rotations++;
	}
	f->pending = 1;
	if (!f->last_nl && f->newline) {
		buf[0] = '\n';
		return deliver(f, buf, 1);
	}
	return 0;
}

void follow_set_newline(struct follow *f, int on)
{
	f->newline = on != 0;
}

int follow_pending(const struct follow *f)
{
	return f->pending;
}

int follow_advance(struct follow *f)
{
	int rc;

	if (!f->pending)
		return 0;
	rc = open_file(f);
	if (rc != 0)
		return rc;
	f->pending = 0;
	f->offset = 0;
	f->origin = 0;
	f->base = f->delivered;
	f->last_nl = 1;
	return 0;
}

int follow_resumed(const struct follow *f)
{
	return f->resumed;
}

uint64_t follow_rotations(const struct follow *f)
{
	return f->rotations;
}

uint64_t follow_truncations(const struct follow *f)
{
	return f->truncations;
}

int follow_position(struct follow *f, uint64_t consumed, struct follow_pos *pos)
{
	if (!f || !pos || consumed < f->base || consumed > f->delivered)
		return DH_EUSAGE;
	memset(pos, 0, sizeof(*pos));
	pos->dev = f->dev;
	pos->ino = f->ino;
	pos->offset = f->origin + (consumed - f->base);
	pos->head_len = head_of(f->fd, FOLLOW_HEAD_MAX, &pos->head_hash);
	return 0;
}

int follow_pos_save(const char *path, const struct follow_pos *pos)
{
	char tmp[4096], text[160];
	int fd = -1, rc = 0, k;

	if (!path || !pos)
		return DH_EUSAGE;
	k = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (k < 0 || (size_t)k >= sizeof(tmp))
		return -ENAMETOOLONG;
	k = snprintf(text, sizeof(text), "dnshound-follow 1 %llu %llu %llu %u %llu %llu\n",
	             (unsigned long long)pos->dev, (unsigned long long)pos->ino,
	             (unsigned long long)pos->offset, (unsigned)pos->head_len,
	             (unsigned long long)pos->head_hash, (unsigned long long)pos->session);
	if (k < 0 || (size_t)k >= sizeof(text))
		return DH_ESPACE;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, text, (size_t)k) != k || fsync(fd) != 0) {
		rc = errno ? -errno : -EIO;
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = -errno;
		goto out;
	}
	fd = -1;
	/* The rename replaces the old position in one step: a crash leaves
	 * either the old or the new one, never a mix. */
	if (rename(tmp, path) != 0)
		rc = -errno;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		(void)unlink(tmp);
	return rc;
}

/* Reads one decimal number at *p, then skips one space or newline. */
static int number(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int digits = 0;

	while (*s >= '0' && *s <= '9') {
		unsigned d = (unsigned)(*s - '0');
		if (x > (UINT64_MAX - d) / 10)
			return DH_EMALFORMED;
		x = x * 10 + d;
		s++;
		digits++;
	}
	if (digits == 0 || (*s != ' ' && *s != '\n'))
		return DH_EMALFORMED;
	*v = x;
	*p = s + 1;
	return 0;
}

int follow_pos_load(const char *path, struct follow_pos *pos)
{
	static const char magic[] = "dnshound-follow 1 ";
	char text[160];
	uint64_t v[6];
	ssize_t n;
	int fd;

	if (!path || !pos)
		return DH_EUSAGE;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0)
		return DH_EMALFORMED;
	text[n] = '\0';
	if (strncmp(text, magic, sizeof(magic) - 1) != 0)
		return DH_EMALFORMED;
	const char *p = text + sizeof(magic) - 1;
	for (int i = 0; i < 6; i++)
		if (number(&p, &v[i]) != 0)
			return DH_EMALFORMED;
	if (*p != '\0' || p[-1] != '\n' || v[3] > FOLLOW_HEAD_MAX)
		return DH_EMALFORMED;
	pos->dev = v[0];
	pos->ino = v[1];
	pos->offset = v[2];
	pos->head_len = (uint32_t)v[3];
	pos->head_hash = v[4];
	pos->session = v[5];
	return 0;
}

void follow_pos_key(const struct follow_pos *pos, uint8_t key[16])
{
	uint64_t f[6] = {pos->dev,      pos->ino,       pos->offset,
	                 pos->head_len, pos->head_hash, pos->session};
	uint64_t a = dh_hash64(f, sizeof(f), 0x6b657931ULL);
	uint64_t b = dh_hash64(f, sizeof(f), 0x6b657932ULL);

	memcpy(key, &a, 8);
	memcpy(key + 8, &b, 8);
}

void follow_free(struct follow *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	free(f->path);
	free(f);
}
