/*
 * src_dnsmasq.c - DNS events from dnsmasq's log-queries.
 *
 * dnsmasq logs through syslog or its own file ("Mmm dd hh:mm:ss
 * dnsmasq[PID]: ", no year: see logsrc.h). With log-queries each step of
 * a lookup is one line:
 *
 *   query[TYPE] NAME from CLIENT         a client's query
 *   forwarded NAME to SERVER[#PORT]      dnsmasq's query to its upstream
 *   dnssec-query[TYPE] NAME to SERVER    the same, for DNSSEC validation
 *   reply NAME is DATA                   an answer from upstream
 *   cached NAME is DATA                  an answer from the cache
 *   cached-stale / config / /path/hosts  from a stale cache entry, the
 *                                        configuration, a hosts file
 *
 * With log-queries=extra (newer versions) every line starts with the
 * lookup's serial number and the client's ADDR/PORT, which ties the
 * answer lines to their query.
 *
 * Roles (dnstap's names): a query line is EV_ROLE_CLIENT_QUERY (src = the
 * client); a forwarded line is EV_ROLE_FORWARDER_QUERY, dnsmasq being a
 * forwarder (dst = the upstream server, dport 53 unless the line says);
 * each answer line is an EV_ROLE_CLIENT_RESPONSE with that answer in
 * rr[0]: dnsmasq writes one line per answer record, so a response with
 * three records is three events, each one record. In extra mode the
 * serial gives an answer its client (dst) and the question it answers
 * (the qname of a CNAME chain's later lines is the original question);
 * without it, the answer's qname is the name on the line, and a
 * forwarded line takes its type from the query just before it.
 *
 * DATA is an address (A or AAAA), a name (the answer of a PTR query),
 * NXDOMAIN, NODATA[-IPv4|-IPv6], SERVFAIL, REFUSED, or "<TYPE>" for a
 * record dnsmasq does not print (its data is then unknown and no record
 * is kept, only the response). "<name unprintable>" stands for a name
 * with odd octets; such a line gives an event without a question.
 */
#include <string.h>

#include "source/logsrc.h"
#include "util/err.h"

/* Lookups in flight, by serial. dnsmasq answers in well under a second, so
 * a few hundred slots keep every pending serial of a busy forwarder. */
#define PEND_SLOTS 256

/* Names kept for pairing; a longer one (rare: 255 octets of plain text
 * fit) is not remembered and its answers keep the name on their line. */
#define PEND_NAME_MAX 320

struct pend {
	uint64_t serial; /* 0 = empty; dnsmasq's serials start at 1 */
	struct dh_addr client;
	uint16_t port;
	uint16_t qtype;
	uint16_t qname_len;
	char qname[PEND_NAME_MAX];
};

struct dnsmasq_state {
	struct pend slot[PEND_SLOTS];
	struct pend last; /* the last query, for lines without a serial */
};

static int dnsmasq_probe(const uint8_t *head, size_t len)
{
	size_t pos = 0, n;
	const char *line;

	for (int k = 0; k < 4 && logsrc_head_line(head, len, &pos, &line, &n); k++)
		if (logsrc_find(line, n, " dnsmasq[") >= 0 ||
		    logsrc_find(line, n, " dnsmasq: ") >= 0)
			return 1;
	return 0;
}

static int is_reverse(const char *name, size_t n)
{
	static const char *const zones[] = {".in-addr.arpa.", ".ip6.arpa."};
	for (size_t k = 0; k < 2; k++) {
		size_t l = strlen(zones[k]);
		if (n >= l && memcmp(name + n - l, zones[k], l) == 0)
			return 1;
	}
	return 0;
}

/* The name at p[*i]: a normal token or "<name unprintable>". Returns 1 for
 * a name read into ev (or *unprintable set), or a negative code. */
