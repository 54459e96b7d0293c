/*
 * dnstap.c - decoding dnstap protobuf payloads and Frame Streams controls.
 *
 * Protobuf wire format (protobuf.dev "Encoding"): each field is a varint
 * key (field number << 3 | wire type) followed by a varint (type 0), 8
 * bytes (type 1), a varint length and that many bytes (type 2), or 4
 * bytes (type 5). Unknown fields are skipped by their wire type, so newer
 * writers' additions pass unharmed.
 */
#include "source/dnstap.h"

#include <string.h>

#include "util/cursor.h"
#include "util/err.h"
#include "wire/dns.h"

enum { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

/* A varint is at most 10 bytes for 64 bits; more is malformed. */
static uint64_t pb_varint(struct cur *c)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 70; shift += 7) {
		uint8_t b = cur_u8(c);
		if (c->err)
			return 0;
		if (shift == 63 && b > 1) {
			cur_fail(c, DH_EMALFORMED);
			return 0;
		}
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	cur_fail(c, DH_EMALFORMED);
	return 0;
}

struct pb_field {
	unsigned num;
	unsigned wire;
	uint64_t value;   /* varint, I32 and I64 (little-endian) values */
	const uint8_t *p; /* PB_LEN: the bytes */
	size_t len;
};

/* Reads the next field. Returns 1, 0 at the end, or -1 (c->err set). */
static int pb_next(struct cur *c, struct pb_field *f)
{
	if (cur_left(c) == 0)
		return c->err ? -1 : 0;
	uint64_t key = pb_varint(c);
	if (c->err)
		return -1;
	f->num = (unsigned)(key >> 3);
	f->wire = (unsigned)(key & 7);
	f->p = NULL;
	f->len = 0;
	f->value = 0;
	if (f->num == 0 || key >> 32) {
		cur_fail(c, DH_EMALFORMED);
		return -1;
	}
	switch (f->wire) {
	case PB_VARINT:
		f->value = pb_varint(c);
		break;
	case PB_I64: {
		uint32_t lo = cur_u32le(c);
		uint32_t hi = cur_u32le(c);
		f->value = ((uint64_t)hi << 32) | lo;
		break;
	}
	case PB_LEN: {
		uint64_t n = pb_varint(c);
		if (!c->err && n > cur_left(c)) {
			cur_fail(c, DH_ETRUNC);
			break;
		}
		f->len = (size_t)n;
		f->p = cur_take(c, f->len);
		break;
	}
	case PB_I32:
		f->value = cur_u32le(c);
		break;
	default:
		/* Groups (3, 4) are not used by dnstap and are obsolete. */
		cur_fail(c, DH_EMALFORMED);
		break;
	}
	return c->err ? -1 : 1;
}

/* dnstap.proto: Message fields. */
enum {
	M_TYPE = 1,
	M_SOCKET_FAMILY = 2,
	M_SOCKET_PROTOCOL = 3,
	M_QUERY_ADDRESS = 4,
	M_RESPONSE_ADDRESS = 5,
	M_QUERY_PORT = 6,
	M_RESPONSE_PORT = 7,
	M_QUERY_TIME_SEC = 8,
	M_QUERY_TIME_NSEC = 9,
	M_QUERY_MESSAGE = 10,
	M_RESPONSE_TIME_SEC = 12,
	M_RESPONSE_TIME_NSEC = 13,
	M_RESPONSE_MESSAGE = 14,
};

/* dnstap.proto: Dnstap fields. */
enum { D_IDENTITY = 1, D_MESSAGE = 14, D_TYPE = 15 };

static int set_addr(struct dh_addr *a, const uint8_t *p, size_t len)
{
	if (len == 4) {
		dh_addr_set4(a, p);
		return 0;
	}
	if (len == 16) {
		dh_addr_set6(a, p);
		return 0;
	}
	return DH_EMALFORMED;
}

