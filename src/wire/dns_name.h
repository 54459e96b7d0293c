/*
 * dns_name.h - the one name decoder of the wire layer, shared by
 * dns_parse() and the text renderers. Internal to src/wire (the dns__
 * prefix marks a cross-file helper that is not part of the public API).
 */
#ifndef DH_WIRE_DNS_NAME_H
#define DH_WIRE_DNS_NAME_H

#include <stddef.h>
#include <stdint.h>

/* At most this many compression pointers are followed in one name. The
 * strictly-backwards rule already makes loops impossible; the cap bounds
 * the work a hostile message can cause per name (tcpdump and Knot use
 * similar limits). */
#define DNS_PTR_MAX 64

/* The longest name on the wire, RFC 1035 2.3.4: 255 octets including the
 * length octets and the final zero octet. */
#define DNS_NAME_WIRE_MAX 255

/*
 * Decodes the name at wire[off] into out (outcap bytes, at least 2) in
 * presentation form, lower-cased when lower is 1. The labels found in place
 * must end before limit (<= wire_len): a name inside RDATA may not run past
 * the RDATA. After a compression pointer the labels may lie anywhere before
 * wire_len, but every pointer must point strictly before the start of the
 * label run it was found in, so each jump goes further back and no loop is
 * possible; at most DNS_PTR_MAX jumps and DNS_NAME_WIRE_MAX octets are
 * accepted. On success *next (when not NULL) is the offset just past the
 * name as it sits at off (after its zero octet or its first pointer).
 * Returns the text length without the NUL, or DH_ETRUNC, DH_ELOOP,
 * DH_ELABEL, DH_ENAMELEN or DH_ESPACE (out is then "" when outcap > 0).
 */
int dns__name_decode(const uint8_t *wire, size_t wire_len, size_t off, size_t limit, char *out,
                     size_t outcap, int lower, size_t *next);

#endif
