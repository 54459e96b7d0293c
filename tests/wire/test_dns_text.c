/*
 * test_dns_text.c - presentation form: mnemonics both ways, RDATA of the
 * common types as dig prints it, SVCB/HTTPS per RFC 9460, TXT escapes,
 * the RFC 3597 fallback and the buffer-size cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "msg_build.h"
#include "util/err.h"
#include "wire/dns.h"
#include "wire/dns_text.h"

static struct dns_msg msg;
static struct mb mb;
static char out[4096];

/* Builds a response with the question example.com (at offset 12, for
 * compression pointers 0xc00c) and one answer of type with rdata, parses
 * it and renders the answer's RDATA into out. */
static const char *render(uint16_t type, const void *rdata, size_t n)
{
	mb_header(&mb, 1, DNS_FLAG_QR, 1, 1, 0, 0);
	mb_question(&mb, "example.com", type, 1);
	mb_u16(&mb, 0xc00c);
	mb_rr_fixed(&mb, type, 1, 3600, (unsigned)n);
	mb_bytes(&mb, rdata, n);
	assert_int_equal(dns_parse(&msg, mb.buf, mb.len), 0);
	assert_int_equal(msg.rr_count, 1);
	int rc = dns_rr_data_text(&msg, &msg.rr[0], out, sizeof(out));
	assert_true(rc >= 0);
	assert_int_equal((size_t)rc, strlen(out));
	return out;
}

#define RENDER(type, lit) render((type), (lit), sizeof(lit) - 1)

static void test_type_names(void **state)
{
	(void)state;
	static const char *const required[] = {
	    "A",     "NS",    "MD",       "MF",         "CNAME", "SOA",        "MB",    "MG",
	    "MR",    "NULL",  "WKS",      "PTR",        "HINFO", "MINFO",      "MX",    "TXT",
	    "RP",    "AFSDB", "SIG",      "KEY",        "AAAA",  "LOC",        "SRV",   "NAPTR",
	    "KX",    "CERT",  "DNAME",    "OPT",        "APL",   "DS",         "SSHFP", "IPSECKEY",
	    "RRSIG", "NSEC",  "DNSKEY",   "DHCID",      "NSEC3", "NSEC3PARAM", "TLSA",  "SMIMEA",
	    "HIP",   "CDS",   "CDNSKEY",  "OPENPGPKEY", "CSYNC", "ZONEMD",     "SVCB",  "HTTPS",
	    "SPF",   "NID",   "L32",      "L64",        "LP",    "EUI48",      "EUI64", "TKEY",
	    "TSIG",  "IXFR",  "AXFR",     "MAILB",      "MAILA", "ANY",        "URI",   "CAA",
	    "AVC",   "DOA",   "AMTRELAY", "TA",         "DLV",
	};
	char buf[16];
	uint16_t t;

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		assert_int_equal(dns_type_parse(required[i], &t), 0);
		assert_string_equal(dns_type_name(t, buf, sizeof(buf)), required[i]);
	}
	/* Every number survives the round trip, known or not. */
	for (unsigned v = 0; v <= 0xffff; v++) {
		const char *name = dns_type_name((uint16_t)v, buf, sizeof(buf));
		assert_int_equal(dns_type_parse(name, &t), 0);
		assert_int_equal(t, v);
	}
	assert_string_equal(dns_type_name(1, NULL, 0), "A");
	assert_string_equal(dns_type_name(65, buf, sizeof(buf)), "HTTPS");
	assert_string_equal(dns_type_name(32769, buf, sizeof(buf)), "DLV");
	assert_string_equal(dns_type_name(65280, buf, sizeof(buf)), "TYPE65280");
	assert_string_equal(dns_type_name(54, buf, sizeof(buf)), "TYPE54");
	assert_string_equal(dns_type_name(65280, NULL, 0), "");

	assert_int_equal(dns_type_parse("aaaa", &t), 0);
	assert_int_equal(t, 28);
	assert_int_equal(dns_type_parse("Https", &t), 0);
	assert_int_equal(t, 65);
	assert_int_equal(dns_type_parse("type65535", &t), 0);
	assert_int_equal(t, 65535);
	assert_int_equal(dns_type_parse("TYPE65536", &t), DH_ENOTFOUND);
	assert_int_equal(dns_type_parse("TYPE", &t), DH_ENOTFOUND);
	assert_int_equal(dns_type_parse("TYPE1x", &t), DH_ENOTFOUND);
	assert_int_equal(dns_type_parse("TYPE-1", &t), DH_ENOTFOUND);
	assert_int_equal(dns_type_parse("TYPE0000001", &t), DH_ENOTFOUND);
	assert_int_equal(dns_type_parse("", &t), DH_ENOTFOUND);
	assert_int_equal(dns_type_parse("bogus", &t), DH_ENOTFOUND);
	assert_int_equal(dns_type_parse(NULL, &t), DH_ENOTFOUND);
	assert_int_equal(dns_type_parse("A", NULL), DH_ENOTFOUND);
}