static unsigned transport_of(uint64_t proto)
{
	/* SocketProtocol: UDP 1, TCP 2, DOT 3, DOH 4, DNSCryptUDP 5,
	 * DNSCryptTCP 6, DOQ 7. */
	switch (proto) {
	case 1:
	case 5:
		return EV_TRANSPORT_UDP;
	case 2:
	case 6:
		return EV_TRANSPORT_TCP;
	case 3:
		return EV_TRANSPORT_DOT;
	case 4:
		return EV_TRANSPORT_DOH;
	default:
		return EV_TRANSPORT_UNKNOWN;
	}
}

static int decode_message(const uint8_t *buf, size_t len, struct ev_event *ev)
{
	struct cur c;
	struct pb_field f;
	uint64_t type = 0, qsec = 0, qnsec = 0, rsec = 0, rnsec = 0;
	const uint8_t *qaddr = NULL, *raddr = NULL, *qmsg = NULL, *rmsg = NULL;
	size_t qaddr_len = 0, raddr_len = 0, qmsg_len = 0, rmsg_len = 0;
	uint64_t qport = 0, rport = 0, proto = 0;
	int have_qtime = 0, have_rtime = 0, r;

	cur_init(&c, buf, len);
	while ((r = pb_next(&c, &f)) == 1) {
		switch (f.num) {
		case M_TYPE:
			type = f.value;
			break;
		case M_SOCKET_PROTOCOL:
			proto = f.value;
			break;
		case M_QUERY_ADDRESS:
			qaddr = f.p;
			qaddr_len = f.len;
			break;
		case M_RESPONSE_ADDRESS:
			raddr = f.p;
			raddr_len = f.len;
			break;
		case M_QUERY_PORT:
			qport = f.value;
			break;
		case M_RESPONSE_PORT:
			rport = f.value;
			break;
		case M_QUERY_TIME_SEC:
			qsec = f.value;
			have_qtime = 1;
			break;
		case M_QUERY_TIME_NSEC:
			qnsec = f.value;
			break;
		case M_RESPONSE_TIME_SEC:
			rsec = f.value;
			have_rtime = 1;
			break;
		case M_RESPONSE_TIME_NSEC:
			rnsec = f.value;
			break;
		case M_QUERY_MESSAGE:
			qmsg = f.p;
			qmsg_len = f.len;
			break;
		case M_RESPONSE_MESSAGE:
			rmsg = f.p;
			rmsg_len = f.len;
			break;
		default:
			break;
		}
	}
	if (r < 0)
		return c.err;
	if (type < 1 || type > EV_ROLE_MAX || qport > 65535 || rport > 65535 ||
	    qnsec >= 1000000000 || rnsec >= 1000000000 || qsec > INT64_MAX / 1000000000 - 1 ||
	    rsec > INT64_MAX / 1000000000 - 1)
		return DH_EMALFORMED;
	/* Odd types are queries, even ones responses (dnstap.proto). */
	int response = (type % 2) == 0;
	const uint8_t *msg = response ? rmsg : qmsg;
	size_t msg_len = response ? rmsg_len : qmsg_len;
	if (!msg)
		return DH_ENOTDNS;

	ev->role = (uint8_t)type;
	ev->transport = (uint8_t)transport_of(proto);
	memset(&ev->src, 0, sizeof(ev->src));
	memset(&ev->dst, 0, sizeof(ev->dst));
	struct dh_addr *qa = response ? &ev->dst : &ev->src;
	struct dh_addr *ra = response ? &ev->src : &ev->dst;
	if (qaddr && set_addr(qa, qaddr, qaddr_len) != 0)
		return DH_EMALFORMED;
	if (raddr && set_addr(ra, raddr, raddr_len) != 0)
		return DH_EMALFORMED;
	ev->sport = (uint16_t)(response ? rport : qport);
	ev->dport = (uint16_t)(response ? qport : rport);
	/* A response carries its own time; some writers put only the
	 * query time on it, so fall back to that. */
	if (response && have_rtime)
		ev->ts_ns = (int64_t)rsec * 1000000000 + (int64_t)rnsec;
	else if (have_qtime)
		ev->ts_ns = (int64_t)qsec * 1000000000 + (int64_t)qnsec;
	else if (have_rtime)
		ev->ts_ns = (int64_t)rsec * 1000000000 + (int64_t)rnsec;
	else
		ev->ts_ns = 0;
	ev->size = (uint32_t)msg_len;
	ev->rtt_ns = -1;
	if (msg_len < 12) {
		dns_msg_clear(&ev->msg);
		ev->msg.err = DH_ETRUNC;
		return DH_ETRUNC;
	}
	(void)dns_parse(&ev->msg, msg, msg_len);
	return 0;
}

