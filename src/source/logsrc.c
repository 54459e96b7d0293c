/*
 * logsrc.c - the driver of the text-log sources and their shared scanners.
 */
#include "source/logsrc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "source/follow.h"
#include "util/err.h"
#include "wire/dns_text.h"

/* Text space per line for RR owner and data strings: a line holds at most
 * LINES_MAX bytes, and a name can grow four-fold by \DDD escaping only in
 * its at most 255 octets, so twice the line length is always enough. */
#define TEXT_SPACE (2 * LINES_MAX + 4096)

struct logsrc {
	const struct logfmt *fmt;
	struct lines *lines;
	struct src_options opt;
	char *path;
	void *state;
	size_t observer_len;
	int64_t now_s; /* for the year guess */
	int this_year; /* the year of now_s (UTC) */
	uint64_t events, malformed, skipped;
	int spare_ready;
	struct ev_event spare;
	size_t text_used;
	char *text; /* TEXT_SPACE bytes, owned */
};

/* ---- driver --------------------------------------------------------- */

const struct logfmt *const logsrc_formats[] = {
    &logsrc_bind, &logsrc_unbound, &logsrc_dnsmasq, &logsrc_zeek, &logsrc_eve, NULL,
};

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d);

static int logsrc_new(struct logsrc **out, const struct src_options *opt, const struct logfmt *fmt,
                      const char *path)
{
	struct logsrc *s = calloc(1, sizeof(*s));
	int rc = 0;

	if (!s)
		return -ENOMEM;
	s->fmt = fmt;
	if (opt)
		s->opt = *opt;
	s->path = strdup(path ? path : "");
	s->state = calloc(1, fmt->state_size ? fmt->state_size : 1);
	s->text = malloc(TEXT_SPACE);
	if (!s->path || !s->state || !s->text) {
		rc = -ENOMEM;
		goto out;
	}
	if (s->opt.observer) {
		s->observer_len = strnlen(s->opt.observer, EV_OBSERVER_MAX - 1);
	}
	if (s->opt.now_ns > 0) {
		s->now_s = s->opt.now_ns / 1000000000;
	} else {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		s->now_s = now.tv_sec;
	}
	struct tm tm;
	time_t t = (time_t)s->now_s;
	if (gmtime_r(&t, &tm))
		s->this_year = tm.tm_year + 1900;
	else
		s->this_year = 1970;
out:
	if (rc != 0) {
		logsrc_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* Adapts follow_read() to the line reader's input function. */
static long read_follow(void *ctx, uint8_t *buf, size_t len)
{
	return follow_read(ctx, buf, len);
}

int logsrc_open(void **ctx, const char *path, const struct src_options *opt,
                const struct logfmt *fmt)
{
	struct logsrc *s = NULL;
	int rc = logsrc_new(&s, opt, fmt, path);

	if (rc != 0)
		return rc;
	if (s->opt.follow)
		rc = lines_open_read(&s->lines, read_follow, s->opt.follow);
	else
		rc = lines_open(&s->lines, path);
	if (rc != 0) {
		logsrc_close(s);
		return rc;
	}
	*ctx = s;
	return 0;
}

int logsrc_open_mem(void **ctx, const uint8_t *buf, size_t len, const char *fmt_name,
                    const struct src_options *opt)
{
	const struct logfmt *fmt = NULL;
	struct logsrc *s = NULL;
	int rc;

	for (size_t i = 0; logsrc_formats[i]; i++)
		if (fmt_name && strcmp(logsrc_formats[i]->name, fmt_name) == 0)
			fmt = logsrc_formats[i];
	if (!fmt)
		return DH_EUSAGE;
	rc = logsrc_new(&s, opt, fmt, "(memory)");
	if (rc != 0)
		return rc;
	rc = lines_open_mem(&s->lines, buf, len);
	if (rc != 0) {
		logsrc_close(s);
		return rc;
	}
	*ctx = s;
	return 0;
}

int logsrc_next(void *ctx, struct ev_event *ev)
{
	struct logsrc *s = ctx;
	const char *line;
	size_t n;
	int rc;

	for (;;) {
		if (s->spare_ready) {
			s->spare_ready = 0;
			memcpy(ev, &s->spare, sizeof(*ev));
			s->events++;
			return 1;
		}
		rc = lines_next(s->lines, &line, &n);
		if (rc == 0)
			return 0;
		if (rc == DH_ESPACE) {
			s->malformed++;
			src__report_bad(&s->opt, s->path, "line", lines_number(s->lines), rc);
			continue;
		}
		if (rc < 0)
			return rc;
		s->text_used = 0;
		logsrc_event_reset(s, ev);
		rc = s->fmt->line(s, s->state, line, n, ev);
		if (rc == LOGSRC_EVENT) {
			s->events++;
			return 1;
		}
		s->spare_ready = 0;
		if (rc == LOGSRC_SKIP) {
			s->skipped++;
			continue;
		}
		s->malformed++;
		src__report_bad(&s->opt, s->path, "line", lines_number(s->lines), rc);
	}
}

void logsrc_stats(void *ctx, struct src_stats *st)
{
	struct logsrc *s = ctx;

	st->records = lines_number(s->lines);
	st->messages = s->events;
	st->events = s->events;
	st->malformed = s->malformed;
	st->skipped = s->skipped;
	st->bytes = lines_bytes(s->lines);
	st->size = lines_size(s->lines);
}

void logsrc_close(void *ctx)
{
	struct logsrc *s = ctx;

	if (!s)
		return;
	lines_free(s->lines);
	free(s->state);
	free(s->text);
	free(s->path);
	free(s);
}

const struct src_options *logsrc_options(const struct logsrc *s)
{
	return &s->opt;
}

void logsrc_event_reset(const struct logsrc *s, struct ev_event *ev)
{
	/* Not ev_clear(): the RR array is most of the event's 4 KB and is
	 * only read up to rr_count. */
	ev_reset(ev);
	memcpy(ev->observer, s->opt.observer ? s->opt.observer : "", s->observer_len);
	ev->observer[s->observer_len] = '\0';
}

struct ev_event *logsrc_spare(struct logsrc *s)
{
	s->spare_ready = 1;
	return &s->spare;
}

const char *logsrc_text(struct logsrc *s, const char *p, size_t n)
{
	char *o;

	if (n >= TEXT_SPACE - s->text_used)
		return NULL;
	o = s->text + s->text_used;
	memcpy(o, p, n);
	o[n] = '\0';
	s->text_used += n + 1;
	return o;
}

const char *logsrc_text_quoted(struct logsrc *s, const char *p, size_t n)
{
	char *o;
	size_t k = 0;

	/* The worst case doubles the text, plus the quotes and the NUL. */
	if (n > (TEXT_SPACE - s->text_used) / 2 || 2 * n + 3 > TEXT_SPACE - s->text_used)
		return NULL;
	o = s->text + s->text_used;
	o[k++] = '"';
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '"' || p[i] == '\\')
			o[k++] = '\\';
		o[k++] = p[i];
	}
	o[k++] = '"';
	o[k++] = '\0';
	s->text_used += k;
	return o;
}

