/*
 * test_cap_reader.c - the capture reader against captures built here.
 *
 * Every case writes a small pcap or pcapng file with capw, reads it back
 * through cap_reader_open()/cap_reader_next() and checks the messages and
 * counters. The cases follow the reader's requirements one by one: link
 * types, VLAN tags, IPv4 options and fragments, IPv6 extension headers and
 * fragments, UDP ports, TCP reassembly, both file formats and byte orders,
 * timestamps, broken files and gzip.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture/cap.h"
#include "capture/cap_frame.h"
#include "capture/cap_reader.h"
#include "capw.h"
#include "util/err.h"

#define MAX_GOT 64

/* Every case runs twice: reading through the buffer and the mapping. */
static int read_mode = CAP_READ_BUFFERED;

struct got {
	int n;
	struct cap_dns m[MAX_GOT];
	uint8_t *data[MAX_GOT]; /* copies, freed by got_release() */
	int rc_end;
	int linktype;
	struct cap_stats st;
};

static void got_release(struct got *g)
{
	for (int i = 0; i < g->n; i++)
		free(g->data[i]);
	memset(g, 0, sizeof(*g));
}

static void read_path(const char *path, const struct cap_options *opt, struct got *g)
{
	struct cap_reader *r = NULL;
	struct cap_dns m;
	int rc;

	memset(g, 0, sizeof(*g));
	assert_int_equal(cap_reader_open_mode(&r, path, opt, read_mode), 0);
	g->linktype = cap_reader_linktype(r);
	while ((rc = cap_reader_next(r, &m)) == 1) {
		assert_true(g->n < MAX_GOT);
		g->m[g->n] = m;
		g->data[g->n] = malloc(m.len);
		assert_non_null(g->data[g->n]);
		memcpy(g->data[g->n], m.data, m.len);
		g->n++;
	}
	g->rc_end = rc;
	/* Once finished, the reader keeps saying so. */
	assert_int_equal(cap_reader_next(r, &m), rc);
	g->st = *cap_reader_stats(r);
	cap_reader_free(r);
}

static void read_w(struct capw *w, int gz, const struct cap_options *opt, struct got *g)
{
	read_path(capw_path(w, gz), opt, g);
}

static uint8_t frame[70000], ip[70000], l4[70000], dns[70000];

/* Ethernet, IPv4, UDP 10.0.0.1:40000 -> 10.0.0.2:53 with n DNS bytes. */
static size_t eth_udp4(uint8_t *out, size_t n, uint16_t id)
{
	pkt_dns(dns, n, id);
	size_t k = pkt_udp(l4, 40000, 53, dns, n);
	k = pkt_ip4(ip, "10.0.0.1", "10.0.0.2", 17, id, 0, 0, l4, k);
	return pkt_eth(out, NULL, 0, 0x0800, ip, k);
}

static void assert_dns(const struct got *g, int i, size_t n, uint16_t id)
{
	pkt_dns(dns, n, id);
	assert_true(i < g->n);
	assert_int_equal(g->m[i].len, n);
	assert_memory_equal(g->data[i], dns, n);
}

static void test_null_and_usage(void **state)
{
	struct cap_reader *r = NULL;
	struct cap_dns m;

	(void)state;
	assert_int_equal(cap_reader_open(NULL, "x", NULL), DH_EUSAGE);
	assert_int_equal(cap_reader_open(&r, NULL, NULL), DH_EUSAGE);
	assert_int_equal(cap_reader_open(&r, "no/such/capture.pcap", NULL), -ENOENT);
	assert_null(r);
	assert_int_equal(cap_reader_open(&r, ".", NULL), -EISDIR);
	assert_int_equal(cap_reader_open_mode(&r, ".", NULL, 3), DH_EUSAGE);
	assert_int_equal(cap_reader_open_mode(&r, ".", NULL, -1), DH_EUSAGE);
	assert_int_equal(cap_reader_next(NULL, &m), DH_EUSAGE);
	assert_null(cap_reader_stats(NULL));
	assert_int_equal(cap_reader_linktype(NULL), -1);
	cap_reader_free(NULL);
	assert_int_equal(cap_frame_new(NULL, NULL), DH_EUSAGE);
	cap_frame_free(NULL);
}

static void test_empty_and_garbage(void **state)
{
	struct capw w;
	struct cap_reader *r = NULL;
	static const uint8_t junk[] = "GET / HTTP/1.1\r\nHost: example\r\n\r\n";

	(void)state;
	capw_init(&w);
	assert_int_equal(cap_reader_open(&r, capw_path(&w, 0), NULL), DH_EFORMAT);
	capw_bytes(&w, junk, sizeof(junk));
	assert_int_equal(cap_reader_open(&r, capw_path(&w, 0), NULL), DH_EFORMAT);
	assert_int_equal(cap_reader_open(&r, capw_path(&w, 1), NULL), DH_EFORMAT);
	capw_release(&w);
	/* A pcap header cut short is not a capture either. */
	capw_init(&w);
	capw_pcap_header(&w, 0, 0, 1);
	w.len = 20;
	assert_int_equal(cap_reader_open(&r, capw_path(&w, 0), NULL), DH_EFORMAT);
	capw_release(&w);
	/* A pcapng file must start with a well-formed section header. */
	capw_init(&w);
	capw_ng_shb(&w, 0);
	w.buf[8] = 0x55; /* byte-order magic */
	assert_int_equal(cap_reader_open(&r, capw_path(&w, 0), NULL), DH_EFORMAT);
	assert_null(r);
	capw_release(&w);
}

