/*
 * src_live.c - DNS events captured live from an interface.
 *
 * The same conversion as src_pcap.c, over capture/cap_live.h: a message
 * shorter than a DNS header is counted and reported, a malformed one is
 * handed out with its parse error, so live and file captures of the same
 * traffic give the same events.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/cap_live.h"
#include "source/source.h"
#include "util/err.h"
#include "wire/dns.h"

struct src_live {
	struct cap_live *cap;
	struct src_options opt;
	char *iface;
	uint64_t events;
	uint64_t malformed;
};

int src_live_open(struct src_live **out, const char *iface, const struct src_options *opt,
                  char *err, size_t errlen)
{
	struct cap_live_options lo;
	struct src_live *s;
	int rc;

	if (!out || !iface)
		return DH_EUSAGE;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (opt)
		s->opt = *opt;
	s->iface = strdup(iface);
	if (!s->iface) {
		rc = -ENOMEM;
		goto out;
	}
	memset(&lo, 0, sizeof(lo));
	lo.iface = iface;
	lo.filter = s->opt.live_filter;
	lo.snaplen = s->opt.live_snaplen;
	lo.buffer_mb = s->opt.live_buffer_mb;
	lo.cap = s->opt.cap;
	rc = cap_live_open(&s->cap, &lo, err, errlen);
out:
	if (rc != 0) {
		src_live_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

int src_live_next(struct src_live *s, struct ev_event *ev, int timeout_ms)
{
	struct cap_dns d;

	for (;;) {
		int rc = cap_live_next(s->cap, &d, timeout_ms);
		if (rc <= 0)
			return rc;
		if (d.len < 12) {
			/* Not even a DNS header: nothing to keep. */
			s->malformed++;
			src__report_bad(&s->opt, s->iface, "packet", d.packet_no, DH_ETRUNC);
			continue;
		}
		if (src__event_from_cap(ev, &d, &s->opt) != 0) {
			s->malformed++;
			src__report_bad(&s->opt, s->iface, "packet", d.packet_no, ev->msg.err);
		}
		s->events++;
		return 1;
	}
}

void src_live_finish(struct src_live *s)
{
	cap_live_finish(s->cap);
}

void src_live_stats(struct src_live *s, struct src_stats *st, uint64_t *kernel_drops)
{
	const struct cap_stats *c = cap_live_decoder_stats(s->cap);
	struct cap_live_stats ls;

	cap_live_stats(s->cap, &ls);
	memset(st, 0, sizeof(*st));
	st->records = ls.packets;
	st->messages = c->dns_messages;
	st->events = s->events;
	st->malformed = s->malformed;
	st->skipped = c->not_dns + c->bad_link + c->bad_ip + c->bad_transport + c->frag_dropped;
	st->bytes = c->bytes;
	if (kernel_drops)
		*kernel_drops = ls.kernel_drops + ls.if_drops;
}

void src_live_close(struct src_live *s)
{
	if (!s)
		return;
	cap_live_free(s->cap);
	free(s->iface);
	free(s);
}
