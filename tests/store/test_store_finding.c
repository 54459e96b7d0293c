/*
 * test_store_finding.c - the findings table: dedup across handles (a
 * restarted detector), raising a level, filters, the JSON form with
 * hostile evidence text, a table beside a store's ingest lock, and puts
 * grouped into transactions: visible to others when committed, lost by a
 * crash before, deduplicated inside a group.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "store/finding.h"
#include "util/buf.h"
#include "util/err.h"

#define SEC  1000000000LL
#define HOUR (3600 * SEC)
#define T0   (1795305600LL * SEC)

static void mk(struct store_finding *f, const char *host, const char *kind, unsigned level,
               int64_t start, double score)
{
	memset(f, 0, sizeof(*f));
	f->host = th_addr(host);
	snprintf(f->kind, sizeof(f->kind), "%s", kind);
	f->level = level;
	f->window_start_ns = start;
	f->window_end_ns = start + 24 * HOUR;
	f->score = score;
	f->evidence = "{\"mx\":1200}";
}

struct coll {
	size_t n;
	unsigned level[16];
	char host[16][DH_ADDR_TEXT_MAX];
	char evidence[16][64];
};

static int collect(void *ctx, const struct store_finding *f)
{
	struct coll *c = ctx;
	if (c->n < 16) {
		c->level[c->n] = f->level;
		dh_addr_format(&f->host, c->host[c->n], DH_ADDR_TEXT_MAX);
		snprintf(c->evidence[c->n], 64, "%s", f->evidence);
	}
	c->n++;
	return 0;
}

static void test_levels(void **state)
{
	unsigned l = 0;
	assert_string_equal(store_level_name(STORE_LEVEL_CANDIDATE), "candidate");
	assert_string_equal(store_level_name(STORE_LEVEL_EMERGENCY), "emergency");
	assert_string_equal(store_level_name(99), "?");
	assert_int_equal(store_level_parse("warning", &l), 0);
	assert_int_equal(l, STORE_LEVEL_WARNING);
	assert_int_equal(store_level_parse("none", &l), DH_ENOTFOUND);
	assert_int_equal(store_level_parse("", &l), DH_ENOTFOUND);
}

static void test_missing_store(void **state)
{
	char dir[4096];
	struct store_findings *t = (struct store_findings *)1;
	th_tmpdir(dir, sizeof(dir));
	assert_int_equal(store_findings_open(&t, dir, 0), -ENOENT);
	assert_null(t);
	assert_int_equal(store_findings_open(&t, NULL, 1), DH_EUSAGE);
	store_findings_close(NULL);
	th_rmtree(dir);
}

static void test_dedup_and_raise(void **state)
{
	char dir[4096];
	struct store *s = NULL;
	struct store_findings *t = NULL;
	struct store_finding f;
	th_tmpdir(dir, sizeof(dir));
	/* The ingest side holds the store's lock the whole time. */
	assert_int_equal(store_open(&s, dir, STORE_CREATE), 0);
	assert_int_equal(store_findings_open(&t, dir, 0), 0);

	mk(&f, "192.0.2.7", "spam-mx", STORE_LEVEL_CANDIDATE, T0, 1200);
	assert_int_equal(store_findings_put(t, &f, T0 + 5), STORE_FINDING_NEW);
	assert_int_equal(store_findings_put(t, &f, T0 + 6), STORE_FINDING_KNOWN);
	/* Another kind or window of the same host is another finding. */
	mk(&f, "192.0.2.7", "dga", STORE_LEVEL_CANDIDATE, T0, 10);
	assert_int_equal(store_findings_put(t, &f, T0 + 7), STORE_FINDING_NEW);
	mk(&f, "192.0.2.7", "spam-mx", STORE_LEVEL_CANDIDATE, T0 + 24 * HOUR, 1000);
	assert_int_equal(store_findings_put(t, &f, T0 + 8), STORE_FINDING_NEW);
	store_findings_close(t);

	/* A restarted detector sees what the first one recorded. */
	assert_int_equal(store_findings_open(&t, dir, 0), 0);
	mk(&f, "192.0.2.7", "spam-mx", STORE_LEVEL_CANDIDATE, T0, 1100);
	assert_int_equal(store_findings_put(t, &f, T0 + 9), STORE_FINDING_KNOWN);
	mk(&f, "192.0.2.7", "spam-mx", STORE_LEVEL_WARNING, T0, 5200);
	f.evidence = "{\"mx\":5200}";
	assert_int_equal(store_findings_put(t, &f, T0 + 10), STORE_FINDING_RAISED);
	mk(&f, "192.0.2.7", "spam-mx", STORE_LEVEL_CANDIDATE, T0, 9999);
	assert_int_equal(store_findings_put(t, &f, T0 + 11), STORE_FINDING_KNOWN);
	mk(&f, "2001:db8::9", "tunnel", STORE_LEVEL_EMERGENCY, T0 + HOUR, 3);
	assert_int_equal(store_findings_put(t, &f, T0 + 12), STORE_FINDING_NEW);

	struct store_findings_filter flt;
	struct coll c;
	store_findings_filter_init(&flt);
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_findings_list(t, &flt, collect, &c), 0);
	assert_int_equal(c.n, 4);
	assert_int_equal(c.level[0], STORE_LEVEL_CANDIDATE); /* dga sorts before spam-mx */
	assert_int_equal(c.level[1], STORE_LEVEL_WARNING);
	assert_string_equal(c.evidence[1], "{\"mx\":5200}");
	assert_string_equal(c.host[2], "2001:db8::9");

	flt.min_level = STORE_LEVEL_WARNING;
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_findings_list(t, &flt, collect, &c), 0);
	assert_int_equal(c.n, 2);

	store_findings_filter_init(&flt);
	flt.host = th_addr("192.0.2.7");
	flt.kind = "spam-mx";
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_findings_list(t, &flt, collect, &c), 0);
	assert_int_equal(c.n, 2);

	store_findings_filter_init(&flt);
	flt.since_ns = T0 + 25 * HOUR; /* only the second day overlaps */
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_findings_list(t, &flt, collect, &c), 0);
	assert_int_equal(c.n, 1);

	store_findings_filter_init(&flt);
	flt.limit = 1;
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_findings_list(t, &flt, collect, &c), 0);
	assert_int_equal(c.n, 1);

	store_findings_close(t);
	store_close(s);
	th_rmtree(dir);
}