static void test_header_only(void **state)
{
	struct capw w;
	struct got g;

	(void)state;
	capw_init(&w);
	capw_pcap_header(&w, 0, 0, 1);
	read_w(&w, 0, NULL, &g);
	assert_int_equal(g.n, 0);
	assert_int_equal(g.rc_end, 0);
	assert_int_equal(g.st.packets, 0);
	assert_int_equal(g.linktype, 1);
	assert_int_equal(g.st.bytes, 24);
	assert_int_equal(g.st.file_size, 24);
	capw_release(&w);
}

static void test_pcap_le_us(void **state)
{
	struct capw w;
	struct got g;
	size_t n;

	(void)state;
	capw_init(&w);
	capw_pcap_header(&w, 0, 0, 1);
	n = eth_udp4(frame, 40, 7);
	capw_pcap_record(&w, 1700000000, 123456, frame, n, n);
	n = eth_udp4(frame, 12, 8);
	capw_pcap_record(&w, 1700000001, 999999, frame, n, n);
	read_w(&w, 0, NULL, &g);
	assert_int_equal(g.rc_end, 0);
	assert_int_equal(g.n, 2);
	assert_dns(&g, 0, 40, 7);
	assert_dns(&g, 1, 12, 8);
	assert_int_equal(g.m[0].ts_ns, 1700000000123456000LL);
	assert_int_equal(g.m[1].ts_ns, 1700000001999999000LL);
	assert_int_equal(g.m[0].src.family, DH_AF_INET);
	assert_memory_equal(g.m[0].src.a, "\x0a\x00\x00\x01", 4);
	assert_memory_equal(g.m[0].dst.a, "\x0a\x00\x00\x02", 4);
	assert_int_equal(g.m[0].sport, 40000);
	assert_int_equal(g.m[0].dport, 53);
	assert_int_equal(g.m[0].transport, DH_TRANSPORT_UDP);
	assert_int_equal(g.m[0].packet_no, 1);
	assert_int_equal(g.m[1].packet_no, 2);
	assert_int_equal(g.st.packets, 2);
	assert_int_equal(g.st.dns_messages, 2);
	assert_int_equal(g.st.bytes, w.len);
	got_release(&g);
	capw_release(&w);
}

static void test_pcap_be_ns(void **state)
{
	struct capw w;
	struct got g;
	size_t n = eth_udp4(frame, 30, 9);

	(void)state;
	capw_init(&w);
	capw_pcap_header(&w, 1, 1, 1);
	capw_pcap_record(&w, 1600000000, 987654321, frame, n, n);
	read_w(&w, 0, NULL, &g);
	assert_int_equal(g.rc_end, 0);
	assert_int_equal(g.n, 1);
	assert_dns(&g, 0, 30, 9);
	assert_int_equal(g.m[0].ts_ns, 1600000000987654321LL);
	got_release(&g);
	capw_release(&w);
}

/* One pcap file of one frame with the given link type. */
static void one_frame(uint32_t linktype, const uint8_t *f, size_t n, struct got *g)
{
	struct capw w;

	capw_init(&w);
	capw_pcap_header(&w, 0, 0, linktype);
	capw_pcap_record(&w, 1, 0, f, n, n);
	read_w(&w, 0, NULL, g);
	capw_release(&w);
}

static size_t udp4_datagram(uint8_t *out, size_t dnslen, uint16_t id)
{
	pkt_dns(dns, dnslen, id);
	size_t k = pkt_udp(l4, 1234, 53, dns, dnslen);
	return pkt_ip4(out, "192.0.2.1", "192.0.2.53", 17, id, 0, 0, l4, k);
}

static size_t udp6_datagram(uint8_t *out, size_t dnslen, uint16_t id)
{
	pkt_dns(dns, dnslen, id);
	size_t k = pkt_udp(l4, 1234, 53, dns, dnslen);
	return pkt_ip6(out, "2001:db8::1", "2001:db8::53", 17, NULL, 0, l4, k);
}

static void expect_one(uint32_t linktype, const uint8_t *f, size_t n, int family)
{
	struct got g;

	one_frame(linktype, f, n, &g);
	if (g.n != 1)
		fail_msg("link type %u: %d messages, bad_link %lu not_dns %lu bad_ip %lu", linktype,
		         g.n, (unsigned long)g.st.bad_link, (unsigned long)g.st.not_dns,
		         (unsigned long)g.st.bad_ip);
	assert_int_equal(g.m[0].src.family, family);
	assert_int_equal(g.m[0].len, 20);
	assert_int_equal(g.rc_end, 0);
	got_release(&g);
}

