/*
 * allow.c - sets of hosts, networks and name suffixes.
 *
 * Every entry is one key in one open-addressing hash table: a network is
 * (family, prefix length, address masked to it), a host a network of full
 * length, a suffix its lower-cased text without the trailing dot. An
 * address is looked up once per prefix length that the set holds for its
 * family, a name once per label boundary, so the cost does not grow with
 * the number of entries.
 */
#include "util/allow.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/hash.h"

#define KEY_NET  1
#define KEY_NAME 2
/* A name key is at most 253 octets of text; a network key 1 + 1 + 16. */
#define KEY_MAX 256

struct slot {
	uint64_t h;
	uint8_t *key; /* owned, from malloc(); NULL = empty */
	uint16_t len;
};

struct dh_allow {
	struct slot *slots; /* owned; cap entries, a power of two */
	size_t cap, n;
	/* Which prefix lengths hold entries, per family: [0] IPv4 (0-32),
	 * [1] IPv6 (0-128). */
	uint8_t plen[2][129];
};

int dh_allow_new(struct dh_allow **out)
{
	struct dh_allow *s = calloc(1, sizeof(*s));
	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->cap = 16;
	s->slots = calloc(s->cap, sizeof(*s->slots));
	if (!s->slots) {
		free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void dh_allow_free(struct dh_allow *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->cap; i++)
		free(set->slots[i].key);
	free(set->slots);
	free(set);
}

size_t dh_allow_count(const struct dh_allow *set)
{
	return set ? set->n : 0;
}

static const struct slot *find(const struct dh_allow *s, const uint8_t *key, size_t len, uint64_t h)
{
	size_t mask = s->cap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		const struct slot *sl = &s->slots[i];
		if (!sl->key)
			return NULL;
		if (sl->h == h && sl->len == len && memcmp(sl->key, key, len) == 0)
			return sl;
	}
}

static int grow(struct dh_allow *s)
{
	size_t ncap = s->cap * 2;
	struct slot *ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->slots[i].key)
			continue;
		size_t j = (size_t)s->slots[i].h & (ncap - 1);
		while (ns[j].key)
			j = (j + 1) & (ncap - 1);
		ns[j] = s->slots[i];
	}
	free(s->slots);
	s->slots = ns;
	s->cap = ncap;
	return 0;
}

static int insert(struct dh_allow *s, const uint8_t *key, size_t len)
{
	uint64_t h = dh_hash64(key, len, 0);
	if (find(s, key, len, h))
		return 0;
	/* Load factor at most one half keeps probe runs short. */
	if ((s->n + 1) * 2 > s->cap) {
		int rc = grow(s);
		if (rc)
			return rc;
	}
	uint8_t *k = malloc(len);
	if (!k)
		return -ENOMEM;
	memcpy(k, key, len);
	size_t j = (size_t)h & (s->cap - 1);
	while (s->slots[j].key)
		j = (j + 1) & (s->cap - 1);
	s->slots[j].h = h;
	s->slots[j].key = k;
	s->slots[j].len = (uint16_t)len;
	s->n++;
	return 0;
}

/* Builds the key of addr masked to plen bits into key; returns its length. */
static size_t net_key(const struct dh_addr *addr, unsigned plen, uint8_t *key)
{
	size_t nbytes = addr->family == DH_AF_INET ? 4 : 16;
	key[0] = KEY_NET;
	key[1] = (uint8_t)(addr->family == DH_AF_INET ? plen : 128 + plen);
	for (size_t i = 0; i < nbytes; i++) {
		unsigned bits = plen > i * 8 ? plen - (unsigned)i * 8 : 0;
		uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
		key[2 + i] = addr->a[i] & m;
	}
	return 2 + nbytes;
}

/* Parses "ADDR" or "ADDR/LEN" from text (n octets). Returns 0 or
 * DH_EMALFORMED. */
static int parse_net(const char *text, size_t n, struct dh_addr *addr, unsigned *plen)
{
	char buf[64];
	const char *slash = memchr(text, '/', n);
	size_t alen = slash ? (size_t)(slash - text) : n;
	if (alen == 0 || alen >= sizeof(buf))
		return DH_EMALFORMED;
	memcpy(buf, text, alen);
	buf[alen] = 0;
	if (dh_addr_parse(addr, buf) != 0)
		return DH_EMALFORMED;
	unsigned max = addr->family == DH_AF_INET ? 32 : 128;
	if (!slash) {
		*plen = max;
		return 0;
	}
	const char *p = slash + 1, *end = text + n;
	unsigned v = 0;
	if (p == end || end - p > 3)
		return DH_EMALFORMED;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return DH_EMALFORMED;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v > max)
		return DH_EMALFORMED;
	*plen = v;
	return 0;
}

