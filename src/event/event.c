#include "event/event.h"

#include <string.h>
#include <strings.h>

#include "util/err.h"

static void reset_fields(struct ev_event *ev)
{
	ev->ts_ns = 0;
	ev->observer[0] = '\0';
	ev->role = EV_ROLE_UNKNOWN;
	ev->transport = EV_TRANSPORT_UNKNOWN;
	memset(&ev->src, 0, sizeof(ev->src));
	memset(&ev->dst, 0, sizeof(ev->dst));
	ev->sport = 0;
	ev->dport = 0;
	ev->size = 0;
	ev->rtt_ns = -1;
}

void ev_clear(struct ev_event *ev)
{
	reset_fields(ev);
	dns_msg_clear(&ev->msg);
}

void ev_reset(struct ev_event *ev)
{
	reset_fields(ev);
	dns_msg_reset(&ev->msg);
}

static const char *const role_names[EV_ROLE_MAX + 1] = {
    "unknown",         "auth_query",        "auth_response",
    "resolver_query",  "resolver_response", "client_query",
    "client_response", "forwarder_query",   "forwarder_response",
    "stub_query",      "stub_response",     "tool_query",
    "tool_response",   "update_query",      "update_response",
};

const char *ev_role_name(unsigned role)
{
	return role <= EV_ROLE_MAX ? role_names[role] : "unknown";
}

int ev_role_parse(const char *text, unsigned *role)
{
	for (unsigned i = 0; i <= EV_ROLE_MAX; i++) {
		if (strcasecmp(text, role_names[i]) == 0) {
			*role = i;
			return 0;
		}
	}
	return DH_ENOTFOUND;
}

const char *ev_transport_name(unsigned transport)
{
	switch (transport) {
	case EV_TRANSPORT_UDP:
		return "udp";
	case EV_TRANSPORT_TCP:
		return "tcp";
	case EV_TRANSPORT_DOT:
		return "dot";
	case EV_TRANSPORT_DOH:
		return "doh";
	default:
		return "unknown";
	}
}