static void test_link_types(void **state)
{
	size_t k4 = udp4_datagram(ip, 20, 1), n;
	uint8_t ip6[200];
	size_t k6 = udp6_datagram(ip6, 20, 1);
	static const uint16_t vlan[] = {0x8100};
	static const uint16_t qinq[] = {0x88a8, 0x8100};
	static const uint16_t qinq_old[] = {0x9100, 0x8100};
	static const uint32_t inet6_families[] = {24, 28, 30};

	(void)state;
	n = pkt_eth(frame, NULL, 0, 0x0800, ip, k4);
	expect_one(1, frame, n, DH_AF_INET);
	n = pkt_eth(frame, NULL, 0, 0x86dd, ip6, k6);
	expect_one(1, frame, n, DH_AF_INET6);
	n = pkt_eth(frame, vlan, 1, 0x0800, ip, k4);
	expect_one(1, frame, n, DH_AF_INET);
	n = pkt_eth(frame, qinq, 2, 0x86dd, ip6, k6);
	expect_one(1, frame, n, DH_AF_INET6);
	n = pkt_eth(frame, qinq_old, 2, 0x0800, ip, k4);
	expect_one(1, frame, n, DH_AF_INET);

	/* Linux cooked v1: 14 bytes, then the protocol. */
	memset(frame, 0, 16);
	frame[14] = 0x08;
	memcpy(frame + 16, ip, k4);
	expect_one(113, frame, 16 + k4, DH_AF_INET);
	frame[14] = 0x86;
	frame[15] = 0xdd;
	memcpy(frame + 16, ip6, k6);
	expect_one(113, frame, 16 + k6, DH_AF_INET6);

	/* Linux cooked v2: the protocol first, 20 bytes in all. */
	memset(frame, 0, 20);
	frame[0] = 0x86;
	frame[1] = 0xdd;
	memcpy(frame + 20, ip6, k6);
	expect_one(276, frame, 20 + k6, DH_AF_INET6);

	/* Raw IP under all its numbers. */
	expect_one(101, ip, k4, DH_AF_INET);
	expect_one(101, ip6, k6, DH_AF_INET6);
	expect_one(12, ip, k4, DH_AF_INET);
	expect_one(14, ip6, k6, DH_AF_INET6);
	expect_one(228, ip, k4, DH_AF_INET);
	expect_one(229, ip6, k6, DH_AF_INET6);

	/* BSD loopback: the family in either byte order. */
	memcpy(frame, "\x02\x00\x00\x00", 4);
	memcpy(frame + 4, ip, k4);
	expect_one(0, frame, 4 + k4, DH_AF_INET);
	memcpy(frame, "\x00\x00\x00\x02", 4);
	expect_one(108, frame, 4 + k4, DH_AF_INET);
	memcpy(frame + 4, ip6, k6);
	for (unsigned i = 0; i < 3; i++) {
		uint32_t fam = inet6_families[i];
		uint8_t le[4] = {(uint8_t)fam, 0, 0, 0}, be[4] = {0, 0, 0, (uint8_t)fam};
		memcpy(frame, le, 4);
		expect_one(0, frame, 4 + k6, DH_AF_INET6);
		memcpy(frame, be, 4);
		expect_one(0, frame, 4 + k6, DH_AF_INET6);
	}
}

static void test_bad_link(void **state)
{
	struct got g;
	size_t k4 = udp4_datagram(ip, 20, 1);

	(void)state;
	/* An unknown link type (LINKTYPE_IEEE802_11 105) is counted. */
	one_frame(105, ip, k4, &g);
	assert_int_equal(g.n, 0);
	assert_int_equal(g.st.bad_link, 1);
	assert_int_equal(g.rc_end, 0);
	/* An Ethernet frame shorter than its header. */
	one_frame(1, ip, 10, &g);
	assert_int_equal(g.st.bad_link, 1);
	/* A VLAN tag cut off. */
	memcpy(frame, "\x01\x02\x03\x04\x05\x06\x01\x02\x03\x04\x05\x06\x81\x00\x00", 15);
	one_frame(1, frame, 15, &g);
	assert_int_equal(g.st.bad_link, 1);
	/* ARP on Ethernet is simply not DNS. */
	size_t n = pkt_eth(frame, NULL, 0, 0x0806, ip, 28);
	one_frame(1, frame, n, &g);
	assert_int_equal(g.st.not_dns, 1);
	assert_int_equal(g.st.bad_link, 0);
	/* Raw IP of version 5. */
	ip[0] = 0x55;
	one_frame(101, ip, k4, &g);
	assert_int_equal(g.st.bad_ip, 1);
}

static void test_ipv4_options_and_padding(void **state)
{
	struct got g;
	size_t k, n;

	(void)state;
	pkt_dns(dns, 25, 3);
	k = pkt_udp(l4, 1234, 53, dns, 25);
	/* The largest header: IHL 15, 40 bytes of options. */
	k = pkt_ip4(ip, "192.0.2.1", "192.0.2.53", 17, 3, 0, 40, l4, k);
	n = pkt_eth(frame, NULL, 0, 0x0800, ip, k);
	/* Ethernet padding after the datagram must not reach the payload. */
	memset(frame + n, 0xee, 30);
	one_frame(1, frame, n + 30, &g);
	assert_int_equal(g.n, 1);
	assert_dns(&g, 0, 25, 3);
	got_release(&g);
	/* IHL below 5 is malformed. */
	ip[0] = 0x44;
	one_frame(101, ip, k, &g);
	assert_int_equal(g.n, 0);
	assert_int_equal(g.st.bad_ip, 1);
	/* A total length below the header. */
	ip[0] = 0x45;
	ip[2] = 0;
	ip[3] = 10;
	one_frame(101, ip, k, &g);
	assert_int_equal(g.st.bad_ip, 1);
}

/* Splits one UDP datagram of dnslen DNS bytes into IPv4 fragments of
 * piece bytes and writes them in the given order. */
static void frag4_file(struct capw *w, size_t dnslen, size_t piece, const int *order,
                       unsigned nfrag, uint16_t id)
{
	size_t k;

	pkt_dns(dns, dnslen, id);
	k = pkt_udp(l4, 1234, 53, dns, dnslen);
	capw_pcap_header(w, 0, 0, 101);
	for (unsigned i = 0; i < nfrag; i++) {
		size_t off = (size_t)order[i] * piece;
		size_t len = off + piece < k ? piece : k - off;
		int more = off + len < k;
		size_t n = pkt_ip4(ip, "198.51.100.7", "192.0.2.53", 17, id,
		                   (uint16_t)((more ? 0x2000 : 0) | (off / 8)), 0, l4 + off, len);
		capw_pcap_record(w, 10 + i, 0, ip, n, n);
	}
}

