/*
 * src_eve.c - DNS events from Suricata's EVE JSON log (event_type "dns").
 *
 * Three layouts of the "dns" object are read:
 *   - version 1 (older Suricata): one line per query ("type":"query",
 *     rrname, rrtype) and one line per answer record ("type":"answer",
 *     rrname, rrtype, ttl, rdata, rcode);
 *   - version 2 (before Suricata 8, and 8 with version 2 set): a query line
 *     as above and one "answer" line per response with "flags", "rcode",
 *     the question's rrname/rrtype, "answers" [{rrname, rrtype, ttl,
 *     rdata | soa | srv ...}], "authorities", "additionals" and/or
 *     "grouped" {TYPE: [rdata ...]};
 *   - version 3 (Suricata 8): "type" request/response, the question in
 *     "queries" [{rrname, rrtype}], records as in version 2.
 * Lines of other event types (flow, alert, stats ...) share the file and
 * are skipped without complaint.
 *
 * Suricata is a sensor: events have EV_ROLE_UNKNOWN like a capture's. A
 * query event goes from src_ip to dest_ip. For a response, Suricata 8
 * writes the flow's direction (src_ip = the client) where older versions
 * wrote the packet's; so a response whose dest_port is a DNS port (53,
 * 853, 5353, 5355) and whose src_port is not gets its ends swapped, and
 * every response event goes from the server to the client as a capture's
 * does. "flags" (the header word in hex) sets the header bits when
 * present, the booleans (qr, aa, tc, rd, ra, z, ad, cd) otherwise;
 * "rcode" by name sets the rcode, extended ones included. Names are
 * JSON-decoded, then written in dnshound's form ("<root>" is the root);
 * rdata of name types is written the same way, SOA and SRV objects in
 * their presentation order, other rdata as Suricata wrote it.
 */
#include <string.h>

#include "source/json.h"
#include "source/logsrc.h"
#include "util/err.h"

struct eve_state {
	char buf[LINES_MAX];
	char name[DNS_NAME_TEXT_MAX];
};

/* The members of the "dns" object that are used. */
struct eve_dns {
	struct json_val type, id, flags, rcode, rrname, rrtype, ttl, rdata, opcode;
	struct json_val queries, answers, authorities, additionals, grouped;
	struct json_val qr, aa, tc, rd, ra, z, ad, cd;
};

static int eve_probe(const uint8_t *head, size_t len)
{
	size_t pos = 0, n;
	const char *line;

	if (!logsrc_head_line(head, len, &pos, &line, &n))
		return 0;
	return line[0] == '{' && logsrc_find(line, n, "\"event_type\"") >= 0;
}

static int str_is(const struct json_val *v, const char *lit)
{
	return v->type == JSON_STRING && json_key_is(v, lit);
}

static int is_dns_port(uint16_t port)
{
	return port == 53 || port == 853 || port == 5353 || port == 5355;
}

static int hex16(const struct json_val *v, uint16_t *out)
{
	unsigned x = 0;

	if (v->type != JSON_STRING || v->n == 0 || v->n > 4)
		return DH_EMALFORMED;
	for (size_t i = 0; i < v->n; i++) {
		char c = v->p[i];
		int d = (c >= '0' && c <= '9')   ? c - '0'
		        : (c >= 'a' && c <= 'f') ? c - 'a' + 10
		        : (c >= 'A' && c <= 'F') ? c - 'A' + 10
		                                 : -1;
		if (d < 0)
			return DH_EMALFORMED;
		x = x * 16 + (unsigned)d;
	}
	*out = (uint16_t)x;
	return 0;
}

static int get_type(const struct json_val *v, uint16_t *type)
{
	uint64_t n;

	if (v->type == JSON_STRING)
		return logsrc_type(v->p, v->n, type) == 0
		           ? 0
		           : (logsrc_u16(v->p, v->n, type) == 0 ? 0 : DH_EMALFORMED);
	if (v->type == JSON_NUMBER && json_u64(v, &n) == 0 && n <= 65535) {
		*type = (uint16_t)n;
		return 0;
	}
	return DH_EMALFORMED;
}

/* A JSON name into dnshound's form in out (DNS_NAME_TEXT_MAX bytes). */
static int get_name(struct eve_state *st, const struct json_val *v, char *out)
{
	int len;

	if (v->type != JSON_STRING)
		return DH_EMALFORMED;
	len = json_string(v, st->buf, sizeof(st->buf));
	if (len < 0)
		return len == DH_ESPACE ? DH_ENAMELEN : len;
	if (len == 6 && memcmp(st->buf, "<root>", 6) == 0)
		len = 0;
	return logsrc_name(st->buf, (size_t)len, LOGSRC_NAME_OCTETS, out, DNS_NAME_TEXT_MAX);
}

