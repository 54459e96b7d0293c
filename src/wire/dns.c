/*
 * dns.c - the DNS wire-format parser, RFC 1035 section 4.
 *
 * dns_parse() is on the hot path of every capture (the target is several
 * million messages per second per core), so it renders only the question
 * name and walks every other name just far enough to find its end: a
 * record's owner name is a run of labels ended by a zero octet or by one
 * compression pointer, and that is all the parser needs to reach the
 * fixed fields. A pointer met there is only checked to point backwards;
 * the whole chain is followed, with every rule, by the renderer in
 * dns_name.c when somebody asks for the text. Nothing is allocated.
 *
 * Bytes left after the last record announced by the header are not an
 * error: every field was read, and captures pad short frames.
 */
#include "wire/dns.h"

#include <string.h>

#include "util/cursor.h"
#include "util/err.h"
#include "wire/dns_name.h"

/* RFC 1035 4.1.1. */
#define DNS_HEADER_LEN 12

/* A DNS message is at most 65535 octets (the TCP length prefix, RFC 1035
 * 4.2.2); the offsets in struct dns_rr are 16 bits for that reason. */
#define DNS_MSG_MAX 65535

/* The fixed fields after a record's owner name: TYPE, CLASS, TTL and
 * RDLENGTH, RFC 1035 4.1.3. */
#define DNS_RR_FIXED 10

/* EDNS option code of Client Subnet, RFC 7871 6. */
#define EDNS_OPT_ECS 8

/* Address families of ECS, from IANA's Address Family Numbers. */
#define ECS_FAMILY_IP4 1
#define ECS_FAMILY_IP6 2

void dns_msg_clear(struct dns_msg *m)
{
	if (m)
		memset(m, 0, sizeof(*m));
}

/*
 * Walks past a name without rendering it. The labels in place are bounded
 * by the cursor and by the 255-octet rule; a pointer ends the name and is
 * checked to point before the name's start (its chain is checked in full
 * when the name is rendered). Errors stick in the cursor.
 */
static void skip_name(struct cur *c)
{
	size_t start = cur_offset(c);
	size_t wlen = 0;

	for (;;) {
		uint8_t b = cur_u8(c);
		if (b == 0)
			return; /* the root label, or a read past the end */
		if ((b & 0xc0) == 0xc0) {
			size_t target = ((size_t)(b & 0x3f) << 8) | cur_u8(c);
			if (!c->err && target >= start)
				cur_fail(c, DH_ELOOP);
			return;
		}
		if (b & 0xc0) {
			cur_fail(c, DH_ELABEL);
			return;
		}
		wlen += (size_t)b + 1;
		if (wlen + 1 > DNS_NAME_WIRE_MAX) {
			cur_fail(c, DH_ENAMELEN);
			return;
		}
		cur_skip(c, b);
	}
}

/*
 * Reads a Client Subnet option (RFC 7871 6). The option is advisory to
 * dnshound, so a malformed one is ignored rather than failing the message:
 * the family must be IPv4 or IPv6, the prefixes must fit the family, the
 * address must be exactly as long as the source prefix needs, and the bits
 * past the prefix must be zero (RFC 7871 6 asks servers to answer FORMERR
 * to anything else).
 */
static void parse_ecs(struct dns_edns *e, const uint8_t *p, size_t n)
{
	struct cur c;
	uint8_t addr[16] = {0};
	unsigned bits;

	cur_init(&c, p, n);
	uint16_t family = cur_u16(&c);
	uint8_t source = cur_u8(&c);
	uint8_t scope = cur_u8(&c);
	size_t alen = cur_left(&c);
	if (c.err)
		return;
	if (family == ECS_FAMILY_IP4)
		bits = 32;
	else if (family == ECS_FAMILY_IP6)
		bits = 128;
	else
		return;
	if (source > bits || scope > bits || alen != ((size_t)source + 7) / 8)
		return;
	memcpy(addr, cur_take(&c, alen), alen);
	if (source % 8 && (addr[alen - 1] & (0xff >> (source % 8))))
		return;
	if (family == ECS_FAMILY_IP4)
		dh_addr_set4(&e->ecs_addr, addr);
	else
		dh_addr_set6(&e->ecs_addr, addr);
	e->ecs_source_prefix = source;
	e->ecs_scope_prefix = scope;
	e->ecs_present = 1;
}

/*
 * Reads the OPT pseudo-record (RFC 6891 6.1.2, 6.1.3): the class carries
 * the UDP payload size, the TTL the extended RCODE, the version and the DO
 * bit. Its options are a list of (code, length, data); a list that runs
 * past the RDATA ends the walk but is not an error for the message.
 */
static void parse_opt(struct dns_edns *e, uint16_t rclass, uint32_t ttl, const uint8_t *rd,
                      size_t rdlen)
{
	struct cur c;

	e->present = 1;
	e->udp_size = rclass;
	e->ext_rcode = (uint8_t)(ttl >> 24);
	e->version = (uint8_t)(ttl >> 16);
	e->do_bit = (ttl & 0x8000) != 0;

	cur_init(&c, rd, rdlen);
	while (cur_left(&c) >= 4) {
		uint16_t code = cur_u16(&c);
		uint16_t olen = cur_u16(&c);
		const uint8_t *od = cur_take(&c, olen);
		if (!od)
			break;
		if (code == EDNS_OPT_ECS && !e->ecs_present)
			parse_ecs(e, od, olen);
	}
}

