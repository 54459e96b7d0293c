/*
 * capw.c - the capture tests' writer and packet builder (see capw.h).
 */
#include "capw.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

static void die(const char *what)
{
	fprintf(stderr, "capw: %s\n", what);
	abort();
}

void capw_init(struct capw *w)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
}

void capw_release(struct capw *w)
{
	free(w->buf);
	if (w->fd >= 0)
		close(w->fd);
	capw_init(w);
}

void capw_bytes(struct capw *w, const void *p, size_t n)
{
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		while (cap < w->len + n)
			cap *= 2;
		uint8_t *b = realloc(w->buf, cap);
		if (!b)
			die("out of memory");
		w->buf = b;
		w->cap = cap;
	}
	if (n)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void capw_u16(struct capw *w, uint16_t v)
{
	uint8_t b[2];

	if (w->big) {
		b[0] = (uint8_t)(v >> 8);
		b[1] = (uint8_t)v;
	} else {
		b[0] = (uint8_t)v;
		b[1] = (uint8_t)(v >> 8);
	}
	capw_bytes(w, b, 2);
}

void capw_u32(struct capw *w, uint32_t v)
{
	if (w->big) {
		capw_u16(w, (uint16_t)(v >> 16));
		capw_u16(w, (uint16_t)v);
	} else {
		capw_u16(w, (uint16_t)v);
		capw_u16(w, (uint16_t)(v >> 16));
	}
}

static void capw_pad4(struct capw *w, size_t n)
{
	static const uint8_t zero[4];

	capw_bytes(w, zero, (4 - n % 4) % 4);
}

void capw_pcap_header(struct capw *w, int big, int nsec, uint32_t linktype)
{
	w->big = big;
	capw_u32(w, nsec ? 0xa1b23c4du : 0xa1b2c3d4u);
	capw_u16(w, 2);
	capw_u16(w, 4);
	capw_u32(w, 0);
	capw_u32(w, 0);
	capw_u32(w, 262144);
	capw_u32(w, linktype);
}

void capw_pcap_record(struct capw *w, uint32_t sec, uint32_t frac, const uint8_t *frame,
                      size_t caplen, size_t origlen)
{
	capw_u32(w, sec);
	capw_u32(w, frac);
	capw_u32(w, (uint32_t)caplen);
	capw_u32(w, (uint32_t)origlen);
	capw_bytes(w, frame, caplen);
}

void capw_ng_block(struct capw *w, uint32_t type, const uint8_t *body, size_t len)
{
	uint32_t total = (uint32_t)(12 + len + (4 - len % 4) % 4);

	capw_u32(w, type);
	capw_u32(w, total);
	capw_bytes(w, body, len);
	capw_pad4(w, len);
	capw_u32(w, total);
}

void capw_ng_shb(struct capw *w, int big)
{
	w->big = big;
	capw_u32(w, 0x0a0d0d0au);
	capw_u32(w, 28);
	capw_u32(w, 0x1a2b3c4du);
	capw_u16(w, 1);
	capw_u16(w, 0);
	capw_u32(w, 0xffffffffu); /* section length unknown */
	capw_u32(w, 0xffffffffu);
	capw_u32(w, 28);
}

void capw_ng_idb(struct capw *w, uint16_t linktype, uint32_t snaplen, int tsresol, int64_t tsoffset)
{
	uint32_t total = 20 + (tsresol >= 0 ? 8 : 0) + (tsoffset ? 12 : 0) + 4;

	capw_u32(w, 1);
	capw_u32(w, total);
	capw_u16(w, linktype);
	capw_u16(w, 0);
	capw_u32(w, snaplen);
	if (tsresol >= 0) {
		uint8_t v = (uint8_t)tsresol;
		capw_u16(w, 9);
		capw_u16(w, 1);
		capw_bytes(w, &v, 1);
		capw_pad4(w, 1);
	}
	if (tsoffset) {
		uint64_t u = (uint64_t)tsoffset;
		capw_u16(w, 14);
		capw_u16(w, 8);
		if (w->big) {
			capw_u32(w, (uint32_t)(u >> 32));
			capw_u32(w, (uint32_t)u);
		} else {
			capw_u32(w, (uint32_t)u);
			capw_u32(w, (uint32_t)(u >> 32));
		}
	}
	capw_u16(w, 0); /* opt_endofopt */
	capw_u16(w, 0);
	capw_u32(w, total);
}

void capw_ng_epb(struct capw *w, uint32_t ifid, uint64_t ts, const uint8_t *frame, size_t caplen,
                 size_t origlen)
{
	uint32_t total = (uint32_t)(32 + caplen + (4 - caplen % 4) % 4);

	capw_u32(w, 6);
	capw_u32(w, total);
	capw_u32(w, ifid);
	capw_u32(w, (uint32_t)(ts >> 32));
	capw_u32(w, (uint32_t)ts);
	capw_u32(w, (uint32_t)caplen);
	capw_u32(w, (uint32_t)origlen);
	capw_bytes(w, frame, caplen);
	capw_pad4(w, caplen);
	capw_u32(w, total);
}

void capw_ng_spb(struct capw *w, const uint8_t *frame, size_t len)
{
	uint32_t total = (uint32_t)(16 + len + (4 - len % 4) % 4);

	capw_u32(w, 3);
	capw_u32(w, total);
	capw_u32(w, (uint32_t)len);
	capw_bytes(w, frame, len);
	capw_pad4(w, len);
	capw_u32(w, total);
}

