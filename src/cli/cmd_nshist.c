/*
 * cmd_nshist.c - "dnshound nshist build|show|check": seed 003's NS-record
 * history and the check of every DNS query against it (doc/nshist.md).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "nshist/nshist.h"
#include "nshist/nshist_check.h"
#include "nshist/nshist_db.h"
#include "util/allow.h"
#include "util/buf.h"
#include "util/conf.h"
#include "util/err.h"
#include "util/timefmt.h"
#include "wire/dns_text.h"

#define OUT_FLUSH (1 << 20)

/* A live check saves what it learned this often, so that a restart
 * loses at most this much history. */
#define SAVE_SECONDS 10.0

static const char usage[] =
    "usage: dnshound nshist build [options] [FILE...]\n"
    "       dnshound nshist show [options]\n"
    "       dnshound nshist check [options] FILE...\n"
    "       dnshound nshist check [options] -- capture|listen|follow ARGS...\n"
    "\n"
    "Seed 003's NS-record history: 'build' learns name servers and their glue\n"
    "from the responses in FILEs (captures, dnstap, logs) or, without FILE, in\n"
    "the store; 'show' prints it in the layout of the seed's Table 1; 'check'\n"
    "classifies every DNS query as resolver, registered, indirect or unknown\n"
    "and records direct-outbound and indirect-outbound findings in the store.\n"
    "After '--', check runs on a live source: the arguments of 'capture',\n"
    "'listen' or 'decode --follow' (without --store and --json).\n"
    "\n"
    "  --store DIR        the store (default $DNSHOUND_STORE or ./dnshound.store):\n"
    "                     the history is DIR/nshist.db with its answer rows in\n"
    "                     DIR/nshist.answers; findings go to the store's catalog\n"
    "  --history FILE     the history file instead of DIR/nshist.db (its answers in\n"
    "                     FILE with .db replaced by .answers)\n"
    "  --config FILE      read the [nshist] section of FILE (dnshound.conf(5))\n"
    "  --glue-window S    glue from a later A/AAAA answer within S seconds (2)\n"
    "  --grace S          glue stays valid S seconds past its TTL (3600)\n"
    "  --no-referrals     do not learn NS records of non-authoritative referrals\n"
    "  --no-answers       keep no ordinary A/AAAA answers (the seed's NS table\n"
    "                     alone): cheaper, but indirect reads as unknown\n"
    "  --all              build: read the whole store, not only what is new\n"
    "  --zone Z, --ns IP  show: rows of one zone, or of one glue address\n"
    "  --limit N          show: at most N rows\n"
    "  --json             JSON lines\n"
    "  --suspicious       check: print only indirect and unknown queries\n"
    "  --no-learn         check: use the stored history only\n"
    "  --no-save          check: do not add what was learned to the history\n"
    "  --no-findings      check: record no findings\n"
    "  --local NET        check: hosts of the network (repeatable; default all)\n"
    "  --public-resolver IP  exception list entry; the first replaces the default\n"
    "                     list (Google, Cloudflare, Quad9, OpenDNS); 'none' empties it\n"
    "  --allow ENTRY      never report this host, server, network or name suffix\n"
    "  --allow-file FILE  one such entry per line\n" CLI_SOURCE_HELP
    "                     (check: --resolver also names the network's resolvers)\n"
    "  -q, --quiet        no summary\n"
    "  -h, --help         this text\n";

enum {
	O_HISTORY = 0x4000,
	O_CONFIG,
	O_GLUE,
	O_GRACE,
	O_NOREF,
	O_ALL,
	O_ZONE,
	O_NS,
	O_LIMIT,
	O_SUSP,
	O_NOLEARN,
	O_NOSAVE,
	O_NOFIND,
	O_LOCAL,
	O_PUBLIC,
	O_ALLOW,
	O_ALLOWF,
	O_NOANS,
};

struct run {
	const char *sub;
	const char *dir;
	const char *history;
	char history_buf[4096];
	const char *format;
	struct src_options sopt;
	struct nshist_opts o;
	int json, all, suspicious, learn, save, findings, quiet;
	const char *zone;
	char zone_buf[DNS_NAME_TEXT_MAX];
	struct dh_addr ns;
	uint64_t limit;
	/* Working state. */
	struct nshist *h;
	struct nshist_db *db;
	struct store_findings *ft;
	struct nshist_find *find;
	struct dh_buf out;
	struct dh_time_cache tc;
	uint64_t counts[4], events, new_findings, raised_findings;
	double last_save;
	int err;
};