static void test_ipv4_fragments(void **state)
{
	static const int in_order[] = {0, 1, 2, 3};
	static const int reverse[] = {3, 2, 1, 0};
	static const int missing[] = {0, 1, 3};
	struct capw w;
	struct got g;

	(void)state;
	capw_init(&w);
	frag4_file(&w, 1400, 400, in_order, 4, 11);
	read_w(&w, 0, NULL, &g);
	assert_int_equal(g.n, 1);
	assert_dns(&g, 0, 1400, 11);
	assert_int_equal(g.m[0].packet_no, 4);
	assert_int_equal(g.st.fragments, 4);
	assert_int_equal(g.st.reassembled, 1);
	assert_int_equal(g.st.frag_dropped, 0);
	got_release(&g);
	capw_release(&w);

	capw_init(&w);
	frag4_file(&w, 1400, 400, reverse, 4, 12);
	read_w(&w, 0, NULL, &g);
	assert_int_equal(g.n, 1);
	assert_dns(&g, 0, 1400, 12);
	got_release(&g);
	capw_release(&w);

	capw_init(&w);
	frag4_file(&w, 1400, 400, missing, 3, 13);
	read_w(&w, 0, NULL, &g);
	assert_int_equal(g.n, 0);
	assert_int_equal(g.st.fragments, 3);
	assert_int_equal(g.st.frag_dropped, 3); /* given up at the end */
	capw_release(&w);

	/* Overlap: the second fragment starts inside the first. */
	capw_init(&w);
	pkt_dns(dns, 600, 14);
	size_t k = pkt_udp(l4, 1234, 53, dns, 600), n;
	capw_pcap_header(&w, 0, 0, 101);
	n = pkt_ip4(ip, "198.51.100.7", "192.0.2.53", 17, 14, 0x2000, 0, l4, 400);
	capw_pcap_record(&w, 1, 0, ip, n, n);
	n = pkt_ip4(ip, "198.51.100.7", "192.0.2.53", 17, 14, 300 / 8, 0, l4 + 300, k - 300);
	capw_pcap_record(&w, 1, 0, ip, n, n);
	read_w(&w, 0, NULL, &g);
	assert_int_equal(g.n, 0);
	assert_int_equal(g.st.frag_dropped, 2);
	assert_int_equal(g.st.reassembled, 0);
	capw_release(&w);

	/* Fragments older than 30 s of capture time are given up. */
	capw_init(&w);
	capw_pcap_header(&w, 0, 0, 101);
	n = pkt_ip4(ip, "198.51.100.7", "192.0.2.53", 17, 15, 0x2000, 0, l4, 400);
	capw_pcap_record(&w, 100, 0, ip, n, n);
	n = pkt_ip4(ip, "198.51.100.7", "192.0.2.53", 17, 15, 400 / 8, 0, l4 + 400, k - 400);
	capw_pcap_record(&w, 131, 0, ip, n, n);
	read_w(&w, 0, NULL, &g);
	assert_int_equal(g.n, 0);
	assert_int_equal(g.st.frag_dropped, 2);
	capw_release(&w);

	/* A fragment past 64 KiB (the ping-of-death shape). */
	capw_init(&w);
	capw_pcap_header(&w, 0, 0, 101);
	n = pkt_ip4(ip, "198.51.100.7", "192.0.2.53", 17, 16, 8189, 0, l4, 200);
	capw_pcap_record(&w, 1, 0, ip, n, n);
	read_w(&w, 0, NULL, &g);
	assert_int_equal(g.st.fragments, 1);
	assert_int_equal(g.st.frag_dropped, 1);
	capw_release(&w);
}

static void test_ipv6_ext_headers(void **state)
{
	uint8_t ext[64];
	size_t k, n;
	struct got g;

	(void)state;
	pkt_dns(dns, 33, 21);
	k = pkt_udp(l4, 1234, 53, dns, 33);
	/* Hop-by-hop (8), routing (16), AH (12 + 4), destination options
	 * (8), then UDP. */
	memset(ext, 0, sizeof(ext));
	ext[0] = 43;
	ext[1] = 0;
	ext[8] = 51;
	ext[9] = 1;
	ext[24] = 60;
	ext[25] = 2; /* AH: (2 + 2) * 4 = 16 bytes */
	ext[40] = 17;
	ext[41] = 0;
	n = pkt_ip6(ip, "2001:db8::1", "2001:db8::53", 0, ext, 48, l4, k);
	one_frame(229, ip, n, &g);
	assert_int_equal(g.n, 1);
	assert_dns(&g, 0, 33, 21);
	got_release(&g);

	/* An atomic fragment (offset 0, no more fragments, RFC 6946). */
	memset(ext, 0, 8);
	ext[0] = 17;
	ext[7] = 9;
	n = pkt_ip6(ip, "2001:db8::1", "2001:db8::53", 44, ext, 8, l4, k);
	one_frame(229, ip, n, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.st.fragments, 0);
	got_release(&g);

	/* A header that runs past the packet. */
	ext[0] = 17;
	ext[1] = 200;
	n = pkt_ip6(ip, "2001:db8::1", "2001:db8::53", 60, ext, 8, l4, 0);
	one_frame(229, ip, n, &g);
	assert_int_equal(g.n, 0);
	assert_int_equal(g.st.bad_ip, 1);
}

static void frag6_file(struct capw *w, size_t dnslen, size_t piece, int reverse)
{
	size_t k, nfrag;

	pkt_dns(dns, dnslen, 31);
	k = pkt_udp(l4, 1234, 53, dns, dnslen);
	nfrag = (k + piece - 1) / piece;
	capw_pcap_header(w, 0, 0, 229);
	for (size_t j = 0; j < nfrag; j++) {
		size_t i = reverse ? nfrag - 1 - j : j;
		size_t off = i * piece;
		size_t len = off + piece < k ? piece : k - off;
		int more = off + len < k;
		uint8_t fh[8] = {
		    17, 0, (uint8_t)(off >> 8), (uint8_t)((off & 0xf8) | more), 0, 0, 0x12, 0x34};
		size_t n = pkt_ip6(ip, "2001:db8::7", "2001:db8::53", 44, fh, 8, l4 + off, len);
		capw_pcap_record(w, 5, 0, ip, n, n);
	}
}

