/*
 * scenario_out.c - wire, pcap, BIND query-log and dnstap writers of the
 * traffic scenarios. See scenario_out.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eval/scenario_out.h"
#include "util/err.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

int scenario_name_wire(const char *name, uint8_t *out, size_t cap)
{
	size_t o = 0;
	const char *p = name;

	if (cap < 1)
		return DH_ESPACE;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		/* RFC 1035 section 2.3.4: labels of 63 octets, names of 255. */
		if (n == 0 || n > 63 || o + 1 + n + 1 > 255 || o + 1 + n + 1 > cap)
			return DH_ENAMELEN;
		out[o++] = (uint8_t)n;
		memcpy(out + o, p, n);
		o += n;
		p += n;
		if (*p == '.')
			p++;
	}
	out[o++] = 0;
	return (int)o;
}

static void msg_put(struct scenario_msg *m, const void *p, size_t n)
{
	if (m->err)
		return;
	if (m->len + n > m->cap) {
		m->err = DH_ESPACE;
		return;
	}
	memcpy(m->p + m->len, p, n);
	m->len += n;
}

static void msg_name(struct scenario_msg *m, const char *name)
{
	uint8_t w[256];
	int n = scenario_name_wire(name, w, sizeof(w));

	if (n < 0) {
		if (!m->err)
			m->err = n;
		return;
	}
	msg_put(m, w, (size_t)n);
}

void scenario_msg_begin(struct scenario_msg *m, uint8_t *buf, size_t cap, uint16_t id,
                        uint16_t flags, const char *qname, uint16_t qtype)
{
	uint8_t h[12] = {0}, q[4];

	memset(m, 0, sizeof(*m));
	m->p = buf;
	m->cap = cap;
	put16(h, id);
	put16(h + 2, flags);
	put16(h + 4, 1);
	msg_put(m, h, sizeof(h));
	msg_name(m, qname);
	put16(q, qtype);
	put16(q + 2, 1); /* class IN */
	msg_put(m, q, sizeof(q));
}

static void rr_head(struct scenario_msg *m, int sec, const char *name, uint16_t type, uint32_t ttl)
{
	uint8_t f[8];

	if (name) {
		msg_name(m, name);
	} else {
		/* A pointer to the question's name, which starts at offset 12. */
		uint8_t ptr[2] = {0xc0, 12};
		msg_put(m, ptr, 2);
	}
	put16(f, type);
	put16(f + 2, 1);
	put32(f + 4, ttl);
	msg_put(m, f, sizeof(f));
	if (!m->err)
		m->count[sec]++;
}

void scenario_msg_rr(struct scenario_msg *m, int sec, const char *name, uint16_t type, uint32_t ttl,
                     const uint8_t *rdata, size_t rdlen)
{
	uint8_t l[2];

	rr_head(m, sec, name, type, ttl);
	put16(l, (uint16_t)rdlen);
	msg_put(m, l, 2);
	if (rdlen)
		msg_put(m, rdata, rdlen);
}

void scenario_msg_rr_name(struct scenario_msg *m, int sec, const char *name, uint16_t type,
                          uint32_t ttl, const uint8_t *prefix, size_t plen, const char *target)
{
	uint8_t rd[256 + 16];
	int n;

	if (plen > 16) {
		m->err = DH_EUSAGE;
		return;
	}
	if (plen)
		memcpy(rd, prefix, plen);
	n = scenario_name_wire(target, rd + plen, sizeof(rd) - plen);
	if (n < 0) {
		if (!m->err)
			m->err = n;
		return;
	}
	scenario_msg_rr(m, sec, name, type, ttl, rd, plen + (size_t)n);
}

void scenario_msg_opt(struct scenario_msg *m, uint16_t udp_size)
{
	/* Root name, type OPT, class = payload size, TTL = extended RCODE,
	 * version 0 and flags 0, no options (RFC 6891 section 6.1.2). */
	uint8_t o[11] = {0, 0, SCEN_T_OPT, 0, 0, 0, 0, 0, 0, 0, 0};

	put16(o + 3, udp_size);
	msg_put(m, o, sizeof(o));
	if (!m->err)
		m->count[SCEN_SEC_ADDITIONAL]++;
}

int scenario_msg_end(struct scenario_msg *m)
{
	if (m->err)
		return m->err;
	put16(m->p + 6, m->count[0]);
	put16(m->p + 8, m->count[1]);
	put16(m->p + 10, m->count[2]);
	return (int)m->len;
}

/* Files. */

int scenario_file_open(struct scenario_file *sf, const char *path)
{
	memset(sf, 0, sizeof(*sf));
	sf->buf = malloc(SCEN_FILE_BUF);
	if (!sf->buf)
		return -ENOMEM;
	sf->f = fopen(path, "wb");
	if (!sf->f) {
		int e = -errno;
		free(sf->buf);
		sf->buf = NULL;
		return e;
	}
	return 0;
}