int dnstap_decode(const uint8_t *buf, size_t len, struct ev_event *ev)
{
	struct cur c;
	struct pb_field f;
	const uint8_t *message = NULL;
	size_t message_len = 0;
	int r;

	ev->observer[0] = '\0';
	cur_init(&c, buf, len);
	while ((r = pb_next(&c, &f)) == 1) {
		if (f.num == D_IDENTITY && f.wire == PB_LEN) {
			/* The identity is the server's name as its operator
			 * set it; keep printable ASCII only. */
			size_t n = f.len < EV_OBSERVER_MAX - 1 ? f.len : EV_OBSERVER_MAX - 1;
			size_t o = 0;
			for (size_t i = 0; i < n; i++)
				if (f.p[i] >= 0x20 && f.p[i] < 0x7f)
					ev->observer[o++] = (char)f.p[i];
			ev->observer[o] = '\0';
		} else if (f.num == D_MESSAGE && f.wire == PB_LEN) {
			message = f.p;
			message_len = f.len;
		}
	}
	if (r < 0)
		return c.err;
	if (!message)
		return DH_ENOTDNS;
	return decode_message(message, message_len, ev);
}

/* Control frame fields (Frame Streams protocol): a 32-bit type, then
 * fields of 32-bit type 1 (content type), a 32-bit length and the bytes. */
#define FSTRM_FIELD_CONTENT_TYPE 1
#define FSTRM_CONTROL_MAX        512

int fstrm_control_parse(const uint8_t *buf, size_t len)
{
	struct cur c;
	int dnstap_seen = 0, any_type = 0;

	if (len > FSTRM_CONTROL_MAX)
		return DH_EMALFORMED;
	cur_init(&c, buf, len);
	uint32_t type = cur_u32(&c);
	if (c.err || type < FSTRM_CONTROL_ACCEPT || type > FSTRM_CONTROL_FINISH)
		return DH_EMALFORMED;
	while (cur_left(&c) > 0) {
		uint32_t ftype = cur_u32(&c);
		uint32_t flen = cur_u32(&c);
		const uint8_t *p = cur_take(&c, flen);
		if (c.err)
			return DH_EMALFORMED;
		if (ftype != FSTRM_FIELD_CONTENT_TYPE)
			continue;
		any_type = 1;
		if (flen == sizeof(DNSTAP_CONTENT_TYPE) - 1 &&
		    memcmp(p, DNSTAP_CONTENT_TYPE, flen) == 0)
			dnstap_seen = 1;
	}
	/* START and READY/ACCEPT name content types; a stream of some other
	 * content is not ours to decode. */
	if (any_type && !dnstap_seen)
		return DH_EFORMAT;
	return (int)type;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int fstrm_control_write(uint8_t *out, size_t cap, unsigned type, const char *content_type)
{
	size_t ct = content_type ? strlen(content_type) : 0;
	size_t body = 4 + (content_type ? 8 + ct : 0);
	size_t total = 8 + body;

	if (cap < total)
		return DH_ESPACE;
	put32(out, 0); /* escape: a zero length marks a control frame */
	put32(out + 4, (uint32_t)body);
	put32(out + 8, type);
	if (content_type) {
		put32(out + 12, FSTRM_FIELD_CONTENT_TYPE);
		put32(out + 16, (uint32_t)ct);
		memcpy(out + 20, content_type, ct);
	}
	return (int)total;
}