/* ---- small scanners ------------------------------------------------- */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* Case-insensitive comparison of p[0..n) with the NUL-terminated lit. */
static int eq_nocase(const char *p, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lit[i] == '\0' || lower(p[i]) != lower(lit[i]))
			return 0;
	return lit[i] == '\0';
}

int logsrc_starts(const char *p, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	return n >= l && memcmp(p, lit, l) == 0;
}

long logsrc_find(const char *p, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	if (l == 0 || n < l)
		return -1;
	for (size_t i = 0; i + l <= n; i++) {
		const char *c = memchr(p + i, lit[0], n - l + 1 - i);
		if (!c)
			return -1;
		i = (size_t)(c - p);
		if (memcmp(c, lit, l) == 0)
			return (long)i;
	}
	return -1;
}

size_t logsrc_token(const char *p, size_t n, size_t *pos, const char **tok)
{
	size_t i = *pos, b;

	while (i < n && p[i] == ' ')
		i++;
	b = i;
	while (i < n && p[i] != ' ')
		i++;
	*tok = p + b;
	*pos = i;
	return i - b;
}

int logsrc_head_line(const uint8_t *head, size_t len, size_t *pos, const char **line, size_t *n)
{
	while (*pos < len) {
		const uint8_t *s = head + *pos;
		const uint8_t *nl = memchr(s, '\n', len - *pos);
		if (!nl)
			return 0;
		size_t l = (size_t)(nl - s);
		*pos += l + 1;
		if (l > 0 && s[l - 1] == '\r')
			l--;
		if (l == 0)
			continue;
		*line = (const char *)s;
		*n = l;
		return 1;
	}
	return 0;
}

