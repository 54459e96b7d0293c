/*
 * bigmem.h - zeroed memory for tables probed at random (the detectors'
 * client and beacon tables, the NS history's address tables): past a few
 * MB each probe would also miss the TLB, so such tables are asked to be
 * backed by 2 MB pages (transparent huge pages in "madvise" mode). Pages
 * are still faulted in as they are first touched, so a table bigger than
 * its use costs only what it uses.
 */
#ifndef DH_UTIL_BIGMEM_H
#define DH_UTIL_BIGMEM_H

#include <stddef.h>

/* size bytes of zeroed memory (a small size comes from calloc()), or NULL
 * when out of memory; free with dh_big_free() and the same size. */
void *dh_big_alloc(size_t size);
void dh_big_free(void *p, size_t size);

#endif