static int parse_seconds(const char *opt, const char *text, int64_t *ns)
{
	double s;

	if (dh_conf_seconds(text, &s) != 0 || s < 0 || s > 1e9) {
		cli_err("%s: '%s' is not a duration (\"2\", \"1.5s\", \"1h\")", opt, text);
		return -1;
	}
	*ns = (int64_t)(s * 1e9);
	return 0;
}

static int parse_args(struct run *r, int argc, char **argv, int *first_file)
{
	static const struct option opts[] = {
	    {"store", required_argument, NULL, 'S'},
	    {"history", required_argument, NULL, O_HISTORY},
	    {"config", required_argument, NULL, O_CONFIG},
	    {"format", required_argument, NULL, 'f'},
	    {"glue-window", required_argument, NULL, O_GLUE},
	    {"grace", required_argument, NULL, O_GRACE},
	    {"no-referrals", no_argument, NULL, O_NOREF},
	    {"no-answers", no_argument, NULL, O_NOANS},
	    {"all", no_argument, NULL, O_ALL},
	    {"zone", required_argument, NULL, O_ZONE},
	    {"ns", required_argument, NULL, O_NS},
	    {"limit", required_argument, NULL, O_LIMIT},
	    {"json", no_argument, NULL, 'j'},
	    {"suspicious", no_argument, NULL, O_SUSP},
	    {"no-learn", no_argument, NULL, O_NOLEARN},
	    {"no-save", no_argument, NULL, O_NOSAVE},
	    {"no-findings", no_argument, NULL, O_NOFIND},
	    {"local", required_argument, NULL, O_LOCAL},
	    {"public-resolver", required_argument, NULL, O_PUBLIC},
	    {"allow", required_argument, NULL, O_ALLOW},
	    {"allow-file", required_argument, NULL, O_ALLOWF},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    CLI_SOURCE_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	/* Options given on the command line win over the config file, so
	 * they are applied after it: kept here first. */
	int64_t glue = -1, grace = -1;
	int noref = 0, noans = 0, c;
	const char *config = NULL;
	char err[512];

	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			r->dir = optarg;
			break;
		case O_HISTORY:
			r->history = optarg;
			break;
		case O_CONFIG:
			config = optarg;
			break;
		case 'f':
			r->format = optarg;
			break;
		case O_GLUE:
			if (parse_seconds("--glue-window", optarg, &glue) != 0)
				return -1;
			break;
		case O_GRACE:
			if (parse_seconds("--grace", optarg, &grace) != 0)
				return -1;
			break;
		case O_NOREF:
			noref = 1;
			break;
		case O_NOANS:
			noans = 1;
			break;
		case O_ALL:
			r->all = 1;
			break;
		case O_ZONE: {
			size_t n = strlen(optarg);
			if (n == 0 || n + 2 > sizeof(r->zone_buf)) {
				cli_err("--zone: '%s' is not a zone name", optarg);
				return -1;
			}
			for (size_t i = 0; i < n; i++)
				r->zone_buf[i] =
				    (char)(optarg[i] >= 'A' && optarg[i] <= 'Z' ? optarg[i] + 32
				                                                : optarg[i]);
			if (r->zone_buf[n - 1] != '.')
				r->zone_buf[n++] = '.';
			r->zone_buf[n] = '\0';
			r->zone = r->zone_buf;
			break;
		}
		case O_NS:
			if (dh_addr_parse(&r->ns, optarg) != 0) {
				cli_err("--ns: '%s' is not an address", optarg);
				return -1;
			}
			break;
		case O_LIMIT:
			if (cli_parse_count("--limit", optarg, UINT64_MAX, &r->limit) != 0)
				return -1;
			break;
		case 'j':
			r->json = 1;
			break;
		case O_SUSP:
			r->suspicious = 1;
			break;
		case O_NOLEARN:
			r->learn = 0;
			break;
		case O_NOSAVE:
			r->save = 0;
			break;
		case O_NOFIND:
			r->findings = 0;
			break;
		case O_LOCAL:
			if (dh_allow_add_net(r->o.local, optarg) != 0) {
				cli_err("--local: '%s' is not an address or network", optarg);
				return -1;
			}
			break;
		case O_PUBLIC:
			if (nshist_opts_public(&r->o, optarg) != 0) {
				cli_err("--public-resolver: '%s' is not an address or network",
				        optarg);
				return -1;
			}
			break;
		case O_ALLOW:
			if (dh_allow_add(r->o.allow, optarg) != 0) {
				cli_err("--allow: '%s' is not an address, network or name", optarg);
				return -1;
			}
			break;
		case O_ALLOWF: {
			unsigned line = 0;
			int e = dh_allow_add_file(r->o.allow, optarg, &line);
			if (e != 0) {
				if (line)
					cli_err("%s:%u: not an address, network or name", optarg,
					        line);
				else
					cli_err("%s: %s", optarg, dh_strerror(e));
				return -1;
			}
			break;
		}
		case 'q':
			r->quiet = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default: {
			int k = cli_source_option(c, optarg, &r->sopt);
			if (k == 1)
				break;
			if (k == 0)
				fputs(usage, stderr);
			return -1;
		}
		}
	}
	if (config) {
		int e = dh_conf_parse_file(config, nshist_opts_conf, &r->o, err, sizeof(err));
		if (e != 0) {
			cli_err("%s", err);
			return -1;
		}
	}
	if (glue >= 0)
		r->o.hist.glue_window_ns = glue;
	if (grace >= 0)
		r->o.hist.grace_ns = grace;
	if (noref)
		r->o.hist.referrals = 0;
	if (noans)
		r->o.hist.answers = 0;
	/* The resolvers of the capture options are the network's own. */
	for (unsigned i = 0; i < r->sopt.nresolvers; i++) {
		char a[DH_ADDR_TEXT_MAX];
		dh_addr_format(&r->sopt.resolvers[i], a, sizeof(a));
		if (nshist_opts_resolver(&r->o, a) != 0)
			return -1;
	}
	r->dir = cli_store_dir(r->dir);
	if (!r->history) {
		int k = snprintf(r->history_buf, sizeof(r->history_buf), "%s/nshist.db", r->dir);
		if (k < 0 || (size_t)k >= sizeof(r->history_buf)) {
			cli_err("%s: path too long", r->dir);
			return -1;
		}
		r->history = r->history_buf;
	}
	*first_file = optind;
	return 0;
}