static void file_flush(struct scenario_file *sf)
{
	if (sf->len && !sf->err && fwrite(sf->buf, 1, sf->len, sf->f) != sf->len)
		sf->err = errno ? -errno : -EIO;
	sf->len = 0;
}

void scenario_file_put(struct scenario_file *sf, const void *p, size_t n)
{
	if (!sf->buf)
		return;
	sf->bytes += n;
	if (sf->len + n > SCEN_FILE_BUF)
		file_flush(sf);
	if (n > SCEN_FILE_BUF) {
		if (!sf->err && fwrite(p, 1, n, sf->f) != n)
			sf->err = -EIO;
		return;
	}
	memcpy(sf->buf + sf->len, p, n);
	sf->len += n;
}

/* Reserves n bytes at the end of the buffer for the caller to fill. */
static uint8_t *file_room(struct scenario_file *sf, size_t n)
{
	uint8_t *p;

	if (sf->len + n > SCEN_FILE_BUF)
		file_flush(sf);
	p = sf->buf + sf->len;
	sf->len += n;
	sf->bytes += n;
	return p;
}

int scenario_file_close(struct scenario_file *sf)
{
	int rc;

	if (!sf->f) {
		free(sf->buf);
		sf->buf = NULL;
		return sf->err;
	}
	file_flush(sf);
	if (fclose(sf->f) != 0 && !sf->err)
		sf->err = -EIO;
	sf->f = NULL;
	free(sf->buf);
	sf->buf = NULL;
	rc = sf->err;
	return rc;
}

/* pcap. */

int scenario_pcap_open(struct scenario_file *sf, const char *path)
{
	/* The classic header: magic, version 2.4, zone 0, sigfigs 0, snaplen,
	 * LINKTYPE_ETHERNET (1); little-endian as most writers use. */
	uint8_t h[24];
	int rc = scenario_file_open(sf, path);

	if (rc < 0)
		return rc;
	put32le(h, 0xa1b2c3d4u);
	h[4] = 2;
	h[5] = 0;
	h[6] = 4;
	h[7] = 0;
	put32le(h + 8, 0);
	put32le(h + 12, 0);
	put32le(h + 16, 65535);
	put32le(h + 20, 1);
	scenario_file_put(sf, h, sizeof(h));
	return 0;
}

/* The one's complement sum of RFC 1071, not yet folded. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < n)
		sum += (uint32_t)(p[i] << 8);
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Writes the record header, Ethernet and IP headers for an IP payload of
 * plen octets of protocol proto; returns where the transport header goes
 * and the pseudo-header sum in *sum. */
