/*
 * test_logs.c - the text-log sources: golden tables per format and
 * variant, broken lines with their numbers, the line reader's limits,
 * the shared scanners, .gz input and format detection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "source/json.h"
#include "source/lines.h"
#include "source/logsrc.h"
#include "source/source.h"
#include "util/err.h"
#include "wire/dns.h"

/* The golden table leaves trailing fields zero where they do not apply. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define SEC 1000000000LL

/* ---- helpers -------------------------------------------------------- */

struct bad {
	unsigned long line;
	int err;
};

struct collect {
	struct bad bad[128];
	size_t nbad;
};

static void on_bad(void *ctx, const char *path, const char *where, int err)
{
	struct collect *c = ctx;
	(void)path;
	if (c->nbad < sizeof(c->bad) / sizeof(c->bad[0])) {
		c->bad[c->nbad].line = strtoul(where + 5, NULL, 10);
		c->bad[c->nbad].err = err;
		c->nbad++;
	}
	assert_true(strncmp(where, "line ", 5) == 0);
}

static void options(struct src_options *opt, struct collect *c)
{
	memset(opt, 0, sizeof(*opt));
	opt->observer = "test";
	opt->default_year = 2026;
	opt->on_bad = on_bad;
	opt->on_bad_ctx = c;
}

#define EV_MAX 16
static struct ev_event evs[EV_MAX];

/* The reader of the last run(), left open because the events' RR texts
 * live in it until the next call. */
static void *last_ctx;

static void done(void)
{
	logsrc_close(last_ctx);
	last_ctx = NULL;
}

/* Reads text as format fmt, all of it or until keep events (when keep >
 * 0); returns the number of events kept in evs[]. st is filled at the
 * point reading stopped. */
static size_t run_keep(const char *fmt, const char *text, size_t keep, struct collect *c,
                       struct src_stats *st)
{
	struct src_options opt;
	size_t n = 0;
	int rc = 0;

	done();
	memset(c, 0, sizeof(*c));
	options(&opt, c);
	assert_int_equal(logsrc_open_mem(&last_ctx, (const uint8_t *)text, strlen(text), fmt, &opt),
	                 0);
	while ((keep == 0 || n < keep) &&
	       (rc = logsrc_next(last_ctx, &evs[n < EV_MAX ? n : EV_MAX - 1])) == 1)
		n++;
	assert_true(rc >= 0);
	logsrc_stats(last_ctx, st);
	return n;
}

static size_t run(const char *fmt, const char *text, struct collect *c, struct src_stats *st)
{
	return run_keep(fmt, text, 0, c, st);
}

static void assert_addr(const struct dh_addr *a, const char *text)
{
	char buf[DH_ADDR_TEXT_MAX];
	dh_addr_format(a, buf, sizeof(buf));
	assert_string_equal(buf, text ? text : "");
}

/* ---- golden table --------------------------------------------------- */

struct golden {
	const char *fmt;
	const char *text; /* one or more lines */
	unsigned index;   /* which event to check */
	int64_t ts_ns;
	unsigned role;
	const char *src;
	uint16_t sport;
	const char *dst;
	uint16_t dport;
	unsigned transport;
	uint16_t flags; /* the whole header word, rcode bits included */
	const char *qname;
	uint16_t qtype, qclass;
	unsigned rr_count;
	uint16_t rr0_type;
	const char *rr0_owner, *rr0_data;
	uint32_t rr0_ttl;
	int64_t rtt_ns;
	uint32_t size;
};

#define QR  DNS_FLAG_QR
#define RD  DNS_FLAG_RD
#define UDP EV_TRANSPORT_UDP
#define TCP EV_TRANSPORT_TCP

static const char zeek_header[] =
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
    "#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\t"
    "trans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\t"
    "TC\tRD\tRA\tZ\tanswers\tTTLs\trejected\n";

#define ZREC1                                                                                      \
	"1700000000.250000\tCx\t192.0.2.10\t40000\t192.0.2.53\t53\tudp\t4660\t0.002000\t"          \
	"WWW.Example.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t"                        \
	"cdn.example.net,198.51.100.7\t300.000000,60.000000\tF\n"

