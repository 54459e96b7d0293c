/*
 * test_cap_resync.c - TCP streams out of step, and the PKTAP link type.
 *
 * The frame decoder is driven directly with raw IPv4 frames of one
 * connection, client 192.0.2.1:40000 and server 192.0.2.53:53, so that
 * each case states the segments, their acknowledgments and their times.
 * The cases: holes the capture lost (given up on the receiver's
 * acknowledgment, after CAP_TCP_HOLE_NS, or with the early-segment store
 * full), streams joined without a SYN in the middle of a message, data
 * that must never come out as a message, and the PKTAP header.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "capture/cap_frame.h"
#include "capture/cap_tcp.h"
#include "capw.h"

#define MAX_MSGS 256
#define MS       1000000LL
#define T0       (1600000000LL * 1000000000LL)

enum { TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_PSH = 0x08, TH_ACK = 0x10 };

struct seen {
	uint16_t id;
	size_t len;
	int from_client;
	int64_t ts;
	uint64_t packet_no;
	int frame; /* the frame after which it came out, or -1 after finish */
};

struct conn {
	struct cap_frame *f;
	uint64_t no;
	int64_t ts;
	int raw; /* the messages were changed after pkt_dns(): no byte check */
	int n;
	struct seen m[MAX_MSGS];
};

static uint8_t ip[70000], l4[70000], buf[200000];

static void conn_init(struct conn *c)
{
	memset(c, 0, sizeof(*c));
	assert_int_equal(cap_frame_new(&c->f, NULL), 0);
	c->ts = T0;
}

/* Takes every message out; each must look like what msg() built. */
static void conn_drain(struct conn *c, int frame)
{
	struct cap_dns m;

	while (cap_frame_next(c->f, &m) == 1) {
		uint8_t want[70000];
		assert_true(c->n < MAX_MSGS);
		assert_true(m.len >= 12);
		struct seen *s = &c->m[c->n++];
		s->id = (uint16_t)(m.data[0] << 8 | m.data[1]);
		s->len = m.len;
		s->from_client = m.sport == 40000;
		s->ts = m.ts_ns;
		s->packet_no = m.packet_no;
		s->frame = frame;
		assert_int_equal(m.transport, DH_TRANSPORT_TCP);
		/* The bytes are exactly the message that was sent. */
		if (!c->raw) {
			pkt_dns(want, m.len, s->id);
			assert_memory_equal(m.data, want, m.len);
		}
	}
}

/* Sends one segment, dt ms after the last one, and takes the messages. */
static void conn_seg(struct conn *c, int from_client, uint32_t seq, uint32_t ack, uint8_t flags,
                     const uint8_t *p, size_t n, int64_t dt_ms)
{
	size_t k, m;

	if (from_client) {
		k = pkt_tcp_ack(l4, 40000, 53, seq, ack, flags, p, n);
		m = pkt_ip4(ip, "192.0.2.1", "192.0.2.53", 6, 1, 0, 0, l4, k);
	} else {
		k = pkt_tcp_ack(l4, 53, 40000, seq, ack, flags, p, n);
		m = pkt_ip4(ip, "192.0.2.53", "192.0.2.1", 6, 1, 0, 0, l4, k);
	}
	c->ts += dt_ms * MS;
	c->no++;
	cap_frame_decode(c->f, CAP_LINK_RAW, ip, m, m, c->ts, c->no);
	conn_drain(c, (int)c->no);
}

static void conn_finish(struct conn *c)
{
	cap_frame_finish(c->f);
	conn_drain(c, -1);
}

static const struct cap_stats *conn_stats(struct conn *c)
{
	return cap_frame_stats(c->f);
}

static void conn_free(struct conn *c)
{
	cap_frame_free(c->f);
}

/* A message of len bytes (len >= 17: a header and one question's worth)
 * with its 2-byte length prefix, at out; returns the bytes written. */
static size_t msg(uint8_t *out, size_t len, uint16_t id)
{
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
	pkt_dns(out + 2, len, id);
	return 2 + len;
}

static int count_id(const struct conn *c, uint16_t id, int from_client)
{
	int k = 0;

	for (int i = 0; i < c->n; i++)
		if (c->m[i].id == id && c->m[i].from_client == from_client)
			k++;
	return k;
}

