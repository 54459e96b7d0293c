/*
 * cli.h - shared pieces of the command-line layer.
 */
#ifndef DH_CLI_CLI_H
#define DH_CLI_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "source/source.h"
#include "store/store.h"

/* Exit codes, as documented in dnshound(1). */
enum { CLI_EXIT_OK = 0, CLI_EXIT_RUNTIME = 1, CLI_EXIT_USAGE = 2 };

/* Prints "dnshound: " and the message to stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct dh_buf;

/* Writes out's text to stdout, empties it and flushes stdout. Returns 0,
 * or -EIO with "writing output failed" printed. */
int cli_flush_out(struct dh_buf *out);

/* Parses opt's value text as a count from 1 to max into *v. Returns 0 or
 * -1 (message printed). */
int cli_parse_count(const char *opt, const char *text, uint64_t max, uint64_t *v);

/* Parses a port list option value into opt. Returns 0 or -1 (message
 * printed). */
int cli_add_port(struct cap_options *opt, const char *text);

/* Handles the options every command that reads inputs shares (--port,
 * --observer, --year, --tz, --log-role); c is getopt's value. Returns 1
 * when c was one of them, 0 when not, -1 on a bad value (message
 * printed). */
int cli_source_option(int c, const char *arg, struct src_options *opt);

/* getopt_long entries and help text of those options. */
/* clang-format off */
#define CLI_SOURCE_LONGOPTS                                                    \
	{"port", required_argument, NULL, 'p'},                                \
	{"observer", required_argument, NULL, 'o'},                            \
	{"year", required_argument, NULL, 'Y'},                                \
	{"tz", required_argument, NULL, 'Z'},                                  \
	{"log-role", required_argument, NULL, 'R'},                            \
	{"resolver", required_argument, NULL, 'V'},                            \
	{"auth", required_argument, NULL, 'A'}
/* clang-format on */
#define CLI_SOURCE_HELP                                                                            \
	"  --format F         input format: auto (default), pcap, dnstap, bind, unbound,\n"        \
	"                     dnsmasq, zeek, eve\n"                                                \
	"  --port N           also treat port N as DNS (repeatable; 53 always)\n"                  \
	"  --observer NAME    observer name put on the events\n"                                   \
	"  --year YYYY        year of log times that have none (syslog); default: this\n"          \
	"                     year, or last year for dates more than a day ahead\n"                \
	"  --tz +HH:MM        zone of log times that have none (default UTC)\n"                    \
	"  --log-role ROLE    role of BIND query-log lines (client_query, auth_query;\n"           \
	"                     default: from the RD flag)\n"                                        \
	"  --resolver IP      a resolver on the wire: captured messages to and from it\n"          \
	"                     get client roles, its own upstream ones resolver roles\n"            \
	"  --auth IP          an authoritative server on the wire (auth roles)\n"

/* Handles the filter options the store's readers share (--client,
 * --server, --qname, --since, --until as 'c', 'v', 'n', 's', 'u'); a name
 * is lower-cased with its trailing dot added into qname_buf (at least
 * DNS_NAME_TEXT_MAX bytes), which q->qname then borrows. Returns 1 when c
 * was one of them, 0 when not, -1 on a bad value (message printed). */
int cli_query_option(int c, const char *arg, struct store_query *q, char *qname_buf);

/* Parses a time option value; prints a message naming opt on error. */
int cli_parse_time(const char *opt, const char *text, int64_t *ts_ns);

/* Reports bad records: the first few per file with where they were, the
 * rest only counted, so a broken capture cannot flood the terminal. */
struct cli_bad {
	const char *path;
	uint64_t shown;
	uint64_t total;
};

void cli_bad_report(void *ctx, const char *path, const char *where, int err);
/* Prints the "... more not shown" line for the current file and resets. */
void cli_bad_finish(struct cli_bad *b);

/* Progress on a terminal: bytes, rate, ETA. */
struct cli_progress {
	int enabled;
	double started;
	double last;
};

double cli_now(void);
void cli_progress_init(struct cli_progress *p);
void cli_progress_update(struct cli_progress *p, const char *path, uint64_t bytes, uint64_t size,
                         uint64_t events);
void cli_progress_done(struct cli_progress *p);

/* Set by SIGINT/SIGTERM once cli_catch_signals() ran. */
extern volatile int cli_stop;
void cli_catch_signals(void);

/* The store directory: the option, else $DNSHOUND_STORE, else
 * "dnshound.store" in the current directory. */
