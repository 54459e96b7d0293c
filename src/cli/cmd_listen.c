/*
 * cmd_listen.c - "dnshound listen": live dnstap from DNS servers.
 *
 * Listens on a Unix socket for Frame Streams writers (dnstap_sock.h) and
 * prints each event as decode does, or stores it. A listener session is
 * one "file" for the store: its identity is a hash of the socket path and
 * the start time, so every session is a new input and never mistaken for
 * an earlier one. The store's checkpoint makes events durable; it runs
 * every --checkpoint-seconds and at exit, so a crash loses at most that
 * many seconds of events (the servers do not resend them).
 *
 * With --store, two threads: one serves the socket and only copies each
 * frame into a bounded buffer (dh_ring), the main thread decodes and
 * stores. A server's own dnstap queue is small (BIND's at most 16,384
 * messages, a tenth of a second at full rate) and a store pauses now and
 * then to compress a segment or to checkpoint; with the socket read on
 * its own thread those pauses fill our buffer, not the server's queue.
 * When the buffer itself is full the reader waits (counted in the
 * summary), so memory stays at --buffer-mb. Printing has no such pauses,
 * and there the hand-over cost more than it gave (each frame's bytes
 * move between cores; doc/dnstap.md has the runs): one thread does it
 * all.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "event/ev_format.h"
#include "event/ev_match.h"
#include "source/dnstap_sock.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/ring.h"

#define OUT_FLUSH (1 << 20)

/* poll() wakes at least this often to check the stop flag, checkpoint
 * and refresh the status line. */
#define TICK_MS 200

/* Records decoded between looks at the clock (checkpoint, status). */
#define CLOCK_EVERY 4096

static const char usage[] =
    "usage: dnshound listen --socket PATH [options]\n"
    "\n"
    "Receives dnstap from DNS servers (Frame Streams on a Unix socket) and\n"
    "prints the events, or stores them with --store. SIGINT or SIGTERM stops\n"
    "it: frames already sent are decoded, the store checkpointed and the\n"
    "socket removed.\n"
    "\n"
    "  --socket PATH      Unix socket to create (a stale socket is replaced)\n"
    "  --store DIR        store the events in DIR instead of printing them\n"
    "  --json             JSON lines (fields: see dnshound(1))\n"
    "  --observer NAME    observer for events whose dnstap has no identity\n"
    "  --checkpoint-seconds N  make stored events durable every N s (default 10)\n"
    "  --buffer-mb N      with --store: frames held between the socket and the\n"
    "                     store (default 64; the reader waits when it is full)\n"
    "  -q, --quiet        no status line and no connection messages\n"
    "  -h, --help         this text\n";

struct listen_ctx {
	const struct cli_event_hook *hook; /* NULL: none */
	struct ev_match *matcher;
	struct store *store; /* NULL: print */
	int json, quiet, tty, err;
	struct ev_formatter fmt;
	struct dh_buf out;
	uint64_t stored;
	uint64_t bad_shown; /* bad frames reported on stderr so far */

	/* The socket thread's side. */
	struct dtsock *sock;
	struct dh_ring *ring;
	atomic_int io_stop;    /* set by the main thread: drain and end */
	uint64_t io_waits;     /* frames that waited for room in the ring */
	int io_err;            /* the socket thread's result; read after join */
	pthread_mutex_t io_mu; /* guards io_st */
	struct dtsock_stats io_st;
};

static int on_event(void *ctx, struct ev_event *ev)
{
	struct listen_ctx *l = ctx;

	ev_match_event(l->matcher, ev);
	if (l->hook) {
		int e = l->hook->fn(l->hook->ctx, ev);
		if (e != 0) {
			l->err = e;
			return e;
		}
		if (!l->store)
			return 0;
	}
	if (l->store) {
		int e = store_ingest_add(l->store, ev);
		if (e != 0) {
			l->err = e;
			return e;
		}
		l->stored++;
		return 0;
	}
	if (l->json)
		ev_format_json(&l->fmt, ev, &l->out);
	else
		ev_format_text(&l->fmt, ev, &l->out);
	if (l->out.len >= OUT_FLUSH && cli_flush_out(&l->out) != 0) {
		l->err = -EIO;
		return -EIO;
	}
	return 0;
}