static void test_null_and_empty(void **state)
{
	struct cap_stats st;
	struct cap_dns m;
	struct cap_tcp_table *t;
	struct cap_tcp_seg s;

	(void)state;
	cap_tcp_free(NULL);
	memset(&st, 0, sizeof(st));
	t = cap_tcp_new(&st);
	assert_non_null(t);
	assert_int_equal(cap_tcp_next(t, &m), 0);
	/* An empty segment of an unknown flow leaves nothing behind. */
	memset(&s, 0, sizeof(s));
	s.flags = CAP_TCP_ACK;
	s.ack = 12345;
	cap_tcp_segment(t, &s);
	assert_int_equal(cap_tcp_next(t, &m), 0);
	cap_tcp_finish(t);
	assert_int_equal(cap_tcp_next(t, &m), 0);
	assert_int_equal(st.tcp_gaps, 0);
	cap_tcp_free(t);
}

/*
 * The dnscap bighole case in small: the capture loses a stretch of both
 * directions; the receivers' acknowledgments show the bytes were
 * delivered, so each hole is given up as soon as data beyond it comes,
 * and the flows resynchronise on the next prefix. The client sends each
 * prefix in a segment of its own, as the stub in dnscap's capture did.
 */
static void test_hole_acknowledged(void **state)
{
	struct conn c;
	uint8_t q[64];

	(void)state;
	conn_init(&c);
	conn_seg(&c, 1, 1000, 0, TH_SYN, NULL, 0, 0);
	conn_seg(&c, 0, 5000, 1001, TH_SYN | TH_ACK, NULL, 0, 1);
	/* q1 (30 bytes): prefix, then body; r1 (50 bytes) in one segment. */
	msg(q, 30, 1);
	conn_seg(&c, 1, 1001, 5001, TH_ACK, q, 2, 1);
	conn_seg(&c, 1, 1003, 5001, TH_ACK, q + 2, 30, 1);
	msg(buf, 50, 1);
	conn_seg(&c, 0, 5001, 1033, TH_ACK | TH_PSH, buf, 52, 1);
	assert_int_equal(c.n, 2);
	/* Lost: q2 [1033,1075), q3's prefix [1075,1077), r2 [5053,5103) and
	 * r3 [5103,5153). Seen: the server acknowledging 1107, q3's body
	 * without its prefix (its id 0x5803 reads as a 22531-byte length),
	 * then q4 and r4 with the client acknowledging 5153. */
	conn_seg(&c, 0, 5153, 1107, TH_ACK, NULL, 0, 5);
	msg(q, 30, 0x5803);
	conn_seg(&c, 1, 1077, 5153, TH_ACK, q + 2, 30, 1);
	msg(q, 30, 4);
	conn_seg(&c, 1, 1107, 5153, TH_ACK, q, 2, 1);
	assert_int_equal(c.n, 2);
	conn_seg(&c, 1, 1109, 5153, TH_ACK, q + 2, 30, 1);
	assert_int_equal(c.n, 3);
	msg(buf, 50, 4);
	conn_seg(&c, 0, 5153, 1139, TH_ACK | TH_PSH, buf, 52, 1);
	assert_int_equal(c.n, 4);
	/* And on in step. */
	msg(q, 40, 5);
	conn_seg(&c, 1, 1139, 5205, TH_ACK, q, 42, 1);
	msg(buf, 60, 5);
	conn_seg(&c, 0, 5205, 1181, TH_ACK, buf, 62, 1);
	conn_finish(&c);

	assert_int_equal(c.n, 6);
	static const uint16_t ids[] = {1, 1, 4, 4, 5, 5};
	for (int i = 0; i < 6; i++) {
		assert_int_equal(c.m[i].id, ids[i]);
		assert_int_equal(c.m[i].from_client, i % 2 == 0);
		/* Each came out with the segment that completed it. */
		assert_int_equal(c.m[i].packet_no, (uint64_t)c.m[i].frame);
	}
	assert_int_equal(count_id(&c, 0x5803, 1), 0);
	assert_int_equal(conn_stats(&c)->tcp_gaps, 2);
	conn_free(&c);
}

/* Without acknowledgments (one direction captured), a hole is given up
 * once an early segment has waited CAP_TCP_HOLE_NS; the messages behind
 * it then come out with their own segments' times, in order. */
