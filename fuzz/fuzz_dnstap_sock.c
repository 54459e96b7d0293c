/*
 * fuzz_dnstap_sock.c - one input as the byte stream a dnstap writer sends
 * to "dnshound listen": the live Frame Streams path (dnstap_sock.c) with
 * its handshake, control frames, partial reads and connection state.
 *
 * The first byte chooses how the rest is cut into writes (1 to 256 bytes,
 * or all at once), so frames and control frames arrive split at every
 * place. The writer then half-closes; the listener must end the
 * connection on its own, whatever it was sent, within a bounded number of
 * rounds (a hang aborts, so the fuzzer reports it).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "source/dnstap_sock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROUNDS_MAX 100000

static struct dtsock *listener;
static struct sockaddr_un addr;

static int count_event(void *ctx, struct ev_event *ev)
{
	(void)ev;
	(*(uint64_t *)ctx)++;
	return 0;
}

static uint64_t events;

static void cleanup(void)
{
	dtsock_free(listener);
}

static int setup(void)
{
	static const struct dtsock_options opt = {
	    .observer = "fuzz",
	    .on_event = count_event,
	    .ctx = &events,
	};
	const char *tmp = getenv("TMPDIR");
	int n;

	addr.sun_family = AF_UNIX;
	n = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/dh-fuzz-dtsock-%ld.sock",
	             tmp && tmp[0] ? tmp : P_tmpdir, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(addr.sun_path))
		return -1;
	if (dtsock_new(&listener, addr.sun_path, &opt) != 0)
		return -1;
	atexit(cleanup);
	return 0;
}

/* Reads and drops what the listener sent (ACCEPT, FINISH), so its
 * control frames never fill the socket. */
static void drain_replies(int fd)
{
	uint8_t sink[512];
	while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dtsock_stats st;

	if (!listener && setup() != 0)
		abort();
	if (size == 0)
		return 0;
	size_t chunk = data[0] ? data[0] : size;
	data++;
	size--;

	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		abort();
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		abort();
	dtsock_stats(listener, &st);
	uint64_t before = st.connections;

	size_t off = 0;
	int rounds = 0;
	int writing = 1;
	for (;;) {
		if (++rounds > ROUNDS_MAX)
			abort(); /* the listener never ended the connection */
		if (writing && off < size) {
			size_t want = size - off < chunk ? size - off : chunk;
			ssize_t w = send(fd, data + off, want, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w > 0)
				off += (size_t)w;
			else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
				writing = 0; /* the listener closed us: what it read decided */
		}
		if (writing && off == size) {
			shutdown(fd, SHUT_WR);
			writing = 0;
		}
		if (dtsock_run(listener, 0) < 0)
			abort();
		drain_replies(fd);
		dtsock_stats(listener, &st);
		if (st.connections > before && st.open == 0)
			break;
	}
	close(fd);
	return 0;
}
