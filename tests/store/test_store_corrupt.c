/*
 * test_store_corrupt.c - damaged segment files: a flipped byte anywhere,
 * a truncated file, a missing file. Queries report DH_ECORRUPT for the
 * damaged segment, still deliver the healthy ones, and never crash (run
 * this under the sanitizer build to see the last point).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "util/err.h"

#define T0   (1795305600LL * 1000000000LL)
#define HOUR (3600LL * 1000000000LL)

struct fx {
	char dir[4096];
	char victim[4200]; /* the segment of the first hour */
	struct th_hits *h;
	uint8_t *orig;
	size_t len;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->h = calloc(1, sizeof(*f->h));
	assert_non_null(f->h);
	th_tmpdir(f->dir, sizeof(f->dir));
	struct store *s;
	assert_int_equal(store_open(&s, f->dir, STORE_CREATE), 0);
	struct ev_event ev;
	/* Hour 0 goes into segment 1, hour 1 into segment 2; each name has
	 * 20 events in each, enough for the segment's name cluster. */
	for (int i = 0; i < 80; i++) {
		th_event(&ev, T0 + (i % 2) * HOUR + i, i % 4 < 2 ? "a.example." : "b.example.",
		         "192.0.2.1", "198.51.100.53", i % 3 == 0);
		if (i % 3 == 0)
			th_add_rr(&ev, DNS_SEC_ANSWER, DNS_T_A, 60, "a.example.", "203.0.113.1");
		assert_int_equal(store_ingest_add(s, &ev), 0);
	}
	assert_int_equal(store_ingest_end(s), 0);
	store_close(s);
	snprintf(f->victim, sizeof(f->victim), "%s/seg/1.dhs", f->dir);
	FILE *fp = fopen(f->victim, "rb");
	assert_non_null(fp);
	f->orig = malloc(1 << 20);
	assert_non_null(f->orig);
	f->len = fread(f->orig, 1, 1 << 20, fp);
	fclose(fp);
	assert_true(f->len > 100);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	th_rmtree(f->dir);
	free(f->orig);
	free(f->h);
	free(f);
	return 0;
}

static void write_victim(struct fx *f, const uint8_t *p, size_t n)
{
	FILE *fp = fopen(f->victim, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(p, 1, n, fp), n);
	fclose(fp);
}

/* brief: through store_query_brief(), whose client lookups read the
 * segment's client cluster. */
static int query_as(struct fx *f, const char *qname, int client, int brief)
{
	struct store *s;
	struct store_query q;
	memset(&q, 0, sizeof(q));
	q.since_ns = INT64_MIN;
	q.until_ns = INT64_MAX;
	q.qname = qname;
	if (client)
		q.client = th_addr("192.0.2.1");
	memset(f->h, 0, sizeof(*f->h));
	assert_int_equal(store_open(&s, f->dir, STORE_READONLY), 0);
	int rc = brief ? store_query_brief(s, &q, th_collect, f->h)
	               : store_query_run(s, &q, th_collect, f->h);
	store_close(s);
	return rc;
}

static int query(struct fx *f, const char *qname, int client)
{
	return query_as(f, qname, client, 0);
}

static void test_intact(void **state)
{
	struct fx *f = *state;
	assert_int_equal(query(f, NULL, 0), 0);
	assert_int_equal(f->h->n, 80);
	assert_int_equal(query_as(f, "a.example.", 0, 1), 0);
	assert_int_equal(f->h->n, 40);
}

static void test_flip_block_byte(void **state)
{
	struct fx *f = *state;
	uint8_t *p = malloc(f->len);
	assert_non_null(p);
	memcpy(p, f->orig, f->len);
	p[12] ^= 0x55; /* inside the first block's zstd frame */
	write_victim(f, p, f->len);
	assert_int_equal(query(f, NULL, 0), DH_ECORRUPT);
	/* The healthy segment of the second hour is still delivered. */
	assert_int_equal(f->h->n, 40);
	for (size_t i = 0; i < f->h->n; i++)
		assert_true(f->h->ts[i] >= T0 + HOUR);
	free(p);
}

/* A flipped byte in the client cluster's first frame: the brief client
 * lookup reports the damage and still delivers the healthy segment. */
