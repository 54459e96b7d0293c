/*
 * query.c - runs a query plan over every segment that overlaps its time
 * window and merges their events into one time-ordered stream.
 *
 * Segments of one partition may overlap in time (input out of order, or
 * several files of the same hour), so the merge is a heap over segment
 * iterators. A segment is opened only when the stream reaches its first
 * event time, so in the usual case of segments that follow each other
 * only one or two are open at once, and memory stays bounded by the
 * overlap, not by the window.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/err.h"

struct src {
	struct seg *sg;
	struct seg_iter *it;
	const struct ev_event *cur;
	size_t order; /* position in the catalog's list: breaks ties */
};

struct store_iter {
	struct store *s;
	struct splan plan;
	struct store_segref *refs; /* owned */
	size_t nrefs, next;
	struct src *heap; /* owned; min-heap on (ts, order) */
	size_t nheap;
	struct src last; /* the source of the event returned last */
	int have_last;
	uint64_t emitted;
	unsigned corrupt;
};

void store__plan_from_query(struct splan *p, const struct store_query *q)
{
	memset(p, 0, sizeof(*p));
	p->since = INT64_MIN;
	p->until = INT64_MAX;
	p->fields = STORE_FIELDS_ALL;
	if (!q)
		return;
	p->since = q->since_ns;
	p->until = q->until_ns;
	p->qname = q->qname;
	p->observer = q->observer;
	p->client = q->client;
	p->server = q->server;
	p->limit = q->limit;
}

static int src_less(const struct src *a, const struct src *b)
{
	if (a->cur->ts_ns != b->cur->ts_ns)
		return a->cur->ts_ns < b->cur->ts_ns;
	return a->order < b->order;
}

static void heap_push(struct store_iter *it, struct src x)
{
	size_t i = it->nheap++;
	it->heap[i] = x;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (!src_less(&it->heap[i], &it->heap[up]))
			break;
		struct src t = it->heap[i];
		it->heap[i] = it->heap[up];
		it->heap[up] = t;
		i = up;
	}
}

static struct src heap_pop(struct store_iter *it)
{
	struct src top = it->heap[0];
	it->heap[0] = it->heap[--it->nheap];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < it->nheap && src_less(&it->heap[l], &it->heap[m]))
			m = l;
		if (r < it->nheap && src_less(&it->heap[r], &it->heap[m]))
			m = r;
		if (m == i)
			break;
		struct src t = it->heap[i];
		it->heap[i] = it->heap[m];
		it->heap[m] = t;
		i = m;
	}
	return top;
}

static void src_close(struct store_iter *it, struct src *x)
{
	store__seg_iter_free(x->it);
	if (x->sg)
		store__seg_put(it->s, x->sg);
	x->it = NULL;
	x->sg = NULL;
}

/* Puts x, whose iterator returned rc, back into the heap, or closes it at
 * its end. A corrupt segment is counted and dropped; other errors are
 * returned. */
static int src_settle(struct store_iter *it, struct src *x, int rc)
{
	if (rc == 1) {
		heap_push(it, *x);
		return 0;
	}
	src_close(it, x);
	if (rc == DH_ECORRUPT) {
		it->corrupt++;
		return 0;
	}
	return rc;
}

/* Moves x to its next event (src_settle()). */
static int src_advance(struct store_iter *it, struct src *x)
{
	return src_settle(it, x, store__seg_iter_next(x->it, &x->cur));
}

static int src_open(struct store_iter *it, size_t i)
{
	struct src x = {.order = i};
	int rc = store__seg_get(it->s, it->refs[i].file, &x.sg);
	if (!rc)
		rc = store__seg_iter_new(&x.it, x.sg, &it->plan);
	if (rc) {
		src_close(it, &x);
		/* A segment named by the catalog but missing is as broken as
		 * one that fails its checks. */
		if (rc == DH_ECORRUPT || rc == -ENOENT) {
			it->corrupt++;
			return 0;
		}
		return rc;
	}
	return src_advance(it, &x);
}

