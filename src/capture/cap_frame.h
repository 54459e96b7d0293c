/*
 * cap_frame.h - decoding one captured frame down to DNS payloads.
 *
 * Internal to the capture layer, exposed so that tests and the
 * fuzz_link_frame target can drive the per-frame step without a file. A
 * cap_frame strips the link layer of one frame, then IPv4 or IPv6 (with
 * options, extension headers and fragment reassembly), then UDP or TCP,
 * and queues the DNS messages the frame completes. It keeps the fragment
 * and TCP state between frames and counts every frame it cannot use.
 */
#ifndef DH_CAPTURE_CAP_FRAME_H
#define DH_CAPTURE_CAP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "capture/cap.h"

/* Link-layer types (LINKTYPE_* of the pcap and pcapng formats; a few have
 * other DLT_* numbers on some systems, handled as the same type). */
enum {
	CAP_LINK_NULL = 0,
	CAP_LINK_EN10MB = 1,
	CAP_LINK_RAW_BSD = 12, /* DLT_RAW on most BSDs */
	CAP_LINK_RAW_OPENBSD = 14,
	CAP_LINK_RAW = 101,
	CAP_LINK_LOOP = 108,
	CAP_LINK_LINUX_SLL = 113,
	CAP_LINK_USER2 = 149, /* macOS writes its DLT_PKTAP as this */
	CAP_LINK_IPV4 = 228,
	CAP_LINK_IPV6 = 229,
	CAP_LINK_PKTAP = 258, /* Apple's PKTAP header before a packet */
	CAP_LINK_LINUX_SLL2 = 276,
};

struct cap_frame;

/* Returns 0 and *out (caller frees with cap_frame_free()), DH_EUSAGE for a
 * NULL out, or -ENOMEM. opt is copied; it may be NULL (port 53). */
int cap_frame_new(struct cap_frame **out, const struct cap_options *opt);

/* Frees the decoder and all its state. NULL does nothing. */
void cap_frame_free(struct cap_frame *f);

/*
 * Decodes one frame of the given link type: caplen bytes were captured of
 * a frame origlen bytes long, at ts_ns ns since the epoch; packet_no is its
 * 1-based number in the capture. frame is borrowed: messages point into
 * it, so it must stay valid until cap_frame_next() returns 0 or the next
 * cap_frame_decode() or cap_frame_finish(), whichever comes first. Messages
 * the frame completes are taken with cap_frame_next() before the next
 * frame; any left over are dropped (UDP) or kept in their flow (TCP).
 */
void cap_frame_decode(struct cap_frame *f, int linktype, const uint8_t *frame, size_t caplen,
                      size_t origlen, int64_t ts_ns, uint64_t packet_no);

/* Fills *msg with the next queued message and returns 1, or returns 0.
 * msg->data is borrowed: it points into the frame or into the decoder and
 * stays valid until the next cap_frame_decode() or cap_frame_next(). */
int cap_frame_next(struct cap_frame *f, struct cap_dns *msg);

/* The end of the capture: unfinished fragments are dropped and what TCP
 * reassembly holds is queued, complete messages only. Take it with
 * cap_frame_next() until it returns 0. */
void cap_frame_finish(struct cap_frame *f);

/* Borrowed pointer to the decoder's counters; the file reader adds its own
 * (packets, bytes, file_size) to the same struct. */
struct cap_stats *cap_frame_stats(struct cap_frame *f);

#endif
