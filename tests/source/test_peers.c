/*
 * test_peers.c - the text-log sources against other projects' logs and
 * expectations (DH_PEERS_DIR; skipped with exit code 77 when absent):
 *   - fail2ban's named-refused: BIND lines of many versions, each with
 *     the time and client address fail2ban must find;
 *   - the iodine tunnel's dnsmasq log: every query, forwarded and reply
 *     line becomes the right event, with the client, upstream and type
 *     the line names;
 *   - Zeek's dns.log baselines: each record checked against its own
 *     columns, read independently here;
 *   - Suricata-verify's EVE expectations: the full records among the
 *     test.yaml "match" blocks are turned back into EVE lines and the
 *     events compared with the expected values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source/logsrc.h"
#include "source/source.h"
#include "util/err.h"
#include "util/timefmt.h"
#include "wire/dns_text.h"

static const char *peers;
static char tmpdir[256];
static struct ev_event ev;

static long num(const char *s)
{
	return strtol(s, NULL, 10);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
			buf[n] = '\0';
			*len = (size_t)n;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

static void addr_text(const struct dh_addr *a, char *buf)
{
	dh_addr_format(a, buf, DH_ADDR_TEXT_MAX);
}

/* Lower-cased name with a trailing dot, as the sources write it. */
static void norm_name(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; in[i] && o + 2 < cap; i++)
		out[o++] = (char)tolower((unsigned char)in[i]);
	if (o == 0 || out[o - 1] != '.')
		out[o++] = '.';
	out[o] = '\0';
}

static int bad_count;

static void count_bad(void *ctx, const char *path, const char *where, int err)
{
	(void)ctx;
	(void)path;
	print_message("bad line: %s: %s\n", where, dh_strerror(err));
	bad_count++;
}

/* ---- fail2ban ------------------------------------------------------- */

static void test_fail2ban(void **state)
{
	char path[1024];
	size_t len;
	unsigned checked = 0;
	(void)state;

	snprintf(path, sizeof(path), "%s/fail2ban_fail2ban/fail2ban/tests/files/logs/named-refused",
	         peers);
	char *text = slurp(path, &len);
	if (!text)
		skip();
	char expect[512] = "";
	char *p = text;
	while (p && *p) {
		char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char line[2048];
		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		p = nl ? nl + 1 : NULL;
		if (strncmp(line, "# failJSON:", 11) == 0) {
			snprintf(expect, sizeof(expect), "%.*s", (int)sizeof(expect) - 1, line);
			continue;
		}
		if (line[0] == '#' || line[0] == '\0' || expect[0] == '\0')
			continue;
		/* {"time": "2005-07-24T14:16:55", "match": true, "host": "..."} */
		char host[64] = "", when[32] = "";
		const char *h = strstr(expect, "\"host\"");
		const char *t = strstr(expect, "\"time\"");
		assert_non_null(h);
		assert_int_equal(sscanf(strchr(h + 6, '"'), "\"%63[^\"]", host), 1);
		if (t)
			assert_int_equal(sscanf(strchr(t + 6, '"'), "\"%31[^\"]", when), 1);
		expect[0] = '\0';

		struct src_options opt;
		int64_t ts = 0;
		void *ctx;
		memset(&opt, 0, sizeof(opt));
		opt.on_bad = count_bad;
		if (when[0]) {
			assert_int_equal(dh_time_parse(when, &ts), 0);
			opt.default_year = num(when);
		}
		bad_count = 0;
		assert_int_equal(
		    logsrc_open_mem(&ctx, (const uint8_t *)line, strlen(line), "bind", &opt), 0);
		print_message("fail2ban: %s\n", line);
		if (strstr(line, "bad zone transfer request")) {
			/* A refused transfer without the QTYPE: not a query. */
			assert_int_equal(logsrc_next(ctx, &ev), 0);
			assert_int_equal(bad_count, 0);
			logsrc_close(ctx);
			continue;
		}
		assert_int_equal(logsrc_next(ctx, &ev), 1);
		char a[DH_ADDR_TEXT_MAX];
		addr_text(&ev.src, a);
		assert_string_equal(a, host);
		if (when[0]) /* fail2ban keeps whole seconds */
			assert_int_equal(ev.ts_ns / 1000000000, ts / 1000000000);
		assert_int_equal(ev.msg.has_question, 1);
		/* And the REFUSED response to the same client. */
		assert_int_equal(logsrc_next(ctx, &ev), 1);
		addr_text(&ev.dst, a);
		assert_string_equal(a, host);
		assert_int_equal(dns_msg_rcode(&ev.msg), 5);
		assert_int_equal(logsrc_next(ctx, &ev), 0);
		assert_int_equal(bad_count, 0);
		logsrc_close(ctx);
		checked++;
	}
	free(text);
	print_message("fail2ban: %u lines checked\n", checked);
	assert_true(checked >= 12);
}

