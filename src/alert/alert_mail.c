/*
 * alert_mail.c - one finding as an RFC 5322 message through sendmail.
 *
 * The headers hold fixed text, the level name, the address in its binary
 * form printed by dnshound, and the kind with every character outside
 * [A-Za-z0-9._-] replaced: nothing from input can add a header or a line
 * (RFC 5322 2.2: a header ends at CRLF). The body is the finding in words
 * and its JSON line, sent quoted-printable (RFC 2045 6.7) so that no line
 * passes 76 characters, well inside RFC 5322's 998.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert/alert.h"
#include "alert/alert_int.h"
#include "util/addr.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/timefmt.h"

static void add_safe_kind(struct dh_buf *out, const char *kind)
{
	size_t n = strnlen(kind, STORE_KIND_MAX);

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)kind[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		dh_buf_addc(out, ok ? (char)c : '?');
	}
}

/* RFC 5322 3.3 date-time, always in UTC. */
static void add_date(struct dh_buf *out, int64_t now)
{
	static const char days[][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;
	time_t t = (time_t)now;

	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	dh_buf_addf(out, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
	            months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Quoted-printable with soft breaks. The input line is ASCII already
 * (store_finding_json() escapes every other byte); '=', spaces (which
 * transport may strip at a line's end) and anything else unusual are
 * still encoded, so the rule holds whatever it gets. */
static void add_qp(struct dh_buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int plain = c >= 33 && c <= 126 && c != '=';
		if (col + (plain ? 1 : 3) > 75) {
			dh_buf_adds(out, "=\n");
			col = 0;
		}
		if (plain) {
			dh_buf_addc(out, (char)c);
			col++;
		} else {
			dh_buf_addc(out, '=');
			dh_buf_addc(out, hex[c >> 4]);
			dh_buf_addc(out, hex[c & 15]);
			col += 3;
		}
	}
	dh_buf_addc(out, '\n');
}

void alert__mail_message(const char *rcpt, const struct store_finding *f, const char *json,
                         size_t n, int64_t now, struct dh_buf *out)
{
	char host[DH_ADDR_TEXT_MAX], t0[40], t1[40];
	const char *level = store_level_name(f->level);

	dh_addr_format(&f->host, host, sizeof(host));
	dh_time_format(f->window_start_ns, t0, sizeof(t0));
	dh_time_format(f->window_end_ns, t1, sizeof(t1));
	/* sendmail writes the line ends its transport needs; locally a
	 * message is LF-terminated lines. */
	dh_buf_adds(out, "To: ");
	dh_buf_adds(out, rcpt);
	dh_buf_adds(out, "\nSubject: dnshound ");
	dh_buf_adds(out, level);
	dh_buf_adds(out, ": ");
	add_safe_kind(out, f->kind);
	dh_buf_adds(out, " from ");
	dh_buf_adds(out, host);
	dh_buf_adds(out, "\nDate: ");
	add_date(out, now);
	/* RFC 3834: an automatic message, not to be answered by another
	 * robot. */
	dh_buf_adds(out, "\nAuto-Submitted: auto-generated\nX-Dnshound-Level: ");
	dh_buf_adds(out, level);
	dh_buf_adds(out, "\nX-Dnshound-Kind: ");
	add_safe_kind(out, f->kind);
	dh_buf_adds(out, "\nX-Dnshound-Host: ");
	dh_buf_adds(out, host);
	dh_buf_adds(out, "\nMIME-Version: 1.0\n"
	                 "Content-Type: text/plain; charset=us-ascii\n"
	                 "Content-Transfer-Encoding: quoted-printable\n\n");
	dh_buf_adds(out, "dnshound raised a finding.\n\nhost:   ");
	dh_buf_adds(out, host);
	dh_buf_adds(out, "\nlevel:  ");
	dh_buf_adds(out, level);
	dh_buf_adds(out, "\nkind:   ");
	add_safe_kind(out, f->kind);
	dh_buf_adds(out, "\nwindow: ");
	dh_buf_adds(out, t0);
	dh_buf_adds(out, " to ");
	dh_buf_adds(out, t1);
	dh_buf_addf(out, "\nscore:  %.6g\n\nThe finding as JSON (evidence included):\n\n",
	            f->score);
	add_qp(out, json, n);
}

int alert__mail(const char *sendmail, const char *rcpt, const struct store_finding *f,
                const char *json, size_t n)
{
	struct dh_buf msg;
	int rc;

	if (!alert__mailbox_ok(rcpt))
		return DH_EUSAGE;
	dh_buf_init(&msg);
	alert__mail_message(rcpt, f, json, n, (int64_t)time(NULL), &msg);
	if (msg.err) {
		rc = msg.err;
		goto out;
	}
	/* -i: a line of one dot is text, not the end of the message. The
	 * recipient was checked above and cannot start with '-'. */
	char *argv[] = {(char *)sendmail, (char *)"-i", (char *)rcpt, NULL};
	rc = alert__run(argv, msg.data, msg.len, ALERT_CHILD_TIMEOUT_S * 1000);
out:
	dh_buf_release(&msg);
	return rc;
}
