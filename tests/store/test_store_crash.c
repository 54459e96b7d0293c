/*
 * test_store_crash.c - crash safety and idempotence: a child process
 * ingests with checkpoints and dies (_exit() at chosen points, SIGKILL at
 * random moments); the parent resumes with the skip count until the file
 * is complete, then checks that exactly N distinct events are stored.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"
#include "util/err.h"

#define N      6000
#define T0     (1795305600LL * 1000000000LL)
#define EVERY  250 /* events between checkpoints */
#define BUFFER 97  /* small buffer: segments are also written between them */

static const uint8_t hash_a[32] = {0xaa, 1, 2, 3};

/* Event k of the input file; nearly in time order, as real input is. */
static void make(struct ev_event *ev, int k)
{
	char name[64];
	snprintf(name, sizeof(name), "n%d.example.", k);
	int64_t ts = T0 + (int64_t)k * 1000000 + (k % 7) * 300000;
	th_event(ev, ts, name, k % 2 ? "192.0.2.1" : "192.0.2.2", "198.51.100.53", k % 3 == 0);
	ev->msg.id = (uint16_t)k;
}

/*
 * The child: resumes the ingest and dies after adding event crash_at
 * (or never when crash_at < 0). Exit status: 0 complete, 3 crashed,
 * 4 error.
 */
static void child(const char *dir, int crash_at, int slow)
{
	struct store *s;
	uint64_t skip = 0;
	struct ev_event ev;
	if (store_open(&s, dir, STORE_CREATE) != 0 || store_set_buffer(s, BUFFER) != 0)
		_exit(4);
	int rc = store_ingest_begin(s, "input-a.pcap", hash_a, sizeof(hash_a), &skip);
	if (rc == DH_EEXIST)
		_exit(0);
	if (rc != 0 || skip > N)
		_exit(4);
	for (int k = (int)skip; k < N; k++) {
		make(&ev, k);
		if (store_ingest_add(s, &ev) != 0)
			_exit(4);
		if (k == crash_at)
			_exit(3); /* no end, no close: as if killed */
		if ((k + 1) % EVERY == 0 && store_ingest_checkpoint(s) != 0)
			_exit(4);
		if (slow && k % 500 == 0)
			usleep(200);
	}
	if (store_ingest_end(s) != 0)
		_exit(4);
	store_close(s);
	_exit(0);
}

static int run_child(const char *dir, int crash_at, int kill_after_us)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child(dir, crash_at, kill_after_us > 0);
	if (kill_after_us > 0) {
		usleep((useconds_t)kill_after_us);
		kill(pid, SIGKILL);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st))
		return 9;
	assert_true(WIFEXITED(st));
	assert_int_not_equal(WEXITSTATUS(st), 4);
	return WEXITSTATUS(st);
}

struct seen {
	unsigned char *hit;
	int dup, bad;
	size_t n;
};

static int seen_cb(void *ctx, const struct ev_event *ev)
{
	struct seen *s = ctx;
	int k = -1;
	if (sscanf(ev->msg.qname, "n%d.example.", &k) != 1 || k < 0 || k >= N || ev->msg.id != k) {
		s->bad++;
		return 0;
	}
	if (s->hit[k])
		s->dup++;
	s->hit[k] = 1;
	s->n++;
	return 0;
}

static void verify_exactly_n(const char *dir)
{
	struct store *s;
	struct seen sn = {.hit = calloc(N, 1)};
	assert_non_null(sn.hit);
	assert_int_equal(store_open(&s, dir, STORE_READONLY), 0);
	assert_int_equal(store_query_run(s, NULL, seen_cb, &sn), 0);
	assert_int_equal(sn.bad, 0);
	assert_int_equal(sn.dup, 0);
	assert_int_equal(sn.n, N);
	for (int k = 0; k < N; k++)
		assert_int_equal(sn.hit[k], 1);
	struct store_stats st;
	assert_int_equal(store_stats(s, &st), 0);
	assert_int_equal(st.events, N);
	assert_int_equal(st.files, 1);
	store_close(s);
	free(sn.hit);
}

