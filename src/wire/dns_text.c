/*
 * dns_text.c - presentation form of names, mnemonics and RDATA.
 *
 * RDATA is rendered the way dig prints it (RFC 1035 5.1 and the RFC of
 * each type), with two deliberate differences: domain names inside RDATA
 * are lower-cased like every other name dnshound stores, so that a CNAME
 * target compares equal to the owner it points at whatever case the
 * server (or 0x20 randomisation) used; and long hex or base64 fields are
 * not split by spaces. RDATA that does not match its type's layout is
 * rendered in the RFC 3597 unknown form ("\# len hex") instead of failing,
 * so that nothing a hostile server sends is lost or misread.
 */
#include "wire/dns_text.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/addr.h"
#include "util/cursor.h"
#include "util/err.h"
#include "wire/dns_name.h"

/* ---- mnemonics ------------------------------------------------------ */

/* RR types from the IANA "Resource Record (RR) TYPEs" registry, spelled
 * as BIND's dig prints them. Everything below 262 sits in one array;
 * the two above (TA, DLV) are handled apart. */
#define TYPE_TABLE_LEN 261

static const char *const type_names[TYPE_TABLE_LEN] = {
    [1] = "A",         [2] = "NS",      [3] = "MD",          [4] = "MF",
    [5] = "CNAME",     [6] = "SOA",     [7] = "MB",          [8] = "MG",
    [9] = "MR",        [10] = "NULL",   [11] = "WKS",        [12] = "PTR",
    [13] = "HINFO",    [14] = "MINFO",  [15] = "MX",         [16] = "TXT",
    [17] = "RP",       [18] = "AFSDB",  [19] = "X25",        [20] = "ISDN",
    [21] = "RT",       [22] = "NSAP",   [23] = "NSAP-PTR",   [24] = "SIG",
    [25] = "KEY",      [26] = "PX",     [27] = "GPOS",       [28] = "AAAA",
    [29] = "LOC",      [30] = "NXT",    [31] = "EID",        [32] = "NIMLOC",
    [33] = "SRV",      [34] = "ATMA",   [35] = "NAPTR",      [36] = "KX",
    [37] = "CERT",     [38] = "A6",     [39] = "DNAME",      [40] = "SINK",
    [41] = "OPT",      [42] = "APL",    [43] = "DS",         [44] = "SSHFP",
    [45] = "IPSECKEY", [46] = "RRSIG",  [47] = "NSEC",       [48] = "DNSKEY",
    [49] = "DHCID",    [50] = "NSEC3",  [51] = "NSEC3PARAM", [52] = "TLSA",
    [53] = "SMIMEA",   [55] = "HIP",    [56] = "NINFO",      [57] = "RKEY",
    [58] = "TALINK",   [59] = "CDS",    [60] = "CDNSKEY",    [61] = "OPENPGPKEY",
    [62] = "CSYNC",    [63] = "ZONEMD", [64] = "SVCB",       [65] = "HTTPS",
    [99] = "SPF",      [100] = "UINFO", [101] = "UID",       [102] = "GID",
    [103] = "UNSPEC",  [104] = "NID",   [105] = "L32",       [106] = "L64",
    [107] = "LP",      [108] = "EUI48", [109] = "EUI64",     [249] = "TKEY",
    [250] = "TSIG",    [251] = "IXFR",  [252] = "AXFR",      [253] = "MAILB",
    [254] = "MAILA",   [255] = "ANY",   [256] = "URI",       [257] = "CAA",
    [258] = "AVC",     [259] = "DOA",   [260] = "AMTRELAY",
};

#define TYPE_TA  32768
#define TYPE_DLV 32769

/* RFC 1035 3.2.4 and 3.2.5, RFC 2136 (NONE). CLASS 2 (CSNET) is printed
 * as CLASS2, as dig does. */
static const char *const class_names[256] = {
    [1] = "IN", [3] = "CH", [4] = "HS", [254] = "NONE", [255] = "ANY",
};

/* IANA "DNS RCODEs". 16 is BADVERS in an OPT record and BADSIG in a
 * TSIG; a message's RCODE is the OPT kind, so BADVERS is printed. */
