/*
 * report.c - the report's model: arrays the caller fills.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "util/hash.h"

/* Slots of the flow index: a power of two over twice REPORT_FLOWS_MAX,
 * so linear probing stays short. */
#define FLOW_SLOTS 8192u

void report_model_init(struct report_model *m)
{
	memset(m, 0, sizeof(*m));
}

void report_model_release(struct report_model *m)
{
	free(m->win);
	free(m->peaks);
	free(m->top);
	free(m->keywords);
	for (int i = 0; i < 5; i++)
		free(m->head[i]);
	for (size_t i = 0; i < m->nfindings; i++)
		free((char *)m->findings[i].evidence);
	free(m->findings);
	free(m->flows);
	free(m->flow_index);
	memset(m, 0, sizeof(*m));
}

/* Makes room for one more element of size sz in *arr. */
static int grow(void **arr, size_t n, size_t *cap, size_t sz)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 16;
	void *p = realloc(*arr, c * sz);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

#define APPEND(m, arr, n, cap, item)                                                               \
	do {                                                                                       \
		if (grow((void **)&(m)->arr, (m)->n, &(m)->cap, sizeof(*(m)->arr)) != 0)           \
			return -ENOMEM;                                                            \
		(m)->arr[(m)->n++] = *(item);                                                      \
		return 0;                                                                          \
	} while (0)

int report_add_window(struct report_model *m, const struct report_window *w)
{
	APPEND(m, win, nwin, capwin, w);
}

int report_add_peak(struct report_model *m, const struct report_peak *p)
{
	APPEND(m, peaks, npeaks, cappeaks, p);
}

int report_add_talker(struct report_model *m, const struct report_talker *t)
{
	APPEND(m, top, ntop, captop, t);
}

int report_add_keyword(struct report_model *m, const struct report_count *c)
{
	APPEND(m, keywords, nkeywords, capkeywords, c);
}

int report_add_headword(struct report_model *m, unsigned len, const struct report_count *c)
{
	if (len < 1 || len > 5)
		return 0;
	unsigned i = len - 1;
	if (grow((void **)&m->head[i], m->nhead[i], &m->caphead[i], sizeof(*m->head[i])) != 0)
		return -ENOMEM;
	m->head[i][m->nhead[i]++] = *c;
	return 0;
}

int report_add_finding(struct report_model *m, const struct store_finding *f)
{
	for (size_t i = 0; i < m->nfindings; i++) {
		struct store_finding *g = &m->findings[i];
		if (!dh_addr_equal(&g->host, &f->host) ||
		    strncmp(g->kind, f->kind, STORE_KIND_MAX) != 0 ||
		    g->window_start_ns != f->window_start_ns)
			continue;
		if (f->level < g->level || (f->level == g->level && f->score <= g->score))
			return 0;
		char *ev = f->evidence ? strdup(f->evidence) : NULL;
		if (f->evidence && !ev)
			return -ENOMEM;
		free((char *)g->evidence);
		int64_t raised = g->raised_ns;
		*g = *f;
		g->evidence = ev;
		g->raised_ns = raised ? raised : f->raised_ns;
		return 0;
	}
	if (grow((void **)&m->findings, m->nfindings, &m->capfindings, sizeof(*m->findings)) != 0)
		return -ENOMEM;
	struct store_finding *g = &m->findings[m->nfindings];
	*g = *f;
	g->evidence = f->evidence ? strdup(f->evidence) : NULL;
	if (f->evidence && !g->evidence)
		return -ENOMEM;
	m->nfindings++;
	return 0;
}

struct flow_key {
	uint16_t host_port, server_port;
	uint8_t family;
	uint8_t a[16];
};

int report_add_flow(struct report_model *m, uint16_t host_port, const struct dh_addr *server,
                    uint16_t server_port)
{
	struct flow_key k;
	uint32_t *slots = m->flow_index;

	if (!slots) {
		slots = calloc(FLOW_SLOTS, sizeof(*slots));
		if (!slots)
			return -ENOMEM;
		m->flow_index = slots;
	}
	memset(&k, 0, sizeof(k));
	k.host_port = host_port;
	k.server_port = server_port;
	k.family = server->family;
	memcpy(k.a, server->a, sizeof(k.a));
	uint32_t h = (uint32_t)dh_hash64(&k, sizeof(k), 0x5eed) & (FLOW_SLOTS - 1);
	for (;; h = (h + 1) & (FLOW_SLOTS - 1)) {
		uint32_t s = slots[h];
		if (s == 0)
			break;
		struct report_flow *f = &m->flows[s - 1];
		if (f->host_port == host_port && f->server_port == server_port &&
		    dh_addr_equal(&f->server, server)) {
			f->count++;
			return 0;
		}
	}
	if (m->nflows >= REPORT_FLOWS_MAX) {
		m->flows_dropped++;
		return 0;
	}
	if (grow((void **)&m->flows, m->nflows, &m->capflows, sizeof(*m->flows)) != 0)
		return -ENOMEM;
	struct report_flow *f = &m->flows[m->nflows++];
	f->host_port = host_port;
	f->server_port = server_port;
	f->server = *server;
	f->count = 1;
	slots[h] = (uint32_t)m->nflows;
	return 0;
}
