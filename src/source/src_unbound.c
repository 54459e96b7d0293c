/*
 * src_unbound.c - DNS events from Unbound's log-queries and log-replies.
 *
 * With log-queries and log-replies, Unbound writes per query and reply:
 *
 *   PREFIX info: ADDR NAME TYPE CLASS
 *   PREFIX info: ADDR NAME TYPE CLASS RCODE SECONDS CACHED SIZE
 *
 * with "query:" and "reply:" in place of "info:" when log-tag-queryreply
 * is on. ADDR may carry "@PORT" (log-local-actions lines, newer
 * versions). PREFIX is "[EPOCH] unbound[PID:TID]" in Unbound's own log
 * file, "Mmm dd hh:mm:ss unbound[PID:TID]" with log-time-ascii (no year:
 * see logsrc.h), or a syslog prefix "... host unbound: [PID:TID]".
 *
 * Unbound is a resolver, so a query line is EV_ROLE_CLIENT_QUERY (src =
 * the client) and a reply line EV_ROLE_CLIENT_RESPONSE (dst = the client,
 * as a response's client is its destination everywhere in dnshound). The
 * reply's SECONDS is the time Unbound took to answer, which is exactly
 * what rtt_ns means for a response, and SIZE is the response's length.
 * The log carries neither the message id nor the server's own address,
 * nor (without @PORT) the client's port.
 *
 * Unbound's names are printed by dname_str(), which writes odd octets as
 * '?': such a name is kept with its '?' characters.
 */
#include <string.h>

#include "source/logsrc.h"
#include "util/err.h"

static int unbound_probe(const uint8_t *head, size_t len)
{
	size_t pos = 0, n;
	const char *line;

	for (int k = 0; k < 4 && logsrc_head_line(head, len, &pos, &line, &n); k++)
		if (logsrc_find(line, n, " unbound[") >= 0 ||
		    logsrc_find(line, n, " unbound: [") >= 0)
			return 1;
	return 0;
}

/* Reads the time and program part. Returns 0 and the offset of the tag
 * ("info:"), or a negative code. */
static int unbound_prefix(struct logsrc *s, const char *p, size_t n, int64_t *ts, size_t *pos)
{
	size_t i = 0, tl;
	const char *tok;
	int rc;

	if (p[0] == '[') {
		const char *close = memchr(p, ']', n);
		if (!close)
			return DH_EMALFORMED;
		rc = logsrc_decimal_ns(p + 1, (size_t)(close - p - 1), ts);
		i = (size_t)(close - p) + 1;
	} else if (p[0] >= '0' && p[0] <= '9') {
		rc = logsrc_time_iso(s, p, n, ts, &i);
	} else {
		rc = logsrc_time_syslog(s, p, n, ts, &i);
	}
	if (rc != 0)
		return rc;
	/* An optional host, then the program. */
	for (int k = 0; k < 2; k++) {
		tl = logsrc_token(p, n, &i, &tok);
		if (tl >= 7 && memcmp(tok, "unbound", 7) == 0 &&
		    (tl == 7 || tok[7] == '[' || tok[7] == ':')) {
			if (tok[tl - 1] == ':') {
				/* Through syslog: "unbound: [PID:TID]". */
				size_t j = i;
				tl = logsrc_token(p, n, &j, &tok);
				if (tl > 0 && tok[0] == '[')
					i = j;
			}
			*pos = i;
			return 0;
		}
	}
	return DH_EFORMAT;
}

