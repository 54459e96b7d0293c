/*
 * fuzz_dnstap.c - one input as a dnstap payload and as a whole Frame
 * Streams file.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "source/dnstap.h"
#include "source/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ev_event ev;
	char path[64];

	ev_clear(&ev);
	(void)dnstap_decode(data, size, &ev);
	(void)fstrm_control_parse(data, size);

	int fd = memfd_create("fuzz-dnstap", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct src_reader *r;
	if (src_open(&r, path, "dnstap", NULL) == 0) {
		while (src_next(r, &ev) == 1)
			;
		src_close(r);
	}
	close(fd);
	return 0;
}
