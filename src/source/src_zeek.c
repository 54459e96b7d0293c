/*
 * src_zeek.c - DNS events from Zeek's dns.log, TSV or JSON lines.
 *
 * The TSV form starts with header lines: "#separator \x09", then
 * "#set_separator", "#empty_field", "#unset_field" and "#fields" name the
 * list separator, the empty and unset markers and the columns; the
 * columns are found by name, so extra or reordered ones do no harm. A
 * file without "#fields" is read in Zeek's default column order. The
 * JSON form (LogAscii::use_json) has one object per line with the same
 * names; "ts" is epoch seconds or, with json_timestamps ISO8601, text.
 * Zeek writes odd octets in names as \xNN; they are decoded and written
 * again as \DDD like any name.
 *
 * Zeek logs one record per transaction: the query's time, both ends, the
 * query's RD and the response's AA/TC/RA/rcode, the answers' data and
 * TTLs. A sensor cannot tell the roles, so events have EV_ROLE_UNKNOWN
 * like a capture's, and one record gives what a capture would have given:
 *   - a query event (src = id.orig_h, dst = id.resp_h) at ts, unless the
 *     record holds only a response (rcode set, rtt unset: Zeek saw no
 *     query);
 *   - a response event (src = id.resp_h, dst = id.orig_h) at ts + rtt
 *     with rtt_ns = rtt, when rcode is set; it carries the answers.
 * Answers have no owner or type in dns.log: the owner is taken to be the
 * query name, and the type is A or AAAA for an address, the leading
 * mnemonic for Zeek's "TXT 12 text", "RRSIG 5 zone", "SSHFP: ..."
 * renderings, the query type for a name answering a PTR, NS, MX ...
 * query, and CNAME for a name answering an A or AAAA query.
 */
#include <string.h>

#include "source/json.h"
#include "source/logsrc.h"
#include "util/err.h"

enum zf {
	ZF_TS,
	ZF_ORIG_H,
	ZF_ORIG_P,
	ZF_RESP_H,
	ZF_RESP_P,
	ZF_PROTO,
	ZF_TRANS_ID,
	ZF_RTT,
	ZF_QUERY,
	ZF_QCLASS,
	ZF_QTYPE,
	ZF_RCODE,
	ZF_AA,
	ZF_TC,
	ZF_RD,
	ZF_RA,
	ZF_Z,
	ZF_ANSWERS,
	ZF_TTLS,
	ZF_OPCODE,
	ZF_COUNT,
};

static const char *const zf_names[ZF_COUNT] = {
    "ts",  "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto",  "trans_id",
    "rtt", "query",     "qclass",    "qtype",     "rcode",     "AA",     "TC",
    "RD",  "RA",        "Z",         "answers",   "TTLs",      "opcode",
};

static const uint8_t zf_len[ZF_COUNT] = {
    2, 9, 9, 9, 9, 5, 8, 3, 5, 6, 5, 5, 2, 2, 2, 2, 1, 7, 4, 6,
};

/* Zeek's default dns.log columns (base/protocols/dns/main.zeek), for a
 * TSV file that lost its header. */
static const int zf_default_col[ZF_COUNT] = {
    0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16, 17, 18, 19, 20, 21, 22, -1,
};

#define ZEEK_COLS_MAX 64

struct zeek_state {
	int have_header; /* separator and markers read */
	char sep, set_sep;
	char unset[16], empty[32];
	size_t unset_len, empty_len;
	int have_fields;
	int col[ZF_COUNT];                /* column of each field, -1 when absent */
	char qbuf[4 * DNS_NAME_TEXT_MAX]; /* a longer query is no name */
	char abuf[LINES_MAX];
	char jbuf[LINES_MAX];
};

enum zkind { ZK_NONE = 0, ZK_TEXT, ZK_JSON };

/* One field of the current record: TSV text (escaped) or a JSON value. */
struct zv {
	int kind;
	const char *p;
	size_t n;
	struct json_val j;
};