static const char *const rcode_names[24] = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",  "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
    "NXRRSET", "NOTAUTH", "NOTZONE",  "DSOTYPENI", NULL,      NULL,      NULL,       NULL,
    "BADVERS", "BADKEY",  "BADTIME",  "BADMODE",   "BADNAME", "BADALG",  "BADTRUNC", "BADCOOKIE",
};

/* IANA "DNS OpCodes": 3 is unassigned. */
static const char *const opcode_names[16] = {
    "QUERY", "IQUERY", "STATUS", NULL, "NOTIFY", "UPDATE", "DSO",
};

static const char *unknown_name(const char *prefix, unsigned v, char *buf, size_t buflen)
{
	if (!buf || buflen == 0)
		return "";
	(void)snprintf(buf, buflen, "%s%u", prefix, v);
	return buf;
}

const char *dns_type_name(uint16_t type, char *buf, size_t buflen)
{
	if (type < TYPE_TABLE_LEN && type_names[type])
		return type_names[type];
	if (type == TYPE_TA)
		return "TA";
	if (type == TYPE_DLV)
		return "DLV";
	return unknown_name("TYPE", type, buf, buflen);
}

const char *dns_class_name(uint16_t rclass, char *buf, size_t buflen)
{
	if (rclass < 256 && class_names[rclass])
		return class_names[rclass];
	return unknown_name("CLASS", rclass, buf, buflen);
}

const char *dns_rcode_name(unsigned rcode, char *buf, size_t buflen)
{
	if (rcode < sizeof(rcode_names) / sizeof(rcode_names[0]) && rcode_names[rcode])
		return rcode_names[rcode];
	return unknown_name("RCODE", rcode, buf, buflen);
}

const char *dns_opcode_name(unsigned opcode, char *buf, size_t buflen)
{
	if (opcode < 16 && opcode_names[opcode])
		return opcode_names[opcode];
	return unknown_name("OPCODE", opcode, buf, buflen);
}

/* Parses 1 to 5 decimal digits up to 65535, nothing else. */
static int parse_u16(const char *s, uint16_t *v)
{
	unsigned long n = 0;
	size_t i;

	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 5)
			return DH_ENOTFOUND;
		n = n * 10 + (unsigned long)(s[i] - '0');
	}
	if (i == 0 || n > 65535)
		return DH_ENOTFOUND;
	*v = (uint16_t)n;
	return 0;
}

int dns_type_parse(const char *text, uint16_t *type)
{
	if (!text || !type)
		return DH_ENOTFOUND;
	for (unsigned i = 0; i < TYPE_TABLE_LEN; i++) {
		if (type_names[i] && strcasecmp(text, type_names[i]) == 0) {
			*type = (uint16_t)i;
			return 0;
		}
	}
	if (strcasecmp(text, "TA") == 0) {
		*type = TYPE_TA;
		return 0;
	}
	if (strcasecmp(text, "DLV") == 0) {
		*type = TYPE_DLV;
		return 0;
	}
	/* RFC 3597 5: TYPEnnn names any type by number. */
	if (strncasecmp(text, "TYPE", 4) == 0)
		return parse_u16(text + 4, type);
	return DH_ENOTFOUND;
}

/* ---- bounded text output -------------------------------------------- */

/* Output into the caller's buffer: what does not fit is dropped and
 * remembered as DH_ESPACE, and the writers go on so that the RDATA is
 * still read to its end (a layout error must be found whatever the
 * buffer size). */
struct txt {
	char *buf;
	size_t cap;
	size_t len;
	int err;
};

static void txt_init(struct txt *t, char *buf, size_t cap)
{
	t->buf = buf;
	t->cap = cap;
	t->len = 0;
	t->err = cap ? 0 : DH_ESPACE;
	if (cap)
		buf[0] = '\0';
}

static void put(struct txt *t, const char *s, size_t n)
{
	size_t room = t->cap > t->len ? t->cap - t->len - 1 : 0;

	if (n > room) {
		n = room;
		t->err = DH_ESPACE;
	}
	if (n) {
		memcpy(t->buf + t->len, s, n);
		t->len += n;
	}
}

static void put_str(struct txt *t, const char *s)
{
	put(t, s, strlen(s));
}

