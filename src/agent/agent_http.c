/*
 * agent_http.c - HTTPS server (libmicrohttpd + GnuTLS) and client
 * (libcurl) with mutual certificate authentication (agent_http.h).
 */
#include "agent/agent_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "util/err.h"

/* TLS 1.3 only (RFC 8446): every cipher suite it has is an AEAD with
 * forward secrecy, and the client's certificate travels encrypted, so an
 * eavesdropper does not even learn which peer asked. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3"

/* A certificate or key file larger than this is not one. */
#define PEM_MAX (1u << 20)

struct server {
	struct MHD_Daemon *d;
	int fd;                /* after quiesce: its listening socket, ours to close */
	char *cert, *key, *ca; /* PEM text, owned: MHD keeps the pointers */
	size_t max_body;
};

struct agent_http {
	int fd; /* the listening socket, owned: it outlives each server */
	uint16_t port;
	agent_http_fn fn;
	void *ctx;
	pthread_mutex_t lock; /* serialises reloads */
	struct server *cur;   /* owned */
};

struct reqstate {
	struct dh_buf body;
	size_t seen; /* body octets received, kept or not */
	int too_big;
};

static int read_pem(const char *path, char **out, const char *what, char *err, size_t errlen)
{
	FILE *f;
	char *buf = NULL;
	size_t n = 0;
	*out = NULL;
	if (!path || !*path) {
		snprintf(err, errlen, "no %s file given", what);
		return DH_EUSAGE;
	}
	f = fopen(path, "re");
	if (!f) {
		int rc = -errno;
		snprintf(err, errlen, "%s file %s: %s", what, path, strerror(errno));
		return rc;
	}
	buf = malloc(PEM_MAX + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, PEM_MAX + 1, f);
	int bad = ferror(f) || n > PEM_MAX;
	fclose(f);
	if (bad || n == 0 || !memmem(buf, n, "-----BEGIN ", 11)) {
		snprintf(err, errlen, "%s file %s: not a PEM file", what, path);
		free(buf);
		return DH_EMALFORMED;
	}
	buf[n] = 0;
	*out = buf;
	return 0;
}

static void describe_status(unsigned status, char *why, size_t len)
{
	gnutls_datum_t out = {NULL, 0};
	if (status & GNUTLS_CERT_EXPIRED)
		snprintf(why, len, "certificate expired");
	else if (status & GNUTLS_CERT_NOT_ACTIVATED)
		snprintf(why, len, "certificate not yet valid");
	else if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNER_NOT_CA))
		snprintf(why, len, "certificate not issued by a trusted CA");
	else if (status & GNUTLS_CERT_REVOKED)
		snprintf(why, len, "certificate revoked");
	else if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) ==
	         0) {
		snprintf(why, len, "%s", (const char *)out.data);
		gnutls_free(out.data);
	} else
		snprintf(why, len, "certificate does not verify");
}

static void peer_info(struct MHD_Connection *c, struct agent_peer_cert *pc)
{
	const union MHD_ConnectionInfo *ci;
	gnutls_session_t s;
	const gnutls_datum_t *certs;
	unsigned n = 0, status = 0;
	gnutls_x509_crt_t crt;

	memset(pc, 0, sizeof(*pc));
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	s = ci ? (gnutls_session_t)ci->tls_session : NULL;
	if (!s) {
		snprintf(pc->why, sizeof(pc->why), "no TLS session");
		return;
	}
	certs = gnutls_certificate_get_peers(s, &n);
	if (!certs || n == 0) {
		snprintf(pc->why, sizeof(pc->why), "no client certificate");
		return;
	}
	pc->present = 1;
	unsigned char fp[32];
	size_t fplen = sizeof(fp);
	if (gnutls_fingerprint(GNUTLS_DIG_SHA256, &certs[0], fp, &fplen) == 0 && fplen == 32) {
		for (size_t i = 0; i < 32; i++)
			snprintf(pc->fingerprint + 2 * i, 3, "%02x", fp[i]);
	}
	if (gnutls_x509_crt_init(&crt) == 0) {
		if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == 0) {
			size_t len = sizeof(pc->cn);
			if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0,
			                                  pc->cn, &len) != 0)
				pc->cn[0] = 0;
			len = sizeof(pc->issuer);
			if (gnutls_x509_crt_get_issuer_dn(crt, pc->issuer, &len) != 0)
				pc->issuer[0] = 0;
		}
		gnutls_x509_crt_deinit(crt);
	}
	if (gnutls_certificate_verify_peers2(s, &status) != 0) {
		snprintf(pc->why, sizeof(pc->why), "certificate could not be checked");
		return;
	}
	if (status) {
		describe_status(status, pc->why, sizeof(pc->why));
		return;
	}
	pc->verified = 1;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *type,
                                 const char *body, size_t len)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	enum MHD_Result ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

