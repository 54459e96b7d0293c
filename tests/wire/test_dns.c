/*
 * test_dns.c - dns_parse() against crafted messages: the empty and
 * maximum cases, compression, every kind of lie, truncation at every
 * offset, EDNS and Client Subnet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "msg_build.h"
#include "util/err.h"
#include "wire/dns.h"
#include "wire/dns_text.h"

static struct dns_msg msg;
static struct mb mb;

static int parse(void)
{
	return dns_parse(&msg, mb.buf, mb.len);
}

static void test_null_and_empty(void **state)
{
	(void)state;
	const uint8_t one = 0;

	assert_int_equal(dns_parse(NULL, &one, 1), DH_EUSAGE);
	assert_int_equal(dns_parse(&msg, NULL, 0), DH_ETRUNC);
	assert_int_equal(dns_parse(&msg, NULL, 5), DH_EUSAGE);
	assert_int_equal(dns_parse(&msg, &one, 0), DH_ETRUNC);
	assert_int_equal(msg.err, DH_ETRUNC);
	assert_int_equal(msg.has_question, 0);
	assert_string_equal(msg.qname, "");
	assert_int_equal(msg.rr_count, 0);

	dns_msg_clear(NULL);
	msg.rr_count = 3;
	dns_msg_clear(&msg);
	assert_int_equal(msg.rr_count, 0);
	assert_null(msg.wire);
}

static void test_header_only(void **state)
{
	(void)state;
	mb_header(&mb, 0xbeef, DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA | 3, 0, 0, 0, 0);
	assert_int_equal(parse(), 0);
	assert_int_equal(msg.id, 0xbeef);
	assert_true(dns_msg_is_response(&msg));
	assert_int_equal(dns_msg_rcode(&msg), 3);
	assert_int_equal(dns_msg_opcode(&msg), 0);
	assert_int_equal(msg.has_question, 0);
	assert_string_equal(msg.qname, "");
	assert_int_equal(msg.rr_count, 0);
	assert_int_equal(msg.edns.present, 0);

	/* Eleven bytes are not a header. */
	assert_int_equal(dns_parse(&msg, mb.buf, 11), DH_ETRUNC);
	assert_int_equal(msg.id, 0);
}

static void test_question_only(void **state)
{
	(void)state;
	mb_header(&mb, 1, 5 << 11, 1, 0, 0, 0);
	mb_question(&mb, "WwW.Example.COM", DNS_T_AAAA, 1);
	assert_int_equal(parse(), 0);
	assert_int_equal(dns_msg_opcode(&msg), 5);
	assert_int_equal(msg.has_question, 1);
	assert_string_equal(msg.qname, "www.example.com.");
	assert_int_equal(msg.qname_len, 16);
	assert_int_equal(msg.qtype, DNS_T_AAAA);
	assert_int_equal(msg.qclass, 1);

	mb_header(&mb, 1, 0, 1, 0, 0, 0);
	mb_question(&mb, "", DNS_T_NS, 1);
	assert_int_equal(parse(), 0);
	assert_string_equal(msg.qname, ".");
	assert_int_equal(msg.qname_len, 1);

	/* Name intact but type and class missing: no question. */
	mb_header(&mb, 1, 0, 1, 0, 0, 0);
	mb_name(&mb, "a.b");
	mb_u16(&mb, 1);
	assert_int_equal(parse(), DH_ETRUNC);
	assert_int_equal(msg.has_question, 0);
	assert_string_equal(msg.qname, "");
}

