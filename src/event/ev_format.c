#include "event/ev_format.h"

#include <stdio.h>
#include <string.h>

#include "util/addr.h"
#include "util/err.h"
#include "wire/dns_text.h"

/* A record's data in presentation form can be as long as 65535 octets of
 * RDATA rendered with escapes; longer text is cut (and says so). */
#define RDATA_TEXT_MAX 16384

static const struct {
	uint16_t bit;
	const char *name;
} flag_names[] = {
    {DNS_FLAG_QR, "qr"}, {DNS_FLAG_AA, "aa"}, {DNS_FLAG_TC, "tc"}, {DNS_FLAG_RD, "rd"},
    {DNS_FLAG_RA, "ra"}, {DNS_FLAG_Z, "z"},   {DNS_FLAG_AD, "ad"}, {DNS_FLAG_CD, "cd"},
};

void ev_formatter_init(struct ev_formatter *f, unsigned flags)
{
	dh_time_cache_init(&f->tc);
	f->flags = flags;
}

static void add_time(struct ev_formatter *f, int64_t ts_ns, struct dh_buf *out)
{
	char t[DH_TIME_TEXT_MAX];
	size_t n = dh_time_format_cached(&f->tc, ts_ns, t, sizeof(t));
	dh_buf_add(out, t, n);
}

static void add_addr(const struct dh_addr *a, struct dh_buf *out, int json)
{
	char t[DH_ADDR_TEXT_MAX];
	size_t n = dh_addr_format(a, t, sizeof(t));
	if (json)
		dh_buf_add_json_str(out, t, n);
	else
		dh_buf_add(out, t, n);
}

/* Appends ',"key":' for a string literal key without measuring it. */
#define add_json_key(out, key)                                                                     \
	dh_buf_add((out),                                                                          \
	           ","                                                                             \
	           "\"" key "\":",                                                                 \
	           sizeof(key) + 3)

static void add_json_cstr(struct dh_buf *out, const char *s)
{
	dh_buf_add_json_str(out, s, strlen(s));
}

static void add_records(const struct dns_msg *m, unsigned section, struct dh_buf *out)
{
	char owner[DNS_NAME_TEXT_MAX];
	static __thread char data[RDATA_TEXT_MAX];
	char tbuf[16];
	int first = 1;

	dh_buf_addc(out, '[');
	for (unsigned i = 0; i < m->rr_count; i++) {
		const struct dns_rr *rr = &m->rr[i];
		if (rr->section != section || rr->type == DNS_T_OPT)
			continue;
		int on = dns_rr_owner_text(m, rr, owner, sizeof(owner));
		int dn = dns_rr_data_text(m, rr, data, sizeof(data));
		if (!first)
			dh_buf_addc(out, ',');
		first = 0;
		dh_buf_adds(out, "{\"name\":");
		dh_buf_add_json_str(out, owner, on > 0 ? (size_t)on : strlen(owner));
		dh_buf_adds(out, ",\"type\":");
		add_json_cstr(out, dns_type_name(rr->type, tbuf, sizeof(tbuf)));
		dh_buf_adds(out, ",\"ttl\":");
		dh_buf_addu(out, rr->ttl);
		dh_buf_adds(out, ",\"data\":");
		dh_buf_add_json_str(out, data, dn > 0 ? (size_t)dn : strlen(data));
		dh_buf_addc(out, '}');
	}
	dh_buf_addc(out, ']');
}

static void add_ecs(const struct dns_edns *e, struct dh_buf *out)
{
	add_addr(&e->ecs_addr, out, 0);
	dh_buf_addc(out, '/');
	dh_buf_addu(out, e->ecs_source_prefix);
}