static int is_name_type(uint16_t t)
{
	return t == DNS_T_CNAME || t == DNS_T_NS || t == DNS_T_PTR || t == DNS_T_DNAME ||
	       t == DNS_T_MX;
}

/* Renders an object's members in order, as text ("soa" and "srv"). */
static int object_text(struct eve_state *st, const struct json_val *obj, const char *const *keys,
                       char *out, size_t cap)
{
	size_t o = 0;

	for (size_t k = 0; keys[k]; k++) {
		struct json_iter it;
		struct json_val key, val;
		int found = 0;
		json_iter_init(&it, obj);
		while (json_iter_next(&it, &key, &val) == 1) {
			if (!json_key_is(&key, keys[k]))
				continue;
			found = 1;
			if (o > 0 && o + 1 < cap)
				out[o++] = ' ';
			if (val.type == JSON_STRING) {
				int len = get_name(st, &val, st->name);
				if (len < 0)
					return len;
				if (o + (size_t)len >= cap)
					return DH_ESPACE;
				memcpy(out + o, st->name, (size_t)len);
				o += (size_t)len;
			} else if (val.type == JSON_NUMBER) {
				if (o + val.n >= cap)
					return DH_ESPACE;
				memcpy(out + o, val.p, val.n);
				o += val.n;
			} else {
				return DH_EMALFORMED;
			}
			break;
		}
		if (!found)
			return DH_EMALFORMED;
	}
	out[o] = '\0';
	return (int)o;
}

/* The RDATA text of one record object or of one "grouped" element. */
static const char *rdata_text(struct logsrc *s, struct eve_state *st, uint16_t type,
                              const struct json_val *rdata, const struct json_val *soa,
                              const struct json_val *srv)
{
	static const char *const soa_keys[] = {"mname", "rname",  "serial",  "refresh",
	                                       "retry", "expire", "minimum", NULL};
	static const char *const srv_keys[] = {"priority", "weight", "port", "name", NULL};
	char text[2048];
	int len;

	if (soa && soa->type == JSON_OBJECT) {
		len = object_text(st, soa, soa_keys, text, sizeof(text));
		return len < 0 ? NULL : logsrc_text(s, text, (size_t)len);
	}
	if (srv && srv->type == JSON_OBJECT) {
		len = object_text(st, srv, srv_keys, text, sizeof(text));
		return len < 0 ? NULL : logsrc_text(s, text, (size_t)len);
	}
	if (!rdata || rdata->type != JSON_STRING)
		return logsrc_text(s, "", 0);
	if (is_name_type(type) && !(type == DNS_T_MX && memchr(rdata->p, ' ', rdata->n))) {
		len = get_name(st, rdata, st->name);
		if (len >= 0)
			return logsrc_text(s, st->name, (size_t)len);
	}
	len = json_string(rdata, st->buf, sizeof(st->buf));
	if (len < 0)
		return NULL;
	if (type == DNS_T_TXT || type == DNS_T_SPF)
		return logsrc_text_quoted(s, st->buf, (size_t)len);
	return logsrc_text(s, st->buf, (size_t)len);
}

/* Adds one record; owner is already in dnshound's form. */
static int add_rr(struct ev_event *ev, unsigned section, uint16_t type, uint32_t ttl,
                  const char *owner, const char *data)
{
	struct dns_msg *m = &ev->msg;

	if (!owner || !data)
		return DH_ESPACE;
	if (section == DNS_SEC_ANSWER)
		m->ancount++;
	else if (section == DNS_SEC_AUTHORITY)
		m->nscount++;
	else
		m->arcount++;
	if (m->rr_count >= DNS_RR_MAX) {
		m->rr_dropped++;
		return 0;
	}
	struct dns_rr *rr = &m->rr[m->rr_count++];
	memset(rr, 0, sizeof(*rr));
	rr->section = (uint8_t)section;
	rr->type = type;
	rr->rclass = m->qclass ? m->qclass : 1;
	rr->ttl = ttl;
	rr->owner_text = owner;
	rr->data_text = data;
	return 0;
}

