/*
 * dns_name.c - decoding of (possibly compressed) names, RFC 1035 4.1.4,
 * into presentation form, RFC 1035 5.1.
 *
 * A compression pointer is only a 14-bit offset, so a hostile message can
 * make it point at itself, forward, or into a cycle of names; tcpdump's
 * print-domain.c had to learn this the hard way. The rule used here is
 * stricter than "points before the pointer": it must point before the
 * start of the run of labels that contains it. Each jump therefore lands
 * strictly further back than the previous one, which rules out every loop
 * by construction; the jump cap and the 255-octet limit bound the work.
 */
#include "wire/dns_name.h"

#include "util/err.h"

/* How a name octet is written: 0 as is, 1 as is or lower-cased (A-Z),
 * 2 behind a backslash ('.' and '\\'), 3 as \DDD (everything outside
 * 0x21-0x7e), RFC 1035 5.1. */
static const uint8_t name_class[256] = {
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* 0x00 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* 0x10 */
    3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, /* 0x20 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x30 */
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 2, 0, 0, 0, /* 0x50 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x60 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, /* 0x70 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* 0x80 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* 0x90 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* 0xa0 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* 0xb0 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* 0xc0 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* 0xd0 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* 0xe0 */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* 0xf0 */
};

/* Writes one label's octets; the caller has checked that out has room for
 * four characters per octet. Returns the number of characters written. */
static size_t label_text(const uint8_t *p, size_t n, char *out, int lower)
{
	char *o = out;

	for (size_t i = 0; i < n; i++) {
		uint8_t b = p[i];
		switch (name_class[b]) {
		case 0:
			*o++ = (char)b;
			break;
		case 1:
			*o++ = (char)(lower ? b + ('a' - 'A') : b);
			break;
		case 2:
			*o++ = '\\';
			*o++ = (char)b;
			break;
		default:
			*o++ = '\\';
			*o++ = (char)('0' + b / 100);
			*o++ = (char)('0' + b / 10 % 10);
			*o++ = (char)('0' + b % 10);
			break;
		}
	}
	return (size_t)(o - out);
}

int dns__name_decode(const uint8_t *wire, size_t wire_len, size_t off, size_t limit, char *out,
                     size_t outcap, int lower, size_t *next)
{
	size_t pos = off;   /* the octet being read */
	size_t run = off;   /* start of the current run of labels */
	size_t lim = limit; /* in place: the caller's limit; after a jump: wire_len */
	size_t wlen = 0;    /* wire octets of the labels so far */
	size_t o = 0;       /* characters written */
	size_t after = 0;   /* offset just past the name as it sits at off */
	unsigned jumps = 0;
	int rc;

	if (outcap < 2) {
		rc = DH_ESPACE;
		goto out;
	}
	if (lim > wire_len)
		lim = wire_len;
	for (;;) {
		if (pos >= lim) {
			rc = DH_ETRUNC;
			goto out;
		}
		uint8_t b = wire[pos];
		if (b == 0) {
			pos++;
			break;
		}
		if ((b & 0xc0) == 0xc0) {
			if (lim - pos < 2) {
				rc = DH_ETRUNC;
				goto out;
			}
			size_t target = ((size_t)(b & 0x3f) << 8) | wire[pos + 1];
			if (jumps == 0)
				after = pos + 2;
			if (target >= run || ++jumps > DNS_PTR_MAX) {
				rc = DH_ELOOP;
				goto out;
			}
			pos = run = target;
			lim = wire_len;
			continue;
		}
		if (b & 0xc0) {
			/* 0x40 (RFC 6891 extended labels, never deployed)
			 * and 0x80 are reserved. */
			rc = DH_ELABEL;
			goto out;
		}
		/* The label, its length octet and the final zero octet must
		 * fit in 255 octets. */
		if (wlen + b + 1 + 1 > DNS_NAME_WIRE_MAX) {
			rc = DH_ENAMELEN;
			goto out;
		}
		if (lim - pos - 1 < b) {
			rc = DH_ETRUNC;
			goto out;
		}
		/* 255 octets give at most 4 * 254 characters, so a buffer of
		 * DNS_NAME_TEXT_MAX never fails here; smaller ones may. */
		if (outcap - o < (size_t)b * 4 + 2) {
			rc = DH_ESPACE;
			goto out;
		}
		o += label_text(wire + pos + 1, b, out + o, lower);
		out[o++] = '.';
		wlen += (size_t)b + 1;
		pos += (size_t)b + 1;
	}
	if (jumps == 0)
		after = pos;
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	if (next)
		*next = after;
	rc = (int)o;
out:
	if (rc < 0 && outcap > 0)
		out[0] = '\0';
	return rc;
}
