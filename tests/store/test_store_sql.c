/*
 * test_store_sql.c - the SQL virtual table, with and without constraints
 * the store's indexes can use, and the export into a plain SQLite file.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "helpers.h"
#include "util/err.h"

#define SEC  1000000000LL
#define HOUR (3600 * SEC)
#define T0   (1795305600LL * SEC) /* 2026-11-22T00:00:00Z */

struct fx {
	char dir[4096];
	struct store *s;
	sqlite3 *db;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	th_tmpdir(f->dir, sizeof(f->dir));
	assert_int_equal(store_open(&f->s, f->dir, STORE_CREATE), 0);
	assert_int_equal(store_set_buffer(f->s, 50), 0);
	struct ev_event ev;
	/* 200 events over two hours: queries from 192.0.2.1..4 to two
	 * servers, every third one a response with an A record. */
	for (int i = 0; i < 200; i++) {
		char client[32];
		snprintf(client, sizeof(client), "192.0.2.%d", 1 + i % 4);
		th_event(&ev, T0 + i * 36 * SEC, i % 5 ? "www.example." : "mail.example.", client,
		         i % 2 ? "198.51.100.53" : "2001:db8::53", i % 3 == 0);
		if (i % 3 == 0)
			th_add_rr(&ev, DNS_SEC_ANSWER, DNS_T_A, 300, ev.msg.qname, "203.0.113.\"7");
		assert_int_equal(store_ingest_add(f->s, &ev), 0);
	}
	assert_int_equal(store_ingest_end(f->s), 0);
	assert_int_equal(sqlite3_open(":memory:", &f->db), SQLITE_OK);
	assert_int_equal(store_sql_register(f->s, f->db), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	sqlite3_close(f->db);
	store_close(f->s);
	th_rmtree(f->dir);
	free(f);
	return 0;
}

static int64_t one_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void one_text(sqlite3 *db, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	const unsigned char *t = sqlite3_column_text(st, 0);
	snprintf(buf, len, "%s", t ? (const char *)t : "(null)");
	sqlite3_finalize(st);
}

static void test_register_null(void **state)
{
	struct fx *f = *state;
	assert_int_equal(store_sql_register(NULL, f->db), DH_EUSAGE);
	assert_int_equal(store_sql_register(f->s, NULL), DH_EUSAGE);
}

static void test_full_scan(void **state)
{
	struct fx *f = *state;
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM events"), 200);
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM dnshound_events"), 200);
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM events WHERE qr = 1"), 67);
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM events WHERE sport = 53"), 67);
	assert_int_equal(one_int(f->db, "SELECT count(DISTINCT client) FROM events"), 4);
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM events WHERE rtt_ns IS NULL"), 133);
	char t[256];
	one_text(f->db, "SELECT qname FROM events GROUP BY 1 ORDER BY count(*) DESC LIMIT 1", t,
	         sizeof(t));
	assert_string_equal(t, "www.example.");
	one_text(f->db, "SELECT time FROM events LIMIT 1", t, sizeof(t));
	assert_string_equal(t, "2026-11-22T00:00:00.000000000Z");
	one_text(f->db,
	         "SELECT role || ' ' || transport || ' ' || qtype || ' ' || qclass FROM events"
	         " LIMIT 1",
	         t, sizeof(t));
	assert_string_equal(t, "client_response udp A IN");
	one_text(f->db, "SELECT answers FROM events WHERE ts = 1795305600000000000", t, sizeof(t));
	assert_string_equal(t, "[{\"name\":\"mail.example.\",\"section\":\"answer\",\"type\":\"A\","
	                       "\"ttl\":300,\"data\":\"203.0.113.\\\"7\"}]");
	assert_int_equal(
	    one_int(f->db, "SELECT json_valid(answers) FROM events WHERE qr = 1 LIMIT 1"), 1);
	one_text(f->db, "SELECT answers FROM events WHERE qr = 0 LIMIT 1", t, sizeof(t));
	assert_string_equal(t, "[]");
}

static void test_index_constraints(void **state)
{
	struct fx *f = *state;
	char sql[512];
	assert_int_equal(
	    one_int(f->db, "SELECT count(*) FROM events WHERE qname = 'mail.example.'"), 40);
	assert_int_equal(
	    one_int(f->db, "SELECT count(*) FROM events WHERE qname = 'nothing.example.'"), 0);
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM events WHERE src = '192.0.2.1'"),
	                 one_int(f->db, "SELECT count(*) FROM events WHERE +src = '192.0.2.1'"));
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM events WHERE dst = '2001:db8::53'"),
	                 one_int(f->db, "SELECT count(*) FROM events WHERE +dst = '2001:db8::53'"));
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM events WHERE client = '192.0.2.2'"),
	                 50);
	assert_int_equal(
	    one_int(f->db, "SELECT count(*) FROM events WHERE server = '198.51.100.53'"), 100);
	/* A value the index cannot use widens the scan, SQLite still filters. */
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM events WHERE src = 'not-an-address'"),
	                 0);
	/* ts ranges: [T0 + 1h, T0 + 1h + 360 s) holds events 100..109. */
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE ts >= %lld AND ts < %lld",
	         (long long)(T0 + HOUR), (long long)(T0 + HOUR + 360 * SEC));
	assert_int_equal(one_int(f->db, sql), 10);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE ts > %lld AND ts <= %lld",
	         (long long)(T0 + HOUR), (long long)(T0 + HOUR + 360 * SEC));
	assert_int_equal(one_int(f->db, sql), 10);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE ts = %lld",
	         (long long)(T0 + 36 * SEC));
	assert_int_equal(one_int(f->db, sql), 1);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM events WHERE qname = 'www.example.' AND ts < %lld"
	         " AND src = '192.0.2.3'",
	         (long long)(T0 + HOUR));
	assert_int_equal(one_int(f->db, sql),
	                 one_int(f->db, "SELECT count(*) FROM (SELECT * FROM events"
	                                " WHERE +qname = 'www.example.' AND +src = '192.0.2.3')"
	                                " WHERE ts < 1795309200000000000"));
	/* Ordered by time without a sort, and in a join. */
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM (SELECT ts, lag(ts) OVER (ORDER BY"
	                                " rowid) AS p FROM events) WHERE p > ts"),
	                 0);
	assert_int_equal(one_int(f->db, "SELECT count(*) FROM events a JOIN events b"
	                                " ON b.qname = a.qname AND b.ts = a.ts"),
	                 200);
}