static void remote_addr(struct MHD_Connection *c, struct dh_addr *a)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	memset(a, 0, sizeof(*a));
	if (!ci || !ci->client_addr)
		return;
	if (ci->client_addr->sa_family == AF_INET) {
		const struct sockaddr_in *in =
		    (const struct sockaddr_in *)(const void *)ci->client_addr;
		dh_addr_set4(a, (const uint8_t *)&in->sin_addr);
	} else if (ci->client_addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)(const void *)ci->client_addr;
		dh_addr_set6(a, (const uint8_t *)&in6->sin6_addr);
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
	struct agent_http *h = cls;
	struct reqstate *st = *req_cls;
	size_t max_body;

	pthread_mutex_lock(&h->lock);
	max_body = h->cur ? h->cur->max_body : 0;
	pthread_mutex_unlock(&h->lock);
	if (!st) {
		st = calloc(1, sizeof(*st));
		if (!st)
			return MHD_NO;
		dh_buf_init(&st->body);
		*req_cls = st;
		return MHD_YES;
	}
	if (*upload_data_size) {
		/* A body past the limit is dropped as it arrives: the
		 * request gets 413 and costs no more memory than the limit. */
		st->seen += *upload_data_size;
		if (st->body.len + *upload_data_size > max_body)
			st->too_big = 1;
		else
			dh_buf_add(&st->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (st->body.err)
		return MHD_NO;
	if (st->body.err)
		return MHD_NO;

	struct agent_peer_cert pc;
	struct agent_http_request req;
	struct agent_http_response resp;
	peer_info(c, &pc);
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = url;
	dh_buf_addc(&st->body, 0);
	if (st->body.err)
		return MHD_NO;
	st->body.len--;
	req.body = st->body.data;
	req.len = st->body.len;
	if (st->too_big) {
		/* The callback answers (and logs) it like any refusal. */
		req.body = "";
		req.len = 0;
		req.too_large = st->seen;
	}
	req.peer = &pc;
	remote_addr(c, &req.remote);
	memset(&resp, 0, sizeof(resp));
	dh_buf_init(&resp.body);
	h->fn(h->ctx, &req, &resp);
	enum MHD_Result ok;
	if (resp.body.err)
		ok = MHD_NO;
	else
		ok = send_text(c, resp.status ? resp.status : 500,
		               resp.content_type ? resp.content_type : "application/json",
		               resp.body.data ? resp.body.data : "", resp.body.len);
	dh_buf_release(&resp.body);
	return ok;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct reqstate *st = *req_cls;
	if (!st)
		return;
	dh_buf_release(&st->body);
	free(st);
	*req_cls = NULL;
}

/* Loads the certificate, key and CAs into GnuTLS once before a server
 * is started with them, so that a mistake is reported with the file's
 * name and GnuTLS's reason instead of a server that does not start. */
static int check_credentials(const struct server *s, const struct agent_http_config *cfg, char *err,
                             size_t errlen)
{
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t cert = {(unsigned char *)s->cert, (unsigned)strlen(s->cert)};
	gnutls_datum_t key = {(unsigned char *)s->key, (unsigned)strlen(s->key)};
	gnutls_datum_t ca = {(unsigned char *)s->ca, (unsigned)strlen(s->ca)};
	int rc = 0, g;
	if (gnutls_certificate_allocate_credentials(&cred) != 0)
		return -ENOMEM;
	if ((g = gnutls_certificate_set_x509_key_mem(cred, &cert, &key, GNUTLS_X509_FMT_PEM)) < 0) {
		snprintf(err, errlen, "certificate %s with key %s: %s", cfg->cert_file,
		         cfg->key_file, gnutls_strerror(g));
		rc = DH_EUSAGE;
	} else if ((g = gnutls_certificate_set_x509_trust_mem(cred, &ca, GNUTLS_X509_FMT_PEM)) <=
	           0) {
		snprintf(err, errlen, "CA file %s: %s", cfg->ca_file,
		         g < 0 ? gnutls_strerror(g) : "no certificate in it");
		rc = DH_EUSAGE;
	}
	gnutls_certificate_free_credentials(cred);
	return rc;
}

static void server_free(struct server *s)
{
	if (!s)
		return;
	if (s->d)
		MHD_stop_daemon(s->d);
	/* A quiesced server no longer owns its socket: it is ours to close
	 * once the server has stopped. */
	if (s->fd >= 0)
		close(s->fd);
	free(s->cert);
	free(s->key);
	free(s->ca);
	free(s);
}

static int server_new(struct agent_http *h, const struct agent_http_config *cfg,
                      struct server **out, char *err, size_t errlen)
{
	struct server *s = calloc(1, sizeof(*s));
	int rc, fd;
	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->fd = -1;
	if ((rc = read_pem(cfg->cert_file, &s->cert, "certificate", err, errlen)) ||
	    (rc = read_pem(cfg->key_file, &s->key, "key", err, errlen)) ||
	    (rc = read_pem(cfg->ca_file, &s->ca, "CA", err, errlen)))
		goto fail;
	if ((rc = check_credentials(s, cfg, err, errlen)))
		goto fail;
	s->max_body = cfg->max_body ? cfg->max_body : 65536;
	unsigned threads = cfg->threads ? cfg->threads : 4;
	/* Each server gets its own descriptor of the one listening socket:
	 * a server that fails to start, or stops, closes only its own. */
	fd = fcntl(h->fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		goto fail;
	}
	/* MHD_OPTION_HTTPS_MEM_TRUST makes the server ask for a client
	 * certificate and verify it against these CAs; a client that sends
	 * none is still served, and refused by the callback with a record
	 * in the audit log. */
	s->d = MHD_start_daemon(
	    MHD_USE_TLS | MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC, 0, NULL, NULL, on_request, h,
	    MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_HTTPS_MEM_CERT, s->cert,
	    MHD_OPTION_HTTPS_MEM_KEY, s->key, MHD_OPTION_HTTPS_MEM_TRUST, s->ca,
	    MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES, MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(cfg->timeout_s ? cfg->timeout_s : 30),
	    MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)(cfg->max_connections ? cfg->max_connections : 256),
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_END);
	if (!s->d) {
		snprintf(err, errlen,
		         "the HTTPS server did not start (certificate %s and key %s must match, "
		         "and the CA file %s must hold PEM certificates)",
		         cfg->cert_file, cfg->key_file, cfg->ca_file);
		/* MHD closes a socket it was given when it fails to
		 * start; the original stays open for the next try. */
		rc = DH_EUSAGE;
		goto fail;
	}
	*out = s;
	return 0;
fail:
	server_free(s);
	return rc;
}

