/*
 * trace_fake.c - a transport that delivers requests between agents in one
 * process, and a clock that moves only when told: the multi-agent tests
 * run without the network and give the same result every time (the model
 * is Unbound's testcode/fake_event.c).
 */
#include "trace/trace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fake_node {
	struct trace_fake *net;
	char name[TRACE_AGENT_MAX + 1];
	struct trace_ident ident;
	struct trace_agent *agent; /* borrowed */
	int down;
	int64_t delay_ms;
	int refuse;
	uint64_t delivered;
};

struct trace_fake {
	int64_t now_ns;
	size_t n;
	struct fake_node *nodes[64];
};

int trace_fake_new(struct trace_fake **out, int64_t start_ns)
{
	struct trace_fake *net = calloc(1, sizeof(*net));
	if (!net)
		return -ENOMEM;
	net->now_ns = start_ns;
	*out = net;
	return 0;
}

void trace_fake_free(struct trace_fake *net)
{
	if (!net)
		return;
	for (size_t i = 0; i < net->n; i++)
		free(net->nodes[i]);
	free(net);
}

static struct fake_node *find(const struct trace_fake *net, const char *name)
{
	for (size_t i = 0; i < net->n; i++)
		if (strcmp(net->nodes[i]->name, name) == 0)
			return net->nodes[i];
	return NULL;
}

static int64_t fake_now(void *ctx)
{
	return ((struct fake_node *)ctx)->net->now_ns;
}

/* Delivers one call from node `from` to the agent the peer names. */
static void deliver(struct trace_fake *net, const struct trace_ident *from, struct trace_call *c,
                    const char *to, int64_t deadline_ns)
{
	struct fake_node *dst = find(net, to);
	c->ans = NULL;
	c->ans_len = 0;
	c->rc = 0;
	c->detail[0] = '\0';
	if (!dst || !dst->agent || dst->down) {
		c->rc = TRACE_EDOWN;
		snprintf(c->detail, sizeof(c->detail), "connection to %s refused", to);
		return;
	}
	dst->delivered++;
	int rc;
	if (dst->refuse)
		rc = trace_error_encode("", dst->name, dst->refuse, NULL, &c->ans, &c->ans_len);
	else
		rc = trace_agent_handle(dst->agent, from, (const uint8_t *)c->req, c->req_len,
		                        &c->ans, &c->ans_len);
	if (rc != 0) {
		c->rc = rc;
		snprintf(c->detail, sizeof(c->detail), "%s failed: %s", to, trace_strerror(rc));
		return;
	}
	net->now_ns += dst->delay_ms * 1000000LL;
	if (net->now_ns > deadline_ns) {
		free(c->ans);
		c->ans = NULL;
		c->ans_len = 0;
		c->rc = TRACE_EDEADLINE;
		snprintf(c->detail, sizeof(c->detail), "%s answered %lld ms after the deadline", to,
		         (long long)((net->now_ns - deadline_ns) / 1000000));
	}
}

static void fake_exchange(void *ctx, struct trace_call *calls, size_t n, int64_t deadline_ns)
{
	struct fake_node *self = ctx;
	for (size_t i = 0; i < n; i++)
		deliver(self->net, &self->ident, &calls[i], calls[i].peer->name, deadline_ns);
}

int trace_fake_node(struct trace_fake *net, const char *name, const struct trace_ident *ident,
                    struct trace_transport *tr, struct trace_clock *clock)
{
	if (find(net, name) || net->n >= sizeof(net->nodes) / sizeof(net->nodes[0]))
		return -EEXIST;
	struct fake_node *nd = calloc(1, sizeof(*nd));
	if (!nd)
		return -ENOMEM;
	nd->net = net;
	snprintf(nd->name, sizeof(nd->name), "%s", name);
	nd->ident = *ident;
	net->nodes[net->n++] = nd;
	tr->exchange = fake_exchange;
	tr->ctx = nd;
	clock->now_ns = fake_now;
	clock->ctx = nd;
	return 0;
}

int trace_fake_attach(struct trace_fake *net, const char *name, struct trace_agent *ag)
{
	struct fake_node *nd = find(net, name);
	if (!nd)
		return -ENOENT;
	nd->agent = ag;
	return 0;
}

int trace_fake_down(struct trace_fake *net, const char *name, int down)
{
	struct fake_node *nd = find(net, name);
	if (!nd)
		return -ENOENT;
	nd->down = down;
	return 0;
}

int trace_fake_delay(struct trace_fake *net, const char *name, int64_t delay_ms)
{
	struct fake_node *nd = find(net, name);
	if (!nd)
		return -ENOENT;
	nd->delay_ms = delay_ms;
	return 0;
}

int trace_fake_refuse(struct trace_fake *net, const char *name, int code)
{
	struct fake_node *nd = find(net, name);
	if (!nd)
		return -ENOENT;
	nd->refuse = code;
	return 0;
}

int64_t trace_fake_now(const struct trace_fake *net)
{
	return net->now_ns;
}

void trace_fake_advance(struct trace_fake *net, int64_t ns)
{
	net->now_ns += ns;
}

uint64_t trace_fake_delivered(const struct trace_fake *net, const char *name)
{
	struct fake_node *nd = find(net, name);
	return nd ? nd->delivered : 0;
}

int trace_fake_ask(struct trace_fake *net, const char *name, const struct trace_ident *as,
                   const char *req, size_t len, char **ans, size_t *ans_len)
{
	struct trace_call c;
	struct trace_peer p;
	memset(&c, 0, sizeof(c));
	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "%s", name);
	c.peer = &p;
	c.req = req;
	c.req_len = len;
	deliver(net, as, &c, name, INT64_MAX);
	*ans = c.ans;
	*ans_len = c.ans_len;
	return c.rc;
}
