/*
 * json.c - a bounded JSON reader for log lines.
 */
#include "source/json.h"

#include <string.h>

#include "util/err.h"

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Octets that end a run of plain string characters: the quote, the
 * backslash and the control characters RFC 8259 section 7 forbids raw. */
static const uint8_t str_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, ['\\'] = 1,
};

/* At the opening quote; moves past the closing one. */
static int scan_string(const char **pp, const char *end, struct json_val *v)
{
	const char *p = *pp + 1;
	const char *b = p;

	for (;;) {
		while (p < end && !str_stop[(uint8_t)*p])
			p++;
		if (p >= end)
			return DH_ETRUNC;
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			break;
		if (c < 0x20)
			return DH_EMALFORMED;
		/* A backslash. */
		if (p + 1 >= end)
			return DH_ETRUNC;
		char e = p[1];
		if (e == 'u') {
			if (p + 6 > end)
				return DH_ETRUNC;
			for (int k = 2; k < 6; k++)
				if (hexval(p[k]) < 0)
					return DH_EMALFORMED;
			p += 6;
			continue;
		}
		if (e == '\0' || !strchr("\"\\/bfnrt", e))
			return DH_EMALFORMED;
		p += 2;
	}
	v->type = JSON_STRING;
	v->p = b;
	v->n = (size_t)(p - b);
	*pp = p + 1;
	return 0;
}

/* The octets skip_container() stops at: quotes and brackets. */
static const uint8_t bracket_stop[256] = {
    ['"'] = 1, ['['] = 1, [']'] = 1, ['{'] = 1, ['}'] = 1,
};

/*
 * Moves past the object or array at *pp by counting brackets outside
 * strings, without checking what is inside: the walk over a container
 * checks the members it is asked for, and a log line's members that
 * nobody reads need not cost a full parse. The nesting is still bounded.
 */
static int skip_container(const char **pp, const char *end, struct json_val *v)
{
	const char *p = *pp, *b = p;
	struct json_val tmp;
	int depth = 0, rc;

	while (p < end) {
		while (p < end && !bracket_stop[(uint8_t)*p])
			p++;
		if (p >= end)
			break;
		char c = *p;
		if (c == '"') {
			rc = scan_string(&p, end, &tmp);
			if (rc != 0)
				return rc;
			continue;
		}
		if (c == '{' || c == '[') {
			if (++depth > JSON_DEPTH_MAX)
				return DH_EMALFORMED;
		} else if (c == '}' || c == ']') {
			if (--depth == 0) {
				p++;
				v->type = *b == '{' ? JSON_OBJECT : JSON_ARRAY;
				v->p = b;
				v->n = (size_t)(p - b);
				*pp = p;
				return 0;
			}
		}
		p++;
	}
	return DH_ETRUNC;
}

static int scan_number(const char **pp, const char *end, struct json_val *v)
{
	const char *p = *pp, *b = p;
	size_t nd = 0;

	if (p < end && *p == '-')
		p++;
	while (p < end && *p >= '0' && *p <= '9')
		p++, nd++;
	if (nd == 0)
		return DH_EMALFORMED;
	if (p < end && *p == '.') {
		p++;
		nd = 0;
		while (p < end && *p >= '0' && *p <= '9')
			p++, nd++;
		if (nd == 0)
			return DH_EMALFORMED;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		nd = 0;
		while (p < end && *p >= '0' && *p <= '9')
			p++, nd++;
		if (nd == 0)
			return DH_EMALFORMED;
	}
	v->type = JSON_NUMBER;
	v->p = b;
	v->n = (size_t)(p - b);
	*pp = p;
	return 0;
}

static int scan_value(const char **pp, const char *end, struct json_val *v, int depth);

/* At '{' or '['; checks the members and moves past the closing bracket. */
static int scan_container(const char **pp, const char *end, struct json_val *v, int depth)
{
	const char *b = *pp;
	int is_object = *b == '{';
	char close = is_object ? '}' : ']';
	const char *p = skip_ws(b + 1, end);
	struct json_val tmp;
	int rc;

	if (depth >= JSON_DEPTH_MAX)
		return DH_EMALFORMED;
	if (p < end && *p == close) {
		p++;
		goto done;
	}
	for (;;) {
		if (p >= end)
			return DH_ETRUNC;
		if (is_object) {
			if (*p != '"')
				return DH_EMALFORMED;
			rc = scan_string(&p, end, &tmp);
			if (rc != 0)
				return rc;
			p = skip_ws(p, end);
			if (p >= end)
				return DH_ETRUNC;
			if (*p != ':')
				return DH_EMALFORMED;
			p = skip_ws(p + 1, end);
		}
		rc = scan_value(&p, end, &tmp, depth + 1);
		if (rc != 0)
			return rc;
		p = skip_ws(p, end);
		if (p >= end)
			return DH_ETRUNC;
		if (*p == close) {
			p++;
			break;
		}
		if (*p != ',')
			return DH_EMALFORMED;
		p = skip_ws(p + 1, end);
	}
done:
	v->type = is_object ? JSON_OBJECT : JSON_ARRAY;
	v->p = b;
	v->n = (size_t)(p - b);
	*pp = p;
	return 0;
}

static int scan_literal(const char **pp, const char *end, const char *lit, int type,
                        struct json_val *v)
{
	size_t l = strlen(lit);

	if ((size_t)(end - *pp) < l)
		return DH_ETRUNC;
	if (memcmp(*pp, lit, l) != 0)
		return DH_EMALFORMED;
	v->type = type;
	v->p = *pp;
	v->n = l;
	*pp += l;
	return 0;
}