static int unbound_line(struct logsrc *s, void *state, const char *p, size_t n, struct ev_event *ev)
{
	size_t i = 0, tl;
	const char *tok, *at;
	int tagged = 0, rc;

	(void)state;
	if (n == 0)
		return DH_ETRUNC;
	rc = unbound_prefix(s, p, n, &ev->ts_ns, &i);
	if (rc != 0)
		return rc;
	tl = logsrc_token(p, n, &i, &tok);
	if (tl == 5 && memcmp(tok, "info:", 5) == 0)
		tagged = 0;
	else if ((tl == 6 && memcmp(tok, "query:", 6) == 0) ||
	         (tl == 6 && memcmp(tok, "reply:", 6) == 0))
		tagged = tok[0] == 'q' ? 1 : 2;
	else
		return LOGSRC_SKIP; /* notice:, error:, debug: ... */

	tl = logsrc_token(p, n, &i, &tok);
	if (tl == 0)
		return tagged ? DH_ETRUNC : LOGSRC_SKIP;
	at = memchr(tok, '@', tl);
	if (logsrc_addr(tok, at ? (size_t)(at - tok) : tl, &ev->src) != 0) {
		/* Untagged, this is one of Unbound's other info messages. */
		return tagged ? DH_EMALFORMED : LOGSRC_SKIP;
	}
	if (at && logsrc_u16(at + 1, (size_t)(tok + tl - at - 1), &ev->sport) != 0)
		return DH_EMALFORMED;

	tl = logsrc_token(p, n, &i, &tok);
	if (tl == 0)
		return DH_ETRUNC;
	rc = logsrc_question(ev, tok, tl, LOGSRC_NAME_RAW);
	if (rc != 0)
		return rc;
	tl = logsrc_token(p, n, &i, &tok);
	if (tl == 0)
		return DH_ETRUNC;
	if (logsrc_type(tok, tl, &ev->msg.qtype) != 0)
		return DH_EMALFORMED;
	tl = logsrc_token(p, n, &i, &tok);
	if (tl == 0)
		return DH_ETRUNC;
	if (logsrc_class(tok, tl, &ev->msg.qclass) != 0)
		return DH_EMALFORMED;

	tl = logsrc_token(p, n, &i, &tok);
	if (tl == 0) {
		if (tagged == 2)
			return DH_ETRUNC;
		ev->role = EV_ROLE_CLIENT_QUERY;
		return LOGSRC_EVENT;
	}
	if (tagged == 1)
		return DH_EMALFORMED;

	/* A reply: RCODE SECONDS CACHED SIZE. */
	unsigned rcode;
	int64_t secs;
	uint64_t cached, size;
	if (logsrc_rcode(tok, tl, &rcode) != 0)
		return DH_EMALFORMED;
	tl = logsrc_token(p, n, &i, &tok);
	if (tl == 0)
		return DH_ETRUNC;
	if (logsrc_decimal_ns(tok, tl, &secs) != 0)
		return DH_EMALFORMED;
	tl = logsrc_token(p, n, &i, &tok);
	if (tl == 0)
		return DH_ETRUNC;
	if (logsrc_u64(tok, tl, &cached) != 0 || cached > 1)
		return DH_EMALFORMED;
	tl = logsrc_token(p, n, &i, &tok);
	if (tl == 0)
		return DH_ETRUNC;
	if (logsrc_u64(tok, tl, &size) != 0 || size > 65535)
		return DH_EMALFORMED;
	/* The client is the reply's destination. */
	ev->dst = ev->src;
	ev->dport = ev->sport;
	memset(&ev->src, 0, sizeof(ev->src));
	ev->sport = 0;
	ev->msg.flags |= DNS_FLAG_QR;
	logsrc_set_rcode(&ev->msg, rcode);
	ev->rtt_ns = secs;
	ev->size = (uint32_t)size;
	ev->role = EV_ROLE_CLIENT_RESPONSE;
	return LOGSRC_EVENT;
}

const struct logfmt logsrc_unbound = {
    .name = "unbound",
    .probe = unbound_probe,
    .line = unbound_line,
};

static int unbound_open(void **ctx, const char *path, const struct src_options *opt)
{
	return logsrc_open(ctx, path, opt, &logsrc_unbound);
}

const struct src_ops src_unbound_ops = {
    .name = "unbound",
    .probe = unbound_probe,
    .open = unbound_open,
    .next = logsrc_next,
    .stats = logsrc_stats,
    .close = logsrc_close,
};