static void test_ipv6_fragments(void **state)
{
	struct capw w;
	struct got g;

	(void)state;
	for (int rev = 0; rev < 2; rev++) {
		capw_init(&w);
		frag6_file(&w, 3000, 1232, rev);
		read_w(&w, 0, NULL, &g);
		assert_int_equal(g.n, 1);
		assert_dns(&g, 0, 3000, 31);
		assert_int_equal(g.m[0].src.family, DH_AF_INET6);
		assert_int_equal(g.st.fragments, 3);
		assert_int_equal(g.st.reassembled, 1);
		got_release(&g);
		capw_release(&w);
	}
}

static void test_udp_ports(void **state)
{
	struct capw w;
	struct got g;
	struct cap_options opt = {.ports = {5353, 853}, .nports = 2};
	size_t k, n;

	(void)state;
	capw_init(&w);
	capw_pcap_header(&w, 0, 0, 101);
	pkt_dns(dns, 20, 1);
	k = pkt_udp(l4, 5353, 5353, dns, 20);
	n = pkt_ip4(ip, "192.0.2.1", "224.0.0.251", 17, 1, 0, 0, l4, k);
	capw_pcap_record(&w, 1, 0, ip, n, n);
	k = pkt_udp(l4, 1234, 53, dns, 20);
	n = pkt_ip4(ip, "192.0.2.1", "192.0.2.2", 17, 1, 0, 0, l4, k);
	capw_pcap_record(&w, 1, 0, ip, n, n);
	read_w(&w, 0, &opt, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.m[0].dport, 5353);
	assert_int_equal(g.st.not_dns, 1);
	got_release(&g);
	/* Without options, port 53 only. */
	read_w(&w, 0, NULL, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.m[0].dport, 53);
	got_release(&g);
	capw_release(&w);

	/* A UDP length below 8 is malformed; an empty payload is not DNS. */
	capw_init(&w);
	capw_pcap_header(&w, 0, 0, 101);
	k = pkt_udp(l4, 1234, 53, dns, 0);
	n = pkt_ip4(ip, "192.0.2.1", "192.0.2.2", 17, 1, 0, 0, l4, k);
	capw_pcap_record(&w, 1, 0, ip, n, n);
	l4[5] = 4;
	n = pkt_ip4(ip, "192.0.2.1", "192.0.2.2", 17, 1, 0, 0, l4, k);
	capw_pcap_record(&w, 1, 0, ip, n, n);
	read_w(&w, 0, NULL, &g);
	assert_int_equal(g.n, 0);
	assert_int_equal(g.st.not_dns, 1);
	assert_int_equal(g.st.bad_transport, 1);
	capw_release(&w);
}

static void test_udp_maximum(void **state)
{
	struct capw w;
	struct got g;
	/* The largest UDP payload over IPv4: 65535 - 20 - 8. */
	size_t n = udp4_datagram(ip, 65507, 5);

	(void)state;
	capw_init(&w);
	capw_pcap_header(&w, 0, 0, 101);
	capw_pcap_record(&w, 1, 0, ip, n, n);
	read_w(&w, 0, NULL, &g);
	assert_int_equal(g.n, 1);
	assert_dns(&g, 0, 65507, 5);
	got_release(&g);
	capw_release(&w);
}

/* A TCP segment of client 10.1.1.1:50000 -> server 10.1.1.53:53. */
static void tcp_rec(struct capw *w, uint32_t sec, uint32_t seq, uint8_t flags, const uint8_t *p,
                    size_t n)
{
	size_t k = pkt_tcp(l4, 50000, 53, seq, flags, p, n);
	size_t m = pkt_ip4(ip, "10.1.1.1", "10.1.1.53", 6, 1, 0, 0, l4, k);
	capw_pcap_record(w, sec, 0, ip, m, m);
}

/* Writes the stream of DNS messages of the given lengths (ids 100, 101,
 * ...) with their length prefixes into out; returns its length. */
static size_t tcp_stream(uint8_t *out, const size_t *lens, unsigned n)
{
	size_t o = 0;

	for (unsigned i = 0; i < n; i++) {
		out[o] = (uint8_t)(lens[i] >> 8);
		out[o + 1] = (uint8_t)lens[i];
		pkt_dns(out + o + 2, lens[i], (uint16_t)(100 + i));
		o += 2 + lens[i];
	}
	return o;
}

static uint8_t stream[200000];

/* Sends the stream in segments cut at the given offsets, in the given
 * order, after a SYN with initial sequence isn (or mid-stream). */
static void tcp_case(const size_t *lens, unsigned nmsg, const size_t *cuts, unsigned ncuts,
                     const int *order, uint32_t isn, int syn, struct got *g)
{
	struct capw w;
	size_t total = tcp_stream(stream, lens, nmsg);
	size_t bounds[34];

	assert_true(ncuts < 32);
	bounds[0] = 0;
	for (unsigned i = 0; i < ncuts; i++)
		bounds[i + 1] = cuts[i];
	bounds[ncuts + 1] = total;
	capw_init(&w);
	capw_pcap_header(&w, 0, 0, 101);
	if (syn)
		tcp_rec(&w, 1, isn, 0x02, NULL, 0);
	for (unsigned j = 0; j <= ncuts; j++) {
		unsigned i = order ? (unsigned)order[j] : j;
		tcp_rec(&w, 2, isn + 1 + (uint32_t)bounds[i], 0x08, stream + bounds[i],
		        bounds[i + 1] - bounds[i]);
	}
	read_w(&w, 0, NULL, g);
	capw_release(&w);
}

