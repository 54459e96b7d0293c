/*
 * src_bind.c - DNS events from BIND 9's query log (category "queries").
 *
 * One line per query received, in these shapes (BIND 9.9 to 9.18):
 *
 *   [time] [category: ][severity: ]client [@0xPTR ]ADDR#PORT[ (NAME)]:
 *       [view VIEW: ]query: NAME CLASS TYPE FLAGS[ (DST)]
 *
 * where time is the file channel's print-time ("03-Mar-2024
 * 12:00:00.123"), a syslog prefix ("Mar  3 12:00:00 host named[123]: ",
 * no year: see logsrc.h) or an RFC 3339 syslog time, or absent (a channel
 * without print-time: the event's time is then 0). Older versions leave
 * out the @0x pointer, the parenthesised name and the destination; all
 * three are optional here. FLAGS is '+' or '-' for RD, then S
 * (TSIG-signed), E(n) (EDNS version n; a plain E in older versions),
 * T (TCP), D (DO), C (CD), V and K (server cookie valid, cookie present).
 *
 * The log says nothing about the answer, so every event is a query. Its
 * role: BIND is often both resolver and authoritative server, and the
 * line does not say which part answered. A query with RD set is a stub
 * asking for recursion (EV_ROLE_CLIENT_QUERY); one without RD comes from
 * another resolver asking an authoritative server
 * (EV_ROLE_AUTH_QUERY). src_options.log_role overrides the guess for a
 * server known to be one or the other. The destination port is not
 * logged and is left 0.
 *
 * A query that BIND refused ("query (cache) 'NAME/TYPE/CLASS' denied",
 * "zone transfer 'ZONE/AXFR/IN' denied", category security) gives two
 * events: the query (flags unknown, so EV_ROLE_CLIENT_QUERY unless
 * log_role says otherwise) and the REFUSED response to the client: a bot
 * that is refused has still asked. Other lines of a BIND log
 * (query-errors, the default category) are skipped without complaint;
 * lines that are not BIND's at all are reported.
 */
#include <string.h>

#include "source/logsrc.h"
#include "util/err.h"

static int is_bind_date(const char *p, size_t n)
{
	/* "03-Mar-2024 " */
	return n >= 12 && p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' && p[2] == '-' &&
	       p[6] == '-';
}

static int looks_bind(const char *p, size_t n)
{
	if (logsrc_find(p, n, " named[") >= 0 || logsrc_find(p, n, " named:") >= 0)
		return 1;
	return logsrc_find(p, n, "client ") >= 0 && logsrc_find(p, n, "query: ") >= 0 &&
	       logsrc_find(p, n, "unbound") < 0 && logsrc_find(p, n, "dnsmasq") < 0;
}

static int bind_probe(const uint8_t *head, size_t len)
{
	size_t pos = 0, n;
	const char *line;

	for (int k = 0; k < 4 && logsrc_head_line(head, len, &pos, &line, &n); k++)
		if (looks_bind(line, n))
			return 1;
	return 0;
}

/* Reads the flag string ("+E(0)TDCK") into ev. */
static int bind_flags(const char *p, size_t n, struct ev_event *ev)
{
	struct dns_msg *m = &ev->msg;
	size_t i = 1;

	if (n == 0 || (p[0] != '+' && p[0] != '-'))
		return DH_EMALFORMED;
	if (p[0] == '+')
		m->flags |= DNS_FLAG_RD;
	ev->transport = EV_TRANSPORT_UDP;
	while (i < n) {
		char c = p[i++];
		switch (c) {
		case 'E':
			m->edns.present = 1;
			if (i < n && p[i] == '(') {
				size_t b = ++i;
				while (i < n && p[i] != ')')
					i++;
				uint16_t v;
				if (i >= n || logsrc_u16(p + b, i - b, &v) != 0 || v > 255)
					return DH_EMALFORMED;
				m->edns.version = (uint8_t)v;
				i++;
			}
			break;
		case 'T':
			ev->transport = EV_TRANSPORT_TCP;
			break;
		case 'D':
			m->edns.do_bit = 1;
			break;
		case 'C':
			m->flags |= DNS_FLAG_CD;
			break;
		case 'S':
		case 'V':
		case 'K':
			break;
		default:
			/* A flag letter added by a later BIND is no reason to
			 * drop the query; anything else is. */
			if (c < 'A' || c > 'Z')
				return DH_EMALFORMED;
			break;
		}
	}
	return 0;
}

