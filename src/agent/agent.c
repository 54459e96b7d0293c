/*
 * agent.c - the traceback agent's daemon core (agent.h).
 */
#include "agent/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>

#include "agent/agent_audit.h"
#include "agent/agent_http.h"
#include "trace/trace.h"
#include "util/err.h"

#define NS_PER_MS 1000000LL

/* What this agent knows of each peer's agent from its relays. */
struct peer_state {
	char name[TRACE_AGENT_MAX + 1];
	uint64_t ok, failed;
	int64_t last_ns;
	int reachable; /* -1 never tried, 0 last relay failed, 1 last relay answered */
	char last_error[TRACE_TEXT_MAX];
};

struct agent {
	struct agent_conf conf; /* peers owned here (a copy) */
	struct store *store;    /* borrowed */
	const struct agent_ingest_stats *ingest;
	struct trace_agent *ta;
	struct agent_http *http;
	struct agent_audit *audit;
	struct agent_client *client;
	uint8_t key[TRACE_OPRF_KEY];
	char self_fpr[TRACE_FPR_MAX + 1];
	int64_t started_ns;

	/* The big lock: the trace logic and the store handle run under it,
	 * one request at a time; a relay releases it while it waits. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned in_relay;  /* requests waiting for peers, lock released */
	int reload_pending; /* a reload waits for in_relay to reach 0 */
	pthread_t flusher;  /* audit-sync = periodic */
	int flusher_started, stopping;

