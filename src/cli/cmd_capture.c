/*
 * cmd_capture.c - "dnshound capture": live capture from an interface, and
 * follow mode ("ingest --follow", "decode --follow") for growing logs.
 *
 * Both run until a signal (or --count / --duration for capture): their
 * loops wait on a timeout of IDLE_MS so that SIGINT and SIGTERM are seen
 * within that time, and on the way out everything read is printed or
 * made durable in the store.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/cap_live.h"
#include "cli/cli.h"
#include "event/ev_format.h"
#include "event/ev_match.h"
#include "source/follow.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/hash.h"

/* How long one wait for packets or lines lasts: the longest delay before
 * a signal is acted on. */
#define IDLE_MS 200

/* Output is written when this much is buffered, or when input is idle. */
#define OUT_FLUSH     (64 * 1024)
#define FLUSH_SECONDS 0.2

/* A checkpoint makes the events durable; each closes a segment, so they
 * are spaced by count and by time: a crash costs at most this much
 * re-reading, never a loss or a duplicate. */
#define CHECKPOINT_EVENTS  1000000
#define CHECKPOINT_SECONDS 10.0

static const char capture_usage[] =
    "usage: dnshound capture -i IFACE [options]\n"
    "\n"
    "Captures DNS from a network interface (libpcap) and prints one line per\n"
    "message like 'decode', or stores the events with --store. Stops on\n"
    "SIGINT/SIGTERM, --count or --duration, with everything flushed.\n"
    "\n"
    "  -i, --interface IF the interface (e.g. eth0, lo, any)\n"
    "  --filter BPF       capture filter (default: the watched ports)\n"
    "  --snaplen N        bytes kept per frame (default 65535)\n"
    "  --buffer-size MB   kernel capture buffer in MiB (default 32)\n"
    "  --json             JSON lines (fields: see dnshound(1))\n"
    "  --store DIR        store the events in DIR instead of printing them\n"
    "  --count N          stop after N events\n"
    "  --duration S       stop after S seconds\n"
    "  --port N           also treat port N as DNS (repeatable; 53 always)\n"
    "  --observer NAME    observer name put on the events\n"
    "  -q, --quiet        no status line and no summary\n"
    "  -h, --help         this text\n";

static void status_line(const char *iface, uint64_t packets, uint64_t events, uint64_t drops)
{
	fprintf(stderr, "\r%s: %llu packets, %llu events, %llu dropped by the kernel   ", iface,
	        (unsigned long long)packets, (unsigned long long)events, (unsigned long long)drops);
}

/* A key for the store's ingest registry: this interface from this
 * moment; a live capture is never resumed, so each run is new. */
static void live_key(const char *iface, uint8_t key[16])
{
	struct dh_hash128 h;
	double now = cli_now();

	dh_hash128_init(&h);
	dh_hash128_update(&h, "dnshound-live", 13);
	dh_hash128_update(&h, iface, strlen(iface));
	dh_hash128_update(&h, &now, sizeof(now));
	dh_hash128_final(&h, key);
}

int cmd_capture(int argc, char **argv)
{
	return cli_capture_run(argc, argv, NULL);
}

/* The hook's idle callback, when it has one. */
static int hook_idle(const struct cli_event_hook *hook)
{
	return hook && hook->idle ? hook->idle(hook->ctx) : 0;
}