static void assert_msgs(const struct got *g, const size_t *lens, unsigned n)
{
	assert_int_equal(g->n, n);
	for (unsigned i = 0; i < n; i++) {
		assert_dns(g, (int)i, lens[i], (uint16_t)(100 + i));
		assert_int_equal(g->m[i].transport, DH_TRANSPORT_TCP);
		assert_int_equal(g->m[i].sport, 50000);
		assert_int_equal(g->m[i].dport, 53);
	}
}

static void test_tcp_basic(void **state)
{
	static const size_t one[] = {45};
	static const size_t two[] = {30, 60};
	static const size_t big[] = {3000};
	static const size_t cuts3[] = {1000, 2000};
	static const size_t cut_prefix[] = {1};
	static const size_t cut_two_prefix[] = {33};
	struct got g;

	(void)state;
	tcp_case(one, 1, NULL, 0, NULL, 1000, 1, &g);
	assert_msgs(&g, one, 1);
	assert_int_equal(g.m[0].packet_no, 2);
	assert_int_equal(g.st.tcp_segments, 1);
	assert_int_equal(g.st.tcp_gaps, 0);
	got_release(&g);

	/* Two messages in one segment. */
	tcp_case(two, 2, NULL, 0, NULL, 1000, 1, &g);
	assert_msgs(&g, two, 2);
	got_release(&g);

	/* One message over three segments: done by the third packet. */
	tcp_case(big, 1, cuts3, 2, NULL, 1000, 1, &g);
	assert_msgs(&g, big, 1);
	assert_int_equal(g.m[0].packet_no, 4);
	got_release(&g);

	/* The length prefix itself split. */
	tcp_case(one, 1, cut_prefix, 1, NULL, 1000, 1, &g);
	assert_msgs(&g, one, 1);
	got_release(&g);
	tcp_case(two, 2, cut_two_prefix, 1, NULL, 1000, 1, &g);
	assert_msgs(&g, two, 2);
	got_release(&g);
}

static void test_tcp_reorder_and_retransmit(void **state)
{
	static const size_t big[] = {3000};
	static const size_t three[] = {100, 200, 300};
	static const size_t cuts3[] = {1000, 2000};
	static const size_t cuts_msgs[] = {102, 304};
	static const int reverse[] = {2, 1, 0};
	static const int middle_last[] = {0, 2, 1};
	struct got g;
	struct capw w;

	(void)state;
	tcp_case(big, 1, cuts3, 2, reverse, 5000, 1, &g);
	assert_msgs(&g, big, 1);
	/* The first segment sent last completed it: packet 4. */
	assert_int_equal(g.m[0].packet_no, 4);
	got_release(&g);
	tcp_case(three, 3, cuts_msgs, 2, middle_last, 5000, 1, &g);
	assert_msgs(&g, three, 3);
	assert_int_equal(g.m[0].packet_no, 2);
	assert_int_equal(g.m[2].packet_no, 4);
	got_release(&g);

	/* Every segment sent twice, and an overlapping resend. */
	size_t total = tcp_stream(stream, three, 3);
	capw_init(&w);
	capw_pcap_header(&w, 0, 0, 101);
	tcp_rec(&w, 1, 77, 0x02, NULL, 0);
	tcp_rec(&w, 1, 77, 0x02, NULL, 0);
	tcp_rec(&w, 2, 78, 0, stream, 200);
	tcp_rec(&w, 2, 78, 0, stream, 200);
	tcp_rec(&w, 2, 78 + 150, 0, stream + 150, 300);
	tcp_rec(&w, 2, 78 + 150, 0, stream + 150, 300);
	tcp_rec(&w, 2, 78 + 450, 0x01, stream + 450, total - 450);
	tcp_rec(&w, 2, 78, 0, stream, total);
	read_w(&w, 0, NULL, &g);
	assert_msgs(&g, three, 3);
	assert_int_equal(g.st.tcp_gaps, 0);
	got_release(&g);
	capw_release(&w);
}

static void test_tcp_wrap_and_midstream(void **state)
{
	static const size_t three[] = {100, 200, 300};
	static const size_t cuts[] = {50, 150, 400};
	static const int order[] = {0, 2, 1, 3};
	struct got g;

	(void)state;
	/* Sequence numbers wrap past 2^32 in the middle of the stream. */
	tcp_case(three, 3, cuts, 3, order, 0xffffff00u, 1, &g);
	assert_msgs(&g, three, 3);
	got_release(&g);

	/* No SYN: the first segment starts with a length prefix. */
	tcp_case(three, 3, cuts, 3, NULL, 123456, 0, &g);
	assert_msgs(&g, three, 3);
	got_release(&g);

	/* No SYN and the capture starts inside the first message: that one
	 * is lost, the next segment that starts a message resyncs. */
	size_t total = tcp_stream(stream, three, 3);
	struct capw w;
	capw_init(&w);
	capw_pcap_header(&w, 0, 0, 101);
	tcp_rec(&w, 1, 900 + 60, 0, stream + 60, 102 - 60);
	tcp_rec(&w, 1, 900 + 102, 0, stream + 102, 304 - 102);
	tcp_rec(&w, 1, 900 + 304, 0, stream + 304, total - 304);
	read_w(&w, 0, NULL, &g);
	assert_int_equal(g.n, 2);
	assert_dns(&g, 0, 200, 101);
	assert_dns(&g, 1, 300, 102);
	got_release(&g);
	capw_release(&w);
}