/* Skips "category: " and "severity: " words before "client". */
static size_t skip_labels(const char *p, size_t n, size_t i)
{
	for (int k = 0; k < 3; k++) {
		size_t j = i;
		while (j < n && ((p[j] >= 'a' && p[j] <= 'z') || p[j] == '-' || p[j] == '_'))
			j++;
		if (j == i || j + 1 >= n || p[j] != ':' || p[j + 1] != ' ')
			break;
		i = j + 2;
	}
	return i;
}

/* Reads the time and program part. Returns 0 with *pos at the message
 * ("client ..."), or a negative code. */
static int bind_prefix(struct logsrc *s, const char *p, size_t n, int64_t *ts, size_t *pos)
{
	size_t i = 0, used = 0, tl;
	const char *tok, *prog;
	int rc;

	if (is_bind_date(p, n)) {
		rc = logsrc_time_bind(s, p, n, ts, &used);
		if (rc != 0)
			return rc;
		*pos = used;
		return 0;
	}
	if ((p[0] >= '0' && p[0] <= '9') || (n > 4 && p[3] == ' ')) {
		/* A syslog time; then either "host named[pid]:" or, from a
		 * file channel printing such times, the category. */
		if (p[0] >= '0' && p[0] <= '9')
			rc = logsrc_time_iso(s, p, n, ts, &used);
		else
			rc = logsrc_time_syslog(s, p, n, ts, &used);
		if (rc != 0)
			return rc;
		i = used;
		while (i < n && p[i] == ' ')
			i++;
		if (logsrc_starts(p + skip_labels(p, n, i), n - skip_labels(p, n, i), "client ")) {
			*pos = i;
			return 0;
		}
		rc = logsrc_syslog(s, p, n, ts, &prog, &tl, &used);
		if (rc != 0)
			return rc;
		if (!(tl == 5 && memcmp(prog, "named", 5) == 0))
			return DH_EFORMAT;
		*pos = used;
		return 0;
	}
	/* No time (print-time off, or the journal's "host named[pid]:"). */
	for (int k = 0; k < 2; k++) {
		size_t j = i;
		tl = logsrc_token(p, n, &j, &tok);
		if (tl > 6 && (memcmp(tok, "named[", 6) == 0 || memcmp(tok, "named:", 6) == 0) &&
		    tok[tl - 1] == ':') {
			*pos = j;
			return 0;
		}
		i = j;
	}
	*pos = 0;
	return 1; /* nothing recognised: the caller decides */
}

/* "'NAME/TYPE/CLASS'" of a denied query or zone transfer. */
static int bind_quoted(const char *p, size_t n, struct ev_event *ev)
{
	const char *end, *s1 = NULL, *s2 = NULL;

	if (n < 2 || p[0] != '\'')
		return DH_EMALFORMED;
	end = memchr(p + 1, '\'', n - 1);
	if (!end)
		return DH_ETRUNC;
	for (const char *c = end; c > p + 1; c--) {
		if (c[-1] != '/')
			continue;
		if (!s2)
			s2 = c - 1;
		else {
			s1 = c - 1;
			break;
		}
	}
	if (!s1)
		return DH_EMALFORMED;
	int rc = logsrc_question(ev, p + 1, (size_t)(s1 - p - 1), LOGSRC_NAME_RFC1035);
	if (rc != 0)
		return rc;
	if (logsrc_type(s1 + 1, (size_t)(s2 - s1 - 1), &ev->msg.qtype) != 0 ||
	    logsrc_class(s2 + 1, (size_t)(end - s2 - 1), &ev->msg.qclass) != 0)
		return DH_EMALFORMED;
	return 0;
}

