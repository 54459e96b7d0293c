/*
 * dns.h - the DNS message as dnshound sees it, and the wire-format parser.
 *
 * dns_parse() reads one DNS message (RFC 1035 section 4) from untrusted
 * bytes into a struct dns_msg without allocating: the question name is
 * rendered into the struct in lower-cased presentation form, every other
 * name and every RDATA stays in the wire buffer and is referred to by
 * offset, and is rendered only when somebody asks (dns_text.h). A message
 * that lies (a count larger than what follows, a pointer that loops, a
 * name over 255 octets) yields an error code and whatever was safely read
 * before the lie.
 *
 * Sources that have no wire bytes (text logs) fill the same struct by hand:
 * wire is NULL and each record carries presentation text instead.
 */
#ifndef DH_WIRE_DNS_H
#define DH_WIRE_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "util/addr.h"

/* A name in presentation form is at most 255 octets of labels; escaping an
 * octet as \DDD takes four characters, plus dots and the NUL. */
#define DNS_NAME_TEXT_MAX 1024

/* Records kept per message; later ones are counted in dns_msg.rr_dropped.
 * 64 covers every ordinary response (a full referral with glue has ~30). */
#define DNS_RR_MAX 64

enum dns_section {
	DNS_SEC_ANSWER = 1,
	DNS_SEC_AUTHORITY = 2,
	DNS_SEC_ADDITIONAL = 3,
};

/* Header flag bits of the second 16-bit header word (RFC 1035 4.1.1,
 * RFC 4035 3.2 for AD and CD). */
enum {
	DNS_FLAG_QR = 0x8000,
	DNS_FLAG_AA = 0x0400,
	DNS_FLAG_TC = 0x0200,
	DNS_FLAG_RD = 0x0100,
	DNS_FLAG_RA = 0x0080,
	DNS_FLAG_Z = 0x0040,
	DNS_FLAG_AD = 0x0020,
	DNS_FLAG_CD = 0x0010,
};

enum dns_type {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_CNAME = 5,
	DNS_T_SOA = 6,
	DNS_T_NULL = 10,
	DNS_T_PTR = 12,
	DNS_T_HINFO = 13,
	DNS_T_MX = 15,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
	DNS_T_SRV = 33,
	DNS_T_NAPTR = 35,
	DNS_T_DNAME = 39,
	DNS_T_OPT = 41,
	DNS_T_DS = 43,
	DNS_T_RRSIG = 46,
	DNS_T_NSEC = 47,
	DNS_T_DNSKEY = 48,
	DNS_T_SVCB = 64,
	DNS_T_HTTPS = 65,
	DNS_T_SPF = 99,
	DNS_T_TKEY = 249,
	DNS_T_TSIG = 250,
	DNS_T_IXFR = 251,
	DNS_T_AXFR = 252,
	DNS_T_ANY = 255,
	DNS_T_CAA = 257,
};

/* One resource record. For a wire message the owner name and RDATA are
 * offsets into dns_msg.wire; for a text source owner_text and data_text
 * hold presentation form and the offsets are unused. */
struct dns_rr {
	uint8_t section;        /* enum dns_section */
	uint16_t type;          /* RR type number, any value */
	uint16_t rclass;        /* class, or the UDP payload size for OPT */
	uint32_t ttl;           /* as on the wire; OPT carries flags here */
	uint16_t owner;         /* offset of the owner name in wire */
	uint16_t rdata;         /* offset of RDATA in wire */
	uint16_t rdlen;         /* RDATA length, checked to lie inside wire */
	const char *owner_text; /* borrowed; text sources only, else NULL */
	const char *data_text;  /* borrowed; text sources only, else NULL */
};

/* EDNS(0) as found in the OPT record (RFC 6891), with Client Subnet
 * (RFC 7871) when present. */
struct dns_edns {
	uint8_t present; /* 1 when an OPT record was seen */
	uint8_t version;
	uint8_t do_bit;
	uint8_t ecs_present;
	uint16_t udp_size;
	uint8_t ext_rcode; /* upper 8 bits of the 12-bit RCODE */
	uint8_t ecs_source_prefix;
	uint8_t ecs_scope_prefix;
	struct dh_addr ecs_addr; /* ECS address, zero-padded past the prefix */
};

struct dns_msg {
	const uint8_t *wire; /* borrowed; NULL for text sources */
	size_t wire_len;

	uint16_t id;
	uint16_t flags; /* the second header word: QR, opcode, AA ... RCODE */
	uint16_t qdcount, ancount, nscount, arcount; /* as the header says */

	/* The first question. qname is lower-cased presentation form with a
	 * trailing dot ("." for the root) and \DDD escapes for odd octets;
	 * qname_len is its length without the NUL. has_question is 0 when the
	 * message has no (readable) question; then qname is "". */
	uint8_t has_question;
	uint16_t qtype, qclass;
	uint16_t qname_len;
	char qname[DNS_NAME_TEXT_MAX];

	struct dns_edns edns;

	uint16_t rr_count;   /* records kept in rr[] */
	uint32_t rr_dropped; /* records parsed but not kept (over DNS_RR_MAX) */
	struct dns_rr rr[DNS_RR_MAX];

	int err; /* 0, or the first error: the fields above are what was read
	            safely before it */
};

static inline unsigned dns_msg_opcode(const struct dns_msg *m)
{
	return (m->flags >> 11) & 0xf;
}

static inline int dns_msg_is_response(const struct dns_msg *m)
{
	return (m->flags & DNS_FLAG_QR) != 0;
}

/* The 12-bit RCODE: header bits plus the EDNS extension. */
static inline unsigned dns_msg_rcode(const struct dns_msg *m)
{
	return (unsigned)(m->flags & 0xf) | ((unsigned)m->edns.ext_rcode << 4);
}

/* Resets m to an empty message (no question, no records). */
void dns_msg_clear(struct dns_msg *m);

/* The same for every field a reader looks at, without zeroing the 3.6 kB
 * of buffers behind them (record slots past rr_count, the qname past its
 * NUL): for a message about to be filled again. */
void dns_msg_reset(struct dns_msg *m);

/*
 * Parses len bytes at buf (borrowed: m refers into it, so buf must outlive
 * m's use) into m. Returns 0, or a negative DH_E* code, which is also left
 * in m->err; on error m holds everything read safely before the error.
 */
int dns_parse(struct dns_msg *m, const uint8_t *buf, size_t len);

#endif