static void test_other_mnemonics(void **state)
{
	(void)state;
	static const char *const rcodes[] = {
	    "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
	    "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE", "DSOTYPENI",
	};
	static const char *const late[] = {"BADVERS", "BADKEY", "BADTIME",  "BADMODE",
	                                   "BADNAME", "BADALG", "BADTRUNC", "BADCOOKIE"};
	char buf[16];

	for (unsigned i = 0; i < 12; i++)
		assert_string_equal(dns_rcode_name(i, buf, sizeof(buf)), rcodes[i]);
	for (unsigned i = 0; i < 8; i++)
		assert_string_equal(dns_rcode_name(16 + i, buf, sizeof(buf)), late[i]);
	assert_string_equal(dns_rcode_name(12, buf, sizeof(buf)), "RCODE12");
	assert_string_equal(dns_rcode_name(24, buf, sizeof(buf)), "RCODE24");
	assert_string_equal(dns_rcode_name(4095, buf, sizeof(buf)), "RCODE4095");

	assert_string_equal(dns_opcode_name(0, buf, sizeof(buf)), "QUERY");
	assert_string_equal(dns_opcode_name(1, buf, sizeof(buf)), "IQUERY");
	assert_string_equal(dns_opcode_name(2, buf, sizeof(buf)), "STATUS");
	assert_string_equal(dns_opcode_name(3, buf, sizeof(buf)), "OPCODE3");
	assert_string_equal(dns_opcode_name(4, buf, sizeof(buf)), "NOTIFY");
	assert_string_equal(dns_opcode_name(5, buf, sizeof(buf)), "UPDATE");
	assert_string_equal(dns_opcode_name(6, buf, sizeof(buf)), "DSO");
	assert_string_equal(dns_opcode_name(15, buf, sizeof(buf)), "OPCODE15");
	assert_string_equal(dns_opcode_name(99, buf, sizeof(buf)), "OPCODE99");

	assert_string_equal(dns_class_name(1, buf, sizeof(buf)), "IN");
	assert_string_equal(dns_class_name(2, buf, sizeof(buf)), "CLASS2");
	assert_string_equal(dns_class_name(3, buf, sizeof(buf)), "CH");
	assert_string_equal(dns_class_name(4, buf, sizeof(buf)), "HS");
	assert_string_equal(dns_class_name(254, buf, sizeof(buf)), "NONE");
	assert_string_equal(dns_class_name(255, buf, sizeof(buf)), "ANY");
	assert_string_equal(dns_class_name(65535, buf, sizeof(buf)), "CLASS65535");
}

static void test_address_types(void **state)
{
	(void)state;
	assert_string_equal(RENDER(DNS_T_A, "\xc0\x00\x02\x01"), "192.0.2.1");
	assert_string_equal(RENDER(DNS_T_A, "\xc0\x00\x02"), "\\# 3 C00002");
	assert_string_equal(RENDER(DNS_T_A, "\xc0\x00\x02\x01\x01"), "\\# 5 C000020101");
	assert_string_equal(
	    RENDER(DNS_T_AAAA, "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"),
	    "2001:db8::1");
	assert_string_equal(RENDER(DNS_T_AAAA, ""), "\\# 0");
	assert_string_equal(RENDER(108, "\x00\x11\x22\x33\x44\xaa"), "00-11-22-33-44-aa");
	assert_string_equal(RENDER(105, "\x00\x0a\x0a\x01\x02\x00"), "10 10.1.2.0");
	assert_string_equal(RENDER(106, "\x00\x0a\x20\x01\x0d\xb8\x11\x40\x10\x00"),
	                    "10 2001:0db8:1140:1000");
}