struct zrec {
	struct zv f[ZF_COUNT];
};

static int zeek_probe(const uint8_t *head, size_t len)
{
	size_t pos = 0, n;
	const char *line;

	/* The TSV header may follow a comment line (btest baselines). */
	for (int k = 0; k < 3 && logsrc_head_line(head, len, &pos, &line, &n); k++) {
		if (logsrc_starts(line, n, "#separator") || logsrc_starts(line, n, "#fields\t"))
			return 1;
		if (line[0] != '#')
			return line[0] == '{' && logsrc_find(line, n, "\"id.orig_h\"") >= 0 &&
			       logsrc_find(line, n, "\"event_type\"") < 0;
	}
	return 0;
}

static void defaults(struct zeek_state *st)
{
	if (st->have_header)
		return;
	st->sep = '\t';
	st->set_sep = ',';
	memcpy(st->unset, "-", 2);
	st->unset_len = 1;
	memcpy(st->empty, "(empty)", 8);
	st->empty_len = 7;
	st->have_header = 1;
}

static int hexv(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes Zeek's \xNN escapes of p[0..n) into out (cap bytes, with NUL).
 * Returns the length or DH_ESPACE. */
static int unescape(const char *p, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '\\' && i + 3 < n + 0 && p[i + 1] == 'x' && hexv(p[i + 2]) >= 0 &&
		    hexv(p[i + 3]) >= 0) {
			c = (char)(hexv(p[i + 2]) * 16 + hexv(p[i + 3]));
			i += 3;
		}
		if (o + 1 >= cap)
			return DH_ESPACE;
		out[o++] = c;
	}
	out[o] = '\0';
	return (int)o;
}

/* "#name<sep>value" header lines. */
static int header(struct zeek_state *st, const char *p, size_t n)
{
	if (logsrc_starts(p, n, "#separator ")) {
		const char *v = p + 11;
		size_t vl = n - 11;
		if (vl == 4 && v[0] == '\\' && v[1] == 'x' && hexv(v[2]) >= 0 && hexv(v[3]) >= 0)
			st->sep = (char)(hexv(v[2]) * 16 + hexv(v[3]));
		else if (vl == 1)
			st->sep = v[0];
		else
			return DH_EMALFORMED;
		return LOGSRC_SKIP;
	}
	defaults(st);
	const char *tab = memchr(p, st->sep, n);
	if (!tab)
		return LOGSRC_SKIP;
	size_t kl = (size_t)(tab - p);
	const char *v = tab + 1;
	size_t vl = n - kl - 1;
	if (kl == 14 && memcmp(p, "#set_separator", 14) == 0) {
		if (vl != 1)
			return DH_EMALFORMED;
		st->set_sep = v[0];
	} else if (kl == 12 && memcmp(p, "#empty_field", 12) == 0) {
		if (vl == 0 || vl >= sizeof(st->empty))
			return DH_EMALFORMED;
		memcpy(st->empty, v, vl);
		st->empty_len = vl;
	} else if (kl == 12 && memcmp(p, "#unset_field", 12) == 0) {
		if (vl == 0 || vl >= sizeof(st->unset))
			return DH_EMALFORMED;
		memcpy(st->unset, v, vl);
		st->unset_len = vl;
	} else if (kl == 7 && memcmp(p, "#fields", 7) == 0) {
		size_t i = 0;
		int c = 0;
		for (int k = 0; k < ZF_COUNT; k++)
			st->col[k] = -1;
		while (i <= vl) {
			const char *e = memchr(v + i, st->sep, vl - i);
			size_t fl = e ? (size_t)(e - (v + i)) : vl - i;
			for (int k = 0; k < ZF_COUNT; k++)
				if (strlen(zf_names[k]) == fl &&
				    memcmp(zf_names[k], v + i, fl) == 0)
					st->col[k] = c;
			c++;
			i += fl + 1;
		}
		st->have_fields = 1;
	}
	return LOGSRC_SKIP;
}

