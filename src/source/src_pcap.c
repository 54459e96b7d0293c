/*
 * src_pcap.c - DNS events from pcap and pcapng files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/source.h"
#include "util/err.h"
#include "wire/dns.h"

struct pcap_src {
	struct cap_reader *cap;
	struct src_options opt;
	char *path;
	uint64_t events;
	uint64_t malformed;
	uint64_t short_msgs;
};

static int listed(const struct dh_addr *a, const struct dh_addr *list, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (dh_addr_equal(a, &list[i]))
			return 1;
	return 0;
}

/* The role of a captured message, from where it went: to or from a
 * resolver's service address is the client side (the seeds' "recursive"
 * query), from the resolver to elsewhere its upstream ("iterative") side,
 * to or from an authoritative server the authoritative side. */
static unsigned role_of(const struct ev_event *ev, const struct src_options *opt)
{
	int response = dns_msg_is_response(&ev->msg);
	const struct dh_addr *server = response ? &ev->src : &ev->dst;
	const struct dh_addr *client = response ? &ev->dst : &ev->src;

	if (listed(server, opt->resolvers, opt->nresolvers))
		return response ? EV_ROLE_CLIENT_RESPONSE : EV_ROLE_CLIENT_QUERY;
	if (listed(client, opt->resolvers, opt->nresolvers))
		return response ? EV_ROLE_RESOLVER_RESPONSE : EV_ROLE_RESOLVER_QUERY;
	if (listed(server, opt->auths, opt->nauths))
		return response ? EV_ROLE_AUTH_RESPONSE : EV_ROLE_AUTH_QUERY;
	return EV_ROLE_UNKNOWN;
}

int src__event_from_cap(struct ev_event *ev, const struct cap_dns *d, const struct src_options *opt)
{
	ev->ts_ns = d->ts_ns;
	if (opt->observer)
		snprintf(ev->observer, sizeof(ev->observer), "%s", opt->observer);
	else
		ev->observer[0] = '\0';
	ev->transport = d->transport;
	ev->src = d->src;
	ev->dst = d->dst;
	ev->sport = d->sport;
	ev->dport = d->dport;
	ev->size = (uint32_t)d->len;
	ev->rtt_ns = -1;
	int rc = dns_parse(&ev->msg, d->data, d->len);
	ev->role = (uint8_t)(opt->nresolvers || opt->nauths ? role_of(ev, opt) : EV_ROLE_UNKNOWN);
	return rc;
}

static int pcap_probe(const uint8_t *h, size_t len)
{
	static const uint8_t magics[][4] = {
	    {0xd4, 0xc3, 0xb2, 0xa1}, /* classic, little-endian, us */
	    {0xa1, 0xb2, 0xc3, 0xd4}, /* classic, big-endian, us */
	    {0x4d, 0x3c, 0xb2, 0xa1}, /* classic, little-endian, ns */
	    {0xa1, 0xb2, 0x3c, 0x4d}, /* classic, big-endian, ns */
	    {0x0a, 0x0d, 0x0d, 0x0a}, /* pcapng section header block */
	};
	if (len < 4)
		return 0;
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (memcmp(h, magics[i], 4) == 0)
			return 1;
	return 0;
}

static void pcap_close(void *ctx)
{
	struct pcap_src *s = ctx;
	if (!s)
		return;
	cap_reader_free(s->cap);
	free(s->path);
	free(s);
}

static int pcap_open(void **ctx, const char *path, const struct src_options *opt)
{
	struct pcap_src *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	if (opt)
		s->opt = *opt;
	s->path = strdup(path);
	if (!s->path) {
		rc = -ENOMEM;
		goto out;
	}
	rc = cap_reader_open(&s->cap, path, &s->opt.cap);
out:
	if (rc != 0) {
		pcap_close(s);
		return rc;
	}
	*ctx = s;
	return 0;
}

static int pcap_next(void *ctx, struct ev_event *ev)
{
	struct pcap_src *s = ctx;
	struct cap_dns d;

	for (;;) {
		int rc = cap_reader_next(s->cap, &d);
		if (rc <= 0)
			return rc;
		if (d.len < 12) {
			/* Not even a DNS header: nothing to keep. */
			s->short_msgs++;
			s->malformed++;
			src__report_bad(&s->opt, s->path, "packet", d.packet_no, DH_ETRUNC);
			continue;
		}
		if (src__event_from_cap(ev, &d, &s->opt) != 0) {
			s->malformed++;
			src__report_bad(&s->opt, s->path, "packet", d.packet_no, ev->msg.err);
		}
		s->events++;
		return 1;
	}
}

static void pcap_stats(void *ctx, struct src_stats *st)
{
	struct pcap_src *s = ctx;
	const struct cap_stats *c = cap_reader_stats(s->cap);

	st->records = c->packets;
	st->messages = c->dns_messages;
	st->events = s->events;
	st->malformed = s->malformed;
	st->skipped = c->not_dns + c->bad_link + c->bad_ip + c->bad_transport + c->frag_dropped;
	st->bytes = c->bytes;
	st->size = c->file_size;
}

const struct src_ops src_pcap_ops = {
    .name = "pcap",
    .probe = pcap_probe,
    .open = pcap_open,
    .next = pcap_next,
    .stats = pcap_stats,
    .close = pcap_close,
};
