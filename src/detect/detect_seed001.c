/*
 * detect_seed001.c - the detector of seed 001's own signals (Musashi et
 * al. 2006): MX queries of clients, keyword-headed A queries and the
 * head-word tables, IP literals as A-query names, the raw A volume of
 * the prototype, and the outside looking in.
 *
 * Seed sections are its slide titles:
 * - "Detection Rate of the clients-based MX RR Query Access": spam bots
 *   resolve MX records themselves; clients other than mail servers
 *   should not (spam-mx).
 * - "Statistics of the DNS Query Contents in the A RR based DNS query
 *   Traffic": the first 1 to 5 characters of A-query names, with mx,
 *   mail, smtp, gate and relay on top for non-MX mass mailers (Mytob.A)
 *   (mass-mailer, and the head-word tables of detect_stats.h).
 * - "Detection of Unusual Traffic of the A RR based DNS Query Traffic":
 *   "0.0.0.0", "133.9*.**.192", "127.0.0.1.***-u.ac.jp" (worm-ip-literal).
 * - "Example DNS query traffic from the BW-infected PCs" and "Prototype
 *   of Detection System": the top access clients' daily A counts graded
 *   1000/5000/10000 (volume).
 * - "BW detection by watching the DNS traffic from the outside?": spam
 *   filters elsewhere resolving the names and PTRs of our own hosts name
 *   the local host that sends spam (outside-in).
 */
#include <errno.h>
#include <stdlib.h>

#include "detect/detect_int.h"
#include "util/allow.h"

struct seed001 {
	struct detect *d;
};

static int s_init(void **ctx, struct detect *d)
{
	struct seed001 *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->d = d;
	*ctx = s;
	return 0;
}

static void s_free(void *ctx)
{
	free(ctx);
}

static void headwords(struct detect *d, const char *name, size_t n)
{
	int created;

	uint64_t h = 1469598103934665603ull; /* FNV-1a, one octet at a time */

	/* The seed's table counts the heads of the whole name, dots
	 * included ("mx1." "mail."). The root name "." has none. The same
	 * prefilter as the entropy's top names (detect.c) keeps the long
	 * tail of 4- and 5-character heads out of the tables. */
	if (n < 2)
		return;
	for (size_t len = 1; len <= 5 && len <= n - 1; len++) {
		h = (h ^ (unsigned char)name[len - 1]) * 1099511628211ull;
		uint32_t b = ++d->head_bucket[(len - 1) * DETECT_HEAD_BUCKETS +
		                              (size_t)((h >> 24) % DETECT_HEAD_BUCKETS)];
		/* The running FNV hash is the key's hash for the table too
		 * (mixed, since its low bits place the key in the index). */
		if (b > detect__ss_floor(&d->head[len - 1]))
			detect__ss_add_h(&d->head[len - 1], name, len, h ^ (h >> 29), 1, &created);
	}
}

static int s_feed(void *ctx, const struct detect_obs *obs)
{
	struct seed001 *s = ctx;
	struct detect *d = s->d;
	const struct detect_config *cfg = d->cfg;
	int rc = 0;

	if (!obs->query || obs->name_allowed)
		return 0;
	if (obs->qt == DETECT_QT_MX)
		rc = detect__count(d, obs, DETECT_K_SPAM_MX, NULL, 1, obs->name, obs->name_len);
	if (rc == 0 && obs->qt == DETECT_QT_A) {
		int kw = detect__keyword(cfg, obs->name, obs->name_len);
		if (d->stats_on)
			headwords(d, obs->name, obs->name_len);
		if (kw >= 0) {
			for (unsigned i = 0; i < d->nwin; i++)
				if (obs->c[i])
					obs->c[i]->a_keyword++;
			d->kw_count[kw]++;
			d->cur.a_keyword++;
			rc = detect__count(d, obs, DETECT_K_MASS_MAILER, NULL, 1, obs->name,
			                   obs->name_len);
		}
		/* A literal before another domain counts only before our own
		 * (the seed's "127.0.0.1.***-u.ac.jp"): before other zones it is
		 * what every DNS blocklist lookup looks like (RFC 5782). */
		int lit = rc == 0 ? detect__ip_literal(obs->name, obs->name_len) : 0;
		if (lit == 2 && !(cfg->own && dh_allow_name(cfg->own, obs->name, obs->name_len)))
			lit = 0;
		if (lit) {
			for (unsigned i = 0; i < d->nwin; i++)
				if (obs->c[i])
					obs->c[i]->a_ip_literal++;
			d->cur.a_ip_literal++;
			rc = detect__count(d, obs, DETECT_K_IP_LITERAL, NULL, 1, obs->name,
			                   obs->name_len);
		}
		if (rc == 0)
			rc = detect__count(d, obs, DETECT_K_VOLUME, NULL, 1, NULL, 0);
	}
	/* The outside looking in: needs to know what inside is. Last, since
	 * it touches another host's entry. */
	if (rc == 0 && cfg->local && !obs->inside) {
		struct dh_addr named;
		int hit = 0;
		if (obs->qt == DETECT_QT_PTR &&
		    detect__reverse_addr(obs->name, obs->name_len, &named))
			hit = dh_allow_addr(cfg->local, &named);
		if (!hit && cfg->own && dh_allow_name(cfg->own, obs->name, obs->name_len))
			d->cur.outside_in++;
		if (hit) {
			d->cur.outside_in++;
			rc = detect__count(d, obs, DETECT_K_OUTSIDE_IN, &named, 1, obs->name,
			                   obs->name_len);
		}
	}
	return rc;
}

const struct detect_ops detect_stats_ops = {
    .name = "seed001",
    .init = s_init,
    .feed = s_feed,
    .close = NULL,
    .free = s_free,
};