static int split_tsv(struct zeek_state *st, const char *p, size_t n, struct zrec *r)
{
	const char *cols[ZEEK_COLS_MAX];
	size_t lens[ZEEK_COLS_MAX];
	size_t ncols = 0, i = 0;

	defaults(st);
	while (i <= n && ncols < ZEEK_COLS_MAX) {
		const char *e = memchr(p + i, st->sep, n - i);
		size_t fl = e ? (size_t)(e - (p + i)) : n - i;
		cols[ncols] = p + i;
		lens[ncols] = fl;
		ncols++;
		i += fl + 1;
	}
	for (int k = 0; k < ZF_COUNT; k++) {
		int c = st->have_fields ? st->col[k] : zf_default_col[k];
		r->f[k].kind = ZK_NONE;
		if (c < 0 || (size_t)c >= ncols)
			continue;
		if (lens[c] == st->unset_len && memcmp(cols[c], st->unset, st->unset_len) == 0)
			continue;
		r->f[k].kind = ZK_TEXT;
		r->f[k].p = cols[c];
		r->f[k].n = lens[c];
	}
	return 0;
}

static int split_json(const char *p, size_t n, struct zrec *r)
{
	struct json_val top, key, val;
	struct json_iter it;
	int rc;

	for (int k = 0; k < ZF_COUNT; k++)
		r->f[k].kind = ZK_NONE;
	rc = json_object(p, n, &top);
	if (rc != 0)
		return rc;
	if (json_iter_init(&it, &top) != 0 || top.type != JSON_OBJECT)
		return DH_EMALFORMED;
	while ((rc = json_iter_next(&it, &key, &val)) == 1) {
		if (val.type == JSON_NULL)
			continue;
		for (int k = 0; k < ZF_COUNT; k++) {
			if (key.n == zf_len[k] && memcmp(key.p, zf_names[k], key.n) == 0) {
				r->f[k].kind = ZK_JSON;
				r->f[k].j = val;
				r->f[k].p = val.p;
				r->f[k].n = val.n;
				break;
			}
		}
	}
	return rc;
}

/* A plain field (number, address, word): its text, unescaped only for
 * JSON strings, which never need it for these fields. */
static int plain(const struct zv *v, const char **p, size_t *n)
{
	if (v->kind == ZK_NONE)
		return 0;
	*p = v->p;
	*n = v->n;
	return 1;
}

static int get_u16(const struct zv *v, uint16_t *out)
{
	const char *p;
	size_t n;
	return plain(v, &p, &n) ? logsrc_u16(p, n, out) : 1;
}

/* T/F or true/false: 1, 0, or -1 when unset. */
static int get_bool(const struct zv *v)
{
	if (v->kind == ZK_JSON)
		return v->j.type == JSON_TRUE ? 1 : v->j.type == JSON_FALSE ? 0 : -1;
	if (v->kind == ZK_TEXT && v->n == 1)
		return v->p[0] == 'T' ? 1 : v->p[0] == 'F' ? 0 : -1;
	return -1;
}

/* Seconds with a fraction (ts, rtt, TTLs) as ns. */
static int seconds_ns(struct logsrc *s, const char *p, size_t n, int64_t *ns)
{
	size_t used;

	if (n >= 10 && p[4] == '-')
		return logsrc_time_iso(s, p, n, ns, &used) == 0 && used == n ? 0 : DH_EMALFORMED;
	return logsrc_decimal_ns(p, n, ns);
}

/* Walks a list field: a set_sep-separated TSV value or a JSON array. */
struct zlist {
	const struct zv *v;
	struct json_iter it;
	size_t i;
	char set_sep;
	int done;
};