	/* Under lock. */
	struct peer_state *ps;
	size_t nps;
	uint64_t http_requests, tls_refused, status_requests, not_found;
	uint64_t rate_events;
	int64_t rate_ns;
	double ingest_rate;
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t load_u64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static int64_t load_i64(const int64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* ---- peers' reachability ---- */

static struct peer_state *peer_state(struct agent *a, const char *name)
{
	for (size_t i = 0; i < a->nps; i++)
		if (strcmp(a->ps[i].name, name) == 0)
			return &a->ps[i];
	return NULL;
}

static int reset_peer_states(struct agent *a, const struct agent_conf *conf)
{
	struct peer_state *ps = calloc(conf->npeers ? conf->npeers : 1, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	for (size_t i = 0; i < conf->npeers; i++) {
		snprintf(ps[i].name, sizeof(ps[i].name), "%s", conf->peers[i].name);
		ps[i].reachable = -1;
		/* A peer that stays in the table keeps what was known of it. */
		struct peer_state *old = peer_state(a, ps[i].name);
		if (old)
			ps[i] = *old;
	}
	free(a->ps);
	a->ps = ps;
	a->nps = conf->npeers;
	return 0;
}

/* ---- the HTTPS transport of the trace layer ---- */

struct relay {
	struct agent *a;
	struct trace_call *call;
	char url[TRACE_URL_MAX + 16];
	int64_t deadline_ns;
	unsigned status;
	int rc;
	char err[TRACE_TEXT_MAX];
};

static void *relay_one(void *arg)
{
	struct relay *r = arg;
	struct trace_call *c = r->call;
	struct dh_buf body;
	int64_t left_ms = (r->deadline_ns - now_ns()) / NS_PER_MS;
	unsigned cap = r->a->conf.relay_timeout_ms;
	if (left_ms <= 0) {
		c->rc = TRACE_EDEADLINE;
		snprintf(c->detail, sizeof(c->detail), "deadline passed before the relay");
		return NULL;
	}
	dh_buf_init(&body);
	r->rc = agent_client_post(r->a->client, r->url, c->req, c->req_len,
	                          (unsigned)(left_ms < cap ? left_ms : cap), &r->status, &body,
	                          r->err, sizeof(r->err));
	if (r->rc == -ETIMEDOUT) {
		c->rc = TRACE_EDEADLINE;
		snprintf(c->detail, sizeof(c->detail), "no answer within %lld ms",
		         (long long)(left_ms < cap ? left_ms : cap));
	} else if (r->rc != 0) {
		c->rc = TRACE_EDOWN;
		snprintf(c->detail, sizeof(c->detail), "%s", r->err);
	} else if (body.len == 0 || body.data[0] != '{' || body.err) {
		/* Not an answer of the protocol: a proxy's page, or nothing. */
		c->rc = TRACE_EDOWN;
		snprintf(c->detail, sizeof(c->detail), "HTTP %u without a protocol answer",
		         r->status);
	} else {
		/* An error answer (4xx with its JSON) is an answer too: the
		 * trace layer reads its code. */
		c->ans = body.data;
		c->ans_len = body.len;
		c->rc = 0;
		body.data = NULL;
	}
	dh_buf_release(&body);
	return NULL;
}

static void https_exchange(void *ctx, struct trace_call *calls, size_t n, int64_t deadline_ns)
{
	struct agent *a = ctx;
	struct relay *rs = calloc(n, sizeof(*rs));
	pthread_t *th = calloc(n, sizeof(*th));
	int *started = calloc(n, sizeof(*started));
	if (!rs || !th || !started) {
		for (size_t i = 0; i < n; i++) {
			calls[i].rc = TRACE_EINTERNAL;
			snprintf(calls[i].detail, sizeof(calls[i].detail), "out of memory");
		}
		goto out;
	}
	/* Everything the relays need is copied while the lock is held. */
	for (size_t i = 0; i < n; i++) {
		const char *u = calls[i].peer->url;
		size_t ul = strlen(u);
		while (ul > 0 && u[ul - 1] == '/')
			ul--;
		rs[i].a = a;
		rs[i].call = &calls[i];
		rs[i].deadline_ns = deadline_ns;
		snprintf(rs[i].url, sizeof(rs[i].url), "%.*s/v1/trace", (int)ul, u);
		calls[i].ans = NULL;
		calls[i].ans_len = 0;
		if (!calls[i].peer->url[0]) {
			calls[i].rc = TRACE_EDOWN;
			snprintf(calls[i].detail, sizeof(calls[i].detail),
			         "no url in the peer table");
			rs[i].call = NULL;
		}
	}
	a->in_relay++;
	pthread_mutex_unlock(&a->lock);
	for (size_t i = 0; i < n; i++)
		if (rs[i].call && pthread_create(&th[i], NULL, relay_one, &rs[i]) == 0)
			started[i] = 1;
		else if (rs[i].call)
			relay_one(&rs[i]); /* no thread to be had: do it here */
	for (size_t i = 0; i < n; i++)
		if (started[i])
			pthread_join(th[i], NULL);
	pthread_mutex_lock(&a->lock);
	if (--a->in_relay == 0)
		pthread_cond_broadcast(&a->cond);
	int64_t t = now_ns();
	for (size_t i = 0; i < n; i++) {
		struct peer_state *ps = peer_state(a, calls[i].peer->name);
		if (!ps || !rs[i].call)
			continue;
		ps->last_ns = t;
		if (calls[i].rc == 0) {
			ps->ok++;
			ps->reachable = 1;
			ps->last_error[0] = 0;
		} else {
			ps->failed++;
			ps->reachable = 0;
			/* A detail as long as the field is cut: the return is
			 * looked at, which is what the warning asks. */
			if (snprintf(ps->last_error, sizeof(ps->last_error), "%s: %s",
			             trace_code_name(calls[i].rc), calls[i].detail) < 0)
				ps->last_error[0] = 0;
		}
	}
out:
	free(rs);
	free(th);
	free(started);
}

static int64_t clock_now(void *ctx)
{
	return now_ns();
}

/* ---- the audit log ---- */

static void audit_str(struct dh_buf *b, const char *key, const char *v)
{
	dh_buf_addf(b, ",\"%s\":", key);
	dh_buf_add_json_str(b, v, strlen(v));
}

/* last: the request's last entry, synced (with audit-sync) before the
 * answer goes out; the request's own entry rides on that sync. */
static void audit_write(struct agent *a, struct dh_buf *b, int last)
{
	if (b->err)
		return;
	/* A failing audit log is not a reason to stop answering; the
	 * operator sees the log's head stop moving in the status. */
	(void)agent_audit_append(a->audit, now_ns(), b->data, b->len,
	                         last && a->conf.audit_sync == AGENT_SYNC_EACH);
}

static void audit_peer(struct dh_buf *b, const struct agent_http_request *req)
{
	char remote[DH_ADDR_TEXT_MAX];
	dh_addr_format(&req->remote, remote, sizeof(remote));
	audit_str(b, "remote", remote);
	audit_str(b, "fingerprint", req->peer->fingerprint);
	audit_str(b, "cn", req->peer->cn);
	audit_str(b, "issuer", req->peer->issuer);
}

/* ---- HTTP ---- */

/* Every error the agent answers is an error answer of the protocol
 * (trace_error_encode()), so that a peer reads its code and message the
 * same way whether the trace layer or the agent refused. */
static void json_error(struct agent *a, struct agent_http_response *resp, unsigned status, int code,
                       const char *msg)
{
	char *text = NULL;
	size_t len = 0;
	resp->status = status;
	if (trace_error_encode("", a->conf.name, code, msg, &text, &len) == 0)
		dh_buf_add(&resp->body, text, len);
	else
		resp->status = 500;
	free(text);
}

static unsigned http_status_of(int code)
{
	switch (code) {
	case 0:
		return 200;
	case TRACE_EBADREQ:
	case TRACE_EVERSION:
		return 400;
	case TRACE_EUNKNOWN:
	case TRACE_EFORBID:
		return 403;
	case TRACE_ETOOBIG:
		return 413;
	case TRACE_ELOOP:
	case TRACE_EHOPS:
		return 409;
	case TRACE_ERATE:
		return 429;
	case TRACE_EDEADLINE:
		return 504;
	default:
		return 500;
	}
}

static void serve_trace(struct agent *a, const struct agent_http_request *req,
                        struct agent_http_response *resp)
{
	struct dh_buf au;
	char *ans = NULL;
	size_t ans_len = 0;
	int64_t t0 = now_ns();
	dh_buf_init(&au);
	if (strcmp(req->method, "POST") != 0) {
		json_error(a, resp, 405, TRACE_EBADREQ, "use POST for /v1/trace");
		goto out;
	}
	if (!req->peer->verified) {
		/* Refused before the protocol is read: the asker is nobody
		 * this agent can name. Logged with what it presented. */
		dh_buf_adds(&au, "{\"type\":\"refused\"");
		audit_peer(&au, req);
		audit_str(&au, "why", req->peer->why);
		dh_buf_addc(&au, '}');
		pthread_mutex_lock(&a->lock);
		a->tls_refused++;
		pthread_mutex_unlock(&a->lock);
		audit_write(a, &au, 1);
		char msg[160];
		snprintf(msg, sizeof(msg), "client certificate refused: %s", req->peer->why);
		json_error(a, resp, 403, TRACE_EUNKNOWN, msg);
		goto out;
	}

	if (req->too_large) {
		char msg[128];
		dh_buf_adds(&au, "{\"type\":\"refused\"");
		audit_peer(&au, req);
		dh_buf_addf(&au, ",\"why\":\"request of %zu bytes, over max-request\"}",
		            req->too_large);
		audit_write(a, &au, 1);
		snprintf(msg, sizeof(msg), "request of %zu bytes; this agent takes at most %zu",
		         req->too_large, a->conf.max_body);
		json_error(a, resp, 413, TRACE_ETOOBIG, msg);
		goto out;
	}

	struct trace_ident id;
	memset(&id, 0, sizeof(id));
	snprintf(id.fingerprint, sizeof(id.fingerprint), "%s", req->peer->fingerprint);
	/* A name longer than the peer table can hold matches no entry,
	 * rather than matching one by its first part. */
	size_t il = strlen(req->peer->issuer), cl = strlen(req->peer->cn);
	if (il < sizeof(id.ca))
		memcpy(id.ca, req->peer->issuer, il + 1);
	if (cl < sizeof(id.name))
		memcpy(id.name, req->peer->cn, cl + 1);

	/* The request as received, before anything else is done with it. */
	struct trace_request r;
	char perr[TRACE_TEXT_MAX];
	int prc = trace_request_parse((const uint8_t *)req->body, req->len, &r, perr, sizeof(perr));
	dh_buf_adds(&au, "{\"type\":\"request\"");
	audit_peer(&au, req);
	dh_buf_addf(&au, ",\"bytes\":%zu", req->len);
	if (prc == 0) {
		char victim[DH_ADDR_TEXT_MAX];
		audit_str(&au, "request_id", r.request_id);
		audit_str(&au, "kind", r.kind == TRACE_KIND_CONFIRM ? "confirm" : "trace");
		audit_str(&au, "originator", r.originator);
		dh_buf_addf(&au, ",\"hops\":%u,\"path\":[", r.hops);
		for (unsigned i = 0; i < r.npath; i++) {
			if (i)
				dh_buf_addc(&au, ',');
			dh_buf_add_json_str(&au, r.path[i], strlen(r.path[i]));
		}
		dh_buf_addc(&au, ']');
		audit_str(&au, "fqdn", r.fqdn);
		dh_addr_format(&r.victim, victim, sizeof(victim));
		audit_str(&au, "victim_ip", victim);
		dh_buf_addf(&au, ",\"window_s\":%u,\"confirm\":%s", r.window_s,
		            r.has_blinded ? "true" : "false");
	} else {
		audit_str(&au, "parse_error", perr);
	}
	dh_buf_addc(&au, '}');
	audit_write(a, &au, 0);

	pthread_mutex_lock(&a->lock);
	while (a->reload_pending)
		pthread_cond_wait(&a->cond, &a->lock);
	int rc =
	    trace_agent_handle(a->ta, &id, (const uint8_t *)req->body, req->len, &ans, &ans_len);
	pthread_mutex_unlock(&a->lock);
	if (rc != 0 || !ans) {
		json_error(a, resp, 500, TRACE_EINTERNAL, "out of memory");
		goto out;
	}

	struct trace_answer sum;
	char aerr[TRACE_TEXT_MAX];
	int arc = trace_answer_parse((const uint8_t *)ans, ans_len, &sum, aerr, sizeof(aerr));
	au.len = 0;
	dh_buf_adds(&au, "{\"type\":\"answer\"");
	audit_str(&au, "request_id", prc == 0 ? r.request_id : "");
	audit_str(&au, "peer_cn", req->peer->cn);
	if (arc == 0) {
		audit_str(&au, "error", sum.error ? trace_code_name(sum.error) : "");
		if (sum.error)
			audit_str(&au, "message", sum.error_message);
		dh_buf_addf(&au, ",\"candidates\":%zu,\"cc_candidates\":%zu,\"confirmations\":%zu",
		            sum.ncand, sum.ncc, sum.nconf);
		dh_buf_adds(&au, ",\"unreached\":[");
		for (size_t i = 0; i < sum.nunreached; i++) {
			if (i)
				dh_buf_addc(&au, ',');
			dh_buf_add_json_str(&au, sum.unreached[i].agent,
			                    strlen(sum.unreached[i].agent));
		}
		dh_buf_addc(&au, ']');
		resp->status = http_status_of(sum.error);
	} else {
		audit_str(&au, "error", "internal");
		resp->status = 500;
	}
	dh_buf_addf(&au, ",\"bytes\":%zu,\"ms\":%.1f}", ans_len, (double)(now_ns() - t0) / 1e6);
	audit_write(a, &au, 1);
	trace_answer_release(&sum);
	dh_buf_add(&resp->body, ans, ans_len);
out:
	free(ans);
	dh_buf_release(&au);
}

static int is_admin(const struct agent *a, const struct agent_peer_cert *pc)
{
	if (!pc->verified || !pc->fingerprint[0])
		return 0;
	if (strcmp(pc->fingerprint, a->self_fpr) == 0)
		return 1;
	for (size_t i = 0; i < a->conf.nadmins; i++)
		if (strcmp(pc->fingerprint, a->conf.admins[i]) == 0)
			return 1;
	return 0;
}

static void on_http(void *ctx, const struct agent_http_request *req,
                    struct agent_http_response *resp)
{
	struct agent *a = ctx;
	pthread_mutex_lock(&a->lock);
	a->http_requests++;
	pthread_mutex_unlock(&a->lock);
	if (strcmp(req->path, "/v1/trace") == 0) {
		serve_trace(a, req, resp);
		return;
	}
	int status = strcmp(req->path, "/v1/status") == 0;
	int metrics = strcmp(req->path, "/metrics") == 0;
	if (!status && !metrics) {
		pthread_mutex_lock(&a->lock);
		a->not_found++;
		pthread_mutex_unlock(&a->lock);
		json_error(a, resp, 404, TRACE_EBADREQ,
		           "no such endpoint: /v1/trace, /v1/status, /metrics");
		return;
	}
	if (!is_admin(a, req->peer)) {
		struct dh_buf au;
		dh_buf_init(&au);
		dh_buf_adds(&au, "{\"type\":\"refused\"");
		audit_peer(&au, req);
		audit_str(&au, "path", req->path);
		audit_str(&au, "why",
		          req->peer->verified ? "not an admin certificate" : req->peer->why);
		dh_buf_addc(&au, '}');
		audit_write(a, &au, 1);
		dh_buf_release(&au);
		pthread_mutex_lock(&a->lock);
		a->tls_refused++;
		pthread_mutex_unlock(&a->lock);
		json_error(a, resp, 403, TRACE_EFORBID,
		           "status is for the agent's own certificate and admin fingerprints");
		return;
	}
	pthread_mutex_lock(&a->lock);
	a->status_requests++;
	pthread_mutex_unlock(&a->lock);
	resp->status = 200;
	if (status) {
		agent_status_json(a, &resp->body);
	} else {
		resp->content_type = "text/plain; version=0.0.4";
		agent_metrics(a, &resp->body);
	}
}

/* ---- life cycle ---- */

/* audit-sync = periodic: the entries reach the disk within a period, and
 * no answer waits for a sync. A crash may lose the last period's entries;
 * what remains still verifies. */
static void *flush_audit(void *arg)
{
	struct agent *a = arg;
	struct timespec step = {0, AGENT_SYNC_PERIOD_MS * 1000000L};
	for (;;) {
		pthread_mutex_lock(&a->lock);
		int stop = a->stopping;
		pthread_mutex_unlock(&a->lock);
		(void)agent_audit_flush(a->audit);
		if (stop)
			return NULL;
		nanosleep(&step, NULL);
	}
}

/* The OPRF key: 32 bytes in a file of mode 0600, made at the first start.
 * It must survive restarts: a victim side that blinded its element
 * before a restart could not use the evaluation of a new key. */
static int load_key(const char *path, uint8_t key[TRACE_OPRF_KEY], char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		struct stat st;
		ssize_t n = -1;
		if (fstat(fd, &st) == 0 && st.st_size == TRACE_OPRF_KEY)
			n = read(fd, key, TRACE_OPRF_KEY);
		close(fd);
		if (n != TRACE_OPRF_KEY) {
			snprintf(err, errlen, "oprf-key %s: not a %d-byte key", path,
			         TRACE_OPRF_KEY);
			return DH_EUSAGE;
		}
		if ((st.st_mode & 077) != 0) {
			snprintf(err, errlen, "oprf-key %s: readable by others (chmod 600 it)",
			         path);
			return DH_EUSAGE;
		}
		return 0;
	}
	if (errno != ENOENT) {
		snprintf(err, errlen, "oprf-key %s: %s", path, strerror(errno));
		return -errno;
	}
	if (trace_oprf_keygen(key) != 0) {
		snprintf(err, errlen, "cannot make an OPRF key");
		return -EIO;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, key, TRACE_OPRF_KEY) != TRACE_OPRF_KEY || fsync(fd) != 0) {
		int rc = -errno;
		snprintf(err, errlen, "oprf-key %s: cannot write: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	close(fd);
	return 0;
}

static int cert_fingerprint(const char *path, char out[TRACE_FPR_MAX + 1])
{
	gnutls_datum_t d = {NULL, 0};
	gnutls_x509_crt_t crt;
	unsigned char fp[32];
	size_t n = sizeof(fp);
	int rc = DH_EMALFORMED;
	out[0] = 0;
	if (gnutls_load_file(path, &d) < 0)
		return -ENOENT;
	if (gnutls_x509_crt_init(&crt) == 0) {
		if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) == 0 &&
		    gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp, &n) == 0 &&
		    n == 32) {
			for (size_t i = 0; i < 32; i++)
				snprintf(out + 2 * i, 3, "%02x", fp[i]);
			rc = 0;
		}
		gnutls_x509_crt_deinit(crt);
	}
	gnutls_free(d.data);
	return rc;
}

