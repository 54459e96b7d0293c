/*
 * test_allow_conf.c - allow-lists (hosts, networks, suffixes at label
 * boundaries, files with a bad line) and the configuration syntax
 * (sections, quotes, comments, errors that name the line).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/allow.h"
#include "util/conf.h"
#include "util/err.h"

static int has_addr(const struct dh_allow *s, const char *text)
{
	struct dh_addr a;
	assert_int_equal(dh_addr_parse(&a, text), 0);
	return dh_allow_addr(s, &a);
}

static int has_name(const struct dh_allow *s, const char *name)
{
	return dh_allow_name(s, name, strlen(name));
}

static void test_allow_empty(void **state)
{
	struct dh_allow *s = NULL;
	struct dh_addr none = {0};
	assert_int_equal(dh_allow_new(&s), 0);
	assert_int_equal(has_addr(s, "192.0.2.1"), 0);
	assert_int_equal(has_name(s, "example.com"), 0);
	assert_int_equal(dh_allow_addr(s, &none), 0);
	assert_int_equal(dh_allow_addr(NULL, &none), 0);
	assert_int_equal(dh_allow_name(NULL, "a", 1), 0);
	assert_int_equal(dh_allow_count(s), 0);
	dh_allow_free(s);
	dh_allow_free(NULL);
}

static void test_allow_nets(void **state)
{
	struct dh_allow *s = NULL;
	assert_int_equal(dh_allow_new(&s), 0);
	assert_int_equal(dh_allow_add(s, " 10.0.0.0/8 "), 0);
	assert_int_equal(dh_allow_add(s, "192.0.2.53"), 0);
	assert_int_equal(dh_allow_add(s, "2001:db8:1::/48"), 0);
	assert_int_equal(dh_allow_add(s, "198.51.100.77/25"), 0); /* host bits are masked */
	assert_int_equal(dh_allow_add(s, "0.0.0.0/0") == 0, 1);
	assert_int_equal(has_addr(s, "10.200.1.1"), 1);
	dh_allow_free(s);

	assert_int_equal(dh_allow_new(&s), 0);
	assert_int_equal(dh_allow_add_net(s, "10.0.0.0/8"), 0);
	assert_int_equal(dh_allow_add_net(s, "192.0.2.53"), 0);
	assert_int_equal(dh_allow_add_net(s, "2001:db8:1::/48"), 0);
	assert_int_equal(dh_allow_add_net(s, "198.51.100.77/25"), 0);
	assert_int_equal(dh_allow_add_net(s, "example.com"), DH_EMALFORMED);
	assert_int_equal(dh_allow_add_net(s, "10.0.0.0/33"), DH_EMALFORMED);
	assert_int_equal(dh_allow_add_net(s, "2001:db8::/129"), DH_EMALFORMED);
	assert_int_equal(dh_allow_add_net(s, "10.0.0.0/"), DH_EMALFORMED);
	assert_int_equal(dh_allow_add_net(s, "10.0.0.0/8x"), DH_EMALFORMED);
	assert_int_equal(dh_allow_add_net(s, ""), DH_EMALFORMED);
	assert_int_equal(dh_allow_count(s), 4);
	assert_int_equal(has_addr(s, "10.255.255.255"), 1);
	assert_int_equal(has_addr(s, "11.0.0.0"), 0);
	assert_int_equal(has_addr(s, "192.0.2.53"), 1);
	assert_int_equal(has_addr(s, "192.0.2.54"), 0);
	assert_int_equal(has_addr(s, "2001:db8:1:ffff::1"), 1);
	assert_int_equal(has_addr(s, "2001:db8:2::1"), 0);
	assert_int_equal(has_addr(s, "198.51.100.0"), 1);
	assert_int_equal(has_addr(s, "198.51.100.127"), 1);
	assert_int_equal(has_addr(s, "198.51.100.128"), 0);
	/* An IPv4 network never matches an IPv6 address with the same bytes. */
	assert_int_equal(has_addr(s, "a00::1"), 0);
	dh_allow_free(s);
}