/* Opens the history file and loads it. create: make the store directory
 * and the file when missing. */
static int open_history(struct run *r, int create)
{
	int e;

	if (create && !r->history_buf[0]) {
		/* An explicit --history: its directory is the user's. */
	} else if (create && mkdir(r->dir, 0777) != 0 && errno != EEXIST) {
		cli_err("%s: %s", r->dir, strerror(errno));
		return -1;
	}
	e = nshist_new(&r->h, &r->o.hist);
	if (e != 0) {
		cli_err("out of memory");
		return -1;
	}
	e = nshist_db_open(&r->db, r->history, create);
	if (e == -ENOENT && !create)
		return 0; /* no history yet: everything is unknown */
	if (e != 0) {
		cli_err("%s: cannot open the history: %s", r->history, dh_strerror(e));
		return -1;
	}
	e = nshist_db_load(r->db, r->h);
	if (e != 0) {
		cli_err("%s: cannot load the history: %s", r->history, dh_strerror(e));
		return -1;
	}
	return 0;
}

static int save_history(struct run *r, uint64_t *written)
{
	int e;

	if (!r->db) {
		e = nshist_db_open(&r->db, r->history, 1);
		if (e != 0) {
			cli_err("%s: cannot create the history: %s", r->history, dh_strerror(e));
			return -1;
		}
	}
	e = nshist_db_save(r->db, r->h, written);
	if (e != 0) {
		cli_err("%s: cannot save the history: %s", r->history, dh_strerror(e));
		return -1;
	}
	return 0;
}

/* Reads every event of the files given, in order, into fn. Queries and
 * responses are not paired here: the history keeps its own recent
 * queries (seed 003's query_DB), for a fraction of the pairing's cost. */
