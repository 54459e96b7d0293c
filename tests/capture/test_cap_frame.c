/*
 * test_cap_frame.c - the per-frame decoder driven directly, for the cases
 * that need many frames: the bounds on fragment and TCP state, and frames
 * that are empty or absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "capture/cap_frag.h"
#include "capture/cap_frame.h"
#include "capture/cap_tcp.h"
#include "capw.h"
#include "util/err.h"

static uint8_t ip[70000], ip2[70000], l4[70000], dns[70000];

static struct cap_frame *frame_new(void)
{
	struct cap_frame *f = NULL;

	assert_int_equal(cap_frame_new(&f, NULL), 0);
	assert_non_null(f);
	return f;
}

static int drain(struct cap_frame *f)
{
	struct cap_dns m;
	int n = 0;

	while (cap_frame_next(f, &m) == 1)
		n++;
	return n;
}

static void test_empty_frames(void **state)
{
	struct cap_frame *f = frame_new();
	static const int types[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 9999, -1};

	(void)state;
	for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		cap_frame_decode(f, types[i], NULL, 0, 0, 0, i + 1);
		assert_int_equal(drain(f), 0);
	}
	const struct cap_stats *st = cap_frame_stats(f);
	assert_int_equal(st->dns_messages, 0);
	/* Every empty frame is counted somewhere. */
	assert_int_equal(st->bad_link + st->bad_ip, sizeof(types) / sizeof(types[0]));
	cap_frame_finish(f);
	assert_int_equal(drain(f), 0);
	cap_frame_free(f);
}

static void test_frag_slots_bounded(void **state)
{
	struct cap_frame *f = frame_new();
	const struct cap_stats *st = cap_frame_stats(f);
	unsigned n = CAP_FRAG_SLOTS + 36;
	size_t k;

	(void)state;
	pkt_dns(dns, 1000, 1);
	k = pkt_udp(l4, 1234, 53, dns, 1000);
	/* First fragments of more datagrams than there are slots. */
	for (unsigned i = 0; i < n; i++) {
		size_t m =
		    pkt_ip4(ip, "198.51.100.1", "192.0.2.53", 17, (uint16_t)i, 0x2000, 0, l4, 512);
		cap_frame_decode(f, CAP_LINK_RAW, ip, m, m, 1000, i + 1);
	}
	assert_int_equal(st->fragments, n);
	assert_int_equal(st->frag_dropped, n - CAP_FRAG_SLOTS);
	/* The newest datagram is still there and completes. */
	size_t m = pkt_ip4(ip, "198.51.100.1", "192.0.2.53", 17, (uint16_t)(n - 1), 512 / 8, 0,
	                   l4 + 512, k - 512);
	cap_frame_decode(f, CAP_LINK_RAW, ip, m, m, 1000, n + 1);
	assert_int_equal(drain(f), 1);
	assert_int_equal(st->reassembled, 1);
	cap_frame_finish(f);
	assert_int_equal(st->frag_dropped, n - 1);
	cap_frame_free(f);
}

static void test_tcp_flows_bounded(void **state)
{
	struct cap_frame *f = frame_new();
	const struct cap_stats *st = cap_frame_stats(f);
	unsigned n = CAP_TCP_MAX_FLOWS + 100;
	uint8_t half[52];

	(void)state;
	/* Each flow holds the first half of a message: the flows beyond the
	 * limit push the oldest out, each counted as a gap. */
	half[0] = 0;
	half[1] = 100;
	pkt_dns(half + 2, 50, 7);
	for (unsigned i = 0; i < n; i++) {
		size_t k = pkt_tcp(l4, (uint16_t)(1024 + i % 60000), 53, 1, 0x02, NULL, 0);
		char src[32];
		snprintf(src, sizeof(src), "10.%u.%u.1", (i >> 8) & 255, i & 255);
		size_t m = pkt_ip4(ip, src, "10.0.0.53", 6, 1, 0, 0, l4, k);
		cap_frame_decode(f, CAP_LINK_RAW, ip, m, m, 1000, 2 * i + 1);
		k = pkt_tcp(l4, (uint16_t)(1024 + i % 60000), 53, 2, 0, half, sizeof(half));
		m = pkt_ip4(ip, src, "10.0.0.53", 6, 1, 0, 0, l4, k);
		cap_frame_decode(f, CAP_LINK_RAW, ip, m, m, 1000, 2 * i + 2);
		assert_int_equal(drain(f), 0);
	}
	assert_int_equal(st->tcp_gaps, n - CAP_TCP_MAX_FLOWS);
	cap_frame_finish(f);
	assert_int_equal(drain(f), 0);
	assert_int_equal(st->tcp_gaps, n);
	cap_frame_free(f);
}