/* One record object {rrname, rrtype, ttl, rdata | soa | srv ...}. */
static int record(struct logsrc *s, struct eve_state *st, struct ev_event *ev, unsigned section,
                  const struct json_val *obj)
{
	struct json_iter it;
	struct json_val key, val;
	struct json_val rrname = {0}, rrtype = {0}, ttl = {0}, rdata = {0}, soa = {0}, srv = {0};
	uint16_t type;
	uint64_t t = 0;
	int rc, len;

	if (json_iter_init(&it, obj) != 0)
		return DH_EMALFORMED;
	while ((rc = json_iter_next(&it, &key, &val)) == 1) {
		if (json_key_is(&key, "rrname"))
			rrname = val;
		else if (json_key_is(&key, "rrtype"))
			rrtype = val;
		else if (json_key_is(&key, "ttl"))
			ttl = val;
		else if (json_key_is(&key, "rdata"))
			rdata = val;
		else if (json_key_is(&key, "soa"))
			soa = val;
		else if (json_key_is(&key, "srv"))
			srv = val;
	}
	if (rc < 0)
		return rc;
	if (get_type(&rrtype, &type) != 0)
		return DH_EMALFORMED;
	if (ttl.type != JSON_NONE && (json_u64(&ttl, &t) != 0 || t > UINT32_MAX))
		return DH_EMALFORMED;
	len = rrname.type == JSON_NONE ? 0 : get_name(st, &rrname, st->name);
	if (len < 0)
		return len;
	const char *owner = len ? logsrc_text(s, st->name, (size_t)len)
	                        : logsrc_text(s, ev->msg.qname, ev->msg.qname_len);
	const char *data = rdata_text(s, st, type, &rdata, &soa, &srv);
	if (!data)
		return DH_EMALFORMED;
	return add_rr(ev, section, type, (uint32_t)t, owner, data);
}

static int records(struct logsrc *s, struct eve_state *st, struct ev_event *ev, unsigned section,
                   const struct json_val *arr)
{
	struct json_iter it;
	struct json_val val;
	int rc;

	if (arr->type == JSON_NONE)
		return 0;
	if (json_iter_init(&it, arr) != 0 || arr->type != JSON_ARRAY)
		return DH_EMALFORMED;
	while ((rc = json_iter_next(&it, NULL, &val)) == 1) {
		rc = record(s, st, ev, section, &val);
		if (rc != 0)
			return rc;
	}
	return rc;
}

/* "grouped": {"A": ["192.0.2.1", ...], "CNAME": [...], "SOA": [{...}]}. */
static int grouped(struct logsrc *s, struct eve_state *st, struct ev_event *ev,
                   const struct json_val *obj)
{
	struct json_iter it, ai;
	struct json_val key, arr, val;
	uint16_t type;
	int rc;

	if (json_iter_init(&it, obj) != 0 || obj->type != JSON_OBJECT)
		return DH_EMALFORMED;
	while ((rc = json_iter_next(&it, &key, &arr)) == 1) {
		if (logsrc_type(key.p, key.n, &type) != 0 || json_iter_init(&ai, &arr) != 0)
			return DH_EMALFORMED;
		while ((rc = json_iter_next(&ai, NULL, &val)) == 1) {
			const char *owner = logsrc_text(s, ev->msg.qname, ev->msg.qname_len);
			const char *data =
			    type == DNS_T_SOA   ? rdata_text(s, st, type, NULL, &val, NULL)
			    : type == DNS_T_SRV ? rdata_text(s, st, type, NULL, NULL, &val)
			                        : rdata_text(s, st, type, &val, NULL, NULL);
			if (!data)
				return DH_EMALFORMED;
			rc = add_rr(ev, DNS_SEC_ANSWER, type, 0, owner, data);
			if (rc != 0)
				return rc;
		}
		if (rc < 0)
			return rc;
	}
	return rc;
}

static void set_bit(struct ev_event *ev, const struct json_val *v, uint16_t bit)
{
	if (v->type == JSON_TRUE)
		ev->msg.flags |= bit;
}

static int dns_object(struct logsrc *s, struct eve_state *st, const struct json_val *obj,
                      struct ev_event *ev)
{
	struct eve_dns d;
	struct json_iter it;
	struct json_val key, val;
	uint64_t v;
	int rc, response;

