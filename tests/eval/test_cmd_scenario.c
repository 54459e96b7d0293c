/*
 * test_cmd_scenario.c - "dnshound scenario" driven through cmd_scenario():
 * exit codes for bad options and the four files of a good run.
 */
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

#include "cli/cli.h"

/* Runs cmd_scenario with a NULL-terminated argument list. */
static int run(const char *first, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;

	argv[argc++] = (char *)"scenario";
	va_start(ap, first);
	for (const char *a = first; a != NULL && argc < 63; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	return cmd_scenario(argc, argv);
}

static void test_usage_errors(void **state)
{
	(void)state;
	assert_int_equal(run(NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("--clients", "100", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("--out", "x", "extra", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("--out", "x", "--clients", "abc", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("--out", "x", "--clients", "-1", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("--out", "x", "--clients", "10000001", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("--out", "x", "--hours", "0", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("--out", "x", "--rate", "nan", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("--out", "x", "--seed", "-3", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("--out", "x", "--start", "yesterday", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("--out", "x", "--bots", "zombie=2", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("--out", "x", "--nosuch", NULL), CLI_EXIT_USAGE);
}

static void test_run(void **state)
{
	char dir[64] = "scen-cmd-XXXXXX", p[128];
	const char *const names[4] = {"traffic.pcap", "resolver-query.log", "resolver.dnstap",
	                              "truth.json"};
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* More infected hosts than clients is the user's error. */
	assert_int_equal(run("--out", dir, "--clients", "5", "--quiet", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("--out", dir, "--clients", "50", "--hours", "0.05", "--bots",
	                     "beacon=2,dga=1", "--seed", "0x10", "--start", "2026-03-02T10:00:00Z",
	                     "--quiet", NULL),
	                 CLI_EXIT_OK);
	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		assert_int_equal(stat(p, &st), 0);
		assert_true(st.st_size > 24);
		unlink(p);
	}
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_usage_errors),
	    cmocka_unit_test(test_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
