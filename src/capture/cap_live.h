/*
 * cap_live.h - DNS messages captured live from a network interface.
 *
 * A cap_live opens an interface with libpcap, installs a BPF filter (by
 * default the watched ports, so the kernel drops everything else before
 * it is copied to us) and hands every captured frame to the same frame
 * decoder the file reader uses (cap_frame.h): the messages are the same
 * as those of a capture file of the same traffic.
 *
 * Reading never blocks longer than the caller's timeout, so a command can
 * look at its stop flag between reads and stop promptly on a signal.
 */
#ifndef DH_CAPTURE_CAP_LIVE_H
#define DH_CAPTURE_CAP_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "capture/cap.h"

/* libpcap's error text is at most PCAP_ERRBUF_SIZE (256) bytes. */
#define CAP_LIVE_ERR_MAX 256

struct cap_live_options {
	const char *iface;  /* borrowed for the call: interface name, e.g. "eth0" or "lo" */
	const char *filter; /* borrowed for the call: BPF text; NULL = the watched ports */
	unsigned snaplen;   /* bytes kept per frame; 0 = 65535 (whole frames, so TCP works) */
	unsigned buffer_mb; /* kernel ring size in MiB; 0 = 32 MiB (see cap_live.c) */
	struct cap_options cap;
};

struct cap_live_stats {
	uint64_t packets;      /* frames handed to us by libpcap */
	uint64_t kernel_drops; /* pcap_stats ps_drop: dropped for lack of buffer space */
	uint64_t if_drops;     /* pcap_stats ps_ifdrop: dropped by the interface */
};

struct cap_live;

/*
 * Opens and activates the capture. Returns 0 and *out (caller frees with
 * cap_live_free()), DH_EUSAGE for a missing interface name, -EPERM when
 * capturing is not permitted (not root, no CAP_NET_RAW), -ENODEV for an
 * unknown interface, DH_EMALFORMED for a filter libpcap refuses, or
 * another negative code. On failure libpcap's explanation, if any, is
 * copied into err[0..errlen) (may be NULL).
 */
int cap_live_open(struct cap_live **out, const struct cap_live_options *opt, char *err,
                  size_t errlen);

/*
 * Waits at most timeout_ms for the next DNS message. Returns 1 and fills
 * *msg (msg->data borrowed until the next call), 0 when none came in time
 * (or, after cap_live_finish(), when nothing is left), or a negative code
 * when the capture broke (the interface went away).
 */
int cap_live_next(struct cap_live *l, struct cap_dns *msg, int timeout_ms);

/* Stops reading from the interface and queues what TCP reassembly still
 * holds; take it with cap_live_next() until it returns 0. */
void cap_live_finish(struct cap_live *l);

/* Fills *st with libpcap's counters (kernel drops as of now). */
void cap_live_stats(struct cap_live *l, struct cap_live_stats *st);

/* Borrowed pointer to the decoder's counters (not DNS, bad frames ...). */
const struct cap_stats *cap_live_decoder_stats(const struct cap_live *l);

/* Closes the capture. NULL does nothing. */
void cap_live_free(struct cap_live *l);

#endif
