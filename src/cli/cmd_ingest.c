/*
 * cmd_ingest.c - "dnshound ingest": files into the store.
 *
 * Each file is identified by a hash of its bytes, so the same data is
 * never stored twice, whatever its name. An interrupted ingest (a kill,
 * a crash, Ctrl-C) resumes where the store's last checkpoint left it: the
 * events before it are decoded again but not stored again.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "event/ev_match.h"
#include "store/store.h"
#include "util/err.h"
#include "util/hash.h"

/* A checkpoint makes events durable; between two, a crash costs at most
 * this many events of re-decoding (never a loss or a duplicate). Each
 * checkpoint closes a segment, so fewer, larger segments read faster. */
#define CHECKPOINT_EVENTS 4000000

static const char usage[] =
    "usage: dnshound ingest [options] FILE...\n"
    "\n"
    "Decodes the files into the store. A file already ingested is skipped;\n"
    "an interrupted ingest of a file resumes where it stopped.\n"
    "\n"
    "  --store DIR        store directory (default $DNSHOUND_STORE or "
    "./dnshound.store)\n" CLI_SOURCE_HELP
    "  --checkpoint N     make events durable every N events (default 4000000)\n"
    "  --follow           follow one growing log (see 'ingest --follow --help')\n"
    "  -q, --quiet        no progress and no summary\n"
    "  -h, --help         this text\n";

static int hash_file(const char *path, uint8_t out[16])
{
	static uint8_t buf[1 << 20];
	struct dh_hash128 h;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	dh_hash128_init(&h);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		dh_hash128_update(&h, buf, (size_t)n);
	int err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	dh_hash128_final(&h, out);
	return 0;
}

struct totals {
	uint64_t files, skipped_files, records, messages, events, stored, malformed;
};

static int ingest_file(struct store *s, const char *path, const char *format,
                       const struct src_options *sopt, struct ev_event *ev, struct cli_progress *pg,
                       struct totals *t, int quiet, uint64_t checkpoint)
{
	uint8_t hash[16];
	uint64_t skip = 0, n = 0, since_ckpt = 0;
	struct src_reader *r = NULL;
	struct ev_match *matcher = NULL;
	int rc, e;

	rc = hash_file(path, hash);
	if (rc != 0) {
		cli_err("%s: %s", path, dh_strerror(rc));
		return CLI_EXIT_RUNTIME;
	}
	rc = src_open(&r, path, format, sopt);
	if (rc != 0) {
		cli_err("%s: %s", path,
		        rc == DH_EFORMAT ? "not a capture file this version can read"
		                         : dh_strerror(rc));
		return rc == DH_EUSAGE ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME;
	}
	rc = store_ingest_begin(s, path, hash, sizeof(hash), &skip);
	if (rc == DH_EEXIST) {
		if (!quiet)
			fprintf(stderr, "%s: already in the store, skipped\n", path);
		t->skipped_files++;
		src_close(r);
		return CLI_EXIT_OK;
	}
	if (rc != 0) {
		cli_err("%s: store: %s", path, dh_strerror(rc));
		src_close(r);
		return CLI_EXIT_RUNTIME;
	}
	if (skip && !quiet)
		fprintf(stderr, "%s: resuming after %llu events stored before\n", path,
		        (unsigned long long)skip);
	if (ev_match_new(&matcher, 0, 0) != 0) {
		rc = -ENOMEM;
		goto fail;
	}
	ev_clear(ev);
	while (!cli_stop && (e = src_next(r, ev)) == 1) {
		/* Events before the resume point still pass the matcher, so a
		 * resumed ingest computes the same response times. */
		ev_match_event(matcher, ev);
		if (n++ < skip)
			continue;
		rc = store_ingest_add(s, ev);
		if (rc != 0)
			goto fail;
		t->stored++;
		if (++since_ckpt >= checkpoint) {
			rc = store_ingest_checkpoint(s);
			if (rc != 0)
				goto fail;
			since_ckpt = 0;
		}
		if ((n & 0xffff) == 0) {
			struct src_stats st;
			src_stats(r, &st);
			cli_progress_update(pg, path, st.bytes, st.size, n);
		}
	}
	if (cli_stop) {
		/* Keep what was read: the next ingest of this file resumes
		 * after it. */
		rc = store_ingest_checkpoint(s);
		if (rc != 0)
			goto fail;
		cli_err("%s: interrupted; %llu events stored, run ingest again to resume", path,
		        (unsigned long long)n);
		store_ingest_abort(s);
	} else {
		if (e < 0)
			cli_err("%s: input ends in a broken record: %s; everything before it is "
			        "stored",
			        path, dh_strerror(e));
		rc = store_ingest_end(s);
		if (rc != 0)
			goto fail;
	}
	struct src_stats st;
	src_stats(r, &st);
	t->files++;
	t->records += st.records;
	t->messages += st.messages;
	t->events += st.events;
	t->malformed += st.malformed;
	ev_match_free(matcher);
	src_close(r);
	return cli_stop ? CLI_EXIT_RUNTIME : CLI_EXIT_OK;
fail:
	cli_err("%s: store: %s", path, dh_strerror(rc));
	store_ingest_abort(s);
	ev_match_free(matcher);
	src_close(r);
	return CLI_EXIT_RUNTIME;
}