static void test_name_types(void **state)
{
	(void)state;
	assert_string_equal(RENDER(DNS_T_NS, "\x03ns1\xc0\x0c"), "ns1.example.com.");
	assert_string_equal(RENDER(DNS_T_CNAME, "\x03WWW\x00"), "www.");
	assert_string_equal(RENDER(DNS_T_PTR, "\x00"), ".");
	assert_string_equal(RENDER(DNS_T_DNAME, "\xc0\x0c"), "example.com.");
	/* A name running past the RDATA, or not ending where it does. */
	assert_string_equal(RENDER(DNS_T_NS, "\x03ns1"), "\\# 4 036E7331");
	assert_string_equal(RENDER(DNS_T_NS, "\x00\x00"), "\\# 2 0000");
	assert_string_equal(RENDER(DNS_T_MX, "\x00\x0a\x04mail\xc0\x0c"), "10 mail.example.com.");
	assert_string_equal(RENDER(DNS_T_MX, "\x00"), "\\# 1 00");
	assert_string_equal(RENDER(DNS_T_SOA, "\x03ns1\xc0\x0c\x04host\xc0\x0c"
	                                      "\x78\xa4\x3b\x75\x00\x00\x1c\x20\x00\x00\x0e\x10"
	                                      "\x00\x12\x75\x00\x00\x00\x01\x2c"),
	                    "ns1.example.com. host.example.com. 2024029045 7200 3600 1209600 300");
	assert_string_equal(RENDER(DNS_T_SRV, "\x00\x01\x00\x05\x14\x95\x04xmpp\xc0\x0c"),
	                    "1 5 5269 xmpp.example.com.");
	assert_string_equal(RENDER(17, "\x05"
	                               "admin\xc0\x0c\x00"),
	                    "admin.example.com. .");
}

static void test_txt(void **state)
{
	(void)state;
	assert_string_equal(RENDER(DNS_T_TXT, "\x05"
	                                      "a\"b c\x03\\\x00\xff"),
	                    "\"a\\\"b c\" \"\\\\\\000\\255\"");
	assert_string_equal(RENDER(DNS_T_TXT, "\x00"), "\"\"");
	assert_string_equal(RENDER(DNS_T_TXT, "\x0bv=spf1 -all"), "\"v=spf1 -all\"");
	assert_string_equal(RENDER(DNS_T_SPF, "\x02;("), "\";(\"");
	assert_string_equal(RENDER(DNS_T_TXT, ""), "\\# 0");
	assert_string_equal(RENDER(DNS_T_TXT, "\x05"
	                                      "a"),
	                    "\\# 2 0561");
	assert_string_equal(RENDER(DNS_T_HINFO, "\x03PDP\x04TOPS"), "\"PDP\" \"TOPS\"");
	assert_string_equal(RENDER(DNS_T_HINFO, "\x03PDP"), "\\# 4 03504450");
}

