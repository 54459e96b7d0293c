/*
 * alert_block.c - block lists: an nftables table with one set per address
 * family whose elements time out, or iptables rules with their removal
 * commands (doc/alerts.md).
 *
 * The text is built from the configuration (identifiers checked by
 * alert_new()) and from addresses printed by dnshound from their binary
 * form: nothing a detector read from the network reaches nft or iptables.
 * nft text is an `nft -f` script; iptables text is one command per line.
 * Both say in '#' comments how to list and undo what they do.
 */
#include <string.h>

#include "alert/alert.h"
#include "alert/alert_int.h"
#include "util/addr.h"
#include "util/buf.h"
#include "util/err.h"

/* Which families the configured nft family can hold. */
static int nft_has4(const struct alert_config *cfg)
{
	return strcmp(cfg->nft_family, "ip6") != 0;
}

static int nft_has6(const struct alert_config *cfg)
{
	return strcmp(cfg->nft_family, "ip") != 0;
}

/* "inet dnshound" */
static void add_table(const struct alert_config *cfg, struct dh_buf *out)
{
	dh_buf_adds(out, cfg->nft_family);
	dh_buf_addc(out, ' ');
	dh_buf_adds(out, cfg->nft_table);
}

/* "inet dnshound blocked4" */
static void add_set(const struct alert_config *cfg, int v6, struct dh_buf *out)
{
	add_table(cfg, out);
	dh_buf_addc(out, ' ');
	dh_buf_adds(out, cfg->nft_set);
	dh_buf_adds(out, v6 ? "6" : "4");
}

void alert_block_setup(const struct alert_config *cfg, struct dh_buf *out)
{
	static const char *const chains[] = {"input", "forward"};

	if (cfg->block != ALERT_BLOCK_NFT)
		return;
	dh_buf_adds(out, "# dnshound block list: review, then run with nft -f FILE.\n"
	                 "# List: nft list table ");
	add_table(cfg, out);
	dh_buf_adds(out, "\n# Remove it all: nft delete table ");
	add_table(cfg, out);
	dh_buf_adds(out, "\nadd table ");
	add_table(cfg, out);
	dh_buf_addc(out, '\n');
	for (int v6 = 0; v6 < 2; v6++) {
		if (v6 ? !nft_has6(cfg) : !nft_has4(cfg))
			continue;
		dh_buf_adds(out, "add set ");
		add_set(cfg, v6, out);
		dh_buf_adds(out, v6 ? " { type ipv6_addr; flags timeout; }\n"
		                    : " { type ipv4_addr; flags timeout; }\n");
	}
	/* The chains are dnshound's own, so flushing them before adding
	 * their rules makes the script safe to run again; the sets and
	 * their elements are kept. Traffic from a blocked host is dropped
	 * both to this machine (a resolver) and through it (a router). */
	for (size_t c = 0; c < 2; c++) {
		dh_buf_adds(out, "add chain ");
		add_table(cfg, out);
		dh_buf_addf(out, " %s { type filter hook %s priority -10; policy accept; }\n",
		            chains[c], chains[c]);
		dh_buf_adds(out, "flush chain ");
		add_table(cfg, out);
		dh_buf_addf(out, " %s\n", chains[c]);
		for (int v6 = 0; v6 < 2; v6++) {
			if (v6 ? !nft_has6(cfg) : !nft_has4(cfg))
				continue;
			dh_buf_adds(out, "add rule ");
			add_table(cfg, out);
			dh_buf_addf(out, " %s %s saddr @%s%s drop\n", chains[c], v6 ? "ip6" : "ip",
			            cfg->nft_set, v6 ? "6" : "4");
		}
	}
}

void alert_block_host(const struct alert_config *cfg, const struct dh_addr *host,
                      struct dh_buf *out)
{
	static const char *const chains[] = {"INPUT", "FORWARD"};
	char text[DH_ADDR_TEXT_MAX];
	int v6 = host->family == DH_AF_INET6;

	if (host->family == DH_AF_NONE)
		return;
	dh_addr_format(host, text, sizeof(text));
	if (cfg->block == ALERT_BLOCK_NFT) {
		if (v6 ? !nft_has6(cfg) : !nft_has4(cfg)) {
			dh_buf_addf(out, "# %s: not an address of nft family %s\n", text,
			            cfg->nft_family);
			return;
		}
		dh_buf_adds(out, "add element ");
		add_set(cfg, v6, out);
		dh_buf_addf(out, " { %s timeout %lus }\n# undo: nft delete element ", text,
		            (unsigned long)cfg->block_timeout_s);
		add_set(cfg, v6, out);
		dh_buf_addf(out, " { %s }\n", text);
	} else if (cfg->block == ALERT_BLOCK_IPTABLES) {
		const char *prog = v6 ? "ip6tables" : "iptables";
		for (size_t c = 0; c < 2; c++) {
			dh_buf_addf(out, "%s -I %s -s %s -m comment --comment dnshound -j DROP\n",
			            prog, chains[c], text);
			dh_buf_addf(
			    out, "# undo: %s -D %s -s %s -m comment --comment dnshound -j DROP\n",
			    prog, chains[c], text);
		}
	}
}

#define ARGV_MAX 16

/* Runs one iptables line of our own making unless its rule is there
 * already (-C), so applying twice adds nothing twice. */
static int apply_iptables_line(char *line)
{
	char *argv[ARGV_MAX + 1];
	size_t argc = 0;
	char *p = line;

	while (*p) {
		while (*p == ' ')
			*p++ = '\0';
		if (!*p)
			break;
		if (argc == ARGV_MAX)
			return DH_EUSAGE;
		argv[argc++] = p;
		while (*p && *p != ' ')
			p++;
	}
	argv[argc] = NULL;
	if (argc < 2 || (strcmp(argv[0], "iptables") != 0 && strcmp(argv[0], "ip6tables") != 0) ||
	    strcmp(argv[1], "-I") != 0)
		return DH_EUSAGE;
	argv[1] = (char *)"-C";
	if (alert__run(argv, "", 0, ALERT_CHILD_TIMEOUT_S * 1000) == 0)
		return 0;
	argv[1] = (char *)"-I";
	return alert__run(argv, "", 0, ALERT_CHILD_TIMEOUT_S * 1000);
}

int alert_block_apply(const struct alert_config *cfg, const char *text, size_t n)
{
	if (cfg->block == ALERT_BLOCK_NFT) {
		/* One script, one transaction: nft applies all of it or
		 * nothing. */
		char *argv[] = {(char *)"nft", (char *)"-f", (char *)"-", NULL};
		return alert__run(argv, text, n, ALERT_CHILD_TIMEOUT_S * 1000);
	}
	if (cfg->block != ALERT_BLOCK_IPTABLES)
		return DH_EUSAGE;
	struct dh_buf line;
	int rc = 0;
	size_t i = 0;

	dh_buf_init(&line);
	while (i < n) {
		const char *nl = memchr(text + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (text + i)) : n - i;
		if (len && text[i] != '#') {
			line.len = 0;
			dh_buf_add(&line, text + i, len);
			dh_buf_addc(&line, '\0');
			if (line.err) {
				rc = line.err;
				break;
			}
			int r = apply_iptables_line(line.data);
			if (r < 0 && rc == 0)
				rc = r;
		}
		i += len + 1;
	}
	dh_buf_release(&line);
	return rc;
}
