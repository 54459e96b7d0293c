/*
 * conf.c - the configuration file's syntax (conf.h).
 */
#include "util/conf.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

/* Longest line, section or key accepted: a configuration line longer
 * than this is a mistake, not a setting. */
#define LINE_MAX_LEN 4096
#define WORD_MAX     128

/* The file is read whole: a configuration is small, and a limit keeps a
 * wrong path (a log, a device) from being read for long. */
#define FILE_MAX (16u << 20)

static int fail(char *err, size_t errlen, const char *name, unsigned line, const char *what)
{
	if (errlen)
		snprintf(err, errlen, "%s:%u: %s", name, line, what);
	return DH_EMALFORMED;
}

static int is_word_char(int c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.';
}

static const char *trim(char *p, char **endp)
{
	char *end = *endp;
	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	*end = 0;
	*endp = end;
	return p;
}

/* One line, NUL-terminated in place. */
static int parse_line(char *p, char *end, const char *name, unsigned no, char *section, char *sname,
                      dh_conf_fn fn, void *ctx, char *err, size_t errlen)
{
	/* A comment starts at '#' outside quotes. */
	int inq = 0;
	for (char *q = p; q < end; q++) {
		if (*q == '"')
			inq = !inq;
		else if (*q == '#' && !inq) {
			end = q;
			break;
		}
		if ((unsigned char)*q < 0x20 && *q != '\t')
			return fail(err, errlen, name, no, "control character in line");
	}
	const char *s = trim(p, &end);
	if (!*s)
		return 0;
	if (*s == '[') {
		if (end[-1] != ']')
			return fail(err, errlen, name, no, "section header without closing ']'");
		end[-1] = 0;
		char *w = (char *)s + 1;
		char *wend = end - 1;
		const char *in = trim(w, &wend);
		size_t a = 0;
		while (in[a] && is_word_char((unsigned char)in[a]))
			a++;
		if (a == 0 || a >= WORD_MAX)
			return fail(err, errlen, name, no, "section name missing or too long");
		memcpy(section, in, a);
		section[a] = 0;
		const char *rest = in + a;
		while (*rest == ' ' || *rest == '\t')
			rest++;
		size_t b = strlen(rest);
		if (b >= WORD_MAX)
			return fail(err, errlen, name, no, "section's second word too long");
		for (size_t i = 0; i < b; i++)
			if (isspace((unsigned char)rest[i]) || rest[i] == '"')
				return fail(err, errlen, name, no,
				            "a section is [name] or [name word], one word each");
		memcpy(sname, rest, b);
		sname[b] = 0;
		return 0;
	}
	const char *eq = strchr(s, '=');
	if (!eq)
		return fail(err, errlen, name, no, "expected 'key = value' or '[section]'");
	char key[WORD_MAX];
	size_t k = (size_t)(eq - s);
	while (k > 0 && isspace((unsigned char)s[k - 1]))
		k--;
	if (k == 0 || k >= sizeof(key))
		return fail(err, errlen, name, no, "key missing or too long");
	for (size_t i = 0; i < k; i++)
		if (!is_word_char((unsigned char)s[i]))
			return fail(err, errlen, name, no,
			            "a key has letters, digits, '-', '_', '.'");
	memcpy(key, s, k);
	key[k] = 0;
	char *v = (char *)eq + 1;
	while (v < end && isspace((unsigned char)*v))
		v++;
	if (*v == '"') {
		char *close = strchr(v + 1, '"');
		if (!close || close[1] != 0)
			return fail(err, errlen, name, no,
			            "a quoted value must end the line with '\"'");
		*close = 0;
		v++;
	}
	struct dh_conf_item it = {section, sname, key, v, no};
	char msg[512];
	msg[0] = 0;
	int rc = fn(ctx, &it, msg, sizeof(msg));
	if (rc) {
		if (errlen)
			snprintf(err, errlen, "%s:%u: %s", name, no,
			         msg[0] ? msg : "invalid setting");
		return rc;
	}
	return 0;
}

int dh_conf_parse(const char *text, size_t n, const char *name, dh_conf_fn fn, void *ctx, char *err,
                  size_t errlen)
{
	char line[LINE_MAX_LEN + 1];
	char section[WORD_MAX] = "", sname[WORD_MAX] = "";
	unsigned no = 0;
	size_t pos = 0;
	if (errlen)
		err[0] = 0;
	while (pos < n) {
		const char *nl = memchr(text + pos, '\n', n - pos);
		size_t raw = nl ? (size_t)(nl - (text + pos)) : n - pos;
		size_t len = raw;
		no++;
		if (len > LINE_MAX_LEN)
			return fail(err, errlen, name, no, "line too long");
		if (memchr(text + pos, 0, len))
			return fail(err, errlen, name, no, "NUL byte in line");
		memcpy(line, text + pos, len);
		if (len > 0 && line[len - 1] == '\r')
			len--;
		line[len] = 0;
		pos += raw + (nl ? 1 : 0);
		int rc =
		    parse_line(line, line + len, name, no, section, sname, fn, ctx, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

int dh_conf_parse_file(const char *path, dh_conf_fn fn, void *ctx, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	if (!f) {
		rc = -errno;
		if (errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	for (;;) {
		if (cap - n < 4096) {
			if (cap >= FILE_MAX) {
				rc = DH_EMALFORMED;
				if (errlen)
					snprintf(err, errlen, "%s: larger than %u MiB", path,
					         FILE_MAX >> 20);
				goto out;
			}
			size_t ncap = cap ? cap * 2 : 8192;
			char *nt = realloc(text, ncap);
			if (!nt) {
				rc = -ENOMEM;
				goto out;
			}
			text = nt;
			cap = ncap;
		}
		size_t got = fread(text + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		rc = -EIO;
		if (errlen)
			snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	rc = dh_conf_parse(text, n, path, fn, ctx, err, errlen);
out:
	free(text);
	fclose(f);
	return rc;
}

int dh_conf_bool(const char *value, int *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(value, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return DH_EMALFORMED;
}

int dh_conf_u64(const char *value, unsigned long long *out)
{
	unsigned long long v = 0, mul = 1;
	const char *p = value;
	if (*p < '0' || *p > '9')
		return DH_EMALFORMED;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (~0ULL - d) / 10)
			return DH_EMALFORMED;
		v = v * 10 + d;
	}
	switch (*p) {
	case 0:
		break;
	case 'k':
		mul = 1000ULL;
		p++;
		break;
	case 'M':
		mul = 1000000ULL;
		p++;
		break;
	case 'G':
		mul = 1000000000ULL;
		p++;
		break;
	default:
		return DH_EMALFORMED;
	}
	if (*p || (v && mul > ~0ULL / v))
		return DH_EMALFORMED;
	*out = v * mul;
	return 0;
}

int dh_conf_seconds(const char *value, double *out)
{
	char *end;
	errno = 0;
	if (!*value || isspace((unsigned char)*value) || *value == '-' || *value == '+')
		return DH_EMALFORMED;
	double v = strtod(value, &end);
	if (errno || end == value || !isfinite(v) || v < 0)
		return DH_EMALFORMED;
	double mul = 1;
	switch (*end) {
	case 0:
		break;
	case 's':
		end++;
		break;
	case 'm':
		mul = 60;
		end++;
		break;
	case 'h':
		mul = 3600;
		end++;
		break;
	case 'd':
		mul = 86400;
		end++;
		break;
	default:
		return DH_EMALFORMED;
	}
	if (*end)
		return DH_EMALFORMED;
	*out = v * mul;
	return 0;
}
