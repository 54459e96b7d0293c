/*
 * cap_frame.c - one captured frame down to DNS payloads (see cap_frame.h).
 *
 * This is the hot path of the capture reader: for a plain UDP query it
 * reads a few header fields through a cursor, checks the ports against a
 * bitmap and points the message at the payload inside the frame, with no
 * allocation and no copy. Addresses are only turned into struct dh_addr
 * once a packet is known to carry DNS.
 */
#include "capture/cap_frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture/cap_frag.h"
#include "capture/cap_tcp.h"
#include "util/cursor.h"
#include "util/err.h"

#define ETHERTYPE_IPV4     0x0800
#define ETHERTYPE_IPV6     0x86dd
#define ETHERTYPE_8021Q    0x8100
#define ETHERTYPE_8021AD   0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100
/* QinQ stacks two tags; more than a few is a crafted frame. */
#define MAX_VLAN_TAGS 8
/* IPv6 extension headers one packet may chain before we stop looking
 * (RFC 8200 section 4.1 expects each type at most once or twice). */
#define MAX_IP6_EXT 16

#define IPPROTO_V6_HOPOPTS  0
#define IPPROTO_V_TCP       6
#define IPPROTO_V_UDP       17
#define IPPROTO_V6_ROUTING  43
#define IPPROTO_V6_FRAGMENT 44
#define IPPROTO_V_AH        51
#define IPPROTO_V6_DSTOPTS  60

/* BSD address families in DLT_NULL and DLT_LOOP headers: AF_INET is 2
 * everywhere, AF_INET6 is 24 (NetBSD, OpenBSD), 28 (FreeBSD) or 30
 * (macOS), as the tcpdump.org link-type list records. */
#define BSD_AF_INET 2

/* PKTAP: the smallest header that holds the fields read (length, record
 * type, inner link type), and the record type of a packet. */
#define PKTAP_MIN_LEN     12
#define PKTAP_TYPE_PACKET 1

struct cap_frame {
	struct cap_stats stats;
	struct cap_frag_table *frag; /* owned */
	struct cap_tcp_table *tcp;   /* owned */
	int have_udp;
	struct cap_dns udp;       /* the UDP message of the current frame */
	uint8_t ports[65536 / 8]; /* bitmap of watched ports */
};

/* What one frame's decoding carries from layer to layer. */
struct pkt {
	int64_t ts;
	uint64_t no;
	uint8_t family;
	int cut;                  /* the IP datagram was cut by the snap length */
	const uint8_t *src, *dst; /* borrowed: inside the frame */
};

int cap_frame_new(struct cap_frame **out, const struct cap_options *opt)
{
	struct cap_frame *f;
	int rc = 0;

	if (!out)
		return DH_EUSAGE;
	*out = NULL;
	f = calloc(1, sizeof(*f));
	if (!f) {
		rc = -ENOMEM;
		goto out;
	}
	f->frag = cap_frag_new(&f->stats);
	f->tcp = cap_tcp_new(&f->stats);
	if (!f->frag || !f->tcp) {
		rc = -ENOMEM;
		goto out;
	}
	if (!opt || opt->nports == 0) {
		f->ports[53 / 8] |= 1u << (53 % 8);
	} else {
		unsigned n = opt->nports < CAP_MAX_PORTS ? opt->nports : CAP_MAX_PORTS;
		for (unsigned i = 0; i < n; i++)
			f->ports[opt->ports[i] / 8] |= (uint8_t)(1u << (opt->ports[i] % 8));
	}
	*out = f;
	f = NULL;
out:
	cap_frame_free(f);
	return rc;
}

void cap_frame_free(struct cap_frame *f)
{
	if (!f)
		return;
	cap_frag_free(f->frag);
	cap_tcp_free(f->tcp);
	free(f);
}

struct cap_stats *cap_frame_stats(struct cap_frame *f)
{
	return &f->stats;
}

static int watched(const struct cap_frame *f, uint16_t port)
{
	return (f->ports[port / 8] >> (port % 8)) & 1;
}

