/*
 * cap.h - reading DNS messages out of packet captures.
 *
 * A cap_reader opens a pcap or pcapng file (either byte order, micro- or
 * nanosecond timestamps, optionally gzip-compressed) and hands out one DNS
 * message at a time, with the addresses and ports it travelled between.
 * Underneath it strips the link layer (Ethernet, 802.1Q/QinQ, Linux cooked
 * v1 and v2, raw IP, BSD loopback/NULL, Apple PKTAP), IPv4 with options and IPv6 with
 * extension headers, reassembles IP fragments, and takes DNS from UDP on
 * the watched ports and from TCP streams (2-byte length prefix, several
 * messages in one segment, messages split over segments, segments out of
 * order). Nothing it reads is trusted; every packet it cannot use is
 * counted in cap_stats by reason, and reading goes on.
 *
 * The capture layer knows nothing of DNS beyond ports and the TCP length
 * prefix: the payload is handed over undecoded.
 */
#ifndef DH_CAPTURE_CAP_H
#define DH_CAPTURE_CAP_H

#include <stddef.h>
#include <stdint.h>

#include "util/addr.h"

enum { DH_TRANSPORT_UDP = 17, DH_TRANSPORT_TCP = 6 };

#define CAP_MAX_PORTS 16

struct cap_options {
	/* Ports whose UDP or TCP payload is DNS; nports == 0 means {53}. */
	uint16_t ports[CAP_MAX_PORTS];
	unsigned nports;
};

/* One DNS message found in the capture. */
struct cap_dns {
	int64_t ts_ns; /* capture time, ns since the epoch */
	struct dh_addr src, dst;
	uint16_t sport, dport;
	uint8_t transport;   /* DH_TRANSPORT_UDP or DH_TRANSPORT_TCP */
	const uint8_t *data; /* borrowed: valid until the next cap_reader_next() */
	size_t len;          /* DNS message length (without TCP's prefix) */
	uint64_t packet_no;  /* 1-based number of the packet that completed it */
};

struct cap_stats {
	uint64_t packets;          /* packets read from the file */
	uint64_t bytes;            /* bytes of the file consumed so far */
	uint64_t file_size;        /* compressed size for .gz; 0 if unknown */
	uint64_t dns_messages;     /* messages handed out */
	uint64_t not_dns;          /* packets with no payload on a watched port */
	uint64_t bad_link;         /* link layer too short or unknown */
	uint64_t bad_ip;           /* IPv4/IPv6 header malformed or truncated */
	uint64_t bad_transport;    /* UDP/TCP header malformed or truncated */
	uint64_t fragments;        /* IP fragments seen */
	uint64_t reassembled;      /* datagrams rebuilt from fragments */
	uint64_t frag_dropped;     /* fragments given up (timeout, overlap, limit) */
	uint64_t tcp_segments;     /* TCP segments with payload on a watched port */
	uint64_t tcp_gaps;         /* TCP streams abandoned with a hole */
	uint64_t truncated_caplen; /* packets cut short by the snap length */
};

struct cap_reader;

/*
 * Opens path for reading. Returns 0 and *out (caller frees with
 * cap_reader_free()), or a negative code: -errno when the file cannot be
 * opened, DH_EFORMAT when it is not a capture file. opt may be NULL.
 */
int cap_reader_open(struct cap_reader **out, const char *path, const struct cap_options *opt);

/*
 * Reads up to the next DNS message. Returns 1 and fills *msg, 0 at the end
 * of the file (after flushing what TCP reassembly still holds), or a
 * negative code when the file itself is broken beyond this point (a
 * truncated record header, a corrupt block): the caller reports it and
 * stops reading this file; messages already returned stay valid.
 */
int cap_reader_next(struct cap_reader *r, struct cap_dns *msg);

/* Borrowed pointer to the reader's running counters. */
const struct cap_stats *cap_reader_stats(const struct cap_reader *r);

/* Link-layer type of the file (DLT_* number) or of the current pcapng
 * interface. */
int cap_reader_linktype(const struct cap_reader *r);

void cap_reader_free(struct cap_reader *r);

#endif
