/*
 * ev_format.h - an event as one line of text or of JSON.
 *
 * The JSON line's field names are the interface scripts rely on; they are
 * listed in doc/dnshound.1 and do not change meaning between releases:
 * ts, ts_ns, [observer, role,] src, sport, dst, dport, proto, id, qr,
 * opcode, rcode, flags, qname, qtype, qclass, size, [rtt_ns,] answers,
 * authority, additional, [edns,] [malformed].
 */
#ifndef DH_EVENT_EV_FORMAT_H
#define DH_EVENT_EV_FORMAT_H

#include "event/event.h"
#include "util/buf.h"
#include "util/timefmt.h"

enum {
	EV_FMT_OBSERVER = 1, /* include observer and role */
};

struct ev_formatter {
	struct dh_time_cache tc;
	unsigned flags; /* EV_FMT_* */
};

void ev_formatter_init(struct ev_formatter *f, unsigned flags);

/* Appends the event as one JSON object and a newline to out. */
void ev_format_json(struct ev_formatter *f, const struct ev_event *ev, struct dh_buf *out);

/* Appends the event as one line of text and a newline to out:
 * time, src#port > dst#port, transport, id, opcode, flags, rcode, question
 * and the answers, like dig's and tcpdump's summaries. */
void ev_format_text(struct ev_formatter *f, const struct ev_event *ev, struct dh_buf *out);

#endif