void capw_ng_pb(struct capw *w, uint16_t ifid, uint64_t ts, const uint8_t *frame, size_t len)
{
	uint32_t total = (uint32_t)(32 + len + (4 - len % 4) % 4);

	capw_u32(w, 2);
	capw_u32(w, total);
	capw_u16(w, ifid);
	capw_u16(w, 0);
	capw_u32(w, (uint32_t)(ts >> 32));
	capw_u32(w, (uint32_t)ts);
	capw_u32(w, (uint32_t)len);
	capw_u32(w, (uint32_t)len);
	capw_bytes(w, frame, len);
	capw_pad4(w, len);
	capw_u32(w, total);
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k <= 0)
			die("write failed");
		p += k;
		n -= (size_t)k;
	}
}

const char *capw_path(struct capw *w, int gzip)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = memfd_create("capw", MFD_CLOEXEC);
	if (w->fd < 0)
		die("memfd_create failed");
	if (gzip) {
		z_stream z;
		uLong bound = compressBound((uLong)w->len) + 64;
		uint8_t *out = malloc(bound);
		memset(&z, 0, sizeof(z));
		/* windowBits 15 + 16 asks zlib for a gzip wrapper. */
		if (!out || deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			die("deflateInit2 failed");
		z.next_in = w->buf;
		z.avail_in = (uInt)w->len;
		z.next_out = out;
		z.avail_out = (uInt)bound;
		if (deflate(&z, Z_FINISH) != Z_STREAM_END)
			die("deflate failed");
		write_all(w->fd, out, z.total_out);
		deflateEnd(&z);
		free(out);
	} else {
		write_all(w->fd, w->buf, w->len);
	}
	snprintf(w->path, sizeof(w->path), "/proc/self/fd/%d", w->fd);
	return w->path;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

size_t pkt_udp(uint8_t *out, uint16_t sport, uint16_t dport, const uint8_t *pl, size_t n)
{
	put16(out, sport);
	put16(out + 2, dport);
	put16(out + 4, (uint16_t)(8 + n));
	put16(out + 6, 0);
	memcpy(out + 8, pl, n);
	return 8 + n;
}

size_t pkt_tcp_ack(uint8_t *out, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                   uint8_t flags, const uint8_t *pl, size_t n)
{
	memset(out, 0, 20);
	put16(out, sport);
	put16(out + 2, dport);
	put32(out + 4, seq);
	put32(out + 8, ack);
	out[12] = 5 << 4;
	out[13] = flags;
	put16(out + 14, 65535);
	if (n)
		memcpy(out + 20, pl, n);
	return 20 + n;
}

size_t pkt_tcp(uint8_t *out, uint16_t sport, uint16_t dport, uint32_t seq, uint8_t flags,
               const uint8_t *pl, size_t n)
{
	return pkt_tcp_ack(out, sport, dport, seq, 1, flags | 0x10, pl, n);
}

size_t pkt_ip4(uint8_t *out, const char *src, const char *dst, uint8_t proto, uint16_t id,
               uint16_t fragoff, size_t optlen, const uint8_t *l4, size_t n)
{
	size_t hl = 20 + optlen;

	memset(out, 0, hl);
	out[0] = (uint8_t)(0x40 | (hl / 4));
	put16(out + 2, (uint16_t)(hl + n));
	put16(out + 4, id);
	put16(out + 6, fragoff);
	out[8] = 64;
	out[9] = proto;
	if (inet_pton(AF_INET, src, out + 12) != 1 || inet_pton(AF_INET, dst, out + 16) != 1)
		die("bad IPv4 address");
	for (size_t i = 0; i < optlen; i++)
		out[20 + i] = 1; /* NOP options */
	memcpy(out + hl, l4, n);
	return hl + n;
}

size_t pkt_ip6(uint8_t *out, const char *src, const char *dst, uint8_t nh, const uint8_t *ext,
               size_t extlen, const uint8_t *l4, size_t n)
{
	memset(out, 0, 40);
	out[0] = 0x60;
	put16(out + 4, (uint16_t)(extlen + n));
	out[6] = nh;
	out[7] = 64;
	if (inet_pton(AF_INET6, src, out + 8) != 1 || inet_pton(AF_INET6, dst, out + 24) != 1)
		die("bad IPv6 address");
	if (extlen)
		memcpy(out + 40, ext, extlen);
	memcpy(out + 40 + extlen, l4, n);
	return 40 + extlen + n;
}

size_t pkt_eth(uint8_t *out, const uint16_t *tags, unsigned ntags, uint16_t ethertype,
               const uint8_t *ip, size_t n)
{
	size_t o = 12;

	for (size_t i = 0; i < 12; i++)
		out[i] = (uint8_t)(i + 1);
	for (unsigned i = 0; i < ntags; i++) {
		put16(out + o, tags[i]);
		put16(out + o + 2, (uint16_t)(100 + i));
		o += 4;
	}
	put16(out + o, ethertype);
	o += 2;
	memcpy(out + o, ip, n);
	return o + n;
}

void pkt_dns(uint8_t *out, size_t n, uint16_t id)
{
	memset(out, 0, n);
	put16(out, id);
	put16(out + 2, 0x0100);
	put16(out + 4, 1);
	for (size_t i = 12; i < n; i++)
		out[i] = (uint8_t)(i * 7 + id);
}
