/*
 * cmd_sql.c - "dnshound sql" and "dnshound export": the store through SQL.
 */
#include <getopt.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

static const char sql_usage[] =
    "usage: dnshound sql [options] STATEMENT\n"
    "\n"
    "Runs SQL over the stored events: the table 'events' (columns: see\n"
    "doc/store.md) reads the store's partitions, using its indexes for\n"
    "conditions on ts, qname, src and dst.\n"
    "\n"
    "  --store DIR        store directory (default $DNSHOUND_STORE or ./dnshound.store)\n"
    "  --json             one JSON object per row\n"
    "  --csv              comma-separated values with a header line\n"
    "  -h, --help         this text\n"
    "\n"
    "example: dnshound sql \"SELECT qname, count(*) FROM events GROUP BY 1\n"
    "                      ORDER BY 2 DESC LIMIT 10\"\n";

enum out_mode { OUT_TABLE, OUT_CSV, OUT_JSON };

static void put_csv(struct dh_buf *b, const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		dh_buf_adds(b, s);
		return;
	}
	dh_buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			dh_buf_addc(b, '"');
		dh_buf_addc(b, *s);
	}
	dh_buf_addc(b, '"');
}

static int run_statement(sqlite3 *db, const char *sql, enum out_mode mode)
{
	sqlite3_stmt *st = NULL;
	const char *tail = sql;
	struct dh_buf b;
	int rc = 0;

	dh_buf_init(&b);
	while (tail && *tail) {
		int e = sqlite3_prepare_v2(db, tail, -1, &st, &tail);
		if (e != SQLITE_OK) {
			cli_err("sql: %s", sqlite3_errmsg(db));
			rc = -1;
			goto out;
		}
		if (!st)
			break;
		int ncol = sqlite3_column_count(st), header = 0;
		while ((e = sqlite3_step(st)) == SQLITE_ROW) {
			if (!header && mode != OUT_JSON) {
				for (int i = 0; i < ncol; i++) {
					if (i)
						dh_buf_addc(&b, mode == OUT_CSV ? ',' : '|');
					dh_buf_adds(&b, sqlite3_column_name(st, i));
				}
				dh_buf_addc(&b, '\n');
				header = 1;
			}
			if (mode == OUT_JSON)
				dh_buf_addc(&b, '{');
			for (int i = 0; i < ncol; i++) {
				int type = sqlite3_column_type(st, i);
				const char *v = (const char *)sqlite3_column_text(st, i);
				if (mode == OUT_JSON) {
					if (i)
						dh_buf_addc(&b, ',');
					const char *name = sqlite3_column_name(st, i);
					dh_buf_add_json_str(&b, name, strlen(name));
					dh_buf_addc(&b, ':');
					if (type == SQLITE_NULL)
						dh_buf_adds(&b, "null");
					else if (type == SQLITE_INTEGER || type == SQLITE_FLOAT)
						dh_buf_adds(&b, v);
					else
						dh_buf_add_json_str(&b, v ? v : "",
						                    v ? strlen(v) : 0);
					continue;
				}
				if (i)
					dh_buf_addc(&b, mode == OUT_CSV ? ',' : '|');
				if (type == SQLITE_NULL)
					continue;
				if (mode == OUT_CSV)
					put_csv(&b, v ? v : "");
				else
					dh_buf_adds(&b, v ? v : "");
			}
			dh_buf_adds(&b, mode == OUT_JSON ? "}\n" : "\n");
			if (b.len > (1 << 16)) {
				fwrite(b.data, 1, b.len, stdout);
				b.len = 0;
			}
		}
		if (e != SQLITE_DONE) {
			cli_err("sql: %s", sqlite3_errmsg(db));
			rc = -1;
			goto out;
		}
		sqlite3_finalize(st);
		st = NULL;
	}
out:
	sqlite3_finalize(st);
	if (b.len)
		fwrite(b.data, 1, b.len, stdout);
	dh_buf_release(&b);
	return rc;
}