static int listen_socket(const struct agent_http_config *cfg, int *fd_out, uint16_t *port,
                         char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	const char *addr = cfg->listen && *cfg->listen ? cfg->listen : "::";
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(cfg->port);
		sl = sizeof(*in);
	} else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(cfg->port);
		sl = sizeof(*in6);
	} else {
		snprintf(err, errlen, "listen address '%s' is not an IP address", addr);
		return DH_EUSAGE;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6 && strcmp(addr, "::") == 0) {
		int zero = 0; /* "::" serves IPv4 too */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 128) < 0) {
		int rc = -errno;
		snprintf(err, errlen, "cannot listen on [%s]:%u: %s", addr, cfg->port,
		         strerror(errno));
		close(fd);
		return rc;
	}
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	*port = ntohs(ss.ss_family == AF_INET ? in->sin_port : in6->sin6_port);
	*fd_out = fd;
	return 0;
}

int agent_http_start(struct agent_http **out, const struct agent_http_config *cfg, agent_http_fn fn,
                     void *ctx, char *err, size_t errlen)
{
	struct agent_http *h = calloc(1, sizeof(*h));
	int rc;
	*out = NULL;
	if (errlen)
		err[0] = 0;
	if (!h)
		return -ENOMEM;
	h->fd = -1;
	h->fn = fn;
	h->ctx = ctx;
	pthread_mutex_init(&h->lock, NULL);
	if ((rc = listen_socket(cfg, &h->fd, &h->port, err, errlen)))
		goto fail;
	struct server *s;
	if ((rc = server_new(h, cfg, &s, err, errlen)))
		goto fail;
	h->cur = s;
	*out = h;
	return 0;
fail:
	agent_http_stop(h);
	return rc;
}

