/*
 * nshist_check.h - the check's settings (the [nshist] section of
 * dnshound.conf and the command's options), the verdict of one query
 * event, and the findings for hosts that send DNS directly.
 *
 * Seed 003 section 4 registers "exceptions": the public resolvers, whose
 * addresses are legitimate destinations of DNS queries although no NS
 * record names them. dnshound keeps two such lists: the network's own
 * resolvers (from --resolver and "resolver =") and the public resolvers
 * (a documented default list, nshist_public_default[], replaced by the
 * first "public_resolver =" or --public-resolver).
 *
 * Findings (kinds "direct-outbound" for unknown destinations, Feederbot,
 * seed 003 Fig. 1(b), and "indirect-outbound" for indirect ones, Morto,
 * Fig. 1(a)), one per host, kind and window (a day by default), graded as
 * doc/nshist.md explains:
 *   candidate  the first query to such an address;
 *   warning    warning_count queries, or txt_warning TXT queries among them;
 *   emergency  emergency_count queries, or txt_emergency TXT queries.
 * TXT is called out because the seed's C&C channels (Feederbot, Morto)
 * carry their commands in TXT answers (seed 003 section 1).
 */
#ifndef DH_NSHIST_NSHIST_CHECK_H
#define DH_NSHIST_NSHIST_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"
#include "nshist/nshist.h"
#include "store/finding.h"
#include "util/conf.h"

struct dh_allow;

/* The well-known public resolvers (Google, Cloudflare, Quad9, OpenDNS),
 * NULL-terminated: the default exception list. */
extern const char *const nshist_public_default[];

struct nshist_opts {
	struct nshist_config hist;
	/* Findings. */
	uint64_t warning_count, emergency_count; /* defaults 10, 100 */
	uint64_t txt_warning, txt_emergency;     /* defaults 1, 10 */
	int64_t window_ns;                       /* default one day */
	/* Owned sets; empty ones match nothing. */
	struct dh_allow *resolvers; /* the network's resolvers */
	struct dh_allow *publics;   /* public resolvers on the exception list */
	struct dh_allow *local;     /* the network's hosts; empty: every source */
	struct dh_allow *allow;     /* hosts, servers and names never reported */
	int publics_replaced;       /* the default list was replaced */
	/* Single addresses of the two resolver lists again, in a small
	 * table of their own: the check asks about every query's source
	 * and destination, and one probe of this table is several times
	 * cheaper than the general sets' probe per prefix length. The sets
	 * are asked only when they hold networks. */
	struct nshist_aset {
		struct nshist_aslot {
			struct dh_addr a; /* family DH_AF_NONE = empty */
			uint8_t flags;    /* 1 a resolver, 2 a public resolver */
		} * slot;                 /* owned */
		size_t cap, n;
	} exact;
	int resolvers_nets, publics_nets;
};

/* Fills o with the defaults and the default public list. Returns 0 or
 * -ENOMEM; release with nshist_opts_release() either way. */
int nshist_opts_init(struct nshist_opts *o);
void nshist_opts_release(struct nshist_opts *o);

/* Adds a public resolver; the first call empties the default list, and
 * "none" leaves it empty. Returns 0, DH_EMALFORMED or -ENOMEM. */
int nshist_opts_public(struct nshist_opts *o, const char *entry);

/* Adds one of the network's resolvers (an address or a network). Returns
 * 0, DH_EMALFORMED or -ENOMEM. */
int nshist_opts_resolver(struct nshist_opts *o, const char *entry);

/*
 * A dh_conf_fn for the [nshist] section (ctx: struct nshist_opts); other
 * sections are ignored. Keys: glue_window, grace (seconds, "2s", "1h"),
 * referrals (yes/no), resolver, public_resolver, local, allow (each
 * repeatable), warning_count, emergency_count, txt_warning,
 * txt_emergency, window.
 */
int nshist_opts_conf(void *ctx, const struct dh_conf_item *item, char *err, size_t errlen);

/*
 * The verdict of one event. Returns 1 with why filled when ev is a
 * standard query sent by a host of the network (a query, from an address
 * in o->local when that is not empty, not from one of the network's
 * resolvers, whose own upstream queries are how resolution works), 0 for
 * every other event. Resolvers and public resolvers on the exception list
 * give NSHIST_RESOLVER, everything else nshist_check(). When no resolver
 * is configured, the event's role stands in for the list: a client query
 * (as a resolver's dnstap or a capture read with --resolver marks it) went
 * to a resolver, a resolver's or forwarder's query is not a host's.
 */
int nshist_classify(const struct nshist *h, const struct nshist_opts *o, const struct ev_event *ev,
                    struct nshist_why *why);

struct nshist_find;

/* o is borrowed and must outlive f. Returns 0 and *out (free with
 * nshist_find_free()), or -ENOMEM. */
int nshist_find_new(struct nshist_find **out, const struct nshist_opts *o);
void nshist_find_free(struct nshist_find *f); /* NULL ok */

/* Counts a classified query: indirect and unknown ones to hosts not
 * allowed. Returns 1 when its finding is new or rose a level, 0 when
 * not, or -ENOMEM. */
int nshist_find_add(struct nshist_find *f, const struct ev_event *ev, const struct nshist_why *why);

/* Calls cb with every finding whose counts changed since the last call;
 * the finding and its evidence are borrowed for the call. cb returns 0 to
 * go on, else that value is returned. */
int nshist_find_flush(struct nshist_find *f, int (*cb)(void *ctx, const struct store_finding *sf),
                      void *ctx);

#endif