static void test_hole_times_out(void **state)
{
	struct conn c;
	uint32_t seq = 101;
	size_t k;

	(void)state;
	conn_init(&c);
	conn_seg(&c, 1, 100, 0, TH_SYN, NULL, 0, 0);
	k = msg(buf, 40, 1);
	conn_seg(&c, 1, seq, 0, 0, buf, k, 1);
	seq += (uint32_t)k;
	seq += (uint32_t)msg(buf, 40, 2); /* lost */
	for (uint16_t id = 3; id <= 8; id++) {
		k = msg(buf, 40, id);
		conn_seg(&c, 1, seq, 0, 0, buf, k, 500);
		seq += (uint32_t)k;
		/* id 3 came at +501 ms; id 8 at +3001 ms is the first segment
		 * more than 2 s after it. */
		assert_int_equal(c.n, id < 8 ? 1 : 7);
	}
	for (int i = 1; i < 7; i++) {
		assert_int_equal(c.m[i].id, i + 2);
		assert_int_equal(c.m[i].frame, 8);
		assert_int_equal(c.m[i].packet_no, (uint64_t)i + 2);
		assert_true(c.m[i].ts == T0 + 1 * MS + (int64_t)i * 500 * MS);
	}
	assert_int_equal(conn_stats(&c)->tcp_gaps, 1);
	conn_finish(&c);
	assert_int_equal(c.n, 7);
	conn_free(&c);
}

/* A hole with CAP_TCP_MAX_OOO segments behind it is given up at the next
 * one; every message behind it comes out once, in order. */
static void test_hole_store_full(void **state)
{
	struct conn c;
	uint32_t seq = 11;
	size_t k;

	(void)state;
	conn_init(&c);
	conn_seg(&c, 1, 10, 0, TH_SYN, NULL, 0, 0);
	seq += (uint32_t)msg(buf, 30, 1); /* lost */
	for (unsigned i = 0; i <= CAP_TCP_MAX_OOO; i++) {
		k = msg(buf, 30, (uint16_t)(100 + i));
		conn_seg(&c, 1, seq, 0, 0, buf, k, 0);
		seq += (uint32_t)k;
		assert_int_equal(c.n, i < CAP_TCP_MAX_OOO ? 0 : CAP_TCP_MAX_OOO + 1);
	}
	for (int i = 0; i < c.n; i++)
		assert_int_equal(c.m[i].id, 100 + i);
	assert_int_equal(conn_stats(&c)->tcp_gaps, 1);
	conn_finish(&c);
	assert_int_equal(c.n, CAP_TCP_MAX_OOO + 1);
	conn_free(&c);
}

/* Bytes given up and then seen after all (a capture that reorders) are
 * old: nothing is handed out twice, and the stream stays in step. */
static void test_hole_never_twice(void **state)
{
	struct conn c;
	size_t k1, k2, k3;
	uint8_t m1[64], m2[64], m3[64];

	(void)state;
	conn_init(&c);
	conn_seg(&c, 1, 500, 0, TH_SYN, NULL, 0, 0);
	k1 = msg(m1, 30, 1);
	k2 = msg(m2, 30, 2);
	k3 = msg(m3, 30, 3);
	conn_seg(&c, 1, 501, 0, 0, m1, k1, 1);
	conn_seg(&c, 0, 900, 501 + (uint32_t)(k1 + k2), TH_ACK, NULL, 0, 1);
	conn_seg(&c, 1, 501 + (uint32_t)(k1 + k2), 0, 0, m3, k3, 1);
	conn_seg(&c, 1, 501 + (uint32_t)k1, 0, 0, m2, k2, 1);
	conn_seg(&c, 1, 501, 0, 0, m1, k1, 1);
	conn_seg(&c, 1, 501 + (uint32_t)(k1 + k2), 0, 0, m3, k3, 1);
	conn_finish(&c);
	assert_int_equal(c.n, 2);
	assert_int_equal(count_id(&c, 1, 1), 1);
	assert_int_equal(count_id(&c, 2, 1), 0);
	assert_int_equal(count_id(&c, 3, 1), 1);
	conn_free(&c);
}

