/*
 * alert.c - syslog lines, hook commands, mail and block lists for raised
 * findings (doc/alerts.md).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "alert/alert.h"
#include "alert/alert_int.h"
#include "util/buf.h"
#include "util/err.h"

struct alert {
	struct alert_config cfg;
	struct alert_stats st;
	int block_ready; /* the nft table and sets were set up (or printed) */
};

void alert_config_init(struct alert_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->min_level = STORE_LEVEL_CANDIDATE;
	cfg->sendmail = "/usr/sbin/sendmail";
	cfg->block = ALERT_BLOCK_NONE;
	cfg->block_level = STORE_LEVEL_EMERGENCY;
	cfg->block_timeout_s = 3600;
	cfg->nft_family = "inet";
	cfg->nft_table = "dnshound";
	cfg->nft_set = "blocked";
}

/* nft identifiers go into a script verbatim, so only the characters of
 * nft's own identifier grammar are let through: letters, digits, '_'
 * and '-' after a leading letter or '_'. */
int alert__ident_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
		if (!alpha && (i == 0 || !((c >= '0' && c <= '9') || c == '-')))
			return 0;
	}
	return 1;
}

/* A recipient goes on sendmail's command line and into the To: header:
 * the characters of RFC 5322's dot-atom and '@' only, never a leading
 * '-' (which sendmail would take for an option), nothing that could end
 * a header line. */
int alert__mailbox_ok(const char *s)
{
	static const char extra[] = ".!#$%&'*+/=?^_`{|}~-@";
	size_t n = strlen(s);

	if (n == 0 || n > 254 || s[0] == '-' || !strchr(s, '@'))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c != 0 && strchr(extra, c))))
			return 0;
	}
	return 1;
}

int alert_new(struct alert **out, const struct alert_config *cfg)
{
	*out = NULL;
	if (!alert__ident_ok(cfg->nft_table) || !alert__ident_ok(cfg->nft_set) ||
	    (strcmp(cfg->nft_family, "inet") != 0 && strcmp(cfg->nft_family, "ip") != 0 &&
	     strcmp(cfg->nft_family, "ip6") != 0))
		return DH_EUSAGE;
	if (cfg->mail_to && !alert__mailbox_ok(cfg->mail_to))
		return DH_EUSAGE;
	if (cfg->block > ALERT_BLOCK_IPTABLES || cfg->block_timeout_s == 0)
		return DH_EUSAGE;
	struct alert *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->cfg = *cfg;
	if (!a->cfg.sendmail)
		a->cfg.sendmail = "/usr/sbin/sendmail";
	/* openlog() keeps the ident pointer; a literal lives for ever. The
	 * facility is daemon: dnshound watches a service, like one. */
	if (a->cfg.syslog)
		openlog("dnshound", LOG_PID, LOG_DAEMON);
	*out = a;
	return 0;
}

void alert_free(struct alert *a)
{
	if (!a)
		return;
	if (a->cfg.syslog)
		closelog();
	free(a);
}

void alert_get_stats(const struct alert *a, struct alert_stats *st)
{
	*st = a->st;
}

/* candidate is a notice, warning a warning; an emergency host is
 * critical, not LOG_EMERG, which syslog daemons write to every
 * terminal and is meant for a system that is unusable. */
static int syslog_priority(unsigned level)
{
	switch (level) {
	case STORE_LEVEL_EMERGENCY:
		return LOG_CRIT;
	case STORE_LEVEL_WARNING:
		return LOG_WARNING;
	default:
		return LOG_NOTICE;
	}
}

static int emit_block(struct alert *a, const struct store_finding *f, struct dh_buf *out)
{
	struct dh_buf text;
	int rc = 0;

	dh_buf_init(&text);
	if (!a->block_ready)
		alert_block_setup(&a->cfg, &text);
	alert_block_host(&a->cfg, &f->host, &text);
	if (text.err) {
		rc = text.err;
		goto out;
	}
	if (a->cfg.apply) {
		rc = alert_block_apply(&a->cfg, text.data, text.len);
		if (rc == 0)
			a->block_ready = 1;
	} else {
		dh_buf_add(out, text.data, text.len);
		a->block_ready = 1;
	}
out:
	dh_buf_release(&text);
	return rc;
}

int alert_emit(struct alert *a, const struct store_finding *f, struct dh_buf *out)
{
	struct dh_buf line;
	int rc = 0, r;

	if (f->level < a->cfg.min_level)
		return 0;
	a->st.findings++;
	dh_buf_init(&line);
	store_finding_json(f, &line);
	if (line.err) {
		rc = line.err;
		goto out;
	}
	if (a->cfg.syslog) {
		/* The JSON form is plain ASCII with every control byte
		 * escaped, so the line cannot be split or forged. */
		syslog(syslog_priority(f->level), "finding %.*s", (int)line.len, line.data);
		a->st.syslog_lines++;
	}
	if (a->cfg.hook) {
		dh_buf_addc(&line, '\n');
		r = line.err ? line.err
		             : alert__run_hook(a->cfg.hook, line.data, line.len,
		                               ALERT_CHILD_TIMEOUT_S * 1000);
		if (!line.err)
			line.len--; /* the mail below takes the line without it */
		a->st.hooks_run++;
		if (r < 0) {
			a->st.hook_failures++;
			rc = rc ? rc : r;
		}
	}
	if (a->cfg.mail_to) {
		r = line.err ? line.err
		             : alert__mail(a->cfg.sendmail, a->cfg.mail_to, f, line.data, line.len);
		if (r < 0) {
			a->st.mail_failures++;
			rc = rc ? rc : r;
		} else {
			a->st.mails_sent++;
		}
	}
	if (a->cfg.block != ALERT_BLOCK_NONE && f->level >= a->cfg.block_level &&
	    f->host.family != DH_AF_NONE) {
		r = emit_block(a, f, out);
		if (r < 0) {
			a->st.block_failures++;
			rc = rc ? rc : r;
		} else {
			a->st.blocked++;
		}
	}
out:
	dh_buf_release(&line);
	return rc;
}