static const struct golden golden[] = {
    /* BIND, file channel with print-time, category and severity (9.18). */
    {"bind",
     "22-Nov-2026 21:03:57.403 queries: info: client @0x7fa5d4743098 127.0.0.10#43259 "
     "(www.example.test): query: www.example.test IN A +E(0)K (127.0.0.10)\n",
     0, 1795381437403000000LL, EV_ROLE_CLIENT_QUERY, "127.0.0.10", 43259, "127.0.0.10", 0, UDP, RD,
     "www.example.test.", DNS_T_A, 1},
    {"bind",
     "22-Nov-2026 21:03:57.643 queries: info: client @0x7fa5d4746898 127.0.0.10#45559 "
     "(www.example.test): query: www.example.test IN AAAA +E(0)TK (127.0.0.10)\n",
     0, 1795381437643000000LL, EV_ROLE_CLIENT_QUERY, "127.0.0.10", 45559, "127.0.0.10", 0, TCP, RD,
     "www.example.test.", DNS_T_AAAA, 1},
    /* RD clear: a resolver asking the authoritative part; 0x20 case. */
    {"bind",
     "22-Nov-2026 21:07:31.551 queries: info: client @0x7f9150948098 127.0.0.10#33686 "
     "(Cc.boTnet.tEst): query: Cc.boTnet.tEst IN TXT -E(0)DC (127.0.0.10)\n",
     0, 1795381651551000000LL, EV_ROLE_AUTH_QUERY, "127.0.0.10", 33686, "127.0.0.10", 0, UDP,
     DNS_FLAG_CD, "cc.botnet.test.", DNS_T_TXT, 1},
    /* Syslog, no year (default_year 2026), IPv6, view, escapes. */
    {"bind",
     "Mar  3 12:00:00 host named[123]: client 2001:db8::1#53000 (example.com): view "
     "internal: query: Ex\\032ample\\.x.com IN TYPE65534 +SE (2001:db8::53)\n",
     0, 1772539200 * SEC, EV_ROLE_CLIENT_QUERY, "2001:db8::1", 53000, "2001:db8::53", 0, UDP, RD,
     "ex\\032ample\\.x.com.", 65534, 1},
    /* BIND 9.9: no name in parentheses, no destination, no time. */
    {"bind", "client 192.0.2.1#1: query: a.B IN MX -\n", 0, 0, EV_ROLE_AUTH_QUERY, "192.0.2.1", 1,
     NULL, 0, UDP, 0, "a.b.", DNS_T_MX, 1},
    /* RFC 3339 syslog time with a zone, class CH. */
    {"bind",
     "2026-03-03T12:00:00.5+01:00 ns1 named[9]: queries: info: client @0x1 192.0.2.2#5353 "
     "(x.org): query: x.org CH TXT +E(0)D (192.0.2.53)\n",
     0, 1772535600 * SEC + 500000000, EV_ROLE_CLIENT_QUERY, "192.0.2.2", 5353, "192.0.2.53", 0, UDP,
     RD, "x.org.", DNS_T_TXT, 3},
    /* A refused query: the query, then the REFUSED response. */
    {"bind",
     "Jul 24 14:16:55 raid5 named[3935]: client 194.145.196.18#4795: query "
     "'ricreig.com/NS/IN' denied\n",
     1, 1784902615 * SEC, EV_ROLE_CLIENT_RESPONSE, NULL, 0, "194.145.196.18", 4795, 0, QR | 5,
     "ricreig.com.", DNS_T_NS, 1},

    /* Unbound, log-tag-queryreply with log-time-ascii. */
    {"unbound", "Nov 22 21:04:51 unbound[14861:0] query: 127.0.0.1 www.example.test. A IN\n", 0,
     1795381491 * SEC, EV_ROLE_CLIENT_QUERY, "127.0.0.1", 0, NULL, 0, 0, 0, "www.example.test.",
     DNS_T_A, 1},
    {"unbound",
     "Nov 22 21:04:51 unbound[14861:0] reply: 127.0.0.1 www.example.test. A IN NOERROR "
     "0.002792 0 61\n",
     0,
     1795381491 * SEC,
     EV_ROLE_CLIENT_RESPONSE,
     NULL,
     0,
     "127.0.0.1",
     0,
     0,
     QR,
     "www.example.test.",
     DNS_T_A,
     1,
     0,
     0,
     NULL,
     NULL,
     0,
     2792000,
     61},
    /* Epoch time, untagged. */
    {"unbound", "[1709467200] unbound[123:0] info: 192.0.2.1 Example.com. AAAA IN\n", 0,
     1709467200 * SEC, EV_ROLE_CLIENT_QUERY, "192.0.2.1", 0, NULL, 0, 0, 0, "example.com.",
     DNS_T_AAAA, 1},
    {"unbound",
     "[1709467200] unbound[123:0] info: 192.0.2.1 example.com. A IN NXDOMAIN 0.000123 1 45\n",
     0,
     1709467200 * SEC,
     EV_ROLE_CLIENT_RESPONSE,
     NULL,
     0,
     "192.0.2.1",
     0,
     0,
     QR | 3,
     "example.com.",
     DNS_T_A,
     1,
     0,
     0,
     NULL,
     NULL,
     0,
     123000,
     45},
    /* Through syslog. */
    {"unbound",
     "Mar  3 12:00:00 host unbound: [123:0] info: ::1 example.com. AAAA IN SERVFAIL 1.5 0 45\n",
     0,
     1772539200 * SEC,
     EV_ROLE_CLIENT_RESPONSE,
     NULL,
     0,
     "::1",
     0,
     0,
     QR | 2,
     "example.com.",
     DNS_T_AAAA,
     1,
     0,
     0,
     NULL,
     NULL,
     0,
     1500000000,
     45},
    /* A client port. */
    {"unbound", "Nov 22 21:04:51 unbound[1:0] query: 192.0.2.9@5353 a.example. PTR IN\n", 0,
     1795381491 * SEC, EV_ROLE_CLIENT_QUERY, "192.0.2.9", 5353, NULL, 0, 0, 0, "a.example.",
     DNS_T_PTR, 1},

    /* dnsmasq, log-queries=extra: query, forwarded, reply by serial. */
    {"dnsmasq",
     "Nov 22 21:07:05 dnsmasq[17468]: 1 127.0.0.12/33376 query[A] www.example.test from "
     "127.0.0.12\n",
     0, 1795381625 * SEC, EV_ROLE_CLIENT_QUERY, "127.0.0.12", 33376, NULL, 0, 0, RD,
     "www.example.test.", DNS_T_A, 1},
    {"dnsmasq",
     "Nov 22 21:07:05 dnsmasq[17468]: 1 127.0.0.12/33376 query[AAAA] www.example.test from "
     "127.0.0.12\n"
     "Nov 22 21:07:05 dnsmasq[17468]: 1 127.0.0.12/33376 forwarded www.example.test to "
     "127.0.0.10\n",
     1, 1795381625 * SEC, EV_ROLE_FORWARDER_QUERY, NULL, 0, "127.0.0.10", 53, 0, RD,
     "www.example.test.", DNS_T_AAAA, 1},
    {"dnsmasq",
     "Nov 22 21:07:05 dnsmasq[17468]: 1 127.0.0.12/33376 query[A] www.example.test from "
     "127.0.0.12\n"
     "Nov 22 21:07:05 dnsmasq[17468]: 1 127.0.0.12/33376 reply www.example.test is <CNAME>\n"
     "Nov 22 21:07:05 dnsmasq[17468]: 1 127.0.0.12/33376 reply cdn.example.net is 192.0.2.80\n",
     2, 1795381625 * SEC, EV_ROLE_CLIENT_RESPONSE, NULL, 0, "127.0.0.12", 33376, 0, QR,
     "www.example.test.", DNS_T_A, 1, 1, DNS_T_A, "cdn.example.net.", "192.0.2.80"},
    /* Plain log-queries (the iodine tunnel's shape). */
    {"dnsmasq", "Aug  9 09:06:36 dnsmasq[1]: query[NULL] yrbqlj.example.attack from 172.18.0.3\n",
     0, 1786266396 * SEC, EV_ROLE_CLIENT_QUERY, "172.18.0.3", 0, NULL, 0, 0, RD,
     "yrbqlj.example.attack.", DNS_T_NULL, 1},
    {"dnsmasq", "Aug  9 09:06:36 dnsmasq[1]: reply x.example is NXDOMAIN\n", 0, 1786266396 * SEC,
     EV_ROLE_CLIENT_RESPONSE, NULL, 0, NULL, 0, 0, QR | 3, "x.example.", 0, 1},
    /* A note after DATA (dnsmasq 2.90's extended errors) is not kept. */
    {"dnsmasq", "Aug  9 09:06:36 dnsmasq[1]: reply x.example is SERVFAIL (EDE: network error)\n", 0,
     1786266396 * SEC, EV_ROLE_CLIENT_RESPONSE, NULL, 0, NULL, 0, 0, QR | 2, "x.example.", 0, 1},
    {"dnsmasq", "Aug  9 09:06:36 dnsmasq[1]: cached v6.example is 2001:db8::1\n", 0,
     1786266396 * SEC, EV_ROLE_CLIENT_RESPONSE, NULL, 0, NULL, 0, 0, QR, "v6.example.", DNS_T_AAAA,
     1, 1, DNS_T_AAAA, "v6.example.", "2001:db8::1"},
    {"dnsmasq", "Aug  9 09:06:36 dnsmasq[1]: reply 4.3.2.1.in-addr.arpa is Host.example\n", 0,
     1786266396 * SEC, EV_ROLE_CLIENT_RESPONSE, NULL, 0, NULL, 0, 0, QR, "4.3.2.1.in-addr.arpa.",
     DNS_T_PTR, 1, 1, DNS_T_PTR, "4.3.2.1.in-addr.arpa.", "host.example."},
    {"dnsmasq", "Aug  9 09:06:36 host dnsmasq[1]: forwarded x.example to 192.0.2.1#5353\n", 0,
     1786266396 * SEC, EV_ROLE_FORWARDER_QUERY, NULL, 0, "192.0.2.1", 5353, 0, RD, "x.example.", 0,
     1},

    /* Zeek TSV: the query at ts, the response at ts + rtt. */
    {"zeek", NULL, 0, 1700000000 * SEC + 250000000, EV_ROLE_UNKNOWN, "192.0.2.10", 40000,
     "192.0.2.53", 53, UDP, RD, "www.example.com.", DNS_T_A, 1},
    {"zeek",
     NULL,
     1,
     1700000000 * SEC + 252000000,
     EV_ROLE_UNKNOWN,
     "192.0.2.53",
     53,
     "192.0.2.10",
     40000,
     UDP,
     QR | RD | DNS_FLAG_RA,
     "www.example.com.",
     DNS_T_A,
     1,
     2,
     DNS_T_CNAME,
     "www.example.com.",
     "cdn.example.net.",
     300,
     2000000},
    /* Zeek JSON, rcode 3, TXT answer, \x escapes. */
    {"zeek",
     "{\"ts\":1700000003.5,\"uid\":\"Cj\",\"id.orig_h\":\"192.0.2.11\",\"id.orig_p\":5353,"
     "\"id.resp_h\":\"192.0.2.53\",\"id.resp_p\":53,\"proto\":\"tcp\",\"trans_id\":7,"
     "\"rtt\":0.01,\"query\":\"odd\\\\x01.test\",\"qclass\":1,\"qtype\":16,\"rcode\":3,"
     "\"AA\":true,\"TC\":false,\"RD\":false,\"RA\":true,\"Z\":0,\"answers\":[\"TXT 5 a\\\"b c\"],"
     "\"TTLs\":[60.0],\"rejected\":false}\n",
     1,
     1700000003 * SEC + 510000000,
     EV_ROLE_UNKNOWN,
     "192.0.2.53",
     53,
     "192.0.2.11",
     5353,
     TCP,
     QR | DNS_FLAG_AA | DNS_FLAG_RA | 3,
     "odd\\001.test.",
     DNS_T_TXT,
     1,
     1,
     DNS_T_TXT,
     "odd\\001.test.",
     "\"a\\\"b c\"",
     60,
     10000000},
    /* Zeek without the query seen: one response event at ts. */
    {"zeek",
     "1700000000.000000\tCy\t10.0.0.64\t49204\t146.186.163.66\t53\tudp\t17323\t-\tpsu.edu\t1\t"
     "C_INTERNET\t28\tAAAA\t0\tNOERROR\tF\tF\tT\tF\t0\t-\t-\tF\n",
     0, 1700000000 * SEC, EV_ROLE_UNKNOWN, "146.186.163.66", 53, "10.0.0.64", 49204, UDP, QR | RD,
     "psu.edu.", DNS_T_AAAA, 1},

    /* Suricata EVE version 3 (Suricata 8). */
    {"eve",
     "{\"timestamp\":\"2017-01-13T13:52:17.532337+0000\",\"flow_id\":1,\"event_type\":\"dns\","
     "\"src_ip\":\"10.16.1.11\",\"src_port\":41805,\"dest_ip\":\"10.16.1.1\",\"dest_port\":53,"
     "\"proto\":\"UDP\",\"dns\":{\"version\":3,\"type\":\"request\",\"tx_id\":0,\"id\":36146,"
     "\"flags\":\"0100\",\"rd\":true,\"opcode\":0,\"queries\":[{\"rrname\":\"www.suricata-ids."
     "org\",\"rrtype\":\"A\"}]}}\n",
     0, 1484315537532337000LL, EV_ROLE_UNKNOWN, "10.16.1.11", 41805, "10.16.1.1", 53, UDP, RD,
     "www.suricata-ids.org.", DNS_T_A, 1},
    {"eve",
     "{\"timestamp\":\"2017-01-13T14:52:17.5+01:00\",\"event_type\":\"dns\",\"src_ip\":\"10.16."
     "1.1\",\"src_port\":53,\"dest_ip\":\"10.16.1.11\",\"dest_port\":41805,\"proto\":\"UDP\","
     "\"dns\":{\"version\":3,\"type\":\"response\",\"id\":36146,\"flags\":\"8183\","
     "\"rcode\":\"NXDOMAIN\",\"queries\":[{\"rrname\":\"<root>\",\"rrtype\":\"NS\"}],"
     "\"authorities\":[{\"rrname\":\"oisf.net\",\"rrtype\":\"SOA\",\"ttl\":899,\"soa\":{"
     "\"mname\":\"ns-110.awsdns-13.com\",\"rname\":\"awsdns-hostmaster.amazon.com\","
     "\"serial\":1,\"refresh\":7200,\"retry\":900,\"expire\":1209600,\"minimum\":86400}}]}}\n",
     0, 1484315537500000000LL, EV_ROLE_UNKNOWN, "10.16.1.1", 53, "10.16.1.11", 41805, UDP,
     QR | RD | DNS_FLAG_RA | 3, ".", DNS_T_NS, 1, 1, DNS_T_SOA, "oisf.net.",
     "ns-110.awsdns-13.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400", 899},
    /* Version 2 answer in the flow's direction: swapped to the packet's. */
    {"eve",
     "{\"timestamp\":\"2017-01-13T13:52:17.532337Z\",\"event_type\":\"dns\",\"src_ip\":\"10.16."
     "1.11\",\"src_port\":41805,\"dest_ip\":\"10.16.1.1\",\"dest_port\":53,\"proto\":\"UDP\","
     "\"dns\":{\"version\":2,\"type\":\"answer\",\"id\":36146,\"flags\":\"81a0\",\"qr\":true,"
     "\"rrname\":\"www.suricata-ids.org\",\"rrtype\":\"A\",\"rcode\":\"NOERROR\",\"answers\":[{"
     "\"rrname\":\"www.suricata-ids.org\",\"rrtype\":\"CNAME\",\"ttl\":3544,\"rdata\":"
     "\"suricata-ids.org\"},{\"rrname\":\"suricata-ids.org\",\"rrtype\":\"A\",\"ttl\":244,"
     "\"rdata\":\"192.0.78.24\"}],\"grouped\":{\"A\":[\"192.0.78.24\"]}}}\n",
     0, 1484315537532337000LL, EV_ROLE_UNKNOWN, "10.16.1.1", 53, "10.16.1.11", 41805, UDP, 0x81a0,
     "www.suricata-ids.org.", DNS_T_A, 1, 2, DNS_T_CNAME, "www.suricata-ids.org.",
     "suricata-ids.org.", 3544},
    /* Version 1: one answer record per line, booleans absent. */
    {"eve",
     "{\"timestamp\":\"2017-01-13T13:52:17.000000+0000\",\"event_type\":\"dns\",\"src_ip\":\"8."
     "8.8.8\",\"src_port\":53,\"dest_ip\":\"10.16.1.11\",\"dest_port\":41805,\"proto\":\"UDP\","
     "\"dns\":{\"type\":\"answer\",\"id\":1,\"rcode\":\"NOERROR\",\"rrname\":\"x.org\","
     "\"rrtype\":\"TXT\",\"ttl\":5,\"rdata\":\"v=spf1 -all\"}}\n",
     0, 1484315537 * SEC, EV_ROLE_UNKNOWN, "8.8.8.8", 53, "10.16.1.11", 41805, UDP, QR, "x.org.",
     DNS_T_TXT, 1, 1, DNS_T_TXT, "x.org.", "\"v=spf1 -all\"", 5},
};