static void put_char(struct txt *t, char c)
{
	put(t, &c, 1);
}

static void put_uint(struct txt *t, unsigned long v)
{
	char num[24];
	size_t i = sizeof(num);

	do {
		num[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(t, num + i, sizeof(num) - i);
}

/* Returns the length, or DH_ESPACE when the text was cut. */
static int txt_finish(struct txt *t)
{
	if (t->cap)
		t->buf[t->len] = '\0';
	return t->err ? t->err : (int)t->len;
}

static void put_hex(struct txt *t, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		char two[2] = {digits[p[i] >> 4], digits[p[i] & 0xf]};
		put(t, two, 2);
	}
}

/* RFC 4648 4, with padding. */
static void put_base64(struct txt *t, const uint8_t *p, size_t n)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		size_t k = n - i;
		if (k > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (k > 2)
			v |= p[i + 2];
		char four[4] = {alphabet[(v >> 18) & 63], alphabet[(v >> 12) & 63],
		                k > 1 ? alphabet[(v >> 6) & 63] : '=',
		                k > 2 ? alphabet[v & 63] : '='};
		put(t, four, 4);
	}
}

/* RFC 4648 7 ("base32hex"), without padding as NSEC3 uses it (RFC 5155
 * 3.3). */
static void put_base32hex(struct txt *t, const uint8_t *p, size_t n)
{
	static const char alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
	uint32_t acc = 0;
	unsigned bits = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | p[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			put_char(t, alphabet[(acc >> bits) & 31]);
		}
	}
	if (bits > 0)
		put_char(t, alphabet[(acc << (5 - bits)) & 31]);
}

/* One character-string's contents inside double quotes, escaped as dig
 * does: '"' and '\\' behind a backslash, octets outside 0x20-0x7e as \DDD. */
static void put_quoted_body(struct txt *t, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t b = p[i];
		if (b == '"' || b == '\\') {
			char two[2] = {'\\', (char)b};
			put(t, two, 2);
		} else if (b < 0x20 || b > 0x7e) {
			char four[4] = {'\\', (char)('0' + b / 100), (char)('0' + b / 10 % 10),
			                (char)('0' + b % 10)};
			put(t, four, 4);
		} else {
			put_char(t, (char)b);
		}
	}
}

static void put_quoted(struct txt *t, const uint8_t *p, size_t n)
{
	put_char(t, '"');
	put_quoted_body(t, p, n);
	put_char(t, '"');
}

/* ---- RDATA ----------------------------------------------------------- */

/* The RDATA being rendered: a cursor over it, and where it sits in the
 * message so that names can follow compression pointers. */
struct rd {
	const uint8_t *wire;
	size_t wire_len;
	size_t base; /* offset of the RDATA in wire */
	size_t end;  /* offset just past the RDATA */
	struct cur c;
	struct txt *t;
};

/* A domain name inside the RDATA; its labels in place may not run past
 * the RDATA, its pointers obey the rules of dns_name.c. */
static int rd_name(struct rd *r)
{
	char name[DNS_NAME_TEXT_MAX];
	size_t next;

	if (r->c.err)
		return r->c.err;
	size_t off = r->base + cur_offset(&r->c);
	int n = dns__name_decode(r->wire, r->wire_len, off, r->end, name, sizeof(name), 1, &next);
	if (n < 0)
		return n;
	cur_skip(&r->c, next - off);
	put(r->t, name, (size_t)n);
	return 0;
}

/* A <character-string> (RFC 1035 3.3), quoted. */
static int rd_charstr(struct rd *r)
{
	uint8_t n = cur_u8(&r->c);
	const uint8_t *p = cur_take(&r->c, n);

	if (!p)
		return DH_EMALFORMED;
	put_quoted(r->t, p, n);
	return 0;
}

static void rd_u8(struct rd *r)
{
	put_uint(r->t, cur_u8(&r->c));
}

static void rd_u16(struct rd *r)
{
	put_uint(r->t, cur_u16(&r->c));
}

static void rd_u32(struct rd *r)
{
	put_uint(r->t, cur_u32(&r->c));
}

static void rd_sp(struct rd *r)
{
	put_char(r->t, ' ');
}