/* A reset ends the stream: the messages behind a hole come out with it,
 * the half message before the hole is counted as lost. */
static void test_hole_reset(void **state)
{
	struct conn c;
	size_t k;
	uint32_t seq = 2;

	(void)state;
	conn_init(&c);
	conn_seg(&c, 1, 1, 0, TH_SYN, NULL, 0, 0);
	k = msg(buf, 30, 1);
	conn_seg(&c, 1, seq, 0, 0, buf, 10, 1);
	seq += (uint32_t)k;
	seq += (uint32_t)msg(buf, 30, 2); /* lost, and the rest of 1 */
	k = msg(buf, 30, 3);
	conn_seg(&c, 1, seq, 0, 0, buf, k, 1);
	assert_int_equal(c.n, 0);
	conn_seg(&c, 1, seq + (uint32_t)k, 0, TH_RST, NULL, 0, 1);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.m[0].id, 3);
	assert_int_equal(c.m[0].packet_no, 3);
	assert_int_equal(conn_stats(&c)->tcp_gaps, 1);
	conn_finish(&c);
	assert_int_equal(c.n, 1);
	conn_free(&c);
}

/*
 * The dnscap do1t-nosyn-1nolen case: the capture starts without the SYN
 * and its first segment is a query's body without the prefix (the id
 * reads as a length). That body is never handed out; the next prefix,
 * in a segment of its own, is confirmed by the body that follows it.
 */
static void test_nosyn_mid_message(void **state)
{
	struct conn c;
	uint8_t q[64];
	uint32_t seq = 77777;

	(void)state;
	conn_init(&c);
	msg(q, 28, 0xe7af);
	conn_seg(&c, 1, seq, 0, TH_ACK, q + 2, 28, 0);
	seq += 28;
	for (uint16_t id = 1; id <= 3; id++) {
		msg(q, 45, id);
		conn_seg(&c, 1, seq, 0, TH_ACK, q, 2, 1);
		conn_seg(&c, 1, seq + 2, 0, TH_ACK, q + 2, 45, 1);
		seq += 47;
		assert_int_equal(c.n, id);
		assert_int_equal(c.m[id - 1].id, id);
		assert_int_equal(c.m[id - 1].packet_no, c.no);
	}
	conn_finish(&c);
	assert_int_equal(c.n, 3);
	assert_int_equal(count_id(&c, 0xe7af, 1), 0);
	conn_free(&c);
}

/* Without a SYN, a segment start confirmed by two whole messages in a
 * row, though the segment ends in the middle of a third. */
static void test_nosyn_pipelined(void **state)
{
	struct conn c;
	size_t o = 0, cut1, cut2;

	(void)state;
	conn_init(&c);
	o += msg(buf + o, 100, 1);
	cut1 = 37; /* the capture starts inside message 1 */
	o += msg(buf + o, 50, 2);
	o += msg(buf + o, 60, 3);
	cut2 = o + 20; /* inside message 4 */
	o += msg(buf + o, 70, 4);
	o += msg(buf + o, 80, 5);
	conn_seg(&c, 0, 4000 + (uint32_t)cut1, 0, TH_ACK, buf + cut1, 102 - cut1, 0);
	assert_int_equal(c.n, 0);
	conn_seg(&c, 0, 4000 + 102, 0, TH_ACK, buf + 102, cut2 - 102, 1);
	assert_int_equal(c.n, 2);
	conn_seg(&c, 0, 4000 + (uint32_t)cut2, 0, TH_ACK, buf + cut2, o - cut2, 1);
	conn_finish(&c);
	assert_int_equal(c.n, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(c.m[i].id, i + 2);
	conn_free(&c);
}

/* With no more data to come (end of capture, FIN), one whole message is
 * enough to confirm a start. */
static void test_nosyn_final(void **state)
{
	struct conn c;
	size_t o;

	(void)state;
	conn_init(&c);
	o = msg(buf, 40, 9);
	o += msg(buf + o, 40, 10);
	conn_seg(&c, 1, 1, 0, TH_ACK, buf, o - 20, 0);
	assert_int_equal(c.n, 0);
	conn_finish(&c);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.m[0].id, 9);
	assert_int_equal(c.m[0].frame, -1);
	conn_free(&c);

	conn_init(&c);
	conn_seg(&c, 1, 1, 0, TH_ACK | TH_FIN, buf, o - 20, 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.m[0].frame, 1);
	conn_finish(&c);
	assert_int_equal(c.n, 1);
	conn_free(&c);
}