/* ---- iodine dnsmasq log --------------------------------------------- */

static void test_iodine(void **state)
{
	char path[1024], cap_path[1024];
	size_t len, cap_len;
	struct src_reader *r;
	struct src_options opt;
	struct src_stats st;
	unsigned queries = 0, fwd = 0, replies = 0, unprintable = 0;
	const char *qline;
	(void)state;

	snprintf(path, sizeof(path),
	         "%s/Korving-F_iodine-log-analysis/.circleci/images/dns_server/example-logs/"
	         "dnsmasq.log",
	         peers);
	snprintf(cap_path, sizeof(cap_path),
	         "%s/Korving-F_iodine-log-analysis/.circleci/images/dns_server/example-logs/"
	         "tshark.capture",
	         peers);
	char *text = slurp(path, &len);
	char *capture = slurp(cap_path, &cap_len);
	if (!text || !capture)
		skip();
	/* tshark's capture is of another run of the same tunnel: it shares
	 * the domain only, every name in it ends in example.attack. */
	assert_non_null(strstr(capture, ".example.attack\n"));
	qline = text;
	memset(&opt, 0, sizeof(opt));
	opt.on_bad = count_bad;
	opt.default_year = 2020;
	bad_count = 0;
	assert_int_equal(src_open(&r, path, "auto", &opt), 0);
	assert_string_equal(src_format(r), "dnsmasq");
	while (src_next(r, &ev) == 1) {
		char a[DH_ADDR_TEXT_MAX];
		if (ev.role == EV_ROLE_CLIENT_QUERY) {
			/* The type in brackets on the next query line of the file. */
			char type[16] = "";
			uint16_t t;
			qline = strstr(qline, "query[");
			assert_non_null(qline);
			assert_int_equal(sscanf(qline, "query[%15[^]]", type), 1);
			qline += 6;
			assert_int_equal(dns_type_parse(type, &t), 0);
			assert_int_equal(ev.msg.qtype, t);
			queries++;
			addr_text(&ev.src, a);
			assert_string_equal(a, "172.18.0.3");
			if (!ev.msg.has_question) {
				unprintable++;
				continue;
			}
			assert_true(strstr(ev.msg.qname, ".example.attack.") != NULL);
			for (const char *c = ev.msg.qname; *c; c++)
				assert_false(*c >= 'A' && *c <= 'Z');
		} else if (ev.role == EV_ROLE_FORWARDER_QUERY) {
			fwd++;
			addr_text(&ev.dst, a);
			assert_string_equal(a, "172.18.0.2");
		} else {
			assert_int_equal(ev.role, EV_ROLE_CLIENT_RESPONSE);
			replies++;
		}
	}
	src_stats(r, &st);
	src_close(r);
	/* Every query line of the file, counted independently. */
	unsigned lines_q = 0, lines_f = 0, lines_r = 0;
	for (const char *q = text; (q = strstr(q, "]: ")) != NULL; q++) {
		lines_q += strncmp(q + 3, "query[", 6) == 0;
		lines_f += strncmp(q + 3, "forwarded ", 10) == 0;
		lines_r += strncmp(q + 3, "reply ", 6) == 0;
	}
	print_message("iodine: %u queries (%u unprintable), %u forwarded, %u replies\n", queries,
	              unprintable, fwd, replies);
	assert_int_equal(queries, lines_q);
	assert_int_equal(fwd, lines_f);
	assert_int_equal(replies, lines_r);
	assert_true(queries > 10);
	assert_int_equal(bad_count, 0);
	assert_int_equal(st.malformed, 0);
	free(text);
	free(capture);
}