static void test_more_questions(void **state)
{
	(void)state;
	mb_header(&mb, 1, 0, 3, 0, 0, 0);
	mb_question(&mb, "first.example", 1, 1);
	mb_name_ptr(&mb, "second", 12);
	mb_u16(&mb, 28);
	mb_u16(&mb, 1);
	mb_question(&mb, "third", 16, 1);
	assert_int_equal(parse(), 0);
	assert_string_equal(msg.qname, "first.example.");
	assert_int_equal(msg.qtype, 1);

	/* Three announced, one there. */
	mb_header(&mb, 1, 0, 3, 0, 0, 0);
	mb_question(&mb, "first.example", 1, 1);
	assert_int_equal(parse(), DH_ECOUNT);
	assert_int_equal(msg.has_question, 1);
	assert_string_equal(msg.qname, "first.example.");
}

/* A response: www.example.com CNAME web.example.com, A, with compression
 * everywhere, plus an NS in authority and an OPT. Returns the offset just
 * after the question. */
static size_t build_response(struct mb *b)
{
	mb_header(b, 0x1234, DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA, 1, 2, 1, 1);
	mb_question(b, "www.example.com", DNS_T_A, 1);
	size_t qend = b->len;
	/* www.example.com. CNAME web.example.com. */
	mb_u16(b, 0xc00c);
	mb_rr_fixed(b, DNS_T_CNAME, 1, 300, 6);
	size_t web = b->len;
	mb_name_ptr(b, "web", 16);
	/* web.example.com. A 192.0.2.7 */
	mb_u16(b, 0xc000 | (unsigned)web);
	mb_rr_fixed(b, DNS_T_A, 1, 60, 4);
	mb_bytes(b, "\xc0\x00\x02\x07", 4);
	/* example.com. NS ns1.example.com. */
	mb_u16(b, 0xc010);
	mb_rr_fixed(b, DNS_T_NS, 1, 86400, 6);
	mb_name_ptr(b, "ns1", 16);
	/* OPT, udp 1232, DO. */
	mb_u8(b, 0);
	mb_rr_fixed(b, DNS_T_OPT, 1232, 0x8000, 0);
	return qend;
}

static void test_compression(void **state)
{
	(void)state;
	char text[DNS_NAME_TEXT_MAX];

	build_response(&mb);
	assert_int_equal(parse(), 0);
	assert_int_equal(msg.rr_count, 4);
	assert_int_equal(msg.rr_dropped, 0);
	assert_int_equal(msg.rr[0].section, DNS_SEC_ANSWER);
	assert_int_equal(msg.rr[0].type, DNS_T_CNAME);
	assert_int_equal(msg.rr[0].ttl, 300);
	assert_int_equal(msg.rr[1].type, DNS_T_A);
	assert_int_equal(msg.rr[2].section, DNS_SEC_AUTHORITY);
	assert_int_equal(msg.rr[3].section, DNS_SEC_ADDITIONAL);
	assert_int_equal(msg.rr[3].type, DNS_T_OPT);

	assert_int_equal(dns_rr_owner_text(&msg, &msg.rr[0], text, sizeof(text)), 16);
	assert_string_equal(text, "www.example.com.");
	assert_true(dns_rr_data_text(&msg, &msg.rr[0], text, sizeof(text)) > 0);
	assert_string_equal(text, "web.example.com.");
	assert_true(dns_rr_owner_text(&msg, &msg.rr[1], text, sizeof(text)) > 0);
	assert_string_equal(text, "web.example.com.");
	assert_true(dns_rr_data_text(&msg, &msg.rr[1], text, sizeof(text)) > 0);
	assert_string_equal(text, "192.0.2.7");
	assert_true(dns_rr_owner_text(&msg, &msg.rr[2], text, sizeof(text)) > 0);
	assert_string_equal(text, "example.com.");
	assert_true(dns_rr_data_text(&msg, &msg.rr[2], text, sizeof(text)) > 0);
	assert_string_equal(text, "ns1.example.com.");
	assert_true(dns_rr_owner_text(&msg, &msg.rr[3], text, sizeof(text)) > 0);
	assert_string_equal(text, ".");

	assert_int_equal(msg.edns.present, 1);
	assert_int_equal(msg.edns.udp_size, 1232);
	assert_int_equal(msg.edns.do_bit, 1);
	assert_int_equal(msg.edns.ecs_present, 0);
}