static int bind_line(struct logsrc *s, void *state, const char *p, size_t n, struct ev_event *ev)
{
	const struct src_options *opt = logsrc_options(s);
	size_t i = 0, tl;
	const char *tok;
	int rc;

	(void)state;
	if (n == 0)
		return DH_ETRUNC;
	rc = bind_prefix(s, p, n, &ev->ts_ns, &i);
	if (rc < 0)
		return rc;
	int known = rc == 0; /* the prefix shows the line is BIND's */
	while (i < n && p[i] == ' ')
		i++;
	size_t m = skip_labels(p, n, i);
	if (!logsrc_starts(p + m, n - m, "client "))
		return known || m > i ? LOGSRC_SKIP : DH_EFORMAT;
	i = m + 7;

	/* The client: optional @0x pointer, then ADDR#PORT, then " (NAME)"
	 * and ": ", or ":" straight after the port before 9.10. */
	tl = logsrc_token(p, n, &i, &tok);
	if (tl > 1 && tok[0] == '@')
		tl = logsrc_token(p, n, &i, &tok);
	if (tl > 0 && tok[tl - 1] == ':')
		tl--;
	const char *hash = NULL;
	for (size_t k = tl; k > 0; k--)
		if (tok[k - 1] == '#') {
			hash = tok + k - 1;
			break;
		}
	if (!hash)
		return DH_EMALFORMED;
	if (logsrc_addr(tok, (size_t)(hash - tok), &ev->src) != 0 ||
	    logsrc_u16(hash + 1, (size_t)(tok + tl - hash - 1), &ev->sport) != 0)
		return DH_EMALFORMED;
	if (i + 2 < n && p[i] == ' ' && p[i + 1] == '(') {
		long c = logsrc_find(p + i, n - i, "): ");
		if (c < 0)
			return DH_ETRUNC;
		i += (size_t)c + 3;
	}
	while (i < n && p[i] == ' ')
		i++;
	if (logsrc_starts(p + i, n - i, "view ")) {
		long c = logsrc_find(p + i, n - i, ": ");
		if (c < 0)
			return DH_ETRUNC;
		i += (size_t)c + 2;
	}
	ev->role = (uint8_t)(opt->log_role ? opt->log_role : EV_ROLE_CLIENT_QUERY);

	if (!logsrc_starts(p + i, n - i, "query: ")) {
		/* A query refused by allow-query(-cache) or a refused zone
		 * transfer: the client did ask, and got REFUSED. Both are
		 * kept, as the query and the REFUSED response. */
		if (logsrc_starts(p + i, n - i, "query (cache) "))
			i += 14;
		else if (logsrc_starts(p + i, n - i, "query "))
			i += 6;
		else if (logsrc_starts(p + i, n - i, "zone transfer "))
			i += 14;
		else
			return LOGSRC_SKIP; /* query failed, update, notify ... */
		if (logsrc_find(p + i, n - i, "' denied") < 0)
			return LOGSRC_SKIP;
		rc = bind_quoted(p + i, n - i, ev);
		if (rc != 0)
			return rc;
		struct ev_event *rsp = logsrc_spare(s);
		*rsp = *ev;
		rsp->dst = ev->src;
		rsp->dport = ev->sport;
		memset(&rsp->src, 0, sizeof(rsp->src));
		rsp->sport = 0;
		rsp->msg.flags |= DNS_FLAG_QR;
		logsrc_set_rcode(&rsp->msg, 5);
		rsp->role = rsp->role == EV_ROLE_AUTH_QUERY ? EV_ROLE_AUTH_RESPONSE
		                                            : EV_ROLE_CLIENT_RESPONSE;
		return LOGSRC_EVENT;
	}
	i += 7;

	/* The query proper. */
	tl = logsrc_token(p, n, &i, &tok);
	if (tl == 0)
		return DH_ETRUNC;
	rc = logsrc_question(ev, tok, tl, LOGSRC_NAME_RFC1035);
	if (rc != 0)
		return rc;
	tl = logsrc_token(p, n, &i, &tok);
	if (tl == 0)
		return DH_ETRUNC;
	if (logsrc_class(tok, tl, &ev->msg.qclass) != 0)
		return DH_EMALFORMED;
	tl = logsrc_token(p, n, &i, &tok);
	if (tl == 0)
		return DH_ETRUNC;
	if (logsrc_type(tok, tl, &ev->msg.qtype) != 0)
		return DH_EMALFORMED;
	tl = logsrc_token(p, n, &i, &tok);
	if (tl == 0)
		return DH_ETRUNC;
	rc = bind_flags(tok, tl, ev);
	if (rc != 0)
		return rc;
	tl = logsrc_token(p, n, &i, &tok);
	if (tl >= 3 && tok[0] == '(' && tok[tl - 1] == ')') {
		if (logsrc_addr(tok + 1, tl - 2, &ev->dst) != 0)
			return DH_EMALFORMED;
	} else if (tl > 0) {
		return DH_EMALFORMED;
	}
	if (opt->log_role)
		ev->role = (uint8_t)opt->log_role;
	else
		ev->role =
		    (ev->msg.flags & DNS_FLAG_RD) ? EV_ROLE_CLIENT_QUERY : EV_ROLE_AUTH_QUERY;
	return LOGSRC_EVENT;
}

const struct logfmt logsrc_bind = {
    .name = "bind",
    .probe = bind_probe,
    .line = bind_line,
};

static int bind_open(void **ctx, const char *path, const struct src_options *opt)
{
	return logsrc_open(ctx, path, opt, &logsrc_bind);
}

const struct src_ops src_bind_ops = {
    .name = "bind",
    .probe = bind_probe,
    .open = bind_open,
    .next = logsrc_next,
    .stats = logsrc_stats,
    .close = logsrc_close,
};