static int each_file_event(struct run *r, int argc, char **argv, int first,
                           int (*fn)(void *ctx, const struct ev_event *ev), void *ctx)
{
	struct cli_bad bad = {0};
	struct ev_event *ev = malloc(sizeof(*ev));
	int rc = 0;

	r->sopt.on_bad = cli_bad_report;
	r->sopt.on_bad_ctx = &bad;
	if (!ev) {
		cli_err("out of memory");
		return -1;
	}
	for (int i = first; i < argc && rc == 0; i++) {
		struct src_reader *sr = NULL;
		int e = src_open(&sr, argv[i], r->format, &r->sopt);
		if (e != 0) {
			cli_err("%s: %s", argv[i],
			        e == DH_EFORMAT ? "not a file this version can read"
			                        : dh_strerror(e));
			rc = -1;
			break;
		}
		ev_clear(ev);
		while ((e = src_next(sr, ev)) == 1) {
			if (fn(ctx, ev) != 0) {
				rc = -1;
				break;
			}
		}
		if (e < 0) {
			cli_err("%s: %s", argv[i], dh_strerror(e));
			rc = -1;
		}
		cli_bad_finish(&bad);
		src_close(sr);
	}
	free(ev);
	return rc;
}

/* ---- build ------------------------------------------------------------------ */

static int learn_one(void *ctx, const struct ev_event *ev)
{
	struct run *r = ctx;
	int e = nshist_learn(r->h, ev);

	r->events++;
	if (e != 0) {
		cli_err("history: %s", dh_strerror(e));
		return e;
	}
	return 0;
}

struct store_feed {
	struct run *r;
	int64_t last_ns;
};

static int learn_stored(void *ctx, const struct ev_event *ev)
{
	struct store_feed *f = ctx;

	if (ev->ts_ns > f->last_ns)
		f->last_ns = ev->ts_ns;
	return learn_one(f->r, ev);
}

static void print_stats(const struct run *r, const char *what, uint64_t written)
{
	struct nshist_stats st;

	nshist_stats(r->h, &st);
	fprintf(stderr,
	        "nshist %s: %llu events, %llu responses; %llu NS records used, %llu ignored (zone "
	        "not above the query); glue: %llu additional, %llu from a later answer, %llu out "
	        "of bailiwick, %llu NS names without an address; history: %llu NS rows, %llu "
	        "answer rows, %llu addresses, %.1f MB in memory; %llu rows written\n",
	        what, (unsigned long long)r->events, (unsigned long long)st.responses,
	        (unsigned long long)st.ns_records, (unsigned long long)st.ns_ignored,
	        (unsigned long long)st.glue_additional, (unsigned long long)st.glue_later,
	        (unsigned long long)st.glue_out_of_bailiwick, (unsigned long long)st.glue_missing,
	        (unsigned long long)st.ns_rows, (unsigned long long)st.answer_rows,
	        (unsigned long long)st.addresses, (double)st.bytes / 1e6,
	        (unsigned long long)written);
}

static int do_build(struct run *r, int argc, char **argv, int first)
{
	uint64_t written = 0;
	int e;

	if (open_history(r, 1) != 0)
		return CLI_EXIT_RUNTIME;
	if (first < argc) {
		if (each_file_event(r, argc, argv, first, learn_one, r) != 0)
			return CLI_EXIT_RUNTIME;
	} else {
		/* From the store: what was ingested since the last build, from
		 * a glue window before its end so that a wait cut by the last
		 * build is not lost (seen twice, it merges). */
		struct store *s = NULL;
		struct store_query q;
		struct store_feed f = {r, INT64_MIN};
		int64_t mark = INT64_MIN;

		e = store_open(&s, r->dir, STORE_READONLY);
		if (e != 0) {
			cli_err("%s: cannot open the store: %s", r->dir, dh_strerror(e));
			return CLI_EXIT_RUNTIME;
		}
		memset(&q, 0, sizeof(q));
		q.since_ns = INT64_MIN;
		q.until_ns = INT64_MAX;
		if (!r->all && nshist_db_meta_get(r->db, "store_until_ns", &mark) == 0)
			q.since_ns = mark - r->o.hist.glue_window_ns;
		e = store_query_run(s, &q, learn_stored, &f);
		store_close(s);
		if (e != 0) {
			cli_err("%s: %s", r->dir, dh_strerror(e));
			return CLI_EXIT_RUNTIME;
		}
		if (f.last_ns > mark &&
		    nshist_db_meta_set(r->db, "store_until_ns", f.last_ns) != 0) {
			cli_err("%s: cannot record the position", r->history);
			return CLI_EXIT_RUNTIME;
		}
	}
	if ((e = nshist_settle(r->h, INT64_MAX)) != 0) {
		cli_err("history: %s", dh_strerror(e));
		return CLI_EXIT_RUNTIME;
	}
	if (save_history(r, &written) != 0)
		return CLI_EXIT_RUNTIME;
	if (!r->quiet)
		print_stats(r, "build", written);
	return CLI_EXIT_OK;
}