static void list_init(struct zlist *l, const struct zv *v, const struct zeek_state *st)
{
	memset(l, 0, sizeof(*l));
	l->v = v;
	l->set_sep = st->set_sep;
	if (v->kind == ZK_NONE)
		l->done = 1;
	else if (v->kind == ZK_TEXT &&
	         (v->n == 0 || (v->n == st->empty_len && memcmp(v->p, st->empty, v->n) == 0)))
		l->done = 1;
	else if (v->kind == ZK_JSON && json_iter_init(&l->it, &v->j) != 0)
		l->done = 1;
}

/* The next element, decoded into buf. Returns its length, 0 at the end
 * (l->done), or a negative code. */
static int list_next(struct zlist *l, char *buf, size_t cap, char *tmp, size_t tmpcap)
{
	if (l->done)
		return 0;
	if (l->v->kind == ZK_TEXT) {
		const char *p = l->v->p + l->i;
		size_t left = l->v->n - l->i;
		const char *e = memchr(p, l->set_sep, left);
		size_t el = e ? (size_t)(e - p) : left;
		l->i += el + 1;
		if (!e)
			l->done = 1;
		int len = unescape(p, el, buf, cap);
		return len == 0 ? DH_EMALFORMED : len;
	}
	struct json_val val;
	int rc = json_iter_next(&l->it, NULL, &val);
	if (rc <= 0) {
		l->done = 1;
		return rc;
	}
	if (val.type == JSON_STRING) {
		rc = json_string(&val, tmp, tmpcap);
		if (rc < 0)
			return rc;
		rc = unescape(tmp, (size_t)rc, buf, cap);
		return rc == 0 ? DH_EMALFORMED : rc;
	}
	if (val.type == JSON_NUMBER && val.n < cap) {
		memcpy(buf, val.p, val.n);
		buf[val.n] = '\0';
		return (int)val.n;
	}
	return DH_EMALFORMED;
}

/* TXT and SPF as Zeek prints them: "TXT 12 hello world"; returns the
 * text quoted as in presentation form. */
static const char *txt_text(struct logsrc *s, const char *rest, size_t n)
{
	size_t i = 0;

	while (i < n && rest[i] >= '0' && rest[i] <= '9')
		i++;
	if (i > 0 && i < n && rest[i] == ' ')
		i++;
	else
		i = 0;
	return logsrc_text_quoted(s, rest + i, n - i);
}

/* Fills one answer record from Zeek's rendering of it. */
static int answer_rr(struct logsrc *s, struct ev_event *ev, struct dns_rr *rr, const char *a,
                     size_t n, const char *owner)
{
	struct dh_addr addr;
	char name[DNS_NAME_TEXT_MAX];
	uint16_t t;
	size_t w = 0;

	memset(rr, 0, sizeof(*rr));
	rr->section = DNS_SEC_ANSWER;
	rr->rclass = ev->msg.qclass ? ev->msg.qclass : 1;
	rr->owner_text = owner;
	if (logsrc_addr(a, n, &addr) == 0) {
		rr->type = addr.family == DH_AF_INET ? DNS_T_A : DNS_T_AAAA;
		rr->data_text = logsrc_text(s, a, n);
		return rr->data_text ? 0 : DH_ESPACE;
	}
	while (w < n && a[w] != ' ' && a[w] != ':')
		w++;
	if (w < n && w > 0 && logsrc_type(a, w, &t) == 0) {
		size_t r = w + 1;
		while (r < n && a[r] == ' ')
			r++;
		rr->type = t;
		if (t == DNS_T_TXT || t == DNS_T_SPF)
			rr->data_text = txt_text(s, a + r, n - r);
		else
			rr->data_text = logsrc_text(s, a + r, n - r);
		return rr->data_text ? 0 : DH_ESPACE;
	}
	int len =
	    memchr(a, ' ', n) ? -1 : logsrc_name(a, n, LOGSRC_NAME_OCTETS, name, sizeof(name));
	if (len > 0) {
		t = ev->msg.qtype;
		rr->type =
		    (t == DNS_T_A || t == DNS_T_AAAA || t == 0 || t == DNS_T_ANY) ? DNS_T_CNAME : t;
		rr->data_text = logsrc_text(s, name, (size_t)len);
	} else {
		/* Free text ("BIND9 signing signal"): the query's type. */
		rr->type = ev->msg.qtype;
		rr->data_text = logsrc_text(s, a, n);
	}
	return rr->data_text ? 0 : DH_ESPACE;
}

