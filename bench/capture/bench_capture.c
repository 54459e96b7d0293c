/*
 * bench_capture.c - how fast the capture reader gets DNS out of a file.
 *
 * Reads the capture RUNS times with cap_reader_next(), touching the first
 * and last byte of each message as a consumer would, and reports the
 * median packets/s and DNS messages/s; once through the reader's buffer
 * (the default) and once through a memory mapping. For comparison it then
 * reads the same file RUNS times with libpcap's pcap_next_ex(), counting
 * packets only (no decoding at all). Each rate is given twice: by wall-clock time
 * (CLOCK_MONOTONIC) and by the process's CPU time, which stays meaningful
 * on a machine shared with other work. Opening is included; run it on a
 * warm page cache.
 *
 * Usage: bench_capture FILE [RUNS]
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/cap.h"
#include "capture/cap_reader.h"
#include "util/err.h"

#define MAX_RUNS 15

struct stamp {
	double wall, cpu;
};

static struct stamp now(void)
{
	struct timespec w, c;
	struct stamp s;

	clock_gettime(CLOCK_MONOTONIC, &w);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
	s.wall = (double)w.tv_sec + (double)w.tv_nsec / 1e9;
	s.cpu = (double)c.tv_sec + (double)c.tv_nsec / 1e9;
	return s;
}

static struct stamp since(struct stamp t0)
{
	struct stamp t = now();

	t.wall -= t0.wall;
	t.cpu -= t0.cpu;
	return t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One read with the capture reader. Returns 0 or a negative code. */
static int run_reader(const char *path, int mode, struct stamp *secs, uint64_t *packets,
                      uint64_t *msgs, uint64_t *sink)
{
	struct cap_reader *r = NULL;
	struct cap_dns m;
	struct stamp t0 = now();
	int rc = cap_reader_open_mode(&r, path, NULL, mode);

	if (rc < 0)
		return rc;
	*msgs = 0;
	while ((rc = cap_reader_next(r, &m)) == 1) {
		*sink += m.data[0] + m.data[m.len - 1];
		(*msgs)++;
	}
	*packets = cap_reader_stats(r)->packets;
	cap_reader_free(r);
	*secs = since(t0);
	return rc;
}

/* One read with libpcap. Returns 0 or -1. */
static int run_libpcap(const char *path, struct stamp *secs, uint64_t *packets)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	struct stamp t0 = now();
	pcap_t *p = pcap_open_offline(path, err);
	int rc;

	if (!p) {
		fprintf(stderr, "libpcap: %s\n", err);
		return -1;
	}
	*packets = 0;
	while ((rc = pcap_next_ex(p, &h, &d)) == 1)
		(*packets)++;
	pcap_close(p);
	*secs = since(t0);
	return rc == PCAP_ERROR_BREAK ? 0 : -1;
}

/* Runs the reader RUNS times in one mode and prints the medians. */
static int bench_reader(const char *path, int mode, const char *name, int runs, uint64_t *sink)
{
	double pps[MAX_RUNS], mps[MAX_RUNS], cpps[MAX_RUNS], cmps[MAX_RUNS];
	uint64_t packets = 0, msgs = 0;

	for (int i = 0; i < runs; i++) {
		struct stamp s;
		int rc = run_reader(path, mode, &s, &packets, &msgs, sink);
		if (rc < 0) {
			fprintf(stderr, "%s: %s\n", path, dh_strerror(rc));
			return -1;
		}
		pps[i] = (double)packets / s.wall;
		mps[i] = (double)msgs / s.wall;
		cpps[i] = (double)packets / s.cpu;
		cmps[i] = (double)msgs / s.cpu;
		printf("dnshound %s run %d: %.3f s wall, %.3f s CPU, %lu packets, %lu messages\n",
		       name, i + 1, s.wall, s.cpu, (unsigned long)packets, (unsigned long)msgs);
	}
	printf("dnshound reader, %s: median %.2f M packets/s, %.2f M DNS messages/s wall; "
	       "%.2f M packets/s, %.2f M messages/s CPU (%d runs)\n",
	       name, median(pps, runs) / 1e6, median(mps, runs) / 1e6, median(cpps, runs) / 1e6,
	       median(cmps, runs) / 1e6, runs);
	return 0;
}

int main(int argc, char **argv)
{
	double lpps[MAX_RUNS], clpps[MAX_RUNS];
	uint64_t lpackets = 0, sink = 0;
	int runs = 3;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s FILE [RUNS]\n", argv[0]);
		return 2;
	}
	if (argc == 3) {
		char *end;
		long v = strtol(argv[2], &end, 10);
		if (*end || v < 1 || v > MAX_RUNS) {
			fprintf(stderr, "%s: RUNS must be 1 to %d\n", argv[0], MAX_RUNS);
			return 2;
		}
		runs = (int)v;
	}
	if (bench_reader(argv[1], CAP_READ_BUFFERED, "buffered", runs, &sink) < 0 ||
	    bench_reader(argv[1], CAP_READ_MMAP, "mmap", runs, &sink) < 0)
		return 1;
	for (int i = 0; i < runs; i++) {
		struct stamp s;
		if (run_libpcap(argv[1], &s, &lpackets) < 0)
			return 1;
		lpps[i] = (double)lpackets / s.wall;
		clpps[i] = (double)lpackets / s.cpu;
		printf("libpcap run %d: %.3f s wall, %.3f s CPU, %lu packets\n", i + 1, s.wall,
		       s.cpu, (unsigned long)lpackets);
	}
	printf("libpcap pcap_next_ex: median %.2f M packets/s wall, %.2f M packets/s CPU "
	       "(%d runs, no decoding)\n",
	       median(lpps, runs) / 1e6, median(clpps, runs) / 1e6, runs);
	return sink == 42 ? 3 : 0; /* keeps the reads from being optimised out */
}