static void test_golden(void **state)
{
	static char text[8192];
	(void)state;

	for (size_t k = 0; k < sizeof(golden) / sizeof(golden[0]); k++) {
		const struct golden *g = &golden[k];
		struct collect c;
		struct src_stats st;
		if (g->text)
			snprintf(text, sizeof(text), "%s", g->text);
		else
			snprintf(text, sizeof(text), "%s%s", zeek_header, ZREC1);
		size_t n = run_keep(g->fmt, text, g->index + 1, &c, &st);
		print_message("golden %zu (%s)\n", k, g->fmt);
		assert_int_equal(c.nbad, 0);
		assert_true(n > g->index);
		const struct ev_event *ev = &evs[g->index];
		assert_int_equal(ev->ts_ns, g->ts_ns);
		assert_string_equal(ev->observer, "test");
		assert_int_equal(ev->role, g->role);
		assert_addr(&ev->src, g->src);
		assert_int_equal(ev->sport, g->sport);
		assert_addr(&ev->dst, g->dst);
		assert_int_equal(ev->dport, g->dport);
		assert_int_equal(ev->transport, g->transport);
		assert_int_equal(ev->msg.flags, g->flags);
		assert_null(ev->msg.wire);
		assert_int_equal(ev->msg.has_question, 1);
		assert_string_equal(ev->msg.qname, g->qname);
		assert_int_equal(ev->msg.qname_len, strlen(g->qname));
		assert_int_equal(ev->msg.qtype, g->qtype);
		assert_int_equal(ev->msg.qclass, g->qclass);
		assert_int_equal(ev->msg.rr_count, g->rr_count);
		if (g->rr_count > 0) {
			assert_int_equal(ev->msg.rr[0].type, g->rr0_type);
			assert_string_equal(ev->msg.rr[0].owner_text, g->rr0_owner);
			assert_string_equal(ev->msg.rr[0].data_text, g->rr0_data);
			assert_int_equal(ev->msg.rr[0].ttl, g->rr0_ttl);
		}
		assert_int_equal(ev->rtt_ns, g->rtt_ns ? g->rtt_ns : -1);
		assert_int_equal(ev->size, g->size);
	}
	done();
}

