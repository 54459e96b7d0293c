#include "util/timefmt.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/err.h"

static void put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static void format_sec(int64_t sec, char out[24])
{
	struct tm tm;
	time_t t = (time_t)sec;

	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	unsigned year = (unsigned)(tm.tm_year + 1900);
	if (year > 9999)
		year = 9999;
	out[0] = (char)('0' + year / 1000 % 10);
	out[1] = (char)('0' + year / 100 % 10);
	put2(out + 2, year % 100);
	out[4] = '-';
	put2(out + 5, (unsigned)tm.tm_mon + 1);
	out[7] = '-';
	put2(out + 8, (unsigned)tm.tm_mday);
	out[10] = 'T';
	put2(out + 11, (unsigned)tm.tm_hour);
	out[13] = ':';
	put2(out + 14, (unsigned)tm.tm_min);
	out[16] = ':';
	put2(out + 17, (unsigned)tm.tm_sec);
	out[19] = '\0';
}

void dh_time_cache_init(struct dh_time_cache *c)
{
	c->sec = INT64_MIN;
	c->text[0] = '\0';
}

size_t dh_time_format_cached(struct dh_time_cache *c, int64_t ts_ns, char *buf, size_t len)
{
	int64_t sec = floor_div(ts_ns, 1000000000);
	int64_t ns = ts_ns - sec * 1000000000;

	if (len < 31) {
		if (len)
			buf[0] = '\0';
		return 0;
	}
	if (sec != c->sec) {
		format_sec(sec, c->text);
		c->sec = sec;
	}
	memcpy(buf, c->text, 19);
	buf[19] = '.';
	for (int i = 28; i >= 20; i--) {
		buf[i] = (char)('0' + ns % 10);
		ns /= 10;
	}
	buf[29] = 'Z';
	buf[30] = '\0';
	return 30;
}

size_t dh_time_format(int64_t ts_ns, char *buf, size_t len)
{
	struct dh_time_cache c;

	dh_time_cache_init(&c);
	return dh_time_format_cached(&c, ts_ns, buf, len);
}

/* Reads exactly n decimal digits. */
static int digits(const char **pp, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*pp)[i]))
			return -1;
		v = v * 10 + ((*pp)[i] - '0');
	}
	*pp += n;
	*out = v;
	return 0;
}

static int parse_fraction(const char **pp, int64_t *ns)
{
	int64_t scale = 100000000;
	*ns = 0;
	if (**pp != '.' && **pp != ',')
		return 0;
	(*pp)++;
	if (!isdigit((unsigned char)**pp))
		return -1;
	while (isdigit((unsigned char)**pp)) {
		*ns += (**pp - '0') * scale;
		scale /= 10;
		(*pp)++;
	}
	return 0;
}

static int parse_epoch(const char *p, int64_t *ts_ns)
{
	int64_t sec = 0, ns = 0;
	int neg = 0;

	if (*p == '@')
		p++;
	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (!isdigit((unsigned char)*p))
		return DH_EMALFORMED;
	while (isdigit((unsigned char)*p)) {
		if (sec > 9000000000LL)
			return DH_EMALFORMED;
		sec = sec * 10 + (*p - '0');
		p++;
	}
	if (parse_fraction(&p, &ns) != 0 || *p != '\0')
		return DH_EMALFORMED;
	*ts_ns = (neg ? -1 : 1) * (sec * 1000000000 + ns);
	return 0;
}

int dh_time_parse(const char *text, int64_t *ts_ns)
{
	const char *p = text;
	int y, mo, d, h = 0, mi = 0, s = 0;
	int64_t ns = 0, offset = 0;

	if (!text || !*text)
		return DH_EMALFORMED;
	/* A date has a '-' after four digits; anything else is epoch. */
	if (!(strlen(text) >= 10 && text[4] == '-'))
		return parse_epoch(text, ts_ns);
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return DH_EMALFORMED;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return DH_EMALFORMED;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &s) || parse_fraction(&p, &ns))
				return DH_EMALFORMED;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh, om = 0;
		p++;
		if (digits(&p, 2, &oh))
			return DH_EMALFORMED;
		if (*p == ':')
			p++;
		if (*p && digits(&p, 2, &om))
			return DH_EMALFORMED;
		offset = sign * ((int64_t)oh * 3600 + om * 60);
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
		return DH_EMALFORMED;
	struct tm tm = {0};
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	time_t t = timegm(&tm);
	*ts_ns = ((int64_t)t - offset) * 1000000000 + ns;
	return 0;
}
