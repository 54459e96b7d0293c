/*
 * test_agent_http.c - the agent's HTTPS server and client over real TLS on
 * loopback, with certificates made at test time (mkcerts.sh, GnuTLS's
 * certtool): a peer with a good certificate is served; no certificate,
 * another CA's, an expired and a not-yet-valid one reach the handler as
 * unverified, with the reason; a client that does not trust the server's
 * CA, or pins another key, or offers only TLS 1.2, gets no answer at all;
 * oversized bodies get 413; deadlines and refused connections are told
 * apart; a reload swaps the server's certificate while a request is in
 * flight, and that request is answered.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>

#include "agent/agent_cert.h"
#include "agent/agent_http.h"
#include "util/buf.h"
#include "util/err.h"

static char dir[2048];

static void path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* The handler answers what it saw; with "sleep" in the body it first
 * waits 400 ms (a slow request). */
static void handler(void *ctx, const struct agent_http_request *req,
                    struct agent_http_response *resp)
{
	if (req->too_large) {
		resp->status = 413;
		dh_buf_addf(&resp->body, "{\"too_large\":%zu}", req->too_large);
		return;
	}
	if (strstr(req->body, "sleep")) {
		struct timespec ts = {0, 400 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	resp->status = req->peer->verified ? 200 : 403;
	dh_buf_addf(&resp->body, "{\"present\":%d,\"verified\":%d,\"why\":", req->peer->present,
	            req->peer->verified);
	dh_buf_add_json_str(&resp->body, req->peer->why, strlen(req->peer->why));
	dh_buf_adds(&resp->body, ",\"cn\":");
	dh_buf_add_json_str(&resp->body, req->peer->cn, strlen(req->peer->cn));
	dh_buf_addf(&resp->body, ",\"fp\":\"%s\",\"path\":", req->peer->fingerprint);
	dh_buf_add_json_str(&resp->body, req->path, strlen(req->path));
	dh_buf_addf(&resp->body, ",\"len\":%zu,\"remote4\":%d}", req->len,
	            req->remote.family == 4 || req->remote.family == 6);
}

static int group_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	const char *src = getenv("DH_SOURCE_ROOT");
	char cmd[8192];
	snprintf(dir, sizeof(dir), "%s/dnshound-tls-XXXXXX", tmp && *tmp ? tmp : ".");
	if (!mkdtemp(dir))
		return -1;
	snprintf(cmd, sizeof(cmd), "bash '%s/tests/agent/mkcerts.sh' '%s'", src ? src : "..", dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "mkcerts.sh failed (is certtool from gnutls-bin installed?)\n");
		return -1;
	}
	return sodium_init() < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
	char cmd[8192];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void server_cfg(struct agent_http_config *c, char bufs[3][4096], const char *cert,
                       const char *key)
{
	memset(c, 0, sizeof(*c));
	path(bufs[0], 4096, cert);
	path(bufs[1], 4096, key);
	path(bufs[2], 4096, "ca.pem");
	c->listen = "127.0.0.1";
	c->cert_file = bufs[0];
	c->key_file = bufs[1];
	c->ca_file = bufs[2];
	c->threads = 4;
	c->max_body = 1024;
}

static struct agent_http *start(void)
{
	struct agent_http_config c;
	char bufs[3][4096], err[512];
	struct agent_http *h = NULL;
	server_cfg(&c, bufs, "server.pem", "server.key");
	int rc = agent_http_start(&h, &c, handler, NULL, err, sizeof(err));
	if (rc)
		fail_msg("agent_http_start: %d %s", rc, err);
	assert_true(agent_http_port(h) > 0);
	return h;
}

static struct agent_client *client(const char *who, const char *ca, const char *pin)
{
	char cert[4096], key[4096], cafile[4096], n[64];
	struct agent_client_config cc = {0};
	struct agent_client *c = NULL;
	snprintf(n, sizeof(n), "%s.pem", who);
	path(cert, sizeof(cert), n);
	snprintf(n, sizeof(n), "%s.key", who);
	path(key, sizeof(key), n);
	path(cafile, sizeof(cafile), ca);
	cc.cert_file = cert;
	cc.key_file = key;
	cc.ca_file = cafile;
	cc.pin = pin;
	assert_int_equal(agent_client_new(&c, &cc), 0);
	return c;
}

static void url(char *buf, size_t len, struct agent_http *h, const char *host)
{
	snprintf(buf, len, "https://%s:%u/v1/trace", host, agent_http_port(h));
}

/* POSTs body as who; returns agent_client_post()'s code, status and answer in out. */
static int post(struct agent_http *h, const char *who, const char *ca, const char *pin,
                const char *body, unsigned timeout_ms, unsigned *status, struct dh_buf *out)
{
	char u[256], err[512];
	struct agent_client *c = client(who, ca, pin);
	url(u, sizeof(u), h, "localhost");
	dh_buf_init(out);
	int rc =
	    agent_client_post(c, u, body, strlen(body), timeout_ms, status, out, err, sizeof(err));
	dh_buf_addc(out, 0);
	agent_client_free(c);
	return rc;
}

static void fingerprint(const char *name, char hex[65])
{
	char p[4096];
	gnutls_datum_t d;
	gnutls_x509_crt_t crt;
	unsigned char fp[32];
	size_t n = sizeof(fp);
	path(p, sizeof(p), name);
	assert_int_equal(gnutls_load_file(p, &d), 0);
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM), 0);
	assert_int_equal(gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp, &n), 0);
	sodium_bin2hex(hex, 65, fp, 32);
	gnutls_x509_crt_deinit(crt);
	gnutls_free(d.data);
}

