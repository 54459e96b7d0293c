/*
 * agent_conf.c - reading and checking the agent's configuration.
 */
#include "agent/agent_conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "util/conf.h"
#include "util/err.h"

struct loader {
	struct agent_conf *c;
	/* The section being read: which peer or source, and where it began. */
	struct trace_peer *peer;
	struct agent_source *src;
	unsigned section_line;
	char section[32], sname[128];
	size_t peer_cap;
};

static int set_str(char *dst, size_t cap, const char *v, const char *key, char *err, size_t errlen)
{
	size_t n = strlen(v);
	if (n == 0) {
		snprintf(err, errlen, "%s needs a value", key);
		return DH_EUSAGE;
	}
	if (n >= cap) {
		snprintf(err, errlen, "%s is longer than %zu characters", key, cap - 1);
		return DH_EUSAGE;
	}
	memcpy(dst, v, n + 1);
	return 0;
}

static int add_addr(struct dh_addr *list, size_t *n, size_t max, const char *v, const char *key,
                    char *err, size_t errlen)
{
	if (*n >= max) {
		snprintf(err, errlen, "more than %zu %s entries", max, key);
		return DH_EUSAGE;
	}
	if (dh_addr_parse(&list[*n], v) != 0) {
		snprintf(err, errlen, "%s '%s' is not an IP address", key, v);
		return DH_EUSAGE;
	}
	(*n)++;
	return 0;
}

static int get_u32(const char *v, unsigned long long max, uint32_t *out, const char *key, char *err,
                   size_t errlen)
{
	unsigned long long u;
	if (dh_conf_u64(v, &u) != 0 || u > max) {
		snprintf(err, errlen, "%s must be a whole number from 0 to %llu", key, max);
		return DH_EUSAGE;
	}
	*out = (uint32_t)u;
	return 0;
}

static int get_secs(const char *v, double max, uint32_t *out, const char *key, char *err,
                    size_t errlen)
{
	double d;
	if (dh_conf_seconds(v, &d) != 0 || d > max) {
		snprintf(err, errlen, "%s must be a duration (90, 10m, 2h, 1d) of at most %.0f s",
		         key, max);
		return DH_EUSAGE;
	}
	*out = (uint32_t)d;
	return 0;
}

static int is_hex_fpr(const char *v)
{
	size_t n = 0;
	for (const char *p = v; *p; p++) {
		if (*p == ':')
			continue; /* "AB:CD:..." as certtool and openssl print it */
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
		      (*p >= 'A' && *p <= 'F')))
			return 0;
		n++;
	}
	return n == 64;
}

static void copy_fpr(char *dst, const char *v)
{
	size_t n = 0;
	for (const char *p = v; *p && n < TRACE_FPR_MAX; p++)
		if (*p != ':')
			dst[n++] = (char)((*p >= 'A' && *p <= 'F') ? *p - 'A' + 'a' : *p);
	dst[n] = 0;
}

/* The subject name of the CA certificate in file path, as the server
 * reports a client certificate's issuer. */
static int ca_subject(const char *path, char *out, size_t cap, char *err, size_t errlen)
{
	gnutls_datum_t d = {NULL, 0};
	gnutls_x509_crt_t crt;
	int rc = 0;
	if (gnutls_load_file(path, &d) < 0) {
		snprintf(err, errlen, "ca-file %s cannot be read", path);
		return DH_EUSAGE;
	}
	if (gnutls_x509_crt_init(&crt) < 0) {
		gnutls_free(d.data);
		return -ENOMEM;
	}
	size_t len = cap;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0 ||
	    gnutls_x509_crt_get_dn(crt, out, &len) < 0) {
		snprintf(err, errlen, "ca-file %s holds no PEM certificate", path);
		rc = DH_EUSAGE;
	}
	gnutls_x509_crt_deinit(crt);
	gnutls_free(d.data);
	return rc;
}