static void test_pointer_to_itself(void **state)
{
	(void)state;
	/* The question name is a pointer to its own offset. */
	mb_header(&mb, 1, 0, 1, 0, 0, 0);
	mb_u16(&mb, 0xc00c);
	mb_u16(&mb, 1);
	mb_u16(&mb, 1);
	assert_int_equal(parse(), DH_ELOOP);
	assert_int_equal(msg.has_question, 0);
	assert_string_equal(msg.qname, "");
	assert_int_equal(msg.id, 1);

	/* A label, then a pointer back to the label's own start. */
	mb_header(&mb, 1, 0, 1, 0, 0, 0);
	mb_name_ptr(&mb, "foo", 12);
	mb_u16(&mb, 1);
	mb_u16(&mb, 1);
	assert_int_equal(parse(), DH_ELOOP);
	assert_int_equal(msg.has_question, 0);
}

static void test_forward_pointer(void **state)
{
	(void)state;
	mb_header(&mb, 1, 0, 1, 0, 0, 0);
	mb_u16(&mb, 0xc000 | 18); /* to "x." six octets on */
	mb_u16(&mb, 1);
	mb_u16(&mb, 1);
	mb_name(&mb, "x");
	assert_int_equal(parse(), DH_ELOOP);

	/* A pointer past the end of the message. */
	mb_header(&mb, 1, 0, 1, 0, 0, 0);
	mb_u16(&mb, 0xc000 | 0x3fff);
	mb_u16(&mb, 1);
	mb_u16(&mb, 1);
	assert_int_equal(parse(), DH_ELOOP);

	/* An owner name pointing forward is caught by the parser. */
	mb_header(&mb, 1, DNS_FLAG_QR, 1, 1, 0, 0);
	mb_question(&mb, "a", 1, 1);
	mb_u16(&mb, 0xc000 | (unsigned)(mb.len + 2));
	mb_rr_fixed(&mb, 1, 1, 0, 4);
	mb_u32(&mb, 0);
	assert_int_equal(parse(), DH_ELOOP);
	assert_int_equal(msg.has_question, 1);
	assert_int_equal(msg.rr_count, 0);
}

static void test_pointer_loop(void **state)
{
	(void)state;
	char text[DNS_NAME_TEXT_MAX];

	/* Two names pointing at each other: the owner at B points back to A
	 * (allowed), and A ("a" + pointer) points forward to B. The parser
	 * only sees B's backwards pointer; rendering must refuse the loop. */
	mb_header(&mb, 1, DNS_FLAG_QR, 0, 2, 0, 0);
	size_t a = mb.len;
	/* Record 1: owner "a" + pointer to B (forward), TXT rdata. */
	size_t b_off = a + 2 + 2 + 10 + 2;
	mb_name_ptr(&mb, "a", (unsigned)b_off);
	mb_rr_fixed(&mb, DNS_T_TXT, 1, 0, 2);
	mb_u8(&mb, 1);
	mb_u8(&mb, 'x');
	assert_int_equal(mb.len, b_off);
	/* Record 2: owner "b" + pointer to A. */
	mb_name_ptr(&mb, "b", (unsigned)a);
	mb_rr_fixed(&mb, DNS_T_A, 1, 0, 4);
	mb_u32(&mb, 0x7f000001);
	/* Record 1's owner pointer goes forward: caught by the parser. */
	assert_int_equal(parse(), DH_ELOOP);
	assert_int_equal(msg.rr_count, 0);

	/* Now a loop the parser cannot see: CNAME data pointing at a
	 * later name that points back into the data. */
	mb_header(&mb, 1, DNS_FLAG_QR, 0, 2, 0, 0);
	mb_name(&mb, "c");
	mb_rr_fixed(&mb, DNS_T_CNAME, 1, 0, 4);
	size_t data = mb.len;
	size_t second = data + 4;
	mb_name_ptr(&mb, "d", (unsigned)second);
	mb_name_ptr(&mb, "e", (unsigned)data);
	mb_rr_fixed(&mb, DNS_T_A, 1, 0, 4);
	mb_u32(&mb, 0);
	assert_int_equal(parse(), 0);
	assert_int_equal(msg.rr_count, 2);
	assert_int_equal(dns_rr_owner_text(&msg, &msg.rr[1], text, sizeof(text)), DH_ELOOP);
	assert_string_equal(text, "");
	/* The CNAME's RDATA is unreadable as a name: shown as unknown. */
	assert_true(dns_rr_data_text(&msg, &msg.rr[0], text, sizeof(text)) > 0);
	assert_string_equal(text, "\\# 4 0164C01D");
}

