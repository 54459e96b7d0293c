/*
 * detect_dga.c - DGA-like behaviour: a client that gets NXDOMAIN for
 * many distinct names. A domain-generation algorithm tries a day's list
 * of random names until one resolves (Conficker.C tried 500 of 50,000 a
 * day), so its host collects NXDOMAIN answers at a rate and share no
 * typing human reaches.
 *
 * Score: NXDOMAIN answers to the client in the window, counted only
 * while they are at least min_share of its queries (default 5%: a
 * benign host's typos are a fraction of a percent). Captures and dnstap
 * have the answers; query logs do not, and until the input has shown an
 * answer the detector counts instead the queries for names that look
 * generated (detect_generated(): a registered label of 10 or more
 * letters and digits, at least 8 letters, under 30% of them vowels, with
 * a run of 4 consonants), as distinct registered labels (linear
 * counting, 256 bits: exact enough up to about a thousand), which most
 * random strings are and words and brand names are not.
 * NXDOMAIN for IP literals and reverse names does not count.
 */
#include <errno.h>
#include <stdlib.h>

#include "detect/detect_int.h"
#include "util/hash.h"

struct dga {
	struct detect *d;
};

static int g_init(void **ctx, struct detect *d)
{
	struct dga *g = calloc(1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	g->d = d;
	*ctx = g;
	return 0;
}

static void g_free(void *ctx)
{
	free(ctx);
}

/* The label under the top-level one ("example" of "www.example.com."). */
static void registered_label(const char *name, size_t n, const char **lab, size_t *len)
{
	size_t end = n, dots = 0, i;

	if (end && name[end - 1] == '.')
		end--;
	for (i = end; i > 0; i--) {
		if (name[i - 1] == '.' && ++dots == 2)
			break;
	}
	*lab = name + i;
	*len = 0;
	while (i + *len < end && name[i + *len] != '.')
		(*len)++;
}

int detect_generated(const char *name, size_t n)
{
	const char *lab;
	size_t len, letters = 0, vowels = 0, run = 0, best = 0;

	registered_label(name, n, &lab, &len);
	if (len < 10)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = lab[i];
		if (c >= '0' && c <= '9') {
			run = 0; /* "shop24x7": digits are no consonants */
			continue;
		}
		if (c < 'a' || c > 'z')
			return 0;
		int vowel = c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
		letters++;
		vowels += (size_t)vowel;
		run = vowel ? 0 : run + 1;
		if (run > best)
			best = run;
	}
	return letters >= 8 && vowels * 10 < letters * 3 && best >= 4;
}

static int g_feed(void *ctx, const struct detect_obs *obs)
{
	struct dga *g = ctx;
	int wi = g->d->kind_win[DETECT_K_DGA];

	/* Query logs: no answer seen yet, so judge the names themselves. */
	if (obs->query && g->d->counters.answers == 0 && !obs->name_allowed && wi >= 0 &&
	    obs->qt != DETECT_QT_PTR && obs->c[wi] && detect_generated(obs->name, obs->name_len)) {
		/* Distinct registered labels, not queries: a bot that keeps
		 * asking its one random C&C name (a beacon, a tunnel's zone)
		 * counts once; a DGA's names are all different. */
		const char *lab;
		size_t len;
		registered_label(obs->name, obs->name_len, &lab, &len);
		detect__bm_set(obs->c[wi]->gen_bm, dh_hash64(lab, len, 5));
		uint64_t distinct = detect__bm_estimate(obs->c[wi]->gen_bm, 256);
		return detect__score(g->d, obs, DETECT_K_DGA, (uint32_t)distinct, 0, obs->name,
		                     obs->name_len);
	}
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
