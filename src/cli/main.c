/*
 * main.c - dnshound's command dispatcher.
 */
#include <stdio.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "cli/cli.h"

#ifndef DNSHOUND_VERSION
#define DNSHOUND_VERSION "unknown"
#endif

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *what;
} commands[] = {
    {"decode", cmd_decode, "print the DNS messages of captures, no store"},
    {"ingest", cmd_ingest, "decode files into the store"},
    {"listen", cmd_listen, "receive live dnstap on a Unix socket"},
    {"capture", cmd_capture, "capture DNS live from a network interface"},
    {"events", cmd_events, "print stored events, filtered"},
    {"sql", cmd_sql, "query the store with SQL"},
    {"export", cmd_export, "write stored events to a SQLite file"},
    {"detect", cmd_detect, "find infected hosts: seed 001's levels, dga, tunnel, beacon"},
    {"findings", cmd_findings, "list the stored findings"},
    {"top", cmd_top, "top talkers and seed 001's tables, like dnstop"},
    {"report", cmd_report, "one self-contained HTML report: statistics, findings, charts"},
    {"alert", cmd_alert, "stored findings through syslog, a hook, mail or a block list"},
    {"block", cmd_block, "a block list (nft, iptables) from the stored findings"},
    {"nshist", cmd_nshist, "NS-record history and the direct-outbound DNS check (seed 003)"},
    {"trace", cmd_trace, "trace a spoofed attack back to its bots through the agents"},
    {"agent", cmd_agent, "the traceback agent beside a DNS server (seed 000)"},
    {"demo", cmd_demo, "dnshound end to end on a generated network with bots, in a minute"},
    {"scenario", cmd_scenario, "labelled traffic: pcap, query log, dnstap and ground truth"},
#ifdef DH_HAVE_SIM
    {"sim", cmd_sim, "traceback simulators: seed 000 Fig. 13 and Monte Carlo"},
#endif
};

static void usage(FILE *f)
{
	fputs("usage: dnshound COMMAND [options] [args]\n\ncommands:\n", f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s  %s\n", commands[i].name, commands[i].what);
	fputs("\n'dnshound COMMAND --help' describes each; see also dnshound(1).\n"
	      "Exit codes: 0 ok, 1 runtime error, 2 usage error.\n",
	      f);
}

/*
 * The store builds each segment in large buffers and frees them when the
 * segment is written. glibc serves such blocks with mmap() and returns them
 * at once, so every segment pays again for zero-filled pages: 9% of ingest
 * in perf. Keeping freed memory in the heap instead made ingest of the
 * benchmark capture 8% cheaper (BENCHMARKS.md); peak memory is unchanged,
 * since the same buffers are reused.
 */
static void tune_malloc(void)
{
#ifdef __GLIBC__
	mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024);
#endif
}

int main(int argc, char **argv)
{
	tune_malloc();
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		if (argc > 2) {
			for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
				if (strcmp(argv[2], commands[i].name) == 0) {
					char *av[] = {argv[2], (char *)"--help", NULL};
					return commands[i].run(2, av);
				}
			}
		}
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("dnshound %s\n", DNSHOUND_VERSION);
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	cli_err("unknown command '%s'", cmd);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