static void on_close(void *ctx, unsigned conn, int err, const char *why)
{
	struct listen_ctx *l = ctx;

	if (err)
		fprintf(stderr, "%sdnshound: connection %u closed: %s (%s)\n", l->tty ? "\r" : "",
		        conn, why, dh_strerror(err));
	else if (!l->quiet)
		fprintf(stderr, "%sdnshound: connection %u ended: %s\n", l->tty ? "\r" : "", conn,
		        why);
}

static void on_bad(void *ctx, unsigned conn, uint64_t frame, int err)
{
	struct listen_ctx *l = ctx;
	/* Counted always; shown only for the first frames, so one broken
	 * writer cannot flood the terminal. */
	if (l->bad_shown++ < 10)
		fprintf(stderr, "dnshound: connection %u frame %llu: %s\n", conn,
		        (unsigned long long)frame, dh_strerror(err));
}

/* Socket thread: every frame goes into the ring as it is. */
static int on_frame(void *ctx, unsigned conn, uint64_t frame, const uint8_t *p, size_t len)
{
	struct listen_ctx *l = ctx;
	int waited;
	int e = dh_ring_put(l->ring, (struct dh_ring_tag){conn, frame}, p, len, &waited);
	l->io_waits += (uint64_t)waited;
	return e;
}

static void publish_stats(struct listen_ctx *l)
{
	pthread_mutex_lock(&l->io_mu);
	dtsock_stats(l->sock, &l->io_st);
	pthread_mutex_unlock(&l->io_mu);
}

static void *socket_thread(void *arg)
{
	struct listen_ctx *l = arg;
	int e = 0;

	while (!atomic_load(&l->io_stop)) {
		e = dtsock_run(l->sock, TICK_MS);
		publish_stats(l);
		if (e != 0)
			break;
	}
	/* Stopped: what the writers already sent still counts. */
	if (e == 0)
		e = dtsock_drain(l->sock);
	publish_stats(l);
	l->io_err = e;
	dh_ring_close(l->ring);
	return NULL;
}

/* The socket thread's counters with the decoder's. */
static void merged_stats(struct listen_ctx *l, const struct dtsock_stats *dec,
                         struct dtsock_stats *st)
{
	pthread_mutex_lock(&l->io_mu);
	*st = l->io_st;
	pthread_mutex_unlock(&l->io_mu);
	st->events = dec->events;
	st->bad = dec->bad;
	st->nodns = dec->nodns;
}

static void status_line(const struct dtsock_stats *st)
{
	fprintf(stderr,
	        "\rconnections %llu (open %llu)  frames %llu  events %llu  bad %llu  "
	        "violations %llu ",
	        (unsigned long long)st->connections, (unsigned long long)st->open,
	        (unsigned long long)st->frames, (unsigned long long)st->events,
	        (unsigned long long)st->bad, (unsigned long long)st->violations);
	fflush(stderr);
}

/* The hook's idle callback, at most once a second (and at the end, with
 * force set). Returns 0 or its error. */
static int hook_idle(struct listen_ctx *l, double now, double *last, int force)
{
	if (!l->hook || !l->hook->idle || (!force && now - *last < 1.0))
		return 0;
	*last = now;
	int e = l->hook->idle(l->hook->ctx);
	return e < 0 ? e : e ? -EIO : 0;
}

/* Printing: one thread reads, decodes and prints, as printing never
 * pauses for long. Returns 0 or the first error. */
static int serve_direct(struct listen_ctx *l)
{
	struct dtsock_stats st;
	double last_status = 0, last_idle = cli_now();
	int e = 0;

	while (!cli_stop) {
		e = dtsock_run(l->sock, TICK_MS);
		if (e == 0)
			e = cli_flush_out(&l->out);
		if (e == 0)
			e = hook_idle(l, cli_now(), &last_idle, 0);
		if (e != 0)
			return e;
		double now = cli_now();
		if (l->tty && now - last_status >= 1.0) {
			dtsock_stats(l->sock, &st);
			status_line(&st);
			last_status = now;
		}
	}
	/* Stopped by a signal: what the writers already sent still counts. */
	e = dtsock_drain(l->sock);
	return e != 0 ? e : hook_idle(l, cli_now(), &last_idle, 1);
}

/* Storing: the socket thread reads into the ring, this thread decodes,
 * stores and checkpoints. Returns 0 or the first error of either. */