static void test_flip_cluster_byte(void **state)
{
	struct fx *f = *state;
	assert_int_equal(query_as(f, NULL, 1, 1), 0);
	assert_int_equal(f->h->n, 80);
	/* The cluster frame is the last zstd frame before the footer: find
	 * the last frame magic (28 b5 2f fd) in the file. */
	size_t at = 0;
	for (size_t i = 0; i + 4 <= f->len; i++)
		if (f->orig[i] == 0x28 && f->orig[i + 1] == 0xb5 && f->orig[i + 2] == 0x2f &&
		    f->orig[i + 3] == 0xfd)
			at = i;
	assert_true(at > 0);
	uint8_t *p = malloc(f->len);
	assert_non_null(p);
	memcpy(p, f->orig, f->len);
	p[at + 12] ^= 0x55;
	write_victim(f, p, f->len);
	assert_int_equal(query_as(f, NULL, 1, 1), DH_ECORRUPT);
	assert_int_equal(f->h->n, 40);
	for (size_t i = 0; i < f->h->n; i++)
		assert_true(f->h->ts[i] >= T0 + HOUR);
	/* The full lookup does not read the cluster. */
	assert_int_equal(query(f, NULL, 1), 0);
	assert_int_equal(f->h->n, 80);
	free(p);
}

static void test_truncated_and_missing(void **state)
{
	struct fx *f = *state;
	write_victim(f, f->orig, f->len - 3);
	assert_int_equal(query(f, NULL, 0), DH_ECORRUPT);
	assert_int_equal(f->h->n, 40);
	write_victim(f, f->orig, 0);
	assert_int_equal(query(f, "a.example.", 0), DH_ECORRUPT);
	assert_int_equal(f->h->n, 20);
	assert_int_equal(unlink(f->victim), 0);
	assert_int_equal(query(f, NULL, 1), DH_ECORRUPT);
}

/* Every byte of the file flipped in turn: each query ends in 0 or
 * DH_ECORRUPT, never delivers an event that does not match, never
 * crashes. */
static void test_flip_every_byte(void **state)
{
	struct fx *f = *state;
	uint8_t *p = malloc(f->len);
	assert_non_null(p);
	size_t corrupt = 0, tried = 0;
	/* At most ~250 positions (every byte of a small file), so that the
	 * test stays well under its time limit on a busy machine. */
	size_t step = f->len / 250 + 1;
	for (size_t i = 0; i < f->len; i += step) {
		tried++;
		memcpy(p, f->orig, f->len);
		p[i] ^= (uint8_t)(1u << (i % 8));
		write_victim(f, p, f->len);
		int rc = query(f, NULL, 0);
		assert_true(rc == 0 || rc == DH_ECORRUPT);
		corrupt += rc == DH_ECORRUPT;
		rc = query(f, "a.example.", 0);
		assert_true(rc == 0 || rc == DH_ECORRUPT);
		for (size_t k = 0; k < f->h->n; k++)
			assert_string_equal(f->h->qname[k], "a.example.");
		rc = query(f, NULL, 1);
		assert_true(rc == 0 || rc == DH_ECORRUPT);
		/* The client cluster is read only by brief lookups; what it
		 * delivers must still be the client's, in time order. */
		rc = query_as(f, NULL, 1, 1);
		assert_true(rc == 0 || rc == DH_ECORRUPT);
		for (size_t k = 0; k < f->h->n; k++) {
			assert_true(f->h->qname[k][0] == 'a' || f->h->qname[k][0] == 'b');
			assert_true(k == 0 || f->h->ts[k] >= f->h->ts[k - 1]);
		}
		/* So is the name cluster, by brief name lookups. */
		rc = query_as(f, "a.example.", 0, 1);
		assert_true(rc == 0 || rc == DH_ECORRUPT);
		for (size_t k = 0; k < f->h->n; k++) {
			assert_string_equal(f->h->qname[k], "a.example.");
			assert_true(k == 0 || f->h->ts[k] >= f->h->ts[k - 1]);
		}
	}
	/* Everything but the index entries is checksummed. */
	assert_true(corrupt > tried / 2);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_intact, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flip_block_byte, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flip_cluster_byte, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncated_and_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flip_every_byte, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
