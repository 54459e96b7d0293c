/*
 * logsrc.h - the common machinery of the text-log sources (BIND, Unbound,
 * dnsmasq, Zeek, Suricata EVE): one driver that reads lines and hands
 * each to a format's line parser, and the scanners they share (times,
 * addresses, names, numbers, type and rcode mnemonics). Internal to
 * src/source; the formats themselves are reached through src_open().
 *
 * Every scanner works on a (pointer, length) span of the line, never on a
 * NUL-terminated string, allocates nothing and checks every length, so a
 * line of garbage costs no more than a good one and cannot read past its
 * end.
 */
#ifndef DH_SOURCE_LOGSRC_H
#define DH_SOURCE_LOGSRC_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"
#include "source/lines.h"
#include "source/source.h"

struct logsrc;

/* What a line parser returns besides a negative DH_E* code for a bad line. */
enum {
	LOGSRC_SKIP = 0,  /* the line belongs to the format but carries no DNS message */
	LOGSRC_EVENT = 1, /* *ev is filled */
};

struct logfmt {
	const char *name;
	int (*probe)(const uint8_t *head, size_t len);
	size_t state_size; /* zeroed per-format state handed to line() */
	/*
	 * Parses one line (borrowed, not NUL-terminated, without its
	 * newline) into ev, which the driver has reset. Returns LOGSRC_EVENT,
	 * LOGSRC_SKIP, or a negative DH_E* code saying why the line is bad.
	 * A parser that finds two messages in one line fills the second with
	 * logsrc_spare(); it is handed out on the next call.
	 */
	int (*line)(struct logsrc *s, void *state, const char *p, size_t n, struct ev_event *ev);
};

/* The five formats (src_bind.c ... src_eve.c), and all of them in a
 * NULL-terminated list. */
extern const struct logfmt logsrc_bind;
extern const struct logfmt logsrc_unbound;
extern const struct logfmt logsrc_dnsmasq;
extern const struct logfmt logsrc_zeek;
extern const struct logfmt logsrc_eve;
extern const struct logfmt *const logsrc_formats[];

/* src_ops entry points shared by all text formats. */
int logsrc_open(void **ctx, const char *path, const struct src_options *opt,
                const struct logfmt *fmt);
int logsrc_next(void *ctx, struct ev_event *ev);
void logsrc_stats(void *ctx, struct src_stats *st);
void logsrc_close(void *ctx);

/*
 * Opens a reader over buf[0..len) (borrowed; must outlive the reader) as
 * format fmt_name. For the fuzz target and the tests. Returns 0 and *ctx
 * (use with logsrc_next/stats, free with logsrc_close), DH_EUSAGE for an
 * unknown name, or -ENOMEM.
 */
int logsrc_open_mem(void **ctx, const uint8_t *buf, size_t len, const char *fmt_name,
                    const struct src_options *opt);

/* ---- for the line parsers ------------------------------------------- */

/* The options the reader was opened with (never NULL). */
const struct src_options *logsrc_options(const struct logsrc *s);

/* Resets ev for a new message of this source (observer filled, rtt -1). */
void logsrc_event_reset(const struct logsrc *s, struct ev_event *ev);

/* Returns the spare event to fill for a second message of the current
 * line; it is handed out by the next logsrc_next() call. */
struct ev_event *logsrc_spare(struct logsrc *s);

/*
 * Copies p[0..n) with a NUL into memory the source owns until the next
 * line is read, for dns_rr.owner_text and data_text. Returns NULL when
 * the line's text space (LINES_MAX * 2) is used up.
 */
const char *logsrc_text(struct logsrc *s, const char *p, size_t n);

/* Like logsrc_text(), but as a quoted character-string (TXT and SPF
 * RDATA in presentation form, RFC 1035 5.1): '"' and '\\' are escaped. */
const char *logsrc_text_quoted(struct logsrc *s, const char *p, size_t n);

/* ---- scanners ------------------------------------------------------- */

/* Names: how the log escapes odd octets before we re-escape them. */
enum logsrc_name_mode {
	LOGSRC_NAME_RFC1035 = 0, /* \X and \DDD, as BIND prints */
	LOGSRC_NAME_HEX = 1,     /* \xNN, as Zeek prints */
	LOGSRC_NAME_RAW = 2,     /* no escapes, printable text (Unbound, dnsmasq) */
	LOGSRC_NAME_OCTETS = 3,  /* no escapes, any octet (a decoded JSON string) */
};

