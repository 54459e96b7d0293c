/*
 * lines.c - bounded line reader over plain or gzip files and memory.
 */
#include "source/lines.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "util/err.h"

/* Room for at least two maximal lines, so that a line that starts late in
 * the buffer always fits after the remainder is moved to the front. */
#define LINES_BUF (4 * LINES_MAX)

struct lines {
	gzFile gz;           /* NULL in memory mode */
	const uint8_t *mem;  /* memory mode: the caller's buffer */
	uint8_t *buf;        /* file mode: owned, LINES_BUF bytes */
	const uint8_t *base; /* buf or mem */
	size_t start, end;   /* unread bytes are base[start..end) */
	int eof;             /* nothing more to read into the buffer */
	int discarding;      /* inside an overlong line, looking for its end */
	uint64_t number;
	uint64_t bytes;
	uint64_t size;
	long (*read)(void *ctx, uint8_t *buf, size_t len); /* lines_open_read() */
	void *read_ctx;
};

int lines_open(struct lines **out, const char *path)
{
	struct lines *l = calloc(1, sizeof(*l));
	struct stat st;
	int rc = 0;

	if (!l)
		return -ENOMEM;
	l->buf = malloc(LINES_BUF);
	if (!l->buf) {
		rc = -ENOMEM;
		goto out;
	}
	l->base = l->buf;
	errno = 0;
	l->gz = gzopen(path, "rb");
	if (!l->gz) {
		rc = errno ? -errno : -ENOMEM;
		goto out;
	}
	/* A larger zlib buffer halves the read calls on big logs. */
	(void)gzbuffer(l->gz, 128 * 1024);
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		l->size = (uint64_t)st.st_size;
out:
	if (rc != 0) {
		lines_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

int lines_open_mem(struct lines **out, const uint8_t *buf, size_t len)
{
	struct lines *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->mem = buf;
	l->base = buf;
	l->end = buf ? len : 0;
	l->eof = 1;
	l->size = l->end;
	*out = l;
	return 0;
}

int lines_open_read(struct lines **out, long (*read)(void *ctx, uint8_t *buf, size_t len),
                    void *ctx)
{
	struct lines *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->buf = malloc(LINES_BUF);
	if (!l->buf) {
		free(l);
		return -ENOMEM;
	}
	l->base = l->buf;
	l->read = read;
	l->read_ctx = ctx;
	*out = l;
	return 0;
}

/* Moves the unread rest to the front and reads more behind it. Returns 0,
 * 1 when a lines_open_read() source has nothing now, or a negative code
 * when the file cannot be read. */
static int refill(struct lines *l)
{
	size_t rest = l->end - l->start;
	int n;

	if (l->eof || (!l->gz && !l->read)) {
		l->eof = 1;
		return 0;
	}
	if (l->start > 0) {
		memmove(l->buf, l->buf + l->start, rest);
		l->start = 0;
		l->end = rest;
	}
	if (l->read) {
		long got = l->read(l->read_ctx, l->buf + l->end, LINES_BUF - l->end);
		if (got <= 0)
			return got < 0 ? (int)got : 1;
		l->end += (size_t)got;
		return 0;
	}
	n = gzread(l->gz, l->buf + l->end, (unsigned)(LINES_BUF - l->end));
	if (n < 0) {
		int zerr = 0;
		(void)gzerror(l->gz, &zerr);
		return zerr == Z_ERRNO ? (errno ? -errno : -EIO) : DH_ECORRUPT;
	}
	if (n == 0) {
		/* A gzip file cut short reads as its intact part followed by
		 * the end; what was readable has been handed out. */
		l->eof = 1;
		return 0;
	}
	l->end += (size_t)n;
	return 0;
}

int lines_next(struct lines *l, const char **line, size_t *len)
{
	for (;;) {
		const uint8_t *s = l->base + l->start;
		size_t avail = l->end - l->start;
		const uint8_t *nl = avail ? memchr(s, '\n', avail) : NULL;

		if (l->discarding) {
			/* Skipping the tail of an overlong line. */
			if (nl) {
				size_t used = (size_t)(nl - s) + 1;
				l->start += used;
				l->bytes += used;
				l->discarding = 0;
				return DH_ESPACE;
			}
			l->bytes += avail;
			l->start = l->end;
			if (l->eof) {
				l->discarding = 0;
				return DH_ESPACE;
			}
			int rc = refill(l);
			if (rc != 0)
				return rc < 0 ? rc : 0;
			continue;
		}
		if (nl && (size_t)(nl - s) <= LINES_MAX) {
			size_t n = (size_t)(nl - s);
			l->start += n + 1;
			l->bytes += n + 1;
			l->number++;
			if (n > 0 && s[n - 1] == '\r')
				n--;
			*line = (const char *)s;
			*len = n;
			return 1;
		}
		if (nl || avail > LINES_MAX) {
			/* Longer than allowed: skip it whole. */
			l->number++;
			l->discarding = 1;
			continue;
		}
		if (l->eof) {
			if (avail == 0)
				return 0;
			/* The last line has no newline. */
			l->start = l->end;
			l->bytes += avail;
			l->number++;
			if (s[avail - 1] == '\r')
				avail--;
			*line = (const char *)s;
			*len = avail;
			return 1;
		}
		int rc = refill(l);
		if (rc != 0)
			return rc < 0 ? rc : 0;
	}
}

uint64_t lines_number(const struct lines *l)
{
	return l->number;
}

uint64_t lines_bytes(const struct lines *l)
{
	return l->bytes;
}

uint64_t lines_size(const struct lines *l)
{
	return l->size;
}

void lines_free(struct lines *l)
{
	if (!l)
		return;
	if (l->gz)
		gzclose(l->gz);
	free(l->buf);
	free(l);
}
