/*
 * bench_nshist.c - the check's speed against a large NS-record history.
 *
 *     bench_nshist NS_COUNT CHECKS [SEED]
 *
 * Learns NS_COUNT name servers (one zone each, in-bailiwick glue, one in
 * ten over IPv6) from NOERROR referrals, then classifies CHECKS queries
 * whose destinations are drawn from a shuffled list: half registered
 * name servers, half addresses never learned, visited in an order that
 * defeats the caches (every check is a cold probe, as a busy network's
 * destinations would be). Prints key=value lines: the learn rate, the
 * checks per CPU second of nshist_check() alone and of nshist_classify()
 * (with the default exception list and one local resolver), the memory
 * of the history per million NS rows, and the verdict counts (which prove
 * the checks did their work).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "nshist/nshist.h"
#include "nshist/nshist_check.h"
#include "util/allow.h"

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The i-th name server's address: 10.0.0.0/8 counting up, every tenth
 * in 2001:db8::/32. Unknown addresses come from 100.64.0.0/10. */
static void ns_addr(uint32_t i, int unknown, struct dh_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (i % 10 == 9) {
		a->family = DH_AF_INET6;
		a->a[0] = 0x20;
		a->a[1] = 0x01;
		a->a[2] = 0x0d;
		a->a[3] = 0xb8;
		a->a[4] = (uint8_t)unknown;
		a->a[12] = (uint8_t)(i >> 24);
		a->a[13] = (uint8_t)(i >> 16);
		a->a[14] = (uint8_t)(i >> 8);
		a->a[15] = (uint8_t)i;
	} else {
		uint32_t v = unknown ? 0x64400000u + (i & 0x3fffff) : 0x0a000000u + i;
		a->family = DH_AF_INET;
		a->a[0] = (uint8_t)(v >> 24);
		a->a[1] = (uint8_t)(v >> 16);
		a->a[2] = (uint8_t)(v >> 8);
		a->a[3] = (uint8_t)v;
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fputs("usage: bench_nshist NS_COUNT CHECKS [SEED]\n", stderr);
		return 2;
	}
	uint64_t nns = strtoull(argv[1], NULL, 10), nchecks = strtoull(argv[2], NULL, 10);
	uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
	struct nshist *h = NULL;
	struct nshist_opts o;
	struct ev_event *ev = calloc(1, sizeof(*ev));
	char zone[64], ns[80], addr[DH_ADDR_TEXT_MAX];
	int64_t t0 = 1795305600LL * NSHIST_SEC_NS;

	if (!ev || nns == 0 || nns > UINT32_MAX / 2 || nshist_new(&h, NULL) != 0 ||
	    nshist_opts_init(&o) != 0 || nshist_opts_resolver(&o, "10.255.255.53") != 0)
		return 1;

	/* Learning: one referral per name server. */
	double c0 = cpu_now();
	for (uint32_t i = 0; i < nns; i++) {
		struct dh_addr a;
		ns_addr(i, 0, &a);
		dh_addr_format(&a, addr, sizeof(addr));
		snprintf(zone, sizeof(zone), "z%u.example.", i);
		snprintf(ns, sizeof(ns), "ns.z%u.example.", i);
		memset(&ev->msg, 0, sizeof(ev->msg));
		ev->ts_ns = t0 + (int64_t)i * 1000;
		ev->rtt_ns = -1;
		ev->msg.flags = 0x8000;
		ev->msg.has_question = 1;
		ev->msg.qtype = 1;
		ev->msg.qname_len =
		    (uint16_t)snprintf(ev->msg.qname, sizeof(ev->msg.qname), "www.%s", zone);
		ev->msg.rr_count = 2;
		ev->msg.rr[0] = (struct dns_rr){.section = DNS_SEC_AUTHORITY,
		                                .type = DNS_T_NS,
		                                .rclass = 1,
		                                .ttl = 172800,
		                                .owner_text = zone,
		                                .data_text = ns};
		ev->msg.rr[1] =
		    (struct dns_rr){.section = DNS_SEC_ADDITIONAL,
		                    .type = a.family == DH_AF_INET ? DNS_T_A : DNS_T_AAAA,
		                    .rclass = 1,
		                    .ttl = 172800,
		                    .owner_text = ns,
		                    .data_text = addr};
		if (nshist_learn(h, ev) != 0)
			return 1;
	}
	double learn_s = cpu_now() - c0;
	struct nshist_stats st;
	nshist_stats(h, &st);

	/* Destinations: a shuffled list, half learned, half never; its
	 * length a power of two so that walking it costs a mask, not a
	 * division. */
	uint64_t nd = 1024;
	while (nd < nns * 2 && nd < (1u << 22))
		nd *= 2;
	struct dh_addr *dst = malloc(nd * sizeof(*dst));
	struct ev_event *qev = calloc(1, sizeof(*qev));
	if (!dst || !qev)
		return 1;
	for (uint64_t i = 0; i < nd; i++)
		ns_addr((uint32_t)(rng(&seed) % nns), (int)(i & 1), &dst[i]);
	int64_t tq = t0 + (int64_t)nns * 1000 + NSHIST_SEC_NS;
	uint64_t counts[4] = {0, 0, 0, 0};
	struct nshist_why w;

	c0 = cpu_now();
	for (uint64_t i = 0; i < nchecks; i++) {
		nshist_check(h, &dst[i & (nd - 1)], tq, &w);
		counts[w.verdict & 3]++;
	}
	double check_s = cpu_now() - c0;

	/* The whole verdict of a query event, with the exception lists. */
	qev->msg.has_question = 1;
	qev->msg.qtype = 16;
	qev->ts_ns = tq;
	dh_addr_parse(&qev->src, "10.200.0.7");
	uint64_t classified = 0;
	c0 = cpu_now();
	for (uint64_t i = 0; i < nchecks; i++) {
		qev->dst = dst[i & (nd - 1)];
		classified += (uint64_t)nshist_classify(h, &o, qev, &w);
		counts[w.verdict & 3]++;
	}
	double class_s = cpu_now() - c0;

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("ns_rows=%llu addresses=%llu learn_per_cpu_s=%.0f checks=%llu "
	       "checks_per_cpu_s=%.0f classify_per_cpu_s=%.0f history_mb=%.1f "
	       "mb_per_million_rows=%.1f peak_rss_mb=%.1f registered=%llu unknown=%llu "
	       "classified=%llu\n",
	       (unsigned long long)st.ns_rows, (unsigned long long)st.addresses,
	       (double)nns / learn_s, (unsigned long long)nchecks, (double)nchecks / check_s,
	       (double)nchecks / class_s, (double)st.bytes / 1e6,
	       (double)st.bytes / 1e6 / ((double)st.ns_rows / 1e6), (double)ru.ru_maxrss / 1024.0,
	       (unsigned long long)counts[1], (unsigned long long)counts[3],
	       (unsigned long long)classified);
	free(dst);
	free(qev);
	free(ev);
	nshist_opts_release(&o);
	nshist_free(h);
	return 0;
}