static void append_labels(struct mb *b, const unsigned *lens, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		mb_u8(b, lens[i]);
		for (unsigned k = 0; k < lens[i]; k++)
			mb_u8(b, 'a' + (char)(i % 26));
	}
	mb_u8(b, 0);
}

static void test_name_length(void **state)
{
	(void)state;
	/* 64 + 64 + 64 + 62 + 1 = 255 octets: the longest legal name. */
	static const unsigned max[] = {63, 63, 63, 61};
	static const unsigned over[] = {63, 63, 63, 62};

	mb_header(&mb, 1, 0, 1, 0, 0, 0);
	append_labels(&mb, max, 4);
	mb_u16(&mb, 1);
	mb_u16(&mb, 1);
	assert_int_equal(parse(), 0);
	assert_int_equal(msg.qname_len, 63 * 3 + 61 + 4);

	mb_header(&mb, 1, 0, 1, 0, 0, 0);
	append_labels(&mb, over, 4);
	mb_u16(&mb, 1);
	mb_u16(&mb, 1);
	assert_int_equal(parse(), DH_ENAMELEN);
	assert_int_equal(msg.has_question, 0);

	/* The same two names as owners (the skipping path). */
	mb_header(&mb, 1, 0, 0, 1, 0, 0);
	append_labels(&mb, max, 4);
	mb_rr_fixed(&mb, 1, 1, 0, 4);
	mb_u32(&mb, 0);
	assert_int_equal(parse(), 0);
	assert_int_equal(msg.rr_count, 1);

	mb_header(&mb, 1, 0, 0, 1, 0, 0);
	append_labels(&mb, over, 4);
	mb_rr_fixed(&mb, 1, 1, 0, 4);
	mb_u32(&mb, 0);
	assert_int_equal(parse(), DH_ENAMELEN);
	assert_int_equal(msg.rr_count, 0);

	/* 255 octets reached through a pointer: the rendered length counts
	 * both parts. 12 + 64 + 64 + 64 + 1 ... then a name of a 61-octet
	 * label pointing at it is 62 + 192 + 1 = 255; 62 is one too many. */
	static const unsigned three[] = {63, 63, 63};
	for (unsigned last = 61; last <= 62; last++) {
		char text[DNS_NAME_TEXT_MAX];
		mb_header(&mb, 1, 0, 1, 1, 0, 0);
		append_labels(&mb, three, 3);
		mb_u16(&mb, 1);
		mb_u16(&mb, 1);
		mb_u8(&mb, last);
		for (unsigned k = 0; k < last; k++)
			mb_u8(&mb, 'z');
		mb_u16(&mb, 0xc00c);
		mb_rr_fixed(&mb, 1, 1, 0, 4);
		mb_u32(&mb, 0);
		assert_int_equal(parse(), 0);
		int rc = dns_rr_owner_text(&msg, &msg.rr[0], text, sizeof(text));
		if (last == 61)
			assert_int_equal(rc, 63 * 3 + 61 + 4);
		else
			assert_int_equal(rc, DH_ENAMELEN);
	}
}