static void test_create_virtual_table(void **state)
{
	struct fx *f = *state;
	assert_int_equal(sqlite3_exec(f->db,
	                              "CREATE VIRTUAL TABLE temp.ev2 USING dnshound_events(x)",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	assert_int_equal(
	    one_int(f->db, "SELECT count(*) FROM temp.ev2 WHERE qname = 'www.example.'"), 160);
	assert_int_equal(sqlite3_exec(f->db, "DROP TABLE temp.ev2", NULL, NULL, NULL), SQLITE_OK);
}

static void test_export(void **state)
{
	struct fx *f = *state;
	char path[4200];
	snprintf(path, sizeof(path), "%s/export.sqlite", f->dir);
	struct store_query q;
	memset(&q, 0, sizeof(q));
	q.since_ns = T0;
	q.until_ns = T0 + HOUR;
	q.qname = "www.example.";
	assert_int_equal(store_export_sqlite(f->s, &q, path), 0);
	assert_int_equal(store_export_sqlite(f->s, &q, path), DH_EEXIST);
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(one_int(db, "SELECT count(*) FROM events"), 80);
	assert_int_equal(one_int(db, "SELECT count(*) FROM events WHERE qname <> 'www.example.'"),
	                 0);
	assert_int_equal(one_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"), 4);
	assert_int_equal(one_int(db, "SELECT sum(json_array_length(answers)) FROM events"),
	                 one_int(f->db, "SELECT count(*) FROM events WHERE qr = 1 AND ts < "
	                                "1795309200000000000 AND qname = 'www.example.'"));
	sqlite3_close(db);

	/* NULL query: everything. */
	snprintf(path, sizeof(path), "%s/all.sqlite", f->dir);
	assert_int_equal(store_export_sqlite(f->s, NULL, path), 0);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(one_int(db, "SELECT count(*) FROM events"), 200);
	sqlite3_close(db);
	assert_int_equal(store_export_sqlite(NULL, NULL, path), DH_EUSAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_register_null, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_full_scan, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_index_constraints, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_create_virtual_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_export, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
