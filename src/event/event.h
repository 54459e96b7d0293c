/*
 * event.h - the normalised DNS event: one record per DNS message observed.
 *
 * Every source (captures, dnstap, server logs) turns its input into this
 * record, and everything downstream (store, analyses, outputs) reads only
 * this. The DNS content is a struct dns_msg; around it the event says when,
 * where and by whom the message was seen.
 */
#ifndef DH_EVENT_EVENT_H
#define DH_EVENT_EVENT_H

#include <stdint.h>

#include "util/addr.h"
#include "wire/dns.h"

/*
 * Where the message sits on the resolution path. The numbers are dnstap's
 * Message.Type values, so dnstap events keep their role unchanged. In the
 * seeds' words, CLIENT_QUERY is a "Recursive" query (stub to resolver) and
 * RESOLVER_QUERY an "Iterative" one (resolver to authoritative server).
 * A capture cannot tell the roles apart by itself: its events carry
 * EV_ROLE_UNKNOWN unless the observer's configuration says more.
 */
enum ev_role {
	EV_ROLE_UNKNOWN = 0,
	EV_ROLE_AUTH_QUERY = 1,
	EV_ROLE_AUTH_RESPONSE = 2,
	EV_ROLE_RESOLVER_QUERY = 3,
	EV_ROLE_RESOLVER_RESPONSE = 4,
	EV_ROLE_CLIENT_QUERY = 5,
	EV_ROLE_CLIENT_RESPONSE = 6,
	EV_ROLE_FORWARDER_QUERY = 7,
	EV_ROLE_FORWARDER_RESPONSE = 8,
	EV_ROLE_STUB_QUERY = 9,
	EV_ROLE_STUB_RESPONSE = 10,
	EV_ROLE_TOOL_QUERY = 11,
	EV_ROLE_TOOL_RESPONSE = 12,
	EV_ROLE_UPDATE_QUERY = 13,
	EV_ROLE_UPDATE_RESPONSE = 14,
	EV_ROLE_MAX = 14,
};

/* Transport numbers: the IP protocol numbers, plus encrypted transports. */
enum ev_transport {
	EV_TRANSPORT_UNKNOWN = 0,
	EV_TRANSPORT_TCP = 6,
	EV_TRANSPORT_UDP = 17,
	EV_TRANSPORT_DOT = 253,
	EV_TRANSPORT_DOH = 254,
};

#define EV_OBSERVER_MAX 128

struct ev_event {
	int64_t ts_ns;                  /* when observed, ns since the epoch (UTC) */
	char observer[EV_OBSERVER_MAX]; /* sensor or server name; "" = default */
	uint8_t role;                   /* enum ev_role */
	uint8_t transport;              /* enum ev_transport */
	struct dh_addr src, dst;
	uint16_t sport, dport;
	uint32_t size; /* DNS message length in octets (0 if unknown) */

	/* Query/response matching (ev_match.h): for a response whose query
	 * was seen, rtt_ns is the time between them; -1 otherwise. */
	int64_t rtt_ns;

	struct dns_msg msg; /* the DNS content */
};

/* Resets ev to an empty event with rtt_ns = -1 and no message. */
void ev_clear(struct ev_event *ev);

/* The same with dns_msg_reset(): for an event about to be filled again. */
void ev_reset(struct ev_event *ev);

/* Names of roles and transports for output ("client_query", "udp"). */
const char *ev_role_name(unsigned role);
const char *ev_transport_name(unsigned transport);

/* Parses a role name back. Returns 0 or DH_ENOTFOUND. */
int ev_role_parse(const char *text, unsigned *role);

#endif