/* "sha256//BASE64" of the certificate's public key, as curl pins it. */
static void pin_of(const char *name, char *out, size_t len)
{
	char p[4096];
	gnutls_datum_t d, spki;
	gnutls_x509_crt_t crt;
	gnutls_pubkey_t pk;
	unsigned char h[32];
	path(p, sizeof(p), name);
	assert_int_equal(gnutls_load_file(p, &d), 0);
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM), 0);
	assert_int_equal(gnutls_pubkey_init(&pk), 0);
	assert_int_equal(gnutls_pubkey_import_x509(pk, crt, 0), 0);
	assert_int_equal(gnutls_pubkey_export2(pk, GNUTLS_X509_FMT_DER, &spki), 0);
	crypto_hash_sha256(h, spki.data, spki.size);
	int n = snprintf(out, len, "sha256//");
	sodium_bin2base64(out + n, len - (size_t)n, h, 32, sodium_base64_VARIANT_ORIGINAL);
	gnutls_free(spki.data);
	gnutls_pubkey_deinit(pk);
	gnutls_x509_crt_deinit(crt);
	gnutls_free(d.data);
}

static void test_mutual_ok(void **state)
{
	struct agent_http *h = start();
	struct dh_buf out;
	unsigned status = 0;
	char fp[65], want[128];
	fingerprint("client.pem", fp);
	assert_int_equal(post(h, "client", "ca.pem", NULL, "{\"v\":1}", 5000, &status, &out), 0);
	assert_int_equal(status, 200);
	assert_non_null(strstr(out.data, "\"verified\":1"));
	assert_non_null(strstr(out.data, "\"cn\":\"resolver-a.example\""));
	assert_non_null(strstr(out.data, "\"path\":\"/v1/trace\""));
	assert_non_null(strstr(out.data, "\"len\":7"));
	snprintf(want, sizeof(want), "\"fp\":\"%s\"", fp);
	assert_non_null(strstr(out.data, want));
	dh_buf_release(&out);
	agent_http_stop(h);
}

static void expect_refused(struct agent_http *h, const char *who, const char *why)
{
	struct dh_buf out;
	unsigned status = 0;
	assert_int_equal(post(h, who, "ca.pem", NULL, "{}", 5000, &status, &out), 0);
	assert_int_equal(status, 403);
	assert_non_null(strstr(out.data, "\"present\":1,\"verified\":0"));
	if (!strstr(out.data, why))
		fail_msg("%s: expected '%s' in %s", who, why, out.data);
	dh_buf_release(&out);
}

static size_t curl_sink(char *p, size_t size, size_t n, void *ud)
{
	dh_buf_add(ud, p, size * n);
	return size * n;
}

static void test_refusals(void **state)
{
	struct agent_http *h = start();
	expect_refused(h, "stranger", "not issued by a trusted CA");
	expect_refused(h, "expired", "expired");
	expect_refused(h, "future", "not yet valid");

	/* No client certificate at all: curl by hand, since the agent's
	 * client always presents one. */
	char u[256], ca[4096];
	struct dh_buf out;
	long code = 0;
	url(u, sizeof(u), h, "localhost");
	path(ca, sizeof(ca), "ca.pem");
	dh_buf_init(&out);
	CURL *e = curl_easy_init();
	curl_easy_setopt(e, CURLOPT_URL, u);
	curl_easy_setopt(e, CURLOPT_CAINFO, ca);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, "{}");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, curl_sink);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 5000L);
	assert_int_equal(curl_easy_perform(e), CURLE_OK);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	dh_buf_addc(&out, 0);
	assert_int_equal(code, 403);
	assert_non_null(strstr(out.data, "\"present\":0,\"verified\":0,\"why\":\"no client "
	                                 "certificate\""));

	/* TLS 1.2 and below are not spoken. */
	curl_easy_setopt(e, CURLOPT_SSLVERSION,
	                 (long)(CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2));
	assert_int_not_equal(curl_easy_perform(e), CURLE_OK);
	curl_easy_cleanup(e);
	dh_buf_release(&out);
	agent_http_stop(h);
}

