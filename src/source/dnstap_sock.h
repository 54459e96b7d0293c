/*
 * dnstap_sock.h - a Frame Streams reader on a Unix socket: live dnstap.
 *
 * DNS servers (BIND, Unbound, Knot Resolver, NSD, dnsdist ...) send dnstap
 * to a Unix socket as Frame Streams writers (farsightsec fstrm, the
 * protocol of its fstrm(3) manual): the writer connects and sends READY
 * naming the content types it can send; the reader answers ACCEPT naming
 * dnstap's; the writer sends START, data frames (a 32-bit big-endian
 * length and a dnstap protobuf) and finally STOP; the reader answers
 * FINISH and both close. A zero length escapes a control frame.
 *
 * The listener serves many writers at once from one poll() loop with
 * non-blocking sockets and a bounded buffer per connection. A writer that
 * breaks the protocol (a frame before START, a length beyond
 * FSTRM_FRAME_MAX, a malformed control frame, another content type) is
 * disconnected, counted and reported through on_close with the reason;
 * the listener and the other writers go on. A data frame whose dnstap
 * payload does not decode is counted as bad and skipped: its length still
 * says where the next frame starts.
 *
 * The library prints nothing; the command layer (cmd_listen.c) decides
 * what to log.
 */
#ifndef DH_SOURCE_DNSTAP_SOCK_H
#define DH_SOURCE_DNSTAP_SOCK_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"

/* Writers served at once; one more is accepted and closed at once (and
 * counted as refused), so a flood of connections costs no memory. */
#define DTSOCK_MAX_CONNS 64

struct dtsock;

struct dtsock_options {
	const char *observer; /* borrowed; put on events whose dnstap has no identity; NULL = "" */
	/* Called for every decoded event; ev is borrowed for the call only
	 * (its DNS message points into the connection's buffer). Return 0 to
	 * go on; a nonzero return stops dtsock_run(), which returns it. */
	int (*on_event)(void *ctx, struct ev_event *ev);
	/* Called when a connection ends: conn is its number (1, 2, ... in
	 * accept order), err 0 for a clean STOP/FINISH or end of stream, else
	 * the negative code of the protocol violation; why is a borrowed
	 * phrase saying what broke. May be NULL. */
	void (*on_close)(void *ctx, unsigned conn, int err, const char *why);
	/* Called for each data frame that does not decode. May be NULL. */
	void (*on_bad)(void *ctx, unsigned conn, uint64_t frame, int err);
	/* When set, data frames are handed over undecoded instead: p is
	 * borrowed for the call, frame is the frame's number on connection
	 * conn (1, 2, ...). The caller decodes them later with
	 * dtsock_decode(), on whatever thread it likes; on_event and on_bad
	 * are then called from there. Return 0 to go on; a nonzero return
	 * stops dtsock_run(), which returns it. */
	int (*on_frame)(void *ctx, unsigned conn, uint64_t frame, const uint8_t *p, size_t len);
	void *ctx;
};

struct dtsock_stats {
	uint64_t connections; /* accepted since start */
	uint64_t open;        /* open now */
	uint64_t refused;     /* closed at once: DTSOCK_MAX_CONNS were open */
	uint64_t violations;  /* connections closed for a protocol violation */
	uint64_t frames;      /* data frames received */
	uint64_t events;      /* events handed to on_event */
	uint64_t bad;         /* data frames that did not decode */
	uint64_t nodns;       /* well-formed frames without a DNS message */
	uint64_t bytes;       /* bytes read from all writers */
};

/*
 * Creates the socket at path and listens. A stale socket file there is
 * replaced; a socket some process still accepts on, or any other kind of
 * file, is left alone and DH_EEXIST returned.
 * opt is copied (its pointers are borrowed and must outlive s). Returns 0
 * and *out (free with dtsock_free()), or a negative code.
 */
int dtsock_new(struct dtsock **out, const char *path, const struct dtsock_options *opt);

/*
 * Waits up to timeout_ms (-1: forever) for activity, then accepts new
 * writers and reads and decodes what the writers sent. Returns 0 (also
 * when interrupted by a signal, so the caller can check its stop flag),
 * on_event's nonzero value, or a negative code when the listening socket
 * itself fails.
 */
int dtsock_run(struct dtsock *s, int timeout_ms);

/*
 * For a clean stop: reads whatever the writers have already sent,
 * without waiting for more, and decodes every complete frame. Returns as
 * dtsock_run().
 */
int dtsock_drain(struct dtsock *s);

/* Counters since dtsock_new(). With on_frame set, events, bad and nodns
 * stay 0 here: dtsock_decode() counts them in the caller's struct. */
void dtsock_stats(const struct dtsock *s, struct dtsock_stats *st);

/*
 * Decodes one data frame as the listener does: counts it in st->events,
 * st->bad or st->nodns, calls opt->on_bad for a frame that does not
 * decode and opt->on_event for an event (puts opt->observer on events
 * without an identity). ev is the caller's scratch event. For frames
 * taken with on_frame; touches nothing of the listener, so it may run on
 * another thread. Returns on_event's value, else 0.
 */
int dtsock_decode(const struct dtsock_options *opt, struct ev_event *ev, unsigned conn,
                  uint64_t frame, const uint8_t *p, size_t len, struct dtsock_stats *st);

/* Closes every connection and the listening socket and removes the
 * socket file. NULL does nothing. */
void dtsock_free(struct dtsock *s);

#endif
