/*
 * trace_peer.c - the peer table: who a caller is, and what it may ask
 * (seed 000 section 6.5: "who is permitted to send a traceback request").
 */
#include "trace/trace.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/err.h"

int trace_rights_parse(const char *text, unsigned *rights)
{
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {{"ask", TRACE_R_ASK},
	             {"relay", TRACE_R_RELAY},
	             {"clients", TRACE_R_CLIENTS},
	             {"confirm", TRACE_R_CONFIRM}};
	unsigned r = 0;
	const char *p = text;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, ", ");
		int found = 0;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == n && strncmp(p, names[i].name, n) == 0) {
				r |= names[i].bit;
				found = 1;
			}
		if (!found)
			return DH_EUSAGE;
		p += n;
	}
	*rights = r;
	return 0;
}

int trace_peer_match(const struct trace_peer *peers, size_t n, const struct trace_ident *ident)
{
	for (size_t i = 0; i < n; i++) {
		const struct trace_peer *p = &peers[i];
		if (p->fingerprint[0]) {
			if (ident->fingerprint[0] &&
			    strcasecmp(p->fingerprint, ident->fingerprint) == 0)
				return (int)i;
			continue;
		}
		if (p->ca[0] && p->cn[0] && strcmp(p->ca, ident->ca) == 0 &&
		    strcmp(p->cn, ident->name) == 0)
			return (int)i;
	}
	return -1;
}

int trace_peer_by_server(const struct trace_peer *peers, size_t n, const struct dh_addr *addr)
{
	for (size_t i = 0; i < n; i++)
		for (size_t s = 0; s < peers[i].nservers; s++)
			if (dh_addr_equal(&peers[i].servers[s], addr))
				return (int)i;
	return -1;
}

int trace_peer_admit(struct trace_peer *p, const struct trace_request *r, int64_t now_ns, char *err,
                     size_t errlen)
{
	unsigned need;
	const char *what;
	if (r->kind == TRACE_KIND_CONFIRM) {
		/* A confirmation reveals one bit about one address the asker
		 * already knows; anyone allowed to trace may also confirm. */
		if (!(p->rights & (TRACE_R_CONFIRM | TRACE_R_ASK | TRACE_R_RELAY))) {
			snprintf(err, errlen, "peer %s may not send confirmations", p->name);
			return TRACE_EFORBID;
		}
	} else {
		need = r->hops == 0 ? TRACE_R_ASK : TRACE_R_RELAY;
		what = r->hops == 0 ? "ask" : "relay";
		if (!(p->rights & need)) {
			snprintf(err, errlen, "peer %s lacks the \"%s\" right%s", p->name, what,
			         p->rights == TRACE_R_CONFIRM ? " (it may only confirm)" : "");
			return TRACE_EFORBID;
		}
	}
	if (p->rate > 0) {
		double burst = p->burst > 0 ? p->burst : p->rate;
		if (p->bucket_ns == 0) {
			p->tokens = burst;
		} else if (now_ns > p->bucket_ns) {
			p->tokens += (double)(now_ns - p->bucket_ns) / 1e9 * p->rate;
			if (p->tokens > burst)
				p->tokens = burst;
		}
		p->bucket_ns = now_ns;
		if (p->tokens < 1.0) {
			snprintf(err, errlen, "peer %s over its rate of %.3g requests/s", p->name,
			         p->rate);
			return TRACE_ERATE;
		}
		p->tokens -= 1.0;
	}
	return 0;
}

static int64_t system_now(void *ctx)
{
	(void)ctx;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct trace_clock trace_clock_system(void)
{
	struct trace_clock c = {system_now, NULL};
	return c;
}