static uint8_t *ip_frame(struct scenario_file *sf, int64_t ts_ns, const struct dh_addr *src,
                         const struct dh_addr *dst, uint8_t proto, size_t plen, uint32_t *sum)
{
	int v6 = src->family == DH_AF_INET6;
	size_t iph = v6 ? 40 : 20, caplen = 14 + iph + plen;
	uint8_t *r = file_room(sf, 16 + caplen), *e = r + 16, *ip = e + 14;
	uint64_t us = (uint64_t)(ts_ns / 1000);

	put32le(r, (uint32_t)(us / 1000000));
	put32le(r + 4, (uint32_t)(us % 1000000));
	put32le(r + 8, (uint32_t)caplen);
	put32le(r + 12, (uint32_t)caplen);
	/* Locally administered MAC addresses made from the IP addresses'
	 * last octets, so that each host keeps one address. */
	e[0] = 0x02;
	e[1] = 0;
	memcpy(e + 2, v6 ? dst->a + 12 : dst->a, 4);
	e[6] = 0x02;
	e[7] = 0;
	memcpy(e + 8, v6 ? src->a + 12 : src->a, 4);
	put16(e + 12, v6 ? 0x86dd : 0x0800);
	*sum = 0;
	if (v6) {
		put32(ip, 0x60000000u);
		put16(ip + 4, (uint16_t)plen);
		ip[6] = proto;
		ip[7] = 64;
		memcpy(ip + 8, src->a, 16);
		memcpy(ip + 24, dst->a, 16);
		*sum = csum_add(*sum, ip + 8, 32);
	} else {
		ip[0] = 0x45;
		ip[1] = 0;
		put16(ip + 2, (uint16_t)(20 + plen));
		put16(ip + 4, 0);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = proto;
		put16(ip + 10, 0);
		memcpy(ip + 12, src->a, 4);
		memcpy(ip + 16, dst->a, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
		*sum = csum_add(*sum, ip + 12, 8);
	}
	*sum += proto;
	*sum += (uint32_t)plen;
	return ip + iph;
}

void scenario_pcap_udp(struct scenario_file *sf, const struct scenario_pkt *pk)
{
	size_t plen = 8 + pk->dns_len;
	uint32_t sum;
	uint8_t *u;
	uint16_t c;

	if (!sf->buf || plen > 65535 - 40)
		return;
	u = ip_frame(sf, pk->ts_ns, &pk->src, &pk->dst, 17, plen, &sum);
	put16(u, pk->sport);
	put16(u + 2, pk->dport);
	put16(u + 4, (uint16_t)plen);
	put16(u + 6, 0);
	memcpy(u + 8, pk->dns, pk->dns_len);
	c = csum_fold(csum_add(sum, u, plen));
	/* RFC 768: a computed zero is sent as all ones. */
	put16(u + 6, c ? c : 0xffff);
}

void scenario_pcap_tcp(struct scenario_file *sf, int64_t ts_ns, const struct dh_addr *src,
                       const struct dh_addr *dst, uint16_t sport, uint16_t dport, uint8_t flags,
                       uint32_t seq, uint32_t ack, const uint8_t *payload, size_t plen)
{
	size_t tl = 20 + plen;
	uint32_t sum;
	uint8_t *t;

	if (!sf->buf || tl > 65535 - 40)
		return;
	t = ip_frame(sf, ts_ns, src, dst, 6, tl, &sum);
	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
	put16(t + 14, 64240);
	put16(t + 16, 0);
	put16(t + 18, 0);
	if (plen)
		memcpy(t + 20, payload, plen);
	put16(t + 16, csum_fold(csum_add(sum, t, tl)));
}

/* BIND query log. */

int scenario_log_open(struct scenario_log *lg, const char *path)
{
	lg->sec = -1;
	lg->date_len = 0;
	return scenario_file_open(&lg->file, path);
}

static const char *type_name(uint16_t t, char *buf, size_t cap)
{
	switch (t) {
	case SCEN_T_A:
		return "A";
	case SCEN_T_NS:
		return "NS";
	case SCEN_T_CNAME:
		return "CNAME";
	case SCEN_T_SOA:
		return "SOA";
	case SCEN_T_NULL:
		return "NULL";
	case SCEN_T_PTR:
		return "PTR";
	case SCEN_T_MX:
		return "MX";
	case SCEN_T_TXT:
		return "TXT";
	case SCEN_T_AAAA:
		return "AAAA";
	case SCEN_T_HTTPS:
		return "HTTPS";
	default:
		snprintf(buf, cap, "TYPE%u", (unsigned)t);
		return buf;
	}
}

static size_t put_uint(char *p, unsigned v)
{
	char t[12];
	size_t n = 0, i;

	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		p[i] = t[n - 1 - i];
	return n;
}

void scenario_log_query(struct scenario_log *lg, const struct scenario_pkt *pk, const char *qname,
                        uint16_t qtype, int rd, int edns)
{
	static const char mon[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	char line[800], tb[16];
	int64_t sec = pk->ts_ns / 1000000000, ms = (pk->ts_ns / 1000000) % 1000;
	size_t n = 0, qn = strlen(qname);
	const char *tn;

	if (qn > 255)
		return;
	if (sec != lg->sec) {
		time_t tt = (time_t)sec;
		struct tm tm;

		gmtime_r(&tt, &tm);
		lg->date_len = (size_t)snprintf(
		    lg->date, sizeof(lg->date), "%02d-%s-%04d %02d:%02d:%02d", tm.tm_mday,
		    mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
		lg->sec = sec;
	}
	memcpy(line, lg->date, lg->date_len);
	n = lg->date_len;
	line[n++] = '.';
	line[n++] = (char)('0' + ms / 100);
	line[n++] = (char)('0' + ms / 10 % 10);
	line[n++] = (char)('0' + ms % 10);
	/* BIND prints the address of its client object; any stable hex
	 * value will do. */
	memcpy(line + n, " queries: info: client @0x7f5a1c0a4e98 ", 39);
	n += 39;
	n += dh_addr_format(&pk->src, line + n, DH_ADDR_TEXT_MAX);
	line[n++] = '#';
	n += put_uint(line + n, pk->sport);
	line[n++] = ' ';
	line[n++] = '(';
	memcpy(line + n, qname, qn);
	n += qn;
	memcpy(line + n, "): query: ", 10);
	n += 10;
	memcpy(line + n, qname, qn);
	n += qn;
	memcpy(line + n, " IN ", 4);
	n += 4;
	tn = type_name(qtype, tb, sizeof(tb));
	memcpy(line + n, tn, strlen(tn));
	n += strlen(tn);
	line[n++] = ' ';
	line[n++] = rd ? '+' : '-';
	if (edns) {
		memcpy(line + n, "E(0)", 4);
		n += 4;
	}
	if (pk->tcp)
		line[n++] = 'T';
	if (edns)
		line[n++] = 'K';
	line[n++] = ' ';
	line[n++] = '(';
	n += dh_addr_format(&pk->dst, line + n, DH_ADDR_TEXT_MAX);
	line[n++] = ')';
	line[n++] = '\n';
	scenario_file_put(&lg->file, line, n);
}

int scenario_log_close(struct scenario_log *lg)
{
	return scenario_file_close(&lg->file);
}

/* dnstap. */

static void fs_control(struct scenario_file *sf, uint32_t type, const char *ctype)
{
	uint8_t h[12 + 8 + 64];
	size_t n = 12, cl = ctype ? strlen(ctype) : 0;

	put32(h, 0); /* escape: a control frame follows */
	put32(h + 8, type);
	if (cl) {
		put32(h + 12, 1); /* CONTENT_TYPE field */
		put32(h + 16, (uint32_t)cl);
		memcpy(h + 20, ctype, cl);
		n = 20 + cl;
	}
	put32(h + 4, (uint32_t)(n - 8));
	scenario_file_put(sf, h, n);
}

int scenario_dnstap_open(struct scenario_file *sf, const char *path)
{
	int rc = scenario_file_open(sf, path);

	if (rc < 0)
		return rc;
	fs_control(sf, 2, "protobuf:dnstap.Dnstap");
	return 0;
}

static size_t pb_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Field key: number << 3 | wire type (0 varint, 2 bytes, 5 fixed32). */
static size_t pb_bytes(uint8_t *p, unsigned field, const void *data, size_t len)
{
	size_t n = pb_varint(p, (uint64_t)field << 3 | 2);

	n += pb_varint(p + n, len);
	memcpy(p + n, data, len);
	return n + len;
}

static size_t pb_uint(uint8_t *p, unsigned field, uint64_t v)
{
	size_t n = pb_varint(p, (uint64_t)field << 3);

	return n + pb_varint(p + n, v);
}

static size_t pb_fixed32(uint8_t *p, unsigned field, uint32_t v)
{
	size_t n = pb_varint(p, (uint64_t)field << 3 | 5);

	put32le(p + n, v);
	return n + 4;
}

void scenario_dnstap_msg(struct scenario_file *sf, const char *identity, unsigned type,
                         const struct scenario_pkt *pk, int response)
{
	uint8_t msg[SCEN_MSG_MAX + 128], frame[SCEN_MSG_MAX + 256 + 4];
	const struct dh_addr *qa = response ? &pk->dst : &pk->src;
	const struct dh_addr *ra = response ? &pk->src : &pk->dst;
	uint16_t qp = response ? pk->dport : pk->sport, rp = response ? pk->sport : pk->dport;
	size_t alen = qa->family == DH_AF_INET6 ? 16 : 4, m = 0, f = 4, il = strlen(identity);
	uint64_t sec = (uint64_t)(pk->ts_ns / 1000000000);
	uint32_t nsec = (uint32_t)(pk->ts_ns % 1000000000);

	if (pk->dns_len > SCEN_MSG_MAX || il > 64)
		return;
	m += pb_uint(msg + m, 1, type);
	m += pb_uint(msg + m, 2, alen == 16 ? 2 : 1);
	m += pb_uint(msg + m, 3, pk->tcp ? 2 : 1);
	m += pb_bytes(msg + m, 4, qa->a, alen);
	m += pb_bytes(msg + m, 5, ra->a, alen);
	m += pb_uint(msg + m, 6, qp);
	m += pb_uint(msg + m, 7, rp);
	if (response) {
		m += pb_uint(msg + m, 12, sec);
		m += pb_fixed32(msg + m, 13, nsec);
		m += pb_bytes(msg + m, 14, pk->dns, pk->dns_len);
	} else {
		m += pb_uint(msg + m, 8, sec);
		m += pb_fixed32(msg + m, 9, nsec);
		m += pb_bytes(msg + m, 10, pk->dns, pk->dns_len);
	}
	f += pb_bytes(frame + f, 1, identity, il);
	f += pb_bytes(frame + f, 14, msg, m);
	f += pb_uint(frame + f, 15, 1); /* Dnstap.Type MESSAGE */
	put32(frame, (uint32_t)(f - 4));
	scenario_file_put(sf, frame, f);
}

int scenario_dnstap_close(struct scenario_file *sf)
{
	if (sf->buf)
		fs_control(sf, 3, NULL);
	return scenario_file_close(sf);
}