/* The second Zeek answer and the TXT and EDNS details not in the table. */
static void test_details(void **state)
{
	static char text[4096];
	struct collect c;
	struct src_stats st;
	(void)state;

	snprintf(text, sizeof(text), "%s%s", zeek_header, ZREC1);
	assert_int_equal(run_keep("zeek", text, 2, &c, &st), 2);
	assert_int_equal(evs[0].msg.rr_count, 0);
	assert_int_equal(evs[1].msg.ancount, 2);
	assert_int_equal(evs[1].msg.rr[1].type, DNS_T_A);
	assert_string_equal(evs[1].msg.rr[1].data_text, "198.51.100.7");
	assert_int_equal(evs[1].msg.rr[1].ttl, 60);
	assert_int_equal(evs[0].msg.id, 4660);
	assert_int_equal(st.skipped, 6); /* the header lines */
	assert_int_equal(st.records, 7);

	assert_int_equal(
	    run("bind",
	        "22-Nov-2026 21:07:31.551 queries: info: client @0x1 127.0.0.10#1 (a): "
	        "query: a IN TXT -E(0)DC (127.0.0.10)\n",
	        &c, &st),
	    1);
	assert_int_equal(evs[0].msg.edns.present, 1);
	assert_int_equal(evs[0].msg.edns.do_bit, 1);
	assert_int_equal(evs[0].msg.edns.version, 0);

	/* log_role overrides BIND's guess. */
	struct src_options opt;
	void *ctx;
	const char *line = "client 192.0.2.1#1: query: a.b IN A +\n";
	options(&opt, &c);
	opt.log_role = EV_ROLE_AUTH_QUERY;
	assert_int_equal(logsrc_open_mem(&ctx, (const uint8_t *)line, strlen(line), "bind", &opt),
	                 0);
	assert_int_equal(logsrc_next(ctx, &evs[0]), 1);
	assert_int_equal(evs[0].role, EV_ROLE_AUTH_QUERY);
	logsrc_close(ctx);

	/* EVE grouped-only answers, and other event types skipped. */
	assert_int_equal(
	    run("eve",
	        "{\"timestamp\":\"2017-01-13T13:52:17Z\",\"event_type\":\"flow\",\"src_ip\":\"1.2."
	        "3.4\"}\n"
	        "{\"timestamp\":\"2017-01-13T13:52:17Z\",\"event_type\":\"dns\",\"src_ip\":\"10.0."
	        "0.1\","
	        "\"src_port\":53,\"dest_ip\":\"10.0.0.2\",\"dest_port\":999,\"dns\":{\"version\":2,"
	        "\"type\":\"answer\",\"id\":5,\"rcode\":\"NOERROR\",\"rrname\":\"g.test\","
	        "\"rrtype\":"
	        "\"A\",\"grouped\":{\"A\":[\"192.0.2.1\",\"192.0.2.2\"],\"CNAME\":[\"X.test\"]}}}"
	        "\n",
	        &c, &st),
	    1);
	assert_int_equal(st.skipped, 1);
	assert_int_equal(evs[0].msg.rr_count, 3);
	assert_string_equal(evs[0].msg.rr[1].data_text, "192.0.2.2");
	assert_int_equal(evs[0].msg.rr[2].type, DNS_T_CNAME);
	assert_string_equal(evs[0].msg.rr[2].data_text, "x.test.");
	assert_string_equal(evs[0].msg.rr[2].owner_text, "g.test.");
	done();
}