/* ---- Zeek baselines ------------------------------------------------- */

/* Splits s by c into at most max fields (in place). */
static int split(char *s, char c, char **f, int max)
{
	int n = 0;
	while (n < max) {
		f[n++] = s;
		char *e = strchr(s, c);
		if (!e)
			break;
		*e = '\0';
		s = e + 1;
	}
	return n;
}

static int col_of(char **names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

static unsigned zeek_file(const char *path)
{
	size_t len;
	char *text = slurp(path, &len);
	char *fields_line = NULL;
	char out[512];
	unsigned records = 0;

	assert_non_null(text);
	if (!strstr(text, "#fields\tts\t")) {
		free(text);
		return 0;
	}
	/* The btest canonifier masks times; put one back. */
	for (char *x = text; (x = strstr(x, "XXXXXXXXXX.XXXXXX")) != NULL; x += 17)
		memcpy(x, "1700000000.000000", 17);
	snprintf(out, sizeof(out), "%s/dns.log", tmpdir);
	FILE *f = fopen(out, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);

	struct src_reader *r;
	struct src_options opt;
	memset(&opt, 0, sizeof(opt));
	opt.on_bad = count_bad;
	bad_count = 0;
	assert_int_equal(src_open(&r, out, "auto", &opt), 0);
	assert_string_equal(src_format(r), "zeek");

	char *names[64];
	int ncols = 0;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, "#fields\t", 8) == 0) {
			fields_line = line + 8;
			ncols = split(fields_line, '\t', names, 64);
			continue;
		}
		if (line[0] == '#' || !fields_line)
			continue;
		char *v[64];
		int nv = split(line, '\t', v, 64);
		assert_int_equal(nv, ncols);
		const char *query = v[col_of(names, ncols, "query")];
		const char *orig = v[col_of(names, ncols, "id.orig_h")];
		const char *resp = v[col_of(names, ncols, "id.resp_h")];
		const char *rtt = v[col_of(names, ncols, "rtt")];
		const char *rcode = v[col_of(names, ncols, "rcode")];
		const char *qtype = v[col_of(names, ncols, "qtype")];
		const char *answers = v[col_of(names, ncols, "answers")];
		unsigned id = (unsigned)num(v[col_of(names, ncols, "trans_id")]);
		int has_rcode = strcmp(rcode, "-") != 0;
		int want_query = !has_rcode || strcmp(rtt, "-") != 0;
		unsigned nans = 0;
		if (strcmp(answers, "-") != 0) {
			nans = 1;
			for (const char *c = answers; *c; c++)
				nans += *c == ',';
		}
		char a[DH_ADDR_TEXT_MAX], q[DNS_NAME_TEXT_MAX];
		print_message("zeek %s: %s %s\n", path + strlen(peers), query, rcode);
		for (int k = 0; k < 2; k++) {
			if (k == 0 && !want_query)
				continue;
			if (k == 1 && !has_rcode)
				continue;
			assert_int_equal(src_next(r, &ev), 1);
			assert_int_equal(ev.msg.id, id);
			assert_int_equal(dns_msg_is_response(&ev.msg), k);
			addr_text(k ? &ev.dst : &ev.src, a);
			assert_string_equal(a, orig);
			addr_text(k ? &ev.src : &ev.dst, a);
			assert_string_equal(a, resp);
			if (strcmp(query, "-") != 0 && !strchr(query, '\\')) {
				norm_name(query, q, sizeof(q));
				assert_string_equal(ev.msg.qname, q);
			}
			if (strcmp(qtype, "-") != 0)
				assert_int_equal(ev.msg.qtype, num(qtype));
			if (k == 1) {
				assert_int_equal(dns_msg_rcode(&ev.msg), (unsigned)num(rcode));
				assert_int_equal(ev.msg.ancount, nans);
			}
		}
		records++;
	}
	assert_int_equal(src_next(r, &ev), 0);
	assert_int_equal(bad_count, 0);
	src_close(r);
	unlink(out);
	free(text);
	return records;
}