static void http_config(const struct agent_conf *c, struct agent_http_config *h)
{
	memset(h, 0, sizeof(*h));
	h->listen = c->listen;
	h->port = c->port;
	h->cert_file = c->cert;
	h->key_file = c->key;
	h->ca_file = c->ca;
	h->threads = c->threads;
	h->max_body = c->max_body;
}

static int copy_conf(struct agent_conf *dst, const struct agent_conf *src)
{
	*dst = *src;
	dst->peers = NULL;
	if (src->npeers) {
		dst->peers = calloc(src->npeers, sizeof(*dst->peers));
		if (!dst->peers)
			return -ENOMEM;
		memcpy(dst->peers, src->peers, src->npeers * sizeof(*dst->peers));
	}
	return 0;
}

static int make_client(const struct agent_conf *c, struct agent_client **out)
{
	struct agent_client_config cc;
	memset(&cc, 0, sizeof(cc));
	cc.cert_file = c->cert;
	cc.key_file = c->key;
	cc.ca_file = c->ca;
	cc.max_response = TRACE_ANSWER_MAX;
	return agent_client_new(out, &cc);
}

int agent_new(struct agent **out, const struct agent_conf *conf, struct store *store,
              const struct agent_ingest_stats *ingest, char *err, size_t errlen)
{
	struct agent *a = calloc(1, sizeof(*a));
	struct trace_agent_config tc;
	struct agent_http_config hc;
	char keypath[AGENT_PATH_MAX + 16];
	int rc;
	*out = NULL;
	if (errlen)
		err[0] = 0;
	if (!a)
		return -ENOMEM;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	a->store = store;
	a->ingest = ingest;
	a->started_ns = now_ns();
	if ((rc = copy_conf(&a->conf, conf)))
		goto fail;
	if (conf->oprf_key[0])
		snprintf(keypath, sizeof(keypath), "%s", conf->oprf_key);
	else
		snprintf(keypath, sizeof(keypath), "%s/oprf.key", conf->store);
	if ((rc = load_key(keypath, a->key, err, errlen)))
		goto fail;
	if ((rc = cert_fingerprint(conf->cert, a->self_fpr)) != 0) {
		snprintf(err, errlen, "cert %s: no PEM certificate", conf->cert);
		goto fail;
	}
	if ((rc = agent_audit_open(&a->audit, conf->audit)) != 0) {
		snprintf(err, errlen,
		         rc == DH_ECORRUPT ? "audit log %s does not verify: run 'dnshound agent "
		                             "audit-verify' and keep it aside before starting"
		                           : "audit log %s: %s",
		         conf->audit, dh_strerror(rc));
		goto fail;
	}
	if ((rc = make_client(conf, &a->client)) != 0) {
		snprintf(err, errlen, "HTTPS client: %s", dh_strerror(rc));
		goto fail;
	}
	if ((rc = reset_peer_states(a, conf)))
		goto fail;
	memset(&tc, 0, sizeof(tc));
	tc.name = conf->name;
	tc.store = store;
	tc.servers = conf->servers;
	tc.nservers = conf->nservers;
	tc.downstream = conf->downstream;
	tc.ndownstream = conf->ndownstream;
	tc.sees_upstream = conf->sees_upstream;
	tc.clock.now_ns = clock_now;
	tc.transport.exchange = https_exchange;
	tc.transport.ctx = a;
	memcpy(tc.oprf_key, a->key, sizeof(tc.oprf_key));
	tc.default_lookback_s = conf->lookback_default_s;
	tc.max_lookback_s = conf->lookback_max_s;
	tc.cc_lookback_s = conf->cc_lookback_s;
	if ((rc = trace_agent_new(&a->ta, &tc, conf->peers, conf->npeers)) != 0) {
		snprintf(err, errlen, "traceback: %s", trace_strerror(rc));
		goto fail;
	}
	if (conf->audit_sync == AGENT_SYNC_PERIODIC) {
		if (pthread_create(&a->flusher, NULL, flush_audit, a) != 0) {
			snprintf(err, errlen, "no thread for the audit log's syncs");
			rc = -EAGAIN;
			goto fail;
		}
		a->flusher_started = 1;
	}
	http_config(conf, &hc);
	if ((rc = agent_http_start(&a->http, &hc, on_http, a, err, errlen)) != 0)
		goto fail;
	*out = a;
	return 0;
fail:
	agent_free(a);
	return rc;
}

