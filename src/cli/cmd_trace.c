/*
 * cmd_trace.c - "dnshound trace": the victim's side of a traceback (seed
 * 000 section 4.2 step 1).
 *
 * Asks the destination agent (the agent of the DNS server authoritative
 * for the attacked name) who resolved the name around the attack, and
 * prints the ranked candidates it gathered from the agents on the way,
 * with the spoofed-or-not verdict (section 4.5) for the attack packets'
 * source addresses. A source address never leaves this program in clear:
 * it is blinded (trace/trace_oprf.h), and only this program can unblind
 * the agents' answer, so the verdict is computed here.
 *
 * --from-capture reads a capture of the attack (pcap or pcapng, through
 * libpcap): the attack's first and last packet give its time span, the
 * most frequent destination the victim's address, and the most frequent
 * sources the addresses to confirm.
 */
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/agent_http.h"
#include "cli/cli.h"
#include "trace/trace.h"
#include "trace/trace_msg.h"
#include "trace/trace_oprf.h"
#include "util/buf.h"
#include "util/cursor.h"
#include "util/err.h"
#include "util/timefmt.h"

#define SOURCES_MAX 8

static const char usage[] =
    "usage: dnshound trace --agent URL (--fqdn NAME | --victim-ip ADDR)\n"
    "                      (--time T [--end T] | --from-capture FILE)\n"
    "                      --cert F --key F --ca F [options]\n"
    "\n"
    "Asks the destination agent who resolved NAME before an attack at time T,\n"
    "through the resolvers' and forwarders' agents (doc/protocol.md), and\n"
    "prints the ranked candidates, the C&C names they resolved before, what\n"
    "was not reached, and for each --source whether it was spoofed.\n"
    "\n"
    "  --agent URL          the destination agent (https://host:port)\n"
    "  --fqdn NAME          the attacked name\n"
    "  --victim-ip ADDR     instead: the agent finds the names of ADDR (with --fqdn\n"
    "                       and --from-capture: only the capture's packets to ADDR)\n"
    "  --time T             attack start (RFC 3339, date or epoch seconds)\n"
    "  --end T              attack end (default: the start)\n"
    "  --window S           end hosts asked within S seconds before (default 10)\n"
    "  --source IP          an attack packet's source address to confirm (up to 8)\n"
    "  --from-capture FILE  a capture of the attack: its time span (unless --time),\n"
    "                       victim (the most frequent destination) and most frequent\n"
    "                       sources; DNS packets in it are left out\n"
    "  --max-hops N         hop limit (default 4)\n"
    "  --deadline S         seconds the whole trace may take (default 10)\n"
    "  --name NAME          who asks, as it appears on paths (default: victim)\n"
    "  --cert F --key F     this side's client certificate and key (PEM)\n"
    "  --ca F               CAs the agent's server certificate must chain to\n"
    "  --json               the answer as one JSON object\n";

struct src_count {
	struct dh_addr a;
	uint64_t n;
};

struct capinfo {
	int64_t first_ns, last_ns;
	uint64_t packets, skipped, dns;
	struct src_count *dst, *src; /* owned */
	size_t ndst, nsrc, capdst, capsrc;
};

static int count_addr(struct src_count **v, size_t *n, size_t *cap, const struct dh_addr *a)
{
	for (size_t i = 0; i < *n; i++)
		if (dh_addr_equal(&(*v)[i].a, a)) {
			(*v)[i].n++;
			return 0;
		}
	/* A spoofed flood has as many sources as packets: keep a bounded
	 * table, enough to find the frequent ones. */
	if (*n >= 65536)
		return 0;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		struct src_count *nv = realloc(*v, nc * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = nc;
	}
	(*v)[*n].a = *a;
	(*v)[*n].n = 1;
	(*n)++;
	return 0;
}

/* The IP source and destination of one frame; 0, or -1 when it has none,
 * 1 when it is DNS (UDP or TCP port 53: the attack is not DNS, and a
 * capture at the victim holds its own lookups too). */