static void test_exit_at_points(void **state)
{
	(void)state;
	char dir[4096];
	th_tmpdir(dir, sizeof(dir));
	unsigned seed = 12345;
	int rounds = 0, done = 0;
	/* Crash points spread over the file, some exactly on checkpoint and
	 * buffer boundaries. */
	int fixed[] = {0, EVERY - 1, EVERY, BUFFER - 1, BUFFER, 3 * EVERY + 1};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		run_child(dir, fixed[i], 0);
	while (!done && rounds < 40) {
		int at = (int)(rand_r(&seed) % N);
		done = run_child(dir, at, 0) == 0;
		rounds++;
	}
	if (!done)
		assert_int_equal(run_child(dir, -1, 0), 0);
	verify_exactly_n(dir);

	/* The same content again: nothing is added. */
	assert_int_equal(run_child(dir, -1, 0), 0);
	struct store *s;
	uint64_t skip = 99;
	assert_int_equal(store_open(&s, dir, 0), 0);
	assert_int_equal(store_ingest_begin(s, "other-name.pcap", hash_a, sizeof(hash_a), &skip),
	                 DH_EEXIST);
	store_close(s);
	verify_exactly_n(dir);
	th_rmtree(dir);
}

static void test_sigkill(void **state)
{
	(void)state;
	char dir[4096];
	th_tmpdir(dir, sizeof(dir));
	unsigned seed = (unsigned)time(NULL);
	int done = 0;
	for (int round = 0; round < 30 && !done; round++) {
		int us = 500 + (int)(rand_r(&seed) % 20000);
		done = run_child(dir, -1, us) == 0;
	}
	if (!done)
		assert_int_equal(run_child(dir, -1, 0), 0);
	verify_exactly_n(dir);
	th_rmtree(dir);
}

static void test_orphans_swept(void **state)
{
	(void)state;
	char dir[4096], p[4200];
	th_tmpdir(dir, sizeof(dir));
	struct store *s;
	assert_int_equal(store_open(&s, dir, STORE_CREATE), 0);
	struct ev_event ev;
	make(&ev, 1);
	assert_int_equal(store_ingest_add(s, &ev), 0);
	assert_int_equal(store_ingest_end(s), 0);
	store_close(s);
	const char *junk[] = {"999.dhs", ".tmp-segment"};
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/seg/%s", dir, junk[i]);
		FILE *f = fopen(p, "w");
		assert_non_null(f);
		fputs("half a segment", f);
		fclose(f);
	}
	assert_int_equal(store_open(&s, dir, 0), 0);
	for (int i = 0; i < 2; i++) {
		struct stat st;
		snprintf(p, sizeof(p), "%s/seg/%s", dir, junk[i]);
		assert_int_equal(stat(p, &st), -1);
	}
	struct th_hits *h = calloc(1, sizeof(*h));
	assert_non_null(h);
	assert_int_equal(store_query_run(s, NULL, th_collect, h), 0);
	assert_int_equal(h->n, 1);
	free(h);
	store_close(s);
	th_rmtree(dir);
}

static void test_begin_usage(void **state)
{
	(void)state;
	char dir[4096];
	th_tmpdir(dir, sizeof(dir));
	struct store *s;
	uint64_t skip;
	uint8_t big[65] = {0};
	assert_int_equal(store_open(&s, dir, STORE_CREATE), 0);
	assert_int_equal(store_ingest_begin(s, "x", NULL, 0, &skip), DH_EUSAGE);
	assert_int_equal(store_ingest_begin(s, "x", big, sizeof(big), &skip), DH_EUSAGE);
	/* 64 bytes is the maximum hash. */
	assert_int_equal(store_ingest_begin(s, "x", big, 64, &skip), 0);
	assert_int_equal(skip, 0);
	/* One file at a time. */
	assert_int_equal(store_ingest_begin(s, "y", hash_a, 4, &skip), DH_EUSAGE);
	assert_int_equal(store_ingest_end(s), 0);
	assert_int_equal(store_ingest_begin(s, "x", big, 64, &skip), DH_EEXIST);
	store_close(s);
	th_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_begin_usage),
	    cmocka_unit_test(test_orphans_swept),
	    cmocka_unit_test(test_exit_at_points),
	    cmocka_unit_test(test_sigkill),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
