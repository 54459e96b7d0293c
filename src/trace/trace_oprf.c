/*
 * trace_oprf.c - 2HashDH oblivious PRF over ristretto255 (see
 * trace_oprf.h; design and attack costs in doc/privacy.md).
 */
#include "trace/trace_oprf.h"

#include <string.h>

#include <sodium.h>

/* Domain separation: a tag of this protocol version can never be mistaken
 * for a hash of anything else. */
static const char dom_h1[] = "dnshound-oprf-v1-h1";
static const char dom_h2[] = "dnshound-oprf-v1-h2";

/* The input x as bytes: family, 16 address bytes, the normalised name. */
static int input_bytes(const struct dh_addr *addr, const char *fqdn, uint8_t *out, size_t *len)
{
	char name[TRACE_NAME_MAX];
	if (addr->family == DH_AF_NONE || trace_name_norm(fqdn, name) != 0)
		return TRACE_EBADREQ;
	size_t n = strlen(name);
	out[0] = addr->family;
	memcpy(out + 1, addr->a, 16);
	memcpy(out + 17, name, n);
	*len = 17 + n;
	return 0;
}

static int h1(const uint8_t *in, size_t len, uint8_t point[crypto_core_ristretto255_BYTES])
{
	uint8_t h[crypto_core_ristretto255_HASHBYTES];
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)dom_h1, sizeof(dom_h1));
	crypto_generichash_update(&st, in, len);
	crypto_generichash_final(&st, h, sizeof(h));
	return crypto_core_ristretto255_from_hash(point, h) == 0 ? 0 : TRACE_EINTERNAL;
}

static void h2(const uint8_t *in, size_t len, const uint8_t n[crypto_core_ristretto255_BYTES],
               uint8_t tag[TRACE_OPRF_BYTES])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, TRACE_OPRF_BYTES);
	crypto_generichash_update(&st, (const uint8_t *)dom_h2, sizeof(dom_h2));
	crypto_generichash_update(&st, in, len);
	crypto_generichash_update(&st, n, crypto_core_ristretto255_BYTES);
	crypto_generichash_final(&st, tag, TRACE_OPRF_BYTES);
}

int trace_oprf_keygen(uint8_t key[TRACE_OPRF_KEY])
{
	if (sodium_init() < 0)
		return TRACE_EINTERNAL;
	crypto_core_ristretto255_scalar_random(key);
	return 0;
}

int trace_oprf_blind(const struct dh_addr *addr, const char *fqdn, uint8_t r[TRACE_OPRF_KEY],
                     uint8_t blinded[TRACE_OPRF_BYTES])
{
	uint8_t in[17 + TRACE_NAME_MAX], p[crypto_core_ristretto255_BYTES];
	size_t len;
	int rc;
	if (sodium_init() < 0)
		return TRACE_EINTERNAL;
	if ((rc = input_bytes(addr, fqdn, in, &len)) != 0 || (rc = h1(in, len, p)) != 0)
		return rc;
	crypto_core_ristretto255_scalar_random(r);
	if (crypto_scalarmult_ristretto255(blinded, r, p) != 0)
		return TRACE_EINTERNAL;
	return 0;
}

int trace_oprf_evaluate(const uint8_t key[TRACE_OPRF_KEY], const uint8_t blinded[TRACE_OPRF_BYTES],
                        uint8_t evaluated[TRACE_OPRF_BYTES])
{
	/* crypto_scalarmult_ristretto255() refuses non-canonical encodings
	 * and a result of the identity, so a hostile B gets no answer. */
	if (!crypto_core_ristretto255_is_valid_point(blinded))
		return TRACE_EBADREQ;
	if (crypto_scalarmult_ristretto255(evaluated, key, blinded) != 0)
		return TRACE_EBADREQ;
	return 0;
}

int trace_oprf_tag(const uint8_t key[TRACE_OPRF_KEY], const struct dh_addr *addr, const char *fqdn,
                   uint8_t tag[TRACE_OPRF_BYTES])
{
	uint8_t in[17 + TRACE_NAME_MAX], p[crypto_core_ristretto255_BYTES];
	uint8_t n[crypto_core_ristretto255_BYTES];
	size_t len;
	int rc;
	if ((rc = input_bytes(addr, fqdn, in, &len)) != 0 || (rc = h1(in, len, p)) != 0)
		return rc;
	if (crypto_scalarmult_ristretto255(n, key, p) != 0)
		return TRACE_EINTERNAL;
	h2(in, len, n, tag);
	return 0;
}

int trace_oprf_finalize(const uint8_t r[TRACE_OPRF_KEY], const struct dh_addr *addr,
                        const char *fqdn, const uint8_t evaluated[TRACE_OPRF_BYTES],
                        uint8_t tag[TRACE_OPRF_BYTES])
{
	uint8_t in[17 + TRACE_NAME_MAX], rinv[crypto_core_ristretto255_SCALARBYTES];
	uint8_t n[crypto_core_ristretto255_BYTES];
	size_t len;
	int rc;
	if ((rc = input_bytes(addr, fqdn, in, &len)) != 0)
		return rc;
	if (!crypto_core_ristretto255_is_valid_point(evaluated))
		return TRACE_EBADREQ;
	if (crypto_core_ristretto255_scalar_invert(rinv, r) != 0)
		return TRACE_EBADREQ;
	if (crypto_scalarmult_ristretto255(n, rinv, evaluated) != 0)
		return TRACE_EBADREQ;
	h2(in, len, n, tag);
	sodium_memzero(rinv, sizeof(rinv));
	return 0;
}

int trace_oprf_verdict(struct trace_answer *a, const uint8_t r[TRACE_OPRF_KEY],
                       const struct dh_addr *addr, const char *fqdn)
{
	int matches = 0, valid = 0;
	for (size_t i = 0; i < a->nconf; i++) {
		uint8_t tag[TRACE_OPRF_BYTES];
		if (trace_oprf_finalize(r, addr, fqdn, a->conf[i].evaluated, tag) != 0)
			continue;
		valid++;
		for (size_t t = 0; t < a->conf[i].ntags; t++)
			if (sodium_memcmp(tag, a->conf[i].tags[t], TRACE_OPRF_BYTES) == 0) {
				matches++;
				break;
			}
	}
	if (valid)
		a->spoofed = matches ? 0 : 1;
	return matches;
}