static int read_name(const char *p, size_t n, size_t *i, struct ev_event *ev, int *unprintable)
{
	const char *tok;
	size_t tl;

	while (*i < n && p[*i] == ' ')
		(*i)++;
	if (logsrc_starts(p + *i, n - *i, "<name unprintable>")) {
		*i += 18;
		*unprintable = 1;
		return 1;
	}
	*unprintable = 0;
	tl = logsrc_token(p, n, i, &tok);
	if (tl == 0)
		return DH_ETRUNC;
	int rc = logsrc_question(ev, tok, tl, LOGSRC_NAME_RAW);
	return rc < 0 ? rc : 1;
}

static int expect_word(const char *p, size_t n, size_t *i, const char *word)
{
	const char *tok;
	size_t tl = logsrc_token(p, n, i, &tok);

	if (tl == 0)
		return DH_ETRUNC;
	return (tl == strlen(word) && memcmp(tok, word, tl) == 0) ? 0 : DH_EMALFORMED;
}

/* "[TYPE]" right after the word. */
static int bracket_type(const char *tok, size_t tl, size_t word, uint16_t *type)
{
	if (tl < word + 3 || tok[word] != '[' || tok[tl - 1] != ']')
		return DH_EMALFORMED;
	return logsrc_type(tok + word + 1, tl - word - 2, type);
}

static int answer(struct logsrc *s, struct dnsmasq_state *st, const struct pend *pd, const char *p,
                  size_t n, size_t i, struct ev_event *ev)
{
	int unprintable, rc;
	const char *tok;
	size_t tl;

	rc = read_name(p, n, &i, ev, &unprintable);
	if (rc < 0)
		return rc;
	rc = expect_word(p, n, &i, "is");
	if (rc != 0)
		return rc;
	while (i < n && p[i] == ' ')
		i++;
	/* DATA is one word; later versions may add a note after it, such as
	 * an extended DNS error in parentheses, which is not kept. */
	tl = logsrc_token(p, n, &i, &tok);
	if (tl == 0)
		return DH_ETRUNC;
	ev->role = EV_ROLE_CLIENT_RESPONSE;
	ev->msg.flags |= DNS_FLAG_QR;

	/* The owner of the record is the name on the line. */
	const char *owner = unprintable ? NULL : logsrc_text(s, ev->msg.qname, ev->msg.qname_len);
	uint16_t line_type = 0;

	if (pd) {
		/* Extra mode: the question is the query's. */
		ev->dst = pd->client;
		ev->dport = pd->port;
		memcpy(ev->msg.qname, pd->qname, (size_t)pd->qname_len + 1);
		ev->msg.qname_len = pd->qname_len;
		ev->msg.has_question = pd->qname_len > 0;
		ev->msg.qdcount = ev->msg.has_question;
		ev->msg.qtype = pd->qtype;
		ev->msg.qclass = 1;
		line_type = pd->qtype;
	} else if (ev->msg.has_question) {
		ev->msg.qclass = 1;
		if (st->last.qname_len == ev->msg.qname_len &&
		    memcmp(st->last.qname, ev->msg.qname, ev->msg.qname_len) == 0)
			ev->msg.qtype = line_type = st->last.qtype;
	}

	if (tl == 8 && memcmp(tok, "NXDOMAIN", 8) == 0) {
		logsrc_set_rcode(&ev->msg, 3);
		return LOGSRC_EVENT;
	}
	if (logsrc_starts(tok, tl, "NODATA"))
		return LOGSRC_EVENT;
	if (tl == 8 && memcmp(tok, "SERVFAIL", 8) == 0) {
		logsrc_set_rcode(&ev->msg, 2);
		return LOGSRC_EVENT;
	}
	if (tl == 7 && memcmp(tok, "REFUSED", 7) == 0) {
		logsrc_set_rcode(&ev->msg, 5);
		return LOGSRC_EVENT;
	}
	if (tok[0] == '<') {
		/* "<CNAME>", "<SRV>" ...: a record dnsmasq does not print. */
		uint16_t t;
		if (tl < 3 || tok[tl - 1] != '>' || logsrc_type(tok + 1, tl - 2, &t) != 0)
			return DH_EMALFORMED;
		return LOGSRC_EVENT;
	}

	struct dns_rr *rr = &ev->msg.rr[0];
	struct dh_addr a;
	char name[DNS_NAME_TEXT_MAX];
	memset(rr, 0, sizeof(*rr));
	rr->section = DNS_SEC_ANSWER;
	rr->rclass = 1;
	if (logsrc_addr(tok, tl, &a) == 0) {
		rr->type = a.family == DH_AF_INET ? DNS_T_A : DNS_T_AAAA;
		rr->data_text = logsrc_text(s, tok, tl);
	} else {
		int len = logsrc_name(tok, tl, LOGSRC_NAME_RAW, name, sizeof(name));
		if (len < 0)
			return len;
		if (line_type != DNS_T_A && line_type != DNS_T_AAAA && line_type != 0)
			rr->type = line_type;
		else if (owner && is_reverse(owner, strlen(owner)))
			rr->type = DNS_T_PTR;
		else
			rr->type = DNS_T_CNAME;
		rr->data_text = logsrc_text(s, name, (size_t)len);
	}
	/* Without its query line the question's type is the answer's. */
	if (ev->msg.has_question && ev->msg.qtype == 0)
		ev->msg.qtype = rr->type;
	rr->owner_text = owner ? owner : logsrc_text(s, "", 0);
	if (!rr->data_text || !rr->owner_text)
		return DH_ESPACE;
	ev->msg.rr_count = 1;
	ev->msg.ancount = 1;
	return LOGSRC_EVENT;
}