static void test_allow_names(void **state)
{
	struct dh_allow *s = NULL;
	assert_int_equal(dh_allow_new(&s), 0);
	assert_int_equal(dh_allow_add(s, "Example.COM."), 0);
	assert_int_equal(dh_allow_add(s, "*.googlemail.com"), 0);
	assert_int_equal(dh_allow_add(s, ".amazonaws.com"), 0);
	assert_int_equal(dh_allow_add(s, "_dmarc.example.net"), 0);
	assert_int_equal(dh_allow_add(s, "example.com"), 0); /* again: one entry */
	assert_int_equal(dh_allow_count(s), 4);
	assert_int_equal(dh_allow_add(s, "a..b"), DH_EMALFORMED);
	assert_int_equal(dh_allow_add(s, "bad name"), DH_EMALFORMED);
	assert_int_equal(dh_allow_add(s, "quote\"d"), DH_EMALFORMED);
	assert_int_equal(dh_allow_add(s, "."), DH_EMALFORMED);
	char label[80];
	memset(label, 'a', 64);
	label[64] = 0;
	assert_int_equal(dh_allow_add(s, label), DH_EMALFORMED);

	assert_int_equal(has_name(s, "example.com"), 1);
	assert_int_equal(has_name(s, "example.com."), 1);
	assert_int_equal(has_name(s, "MAIL.example.com."), 1);
	assert_int_equal(has_name(s, "a.b.c.example.com"), 1);
	assert_int_equal(has_name(s, "badexample.com"), 0);
	assert_int_equal(has_name(s, "example.com.evil.org"), 0);
	assert_int_equal(has_name(s, "com"), 0);
	assert_int_equal(has_name(s, "googlemail.com"), 1);
	assert_int_equal(has_name(s, "x.s3.amazonaws.com"), 1);
	assert_int_equal(has_name(s, "_dmarc.example.net"), 1);
	assert_int_equal(has_name(s, "example.net"), 0);
	assert_int_equal(has_name(s, ""), 0);
	assert_int_equal(has_name(s, "."), 0);
	/* A name is never taken for an address, nor the reverse. */
	assert_int_equal(has_addr(s, "192.0.2.1"), 0);
	dh_allow_free(s);
}

static void test_allow_many(void **state)
{
	struct dh_allow *s = NULL;
	char text[64];
	assert_int_equal(dh_allow_new(&s), 0);
	for (unsigned i = 0; i < 5000; i++) {
		snprintf(text, sizeof(text), "10.%u.%u.1", i >> 8, i & 255);
		assert_int_equal(dh_allow_add(s, text), 0);
		snprintf(text, sizeof(text), "host%u.example.org", i);
		assert_int_equal(dh_allow_add(s, text), 0);
	}
	assert_int_equal(dh_allow_count(s), 10000);
	assert_int_equal(has_addr(s, "10.19.135.1"), 1);
	assert_int_equal(has_addr(s, "10.19.135.2"), 0);
	assert_int_equal(has_name(s, "www.host4999.example.org"), 1);
	assert_int_equal(has_name(s, "host5000.example.org"), 0);
	dh_allow_free(s);
}

static void test_allow_file(void **state)
{
	char path[] = "allow-test-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char text[] = "# mail servers\n192.0.2.25\n\n  mx.example.com  # ours\n"
	                    "10.1.0.0/16\nnot a name\n";
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	struct dh_allow *s = NULL;
	unsigned line = 99;
	assert_int_equal(dh_allow_new(&s), 0);
	assert_int_equal(dh_allow_add_file(s, path, &line), DH_EMALFORMED);
	assert_int_equal(line, 6);
	assert_int_equal(dh_allow_count(s), 3);
	assert_int_equal(has_name(s, "mx.example.com"), 1);
	unlink(path);
	assert_int_equal(dh_allow_add_file(s, path, &line), -ENOENT);
	assert_int_equal(line, 0);
	dh_allow_free(s);
}

struct seen {
	char text[1024];
	int fail_key; /* 1: the callback refuses the key "bad" */
};

static int record(void *ctx, const struct dh_conf_item *it, char *err, size_t errlen)
{
	struct seen *s = ctx;
	if (s->fail_key && strcmp(it->key, "bad") == 0) {
		snprintf(err, errlen, "unknown key '%s' in [%s]", it->key, it->section);
		return DH_EUSAGE;
	}
	size_t n = strlen(s->text);
	snprintf(s->text + n, sizeof(s->text) - n, "%s|%s|%s=%s@%u;", it->section, it->name,
	         it->key, it->value, it->line);
	return 0;
}

static int parse(struct seen *s, const char *text, char *err, size_t errlen)
{
	memset(s->text, 0, sizeof(s->text));
	return dh_conf_parse(text, strlen(text), "test.conf", record, s, err, errlen);
}

static void test_conf_syntax(void **state)
{
	struct seen s = {{0}, 0};
	char err[256];
	assert_int_equal(parse(&s, "", err, sizeof(err)), 0);
	assert_string_equal(s.text, "");
	assert_int_equal(parse(&s,
	                       "top = 1\r\n# comment\n[detect]\n  candidate = 1000 # per day\n"
	                       "[detect spam-mx]\nwarning=5k\nlocal = 10.0.0.0/8\n"
	                       "name = \"a # b\"\n[ agent ]\nlast = x",
	                       err, sizeof(err)),
	                 0);
	assert_string_equal(s.text,
	                    "||top=1@1;detect||candidate=1000@4;detect|spam-mx|warning=5k@6;"
	                    "detect|spam-mx|local=10.0.0.0/8@7;detect|spam-mx|name=a # b@8;"
	                    "agent||last=x@10;");
}

