/*
 * test_cap_peers.c - reads every capture of the peers' test data.
 *
 * The peers (tcpdump, Suricata, nDPI, dnscap, Zeek, ...) ship hundreds of
 * real and deliberately odd captures. Each one is read to the end with the
 * capture reader and, where libpcap can read it too, checked against
 * libpcap: a file libpcap reads to the end without error is well formed,
 * so the reader must reach its end without an error and count the same
 * number of packets. Files libpcap rejects only have to be survived.
 * A few captures are also checked message by message where dnshound once
 * fell short of the peers (see doc/conformance.md): TCP resynchronisation
 * after a hole and without a SYN (dnscap's tests), and Apple's PKTAP link
 * type (tcpdump's tests).
 * The directory comes from DH_PEERS_DIR; without it the test is skipped
 * (exit code 77 for meson).
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture/cap.h"
#include "util/err.h"

static unsigned files, failures;
static uint64_t total_dns;

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Packets libpcap reads, or -1 when it cannot read the file to its end. */
static long libpcap_count(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	long n = 0;
	int rc;
	pcap_t *p = pcap_open_offline(path, err);

	if (!p)
		return -1;
	while ((rc = pcap_next_ex(p, &h, &d)) == 1)
		n++;
	pcap_close(p);
	return rc == PCAP_ERROR_BREAK ? n : -1;
}

static void check_file(const char *path)
{
	struct cap_reader *r = NULL;
	struct cap_dns m;
	uint64_t dns = 0;
	long ref = -1;
	int rc;

	files++;
	rc = cap_reader_open(&r, path, NULL);
	if (!has_suffix(path, ".gz"))
		ref = libpcap_count(path);
	if (rc < 0) {
		printf("%s: open: %s%s\n", path, dh_strerror(rc),
		       ref >= 0 ? " (libpcap reads it)" : "");
		if (ref >= 0)
			failures++;
		return;
	}
	while ((rc = cap_reader_next(r, &m)) == 1) {
		/* Touch the payload, so a sanitizer sees a bad pointer. */
		volatile uint8_t sink = m.len ? m.data[m.len - 1] : 0;
		(void)sink;
		dns++;
	}
	const struct cap_stats *st = cap_reader_stats(r);
	printf("%s: %lu packets, %lu dns, linktype %d, end %s, libpcap %ld\n", path,
	       (unsigned long)st->packets, (unsigned long)dns, cap_reader_linktype(r),
	       rc == 0 ? "ok" : dh_strerror(rc), ref);
	if (ref >= 0 && (rc != 0 || st->packets != (uint64_t)ref)) {
		printf("  FAIL: libpcap reads %ld packets to the end\n", ref);
		failures++;
	}
	total_dns += dns;
	cap_reader_free(r);
}

#define MAX_IDS 256

/* What one capture yields: the DNS ids, their direction, and the count. */
struct ids {
	int n;
	uint16_t id[MAX_IDS];
	uint16_t sport[MAX_IDS];
	uint64_t gaps;
};

static int read_ids(const char *dir, const char *rel, struct ids *out)
{
	char path[4096];
	struct cap_reader *r = NULL;
	struct cap_dns m;
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	rc = cap_reader_open(&r, path, NULL);
	if (rc < 0) {
		printf("%s: open: %s\n", path, dh_strerror(rc));
		return -1;
	}
	while ((rc = cap_reader_next(r, &m)) == 1) {
		if (out->n < MAX_IDS && m.len >= 2) {
			out->id[out->n] = (uint16_t)(m.data[0] << 8 | m.data[1]);
			out->sport[out->n] = m.sport;
		}
		out->n++;
	}
	out->gaps = cap_reader_stats(r)->tcp_gaps;
	cap_reader_free(r);
	return rc == 0 ? 0 : -1;
}

static int has_id(const struct ids *s, uint16_t id, uint16_t sport)
{
	for (int i = 0; i < s->n && i < MAX_IDS; i++)
		if (s->id[i] == id && s->sport[i] == sport)
			return 1;
	return 0;
}

static void expect(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	if (!ok)
		failures++;
}

/* The captures where dnshound once lost messages the peers found. */
static void check_known(const char *dir)
{
	struct ids s;
	int dup = 0;

	/* dnscap's bighole: a stretch of both directions missing. Every
	 * whole message of the capture comes out: 38 responses, each in a
	 * segment of its own, and the 38 queries whose 2-byte prefix and
	 * body segments both survived (one body lost its prefix to the
	 * hole). dnscap, resetting its TCP state, finds 63 of these 76. */
	if (read_ids(dir, "DNS-OARC_dnscap/src/test/dnso1tcp-bighole.pcap", &s) != 0) {
		expect(0, "bighole read to the end");
	} else {
		for (int i = 0; i < s.n && i < MAX_IDS; i++)
			for (int j = i + 1; j < s.n && j < MAX_IDS; j++)
				dup += s.id[i] == s.id[j] && s.sport[i] == s.sport[j];
		printf("bighole: %d messages, %lu gaps\n", s.n, (unsigned long)s.gaps);
		expect(s.n == 76, "bighole yields all 76 whole messages (dnscap: 63)");
		expect(dup == 0, "bighole hands no message out twice");
		expect(has_id(&s, 25433, 51388) && has_id(&s, 17700, 51388) &&
		           has_id(&s, 44985, 53),
		       "bighole has the first queries and responses dnscap finds after the hole");
		expect(s.gaps == 2, "bighole gives up one hole per direction");
	}
	/* dnscap's do1t-nosyn-1nolen: no SYN, the first segment a body. */
	if (read_ids(dir, "DNS-OARC_dnscap/src/test/do1t-nosyn-1nolen.pcap", &s) != 0) {
		expect(0, "nosyn read to the end");
	} else {
		expect(s.n == 3 && has_id(&s, 35665, 51388) && !has_id(&s, 59311, 51388),
		       "nosyn yields query 35665, not the body without prefix");
	}
	/* tcpdump's PKTAP captures: one query each, in.m.yahoo.com. */
	static const char *const pktap[] = {
	    "the-tcpdump-group_tcpdump/tests/LINKTYPE_PKTAP.pcap",
	    "the-tcpdump-group_tcpdump/tests/LINKTYPE_USER2_PKTAP.pcap",
	};
	for (int i = 0; i < 2; i++) {
		int ok = read_ids(dir, pktap[i], &s) == 0 && s.n == 1 && has_id(&s, 17153, 63538);
		expect(ok, pktap[i]);
	}
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_F && (has_suffix(path, ".pcap") || has_suffix(path, ".pcapng") ||
	                      has_suffix(path, ".cap") || has_suffix(path, ".pcap.gz")))
		check_file(path);
	return 0;
}

int main(void)
{
	const char *dir = getenv("DH_PEERS_DIR");
	struct stat st;

	if (!dir || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		printf("SKIP: DH_PEERS_DIR is not set or not a directory\n");
		return 77;
	}
	if (nftw(dir, visit, 16, FTW_PHYS) != 0) {
		printf("cannot walk %s\n", dir);
		return 1;
	}
	if (files == 0) {
		printf("SKIP: no captures under %s\n", dir);
		return 77;
	}
	check_known(dir);
	printf("%u captures, %lu DNS messages, %u failures\n", files, (unsigned long)total_dns,
	       failures);
	return failures ? 1 : 0;
}
