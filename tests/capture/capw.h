/*
 * capw.h - a tiny capture writer and packet builder for the capture tests.
 *
 * Builds pcap and pcapng files in memory, byte by byte as the formats
 * define them, and packets from the link layer down to a payload, so that
 * each test states exactly the bytes the reader sees. Test code only:
 * allocation failures abort.
 */
#ifndef DH_TESTS_CAPW_H
#define DH_TESTS_CAPW_H

#include <stddef.h>
#include <stdint.h>

struct capw {
	uint8_t *buf; /* from malloc(), freed by capw_release() */
	size_t len, cap;
	int big; /* write multi-byte fields big-endian */
	int fd;  /* memfd behind capw_path(), or -1 */
	char path[64];
};

void capw_init(struct capw *w);
void capw_release(struct capw *w);
void capw_bytes(struct capw *w, const void *p, size_t n);
void capw_u16(struct capw *w, uint16_t v);
void capw_u32(struct capw *w, uint32_t v);

/* Classic pcap: file header, then records. */
void capw_pcap_header(struct capw *w, int big, int nsec, uint32_t linktype);
void capw_pcap_record(struct capw *w, uint32_t sec, uint32_t frac, const uint8_t *frame,
                      size_t caplen, size_t origlen);

/* pcapng blocks. tsresol < 0 leaves the option out; so does tsoffset 0. */
void capw_ng_shb(struct capw *w, int big);
void capw_ng_idb(struct capw *w, uint16_t linktype, uint32_t snaplen, int tsresol,
                 int64_t tsoffset);
void capw_ng_epb(struct capw *w, uint32_t ifid, uint64_t ts, const uint8_t *frame, size_t caplen,
                 size_t origlen);
void capw_ng_spb(struct capw *w, const uint8_t *frame, size_t len);
void capw_ng_pb(struct capw *w, uint16_t ifid, uint64_t ts, const uint8_t *frame, size_t len);
void capw_ng_block(struct capw *w, uint32_t type, const uint8_t *body, size_t len);

/* Writes the bytes to a memfd and returns a path that opens it (owned by
 * w, valid until capw_release()). gzip compresses them first. */
const char *capw_path(struct capw *w, int gzip);

/* Packet building. Each returns the length written into out (which holds
 * at least 70000 bytes). */
size_t pkt_udp(uint8_t *out, uint16_t sport, uint16_t dport, const uint8_t *pl, size_t n);
/* TCP with the ACK flag and acknowledgment number 1. */
size_t pkt_tcp(uint8_t *out, uint16_t sport, uint16_t dport, uint32_t seq, uint8_t flags,
               const uint8_t *pl, size_t n);
/* TCP with exactly the given flags (0x10 is ACK) and acknowledgment. */
size_t pkt_tcp_ack(uint8_t *out, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                   uint8_t flags, const uint8_t *pl, size_t n);
/* IPv4 header (with optlen bytes of options, a multiple of 4) around a
 * transport segment; fragoff is the raw flags-and-offset field. */
size_t pkt_ip4(uint8_t *out, const char *src, const char *dst, uint8_t proto, uint16_t id,
               uint16_t fragoff, size_t optlen, const uint8_t *l4, size_t n);
/* IPv6 header; ext/extlen are extension headers placed before l4 (their
 * Next Header chain already filled in by the caller), nh the first. */
size_t pkt_ip6(uint8_t *out, const char *src, const char *dst, uint8_t nh, const uint8_t *ext,
               size_t extlen, const uint8_t *l4, size_t n);
/* Ethernet with ntags VLAN tag types from tags[] before ethertype. */
size_t pkt_eth(uint8_t *out, const uint16_t *tags, unsigned ntags, uint16_t ethertype,
               const uint8_t *ip, size_t n);

/* A DNS-looking payload of n bytes (n >= 12), id in the first two. */
void pkt_dns(uint8_t *out, size_t n, uint16_t id);

#endif
