/*
 * dnstap_sock.c - a Frame Streams reader on a Unix socket (see the header).
 *
 * One poll() loop serves the listening socket and every writer. Each
 * writer has a fixed buffer large enough for the largest frame accepted
 * (FSTRM_FRAME_MAX plus its header), so a connection never holds more
 * than that whatever it sends; complete frames are decoded straight from
 * the buffer (or handed to on_frame) and the rest is moved to its front. A round reads at most
 * READS_PER_ROUND times from one writer, so a busy server cannot starve
 * the others.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "source/dnstap.h"
#include "source/dnstap_sock.h"
#include "util/cursor.h"
#include "util/err.h"

#define CONN_BUF        (FSTRM_FRAME_MAX + 8)
#define CONTROL_MAX     512 /* fstrm's own limit on a control frame */
#define READS_PER_ROUND 4

enum conn_state {
	CONN_HELLO,    /* connected: READY (bidirectional) or START (unidirectional) expected */
	CONN_ACCEPTED, /* ACCEPT sent: START expected */
	CONN_DATA,     /* started: data frames or STOP */
};

struct conn {
	int fd; /* -1 = free slot */
	unsigned id;
	enum conn_state state;
	uint8_t *buf; /* from malloc(); CONN_BUF bytes */
	size_t start, end;
	uint64_t frames;
};

struct dtsock {
	int lfd;
	char *path; /* from strdup() */
	struct dtsock_options opt;
	struct dtsock_stats st;
	unsigned next_id;
	struct conn conns[DTSOCK_MAX_CONNS];
	struct pollfd pfd[DTSOCK_MAX_CONNS + 1];
	struct ev_event *ev; /* from malloc(); reused for every frame */
	int stop_rc;         /* on_event's nonzero value, returned once */
};

static void conn_close(struct dtsock *s, struct conn *c, int err, const char *why)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	s->st.open--;
	if (err)
		s->st.violations++;
	if (s->opt.on_close)
		s->opt.on_close(s->opt.ctx, c->id, err, why);
}

/* Sends a control frame. The socket is non-blocking, but a control frame
 * is tiny and the writer reads it before sending anything else, so a
 * short write means the writer is gone or broken. */
static int send_control(struct conn *c, unsigned type, const char *content_type)
{
	uint8_t frame[64];
	int n = fstrm_control_write(frame, sizeof(frame), type, content_type);
	if (n < 0)
		return n;
	ssize_t w = send(c->fd, frame, (size_t)n, MSG_NOSIGNAL);
	if (w != n)
		return w < 0 ? -errno : DH_ETRUNC;
	return 0;
}

int dtsock_decode(const struct dtsock_options *opt, struct ev_event *ev, unsigned conn,
                  uint64_t frame, const uint8_t *p, size_t len, struct dtsock_stats *st)
{
	ev_clear(ev);
	int e = dnstap_decode(p, len, ev);
	if (opt->observer && !ev->observer[0])
		snprintf(ev->observer, sizeof(ev->observer), "%s", opt->observer);
	if (e == DH_ENOTDNS) {
		st->nodns++;
		return 0;
	}
	/* A truncated or malformed DNS message inside a sound payload still
	 * makes an event (its msg.err says what is missing), as in the file
	 * reader; a payload that does not decode makes none. */
	if (e != 0 || ev->msg.err) {
		st->bad++;
		if (opt->on_bad)
			opt->on_bad(opt->ctx, conn, frame, e ? e : ev->msg.err);
		if (e)
			return 0;
	}
	st->events++;
	return opt->on_event ? opt->on_event(opt->ctx, ev) : 0;
}

static int deliver(struct dtsock *s, struct conn *c, const uint8_t *p, size_t len)
{
	s->st.frames++;
	c->frames++;
	if (s->opt.on_frame)
		return s->opt.on_frame(s->opt.ctx, c->id, c->frames, p, len);
	return dtsock_decode(&s->opt, s->ev, c->id, c->frames, p, len, &s->st);
}

/* Handles one control frame. Returns 0 to go on, 1 when the connection
 * was closed. */
