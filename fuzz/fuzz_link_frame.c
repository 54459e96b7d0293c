/*
 * fuzz_link_frame.c - libFuzzer target for the per-frame decoder.
 *
 * Input: one byte choosing the link type, then frames, each as a 2-byte
 * big-endian length, one byte of time step (quarter seconds, so that the
 * 30 s fragment and 60 s TCP timeouts are reached) and the frame bytes.
 * The frames go through one decoder, so fragment and TCP state carry over
 * from frame to frame as in a capture. Each frame is copied into a buffer
 * of its exact size, so that a read past it is seen by AddressSanitizer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture/cap_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = {
    CAP_LINK_EN10MB,
    CAP_LINK_RAW,
    CAP_LINK_LINUX_SLL,
    CAP_LINK_LINUX_SLL2,
    CAP_LINK_NULL,
    CAP_LINK_LOOP,
    CAP_LINK_IPV4,
    CAP_LINK_IPV6,
    CAP_LINK_RAW_BSD,
    CAP_LINK_RAW_OPENBSD,
    105, /* unknown: counted */
    CAP_LINK_PKTAP,
    CAP_LINK_USER2,
};

static size_t drain(struct cap_frame *f)
{
	struct cap_dns m;
	size_t sum = 0;

	/* Read every byte handed out, first and last included. */
	while (cap_frame_next(f, &m) == 1)
		for (size_t i = 0; i < m.len; i++)
			sum += m.data[i];
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cap_options opt = {.ports = {53, 5353}, .nports = 2};
	struct cap_frame *f = NULL;
	int64_t ts = 1600000000LL * 1000000000LL;
	uint64_t no = 0;
	volatile size_t sink = 0;
	int linktype;

	if (size < 1 || cap_frame_new(&f, &opt) != 0)
		return 0;
	linktype = linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))];
	data++;
	size--;
	while (size >= 3) {
		size_t len = (size_t)data[0] << 8 | data[1];
		uint8_t step = data[2];
		uint8_t *copy;
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		copy = malloc(len ? len : 1);
		if (!copy)
			break;
		if (len)
			memcpy(copy, data, len);
		ts += (int64_t)step * 250000000LL;
		/* The low bit of the step claims a longer original frame. */
		cap_frame_decode(f, linktype, copy, len, len + (step & 1), ts, ++no);
		sink += drain(f);
		free(copy);
		data += len;
		size -= len;
	}
	cap_frame_finish(f);
	sink += drain(f);
	cap_frame_free(f);
	(void)sink;
	return 0;
}