int agent_reload(struct agent *a, const struct agent_conf *conf, char *err, size_t errlen)
{
	struct agent_http_config hc;
	struct agent_client *client = NULL;
	struct agent_conf nc;
	int rc;
	if (errlen)
		err[0] = 0;
	if (strcmp(conf->name, a->conf.name) || strcmp(conf->store, a->conf.store) ||
	    strcmp(conf->audit, a->conf.audit) || conf->port != a->conf.port ||
	    strcmp(conf->listen, a->conf.listen)) {
		snprintf(err, errlen,
		         "name, listen, port, store and audit change only with a restart");
		return DH_EUSAGE;
	}
	if ((rc = make_client(conf, &client)) != 0) {
		snprintf(err, errlen, "HTTPS client: %s", dh_strerror(rc));
		return rc;
	}
	if ((rc = copy_conf(&nc, conf)) != 0) {
		agent_client_free(client);
		return rc;
	}
	/* New certificates first: if they do not load, nothing changes. */
	http_config(conf, &hc);
	if ((rc = agent_http_reload(a->http, &hc, 5000, err, errlen)) != 0) {
		agent_client_free(client);
		agent_conf_release(&nc);
		return rc;
	}
	/* The peer table is swapped when no request is between its relays:
	 * those hold pointers into the table. New requests wait meanwhile. */
	pthread_mutex_lock(&a->lock);
	a->reload_pending = 1;
	while (a->in_relay > 0)
		pthread_cond_wait(&a->cond, &a->lock);
	rc = trace_agent_set_peers(a->ta, nc.peers, nc.npeers);
	if (rc == 0)
		rc = reset_peer_states(a, &nc);
	if (rc == 0) {
		struct agent_client *old = a->client;
		a->client = client;
		client = old;
		agent_conf_release(&a->conf);
		a->conf = nc;
		nc.peers = NULL;
	}
	a->reload_pending = 0;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	agent_client_free(client);
	agent_conf_release(&nc);
	if (rc)
		snprintf(err, errlen, "peer table: %s", dh_strerror(rc));
	return rc;
}