/* ---- show -------------------------------------------------------------------- */

static void add_ms(struct dh_buf *b, int64_t ns)
{
	if (ns < 0)
		dh_buf_addc(b, '-');
	else
		dh_buf_addi(b, ns / 1000000);
}

static void row_json(struct dh_buf *b, const struct nshist_ns *row, int with_id)
{
	char a[DH_ADDR_TEXT_MAX];
	size_t n;

	dh_buf_addc(b, '{');
	if (with_id) {
		dh_buf_adds(b, "\"table\":\"nshist_ns\",\"id\":");
		dh_buf_addi(b, row->id);
		dh_buf_addc(b, ',');
	}
	dh_buf_adds(b, "\"querytime\":");
	if (row->query_ns >= 0)
		dh_buf_addi(b, row->query_ns / 1000000);
	else
		dh_buf_adds(b, "null");
	dh_buf_adds(b, ",\"queryid\":");
	dh_buf_addu(b, row->query_id);
	dh_buf_adds(b, ",\"queryname\":");
	dh_buf_add_json_str(b, row->qname ? row->qname : "", row->qname ? strlen(row->qname) : 0);
	char tb[16];
	dh_buf_adds(b, ",\"qtype\":\"");
	dh_buf_adds(b, dns_type_name(row->qtype, tb, sizeof(tb)));
	dh_buf_adds(b, "\",\"res_time\":");
	dh_buf_addi(b, row->res_ns / 1000000);
	dh_buf_adds(b, ",\"zname\":");
	dh_buf_add_json_str(b, row->zname, strlen(row->zname));
	dh_buf_adds(b, ",\"nsttl\":");
	dh_buf_addu(b, row->nsttl);
	dh_buf_adds(b, ",\"nsfqdn\":");
	dh_buf_add_json_str(b, row->nsfqdn, strlen(row->nsfqdn));
	if (row->glue.family == DH_AF_NONE) {
		dh_buf_adds(b, ",\"glue_ttl\":null,\"glue\":null");
	} else {
		n = dh_addr_format(&row->glue, a, sizeof(a));
		dh_buf_adds(b, row->glue.family == DH_AF_INET ? ",\"glue_type\":\"A\""
		                                              : ",\"glue_type\":\"AAAA\"");
		dh_buf_adds(b, ",\"glue_ttl\":");
		dh_buf_addu(b, row->glue_ttl);
		dh_buf_adds(b, ",\"glue\":");
		dh_buf_add_json_str(b, a, n);
	}
	dh_buf_adds(b, ",\"glue_src\":\"");
	dh_buf_adds(b, nshist_src_name(row->src));
	dh_buf_adds(b, "\",\"first_seen\":");
	dh_buf_addi(b, row->first_ns / 1000000);
	dh_buf_adds(b, ",\"last_seen\":");
	dh_buf_addi(b, row->last_ns / 1000000);
	dh_buf_addc(b, '}');
}