/* A tiny generator for reproducible garbage. */
static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* Bytes that are not DNS over TCP never come out as messages out of step,
 * whether the flow never had a SYN or lost its step at a hole. */
static void test_garbage_never_handed_out(void **state)
{
	struct conn c;
	uint32_t rnd = 1, seq = 1;

	(void)state;
	conn_init(&c);
	for (int i = 0; i < 400; i++) {
		size_t n = 1 + lcg(&rnd) % 300;
		for (size_t j = 0; j < n; j++)
			buf[j] = (uint8_t)lcg(&rnd);
		conn_seg(&c, 1, seq, 0, TH_ACK, buf, n, 1);
		seq += (uint32_t)n;
	}
	/* Zeros: every prefix is a length below a header. */
	memset(buf, 0, 1000);
	conn_seg(&c, 1, seq, 0, TH_ACK, buf, 1000, 1);
	conn_finish(&c);
	assert_int_equal(c.n, 0);
	conn_free(&c);

	/* ASCII text, as from a protocol that is not DNS on port 53. */
	conn_init(&c);
	seq = 1;
	for (int i = 0; i < 50; i++) {
		static const char line[] =
		    "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n\r\n";
		conn_seg(&c, 1, seq, 0, TH_ACK, (const uint8_t *)line, sizeof(line) - 1, 1);
		seq += (uint32_t)(sizeof(line) - 1);
	}
	conn_finish(&c);
	assert_int_equal(c.n, 0);
	conn_free(&c);

	/* In step after a SYN, then a hole the receiver acknowledged, then
	 * garbage: the message before the hole only. */
	conn_init(&c);
	conn_seg(&c, 1, 0, 0, TH_SYN, NULL, 0, 0);
	size_t k = msg(buf, 30, 1);
	conn_seg(&c, 1, 1, 0, 0, buf, k, 1);
	conn_seg(&c, 0, 1, 5000, TH_ACK, NULL, 0, 1);
	seq = 5000;
	rnd = 7;
	for (int i = 0; i < 100; i++) {
		size_t n = 1 + lcg(&rnd) % 200;
		for (size_t j = 0; j < n; j++)
			buf[j] = (uint8_t)lcg(&rnd);
		conn_seg(&c, 1, seq, 0, TH_ACK, buf, n, 1);
		seq += (uint32_t)n;
	}
	conn_finish(&c);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.m[0].id, 1);
	assert_int_equal(conn_stats(&c)->tcp_gaps, 1);
	conn_free(&c);
}

/* One message that frames a segment exactly, without a SYN, with the
 * header changed at byte off to v (off < 0: unchanged). Returns the
 * number of messages handed out. With syn, the stream starts with a SYN
 * and is trusted as it is. */
static int one_framed(size_t len, int off, uint8_t v, int syn)
{
	struct conn c;
	int n;

	conn_init(&c);
	c.raw = 1;
	msg(buf, len, 42);
	if (off >= 0)
		buf[2 + off] = v;
	if (syn)
		conn_seg(&c, 1, 99, 0, TH_SYN, NULL, 0, 0);
	conn_seg(&c, 1, 100, 0, TH_ACK, buf, len + 2, 1);
	conn_finish(&c);
	n = c.n;
	conn_free(&c);
	return n;
}

static void test_plausible_header(void **state)
{
	(void)state;
	assert_int_equal(one_framed(40, -1, 0, 0), 1);
	/* The smallest: a header and the root name's question. */
	assert_int_equal(one_framed(17, -1, 0, 0), 1);
	/* Opcode 3 (unassigned), 7 and 15. */
	assert_int_equal(one_framed(40, 2, 0x18, 0), 0);
	assert_int_equal(one_framed(40, 2, 0x38, 0), 0);
	assert_int_equal(one_framed(40, 2, 0x78, 0), 0);
	/* NOTIFY, UPDATE and DSO are known. */
	assert_int_equal(one_framed(40, 2, 0x20, 0), 1);
	assert_int_equal(one_framed(40, 2, 0x28, 0), 1);
	assert_int_equal(one_framed(40, 2, 0x30, 0), 1);
	/* A query with a response code; a response may have one. */
	assert_int_equal(one_framed(40, 3, 0x01, 0), 0);
	/* QDCOUNT 2; ANCOUNT 3 needs 12 + 5 + 33 bytes, more than 40. */
	assert_int_equal(one_framed(40, 5, 2, 0), 0);
	assert_int_equal(one_framed(40, 7, 3, 0), 0);
	assert_int_equal(one_framed(50, 7, 3, 0), 1);
	/* After a SYN the stream is trusted: opcode 3 comes out. */
	assert_int_equal(one_framed(40, 2, 0x18, 1), 1);
}