/*
 * Turns the name p[0..n) into dnshound's form: lower-cased presentation
 * with a trailing dot, '.' and '\\' inside labels escaped, other octets
 * outside 0x21-0x7e as \DDD (RFC 1035 5.1), "." for the root. out must
 * hold DNS_NAME_TEXT_MAX bytes. Returns the length without the NUL, or
 * DH_ENAMELEN (over 255 octets or a label over 63), DH_EMALFORMED (empty
 * label, bad escape, a control character or space in the text, except in
 * LOGSRC_NAME_OCTETS where the text is already decoded octets).
 */
int logsrc_name(const char *p, size_t n, int mode, char *out, size_t cap);

/* Fills ev->msg's question from a name as above. Returns 0 or the error. */
int logsrc_question(struct ev_event *ev, const char *p, size_t n, int mode);

/* IPv4 dotted quad or IPv6 text (a %zone suffix is dropped). Returns 0 or
 * DH_EMALFORMED. */
int logsrc_addr(const char *p, size_t n, struct dh_addr *a);

/* Decimal digits only, no sign, no overflow. Returns 0 or DH_EMALFORMED. */
int logsrc_u64(const char *p, size_t n, uint64_t *v);
int logsrc_u16(const char *p, size_t n, uint16_t *v);

/* "1709467200" or "1709467200.123456" (at most 9 digits are kept) into
 * ns. Returns 0 or DH_EMALFORMED. */
int logsrc_decimal_ns(const char *p, size_t n, int64_t *ns);

/* Type mnemonic ("A", "TYPE65534"), case-insensitive. Returns 0 or
 * DH_EMALFORMED. */
int logsrc_type(const char *p, size_t n, uint16_t *type);
/* Class mnemonic ("IN", "CH", "HS", "NONE", "ANY", "CLASS3"). */
int logsrc_class(const char *p, size_t n, uint16_t *rclass);
/* Rcode mnemonic ("NXDOMAIN", "NOTIMPL" as Unbound spells it, "RCODE23",
 * or plain digits) into 0..4095. */
int logsrc_rcode(const char *p, size_t n, unsigned *rcode);
/* Sets the 12-bit rcode of msg: header bits and EDNS extension. */
void logsrc_set_rcode(struct dns_msg *msg, unsigned rcode);

/*
 * Times. Each parses a time at the start of p[0..n), stores ns since the
 * epoch in *ts and the characters used in *used; returns 0 or
 * DH_EMALFORMED.
 *
 * Local times without a zone (syslog, BIND's file channel) are taken to
 * be in src_options.tz_offset_min minutes east of UTC. Syslog dates carry
 * no year: src_options.default_year supplies it; when that is 0 the year
 * is the current one (UTC), and a date that would then lie more than one
 * day in the future is put into the previous year, so a December log read
 * in January lands in December of last year. One day of slack absorbs
 * clock and zone differences between the server and this machine.
 */
int logsrc_time_syslog(const struct logsrc *s, const char *p, size_t n, int64_t *ts, size_t *used);
/* BIND's print-time form "03-Mar-2024 12:00:00.123". */
int logsrc_time_bind(const struct logsrc *s, const char *p, size_t n, int64_t *ts, size_t *used);
/* RFC 3339 / ISO 8601 "2024-03-03T12:00:00.123456+01:00" (also "Z",
 * "+0100", a space for the T, or no zone = tz_offset_min). */
int logsrc_time_iso(const struct logsrc *s, const char *p, size_t n, int64_t *ts, size_t *used);

/*
 * A syslog-style prefix: a syslog or ISO time, an optional host, and the
 * program tag "prog[pid]:" or "prog:". On success *prog / *prog_len name
 * the program and *used is the offset of the message after ": ".
 * Returns 0 or DH_EMALFORMED (the time or the tag is missing or bad).
 */
int logsrc_syslog(const struct logsrc *s, const char *p, size_t n, int64_t *ts, const char **prog,
                  size_t *prog_len, size_t *used);

/* Next space-separated token of p[*pos..n): skips spaces, returns its
 * start and length (0 at the end) and moves *pos past it. */
size_t logsrc_token(const char *p, size_t n, size_t *pos, const char **tok);

/* 1 when p[0..n) starts with the literal lit. */
int logsrc_starts(const char *p, size_t n, const char *lit);

/* The first complete line of head[0..len) at or after *pos that is not
 * empty. Returns 1 and the line, 0 when there is none. For the probes. */
int logsrc_head_line(const uint8_t *head, size_t len, size_t *pos, const char **line, size_t *n);

/* Finds lit in p[0..n). Returns its offset or -1. */
long logsrc_find(const char *p, size_t n, const char *lit);

#endif
