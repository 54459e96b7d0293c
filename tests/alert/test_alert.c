/*
 * test_alert.c - the alert layer: defaults and checks of the
 * configuration, the block-list text for both families and both tools,
 * a mail whose finding tries to add headers, and the hook run through a
 * real /bin/sh with hostile evidence, a failing command and one that
 * hangs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "alert/alert.h"
#include "alert/alert_int.h"
#include "util/buf.h"
#include "util/err.h"

#define SEC (1000000000LL)

static void mk(struct store_finding *f, const char *host, unsigned level, const char *kind,
               const char *evidence)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(dh_addr_parse(&f->host, host), 0);
	f->level = level;
	snprintf(f->kind, sizeof(f->kind), "%s", kind);
	f->window_start_ns = 1795305600LL * SEC;
	f->window_end_ns = f->window_start_ns + 86400 * SEC;
	f->score = 12345;
	f->evidence = evidence;
}

static void test_config(void **state)
{
	struct alert_config cfg;
	struct alert *a = NULL;

	alert_config_init(&cfg);
	assert_int_equal(cfg.min_level, STORE_LEVEL_CANDIDATE);
	assert_int_equal(cfg.block_level, STORE_LEVEL_EMERGENCY);
	assert_int_equal(cfg.block_timeout_s, 3600);
	assert_string_equal(cfg.nft_table, "dnshound");
	assert_int_equal(alert_new(&a, &cfg), 0);
	alert_free(a);
	alert_free(NULL);

	cfg.nft_table = "x; flush ruleset";
	assert_int_equal(alert_new(&a, &cfg), DH_EUSAGE);
	assert_null(a);
	cfg.nft_table = "dnshound";
	cfg.nft_family = "bridge";
	assert_int_equal(alert_new(&a, &cfg), DH_EUSAGE);
	cfg.nft_family = "inet";
	cfg.mail_to = "-oQ/tmp/x@example.org";
	assert_int_equal(alert_new(&a, &cfg), DH_EUSAGE);
	cfg.mail_to = "ops@example.org\nBcc: evil@example.net";
	assert_int_equal(alert_new(&a, &cfg), DH_EUSAGE);
	cfg.mail_to = "ops+dns@example.org";
	assert_int_equal(alert_new(&a, &cfg), 0);
	alert_free(a);
}

static void test_block_text(void **state)
{
	struct alert_config cfg;
	struct dh_addr h4, h6;
	struct dh_buf b;

	alert_config_init(&cfg);
	cfg.block = ALERT_BLOCK_NFT;
	cfg.block_timeout_s = 2;
	dh_addr_parse(&h4, "192.0.2.7");
	dh_addr_parse(&h6, "2001:db8::7");
	dh_buf_init(&b);
	alert_block_setup(&cfg, &b);
	alert_block_host(&cfg, &h4, &b);
	alert_block_host(&cfg, &h6, &b);
	dh_buf_addc(&b, '\0');
	assert_int_equal(b.err, 0);
	assert_non_null(strstr(b.data, "add set inet dnshound blocked4 { type ipv4_addr; flags "
	                               "timeout; }\n"));
	assert_non_null(strstr(b.data, "add set inet dnshound blocked6 { type ipv6_addr;"));
	assert_non_null(strstr(b.data, "add rule inet dnshound input ip saddr @blocked4 drop\n"));
	assert_non_null(
	    strstr(b.data, "add rule inet dnshound forward ip6 saddr @blocked6 drop\n"));
	assert_non_null(strstr(b.data,
	                       "add element inet dnshound blocked4 { 192.0.2.7 timeout 2s }\n"
	                       "# undo: nft delete element inet dnshound blocked4 { "
	                       "192.0.2.7 }\n"));
	assert_non_null(
	    strstr(b.data, "add element inet dnshound blocked6 { 2001:db8::7 timeout 2s }"));

	/* A v6 host in an ip table is said to be unblockable, not added. */
	b.len = 0;
	cfg.nft_family = "ip";
	alert_block_host(&cfg, &h6, &b);
	dh_buf_addc(&b, '\0');
	assert_int_equal(strncmp(b.data, "# 2001:db8::7: not an address", 29), 0);

	b.len = 0;
	cfg.block = ALERT_BLOCK_IPTABLES;
	alert_block_setup(&cfg, &b);
	assert_int_equal(b.len, 0);
	alert_block_host(&cfg, &h4, &b);
	alert_block_host(&cfg, &h6, &b);
	dh_buf_addc(&b, '\0');
	assert_string_equal(
	    b.data,
	    "iptables -I INPUT -s 192.0.2.7 -m comment --comment dnshound -j DROP\n"
	    "# undo: iptables -D INPUT -s 192.0.2.7 -m comment --comment dnshound -j DROP\n"
	    "iptables -I FORWARD -s 192.0.2.7 -m comment --comment dnshound -j DROP\n"
	    "# undo: iptables -D FORWARD -s 192.0.2.7 -m comment --comment dnshound -j DROP\n"
	    "ip6tables -I INPUT -s 2001:db8::7 -m comment --comment dnshound -j DROP\n"
	    "# undo: ip6tables -D INPUT -s 2001:db8::7 -m comment --comment dnshound -j DROP\n"
	    "ip6tables -I FORWARD -s 2001:db8::7 -m comment --comment dnshound -j DROP\n"
	    "# undo: ip6tables -D FORWARD -s 2001:db8::7 -m comment --comment dnshound -j DROP\n");
	/* Only lines of our own shape are ever run. */
	assert_int_equal(alert_block_apply(&cfg, "rm -rf /\n", 9), DH_EUSAGE);
	dh_buf_release(&b);
}