static void remember(struct pend *pd, uint64_t serial, const struct ev_event *ev)
{
	if (ev->msg.qname_len >= PEND_NAME_MAX) {
		memset(pd, 0, sizeof(*pd));
		return;
	}
	pd->serial = serial;
	pd->client = ev->src;
	pd->port = ev->sport;
	pd->qtype = ev->msg.qtype;
	pd->qname_len = ev->msg.qname_len;
	memcpy(pd->qname, ev->msg.qname, (size_t)ev->msg.qname_len + 1);
}

static int dnsmasq_line(struct logsrc *s, void *state, const char *p, size_t n, struct ev_event *ev)
{
	struct dnsmasq_state *st = state;
	const char *prog, *tok;
	size_t pl, i = 0, tl;
	uint64_t serial = 0;
	struct pend *pd = NULL;
	int unprintable, rc;

	if (n == 0)
		return DH_ETRUNC;
	rc = logsrc_syslog(s, p, n, &ev->ts_ns, &prog, &pl, &i);
	if (rc != 0)
		return rc;
	if (!(pl == 7 && memcmp(prog, "dnsmasq", 7) == 0))
		return pl > 7 && memcmp(prog, "dnsmasq", 7) == 0 ? LOGSRC_SKIP : DH_EFORMAT;

	tl = logsrc_token(p, n, &i, &tok);
	if (tl == 0)
		return DH_ETRUNC;
	if (logsrc_u64(tok, tl, &serial) == 0) {
		/* log-queries=extra: SERIAL ADDR/PORT before the message. */
		const char *slash;
		if (serial == 0)
			return DH_EMALFORMED;
		tl = logsrc_token(p, n, &i, &tok);
		slash = tl ? memchr(tok, '/', tl) : NULL;
		if (!slash || logsrc_addr(tok, (size_t)(slash - tok), &ev->src) != 0 ||
		    logsrc_u16(slash + 1, (size_t)(tok + tl - slash - 1), &ev->sport) != 0)
			return DH_EMALFORMED;
		pd = &st->slot[serial % PEND_SLOTS];
		if (pd->serial != serial)
			pd = NULL;
		tl = logsrc_token(p, n, &i, &tok);
		if (tl == 0)
			return DH_ETRUNC;
	}

	if (logsrc_starts(tok, tl, "query[")) {
		struct dh_addr from;
		uint16_t port = ev->sport;
		if (bracket_type(tok, tl, 5, &ev->msg.qtype) != 0)
			return DH_EMALFORMED;
		rc = read_name(p, n, &i, ev, &unprintable);
		if (rc < 0)
			return rc;
		rc = expect_word(p, n, &i, "from");
		if (rc != 0)
			return rc;
		tl = logsrc_token(p, n, &i, &tok);
		if (tl == 0)
			return DH_ETRUNC;
		if (logsrc_addr(tok, tl, &from) != 0)
			return DH_EMALFORMED;
		ev->src = from;
		ev->sport = port;
		ev->msg.qclass = 1;
		ev->msg.flags |= DNS_FLAG_RD;
		ev->role = EV_ROLE_CLIENT_QUERY;
		if (serial)
			remember(&st->slot[serial % PEND_SLOTS], serial, ev);
		remember(&st->last, 0, ev);
		return LOGSRC_EVENT;
	}
	if ((tl == 9 && memcmp(tok, "forwarded", 9) == 0) ||
	    logsrc_starts(tok, tl, "dnssec-query[")) {
		uint16_t qtype = 0;
		if (tok[0] == 'd' && bracket_type(tok, tl, 12, &qtype) != 0)
			return DH_EMALFORMED;
		rc = read_name(p, n, &i, ev, &unprintable);
		if (rc < 0)
			return rc;
		rc = expect_word(p, n, &i, "to");
		if (rc != 0)
			return rc;
		tl = logsrc_token(p, n, &i, &tok);
		if (tl == 0)
			return DH_ETRUNC;
		const char *hash = memchr(tok, '#', tl);
		if (logsrc_addr(tok, hash ? (size_t)(hash - tok) : tl, &ev->dst) != 0)
			return DH_EMALFORMED;
		ev->dport = 53;
		if (hash && logsrc_u16(hash + 1, (size_t)(tok + tl - hash - 1), &ev->dport) != 0)
			return DH_EMALFORMED;
		/* The forwarder sends it, not the client. */
		memset(&ev->src, 0, sizeof(ev->src));
		ev->sport = 0;
		if (!qtype && pd)
			qtype = pd->qtype;
		else if (!qtype && st->last.qname_len == ev->msg.qname_len &&
		         memcmp(st->last.qname, ev->msg.qname, ev->msg.qname_len) == 0)
			qtype = st->last.qtype;
		ev->msg.qtype = qtype;
		ev->msg.qclass = 1;
		ev->msg.flags |= DNS_FLAG_RD;
		ev->role = EV_ROLE_FORWARDER_QUERY;
		return LOGSRC_EVENT;
	}
	if ((tl == 5 && memcmp(tok, "reply", 5) == 0) ||
	    (tl == 6 && memcmp(tok, "cached", 6) == 0) ||
	    (tl == 12 && memcmp(tok, "cached-stale", 12) == 0) ||
	    (tl == 6 && memcmp(tok, "config", 6) == 0) || tok[0] == '/') {
		/* A "/path" word is a hosts file; check it is one before
		 * treating "is" as the verb. */
		if (tok[0] == '/' && logsrc_find(p + i, n - i, " is ") < 0)
			return LOGSRC_SKIP;
		/* The answer goes to the client: in extra mode the line
		 * names it. */
		if (serial) {
			ev->dst = ev->src;
			ev->dport = ev->sport;
		}
		memset(&ev->src, 0, sizeof(ev->src));
		ev->sport = 0;
		return answer(s, st, pd, p, n, i, ev);
	}
	/* Start-up, upstream and DHCP messages. */
	return LOGSRC_SKIP;
}

const struct logfmt logsrc_dnsmasq = {
    .name = "dnsmasq",
    .probe = dnsmasq_probe,
    .state_size = sizeof(struct dnsmasq_state),
    .line = dnsmasq_line,
};

static int dnsmasq_open(void **ctx, const char *path, const struct src_options *opt)
{
	return logsrc_open(ctx, path, opt, &logsrc_dnsmasq);
}

const struct src_ops src_dnsmasq_ops = {
    .name = "dnsmasq",
    .probe = dnsmasq_probe,
    .open = dnsmasq_open,
    .next = logsrc_next,
    .stats = logsrc_stats,
    .close = logsrc_close,
};
