/*
 * detect_dga.c - DGA-like behaviour: a client that gets NXDOMAIN for
 * many distinct names. A domain-generation algorithm tries a day's list
 * of random names until one resolves (Conficker.C tried 500 of 50,000 a
 * day), so its host collects NXDOMAIN answers at a rate and share no
 * typing human reaches.
 *
 * Score: NXDOMAIN answers to the client in the window, counted only
 * while they are at least min_share of its queries (default 5%: a
 * benign host's typos are a fraction of a percent). Needs answers:
 * captures and dnstap have them, query logs do not (doc/detect.md).
 * NXDOMAIN for IP literals and reverse names does not count.
 */
#include <stdlib.h>

#include "detect/detect_int.h"

struct dga {
	struct detect *d;
};

static int g_init(void **ctx, struct detect *d)
{
	struct dga *g = calloc(1, sizeof(*g));

	if (!g)
		return -12;
	g->d = d;
	*ctx = g;
	return 0;
}

static void g_free(void *ctx)
{
	free(ctx);
}

static int g_feed(void *ctx, const struct detect_obs *obs)
{
	struct dga *g = ctx;
	int wi = g->d->kind_win[DETECT_K_DGA];

	if (obs->query || !obs->nxdomain || obs->name_allowed || wi < 0)
		return 0;
	/* IP literals (a worm's, seed 001) and reverse names fail as well,
	 * but are no generated domains. */
	if (detect__ip_literal(obs->name, obs->name_len))
		return 0;
	struct dh_addr rev;
	if (detect__reverse_addr(obs->name, obs->name_len, &rev))
		return 0;
	if (obs->c[wi])
		detect__bm_set(obs->c[wi]->aux_bm, obs->name_hash);
	return detect__count(g->d, obs, DETECT_K_DGA, NULL, 1, obs->name, obs->name_len);
}

const struct detect_ops detect_dga_ops = {
    .name = "dga",
    .init = g_init,
    .feed = g_feed,
    .close = NULL,
    .free = g_free,
};