static int control(struct dtsock *s, struct conn *c, const uint8_t *p, size_t len)
{
	int type = fstrm_control_parse(p, len);
	int e;

	if (type < 0) {
		conn_close(s, c, type,
		           type == DH_EFORMAT
		               ? "control frame names a content type other than dnstap"
		               : "malformed control frame");
		return 1;
	}
	switch (type) {
	case FSTRM_CONTROL_READY:
		if (c->state != CONN_HELLO)
			break;
		e = send_control(c, FSTRM_CONTROL_ACCEPT, DNSTAP_CONTENT_TYPE);
		if (e != 0) {
			conn_close(s, c, e, "cannot send ACCEPT");
			return 1;
		}
		c->state = CONN_ACCEPTED;
		return 0;
	case FSTRM_CONTROL_START:
		if (c->state == CONN_DATA)
			break;
		c->state = CONN_DATA;
		return 0;
	case FSTRM_CONTROL_STOP:
		if (c->state != CONN_DATA)
			break;
		/* A unidirectional writer never reads; FINISH to it may fail,
		 * which changes nothing: the stream ended cleanly. */
		send_control(c, FSTRM_CONTROL_FINISH, NULL);
		conn_close(s, c, 0, "STOP received, FINISH sent");
		return 1;
	default:
		break;
	}
	static const char *const names[] = {"?", "ACCEPT", "START", "STOP", "READY", "FINISH"};
	static const char *const states[] = {"before READY", "before START", "after START"};
	char why[80];
	snprintf(why, sizeof(why), "unexpected %s control frame %s", names[type], states[c->state]);
	conn_close(s, c, DH_EMALFORMED, why);
	return 1;
}

/* Decodes every complete frame in the buffer. Returns 0 to go on, 1 when
 * the connection was closed, or on_event's nonzero value (negated into
 * stop_rc by the caller). */
static int process(struct dtsock *s, struct conn *c)
{
	int rc = 0;

	while (c->end - c->start >= 4) {
		const uint8_t *p = c->buf + c->start;
		size_t have = c->end - c->start;
		uint32_t len = dh_be32(p);
		if (len == 0) {
			if (have < 8)
				break;
			uint32_t clen = dh_be32(p + 4);
			if (clen < 4 || clen > CONTROL_MAX) {
				conn_close(s, c, DH_EMALFORMED,
				           "control frame length out of range");
				return 1;
			}
			if (have < 8 + (size_t)clen)
				break;
			c->start += 8 + (size_t)clen;
			if (control(s, c, p + 8, clen))
				return 1;
			continue;
		}
		if (c->state != CONN_DATA) {
			conn_close(s, c, DH_EMALFORMED, "data frame before START");
			return 1;
		}
		if (len > FSTRM_FRAME_MAX) {
			conn_close(s, c, DH_EMALFORMED, "data frame longer than the 256 KiB limit");
			return 1;
		}
		if (have < 4 + (size_t)len)
			break;
		c->start += 4 + (size_t)len;
		rc = deliver(s, c, p + 4, len);
		if (rc != 0)
			break;
	}
	if (c->start > 0) {
		memmove(c->buf, c->buf + c->start, c->end - c->start);
		c->end -= c->start;
		c->start = 0;
	}
	if (rc != 0)
		s->stop_rc = rc;
	return rc;
}

/* Reads what the writer sent, up to max_reads reads (0: until it would
 * block), and decodes it. */
static void conn_read(struct dtsock *s, struct conn *c, int max_reads)
{
	for (int i = 0; c->fd >= 0 && (max_reads == 0 || i < max_reads); i++) {
		ssize_t n = read(c->fd, c->buf + c->end, CONN_BUF - c->end);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				conn_close(s, c, -errno, "read failed");
			return;
		}
		if (n == 0) {
			if (c->end > c->start)
				conn_close(s, c, DH_ETRUNC, "writer closed inside a frame");
			else
				conn_close(s, c, 0,
				           c->state == CONN_DATA ? "writer closed without STOP"
				                                 : "writer closed before START");
			return;
		}
		c->end += (size_t)n;
		s->st.bytes += (uint64_t)n;
		if (process(s, c) != 0 || s->stop_rc)
			return;
	}
}

