/*
 * cli_detect.h - the detection layer in the command line: one detector
 * run (engine, configuration, findings table, alerts, output) shared by
 * detect, top and the live loops of listen, capture and follow.
 */
#ifndef DH_CLI_CLI_DETECT_H
#define DH_CLI_CLI_DETECT_H

#include <stdint.h>

#include "alert/alert.h"
#include "detect/detect.h"
#include "source/source.h"
#include "store/finding.h"
#include "store/store.h"
#include "util/buf.h"

struct cli_detector {
	struct detect_config cfg;
	struct detect *det;            /* owned */
	struct store_findings *table;  /* owned; NULL: findings are only printed */
	struct alert_config alert_cfg; /* strings borrowed from argv */
	struct alert *alert;           /* owned; NULL: no alert output asked for */
	int alerting;                  /* an alert option was given */
	struct dh_buf out;
	struct dh_buf alert_out;
	unsigned min_level;
	int json, only_new, live, err;
	int no_top; /* no run-wide client table (detect needs none) */
	unsigned since_tick;
	uint64_t printed, alert_failed;
};

/* Reads config (NULL: defaults) and makes the engine. Returns 0 or -1
 * (message printed). */
int cli_detector_init(struct cli_detector *cd, const char *config);
void cli_detector_release(struct cli_detector *cd);
/* Keeps findings in dir's table from now on. Returns 0 or -1. */
int cli_detector_open_table(struct cli_detector *cd, const char *dir);
/* One event into the engine. Returns 0 or a negative code. */
int cli_detector_event(struct cli_detector *cd, const struct ev_event *ev);
/* Feeds the files, or the store's events matching q when nfiles is 0. */
int cli_detector_inputs(struct cli_detector *cd, int nfiles, char **files, const char *format,
                        struct src_options *sopt, const char *dir, const struct store_query *q);
int cli_detector_summary(struct cli_detector *cd, const char *what);

/* Alerts (cli_detect.c over src/alert): _init before option parsing,
 * _option per getopt value (1 ours, 0 not, -1 bad value printed),
 * _start after it, _alert per new or raised finding. */
int cli_detector_alert_init(struct cli_detector *cd);
int cli_detector_alert_option(struct cli_detector *cd, int c, const char *arg);
int cli_detector_alert_start(struct cli_detector *cd);
void cli_detector_alert(struct cli_detector *cd, const struct store_finding *f);
void cli_detector_alert_release(struct cli_detector *cd);

#define CLI_DETECT_ALERT_LONGOPTS CLI_ALERT_LONGOPTS
#define CLI_DETECT_ALERT_HELP     "\nalerts for each new or raised finding:\n" CLI_ALERT_HELP

/* One finding as a text line (window start, host, level, kind, score,
 * evidence JSON). */
void cli_finding_text(const struct store_finding *f, struct dh_buf *out);
/* The wall clock, ns since the epoch. */
int64_t cli_wall_ns(void);
/* Top talkers and, with tables, seed 001's tables, as text or JSON. */
void cli_top_print(struct detect *det, unsigned n, int tables, int json, struct dh_buf *out);

int cmd_detect_follow(int argc, char **argv);
int cmd_top_follow(int argc, char **argv);

#endif
