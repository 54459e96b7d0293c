#include "util/addr.h"

#include <arpa/inet.h>
#include <string.h>

#include "util/err.h"

void dh_addr_set4(struct dh_addr *addr, const uint8_t *bytes4)
{
	memset(addr, 0, sizeof(*addr));
	addr->family = DH_AF_INET;
	memcpy(addr->a, bytes4, 4);
}

void dh_addr_set6(struct dh_addr *addr, const uint8_t *bytes16)
{
	addr->family = DH_AF_INET6;
	memcpy(addr->a, bytes16, 16);
}

int dh_addr_parse(struct dh_addr *addr, const char *text)
{
	uint8_t buf[16];

	if (inet_pton(AF_INET, text, buf) == 1) {
		dh_addr_set4(addr, buf);
		return 0;
	}
	if (inet_pton(AF_INET6, text, buf) == 1) {
		dh_addr_set6(addr, buf);
		return 0;
	}
	return DH_EMALFORMED;
}

/* Writes v (0-255) in decimal; returns the digits written. */
static size_t put_u8(char *o, unsigned v)
{
	if (v >= 100) {
		o[0] = (char)('0' + v / 100);
		o[1] = (char)('0' + v / 10 % 10);
		o[2] = (char)('0' + v % 10);
		return 3;
	}
	if (v >= 10) {
		o[0] = (char)('0' + v / 10);
		o[1] = (char)('0' + v % 10);
		return 2;
	}
	o[0] = (char)('0' + v);
	return 1;
}

size_t dh_addr_format4(const uint8_t *a, char *buf)
{
	size_t n = 0;
	for (int i = 0; i < 4; i++) {
		if (i)
			buf[n++] = '.';
		n += put_u8(buf + n, a[i]);
	}
	buf[n] = '\0';
	return n;
}

/* RFC 5952 section 4: lower-case hex without leading zeros, the longest
 * run of two or more zero groups (the first of equal runs) as "::", and
 * IPv4-mapped addresses in mixed notation. Hand-written because libc's
 * inet_ntop formats through printf, which costs more than the rest of a
 * DNS event's output. */
size_t dh_addr_format6(const uint8_t *a, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	unsigned g[8];
	int best = -1, best_len = 0, cur = -1, cur_len = 0;
	size_t n = 0;

	for (int i = 0; i < 8; i++) {
		g[i] = (unsigned)(a[2 * i] << 8 | a[2 * i + 1]);
		if (g[i] == 0) {
			if (cur < 0) {
				cur = i;
				cur_len = 0;
			}
			cur_len++;
			if (cur_len > best_len) {
				best = cur;
				best_len = cur_len;
			}
		} else {
			cur = -1;
		}
	}
	if (best_len < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			buf[n++] = ':';
			if (i == 0)
				buf[n++] = ':';
			i += best_len - 1;
			continue;
		}
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && g[5] == 0xffff))) {
			/* ::a.b.c.d is deprecated, ::ffff:a.b.c.d is mapped. */
			n += dh_addr_format4(a + 12, buf + n);
			return n;
		}
		int started = 0;
		for (int s = 12; s >= 0; s -= 4) {
			unsigned d = (g[i] >> s) & 15;
			if (d || started || s == 0) {
				buf[n++] = hex[d];
				started = 1;
			}
		}
		if (i < 7)
			buf[n++] = ':';
	}
	buf[n] = '\0';
	return n;
}

size_t dh_addr_format(const struct dh_addr *addr, char *buf, size_t len)
{
	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (len < DH_ADDR_TEXT_MAX)
		return 0;
	if (addr->family == DH_AF_INET)
		return dh_addr_format4(addr->a, buf);
	if (addr->family == DH_AF_INET6)
		return dh_addr_format6(addr->a, buf);
	return 0;
}

int dh_addr_equal(const struct dh_addr *x, const struct dh_addr *y)
{
	if (x->family != y->family)
		return 0;
	return memcmp(x->a, y->a, x->family == DH_AF_INET ? 4 : 16) == 0;
}
