/*
 * cap_reader.h - choosing how the capture reader gets at a file's bytes.
 *
 * Internal to the capture layer, for the benchmark and the tests that
 * compare the two ways; everyone else calls cap_reader_open(), which is
 * cap_reader_open_mode() with CAP_READ_AUTO.
 *
 * CAP_READ_MMAP maps the file and walks the records in place.
 * CAP_READ_BUFFERED read()s it into a reused 256 KiB buffer and walks the
 * records there. Both hand out UDP payloads without a per-packet copy; the
 * buffered way lets the kernel copy in bulk instead. Which is faster
 * depends on the machine (see cap.c); CAP_READ_AUTO is the one measured
 * faster on the project's machine. Gzip files and files that cannot be
 * mapped (pipes) are always read through a buffer.
 */
#ifndef DH_CAPTURE_CAP_READER_H
#define DH_CAPTURE_CAP_READER_H

#include "capture/cap.h"

enum {
	CAP_READ_AUTO = 0,
	CAP_READ_BUFFERED = 1,
	CAP_READ_MMAP = 2,
};

/* As cap_reader_open(), with mode one of CAP_READ_*; DH_EUSAGE for any
 * other value. */
int cap_reader_open_mode(struct cap_reader **out, const char *path, const struct cap_options *opt,
                         int mode);

#endif