static void test_zeek(void **state)
{
	char dir[1024], path[2048];
	unsigned files = 0, records = 0;
	(void)state;

	snprintf(dir, sizeof(dir), "%s/zeek_zeek/testing/btest/Baseline", peers);
	DIR *d = opendir(dir);
	if (!d)
		skip();
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/dns.log", dir, e->d_name);
		if (access(path, R_OK) != 0)
			continue;
		unsigned n = zeek_file(path);
		files += n > 0;
		records += n;
	}
	closedir(d);
	print_message("zeek: %u records in %u dns.log baselines\n", records, files);
	assert_true(files >= 15);
}

/* ---- Suricata-verify ------------------------------------------------ */

struct kv {
	char key[128];
	char val[512];
};

static const char *find(const struct kv *kv, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (strcmp(kv[i].key, key) == 0)
			return kv[i].val;
	return NULL;
}

static int is_number_field(const char *f)
{
	static const char *const nums[] = {
	    "ttl",  "serial", "refresh", "retry",   "expire", "minimum",  "priority", "weight",
	    "port", "id",     "tx_id",   "version", "opcode", "src_port", "dest_port"};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if (strcmp(f, nums[i]) == 0)
			return 1;
	return 0;
}

static void json_str(char *out, size_t cap, size_t *o, const char *s)
{
	*o += (size_t)snprintf(out + *o, cap - *o, "\"");
	for (; *s && *o + 4 < cap; s++) {
		if (*s == '"' || *s == '\\')
			out[(*o)++] = '\\';
		out[(*o)++] = *s;
	}
	*o += (size_t)snprintf(out + *o, cap - *o, "\"");
}

static void json_val(char *out, size_t cap, size_t *o, const char *field, const char *v)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
		*o += (size_t)snprintf(out + *o, cap - *o, "%s", v);
	else if (is_number_field(field) && strspn(v, "0123456789") == strlen(v) && *v)
		*o += (size_t)snprintf(out + *o, cap - *o, "%s", v);
	else
		json_str(out, cap, o, v);
}

/* "dns.answers[2].srv.port" -> array "answers", index 2, field "srv.port". */
static int array_key(const char *key, char *arr, int *idx, const char **field)
{
	const char *b = strchr(key, '[');
	if (strncmp(key, "dns.", 4) != 0 || !b || b - key - 4 >= 32)
		return 0;
	snprintf(arr, 32, "%.*s", (int)(b - key - 4), key + 4);
	*idx = num(b + 1);
	const char *dot = strstr(b, "].");
	if (!dot)
		return 0;
	*field = dot + 2;
	return 1;
}