uint16_t agent_port(const struct agent *a)
{
	return agent_http_port(a->http);
}

/* Everything the reports show, read under the lock. */
struct snapshot {
	struct trace_agent_stats ts;
	struct store_stats ss;
	int store_ok;
	struct agent_ingest_stats in;
	uint64_t http_requests, tls_refused, status_requests, not_found;
	uint64_t audit_entries;
	char audit_head[AGENT_AUDIT_HASH_HEX];
	double uptime_s, ingest_rate;
	int64_t now;
};

static void snap(struct agent *a, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->now = now_ns();
	if (a->ingest) {
		s->in.events = load_u64(&a->ingest->events);
		s->in.bad = load_u64(&a->ingest->bad);
		s->in.drops = load_u64(&a->ingest->drops);
		s->in.checkpoints = load_u64(&a->ingest->checkpoints);
		s->in.last_event_ns = load_i64(&a->ingest->last_event_ns);
		s->in.last_commit_ns = load_i64(&a->ingest->last_commit_ns);
		s->in.sources = __atomic_load_n(&a->ingest->sources, __ATOMIC_RELAXED);
		s->in.sources_running =
		    __atomic_load_n(&a->ingest->sources_running, __ATOMIC_RELAXED);
	}
	pthread_mutex_lock(&a->lock);
	trace_agent_stats(a->ta, &s->ts);
	s->store_ok = store_stats(a->store, &s->ss) == 0;
	s->http_requests = a->http_requests;
	s->tls_refused = a->tls_refused;
	s->status_requests = a->status_requests;
	s->not_found = a->not_found;
	/* The ingest rate over the time since the last report, at least a
	 * second, so that two quick reports do not show noise. */
	if (a->rate_ns == 0) {
		a->rate_ns = a->started_ns;
		a->rate_events = 0;
	}
	double dt = (double)(s->now - a->rate_ns) / 1e9;
	if (dt >= 1.0) {
		a->ingest_rate = (double)(s->in.events - a->rate_events) / dt;
		a->rate_ns = s->now;
		a->rate_events = s->in.events;
	}
	s->ingest_rate = a->ingest_rate;
	pthread_mutex_unlock(&a->lock);
	agent_audit_head(a->audit, &s->audit_entries, s->audit_head);
	s->uptime_s = (double)(s->now - a->started_ns) / 1e9;
}