static int serve_threaded(struct listen_ctx *l, const struct dtsock_options *dopt,
                          struct ev_event *ev, unsigned ckpt_s, struct dtsock_stats *dec_st)
{
	struct dtsock_stats st;
	sigset_t block, old_mask;
	pthread_t io;
	int e;

	/* Signals go to this thread only: it owns the stop flag. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old_mask);
	e = pthread_create(&io, NULL, socket_thread, l);
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	if (e != 0)
		return -e;

	double last_ckpt = cli_now(), last_status = 0, last_idle = last_ckpt;
	unsigned since_clock = 0;
	for (;;) {
		struct dh_ring_tag tag;
		const uint8_t *p;
		size_t len;
		int r = dh_ring_peek(l->ring, TICK_MS, &tag, &p, &len);
		if (r < 0)
			break; /* the socket thread ended and everything is decoded */
		if (r == 1) {
			e = dtsock_decode(dopt, ev, (unsigned)tag.a, tag.b, p, len, dec_st);
			dh_ring_pop(l->ring);
			if (e != 0)
				break;
			if (++since_clock < CLOCK_EVERY)
				continue;
		}
		since_clock = 0;
		if (cli_stop)
			atomic_store(&l->io_stop, 1);
		double now = cli_now();
		if (now - last_ckpt >= ckpt_s) {
			e = store_ingest_checkpoint(l->store);
			if (e != 0)
				break;
			last_ckpt = now;
		}
		if ((e = hook_idle(l, now, &last_idle, 0)) != 0)
			break;
		if (l->tty && now - last_status >= 1.0) {
			merged_stats(l, dec_st, &st);
			status_line(&st);
			last_status = now;
		}
	}
	/* On an error here the socket thread must stop too: closing the
	 * ring makes its next frame fail. */
	atomic_store(&l->io_stop, 1);
	dh_ring_close(l->ring);
	pthread_join(io, NULL);
	if (e == 0 && l->io_err == 0)
		e = hook_idle(l, cli_now(), &last_idle, 1);
	return e != 0 ? e : l->io_err;
}

int cmd_listen(int argc, char **argv)
{
	return cli_listen_run(argc, argv, NULL);
}

