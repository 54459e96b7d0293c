/*
 * test_peers.c - dns_parse() and every renderer on each DNS message found
 * in the peers' captures (real traffic from zeek, suricata-verify,
 * tcpdump, dnscap, dsc, PacketQ, dnsjit, nDPI and go-dnscollector tests,
 * malformed messages included). The capture is opened with libpcap and
 * only the simplest framing is undone here (the capture layer owns the
 * real thing): Ethernet with VLAN tags, BSD loopback, raw IP and Linux
 * cooked headers; IPv4 without fragments, IPv6 without extension headers;
 * UDP, and TCP segments made of whole length-prefixed messages. Every
 * message must parse without harm, a message that parses must be
 * consistent with its header, and nearly all of them must parse.
 *
 * The captures are found through DH_PEERS_DIR; without it the test is
 * skipped (exit code 77).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/err.h"
#include "wire/dns.h"
#include "wire/dns_text.h"

struct tally {
	unsigned files;
	unsigned long messages;
	unsigned long ok;
	unsigned long records;
	unsigned long rendered;
};

static struct tally tally;
static struct dns_msg msg;

static unsigned get16(const uint8_t *b)
{
	return (unsigned)(b[0] << 8 | b[1]);
}

static void check_message(const uint8_t *p, size_t n)
{
	char text[1 << 17];
	char small[9];

	int rc = dns_parse(&msg, p, n);
	tally.messages++;
	assert_int_equal(msg.err, rc);
	assert_true(rc <= 0);
	assert_true(msg.rr_count <= DNS_RR_MAX);
	if (msg.has_question)
		assert_int_equal(strlen(msg.qname), msg.qname_len);
	else
		assert_string_equal(msg.qname, "");
	if (rc == 0) {
		tally.ok++;
		assert_int_equal(msg.rr_count + msg.rr_dropped,
		                 (unsigned long)msg.ancount + msg.nscount + msg.arcount);
		assert_int_equal(msg.has_question, msg.qdcount > 0);
	}
	for (unsigned i = 0; i < msg.rr_count; i++) {
		const struct dns_rr *rr = &msg.rr[i];
		tally.records++;
		assert_true((size_t)rr->rdata + rr->rdlen <= n);
		int on = dns_rr_owner_text(&msg, rr, text, sizeof(text));
		if (on >= 0)
			assert_int_equal(strlen(text), (size_t)on);
		int dn = dns_rr_data_text(&msg, rr, text, sizeof(text));
		/* RDATA always renders: in its type's form or RFC 3597's. */
		assert_true(dn >= 0);
		assert_int_equal(strlen(text), (size_t)dn);
		tally.rendered++;
		int sn = dns_rr_data_text(&msg, rr, small, sizeof(small));
		assert_true(sn >= 0 || sn == DH_ESPACE);
		assert_true(strlen(small) < sizeof(small));
	}
}

static void check_ip(const uint8_t *b, size_t n)
{
	unsigned proto;
	size_t hl;

	if (n < 1)
		return;
	if ((b[0] >> 4) == 4) {
		if (n < 20 || (get16(b + 6) & 0x3fff) != 0)
			return;
		hl = (size_t)(b[0] & 0xf) * 4;
		if (get16(b + 2) < n)
			n = get16(b + 2);
		proto = b[9];
	} else if ((b[0] >> 4) == 6) {
		if (n < 40)
			return;
		hl = 40;
		if (40 + get16(b + 4) < n)
			n = 40 + get16(b + 4);
		proto = b[6];
	} else {
		return;
	}
	if (hl < 20 || hl > n)
		return;
	b += hl;
	n -= hl;
	if (proto == 17) {
		if (n >= 8 && (get16(b) == 53 || get16(b + 2) == 53))
			check_message(b + 8, n - 8);
		return;
	}
	if (proto != 6 || n < 20 || (get16(b) != 53 && get16(b + 2) != 53))
		return;
	size_t doff = (size_t)(b[12] >> 4) * 4;
	if (doff < 20 || doff > n)
		return;
	b += doff;
	n -= doff;
	/* Only a segment made exactly of whole length-prefixed messages is
	 * taken: the middle of a longer stream would frame garbage. */
	size_t k = 0;
	while (n - k >= 2 && get16(b + k) + 2 <= n - k)
		k += get16(b + k) + 2;
	if (k == 0 || k != n)
		return;
	for (k = 0; k < n; k += get16(b + k) + 2)
		check_message(b + k + 2, get16(b + k));
}

/* Link types by their DLT_ numbers as libpcap reports them. */
static void check_frame(int dlt, const uint8_t *b, size_t n)
{
	size_t skip;

	switch (dlt) {
	case DLT_EN10MB: {
		if (n < 14)
			return;
		unsigned et = get16(b + 12);
		skip = 14;
		while ((et == 0x8100 || et == 0x88a8) && n >= skip + 4) {
			et = get16(b + skip + 2);
			skip += 4;
		}
		if (et != 0x0800 && et != 0x86dd)
			return;
		break;
	}
	case DLT_NULL:
	case DLT_LOOP:
		skip = 4;
		break;
	case DLT_RAW:
	case 228: /* DLT_IPV4 */
	case 229: /* DLT_IPV6 */
		skip = 0;
		break;
	case DLT_LINUX_SLL:
		skip = 16;
		break;
	case 276: /* DLT_LINUX_SLL2 */
		skip = 20;
		break;
	default:
		return;
	}
	if (skip <= n)
		check_ip(b + skip, n - skip);
}

static int visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const uint8_t *b;

	(void)st;
	(void)ftw;
	if (flag != FTW_F)
		return 0;
	size_t len = strlen(path);
	if (!(len > 5 && strcmp(path + len - 5, ".pcap") == 0) &&
	    !(len > 7 && strcmp(path + len - 7, ".pcapng") == 0))
		return 0;
	pcap_t *pc = pcap_open_offline(path, errbuf);
	if (!pc)
		return 0;
	tally.files++;
	int dlt = pcap_datalink(pc);
	while (pcap_next_ex(pc, &h, &b) == 1)
		check_frame(dlt, b, h->caplen);
	pcap_close(pc);
	return 0;
}

static void test_peer_captures(void **state)
{
	const char *dir = *state;

	assert_int_equal(nftw(dir, visit, 16, FTW_PHYS), 0);
	printf("peers: %u captures, %lu DNS messages, %lu parsed cleanly, %lu records "
	       "rendered\n",
	       tally.files, tally.messages, tally.ok, tally.rendered);
	assert_true(tally.files > 50);
	assert_true(tally.messages > 1000);
	/* The captures include junk on port 53 and deliberately broken
	 * messages, but far from most of them. */
	assert_true(tally.ok * 100 >= tally.messages * 90);
}

int main(void)
{
	struct stat st;
	const char *dir = getenv("DH_PEERS_DIR");

	if (!dir || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		printf("DH_PEERS_DIR is not set or not a directory: peer captures skipped\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_prestate(test_peer_captures, (void *)dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
