/*
 * source.h - every kind of input turned into DNS events.
 *
 * One small interface (struct src_ops) per input format: pcap and pcapng
 * files now; dnstap and server logs plug in the same way. A src_reader
 * opens a file with the format named or detected from its first bytes and
 * yields events one at a time. A record that cannot be decoded is counted
 * and reported through the error callback with where it was, and reading
 * goes on.
 */
#ifndef DH_SOURCE_SOURCE_H
#define DH_SOURCE_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "capture/cap.h"
#include "event/event.h"

#define SRC_SERVERS_MAX 16

struct src_options {
	struct cap_options cap; /* ports and capture settings */
	const char *observer;   /* observer name for the events; NULL = "" */
	/* Called for each record that is bad (malformed DNS, a broken log
	 * line). where is e.g. "packet 1234" or "line 56"; err a DH_E* code.
	 * May be NULL. Borrowed strings, valid for the call. */
	void (*on_bad)(void *ctx, const char *path, const char *where, int err);
	void *on_bad_ctx;
	/* Text logs (src_bind.c ... src_eve.c; rules in logsrc.h). */
	int default_year;  /* year of syslog dates, which have none; 0 = guess from the clock */
	int tz_offset_min; /* zone of log times without one, minutes east of UTC; 0 = UTC */
	unsigned log_role; /* enum ev_role for BIND query-log lines; 0 = from the RD flag */
	int64_t now_ns;    /* "now" for the year guess, ns since the epoch; 0 = the clock */
	/* Follow mode (follow.h): when set, text logs read their bytes
	 * through it instead of opening the path, and a read that finds
	 * nothing new makes src_next() return 0 without ending the source
	 * (call again later). Borrowed; must outlive the reader. */
	struct follow *follow;
	/* Live capture (src_live_open()). */
	const char *live_filter; /* BPF filter text; NULL = the watched ports */
	unsigned live_snaplen;   /* 0 = whole frames */
	unsigned live_buffer_mb; /* kernel buffer in MiB; 0 = 32 */
	/* Captures cannot tell a stub's query from a resolver's upstream one
	 * by themselves; the addresses of the resolvers and authoritative
	 * servers on the wire can (src__event_from_cap()). */
	struct dh_addr resolvers[SRC_SERVERS_MAX];
	unsigned nresolvers;
	struct dh_addr auths[SRC_SERVERS_MAX];
	unsigned nauths;
};

struct src_stats {
	uint64_t records;   /* packets or lines read */
	uint64_t messages;  /* DNS messages found */
	uint64_t events;    /* events handed out */
	uint64_t malformed; /* messages or lines that did not decode completely */
	uint64_t skipped;   /* records not usable (not DNS, bad link layer ...) */
	uint64_t bytes;     /* input bytes consumed */
	uint64_t size;      /* input size if known, else 0 */
};

struct src_ops {
	const char *name; /* "pcap" */
	/* Returns 1 when the first bytes look like this format. */
	int (*probe)(const uint8_t *head, size_t len);
	int (*open)(void **ctx, const char *path, const struct src_options *opt);
	/* 1 = *ev filled, 0 = end, < 0 = the input is broken from here on. */
	int (*next)(void *ctx, struct ev_event *ev);
	void (*stats)(void *ctx, struct src_stats *st);
	void (*close)(void *ctx);
};

/* Internal to the source layer: fills ev from a message the capture layer
 * found (a file's or a live interface's), parses it, and gives it a role
 * from opt's resolver and server addresses. Returns dns_parse()'s result;
 * ev->msg refers into d->data. */
int src__event_from_cap(struct ev_event *ev, const struct cap_dns *d,
                        const struct src_options *opt);

/* Internal to the source layer: tells opt's on_bad (if any) that record
 * n of name, counted in unit ("packet", "line", "frame"), is bad. */
void src__report_bad(const struct src_options *opt, const char *name, const char *unit, uint64_t n,
                     int err);

extern const struct src_ops src_pcap_ops;
extern const struct src_ops src_bind_ops;
extern const struct src_ops src_unbound_ops;
extern const struct src_ops src_dnsmasq_ops;
extern const struct src_ops src_zeek_ops;
extern const struct src_ops src_eve_ops;
extern const struct src_ops src_dnstap_ops;

struct src_reader;

/*
 * Opens path as format ("auto" or NULL to detect, else an ops name).
 * Returns 0 and *out (free with src_close()), DH_EFORMAT when the format
 * is unknown or not detected, or another negative code.
 */
int src_open(struct src_reader **out, const char *path, const char *format,
             const struct src_options *opt);
int src_next(struct src_reader *r, struct ev_event *ev);
void src_stats(struct src_reader *r, struct src_stats *st);
const char *src_format(const struct src_reader *r);
void src_close(struct src_reader *r);

/* The names of all formats, NULL-terminated. */
const char *const *src_format_names(void);

struct follow;

/*
 * Live capture from an interface (src_live.c over capture/cap_live.h):
 * events as from a capture file of the same traffic. Not a src_ops
 * format, because reading waits for packets with a timeout instead of
 * ending.
 */
struct src_live;

/* Opens iface with opt's ports, observer and live_* settings. Returns 0
 * and *out (free with src_live_close()), or a negative code as
 * cap_live_open(); libpcap's explanation goes to err[0..errlen). */
int src_live_open(struct src_live **out, const char *iface, const struct src_options *opt,
                  char *err, size_t errlen);
/* 1 = *ev filled, 0 = nothing within timeout_ms (or nothing left after
 * src_live_finish()), < 0 = the capture broke. */
int src_live_next(struct src_live *s, struct ev_event *ev, int timeout_ms);
/* Stops capturing; what TCP reassembly holds comes out of src_live_next(). */
void src_live_finish(struct src_live *s);
/* Counters as src_stats(), plus the kernel's drops (may be NULL). */
void src_live_stats(struct src_live *s, struct src_stats *st, uint64_t *kernel_drops);
void src_live_close(struct src_live *s);

#endif
