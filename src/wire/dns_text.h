/*
 * dns_text.h - presentation form of DNS names, types, classes, rcodes,
 * opcodes and RDATA.
 */
#ifndef DH_WIRE_DNS_TEXT_H
#define DH_WIRE_DNS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "wire/dns.h"

/*
 * Renders the (possibly compressed) name at offset off of wire[0..len) in
 * presentation form into buf, lower-cased when lower is 1, with a trailing
 * dot, escaping '.', '\\' and octets outside printable ASCII as in RFC 1035
 * 5.1. Compression pointers must point strictly backwards, and the jumps
 * and the name length are bounded. Returns the text length (without the
 * NUL), or a negative DH_E* code; buf is always NUL-terminated when
 * buflen > 0.
 */
int dns_name_text(const uint8_t *wire, size_t len, size_t off, char *buf, size_t buflen, int lower);

/* Mnemonics: "A", "NXDOMAIN", "IN", "QUERY". Unknown values come back as
 * "TYPE65280", "RCODE23", "CLASS3", "OPCODE9" (RFC 3597 style) written
 * into buf, which must hold at least 16 bytes; known ones return a static
 * string. */
const char *dns_type_name(uint16_t type, char *buf, size_t buflen);
const char *dns_class_name(uint16_t rclass, char *buf, size_t buflen);
const char *dns_rcode_name(unsigned rcode, char *buf, size_t buflen);
const char *dns_opcode_name(unsigned opcode, char *buf, size_t buflen);

/* Parses a mnemonic or "TYPEnnn" back into a number. Returns 0 on
 * success or DH_ENOTFOUND. Case-insensitive. */
int dns_type_parse(const char *text, uint16_t *type);

/* Renders an RR's RDATA in presentation form (A, AAAA, NS, CNAME, PTR, MX,
 * TXT, SOA, SRV, SVCB/HTTPS and others; unknown types as RFC 3597 "\# len
 * hex"). For text sources returns rr->data_text. Returns the length or a
 * negative DH_E* code (DH_ESPACE when buf is too small: the text is then
 * truncated but NUL-terminated). */
int dns_rr_data_text(const struct dns_msg *m, const struct dns_rr *rr, char *buf, size_t buflen);

/* Renders an RR's owner name (lower-cased). Same return as above. */
int dns_rr_owner_text(const struct dns_msg *m, const struct dns_rr *rr, char *buf, size_t buflen);

#endif