	memset(&d, 0, sizeof(d));
	if (json_iter_init(&it, obj) != 0 || obj->type != JSON_OBJECT)
		return DH_EMALFORMED;
	while ((rc = json_iter_next(&it, &key, &val)) == 1) {
		static const struct {
			const char *name;
			size_t len;
			size_t off;
		} keys[] = {
#define K(f) {#f, sizeof(#f) - 1, offsetof(struct eve_dns, f)}
		    K(type),        K(id),      K(flags),  K(rcode),   K(rrname),  K(rrtype),
		    K(ttl),         K(rdata),   K(opcode), K(queries), K(answers), K(authorities),
		    K(additionals), K(grouped), K(qr),     K(aa),      K(tc),      K(rd),
		    K(ra),          K(z),       K(ad),     K(cd),
#undef K
		};
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			if (key.n == keys[k].len && memcmp(key.p, keys[k].name, key.n) == 0) {
				memcpy((char *)&d + keys[k].off, &val, sizeof(val));
				break;
			}
		}
	}
	if (rc < 0)
		return rc;

	if (str_is(&d.type, "query") || str_is(&d.type, "request"))
		response = 0;
	else if (str_is(&d.type, "answer") || str_is(&d.type, "response"))
		response = 1;
	else if (d.type.type == JSON_NONE)
		response = d.qr.type == JSON_TRUE;
	else
		return DH_EMALFORMED;

	if (d.id.type != JSON_NONE) {
		if (json_u64(&d.id, &v) != 0 || v > 65535)
			return DH_EMALFORMED;
		ev->msg.id = (uint16_t)v;
	}
	if (d.flags.type != JSON_NONE) {
		if (hex16(&d.flags, &ev->msg.flags) != 0)
			return DH_EMALFORMED;
	} else {
		set_bit(ev, &d.qr, DNS_FLAG_QR);
		set_bit(ev, &d.aa, DNS_FLAG_AA);
		set_bit(ev, &d.tc, DNS_FLAG_TC);
		set_bit(ev, &d.rd, DNS_FLAG_RD);
		set_bit(ev, &d.ra, DNS_FLAG_RA);
		set_bit(ev, &d.z, DNS_FLAG_Z);
		set_bit(ev, &d.ad, DNS_FLAG_AD);
		set_bit(ev, &d.cd, DNS_FLAG_CD);
		if (d.opcode.type != JSON_NONE) {
			if (json_u64(&d.opcode, &v) != 0 || v > 15)
				return DH_EMALFORMED;
			ev->msg.flags |= (uint16_t)(v << 11);
		}
	}
	if (response)
		ev->msg.flags |= DNS_FLAG_QR;
	if (d.rcode.type != JSON_NONE) {
		unsigned rcode;
		if (d.rcode.type != JSON_STRING || logsrc_rcode(d.rcode.p, d.rcode.n, &rcode) != 0)
			return DH_EMALFORMED;
		logsrc_set_rcode(&ev->msg, rcode);
	}

	/* The question: version 3's queries[0], else rrname/rrtype. */
	struct json_val qname = d.rrname, qtype = d.rrtype;
	if (d.queries.type == JSON_ARRAY) {
		struct json_iter qi;
		struct json_val q0;
		json_iter_init(&qi, &d.queries);
		rc = json_iter_next(&qi, NULL, &q0);
		if (rc < 0)
			return rc;
		memset(&qname, 0, sizeof(qname));
		memset(&qtype, 0, sizeof(qtype));
		if (rc == 1 && q0.type == JSON_OBJECT) {
			json_iter_init(&qi, &q0);
			while ((rc = json_iter_next(&qi, &key, &val)) == 1) {
				if (json_key_is(&key, "rrname"))
					qname = val;
				else if (json_key_is(&key, "rrtype"))
					qtype = val;
			}
			if (rc < 0)
				return rc;
		}
	}
	if (qname.type != JSON_NONE) {
		int len = get_name(st, &qname, ev->msg.qname);
		if (len < 0)
			return len;
		ev->msg.qname_len = (uint16_t)len;
		ev->msg.has_question = 1;
		ev->msg.qdcount = 1;
		ev->msg.qclass = 1;
		if (qtype.type != JSON_NONE && get_type(&qtype, &ev->msg.qtype) != 0)
			return DH_EMALFORMED;
	}
	if (!response)
		return LOGSRC_EVENT;

	rc = records(s, st, ev, DNS_SEC_ANSWER, &d.answers);
	if (rc == 0)
		rc = records(s, st, ev, DNS_SEC_AUTHORITY, &d.authorities);
	if (rc == 0)
		rc = records(s, st, ev, DNS_SEC_ADDITIONAL, &d.additionals);
	if (rc != 0)
		return rc;
	if (d.answers.type == JSON_NONE && d.grouped.type != JSON_NONE) {
		rc = grouped(s, st, ev, &d.grouped);
		if (rc != 0)
			return rc;
	}
	if (d.answers.type == JSON_NONE && d.grouped.type == JSON_NONE &&
	    (d.rdata.type != JSON_NONE || d.ttl.type != JSON_NONE)) {
		/* Version 1: the one answer record is the object itself. */
		rc = record(s, st, ev, DNS_SEC_ANSWER, obj);
		if (rc != 0)
			return rc;
	}
	return LOGSRC_EVENT;
}