/* Agent names travel on paths and label metrics: a plain alphabet. */
static int is_name(const char *v)
{
	for (const char *p = v; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_'))
			return 0;
	return 1;
}

static int agent_key(struct loader *l, const struct dh_conf_item *it, char *err, size_t errlen)
{
	struct agent_conf *c = l->c;
	const char *k = it->key, *v = it->value;
	uint32_t u;
	int b, rc;
	if (strcmp(k, "name") == 0) {
		if (!is_name(v)) {
			snprintf(err, errlen, "name may hold letters, digits, '-', '.', '_'");
			return DH_EUSAGE;
		}
		return set_str(c->name, sizeof(c->name), v, k, err, errlen);
	}
	if (strcmp(k, "listen") == 0) {
		struct dh_addr a;
		if (dh_addr_parse(&a, v) != 0) {
			snprintf(err, errlen, "listen '%s' is not an IP address", v);
			return DH_EUSAGE;
		}
		return set_str(c->listen, sizeof(c->listen), v, k, err, errlen);
	}
	if (strcmp(k, "port") == 0) {
		if ((rc = get_u32(v, 65535, &u, k, err, errlen)))
			return rc;
		c->port = (uint16_t)u;
		return 0;
	}
	if (strcmp(k, "cert") == 0)
		return set_str(c->cert, sizeof(c->cert), v, k, err, errlen);
	if (strcmp(k, "key") == 0)
		return set_str(c->key, sizeof(c->key), v, k, err, errlen);
	if (strcmp(k, "ca") == 0)
		return set_str(c->ca, sizeof(c->ca), v, k, err, errlen);
	if (strcmp(k, "store") == 0)
		return set_str(c->store, sizeof(c->store), v, k, err, errlen);
	if (strcmp(k, "audit") == 0)
		return set_str(c->audit, sizeof(c->audit), v, k, err, errlen);
	if (strcmp(k, "oprf-key") == 0)
		return set_str(c->oprf_key, sizeof(c->oprf_key), v, k, err, errlen);
	if (strcmp(k, "audit-sync") == 0) {
		if (strcmp(v, "each") == 0 || strcmp(v, "yes") == 0)
			c->audit_sync = AGENT_SYNC_EACH;
		else if (strcmp(v, "periodic") == 0)
			c->audit_sync = AGENT_SYNC_PERIODIC;
		else if (strcmp(v, "no") == 0)
			c->audit_sync = AGENT_SYNC_NO;
		else {
			snprintf(err, errlen, "audit-sync is each, periodic or no");
			return DH_EUSAGE;
		}
		return 0;
	}
	if (strcmp(k, "server") == 0)
		return add_addr(c->servers, &c->nservers, TRACE_SERVERS_MAX, v, k, err, errlen);
	if (strcmp(k, "downstream") == 0)
		return add_addr(c->downstream, &c->ndownstream, TRACE_SERVERS_MAX, v, k, err,
		                errlen);
	if (strcmp(k, "sees-upstream") == 0) {
		if (dh_conf_bool(v, &b) != 0) {
			snprintf(err, errlen, "sees-upstream is yes or no");
			return DH_EUSAGE;
		}
		c->sees_upstream = b;
		return 0;
	}
	if (strcmp(k, "retention") == 0) {
		if (dh_conf_seconds(v, &c->retention_s) != 0 ||
		    (c->retention_s > 0 && c->retention_s < 3600)) {
			snprintf(err, errlen,
			         "retention is a duration of an hour or more (30d), or 0");
			return DH_EUSAGE;
		}
		return 0;
	}
	if (strcmp(k, "threads") == 0) {
		if ((rc = get_u32(v, 64, &u, k, err, errlen)))
			return rc;
		if (u == 0) {
			snprintf(err, errlen, "threads must be 1 or more");
			return DH_EUSAGE;
		}
		c->threads = u;
		return 0;
	}
	if (strcmp(k, "max-request") == 0) {
		if ((rc = get_u32(v, TRACE_REQUEST_MAX, &u, k, err, errlen)))
			return rc;
		c->max_body = u;
		return 0;
	}
	if (strcmp(k, "lookback-default") == 0)
		return get_secs(v, 7 * 86400, &c->lookback_default_s, k, err, errlen);
	if (strcmp(k, "lookback-max") == 0)
		return get_secs(v, 7 * 86400, &c->lookback_max_s, k, err, errlen);
	if (strcmp(k, "cc-lookback") == 0)
		return get_secs(v, 7 * 86400, &c->cc_lookback_s, k, err, errlen);
	if (strcmp(k, "relay-timeout") == 0) {
		double d;
		if (dh_conf_seconds(v, &d) != 0 || d <= 0 || d > 600) {
			snprintf(err, errlen, "relay-timeout is a duration up to 10m");
			return DH_EUSAGE;
		}
		c->relay_timeout_ms = (unsigned)(d * 1000);
		return 0;
	}
	if (strcmp(k, "admin") == 0) {
		if (!is_hex_fpr(v)) {
			snprintf(err, errlen,
			         "admin is a certificate's SHA-256 fingerprint (64 hex)");
			return DH_EUSAGE;
		}
		if (c->nadmins >= AGENT_ADMINS_MAX) {
			snprintf(err, errlen, "more than %d admin entries", AGENT_ADMINS_MAX);
			return DH_EUSAGE;
		}
		copy_fpr(c->admins[c->nadmins++], v);
		return 0;
	}
	snprintf(err, errlen, "unknown key '%s' in [agent]", k);
	return DH_EUSAGE;
}

static int source_key(struct loader *l, const struct dh_conf_item *it, char *err, size_t errlen)
{
	struct agent_source *s = l->src;
	const char *k = it->key, *v = it->value;
	if (strcmp(k, "type") == 0) {
		if (strcmp(v, "dnstap") == 0)
			s->type = AGENT_SRC_DNSTAP;
		else if (strcmp(v, "capture") == 0)
			s->type = AGENT_SRC_CAPTURE;
		else if (strcmp(v, "follow") == 0)
			s->type = AGENT_SRC_FOLLOW;
		else {
			snprintf(err, errlen, "type is dnstap, capture or follow, not '%s'", v);
			return DH_EUSAGE;
		}
		return 0;
	}
	if (strcmp(k, "path") == 0)
		return set_str(s->path, sizeof(s->path), v, k, err, errlen);
	if (strcmp(k, "interface") == 0)
		return set_str(s->iface, sizeof(s->iface), v, k, err, errlen);
	if (strcmp(k, "format") == 0)
		return set_str(s->format, sizeof(s->format), v, k, err, errlen);
	if (strcmp(k, "filter") == 0)
		return set_str(s->filter, sizeof(s->filter), v, k, err, errlen);
	snprintf(err, errlen, "unknown key '%s' in [source %s]", k, s->name);
	return DH_EUSAGE;
}

static int peer_key(struct loader *l, const struct dh_conf_item *it, char *err, size_t errlen)
{
	struct trace_peer *p = l->peer;
	const char *k = it->key, *v = it->value;
	if (strcmp(k, "fingerprint") == 0) {
		if (!is_hex_fpr(v)) {
			snprintf(
			    err, errlen,
			    "fingerprint is the SHA-256 of the peer's certificate (64 hex digits)");
			return DH_EUSAGE;
		}
		copy_fpr(p->fingerprint, v);
		return 0;
	}
	if (strcmp(k, "ca") == 0)
		return set_str(p->ca, sizeof(p->ca), v, k, err, errlen);
	if (strcmp(k, "ca-file") == 0)
		return ca_subject(v, p->ca, sizeof(p->ca), err, errlen);
	if (strcmp(k, "cn") == 0)
		return set_str(p->cn, sizeof(p->cn), v, k, err, errlen);
	if (strcmp(k, "url") == 0) {
		if (strncmp(v, "https://", 8) != 0 || strlen(v) <= 8) {
			snprintf(err, errlen, "url must start with https://");
			return DH_EUSAGE;
		}
		return set_str(p->url, sizeof(p->url), v, k, err, errlen);
	}
	if (strcmp(k, "server") == 0)
		return add_addr(p->servers, &p->nservers, TRACE_SERVERS_MAX, v, k, err, errlen);
	if (strcmp(k, "rights") == 0) {
		if (trace_rights_parse(v, &p->rights) != 0) {
			snprintf(
			    err, errlen,
			    "rights is a list of ask, relay, clients, confirm (comma-separated)");
			return DH_EUSAGE;
		}
		return 0;
	}
	if (strcmp(k, "rate") == 0 || strcmp(k, "burst") == 0) {
		char *end;
		double d = strtod(v, &end);
		if (end == v || *end || !(d >= 0) || d > 1e6) {
			snprintf(err, errlen, "%s is a number of requests (per second for rate)",
			         k);
			return DH_EUSAGE;
		}
		if (k[0] == 'r')
			p->rate = d;
		else
			p->burst = d;
		return 0;
	}
	snprintf(err, errlen, "unknown key '%s' in [peer %s]", k, p->name);
	return DH_EUSAGE;
}

/* Checks the section just finished. */
static int finish_section(struct loader *l, char *err, size_t errlen)
{
	if (l->peer) {
		struct trace_peer *p = l->peer;
		if (!p->fingerprint[0] && !(p->ca[0] && p->cn[0])) {
			snprintf(err, errlen,
			         "[peer %s] needs fingerprint, or ca (or ca-file) and cn, to be "
			         "known by",
			         p->name);
			return DH_EUSAGE;
		}
		if (p->nservers > 0 && !p->url[0]) {
			snprintf(err, errlen, "[peer %s] has server entries but no url to relay to",
			         p->name);
			return DH_EUSAGE;
		}
		if (p->rate > 0 && p->burst <= 0)
			p->burst = p->rate < 1 ? 1 : p->rate;
	}
	if (l->src) {
		struct agent_source *s = l->src;
		if (!s->type) {
			snprintf(err, errlen, "[source %s] needs type = dnstap, capture or follow",
			         s->name);
			return DH_EUSAGE;
		}
		if ((s->type == AGENT_SRC_DNSTAP || s->type == AGENT_SRC_FOLLOW) && !s->path[0]) {
			snprintf(err, errlen, "[source %s] needs path", s->name);
			return DH_EUSAGE;
		}
		if (s->type == AGENT_SRC_CAPTURE && !s->iface[0]) {
			snprintf(err, errlen, "[source %s] needs interface", s->name);
			return DH_EUSAGE;
		}
	}
	l->peer = NULL;
	l->src = NULL;
	return 0;
}

static int start_section(struct loader *l, const struct dh_conf_item *it, char *err, size_t errlen)
{
	struct agent_conf *c = l->c;
	int rc = finish_section(l, err, errlen);
	if (rc)
		return rc;
	snprintf(l->section, sizeof(l->section), "%s", it->section);
	snprintf(l->sname, sizeof(l->sname), "%s", it->name);
	l->section_line = it->line;
	if (strcmp(it->section, "agent") == 0) {
		if (it->name[0]) {
			snprintf(err, errlen, "[agent] takes no name");
			return DH_EUSAGE;
		}
		return 0;
	}
	if (strcmp(it->section, "peer") == 0) {
		if (!it->name[0] || strlen(it->name) > TRACE_AGENT_MAX || !is_name(it->name)) {
			snprintf(
			    err, errlen,
			    "a peer section is [peer NAME], NAME the peer agent's name (letters, "
			    "digits, '-', '.', '_')");
			return DH_EUSAGE;
		}
		for (size_t i = 0; i < c->npeers; i++)
			if (strcmp(c->peers[i].name, it->name) == 0) {
				snprintf(err, errlen, "[peer %s] appears twice", it->name);
				return DH_EUSAGE;
			}
		if (c->npeers >= AGENT_PEERS_MAX) {
			snprintf(err, errlen, "more than %d peers", AGENT_PEERS_MAX);
			return DH_EUSAGE;
		}
		if (c->npeers == l->peer_cap) {
			size_t ncap = l->peer_cap ? l->peer_cap * 2 : 8;
			struct trace_peer *np = realloc(c->peers, ncap * sizeof(*np));
			if (!np)
				return -ENOMEM;
			c->peers = np;
			l->peer_cap = ncap;
		}
		l->peer = &c->peers[c->npeers++];
		memset(l->peer, 0, sizeof(*l->peer));
		snprintf(l->peer->name, sizeof(l->peer->name), "%s", it->name);
		return 0;
	}
	if (strcmp(it->section, "source") == 0) {
		if (!it->name[0]) {
			snprintf(err, errlen, "a source section is [source NAME]");
			return DH_EUSAGE;
		}
		if (c->nsources >= AGENT_SOURCES_MAX) {
			snprintf(err, errlen, "more than %d sources", AGENT_SOURCES_MAX);
			return DH_EUSAGE;
		}
		l->src = &c->sources[c->nsources++];
		memset(l->src, 0, sizeof(*l->src));
		snprintf(l->src->name, sizeof(l->src->name), "%s", it->name);
		snprintf(l->src->format, sizeof(l->src->format), "auto");
		l->src->line = it->line;
		return 0;
	}
	/* Sections of other commands (detect, nshist ...) may share the
	 * file; the agent reads only its own. */
	return 0;
}

static int on_item(void *ctx, const struct dh_conf_item *it, char *err, size_t errlen)
{
	struct loader *l = ctx;
	if (strcmp(it->section, l->section) != 0 || strcmp(it->name, l->sname) != 0) {
		int rc = start_section(l, it, err, errlen);
		if (rc)
			return rc;
	}
	if (strcmp(it->section, "agent") == 0)
		return agent_key(l, it, err, errlen);
	if (l->peer)
		return peer_key(l, it, err, errlen);
	if (l->src)
		return source_key(l, it, err, errlen);
	if (it->section[0] == 0) {
		snprintf(err, errlen, "'%s' stands before any [section]", it->key);
		return DH_EUSAGE;
	}
	return 0;
}

static int readable(const char *path, const char *key, const char *file, char *err, size_t errlen)
{
	if (access(path, R_OK) != 0) {
		snprintf(err, errlen, "%s: [agent] %s = %s: %s", file, key, path, strerror(errno));
		return DH_EUSAGE;
	}
	return 0;
}

static void defaults(struct agent_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "::");
	c->port = 8853;
	c->audit_sync = AGENT_SYNC_PERIODIC;
	c->threads = 4;
	c->max_body = TRACE_REQUEST_MAX;
	c->relay_timeout_ms = 5000;
}