static void test_label_length(void **state)
{
	(void)state;
	static const unsigned l63[] = {63};

	mb_header(&mb, 1, 0, 1, 0, 0, 0);
	append_labels(&mb, l63, 1);
	mb_u16(&mb, 1);
	mb_u16(&mb, 1);
	assert_int_equal(parse(), 0);
	assert_int_equal(msg.qname_len, 64);

	/* A length octet of 64 is label type 0x40. */
	mb_header(&mb, 1, 0, 1, 0, 0, 0);
	mb_u8(&mb, 64);
	for (int k = 0; k < 64; k++)
		mb_u8(&mb, 'a');
	mb_u8(&mb, 0);
	mb_u16(&mb, 1);
	mb_u16(&mb, 1);
	assert_int_equal(parse(), DH_ELABEL);

	mb_header(&mb, 1, 0, 1, 0, 0, 0);
	mb_u8(&mb, 0x80);
	mb_u8(&mb, 0);
	mb_u16(&mb, 1);
	mb_u16(&mb, 1);
	assert_int_equal(parse(), DH_ELABEL);

	/* In an owner name too. */
	mb_header(&mb, 1, 0, 0, 1, 0, 0);
	mb_u8(&mb, 0x41);
	mb_rr_fixed(&mb, 1, 1, 0, 4);
	mb_u32(&mb, 0);
	assert_int_equal(parse(), DH_ELABEL);
}

static void test_escapes(void **state)
{
	(void)state;
	static const uint8_t label[] = {'A', '.', '\\', ' ', 0, 0xff, '"', 'z'};
	char text[DNS_NAME_TEXT_MAX];

	mb_header(&mb, 1, 0, 1, 0, 0, 0);
	mb_u8(&mb, sizeof(label));
	mb_bytes(&mb, label, sizeof(label));
	mb_name(&mb, "COM");
	mb_u16(&mb, 1);
	mb_u16(&mb, 1);
	assert_int_equal(parse(), 0);
	assert_string_equal(msg.qname, "a\\.\\\\\\032\\000\\255\"z.com.");
	assert_int_equal(msg.qname_len, strlen(msg.qname));

	/* Case kept on request. */
	assert_int_equal(dns_name_text(mb.buf, mb.len, 12, text, sizeof(text), 0),
	                 (int)msg.qname_len);
	assert_string_equal(text, "A\\.\\\\\\032\\000\\255\"z.COM.");

	/* A worst case: 255 octets of \DDD escapes fit DNS_NAME_TEXT_MAX. */
	mb_header(&mb, 1, 0, 1, 0, 0, 0);
	for (int l = 0; l < 4; l++) {
		unsigned n = l < 3 ? 63 : 61;
		mb_u8(&mb, n);
		for (unsigned k = 0; k < n; k++)
			mb_u8(&mb, 0xfe);
	}
	mb_u8(&mb, 0);
	mb_u16(&mb, 1);
	mb_u16(&mb, 1);
	assert_int_equal(parse(), 0);
	assert_int_equal(msg.qname_len, 250 * 4 + 4);
	assert_true(msg.qname_len < DNS_NAME_TEXT_MAX);
}

static void test_name_text_api(void **state)
{
	(void)state;
	char text[9];

	mb.len = 0;
	mb_name(&mb, "abc.example");
	assert_int_equal(dns_name_text(NULL, 5, 0, text, sizeof(text), 1), DH_EUSAGE);
	assert_int_equal(dns_name_text(mb.buf, mb.len, 0, NULL, 8, 1), DH_EUSAGE);
	assert_int_equal(dns_name_text(mb.buf, mb.len, mb.len, text, sizeof(text), 1), DH_ETRUNC);
	assert_int_equal(dns_name_text(mb.buf, mb.len, 0, text, sizeof(text), 1), DH_ESPACE);
	assert_string_equal(text, "abc.exam");
	assert_int_equal(dns_name_text(mb.buf, mb.len, 0, text, 0, 1), DH_ESPACE);
	assert_int_equal(dns_name_text(mb.buf, mb.len, 4, text, sizeof(text), 1), 8);
	assert_string_equal(text, "example.");
	/* Cut inside a label. */
	assert_int_equal(dns_name_text(mb.buf, 6, 0, text, sizeof(text), 1), DH_ETRUNC);
}

