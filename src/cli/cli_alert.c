/*
 * cli_alert.c - the alert options every command that raises findings
 * shares (doc/alerts.md), parsed into a struct alert_config.
 */
#include <string.h>

#include "alert/alert.h"
#include "cli/cli.h"
#include "store/finding.h"

/* A day of blocking is the longest a single finding should buy without an
 * operator looking at it; a year is allowed for those who insist. */
#define BLOCK_TIMEOUT_MAX (366u * 24 * 3600)

static int parse_level(const char *opt, const char *arg, unsigned *level)
{
	if (store_level_parse(arg, level) != 0 || *level == STORE_LEVEL_NONE) {
		cli_err("%s: '%s' is not a level (candidate, warning, emergency)", opt, arg);
		return -1;
	}
	return 0;
}

int cli_alert_option(int c, const char *arg, struct alert_config *cfg)
{
	uint64_t v;

	switch (c) {
	case CLI_OPT_SYSLOG:
		cfg->syslog = 1;
		return 1;
	case CLI_OPT_HOOK:
		if (arg[0] == '\0') {
			cli_err("--hook: the command is empty");
			return -1;
		}
		cfg->hook = arg;
		return 1;
	case CLI_OPT_MAIL:
		cfg->mail_to = arg;
		return 1;
	case CLI_OPT_SENDMAIL:
		if (arg[0] == '\0') {
			cli_err("--sendmail: the program is empty");
			return -1;
		}
		cfg->sendmail = arg;
		return 1;
	case CLI_OPT_BLOCK:
		if (strcmp(arg, "nft") == 0) {
			cfg->block = ALERT_BLOCK_NFT;
		} else if (strcmp(arg, "iptables") == 0) {
			cfg->block = ALERT_BLOCK_IPTABLES;
		} else {
			cli_err("--block: '%s' is neither nft nor iptables", arg);
			return -1;
		}
		return 1;
	case CLI_OPT_BLOCK_LEVEL:
		return parse_level("--block-level", arg, &cfg->block_level) ? -1 : 1;
	case CLI_OPT_APPLY:
		cfg->apply = 1;
		return 1;
	case CLI_OPT_BLOCK_TIMEOUT:
		if (cli_parse_count("--block-timeout", arg, BLOCK_TIMEOUT_MAX, &v) != 0)
			return -1;
		cfg->block_timeout_s = (uint32_t)v;
		return 1;
	case CLI_OPT_ALERT_LEVEL:
		return parse_level("--alert-level", arg, &cfg->min_level) ? -1 : 1;
	default:
		return 0;
	}
}