static void test_server_auth(void **state)
{
	struct agent_http *h = start();
	struct dh_buf out;
	unsigned status = 0;
	char pin[128], pin2[128];
	/* A client that does not trust the server's CA sends nothing. */
	assert_int_equal(post(h, "client", "other-ca.pem", NULL, "{}", 5000, &status, &out),
	                 -EACCES);
	assert_int_equal(status, 0);
	dh_buf_release(&out);
	/* Pinned keys: the right one passes, another fails. */
	pin_of("server.pem", pin, sizeof(pin));
	pin_of("server2.pem", pin2, sizeof(pin2));
	assert_int_equal(post(h, "client", "ca.pem", pin, "{}", 5000, &status, &out), 0);
	assert_int_equal(status, 200);
	dh_buf_release(&out);
	assert_int_equal(post(h, "client", "ca.pem", pin2, "{}", 5000, &status, &out), -EACCES);
	dh_buf_release(&out);
	agent_http_stop(h);
}

static void test_limits_and_errors(void **state)
{
	struct agent_http *h = start();
	struct dh_buf out;
	unsigned status = 0;
	char big[4096], u[256], err[256];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(post(h, "client", "ca.pem", NULL, big, 5000, &status, &out), 0);
	assert_int_equal(status, 413);
	assert_non_null(strstr(out.data, "\"too_large\":4095"));
	dh_buf_release(&out);

	assert_int_equal(post(h, "client", "ca.pem", NULL, "sleep", 100, &status, &out),
	                 -ETIMEDOUT);
	dh_buf_release(&out);

	struct agent_client *c = client("client", "ca.pem", NULL);
	dh_buf_init(&out);
	assert_int_equal(agent_client_post(c, "http://localhost/v1", "{}", 2, 1000, &status, &out,
	                                   err, sizeof(err)),
	                 DH_EUSAGE);
	uint16_t port = agent_http_port(h);
	agent_http_stop(h);
	snprintf(u, sizeof(u), "https://127.0.0.1:%u/v1/trace", port);
	assert_int_equal(agent_client_post(c, u, "{}", 2, 1000, &status, &out, err, sizeof(err)),
	                 -ECONNREFUSED);
	assert_true(strlen(err) > 0);
	agent_client_free(c);
	dh_buf_release(&out);
}

struct slow {
	struct agent_http *h;
	int rc;
	unsigned status;
};

static void *slow_request(void *arg)
{
	struct slow *s = arg;
	struct dh_buf out;
	s->rc = post(s->h, "client", "ca.pem", NULL, "sleep", 5000, &s->status, &out);
	dh_buf_release(&out);
	return NULL;
}

static void test_reload(void **state)
{
	struct agent_http *h = start();
	struct agent_http_config c;
	char bufs[3][4096], err[512], pin2[128];
	struct dh_buf out;
	unsigned status = 0;
	pthread_t th;
	struct slow s = {h, -1, 0};
	pin_of("server2.pem", pin2, sizeof(pin2));
	assert_int_equal(post(h, "client", "ca.pem", pin2, "{}", 5000, &status, &out), -EACCES);
	dh_buf_release(&out);

	assert_int_equal(pthread_create(&th, NULL, slow_request, &s), 0);
	struct timespec ts = {0, 150 * 1000 * 1000};
	nanosleep(&ts, NULL); /* the slow request is in the handler now */
	server_cfg(&c, bufs, "server2.pem", "server2.key");
	assert_int_equal(agent_http_reload(h, &c, 3000, err, sizeof(err)), 0);
	pthread_join(th, NULL);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.status, 200);

	/* New connections see the new certificate. */
	assert_int_equal(post(h, "client", "ca.pem", pin2, "{}", 5000, &status, &out), 0);
	assert_int_equal(status, 200);
	dh_buf_release(&out);

	/* A reload with a broken key leaves the server as it was. */
	server_cfg(&c, bufs, "server2.pem", "ca.pem");
	assert_int_not_equal(agent_http_reload(h, &c, 1000, err, sizeof(err)), 0);
	assert_true(strlen(err) > 0);
	assert_int_equal(post(h, "client", "ca.pem", pin2, "{}", 5000, &status, &out), 0);
	assert_int_equal(status, 200);
	dh_buf_release(&out);
	agent_http_stop(h);
}

