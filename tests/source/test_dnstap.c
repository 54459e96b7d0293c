/*
 * test_dnstap.c - dnstap payloads and Frame Streams files, built byte by
 * byte here, and the peers' dnstap files checked against their expectations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "source/dnstap.h"
#include "source/source.h"
#include "util/err.h"

struct pb {
	uint8_t b[4096];
	size_t n;
};

static void pb_varint(struct pb *p, uint64_t v)
{
	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		p->b[p->n++] = (uint8_t)(c | (v ? 0x80 : 0));
	} while (v);
}

static void pb_key(struct pb *p, unsigned num, unsigned wire)
{
	pb_varint(p, (uint64_t)num << 3 | wire);
}

static void pb_uint(struct pb *p, unsigned num, uint64_t v)
{
	pb_key(p, num, 0);
	pb_varint(p, v);
}

static void pb_bytes(struct pb *p, unsigned num, const void *data, size_t len)
{
	pb_key(p, num, 2);
	pb_varint(p, len);
	memcpy(p->b + p->n, data, len);
	p->n += len;
}

static void pb_fixed32(struct pb *p, unsigned num, uint32_t v)
{
	pb_key(p, num, 5);
	for (int i = 0; i < 4; i++)
		p->b[p->n++] = (uint8_t)(v >> (8 * i));
}

/* A query for www.example.com/A with id 0x1234 and RD. */
static const uint8_t query[] = {0x12, 0x34, 0x01, 0x00, 0,   1,   0,   0,   0,   0,   0,
                                0,    3,    'w',  'w',  'w', 7,   'e', 'x', 'a', 'm', 'p',
                                'l',  'e',  3,    'c',  'o', 'm', 0,   0,   1,   0,   1};

/* A dnstap frame of the given message type around msg. */
static void make_frame(struct pb *out, unsigned type, const uint8_t *msg, size_t len, int v6)
{
	struct pb m = {.n = 0};
	static const uint8_t a4[] = {192, 0, 2, 1}, r4[] = {192, 0, 2, 53};
	static const uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	static const uint8_t r6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x53};

	pb_uint(&m, 1, type);
	pb_uint(&m, 2, v6 ? 2 : 1);
	pb_uint(&m, 3, 2); /* TCP */
	pb_bytes(&m, 4, v6 ? a6 : a4, v6 ? 16 : 4);
	pb_bytes(&m, 5, v6 ? r6 : r4, v6 ? 16 : 4);
	pb_uint(&m, 6, 40000);
	pb_uint(&m, 7, 53);
	pb_uint(&m, 8, 1714564800);
	pb_fixed32(&m, 9, 123456789);
	pb_uint(&m, 12, 1714564801);
	pb_fixed32(&m, 13, 5);
	pb_bytes(&m, (type % 2) ? 10 : 14, msg, len);
	pb_uint(&m, 99, 7); /* a field from the future: skipped */

	out->n = 0;
	pb_bytes(out, 1, "resolver-1", 10);
	pb_bytes(out, 2, "test 1.0", 8);
	pb_bytes(out, 14, m.b, m.n);
	pb_uint(out, 15, 1);
}