/* Builds an EVE line from the match block; returns its length. */
static size_t build_eve(const struct kv *kv, int n, char *out, size_t cap)
{
	static const char *const arrays[] = {"answers", "queries", "authorities", "additionals"};
	size_t o = 0;

	o += (size_t)snprintf(out, cap,
	                      "{\"timestamp\":\"2020-01-01T00:00:00.000000+0000\",\"event_type\":"
	                      "\"dns\",\"src_ip\":\"%s\",\"dest_ip\":\"%s\",\"src_port\":%s,"
	                      "\"dest_port\":%s,\"proto\":\"%s\",\"dns\":{",
	                      find(kv, n, "src_ip"), find(kv, n, "dest_ip"),
	                      find(kv, n, "src_port") ? find(kv, n, "src_port") : "0",
	                      find(kv, n, "dest_port") ? find(kv, n, "dest_port") : "0",
	                      find(kv, n, "proto") ? find(kv, n, "proto") : "UDP");
	int first = 1;
	for (int i = 0; i < n; i++) {
		const char *k = kv[i].key;
		if (strncmp(k, "dns.", 4) != 0 || strchr(k + 4, '.') || strchr(k, '['))
			continue;
		o += (size_t)snprintf(out + o, cap - o, "%s\"%s\":", first ? "" : ",", k + 4);
		json_val(out, cap, &o, k + 4, kv[i].val);
		first = 0;
	}
	for (size_t a = 0; a < sizeof(arrays) / sizeof(arrays[0]); a++) {
		int max = -1;
		for (int i = 0; i < n; i++) {
			char arr[32];
			int idx;
			const char *field;
			if (array_key(kv[i].key, arr, &idx, &field) &&
			    strcmp(arr, arrays[a]) == 0 && idx > max)
				max = idx;
		}
		if (max < 0)
			continue;
		o += (size_t)snprintf(out + o, cap - o, "%s\"%s\":[", first ? "" : ",", arrays[a]);
		first = 0;
		for (int e = 0; e <= max; e++) {
			o += (size_t)snprintf(out + o, cap - o, "%s{", e ? "," : "");
			int ef = 1;
			char sub[32] = "";
			for (int i = 0; i < n; i++) {
				char arr[32];
				int idx;
				const char *field;
				if (!array_key(kv[i].key, arr, &idx, &field) ||
				    strcmp(arr, arrays[a]) != 0 || idx != e)
					continue;
				const char *dot = strchr(field, '.');
				if (dot) {
					/* One nested object (soa, srv), its members in a row. */
					if (strncmp(sub, field, (size_t)(dot - field)) != 0 ||
					    !sub[0]) {
						if (sub[0])
							o +=
							    (size_t)snprintf(out + o, cap - o, "}");
						snprintf(sub, sizeof(sub), "%.*s",
						         (int)(dot - field), field);
						o +=
						    (size_t)snprintf(out + o, cap - o, "%s\"%s\":{",
						                     ef ? "" : ",", sub);
						ef = 1;
					}
					o += (size_t)snprintf(out + o, cap - o,
					                      "%s\"%s\":", ef ? "" : ",", dot + 1);
					json_val(out, cap, &o, dot + 1, kv[i].val);
					ef = 0;
					continue;
				}
				if (sub[0]) {
					o += (size_t)snprintf(out + o, cap - o, "}");
					sub[0] = '\0';
				}
				o += (size_t)snprintf(out + o, cap - o, "%s\"%s\":", ef ? "" : ",",
				                      field);
				json_val(out, cap, &o, field, kv[i].val);
				ef = 0;
			}
			if (sub[0])
				o += (size_t)snprintf(out + o, cap - o, "}");
			o += (size_t)snprintf(out + o, cap - o, "}");
		}
		o += (size_t)snprintf(out + o, cap - o, "]");
	}
	o += (size_t)snprintf(out + o, cap - o, "}}\n");
	return o;
}

static unsigned eve_check(const struct kv *kv, int n, const char *yaml)
{
	const char *type = find(kv, n, "dns.type");
	const char *et = find(kv, n, "event_type");
	if (!type || !et || strcmp(et, "dns") != 0 || !find(kv, n, "src_ip") ||
	    !find(kv, n, "dest_ip"))
		return 0;
	const char *rrname = find(kv, n, "dns.rrname");
	const char *rrtype = find(kv, n, "dns.rrtype");
	if (!rrname) {
		rrname = find(kv, n, "dns.queries[0].rrname");
		rrtype = find(kv, n, "dns.queries[0].rrtype");
	}
	if (!rrname)
		return 0;
	int response = strcmp(type, "answer") == 0 || strcmp(type, "response") == 0;

	static char line[16384];
	size_t len = build_eve(kv, n, line, sizeof(line));
	struct src_options opt;
	void *ctx;
	memset(&opt, 0, sizeof(opt));
	opt.on_bad = count_bad;
	bad_count = 0;
	print_message("eve %s: %s", yaml, line);
	assert_int_equal(logsrc_open_mem(&ctx, (const uint8_t *)line, len, "eve", &opt), 0);
	assert_int_equal(logsrc_next(ctx, &ev), 1);
	assert_int_equal(bad_count, 0);
	assert_int_equal(dns_msg_is_response(&ev.msg), response);
	if (find(kv, n, "dns.id"))
		assert_int_equal(ev.msg.id, num(find(kv, n, "dns.id")));
	char q[DNS_NAME_TEXT_MAX];
	if (!strchr(rrname, '\\') && strcmp(rrname, "<root>") != 0) {
		norm_name(rrname, q, sizeof(q));
		assert_string_equal(ev.msg.qname, q);
	}
	if (rrtype) {
		uint16_t t;
		if (dns_type_parse(rrtype, &t) == 0)
			assert_int_equal(ev.msg.qtype, t);
	}
	if (find(kv, n, "dns.rcode")) {
		char buf[16];
		assert_string_equal(dns_rcode_name(dns_msg_rcode(&ev.msg), buf, sizeof(buf)),
		                    find(kv, n, "dns.rcode"));
	}
	/* A response goes from the server (the DNS port) to the client. */
	if (response)
		assert_true(ev.sport == 53 || ev.sport == 5353 || ev.sport == 5355 ||
		            ev.dport != 53);
	for (unsigned i = 0; i < ev.msg.rr_count; i++) {
		char key[64];
		const struct dns_rr *rr = &ev.msg.rr[i];
		if (rr->section != DNS_SEC_ANSWER)
			continue;
		snprintf(key, sizeof(key), "dns.answers[%u].rrtype", i);
		const char *t = find(kv, n, key);
		if (!t)
			continue;
		uint16_t tt;
		if (dns_type_parse(t, &tt) == 0)
			assert_int_equal(rr->type, tt);
		snprintf(key, sizeof(key), "dns.answers[%u].ttl", i);
		if (find(kv, n, key))
			assert_int_equal(rr->ttl, num(find(kv, n, key)));
		snprintf(key, sizeof(key), "dns.answers[%u].rdata", i);
		const char *rd = find(kv, n, key);
		if (rd && (rr->type == DNS_T_A || rr->type == DNS_T_AAAA))
			assert_string_equal(rr->data_text, rd);
		else if (rd && rr->type == DNS_T_CNAME) {
			norm_name(rd, q, sizeof(q));
			assert_string_equal(rr->data_text, q);
		}
	}
	logsrc_close(ctx);
	return 1;
}

