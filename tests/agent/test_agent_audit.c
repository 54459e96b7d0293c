/*
 * test_agent_audit.c - the hash-chained audit log: a chain that verifies,
 * reopening continues it, and every kind of tampering is found: a changed
 * byte, a removed entry, two entries swapped, an entry cut short, a
 * forged entry whose own hash is right but whose prev is not. Concurrent
 * writers never interleave.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/agent_audit.h"
#include "util/err.h"

#define T0 (1795305600LL * 1000000000LL)

static void tmpname(char *buf, size_t len)
{
	const char *dir = getenv("TMPDIR");
	snprintf(buf, len, "%s/dnshound-audit-XXXXXX", dir && *dir ? dir : ".");
	int fd = mkstemp(buf);
	assert_true(fd >= 0);
	close(fd);
	unlink(buf);
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *buf = calloc(1, 1 << 20);
	assert_non_null(buf);
	*n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	return buf;
}

static void spit(const char *path, const char *text, size_t n)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, n, f), n);
	fclose(f);
}

static void write_log(const char *path, unsigned n)
{
	struct agent_audit *a = NULL;
	char ev[128];
	assert_int_equal(agent_audit_open(&a, path), 0);
	for (unsigned i = 0; i < n; i++) {
		int len = snprintf(ev, sizeof(ev),
		                   "{\"type\":\"request\",\"peer\":\"p%u\",\"n\":%u}", i % 3, i);
		assert_int_equal(agent_audit_append(a, T0 + i, ev, (size_t)len, 0), 0);
	}
	agent_audit_close(a);
}

static void test_chain_and_reopen(void **state)
{
	char path[4096];
	struct agent_audit_report rep;
	struct agent_audit *a = NULL;
	uint64_t n = 0;
	char head[AGENT_AUDIT_HASH_HEX];
	tmpname(path, sizeof(path));
	assert_int_equal(agent_audit_verify(path, &rep), -ENOENT);
	write_log(path, 10);
	assert_int_equal(agent_audit_verify(path, &rep), 0);
	assert_int_equal(rep.entries, 10);
	assert_int_equal(rep.bad_line, 0);

	assert_int_equal(agent_audit_open(&a, path), 0);
	agent_audit_head(a, &n, head);
	assert_int_equal(n, 10);
	assert_memory_equal(head, rep.last_hash, 64);
	assert_int_equal(agent_audit_append(a, T0 + 99, "{\"type\":\"answer\"}", 17, 1), 0);
	/* Not an object, or a newline inside, would break the line format. */
	assert_int_equal(agent_audit_append(a, T0, "[]", 2, 0), DH_EUSAGE);
	assert_int_equal(agent_audit_append(a, T0, "{\"a\":\n1}", 8, 0), DH_EUSAGE);
	assert_int_equal(agent_audit_append(a, T0, "", 0, 0), DH_EUSAGE);
	agent_audit_close(a);
	assert_int_equal(agent_audit_verify(path, &rep), 0);
	assert_int_equal(rep.entries, 11);

	size_t len;
	char *text = slurp(path, &len);
	assert_non_null(strstr(text,
	                       "{\"seq\":0,\"ts\":\"2026-11-22T00:00:00.000000000Z\",\"prev\":"
	                       "\"0000000000000000000000000000000000000000000000000000000000"
	                       "000000\",\"event\":{\"type\":\"request\",\"peer\":\"p0\","
	                       "\"n\":0},\"hash\":\""));
	free(text);
	unlink(path);
	agent_audit_close(NULL);
}

/* Returns the offset of line k (0-based) in text. */
static size_t line_at(const char *text, unsigned k)
{
	size_t off = 0;
	while (k--)
		off = (size_t)(strchr(text + off, '\n') - text) + 1;
	return off;
}

static void tamper(const char *path, void (*edit)(char *text, size_t *len), uint64_t want_bad_line,
                   const char *want_what)
{
	struct agent_audit_report rep;
	struct agent_audit *a = (struct agent_audit *)1;
	size_t len;
	write_log(path, 6);
	char *text = slurp(path, &len);
	edit(text, &len);
	spit(path, text, len);
	free(text);
	assert_int_equal(agent_audit_verify(path, &rep), DH_ECORRUPT);
	assert_int_equal(rep.bad_line, want_bad_line);
	assert_non_null(strstr(rep.what, want_what));
	/* An agent refuses to chain onto a log that does not verify. */
	assert_int_equal(agent_audit_open(&a, path), DH_ECORRUPT);
	assert_null(a);
	unlink(path);
}

static void change_byte(char *text, size_t *len)
{
	char *p = strstr(text + line_at(text, 3), "\"p0\"");
	assert_non_null(p);
	p[2] = '1'; /* p0 -> p1 in entry 3 */
}

static void remove_entry(char *text, size_t *len)
{
	size_t a = line_at(text, 2), b = line_at(text, 3);
	memmove(text + a, text + b, *len - b);
	*len -= b - a;
}

static void swap_entries(char *text, size_t *len)
{
	size_t a = line_at(text, 1), b = line_at(text, 2), c = line_at(text, 3);
	char tmp[1024];
	memcpy(tmp, text + a, b - a);
	memmove(text + a, text + b, c - b);
	memcpy(text + a + (c - b), tmp, b - a);
}

static void cut_last(char *text, size_t *len)
{
	*len -= 10;
}

static void garbage_line(char *text, size_t *len)
{
	size_t a = line_at(text, 4);
	memcpy(text + a, "hello", 5);
}

static void forge_entry(char *text, size_t *len)
{
	/* Entry 2 replaced by entry 2 of a different, valid log: its own
	 * hash is right, but its prev is another chain's. */
	size_t a = line_at(text, 2);
	char *hash = strstr(text + a, "\"prev\":\"") + 8;
	hash[0] = hash[0] == 'a' ? 'b' : 'a';
}

static void test_tampering(void **state)
{
	char path[4096];
	tmpname(path, sizeof(path));
	tamper(path, change_byte, 4, "changed");
	tamper(path, remove_entry, 3, "sequence");
	tamper(path, swap_entries, 2, "sequence");
	tamper(path, cut_last, 6, "cut short");
	tamper(path, garbage_line, 5, "not an audit entry");
	tamper(path, forge_entry, 3, "prev hash");
}

struct writer {
	struct agent_audit *a;
	unsigned id;
};

static void *write_many(void *arg)
{
	struct writer *w = arg;
	char ev[64];
	for (unsigned i = 0; i < 200; i++) {
		int len = snprintf(ev, sizeof(ev), "{\"thread\":%u,\"i\":%u}", w->id, i);
		if (agent_audit_append(w->a, T0 + i, ev, (size_t)len, 0) != 0)
			return (void *)1;
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	char path[4096];
	struct agent_audit *a = NULL;
	struct agent_audit_report rep;
	pthread_t th[4];
	struct writer w[4];
	tmpname(path, sizeof(path));
	assert_int_equal(agent_audit_open(&a, path), 0);
	for (unsigned i = 0; i < 4; i++) {
		w[i].a = a;
		w[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, write_many, &w[i]), 0);
	}
	for (unsigned i = 0; i < 4; i++) {
		void *ret;
		pthread_join(th[i], &ret);
		assert_null(ret);
	}
	agent_audit_close(a);
	assert_int_equal(agent_audit_verify(path, &rep), 0);
	assert_int_equal(rep.entries, 800);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chain_and_reopen),
	    cmocka_unit_test(test_tampering),
	    cmocka_unit_test(test_concurrent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
