/*
 * detect_name.c - what the detectors look at in a query name: the first
 * label and its keyword, IP literals, reverse names, label lengths and
 * character entropy; and the escaping of names in evidence.
 */
#include <math.h>
#include <string.h>

#include "detect/detect_int.h"

size_t detect__first_label(const char *name, size_t n)
{
	const char *dot = memchr(name, '.', n);

	return dot ? (size_t)(dot - name) : n;
}

size_t detect__longest_label(const char *name, size_t n)
{
	size_t best = 0, cur = 0;

	for (size_t i = 0; i < n; i++) {
		if (name[i] == '.') {
			if (cur > best)
				best = cur;
			cur = 0;
		} else {
			cur++;
		}
	}
	return cur > best ? cur : best;
}

/* Reads a decimal octet label at name[*i..]; returns its value or -1. */
static int octet_label(const char *name, size_t n, size_t *i)
{
	int v = 0;
	size_t start = *i;

	while (*i < n && name[*i] >= '0' && name[*i] <= '9' && *i - start < 4) {
		v = v * 10 + (name[*i] - '0');
		(*i)++;
	}
	if (*i == start || *i - start > 3 || v > 255)
		return -1;
	if (*i < n && name[*i] != '.')
		return -1;
	return v;
}

static int ends_with(const char *name, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	if (n > 0 && name[n - 1] == '.')
		n--;
	return n >= k && memcmp(name + n - k, suffix, k) == 0 && (n == k || name[n - k - 1] == '.');
}

int detect__ip_literal(const char *name, size_t n)
{
	size_t i = 0;

	/* Seed 001, "Detection of Unusual Traffic of the A RR based DNS
	 * Query Traffic": "0.0.0.0", "133.9*.**.192" and
	 * "127.0.0.1.***-u.ac.jp", a literal before the local domain. */
	for (int k = 0; k < 4; k++) {
		if (octet_label(name, n, &i) < 0)
			return 0;
		if (k < 3) {
			if (i >= n || name[i] != '.')
				return 0;
			i++;
		}
	}
	/* Checked after the literal, which most names fail at their first
	 * octet: a reverse name is none. */
	if (ends_with(name, n, "in-addr.arpa") || ends_with(name, n, "ip6.arpa"))
		return 0;
	/* "10.1.2.3" or "10.1.2.3." alone, or with more labels after. */
	return (i >= n || (i + 1 == n && name[i] == '.')) ? 1 : 2;
}

int detect__keyword(const struct detect_config *cfg, const char *name, size_t n)
{
	size_t lab;

	if (n == 0)
		return -1;
	lab = detect__first_label(name, n);
	for (unsigned k = 0; k < cfg->nkeywords; k++) {
		const char *w = cfg->keywords[k];
		/* Most names start with none of the keywords' letters: one
		 * comparison rejects them before any length is taken. */
		if (w[0] != name[0])
			continue;
		size_t wl = strlen(w);
		if (wl == 0 || lab < wl || memcmp(name, w, wl) != 0)
			continue;
		/* Short keywords would head too many ordinary words ("ns" of
		 * "nsa", "mx" of "mxtoolbox" is fine but "pop" of "popular"
		 * is not): they count only as a whole label or before a
		 * digit or a hyphen (mx1, ns-2, pop3), as in the seed's
		 * tables (mx1. mx0. mx2. mx-). */
		if (wl <= 3 && lab > wl) {
			char c = name[wl];
			if (!(c >= '0' && c <= '9') && c != '-')
				continue;
		}
		return (int)k;
	}
	return -1;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int detect__reverse_addr(const char *name, size_t n, struct dh_addr *out)
{
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	if (ends_with(name, n, "in-addr.arpa")) {
		uint8_t b[4];
		for (int k = 3; k >= 0; k--) {
			int v = octet_label(name, n, &i);
			if (v < 0 || i >= n || name[i] != '.')
				return 0;
			b[k] = (uint8_t)v;
			i++;
		}
		if (strncmp(name + i, "in-addr.arpa", 12) != 0)
			return 0;
		dh_addr_set4(out, b);
		return 1;
	}
	if (ends_with(name, n, "ip6.arpa")) {
		uint8_t b[16] = {0};
		for (int k = 31; k >= 0; k--) {
			if (i + 1 >= n || name[i + 1] != '.')
				return 0;
			int v = hexval(name[i]);
			if (v < 0)
				return 0;
			b[k / 2] |= (uint8_t)(k % 2 ? v : v << 4);
			i += 2;
		}
		if (strncmp(name + i, "ip6.arpa", 8) != 0)
			return 0;
		dh_addr_set6(out, b);
		return 1;
	}
	return 0;
}

double detect__text_entropy(const char *s, size_t n)
{
	unsigned count[256] = {0};
	double h = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		count[(unsigned char)s[i]]++;
	for (unsigned c = 0; c < 256; c++) {
		if (count[c]) {
			double p = (double)count[c] / (double)n;
			h -= p * log2(p);
		}
	}
	return h;
}

void detect_json_str(struct dh_buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	dh_buf_addc(out, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			dh_buf_addc(out, '\\');
			dh_buf_addc(out, (char)c);
		} else if (c < 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '&' || c == '\'') {
			char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			dh_buf_add(out, e, sizeof(e));
		} else {
			dh_buf_addc(out, (char)c);
		}
	}
	dh_buf_addc(out, '"');
}

uint64_t detect__bm_estimate(const uint64_t *bm, size_t bits)
{
	size_t set = 0;

	for (size_t i = 0; i < bits / 64; i++)
		set += (size_t)__builtin_popcountll(bm[i]);
	if (set == 0)
		return 0;
	if (set >= bits)
		set = bits - 1; /* saturated: the estimate's ceiling */
	/* Linear counting (Whang, Vander-Zanden and Taylor, TODS 1990):
	 * n = -m ln(V), V the share of zero bits. */
	return (uint64_t)llround(-(double)bits * log((double)(bits - set) / (double)bits));
}
