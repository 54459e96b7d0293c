/*
 * helpers.h - events made by hand and scratch store directories for the
 * store's tests.
 */
#ifndef DH_TESTS_STORE_HELPERS_H
#define DH_TESTS_STORE_HELPERS_H

#include <stdint.h>

#include "event/event.h"
#include "store/store.h"

/* Fills ev with a query (response = 0) or response (response = 1) for
 * qname between client and server at ts. Records, when wanted, are added
 * with th_add_rr(); their text must outlive ev's use. */
void th_event(struct ev_event *ev, int64_t ts, const char *qname, const char *client,
              const char *server, int response);
void th_add_rr(struct ev_event *ev, uint8_t section, uint16_t type, uint32_t ttl, const char *owner,
               const char *data);

/* Makes a fresh directory below $TMPDIR (or the working directory) and
 * returns its path in buf; th_rmtree() removes it. */
void th_tmpdir(char *buf, size_t len);
void th_rmtree(const char *dir);

/* Collects query results. */
struct th_hits {
	int64_t ts[4096];
	uint16_t id[4096];
	char qname[4096][64];
	size_t n;
};
int th_collect(void *ctx, const struct ev_event *ev);

struct dh_addr th_addr(const char *text);

#endif