static void set_addrs(const struct pkt *pk, struct dh_addr *src, struct dh_addr *dst)
{
	if (pk->family == DH_AF_INET) {
		dh_addr_set4(src, pk->src);
		dh_addr_set4(dst, pk->dst);
	} else {
		dh_addr_set6(src, pk->src);
		dh_addr_set6(dst, pk->dst);
	}
}

static void udp_decode(struct cap_frame *f, const struct pkt *pk, const uint8_t *p, size_t n)
{
	struct cur c;
	uint16_t sport, dport, ulen;
	size_t plen;

	cur_init(&c, p, n);
	sport = cur_u16(&c);
	dport = cur_u16(&c);
	ulen = cur_u16(&c);
	cur_skip(&c, 2); /* checksum */
	/* A UDP length below its own header is malformed (RFC 768); the
	 * IPv6 jumbogram form with length 0 (RFC 2675) cannot carry DNS. */
	if (c.err || ulen < 8) {
		f->stats.bad_transport++;
		return;
	}
	if (!watched(f, sport) && !watched(f, dport)) {
		f->stats.not_dns++;
		return;
	}
	/* The UDP length says where the datagram ends; what the snap length
	 * cut off is simply not there. */
	plen = (size_t)ulen - 8;
	if (plen > cur_left(&c))
		plen = cur_left(&c);
	if (plen == 0) {
		f->stats.not_dns++;
		return;
	}
	f->udp.ts_ns = pk->ts;
	set_addrs(pk, &f->udp.src, &f->udp.dst);
	f->udp.sport = sport;
	f->udp.dport = dport;
	f->udp.transport = DH_TRANSPORT_UDP;
	f->udp.data = c.p;
	f->udp.len = plen;
	f->udp.packet_no = pk->no;
	f->have_udp = 1;
}

static void tcp_decode(struct cap_frame *f, const struct pkt *pk, const uint8_t *p, size_t n)
{
	struct cur c;
	struct cap_tcp_seg seg;
	uint16_t offflags;
	size_t doff;

	cur_init(&c, p, n);
	seg.sport = cur_u16(&c);
	seg.dport = cur_u16(&c);
	seg.seq = cur_u32(&c);
	seg.ack = cur_u32(&c);
	offflags = cur_u16(&c);
	doff = (size_t)(offflags >> 12) * 4;
	/* The data offset counts the header with its options (RFC 9293
	 * section 3.1); less than the fixed 20 bytes is malformed. */
	if (c.err || doff < 20 || doff > n) {
		f->stats.bad_transport++;
		return;
	}
	if (!watched(f, seg.sport) && !watched(f, seg.dport)) {
		f->stats.not_dns++;
		return;
	}
	seg.flags = 0;
	if (offflags & 0x01)
		seg.flags |= CAP_TCP_FIN;
	if (offflags & 0x02)
		seg.flags |= CAP_TCP_SYN;
	if (offflags & 0x04)
		seg.flags |= CAP_TCP_RST;
	if (offflags & 0x10)
		seg.flags |= CAP_TCP_ACK;
	seg.data = p + doff;
	seg.len = n - doff;
	if (seg.len > 0)
		f->stats.tcp_segments++;
	else
		f->stats.not_dns++;
	set_addrs(pk, &seg.src, &seg.dst);
	seg.ts_ns = pk->ts;
	seg.packet_no = pk->no;
	cap_tcp_segment(f->tcp, &seg);
}

static void transport_decode(struct cap_frame *f, const struct pkt *pk, uint8_t proto,
                             const uint8_t *p, size_t n)
{
	if (proto == IPPROTO_V_UDP)
		udp_decode(f, pk, p, n);
	else if (proto == IPPROTO_V_TCP)
		tcp_decode(f, pk, p, n);
	else
		f->stats.not_dns++;
}