static void test_misc_types(void **state)
{
	(void)state;
	assert_string_equal(RENDER(DNS_T_NAPTR, "\x00\x64\x00\x0a\x01u\x07"
	                                        "E2U+sip\x1b!^.*$!sip:info@example.com!\x00"),
	                    "100 10 \"u\" \"E2U+sip\" \"!^.*$!sip:info@example.com!\" .");
	assert_string_equal(RENDER(DNS_T_CAA, "\x00\x05issueletsencrypt.org"),
	                    "0 issue \"letsencrypt.org\"");
	assert_string_equal(RENDER(DNS_T_CAA, "\x80\x05iodef"), "128 iodef \"\"");
	assert_string_equal(RENDER(DNS_T_CAA, "\x00\x02i-x"), "\\# 5 0002692D78");
	assert_string_equal(RENDER(256, "\x00\x0a\x00\x01https://x.example/"),
	                    "10 1 \"https://x.example/\"");
	assert_string_equal(RENDER(DNS_T_DS, "\x76\x2f\x08\x02\xde\xad\xbe\xef"),
	                    "30255 8 2 DEADBEEF");
	assert_string_equal(RENDER(DNS_T_DS, "\x76\x2f\x08\x02"), "\\# 4 762F0802");
	assert_string_equal(RENDER(DNS_T_DNSKEY, "\x01\x01\x03\x08hello"), "257 3 8 aGVsbG8=");
	assert_string_equal(RENDER(61, "hi"), "aGk=");
	assert_string_equal(RENDER(44, "\x01\x02\xab\xcd"), "1 2 ABCD");
	assert_string_equal(RENDER(52, "\x03\x01\x01\x12\x34"), "3 1 1 1234");
	assert_string_equal(RENDER(DNS_T_RRSIG, "\x00\x01\x08\x02\x00\x00\x0e\x10"
	                                        "\x65\x53\xf1\x00\x65\x53\xf1\x00\x12\x34"
	                                        "\x07"
	                                        "example\x03"
	                                        "com\x00"
	                                        "abc"),
	                    "A 8 2 3600 20231114221320 20231114221320 4660 example.com. YWJj");
	assert_string_equal(RENDER(DNS_T_NSEC, "\x04next\x07"
	                                       "example\x03"
	                                       "com\x00"
	                                       "\x00\x04\x62\x01\x80\x08\x01\x01\x40"),
	                    "next.example.com. A NS SOA MX TXT AAAA CAA");
	/* Windows out of order. */
	assert_string_equal(RENDER(DNS_T_NSEC, "\x00\x01\x01\x40\x00\x01\x40"),
	                    "\\# 7 00010140000140");
	assert_string_equal(RENDER(51, "\x01\x00\x00\x0a\x02\xaa\xbb"), "1 0 10 AABB");
	assert_string_equal(RENDER(51, "\x01\x01\x00\x00\x00"), "1 1 0 -");
	assert_string_equal(RENDER(50, "\x01\x00\x00\x01\x00\x05\x01\x02\x03\x04\x05"
	                               "\x00\x01\x40"),
	                    "1 0 1 - 04106105 A");
	assert_string_equal(RENDER(62, "\x00\x00\x00\x42\x00\x03\x00\x01\x62"), "66 3 A NS SOA");
	assert_string_equal(RENDER(62, "\x00\x00\x00\x42\x00"), "\\# 5 0000004200");
	assert_string_equal(RENDER(63, "\x78\xa4\x3b\x75\x01\x01"
	                               "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c"),
	                    "2024029045 1 1 0102030405060708090A0B0C");
	assert_string_equal(RENDER(63, "\x78\xa4\x3b\x75\x01\x01\x01"), "\\# 7 78A43B75010101");
	assert_string_equal(RENDER(65280, "\x01\x02\x03"), "\\# 3 010203");
	assert_string_equal(RENDER(DNS_T_NULL, ""), "\\# 0");
}