static void test_counts_lying(void **state)
{
	(void)state;
	mb_header(&mb, 7, DNS_FLAG_QR, 1, 5, 0, 0);
	mb_question(&mb, "x.example", 1, 1);
	mb_u16(&mb, 0xc00c);
	mb_rr_fixed(&mb, 1, 1, 5, 4);
	mb_u32(&mb, 0x0a000001);
	assert_int_equal(parse(), DH_ECOUNT);
	assert_int_equal(msg.has_question, 1);
	assert_int_equal(msg.rr_count, 1);
	assert_int_equal(msg.ancount, 5);

	/* Every count at its maximum and nothing behind the header. */
	mb_header(&mb, 7, 0, 0xffff, 0xffff, 0xffff, 0xffff);
	assert_int_equal(parse(), DH_ECOUNT);
	assert_int_equal(msg.has_question, 0);

	/* Counts zero but a record follows: trailing bytes, not an error. */
	mb_header(&mb, 7, 0, 1, 0, 0, 0);
	mb_question(&mb, "x", 1, 1);
	mb_u32(&mb, 0xdeadbeef);
	assert_int_equal(parse(), 0);
	assert_int_equal(msg.rr_count, 0);
}

static void test_rdlen_lying(void **state)
{
	(void)state;
	mb_header(&mb, 7, DNS_FLAG_QR, 1, 1, 0, 0);
	mb_question(&mb, "x.example", 1, 1);
	mb_u16(&mb, 0xc00c);
	mb_rr_fixed(&mb, 1, 1, 5, 100);
	mb_u32(&mb, 0x0a000001);
	assert_int_equal(parse(), DH_ETRUNC);
	assert_int_equal(msg.has_question, 1);
	assert_string_equal(msg.qname, "x.example.");
	assert_int_equal(msg.rr_count, 0);

	/* rdlen 65535 at the very end. */
	mb_header(&mb, 7, DNS_FLAG_QR, 0, 1, 0, 0);
	mb_u8(&mb, 0);
	mb_rr_fixed(&mb, 1, 1, 5, 0xffff);
	assert_int_equal(parse(), DH_ETRUNC);
}

static void render_all(const struct dns_msg *m)
{
	char text[4096];
	char small[5];
	char num[16];

	for (unsigned i = 0; i < m->rr_count; i++) {
		(void)dns_rr_owner_text(m, &m->rr[i], text, sizeof(text));
		(void)dns_rr_data_text(m, &m->rr[i], text, sizeof(text));
		(void)dns_rr_data_text(m, &m->rr[i], small, sizeof(small));
		assert_true(strlen(small) < sizeof(small));
		assert_non_null(dns_type_name(m->rr[i].type, num, sizeof(num)));
	}
}

static void test_truncated_everywhere(void **state)
{
	(void)state;
	struct mb full;
	size_t qend = build_response(&full);

	for (size_t n = 0; n <= full.len; n++) {
		/* A heap copy of exactly n bytes, so that the sanitizer
		 * build catches a read past the end. */
		uint8_t *copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, full.buf, n);
		int rc = dns_parse(&msg, copy, n);
		if (n == full.len)
			assert_int_equal(rc, 0);
		else
			assert_true(rc == DH_ETRUNC || rc == DH_ECOUNT);
		assert_int_equal(msg.err, rc);
		if (n >= 12)
			assert_int_equal(msg.id, 0x1234);
		if (n >= qend) {
			assert_int_equal(msg.has_question, 1);
			assert_string_equal(msg.qname, "www.example.com.");
		} else {
			assert_int_equal(msg.has_question, 0);
		}
		assert_true(msg.rr_count <= 4);
		render_all(&msg);
		free(copy);
	}
}