static unsigned connections(struct server *s)
{
	const union MHD_DaemonInfo *di =
	    MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return di ? di->num_connections : 0;
}

int agent_http_reload(struct agent_http *h, const struct agent_http_config *cfg, unsigned drain_ms,
                      char *err, size_t errlen)
{
	struct server *s, *old;
	if (errlen)
		err[0] = 0;
	/* The new server is started while the old one still accepts: both
	 * poll the one listening socket for a moment, and a connection that
	 * arrives meanwhile waits in the kernel's queue for one of them. */
	int rc = server_new(h, cfg, &s, err, errlen);
	if (rc)
		return rc;
	pthread_mutex_lock(&h->lock);
	old = h->cur;
	h->cur = s;
	pthread_mutex_unlock(&h->lock);
	if (!old)
		return 0;
	if ((old->fd = MHD_quiesce_daemon(old->d)) < 0) {
		/* Cannot happen with MHD_USE_ITC; were it to, stopping the old
		 * server would cut its requests, so it is left running. */
		return 0;
	}
	/* The old server finishes what it has: a request in progress is
	 * answered with the configuration it started under. */
	struct timespec step = {0, 10 * 1000 * 1000};
	for (unsigned waited = 0; waited < drain_ms && connections(old) > 0; waited += 10)
		nanosleep(&step, NULL);
	server_free(old);
	return 0;
}

uint16_t agent_http_port(const struct agent_http *h)
{
	return h->port;
}