/* A response of 65535 bytes over many segments, after a prefix in a
 * segment of its own and without a SYN. */
static void test_nosyn_maximum(void **state)
{
	struct conn c;
	size_t total = msg(buf, 65535, 0x8181);
	uint32_t seq = 0xfffff000u; /* and the sequence numbers wrap */

	(void)state;
	conn_init(&c);
	conn_seg(&c, 0, seq, 0, TH_ACK, buf, 2, 0);
	for (size_t o = 2; o < total; o += 1448) {
		size_t n = total - o < 1448 ? total - o : 1448;
		conn_seg(&c, 0, seq + (uint32_t)o, 0, TH_ACK, buf + o, n, 0);
	}
	assert_int_equal(c.n, 1);
	assert_int_equal(c.m[0].len, 65535);
	assert_int_equal(c.m[0].packet_no, c.no);
	conn_finish(&c);
	assert_int_equal(conn_stats(&c)->tcp_gaps, 0);
	conn_free(&c);
}

/* A PKTAP record: the header (little- or big-endian, hlen bytes, record
 * type rtype, inner link type dlt) and the inner frame. */
static size_t pktap(uint8_t *out, int big, uint32_t hlen, uint32_t rtype, uint32_t dlt,
                    const uint8_t *inner, size_t n)
{
	uint32_t v[3] = {hlen, rtype, dlt};

	memset(out, 0, hlen);
	for (int i = 0; i < 3; i++)
		for (int b = 0; b < 4; b++)
			out[i * 4 + b] = (uint8_t)(big ? v[i] >> (24 - 8 * b) : v[i] >> (8 * b));
	memcpy(out + hlen, inner, n);
	return hlen + n;
}