int agent_conf_load(struct agent_conf *c, const char *path, char *err, size_t errlen)
{
	struct loader l;
	int rc;
	defaults(c);
	snprintf(c->path, sizeof(c->path), "%s", path);
	memset(&l, 0, sizeof(l));
	l.c = c;
	l.section[0] = 0;
	rc = dh_conf_parse_file(path, on_item, &l, err, errlen);
	if (rc == 0) {
		char msg[256];
		if ((rc = finish_section(&l, msg, sizeof(msg))) != 0)
			snprintf(err, errlen, "%s:%u: %s", path, l.section_line, msg);
	}
	if (rc)
		goto fail;
	/* What the agent cannot run without. */
	static const char *const need[] = {"name", "cert", "key", "ca", "store", "audit"};
	const char *have[] = {c->name, c->cert, c->key, c->ca, c->store, c->audit};
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!have[i][0]) {
			snprintf(err, errlen, "%s: [agent] needs %s", path, need[i]);
			rc = DH_EUSAGE;
			goto fail;
		}
	if (c->nservers == 0) {
		snprintf(err, errlen,
		         "%s: [agent] needs at least one 'server = ADDR', the DNS server it serves",
		         path);
		rc = DH_EUSAGE;
		goto fail;
	}
	if ((rc = readable(c->cert, "cert", path, err, errlen)) ||
	    (rc = readable(c->key, "key", path, err, errlen)) ||
	    (rc = readable(c->ca, "ca", path, err, errlen)))
		goto fail;
	return 0;
fail:
	agent_conf_release(c);
	return rc;
}

void agent_conf_release(struct agent_conf *c)
{
	free(c->peers);
	c->peers = NULL;
	c->npeers = 0;
}