static int build(struct logsrc *s, struct zeek_state *st, struct zrec *r, struct ev_event *ev)
{
	const char *p;
	size_t n;
	int64_t ts, rtt = -1;
	uint16_t v16;
	int rc;

	if (!plain(&r->f[ZF_TS], &p, &n))
		return DH_ETRUNC;
	if (seconds_ns(s, p, n, &ts) != 0)
		return DH_EMALFORMED;
	ev->ts_ns = ts;
	if (!plain(&r->f[ZF_ORIG_H], &p, &n) || logsrc_addr(p, n, &ev->src) != 0)
		return DH_EMALFORMED;
	if (!plain(&r->f[ZF_RESP_H], &p, &n) || logsrc_addr(p, n, &ev->dst) != 0)
		return DH_EMALFORMED;
	if (get_u16(&r->f[ZF_ORIG_P], &ev->sport) < 0 || get_u16(&r->f[ZF_RESP_P], &ev->dport) < 0)
		return DH_EMALFORMED;
	if (plain(&r->f[ZF_PROTO], &p, &n)) {
		if (n == 3 && memcmp(p, "udp", 3) == 0)
			ev->transport = EV_TRANSPORT_UDP;
		else if (n == 3 && memcmp(p, "tcp", 3) == 0)
			ev->transport = EV_TRANSPORT_TCP;
	}
	if (get_u16(&r->f[ZF_TRANS_ID], &ev->msg.id) < 0)
		return DH_EMALFORMED;
	if (plain(&r->f[ZF_RTT], &p, &n) && seconds_ns(s, p, n, &rtt) != 0)
		return DH_EMALFORMED;

	/* The question. */
	if (r->f[ZF_QUERY].kind == ZK_TEXT) {
		rc = logsrc_question(ev, r->f[ZF_QUERY].p, r->f[ZF_QUERY].n, LOGSRC_NAME_HEX);
		if (rc != 0)
			return rc;
	} else if (r->f[ZF_QUERY].kind == ZK_JSON) {
		rc = json_string(&r->f[ZF_QUERY].j, st->qbuf, sizeof(st->qbuf));
		if (rc < 0)
			return rc == DH_ESPACE ? DH_ENAMELEN : rc;
		rc = logsrc_question(ev, st->qbuf, (size_t)rc, LOGSRC_NAME_HEX);
		if (rc != 0)
			return rc;
	}
	if (get_u16(&r->f[ZF_QCLASS], &ev->msg.qclass) < 0 ||
	    get_u16(&r->f[ZF_QTYPE], &ev->msg.qtype) < 0)
		return DH_EMALFORMED;
	if (get_u16(&r->f[ZF_OPCODE], &v16) == 0) {
		if (v16 > 15)
			return DH_EMALFORMED;
		ev->msg.flags |= (uint16_t)(v16 << 11);
	}
	if (get_bool(&r->f[ZF_RD]) == 1)
		ev->msg.flags |= DNS_FLAG_RD;
	/* Zeek's Z is the three bits after RA: Z, AD and CD. */
	if (get_u16(&r->f[ZF_Z], &v16) == 0) {
		if (v16 > 7)
			return DH_EMALFORMED;
		ev->msg.flags |= (uint16_t)(v16 << 4);
	}

	uint16_t rcode;
	int has_rcode = get_u16(&r->f[ZF_RCODE], &rcode);
	if (has_rcode < 0 || (has_rcode == 0 && rcode > 4095))
		return DH_EMALFORMED;
	has_rcode = has_rcode == 0;
	if (!has_rcode)
		return LOGSRC_EVENT; /* a query without an answer */

	/* The response: a second event when the query was seen too. */
	struct ev_event *rsp = ev;
	if (rtt >= 0) {
		rsp = logsrc_spare(s);
		*rsp = *ev;
	}
	struct dh_addr client = ev->src;
	uint16_t client_port = ev->sport;
	rsp->src = ev->dst;
	rsp->sport = ev->dport;
	rsp->dst = client;
	rsp->dport = client_port;
	if (rtt >= 0) {
		rsp->ts_ns = ts + rtt;
		rsp->rtt_ns = rtt;
	}
	rsp->msg.flags |= DNS_FLAG_QR;
	if (get_bool(&r->f[ZF_AA]) == 1)
		rsp->msg.flags |= DNS_FLAG_AA;
	if (get_bool(&r->f[ZF_TC]) == 1)
		rsp->msg.flags |= DNS_FLAG_TC;
	if (get_bool(&r->f[ZF_RA]) == 1)
		rsp->msg.flags |= DNS_FLAG_RA;
	logsrc_set_rcode(&rsp->msg, rcode);
	rsp->msg.rr_count = 0;
	rsp->msg.rr_dropped = 0;

	struct zlist al, tl;
	const char *owner = logsrc_text(s, rsp->msg.qname, rsp->msg.qname_len);
	if (!owner)
		return DH_ESPACE;
	list_init(&al, &r->f[ZF_ANSWERS], st);
	list_init(&tl, &r->f[ZF_TTLS], st);
	for (;;) {
		rc = list_next(&al, st->abuf, sizeof(st->abuf), st->jbuf, sizeof(st->jbuf));
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		/* TTLs run beside the answers, one each. */
		char tbuf[64], tjson[64];
		int tn = list_next(&tl, tbuf, sizeof(tbuf), tjson, sizeof(tjson));
		rsp->msg.ancount++;
		if (rsp->msg.rr_count >= DNS_RR_MAX) {
			rsp->msg.rr_dropped++;
			continue;
		}
		struct dns_rr *rr = &rsp->msg.rr[rsp->msg.rr_count];
		rc = answer_rr(s, rsp, rr, st->abuf, (size_t)rc, owner);
		if (rc != 0)
			return rc;
		int64_t ttl_ns;
		if (tn > 0 && logsrc_decimal_ns(tbuf, (size_t)tn, &ttl_ns) == 0 &&
		    ttl_ns / 1000000000 <= UINT32_MAX)
			rr->ttl = (uint32_t)(ttl_ns / 1000000000);
		rsp->msg.rr_count++;
	}
	if (rsp != ev) {
		/* The query event carries no answer data. */
		ev->msg.rr_count = 0;
	}
	return LOGSRC_EVENT;
}

static int zeek_line(struct logsrc *s, void *state, const char *p, size_t n, struct ev_event *ev)
{
	struct zeek_state *st = state;
	struct zrec r;
	int rc;

	if (n == 0)
		return DH_ETRUNC;
	if (p[0] == '#')
		return header(st, p, n);
	if (p[0] == '{')
		rc = split_json(p, n, &r);
	else
		rc = split_tsv(st, p, n, &r);
	if (rc != 0)
		return rc;
	return build(s, st, &r, ev);
}

const struct logfmt logsrc_zeek = {
    .name = "zeek",
    .probe = zeek_probe,
    .state_size = sizeof(struct zeek_state),
    .line = zeek_line,
};

static int zeek_open(void **ctx, const char *path, const struct src_options *opt)
{
	return logsrc_open(ctx, path, opt, &logsrc_zeek);
}

const struct src_ops src_zeek_ops = {
    .name = "zeek",
    .probe = zeek_probe,
    .open = zeek_open,
    .next = logsrc_next,
    .stats = logsrc_stats,
    .close = logsrc_close,
};
