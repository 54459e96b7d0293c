/*
 * test_cmd_sim.c - "dnshound sim" driven through cmd_sim(): exit codes,
 * and the CSV and SVG files it writes.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/cli.h"

/* Runs cmd_sim with a NULL-terminated argument list. */
static int run(const char *first, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;

	argv[argc++] = (char *)"sim";
	va_start(ap, first);
	for (const char *a = first; a != NULL && argc < 63; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	/* Output is parked on /dev/null for the call and fd 1 restored
	 * after, so cmocka's own report still reaches the log. */
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	int null = open("/dev/null", O_WRONLY);
	if (saved >= 0 && null >= 0)
		dup2(null, STDOUT_FILENO);
	int rc = cmd_sim(argc, argv);
	fflush(stdout);
	if (saved >= 0) {
		dup2(saved, STDOUT_FILENO);
		close(saved);
	}
	if (null >= 0)
		close(null);
	return rc;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	char *buf = calloc(1, 1 << 20);
	size_t n = buf != NULL ? fread(buf, 1, (1 << 20) - 1, f) : 0;
	(void)n;
	fclose(f);
	return buf;
}

static void test_usage(void **state)
{
	(void)state;
	assert_int_equal(run(NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("--help", NULL), CLI_EXIT_OK);
	assert_int_equal(run("nonsense", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("fig13", "--help", NULL), CLI_EXIT_OK);
	assert_int_equal(run("fig13", "--hops", "0", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("fig13", "--hops", "2.5", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("fig13", "--q", "2", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("fig13", "--q", "", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("fig13", "--q", "0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9", NULL),
	                 CLI_EXIT_USAGE);
	assert_int_equal(run("fig13", "--p", "abc", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("fig13", "extra", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("mc", "--help", NULL), CLI_EXIT_OK);
	assert_int_equal(run("mc", "--p", "1.5", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("mc", "--resolvers", "65", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("mc", "--seed", "-1", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("mc", "--svg", "x.svg", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("mc", "--sweep", "nosuch=1,2", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("mc", "--sweep", "p=0.5,2", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("mc", "--sweep", "hops=5:1", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("mc", "--sweep", "hops", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("mc", "--metric", "speed", NULL), CLI_EXIT_USAGE);
	assert_int_equal(run("mc", "--csv", "no-such-dir/x.csv", "--trials", "10", NULL),
	                 CLI_EXIT_RUNTIME);
}

static void test_fig13_files(void **state)
{
	(void)state;
	assert_int_equal(run("fig13", "--csv", "sim-fig13.csv", "--svg", "sim-fig13.svg", NULL),
	                 CLI_EXIT_OK);
	char *csv = slurp("sim-fig13.csv");
	char *svg = slurp("sim-fig13.svg");
	assert_non_null(csv);
	assert_non_null(svg);
	assert_true(strncmp(csv, "hops,conventional,dns_q0.55,dns_q1.00\n", 38) == 0);
	assert_non_null(strstr(csv, "\n15,0.205891,0.445500,0.810000\n"));
	assert_true(strncmp(svg, "<svg ", 5) == 0);
	free(csv);
	free(svg);
	/* The q list names the columns. */
	assert_int_equal(run("fig13", "--q", "0.3", "--hops", "3", "--csv", "sim-q.csv", NULL),
	                 CLI_EXIT_OK);
	csv = slurp("sim-q.csv");
	assert_non_null(csv);
	assert_string_equal(csv, "hops,conventional,dns_q0.30\n1,0.900000,0.270000\n"
	                         "2,0.810000,0.243000\n3,0.729000,0.243000\n");
	free(csv);
	unlink("sim-fig13.csv");
	unlink("sim-fig13.svg");
	unlink("sim-q.csv");
}

static void test_mc_files(void **state)
{
	(void)state;
	/* --ideal acts first wherever it stands, so --p and --q win. */
	assert_int_equal(run("mc", "--p", "1", "--q", "1", "--ideal", "--trials", "300", "--sweep",
	                     "hops=1:3", "--csv", "sim-mc.csv", "--svg", "sim-mc.svg", NULL),
	                 CLI_EXIT_OK);
	char *csv = slurp("sim-mc.csv");
	char *svg = slurp("sim-mc.svg");
	assert_non_null(csv);
	assert_non_null(svg);
	assert_true(strncmp(csv, "hops,trials,success,", 20) == 0);
	assert_non_null(strstr(csv, "\n1,300.000000,1.000000,"));
	assert_non_null(strstr(csv, "\n3,300.000000,1.000000,"));
	/* success, closed form and hop-by-hop. */
	size_t lines = 0;
	for (const char *p = strstr(svg, "<polyline"); p != NULL; p = strstr(p + 1, "<polyline"))
		lines++;
	assert_int_equal(lines, 3);
	free(csv);
	free(svg);
	unlink("sim-mc.csv");
	unlink("sim-mc.svg");
	assert_int_equal(run("mc", "--trials", "50", "--json", NULL), CLI_EXIT_OK);
}

int main(void)
{
	/* Files go to the build tree, never the source tree. */
	const char *dir = getenv("DH_BUILD_ROOT");
	if (dir != NULL && chdir(dir) != 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_usage),
	    cmocka_unit_test(test_fig13_files),
	    cmocka_unit_test(test_mc_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
