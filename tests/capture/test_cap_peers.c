/*
 * test_cap_peers.c - reads every capture of the peers' test data.
 *
 * The peers (tcpdump, Suricata, nDPI, dnscap, Zeek, ...) ship hundreds of
 * real and deliberately odd captures. Each one is read to the end with the
 * capture reader and, where libpcap can read it too, checked against
 * libpcap: a file libpcap reads to the end without error is well formed,
 * so the reader must reach its end without an error and count the same
 * number of packets. Files libpcap rejects only have to be survived.
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
	printf("%u captures, %lu DNS messages, %u failures\n", files, (unsigned long)total_dns,
	       failures);
	if (files == 0) {
		printf("SKIP: no captures under %s\n", dir);
		return 77;
	}
	return failures ? 1 : 0;
}