static int show_row(void *ctx, const struct nshist_ns *row)
{
	struct run *r = ctx;
	struct dh_buf *b = &r->out;
	char a[DH_ADDR_TEXT_MAX], tb[16];

	if (r->json) {
		row_json(b, row, 0);
		dh_buf_addc(b, '\n');
	} else {
		/* Seed 003 Table 1: querytime queryid queryname res_time zname
		 * nsttl nsfqdn glueAttl glueA; the query name carries its
		 * type unless it is A (section 3.2). */
		add_ms(b, row->query_ns);
		dh_buf_addc(b, ' ');
		if (row->query_ns >= 0)
			dh_buf_addu(b, row->query_id);
		else
			dh_buf_addc(b, '-');
		dh_buf_addc(b, ' ');
		dh_buf_adds(b, row->qname && row->qname[0] ? row->qname : "-");
		if (row->qname && row->qname[0] && row->qtype != DNS_T_A) {
			dh_buf_addc(b, '/');
			dh_buf_adds(b, dns_type_name(row->qtype, tb, sizeof(tb)));
		}
		dh_buf_addc(b, ' ');
		add_ms(b, row->res_ns);
		dh_buf_addf(b, " %s %u %s ", row->zname, row->nsttl, row->nsfqdn);
		if (row->glue.family == DH_AF_NONE) {
			dh_buf_adds(b, "- -");
		} else {
			dh_addr_format(&row->glue, a, sizeof(a));
			dh_buf_addf(b, "%u %s", row->glue_ttl, a);
		}
		dh_buf_addc(b, ' ');
		add_ms(b, row->first_ns);
		dh_buf_addc(b, ' ');
		add_ms(b, row->last_ns);
		dh_buf_addf(b, " %s\n", nshist_src_name(row->src));
	}
	if (b->len >= OUT_FLUSH && cli_flush_out(b) != 0)
		return -EIO;
	return 0;
}

static int do_show(struct run *r)
{
	struct nshist_db_filter f;
	int e = nshist_db_open(&r->db, r->history, 0);

	if (e != 0) {
		cli_err("%s: %s", r->history,
		        e == -ENOENT ? "no history (run 'dnshound nshist build' first)"
		                     : dh_strerror(e));
		return CLI_EXIT_RUNTIME;
	}
	memset(&f, 0, sizeof(f));
	f.zone = r->zone;
	f.addr = r->ns;
	f.limit = r->limit;
	if (!r->json)
		dh_buf_adds(&r->out, "querytime queryid queryname res_time zname nsttl nsfqdn "
		                     "glueAttl glueA first_seen last_seen glue_src\n");
	e = nshist_db_list(r->db, &f, show_row, r);
	if (e != 0 && e != -EIO)
		cli_err("%s: %s", r->history, dh_strerror(e));
	if (cli_flush_out(&r->out) != 0 || e != 0)
		return CLI_EXIT_RUNTIME;
	return CLI_EXIT_OK;
}

/* ---- check ------------------------------------------------------------------- */

static void answer_json(struct dh_buf *b, const struct nshist_answer *a)
{
	char t[DH_ADDR_TEXT_MAX];
	size_t n = dh_addr_format(&a->addr, t, sizeof(t));

	dh_buf_adds(b, "{\"table\":\"nshist_answer\",\"id\":");
	dh_buf_addi(b, a->id);
	dh_buf_adds(b, ",\"addr\":");
	dh_buf_add_json_str(b, t, n);
	dh_buf_adds(b, ",\"qname\":");
	dh_buf_add_json_str(b, a->qname, strlen(a->qname));
	dh_buf_adds(b, ",\"ttl\":");
	dh_buf_addu(b, a->ttl);
	dh_buf_adds(b, ",\"first_seen\":");
	dh_buf_addi(b, a->first_ns / 1000000);
	dh_buf_adds(b, ",\"last_seen\":");
	dh_buf_addi(b, a->last_ns / 1000000);
	dh_buf_addc(b, '}');
}