static void ip4_decode(struct cap_frame *f, struct pkt *pk, const uint8_t *p, size_t n)
{
	struct cur c;
	uint8_t vihl, proto;
	uint16_t total, id, fragoff;
	size_t ihl, avail;

	cur_init(&c, p, n);
	vihl = cur_u8(&c);
	cur_skip(&c, 1); /* type of service */
	total = cur_u16(&c);
	id = cur_u16(&c);
	fragoff = cur_u16(&c);
	cur_skip(&c, 1); /* time to live */
	proto = cur_u8(&c);
	cur_skip(&c, 2); /* header checksum */
	pk->src = cur_take(&c, 4);
	pk->dst = cur_take(&c, 4);
	ihl = (size_t)(vihl & 0x0f) * 4;
	/* IHL counts 32-bit words, options included (RFC 791 section 3.1). */
	if (c.err || (vihl >> 4) != 4 || ihl < 20 || ihl > n || total < ihl) {
		f->stats.bad_ip++;
		return;
	}
	pk->family = DH_AF_INET;
	/* The total length ends the datagram: bytes after it are link-layer
	 * padding (Ethernet pads to 60 bytes). Fewer bytes than it says were
	 * cut by the snap length. */
	avail = total <= n ? total : n;
	pk->cut = total > n;
	if (fragoff & 0x3fff) {
		struct cap_frag_key key;
		const uint8_t *out;
		size_t outlen;
		uint8_t outproto;
		if (pk->cut) {
			/* A fragment cut short cannot be placed. */
			f->stats.fragments++;
			f->stats.frag_dropped++;
			return;
		}
		memset(&key, 0, sizeof(key));
		key.family = DH_AF_INET;
		key.proto = proto;
		key.id = id;
		memcpy(key.src, pk->src, 4);
		memcpy(key.dst, pk->dst, 4);
		if (cap_frag_add(f->frag, &key, (size_t)(fragoff & 0x1fff) * 8, p + ihl,
		                 avail - ihl, (fragoff & 0x2000) != 0, proto, pk->ts, &out, &outlen,
		                 &outproto) == 1)
			transport_decode(f, pk, outproto, out, outlen);
		return;
	}
	transport_decode(f, pk, proto, p + ihl, avail - ihl);
}

/* Walks the extension headers from nh on (RFC 8200 section 4) to the
 * transport header. reassembled is set on the payload of a reassembled
 * datagram, which may not contain a second fragment header. */
static void ip6_payload(struct cap_frame *f, const struct pkt *pk, uint8_t nh, const uint8_t *p,
                        size_t n, int reassembled)
{
	struct cur c;

	cur_init(&c, p, n);
	for (unsigned i = 0; i < MAX_IP6_EXT; i++) {
		uint8_t next, hlen;
		uint16_t offm;
		uint32_t id;
		switch (nh) {
		case IPPROTO_V6_HOPOPTS:
		case IPPROTO_V6_ROUTING:
		case IPPROTO_V6_DSTOPTS:
			/* Length in 8-octet units, not counting the first 8. */
			next = cur_u8(&c);
			hlen = cur_u8(&c);
			cur_skip(&c, (size_t)hlen * 8 + 6);
			break;
		case IPPROTO_V_AH:
			/* RFC 4302 section 2.2: length in 4-octet units, minus 2. */
			next = cur_u8(&c);
			hlen = cur_u8(&c);
			cur_skip(&c, ((size_t)hlen + 2) * 4 - 2);
			break;
		case IPPROTO_V6_FRAGMENT:
			next = cur_u8(&c);
			cur_skip(&c, 1);
			offm = cur_u16(&c);
			id = cur_u32(&c);
			if (c.err)
				break;
			if ((offm & 0xfff9) == 0)
				break; /* an atomic fragment (RFC 6946): no reassembly */
			if (reassembled) {
				f->stats.bad_ip++;
				return;
			} else if (pk->cut) {
				/* A fragment cut short cannot be placed. */
				f->stats.fragments++;
				f->stats.frag_dropped++;
				return;
			} else {
				struct cap_frag_key key;
				const uint8_t *out;
				size_t outlen;
				uint8_t outproto;
				memset(&key, 0, sizeof(key));
				key.family = DH_AF_INET6;
				key.id = id;
				memcpy(key.src, pk->src, 16);
				memcpy(key.dst, pk->dst, 16);
				if (cap_frag_add(f->frag, &key, offm & 0xfff8, c.p, cur_left(&c),
				                 offm & 1, next, pk->ts, &out, &outlen,
				                 &outproto) == 1)
					ip6_payload(f, pk, outproto, out, outlen, 1);
				return;
			}
		default:
			transport_decode(f, pk, nh, c.p, cur_left(&c));
			return;
		}
		if (c.err) {
			f->stats.bad_ip++;
			return;
		}
		nh = next;
	}
	f->stats.bad_ip++;
}