void agent_status_json(struct agent *a, struct dh_buf *out)
{
	struct snapshot s;
	snap(a, &s);
	dh_buf_addf(out, "{\"v\":%d,\"agent\":", TRACE_VERSION);
	dh_buf_add_json_str(out, a->conf.name, strlen(a->conf.name));
	dh_buf_addf(out, ",\"uptime_s\":%.0f", s.uptime_s);
	dh_buf_addf(out,
	            ",\"ingest\":{\"events\":%llu,\"rate_per_s\":%.1f,\"bad\":%llu,"
	            "\"drops\":%llu,\"checkpoints\":%llu,\"sources\":%u,\"sources_running\":%u",
	            (unsigned long long)s.in.events, s.ingest_rate, (unsigned long long)s.in.bad,
	            (unsigned long long)s.in.drops, (unsigned long long)s.in.checkpoints,
	            s.in.sources, s.in.sources_running);
	if (s.in.last_commit_ns)
		dh_buf_addf(out, ",\"visible_lag_s\":%.1f",
		            (double)(s.now - s.in.last_commit_ns) / 1e9);
	dh_buf_adds(out, "}");
	if (s.store_ok)
		dh_buf_addf(out, ",\"store\":{\"events\":%llu,\"bytes\":%llu,\"partitions\":%llu}",
		            (unsigned long long)s.ss.events, (unsigned long long)s.ss.bytes_on_disk,
		            (unsigned long long)s.ss.partitions);
	dh_buf_addf(out,
	            ",\"requests\":{\"http\":%llu,\"received\":%llu,\"served\":%llu,"
	            "\"refused\":%llu,\"refused_tls\":%llu,\"relayed\":%llu,\"unreached\":%llu,"
	            "\"status\":%llu}",
	            (unsigned long long)s.http_requests, (unsigned long long)s.ts.requests,
	            (unsigned long long)s.ts.served, (unsigned long long)s.ts.refused,
	            (unsigned long long)s.tls_refused, (unsigned long long)s.ts.relayed,
	            (unsigned long long)s.ts.unreached, (unsigned long long)s.status_requests);
	dh_buf_adds(out, ",\"peers\":[");
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->nps; i++) {
		const struct peer_state *p = &a->ps[i];
		if (i)
			dh_buf_addc(out, ',');
		dh_buf_adds(out, "{\"name\":");
		dh_buf_add_json_str(out, p->name, strlen(p->name));
		dh_buf_addf(out, ",\"reachable\":%s,\"relays_ok\":%llu,\"relays_failed\":%llu",
		            p->reachable < 0 ? "null"
		            : p->reachable   ? "true"
		                             : "false",
		            (unsigned long long)p->ok, (unsigned long long)p->failed);
		if (p->last_error[0]) {
			dh_buf_adds(out, ",\"last_error\":");
			dh_buf_add_json_str(out, p->last_error, strlen(p->last_error));
		}
		dh_buf_addc(out, '}');
	}
	pthread_mutex_unlock(&a->lock);
	dh_buf_addf(out, "],\"audit\":{\"entries\":%llu,\"head\":\"%s\"}}",
	            (unsigned long long)s.audit_entries, s.audit_head);
}

