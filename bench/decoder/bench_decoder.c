/*
 * bench_decoder.c - decoding speed of dns_parse() against ldns and libknot
 * on the same DNS payloads.
 *
 * The capture (classic pcap; Ethernet, VLAN, raw IP or Linux cooked; IPv4
 * and IPv6; UDP and DNS over TCP with its 2-byte length prefix, RFC 1035
 * 4.2.2) is read once with libpcap into memory as a list of DNS payloads,
 * so the timed loops measure decoding only. Each decoder runs three times
 * over all payloads; the median rates (wall clock and CPU time) are
 * printed. This is a harness, not
 * library code: it prints, and it trusts libpcap's framing.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/err.h"
#include "wire/dns.h"

#ifdef HAVE_LDNS
#include <ldns/ldns.h>
#endif
#ifdef HAVE_KNOT
#include <libknot/libknot.h>
#endif

#define RUNS 3

struct payloads {
	uint8_t *arena; /* all payloads back to back; malloc'd */
	size_t used, cap;
	size_t *off; /* start of payload i in arena; malloc'd */
	uint16_t *len;
	size_t n, max;
};

static int add_payload(struct payloads *p, const uint8_t *data, size_t len)
{
	if (len > 65535)
		return 0;
	if (p->used + len > p->cap) {
		size_t cap = p->cap ? p->cap * 2 : (size_t)1 << 24;
		while (cap < p->used + len)
			cap *= 2;
		uint8_t *a = realloc(p->arena, cap);
		if (!a)
			return -1;
		p->arena = a;
		p->cap = cap;
	}
	if (p->n == p->max) {
		size_t max = p->max ? p->max * 2 : 1 << 16;
		size_t *off = realloc(p->off, max * sizeof(*off));
		if (!off)
			return -1;
		p->off = off;
		uint16_t *l = realloc(p->len, max * sizeof(*l));
		if (!l)
			return -1;
		p->len = l;
		p->max = max;
	}
	memcpy(p->arena + p->used, data, len);
	p->off[p->n] = p->used;
	p->len[p->n] = (uint16_t)len;
	p->used += len;
	p->n++;
	return 0;
}

static unsigned get16(const uint8_t *b)
{
	return (unsigned)(b[0] << 8 | b[1]);
}

/* Finds the DNS payload(s) in one IP packet and adds them. */
static int add_ip(struct payloads *p, const uint8_t *b, size_t n)
{
	unsigned proto;
	size_t hl;

	if (n < 1)
		return 0;
	if ((b[0] >> 4) == 4) {
		if (n < 20 || (get16(b + 6) & 0x3fff) != 0) /* fragments are skipped */
			return 0;
		hl = (size_t)(b[0] & 0xf) * 4;
		size_t total = get16(b + 2);
		if (total < n)
			n = total;
		proto = b[9];
	} else if ((b[0] >> 4) == 6) {
		if (n < 40)
			return 0;
		hl = 40;
		size_t total = 40 + get16(b + 4);
		if (total < n)
			n = total;
		proto = b[6];
	} else {
		return 0;
	}
	if (hl > n)
		return 0;
	b += hl;
	n -= hl;
	if (proto == 17) {
		if (n < 8 || (get16(b) != 53 && get16(b + 2) != 53))
			return 0;
		return add_payload(p, b + 8, n - 8);
	}
	if (proto == 6) {
		if (n < 20 || (get16(b) != 53 && get16(b + 2) != 53))
			return 0;
		size_t doff = (size_t)(b[12] >> 4) * 4;
		if (doff < 20 || doff > n)
			return 0;
		b += doff;
		n -= doff;
		/* Several length-prefixed messages may share a segment; one
		 * split across segments is skipped (the bench capture has
		 * none). */
		while (n >= 2) {
			size_t len = get16(b);
			if (len + 2 > n)
				break;
			if (add_payload(p, b + 2, len) < 0)
				return -1;
			b += len + 2;
			n -= len + 2;
		}
	}
	return 0;
}

static int load(const char *path, struct payloads *p)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const uint8_t *b;
	int rc;

	pcap_t *pc = pcap_open_offline(path, errbuf);
	if (!pc) {
		fprintf(stderr, "bench_decoder: %s: %s\n", path, errbuf);
		return -1;
	}
	int dlt = pcap_datalink(pc);
	while ((rc = pcap_next_ex(pc, &h, &b)) == 1) {
		size_t n = h->caplen;
		size_t skip;
		unsigned et = 0;
		switch (dlt) {
		case DLT_EN10MB:
			if (n < 14)
				continue;
			et = get16(b + 12);
			skip = 14;
			while ((et == 0x8100 || et == 0x88a8) && n >= skip + 4) {
				et = get16(b + skip + 2);
				skip += 4;
			}
			if (et != 0x0800 && et != 0x86dd)
				continue;
			break;
		case DLT_LINUX_SLL:
			skip = 16;
			break;
		case DLT_RAW:
			skip = 0;
			break;
		default:
			fprintf(stderr, "bench_decoder: link type %d not handled\n", dlt);
			pcap_close(pc);
			return -1;
		}
		if (skip > n)
			continue;
		if (add_ip(p, b + skip, n - skip) < 0) {
			fprintf(stderr, "bench_decoder: out of memory\n");
			pcap_close(pc);
			return -1;
		}
	}
	pcap_close(pc);
	return 0;
}