void agent_http_stop(struct agent_http *h)
{
	if (!h)
		return;
	server_free(h->cur);
	if (h->fd >= 0)
		close(h->fd);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* ---- client ---- */

#define POOL 8

struct agent_client {
	struct agent_client_config cfg;
	char *cert, *key, *ca, *pin; /* owned copies of the paths */
	pthread_mutex_t lock;
	CURL *idle[POOL]; /* handles with live connections, owned */
	unsigned nidle;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ok;

static void curl_start(void)
{
	/* curl_global_init() is not thread-safe: once per process. */
	curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

int agent_client_new(struct agent_client **out, const struct agent_client_config *cfg)
{
	struct agent_client *c;
	*out = NULL;
	pthread_once(&curl_once, curl_start);
	if (!curl_ok)
		return -ENOSYS;
	if (!cfg->cert_file || !cfg->key_file || !cfg->ca_file)
		return DH_EUSAGE;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cfg = *cfg;
	c->cert = strdup(cfg->cert_file);
	c->key = strdup(cfg->key_file);
	c->ca = strdup(cfg->ca_file);
	c->pin = cfg->pin ? strdup(cfg->pin) : NULL;
	pthread_mutex_init(&c->lock, NULL);
	if (!c->cert || !c->key || !c->ca || (cfg->pin && !c->pin)) {
		agent_client_free(c);
		return -ENOMEM;
	}
	if (!c->cfg.max_response)
		c->cfg.max_response = 4u << 20;
	*out = c;
	return 0;
}

void agent_client_free(struct agent_client *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->nidle; i++)
		curl_easy_cleanup(c->idle[i]);
	pthread_mutex_destroy(&c->lock);
	free(c->cert);
	free(c->key);
	free(c->ca);
	free(c->pin);
	free(c);
}

struct sink {
	struct dh_buf *out;
	size_t max, got;
	int too_big;
};

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t len = size * n;
	if (s->got + len > s->max) {
		s->too_big = 1;
		return 0; /* makes curl stop with CURLE_WRITE_ERROR */
	}
	dh_buf_add(s->out, p, len);
	s->got += len;
	return s->out->err ? 0 : len;
}

int agent_client_post(struct agent_client *c, const char *url, const char *body, size_t len,
                      unsigned timeout_ms, unsigned *status, struct dh_buf *resp, char *err,
                      size_t errlen)
{
	return agent_client_request(c, "POST", url, body, len, timeout_ms, status, resp, err,
	                            errlen);
}

int agent_client_request(struct agent_client *c, const char *method, const char *url,
                         const char *body, size_t len, unsigned timeout_ms, unsigned *status,
                         struct dh_buf *resp, char *err, size_t errlen)
{
	CURL *e = NULL;
	struct curl_slist *hdr = NULL;
	struct sink sink = {resp, c->cfg.max_response, 0, 0};
	char cerr[CURL_ERROR_SIZE];
	int rc = 0;
	*status = 0;
	if (errlen)
		err[0] = 0;
	if (strncmp(url, "https://", 8) != 0) {
		snprintf(err, errlen, "agent URL must be https: %s", url);
		return DH_EUSAGE;
	}
	pthread_mutex_lock(&c->lock);
	if (c->nidle)
		e = c->idle[--c->nidle];
	pthread_mutex_unlock(&c->lock);
	if (!e && !(e = curl_easy_init()))
		return -ENOMEM;
	curl_easy_reset(e);
	cerr[0] = 0;
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
	curl_easy_setopt(e, CURLOPT_SSLCERT, c->cert);
	curl_easy_setopt(e, CURLOPT_SSLKEY, c->key);
	curl_easy_setopt(e, CURLOPT_CAINFO, c->ca);
	curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->pin)
		curl_easy_setopt(e, CURLOPT_PINNEDPUBLICKEY, c->pin);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdr);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(timeout_ms ? timeout_ms : 1));
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	CURLcode cc = curl_easy_perform(e);
	if (cc == CURLE_OK) {
		long code = 0;
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
		*status = (unsigned)code;
	} else {
		switch (cc) {
		case CURLE_OPERATION_TIMEDOUT:
			rc = -ETIMEDOUT;
			break;
		case CURLE_COULDNT_CONNECT:
			rc = -ECONNREFUSED;
			break;
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		case CURLE_SSL_CIPHER:
		case CURLE_SSL_ISSUER_ERROR:
			rc = -EACCES;
			break;
		case CURLE_WRITE_ERROR:
			rc = sink.too_big ? -EMSGSIZE : -EIO;
			break;
		case CURLE_OUT_OF_MEMORY:
			rc = -ENOMEM;
			break;
		default:
			rc = -EIO;
		}
		snprintf(err, errlen, "%s: %s", url,
		         sink.too_big ? "answer larger than allowed"
		                      : (cerr[0] ? cerr : curl_easy_strerror(cc)));
	}
	curl_slist_free_all(hdr);
	/* A handle whose request failed may hold a broken connection: it is
	 * dropped instead of being kept for the next call. */
	pthread_mutex_lock(&c->lock);
	if (rc == 0 && c->nidle < POOL) {
		c->idle[c->nidle++] = e;
		e = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	if (e)
		curl_easy_cleanup(e);
	return rc;
}