int cmd_ingest(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"store", required_argument, NULL, 'S'},
	    {"format", required_argument, NULL, 'f'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {"checkpoint", required_argument, NULL, 'C'},
	    CLI_SOURCE_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	struct src_options sopt;
	struct cli_bad bad = {0};
	const char *format = "auto", *dir = NULL;
	int quiet = 0, c, rc = CLI_EXIT_OK;
	struct store *s = NULL;
	struct ev_event *ev = NULL;
	struct totals t = {0};
	struct cli_progress pg;
	uint64_t checkpoint = CHECKPOINT_EVENTS;

	if (cli_has_follow(argc, argv))
		return cmd_follow(argc, argv, 1);
	memset(&sopt, 0, sizeof(sopt));
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			dir = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'C': {
			char *end;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (*end || optarg[0] < '1' || optarg[0] > '9' || v == 0) {
				cli_err("--checkpoint: '%s' is not a positive count", optarg);
				return CLI_EXIT_USAGE;
			}
			checkpoint = v;
			break;
		}
		case 'h':
			fputs(usage, stdout);
			return CLI_EXIT_OK;
		default: {
			int k = cli_source_option(c, optarg, &sopt);
			if (k == 1)
				break;
			if (k == 0)
				fputs(usage, stderr);
			return CLI_EXIT_USAGE;
		}
		}
	}
	if (optind >= argc) {
		cli_err("ingest: no input file");
		fputs(usage, stderr);
		return CLI_EXIT_USAGE;
	}
	dir = cli_store_dir(dir);
	sopt.on_bad = cli_bad_report;
	sopt.on_bad_ctx = &bad;
	int e = store_open(&s, dir, STORE_CREATE);
	if (e != 0) {
		cli_err("%s: cannot open the store: %s", dir, dh_strerror(e));
		return CLI_EXIT_RUNTIME;
	}
	ev = malloc(sizeof(*ev));
	if (!ev) {
		cli_err("out of memory");
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}
	cli_catch_signals();
	cli_progress_init(&pg);
	if (quiet)
		pg.enabled = 0;
	double t0 = cli_now();
	for (int i = optind; i < argc && !cli_stop; i++) {
		int r = ingest_file(s, argv[i], format, &sopt, ev, &pg, &t, quiet, checkpoint);
		cli_bad_finish(&bad);
		if (r == CLI_EXIT_USAGE) {
			rc = r;
			break;
		}
		if (r != CLI_EXIT_OK)
			rc = r;
	}
	cli_progress_done(&pg);
	double el = cli_now() - t0;
	if (!quiet)
		fprintf(stderr,
		        "ingested %llu files (%llu already stored): %llu messages, %llu events "
		        "stored, %llu malformed, %.2f s, %.0f events/s\n",
		        (unsigned long long)t.files, (unsigned long long)t.skipped_files,
		        (unsigned long long)t.messages, (unsigned long long)t.stored,
		        (unsigned long long)t.malformed, el, el > 0 ? (double)t.stored / el : 0.0);
out:
	free(ev);
	store_close(s);
	return rc;
}