static void test_tcp_holes_and_close(void **state)
{
	static const size_t three[] = {100, 200, 300};
	struct capw w;
	struct got g;
	size_t total = tcp_stream(stream, three, 3);

	(void)state;
	/* The second message never arrives: the first is handed out at
	 * once, the third at the end of the file after the hole is given
	 * up (its segment starts with a length prefix). */
	capw_init(&w);
	capw_pcap_header(&w, 0, 0, 101);
	tcp_rec(&w, 1, 10, 0x02, NULL, 0);
	tcp_rec(&w, 1, 11, 0, stream, 102);
	tcp_rec(&w, 1, 11 + 304, 0, stream + 304, total - 304);
	read_w(&w, 0, NULL, &g);
	assert_int_equal(g.n, 2);
	assert_dns(&g, 0, 100, 100);
	assert_dns(&g, 1, 300, 102);
	assert_int_equal(g.st.tcp_gaps, 1);
	got_release(&g);
	capw_release(&w);

	/* RST drops a half message; a new SYN on the same ports restarts. */
	capw_init(&w);
	capw_pcap_header(&w, 0, 0, 101);
	tcp_rec(&w, 1, 10, 0x02, NULL, 0);
	tcp_rec(&w, 1, 11, 0, stream, 50);
	tcp_rec(&w, 1, 61, 0x04, NULL, 0);
	tcp_rec(&w, 2, 5000, 0x02, NULL, 0);
	tcp_rec(&w, 2, 5001, 0x01, stream, 102);
	read_w(&w, 0, NULL, &g);
	assert_int_equal(g.n, 1);
	assert_dns(&g, 0, 100, 100);
	assert_int_equal(g.st.tcp_gaps, 1);
	got_release(&g);
	capw_release(&w);

	/* A half message left when the flow goes idle for over a minute. */
	capw_init(&w);
	capw_pcap_header(&w, 0, 0, 101);
	tcp_rec(&w, 1, 10, 0x02, NULL, 0);
	tcp_rec(&w, 1, 11, 0, stream, 50);
	tcp_rec(&w, 100, 11 + 50, 0, NULL, 0);
	read_w(&w, 0, NULL, &g);
	assert_int_equal(g.n, 0);
	assert_int_equal(g.st.tcp_gaps, 1);
	capw_release(&w);
}

static void test_tcp_maximum(void **state)
{
	static const size_t max[] = {65535};
	size_t cuts[10];
	struct got g;

	(void)state;
	for (unsigned i = 0; i < 10; i++)
		cuts[i] = 1 + i * 6500;
	tcp_case(max, 1, cuts, 10, NULL, 42, 1, &g);
	assert_msgs(&g, max, 1);
	got_release(&g);
}

static void test_pcapng(void **state)
{
	struct capw w;
	struct got g;
	size_t n4 = udp4_datagram(ip, 20, 41);
	uint8_t ip6[200], eth[300];
	size_t n6 = udp6_datagram(ip6, 24, 42);
	size_t ne = pkt_eth(eth, NULL, 0, 0x0800, ip, n4);
	static const uint8_t custom[] = "anything at all";

	(void)state;
	capw_init(&w);
	capw_ng_shb(&w, 0);
	capw_ng_idb(&w, 1, 65535, 9, 0);           /* Ethernet, ns */
	capw_ng_idb(&w, 101, 65535, 0x80 | 20, 0); /* raw IP, 2^-20 s */
	capw_ng_block(&w, 0x0bad, custom, sizeof(custom));
	capw_ng_epb(&w, 0, 1700000000123456789ULL, eth, ne, ne);
	/* 3.5 s in units of 2^-20 s. */
	capw_ng_epb(&w, 1, (3ULL << 20) | (1ULL << 19), ip6, n6, n6);
	/* A second section, big-endian, microseconds with an offset. */
	capw_ng_shb(&w, 1);
	capw_ng_idb(&w, 228, 0, -1, 1000);
	capw_ng_epb(&w, 0, 2500000, ip, n4, n4);
	capw_ng_pb(&w, 0, 4000000, ip, n4);
	capw_ng_spb(&w, ip, n4);
	/* An interface that does not exist. */
	capw_ng_epb(&w, 7, 0, ip, n4, n4);
	read_w(&w, 0, NULL, &g);
	assert_int_equal(g.rc_end, 0);
	assert_int_equal(g.linktype, 1);
	assert_int_equal(g.n, 5);
	assert_int_equal(g.m[0].ts_ns, 1700000000123456789LL);
	assert_int_equal(g.m[1].ts_ns, 3500000000LL);
	assert_int_equal(g.m[1].src.family, DH_AF_INET6);
	assert_int_equal(g.m[1].len, 24);
	assert_int_equal(g.m[2].ts_ns, 1002500000000LL);
	assert_int_equal(g.m[3].ts_ns, 1004000000000LL);
	/* A Simple Packet Block has no time: the last one seen stands. */
	assert_int_equal(g.m[4].ts_ns, 1004000000000LL);
	assert_int_equal(g.st.packets, 6);
	assert_int_equal(g.st.bad_link, 1);
	assert_int_equal(g.m[4].packet_no, 5);
	assert_int_equal(g.st.bytes, w.len);
	got_release(&g);
	capw_release(&w);
}

static void test_pcapng_broken(void **state)
{
	struct capw w;
	struct got g;
	size_t n4 = udp4_datagram(ip, 20, 41);

	(void)state;
	/* The trailing length disagrees with the leading one. */
	capw_init(&w);
	capw_ng_shb(&w, 0);
	capw_ng_idb(&w, 101, 0, -1, 0);
	capw_ng_epb(&w, 0, 1, ip, n4, n4);
	capw_ng_epb(&w, 0, 1, ip, n4, n4);
	w.buf[w.len - 1] ^= 1;
	read_w(&w, 0, NULL, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.rc_end, DH_EMALFORMED);
	got_release(&g);
	/* A block cut short at the end of the file. */
	w.buf[w.len - 1] ^= 1;
	w.len -= 8;
	read_w(&w, 0, NULL, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.rc_end, DH_ETRUNC);
	got_release(&g);
	capw_release(&w);
}