/* More answers than DNS_RR_MAX: the first are kept, the rest counted. */
static void test_many_answers(void **state)
{
	static char text[16384];
	struct collect c;
	struct src_stats st;
	size_t o;
	(void)state;

	o = (size_t)snprintf(text, sizeof(text),
	                     "%s1700000000.000000\tC\t10.0.0.1\t1\t10.0.0.2\t53"
	                     "\tudp\t1\t0.1\tmany.test\t1\tC\t1\tA\t0\tNOERROR"
	                     "\tF\tF\tT\tT\t0\t",
	                     zeek_header);
	for (int i = 0; i < DNS_RR_MAX + 6; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s192.0.2.%d", i ? "," : "", i);
	o += (size_t)snprintf(text + o, sizeof(text) - o, "\t");
	for (int i = 0; i < DNS_RR_MAX + 6; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s%d.000000", i ? "," : "", i);
	snprintf(text + o, sizeof(text) - o, "\tF\n");
	assert_int_equal(run_keep("zeek", text, 2, &c, &st), 2);
	assert_int_equal(c.nbad, 0);
	assert_int_equal(evs[1].msg.ancount, DNS_RR_MAX + 6);
	assert_int_equal(evs[1].msg.rr_count, DNS_RR_MAX);
	assert_int_equal(evs[1].msg.rr_dropped, 6);
	assert_string_equal(evs[1].msg.rr[DNS_RR_MAX - 1].data_text, "192.0.2.63");
	assert_int_equal(evs[1].msg.rr[DNS_RR_MAX - 1].ttl, DNS_RR_MAX - 1);

	o = (size_t)snprintf(text, sizeof(text),
	                     "{\"timestamp\":\"2017-01-13T13:52:17Z\",\"event_type\":\"dns\","
	                     "\"src_ip\":\"10.0.0.1\",\"src_port\":53,\"dest_ip\":\"10.0.0.2\","
	                     "\"dest_port\":9,\"dns\":{\"type\":\"response\",\"queries\":[{"
	                     "\"rrname\":\"m.test\",\"rrtype\":\"A\"}],\"answers\":[");
	for (int i = 0; i < DNS_RR_MAX + 6; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		                      "%s{\"rrname\":\"m.test\",\"rrtype\":\"A\",\"ttl\":%d,"
		                      "\"rdata\":\"192.0.2.%d\"}",
		                      i ? "," : "", i, i);
	snprintf(text + o, sizeof(text) - o, "]}}\n");
	assert_int_equal(run_keep("eve", text, 1, &c, &st), 1);
	assert_int_equal(c.nbad, 0);
	assert_int_equal(evs[0].msg.ancount, DNS_RR_MAX + 6);
	assert_int_equal(evs[0].msg.rr_count, DNS_RR_MAX);
	assert_int_equal(evs[0].msg.rr_dropped, 6);
	assert_int_equal(evs[0].msg.rr[10].ttl, 10);
	done();
}

/* ---- broken lines --------------------------------------------------- */

struct broken {
	const char *fmt;
	const char *text;
	size_t events;
	size_t nbad;
	struct bad bad[8];
};

static const struct broken broken[] = {
    {"bind",
     "client 192.0.2.1#1: query: a.b IN A +\n"                          /* 1 good */
     "\n"                                                               /* 2 empty */
     "client 192.0.2.1#1: query: a.b IN\n"                              /* 3 truncated */
     "client 192.0.2.300#1: query: a.b IN A +\n"                        /* 4 bad address */
     "client 192.0.2.1#1: query: a.b IN BOGUS +\n"                      /* 5 bad type */
     "32-Nov-2026 21:03:57.403 client 192.0.2.1#1: query: a.b IN A +\n" /* 6 bad time */
     "\x01\x02\xff garbage\n"                                           /* 7 binary */
     "client 192.0.2.1#1: query: a..b IN A +\n"                         /* 8 empty label */
     "Mar  3 12:00:00 host sshd[1]: Accepted password\n"                /* 9 another program */
     "client 192.0.2.1#99: query: last.b IN A +",                       /* 10 good, no newline */
     2,
     8,
     {{2, DH_ETRUNC},
      {3, DH_ETRUNC},
      {4, DH_EMALFORMED},
      {5, DH_EMALFORMED},
      {6, DH_EMALFORMED},
      {7, DH_EMALFORMED},
      {8, DH_EMALFORMED},
      {9, DH_EFORMAT}}},
    {"unbound",
     "Nov 22 21:04:51 unbound[1:0] query: 127.0.0.1 a. A IN\r\n"             /* 1 good, CRLF */
     "Nov 22 21:04:51 unbound[1:0] query: 127.0.0.1 a. A\n"                  /* 2 truncated */
     "Nov 22 21:04:51 unbound[1:0] reply: 127.0.0.1 a. A IN NOERROR x 0 1\n" /* 3 bad time */
     "Nov 99 21:04:51 unbound[1:0] query: 127.0.0.1 a. A IN\n"               /* 4 bad date */
     "Nov 22 21:04:51 unbound[1:0] query: 127.0.0.1 a\0b. A IN\n"            /* 5 NUL byte */
     "Nov 22 21:04:51 unbound[1:0] info: start of service\n",                /* 6 skipped */
     1,
     4,
     {{2, DH_ETRUNC}, {3, DH_EMALFORMED}, {4, DH_EMALFORMED}, {5, DH_EMALFORMED}}},
    {"dnsmasq",
     "Aug  9 09:06:36 dnsmasq[1]: query[A] a.example from 172.18.0.3\n" /* 1 good */
     "Aug  9 09:06:36 dnsmasq[1]: query[A] a.example from\n"            /* 2 truncated */
     "Aug  9 09:06:36 dnsmasq[1]: query[WHAT] a.example from 1.2.3.4\n" /* 3 bad type */
     "Aug  9 09:06:36 dnsmasq[1]: using nameserver 8.8.8.8#53\n"        /* 4 skipped */
     "Aug  9 09:06:36 dnsmasq[1]: query[A] a.example from 1.2.3\n",     /* 5 bad address */
     1,
     3,
     {{2, DH_ETRUNC}, {3, DH_EMALFORMED}, {5, DH_EMALFORMED}}},
    {"zeek",
     "#separator \\x09\n" /* 1 */
     "1700000000.000000\tC\t10.0.0.1\t1\t10.0.0.2\t53\tudp\t1\t-\ta.b\t1\tC\t1\tA\t-\t-"
     "\tF\tF\tT\tF\t0\t-\t-\tF\n"       /* 2 good */
     "1700000000.000000\tC\t10.0.0.1\n" /* 3 bad address (missing) */
     "17x\tC\t10.0.0.1\t1\t10.0.0.2\t53\tudp\t1\t-\ta.b\t1\tC\t1\tA\t-\t-\tF\tF\tT\tF\t0\t-\t-"
     "\tF\n"                                   /* 4 bad time */
     "{\"ts\":1,\"id.orig_h\":\"10.0.0.1\"\n", /* 5 truncated JSON */
     1,
     3,
     {{3, DH_EMALFORMED}, {4, DH_EMALFORMED}, {5, DH_ETRUNC}}},
    {"eve",
     "{\"timestamp\":\"2017-01-13T13:52:17Z\",\"event_type\":\"dns\",\"src_ip\":\"10.0.0.1\","
     "\"dest_ip\":\"10.0.0.2\",\"dns\":{\"type\":\"query\",\"rrname\":\"a.b\",\"rrtype\":\"A\"}"
     "}\n"
     "{\"timestamp\":\"2017-01-13T13:52:17Z\",\"event_type\":\"dns\",\"src_ip\":\"10.0.0.1\","
     "\"dest_ip\":\"10.0.0.2\",\"dns\":{\"type\":\"query\",\"rrname\":\"a.b\",\"rrtype\":"
     "\"XX\"}}\n"
     "{\"timestamp\":\"2017-13-13T13:52:17Z\",\"event_type\":\"dns\",\"src_ip\":\"10.0.0.1\","
     "\"dest_ip\":\"10.0.0.2\",\"dns\":{\"type\":\"query\",\"rrname\":\"a.b\",\"rrtype\":\"A\"}"
     "}\n"
     "{\"timestamp\":\"2017-01-13T13:52:17Z\",\"event_type\":\"dns\",\"src_ip\":\"10.0.0\","
     "\"dest_ip\":\"10.0.0.2\",\"dns\":{\"type\":\"query\",\"rrname\":\"a.b\",\"rrtype\":\"A\"}"
     "}\n"
     "not json\n"
     "{\"a\":[1,2,}\n",
     1,
     5,
     {{2, DH_EMALFORMED},
      {3, DH_EMALFORMED},
      {4, DH_EMALFORMED},
      {5, DH_EFORMAT},
      {6, DH_ETRUNC}}}, /* the array is cut by the object's end */
};

static void test_broken(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(broken) / sizeof(broken[0]); k++) {
		const struct broken *b = &broken[k];
		struct collect c;
		struct src_stats st;
		struct src_options opt;
		void *ctx;
		size_t n = 0, len = strlen(b->text);

		print_message("broken %zu (%s)\n", k, b->fmt);
		/* The NUL inside the Unbound text counts: find the real end. */
		if (strcmp(b->fmt, "unbound") == 0)
			len += strlen(b->text + len + 1) + 1;
		memset(&c, 0, sizeof(c));
		options(&opt, &c);
		assert_int_equal(logsrc_open_mem(&ctx, (const uint8_t *)b->text, len, b->fmt, &opt),
		                 0);
		while (logsrc_next(ctx, &evs[0]) == 1)
			n++;
		logsrc_stats(ctx, &st);
		logsrc_close(ctx);
		assert_int_equal(n, b->events);
		assert_int_equal(c.nbad, b->nbad);
		assert_int_equal(st.malformed, b->nbad);
		assert_int_equal(st.events, b->events);
		for (size_t i = 0; i < b->nbad; i++) {
			print_message("bad %zu: line %lu err %d\n", i, c.bad[i].line, c.bad[i].err);
			assert_int_equal(c.bad[i].line, b->bad[i].line);
			assert_int_equal(c.bad[i].err, b->bad[i].err);
		}
	}
}

/* An overlong line is reported and skipped; the next line is read. */
static void test_overlong(void **state)
{
	size_t len = LINES_MAX + 200;
	char *text = malloc(len + 256);
	struct collect c;
	struct src_stats st;
	(void)state;

	assert_non_null(text);
	strcpy(text, "client 192.0.2.1#1: query: a.b IN A +\n");
	size_t o = strlen(text);
	memset(text + o, 'x', LINES_MAX + 1);
	o += LINES_MAX + 1;
	strcpy(text + o, "\nclient 192.0.2.1#2: query: c.d IN A +\n");
	assert_int_equal(run("bind", text, &c, &st), 2);
	assert_int_equal(c.nbad, 1);
	assert_int_equal(c.bad[0].line, 2);
	assert_int_equal(c.bad[0].err, DH_ESPACE);
	assert_int_equal(evs[1].sport, 2);
	assert_int_equal(st.records, 3);
	done();
	free(text);
}

/* ---- the line reader ------------------------------------------------ */

static void test_lines(void **state)
{
	struct lines *l;
	const char *line;
	size_t n;
	(void)state;

	/* NULL and empty input: no lines. */
	assert_int_equal(lines_open_mem(&l, NULL, 0), 0);
	assert_int_equal(lines_next(l, &line, &n), 0);
	lines_free(l);
	lines_free(NULL);
	assert_int_equal(lines_open_mem(&l, (const uint8_t *)"", 0), 0);
	assert_int_equal(lines_next(l, &line, &n), 0);
	assert_int_equal(lines_number(l), 0);
	lines_free(l);

	/* CRLF, an empty line, NUL inside, no final newline. */
	static const char t[] = "a\r\n\nb\0c\nlast";
	assert_int_equal(lines_open_mem(&l, (const uint8_t *)t, sizeof(t) - 1), 0);
	assert_int_equal(lines_next(l, &line, &n), 1);
	assert_int_equal(n, 1);
	assert_memory_equal(line, "a", 1);
	assert_int_equal(lines_next(l, &line, &n), 1);
	assert_int_equal(n, 0);
	assert_int_equal(lines_next(l, &line, &n), 1);
	assert_int_equal(n, 3);
	assert_memory_equal(line, "b\0c", 3);
	assert_int_equal(lines_next(l, &line, &n), 1);
	assert_int_equal(n, 4);
	assert_int_equal(lines_number(l), 4);
	assert_int_equal(lines_next(l, &line, &n), 0);
	assert_int_equal(lines_bytes(l), sizeof(t) - 1);
	lines_free(l);

	/* A line of exactly LINES_MAX is kept, one more is not. */
	char *big = malloc(2 * LINES_MAX + 4);
	assert_non_null(big);
	memset(big, 'y', 2 * LINES_MAX + 4);
	big[LINES_MAX] = '\n';
	big[2 * LINES_MAX + 2] = '\n';
	assert_int_equal(lines_open_mem(&l, (const uint8_t *)big, 2 * LINES_MAX + 3), 0);
	assert_int_equal(lines_next(l, &line, &n), 1);
	assert_int_equal(n, LINES_MAX);
	assert_int_equal(lines_next(l, &line, &n), DH_ESPACE);
	assert_int_equal(lines_number(l), 2);
	assert_int_equal(lines_next(l, &line, &n), 0);
	lines_free(l);
	free(big);

	assert_true(lines_open(&l, "/nonexistent/dir/file.log") < 0);
}

/* ---- scanners ------------------------------------------------------- */

static void test_names(void **state)
{
	char out[DNS_NAME_TEXT_MAX];
	char in[600];
	(void)state;

	assert_int_equal(logsrc_name("", 0, LOGSRC_NAME_RAW, out, sizeof(out)), 1);
	assert_string_equal(out, ".");
	assert_int_equal(logsrc_name(".", 1, LOGSRC_NAME_RAW, out, sizeof(out)), 1);
	assert_int_equal(logsrc_name("A.b.", 4, LOGSRC_NAME_RAW, out, sizeof(out)), 4);
	assert_string_equal(out, "a.b.");
	assert_true(logsrc_name("a", 1, LOGSRC_NAME_RAW, out, 16) == DH_ESPACE);
	assert_true(logsrc_name(".a", 2, LOGSRC_NAME_RAW, out, sizeof(out)) == DH_EMALFORMED);
	assert_true(logsrc_name("a b", 3, LOGSRC_NAME_RAW, out, sizeof(out)) == DH_EMALFORMED);
	/* BIND escapes in, canonical escapes out. */
	assert_true(logsrc_name("a\\.b\\065\\255.c", 14, LOGSRC_NAME_RFC1035, out, sizeof(out)) >
	            0);
	assert_string_equal(out, "a\\.ba\\255.c.");
	assert_true(logsrc_name("a\\256", 5, LOGSRC_NAME_RFC1035, out, sizeof(out)) ==
	            DH_EMALFORMED);
	assert_true(logsrc_name("a\\", 2, LOGSRC_NAME_RFC1035, out, sizeof(out)) == DH_EMALFORMED);
	/* Zeek's \x escapes; raw octets of decoded JSON. */
	assert_true(logsrc_name("a\\x00\\x2e.b", 11, LOGSRC_NAME_HEX, out, sizeof(out)) > 0);
	assert_string_equal(out, "a\\000\\..b.");
	assert_true(logsrc_name("\x01\xc3.b", 4, LOGSRC_NAME_OCTETS, out, sizeof(out)) > 0);
	assert_string_equal(out, "\\001\\195.b.");

	/* 63-octet labels pass, 64 do not; 255 octets in all at most. */
	memset(in, 'a', 63);
	assert_int_equal(logsrc_name(in, 63, LOGSRC_NAME_RAW, out, sizeof(out)), 64);
	memset(in, 'a', 64);
	assert_int_equal(logsrc_name(in, 64, LOGSRC_NAME_RAW, out, sizeof(out)), DH_ENAMELEN);
	/* 4 labels of 63 = 4*64 + 1 = 257 wire octets: too long; 3 labels
	 * of 63 and one of 61 = 255: the maximum. */
	for (int k = 0; k < 4; k++) {
		memset(in + k * 64, 'b', 63);
		in[k * 64 + 63] = '.';
	}
	assert_int_equal(logsrc_name(in, 4 * 64, LOGSRC_NAME_RAW, out, sizeof(out)), DH_ENAMELEN);
	in[3 * 64 + 61] = '.';
	assert_int_equal(logsrc_name(in, 3 * 64 + 62, LOGSRC_NAME_RAW, out, sizeof(out)), 254);
	/* The maximum with every octet escaped fits the buffer. */
	char esc[1100];
	size_t o = 0;
	for (int k = 0; k < 4; k++) {
		int len = k < 3 ? 63 : 61;
		for (int j = 0; j < len; j++) {
			memcpy(esc + o, "\\200", 4);
			o += 4;
		}
		esc[o++] = '.';
	}
	assert_int_equal(logsrc_name(esc, o, LOGSRC_NAME_RFC1035, out, sizeof(out)),
	                 (3 * 63 + 61) * 4 + 4);
}

static void test_scanners(void **state)
{
	struct dh_addr a;
	uint16_t t;
	unsigned rc;
	int64_t ns;
	(void)state;

	assert_int_equal(logsrc_addr("192.0.2.1", 9, &a), 0);
	assert_int_equal(a.family, DH_AF_INET);
	assert_int_not_equal(logsrc_addr("192.0.2.01", 10, &a), 0);
	assert_int_not_equal(logsrc_addr("192.0.2", 7, &a), 0);
	assert_int_not_equal(logsrc_addr("", 0, &a), 0);
	assert_int_equal(logsrc_addr("fe80::1%eth0", 12, &a), 0);
	assert_int_equal(a.family, DH_AF_INET6);
	assert_int_equal(logsrc_type("aaaa", 4, &t), 0);
	assert_int_equal(t, DNS_T_AAAA);
	assert_int_equal(logsrc_type("TYPE65535", 9, &t), 0);
	assert_int_equal(t, 65535);
	assert_int_not_equal(logsrc_type("TYPE65536", 9, &t), 0);
	assert_int_not_equal(logsrc_type("", 0, &t), 0);
	assert_int_equal(logsrc_class("CLASS254", 8, &t), 0);
	assert_int_equal(t, 254);
	assert_int_equal(logsrc_rcode("NOTIMPL", 7, &rc), 0);
	assert_int_equal(rc, 4);
	assert_int_equal(logsrc_rcode("BADCOOKIE", 9, &rc), 0);
	assert_int_equal(rc, 23);
	assert_int_equal(logsrc_decimal_ns("1.0000000019", 12, &ns), 0);
	assert_int_equal(ns, SEC + 1);
	assert_int_not_equal(logsrc_decimal_ns("1.", 2, &ns), 0);
	assert_int_not_equal(logsrc_decimal_ns("99999999999999999999", 20, &ns), 0);

	struct ev_event ev;
	memset(&ev, 0, sizeof(ev));
	logsrc_set_rcode(&ev.msg, 23);
	assert_int_equal(dns_msg_rcode(&ev.msg), 23);
}

/* Syslog dates: the year from the options, else the clock with the
 * one-day rule; the zone from the options. */
static void test_years(void **state)
{
	struct src_options opt;
	struct collect c;
	void *ctx;
	const char *dec = "Dec 31 23:00:00 h dnsmasq[1]: query[A] a from 1.2.3.4\n";
	const char *jan = "Jan  1 00:30:00 h dnsmasq[1]: query[A] a from 1.2.3.4\n";
	(void)state;

	/* "Now" is 2027-01-01 00:00 UTC: December is last year's. */
	options(&opt, &c);
	opt.default_year = 0;
	opt.now_ns = 1798761600LL * SEC;
	assert_int_equal(logsrc_open_mem(&ctx, (const uint8_t *)dec, strlen(dec), "dnsmasq", &opt),
	                 0);
	assert_int_equal(logsrc_next(ctx, &evs[0]), 1);
	assert_int_equal(evs[0].ts_ns, (1798761600LL - 3600) * SEC);
	logsrc_close(ctx);
	/* Half an hour ahead is within the day of slack: this year. */
	assert_int_equal(logsrc_open_mem(&ctx, (const uint8_t *)jan, strlen(jan), "dnsmasq", &opt),
	                 0);
	assert_int_equal(logsrc_next(ctx, &evs[0]), 1);
	assert_int_equal(evs[0].ts_ns, (1798761600LL + 1800) * SEC);
	logsrc_close(ctx);
	/* A server in UTC+9 wrote 00:30 local: 15:30 UTC the day before. */
	opt.default_year = 2027;
	opt.tz_offset_min = 540;
	assert_int_equal(logsrc_open_mem(&ctx, (const uint8_t *)jan, strlen(jan), "dnsmasq", &opt),
	                 0);
	assert_int_equal(logsrc_next(ctx, &evs[0]), 1);
	assert_int_equal(evs[0].ts_ns, (1798761600LL + 1800 - 9 * 3600) * SEC);
	logsrc_close(ctx);
}

static void test_json(void **state)
{
	struct json_val v, k, m;
	struct json_iter it;
	char out[16];
	(void)state;

	assert_int_equal(json_parse("", 0, &v), DH_ETRUNC);
	assert_int_equal(json_parse("{}", 2, &v), 0);
	assert_int_equal(json_iter_init(&it, &v), 0);
	assert_int_equal(json_iter_next(&it, &k, &m), 0);
	const char *t = "{\"a\": [1, \"x\\u00e9\\n\"], \"b\" : true}";
	assert_int_equal(json_parse(t, strlen(t), &v), 0);
	assert_int_equal(json_iter_init(&it, &v), 0);
	assert_int_equal(json_iter_next(&it, &k, &m), 1);
	assert_true(json_key_is(&k, "a"));
	assert_int_equal(m.type, JSON_ARRAY);
	struct json_iter ai;
	struct json_val e;
	assert_int_equal(json_iter_init(&ai, &m), 0);
	assert_int_equal(json_iter_next(&ai, NULL, &e), 1);
	assert_int_equal(e.type, JSON_NUMBER);
	assert_int_equal(json_iter_next(&ai, NULL, &e), 1);
	assert_int_equal(json_string(&e, out, sizeof(out)), 3);
	assert_memory_equal(out, "x\xe9\n", 3);
	assert_int_equal(json_string(&e, out, 3), DH_ESPACE);
	assert_int_equal(json_iter_next(&it, &k, &m), 1);
	assert_int_equal(m.type, JSON_TRUE);
	assert_int_equal(json_iter_next(&it, &k, &m), 0);
	/* Depth is bounded. */
	char deep[200];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	assert_int_equal(json_parse(deep, 200, &v), DH_EMALFORMED);
	assert_int_equal(json_parse("[1 2]", 5, &v), DH_EMALFORMED);
	assert_int_equal(json_parse("\"\\q\"", 4, &v), DH_EMALFORMED);
	assert_int_equal(json_parse("{\"a\":1} x", 9, &v), DH_EMALFORMED);
}

/* ---- files: .gz and detection --------------------------------------- */

static const struct {
	const char *fmt;
	const char *text;
} samples[] = {
    {"bind", "22-Nov-2026 21:03:57.403 queries: info: client @0x7fa5d4743098 127.0.0.10#43259 "
             "(www.example.test): query: www.example.test IN A +E(0)K (127.0.0.10)\n"},
    {"bind", "Mar  3 12:00:00 host named[123]: starting BIND 9.18\n"
             "Mar  3 12:00:01 host named[123]: client 192.0.2.1#5 (a.b): query: a.b IN A +\n"},
    {"unbound", "[1709467200] unbound[123:0] info: 192.0.2.1 example.com. A IN\n"},
    {"unbound", "Nov 22 21:04:51 unbound[14861:0] query: 127.0.0.1 www.example.test. A IN\n"},
    {"dnsmasq", "Aug  8 18:53:23 dnsmasq[1]: started, version 2.82 cachesize 150\n"
                "Aug  9 09:06:36 dnsmasq[1]: query[A] a.example.attack from 172.18.0.3\n"},
    {"zeek", "#separator \\x09\n#set_separator\t,\n"},
    {"zeek", "{\"ts\":1.5,\"uid\":\"C\",\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":1,\"id.resp_h\":"
             "\"10.0.0.2\",\"id.resp_p\":53,\"query\":\"a.b\"}\n"},
    {"eve",
     "{\"timestamp\":\"2017-01-13T13:52:17Z\",\"event_type\":\"dns\",\"src_ip\":\"10.0.0.1\","
     "\"dest_ip\":\"10.0.0.2\",\"dns\":{\"type\":\"query\",\"rrname\":\"a.b\",\"rrtype\":"
     "\"A\"}}\n"},
    {"eve", "{\"timestamp\":\"2017-01-13T13:52:17Z\",\"event_type\":\"stats\",\"stats\":{}}\n"},
    {"pcap", "\xd4\xc3\xb2\xa1\x02\x00\x04\x00\0\0\0\0\0\0\0\0\xff\xff\0\0\x01\0\0\0"},
};

static char tmpdir[256];

static void write_file(const char *path, const char *text, size_t len, int gz)
{
	if (gz) {
		gzFile f = gzopen(path, "wb");
		assert_non_null(f);
		assert_int_equal(gzwrite(f, text, (unsigned)len), (int)len);
		gzclose(f);
	} else {
		FILE *f = fopen(path, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(text, 1, len, f), len);
		fclose(f);
	}
}

static void test_detect(void **state)
{
	char path[512];
	(void)state;

	for (size_t k = 0; k < sizeof(samples) / sizeof(samples[0]); k++) {
		for (int gz = 0; gz < 2; gz++) {
			struct src_reader *r = NULL;
			struct src_options opt;
			struct collect c;
			size_t len =
			    strcmp(samples[k].fmt, "pcap") == 0 ? 24 : strlen(samples[k].text);

			snprintf(path, sizeof(path), "%s/sample%zu.log%s", tmpdir, k,
			         gz ? ".gz" : "");
			write_file(path, samples[k].text, len, gz);
			memset(&c, 0, sizeof(c));
			options(&opt, &c);
			print_message("detect %zu %s gz=%d\n", k, samples[k].fmt, gz);
			assert_int_equal(src_open(&r, path, "auto", &opt), 0);
			assert_string_equal(src_format(r), samples[k].fmt);
			if (strcmp(samples[k].fmt, "pcap") != 0) {
				struct ev_event *ev = &evs[0];
				int rc = src_next(r, ev);
				assert_true(rc >= 0);
				assert_int_equal(c.nbad, 0);
				if (strcmp(samples[k].fmt, "zeek") != 0 && k != 8) {
					assert_int_equal(rc, 1);
					assert_int_equal(ev->msg.has_question, 1);
				}
			}
			src_close(r);
			unlink(path);
		}
	}
	/* Each text probe refuses the others' samples. */
	const struct src_ops *ops[] = {&src_bind_ops, &src_unbound_ops, &src_dnsmasq_ops,
	                               &src_zeek_ops, &src_eve_ops,     &src_pcap_ops};
	for (size_t k = 0; k < sizeof(samples) / sizeof(samples[0]); k++) {
		size_t len = strcmp(samples[k].fmt, "pcap") == 0 ? 24 : strlen(samples[k].text);
		for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++)
			assert_int_equal(ops[o]->probe((const uint8_t *)samples[k].text, len),
			                 strcmp(ops[o]->name, samples[k].fmt) == 0);
	}
}