static void test_conf_errors(void **state)
{
	struct seen s = {{0}, 0};
	char err[256];
	assert_int_equal(parse(&s, "[detect\n", err, sizeof(err)), DH_EMALFORMED);
	assert_string_equal(err, "test.conf:1: section header without closing ']'");
	assert_int_equal(parse(&s, "\n\njust words\n", err, sizeof(err)), DH_EMALFORMED);
	assert_string_equal(err, "test.conf:3: expected 'key = value' or '[section]'");
	assert_int_equal(parse(&s, "= 3\n", err, sizeof(err)), DH_EMALFORMED);
	assert_int_equal(parse(&s, "k y = 3\n", err, sizeof(err)), DH_EMALFORMED);
	assert_int_equal(parse(&s, "k = \"open\n", err, sizeof(err)), DH_EMALFORMED);
	assert_int_equal(parse(&s, "[a b c]\n", err, sizeof(err)), DH_EMALFORMED);
	assert_int_equal(parse(&s, "[]\n", err, sizeof(err)), DH_EMALFORMED);
	assert_int_equal(parse(&s, "k = a\x01b\n", err, sizeof(err)), DH_EMALFORMED);
	assert_int_equal(dh_conf_parse("k = a\0b\n", 8, "t", record, &s, err, sizeof(err)),
	                 DH_EMALFORMED);
	assert_string_equal(err, "t:1: NUL byte in line");
	char *big = malloc(5000);
	assert_non_null(big);
	memset(big, 'x', 4999);
	big[4999] = 0;
	assert_int_equal(parse(&s, big, err, sizeof(err)), DH_EMALFORMED);
	assert_string_equal(err, "test.conf:1: line too long");
	free(big);
	s.fail_key = 1;
	assert_int_equal(parse(&s, "[nshist]\ngood = 1\nbad = 2\n", err, sizeof(err)), DH_EUSAGE);
	assert_string_equal(err, "test.conf:3: unknown key 'bad' in [nshist]");
	assert_int_equal(
	    dh_conf_parse_file("/nonexistent/dnshound.conf", record, &s, err, sizeof(err)),
	    -ENOENT);
}

static void test_conf_values(void **state)
{
	int b = -1;
	unsigned long long u = 0;
	double d = -1;
	assert_int_equal(dh_conf_bool("Yes", &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(dh_conf_bool("off", &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(dh_conf_bool("maybe", &b), DH_EMALFORMED);
	assert_int_equal(dh_conf_u64("10000", &u), 0);
	assert_int_equal(u, 10000);
	assert_int_equal(dh_conf_u64("5k", &u), 0);
	assert_int_equal(u, 5000);
	assert_int_equal(dh_conf_u64("2G", &u), 0);
	assert_int_equal(u, 2000000000ULL);
	assert_int_equal(dh_conf_u64("18446744073709551615", &u), 0);
	assert_int_equal(dh_conf_u64("18446744073709551616", &u), DH_EMALFORMED);
	assert_int_equal(dh_conf_u64("99999999999999999G", &u), DH_EMALFORMED);
	assert_int_equal(dh_conf_u64("-1", &u), DH_EMALFORMED);
	assert_int_equal(dh_conf_u64("", &u), DH_EMALFORMED);
	assert_int_equal(dh_conf_u64("5kb", &u), DH_EMALFORMED);
	assert_int_equal(dh_conf_seconds("90", &d), 0);
	assert_true(d == 90);
	assert_int_equal(dh_conf_seconds("1.5s", &d), 0);
	assert_true(d == 1.5);
	assert_int_equal(dh_conf_seconds("10m", &d), 0);
	assert_true(d == 600);
	assert_int_equal(dh_conf_seconds("1d", &d), 0);
	assert_true(d == 86400);
	assert_int_equal(dh_conf_seconds("-5", &d), DH_EMALFORMED);
	assert_int_equal(dh_conf_seconds("inf", &d), DH_EMALFORMED);
	assert_int_equal(dh_conf_seconds("nan", &d), DH_EMALFORMED);
	assert_int_equal(dh_conf_seconds("5 m", &d), DH_EMALFORMED);
	assert_int_equal(dh_conf_seconds("", &d), DH_EMALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_allow_empty), cmocka_unit_test(test_allow_nets),
	    cmocka_unit_test(test_allow_names), cmocka_unit_test(test_allow_many),
	    cmocka_unit_test(test_allow_file),  cmocka_unit_test(test_conf_syntax),
	    cmocka_unit_test(test_conf_errors), cmocka_unit_test(test_conf_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