static int eve_line(struct logsrc *s, void *state, const char *p, size_t n, struct ev_event *ev)
{
	struct eve_state *st = state;
	struct json_val top, key, val;
	struct json_val ts = {0}, etype = {0}, sip = {0}, dip = {0}, sport = {0}, dport = {0};
	struct json_val proto = {0}, dns = {0};
	struct json_iter it;
	uint64_t v;
	size_t used;
	int rc;

	if (n == 0)
		return DH_ETRUNC;
	if (p[0] != '{')
		return DH_EFORMAT;
	rc = json_object(p, n, &top);
	if (rc != 0)
		return rc;
	json_iter_init(&it, &top);
	while ((rc = json_iter_next(&it, &key, &val)) == 1) {
		if (json_key_is(&key, "timestamp"))
			ts = val;
		else if (json_key_is(&key, "event_type"))
			etype = val;
		else if (json_key_is(&key, "src_ip"))
			sip = val;
		else if (json_key_is(&key, "dest_ip"))
			dip = val;
		else if (json_key_is(&key, "src_port"))
			sport = val;
		else if (json_key_is(&key, "dest_port"))
			dport = val;
		else if (json_key_is(&key, "proto"))
			proto = val;
		else if (json_key_is(&key, "dns"))
			dns = val;
	}
	if (rc < 0)
		return rc;
	if (etype.type != JSON_STRING)
		return DH_EFORMAT;
	if (!json_key_is(&etype, "dns"))
		return LOGSRC_SKIP;
	if (dns.type != JSON_OBJECT)
		return DH_EMALFORMED;
	if (ts.type != JSON_STRING || logsrc_time_iso(s, ts.p, ts.n, &ev->ts_ns, &used) != 0 ||
	    used != ts.n)
		return DH_EMALFORMED;
	if (sip.type != JSON_STRING || logsrc_addr(sip.p, sip.n, &ev->src) != 0 ||
	    dip.type != JSON_STRING || logsrc_addr(dip.p, dip.n, &ev->dst) != 0)
		return DH_EMALFORMED;
	if (sport.type != JSON_NONE) {
		if (json_u64(&sport, &v) != 0 || v > 65535)
			return DH_EMALFORMED;
		ev->sport = (uint16_t)v;
	}
	if (dport.type != JSON_NONE) {
		if (json_u64(&dport, &v) != 0 || v > 65535)
			return DH_EMALFORMED;
		ev->dport = (uint16_t)v;
	}
	if (str_is(&proto, "UDP") || str_is(&proto, "17"))
		ev->transport = EV_TRANSPORT_UDP;
	else if (str_is(&proto, "TCP") || str_is(&proto, "6"))
		ev->transport = EV_TRANSPORT_TCP;

	rc = dns_object(s, st, &dns, ev);
	if (rc != LOGSRC_EVENT)
		return rc;
	if (dns_msg_is_response(&ev->msg) && is_dns_port(ev->dport) && !is_dns_port(ev->sport)) {
		struct dh_addr a = ev->src;
		uint16_t port = ev->sport;
		ev->src = ev->dst;
		ev->sport = ev->dport;
		ev->dst = a;
		ev->dport = port;
	}
	return LOGSRC_EVENT;
}

const struct logfmt logsrc_eve = {
    .name = "eve",
    .probe = eve_probe,
    .state_size = sizeof(struct eve_state),
    .line = eve_line,
};

static int eve_open(void **ctx, const char *path, const struct src_options *opt)
{
	return logsrc_open(ctx, path, opt, &logsrc_eve);
}

const struct src_ops src_eve_ops = {
    .name = "eve",
    .probe = eve_probe,
    .open = eve_open,
    .next = logsrc_next,
    .stats = logsrc_stats,
    .close = logsrc_close,
};