void dns_msg_reset(struct dns_msg *m)
{
	m->wire = NULL;
	m->wire_len = 0;
	m->id = 0;
	m->flags = 0;
	m->qdcount = m->ancount = m->nscount = m->arcount = 0;
	m->has_question = 0;
	m->qtype = m->qclass = 0;
	m->qname_len = 0;
	m->qname[0] = '\0';
	memset(&m->edns, 0, sizeof(m->edns));
	m->rr_count = 0;
	m->rr_dropped = 0;
	m->err = 0;
}

/* Reads the first question into m and skips the others. */
static int parse_questions(struct dns_msg *m, struct cur *c)
{
	size_t next;
	int n;

	if (cur_left(c) == 0)
		return DH_ECOUNT;
	n = dns__name_decode(c->start, (size_t)(c->end - c->start), cur_offset(c),
	                     (size_t)(c->end - c->start), m->qname, sizeof(m->qname), 1, &next);
	if (n < 0)
		return n;
	cur_skip(c, next - cur_offset(c));
	const uint8_t *q = cur_take(c, 4);
	if (!q) {
		m->qname[0] = '\0';
		return c->err;
	}
	m->qtype = (uint16_t)((q[0] << 8) | q[1]);
	m->qclass = (uint16_t)((q[2] << 8) | q[3]);
	m->qname_len = (uint16_t)n;
	m->has_question = 1;

	for (unsigned i = 1; i < m->qdcount; i++) {
		if (cur_left(c) == 0)
			return DH_ECOUNT;
		skip_name(c);
		cur_skip(c, 4);
		if (c->err)
			return c->err;
	}
	return 0;
}

/* Reads count records of one section; records past DNS_RR_MAX are read
 * (the OPT record comes last) but only counted. */
static int parse_section(struct dns_msg *m, struct cur *c, unsigned count, uint8_t section)
{
	for (unsigned i = 0; i < count; i++) {
		/* A message that ends cleanly where a record should start
		 * has a count that lies; one that ends inside a record is
		 * truncated. */
		if (cur_left(c) == 0)
			return DH_ECOUNT;
		size_t owner = cur_offset(c);
		skip_name(c);
		const uint8_t *f = cur_take(c, DNS_RR_FIXED);
		if (!f)
			return c->err;
		uint16_t type = dh_be16(f);
		uint16_t rclass = dh_be16(f + 2);
		uint32_t ttl = dh_be32(f + 4);
		uint16_t rdlen = dh_be16(f + 8);
		size_t rdata = cur_offset(c);
		const uint8_t *rd = cur_take(c, rdlen);
		if (!rd)
			return c->err;

		if (type == DNS_T_OPT && section == DNS_SEC_ADDITIONAL && !m->edns.present)
			parse_opt(&m->edns, rclass, ttl, rd, rdlen);
		if (m->rr_count >= DNS_RR_MAX) {
			m->rr_dropped++;
			continue;
		}
		struct dns_rr *rr = &m->rr[m->rr_count++];
		rr->section = section;
		rr->type = type;
		rr->rclass = rclass;
		rr->ttl = ttl;
		rr->owner = (uint16_t)owner;
		rr->rdata = (uint16_t)rdata;
		rr->rdlen = rdlen;
		rr->owner_text = NULL;
		rr->data_text = NULL;
	}
	return 0;
}

int dns_parse(struct dns_msg *m, const uint8_t *buf, size_t len)
{
	struct cur c;
	int rc;

	if (!m)
		return DH_EUSAGE;
	dns_msg_reset(m);
	if (!buf) {
		rc = len ? DH_EUSAGE : DH_ETRUNC;
		goto out;
	}
	/* Nothing past 65535 octets can belong to a DNS message; reading
	 * no further keeps every offset within 16 bits. */
	if (len > DNS_MSG_MAX)
		len = DNS_MSG_MAX;
	m->wire = buf;
	m->wire_len = len;
	cur_init(&c, buf, len);

	const uint8_t *h = cur_take(&c, DNS_HEADER_LEN);
	if (!h) {
		rc = c.err;
		goto out;
	}
	m->id = (uint16_t)((h[0] << 8) | h[1]);
	m->flags = (uint16_t)((h[2] << 8) | h[3]);
	m->qdcount = (uint16_t)((h[4] << 8) | h[5]);
	m->ancount = (uint16_t)((h[6] << 8) | h[7]);
	m->nscount = (uint16_t)((h[8] << 8) | h[9]);
	m->arcount = (uint16_t)((h[10] << 8) | h[11]);

	if (m->qdcount > 0) {
		rc = parse_questions(m, &c);
		if (rc < 0)
			goto out;
	}
	rc = parse_section(m, &c, m->ancount, DNS_SEC_ANSWER);
	if (rc < 0)
		goto out;
	rc = parse_section(m, &c, m->nscount, DNS_SEC_AUTHORITY);
	if (rc < 0)
		goto out;
	rc = parse_section(m, &c, m->arcount, DNS_SEC_ADDITIONAL);
out:
	m->err = rc;
	return rc;
}