const char *cli_store_dir(const char *opt);

/* The alert options (cli_alert.c, doc/alerts.md). Their getopt codes sit
 * at 0x4100 and up, past every character, so they never collide with a
 * command's own letters. */
enum {
	CLI_OPT_SYSLOG = 0x4100,
	CLI_OPT_HOOK,
	CLI_OPT_MAIL,
	CLI_OPT_SENDMAIL,
	CLI_OPT_BLOCK,
	CLI_OPT_BLOCK_LEVEL,
	CLI_OPT_APPLY,
	CLI_OPT_BLOCK_TIMEOUT,
	CLI_OPT_ALERT_LEVEL,
};

/* clang-format off */
#define CLI_ALERT_LONGOPTS                                                     \
	{"syslog", no_argument, NULL, CLI_OPT_SYSLOG},                         \
	{"hook", required_argument, NULL, CLI_OPT_HOOK},                       \
	{"mail", required_argument, NULL, CLI_OPT_MAIL},                       \
	{"sendmail", required_argument, NULL, CLI_OPT_SENDMAIL},               \
	{"block", required_argument, NULL, CLI_OPT_BLOCK},                     \
	{"block-level", required_argument, NULL, CLI_OPT_BLOCK_LEVEL},         \
	{"apply", no_argument, NULL, CLI_OPT_APPLY},                           \
	{"block-timeout", required_argument, NULL, CLI_OPT_BLOCK_TIMEOUT},     \
	{"alert-level", required_argument, NULL, CLI_OPT_ALERT_LEVEL}
/* clang-format on */
#define CLI_ALERT_HELP                                                                             \
	"  --alert-level L    alert on findings at level L or above (candidate, warning,\n"        \
	"                     emergency; default candidate)\n"                                     \
	"  --syslog           one line per finding to syslog (facility daemon)\n"                  \
	"  --hook CMD         run CMD (through /bin/sh) per finding, its JSON line on stdin\n"     \
	"  --mail ADDR        mail each finding to ADDR through sendmail\n"                        \
	"  --sendmail PROG    the sendmail program (default /usr/sbin/sendmail)\n"                 \
	"  --block nft|iptables  block list of the hosts at --block-level: printed, not run\n"     \
	"  --block-level L    lowest level blocked (default emergency)\n"                          \
	"  --block-timeout S  seconds an nft entry lasts before it expires (default 3600)\n"       \
	"  --apply            run the block commands instead of printing them\n"

struct alert_config;

/* Handles one alert option; c is getopt's value. Returns 1 when c was
 * one of them, 0 when not, -1 on a bad value (message printed). */
int cli_alert_option(int c, const char *arg, struct alert_config *cfg);

int cmd_decode(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_listen(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_sql(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_scenario(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_nshist(int argc, char **argv);
int cmd_agent(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_demo(int argc, char **argv);

struct agent_client_config;
/* GETs base + path from an agent with the client certificate of cc and
 * prints the answer (stdout when 200, else stderr). Returns an exit code. */
int cli_agent_get(const struct agent_client_config *cc, const char *base, const char *path);
int cmd_block(int argc, char **argv);
int cmd_alert(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_findings(int argc, char **argv);
int cmd_top(int argc, char **argv);

/* Something that gets every event a live loop reads (detect --follow,
 * top --follow, nshist check -- ...): fn returns 0 to go on or a negative
 * code to stop the loop. idle (may be NULL) is called when the input is
 * idle, at least every few seconds on a busy one, and once at the end, so
 * that the consumer can flush and save; it returns 0 or a negative code
 * (after printing why), which stops the loop. With a hook and no --store
 * the loops print no events. */
struct cli_event_hook {
	int (*fn)(void *ctx, const struct ev_event *ev);
	void *ctx;
	int (*idle)(void *ctx);
};

/* The loops of listen, capture and follow mode with a hook (NULL: the
 * commands themselves). */
int cli_listen_run(int argc, char **argv, const struct cli_event_hook *hook);
int cli_capture_run(int argc, char **argv, const struct cli_event_hook *hook);
int cli_follow_run(int argc, char **argv, int ingest, const struct cli_event_hook *hook);

/* Follow mode of ingest (ingest = 1) and decode (0), in cmd_capture.c;
 * cli_has_follow() is 1 when argv holds --follow before any "--". */
int cmd_follow(int argc, char **argv, int ingest);
int cli_has_follow(int argc, char **argv);

#endif