/* The findings another handle (another process) sees. */
static size_t count_seen(const char *dir)
{
	struct store_findings *o = NULL;
	struct store_findings_filter flt;
	struct coll c;
	store_findings_filter_init(&flt);
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_findings_open(&o, dir, 0), 0);
	assert_int_equal(store_findings_list(o, &flt, collect, &c), 0);
	store_findings_close(o);
	return c.n;
}

static void test_batch(void **state)
{
	char dir[4096];
	struct store *s = NULL;
	struct store_findings *t = NULL;
	struct store_finding f;
	th_tmpdir(dir, sizeof(dir));
	assert_int_equal(store_open(&s, dir, STORE_CREATE), 0);
	assert_int_equal(store_findings_open(&t, dir, 0), 0);
	assert_int_equal(store_findings_flush(NULL), 0);
	assert_int_equal(store_findings_flush(t), 0); /* nothing open */
	store_findings_set_batch(t, 3);

	/* A group of three commits itself on its third put. */
	mk(&f, "192.0.2.1", "spam-mx", STORE_LEVEL_CANDIDATE, T0, 1200);
	assert_int_equal(store_findings_put(t, &f, T0 + 1), STORE_FINDING_NEW);
	/* The same finding again inside the open group is known. */
	assert_int_equal(store_findings_put(t, &f, T0 + 2), STORE_FINDING_KNOWN);
	assert_int_equal(count_seen(dir), 0);
	mk(&f, "192.0.2.2", "spam-mx", STORE_LEVEL_CANDIDATE, T0, 1200);
	assert_int_equal(store_findings_put(t, &f, T0 + 3), STORE_FINDING_NEW);
	assert_int_equal(count_seen(dir), 2);
	/* A flush commits a group that is not full. */
	mk(&f, "192.0.2.3", "spam-mx", STORE_LEVEL_CANDIDATE, T0, 1200);
	assert_int_equal(store_findings_put(t, &f, T0 + 4), STORE_FINDING_NEW);
	assert_int_equal(count_seen(dir), 2);
	assert_int_equal(store_findings_flush(t), 0);
	assert_int_equal(count_seen(dir), 3);
	/* And closing commits the open group. */
	mk(&f, "192.0.2.4", "spam-mx", STORE_LEVEL_CANDIDATE, T0, 1200);
	assert_int_equal(store_findings_put(t, &f, T0 + 5), STORE_FINDING_NEW);
	store_findings_close(t);
	assert_int_equal(count_seen(dir), 4);

	/* A detector that dies with a group open loses that group only: a
	 * rerun finds its findings new, the committed ones known. */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store_findings *c = NULL;
		if (store_findings_open(&c, dir, 0) != 0)
			_exit(2);
		store_findings_set_batch(c, 100);
		mk(&f, "192.0.2.5", "dga", STORE_LEVEL_CANDIDATE, T0, 300);
		if (store_findings_put(c, &f, T0 + 6) != STORE_FINDING_NEW)
			_exit(3);
		_exit(0); /* no flush, no close: a crash */
	}
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(count_seen(dir), 4);
	assert_int_equal(store_findings_open(&t, dir, 0), 0);
	store_findings_set_batch(t, 100);
	mk(&f, "192.0.2.5", "dga", STORE_LEVEL_CANDIDATE, T0, 300);
	assert_int_equal(store_findings_put(t, &f, T0 + 7), STORE_FINDING_NEW);
	mk(&f, "192.0.2.1", "spam-mx", STORE_LEVEL_CANDIDATE, T0, 1200);
	assert_int_equal(store_findings_put(t, &f, T0 + 8), STORE_FINDING_KNOWN);
	assert_int_equal(store_findings_flush(t), 0);
	store_findings_close(t);
	assert_int_equal(count_seen(dir), 5);
	store_close(s);
	th_rmtree(dir);
}

static void test_json(void **state)
{
	struct store_finding f;
	struct dh_buf b;
	mk(&f, "198.51.100.4", "spam\"<x>", STORE_LEVEL_EMERGENCY, T0, 12345.5);
	f.evidence = NULL;
	dh_buf_init(&b);
	store_finding_json(&f, &b);
	dh_buf_addc(&b, 0);
	assert_int_equal(b.err, 0);
	assert_string_equal(b.data, "{\"host\":\"198.51.100.4\",\"level\":\"emergency\","
	                            "\"kind\":\"spam\\\"<x>\","
	                            "\"window_start\":\"2026-11-22T00:00:00.000000000Z\","
	                            "\"window_end\":\"2026-11-23T00:00:00.000000000Z\","
	                            "\"score\":12345.5,\"evidence\":{}}");
	dh_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_levels),          cmocka_unit_test(test_missing_store),
	    cmocka_unit_test(test_dedup_and_raise), cmocka_unit_test(test_json),
	    cmocka_unit_test(test_batch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
