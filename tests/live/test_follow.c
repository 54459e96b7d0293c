/*
 * test_follow.c - follow mode (source/follow.h), the line reader over it
 * (lines_open_read()), and the argument checks of live capture.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture/cap_live.h"
#include "source/follow.h"
#include "source/lines.h"
#include "util/err.h"

struct fx {
	char dir[64];
	char path[128];
	char moved[128];
	char pos[128];
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	if (!x)
		return -1;
	/* Relative to the test's working directory (meson's build tree). */
	snprintf(x->dir, sizeof(x->dir), "dh-follow-XXXXXX");
	if (!mkdtemp(x->dir))
		return -1;
	snprintf(x->path, sizeof(x->path), "%s/query.log", x->dir);
	snprintf(x->moved, sizeof(x->moved), "%s/query.log.1", x->dir);
	snprintf(x->pos, sizeof(x->pos), "%s/follow.pos", x->dir);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	char tmp[160];

	unlink(x->path);
	unlink(x->moved);
	unlink(x->pos);
	snprintf(tmp, sizeof(tmp), "%s.tmp", x->pos);
	unlink(tmp);
	rmdir(x->dir);
	free(x);
	return 0;
}

static void write_file(const char *path, const char *mode, const char *text)
{
	FILE *f = fopen(path, mode);
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

/* Reads everything there is now into a NUL-terminated string. */
static size_t read_all(struct follow *f, char *out, size_t cap)
{
	size_t used = 0;
	long n;

	while (used + 1 < cap && (n = follow_read(f, (uint8_t *)out + used, cap - 1 - used)) > 0)
		used += (size_t)n;
	assert_true(n >= 0);
	out[used] = '\0';
	return used;
}

static void test_null_and_missing(void **state)
{
	struct fx *x = *state;
	struct follow *f = NULL;
	struct follow_pos pos;

	assert_int_equal(follow_open(NULL, x->path, NULL), DH_EUSAGE);
	assert_int_equal(follow_open(&f, NULL, NULL), DH_EUSAGE);
	assert_int_equal(follow_open(&f, x->path, NULL), -ENOENT);
	/* A directory is not a log. */
	assert_int_equal(follow_open(&f, x->dir, NULL), DH_EUSAGE);
	assert_null(f);
	assert_int_equal(follow_pos_load(x->pos, &pos), -ENOENT);
	assert_int_equal(follow_pos_load(NULL, &pos), DH_EUSAGE);
	assert_int_equal(follow_pos_save(NULL, &pos), DH_EUSAGE);
	assert_int_equal(follow_position(NULL, 0, &pos), DH_EUSAGE);
	follow_free(NULL);
}

static void test_empty_then_grow(void **state)
{
	struct fx *x = *state;
	struct follow *f = NULL;
	char buf[256];

	write_file(x->path, "w", "");
	assert_int_equal(follow_open(&f, x->path, NULL), 0);
	assert_int_equal(read_all(f, buf, sizeof(buf)), 0);
	assert_int_equal(follow_pending(f), 0);
	write_file(x->path, "a", "one\ntw");
	assert_int_equal(read_all(f, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "one\ntw");
	write_file(x->path, "a", "o\n");
	assert_int_equal(read_all(f, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "o\n");
	assert_int_equal(follow_pending(f), 0);
	assert_int_equal(follow_resumed(f), 0);
	follow_free(f);
}

static void test_rotation(void **state)
{
	struct fx *x = *state;
	struct follow *f = NULL;
	char buf[256];

	write_file(x->path, "w", "a1\na2");
	assert_int_equal(follow_open(&f, x->path, NULL), 0);
	assert_int_equal(read_all(f, buf, sizeof(buf)), 5);
	/* mv, a last write to the old file, then the new file. */
	assert_int_equal(rename(x->path, x->moved), 0);
	assert_int_equal(read_all(f, buf, sizeof(buf)), 0);
	assert_int_equal(follow_pending(f), 0); /* no new file yet */
	write_file(x->moved, "a", "-end");
	write_file(x->path, "w", "b1\n");
	/* The old file's rest first, its unfinished line closed. */
	assert_int_equal(read_all(f, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "-end\n");
	assert_int_equal(follow_pending(f), 1);
	assert_int_equal(follow_read(f, (uint8_t *)buf, sizeof(buf)), 0);
	assert_int_equal(follow_rotations(f), 1);
	assert_int_equal(follow_advance(f), 0);
	assert_int_equal(follow_pending(f), 0);
	assert_int_equal(read_all(f, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "b1\n");
	follow_free(f);
}

static void test_truncation(void **state)
{
	struct fx *x = *state;
	struct follow *f = NULL;
	struct follow_pos pos;
	char buf[256];

	write_file(x->path, "w", "line one\nline two\n");
	assert_int_equal(follow_open(&f, x->path, NULL), 0);
	assert_int_equal(read_all(f, buf, sizeof(buf)), 18);
	assert_int_equal(truncate(x->path, 0), 0);
	write_file(x->path, "a", "new\n");
	/* The last line was complete: no newline is added. */
	assert_int_equal(read_all(f, buf, sizeof(buf)), 0);
	assert_int_equal(follow_pending(f), 1);
	assert_int_equal(follow_truncations(f), 1);
	assert_int_equal(follow_advance(f), 0);
	assert_int_equal(read_all(f, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "new\n");
	/* The position counts from the new start of the file. */
	assert_int_equal(follow_position(f, 18 + 2, &pos), 0);
	assert_int_equal(pos.offset, 2);
	/* Consumed before the current file's start: refused. */
	assert_int_equal(follow_position(f, 17, &pos), DH_EUSAGE);
	/* Consumed beyond what was handed out: refused. */
	assert_int_equal(follow_position(f, 23, &pos), DH_EUSAGE);
	follow_free(f);
}

static void test_position_resume(void **state)
{
	struct fx *x = *state;
	struct follow *f = NULL;
	struct follow_pos pos, back;
	char buf[256];

	write_file(x->path, "w", "first\nsecond\nthird\n");
	assert_int_equal(follow_open(&f, x->path, NULL), 0);
	assert_int_equal(read_all(f, buf, sizeof(buf)), 19);
	/* The reader above used "first\n" only. */
	assert_int_equal(follow_position(f, 6, &pos), 0);
	assert_int_equal(pos.offset, 6);
	assert_int_equal(pos.head_len, 19);
	pos.session = 42;
	follow_free(f);
	assert_int_equal(follow_pos_save(x->pos, &pos), 0);
	memset(&back, 0, sizeof(back));
	assert_int_equal(follow_pos_load(x->pos, &back), 0);
	assert_memory_equal(&pos, &back, sizeof(pos));

	/* The same file, grown: reading goes on at "second". */
	write_file(x->path, "a", "fourth\n");
	assert_int_equal(follow_open(&f, x->path, &back), 0);
	assert_int_equal(follow_resumed(f), 1);
	read_all(f, buf, sizeof(buf));
	assert_string_equal(buf, "second\nthird\nfourth\n");
	follow_free(f);

	/* Another file under the name (the inode may even be reused):
	 * its head differs, so it is read from the start. */
	unlink(x->path);
	write_file(x->path, "w", "other!\nsecond\nthird\n");
	assert_int_equal(follow_open(&f, x->path, &back), 0);
	assert_int_equal(follow_resumed(f), 0);
	read_all(f, buf, sizeof(buf));
	assert_string_equal(buf, "other!\nsecond\nthird\n");
	follow_free(f);

	/* A position beyond the end (the file was cut while we were
	 * away): from the start. */
	back.offset = 1000;
	assert_int_equal(follow_open(&f, x->path, &back), 0);
	assert_int_equal(follow_resumed(f), 0);
	follow_free(f);
}

static void test_pos_file_limits(void **state)
{
	struct fx *x = *state;
	struct follow_pos pos = {UINT64_MAX,      UINT64_MAX, UINT64_MAX,
	                         FOLLOW_HEAD_MAX, UINT64_MAX, UINT64_MAX};
	struct follow_pos back;
	uint8_t k1[16], k2[16];
	static const char *const bad[] = {
	    "",
	    "garbage\n",
	    "dnshound-follow 2 1 2 3 4 5 6\n",
	    "dnshound-follow 1 1 2 3 4 5\n",         /* a field missing */
	    "dnshound-follow 1 1 2 3 4 5 6",         /* no newline */
	    "dnshound-follow 1 1 2 3 65 5 6\n",      /* head longer than FOLLOW_HEAD_MAX */
	    "dnshound-follow 1 1 2 3 4 5 6\nmore\n", /* trailing text */
	    "dnshound-follow 1 18446744073709551616 2 3 4 5 6\n", /* 2^64 */
	    "dnshound-follow 1 -1 2 3 4 5 6\n",
	};

	assert_int_equal(follow_pos_save(x->pos, &pos), 0);
	assert_int_equal(follow_pos_load(x->pos, &back), 0);
	assert_true(back.dev == UINT64_MAX && back.ino == UINT64_MAX && back.offset == UINT64_MAX);
	assert_true(back.head_len == FOLLOW_HEAD_MAX && back.head_hash == UINT64_MAX &&
	            back.session == UINT64_MAX);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(x->pos, "w", bad[i]);
		assert_int_equal(follow_pos_load(x->pos, &back), DH_EMALFORMED);
	}
	/* Keys differ in every field, the session included. */
	follow_pos_key(&pos, k1);
	pos.session--;
	follow_pos_key(&pos, k2);
	assert_memory_not_equal(k1, k2, sizeof(k1));
}

static long read_follow(void *ctx, uint8_t *buf, size_t len)
{
	return follow_read(ctx, buf, len);
}

static void test_lines_over_follow(void **state)
{
	struct fx *x = *state;
	struct follow *f = NULL;
	struct lines *l = NULL;
	const char *line;
	size_t n;

	write_file(x->path, "w", "alpha\r\nbet");
	assert_int_equal(follow_open(&f, x->path, NULL), 0);
	assert_int_equal(lines_open_read(&l, read_follow, f), 0);
	assert_int_equal(lines_next(l, &line, &n), 1);
	assert_int_equal(n, 5);
	assert_memory_equal(line, "alpha", 5);
	/* An unfinished line waits for its newline, and again. */
	assert_int_equal(lines_next(l, &line, &n), 0);
	assert_int_equal(lines_next(l, &line, &n), 0);
	write_file(x->path, "a", "a\n");
	assert_int_equal(lines_next(l, &line, &n), 1);
	assert_int_equal(n, 4);
	assert_memory_equal(line, "beta", 4);
	assert_int_equal(lines_bytes(l), 12);
	/* Rotation with an unfinished line: it is handed out whole. */
	write_file(x->path, "a", "gam");
	assert_int_equal(rename(x->path, x->moved), 0);
	write_file(x->path, "w", "delta\n");
	assert_int_equal(lines_next(l, &line, &n), 1);
	assert_memory_equal(line, "gam", 3);
	assert_int_equal(n, 3);
	assert_int_equal(lines_next(l, &line, &n), 0);
	assert_int_equal(follow_pending(f), 1);
	assert_int_equal(follow_advance(f), 0);
	assert_int_equal(lines_next(l, &line, &n), 1);
	assert_memory_equal(line, "delta", 5);
	assert_int_equal(lines_number(l), 4);
	lines_free(l);
	follow_free(f);
}

/* A line of the maximum length passes; one byte more is skipped whole
 * and reading goes on, also when it arrives in pieces. */
static void test_lines_max_over_follow(void **state)
{
	struct fx *x = *state;
	struct follow *f = NULL;
	struct lines *l = NULL;
	const char *line;
	size_t n;
	char *big = malloc(LINES_MAX + 3);

	assert_non_null(big);
	memset(big, 'x', LINES_MAX + 1);
	big[LINES_MAX] = '\n';
	big[LINES_MAX + 1] = '\0';
	write_file(x->path, "w", big);
	assert_int_equal(follow_open(&f, x->path, NULL), 0);
	assert_int_equal(lines_open_read(&l, read_follow, f), 0);
	assert_int_equal(lines_next(l, &line, &n), 1);
	assert_int_equal(n, LINES_MAX);
	big[LINES_MAX] = 'x';
	big[LINES_MAX + 1] = '\0';
	write_file(x->path, "a", big);
	assert_int_equal(lines_next(l, &line, &n), 0);
	write_file(x->path, "a", "x\nok\n");
	assert_int_equal(lines_next(l, &line, &n), DH_ESPACE);
	assert_int_equal(lines_next(l, &line, &n), 1);
	assert_int_equal(n, 2);
	assert_memory_equal(line, "ok", 2);
	lines_free(l);
	follow_free(f);
	free(big);
}

static void test_live_arguments(void **state)
{
	struct cap_live *l = NULL;
	struct cap_live_options o;
	char err[CAP_LIVE_ERR_MAX];

	(void)state;
	memset(&o, 0, sizeof(o));
	assert_int_equal(cap_live_open(NULL, &o, err, sizeof(err)), DH_EUSAGE);
	assert_int_equal(cap_live_open(&l, NULL, err, sizeof(err)), DH_EUSAGE);
	assert_int_equal(cap_live_open(&l, &o, NULL, 0), DH_EUSAGE);
	o.iface = "";
	assert_int_equal(cap_live_open(&l, &o, err, sizeof(err)), DH_EUSAGE);
	/* An interface that does not exist, as root or not. */
	o.iface = "dhnosuch0";
	int rc = cap_live_open(&l, &o, err, sizeof(err));
	assert_true(rc < 0);
	assert_null(l);
	cap_live_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_null_and_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_then_grow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_position_resume, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pos_file_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lines_over_follow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lines_max_over_follow, setup, teardown),
	    cmocka_unit_test(test_live_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