static unsigned eve_yaml(const char *path)
{
	size_t len;
	char *text = slurp(path, &len);
	static struct kv kv[128];
	int n = 0, in_match = 0;
	unsigned checked = 0;

	if (!text)
		return 0;
	for (char *line = text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *s = line + strspn(line, " ");
		if (strncmp(s, "- filter:", 9) == 0 || (!in_match && n > 0) || !next) {
			if (n > 0)
				checked += eve_check(kv, n, path + strlen(peers));
			n = 0;
			in_match = 0;
		}
		if (strncmp(s, "match:", 6) == 0) {
			in_match = 1;
			n = 0;
			continue;
		}
		if (!in_match)
			continue;
		char *colon = strstr(s, ": ");
		if (!colon || s == line || *s == '-') {
			in_match = strchr(s, ':') && s > line ? in_match : 0;
			if (!colon)
				continue;
		}
		if (n >= 128)
			continue;
		snprintf(kv[n].key, sizeof(kv[n].key), "%.*s", (int)(colon - s), s);
		char *v = colon + 2;
		size_t vl = strlen(v);
		if (vl >= 2 && (v[0] == '\'' || v[0] == '"') && v[vl - 1] == v[0]) {
			v++;
			vl -= 2;
		}
		snprintf(kv[n].val, sizeof(kv[n].val), "%.*s", (int)vl, v);
		n++;
	}
	free(text);
	return checked;
}

static unsigned eve_walk(const char *dir, int depth)
{
	char path[2048];
	unsigned checked = 0;
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth < 4)
			checked += eve_walk(path, depth + 1);
		else if (strcmp(e->d_name, "test.yaml") == 0 && strstr(path, "dns"))
			checked += eve_yaml(path);
	}
	closedir(d);
	return checked;
}

static void test_eve(void **state)
{
	char dir[1024];
	(void)state;

	snprintf(dir, sizeof(dir), "%s/OISF_suricata-verify/tests", peers);
	if (access(dir, R_OK) != 0)
		skip();
	unsigned n = eve_walk(dir, 0);
	print_message("eve: %u records rebuilt from test.yaml and checked\n", n);
	assert_true(n >= 50);
}

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/dh_peers_XXXXXX", t && *t ? t : P_tmpdir);
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	rmdir(tmpdir);
	return 0;
}

int main(void)
{
	struct stat st;

	peers = getenv("DH_PEERS_DIR");
	if (!peers || !*peers || stat(peers, &st) != 0 || !S_ISDIR(st.st_mode)) {
		printf("skipped: DH_PEERS_DIR is not set or not a directory\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fail2ban),
	    cmocka_unit_test(test_iodine),
	    cmocka_unit_test(test_zeek),
	    cmocka_unit_test(test_eve),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
