/*
 * fuzz_pcap_file.c - libFuzzer target for the whole capture file reader.
 *
 * The input is written to an anonymous memory file and read with
 * cap_reader_open_mode() and cap_reader_next() to the end, once through
 * the reader's buffer and once through a mapping, so both ways in, the
 * pcap and pcapng parsers and (for inputs starting with the gzip magic)
 * the zlib path all see it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture/cap.h"
#include "capture/cap_reader.h"

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
	for (int mode = CAP_READ_BUFFERED; mode <= CAP_READ_MMAP; mode++) {
		if (cap_reader_open_mode(&r, path, NULL, mode) != 0)
			goto out;
		while (cap_reader_next(r, &m) == 1)
			for (size_t i = 0; i < m.len; i++)
				sink += m.data[i];
		(void)cap_reader_stats(r);
		(void)cap_reader_linktype(r);
		cap_reader_free(r);
		r = NULL;
	}
out:
	cap_reader_free(r);
	close(fd);
	(void)sink;
	return 0;
}
