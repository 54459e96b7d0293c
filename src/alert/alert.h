/*
 * alert.h - what dnshound does with a finding once it is raised: a syslog
 * line, a hook command, a mail, and an entry in a block list.
 *
 * Every output takes the finding as data, never as code: the hook gets the
 * finding's JSON line (store_finding_json()) on its standard input and its
 * command line is the operator's alone; the mail's headers are built from
 * fixed text and the finding's level, kind and address, with every byte
 * that could end a header line replaced; block lists name only the host
 * address, printed from its binary form.
 *
 * Blocking is reviewable and reversible (doc/alerts.md): by default the
 * nft or iptables commands are only returned as text for the caller to
 * print; with apply set they are run. nft elements carry a timeout, so an
 * entry expires on its own; iptables rules do not, and the matching
 * removal command is printed beside each one.
 */
#ifndef DH_ALERT_ALERT_H
#define DH_ALERT_ALERT_H

#include <stdint.h>

#include "store/finding.h"

struct dh_buf;
struct alert;

enum { ALERT_BLOCK_NONE = 0, ALERT_BLOCK_NFT = 1, ALERT_BLOCK_IPTABLES = 2 };

struct alert_config {
	unsigned min_level;   /* findings below this level are not alerted (default candidate) */
	int syslog;           /* 1: one line per finding to syslog(3) */
	const char *hook;     /* shell command, gets the finding's JSON line on stdin; NULL none */
	const char *mail_to;  /* recipient; mail through sendmail; NULL none */
	const char *sendmail; /* program (default /usr/sbin/sendmail) */
	unsigned block;       /* ALERT_BLOCK_* */
	unsigned block_level; /* minimum level blocked (default emergency) */
	int apply;            /* 0: block commands are only printed; 1: run */
	uint32_t block_timeout_s;                     /* nft element timeout (default 3600) */
	const char *nft_family, *nft_table, *nft_set; /* default inet dnshound blocked */
};

/* Every string of cfg is borrowed: it must outlive the struct alert made
 * from it. */
void alert_config_init(struct alert_config *cfg);

/* Checks cfg (DH_EUSAGE for an nft family, table or set name that is not
 * a plain identifier, or a recipient with characters no address has).
 * Returns 0 and *out (free with alert_free()), DH_EUSAGE or -ENOMEM. */
int alert_new(struct alert **out, const struct alert_config *cfg);

/* NULL ok. */
void alert_free(struct alert *a);

/* Once per NEW or RAISED finding (store_findings_put()'s answer). Block
 * commands that are not applied are appended to out as text lines for the
 * caller to print. A failing hook, mail or nft is counted and returned as
 * a negative code; the caller reports it and goes on. */
int alert_emit(struct alert *a, const struct store_finding *f, struct dh_buf *out);

/* What alert_emit() did so far, for a summary line. */
struct alert_stats {
	uint64_t findings; /* passed min_level */
	uint64_t syslog_lines;
	uint64_t hooks_run, hook_failures;
	uint64_t mails_sent, mail_failures;
	uint64_t blocked, block_failures; /* block_level reached */
};

void alert_get_stats(const struct alert *a, struct alert_stats *st);

/* How many seconds a hook or sendmail may run before it is killed. */
#define ALERT_CHILD_TIMEOUT_S 10

/*
 * Block-list text without a finding, for `dnshound block` and the docs:
 * alert_block_setup() appends the commands that create the table, sets
 * and chain the nft entries go into (nothing for iptables, whose rules
 * need no container); alert_block_host() appends the commands that block
 * one address (and, for iptables, the matching removal commands as
 * comments); alert_block_apply() runs such text (an nft script through
 * `nft -f -`, iptables lines one by one, comments skipped). Return 0 or a
 * negative code; the builders only fail through out->err.
 */
void alert_block_setup(const struct alert_config *cfg, struct dh_buf *out);
void alert_block_host(const struct alert_config *cfg, const struct dh_addr *host,
                      struct dh_buf *out);
int alert_block_apply(const struct alert_config *cfg, const char *text, size_t n);

#endif