static void ip6_decode(struct cap_frame *f, struct pkt *pk, const uint8_t *p, size_t n)
{
	struct cur c;
	uint32_t vtcfl;
	uint16_t plen;
	uint8_t nh;

	cur_init(&c, p, n);
	vtcfl = cur_u32(&c);
	plen = cur_u16(&c);
	nh = cur_u8(&c);
	cur_skip(&c, 1); /* hop limit */
	pk->src = cur_take(&c, 16);
	pk->dst = cur_take(&c, 16);
	if (c.err || (vtcfl >> 28) != 6) {
		f->stats.bad_ip++;
		return;
	}
	pk->family = DH_AF_INET6;
	if (plen > cur_left(&c)) {
		/* Cut by the snap length: what is there is still read. */
		pk->cut = 1;
		plen = (uint16_t)cur_left(&c);
	}
	ip6_payload(f, pk, nh, c.p, plen, 0);
}

static void ip_any_decode(struct cap_frame *f, struct pkt *pk, const uint8_t *p, size_t n)
{
	if (n > 0 && (p[0] >> 4) == 4)
		ip4_decode(f, pk, p, n);
	else if (n > 0 && (p[0] >> 4) == 6)
		ip6_decode(f, pk, p, n);
	else
		f->stats.bad_ip++;
}

/* Goes on from an EtherType: VLAN tags, then IPv4 or IPv6. */
static void ether_payload(struct cap_frame *f, struct pkt *pk, struct cur *c, uint16_t type)
{
	/* IEEE 802.1Q tags (0x8100), 802.1ad service tags (0x88a8) and the
	 * pre-standard QinQ value 0x9100: each is 2 bytes of tag control
	 * followed by the next EtherType. */
	for (unsigned i = 0; i < MAX_VLAN_TAGS; i++) {
		if (type != ETHERTYPE_8021Q && type != ETHERTYPE_8021AD &&
		    type != ETHERTYPE_QINQ_OLD)
			break;
		cur_skip(c, 2);
		type = cur_u16(c);
	}
	if (c->err) {
		f->stats.bad_link++;
		return;
	}
	if (type == ETHERTYPE_IPV4)
		ip4_decode(f, pk, c->p, cur_left(c));
	else if (type == ETHERTYPE_IPV6)
		ip6_decode(f, pk, c->p, cur_left(c));
	else
		f->stats.not_dns++;
}

/* DLT_NULL stores the family in the capturing host's byte order, DLT_LOOP
 * in network order; both orders are tried, as the values cannot clash. */
static void bsd_loop_decode(struct cap_frame *f, struct pkt *pk, struct cur *c)
{
	struct cur le = *c;
	uint32_t be = cur_u32(c);
	uint32_t little = cur_u32le(&le);

	if (c->err) {
		f->stats.bad_link++;
		return;
	}
	if (be == BSD_AF_INET || little == BSD_AF_INET)
		ip4_decode(f, pk, c->p, cur_left(c));
	else if (be == 24 || be == 28 || be == 30 || little == 24 || little == 28 || little == 30)
		ip6_decode(f, pk, c->p, cur_left(c));
	else
		f->stats.not_dns++;
}

static void link_decode(struct cap_frame *f, struct pkt *pk, int linktype, const uint8_t *frame,
                        size_t caplen, int nested);

/*
 * Apple's PKTAP (LINKTYPE_PKTAP, and DLT_USER2 where macOS wrote its own
 * DLT_PKTAP number): a header of pth_length bytes, then the packet with
 * the link type pth_dlt. The fields are in the writer's byte order, which
 * the file header gives but a frame does not; the length tells it, as
 * the header is at least 12 bytes and no longer than the frame, and the
 * other order makes it 16 Mi or more for any length below 64 Ki. The
 * header is checked only so far as its fields are used.
 */
