/*
 * fuzz_pcap_file.c - libFuzzer target for the whole capture file reader.
 *
 * The input is written to an anonymous memory file and read with
 * cap_reader_open() and cap_reader_next() to the end, so the mmap path,
 * the pcap and pcapng parsers and (for inputs starting with the gzip
 * magic) the zlib path all see it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture/cap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cap_reader *r = NULL;
	struct cap_dns m;
	char path[64];
	volatile size_t sink = 0;
	size_t done = 0;
	int fd = memfd_create("fuzz_pcap_file", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	while (done < size) {
		ssize_t k = write(fd, data + done, size - done);
		if (k <= 0)
			goto out;
		done += (size_t)k;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (cap_reader_open(&r, path, NULL) != 0)
		goto out;
	while (cap_reader_next(r, &m) == 1)
		for (size_t i = 0; i < m.len; i++)
			sink += m.data[i];
	(void)cap_reader_stats(r);
	(void)cap_reader_linktype(r);
out:
	cap_reader_free(r);
	close(fd);
	(void)sink;
	return 0;
}