int logsrc_u64(const char *p, size_t n, uint64_t *v)
{
	uint64_t x = 0;

	if (n == 0 || n > 20)
		return DH_EMALFORMED;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return DH_EMALFORMED;
		unsigned d = (unsigned)(p[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return DH_EMALFORMED;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

int logsrc_u16(const char *p, size_t n, uint16_t *v)
{
	uint64_t x;

	if (logsrc_u64(p, n, &x) != 0 || x > 65535)
		return DH_EMALFORMED;
	*v = (uint16_t)x;
	return 0;
}

int logsrc_decimal_ns(const char *p, size_t n, int64_t *ns)
{
	size_t i = 0;
	uint64_t sec, frac = 0;
	unsigned digits = 0;

	while (i < n && p[i] != '.')
		i++;
	/* See SECONDS_MAX. */
	if (logsrc_u64(p, i, &sec) != 0 || sec > 4000000000ULL)
		return DH_EMALFORMED;
	if (i < n) {
		i++;
		if (i == n)
			return DH_EMALFORMED;
		for (; i < n; i++) {
			if (!is_digit(p[i]))
				return DH_EMALFORMED;
			if (digits < 9) {
				frac = frac * 10 + (uint64_t)(p[i] - '0');
				digits++;
			}
		}
	}
	while (digits < 9) {
		frac *= 10;
		digits++;
	}
	*ns = (int64_t)(sec * 1000000000ULL + frac);
	return 0;
}

/* ---- addresses ------------------------------------------------------ */

static int addr4(const char *p, size_t n, uint8_t out[4])
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;
		while (i < n && is_digit(p[i])) {
			v = v * 10 + (unsigned)(p[i] - '0');
			/* No leading zeros: inet_pton refuses them too, and an
			 * octal-looking octet is ambiguous. */
			if (++digits > 3 || v > 255 || (digits == 2 && p[i - 1] == '0'))
				return DH_EMALFORMED;
			i++;
		}
		if (digits == 0)
			return DH_EMALFORMED;
		out[part] = (uint8_t)v;
		if (part < 3) {
			if (i >= n || p[i] != '.')
				return DH_EMALFORMED;
			i++;
		}
	}
	return i == n ? 0 : DH_EMALFORMED;
}

int logsrc_addr(const char *p, size_t n, struct dh_addr *a)
{
	uint8_t b[16];
	char text[DH_ADDR_TEXT_MAX];
	const char *zone;

	if (n == 0)
		return DH_EMALFORMED;
	if (memchr(p, ':', n) == NULL) {
		if (addr4(p, n, b) != 0)
			return DH_EMALFORMED;
		dh_addr_set4(a, b);
		return 0;
	}
	zone = memchr(p, '%', n);
	if (zone)
		n = (size_t)(zone - p);
	if (n == 0 || n >= sizeof(text))
		return DH_EMALFORMED;
	memcpy(text, p, n);
	text[n] = '\0';
	if (inet_pton(AF_INET6, text, b) != 1)
		return DH_EMALFORMED;
	dh_addr_set6(a, b);
	return 0;
}

/* ---- names ---------------------------------------------------------- */

/* How an octet is written in presentation form, RFC 1035 5.1, the same
 * rule as the wire decoder's (dns_name.c) so that a name from a log and
 * the same name from a capture compare equal: 0 as is, 1 lower-cased,
 * 2 behind a backslash, 3 as \DDD. */
static uint8_t out_class(uint8_t b)
{
	if (b >= 'A' && b <= 'Z')
		return 1;
	if (b == '.' || b == '\\')
		return 2;
	if (b < 0x21 || b > 0x7e)
		return 3;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int logsrc_name(const char *p, size_t n, int mode, char *out, size_t cap)
{
	size_t o = 0;     /* characters written */
	size_t label = 0; /* octets in the current label */
	size_t wire = 1;  /* wire length: the root's zero octet */
	size_t i = 0;

	if (cap < DNS_NAME_TEXT_MAX)
		return DH_ESPACE;
	if (n == 0 || (n == 1 && p[0] == '.')) {
		out[0] = '.';
		out[1] = '\0';
		return 1;
	}
	while (i < n) {
		uint8_t b = (uint8_t)p[i++];

		if (b == '.') {
			/* A label ends; an empty label is allowed only as the
			 * root, handled above. */
			if (label == 0)
				return DH_EMALFORMED;
			out[o++] = '.';
			label = 0;
			continue;
		}
		if ((b < 0x20 || b == 0x7f || b == ' ') && mode != LOGSRC_NAME_OCTETS)
			return DH_EMALFORMED;
		if (b == '\\' && mode == LOGSRC_NAME_RFC1035) {
			/* \DDD is an octet in decimal, \X the character X
			 * itself (an escaped dot stays inside the label). */
			if (i >= n)
				return DH_EMALFORMED;
			if (is_digit(p[i])) {
				unsigned v;
				if (i + 3 > n || !is_digit(p[i + 1]) || !is_digit(p[i + 2]))
					return DH_EMALFORMED;
				v = (unsigned)(p[i] - '0') * 100 + (unsigned)(p[i + 1] - '0') * 10 +
				    (unsigned)(p[i + 2] - '0');
				if (v > 255)
					return DH_EMALFORMED;
				b = (uint8_t)v;
				i += 3;
			} else {
				b = (uint8_t)p[i++];
			}
		} else if (b == '\\' && mode == LOGSRC_NAME_HEX && i + 3 <= n && p[i] == 'x' &&
		           hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
			/* Zeek writes odd octets as \xNN. */
			b = (uint8_t)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
			i += 3;
		}
		if (++label > 63)
			return DH_ENAMELEN;
		if (label == 1)
			wire++;
		if (++wire > 255)
			return DH_ENAMELEN;
		switch (out_class(b)) {
		case 0:
			out[o++] = (char)b;
			break;
		case 1:
			out[o++] = (char)(b + 32);
			break;
		case 2:
			out[o++] = '\\';
			out[o++] = (char)b;
			break;
		default:
			out[o++] = '\\';
			out[o++] = (char)('0' + b / 100);
			out[o++] = (char)('0' + b / 10 % 10);
			out[o++] = (char)('0' + b % 10);
			break;
		}
	}
	if (label > 0)
		out[o++] = '.';
	out[o] = '\0';
	return (int)o;
}

int logsrc_question(struct ev_event *ev, const char *p, size_t n, int mode)
{
	int len = logsrc_name(p, n, mode, ev->msg.qname, sizeof(ev->msg.qname));

	if (len < 0) {
		ev->msg.qname[0] = '\0';
		return len;
	}
	ev->msg.qname_len = (uint16_t)len;
	ev->msg.has_question = 1;
	ev->msg.qdcount = 1;
	return 0;
}

/* ---- mnemonics ------------------------------------------------------ */

int logsrc_type(const char *p, size_t n, uint16_t *type)
{
	char buf[24];

	/* The common types without the table walk of dns_type_parse(). */
	switch (n) {
	case 1:
		if (lower(p[0]) == 'a')
			return *type = DNS_T_A, 0;
		break;
	case 2:
		if (eq_nocase(p, n, "NS"))
			return *type = DNS_T_NS, 0;
		if (eq_nocase(p, n, "MX"))
			return *type = DNS_T_MX, 0;
		if (eq_nocase(p, n, "DS"))
			return *type = DNS_T_DS, 0;
		break;
	case 3:
		if (eq_nocase(p, n, "PTR"))
			return *type = DNS_T_PTR, 0;
		if (eq_nocase(p, n, "TXT"))
			return *type = DNS_T_TXT, 0;
		if (eq_nocase(p, n, "SOA"))
			return *type = DNS_T_SOA, 0;
		if (eq_nocase(p, n, "SRV"))
			return *type = DNS_T_SRV, 0;
		if (eq_nocase(p, n, "ANY"))
			return *type = DNS_T_ANY, 0;
		break;
	case 4:
		if (eq_nocase(p, n, "AAAA"))
			return *type = DNS_T_AAAA, 0;
		break;
	case 5:
		if (eq_nocase(p, n, "CNAME"))
			return *type = DNS_T_CNAME, 0;
		if (eq_nocase(p, n, "HTTPS"))
			return *type = DNS_T_HTTPS, 0;
		break;
	default:
		break;
	}
	if (n == 0 || n >= sizeof(buf) || memchr(p, '\0', n))
		return DH_EMALFORMED;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return dns_type_parse(buf, type) == 0 ? 0 : DH_EMALFORMED;
}

int logsrc_class(const char *p, size_t n, uint16_t *rclass)
{
	static const struct {
		const char *name;
		uint16_t v;
	} names[] = {{"IN", 1}, {"CH", 3}, {"HS", 4}, {"NONE", 254}, {"ANY", 255}};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (eq_nocase(p, n, names[i].name))
			return *rclass = names[i].v, 0;
	if (n > 5 && eq_nocase(p, 5, "CLASS"))
		return logsrc_u16(p + 5, n - 5, rclass);
	return DH_EMALFORMED;
}

int logsrc_rcode(const char *p, size_t n, unsigned *rcode)
{
	char buf[16];
	uint16_t v;

	if (eq_nocase(p, n, "NOERROR"))
		return *rcode = 0, 0;
	/* Unbound spells rcode 4 as ldns does. */
	if (eq_nocase(p, n, "NOTIMPL"))
		return *rcode = 4, 0;
	for (unsigned i = 1; i < 24; i++)
		if (eq_nocase(p, n, dns_rcode_name(i, buf, sizeof(buf))))
			return *rcode = i, 0;
	if (n > 5 && eq_nocase(p, 5, "RCODE") && logsrc_u16(p + 5, n - 5, &v) == 0 && v < 4096)
		return *rcode = v, 0;
	if (logsrc_u16(p, n, &v) == 0 && v < 4096)
		return *rcode = v, 0;
	return DH_EMALFORMED;
}

void logsrc_set_rcode(struct dns_msg *msg, unsigned rcode)
{
	msg->flags = (uint16_t)((msg->flags & ~0xfu) | (rcode & 0xf));
	msg->edns.ext_rcode = (uint8_t)(rcode >> 4);
}

/* ---- times ---------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (the
 * well-known era arithmetic: 400-year eras of 146097 days). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

static int month_of(const char *p, size_t n)
{
	static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";

	if (n < 3)
		return 0;
	char a = lower(p[0]), b = lower(p[1]), c = lower(p[2]);
	for (int i = 0; i < 12; i++)
		if (names[i * 3] == a && names[i * 3 + 1] == b && names[i * 3 + 2] == c)
			return i + 1;
	return 0;
}

/* Reads exactly k digits at p[*i]. Returns -1 when they are not there. */
static int digits(const char *p, size_t n, size_t *i, unsigned k)
{
	int v = 0;

	if (*i + k > n)
		return -1;
	for (unsigned j = 0; j < k; j++) {
		char c = p[*i + j];
		if (!is_digit(c))
			return -1;
		v = v * 10 + (c - '0');
	}
	*i += k;
	return v;
}

/* Reads "HH:MM:SS" and an optional ".fraction" at p[*i]. */
static int clock_part(const char *p, size_t n, size_t *i, int64_t *sec_of_day, int64_t *frac_ns)
{
	int h = digits(p, n, i, 2);
	if (h < 0 || h > 23 || *i >= n || p[(*i)++] != ':')
		return DH_EMALFORMED;
	int m = digits(p, n, i, 2);
	if (m < 0 || m > 59 || *i >= n || p[(*i)++] != ':')
		return DH_EMALFORMED;
	/* 60 for a leap second, which then counts as the next second. */
	int s = digits(p, n, i, 2);
	if (s < 0 || s > 60)
		return DH_EMALFORMED;
	*sec_of_day = h * 3600 + m * 60 + s;
	*frac_ns = 0;
	if (*i < n && (p[*i] == '.' || p[*i] == ',') && *i + 1 < n && is_digit(p[*i + 1])) {
		int64_t f = 0;
		unsigned nd = 0;
		(*i)++;
		while (*i < n && is_digit(p[*i])) {
			if (nd < 9) {
				f = f * 10 + (p[*i] - '0');
				nd++;
			}
			(*i)++;
		}
		while (nd++ < 9)
			f *= 10;
		*frac_ns = f;
	}
	return 0;
}

/* Times are kept between 1970 and 2106 (4e9 seconds): the sum of a time
 * and a duration (Zeek's ts + rtt) then still fits the int64
 * nanoseconds, whose end is in 2262. */
#define SECONDS_MAX 4000000000LL

static int to_ns(int64_t days, int64_t sec_of_day, int64_t frac, int64_t offset_s, int64_t *ts)
{
	int64_t secs = (days * 86400 + sec_of_day) - offset_s;

	if (secs < 0 || secs > SECONDS_MAX)
		return DH_EMALFORMED;
	*ts = secs * 1000000000LL + frac;
	return 0;
}

int logsrc_time_syslog(const struct logsrc *s, const char *p, size_t n, int64_t *ts, size_t *used)
{
	size_t i = 4;
	int mon = month_of(p, n);
	int day;
	int64_t sod, frac, off = (int64_t)s->opt.tz_offset_min * 60;

	if (mon == 0 || n < 15 || p[3] != ' ')
		return DH_EMALFORMED;
	/* The day is space-padded ("Mar  3") or, from some writers,
	 * zero-padded or a single digit. */
	if (p[i] == ' ')
		i++;
	if (i < n && is_digit(p[i]) && i + 1 < n && is_digit(p[i + 1]))
		day = digits(p, n, &i, 2);
	else
		day = digits(p, n, &i, 1);
	if (day < 1 || i >= n || p[i++] != ' ')
		return DH_EMALFORMED;
	if (clock_part(p, n, &i, &sod, &frac) != 0)
		return DH_EMALFORMED;
	int64_t year = s->opt.default_year ? s->opt.default_year : s->this_year;
	/* Feb 29 of a year given by guess may belong to the previous leap
	 * year; check the day against the year finally chosen. */
	int64_t days = days_from_civil(year, (unsigned)mon, (unsigned)day);
	int64_t t = (days * 86400 + sod) - off;
	if (!s->opt.default_year && t > s->now_s + 86400) {
		year--;
		days = days_from_civil(year, (unsigned)mon, (unsigned)day);
	}
	if ((unsigned)day > days_in_month(year, (unsigned)mon))
		return DH_EMALFORMED;
	*used = i;
	return to_ns(days, sod, frac, off, ts);
}

int logsrc_time_bind(const struct logsrc *s, const char *p, size_t n, int64_t *ts, size_t *used)
{
	size_t i = 0;
	int64_t sod, frac;
	int day = digits(p, n, &i, 2);

	if (day < 1 || i + 5 > n || p[i] != '-')
		return DH_EMALFORMED;
	int mon = month_of(p + i + 1, n - i - 1);
	i += 4;
	if (mon == 0 || p[i++] != '-')
		return DH_EMALFORMED;
	int year = digits(p, n, &i, 4);
	if (year < 1970 || i >= n || p[i++] != ' ')
		return DH_EMALFORMED;
	if ((unsigned)day > days_in_month(year, (unsigned)mon))
		return DH_EMALFORMED;
	if (clock_part(p, n, &i, &sod, &frac) != 0)
		return DH_EMALFORMED;
	*used = i;
	return to_ns(days_from_civil(year, (unsigned)mon, (unsigned)day), sod, frac,
	             (int64_t)s->opt.tz_offset_min * 60, ts);
}

int logsrc_time_iso(const struct logsrc *s, const char *p, size_t n, int64_t *ts, size_t *used)
{
	size_t i = 0;
	int64_t sod, frac, off = (int64_t)s->opt.tz_offset_min * 60;
	int year = digits(p, n, &i, 4);

	if (year < 1970 || i >= n || p[i++] != '-')
		return DH_EMALFORMED;
	int mon = digits(p, n, &i, 2);
	if (mon < 1 || mon > 12 || i >= n || p[i++] != '-')
		return DH_EMALFORMED;
	int day = digits(p, n, &i, 2);
	if (day < 1 || (unsigned)day > days_in_month(year, (unsigned)mon) || i >= n ||
	    (p[i] != 'T' && p[i] != ' '))
		return DH_EMALFORMED;
	i++;
	if (clock_part(p, n, &i, &sod, &frac) != 0)
		return DH_EMALFORMED;
	if (i < n && (p[i] == 'Z' || p[i] == 'z')) {
		off = 0;
		i++;
	} else if (i < n && (p[i] == '+' || p[i] == '-')) {
		int sign = p[i] == '-' ? -1 : 1;
		i++;
		int hh = digits(p, n, &i, 2);
		if (hh < 0 || hh > 23)
			return DH_EMALFORMED;
		if (i < n && p[i] == ':')
			i++;
		int mm = digits(p, n, &i, 2);
		if (mm < 0 || mm > 59)
			return DH_EMALFORMED;
		off = sign * (hh * 3600 + mm * 60);
	}
	*used = i;
	return to_ns(days_from_civil(year, (unsigned)mon, (unsigned)day), sod, frac, off, ts);
}

int logsrc_syslog(const struct logsrc *s, const char *p, size_t n, int64_t *ts, const char **prog,
                  size_t *prog_len, size_t *used)
{
	size_t i = 0, tl;
	const char *tok;
	int rc;

	if (n > 0 && is_digit(p[0]))
		rc = logsrc_time_iso(s, p, n, ts, &i);
	else
		rc = logsrc_time_syslog(s, p, n, ts, &i);
	if (rc != 0)
		return rc;
	/* Host, then "prog[pid]:" or "prog:"; the host is left out by
	 * daemons that write the file themselves (dnsmasq, Unbound). */
	for (int k = 0; k < 2; k++) {
		tl = logsrc_token(p, n, &i, &tok);
		if (tl == 0)
			return DH_EMALFORMED;
		if (tok[tl - 1] == ':') {
			const char *br = memchr(tok, '[', tl);
			*prog = tok;
			*prog_len = br ? (size_t)(br - tok) : tl - 1;
			if (*prog_len == 0)
				return DH_EMALFORMED;
			if (i < n && p[i] == ' ')
				i++;
			*used = i;
			return 0;
		}
	}
	return DH_EMALFORMED;
}