static void verdict_line(struct run *r, const struct ev_event *ev, const struct nshist_why *w)
{
	struct dh_buf *b = &r->out;
	char ts[DH_TIME_TEXT_MAX], c[DH_ADDR_TEXT_MAX], s[DH_ADDR_TEXT_MAX], tb[16];
	const char *verdict = nshist_verdict_name(w->verdict);
	const char *type = dns_type_name(ev->msg.qtype, tb, sizeof(tb));

	dh_time_format_cached(&r->tc, ev->ts_ns, ts, sizeof(ts));
	size_t cn = dh_addr_format(&ev->src, c, sizeof(c));
	size_t sn = dh_addr_format(&ev->dst, s, sizeof(s));
	if (r->json) {
		dh_buf_adds(b, "{\"ts\":\"");
		dh_buf_adds(b, ts);
		dh_buf_adds(b, "\",\"client\":");
		dh_buf_add_json_str(b, c, cn);
		dh_buf_adds(b, ",\"server\":");
		dh_buf_add_json_str(b, s, sn);
		dh_buf_adds(b, ",\"qname\":");
		dh_buf_add_json_str(b, ev->msg.qname, ev->msg.qname_len);
		dh_buf_adds(b, ",\"qtype\":\"");
		dh_buf_adds(b, type);
		dh_buf_adds(b, "\",\"verdict\":\"");
		dh_buf_adds(b, verdict);
		dh_buf_adds(b, "\",\"row\":");
		if (w->ns)
			row_json(b, w->ns, 1);
		else if (w->answer)
			answer_json(b, w->answer);
		else
			dh_buf_adds(b, "null");
		if (w->expired)
			dh_buf_adds(b, ",\"expired\":true");
		if (w->later)
			dh_buf_adds(b, ",\"learned_after\":true");
		dh_buf_adds(b, "}\n");
		return;
	}
	/* The seed's monitor: "<address> is registered glueA record" or
	 * "<address> is unknown" (seed 003 section 5), with the query. */
	dh_buf_addf(b, "%s %s -> %s %s %s: %s is %s", ts, c, s, ev->msg.qname, type, s,
	            w->verdict == NSHIST_REGISTERED ? "registered glue" : verdict);
	if (w->verdict == NSHIST_REGISTERED && w->ns)
		dh_buf_addf(b, " (%s NS %s)", w->ns->zname, w->ns->nsfqdn);
	else if (w->answer)
		dh_buf_addf(b, " (A answer for %s%s)", w->answer->qname,
		            w->later ? ", learned after the query" : "");
	else if (w->ns)
		dh_buf_addf(b, " (%s NS %s, %s)", w->ns->zname, w->ns->nsfqdn,
		            w->expired ? "glue expired" : "learned after the query");
	dh_buf_addc(b, '\n');
}

static int put_finding(void *ctx, const struct store_finding *f)
{
	struct run *r = ctx;
	int k = store_findings_put(r->ft, f, (int64_t)(cli_now() * 1e9));

	if (k < 0) {
		cli_err("%s: findings: %s", r->dir, dh_strerror(k));
		return k;
	}
	if (k == STORE_FINDING_NEW || k == STORE_FINDING_RAISED) {
		struct dh_buf b;
		dh_buf_init(&b);
		store_finding_json(f, &b);
		dh_buf_addc(&b, '\0');
		if (!b.err && !r->quiet)
			fprintf(stderr, "dnshound: %s finding: %s\n",
			        k == STORE_FINDING_NEW ? "new" : "raised", b.data);
		dh_buf_release(&b);
		if (k == STORE_FINDING_NEW)
			r->new_findings++;
		else
			r->raised_findings++;
	}
	return 0;
}

static int check_event(void *ctx, const struct ev_event *ev)
{
	struct run *r = ctx;
	struct nshist_why why;
	int e;

	r->events++;
	if (nshist_classify(r->h, &r->o, ev, &why)) {
		r->counts[why.verdict & 3]++;
		if (!r->suspicious || why.verdict == NSHIST_INDIRECT ||
		    why.verdict == NSHIST_UNKNOWN)
			verdict_line(r, ev, &why);
		if (r->find && (e = nshist_find_add(r->find, ev, &why)) < 0) {
			cli_err("findings: %s", dh_strerror(e));
			return e;
		}
		if (r->out.len >= OUT_FLUSH && cli_flush_out(&r->out) != 0)
			return -EIO;
	}
	/* The query is judged first: what its own response teaches comes
	 * after it. */
	if (r->learn && (e = nshist_learn(r->h, ev)) != 0) {
		cli_err("history: %s", dh_strerror(e));
		return e;
	}
	return 0;
}

/* Output, findings and (now and then) the history, for the live loops'
 * idle moments and the end of a run. */
static int check_idle(void *ctx)
{
	struct run *r = ctx;

	if (cli_flush_out(&r->out) != 0)
		return -EIO;
	if (r->find && nshist_find_flush(r->find, put_finding, r) != 0)
		return -1;
	if (r->learn && r->save && cli_now() - r->last_save >= SAVE_SECONDS) {
		if (save_history(r, NULL) != 0)
			return -1;
		r->last_save = cli_now();
	}
	return 0;
}

