#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/timefmt.h"

/* How many bad records per file are described one by one. */
#define BAD_SHOWN_MAX 10

volatile int cli_stop;

void cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("dnshound: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_flush_out(struct dh_buf *out)
{
	if ((out->len && fwrite(out->data, 1, out->len, stdout) != out->len) ||
	    fflush(stdout) != 0) {
		cli_err("writing output failed");
		return -EIO;
	}
	out->len = 0;
	return 0;
}

int cli_parse_count(const char *opt, const char *text, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(text, &end, 10);
	if (errno || *end || text[0] < '0' || text[0] > '9' || x == 0 || x > max) {
		cli_err("%s: '%s' is not a count between 1 and %llu", opt, text,
		        (unsigned long long)max);
		return -1;
	}
	*v = x;
	return 0;
}

int cli_add_port(struct cap_options *opt, const char *text)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);

	if (errno || *end || v < 1 || v > 65535) {
		cli_err("--port: '%s' is not a port number (1-65535)", text);
		return -1;
	}
	if (opt->nports >= CAP_MAX_PORTS) {
		cli_err("--port: at most %d ports", CAP_MAX_PORTS);
		return -1;
	}
	/* Naming a port replaces nothing: 53 stays watched unless the
	 * user lists only other ports and 53 is not among them. */
	if (opt->nports == 0)
		opt->ports[opt->nports++] = 53;
	if (v != 53)
		opt->ports[opt->nports++] = (uint16_t)v;
	return 0;
}

int cli_parse_time(const char *opt, const char *text, int64_t *ts_ns)
{
	if (dh_time_parse(text, ts_ns) != 0) {
		cli_err("%s: '%s' is not a time (use 2024-05-01T12:00:00Z, 2024-05-01 or epoch "
		        "seconds)",
		        opt, text);
		return -1;
	}
	return 0;
}

void cli_bad_report(void *ctx, const char *path, const char *where, int err)
{
	struct cli_bad *b = ctx;

	b->path = path;
	b->total++;
	if (b->shown >= BAD_SHOWN_MAX)
		return;
	b->shown++;
	cli_err("%s: %s: %s, skipped", path, where, dh_strerror(err));
}

void cli_bad_finish(struct cli_bad *b)
{
	if (b->total > b->shown)
		cli_err("%s: %llu more bad records not shown", b->path ? b->path : "input",
		        (unsigned long long)(b->total - b->shown));
	b->shown = 0;
	b->total = 0;
	b->path = NULL;
}

double cli_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_progress_init(struct cli_progress *p)
{
	p->enabled = isatty(STDERR_FILENO);
	p->started = cli_now();
	p->last = 0;
}

void cli_progress_update(struct cli_progress *p, const char *path, uint64_t bytes, uint64_t size,
                         uint64_t events)
{
	if (!p->enabled)
		return;
	double now = cli_now();
	if (now - p->last < 0.25)
		return;
	p->last = now;
	double el = now - p->started;
	double rate = el > 0 ? (double)bytes / el : 0;
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if (size > 0 && bytes <= size) {
		double pct = 100.0 * (double)bytes / (double)size;
		double eta = rate > 0 ? (double)(size - bytes) / rate : 0;
		fprintf(stderr, "\r%-24.24s %5.1f%% %8.1f MB %7.1f MB/s %10llu events ETA %4.0fs ",
		        name, pct, (double)bytes / 1e6, rate / 1e6, (unsigned long long)events,
		        eta);
	} else {
		fprintf(stderr, "\r%-24.24s %8.1f MB %7.1f MB/s %10llu events ", name,
		        (double)bytes / 1e6, rate / 1e6, (unsigned long long)events);
	}
	fflush(stderr);
}

void cli_progress_done(struct cli_progress *p)
{
	if (p->enabled && p->last > 0)
		fprintf(stderr, "\r\033[K");
}

static void on_signal(int sig)
{
	(void)sig;
	cli_stop = 1;
}

void cli_catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

