/*
 * src_dnstap.c - DNS events from dnstap Frame Streams files.
 *
 * A file starts with a START control frame naming the content type, then
 * data frames (a 32-bit big-endian length and a dnstap protobuf), and
 * ends with a STOP control frame; a zero length escapes a control frame.
 * A data frame that does not decode is counted, reported with its number,
 * and skipped: its length still says where the next frame starts. A length
 * beyond FSTRM_FRAME_MAX or past the end of the file means the framing
 * itself is lost, and reading stops there with an error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "source/dnstap.h"
#include "source/follow.h"
#include "source/source.h"
#include "util/cursor.h"
#include "util/err.h"

#define READ_CHUNK (256 * 1024)

struct dnstap_src {
	gzFile f;
	struct src_options opt;
	char *path;
	uint8_t *buf; /* from malloc(); READ_CHUNK + FSTRM_FRAME_MAX + 8 bytes */
	size_t cap, start, end;
	int eof;
	int stopped; /* STOP control seen */
	uint64_t frames, events, malformed, skipped, size;
	uint64_t consumed; /* bytes of decompressed input used */
};

static int dnstap_probe(const uint8_t *h, size_t len)
{
	/* Escape (0), control length, type START (2), then a content type
	 * field naming dnstap. */
	if (len < 12 || h[0] || h[1] || h[2] || h[3])
		return 0;
	uint32_t clen = dh_be32(h + 4);
	if (clen < 4 || clen > 512 || 8 + (size_t)clen > len)
		return 0;
	return fstrm_control_parse(h + 8, clen) == FSTRM_CONTROL_START;
}

static void dnstap_close(void *ctx)
{
	struct dnstap_src *s = ctx;
	if (!s)
		return;
	if (s->f)
		gzclose(s->f);
	free(s->buf);
	free(s->path);
	free(s);
}

static int dnstap_open(void **ctx, const char *path, const struct src_options *opt)
{
	struct dnstap_src *s = calloc(1, sizeof(*s));
	struct stat st;

	if (!s)
		return -ENOMEM;
	if (opt)
		s->opt = *opt;
	s->path = strdup(path);
	s->cap = READ_CHUNK + FSTRM_FRAME_MAX + 8;
	s->buf = malloc(s->cap);
	if (!s->path || !s->buf) {
		dnstap_close(s);
		return -ENOMEM;
	}
	if (s->opt.follow) {
		/* Follow mode: the bytes come from the follow (plain files). */
		*ctx = s;
		return 0;
	}
	s->f = gzopen(path, "rb");
	if (!s->f) {
		int e = errno ? -errno : -EIO;
		dnstap_close(s);
		return e;
	}
	gzbuffer(s->f, 128 * 1024);
	if (stat(path, &st) == 0)
		s->size = (uint64_t)st.st_size;
	*ctx = s;
	return 0;
}

/* fill() in follow mode: the bytes are not there yet. */
#define FILL_LATER 2

/* Makes at least n bytes available at buf + start. Returns 1, 0 when the
 * file ends first, FILL_LATER when a followed file has no more now, or a
 * negative code. */
static int fill(struct dnstap_src *s, size_t n)
{
	while (s->end - s->start < n) {
		if (s->eof)
			return 0;
		if (s->cap - s->start < n || s->cap - s->end < READ_CHUNK / 4) {
			memmove(s->buf, s->buf + s->start, s->end - s->start);
			s->end -= s->start;
			s->start = 0;
		}
		if (s->opt.follow) {
			long more = follow_read(s->opt.follow, s->buf + s->end, s->cap - s->end);
			if (more <= 0)
				return more < 0 ? (int)more : FILL_LATER;
			s->end += (size_t)more;
			continue;
		}
		int got = gzread(s->f, s->buf + s->end, (unsigned)(s->cap - s->end));
		if (got < 0)
			return DH_EFORMAT;
		if (got == 0)
			s->eof = 1;
		s->end += (size_t)got;
	}
	return 1;
}

static int dnstap_next(void *ctx, struct ev_event *ev)
{
	struct dnstap_src *s = ctx;

	for (;;) {
		if (s->stopped)
			return 0;
		int r = fill(s, 4);
		if (r < 0 || r == FILL_LATER)
			return r < 0 ? r : 0;
		if (r == 0)
			return s->end == s->start ? 0 : DH_ETRUNC;
		uint32_t len = dh_be32(s->buf + s->start);
		int control = len == 0;
		size_t hdr = 4;
		if (control) {
			r = fill(s, 8);
			if (r == FILL_LATER)
				return 0;
			if (r <= 0)
				return r < 0 ? r : DH_ETRUNC;
			len = dh_be32(s->buf + s->start + 4);
			hdr = 8;
		}
		if (len > FSTRM_FRAME_MAX)
			return DH_EMALFORMED;
		r = fill(s, hdr + len);
		if (r == FILL_LATER)
			return 0;
		if (r <= 0)
			return r < 0 ? r : DH_ETRUNC;
		const uint8_t *p = s->buf + s->start + hdr;
		s->start += hdr + len;
		s->consumed += hdr + len;
		s->frames++;
		if (control) {
			int type = fstrm_control_parse(p, len);
			if (type < 0)
				return type;
			/* A followed file may go on after STOP: the writer
			 * reopened it, or a rotation brings a new START. */
			if (type == FSTRM_CONTROL_STOP && !s->opt.follow)
				s->stopped = 1;
			continue;
		}
		if (s->opt.observer)
			snprintf(ev->observer, sizeof(ev->observer), "%s", s->opt.observer);
		int e = dnstap_decode(p, len, ev);
		if (s->opt.observer && !ev->observer[0])
			snprintf(ev->observer, sizeof(ev->observer), "%s", s->opt.observer);
		if (e == DH_ENOTDNS) {
			s->skipped++;
			continue;
		}
		if (e != 0 && e != DH_ETRUNC) {
			s->malformed++;
			src__report_bad(&s->opt, s->path, "frame", s->frames, e);
			continue;
		}
		if (e == DH_ETRUNC || ev->msg.err) {
			s->malformed++;
			src__report_bad(&s->opt, s->path, "frame", s->frames, e ? e : ev->msg.err);
			if (e)
				continue;
		}
		s->events++;
		return 1;
	}
}

static void dnstap_stats(void *ctx, struct src_stats *st)
{
	struct dnstap_src *s = ctx;

	st->records = s->frames;
	st->messages = s->events + s->malformed;
	st->events = s->events;
	st->malformed = s->malformed;
	st->skipped = s->skipped;
	st->bytes = s->f ? (uint64_t)gzoffset(s->f) : s->consumed;
	st->size = s->size;
}

const struct src_ops src_dnstap_ops = {
    .name = "dnstap",
    .probe = dnstap_probe,
    .open = dnstap_open,
    .next = dnstap_next,
    .stats = dnstap_stats,
    .close = dnstap_close,
};