/* The kind and the evidence try to end the header block; every header
 * line must still be one of ours and every line short. */
static void test_mail_headers(void **state)
{
	struct store_finding f;
	struct dh_buf json, msg;
	static const char *const ours[] = {"To: ",
	                                   "Subject: ",
	                                   "Date: ",
	                                   "Auto-Submitted: ",
	                                   "X-Dnshound-Level: ",
	                                   "X-Dnshound-Kind: ",
	                                   "X-Dnshound-Host: ",
	                                   "MIME-Version: ",
	                                   "Content-Type: ",
	                                   "Content-Transfer-Encoding: "};

	mk(&f, "198.51.100.9", STORE_LEVEL_WARNING, "x\r\nBcc: evil@example.net", NULL);
	dh_buf_init(&json);
	dh_buf_init(&msg);
	dh_buf_adds(&json, "{\"evidence\":\"a\\r\\n\\r\\nBcc: x=y ");
	for (int i = 0; i < 300; i++)
		dh_buf_addc(&json, 'n');
	dh_buf_adds(&json, "\"}");
	alert__mail_message("ops@example.org", &f, json.data, json.len, 1795305600, &msg);
	dh_buf_addc(&msg, '\0');
	assert_int_equal(msg.err, 0);
	char *p = msg.data;
	int in_headers = 1, headers = 0;
	while (*p) {
		char *nl = strchr(p, '\n');
		assert_non_null(nl);
		size_t len = (size_t)(nl - p);
		assert_true(len <= 76);
		assert_null(memchr(p, '\r', len));
		if (in_headers && len == 0) {
			in_headers = 0;
		} else if (in_headers) {
			int known = 0;
			for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
				known |= strncmp(p, ours[i], strlen(ours[i])) == 0;
			assert_true(known);
			headers++;
		}
		p = nl + 1;
	}
	assert_int_equal(headers, 10);
	assert_non_null(strstr(msg.data, "Subject: dnshound warning: x??Bcc?"));
	assert_non_null(strstr(msg.data, "Date: Sun, 22 Nov 2026 00:00:00 +0000\n"));
	/* '=' is encoded, lines are soft-broken. */
	assert_non_null(strstr(msg.data, "x=3Dy"));
	assert_non_null(strstr(msg.data, "=\nnnn"));
	dh_buf_release(&json);
	dh_buf_release(&msg);
}

static char scratch[200];

static int setup_dir(void **state)
{
	const char *t = getenv("TMPDIR");
	snprintf(scratch, sizeof(scratch), "%s/dh-alert-XXXXXX", t && *t ? t : ".");
	assert_non_null(mkdtemp(scratch));
	return 0;
}

