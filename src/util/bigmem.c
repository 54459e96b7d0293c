/*
 * bigmem.c - zeroed memory for large tables probed at random, on 2 MB
 * pages where the kernel gives them (bigmem.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "util/bigmem.h"

#define HUGE_BYTES ((size_t)2 << 20)

void *dh_big_alloc(size_t size)
{
	size_t len;
	uint8_t *m, *p;

	if (size < 2 * HUGE_BYTES)
		return calloc(1, size ? size : 1);
	/* An anonymous mapping is zeroed and faulted in lazily; map one huge
	 * page more than asked and trim, so the table starts on a 2 MB
	 * boundary. */
	len = (size + HUGE_BYTES - 1) / HUGE_BYTES * HUGE_BYTES;
	m = mmap(NULL, len + HUGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
	         0);
	if (m == MAP_FAILED)
		return NULL;
	p = (uint8_t *)(((uintptr_t)m + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1));
	if (p > m)
		munmap(m, (size_t)(p - m));
	if (p + len < m + len + HUGE_BYTES)
		munmap(p + len, (size_t)(m + len + HUGE_BYTES - (p + len)));
#ifdef MADV_HUGEPAGE
	(void)madvise(p, len, MADV_HUGEPAGE);
#endif
	return p;
}

void dh_big_free(void *p, size_t size)
{
	if (!p)
		return;
	if (size < 2 * HUGE_BYTES) {
		free(p);
		return;
	}
	munmap(p, (size + HUGE_BYTES - 1) / HUGE_BYTES * HUGE_BYTES);
}
