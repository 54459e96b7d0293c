/*
 * ev_match.h - pairing queries with their responses.
 *
 * A response answers the query with the same client address and port,
 * server address and port, transport, message id and question (RFC 5452
 * section 9.1 lists the same fields as what a resolver must check). The
 * matcher remembers each query's time for a bounded while; when a response
 * arrives that answers a remembered query, the response's rtt_ns is set to
 * the time between them and the query is forgotten, so a duplicate
 * response stays unmatched. Queries that are never answered and responses
 * whose query was not seen pass through unchanged: nothing is held back
 * and nothing is lost.
 *
 * Memory is bounded: queries live in two generations of a fixed-size
 * table. When the current generation is older than the timeout or half
 * full, the older generation is dropped and the current one becomes the
 * older, so a query is remembered for at least one timeout (unless the
 * table overflows) and at most two.
 */
#ifndef DH_EVENT_EV_MATCH_H
#define DH_EVENT_EV_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"

struct ev_match;

struct ev_match_stats {
	uint64_t queries;
	uint64_t responses;
	uint64_t matched;
	uint64_t expired; /* queries dropped unanswered when their generation went */
};

/*
 * Creates a matcher remembering queries for timeout_ns (default 10 s when
 * 0) with room for capacity queries per generation (rounded up to a power
 * of two; default 262144 when 0). Returns 0 and *out (caller frees with
 * ev_match_free()), or -ENOMEM.
 */
int ev_match_new(struct ev_match **out, int64_t timeout_ns, size_t capacity);
void ev_match_free(struct ev_match *m);

/* Records a query, or sets ev->rtt_ns on a response that answers a
 * remembered query. Events without a question are left alone. */
void ev_match_event(struct ev_match *m, struct ev_event *ev);

const struct ev_match_stats *ev_match_stats(const struct ev_match *m);

#endif
