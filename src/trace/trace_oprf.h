/*
 * trace_oprf.h - the private spoofed-or-not confirmation (seed 000
 * section 4.5, improved): an oblivious pseudo-random function over the
 * prime-order group ristretto255 (libsodium), in the 2HashDH form.
 *
 * The seed sends H(address, FQDN) to the source DNS server; anyone who
 * sees that hash can try all 2^32 IPv4 addresses offline in minutes. Here
 * the victim side sends only B = r * H1(x), x = (address, FQDN), for a
 * fresh random scalar r: a uniformly random group element that says
 * nothing about x. The source agent, holding a secret key k, returns
 * Z = k * B and, for every client that asked it for the FQDN in the
 * window, the tag H2(c, k * H1(c)). The victim side computes
 * r^-1 * Z = k * H1(x), hence H2(x, k * H1(x)), and looks it up among the
 * tags. Without k nobody can compute a tag, so neither a relaying agent
 * nor an eavesdropper can test guesses offline; the source agent sees only
 * B and learns nothing about x (doc/privacy.md).
 */
#ifndef DH_TRACE_TRACE_OPRF_H
#define DH_TRACE_TRACE_OPRF_H

#include <stddef.h>
#include <stdint.h>

#include "trace/trace_msg.h"
#include "util/addr.h"

#define TRACE_OPRF_KEY 32 /* a ristretto255 scalar */

/* Makes a fresh secret key. Returns 0 or TRACE_EINTERNAL when libsodium
 * cannot start. */
int trace_oprf_keygen(uint8_t key[TRACE_OPRF_KEY]);

/* Victim side: blinds x = (addr, fqdn). r (secret, kept for
 * trace_oprf_finalize) and blinded (what travels) are written. fqdn is
 * normalised as trace_name_norm() does. Returns 0 or a negative code. */
int trace_oprf_blind(const struct dh_addr *addr, const char *fqdn, uint8_t r[TRACE_OPRF_KEY],
                     uint8_t blinded[TRACE_OPRF_BYTES]);

/* Source agent: Z = k * blinded. Returns 0, or TRACE_EBADREQ for an
 * element that is not a valid, non-identity ristretto255 encoding. */
int trace_oprf_evaluate(const uint8_t key[TRACE_OPRF_KEY], const uint8_t blinded[TRACE_OPRF_BYTES],
                        uint8_t evaluated[TRACE_OPRF_BYTES]);

/* Source agent: the tag of one of its clients. Returns 0 or a code. */
int trace_oprf_tag(const uint8_t key[TRACE_OPRF_KEY], const struct dh_addr *addr, const char *fqdn,
                   uint8_t tag[TRACE_OPRF_BYTES]);

/* Victim side: the tag of x from the source agent's Z. Returns 0 or
 * TRACE_EBADREQ for an invalid Z. */
int trace_oprf_finalize(const uint8_t r[TRACE_OPRF_KEY], const struct dh_addr *addr,
                        const char *fqdn, const uint8_t evaluated[TRACE_OPRF_BYTES],
                        uint8_t tag[TRACE_OPRF_BYTES]);

/*
 * Victim side: the verdict over every confirmation of an answer. Sets
 * a->spoofed to 0 (not spoofed: some source agent's clients include
 * addr), 1 (spoofed: confirmations came back and none matched) or leaves
 * -1 (no source agent answered). Returns the number of matching agents,
 * or a negative code.
 */
int trace_oprf_verdict(struct trace_answer *a, const uint8_t r[TRACE_OPRF_KEY],
                       const struct dh_addr *addr, const char *fqdn);

#endif