/* Lower-cases a name suffix into key after the kind byte, without a
 * leading "*." or "." and a trailing dot. Returns the key length or
 * DH_EMALFORMED. */
static int name_key(const char *text, size_t n, uint8_t *key)
{
	if (n >= 2 && text[0] == '*' && text[1] == '.') {
		text += 2;
		n -= 2;
	} else if (n >= 1 && text[0] == '.') {
		text++;
		n--;
	}
	if (n > 0 && text[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return DH_EMALFORMED;
	size_t label = 0;
	key[0] = KEY_NAME;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '.') {
			if (label == 0)
				return DH_EMALFORMED;
			label = 0;
		} else {
			/* Host names and the service labels (_dmarc) seen in
			 * allow-lists; nothing that would need escaping. */
			if (!isalnum(c) && c != '-' && c != '_')
				return DH_EMALFORMED;
			if (++label > 63)
				return DH_EMALFORMED;
		}
		key[1 + i] = (uint8_t)tolower(c);
	}
	if (label == 0)
		return DH_EMALFORMED;
	return (int)(1 + n);
}

static int add(struct dh_allow *set, const char *entry, int names)
{
	uint8_t key[KEY_MAX];
	const char *p = entry, *end = entry + strlen(entry);
	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	size_t n = (size_t)(end - p);
	if (n == 0)
		return DH_EMALFORMED;
	struct dh_addr addr;
	unsigned plen;
	if (parse_net(p, n, &addr, &plen) == 0) {
		size_t klen = net_key(&addr, plen, key);
		int rc = insert(set, key, klen);
		if (rc == 0)
			set->plen[addr.family == DH_AF_INET ? 0 : 1][plen] = 1;
		return rc;
	}
	if (!names)
		return DH_EMALFORMED;
	int klen = name_key(p, n, key);
	if (klen < 0)
		return klen;
	return insert(set, key, (size_t)klen);
}

int dh_allow_add(struct dh_allow *set, const char *entry)
{
	return add(set, entry, 1);
}

int dh_allow_add_net(struct dh_allow *set, const char *entry)
{
	return add(set, entry, 0);
}

int dh_allow_add_file(struct dh_allow *set, const char *path, unsigned *line)
{
	char buf[1024];
	int rc = 0;
	*line = 0;
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	unsigned no = 0;
	while (fgets(buf, sizeof(buf), f)) {
		no++;
		size_t n = strlen(buf);
		if (n == sizeof(buf) - 1 && buf[n - 1] != '\n') {
			/* A line longer than any entry can be. */
			rc = DH_EMALFORMED;
			break;
		}
		char *hash = strchr(buf, '#');
		if (hash)
			*hash = 0;
		char *p = buf;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			continue;
		if ((rc = dh_allow_add(set, p)) != 0)
			break;
	}
	if (rc == 0 && ferror(f))
		rc = -EIO;
	if (rc)
		*line = no;
	fclose(f);
	return rc;
}

int dh_allow_addr(const struct dh_allow *set, const struct dh_addr *addr)
{
	uint8_t key[KEY_MAX];
	if (!set || set->n == 0 || (addr->family != DH_AF_INET && addr->family != DH_AF_INET6))
		return 0;
	unsigned fam = addr->family == DH_AF_INET ? 0 : 1;
	unsigned max = fam ? 128 : 32;
	/* Longest first: the usual entry is a single host. */
	for (unsigned plen = max + 1; plen-- > 0;) {
		if (!set->plen[fam][plen])
			continue;
		size_t klen = net_key(addr, plen, key);
		if (find(set, key, klen, dh_hash64(key, klen, 0)))
			return 1;
	}
	return 0;
}

int dh_allow_name(const struct dh_allow *set, const char *name, size_t n)
{
	uint8_t key[KEY_MAX];
	if (!set || set->n == 0)
		return 0;
	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return 0;
	key[0] = KEY_NAME;
	for (size_t i = 0; i < n; i++)
		key[1 + i] = (uint8_t)tolower((unsigned char)name[i]);
	/* The whole name, then each suffix after a dot. */
	for (size_t start = 0; start < n;) {
		size_t klen = 1 + n - start;
		key[start] = KEY_NAME;
		if (find(set, key + start, klen, dh_hash64(key + start, klen, 0)))
			return 1;
		const uint8_t *dot = memchr(key + 1 + start, '.', n - start);
		if (!dot)
			break;
		start = (size_t)(dot - (key + 1)) + 1;
	}
	return 0;
}