int cmd_sql(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"store", required_argument, NULL, 'S'},
	    {"json", no_argument, NULL, 'j'},
	    {"csv", no_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir = NULL;
	enum out_mode mode = OUT_TABLE;
	struct store *s = NULL;
	sqlite3 *db = NULL;
	int c, rc = CLI_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			dir = optarg;
			break;
		case 'j':
			mode = OUT_JSON;
			break;
		case 'c':
			mode = OUT_CSV;
			break;
		case 'h':
			fputs(sql_usage, stdout);
			return CLI_EXIT_OK;
		default:
			fputs(sql_usage, stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		cli_err("sql: give exactly one statement (quote it)");
		fputs(sql_usage, stderr);
		return CLI_EXIT_USAGE;
	}
	dir = cli_store_dir(dir);
	int e = store_open(&s, dir, STORE_READONLY);
	if (e != 0) {
		cli_err("%s: cannot open the store: %s", dir, dh_strerror(e));
		return CLI_EXIT_RUNTIME;
	}
	if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
		cli_err("sql: cannot open SQLite");
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}
#ifdef DH_HAVE_STORE_SQL
	e = store_sql_register(s, db);
#else
	e = DH_ENOTFOUND;
#endif
	if (e != 0) {
		cli_err("sql: %s", dh_strerror(e));
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}
	if (run_statement(db, argv[optind], mode) != 0)
		rc = CLI_EXIT_RUNTIME;
	if (fflush(stdout) != 0)
		rc = CLI_EXIT_RUNTIME;
out:
	sqlite3_close(db);
	store_close(s);
	return rc;
}

static const char export_usage[] =
    "usage: dnshound export [options] OUTPUT.sqlite\n"
    "\n"
    "Writes stored events (all, or those matching the filters) into a new\n"
    "SQLite database with an indexed 'events' table, for any SQLite tool.\n"
    "\n"
    "  --store DIR        store directory (default $DNSHOUND_STORE or ./dnshound.store)\n"
    "  --client IP, --server IP, --qname NAME, --since T, --until T\n"
    "                     filters, as for 'dnshound events'\n"
    "  -h, --help         this text\n";

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"store", required_argument, NULL, 'S'},  {"client", required_argument, NULL, 'c'},
	    {"server", required_argument, NULL, 'v'}, {"qname", required_argument, NULL, 'n'},
	    {"since", required_argument, NULL, 's'},  {"until", required_argument, NULL, 'u'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	struct store_query q;
	char qname[DNS_NAME_TEXT_MAX];
	const char *dir = NULL;
	struct store *s = NULL;
	int c;

	memset(&q, 0, sizeof(q));
	q.since_ns = INT64_MIN;
	q.until_ns = INT64_MAX;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			dir = optarg;
			break;
		case 'h':
			fputs(export_usage, stdout);
			return CLI_EXIT_OK;
		default: {
			int k = cli_query_option(c, optarg, &q, qname);
			if (k == 1)
				break;
			if (k == 0)
				fputs(export_usage, stderr);
			return CLI_EXIT_USAGE;
		}
		}
	}
	if (optind != argc - 1) {
		cli_err("export: give the output file");
		fputs(export_usage, stderr);
		return CLI_EXIT_USAGE;
	}
	dir = cli_store_dir(dir);
	int e = store_open(&s, dir, STORE_READONLY);
	if (e != 0) {
		cli_err("%s: cannot open the store: %s", dir, dh_strerror(e));
		return CLI_EXIT_RUNTIME;
	}
#ifdef DH_HAVE_STORE_SQL
	e = store_export_sqlite(s, &q, argv[optind]);
#else
	e = DH_ENOTFOUND;
#endif
	store_close(s);
	if (e != 0) {
		cli_err("%s: export failed: %s", argv[optind], dh_strerror(e));
		return CLI_EXIT_RUNTIME;
	}
	return CLI_EXIT_OK;
}