static void decode_query_and_response(void **state)
{
	(void)state;
	struct pb f;
	struct ev_event *ev = malloc(sizeof(*ev));
	char t[DH_ADDR_TEXT_MAX];

	assert_non_null(ev);
	make_frame(&f, EV_ROLE_CLIENT_QUERY, query, sizeof(query), 0);
	ev_clear(ev);
	assert_int_equal(dnstap_decode(f.b, f.n, ev), 0);
	assert_string_equal(ev->observer, "resolver-1");
	assert_int_equal(ev->role, EV_ROLE_CLIENT_QUERY);
	assert_int_equal(ev->transport, EV_TRANSPORT_TCP);
	dh_addr_format(&ev->src, t, sizeof(t));
	assert_string_equal(t, "192.0.2.1");
	dh_addr_format(&ev->dst, t, sizeof(t));
	assert_string_equal(t, "192.0.2.53");
	assert_int_equal(ev->sport, 40000);
	assert_int_equal(ev->dport, 53);
	assert_true(ev->ts_ns == 1714564800123456789LL);
	assert_string_equal(ev->msg.qname, "www.example.com.");
	assert_int_equal(ev->msg.id, 0x1234);

	/* A response goes the other way and carries its own time. */
	make_frame(&f, EV_ROLE_CLIENT_RESPONSE, query, sizeof(query), 1);
	assert_int_equal(dnstap_decode(f.b, f.n, ev), 0);
	assert_int_equal(ev->role, EV_ROLE_CLIENT_RESPONSE);
	dh_addr_format(&ev->src, t, sizeof(t));
	assert_string_equal(t, "2001:db8::53");
	dh_addr_format(&ev->dst, t, sizeof(t));
	assert_string_equal(t, "2001:db8::1");
	assert_int_equal(ev->sport, 53);
	assert_int_equal(ev->dport, 40000);
	assert_true(ev->ts_ns == 1714564801000000005LL);
	free(ev);
}

