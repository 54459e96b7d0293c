/*
 * detect_tunnel.c - DNS tunnelling: data carried in query names. iodine
 * and its kin pack up to 63 octets of base32 or base64 into each label
 * and ask TXT or NULL records for the downstream, so a tunnelling host
 * asks many unique long names under one zone.
 *
 * Score: the client's queries in the window whose longest label has at
 * least tunnel_label octets (default 40), or whose name exceeds 100
 * octets with a first label of high character entropy (at least 4 bits
 * per octet, near base32's 5). Ordinary names rarely have labels over
 * 30 octets; the long ones that do (anti-virus lookups, some CDNs) are
 * what the kind's allow-list is for.
 */
#include <errno.h>
#include <stdlib.h>

#include "detect/detect_int.h"

struct tunnel {
	struct detect *d;
};

static int t_init(void **ctx, struct detect *d)
{
	struct tunnel *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->d = d;
	*ctx = t;
	return 0;
}

static void t_free(void *ctx)
{
	free(ctx);
}

static int t_feed(void *ctx, const struct detect_obs *obs)
{
	struct tunnel *t = ctx;
	const struct detect_config *cfg = t->d->cfg;
	int wi = t->d->kind_win[DETECT_K_TUNNEL];
	int hit;

	if (!obs->query || obs->name_allowed || wi < 0)
		return 0;
	/* No label is longer than its name: most names are shorter than
	 * the threshold and need no scan. */
	hit = obs->name_len >= cfg->tunnel_label &&
	      detect__longest_label(obs->name, obs->name_len) >= cfg->tunnel_label;
	if (!hit && obs->name_len > 100) {
		size_t fl = detect__first_label(obs->name, obs->name_len);
		hit = fl >= 16 && detect__text_entropy(obs->name, fl) >= 4.0;
	}
	if (!hit)
		return 0;
	if (obs->c[wi])
		detect__bm_set(obs->c[wi]->aux_bm, obs->name_hash);
	return detect__count(t->d, obs, DETECT_K_TUNNEL, NULL, 1, obs->name, obs->name_len);
}

const struct detect_ops detect_tunnel_ops = {
    .name = "tunnel",
    .init = t_init,
    .feed = t_feed,
    .close = NULL,
    .free = t_free,
};