static void test_pktap(void **state)
{
	struct cap_frame *f = NULL;
	struct cap_dns m;
	static uint8_t frame[2000], eth[2000], dns[100];
	size_t k, n, e;

	(void)state;
	assert_int_equal(cap_frame_new(&f, NULL), 0);
	const struct cap_stats *st = cap_frame_stats(f);
	pkt_dns(dns, 40, 17153);
	k = pkt_udp(l4, 63538, 53, dns, 40);
	k = pkt_ip4(ip, "10.32.4.27", "10.32.100.15", 17, 1, 0, 0, l4, k);
	e = pkt_eth(eth, NULL, 0, 0x0800, ip, k);

	/* As macOS writes it: 108-byte header, Ethernet inside. */
	static const int types[] = {CAP_LINK_PKTAP, CAP_LINK_USER2};
	for (int big = 0; big < 2; big++) {
		for (int i = 0; i < 2; i++) {
			n = pktap(frame, big, 108, 1, 1, eth, e);
			cap_frame_decode(f, types[i], frame, n, n, T0, 1);
			assert_int_equal(cap_frame_next(f, &m), 1);
			assert_int_equal(m.len, 40);
			assert_int_equal(m.sport, 63538);
			assert_memory_equal(m.data, dns, 40);
			assert_int_equal(cap_frame_next(f, &m), 0);
		}
	}
	/* Raw IP inside (DLT_RAW is 12 on macOS), a 156-byte header. */
	n = pktap(frame, 0, 156, 1, 12, ip, k);
	cap_frame_decode(f, CAP_LINK_PKTAP, frame, n, n, T0, 2);
	assert_int_equal(cap_frame_next(f, &m), 1);
	assert_memory_equal(m.data, dns, 40);
	assert_int_equal(st->dns_messages, 5);

	/* Not a packet record: counted, nothing read. */
	n = pktap(frame, 0, 108, 0, 1, eth, e);
	cap_frame_decode(f, CAP_LINK_PKTAP, frame, n, n, T0, 3);
	assert_int_equal(cap_frame_next(f, &m), 0);
	assert_int_equal(st->not_dns, 1);
	/* Headers that do not fit: longer than the frame either way, shorter
	 * than its own fields, and cut off. */
	uint64_t bad = st->bad_link;
	n = pktap(frame, 0, 108, 1, 1, eth, e);
	cap_frame_decode(f, CAP_LINK_PKTAP, frame, 107, 107, T0, 4);
	n = pktap(frame, 0, 8, 1, 1, eth, e);
	cap_frame_decode(f, CAP_LINK_PKTAP, frame, n, n, T0, 5);
	cap_frame_decode(f, CAP_LINK_PKTAP, frame, 11, 11, T0, 6);
	cap_frame_decode(f, CAP_LINK_PKTAP, NULL, 0, 0, T0, 7);
	/* The header length exactly the frame: an empty inner frame. */
	n = pktap(frame, 0, 108, 1, 1, eth, 0);
	cap_frame_decode(f, CAP_LINK_PKTAP, frame, n, n, T0, 8);
	/* PKTAP inside PKTAP is not followed. */
	uint8_t inner[2000];
	size_t in = pktap(inner, 0, 108, 1, 1, eth, e);
	n = pktap(frame, 0, 108, 1, CAP_LINK_PKTAP, inner, in);
	cap_frame_decode(f, CAP_LINK_PKTAP, frame, n, n, T0, 9);
	/* An unknown inner link type. */
	n = pktap(frame, 0, 108, 1, 9999, eth, e);
	cap_frame_decode(f, CAP_LINK_PKTAP, frame, n, n, T0, 10);
	assert_int_equal(cap_frame_next(f, &m), 0);
	assert_int_equal(st->bad_link, bad + 7);
	assert_int_equal(st->dns_messages, 5);
	cap_frame_free(f);
}

/* The same through a pcap file with link type 258, as tcpdump's test
 * capture is. */
static void test_pktap_file(void **state)
{
	struct capw w;
	struct cap_reader *r = NULL;
	struct cap_dns m;
	static uint8_t frame[2000], eth[2000], dns[100];
	size_t k, e, n;

	(void)state;
	pkt_dns(dns, 32, 17153);
	k = pkt_udp(l4, 63538, 53, dns, 32);
	k = pkt_ip4(ip, "10.32.4.27", "10.32.100.15", 17, 1, 0, 0, l4, k);
	e = pkt_eth(eth, NULL, 0, 0x0800, ip, k);
	for (int big = 0; big < 2; big++) {
		capw_init(&w);
		capw_pcap_header(&w, big, 0, CAP_LINK_PKTAP);
		n = pktap(frame, big, 108, 1, 1, eth, e);
		capw_pcap_record(&w, 1392802874, 221562, frame, n, n);
		assert_int_equal(cap_reader_open(&r, capw_path(&w, 0), NULL), 0);
		assert_int_equal(cap_reader_linktype(r), CAP_LINK_PKTAP);
		assert_int_equal(cap_reader_next(r, &m), 1);
		assert_int_equal(m.len, 32);
		assert_memory_equal(m.data, dns, 32);
		assert_int_equal(m.ts_ns, 1392802874221562000LL);
		assert_int_equal(cap_reader_next(r, &m), 0);
		cap_reader_free(r);
		capw_release(&w);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_null_and_empty),
	    cmocka_unit_test(test_hole_acknowledged),
	    cmocka_unit_test(test_hole_times_out),
	    cmocka_unit_test(test_hole_store_full),
	    cmocka_unit_test(test_hole_never_twice),
	    cmocka_unit_test(test_hole_reset),
	    cmocka_unit_test(test_nosyn_mid_message),
	    cmocka_unit_test(test_nosyn_pipelined),
	    cmocka_unit_test(test_nosyn_final),
	    cmocka_unit_test(test_garbage_never_handed_out),
	    cmocka_unit_test(test_plausible_header),
	    cmocka_unit_test(test_nosyn_maximum),
	    cmocka_unit_test(test_pktap),
	    cmocka_unit_test(test_pktap_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