static void test_tcp_ooo_bounded(void **state)
{
	struct cap_frame *f = frame_new();
	const struct cap_stats *st = cap_frame_stats(f);
	uint8_t seg[100];

	(void)state;
	memset(seg, 0, sizeof(seg));
	size_t k = pkt_tcp(l4, 40000, 53, 1, 0x02, NULL, 0);
	size_t m = pkt_ip4(ip, "10.0.0.1", "10.0.0.53", 6, 1, 0, 0, l4, k);
	cap_frame_decode(f, CAP_LINK_RAW, ip, m, m, 1000, 1);
	/* Segments all after a hole: at most CAP_TCP_MAX_OOO are kept, the
	 * next one gives the hole up. */
	for (unsigned i = 0; i <= CAP_TCP_MAX_OOO; i++) {
		k = pkt_tcp(l4, 40000, 53, 1000 + i * 100, 0, seg, sizeof(seg));
		m = pkt_ip4(ip, "10.0.0.1", "10.0.0.53", 6, 1, 0, 0, l4, k);
		cap_frame_decode(f, CAP_LINK_RAW, ip, m, m, 1000, i + 2);
		assert_int_equal(drain(f), 0);
	}
	assert_int_equal(st->tcp_gaps, 1);
	cap_frame_free(f);
}

/* A TCP message not taken before the next frame must not depend on the
 * old frame's bytes: the decoder copies what it still borrows. */
static void test_tcp_untaken_survives_frame(void **state)
{
	struct cap_frame *f = frame_new();
	struct cap_dns m;
	uint8_t stream[2 * (2 + 40)], expect[40];
	size_t k, n;

	(void)state;
	for (int i = 0; i < 2; i++) {
		stream[i * 42] = 0;
		stream[i * 42 + 1] = 40;
		pkt_dns(stream + i * 42 + 2, 40, (uint16_t)(i + 1));
	}
	pkt_dns(expect, 40, 2);
	k = pkt_tcp(l4, 40000, 53, 100, 0x02, NULL, 0);
	n = pkt_ip4(ip, "10.0.0.1", "10.0.0.53", 6, 1, 0, 0, l4, k);
	cap_frame_decode(f, CAP_LINK_RAW, ip, n, n, 1000, 1);
	k = pkt_tcp(l4, 40000, 53, 101, 0, stream, sizeof(stream));
	n = pkt_ip4(ip, "10.0.0.1", "10.0.0.53", 6, 1, 0, 0, l4, k);
	cap_frame_decode(f, CAP_LINK_RAW, ip, n, n, 1000, 2);
	assert_int_equal(cap_frame_next(f, &m), 1);
	/* The second message stays while the next frame, a UDP query, is
	 * decoded; then the old frame's bytes are overwritten. */
	k = pkt_udp(l4, 1234, 53, dns, 20);
	n = pkt_ip4(ip2, "10.0.0.2", "10.0.0.53", 17, 1, 0, 0, l4, k);
	cap_frame_decode(f, CAP_LINK_RAW, ip2, n, n, 1000, 3);
	memset(ip, 0xaa, 200);
	assert_int_equal(cap_frame_next(f, &m), 1);
	assert_int_equal(m.transport, DH_TRANSPORT_UDP);
	assert_int_equal(cap_frame_next(f, &m), 1);
	assert_int_equal(m.transport, DH_TRANSPORT_TCP);
	assert_int_equal(m.len, 40);
	assert_memory_equal(m.data, expect, 40);
	assert_int_equal(cap_frame_next(f, &m), 0);
	cap_frame_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_frames),
	    cmocka_unit_test(test_frag_slots_bounded),
	    cmocka_unit_test(test_tcp_flows_bounded),
	    cmocka_unit_test(test_tcp_ooo_bounded),
	    cmocka_unit_test(test_tcp_untaken_survives_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