static void test_truncated_and_caplen(void **state)
{
	struct capw w;
	struct got g;
	size_t n = eth_udp4(frame, 200, 51);

	(void)state;
	capw_init(&w);
	capw_pcap_header(&w, 0, 0, 1);
	capw_pcap_record(&w, 1, 0, frame, n, n);
	/* Snap length 100: the message arrives clamped and is counted. */
	capw_pcap_record(&w, 2, 0, frame, 100, n);
	capw_pcap_record(&w, 3, 0, frame, n, n);
	w.len -= 10; /* the last record is cut off */
	read_w(&w, 0, NULL, &g);
	assert_int_equal(g.n, 2);
	assert_dns(&g, 0, 200, 51);
	assert_int_equal(g.m[1].len, 100 - 14 - 20 - 8);
	assert_int_equal(g.st.truncated_caplen, 1);
	assert_int_equal(g.rc_end, DH_ETRUNC);
	got_release(&g);

	/* A record header cut off. */
	w.len = 24 + 16 + n + 7;
	read_w(&w, 0, NULL, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.rc_end, DH_ETRUNC);
	got_release(&g);

	/* A record claiming an absurd length is a corrupt file. */
	w.len = 24 + 16 + n;
	capw_pcap_record(&w, 1, 0, frame, 0, 0);
	w.buf[w.len - 8 + 3] = 0x7f;
	read_w(&w, 0, NULL, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.rc_end, DH_EMALFORMED);
	got_release(&g);
	capw_release(&w);
}

static void test_garbage_packets(void **state)
{
	struct capw w;
	struct got g;
	uint8_t junk[1500];
	uint32_t x = 12345;

	(void)state;
	capw_init(&w);
	capw_pcap_header(&w, 0, 0, 1);
	for (int i = 0; i < 200; i++) {
		size_t n = (size_t)(i * 7) % sizeof(junk);
		for (size_t j = 0; j < n; j++) {
			x = x * 1103515245u + 12345u;
			junk[j] = (uint8_t)(x >> 16);
		}
		/* Some of them look like IPv4 over Ethernet. */
		if (n > 14 && i % 2) {
			junk[12] = 0x08;
			junk[13] = 0;
			junk[14] = 0x45;
		}
		capw_pcap_record(&w, 1, 0, junk, n, n);
	}
	read_w(&w, 0, NULL, &g);
	assert_int_equal(g.rc_end, 0);
	assert_int_equal(g.st.packets, 200);
	got_release(&g);
	capw_release(&w);
}

static void test_gzip(void **state)
{
	struct capw w;
	struct got g;

	(void)state;
	capw_init(&w);
	capw_pcap_header(&w, 1, 0, 1);
	for (int i = 0; i < 50; i++) {
		size_t n = eth_udp4(frame, 12 + (size_t)i * 30, (uint16_t)i);
		capw_pcap_record(&w, 1, (uint32_t)i, frame, n, n);
	}
	read_w(&w, 1, NULL, &g);
	assert_int_equal(g.rc_end, 0);
	assert_int_equal(g.n, 50);
	for (int i = 0; i < 50; i++)
		assert_dns(&g, i, 12 + (size_t)i * 30, (uint16_t)i);
	assert_true(g.st.file_size > 0);
	assert_true(g.st.file_size < w.len);
	got_release(&g);

	/* A file named .gz goes through zlib even when it is not compressed
	 * (gzread passes such input through), in the working directory. */
	char name[] = "cap-test-XXXXXX.pcap.gz";
	int fd = mkstemps(name, 8);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, w.buf, w.len), (ssize_t)w.len);
	close(fd);
	read_path(name, NULL, &g);
	unlink(name);
	assert_int_equal(g.rc_end, 0);
	assert_int_equal(g.n, 50);
	assert_int_equal(g.st.bytes, w.len);
	got_release(&g);

	/* A gzip stream cut short is a truncated file. */
	capw_path(&w, 1);
	assert_int_equal(ftruncate(w.fd, 200), 0);
	read_path(w.path, NULL, &g);
	assert_true(g.n < 50);
	assert_int_equal(g.rc_end, DH_ETRUNC);
	got_release(&g);
	capw_release(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_null_and_usage),
	    cmocka_unit_test(test_empty_and_garbage),
	    cmocka_unit_test(test_header_only),
	    cmocka_unit_test(test_pcap_le_us),
	    cmocka_unit_test(test_pcap_be_ns),
	    cmocka_unit_test(test_link_types),
	    cmocka_unit_test(test_bad_link),
	    cmocka_unit_test(test_ipv4_options_and_padding),
	    cmocka_unit_test(test_ipv4_fragments),
	    cmocka_unit_test(test_ipv6_ext_headers),
	    cmocka_unit_test(test_ipv6_fragments),
	    cmocka_unit_test(test_udp_ports),
	    cmocka_unit_test(test_udp_maximum),
	    cmocka_unit_test(test_tcp_basic),
	    cmocka_unit_test(test_tcp_reorder_and_retransmit),
	    cmocka_unit_test(test_tcp_wrap_and_midstream),
	    cmocka_unit_test(test_tcp_holes_and_close),
	    cmocka_unit_test(test_tcp_maximum),
	    cmocka_unit_test(test_pcapng),
	    cmocka_unit_test(test_pcapng_broken),
	    cmocka_unit_test(test_truncated_and_caplen),
	    cmocka_unit_test(test_garbage_packets),
	    cmocka_unit_test(test_gzip),
	};

	int failed;

	failed = cmocka_run_group_tests_name("buffered", tests, NULL, NULL);
	read_mode = CAP_READ_MMAP;
	failed += cmocka_run_group_tests_name("mmap", tests, NULL, NULL);
	return failed;
}