int cli_listen_run(int argc, char **argv, const struct cli_event_hook *hook)
{
	static const struct option opts[] = {
	    {"socket", required_argument, NULL, 'u'},
	    {"store", required_argument, NULL, 'S'},
	    {"json", no_argument, NULL, 'j'},
	    {"observer", required_argument, NULL, 'o'},
	    {"checkpoint-seconds", required_argument, NULL, 'C'},
	    {"buffer-mb", required_argument, NULL, 'B'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = NULL, *dir = NULL, *observer = NULL;
	unsigned ckpt_s = 10, buffer_mb = 64;
	uint64_t v;
	int c, rc = CLI_EXIT_OK, e;
	struct listen_ctx l;
	struct dtsock_stats st, dec_st;
	struct ev_event *ev = NULL;
	int ingesting = 0;

	memset(&l, 0, sizeof(l));
	l.hook = hook;
	memset(&dec_st, 0, sizeof(dec_st));
	dh_buf_init(&l.out);
	pthread_mutex_init(&l.io_mu, NULL);
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			path = optarg;
			break;
		case 'S':
			dir = optarg;
			break;
		case 'j':
			l.json = 1;
			break;
		case 'o':
			observer = optarg;
			break;
		case 'C':
			if (cli_parse_count("--checkpoint-seconds", optarg, 86400, &v) != 0)
				return CLI_EXIT_USAGE;
			ckpt_s = (unsigned)v;
			break;
		case 'B':
			if (cli_parse_count("--buffer-mb", optarg, 65536, &v) != 0)
				return CLI_EXIT_USAGE;
			buffer_mb = (unsigned)v;
			break;
		case 'q':
			l.quiet = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return CLI_EXIT_OK;
		default:
			fputs(usage, stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (!path || optind < argc) {
		if (path)
			cli_err("listen: unexpected argument '%s'", argv[optind]);
		else
			cli_err("listen: --socket is required");
		fputs(usage, stderr);
		return CLI_EXIT_USAGE;
	}
	if (ev_match_new(&l.matcher, 0, 0) != 0) {
		cli_err("out of memory");
		return CLI_EXIT_RUNTIME;
	}
	ev_formatter_init(&l.fmt, EV_FMT_OBSERVER);
	if (dir) {
		/* The session's identity: the socket path and the start time,
		 * to the nanosecond, hashed. */
		struct timespec ts;
		struct dh_hash128 h;
		uint8_t hash[16];
		char name[600];
		uint64_t skip = 0;

		clock_gettime(CLOCK_REALTIME, &ts);
		dh_hash128_init(&h);
		dh_hash128_update(&h, path, strlen(path));
		dh_hash128_update(&h, &ts, sizeof(ts));
		dh_hash128_final(&h, hash);
		snprintf(name, sizeof(name), "dnstap:%s@%lld.%09ld", path, (long long)ts.tv_sec,
		         ts.tv_nsec);
		e = store_open(&l.store, dir, STORE_CREATE);
		if (e != 0) {
			cli_err("%s: cannot open the store: %s", dir, dh_strerror(e));
			rc = CLI_EXIT_RUNTIME;
			goto out;
		}
		e = store_ingest_begin(l.store, name, hash, sizeof(hash), &skip);
		if (e != 0) {
			cli_err("%s: store: %s", dir, dh_strerror(e));
			rc = CLI_EXIT_RUNTIME;
			goto out;
		}
		ingesting = 1;
	}
	/* With a store, the socket thread hands frames over and this thread
	 * decodes them with the same options. */
	struct dtsock_options dopt = {
	    .observer = observer,
	    .on_event = on_event,
	    .on_close = on_close,
	    .on_bad = on_bad,
	    .on_frame = l.store ? on_frame : NULL,
	    .ctx = &l,
	};
	if (l.store) {
		ev = malloc(sizeof(*ev));
		e = ev ? dh_ring_new(&l.ring, (size_t)buffer_mb << 20) : -ENOMEM;
		if (e != 0) {
			cli_err("listen: cannot allocate a %u MiB buffer: %s", buffer_mb,
			        dh_strerror(e));
			rc = CLI_EXIT_RUNTIME;
			goto out;
		}
	}
	e = dtsock_new(&l.sock, path, &dopt);
	if (e != 0) {
		cli_err("%s: cannot listen: %s", path,
		        e == DH_EEXIST ? "another listener is using it, or a file that is not a "
		                         "socket is in the way"
		                       : dh_strerror(e));
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}
	cli_catch_signals();
	l.tty = !l.quiet && isatty(STDERR_FILENO);
	if (l.store)
		e = serve_threaded(&l, &dopt, ev, ckpt_s, &dec_st);
	else
		e = serve_direct(&l);
	if (e == 0 && !l.store)
		e = cli_flush_out(&l.out);
	if (e == 0 && l.out.err)
		e = l.out.err;
	if (e == 0 && l.store) {
		e = store_ingest_end(l.store);
		ingesting = 0;
	}
	if (e != 0) {
		cli_err("listen: %s", dh_strerror(e));
		rc = CLI_EXIT_RUNTIME;
	}
	if (l.store)
		merged_stats(&l, &dec_st, &st);
	else
		dtsock_stats(l.sock, &st);
	if (l.tty)
		fputs("\r\033[K", stderr);
	if (!l.quiet) {
		char buffer[120] = "";
		if (l.ring) {
			size_t used, peak;
			dh_ring_usage(l.ring, &used, &peak);
			snprintf(buffer, sizeof(buffer),
			         "; buffer peak %.1f of %u MiB, %llu frames waited for room",
			         (double)peak / (1 << 20), buffer_mb,
			         (unsigned long long)l.io_waits);
		}
		fprintf(stderr,
		        "listen: %llu connections (%llu refused, %llu closed for violations), "
		        "%llu frames, %llu events, %llu bad, %llu without DNS%s%s\n",
		        (unsigned long long)st.connections, (unsigned long long)st.refused,
		        (unsigned long long)st.violations, (unsigned long long)st.frames,
		        (unsigned long long)st.events, (unsigned long long)st.bad,
		        (unsigned long long)st.nodns, l.store ? ", stored" : "", buffer);
	}
out:
	if (ingesting) {
		/* A failure after some checkpoints keeps what they made
		 * durable. */
		store_ingest_abort(l.store);
	}
	dtsock_free(l.sock);
	dh_ring_free(l.ring);
	free(ev);
	pthread_mutex_destroy(&l.io_mu);
	store_close(l.store);
	ev_match_free(l.matcher);
	dh_buf_release(&l.out);
	return rc;
}
