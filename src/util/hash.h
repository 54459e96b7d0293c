/*
 * hash.h - fast non-cryptographic hashing for tables and file identity.
 *
 * Not for anything an adversary must not collide on purpose: the peer
 * protocol's hashes (traceback, seed 000 section 4.5) use a keyed
 * cryptographic hash, not this.
 */
#ifndef DH_UTIL_HASH_H
#define DH_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

/* 64-bit hash of data[0..len) with a seed. */
uint64_t dh_hash64(const void *data, size_t len, uint64_t seed);

/* Streaming 128-bit hash of a file's content, for the ingest registry. */
struct dh_hash128 {
	uint64_t h[2];
	uint64_t total;
	uint8_t tail[8];
	unsigned ntail;
};

void dh_hash128_init(struct dh_hash128 *st);
void dh_hash128_update(struct dh_hash128 *st, const void *data, size_t len);
/* Writes 16 bytes into out. */
void dh_hash128_final(struct dh_hash128 *st, uint8_t out[16]);

#endif