static int frame_addrs(int dlt, const uint8_t *p, size_t len, struct dh_addr *s, struct dh_addr *d)
{
	unsigned proto = 0;
	const uint8_t *l4 = NULL;
	size_t l4len = 0;
	struct cur c;
	unsigned et = 0;
	cur_init(&c, p, len);
	switch (dlt) {
	case DLT_EN10MB:
		cur_skip(&c, 12);
		et = cur_u16(&c);
		while (!c.err && (et == 0x8100 || et == 0x88a8)) {
			cur_skip(&c, 2);
			et = cur_u16(&c);
		}
		break;
	case DLT_LINUX_SLL:
		cur_skip(&c, 14);
		et = cur_u16(&c);
		break;
	case DLT_RAW:
	case 228: /* LINKTYPE_IPV4 */
	case 229: /* LINKTYPE_IPV6 */
		et = 0;
		break;
	case DLT_NULL:
		cur_skip(&c, 4);
		break;
	default:
		return -1;
	}
	if (c.err)
		return -1;
	const uint8_t *ip = c.p;
	size_t left = cur_left(&c);
	if (et == 0 && left > 0)
		et = (ip[0] >> 4) == 4 ? 0x0800 : (ip[0] >> 4) == 6 ? 0x86dd : 0;
	if (et == 0x0800) {
		size_t ihl = left ? (size_t)(ip[0] & 15) * 4 : 0;
		if (left < 20 || (ip[0] >> 4) != 4 || ihl < 20)
			return -1;
		dh_addr_set4(s, ip + 12);
		dh_addr_set4(d, ip + 16);
		proto = ip[9];
		/* Only a first fragment carries the ports. */
		if ((dh_be16(ip + 6) & 0x1fff) == 0 && left > ihl) {
			l4 = ip + ihl;
			l4len = left - ihl;
		}
	} else if (et == 0x86dd) {
		if (left < 40 || (ip[0] >> 4) != 6)
			return -1;
		dh_addr_set6(s, ip + 8);
		dh_addr_set6(d, ip + 24);
		/* Extension headers are not walked: a packet behind one counts
		 * as not DNS, which only errs towards the attack. */
		proto = ip[6];
		l4 = ip + 40;
		l4len = left - 40;
	} else {
		return -1;
	}
	if ((proto == 17 || proto == 6) && l4 && l4len >= 4 &&
	    (dh_be16(l4) == 53 || dh_be16(l4 + 2) == 53))
		return 1;
	return 0;
}

static int read_capture(const char *path, const struct dh_addr *victim, struct capinfo *ci)
{
	char perr[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = 0, r;
	memset(ci, 0, sizeof(*ci));
	pcap_t *pc =
	    pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!pc) {
		cli_err("%s: %s", path, perr);
		return -1;
	}
	int dlt = pcap_datalink(pc);
	while ((r = pcap_next_ex(pc, &h, &data)) == 1) {
		struct dh_addr s, d;
		int fr = frame_addrs(dlt, data, h->caplen, &s, &d);
		if (fr != 0) {
			if (fr < 0)
				ci->skipped++;
			else
				ci->dns++;
			continue;
		}
		if (victim && victim->family && !dh_addr_equal(&d, victim))
			continue;
		int64_t t = (int64_t)h->ts.tv_sec * 1000000000LL + h->ts.tv_usec;
		if (!ci->packets || t < ci->first_ns)
			ci->first_ns = t;
		if (!ci->packets || t > ci->last_ns)
			ci->last_ns = t;
		ci->packets++;
		if (count_addr(&ci->dst, &ci->ndst, &ci->capdst, &d) ||
		    count_addr(&ci->src, &ci->nsrc, &ci->capsrc, &s)) {
			rc = -1;
			break;
		}
	}
	if (r == -1) {
		/* A cut capture keeps what was read before the cut. */
		cli_err("%s: %s (using the %llu packets before it)", path, pcap_geterr(pc),
		        (unsigned long long)ci->packets);
	}
	pcap_close(pc);
	if (rc == 0 && ci->packets == 0) {
		cli_err("%s: no IP packet%s in the capture", path,
		        victim && victim->family ? " to the victim" : "");
		rc = -1;
	}
	return rc;
}

