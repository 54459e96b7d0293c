/*
 * cap_frag.h - IPv4 and IPv6 fragment reassembly for the capture reader.
 *
 * Internal to the capture layer. A table holds a bounded number of
 * datagrams under reassembly, keyed as RFC 791 (IPv4: source, destination,
 * identification, protocol) and RFC 8200 section 4.5 (IPv6: source,
 * destination, identification) say. Memory is bounded by the number of
 * slots and a byte budget, a datagram is given up 30 s of capture time
 * after its first fragment, and overlapping fragments make the whole
 * datagram be dropped: overlaps are how reassembly attacks (teardrop,
 * RFC 5722 for IPv6) smuggle different data past different observers, and
 * an observer that cannot tell which copy the host kept must not guess.
 */
#ifndef DH_CAPTURE_CAP_FRAG_H
#define DH_CAPTURE_CAP_FRAG_H

#include <stddef.h>
#include <stdint.h>

#include "capture/cap.h"

/* Capture time after which an unfinished datagram is given up. */
#define CAP_FRAG_TIMEOUT_NS (30LL * 1000000000LL)
/* Concurrent reassemblies and the bytes all of them may hold. */
#define CAP_FRAG_SLOTS     64
#define CAP_FRAG_MAX_BYTES (4u * 1024u * 1024u)
/* Fragments one datagram may consist of; more is an attack, not traffic. */
#define CAP_FRAG_MAX_PIECES 64

struct cap_frag_key {
	uint8_t family; /* DH_AF_INET or DH_AF_INET6 */
	uint8_t proto;  /* IPv4 protocol; 0 for IPv6 (not part of its key) */
	uint32_t id;
	uint8_t src[16], dst[16];
};

struct cap_frag_table;

/* Returns a new table (caller frees with cap_frag_free()) or NULL when out
 * of memory. stats is borrowed and must outlive the table; the table adds
 * to its fragments-related counters. */
struct cap_frag_table *cap_frag_new(struct cap_stats *stats);

/* Frees the table and everything it holds. NULL does nothing. */
void cap_frag_free(struct cap_frag_table *t);

/*
 * Adds one fragment: len bytes of data at byte offset off of the datagram's
 * payload, more set when further fragments follow, proto the protocol (for
 * IPv6 the Next Header of the fragment header; only the offset-zero one
 * counts, as RFC 8200 says). now is the capture time in ns.
 *
 * Returns 1 when this fragment completed the datagram: *out and *outlen
 * then describe the reassembled payload and *outproto its protocol; the
 * buffer is owned by the table and valid until the next call of any
 * cap_frag function. Returns 0 when more fragments are needed, or a
 * negative code (DH_EFRAG) when the fragment or its datagram was dropped.
 */
int cap_frag_add(struct cap_frag_table *t, const struct cap_frag_key *key, size_t off,
                 const uint8_t *data, size_t len, int more, uint8_t proto, int64_t now,
                 const uint8_t **out, size_t *outlen, uint8_t *outproto);

/* Drops the datagrams whose first fragment is older than the timeout. */
void cap_frag_expire(struct cap_frag_table *t, int64_t now);

/* Drops every unfinished datagram (the end of the capture). */
void cap_frag_clear(struct cap_frag_table *t);

#endif
