/*
 * cap_tcp.h - DNS over TCP stream reassembly for the capture reader.
 *
 * Internal to the capture layer. Each direction of a connection is a flow
 * of its own (source, destination, source port, destination port). A flow
 * puts segments back in sequence order (RFC 9293 sequence space, which
 * wraps at 2^32), ignores data it already has, buffers a bounded amount
 * arriving early, and cuts the stream into DNS messages by the 2-byte
 * length prefix of RFC 1035 section 4.2.2 (RFC 7766 section 8: several
 * messages may share a segment, one message may span several).
 *
 * A stream whose start was not captured (no SYN), or that lost bytes the
 * capture never saw, is resynchronised: the flow tries each segment start
 * as the start of a message and takes the first whose length prefixes and
 * DNS headers are plausible and frame the data that follows. A hole is
 * given up when the receiver acknowledged the bytes in it (so the capture,
 * not the network, lost them), when CAP_TCP_MAX_OOO segments wait behind
 * it, or when it is older than CAP_TCP_HOLE_NS of capture time.
 *
 * All memory is bounded: the number of flows, the bytes each flow may hold
 * in order and out of order, and the bytes of all flows together. A flow
 * idle for CAP_TCP_IDLE_NS of capture time, or closed by FIN or RST, is
 * released; what an idle flow still holds complete is handed out first.
 */
#ifndef DH_CAPTURE_CAP_TCP_H
#define DH_CAPTURE_CAP_TCP_H

#include <stddef.h>
#include <stdint.h>

#include "capture/cap.h"

/* RFC 7766 section 6.2.3 suggests servers close idle connections after
 * seconds; a minute of capture time without a segment means the flow is
 * gone or its end was not captured. */
#define CAP_TCP_IDLE_NS   (60LL * 1000000000LL)
#define CAP_TCP_MAX_FLOWS 8192
/* Out-of-order segments one flow may hold before its hole is given up. */
#define CAP_TCP_MAX_OOO       32
#define CAP_TCP_MAX_OOO_BYTES (128u * 1024u)
/* All flows together: in-order buffers plus out-of-order segments. */
#define CAP_TCP_MAX_BYTES (64u * 1024u * 1024u)
/* A hole nothing fills for this long was lost by the capture. A sender
 * retransmits after its retransmission timeout, at least 1 s by RFC 6298
 * section 2.4 (200 ms on Linux); 2 s allows one back-off. */
#define CAP_TCP_HOLE_NS (2LL * 1000000000LL)
/* Segment ends a flow remembers in its buffer: the times its messages
 * carry, and out of step the segment starts tried as message starts. */
#define CAP_TCP_MAX_MARKS 32

enum {
	CAP_TCP_FIN = 0x01,
	CAP_TCP_SYN = 0x02,
	CAP_TCP_RST = 0x04,
	CAP_TCP_ACK = 0x10, /* ack is valid */
};

struct cap_tcp_seg {
	struct dh_addr src, dst;
	uint16_t sport, dport;
	uint32_t seq;
	uint32_t ack;        /* acknowledgment number, with CAP_TCP_ACK */
	uint8_t flags;       /* CAP_TCP_* */
	const uint8_t *data; /* borrowed for the call */
	size_t len;
	int64_t ts_ns;
	uint64_t packet_no;
};

struct cap_tcp_table;

/* Returns a new table (caller frees with cap_tcp_free()) or NULL. stats is
 * borrowed and must outlive the table. */
struct cap_tcp_table *cap_tcp_new(struct cap_stats *stats);

/* Frees every flow and the table. NULL does nothing. */
void cap_tcp_free(struct cap_tcp_table *t);

/* Feeds one segment of a watched port. The messages it completes are then
 * taken with cap_tcp_next(); the ones not taken before the next call stay
 * in the flow and come out later. seg->data is borrowed until
 * cap_tcp_next() returns 0 or the next cap_tcp_segment() or
 * cap_tcp_finish(), whichever comes first: messages may point into it. */
void cap_tcp_segment(struct cap_tcp_table *t, const struct cap_tcp_seg *seg);

/* Copies whatever the table still borrows from the last segment's data,
 * so that its frame may go away without the messages being taken. */
void cap_tcp_detach(struct cap_tcp_table *t);

/* Fills *msg with the next complete message and returns 1, or returns 0.
 * msg->data points into a buffer of the table or into the segment's data,
 * valid until the next call of any cap_tcp function. */
int cap_tcp_next(struct cap_tcp_table *t, struct cap_dns *msg);

/* Starts the end-of-capture flush: from now on cap_tcp_next() goes through
 * every flow, gives up its holes (counted in tcp_gaps), hands out the
 * complete messages it still holds and releases it. */
void cap_tcp_finish(struct cap_tcp_table *t);

#endif
