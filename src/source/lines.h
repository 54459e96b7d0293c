/*
 * lines.h - a text file, plain or gzip-compressed, read line by line.
 *
 * Server logs are line-oriented, but a log on disk is not always clean: a
 * crash leaves a last line without its newline, a copied Windows file has
 * CRLF ends, a disk error leaves NUL bytes, and a hostile or broken writer
 * can produce a "line" of megabytes. The reader hands out each line as a
 * (pointer, length) pair so NUL bytes are just bytes, strips one trailing
 * CR, and bounds the line length: a longer line is skipped whole and
 * reported as DH_ESPACE with its number, and reading goes on after it.
 */
#ifndef DH_SOURCE_LINES_H
#define DH_SOURCE_LINES_H

#include <stddef.h>
#include <stdint.h>

/* The longest line handed out, without its newline. The longest honest
 * line in these logs is a Zeek or EVE record with many answers: 64 RRs of
 * up to a few hundred bytes of text each stay well below this. */
#define LINES_MAX (64 * 1024)

struct lines;

/*
 * Opens path, plain or gzip (zlib reads a plain file transparently).
 * Returns 0 and *out (free with lines_free()), or a negative errno.
 */
int lines_open(struct lines **out, const char *path);

/*
 * Reads lines from buf[0..len), which is borrowed and must outlive the
 * reader (used by the fuzz target and the tests). Returns 0 or -ENOMEM.
 */
int lines_open_mem(struct lines **out, const uint8_t *buf, size_t len);

/*
 * Reads lines from read(ctx, buf, len) instead of a file: it returns the
 * bytes it put into buf, 0 when there are none now, or a negative code.
 * Such a reader has no end (a followed log, follow.h): lines_next()
 * returns 0 whenever no complete line is there yet and may be called
 * again later; an unfinished last line waits for its newline. ctx is
 * borrowed and must outlive the reader. Returns 0 or -ENOMEM.
 */
int lines_open_read(struct lines **out, long (*read)(void *ctx, uint8_t *buf, size_t len),
                    void *ctx);

/*
 * Returns 1 and the next line in *line / *len (borrowed, valid until the
 * next call; not NUL-terminated; the newline and one CR before it are
 * removed), 0 at the end of the input, DH_ESPACE for a line longer than
 * LINES_MAX (skipped: its number is lines_number()), or another negative
 * code when the input cannot be read any further (-EIO, DH_ECORRUPT for a
 * broken gzip stream).
 */
int lines_next(struct lines *l, const char **line, size_t *len);

/* The number of the line last returned (1-based, counting skipped ones). */
uint64_t lines_number(const struct lines *l);

/* Input bytes consumed so far (uncompressed) and the file size on disk,
 * 0 when unknown. */
uint64_t lines_bytes(const struct lines *l);
uint64_t lines_size(const struct lines *l);

/* Frees the reader; lines_free(NULL) does nothing. */
void lines_free(struct lines *l);

#endif