static void put_ip4(struct txt *t, const uint8_t *p)
{
	char a[DH_ADDR_TEXT_MAX];

	put(t, a, dh_addr_format4(p, a));
}

static void put_ip6(struct txt *t, const uint8_t *p)
{
	char a[DH_ADDR_TEXT_MAX];

	put(t, a, dh_addr_format6(p, a));
}

/* The rest of the RDATA in one go; an empty rest is a layout error. */
static const uint8_t *rd_rest(struct rd *r, size_t *n)
{
	*n = cur_left(&r->c);
	if (*n == 0)
		return NULL;
	return cur_take(&r->c, *n);
}

/* A 64-bit locator or node id as four groups of hex (RFC 6742 2.1, 2.3). */
static void rd_locator64(struct rd *r)
{
	const uint8_t *p = cur_take(&r->c, 8);
	char text[20];

	if (!p)
		return;
	(void)snprintf(text, sizeof(text), "%02x%02x:%02x%02x:%02x%02x:%02x%02x", p[0], p[1], p[2],
	               p[3], p[4], p[5], p[6], p[7]);
	put_str(r->t, text);
}

/* RRSIG times, RFC 4034 3.2: YYYYMMDDHHmmSS in UTC. */
static void rd_time(struct rd *r)
{
	time_t when = (time_t)cur_u32(&r->c);
	struct tm tm;
	char text[32];

	if (!gmtime_r(&when, &tm))
		return;
	(void)snprintf(text, sizeof(text), "%04d%02d%02d%02d%02d%02d", tm.tm_year + 1900,
	               tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	put_str(r->t, text);
}

/* The type bit maps of NSEC and NSEC3 (RFC 4034 4.1.2): windows in
 * increasing order, each of 1 to 32 octets. */
static int rd_bitmap(struct rd *r)
{
	int prev = -1;

	while (cur_left(&r->c) > 0) {
		uint8_t window = cur_u8(&r->c);
		uint8_t n = cur_u8(&r->c);
		const uint8_t *bits = cur_take(&r->c, n);
		if (!bits || n == 0 || n > 32 || (int)window <= prev)
			return DH_EMALFORMED;
		prev = window;
		for (unsigned i = 0; i < (unsigned)n * 8; i++) {
			if (!(bits[i / 8] & (0x80 >> (i % 8))))
				continue;
			char buf[16];
			rd_sp(r);
			put_str(r->t,
			        dns_type_name((uint16_t)(window * 256 + i), buf, sizeof(buf)));
		}
	}
	return 0;
}

static int rd_mx_like(struct rd *r)
{
	rd_u16(r);
	rd_sp(r);
	return rd_name(r);
}

static int rd_two_names(struct rd *r)
{
	int rc = rd_name(r);

	rd_sp(r);
	return rc ? rc : rd_name(r);
}

static int rd_soa(struct rd *r)
{
	int rc = rd_two_names(r);

	for (int i = 0; i < 5; i++) {
		rd_sp(r);
		rd_u32(r);
	}
	return rc;
}

static int rd_txt(struct rd *r)
{
	/* TXT needs at least one string (RFC 1035 3.3.14). */
	if (cur_left(&r->c) == 0)
		return DH_EMALFORMED;
	for (int first = 1; cur_left(&r->c) > 0; first = 0) {
		if (!first)
			rd_sp(r);
		if (rd_charstr(r) < 0)
			return DH_EMALFORMED;
	}
	return 0;
}

static int rd_srv(struct rd *r)
{
	rd_u16(r);
	rd_sp(r);
	rd_u16(r);
	rd_sp(r);
	rd_u16(r);
	rd_sp(r);
	return rd_name(r);
}

static int rd_naptr(struct rd *r)
{
	rd_u16(r);
	rd_sp(r);
	rd_u16(r);
	for (int i = 0; i < 3; i++) {
		rd_sp(r);
		if (rd_charstr(r) < 0)
			return DH_EMALFORMED;
	}
	rd_sp(r);
	return rd_name(r);
}

/* RFC 8659 4.1: flags, a tag of 1 to 15 letters and digits, a value. */
static int rd_caa(struct rd *r)
{
	rd_u8(r);
	uint8_t n = cur_u8(&r->c);
	const uint8_t *tag = cur_take(&r->c, n);
	if (!tag || n == 0 || n > 15)
		return DH_EMALFORMED;
	for (unsigned i = 0; i < n; i++) {
		uint8_t b = tag[i];
		if (!((b >= '0' && b <= '9') || ((b | 0x20) >= 'a' && (b | 0x20) <= 'z')))
			return DH_EMALFORMED;
	}
	rd_sp(r);
	put(r->t, (const char *)tag, n);
	rd_sp(r);
	size_t vlen = cur_left(&r->c);
	put_quoted(r->t, cur_take(&r->c, vlen), vlen);
	return 0;
}

/* RFC 7553 4.5: priority, weight, target as one quoted string. */
static int rd_uri(struct rd *r)
{
	rd_u16(r);
	rd_sp(r);
	rd_u16(r);
	rd_sp(r);
	size_t n;
	const uint8_t *p = rd_rest(r, &n);
	if (!p)
		return DH_EMALFORMED;
	put_quoted(r->t, p, n);
	return 0;
}

/* DS, CDS, DLV (RFC 4034 5.3): key tag, algorithm, digest type, digest. */
static int rd_ds(struct rd *r)
{
	size_t n;

	rd_u16(r);
	rd_sp(r);
	rd_u8(r);
	rd_sp(r);
	rd_u8(r);
	rd_sp(r);
	const uint8_t *p = rd_rest(r, &n);
	if (!p)
		return DH_EMALFORMED;
	put_hex(r->t, p, n);
	return 0;
}

/* DNSKEY, CDNSKEY, KEY (RFC 4034 2.2): flags, protocol, algorithm, key. */
static int rd_dnskey(struct rd *r)
{
	size_t n;

	rd_u16(r);
	rd_sp(r);
	rd_u8(r);
	rd_sp(r);
	rd_u8(r);
	rd_sp(r);
	const uint8_t *p = rd_rest(r, &n);
	if (!p)
		return DH_EMALFORMED;
	put_base64(r->t, p, n);
	return 0;
}

/* RRSIG and SIG (RFC 4034 3.2). */
static int rd_rrsig(struct rd *r)
{
	char buf[16];
	size_t n;

	put_str(r->t, dns_type_name(cur_u16(&r->c), buf, sizeof(buf)));
	rd_sp(r);
	rd_u8(r);
	rd_sp(r);
	rd_u8(r);
	rd_sp(r);
	rd_u32(r);
	rd_sp(r);
	rd_time(r);
	rd_sp(r);
	rd_time(r);
	rd_sp(r);
	rd_u16(r);
	rd_sp(r);
	int rc = rd_name(r);
	if (rc < 0)
		return rc;
	rd_sp(r);
	const uint8_t *p = rd_rest(r, &n);
	if (!p)
		return DH_EMALFORMED;
	put_base64(r->t, p, n);
	return 0;
}

static int rd_nsec(struct rd *r)
{
	int rc = rd_name(r);

	return rc < 0 ? rc : rd_bitmap(r);
}

/* NSEC3PARAM's fields, which start NSEC3 too (RFC 5155 4.2): the salt is
 * hex, "-" when empty. */
static int rd_nsec3param(struct rd *r)
{
	rd_u8(r);
	rd_sp(r);
	rd_u8(r);
	rd_sp(r);
	rd_u16(r);
	rd_sp(r);
	uint8_t n = cur_u8(&r->c);
	const uint8_t *salt = cur_take(&r->c, n);
	if (!salt)
		return DH_EMALFORMED;
	if (n == 0)
		put_char(r->t, '-');
	else
		put_hex(r->t, salt, n);
	return 0;
}

static int rd_nsec3(struct rd *r)
{
	if (rd_nsec3param(r) < 0)
		return DH_EMALFORMED;
	rd_sp(r);
	uint8_t n = cur_u8(&r->c);
	const uint8_t *hash = cur_take(&r->c, n);
	if (!hash || n == 0)
		return DH_EMALFORMED;
	put_base32hex(r->t, hash, n);
	return rd_bitmap(r);
}

/* CSYNC (RFC 7477 2.1): SOA serial, flags, the types to synchronise. */
static int rd_csync(struct rd *r)
{
	rd_u32(r);
	rd_sp(r);
	rd_u16(r);
	return r->c.err ? DH_EMALFORMED : rd_bitmap(r);
}

/* ZONEMD (RFC 8976 2.3): serial, scheme, hash algorithm, a digest of at
 * least 12 octets. */
static int rd_zonemd(struct rd *r)
{
	size_t n;

	rd_u32(r);
	rd_sp(r);
	rd_u8(r);
	rd_sp(r);
	rd_u8(r);
	rd_sp(r);
	const uint8_t *p = rd_rest(r, &n);
	if (!p || n < 12)
		return DH_EMALFORMED;
	put_hex(r->t, p, n);
	return 0;
}

/* SSHFP (RFC 4255 3.2) and TLSA/SMIMEA (RFC 6698 2.2) share the shape
 * "small numbers, then hex". */
static int rd_numbers_hex(struct rd *r, int numbers)
{
	size_t n;

	for (int i = 0; i < numbers; i++) {
		rd_u8(r);
		rd_sp(r);
	}
	const uint8_t *p = rd_rest(r, &n);
	if (!p)
		return DH_EMALFORMED;
	put_hex(r->t, p, n);
	return 0;
}

static int rd_base64_only(struct rd *r)
{
	size_t n;
	const uint8_t *p = rd_rest(r, &n);

	if (!p)
		return DH_EMALFORMED;
	put_base64(r->t, p, n);
	return 0;
}

/* EUI48 and EUI64 (RFC 7043 3.2, 4.2): hex pairs joined by '-'. */
static int rd_eui(struct rd *r, size_t n)
{
	const uint8_t *p = cur_take(&r->c, n);

	if (!p)
		return DH_EMALFORMED;
	for (size_t i = 0; i < n; i++) {
		char three[3];
		(void)snprintf(three, sizeof(three), "%02x", p[i]);
		if (i)
			put_char(r->t, '-');
		put(r->t, three, 2);
	}
	return 0;
}

/* SVCB and HTTPS, RFC 9460 2.1 and 7. */

static const char *const svc_keys[] = {
    "mandatory", "alpn",     "no-default-alpn", "port",  "ipv4hint",
    "ech",       "ipv6hint", "dohpath",         "ohttp",
};

static void put_svc_key(struct txt *t, uint16_t key)
{
	if (key < sizeof(svc_keys) / sizeof(svc_keys[0])) {
		put_str(t, svc_keys[key]);
	} else {
		put_str(t, "key");
		put_uint(t, key);
	}
}

/* alpn's value is a comma-separated list inside quotes (RFC 9460 A.1):
 * a comma or backslash inside one id is escaped for the list, and that
 * backslash again for the quoted string, as dig prints it. */
static int svc_alpn(struct txt *t, const uint8_t *p, size_t n)
{
	struct cur c;

	if (n == 0)
		return DH_EMALFORMED;
	cur_init(&c, p, n);
	put_str(t, "=\"");
	for (int first = 1; cur_left(&c) > 0; first = 0) {
		uint8_t len = cur_u8(&c);
		const uint8_t *id = cur_take(&c, len);
		if (!id || len == 0)
			return DH_EMALFORMED;
		if (!first)
			put_char(t, ',');
		for (unsigned i = 0; i < len; i++) {
			if (id[i] == ',')
				put_str(t, "\\\\,");
			else if (id[i] == '\\')
				put_str(t, "\\\\\\\\");
			else
				put_quoted_body(t, id + i, 1);
		}
	}
	put_char(t, '"');
	return 0;
}

static int svc_value(struct txt *t, uint16_t key, const uint8_t *p, size_t n)
{
	switch (key) {
	case 0: /* mandatory: a list of keys */
		if (n == 0 || n % 2)
			return DH_EMALFORMED;
		put_char(t, '=');
		for (size_t i = 0; i < n; i += 2) {
			if (i)
				put_char(t, ',');
			put_svc_key(t, (uint16_t)((p[i] << 8) | p[i + 1]));
		}
		return 0;
	case 1:
		return svc_alpn(t, p, n);
	case 2: /* no-default-alpn */
	case 8: /* ohttp, RFC 9540 4 */
		return n == 0 ? 0 : DH_EMALFORMED;
	case 3: /* port */
		if (n != 2)
			return DH_EMALFORMED;
		put_char(t, '=');
		put_uint(t, (unsigned long)((p[0] << 8) | p[1]));
		return 0;
	case 4: /* ipv4hint */
		if (n == 0 || n % 4)
			return DH_EMALFORMED;
		put_char(t, '=');
		for (size_t i = 0; i < n; i += 4) {
			if (i)
				put_char(t, ',');
			put_ip4(t, p + i);
		}
		return 0;
	case 5: /* ech: an ECHConfigList in base64 */
		if (n == 0)
			return DH_EMALFORMED;
		put_char(t, '=');
		put_base64(t, p, n);
		return 0;
	case 6: /* ipv6hint */
		if (n == 0 || n % 16)
			return DH_EMALFORMED;
		put_char(t, '=');
		for (size_t i = 0; i < n; i += 16) {
			if (i)
				put_char(t, ',');
			put_ip6(t, p + i);
		}
		return 0;
	default: /* dohpath (RFC 9461) and unknown keys: a quoted string */
		if (n == 0 && key != 7)
			return 0;
		put_char(t, '=');
		put_quoted(t, p, n);
		return 0;
	}
}

static int rd_svcb(struct rd *r)
{
	long prev = -1;

	rd_u16(r);
	rd_sp(r);
	int rc = rd_name(r);
	if (rc < 0)
		return rc;
	while (cur_left(&r->c) > 0) {
		uint16_t key = cur_u16(&r->c);
		uint16_t n = cur_u16(&r->c);
		const uint8_t *p = cur_take(&r->c, n);
		/* Keys must be strictly increasing (RFC 9460 2.2). */
		if (!p || (long)key <= prev)
			return DH_EMALFORMED;
		prev = key;
		rd_sp(r);
		put_svc_key(r->t, key);
		if (svc_value(r->t, key, p, n) < 0)
			return DH_EMALFORMED;
	}
	return 0;
}

/* Renders by type; returns 0, or a negative code when the RDATA does not
 * have the type's layout. The caller also checks that it was read to its
 * end. */
static int rd_typed(struct rd *r, uint16_t type)
{
	const uint8_t *p;

	switch (type) {
	case DNS_T_A:
		p = cur_take(&r->c, 4);
		if (!p)
			return DH_EMALFORMED;
		put_ip4(r->t, p);
		return 0;
	case DNS_T_AAAA:
		p = cur_take(&r->c, 16);
		if (!p)
			return DH_EMALFORMED;
		put_ip6(r->t, p);
		return 0;
	case DNS_T_NS:
	case 3: /* MD */
	case 4: /* MF */
	case DNS_T_CNAME:
	case 7: /* MB */
	case 8: /* MG */
	case 9: /* MR */
	case DNS_T_PTR:
	case DNS_T_DNAME:
		return rd_name(r);
	case DNS_T_SOA:
		return rd_soa(r);
	case DNS_T_HINFO:
		if (rd_charstr(r) < 0)
			return DH_EMALFORMED;
		rd_sp(r);
		return rd_charstr(r);
	case 14: /* MINFO */
	case 17: /* RP */
		return rd_two_names(r);
	case DNS_T_MX:
	case 18:  /* AFSDB */
	case 21:  /* RT */
	case 36:  /* KX */
	case 107: /* LP */
		return rd_mx_like(r);
	case DNS_T_TXT:
	case DNS_T_SPF:
		return rd_txt(r);
	case DNS_T_SRV:
		return rd_srv(r);
	case DNS_T_NAPTR:
		return rd_naptr(r);
	case DNS_T_DS:
	case 59: /* CDS */
	case TYPE_DLV:
		return rd_ds(r);
	case DNS_T_DNSKEY:
	case 25: /* KEY */
	case 60: /* CDNSKEY */
		return rd_dnskey(r);
	case DNS_T_RRSIG:
	case 24: /* SIG */
		return rd_rrsig(r);
	case DNS_T_NSEC:
		return rd_nsec(r);
	case 50:
		return rd_nsec3(r);
	case 51:
		return rd_nsec3param(r);
	case 62:
		return rd_csync(r);
	case 63:
		return rd_zonemd(r);
	case 44: /* SSHFP */
		return rd_numbers_hex(r, 2);
	case 52: /* TLSA */
	case 53: /* SMIMEA */
		return rd_numbers_hex(r, 3);
	case 49: /* DHCID */
	case 61: /* OPENPGPKEY */
		return rd_base64_only(r);
	case DNS_T_SVCB:
	case DNS_T_HTTPS:
		return rd_svcb(r);
	case 104: /* NID */
	case 106: /* L64 */
		rd_u16(r);
		rd_sp(r);
		rd_locator64(r);
		return 0;
	case 105: /* L32 */
		rd_u16(r);
		rd_sp(r);
		p = cur_take(&r->c, 4);
		if (!p)
			return DH_EMALFORMED;
		put_ip4(r->t, p);
		return 0;
	case 108:
		return rd_eui(r, 6);
	case 109:
		return rd_eui(r, 8);
	case 256:
		return rd_uri(r);
	case DNS_T_CAA:
		return rd_caa(r);
	default:
		return DH_ENOTFOUND;
	}
}

/* RFC 3597 5: "\# len hex", "\# 0" when empty. */
static void rd_unknown(struct txt *t, const uint8_t *p, size_t n)
{
	put_str(t, "\\# ");
	put_uint(t, n);
	if (n) {
		put_char(t, ' ');
		put_hex(t, p, n);
	}
}

static int copy_text(const char *text, char *buf, size_t buflen)
{
	struct txt t;

	txt_init(&t, buf, buflen);
	if (text)
		put_str(&t, text);
	return txt_finish(&t);
}

int dns_rr_data_text(const struct dns_msg *m, const struct dns_rr *rr, char *buf, size_t buflen)
{
	struct txt t;
	struct rd r;

	if (!m || !rr || !buf)
		return DH_EUSAGE;
	if (!m->wire)
		return copy_text(rr->data_text, buf, buflen);
	txt_init(&t, buf, buflen);
	if ((size_t)rr->rdata + rr->rdlen > m->wire_len) {
		/* Not a record dns_parse() produced. */
		(void)txt_finish(&t);
		return DH_EUSAGE;
	}
	r.wire = m->wire;
	r.wire_len = m->wire_len;
	r.base = rr->rdata;
	r.end = (size_t)rr->rdata + rr->rdlen;
	r.t = &t;
	cur_init(&r.c, m->wire + rr->rdata, rr->rdlen);

	int rc = rd_typed(&r, rr->type);
	if (rc < 0 || r.c.err || cur_left(&r.c) != 0) {
		/* Unknown type, or RDATA that does not have its type's
		 * layout: start again in the form that shows every octet. */
		txt_init(&t, buf, buflen);
		rd_unknown(&t, m->wire + rr->rdata, rr->rdlen);
	}
	return txt_finish(&t);
}

int dns_name_text(const uint8_t *wire, size_t len, size_t off, char *buf, size_t buflen, int lower)
{
	char name[DNS_NAME_TEXT_MAX];
	struct txt t;
	int n;

	if (!buf)
		return DH_EUSAGE;
	txt_init(&t, buf, buflen);
	if (!wire) {
		(void)txt_finish(&t);
		return DH_EUSAGE;
	}
	/* Decoding into a buffer that always fits keeps the size limits of
	 * the caller's buffer out of the decoder. */
	n = dns__name_decode(wire, len, off, len, name, sizeof(name), lower, NULL);
	if (n < 0) {
		(void)txt_finish(&t);
		return n;
	}
	put(&t, name, (size_t)n);
	return txt_finish(&t);
}

int dns_rr_owner_text(const struct dns_msg *m, const struct dns_rr *rr, char *buf, size_t buflen)
{
	if (!m || !rr || !buf)
		return DH_EUSAGE;
	if (!m->wire)
		return copy_text(rr->owner_text, buf, buflen);
	return dns_name_text(m->wire, m->wire_len, rr->owner, buf, buflen, 1);
}
