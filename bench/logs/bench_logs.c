/*
 * bench_logs.c - lines per second of each text-log format.
 *
 * Generates n synthetic lines per format and variant (BIND file channel,
 * Unbound queries and replies, dnsmasq extra mode, Zeek TSV and JSON,
 * EVE v3 requests and responses), then times reading them: once from
 * memory (the parser alone) and once from a plain file through src_open
 * (the line reader and the page cache too). Reports wall-clock and CPU
 * rates; the CPU rate is the one to compare on a shared machine.
 *
 * Usage: bench_logs [LINES] [DIR] [VARIANT]   (defaults 1000000, $TMPDIR or
 * P_tmpdir, and every variant)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "source/logsrc.h"
#include "source/source.h"

static const char *const types[] = {"A", "AAAA", "A", "MX", "A", "TXT", "A", "PTR"};

static size_t gen(const char *variant, unsigned long i, char *out, size_t cap)
{
	unsigned a = (unsigned)(i >> 16) & 255, b = (unsigned)(i >> 8) & 255, c = (unsigned)i & 255;
	unsigned long host = i % 50000, dom = i % 97;
	const char *t = types[i % 8];
	unsigned sec = (unsigned)(i / 1000) % 60, min = (unsigned)(i / 60000) % 60;
	int n;

	if (strcmp(variant, "bind") == 0)
		n = snprintf(
		    out, cap,
		    "22-Nov-2026 21:%02u:%02u.403 queries: info: client @0x7fa5d4743098 "
		    "10.%u.%u.%u#%lu (h%lu.example%lu.com): query: h%lu.example%lu.com IN %s "
		    "+E(0)K (192.0.2.53)\n",
		    min, sec, a, b, c, 1024 + i % 60000, host, dom, host, dom, t);
	else if (strcmp(variant, "unbound") == 0)
		n = snprintf(
		    out, cap,
		    i % 2 ? "[%lu] unbound[14861:0] reply: 10.%u.%u.%u h%lu.example%lu.com. %s "
		            "IN NOERROR 0.002792 0 61\n"
		          : "[%lu] unbound[14861:0] query: 10.%u.%u.%u h%lu.example%lu.com. %s "
		            "IN\n",
		    1700000000 + i / 1000, a, b, c, host, dom, t);
	else if (strcmp(variant, "dnsmasq") == 0) {
		unsigned long serial = i / 3 + 1;
		if (i % 3 == 0)
			n = snprintf(
			    out, cap,
			    "Nov 22 21:%02u:%02u dnsmasq[17468]: %lu 10.%u.%u.%u/%lu query[%s] "
			    "h%lu.example%lu.com from 10.%u.%u.%u\n",
			    min, sec, serial, a, b, c, 1024 + i % 60000, t, host, dom, a, b, c);
		else if (i % 3 == 1)
			n = snprintf(
			    out, cap,
			    "Nov 22 21:%02u:%02u dnsmasq[17468]: %lu 10.%u.%u.%u/%lu forwarded "
			    "h%lu.example%lu.com to 192.0.2.53\n",
			    min, sec, serial, a, b, c, 1024 + i % 60000, host, dom);
		else
			n = snprintf(
			    out, cap,
			    "Nov 22 21:%02u:%02u dnsmasq[17468]: %lu 10.%u.%u.%u/%lu reply "
			    "h%lu.example%lu.com is 198.51.%u.%u\n",
			    min, sec, serial, a, b, c, 1024 + i % 60000, host, dom, b, c);
	} else if (strcmp(variant, "zeek") == 0)
		n = snprintf(
		    out, cap,
		    "%lu.%06lu\tC%lu\t10.%u.%u.%u\t%lu\t192.0.2.53\t53\tudp\t%lu\t0.002000\t"
		    "h%lu.example%lu.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t"
		    "cdn%lu.example.net,198.51.%u.%u\t300.000000,60.000000\tF\n",
		    1700000000 + i / 1000, i % 1000000, i, a, b, c, 1024 + i % 60000, i % 65536,
		    host, dom, dom, b, c);
	else if (strcmp(variant, "zeek-json") == 0)
		n = snprintf(
		    out, cap,
		    "{\"ts\":%lu.%06lu,\"uid\":\"C%lu\",\"id.orig_h\":\"10.%u.%u.%u\","
		    "\"id.orig_p\":%lu,\"id.resp_h\":\"192.0.2.53\",\"id.resp_p\":53,\"proto\":"
		    "\"udp\",\"trans_id\":%lu,\"rtt\":0.002,\"query\":\"h%lu.example%lu.com\","
		    "\"qclass\":1,\"qclass_name\":\"C_INTERNET\",\"qtype\":1,\"qtype_name\":\"A\","
		    "\"rcode\":0,\"rcode_name\":\"NOERROR\",\"AA\":false,\"TC\":false,\"RD\":true,"
		    "\"RA\":true,\"Z\":0,\"answers\":[\"198.51.%u.%u\"],\"TTLs\":[60.0],"
		    "\"rejected\":false}\n",
		    1700000000 + i / 1000, i % 1000000, i, a, b, c, 1024 + i % 60000, i % 65536,
		    host, dom, b, c);
	else
		n = snprintf(
		    out, cap,
		    i % 2
		        ? "{\"timestamp\":\"2017-01-13T13:52:17.%06lu+0000\",\"flow_id\":%lu,"
		          "\"event_type\":\"dns\",\"src_ip\":\"192.0.2.53\",\"src_port\":53,"
		          "\"dest_ip\":\"10.%u.%u.%u\",\"dest_port\":%lu,\"proto\":\"UDP\",\"dns\":"
		          "{"
		          "\"version\":3,\"type\":\"response\",\"tx_id\":0,\"id\":%lu,\"flags\":"
		          "\"8180\","
		          "\"qr\":true,\"rd\":true,\"ra\":true,\"opcode\":0,\"rcode\":\"NOERROR\","
		          "\"queries\":[{\"rrname\":\"h%lu.example%lu.com\",\"rrtype\":\"A\"}],"
		          "\"answers\":[{\"rrname\":\"h%lu.example%lu.com\",\"rrtype\":\"A\","
		          "\"ttl\":60,"
		          "\"rdata\":\"198.51.100.7\"}],\"grouped\":{\"A\":[\"198.51.100.7\"]}}}\n"
		        : "{\"timestamp\":\"2017-01-13T13:52:17.%06lu+0000\",\"flow_id\":%lu,"
		          "\"event_type\":\"dns\",\"src_ip\":\"10.%u.%u.%u\",\"src_port\":%lu,"
		          "\"dest_ip\":\"192.0.2.53\",\"dest_port\":53,\"proto\":\"UDP\",\"dns\":{"
		          "\"version\":3,\"type\":\"request\",\"tx_id\":0,\"id\":%lu,\"flags\":"
		          "\"0100\","
		          "\"rd\":true,\"opcode\":0,\"queries\":[{\"rrname\":\"h%lu.example%lu."
		          "com\","
		          "\"rrtype\":\"A\"}]}}\n",
		    i % 1000000, i, a, b, c, 1024 + i % 60000, i % 65536, host, dom, host, dom);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static double now(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const char *fmt, const char *mode, unsigned long lines, unsigned long events,
                   unsigned long bad, size_t bytes, double wall, double cpu)
{
	printf("%-10s %-6s %9lu lines %9lu events %3lu bad  %7.0f MB  wall %6.3f s %7.2f Mlines/s"
	       "  cpu %6.3f s %7.2f Mlines/s %6.0f MB/s\n",
	       fmt, mode, lines, events, bad, (double)bytes / 1e6, wall, lines / wall / 1e6, cpu,
	       lines / cpu / 1e6, (double)bytes / cpu / 1e6);
}

int main(int argc, char **argv)
{
	static const char *const variants[][2] = {
	    {"bind", "bind"}, {"unbound", "unbound"}, {"dnsmasq", "dnsmasq"},
	    {"zeek", "zeek"}, {"zeek-json", "zeek"},  {"eve", "eve"},
	};
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	const char *dir = argc > 2 ? argv[2] : (getenv("TMPDIR") ? getenv("TMPDIR") : P_tmpdir);
	static struct ev_event ev;
	int status = 0;

	for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		if (argc > 3 && strcmp(argv[3], variants[v][0]) != 0)
			continue;
		size_t cap = n * 700 + 1, len = 0;
		char *text = malloc(cap);
		if (!text)
			return 1;
		if (strcmp(variants[v][0], "zeek") == 0)
			len = (size_t)snprintf(
			    text, cap,
			    "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\t"
			    "id.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\t"
			    "qclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\t"
			    "RA\tZ\tanswers\tTTLs\trejected\n");
		for (unsigned long i = 0; i < n; i++)
			len += gen(variants[v][0], i, text + len, cap - len);

		struct src_options opt;
		struct src_stats st;
		memset(&opt, 0, sizeof(opt));
		opt.default_year = 2026;

		/* From memory: the parser alone. */
		void *ctx;
		unsigned long events = 0;
		double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
		if (logsrc_open_mem(&ctx, (const uint8_t *)text, len, variants[v][1], &opt) != 0)
			return 1;
		while (logsrc_next(ctx, &ev) == 1)
			events++;
		double w1 = now(CLOCK_MONOTONIC), c1 = now(CLOCK_PROCESS_CPUTIME_ID);
		logsrc_stats(ctx, &st);
		logsrc_close(ctx);
		report(variants[v][0], "memory", (unsigned long)st.records, events,
		       (unsigned long)st.malformed, len, w1 - w0, c1 - c0);
		if (st.malformed)
			status = 1;

		/* From a file, through src_open(). */
		char path[4096];
		snprintf(path, sizeof(path), "%s/bench_logs_%s.log", dir, variants[v][0]);
		FILE *f = fopen(path, "wb");
		if (!f || fwrite(text, 1, len, f) != len) {
			perror(path);
			return 1;
		}
		fclose(f);
		struct src_reader *r;
		events = 0;
		w0 = now(CLOCK_MONOTONIC);
		c0 = now(CLOCK_PROCESS_CPUTIME_ID);
		if (src_open(&r, path, "auto", &opt) != 0 ||
		    strcmp(src_format(r), variants[v][1]) != 0) {
			fprintf(stderr, "%s: not detected as %s\n", path, variants[v][1]);
			return 1;
		}
		while (src_next(r, &ev) == 1)
			events++;
		w1 = now(CLOCK_MONOTONIC);
		c1 = now(CLOCK_PROCESS_CPUTIME_ID);
		src_stats(r, &st);
		src_close(r);
		unlink(path);
		report(variants[v][0], "file", (unsigned long)st.records, events,
		       (unsigned long)st.malformed, len, w1 - w0, c1 - c0);
		free(text);
	}
	return status;
}