static int do_check(struct run *r, int argc, char **argv, int first)
{
	int live = first > 0 && strcmp(argv[first - 1], "--") == 0, rc = CLI_EXIT_OK, e;
	uint64_t written = 0;

	if (first >= argc) {
		cli_err("nshist check: no input (FILE..., or -- capture|listen|follow ...)");
		fputs(usage, stderr);
		return CLI_EXIT_USAGE;
	}
	if (open_history(r, 0) != 0)
		return CLI_EXIT_RUNTIME;
	if (r->findings) {
		/* Findings need the store's catalog; a check may be the first
		 * command to use the directory. */
		if (mkdir(r->dir, 0777) != 0 && errno != EEXIST) {
			cli_err("%s: %s", r->dir, strerror(errno));
			return CLI_EXIT_RUNTIME;
		}
		e = store_findings_open(&r->ft, r->dir, 1);
		if (e == 0)
			e = nshist_find_new(&r->find, &r->o);
		if (e != 0) {
			cli_err("%s: cannot open the findings table: %s", r->dir, dh_strerror(e));
			return CLI_EXIT_RUNTIME;
		}
	}
	dh_time_cache_init(&r->tc);
	r->last_save = cli_now();
	if (live) {
		struct cli_event_hook sink = {check_event, r, check_idle};
		const char *what = argv[first];
		int n = argc - first;
		if (strcmp(what, "capture") == 0)
			rc = cli_capture_run(n, argv + first, &sink);
		else if (strcmp(what, "listen") == 0)
			rc = cli_listen_run(n, argv + first, &sink);
		else if (strcmp(what, "follow") == 0)
			rc = cli_follow_run(n, argv + first, 0, &sink);
		else {
			cli_err(
			    "nshist check: after '--' comes capture, listen or follow, not '%s'",
			    what);
			return CLI_EXIT_USAGE;
		}
	} else {
		if (each_file_event(r, argc, argv, first, check_event, r) != 0)
			rc = CLI_EXIT_RUNTIME;
		if (rc == CLI_EXIT_OK && check_idle(r) != 0)
			rc = CLI_EXIT_RUNTIME;
	}
	if (r->learn && nshist_settle(r->h, INT64_MAX) != 0)
		rc = CLI_EXIT_RUNTIME;
	if (r->learn && r->save && save_history(r, &written) != 0)
		rc = CLI_EXIT_RUNTIME;
	if (!r->quiet) {
		fprintf(
		    stderr,
		    "nshist check: %llu queries checked: %llu resolver, %llu registered, %llu "
		    "indirect, %llu unknown; findings: %llu new, %llu raised\n",
		    (unsigned long long)(r->counts[0] + r->counts[1] + r->counts[2] + r->counts[3]),
		    (unsigned long long)r->counts[0], (unsigned long long)r->counts[1],
		    (unsigned long long)r->counts[2], (unsigned long long)r->counts[3],
		    (unsigned long long)r->new_findings, (unsigned long long)r->raised_findings);
		if (r->learn)
			print_stats(r, "check", written);
	}
	return rc;
}

int cmd_nshist(int argc, char **argv)
{
	struct run r;
	int first = 0, rc, k;

	memset(&r, 0, sizeof(r));
	r.format = "auto";
	r.learn = r.save = r.findings = 1;
	dh_buf_init(&r.out);
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	r.sub = argv[1];
	if (strcmp(r.sub, "build") != 0 && strcmp(r.sub, "show") != 0 &&
	    strcmp(r.sub, "check") != 0) {
		cli_err("nshist: unknown subcommand '%s' (build, show, check)", r.sub);
		fputs(usage, stderr);
		return CLI_EXIT_USAGE;
	}
	if (nshist_opts_init(&r.o) != 0) {
		cli_err("out of memory");
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}
	k = parse_args(&r, argc - 1, argv + 1, &first);
	if (k != 0) {
		rc = k > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
		goto out;
	}
	first += 1; /* an index into argv, not argv + 1 */
	if (strcmp(r.sub, "show") == 0) {
		if (first < argc) {
			cli_err("nshist show: unexpected argument '%s'", argv[first]);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		rc = do_show(&r);
	} else if (strcmp(r.sub, "build") == 0) {
		rc = do_build(&r, argc, argv, first);
	} else {
		rc = do_check(&r, argc, argv, first);
	}
out:
	if (r.out.err)
		rc = CLI_EXIT_RUNTIME;
	nshist_find_free(r.find);
	store_findings_close(r.ft);
	nshist_db_close(r.db);
	nshist_free(r.h);
	nshist_opts_release(&r.o);
	dh_buf_release(&r.out);
	return rc;
}
