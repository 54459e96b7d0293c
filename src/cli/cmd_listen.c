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
 */
#include <errno.h>
#include <getopt.h>
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

#define OUT_FLUSH (1 << 20)

/* poll() wakes at least this often to check the stop flag, checkpoint
 * and refresh the status line. */
#define TICK_MS 200

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
    "  -q, --quiet        no status line and no connection messages\n"
    "  -h, --help         this text\n";

struct listen_ctx {
	struct ev_match *matcher;
	struct store *store; /* NULL: print */
	int json, quiet, tty, err;
	struct ev_formatter fmt;
	struct dh_buf out;
	uint64_t stored;
	uint64_t bad_shown; /* bad frames reported on stderr so far */
};

static int flush_out(struct dh_buf *out)
{
	if (out->len && fwrite(out->data, 1, out->len, stdout) != out->len)
		return -EIO;
	out->len = 0;
	return fflush(stdout) == 0 ? 0 : -EIO;
}

static int on_event(void *ctx, struct ev_event *ev)
{
	struct listen_ctx *l = ctx;

	ev_match_event(l->matcher, ev);
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
	if (l->out.len >= OUT_FLUSH && flush_out(&l->out) != 0) {
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

static int parse_seconds(const char *text, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(text, &end, 10);
	if (errno || *end || text[0] < '0' || text[0] > '9' || v == 0 || v > 86400)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int cmd_listen(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"socket", required_argument, NULL, 'u'},
	    {"store", required_argument, NULL, 'S'},
	    {"json", no_argument, NULL, 'j'},
	    {"observer", required_argument, NULL, 'o'},
	    {"checkpoint-seconds", required_argument, NULL, 'C'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = NULL, *dir = NULL, *observer = NULL;
	unsigned ckpt_s = 10;
	int c, rc = CLI_EXIT_OK, e;
	struct listen_ctx l;
	struct dtsock *sock = NULL;
	struct dtsock_stats st;
	int ingesting = 0;

	memset(&l, 0, sizeof(l));
	dh_buf_init(&l.out);
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
			if (parse_seconds(optarg, &ckpt_s) != 0) {
				cli_err("--checkpoint-seconds: '%s' is not 1 to 86400", optarg);
				return CLI_EXIT_USAGE;
			}
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
	struct dtsock_options dopt = {
	    .observer = observer,
	    .on_event = on_event,
	    .on_close = on_close,
	    .on_bad = on_bad,
	    .ctx = &l,
	};
	e = dtsock_new(&sock, path, &dopt);
	if (e != 0) {
		cli_err("%s: cannot listen: %s", path,
		        e == DH_EEXIST ? "another listener is using it, or a file that is not a "
		                         "socket is in the way"
		                       : dh_strerror(e));
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}
	cli_catch_signals();
	int tty = !l.quiet && isatty(STDERR_FILENO);
	l.tty = tty;
	double last_ckpt = cli_now(), last_status = 0;
	while (!cli_stop) {
		e = dtsock_run(sock, TICK_MS);
		if (e == 0 && !l.store)
			e = flush_out(&l.out);
		if (e != 0)
			break;
		double now = cli_now();
		if (l.store && now - last_ckpt >= ckpt_s) {
			e = store_ingest_checkpoint(l.store);
			if (e != 0)
				break;
			last_ckpt = now;
		}
		if (tty && now - last_status >= 1.0) {
			dtsock_stats(sock, &st);
			status_line(&st);
			last_status = now;
		}
	}
	/* Stopped by a signal: what the writers already sent still counts. */
	if (e == 0)
		e = dtsock_drain(sock);
	if (e == 0 && !l.store)
		e = flush_out(&l.out);
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
	dtsock_stats(sock, &st);
	if (tty)
		fputs("\r\033[K", stderr);
	if (!l.quiet)
		fprintf(stderr,
		        "listen: %llu connections (%llu refused, %llu closed for violations), "
		        "%llu frames, %llu events, %llu bad, %llu without DNS%s\n",
		        (unsigned long long)st.connections, (unsigned long long)st.refused,
		        (unsigned long long)st.violations, (unsigned long long)st.frames,
		        (unsigned long long)st.events, (unsigned long long)st.bad,
		        (unsigned long long)st.nodns, l.store ? ", stored" : "");
out:
	if (ingesting) {
		/* A failure after some checkpoints keeps what they made
		 * durable. */
		store_ingest_abort(l.store);
	}
	dtsock_free(sock);
	store_close(l.store);
	ev_match_free(l.matcher);
	dh_buf_release(&l.out);
	return rc;
}