const char *cli_store_dir(const char *opt)
{
	if (opt)
		return opt;
	const char *env = getenv("DNSHOUND_STORE");
	if (env && *env)
		return env;
	return "dnshound.store";
}

int cli_source_option(int c, const char *arg, struct src_options *opt)
{
	char *end;
	long v;

	switch (c) {
	case 'p':
		return cli_add_port(&opt->cap, arg) == 0 ? 1 : -1;
	case 'o':
		opt->observer = arg;
		return 1;
	case 'Y':
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || v < 1970 || v > 2105) {
			cli_err("--year: '%s' is not a year between 1970 and 2105", arg);
			return -1;
		}
		opt->default_year = (int)v;
		return 1;
	case 'Z': {
		/* +HH:MM, -HHMM, +HH, or Z. */
		int sign = 1, h = 0, m = 0;
		const char *p = arg;
		if (strcmp(arg, "Z") == 0 || strcmp(arg, "UTC") == 0) {
			opt->tz_offset_min = 0;
			return 1;
		}
		if (*p == '+' || *p == '-')
			sign = *p++ == '-' ? -1 : 1;
		else
			goto bad_tz;
		if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
			goto bad_tz;
		h = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
		if (*p == ':')
			p++;
		if (*p) {
			if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' || p[2])
				goto bad_tz;
			m = (p[0] - '0') * 10 + (p[1] - '0');
		}
		if (h > 14 || m > 59)
			goto bad_tz;
		opt->tz_offset_min = sign * (h * 60 + m);
		return 1;
	bad_tz:
		cli_err("--tz: '%s' is not a zone offset such as +09:00, -0500 or Z", arg);
		return -1;
	}
	case 'R': {
		unsigned role;
		if (ev_role_parse(arg, &role) != 0 || role == EV_ROLE_UNKNOWN) {
			cli_err("--log-role: '%s' is not a role (client_query, auth_query, ...)",
			        arg);
			return -1;
		}
		opt->log_role = role;
		return 1;
	}
	case 'V':
	case 'A': {
		struct dh_addr *list = c == 'V' ? opt->resolvers : opt->auths;
		unsigned *n = c == 'V' ? &opt->nresolvers : &opt->nauths;
		if (*n >= SRC_SERVERS_MAX) {
			cli_err("--%s: at most %d addresses", c == 'V' ? "resolver" : "auth",
			        SRC_SERVERS_MAX);
			return -1;
		}
		if (dh_addr_parse(&list[*n], arg) != 0) {
			cli_err("--%s: '%s' is not an IP address", c == 'V' ? "resolver" : "auth",
			        arg);
			return -1;
		}
		(*n)++;
		return 1;
	}
	default:
		return 0;
	}
}

/* Lower-cases name and adds the trailing dot the store keeps. */
static int normalise_name(const char *in, char *out, size_t len)
{
	size_t n = strlen(in);
	if (n == 0 || n + 2 > len)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	if (out[n - 1] != '.')
		out[n++] = '.';
	out[n] = '\0';
	return 0;
}

int cli_query_option(int c, const char *arg, struct store_query *q, char *qname_buf)
{
	switch (c) {
	case 'c':
	case 'v':
		if (dh_addr_parse(c == 'c' ? &q->client : &q->server, arg) != 0) {
			cli_err("--%s: '%s' is not an IP address", c == 'c' ? "client" : "server",
			        arg);
			return -1;
		}
		return 1;
	case 'n':
		if (normalise_name(arg, qname_buf, DNS_NAME_TEXT_MAX) != 0) {
			cli_err("--qname: '%s' is not a domain name", arg);
			return -1;
		}
		q->qname = qname_buf;
		return 1;
	case 's':
		return cli_parse_time("--since", arg, &q->since_ns) == 0 ? 1 : -1;
	case 'u':
		return cli_parse_time("--until", arg, &q->until_ns) == 0 ? 1 : -1;
	default:
		return 0;
	}
}
