/*
 * allow.h - sets of hosts, networks and name suffixes: allow-lists, local
 * networks, resolver lists.
 *
 * An entry is an address ("192.0.2.1", "2001:db8::53"), a network in CIDR
 * form ("10.0.0.0/8", "2001:db8::/32") or a name suffix ("example.com",
 * ".example.com" or "*.example.com", all three the same). A name matches a
 * suffix when it equals it or ends with it at a label boundary:
 * "mail.example.com" and "example.com" match "example.com",
 * "badexample.com" does not. Matching is case-insensitive and ignores a
 * trailing dot on either side.
 *
 * Lookups cost one hash probe per address family and prefix length in the
 * set, and one per label of a name, whatever the set's size.
 */
#ifndef DH_UTIL_ALLOW_H
#define DH_UTIL_ALLOW_H

#include <stddef.h>

#include "util/addr.h"

struct dh_allow;

/* Returns 0 and *out (free with dh_allow_free()), or -ENOMEM. */
int dh_allow_new(struct dh_allow **out);

/* NULL ok. */
void dh_allow_free(struct dh_allow *set);

/* Adds one entry (see above). Surrounding white space is ignored. Returns
 * 0, DH_EMALFORMED for text that is no address, network or name (a prefix
 * length past the family's, a label over 63 octets, characters that no
 * name has), or -ENOMEM. */
int dh_allow_add(struct dh_allow *set, const char *entry);

/* Adds only addresses and networks: a name suffix is DH_EMALFORMED. For
 * lists that must hold networks (local networks, resolvers). */
int dh_allow_add_net(struct dh_allow *set, const char *entry);

/*
 * Adds every line of the file at path: one entry per line, '#' starts a
 * comment, blank lines are skipped. On a bad line stops and returns
 * DH_EMALFORMED with *line set to its number (1-based); -errno when the
 * file cannot be read (*line 0).
 */
int dh_allow_add_file(struct dh_allow *set, const char *path, unsigned *line);

/* 1 when addr is one of the set's addresses or inside one of its
 * networks, else 0. NULL set: 0. */
int dh_allow_addr(const struct dh_allow *set, const struct dh_addr *addr);

/* 1 when the name (n octets, presentation form) is at or below one of the
 * set's suffixes, else 0. NULL set: 0. */
int dh_allow_name(const struct dh_allow *set, const char *name, size_t n);

/* Number of entries (addresses, networks and suffixes). */
size_t dh_allow_count(const struct dh_allow *set);

#endif