int cli_capture_run(int argc, char **argv, const struct cli_event_hook *hook)
{
	static const struct option opts[] = {
	    {"interface", required_argument, NULL, 'i'},
	    {"filter", required_argument, NULL, 'F'},
	    {"snaplen", required_argument, NULL, 'L'},
	    {"buffer-size", required_argument, NULL, 'B'},
	    {"json", no_argument, NULL, 'j'},
	    {"store", required_argument, NULL, 'S'},
	    {"count", required_argument, NULL, 'c'},
	    {"duration", required_argument, NULL, 'd'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    CLI_SOURCE_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	struct src_options sopt;
	struct cli_bad bad = {0};
	const char *iface = NULL, *dir = NULL;
	int json = 0, quiet = 0, c, rc = CLI_EXIT_OK, in_file = 0, e;
	uint64_t count = 0, duration = 0, v, n = 0, since_ckpt = 0, drops = 0;
	struct src_live *live = NULL;
	struct store *st = NULL;
	struct ev_match *matcher = NULL;
	struct ev_event *ev = NULL;
	struct ev_formatter fmt;
	struct dh_buf out;
	struct src_stats ss;
	char perr[CAP_LIVE_ERR_MAX];

	memset(&sopt, 0, sizeof(sopt));
	dh_buf_init(&out);
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			iface = optarg;
			break;
		case 'F':
			sopt.live_filter = optarg;
			break;
		case 'L':
			if (cli_parse_count("--snaplen", optarg, 262144, &v) != 0)
				return CLI_EXIT_USAGE;
			sopt.live_snaplen = (unsigned)v;
			break;
		case 'B':
			if (cli_parse_count("--buffer-size", optarg, 2047, &v) != 0)
				return CLI_EXIT_USAGE;
			sopt.live_buffer_mb = (unsigned)v;
			break;
		case 'j':
			json = 1;
			break;
		case 'S':
			dir = optarg;
			break;
		case 'c':
			if (cli_parse_count("--count", optarg, UINT64_MAX, &count) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'd':
			if (cli_parse_count("--duration", optarg, 100ULL * 365 * 86400,
			                    &duration) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			fputs(capture_usage, stdout);
			return CLI_EXIT_OK;
		default: {
			int k = cli_source_option(c, optarg, &sopt);
			if (k == 1)
				break;
			if (k == 0)
				fputs(capture_usage, stderr);
			return CLI_EXIT_USAGE;
		}
		}
	}
	if (!iface || optind < argc) {
		cli_err(iface ? "capture: unexpected argument '%s'"
		              : "capture: no interface (-i)%s",
		        iface ? argv[optind] : "");
		fputs(capture_usage, stderr);
		return CLI_EXIT_USAGE;
	}
	sopt.on_bad = cli_bad_report;
	sopt.on_bad_ctx = &bad;
	ev = malloc(sizeof(*ev));
	if (!ev || ev_match_new(&matcher, 0, 0) != 0) {
		cli_err("out of memory");
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}
	/* The interface first: a capture that cannot start leaves no trace
	 * in the store. */
	e = src_live_open(&live, iface, &sopt, perr, sizeof(perr));
	if (e == DH_EMALFORMED) {
		cli_err("--filter: %s", perr);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (e != 0) {
		cli_err("%s: cannot capture: %s%s%s", iface, dh_strerror(e), perr[0] ? ": " : "",
		        perr);
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}
	if (dir) {
		uint8_t key[16];
		uint64_t skip = 0;
		e = store_open(&st, dir, STORE_CREATE);
		if (e != 0) {
			cli_err("%s: cannot open the store: %s", dir, dh_strerror(e));
			rc = CLI_EXIT_RUNTIME;
			goto out;
		}
		live_key(iface, key);
		e = store_ingest_begin(st, iface, key, sizeof(key), &skip);
		if (e != 0) {
			cli_err("%s: store: %s", dir, dh_strerror(e));
			rc = CLI_EXIT_RUNTIME;
			goto out;
		}
		in_file = 1;
	}
	cli_catch_signals();
	/* Named observers are shown, as several sensors' outputs get merged. */
	ev_formatter_init(&fmt, sopt.observer ? EV_FMT_OBSERVER : 0);
	int status = !quiet && isatty(STDERR_FILENO);
	double t0 = cli_now(), last_status = 0, last_ckpt = t0, last_flush = t0;
	int finishing = 0;
	ev_clear(ev);
	for (;;) {
		if (!finishing && (cli_stop || (count && n >= count) ||
		                   (duration && cli_now() - t0 >= (double)duration))) {
			/* Take what TCP reassembly still holds, then stop. */
			src_live_finish(live);
			finishing = 1;
		}
		e = src_live_next(live, ev, finishing ? 0 : IDLE_MS);
		if (e < 0) {
			cli_err("%s: capture stopped: %s", iface, dh_strerror(e));
			rc = CLI_EXIT_RUNTIME;
			break;
		}
		if (e == 0) {
			if (finishing)
				break;
			if (!st && cli_flush_out(&out) != 0) {
				rc = CLI_EXIT_RUNTIME;
				break;
			}
			if (hook_idle(hook) != 0) {
				rc = CLI_EXIT_RUNTIME;
				break;
			}
			last_flush = cli_now();
		} else {
			if (count && n >= count)
				continue; /* past the count: drained, not shown */
			n++;
			ev_match_event(matcher, ev);
			if (hook && (e = hook->fn(hook->ctx, ev)) != 0) {
				cli_err("%s: detection stopped: %s", iface, dh_strerror(e));
				rc = CLI_EXIT_RUNTIME;
				break;
			}
			if (hook && !st)
				continue;
			if (st) {
				e = store_ingest_add(st, ev);
				if (e != 0) {
					cli_err("%s: store: %s", dir, dh_strerror(e));
					rc = CLI_EXIT_RUNTIME;
					break;
				}
				since_ckpt++;
			} else {
				if (json)
					ev_format_json(&fmt, ev, &out);
				else
					ev_format_text(&fmt, ev, &out);
				if (out.len >= OUT_FLUSH && cli_flush_out(&out) != 0) {
					rc = CLI_EXIT_RUNTIME;
					break;
				}
			}
		}
		double now = cli_now();
		/* Busy links never go idle: flush by time as well, so a
		 * reader of the output sees events within FLUSH_SECONDS. */
		if ((out.len || (hook && hook->idle)) && now - last_flush >= FLUSH_SECONDS) {
			if (cli_flush_out(&out) != 0 || hook_idle(hook) != 0) {
				rc = CLI_EXIT_RUNTIME;
				break;
			}
			last_flush = now;
		}
		if (st && since_ckpt &&
		    (since_ckpt >= CHECKPOINT_EVENTS || now - last_ckpt >= CHECKPOINT_SECONDS)) {
			e = store_ingest_checkpoint(st);
			if (e != 0) {
				cli_err("%s: store: %s", dir, dh_strerror(e));
				rc = CLI_EXIT_RUNTIME;
				break;
			}
			since_ckpt = 0;
			last_ckpt = now;
		}
		if (status && now - last_status >= 1.0) {
			src_live_stats(live, &ss, &drops);
			status_line(iface, ss.records, n, drops);
			last_status = now;
		}
	}
	if (cli_flush_out(&out) != 0 || out.err)
		rc = CLI_EXIT_RUNTIME;
	if (rc == CLI_EXIT_OK && hook_idle(hook) != 0)
		rc = CLI_EXIT_RUNTIME;
	if (st && in_file) {
		e = rc == CLI_EXIT_OK ? store_ingest_end(st) : store_ingest_checkpoint(st);
		if (e != 0) {
			cli_err("%s: store: %s", dir, dh_strerror(e));
			rc = CLI_EXIT_RUNTIME;
		}
		if (rc != CLI_EXIT_OK)
			store_ingest_abort(st);
		in_file = 0;
	}
	cli_bad_finish(&bad);
	src_live_stats(live, &ss, &drops);
	if (status)
		fputc('\n', stderr);
	if (!quiet)
		fprintf(stderr,
		        "captured on %s: %llu packets, %llu events%s, %llu malformed, %llu dropped "
		        "by the kernel, %.2f s%s\n",
		        iface, (unsigned long long)ss.records, (unsigned long long)n,
		        st ? " stored" : "", (unsigned long long)ss.malformed,
		        (unsigned long long)drops, cli_now() - t0,
		        cli_stop ? " (stopped by a signal)" : "");
out:
	if (in_file)
		store_ingest_abort(st);
	src_live_close(live);
	store_close(st);
	ev_match_free(matcher);
	free(ev);
	dh_buf_release(&out);
	return rc;
}

/* ---- follow mode ------------------------------------------------------ */

static const char follow_usage[] =
    "usage: dnshound ingest --follow [options] FILE\n"
    "       dnshound decode --follow [options] FILE\n"
    "\n"
    "Reads a growing text log or dnstap file like 'tail -F': waits at its end\n"
    "for more, goes on with the new file when it is rotated and from the start\n"
    "when it is truncated. 'ingest' stores the events and keeps the read position in\n"
    "the store directory, so that a restart neither loses nor repeats a line.\n"
    "Stops on SIGINT/SIGTERM with everything stored.\n"
    "\n"
    "  --store DIR        store directory (ingest; default $DNSHOUND_STORE or\n"
    "                     ./dnshound.store)\n"
    "  --json             JSON lines (decode)\n" CLI_SOURCE_HELP
    "  --checkpoint N     make events durable every N events (default 1000000)\n"
    "  -q, --quiet        no summary\n"
    "  -h, --help         this text\n";

struct follower {
	const char *path;
	const char *dir;
	char pos_path[4096];
	struct store *st;
	struct follow *f;
	struct src_reader *r;
	int in_file;
	uint64_t skip;       /* events of this session already in the store */
	uint64_t seen;       /* events read in this session */
	uint64_t stored;     /* events stored in this run */
	uint64_t since_ckpt; /* events since the last checkpoint */
	uint64_t unsaved;    /* events since the position last moved */
	uint64_t session;    /* the current session's number (follow_pos.session) */
};

/* The position file: one per followed path, in the store directory,
 * named by a hash of the absolute path. */
static int pos_path_of(struct follower *w)
{
	char abs[PATH_MAX];
	const char *p = realpath(w->path, abs) ? abs : w->path;
	int k = snprintf(w->pos_path, sizeof(w->pos_path), "%s/follow-%016llx.pos", w->dir,
	                 (unsigned long long)dh_hash64(p, strlen(p), 0));

	return k > 0 && (size_t)k < sizeof(w->pos_path) ? 0 : -ENAMETOOLONG;
}

/* A session number that no earlier session of this store has: the
 * clock in ns, kept above the last one. */
static uint64_t next_session(struct follower *w)
{
	uint64_t now = (uint64_t)(cli_now() * 1e9);

	w->session = now > w->session ? now : w->session + 1;
	return w->session;
}

/* Starts a store session for the input from pos on. */
static int session_begin(struct follower *w, const struct follow_pos *pos)
{
	uint8_t key[16];

	follow_pos_key(pos, key);
	int rc = store_ingest_begin(w->st, w->path, key, sizeof(key), &w->skip);
	if (rc != 0)
		return rc;
	w->in_file = 1;
	w->seen = 0;
	return 0;
}

/*
 * Makes everything read durable and moves the saved position to here
 * (after moving to the next file when the follow is pending). Called only
 * when the source has just found nothing new: then every byte it has
 * consumed has given all its events (a BIND or Zeek line can give two,
 * the second on the next call), so the position matches the store. The order
 * makes a crash at any point safe: the events are committed under the
 * old session, whose start the old position file still names; once the
 * new position is renamed into place, the old session is closed and a
 * new one begins at the new position with nothing skipped.
 */
static int rebase(struct follower *w)
{
	struct follow_pos pos;
	struct src_stats ss;
	int rc;

	if (w->st) {
		rc = store_ingest_checkpoint(w->st);
		if (rc != 0)
			return rc;
	}
	if (follow_pending(w->f)) {
		rc = follow_advance(w->f);
		if (rc != 0)
			return rc;
	}
	if (!w->st)
		return 0;
	src_stats(w->r, &ss);
	rc = follow_position(w->f, ss.bytes, &pos);
	pos.session = next_session(w);
	if (rc == 0)
		rc = follow_pos_save(w->pos_path, &pos);
	if (rc != 0)
		return rc;
	rc = store_ingest_end(w->st);
	w->in_file = 0;
	if (rc != 0)
		return rc;
	w->since_ckpt = 0;
	w->unsaved = 0;
	return session_begin(w, &pos);
}

/* Waits IDLE_MS, or less when a signal comes. */
static void idle(void)
{
	(void)poll(NULL, 0, IDLE_MS);
}

int cmd_follow(int argc, char **argv, int ingest)
{
	return cli_follow_run(argc, argv, ingest, NULL);
}

int cli_follow_run(int argc, char **argv, int ingest, const struct cli_event_hook *hook)
{
	static const struct option opts[] = {
	    {"follow", no_argument, NULL, 'W'},
	    {"store", required_argument, NULL, 'S'},
	    {"format", required_argument, NULL, 'f'},
	    {"json", no_argument, NULL, 'j'},
	    {"checkpoint", required_argument, NULL, 'C'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    CLI_SOURCE_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	struct follower w;
	struct src_options sopt;
	struct cli_bad bad = {0};
	struct follow_pos start;
	struct ev_match *matcher = NULL;
	struct ev_event *ev = NULL;
	struct ev_formatter fmt;
	struct dh_buf out;
	const char *format = "auto";
	int json = 0, quiet = 0, c, rc = CLI_EXIT_OK, e, have_start = 0;
	uint64_t checkpoint = CHECKPOINT_EVENTS;

	memset(&w, 0, sizeof(w));
	memset(&sopt, 0, sizeof(sopt));
	dh_buf_init(&out);
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'W':
			break;
		case 'S':
			w.dir = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'C':
			if (cli_parse_count("--checkpoint", optarg, UINT64_MAX, &checkpoint) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			fputs(follow_usage, stdout);
			return CLI_EXIT_OK;
		default: {
			int k = cli_source_option(c, optarg, &sopt);
			if (k == 1)
				break;
			if (k == 0)
				fputs(follow_usage, stderr);
			return CLI_EXIT_USAGE;
		}
		}
	}
	if (optind + 1 != argc) {
		cli_err("--follow: exactly one file, the log to follow");
		fputs(follow_usage, stderr);
		return CLI_EXIT_USAGE;
	}
	w.path = argv[optind];
	sopt.on_bad = cli_bad_report;
	sopt.on_bad_ctx = &bad;
	ev = malloc(sizeof(*ev));
	if (!ev || ev_match_new(&matcher, 0, 0) != 0) {
		cli_err("out of memory");
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}
	if (ingest) {
		w.dir = cli_store_dir(w.dir);
		e = store_open(&w.st, w.dir, STORE_CREATE);
		if (e == 0)
			e = pos_path_of(&w);
		if (e != 0) {
			cli_err("%s: cannot open the store: %s", w.dir, dh_strerror(e));
			rc = CLI_EXIT_RUNTIME;
			goto out;
		}
		e = follow_pos_load(w.pos_path, &start);
		if (e == 0)
			have_start = 1;
		else if (e != -ENOENT)
			cli_err("%s: damaged, reading %s from its start", w.pos_path, w.path);
	}
	e = follow_open(&w.f, w.path, have_start ? &start : NULL);
	if (e != 0) {
		cli_err("%s: %s", w.path, e == DH_EUSAGE ? "not a regular file" : dh_strerror(e));
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}
	sopt.follow = w.f;
	e = src_open(&w.r, w.path, format, &sopt);
	if (e != 0) {
		cli_err("%s: %s", w.path,
		        e == DH_EFORMAT ? "format not recognised (an empty log needs --format)"
		                        : dh_strerror(e));
		rc = e == DH_EUSAGE ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
		goto out;
	}
	if (strcmp(src_format(w.r), "pcap") == 0) {
		cli_err("%s: a capture file has no follow mode (use 'capture -i' for live traffic)",
		        w.path);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	/* A binary stream gets no newline at a rotation. */
	follow_set_newline(w.f, strcmp(src_format(w.r), "dnstap") != 0);
	if (w.st) {
		struct follow_pos pos;
		if (follow_resumed(w.f)) {
			pos = start;
			w.session = start.session;
		} else {
			/* A new start: record it before reading, so that a crash
			 * before the first checkpoint resumes this session. */
			e = follow_position(w.f, 0, &pos);
			pos.session = next_session(&w);
			if (e == 0)
				e = follow_pos_save(w.pos_path, &pos);
			if (e != 0) {
				cli_err("%s: %s", w.pos_path, dh_strerror(e));
				rc = CLI_EXIT_RUNTIME;
				goto out;
			}
		}
		e = session_begin(&w, &pos);
		if (e != 0) {
			cli_err("%s: store: %s", w.dir, dh_strerror(e));
			rc = CLI_EXIT_RUNTIME;
			goto out;
		}
		if (!quiet && (w.skip || follow_resumed(w.f)))
			fprintf(stderr, "%s: resuming at byte %llu (%llu events skipped)\n", w.path,
			        (unsigned long long)start.offset, (unsigned long long)w.skip);
	}
	cli_catch_signals();
	ev_formatter_init(&fmt, 0);
	double t0 = cli_now(), last_ckpt = t0;
	int at_rest = 1; /* the source has just found nothing new */
	ev_clear(ev);
	while (!cli_stop) {
		e = src_next(w.r, ev);
		at_rest = e == 0;
		if (e < 0) {
			cli_err("%s: %s", w.path, dh_strerror(e));
			rc = CLI_EXIT_RUNTIME;
			break;
		}
		if (e == 1) {
			ev_match_event(matcher, ev);
			if (w.seen++ < w.skip)
				continue;
			if (hook && (e = hook->fn(hook->ctx, ev)) != 0) {
				cli_err("%s: detection stopped: %s", w.path, dh_strerror(e));
				rc = CLI_EXIT_RUNTIME;
				break;
			}
			if (hook && !w.st) {
				w.stored++;
				continue;
			}
			if (w.st) {
				e = store_ingest_add(w.st, ev);
				if (e != 0)
					goto store_fail;
				w.stored++;
				w.unsaved++;
				/* A busy log may never rest: commit the events under
				 * the current session (a restart skips them by
				 * count) and move the position at the next rest. */
				if (++w.since_ckpt >= checkpoint) {
					if ((e = store_ingest_checkpoint(w.st)) != 0)
						goto store_fail;
					w.since_ckpt = 0;
					last_ckpt = cli_now();
				}
			} else {
				w.stored++;
				if (json)
					ev_format_json(&fmt, ev, &out);
				else
					ev_format_text(&fmt, ev, &out);
				if (out.len >= OUT_FLUSH && cli_flush_out(&out) != 0) {
					rc = CLI_EXIT_RUNTIME;
					break;
				}
			}
			continue;
		}
		/* Nothing new: move on to a rotated or truncated file, make a
		 * quiet spell's events durable, or wait. */
		if ((!w.st && cli_flush_out(&out) != 0) || hook_idle(hook) != 0) {
			rc = CLI_EXIT_RUNTIME;
			break;
		}
		if (follow_pending(w.f) ||
		    (w.unsaved &&
		     (w.since_ckpt == 0 || cli_now() - last_ckpt >= CHECKPOINT_SECONDS))) {
			if ((e = rebase(&w)) != 0)
				goto store_fail;
			last_ckpt = cli_now();
			continue;
		}
		idle();
	}
	if (w.st && w.in_file) {
		/* Stopping: everything read becomes durable, with its position
		 * when the source is at rest; else the session's count makes
		 * the restart skip what is stored. */
		e = at_rest ? rebase(&w) : store_ingest_checkpoint(w.st);
		if (e != 0)
			goto store_fail;
	}
	if (cli_flush_out(&out) != 0 || out.err)
		rc = CLI_EXIT_RUNTIME;
	if (rc == CLI_EXIT_OK && hook_idle(hook) != 0)
		rc = CLI_EXIT_RUNTIME;
	goto summary;
store_fail:
	cli_err("%s: store: %s", w.dir ? w.dir : w.path, dh_strerror(e));
	rc = CLI_EXIT_RUNTIME;
summary:
	cli_bad_finish(&bad);
	if (!quiet) {
		struct src_stats ss;
		src_stats(w.r, &ss);
		fprintf(
		    stderr,
		    "followed %s: %llu records, %llu events %s, %llu malformed, %llu rotations, "
		    "%llu truncations, %.2f s\n",
		    w.path, (unsigned long long)ss.records, (unsigned long long)w.stored,
		    w.st ? "stored" : "printed", (unsigned long long)ss.malformed,
		    (unsigned long long)follow_rotations(w.f),
		    (unsigned long long)follow_truncations(w.f), cli_now() - t0);
	}
out:
	if (w.in_file)
		store_ingest_abort(w.st);
	src_close(w.r);
	follow_free(w.f);
	store_close(w.st);
	ev_match_free(matcher);
	free(ev);
	dh_buf_release(&out);
	return rc;
}

int cli_has_follow(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--follow") == 0)
			return 1;
	}
	return 0;
}