static void build_opt(struct mb *b, uint32_t ttl, const uint8_t *opts, size_t olen)
{
	mb_header(b, 9, 0, 1, 0, 0, 1);
	mb_question(b, "ecs.example", 1, 1);
	mb_u8(b, 0);
	mb_rr_fixed(b, DNS_T_OPT, 4096, ttl, (unsigned)olen);
	mb_bytes(b, opts, olen);
}

static void test_edns(void **state)
{
	(void)state;
	char text[DH_ADDR_TEXT_MAX];
	/* ECS 192.0.2.0/24, scope 0; then a cookie option. */
	static const uint8_t v4[] = {0,  8, 0, 7, 0, 1, 24, 0, 192, 0, 2, 0,
	                             10, 0, 8, 1, 2, 3, 4,  5, 6,   7, 8};
	/* ECS 2001:db8:ab00::/40 scope 48. */
	static const uint8_t v6[] = {0, 8, 0, 9, 0, 2, 40, 48, 0x20, 0x01, 0x0d, 0xb8, 0xab};

	build_opt(&mb, 0x00008000, v4, sizeof(v4));
	assert_int_equal(parse(), 0);
	assert_int_equal(msg.edns.present, 1);
	assert_int_equal(msg.edns.udp_size, 4096);
	assert_int_equal(msg.edns.do_bit, 1);
	assert_int_equal(msg.edns.version, 0);
	assert_int_equal(msg.edns.ecs_present, 1);
	assert_int_equal(msg.edns.ecs_source_prefix, 24);
	assert_int_equal(msg.edns.ecs_scope_prefix, 0);
	assert_int_equal(msg.edns.ecs_addr.family, DH_AF_INET);
	dh_addr_format(&msg.edns.ecs_addr, text, sizeof(text));
	assert_string_equal(text, "192.0.2.0");

	build_opt(&mb, 0x00000000, v6, sizeof(v6));
	assert_int_equal(parse(), 0);
	assert_int_equal(msg.edns.do_bit, 0);
	assert_int_equal(msg.edns.ecs_present, 1);
	assert_int_equal(msg.edns.ecs_source_prefix, 40);
	assert_int_equal(msg.edns.ecs_scope_prefix, 48);
	assert_int_equal(msg.edns.ecs_addr.family, DH_AF_INET6);
	dh_addr_format(&msg.edns.ecs_addr, text, sizeof(text));
	assert_string_equal(text, "2001:db8:ab00::");

	/* Extended RCODE 1 with header RCODE 0 is 16, BADVERS; version 1. */
	build_opt(&mb, 0x01010000, NULL, 0);
	mb.buf[3] = 0;
	mb.buf[2] = 0x80;
	assert_int_equal(parse(), 0);
	assert_int_equal(msg.edns.ext_rcode, 1);
	assert_int_equal(msg.edns.version, 1);
	assert_int_equal(dns_msg_rcode(&msg), 16);
}