static void pktap_decode(struct cap_frame *f, struct pkt *pk, const uint8_t *frame, size_t caplen)
{
	struct cur be, le;
	uint32_t hlen, type, dlt;

	cur_init(&be, frame, caplen);
	le = be;
	hlen = cur_u32le(&le);
	type = cur_u32le(&le);
	dlt = cur_u32le(&le);
	if (le.err || hlen < PKTAP_MIN_LEN || hlen > caplen) {
		hlen = cur_u32(&be);
		type = cur_u32(&be);
		dlt = cur_u32(&be);
		if (be.err || hlen < PKTAP_MIN_LEN || hlen > caplen) {
			f->stats.bad_link++;
			return;
		}
	}
	if (type != PKTAP_TYPE_PACKET) {
		f->stats.not_dns++;
		return;
	}
	link_decode(f, pk, (int)(dlt & 0x7fffffffu), frame + hlen, caplen - hlen, 1);
}

/* Strips the link layer of the given type. nested is set inside a PKTAP
 * header, which may not hold a second one. */
static void link_decode(struct cap_frame *f, struct pkt *pk, int linktype, const uint8_t *frame,
                        size_t caplen, int nested)
{
	struct cur c;
	uint16_t type;

	cur_init(&c, frame, caplen);
	switch (linktype) {
	case CAP_LINK_EN10MB:
		cur_skip(&c, 12); /* destination and source MAC */
		type = cur_u16(&c);
		ether_payload(f, pk, &c, type);
		break;
	case CAP_LINK_LINUX_SLL:
		/* Packet type, ARPHRD type, address length, 8 address bytes,
		 * then the protocol as an EtherType. */
		cur_skip(&c, 14);
		type = cur_u16(&c);
		ether_payload(f, pk, &c, type);
		break;
	case CAP_LINK_LINUX_SLL2:
		/* Protocol first, then reserved, interface index, ARPHRD type,
		 * packet type, address length and 8 address bytes. */
		type = cur_u16(&c);
		cur_skip(&c, 18);
		ether_payload(f, pk, &c, type);
		break;
	case CAP_LINK_RAW:
	case CAP_LINK_RAW_BSD:
	case CAP_LINK_RAW_OPENBSD:
		ip_any_decode(f, pk, c.p, cur_left(&c));
		break;
	case CAP_LINK_IPV4:
		ip4_decode(f, pk, c.p, cur_left(&c));
		break;
	case CAP_LINK_IPV6:
		ip6_decode(f, pk, c.p, cur_left(&c));
		break;
	case CAP_LINK_NULL:
	case CAP_LINK_LOOP:
		bsd_loop_decode(f, pk, &c);
		break;
	case CAP_LINK_PKTAP:
	case CAP_LINK_USER2:
		if (!nested) {
			pktap_decode(f, pk, frame, caplen);
			break;
		}
		f->stats.bad_link++;
		break;
	default:
		f->stats.bad_link++;
		break;
	}
}

void cap_frame_decode(struct cap_frame *f, int linktype, const uint8_t *frame, size_t caplen,
                      size_t origlen, int64_t ts_ns, uint64_t packet_no)
{
	struct pkt pk;

	f->have_udp = 0;
	/* TCP messages not taken yet may still point into the last frame. */
	cap_tcp_detach(f->tcp);
	if (caplen < origlen)
		f->stats.truncated_caplen++;
	pk.ts = ts_ns;
	pk.no = packet_no;
	pk.family = DH_AF_NONE;
	pk.cut = 0;
	pk.src = pk.dst = NULL;
	/* A NULL frame reads as an empty one (NULL + 0 is undefined in C). */
	if (!frame) {
		static const uint8_t empty[1];
		frame = empty;
		caplen = 0;
	}
	link_decode(f, &pk, linktype, frame, caplen, 0);
}

int cap_frame_next(struct cap_frame *f, struct cap_dns *msg)
{
	if (f->have_udp) {
		*msg = f->udp;
		f->have_udp = 0;
		f->stats.dns_messages++;
		return 1;
	}
	if (cap_tcp_next(f->tcp, msg)) {
		f->stats.dns_messages++;
		return 1;
	}
	return 0;
}

void cap_frame_finish(struct cap_frame *f)
{
	f->have_udp = 0;
	cap_frag_clear(f->frag);
	cap_tcp_finish(f->tcp);
}