static int by_count(const void *a, const void *b)
{
	const struct src_count *x = a, *y = b;
	return x->n < y->n ? 1 : x->n > y->n ? -1 : 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void print_text(const struct trace_answer *a, const struct dh_addr *src, const int *verdict,
                       size_t nsrc)
{
	printf("traceback %s of %s (%u hop%s, looked back %u s: %s)\n", a->request_id,
	       a->fqdn[0] ? a->fqdn : "-", a->hops, a->hops == 1 ? "" : "s", a->lookback_s,
	       a->lookback_reason);
	for (unsigned i = 0; i < a->nnames; i++)
		printf("  name of the victim's address: %s\n", a->names[i]);
	if (a->ncand == 0)
		printf("no candidate found\n");
	for (size_t i = 0; i < a->ncand; i++) {
		const struct trace_candidate *c = &a->cand[i];
		printf("%3zu. %-39s score %.3f  via", i + 1, c->host, c->score);
		for (unsigned k = 0; k < c->npath; k++)
			printf(" %s", c->path[k]);
		printf("\n");
		for (unsigned k = 0; k < c->nreasons; k++)
			printf("       %s\n", c->reasons[k]);
	}
	for (size_t i = 0; i < nsrc; i++) {
		char t[DH_ADDR_TEXT_MAX];
		dh_addr_format(&src[i], t, sizeof(t));
		printf("source %s: %s\n", t,
		       verdict[i] == 1   ? "spoofed (no source agent's clients include it)"
		       : verdict[i] == 0 ? "not spoofed (a source agent's client)"
		                         : "unknown (no source agent answered the confirmation)");
	}
	for (size_t i = 0; i < a->ncc; i++)
		printf("C&C candidate %s: score %.3f, resolved by %u traced bot(s), %u other "
		       "client(s)\n",
		       a->cc[i].name, a->cc[i].score, a->cc[i].bots, a->cc[i].others);
	for (size_t i = 0; i < a->nunreached; i++)
		printf("not reached: %s (%s: %s)\n", a->unreached[i].agent, a->unreached[i].reason,
		       a->unreached[i].detail);
	for (size_t i = 0; i < a->nwarnings; i++)
		printf("warning: %s\n", a->warnings[i]);
}

/* Sends one request and parses its answer into a. Returns 0 or -1
 * (printed). */
static int ask(struct agent_client *cl, const char *url, const struct trace_request *r,
               unsigned timeout_ms, struct trace_answer *a)
{
	char *body = NULL, err[512];
	size_t len = 0;
	struct dh_buf out;
	unsigned code = 0;
	int rc = trace_request_encode(r, &body, &len);
	if (rc) {
		cli_err("request: %s", trace_strerror(rc));
		return -1;
	}
	dh_buf_init(&out);
	rc = agent_client_post(cl, url, body, len, timeout_ms, &code, &out, err, sizeof(err));
	free(body);
	if (rc) {
		cli_err("%s", err);
		dh_buf_release(&out);
		return -1;
	}
	rc = trace_answer_parse((const uint8_t *)out.data, out.len, a, err, sizeof(err));
	dh_buf_release(&out);
	if (rc) {
		cli_err("%s: HTTP %u, answer unreadable: %s", url, code, err);
		return -1;
	}
	if (a->error) {
		cli_err("%s refused: %s: %s", a->agent[0] ? a->agent : url,
		        trace_code_name(a->error), a->error_message);
		return -1;
	}
	return 0;
}

int cmd_trace(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"agent", required_argument, NULL, 'a'},
	    {"fqdn", required_argument, NULL, 'f'},
	    {"victim-ip", required_argument, NULL, 'v'},
	    {"time", required_argument, NULL, 't'},
	    {"end", required_argument, NULL, 'e'},
	    {"window", required_argument, NULL, 'w'},
	    {"source", required_argument, NULL, 's'},
	    {"from-capture", required_argument, NULL, 'C'},
	    {"max-hops", required_argument, NULL, 'H'},
	    {"deadline", required_argument, NULL, 'd'},
	    {"name", required_argument, NULL, 'n'},
	    {"cert", required_argument, NULL, 'c'},
	    {"key", required_argument, NULL, 'k'},
	    {"ca", required_argument, NULL, 'A'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *url = NULL, *fqdn = NULL, *capture = NULL, *name = "victim";
	struct dh_addr victim = {0}, src[SOURCES_MAX];
	size_t nsrc = 0;
	int64_t t_start = 0, t_end = 0;
	int have_start = 0, json = 0, c;
	uint64_t window = 0, hops = 4, deadline_s = 10;
	struct agent_client_config cc;
	memset(&cc, 0, sizeof(cc));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			url = optarg;
			break;
		case 'f':
			fqdn = optarg;
			break;
		case 'v':
			if (dh_addr_parse(&victim, optarg) != 0) {
				cli_err("--victim-ip: '%s' is not an IP address", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 't':
			if (cli_parse_time("--time", optarg, &t_start) != 0)
				return CLI_EXIT_USAGE;
			have_start = 1;
			break;
		case 'e':
			if (cli_parse_time("--end", optarg, &t_end) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'w':
			if (cli_parse_count("--window", optarg, 86400, &window) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 's':
			if (nsrc >= SOURCES_MAX) {
				cli_err("--source: at most %d addresses", SOURCES_MAX);
				return CLI_EXIT_USAGE;
			}
			if (dh_addr_parse(&src[nsrc], optarg) != 0) {
				cli_err("--source: '%s' is not an IP address", optarg);
				return CLI_EXIT_USAGE;
			}
			nsrc++;
			break;
		case 'C':
			capture = optarg;
			break;
		case 'H':
			if (cli_parse_count("--max-hops", optarg, TRACE_HOPS_MAX, &hops) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'd':
			if (cli_parse_count("--deadline", optarg, 600, &deadline_s) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'n':
			name = optarg;
			break;
		case 'c':
			cc.cert_file = optarg;
			break;
		case 'k':
			cc.key_file = optarg;
			break;
		case 'A':
			cc.ca_file = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return CLI_EXIT_OK;
		default:
			fputs(usage, stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (!url || (!fqdn && !victim.family && !capture) || (fqdn && victim.family && !capture) ||
	    (!have_start && !capture) || !cc.cert_file || !cc.key_file || !cc.ca_file ||
	    optind != argc) {
		fputs(usage, stderr);
		return CLI_EXIT_USAGE;
	}
	if (capture) {
		struct capinfo ci;
		if (read_capture(capture, &victim, &ci) != 0) {
			free(ci.dst);
			free(ci.src);
			return CLI_EXIT_RUNTIME;
		}
		qsort(ci.dst, ci.ndst, sizeof(*ci.dst), by_count);
		qsort(ci.src, ci.nsrc, sizeof(*ci.src), by_count);
		if (!victim.family && !fqdn)
			victim = ci.dst[0].a;
		if (!have_start) {
			t_start = ci.first_ns;
			t_end = ci.last_ns;
		}
		for (size_t i = 0; i < ci.nsrc && nsrc < SOURCES_MAX && i < 4; i++)
			src[nsrc++] = ci.src[i].a;
		char vt[DH_ADDR_TEXT_MAX], t0[DH_TIME_TEXT_MAX], t1[DH_TIME_TEXT_MAX];
		dh_addr_format(&ci.dst[0].a, vt, sizeof(vt));
		dh_time_format(ci.first_ns, t0, sizeof(t0));
		dh_time_format(ci.last_ns, t1, sizeof(t1));
		fprintf(stderr,
		        "%s: %llu packets to %s from %s to %s, %zu source addresses (%llu DNS "
		        "packets and %llu without IP left out)\n",
		        capture, (unsigned long long)ci.packets, vt, t0, t1, ci.nsrc,
		        (unsigned long long)ci.dns, (unsigned long long)ci.skipped);
		free(ci.dst);
		free(ci.src);
	}
	if (nsrc && !fqdn) {
		cli_err("--source needs --fqdn: the confirmation is of (address, name) pairs");
		return CLI_EXIT_USAGE;
	}

	struct agent_client *cl = NULL;
	cc.max_response = TRACE_ANSWER_MAX;
	int rc = agent_client_new(&cl, &cc);
	if (rc) {
		cli_err("client: %s", dh_strerror(rc));
		return CLI_EXIT_RUNTIME;
	}
	char u[TRACE_URL_MAX + 16];
	size_t ul = strlen(url);
	while (ul > 0 && url[ul - 1] == '/')
		ul--;
	snprintf(u, sizeof(u), "%.*s/v1/trace", (int)ul, url);
	int64_t deadline = now_ms() + (int64_t)deadline_s * 1000;
	unsigned timeout = (unsigned)deadline_s * 1000 + 2000;

	struct trace_request r;
	uint8_t blind[SOURCES_MAX][TRACE_OPRF_KEY];
	int verdict[SOURCES_MAX];
	struct trace_answer ans;
	int exit_rc = CLI_EXIT_OK;
	trace_answer_init(&ans);
	/* With a name, a victim address only chose the capture's packets. */
	rc = trace_request_init(&r, name, fqdn, fqdn ? NULL : &victim, t_start / 1000000,
	                        (t_end ? t_end : t_start) / 1000000, (uint32_t)window, deadline);
	if (rc) {
		cli_err("request: %s", trace_strerror(rc));
		agent_client_free(cl);
		return CLI_EXIT_USAGE;
	}
	r.max_hops = (unsigned)hops;
	/* The first source rides on the trace; every other one is a
	 * confirmation request of its own, each with its own blinding. */
	if (nsrc && trace_oprf_blind(&src[0], fqdn, blind[0], r.blinded) == 0)
		r.has_blinded = 1;
	if (ask(cl, u, &r, timeout, &ans) != 0) {
		exit_rc = CLI_EXIT_RUNTIME;
		goto out;
	}
	for (size_t i = 0; i < nsrc; i++) {
		verdict[i] = -1;
		struct trace_answer *a = &ans, ca;
		trace_answer_init(&ca);
		if (i > 0) {
			struct trace_request q;
			if (trace_request_init(&q, name, fqdn, NULL, r.attack_start_ms,
			                       r.attack_end_ms, r.window_s, deadline) != 0 ||
			    trace_oprf_blind(&src[i], fqdn, blind[i], q.blinded) != 0) {
				trace_answer_release(&ca);
				continue;
			}
			q.kind = TRACE_KIND_CONFIRM;
			q.max_hops = r.max_hops;
			q.has_blinded = 1;
			if (ask(cl, u, &q, timeout, &ca) != 0) {
				trace_answer_release(&ca);
				continue;
			}
			a = &ca;
		}
		a->spoofed = -1;
		if (trace_oprf_verdict(a, blind[i], &src[i], fqdn) >= 0)
			verdict[i] = a->spoofed;
		trace_answer_release(&ca);
	}
	/* The answer's verdict is the first source's. */
	ans.spoofed = nsrc ? verdict[0] : -1;
	if (json) {
		char *text = NULL;
		size_t len = 0;
		if (trace_answer_encode(&ans, &text, &len) != 0 || len < 2) {
			cli_err("cannot encode the answer");
			exit_rc = CLI_EXIT_RUNTIME;
			free(text);
			goto out;
		}
		/* Each source's verdict, after the answer's own keys. */
		fwrite(text, 1, len - 1, stdout);
		printf(",\"sources\":[");
		for (size_t i = 0; i < nsrc; i++) {
			char t[DH_ADDR_TEXT_MAX];
			dh_addr_format(&src[i], t, sizeof(t));
			printf("%s{\"address\":\"%s\",\"spoofed\":%s}", i ? "," : "", t,
			       verdict[i] == 1   ? "true"
			       : verdict[i] == 0 ? "false"
			                         : "null");
		}
		printf("]}\n");
		free(text);
	} else {
		print_text(&ans, src, verdict, nsrc);
	}
	if (fflush(stdout) != 0)
		exit_rc = CLI_EXIT_RUNTIME;
out:
	trace_answer_release(&ans);
	agent_client_free(cl);
	return exit_rc;
}