static void test_ecs_malformed(void **state)
{
	(void)state;
	/* Each is ignored: the message parses and ecs_present stays 0. */
	static const uint8_t bad[][12] = {
	    /* one address octet too many for /24 */
	    {0, 8, 0, 8, 0, 1, 24, 0, 192, 0, 2, 0},
	    /* bits set past a /20 */
	    {0, 8, 0, 7, 0, 1, 20, 0, 192, 0, 0xff, 0},
	    /* family 3 */
	    {0, 8, 0, 7, 0, 3, 24, 0, 192, 0, 2, 0},
	    /* prefix 33 for IPv4 */
	    {0, 8, 0, 9, 0, 1, 33, 0, 1, 2, 3, 4},
	    /* option shorter than the ECS header */
	    {0, 8, 0, 3, 0, 1, 24, 0, 0, 0, 0, 0},
	    /* option length past the RDATA */
	    {0, 8, 0, 40, 0, 1, 24, 0, 192, 0, 2, 0},
	};
	static const size_t lens[] = {12, 11, 11, 12, 7, 12};

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		build_opt(&mb, 0, bad[i], lens[i]);
		assert_int_equal(parse(), 0);
		assert_int_equal(msg.edns.present, 1);
		assert_int_equal(msg.edns.ecs_present, 0);
	}
	/* /0 is legal and has no address octets. */
	static const uint8_t zero[] = {0, 8, 0, 4, 0, 2, 0, 0};
	build_opt(&mb, 0, zero, sizeof(zero));
	assert_int_equal(parse(), 0);
	assert_int_equal(msg.edns.ecs_present, 1);
	assert_int_equal(msg.edns.ecs_addr.family, DH_AF_INET6);
}

static void test_many_records(void **state)
{
	(void)state;
	unsigned n = DNS_RR_MAX + 10;

	mb_header(&mb, 3, DNS_FLAG_QR, 1, n, 0, 1);
	mb_question(&mb, "many.example", 1, 1);
	for (unsigned i = 0; i < n; i++) {
		mb_u16(&mb, 0xc00c);
		mb_rr_fixed(&mb, DNS_T_A, 1, i, 4);
		mb_u32(&mb, i);
	}
	mb_u8(&mb, 0);
	mb_rr_fixed(&mb, DNS_T_OPT, 1400, 0x8000, 0);
	assert_int_equal(parse(), 0);
	assert_int_equal(msg.rr_count, DNS_RR_MAX);
	assert_int_equal(msg.rr_dropped, 11);
	assert_int_equal(msg.rr[DNS_RR_MAX - 1].ttl, DNS_RR_MAX - 1);
	/* The OPT after the dropped records still counts. */
	assert_int_equal(msg.edns.present, 1);
	assert_int_equal(msg.edns.udp_size, 1400);
}

static void test_maximum_message(void **state)
{
	(void)state;
	/* 65535 octets is the largest message; anything past it is ignored,
	 * so a record that needs octet 65536 is truncated. */
	mb_header(&mb, 3, DNS_FLAG_QR, 0, 1, 0, 0);
	mb_u8(&mb, 0);
	unsigned rdlen = 65535 - 12 - 11;
	mb_rr_fixed(&mb, DNS_T_NULL, 1, 0, rdlen);
	while (mb.len < 65535)
		mb_u8(&mb, 0xaa);
	assert_int_equal(parse(), 0);
	assert_int_equal(msg.rr[0].rdlen, rdlen);
	mb_put16(&mb, 21, rdlen + 1);
	mb_u8(&mb, 0xaa);
	assert_int_equal(parse(), DH_ETRUNC);
	assert_int_equal(msg.wire_len, 65535);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_null_and_empty),
	    cmocka_unit_test(test_header_only),
	    cmocka_unit_test(test_question_only),
	    cmocka_unit_test(test_more_questions),
	    cmocka_unit_test(test_compression),
	    cmocka_unit_test(test_pointer_to_itself),
	    cmocka_unit_test(test_forward_pointer),
	    cmocka_unit_test(test_pointer_loop),
	    cmocka_unit_test(test_name_length),
	    cmocka_unit_test(test_label_length),
	    cmocka_unit_test(test_escapes),
	    cmocka_unit_test(test_name_text_api),
	    cmocka_unit_test(test_counts_lying),
	    cmocka_unit_test(test_rdlen_lying),
	    cmocka_unit_test(test_truncated_everywhere),
	    cmocka_unit_test(test_edns),
	    cmocka_unit_test(test_ecs_malformed),
	    cmocka_unit_test(test_many_records),
	    cmocka_unit_test(test_maximum_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
