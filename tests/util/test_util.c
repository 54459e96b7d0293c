#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/addr.h"
#include "util/buf.h"
#include "util/cursor.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/ring.h"
#include "util/timefmt.h"

static void cursor_empty_and_sticky(void **state)
{
	(void)state;
	struct cur c;
	static const uint8_t b[] = {0x12, 0x34, 0x56};

	cur_init(&c, NULL, 0);
	assert_int_equal(cur_left(&c), 0);
	assert_int_equal(cur_u8(&c), 0);
	assert_int_equal(c.err, DH_ETRUNC);

	cur_init(&c, b, sizeof(b));
	assert_int_equal(cur_u16(&c), 0x1234);
	assert_int_equal(cur_u16(&c), 0); /* one byte left: fails */
	assert_int_equal(c.err, DH_ETRUNC);
	/* The error sticks: the byte that is there is not read any more. */
	assert_int_equal(cur_u8(&c), 0);
	assert_int_equal(cur_left(&c), 0);
	assert_null(cur_take(&c, 0));
}

static void cursor_endianness(void **state)
{
	(void)state;
	struct cur c;
	static const uint8_t b[] = {1, 2, 3, 4, 1, 2, 3, 4};

	cur_init(&c, b, sizeof(b));
	assert_int_equal(cur_u32(&c), 0x01020304);
	assert_int_equal(cur_u32le(&c), 0x04030201);
	assert_int_equal(cur_left(&c), 0);
	assert_int_equal(c.err, 0);
}

static void addr_round_trip(void **state)
{
	(void)state;
	struct dh_addr a, b;
	char t[DH_ADDR_TEXT_MAX];

	assert_int_equal(dh_addr_parse(&a, "192.0.2.1"), 0);
	assert_int_equal(a.family, DH_AF_INET);
	dh_addr_format(&a, t, sizeof(t));
	assert_string_equal(t, "192.0.2.1");
	assert_int_equal(dh_addr_parse(&b, "2001:DB8:0:0::1"), 0);
	dh_addr_format(&b, t, sizeof(t));
	assert_string_equal(t, "2001:db8::1");
	assert_false(dh_addr_equal(&a, &b));
	assert_int_equal(dh_addr_parse(&b, "192.0.2.1"), 0);
	assert_true(dh_addr_equal(&a, &b));
	assert_int_equal(dh_addr_parse(&a, "192.0.2.256"), DH_EMALFORMED);
	assert_int_equal(dh_addr_parse(&a, ""), DH_EMALFORMED);
	memset(&a, 0, sizeof(a));
	assert_int_equal(dh_addr_format(&a, t, sizeof(t)), 0);
	assert_string_equal(t, "");
}