static int teardown_dir(void **state)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
	return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	char *buf = calloc(1, 1 << 16);
	*n = fread(buf, 1, (1 << 16) - 1, fp);
	fclose(fp);
	return buf;
}

/* The hook is a real shell command; the evidence holds shell syntax that
 * would create a file if it ever reached a shell's command line. */
static void test_hook(void **state)
{
	struct alert_config cfg;
	struct alert *a = NULL;
	struct store_finding f;
	struct dh_buf out, want;
	char cmd[600], path[300], pwned[300];
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/hook.out", scratch);
	snprintf(pwned, sizeof(pwned), "%s/PWNED", scratch);
	snprintf(cmd, sizeof(cmd), "cat >> '%s'", path);
	char evidence[1400];
	snprintf(evidence, sizeof(evidence),
	         "{\"names\":[\"$(touch %s)\",\"`touch %s`\",\"'; touch %s; '\"]}", pwned, pwned,
	         pwned);
	alert_config_init(&cfg);
	cfg.hook = cmd;
	cfg.min_level = STORE_LEVEL_WARNING;
	assert_int_equal(alert_new(&a, &cfg), 0);
	dh_buf_init(&out);
	dh_buf_init(&want);
	mk(&f, "2001:db8::66", STORE_LEVEL_CANDIDATE, "dga", evidence);
	assert_int_equal(alert_emit(a, &f, &out), 0); /* below min_level */
	mk(&f, "2001:db8::66", STORE_LEVEL_WARNING, "dga", evidence);
	assert_int_equal(alert_emit(a, &f, &out), 0);
	mk(&f, "192.0.2.1", STORE_LEVEL_EMERGENCY, "spam-mx", "{\"mx\":20000}");
	assert_int_equal(alert_emit(a, &f, &out), 0);
	assert_int_equal(out.len, 0);

	mk(&f, "2001:db8::66", STORE_LEVEL_WARNING, "dga", evidence);
	store_finding_json(&f, &want);
	dh_buf_addc(&want, '\n');
	mk(&f, "192.0.2.1", STORE_LEVEL_EMERGENCY, "spam-mx", "{\"mx\":20000}");
	store_finding_json(&f, &want);
	dh_buf_addc(&want, '\n');
	char *got = slurp(path, &n);
	assert_non_null(got);
	assert_int_equal(n, want.len);
	assert_memory_equal(got, want.data, n);
	free(got);
	assert_int_equal(access(pwned, F_OK), -1);

	struct alert_stats st;
	alert_get_stats(a, &st);
	assert_int_equal(st.findings, 2);
	assert_int_equal(st.hooks_run, 2);
	assert_int_equal(st.hook_failures, 0);
	alert_free(a);

	/* A failing hook is an error for the caller to report. */
	cfg.hook = "exit 3";
	assert_int_equal(alert_new(&a, &cfg), 0);
	assert_int_equal(alert_emit(a, &f, &out), -ECHILD);
	alert_get_stats(a, &st);
	assert_int_equal(st.hook_failures, 1);
	alert_free(a);
	dh_buf_release(&out);
	dh_buf_release(&want);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A hook that hangs is killed with the shell's children, and one that
 * reads nothing of a large input neither blocks nor kills us. */
static void test_hook_limits(void **state)
{
	double t0 = now_s();
	assert_int_equal(alert__run_hook("sleep 30; echo late", "x\n", 2, 300), -ETIMEDOUT);
	assert_true(now_s() - t0 < 5);

	size_t n = 1 << 20;
	char *big = malloc(n);
	memset(big, 'a', n);
	assert_int_equal(alert__run_hook("exit 0", big, n, 5000), 0);
	assert_int_equal(alert__run_hook("head -c 10 > /dev/null", big, n, 5000), 0);
	assert_int_equal(alert__run_hook("wc -c > /dev/null", big, n, 5000), 0);
	free(big);
	char *argv[] = {(char *)"/nonexistent/dnshound-sendmail", NULL};
	assert_int_equal(alert__run(argv, "", 0, 1000), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config),
	    cmocka_unit_test(test_block_text),
	    cmocka_unit_test(test_mail_headers),
	    cmocka_unit_test_setup_teardown(test_hook, setup_dir, teardown_dir),
	    cmocka_unit_test(test_hook_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