static int scan_value(const char **pp, const char *end, struct json_val *v, int depth)
{
	const char *p = *pp;

	if (p >= end)
		return DH_ETRUNC;
	switch (*p) {
	case '"':
		return scan_string(pp, end, v);
	case '{':
	case '[':
		return scan_container(pp, end, v, depth);
	case 't':
		return scan_literal(pp, end, "true", JSON_TRUE, v);
	case 'f':
		return scan_literal(pp, end, "false", JSON_FALSE, v);
	case 'n':
		return scan_literal(pp, end, "null", JSON_NULL, v);
	default:
		return scan_number(pp, end, v);
	}
}

int json_parse(const char *p, size_t n, struct json_val *v)
{
	const char *end = p + n;
	const char *q = skip_ws(p, end);
	int rc = scan_value(&q, end, v, 0);

	if (rc != 0)
		return rc;
	if (skip_ws(q, end) != end)
		return DH_EMALFORMED;
	return 0;
}

int json_iter_init(struct json_iter *it, const struct json_val *v)
{
	memset(it, 0, sizeof(*it));
	if (!v || (v->type != JSON_OBJECT && v->type != JSON_ARRAY) || v->n < 2) {
		it->err = DH_EMALFORMED;
		return it->err;
	}
	it->is_object = v->type == JSON_OBJECT;
	it->p = v->p + 1;
	it->end = v->p + v->n - 1; /* the closing bracket */
	return 0;
}

int json_iter_next(struct json_iter *it, struct json_val *key, struct json_val *val)
{
	const char *p;
	struct json_val k;
	int rc;

	if (it->err)
		return it->err;
	p = skip_ws(it->p, it->end);
	if (p >= it->end)
		return 0;
	if (it->started) {
		if (*p != ',')
			goto bad;
		p = skip_ws(p + 1, it->end);
	}
	if (it->is_object) {
		if (p >= it->end || *p != '"')
			goto bad;
		rc = scan_string(&p, it->end, &k);
		if (rc != 0)
			goto fail;
		p = skip_ws(p, it->end);
		if (p >= it->end || *p != ':')
			goto bad;
		p = skip_ws(p + 1, it->end);
		if (key)
			*key = k;
	}
	if (p < it->end && (*p == '{' || *p == '['))
		rc = skip_container(&p, it->end, val);
	else
		rc = scan_value(&p, it->end, val, 1);
	if (rc != 0)
		goto fail;
	it->p = p;
	it->started = 1;
	return 1;
bad:
	rc = DH_EMALFORMED;
fail:
	it->err = rc;
	return rc;
}

int json_object(const char *p, size_t n, struct json_val *v)
{
	while (n > 0 && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	if (n == 0)
		return DH_ETRUNC;
	if (p[0] != '{')
		return DH_EMALFORMED;
	if (n < 2 || p[n - 1] != '}')
		return DH_ETRUNC;
	v->type = JSON_OBJECT;
	v->p = p;
	v->n = n;
	return 0;
}

/* Appends the code point cp as UTF-8, or as one octet below 0x100. */
static int put_cp(char *out, size_t cap, size_t *o, unsigned long cp)
{
	char tmp[4];
	size_t k = 0;

	if (cp < 0x100) {
		tmp[k++] = (char)cp;
	} else if (cp < 0x800) {
		tmp[k++] = (char)(0xc0 | (cp >> 6));
		tmp[k++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		tmp[k++] = (char)(0xe0 | (cp >> 12));
		tmp[k++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		tmp[k++] = (char)(0x80 | (cp & 0x3f));
	} else {
		tmp[k++] = (char)(0xf0 | (cp >> 18));
		tmp[k++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		tmp[k++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		tmp[k++] = (char)(0x80 | (cp & 0x3f));
	}
	if (*o + k >= cap)
		return DH_ESPACE;
	memcpy(out + *o, tmp, k);
	*o += k;
	return 0;
}

static unsigned long hex4(const char *p)
{
	return (unsigned long)(hexval(p[0]) << 12 | hexval(p[1]) << 8 | hexval(p[2]) << 4 |
	                       hexval(p[3]));
}

int json_string(const struct json_val *v, char *out, size_t cap)
{
	size_t o = 0, i = 0;
	int rc;

	if (!v || v->type != JSON_STRING || cap == 0)
		return DH_EMALFORMED;
	/* The span was checked by scan_string(): escapes are complete. */
	while (i < v->n) {
		char c = v->p[i];
		if (c != '\\') {
			if (o + 1 >= cap)
				return DH_ESPACE;
			out[o++] = c;
			i++;
			continue;
		}
		char e = v->p[i + 1];
		if (e == 'u') {
			unsigned long cp = hex4(v->p + i + 2);
			i += 6;
			if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= v->n && v->p[i] == '\\' &&
			    v->p[i + 1] == 'u') {
				unsigned long lo = hex4(v->p + i + 2);
				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					i += 6;
				}
			}
			rc = put_cp(out, cap, &o, cp);
			if (rc != 0)
				return rc;
			continue;
		}
		switch (e) {
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		default:
			c = e;
			break;
		}
		if (o + 1 >= cap)
			return DH_ESPACE;
		out[o++] = c;
		i += 2;
	}
	out[o] = '\0';
	return (int)o;
}

int json_u64(const struct json_val *v, uint64_t *out)
{
	uint64_t x = 0;

	if (!v || (v->type != JSON_NUMBER && v->type != JSON_STRING) || v->n == 0 || v->n > 20)
		return DH_EMALFORMED;
	for (size_t i = 0; i < v->n; i++) {
		char c = v->p[i];
		if (c < '0' || c > '9')
			return DH_EMALFORMED;
		unsigned d = (unsigned)(c - '0');
		if (x > (UINT64_MAX - d) / 10)
			return DH_EMALFORMED;
		x = x * 10 + d;
	}
	*out = x;
	return 0;
}