static void addr_rfc5952(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
	    {"::", "::"},
	    {"::1", "::1"},
	    {"1::", "1::"},
	    {"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
	    {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"}, /* one zero group stays */
	    {"1:0:0:2:0:0:0:3", "1:0:0:2::3"},                /* the longest run */
	    {"1:0:0:2:0:0:3:4", "1::2:0:0:3:4"},              /* the first of equals */
	    {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
	    {"fe80::abcd:ef01:0:0", "fe80::abcd:ef01:0:0"},
	    {"0:0:0:0:0:0:0:1", "::1"},
	};
	struct dh_addr a;
	char t[DH_ADDR_TEXT_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(dh_addr_parse(&a, cases[i][0]), 0);
		dh_addr_format(&a, t, sizeof(t));
		assert_string_equal(t, cases[i][1]);
	}
	/* Random addresses with many zero groups round-trip. */
	uint64_t x = 88172645463325252ULL;
	for (int n = 0; n < 20000; n++) {
		struct dh_addr b;
		a.family = DH_AF_INET6;
		for (int g = 0; g < 8; g++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			unsigned v = (x & 3) ? 0 : (unsigned)(x >> 20) & 0xffff;
			a.a[2 * g] = (uint8_t)(v >> 8);
			a.a[2 * g + 1] = (uint8_t)v;
		}
		dh_addr_format(&a, t, sizeof(t));
		assert_int_equal(dh_addr_parse(&b, t), 0);
		assert_true(dh_addr_equal(&a, &b));
		assert_null(strstr(t, ":::"));
	}
	assert_int_equal(dh_addr_parse(&a, "0.0.0.0"), 0);
	dh_addr_format(&a, t, sizeof(t));
	assert_string_equal(t, "0.0.0.0");
	assert_int_equal(dh_addr_parse(&a, "255.255.255.255"), 0);
	dh_addr_format(&a, t, sizeof(t));
	assert_string_equal(t, "255.255.255.255");
}

static void buf_json_escapes(void **state)
{
	(void)state;
	struct dh_buf b;
	const char in[] = "a\"b\\c\n\x01\xff";

	dh_buf_init(&b);
	dh_buf_add_json_str(&b, in, sizeof(in) - 1);
	dh_buf_addc(&b, '\0');
	assert_string_equal(b.data, "\"a\\\"b\\\\c\\u000a\\u0001\\u00ff\"");
	b.len = 0;
	dh_buf_addi(&b, INT64_MIN);
	dh_buf_addc(&b, ' ');
	dh_buf_addu(&b, UINT64_MAX);
	dh_buf_addc(&b, '\0');
	assert_string_equal(b.data, "-9223372036854775808 18446744073709551615");
	b.len = 0;
	for (uint64_t v = 0; v < 1000; v += 7) {
		dh_buf_addu(&b, v);
		dh_buf_addc(&b, ' ');
	}
	dh_buf_addc(&b, '\0');
	assert_true(strncmp(b.data, "0 7 14 21 28 35 42 49 56 63 70 77 84 91 98 105 ", 47) == 0);
	assert_non_null(strstr(b.data, " 994 "));
	dh_buf_release(&b);
}

static void time_format_and_parse(void **state)
{
	(void)state;
	char t[DH_TIME_TEXT_MAX];
	int64_t ns;

	dh_time_format(1714564800123456789LL, t, sizeof(t));
	assert_string_equal(t, "2024-05-01T12:00:00.123456789Z");
	dh_time_format(-1, t, sizeof(t));
	assert_string_equal(t, "1969-12-31T23:59:59.999999999Z");

	assert_int_equal(dh_time_parse("2024-05-01T12:00:00.123456789Z", &ns), 0);
	assert_true(ns == 1714564800123456789LL);
	assert_int_equal(dh_time_parse("2024-05-01 21:00:00+09:00", &ns), 0);
	assert_true(ns == 1714564800000000000LL);
	assert_int_equal(dh_time_parse("2024-05-01", &ns), 0);
	assert_true(ns == 1714521600000000000LL);
	assert_int_equal(dh_time_parse("1714564800.5", &ns), 0);
	assert_true(ns == 1714564800500000000LL);
	assert_int_equal(dh_time_parse("@10", &ns), 0);
	assert_true(ns == 10000000000LL);
	assert_int_equal(dh_time_parse("2024-13-01", &ns), DH_EMALFORMED);
	assert_int_equal(dh_time_parse("yesterday", &ns), DH_EMALFORMED);
	assert_int_equal(dh_time_parse("", &ns), DH_EMALFORMED);
	assert_int_equal(dh_time_parse("12a", &ns), DH_EMALFORMED);
}

static void hash_streaming_equals_whole(void **state)
{
	(void)state;
	uint8_t data[1000], a[16], b[16];
	struct dh_hash128 h;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	dh_hash128_init(&h);
	dh_hash128_update(&h, data, sizeof(data));
	dh_hash128_final(&h, a);
	dh_hash128_init(&h);
	for (size_t i = 0; i < sizeof(data); i += 13)
		dh_hash128_update(&h, data + i, i + 13 <= sizeof(data) ? 13 : sizeof(data) - i);
	dh_hash128_final(&h, b);
	assert_memory_equal(a, b, 16);
	data[500] ^= 1;
	dh_hash128_init(&h);
	dh_hash128_update(&h, data, sizeof(data));
	dh_hash128_final(&h, b);
	assert_memory_not_equal(a, b, 16);
	assert_true(dh_hash64("abc", 3, 0) != dh_hash64("abd", 3, 0));
	assert_true(dh_hash64("abc", 3, 0) != dh_hash64("abc", 3, 1));
}

static void strerror_covers_all(void **state)
{
	(void)state;
	for (int c = DH_ELAST + 1; c < DH_EBASE; c++)
		assert_string_not_equal(dh_strerror(c), "unknown error");
	assert_string_equal(dh_strerror(0), "success");
	assert_string_equal(dh_strerror(-1234567), "unknown error");
}

/* One thread: records come back in order with their tags across many
 * wraps of a small ring, a full ring refuses nothing but says it is full
 * (peek 0 when empty), an oversized record is refused, close ends it. */
static void ring_order_and_wrap(void **state)
{
	(void)state;
	struct dh_ring *r;
	struct dh_ring_tag tag;
	const uint8_t *p;
	size_t len, used, peak;
	uint8_t buf[200];

	assert_int_equal(dh_ring_new(&r, 256), 0);
	assert_int_equal(dh_ring_max_record(r), 256 / 2 - 24);
	assert_int_equal(dh_ring_put(r, (struct dh_ring_tag){0, 0}, buf, 105, NULL), -EMSGSIZE);
	assert_int_equal(dh_ring_peek(r, 0, &tag, &p, &len), 0);
	for (unsigned i = 0; i < 1000; i++) {
		size_t n = (i * 37) % 100;
		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)(i + k);
		assert_int_equal(dh_ring_put(r, (struct dh_ring_tag){i, n}, buf, n, NULL), 0);
		if (i % 3 == 2)
			continue; /* let records pile up, so the ring wraps while holding some */
		while (dh_ring_peek(r, 0, &tag, &p, &len) == 1) {
			assert_int_equal(tag.b, len);
			for (size_t k = 0; k < len; k++)
				assert_int_equal(p[k], (uint8_t)(tag.a + k));
			dh_ring_pop(r);
		}
	}
	dh_ring_usage(r, &used, &peak);
	assert_int_equal(used, 0);
	assert_true(peak > 0 && peak <= 256);
	dh_ring_close(r);
	assert_int_equal(dh_ring_peek(r, 10, &tag, &p, &len), -EPIPE);
	assert_int_equal(dh_ring_put(r, tag, buf, 1, NULL), -EPIPE);
	dh_ring_free(r);
}

struct ring_feed {
	struct dh_ring *r;
	unsigned n;
	unsigned waits;
};

static void *ring_producer(void *arg)
{
	struct ring_feed *f = arg;
	uint8_t buf[300];
	for (unsigned i = 0; i < f->n; i++) {
		size_t n = (i * 7919u) % sizeof(buf);
		int waited;
		memset(buf, (int)(i & 0xff), n);
		if (dh_ring_put(f->r, (struct dh_ring_tag){i, n}, buf, n, &waited) != 0)
			break;
		f->waits += (unsigned)waited;
	}
	dh_ring_close(f->r);
	return NULL;
}

/* Two threads through a ring much smaller than what passes: every record
 * arrives once, in order, intact, and the producer had to wait. */
static void ring_two_threads(void **state)
{
	(void)state;
	struct ring_feed f = {.n = 200000};
	struct dh_ring_tag tag;
	const uint8_t *p;
	size_t len;
	pthread_t t;
	unsigned next = 0;
	int r;

	assert_int_equal(dh_ring_new(&f.r, 4096), 0);
	assert_int_equal(pthread_create(&t, NULL, ring_producer, &f), 0);
	while ((r = dh_ring_peek(f.r, -1, &tag, &p, &len)) == 1) {
		assert_int_equal(tag.a, next);
		assert_int_equal(len, tag.b);
		for (size_t k = 0; k < len; k++)
			assert_int_equal(p[k], (uint8_t)(next & 0xff));
		dh_ring_pop(f.r);
		next++;
	}
	assert_int_equal(r, -EPIPE);
	pthread_join(t, NULL);
	assert_int_equal(next, f.n);
	assert_true(f.waits > 0);
	dh_ring_free(f.r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(cursor_empty_and_sticky),
	    cmocka_unit_test(cursor_endianness),
	    cmocka_unit_test(addr_round_trip),
	    cmocka_unit_test(addr_rfc5952),
	    cmocka_unit_test(buf_json_escapes),
	    cmocka_unit_test(time_format_and_parse),
	    cmocka_unit_test(hash_streaming_equals_whole),
	    cmocka_unit_test(strerror_covers_all),
	    cmocka_unit_test(ring_order_and_wrap),
	    cmocka_unit_test(ring_two_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
