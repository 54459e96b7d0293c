/*
 * addr.h - an IPv4 or IPv6 address as seen in a packet or a log.
 */
#ifndef DH_UTIL_ADDR_H
#define DH_UTIL_ADDR_H

#include <stddef.h>
#include <stdint.h>

enum { DH_AF_NONE = 0, DH_AF_INET = 4, DH_AF_INET6 = 6 };

/* Longest text dh_addr_format() writes, with its NUL (INET6_ADDRSTRLEN). */
#define DH_ADDR_TEXT_MAX 46

struct dh_addr {
	uint8_t family; /* DH_AF_NONE, DH_AF_INET or DH_AF_INET6 */
	uint8_t a[16];  /* network order; IPv4 uses the first 4 bytes, the rest 0 */
};

void dh_addr_set4(struct dh_addr *addr, const uint8_t *bytes4);
void dh_addr_set6(struct dh_addr *addr, const uint8_t *bytes16);

/* Parses dotted IPv4 or any IPv6 text form. Returns 0 or DH_EMALFORMED. */
int dh_addr_parse(struct dh_addr *addr, const char *text);

/* Writes the address as text into buf (at least DH_ADDR_TEXT_MAX bytes).
 * An address of family DH_AF_NONE prints as the empty string. Returns the
 * length written, without the NUL. */
size_t dh_addr_format(const struct dh_addr *addr, char *buf, size_t len);

/* Write 4 or 16 address bytes as text into buf (at least
 * DH_ADDR_TEXT_MAX bytes): dotted quad, and RFC 5952 form for IPv6.
 * Return the length written, without the NUL. */
size_t dh_addr_format4(const uint8_t *a, char *buf);
size_t dh_addr_format6(const uint8_t *a, char *buf);

/* Returns 1 when both have the same family and bytes. */
int dh_addr_equal(const struct dh_addr *x, const struct dh_addr *y);

#endif