struct many {
	struct agent_client *c;
	const char *url;
	unsigned ok;
};

static void *many_requests(void *arg)
{
	struct many *m = arg;
	for (unsigned i = 0; i < 25; i++) {
		struct dh_buf out;
		unsigned status = 0;
		char err[256];
		dh_buf_init(&out);
		if (agent_client_post(m->c, m->url, "{}", 2, 5000, &status, &out, err,
		                      sizeof(err)) == 0 &&
		    status == 200)
			m->ok++;
		dh_buf_release(&out);
	}
	return NULL;
}

static void test_concurrent_keepalive(void **state)
{
	struct agent_http *h = start();
	struct agent_client *c = client("client2", "ca.pem", NULL);
	char u[256];
	pthread_t th[4];
	struct many m[4];
	url(u, sizeof(u), h, "localhost");
	for (unsigned i = 0; i < 4; i++) {
		m[i] = (struct many){c, u, 0};
		assert_int_equal(pthread_create(&th[i], NULL, many_requests, &m[i]), 0);
	}
	for (unsigned i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(m[i].ok, 25);
	}
	agent_client_free(c);
	agent_http_stop(h);
}

static void test_bad_config(void **state)
{
	struct agent_http_config c;
	char bufs[3][4096], err[512];
	struct agent_http *h = (struct agent_http *)1;
	server_cfg(&c, bufs, "missing.pem", "server.key");
	assert_int_equal(agent_http_start(&h, &c, handler, NULL, err, sizeof(err)), -ENOENT);
	assert_null(h);
	assert_non_null(strstr(err, "missing.pem"));
	server_cfg(&c, bufs, "server.pem", "server.key");
	c.listen = "not-an-address";
	assert_int_equal(agent_http_start(&h, &c, handler, NULL, err, sizeof(err)), DH_EUSAGE);
	assert_non_null(strstr(err, "not-an-address"));
	agent_http_stop(NULL);
}

/* Certificates made by agent_cert.h serve both ways between two agents. */
static void test_made_certs(void **state)
{
	char ca[4096], cak[4096], a[4096], ak[4096], b[4096], bk[4096], err[512], fp[65], want[128];
	struct agent_http_config c;
	struct agent_http *h = NULL;
	struct agent_client *cl = NULL;
	struct agent_client_config cc = {0};
	struct dh_buf out;
	unsigned status = 0;
	char u[256];
	path(ca, sizeof(ca), "made-ca.pem");
	path(cak, sizeof(cak), "made-ca.key");
	path(a, sizeof(a), "made-a.pem");
	path(ak, sizeof(ak), "made-a.key");
	path(b, sizeof(b), "made-b.pem");
	path(bk, sizeof(bk), "made-b.key");
	assert_int_equal(agent_cert_make_ca("made CA", 2, ca, cak, err, sizeof(err)), 0);
	assert_int_equal(
	    agent_cert_make_agent("a.example", NULL, 2, ca, cak, a, ak, err, sizeof(err)), 0);
	assert_int_equal(
	    agent_cert_make_agent("b.example", "b.example", 2, ca, cak, b, bk, err, sizeof(err)),
	    0);
	assert_int_not_equal(
	    agent_cert_make_agent("x", NULL, 2, "/nonexistent.pem", cak, b, bk, err, sizeof(err)),
	    0);
	memset(&c, 0, sizeof(c));
	c.listen = "127.0.0.1";
	c.cert_file = a;
	c.key_file = ak;
	c.ca_file = ca;
	assert_int_equal(agent_http_start(&h, &c, handler, NULL, err, sizeof(err)), 0);
	cc.cert_file = b;
	cc.key_file = bk;
	cc.ca_file = ca;
	assert_int_equal(agent_client_new(&cl, &cc), 0);
	url(u, sizeof(u), h, "localhost");
	dh_buf_init(&out);
	assert_int_equal(agent_client_post(cl, u, "{}", 2, 5000, &status, &out, err, sizeof(err)),
	                 0);
	dh_buf_addc(&out, 0);
	assert_int_equal(status, 200);
	assert_int_equal(agent_cert_fingerprint(b, fp), 0);
	snprintf(want, sizeof(want), "\"fp\":\"%s\"", fp);
	assert_non_null(strstr(out.data, want));
	assert_non_null(strstr(out.data, "\"cn\":\"b.example\""));
	dh_buf_release(&out);
	agent_client_free(cl);
	agent_http_stop(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mutual_ok),   cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_server_auth), cmocka_unit_test(test_limits_and_errors),
	    cmocka_unit_test(test_reload),      cmocka_unit_test(test_concurrent_keepalive),
	    cmocka_unit_test(test_bad_config),  cmocka_unit_test(test_made_certs),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