/* A larger .gz file read through the real file path, with stats. */
static void test_gz_file(void **state)
{
	char path[512];
	size_t cap = 4 * 1024 * 1024, len = 0;
	char *text = malloc(cap);
	struct src_reader *r;
	struct src_options opt;
	struct collect c;
	struct src_stats st;
	unsigned long n = 0;
	(void)state;

	assert_non_null(text);
	for (unsigned i = 0; i < 20000; i++)
		len +=
		    (size_t)snprintf(text + len, cap - len,
		                     "[%u] unbound[1:0] info: 10.%u.%u.%u n%u.example. A IN\n",
		                     1700000000 + i, (i >> 16) & 255, (i >> 8) & 255, i & 255, i);
	snprintf(path, sizeof(path), "%s/many.log.gz", tmpdir);
	write_file(path, text, len, 1);
	memset(&c, 0, sizeof(c));
	options(&opt, &c);
	assert_int_equal(src_open(&r, path, "unbound", &opt), 0);
	while (src_next(r, &evs[0]) == 1) {
		assert_int_equal(evs[0].ts_ns, (int64_t)(1700000000 + n) * SEC);
		n++;
	}
	src_stats(r, &st);
	assert_int_equal(n, 20000);
	assert_int_equal(st.records, 20000);
	assert_int_equal(st.bytes, len);
	assert_true(st.size > 0 && st.size < len);
	src_close(r);
	unlink(path);
	free(text);

	/* A cut gzip file: what is intact is read, nothing crashes. */
	static const char junk[] = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage";
	snprintf(path, sizeof(path), "%s/cut.log.gz", tmpdir);
	write_file(path, junk, sizeof(junk) - 1, 0);
	assert_int_equal(src_open(&r, path, "bind", &opt), 0);
	assert_true(src_next(r, &evs[0]) <= 0);
	src_close(r);
	unlink(path);
}

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/dh_logs_XXXXXX", t && *t ? t : P_tmpdir);
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	rmdir(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lines),    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_scanners), cmocka_unit_test(test_json),
	    cmocka_unit_test(test_years),    cmocka_unit_test(test_golden),
	    cmocka_unit_test(test_details),  cmocka_unit_test(test_many_answers),
	    cmocka_unit_test(test_broken),   cmocka_unit_test(test_overlong),
	    cmocka_unit_test(test_detect),   cmocka_unit_test(test_gz_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