void ev_format_json(struct ev_formatter *f, const struct ev_event *ev, struct dh_buf *out)
{
	const struct dns_msg *m = &ev->msg;
	char tbuf[16];

	dh_buf_adds(out, "{\"ts\":\"");
	add_time(f, ev->ts_ns, out);
	dh_buf_adds(out, "\",\"ts_ns\":");
	dh_buf_addi(out, ev->ts_ns);
	if (f->flags & EV_FMT_OBSERVER) {
		add_json_key(out, "observer");
		add_json_cstr(out, ev->observer);
		add_json_key(out, "role");
		add_json_cstr(out, ev_role_name(ev->role));
	}
	add_json_key(out, "src");
	add_addr(&ev->src, out, 1);
	add_json_key(out, "sport");
	dh_buf_addu(out, ev->sport);
	add_json_key(out, "dst");
	add_addr(&ev->dst, out, 1);
	add_json_key(out, "dport");
	dh_buf_addu(out, ev->dport);
	add_json_key(out, "proto");
	add_json_cstr(out, ev_transport_name(ev->transport));
	add_json_key(out, "id");
	dh_buf_addu(out, m->id);
	add_json_key(out, "qr");
	dh_buf_addc(out, dns_msg_is_response(m) ? '1' : '0');
	add_json_key(out, "opcode");
	add_json_cstr(out, dns_opcode_name(dns_msg_opcode(m), tbuf, sizeof(tbuf)));
	add_json_key(out, "rcode");
	add_json_cstr(out, dns_rcode_name(dns_msg_rcode(m), tbuf, sizeof(tbuf)));
	add_json_key(out, "flags");
	dh_buf_addc(out, '[');
	int first = 1;
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
		if (!(m->flags & flag_names[i].bit))
			continue;
		if (!first)
			dh_buf_addc(out, ',');
		first = 0;
		add_json_cstr(out, flag_names[i].name);
	}
	dh_buf_addc(out, ']');
	add_json_key(out, "qname");
	dh_buf_add_json_str(out, m->qname, m->qname_len);
	add_json_key(out, "qtype");
	if (m->has_question)
		add_json_cstr(out, dns_type_name(m->qtype, tbuf, sizeof(tbuf)));
	else
		dh_buf_adds(out, "null");
	add_json_key(out, "qclass");
	if (m->has_question)
		add_json_cstr(out, dns_class_name(m->qclass, tbuf, sizeof(tbuf)));
	else
		dh_buf_adds(out, "null");
	add_json_key(out, "size");
	dh_buf_addu(out, ev->size);
	if (ev->rtt_ns >= 0) {
		add_json_key(out, "rtt_ns");
		dh_buf_addi(out, ev->rtt_ns);
	}
	add_json_key(out, "answers");
	add_records(m, DNS_SEC_ANSWER, out);
	add_json_key(out, "authority");
	add_records(m, DNS_SEC_AUTHORITY, out);
	add_json_key(out, "additional");
	add_records(m, DNS_SEC_ADDITIONAL, out);
	if (m->edns.present) {
		add_json_key(out, "edns");
		dh_buf_adds(out, "{\"udp_size\":");
		dh_buf_addu(out, m->edns.udp_size);
		dh_buf_adds(out, ",\"version\":");
		dh_buf_addu(out, m->edns.version);
		dh_buf_adds(out, ",\"do\":");
		dh_buf_addc(out, m->edns.do_bit ? '1' : '0');
		if (m->edns.ecs_present) {
			dh_buf_adds(out, ",\"ecs\":\"");
			add_ecs(&m->edns, out);
			dh_buf_addc(out, '"');
		}
		dh_buf_addc(out, '}');
	}
	if (m->rr_dropped) {
		add_json_key(out, "records_dropped");
		dh_buf_addu(out, m->rr_dropped);
	}
	if (m->err) {
		add_json_key(out, "malformed");
		add_json_cstr(out, dh_strerror(m->err));
	}
	dh_buf_adds(out, "}\n");
}

void ev_format_text(struct ev_formatter *f, const struct ev_event *ev, struct dh_buf *out)
{
	const struct dns_msg *m = &ev->msg;
	char tbuf[16];
	char owner[DNS_NAME_TEXT_MAX];
	static __thread char data[RDATA_TEXT_MAX];

	add_time(f, ev->ts_ns, out);
	dh_buf_addc(out, ' ');
	if (f->flags & EV_FMT_OBSERVER) {
		if (ev->observer[0]) {
			dh_buf_adds(out, ev->observer);
			dh_buf_addc(out, ' ');
		}
		dh_buf_adds(out, ev_role_name(ev->role));
		dh_buf_addc(out, ' ');
	}
	add_addr(&ev->src, out, 0);
	dh_buf_addc(out, '#');
	dh_buf_addu(out, ev->sport);
	dh_buf_adds(out, " > ");
	add_addr(&ev->dst, out, 0);
	dh_buf_addc(out, '#');
	dh_buf_addu(out, ev->dport);
	dh_buf_addc(out, ' ');
	dh_buf_adds(out, ev_transport_name(ev->transport));
	dh_buf_adds(out, " id=");
	dh_buf_addu(out, m->id);
	dh_buf_addc(out, ' ');
	dh_buf_adds(out, dns_opcode_name(dns_msg_opcode(m), tbuf, sizeof(tbuf)));
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
		if (m->flags & flag_names[i].bit) {
			dh_buf_addc(out, ' ');
			dh_buf_adds(out, flag_names[i].name);
		}
	}
	if (dns_msg_is_response(m)) {
		dh_buf_addc(out, ' ');
		dh_buf_adds(out, dns_rcode_name(dns_msg_rcode(m), tbuf, sizeof(tbuf)));
	}
	if (m->has_question) {
		dh_buf_addc(out, ' ');
		dh_buf_adds(out, dns_type_name(m->qtype, tbuf, sizeof(tbuf)));
		dh_buf_addc(out, ' ');
		dh_buf_add(out, m->qname, m->qname_len);
	}
	if (dns_msg_is_response(m)) {
		dh_buf_addf(out, " %u/%u/%u", m->ancount, m->nscount, m->arcount);
		for (unsigned i = 0; i < m->rr_count; i++) {
			const struct dns_rr *rr = &m->rr[i];
			if (rr->section != DNS_SEC_ANSWER)
				continue;
			(void)dns_rr_owner_text(m, rr, owner, sizeof(owner));
			(void)dns_rr_data_text(m, rr, data, sizeof(data));
			dh_buf_adds(out, i == 0 ? " " : ", ");
			dh_buf_adds(out, dns_type_name(rr->type, tbuf, sizeof(tbuf)));
			dh_buf_addc(out, ' ');
			dh_buf_adds(out, data);
		}
	}
	if (ev->rtt_ns >= 0)
		dh_buf_addf(out, " (%.3f ms)", (double)ev->rtt_ns / 1e6);
	if (m->err) {
		dh_buf_adds(out, " [malformed: ");
		dh_buf_adds(out, dh_strerror(m->err));
		dh_buf_addc(out, ']');
	}
	dh_buf_addc(out, '\n');
}