static double seconds(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now(void)
{
	return seconds(CLOCK_MONOTONIC);
}

static volatile uint64_t sink;

static struct dns_msg msg;

static uint64_t run_dnshound(const struct payloads *p, uint64_t *errors)
{
	uint64_t s = 0, e = 0;

	for (size_t i = 0; i < p->n; i++) {
		if (dns_parse(&msg, p->arena + p->off[i], p->len[i]) != 0)
			e++;
		/* Walk the records as a consumer would. */
		for (unsigned k = 0; k < msg.rr_count; k++)
			s += msg.rr[k].type + msg.rr[k].rdlen;
		s += msg.qname_len;
	}
	*errors = e;
	return s;
}

#ifdef HAVE_LDNS
static uint64_t run_ldns(const struct payloads *p, uint64_t *errors)
{
	uint64_t s = 0, e = 0;

	for (size_t i = 0; i < p->n; i++) {
		ldns_pkt *pkt = NULL;
		if (ldns_wire2pkt(&pkt, p->arena + p->off[i], p->len[i]) != LDNS_STATUS_OK) {
			e++;
			continue;
		}
		s += ldns_pkt_ancount(pkt);
		ldns_pkt_free(pkt);
	}
	*errors = e;
	return s;
}
#endif

#ifdef HAVE_KNOT
static uint64_t run_knot(const struct payloads *p, uint64_t *errors)
{
	uint64_t s = 0, e = 0;

	for (size_t i = 0; i < p->n; i++) {
		/* knot_pkt_new() with a buffer parses in place; the buffer is
		 * only read by knot_pkt_parse(). */
		knot_pkt_t *pkt = knot_pkt_new(p->arena + p->off[i], p->len[i], NULL);
		if (!pkt) {
			e++;
			continue;
		}
		if (knot_pkt_parse(pkt, 0) != KNOT_EOK)
			e++;
		else
			s += pkt->rrset_count;
		knot_pkt_free(pkt);
	}
	*errors = e;
	return s;
}
#endif

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void bench(const char *name, uint64_t (*fn)(const struct payloads *, uint64_t *),
                  const struct payloads *p)
{
	double rate[RUNS], cpu_rate[RUNS];
	uint64_t errors = 0;

	/* Wall-clock time and the thread's CPU time: on a shared machine
	 * the second leaves out the time other processes had the core. */
	for (int r = 0; r < RUNS; r++) {
		double t0 = now(), c0 = seconds(CLOCK_THREAD_CPUTIME_ID);
		sink += fn(p, &errors);
		double t1 = now(), c1 = seconds(CLOCK_THREAD_CPUTIME_ID);
		rate[r] = (double)p->n / (t1 - t0);
		cpu_rate[r] = (double)p->n / (c1 - c0);
	}
	qsort(rate, RUNS, sizeof(rate[0]), cmp_double);
	qsort(cpu_rate, RUNS, sizeof(cpu_rate[0]), cmp_double);
	printf("%-24s wall %6.2f M msgs/s (runs %.2f %.2f %.2f)  cpu %6.2f M msgs/s = %6.1f "
	       "ns/msg  %llu errors\n",
	       name, rate[RUNS / 2] / 1e6, rate[0] / 1e6, rate[1] / 1e6, rate[2] / 1e6,
	       cpu_rate[RUNS / 2] / 1e6, 1e9 / cpu_rate[RUNS / 2], (unsigned long long)errors);
}

int main(int argc, char **argv)
{
	struct payloads p = {0};
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_decoder FILE.pcap\n");
		return 2;
	}
	double t0 = now();
	if (load(argv[1], &p) < 0)
		goto out;
	double t1 = now();
	printf("%zu DNS messages, %zu bytes, loaded in %.2f s (%.2f M msgs/s with libpcap)\n", p.n,
	       p.used, t1 - t0, (double)p.n / (t1 - t0) / 1e6);
	if (p.n == 0)
		goto out;
	bench("dnshound dns_parse", run_dnshound, &p);
#ifdef HAVE_KNOT
	bench("libknot knot_pkt_parse", run_knot, &p);
#endif
#ifdef HAVE_LDNS
	bench("ldns ldns_wire2pkt", run_ldns, &p);
#endif
	rc = 0;
out:
	free(p.arena);
	free(p.off);
	free(p.len);
	return rc;
}