static void test_svcb(void **state)
{
	(void)state;
	assert_string_equal(RENDER(DNS_T_HTTPS, "\x00\x00\x04pool\x03svc\x07"
	                                        "example\x00"),
	                    "0 pool.svc.example.");
	assert_string_equal(
	    RENDER(DNS_T_HTTPS, "\x00\x01\x00"
	                        "\x00\x01\x00\x06\x02h2\x02h3"
	                        "\x00\x03\x00\x02\x20\xfb"
	                        "\x00\x04\x00\x08\xc0\x00\x02\x01\xc0\x00\x02\x02"
	                        "\x00\x05\x00\x05hello"
	                        "\x00\x06\x00\x10\x20\x01\x0d\xb8\x00\x00\x00\x00"
	                        "\x00\x00\x00\x00\x00\x00\x00\x01"
	                        "\xfd\xe8\x00\x03x y"
	                        "\xfd\xe9\x00\x00"),
	    "1 . alpn=\"h2,h3\" port=8443 ipv4hint=192.0.2.1,192.0.2.2 ech=aGVsbG8= "
	    "ipv6hint=2001:db8::1 key65000=\"x y\" key65001");
	assert_string_equal(RENDER(DNS_T_SVCB, "\x00\x10\x03svc\xc0\x0c"
	                                       "\x00\x00\x00\x04\x00\x01\x00\x03"
	                                       "\x00\x01\x00\x03\x02h2"
	                                       "\x00\x02\x00\x00"
	                                       "\x00\x03\x00\x02\x03\x55"),
	                    "16 svc.example.com. mandatory=alpn,port alpn=\"h2\" no-default-alpn "
	                    "port=853");
	/* An alpn id holding a comma and a backslash. */
	assert_string_equal(RENDER(DNS_T_HTTPS, "\x00\x01\x00\x00\x01\x00\x04\x03"
	                                        "a,\\"),
	                    "1 . alpn=\"a\\\\,\\\\\\\\\"");
	/* Keys out of order, a port of three octets, a no-default-alpn with a
	 * value, a value running past the RDATA: all shown as unknown. */
	assert_string_equal(RENDER(DNS_T_HTTPS, "\x00\x01\x00\x00\x03\x00\x02\x00\x35"
	                                        "\x00\x01\x00\x03\x02h2"),
	                    "\\# 16 00010000030002003500010003026832");
	assert_string_equal(RENDER(DNS_T_HTTPS, "\x00\x01\x00\x00\x03\x00\x03\x00\x35\x00"),
	                    "\\# 10 00010000030003003500");
	assert_string_equal(RENDER(DNS_T_HTTPS, "\x00\x01\x00\x00\x02\x00\x01\x00"),
	                    "\\# 8 0001000002000100");
	assert_string_equal(RENDER(DNS_T_HTTPS, "\x00\x01\x00\x00\x03\x00\x09\x00"),
	                    "\\# 8 0001000003000900");
	assert_string_equal(RENDER(DNS_T_HTTPS, "\x00\x01"), "\\# 2 0001");
}

static void test_buffers_and_text_sources(void **state)
{
	(void)state;
	char small[6];
	struct dns_msg text;
	struct dns_rr rr;

	RENDER(DNS_T_A, "\xc0\x00\x02\x01");
	assert_int_equal(dns_rr_data_text(&msg, &msg.rr[0], small, sizeof(small)), DH_ESPACE);
	assert_string_equal(small, "192.0");
	assert_int_equal(dns_rr_data_text(&msg, &msg.rr[0], small, 0), DH_ESPACE);
	assert_int_equal(dns_rr_owner_text(&msg, &msg.rr[0], small, sizeof(small)), DH_ESPACE);
	assert_string_equal(small, "examp");
	assert_int_equal(dns_rr_data_text(NULL, &msg.rr[0], out, sizeof(out)), DH_EUSAGE);
	assert_int_equal(dns_rr_data_text(&msg, NULL, out, sizeof(out)), DH_EUSAGE);
	assert_int_equal(dns_rr_data_text(&msg, &msg.rr[0], NULL, 9), DH_EUSAGE);
	assert_int_equal(dns_rr_owner_text(&msg, NULL, out, sizeof(out)), DH_EUSAGE);

	/* A record whose offsets lie outside the message. */
	rr = msg.rr[0];
	rr.rdata = (uint16_t)(msg.wire_len - 2);
	assert_int_equal(dns_rr_data_text(&msg, &rr, out, sizeof(out)), DH_EUSAGE);
	rr.owner = (uint16_t)msg.wire_len;
	assert_int_equal(dns_rr_owner_text(&msg, &rr, out, sizeof(out)), DH_ETRUNC);

	/* Text sources carry their own presentation form. */
	dns_msg_clear(&text);
	memset(&rr, 0, sizeof(rr));
	rr.type = DNS_T_A;
	rr.owner_text = "host.example.";
	rr.data_text = "198.51.100.1";
	assert_int_equal(dns_rr_data_text(&text, &rr, out, sizeof(out)), 12);
	assert_string_equal(out, "198.51.100.1");
	assert_int_equal(dns_rr_owner_text(&text, &rr, out, sizeof(out)), 13);
	assert_string_equal(out, "host.example.");
	rr.data_text = NULL;
	assert_int_equal(dns_rr_data_text(&text, &rr, out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_type_names),    cmocka_unit_test(test_other_mnemonics),
	    cmocka_unit_test(test_address_types), cmocka_unit_test(test_name_types),
	    cmocka_unit_test(test_txt),           cmocka_unit_test(test_misc_types),
	    cmocka_unit_test(test_svcb),          cmocka_unit_test(test_buffers_and_text_sources),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