static void accept_all(struct dtsock *s)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or a connection that went away */
		struct conn *c = NULL;
		for (size_t i = 0; i < DTSOCK_MAX_CONNS; i++) {
			if (s->conns[i].fd < 0) {
				c = &s->conns[i];
				break;
			}
		}
		uint8_t *buf = c ? malloc(CONN_BUF) : NULL;
		if (!buf) {
			close(fd);
			s->st.refused++;
			continue;
		}
		c->fd = fd;
		c->id = ++s->next_id;
		c->state = CONN_HELLO;
		c->buf = buf;
		c->start = c->end = 0;
		c->frames = 0;
		s->st.connections++;
		s->st.open++;
	}
}

int dtsock_new(struct dtsock **out, const char *path, const struct dtsock_options *opt)
{
	struct sockaddr_un sa;
	struct stat st;
	struct dtsock *s = NULL;
	int rc;

	if (!out || !path || !path[0])
		return DH_EUSAGE;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	/* Replace a socket left by an earlier run, never a regular file and
	 * never the socket of a listener still running (it accepts). */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return DH_EEXIST;
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe < 0)
			return -errno;
		int alive = connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(probe);
		if (alive)
			return DH_EEXIST;
		if (unlink(path) != 0)
			return -errno;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->lfd = -1;
	for (size_t i = 0; i < DTSOCK_MAX_CONNS; i++)
		s->conns[i].fd = -1;
	if (opt)
		s->opt = *opt;
	s->path = strdup(path);
	s->ev = malloc(sizeof(*s->ev));
	if (!s->path || !s->ev) {
		rc = -ENOMEM;
		goto fail;
	}
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0) {
		rc = -errno;
		goto fail;
	}
	if (bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = -errno;
		goto fail;
	}
	if (listen(s->lfd, DTSOCK_MAX_CONNS) != 0) {
		rc = -errno;
		unlink(path);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	if (s->lfd >= 0)
		close(s->lfd);
	free(s->ev);
	free(s->path);
	free(s);
	return rc;
}

int dtsock_run(struct dtsock *s, int timeout_ms)
{
	struct conn *which[DTSOCK_MAX_CONNS];
	nfds_t n = 1;

	s->pfd[0].fd = s->lfd;
	s->pfd[0].events = POLLIN;
	for (size_t i = 0; i < DTSOCK_MAX_CONNS; i++) {
		if (s->conns[i].fd < 0)
			continue;
		s->pfd[n].fd = s->conns[i].fd;
		s->pfd[n].events = POLLIN;
		which[n - 1] = &s->conns[i];
		n++;
	}
	int k = poll(s->pfd, n, timeout_ms);
	if (k < 0)
		return errno == EINTR ? 0 : -errno;
	for (nfds_t i = 1; i < n; i++) {
		if (s->pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
			conn_read(s, which[i - 1], READS_PER_ROUND);
		if (s->stop_rc)
			break;
	}
	if (s->pfd[0].revents & POLLIN)
		accept_all(s);
	else if (s->pfd[0].revents & (POLLERR | POLLNVAL))
		return -EIO;
	int rc = s->stop_rc;
	s->stop_rc = 0;
	return rc;
}

int dtsock_drain(struct dtsock *s)
{
	for (size_t i = 0; i < DTSOCK_MAX_CONNS && !s->stop_rc; i++)
		if (s->conns[i].fd >= 0)
			conn_read(s, &s->conns[i], 0);
	int rc = s->stop_rc;
	s->stop_rc = 0;
	return rc;
}

void dtsock_stats(const struct dtsock *s, struct dtsock_stats *st)
{
	*st = s->st;
}

void dtsock_free(struct dtsock *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < DTSOCK_MAX_CONNS; i++) {
		if (s->conns[i].fd >= 0) {
			close(s->conns[i].fd);
			free(s->conns[i].buf);
		}
	}
	if (s->lfd >= 0) {
		close(s->lfd);
		unlink(s->path);
	}
	free(s->ev);
	free(s->path);
	free(s);
}