int store__iter_new(struct store_iter **out, struct store *s, const struct splan *p)
{
	int rc;
	struct store_iter *it = calloc(1, sizeof(*it));
	*out = NULL;
	if (!it)
		return -ENOMEM;
	it->s = s;
	it->plan = *p;
	if (it->plan.since >= it->plan.until) {
		*out = it;
		return 0;
	}
	rc = store__segments(s, p->since, p->until, &it->refs, &it->nrefs);
	if (!rc && it->nrefs) {
		it->heap = calloc(it->nrefs, sizeof(*it->heap));
		if (!it->heap)
			rc = -ENOMEM;
	}
	if (rc) {
		store__iter_free(it);
		return rc;
	}
	*out = it;
	return 0;
}

int store__iter_next(struct store_iter *it, const struct ev_event **ev)
{
	int rc;
	if (it->have_last) {
		struct src *x = &it->last;
		it->have_last = 0;
		rc = store__seg_iter_next(x->it, &x->cur);
		/* Mostly the segment of the last event also has the next one,
		 * before every other segment's and before the next segment to
		 * open: it is returned without a trip through the heap (the
		 * same event the heap would give, ties included). */
		if (rc == 1 && (it->nheap == 0 || src_less(x, &it->heap[0])) &&
		    (it->next >= it->nrefs || it->refs[it->next].tmin > x->cur->ts_ns) &&
		    !(it->plan.limit && it->emitted >= it->plan.limit)) {
			it->have_last = 1;
			it->emitted++;
			*ev = x->cur;
			return 1;
		}
		if ((rc = src_settle(it, x, rc)))
			return rc;
	}
	if (it->plan.limit && it->emitted >= it->plan.limit)
		return 0;
	/* Open every segment that may hold an event before the heap's
	 * smallest: segments are listed by their first event time. */
	while (it->next < it->nrefs &&
	       (it->nheap == 0 || it->refs[it->next].tmin <= it->heap[0].cur->ts_ns)) {
		if ((rc = src_open(it, it->next++)))
			return rc;
	}
	if (it->nheap == 0)
		return 0;
	it->last = heap_pop(it);
	it->have_last = 1;
	it->emitted++;
	*ev = it->last.cur;
	return 1;
}

unsigned store__iter_corrupt(const struct store_iter *it)
{
	return it->corrupt;
}

void store__iter_free(struct store_iter *it)
{
	if (!it)
		return;
	if (it->have_last)
		src_close(it, &it->last);
	for (size_t i = 0; i < it->nheap; i++)
		src_close(it, &it->heap[i]);
	free(it->heap);
	store__segrefs_free(it->refs, it->nrefs);
	free(it);
}

static int query_run(struct store *s, const struct store_query *q, int brief, unsigned fields,
                     int (*cb)(void *ctx, const struct ev_event *ev), void *ctx)
{
	struct splan p;
	struct store_iter *it = NULL;
	const struct ev_event *ev;
	int rc;
	if (!s || !cb)
		return DH_EUSAGE;
	store__plan_from_query(&p, q);
	p.brief = brief;
	p.fields = fields & STORE_FIELDS_ALL;
	if ((rc = store__iter_new(&it, s, &p)))
		return rc;
	while ((rc = store__iter_next(it, &ev)) == 1) {
		int r = cb(ctx, ev);
		if (r) {
			rc = r;
			goto out;
		}
	}
	/* A corrupt segment is reported once the healthy ones are read. */
	if (rc == 0 && it->corrupt)
		rc = DH_ECORRUPT;
out:
	store__iter_free(it);
	return rc;
}

int store_query_run(struct store *s, const struct store_query *q,
                    int (*cb)(void *ctx, const struct ev_event *ev), void *ctx)
{
	return query_run(s, q, 0, STORE_FIELDS_ALL, cb, ctx);
}

int store_query_brief(struct store *s, const struct store_query *q,
                      int (*cb)(void *ctx, const struct ev_event *ev), void *ctx)
{
	/* Readers of a scan without a key may use ports and sizes. */
	int keyed =
	    q && (q->qname || q->client.family != DH_AF_NONE || q->server.family != DH_AF_NONE);
	return query_run(s, q, 1, keyed ? STORE_FIELDS_BRIEF : STORE_FIELDS_ALL, cb, ctx);
}

int store_query_fields(struct store *s, const struct store_query *q, unsigned fields,
                       int (*cb)(void *ctx, const struct ev_event *ev), void *ctx)
{
	return query_run(s, q, 1, fields, cb, ctx);
}