static void metric(struct dh_buf *out, const char *name, const char *type, const char *help,
                   double v)
{
	dh_buf_addf(out, "# HELP dnshound_agent_%s %s\n# TYPE dnshound_agent_%s %s\n", name, help,
	            name, type);
	dh_buf_addf(out, "dnshound_agent_%s %.17g\n", name, v);
}

void agent_metrics(struct agent *a, struct dh_buf *out)
{
	struct snapshot s;
	snap(a, &s);
	metric(out, "uptime_seconds", "gauge", "Seconds since the agent started.", s.uptime_s);
	metric(out, "ingest_events_total", "counter", "Events stored from the sources.",
	       (double)s.in.events);
	metric(out, "ingest_bad_total", "counter", "Bad records the sources skipped.",
	       (double)s.in.bad);
	metric(out, "ingest_drops_total", "counter", "Events lost before the store.",
	       (double)s.in.drops);
	metric(out, "ingest_rate", "gauge", "Events stored per second, recently.", s.ingest_rate);
	metric(out, "sources_running", "gauge", "Sources whose loop is running.",
	       (double)s.in.sources_running);
	if (s.store_ok) {
		metric(out, "store_events", "gauge", "Events in the store.", (double)s.ss.events);
		metric(out, "store_bytes", "gauge", "Bytes of the store on disk.",
		       (double)s.ss.bytes_on_disk);
	}
	metric(out, "requests_total", "counter", "Traceback requests received.",
	       (double)s.ts.requests);
	metric(out, "requests_served_total", "counter", "Traceback requests answered.",
	       (double)s.ts.served);
	metric(out, "requests_refused_total", "counter",
	       "Traceback requests refused by the protocol (rights, rate, loop, ...).",
	       (double)s.ts.refused);
	metric(out, "requests_refused_tls_total", "counter",
	       "Requests refused for their client certificate.", (double)s.tls_refused);
	metric(out, "relayed_total", "counter", "Requests relayed to peer agents.",
	       (double)s.ts.relayed);
	metric(out, "unreached_total", "counter", "Relays that did not reach their peer.",
	       (double)s.ts.unreached);
	metric(out, "audit_entries", "gauge", "Entries in the audit log.", (double)s.audit_entries);
	dh_buf_adds(out, "# HELP dnshound_agent_peer_up Whether the last relay to a peer was "
	                 "answered.\n# TYPE dnshound_agent_peer_up gauge\n");
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->nps; i++) {
		if (a->ps[i].reachable < 0)
			continue;
		/* Peer names are letters, digits and [-._] (checked at load):
		 * nothing in them needs escaping in a label. */
		dh_buf_addf(out, "dnshound_agent_peer_up{peer=\"%s\"} %d\n", a->ps[i].name,
		            a->ps[i].reachable);
	}
	pthread_mutex_unlock(&a->lock);
}

void agent_free(struct agent *a)
{
	if (!a)
		return;
	/* The server first: its requests may still use everything else. */
	agent_http_stop(a->http);
	if (a->flusher_started) {
		pthread_mutex_lock(&a->lock);
		a->stopping = 1;
		pthread_mutex_unlock(&a->lock);
		pthread_join(a->flusher, NULL);
	}
	trace_agent_free(a->ta);
	agent_client_free(a->client);
	agent_audit_close(a->audit);
	agent_conf_release(&a->conf);
	free(a->ps);
	pthread_cond_destroy(&a->cond);
	pthread_mutex_destroy(&a->lock);
	sodium_memzero(a->key, sizeof(a->key));
	free(a);
}