static void decode_rejects_lies(void **state)
{
	(void)state;
	struct pb f;
	struct ev_event *ev = malloc(sizeof(*ev));

	assert_non_null(ev);
	make_frame(&f, EV_ROLE_CLIENT_QUERY, query, sizeof(query), 0);
	/* Every prefix of a good frame is rejected or decoded, never read
	 * past its end (the sanitizer build watches). */
	for (size_t cut = 0; cut < f.n; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		assert_non_null(copy);
		memcpy(copy, f.b, cut);
		ev_clear(ev);
		int rc = dnstap_decode(copy, cut, ev);
		assert_true(rc <= 0);
		free(copy);
	}
	ev_clear(ev);
	assert_int_equal(dnstap_decode(NULL, 0, ev), DH_ENOTDNS);
	/* A length larger than what follows. */
	static const uint8_t lie[] = {0x72, 0x7f, 0x08, 0x05};
	assert_true(dnstap_decode(lie, sizeof(lie), ev) < 0);
	/* A varint that never ends. */
	static const uint8_t endless[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
	                                  0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	assert_true(dnstap_decode(endless, sizeof(endless), ev) < 0);
	/* A message type outside dnstap's range. */
	make_frame(&f, 15, query, sizeof(query), 0);
	assert_int_equal(dnstap_decode(f.b, f.n, ev), DH_EMALFORMED);
	free(ev);
}

static void put32(FILE *fp, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	assert_int_equal(fwrite(b, 1, 4, fp), 4);
}

static void write_control(FILE *fp, unsigned type)
{
	uint8_t buf[128];
	int n = fstrm_control_write(buf, sizeof(buf), type,
	                            type == FSTRM_CONTROL_START ? DNSTAP_CONTENT_TYPE : NULL);
	assert_true(n > 0);
	assert_int_equal(fwrite(buf, 1, (size_t)n, fp), (size_t)n);
}

struct bad_log {
	unsigned count;
	char where[64];
};

static void on_bad(void *ctx, const char *path, const char *where, int err)
{
	struct bad_log *b = ctx;
	(void)path;
	(void)err;
	b->count++;
	snprintf(b->where, sizeof(b->where), "%s", where);
}

static void file_with_a_bad_frame(void **state)
{
	(void)state;
	char path[] = "/tmp/dh-dnstap-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *fp = fdopen(fd, "wb");
	struct pb f;

	write_control(fp, FSTRM_CONTROL_START);
	make_frame(&f, EV_ROLE_RESOLVER_QUERY, query, sizeof(query), 0);
	put32(fp, (uint32_t)f.n);
	fwrite(f.b, 1, f.n, fp);
	put32(fp, 3); /* a frame whose protobuf is garbage */
	fwrite("\xff\xff\xff", 1, 3, fp);
	make_frame(&f, EV_ROLE_RESOLVER_RESPONSE, query, sizeof(query), 1);
	put32(fp, (uint32_t)f.n);
	fwrite(f.b, 1, f.n, fp);
	write_control(fp, FSTRM_CONTROL_STOP);
	fclose(fp);

	struct bad_log bad = {0};
	struct src_options opt = {.on_bad = on_bad, .on_bad_ctx = &bad};
	struct src_reader *r;
	struct ev_event *ev = malloc(sizeof(*ev));
	assert_non_null(ev);
	assert_int_equal(src_open(&r, path, "auto", &opt), 0);
	assert_string_equal(src_format(r), "dnstap");
	int n = 0, rc;
	while ((rc = src_next(r, ev)) == 1) {
		assert_int_equal(ev->role,
		                 n == 0 ? EV_ROLE_RESOLVER_QUERY : EV_ROLE_RESOLVER_RESPONSE);
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 2);
	assert_int_equal(bad.count, 1);
	assert_string_equal(bad.where, "frame 3");
	struct src_stats st;
	src_stats(r, &st);
	assert_int_equal(st.events, 2);
	assert_int_equal(st.malformed, 1);
	src_close(r);

	/* Cut inside the last data frame: the good frames before it come
	 * out, then the error. */
	assert_int_equal(truncate(path, 40), 0);
	assert_int_equal(src_open(&r, path, "dnstap", &opt), 0);
	n = 0;
	while ((rc = src_next(r, ev)) == 1)
		n++;
	assert_true(rc < 0);
	src_close(r);
	unlink(path);
	free(ev);
}

static void peer_files(void **state)
{
	(void)state;
	const char *dir = getenv("DH_PEERS_DIR");
	char path[4096];
	struct src_reader *r;
	struct ev_event *ev = malloc(sizeof(*ev));
	unsigned udp = 0, dot = 0, doh = 0, n = 0;

	assert_non_null(ev);
	if (!dir || access(dir, R_OK) != 0) {
		free(ev);
		skip();
	}
	/* dsc's dnstap_encrypted.gold counts 3 UDP and 4 TCP messages, one
	 * DoT and one DoH query among them. */
	snprintf(path, sizeof(path), "%s/DNS-OARC_dsc/src/test/dotdoh.dnstap", dir);
	assert_int_equal(src_open(&r, path, "auto", NULL), 0);
	while (src_next(r, ev) == 1) {
		udp += ev->transport == EV_TRANSPORT_UDP;
		dot += ev->transport == EV_TRANSPORT_DOT;
		doh += ev->transport == EV_TRANSPORT_DOH;
		assert_string_equal(ev->msg.qname, "google.com.");
		assert_int_equal(ev->msg.err, 0);
	}
	src_close(r);
	assert_int_equal(udp, 3);
	assert_int_equal(dot, 2);
	assert_int_equal(doh, 2);

	/* dsc's 1573730567.gold: one query and its answer for google.com. */
	snprintf(path, sizeof(path), "%s/DNS-OARC_dsc/src/test/test.dnstap", dir);
	assert_int_equal(src_open(&r, path, "auto", NULL), 0);
	while (src_next(r, ev) == 1) {
		assert_string_equal(ev->msg.qname, "google.com.");
		assert_int_equal(ev->msg.qtype, 1);
		assert_int_equal(dns_msg_is_response(&ev->msg), n == 1);
		assert_true(ev->ts_ns / 1000000000 == 1573730567);
		n++;
	}
	src_close(r);
	assert_int_equal(n, 2);

	snprintf(path, sizeof(path),
	         "%s/dmachard_go-dnscollector/tests/testsdata/dnstap/dnstap.fstrm", dir);
	assert_int_equal(src_open(&r, path, "auto", NULL), 0);
	n = 0;
	while (src_next(r, ev) == 1) {
		assert_string_equal(ev->msg.qname, "www.google.com.");
		n++;
	}
	src_close(r);
	assert_int_equal(n, 2);
	free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(decode_query_and_response),
	    cmocka_unit_test(decode_rejects_lies),
	    cmocka_unit_test(file_with_a_bad_frame),
	    cmocka_unit_test(peer_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
