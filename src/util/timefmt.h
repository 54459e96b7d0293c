/*
 * timefmt.h - times as text: RFC 3339 out, several common forms in.
 */
#ifndef DH_UTIL_TIMEFMT_H
#define DH_UTIL_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#define DH_TIME_TEXT_MAX 40

/*
 * Writes ts_ns (ns since the epoch, UTC) as "2024-05-01T12:00:00.123456789Z"
 * with 9 fractional digits into buf (at least DH_TIME_TEXT_MAX bytes).
 * Returns the length written, without the NUL.
 */
size_t dh_time_format(int64_t ts_ns, char *buf, size_t len);

/* Caches the date-and-time part per second, so formatting a stream of
 * nearby times costs a copy and the nanoseconds. */
struct dh_time_cache {
	int64_t sec;
	char text[24]; /* "2024-05-01T12:00:00" */
};

void dh_time_cache_init(struct dh_time_cache *c);
size_t dh_time_format_cached(struct dh_time_cache *c, int64_t ts_ns, char *buf, size_t len);

/*
 * Parses a time given by a user: RFC 3339 / ISO 8601 date-time
 * ("2024-05-01T12:00:00Z", "2024-05-01 12:00:00.5+09:00"; no zone means
 * UTC), a date alone ("2024-05-01", midnight UTC), or seconds since the
 * epoch with an optional fraction ("1714564800.25", "@1714564800").
 * Returns 0 and *ts_ns, or DH_EMALFORMED.
 */
int dh_time_parse(const char *text, int64_t *ts_ns);

#endif
