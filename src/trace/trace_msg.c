/*
 * trace_msg.c - JSON encoding and strict parsing of the traceback
 * protocol's messages (doc/protocol.md), over json-c.
 *
 * json-c is used because its tokenizer takes the nesting limit at run
 * time (json_tokener_new_ex) and is an iterative state machine, so a deep
 * input can neither exhaust the stack nor pass the limit, and because its
 * strict mode refuses what RFC 8259 does not allow (trailing commas,
 * single quotes, bytes after the value).
 */
#include "trace/trace_msg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "util/cursor.h"
#include "util/err.h"

/* ---- codes ---- */

static const char *const code_names[] = {
    "bad_request", "unsupported_version", "too_large", "unknown_peer", "forbidden",
    "loop",        "hop_limit",           "deadline",  "rate_limited", "internal",
    "down",
};

const char *trace_code_name(int code)
{
	if (code <= TRACE_EBADREQ && code > TRACE_ELAST)
		return code_names[TRACE_EBADREQ - code];
	return "internal";
}

int trace_code_parse(const char *name)
{
	for (int i = 0; i < (int)(sizeof(code_names) / sizeof(code_names[0])); i++)
		if (strcmp(code_names[i], name) == 0)
			return TRACE_EBADREQ - i;
	return TRACE_EINTERNAL;
}

const char *trace_strerror(int code)
{
	static const char *const text[] = {
	    "malformed request",
	    "unsupported protocol version",
	    "message or list too large",
	    "unknown peer",
	    "forbidden by the peer's rights",
	    "loop: this agent is already on the path",
	    "hop limit reached",
	    "deadline passed",
	    "rate limit exceeded",
	    "internal error",
	    "peer unreachable",
	};
	if (code <= TRACE_EBADREQ && code > TRACE_ELAST)
		return text[TRACE_EBADREQ - code];
	return dh_strerror(code);
}

/* ---- answers: lists ---- */

void trace_answer_init(struct trace_answer *a)
{
	memset(a, 0, sizeof(*a));
	a->version = TRACE_VERSION;
	a->spoofed = -1;
}

void trace_answer_release(struct trace_answer *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nconf; i++)
		free(a->conf[i].tags);
	free(a->conf);
	free(a->names);
	free(a->cand);
	free(a->cc);
	free(a->unreached);
	free(a->warnings);
	trace_answer_init(a);
}

/* Grows *arr of *n elements of size sz by one zeroed element, within max.
 * The capacity doubles; it is kept implicitly as the next power of two. */
static int grow(void **arr, size_t *n, size_t sz, size_t max)
{
	if (*n >= max)
		return TRACE_ETOOBIG;
	size_t cap = 4;
	while (cap < *n)
		cap *= 2;
	if (*n == 0 || *n == cap) {
		size_t ncap = *n == 0 ? 4 : cap * 2;
		void *p = realloc(*arr, ncap * sz);
		if (!p)
			return -ENOMEM;
		*arr = p;
	}
	memset((char *)*arr + *n * sz, 0, sz);
	(*n)++;
	return 0;
}

int trace_answer_add_cand(struct trace_answer *a, struct trace_candidate **out)
{
	int rc = grow((void **)&a->cand, &a->ncand, sizeof(*a->cand), TRACE_CAND_MAX);
	if (rc == 0)
		*out = &a->cand[a->ncand - 1];
	return rc;
}

int trace_answer_add_cc(struct trace_answer *a, struct trace_cc **out)
{
	int rc = grow((void **)&a->cc, &a->ncc, sizeof(*a->cc), TRACE_CC_MAX);
	if (rc == 0)
		*out = &a->cc[a->ncc - 1];
	return rc;
}

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

int trace_answer_add_unreached(struct trace_answer *a, const char *agent, const char *reason,
                               const char *detail)
{
	int rc =
	    grow((void **)&a->unreached, &a->nunreached, sizeof(*a->unreached), TRACE_LIST_MAX);
	if (rc)
		return rc;
	struct trace_unreached *u = &a->unreached[a->nunreached - 1];
	copy(u->agent, sizeof(u->agent), agent);
	copy(u->reason, sizeof(u->reason), reason);
	copy(u->detail, sizeof(u->detail), detail);
	return 0;
}

int trace_answer_add_warning(struct trace_answer *a, const char *text)
{
	for (size_t i = 0; i < a->nwarnings; i++)
		if (strcmp(a->warnings[i], text) == 0)
			return 0;
	int rc = grow((void **)&a->warnings, &a->nwarnings, sizeof(*a->warnings), TRACE_LIST_MAX);
	if (rc == 0)
		copy(a->warnings[a->nwarnings - 1], TRACE_TEXT_MAX, text);
	return rc;
}

int trace_answer_add_name(struct trace_answer *a, const char *name)
{
	size_t n = a->nnames;
	int rc = grow((void **)&a->names, &n, sizeof(*a->names), TRACE_LIST_MAX);
	if (rc)
		return rc;
	a->nnames = (unsigned)n;
	copy(a->names[n - 1], TRACE_NAME_MAX, name);
	return 0;
}

int trace_answer_add_conf(struct trace_answer *a, struct trace_confirmation **out)
{
	int rc = grow((void **)&a->conf, &a->nconf, sizeof(*a->conf), TRACE_CONF_MAX);
	if (rc == 0)
		*out = &a->conf[a->nconf - 1];
	return rc;
}

void trace_cand_reason(struct trace_candidate *c, const char *fmt, ...)
{
	if (c->nreasons >= TRACE_REASONS_MAX)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->reasons[c->nreasons], TRACE_REASON_LEN, fmt, ap);
	va_end(ap);
	c->nreasons++;
}

/* ---- small text checks ---- */

int trace_name_norm(const char *in, char *out)
{
	size_t n = strlen(in);
	if (n == 0 || n > 253 || (n == 1 && in[0] == '.'))
		return TRACE_EBADREQ;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = in[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (ch == '.') {
			if (label == 0)
				return TRACE_EBADREQ;
			label = 0;
		} else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		           ch == '_') {
			if (++label > 63)
				return TRACE_EBADREQ;
		} else {
			return TRACE_EBADREQ;
		}
		out[i] = ch;
	}
	if (out[n - 1] != '.')
		out[n++] = '.';
	out[n] = '\0';
	return 0;
}

static int token_ok(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);
	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.'))
			return 0;
	}
	return 1;
}

static void hex_encode(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hex_decode(const char *s, uint8_t *out, size_t n)
{
	if (strlen(s) != 2 * n)
		return -1;
	for (size_t i = 0; i < 2 * n; i++) {
		char ch = s[i];
		int v;
		if (ch >= '0' && ch <= '9')
			v = ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			v = ch - 'a' + 10;
		else
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
	}
	return 0;
}

/* ---- encoding ---- */

/* Adds key = value to obj; value NULL means allocation failed, which is
 * remembered in *bad. */
static void put(struct json_object *obj, const char *key, struct json_object *val, int *bad)
{
	if (!val) {
		*bad = 1;
		return;
	}
	if (json_object_object_add(obj, key, val) != 0) {
		json_object_put(val);
		*bad = 1;
	}
}

static void push(struct json_object *arr, struct json_object *val, int *bad)
{
	if (!val) {
		*bad = 1;
		return;
	}
	if (json_object_array_add(arr, val) != 0) {
		json_object_put(val);
		*bad = 1;
	}
}

/* A score as a fixed three-decimal number, so output is deterministic. */
static struct json_object *score_json(double d)
{
	char buf[48];
	snprintf(buf, sizeof(buf), "%.3f", d);
	return json_object_new_double_s(d, buf);
}

static struct json_object *str_array(const char (*s)[TRACE_AGENT_MAX + 1], size_t n, int *bad)
{
	struct json_object *arr = json_object_new_array();
	if (!arr) {
		*bad = 1;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		push(arr, json_object_new_string(s[i]), bad);
	return arr;
}

static int finish(struct json_object *obj, int bad, char **out, size_t *len)
{
	int rc = -ENOMEM;
	if (bad)
		goto out;
	size_t n = 0;
	const char *text = json_object_to_json_string_length(
	    obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (!text)
		goto out;
	*out = malloc(n + 1);
	if (!*out)
		goto out;
	memcpy(*out, text, n + 1);
	*len = n;
	rc = 0;
out:
	json_object_put(obj);
	return rc;
}

int trace_request_encode(const struct trace_request *r, char **out, size_t *len)
{
	int bad = 0;
	struct json_object *o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	put(o, "v", json_object_new_int((int)r->version), &bad);
	put(o, "type", json_object_new_string(r->kind == TRACE_KIND_CONFIRM ? "confirm" : "trace"),
	    &bad);
	put(o, "request_id", json_object_new_string(r->request_id), &bad);
	put(o, "originator", json_object_new_string(r->originator), &bad);
	put(o, "hops", json_object_new_int((int)r->hops), &bad);
	put(o, "max_hops", json_object_new_int((int)r->max_hops), &bad);
	put(o, "path", str_array(r->path, r->npath, &bad), &bad);
	put(o, "deadline_ms", json_object_new_int64(r->deadline_ms), &bad);
	if (r->fqdn[0])
		put(o, "fqdn", json_object_new_string(r->fqdn), &bad);
	if (r->victim.family != DH_AF_NONE) {
		char a[DH_ADDR_TEXT_MAX];
		dh_addr_format(&r->victim, a, sizeof(a));
		put(o, "victim_ip", json_object_new_string(a), &bad);
	}
	put(o, "attack_start_ms", json_object_new_int64(r->attack_start_ms), &bad);
	put(o, "attack_end_ms", json_object_new_int64(r->attack_end_ms), &bad);
	put(o, "window_s", json_object_new_int64(r->window_s), &bad);
	put(o, "lookback_s", json_object_new_int64(r->lookback_s), &bad);
	if (r->has_blinded) {
		char hex[2 * TRACE_OPRF_BYTES + 1];
		hex_encode(r->blinded, TRACE_OPRF_BYTES, hex);
		struct json_object *c = json_object_new_object();
		if (c)
			put(c, "blinded", json_object_new_string(hex), &bad);
		put(o, "confirm", c, &bad);
	}
	return finish(o, bad, out, len);
}

int trace_error_encode(const char *request_id, const char *agent, int code, const char *message,
                       char **out, size_t *len)
{
	int bad = 0;
	struct json_object *o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	put(o, "v", json_object_new_int(TRACE_VERSION), &bad);
	put(o, "request_id", json_object_new_string(request_id ? request_id : ""), &bad);
	put(o, "agent", json_object_new_string(agent ? agent : ""), &bad);
	struct json_object *e = json_object_new_object();
	if (e) {
		put(e, "code", json_object_new_string(trace_code_name(code)), &bad);
		put(e, "message", json_object_new_string(message ? message : trace_strerror(code)),
		    &bad);
	}
	put(o, "error", e, &bad);
	return finish(o, bad, out, len);
}

static struct json_object *cand_json(const struct trace_candidate *c, int *bad)
{
	struct json_object *o = json_object_new_object();
	if (!o) {
		*bad = 1;
		return NULL;
	}
	put(o, "host", json_object_new_string(c->host), bad);
	put(o, "score", score_json(c->score), bad);
	struct json_object *rs = json_object_new_array();
	for (unsigned i = 0; rs && i < c->nreasons; i++)
		push(rs, json_object_new_string(c->reasons[i]), bad);
	put(o, "reasons", rs, bad);
	put(o, "path", str_array(c->path, c->npath, bad), bad);
	struct json_object *ev = json_object_new_array();
	for (unsigned i = 0; ev && i < c->nevidence; i++) {
		const struct trace_evidence *e = &c->evidence[i];
		struct json_object *x = json_object_new_object();
		if (x) {
			put(x, "ts_ms", json_object_new_int64(e->ts_ms), bad);
			put(x, "qtype", json_object_new_int(e->qtype), bad);
			if (e->cached < 0)
				json_object_object_add(x, "cached", NULL); /* null */
			else
				put(x, "cached", json_object_new_boolean(e->cached), bad);
			put(x, "agent", json_object_new_string(e->agent), bad);
		}
		push(ev, x, bad);
	}
	put(o, "evidence", ev, bad);
	put(o, "queries", json_object_new_int64(c->queries), bad);
	put(o, "requests", json_object_new_int64(c->requests), bad);
	put(o, "resolvers", json_object_new_int64(c->resolvers), bad);
	return o;
}

int trace_answer_encode(const struct trace_answer *a, char **out, size_t *len)
{
	if (a->error)
		return trace_error_encode(a->request_id, a->agent, a->error, a->error_message, out,
		                          len);
	int bad = 0;
	struct json_object *o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	put(o, "v", json_object_new_int((int)a->version), &bad);
	put(o, "request_id", json_object_new_string(a->request_id), &bad);
	put(o, "agent", json_object_new_string(a->agent), &bad);
	put(o, "fqdn", json_object_new_string(a->fqdn), &bad);
	struct json_object *names = json_object_new_array();
	for (unsigned i = 0; names && i < a->nnames; i++)
		push(names, json_object_new_string(a->names[i]), &bad);
	put(o, "names", names, &bad);
	struct json_object *cands = json_object_new_array();
	for (size_t i = 0; cands && i < a->ncand; i++)
		push(cands, cand_json(&a->cand[i], &bad), &bad);
	put(o, "candidates", cands, &bad);
	if (a->spoofed < 0)
		json_object_object_add(o, "spoofed", NULL);
	else
		put(o, "spoofed", json_object_new_boolean(a->spoofed), &bad);
	struct json_object *cc = json_object_new_array();
	for (size_t i = 0; cc && i < a->ncc; i++) {
		struct json_object *x = json_object_new_object();
		if (x) {
			put(x, "name", json_object_new_string(a->cc[i].name), &bad);
			put(x, "score", score_json(a->cc[i].score), &bad);
			put(x, "bots", json_object_new_int64(a->cc[i].bots), &bad);
			put(x, "others", json_object_new_int64(a->cc[i].others), &bad);
		}
		push(cc, x, &bad);
	}
	put(o, "cc_candidates", cc, &bad);
	put(o, "hops", json_object_new_int((int)a->hops), &bad);
	put(o, "lookback_s", json_object_new_int64(a->lookback_s), &bad);
	put(o, "lookback_reason", json_object_new_string(a->lookback_reason), &bad);
	struct json_object *un = json_object_new_array();
	for (size_t i = 0; un && i < a->nunreached; i++) {
		struct json_object *x = json_object_new_object();
		if (x) {
			put(x, "agent", json_object_new_string(a->unreached[i].agent), &bad);
			put(x, "reason", json_object_new_string(a->unreached[i].reason), &bad);
			put(x, "detail", json_object_new_string(a->unreached[i].detail), &bad);
		}
		push(un, x, &bad);
	}
	put(o, "unreached", un, &bad);
	struct json_object *w = json_object_new_array();
	for (size_t i = 0; w && i < a->nwarnings; i++)
		push(w, json_object_new_string(a->warnings[i]), &bad);
	put(o, "warnings", w, &bad);
	struct json_object *cf = json_object_new_array();
	for (size_t i = 0; cf && i < a->nconf; i++) {
		const struct trace_confirmation *c = &a->conf[i];
		char hex[2 * TRACE_OPRF_BYTES + 1];
		struct json_object *x = json_object_new_object();
		struct json_object *tags = json_object_new_array();
		if (x && tags) {
			put(x, "agent", json_object_new_string(c->agent), &bad);
			hex_encode(c->evaluated, TRACE_OPRF_BYTES, hex);
			put(x, "evaluated", json_object_new_string(hex), &bad);
			for (size_t t = 0; t < c->ntags; t++) {
				hex_encode(c->tags[t], TRACE_OPRF_BYTES, hex);
				push(tags, json_object_new_string(hex), &bad);
			}
			put(x, "tags", tags, &bad);
			tags = NULL;
		}
		json_object_put(tags);
		push(cf, x, &bad);
	}
	put(o, "confirmations", cf, &bad);
	return finish(o, bad, out, len);
}

/* ---- parsing ---- */

struct pctx {
	char *err;
	size_t errlen;
	int rc;
};

static int fail(struct pctx *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct pctx *p, int code, const char *fmt, ...)
{
	if (p->rc)
		return p->rc;
	p->rc = code;
	if (p->err && p->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/*
 * Tokenises buf into *root. Before json-c sees the bytes, a pass through
 * the cursor refuses NUL bytes (json-c would stop there and the rest would
 * go unchecked) and anything over max.
 */
static int tokenise(struct pctx *p, const uint8_t *buf, size_t len, size_t max,
                    struct json_object **root)
{
	*root = NULL;
	if (len > max)
		return fail(p, TRACE_ETOOBIG, "message of %zu bytes exceeds the limit of %zu", len,
		            max);
	if (len == 0)
		return fail(p, TRACE_EBADREQ, "empty message");
	struct cur c;
	cur_init(&c, buf, len);
	while (cur_left(&c)) {
		if (cur_u8(&c) == 0)
			return fail(p, TRACE_EBADREQ, "NUL byte at offset %zu", cur_offset(&c) - 1);
	}
	struct json_tokener *tok = json_tokener_new_ex(TRACE_JSON_DEPTH);
	if (!tok)
		return fail(p, TRACE_EINTERNAL, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	struct json_object *o = json_tokener_parse_ex(tok, (const char *)buf, (int)len);
	enum json_tokener_error e = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	if (!o || e != json_tokener_success) {
		if (e == json_tokener_error_depth)
			fail(p, TRACE_ETOOBIG, "nesting deeper than %d at offset %zu",
			     TRACE_JSON_DEPTH, end);
		else if (e == json_tokener_continue)
			fail(p, TRACE_EBADREQ, "JSON text ends early at offset %zu", len);
		else
			fail(p, TRACE_EBADREQ, "JSON error at offset %zu: %s", end,
			     json_tokener_error_desc(e));
		json_object_put(o);
		json_tokener_free(tok);
		return p->rc;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return fail(p, TRACE_EBADREQ, "message is not a JSON object");
	}
	*root = o;
	return 0;
}

/* Refuses keys of obj not in allowed (NULL-terminated). */
static int only_keys(struct pctx *p, struct json_object *obj, const char *where,
                     const char *const *allowed)
{
	json_object_object_foreach(obj, key, val)
	{
		(void)val;
		int ok = 0;
		for (size_t i = 0; allowed[i]; i++)
			if (strcmp(key, allowed[i]) == 0)
				ok = 1;
		if (!ok)
			return fail(p, TRACE_EBADREQ, "%sunknown key \"%.40s\"", where, key);
	}
	return 0;
}

static struct json_object *get(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;
	if (!json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

/* An integer in [lo, hi]; required or (when dflt_ok) missing = *out kept. */
static int get_int(struct pctx *p, struct json_object *obj, const char *key, int64_t lo, int64_t hi,
                   int required, int64_t *out)
{
	struct json_object *v = get(obj, key);
	if (!v) {
		if (required)
			return fail(p, TRACE_EBADREQ, "missing \"%s\"", key);
		return 0;
	}
	if (!json_object_is_type(v, json_type_int))
		return fail(p, TRACE_EBADREQ, "\"%s\" is not an integer", key);
	errno = 0;
	int64_t x = json_object_get_int64(v);
	if (errno != 0 || x < lo || x > hi)
		return fail(p, TRACE_EBADREQ, "\"%s\" out of range [%lld, %lld]", key,
		            (long long)lo, (long long)hi);
	*out = x;
	return 0;
}

/* A string of at most max bytes copied into out (max + 1 bytes). */
static int get_str(struct pctx *p, struct json_object *obj, const char *key, size_t max,
                   int required, char *out)
{
	struct json_object *v = get(obj, key);
	if (!v) {
		if (required)
			return fail(p, TRACE_EBADREQ, "missing \"%s\"", key);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return fail(p, TRACE_EBADREQ, "\"%s\" is not a string", key);
	size_t n = (size_t)json_object_get_string_len(v);
	const char *s = json_object_get_string(v);
	if (n > max || strlen(s) != n)
		return fail(p, TRACE_EBADREQ, "\"%s\" longer than %zu bytes", key, max);
	memcpy(out, s, n + 1);
	return 0;
}

static int get_array(struct pctx *p, struct json_object *obj, const char *key, size_t max,
                     int required, struct json_object **out)
{
	struct json_object *v = get(obj, key);
	*out = NULL;
	if (!v) {
		if (required)
			return fail(p, TRACE_EBADREQ, "missing \"%s\"", key);
		return 0;
	}
	if (!json_object_is_type(v, json_type_array))
		return fail(p, TRACE_EBADREQ, "\"%s\" is not an array", key);
	if (json_object_array_length(v) > max)
		return fail(p, TRACE_ETOOBIG, "\"%s\" has more than %zu elements", key, max);
	*out = v;
	return 0;
}

static int check_version(struct pctx *p, struct json_object *root, unsigned *version)
{
	int64_t v = 0;
	struct json_object *jv = get(root, "v");
	if (!jv)
		return fail(p, TRACE_EBADREQ, "missing \"v\"");
	if (!json_object_is_type(jv, json_type_int))
		return fail(p, TRACE_EBADREQ, "\"v\" is not an integer");
	v = json_object_get_int64(jv);
	if (v != TRACE_VERSION)
		return fail(p, TRACE_EVERSION, "version %lld not supported (this agent speaks %d)",
		            (long long)v, TRACE_VERSION);
	*version = (unsigned)v;
	return 0;
}

static const char *const request_keys[] = {
    "v",        "type",       "request_id",      "originator",    "hops",
    "max_hops", "path",       "deadline_ms",     "fqdn",          "victim_ip",
    "window_s", "lookback_s", "attack_start_ms", "attack_end_ms", "confirm",
    NULL,
};

/* About a year past 2100 in ms: refuses absurd times. */
#define MS_MAX 4200000000000LL

static int parse_request(struct pctx *p, struct json_object *root, struct trace_request *r)
{
	char type[16] = "";
	int64_t x;

	memset(r, 0, sizeof(*r));
	if (check_version(p, root, &r->version))
		return p->rc;
	if (only_keys(p, root, "", request_keys))
		return p->rc;
	if (get_str(p, root, "type", sizeof(type) - 1, 1, type))
		return p->rc;
	if (strcmp(type, "trace") == 0)
		r->kind = TRACE_KIND_TRACE;
	else if (strcmp(type, "confirm") == 0)
		r->kind = TRACE_KIND_CONFIRM;
	else
		return fail(p, TRACE_EBADREQ, "unknown \"type\" \"%.20s\"", type);
	if (get_str(p, root, "request_id", TRACE_ID_MAX, 1, r->request_id))
		return p->rc;
	if (!token_ok(r->request_id, 8, TRACE_ID_MAX))
		return fail(p, TRACE_EBADREQ, "\"request_id\" must be 8-64 of [A-Za-z0-9._-]");
	if (get_str(p, root, "originator", TRACE_AGENT_MAX, 1, r->originator))
		return p->rc;
	if (!token_ok(r->originator, 1, TRACE_AGENT_MAX))
		return fail(p, TRACE_EBADREQ, "\"originator\" must be 1-64 of [A-Za-z0-9._-]");
	x = 0;
	if (get_int(p, root, "hops", 0, TRACE_HOPS_MAX, 1, &x))
		return p->rc;
	r->hops = (unsigned)x;
	if (get_int(p, root, "max_hops", 1, TRACE_HOPS_MAX, 1, &x))
		return p->rc;
	r->max_hops = (unsigned)x;
	struct json_object *path;
	if (get_array(p, root, "path", TRACE_PATH_MAX, 1, &path))
		return p->rc;
	r->npath = (unsigned)json_object_array_length(path);
	for (unsigned i = 0; i < r->npath; i++) {
		struct json_object *e = json_object_array_get_idx(path, i);
		const char *s =
		    json_object_is_type(e, json_type_string) ? json_object_get_string(e) : NULL;
		if (!s || !token_ok(s, 1, TRACE_AGENT_MAX))
			return fail(p, TRACE_EBADREQ, "\"path\"[%u] is not an agent name", i);
		memcpy(r->path[i], s, strlen(s) + 1);
	}
	if (r->npath != r->hops)
		return fail(p, TRACE_EBADREQ, "\"path\" has %u agents but \"hops\" is %u", r->npath,
		            r->hops);
	if (get_int(p, root, "deadline_ms", 1, MS_MAX, 1, &r->deadline_ms))
		return p->rc;
	char fq[TRACE_NAME_MAX] = "";
	if (get_str(p, root, "fqdn", TRACE_NAME_MAX - 2, 0, fq))
		return p->rc;
	if (fq[0] && trace_name_norm(fq, r->fqdn) != 0)
		return fail(p, TRACE_EBADREQ, "\"fqdn\" is not a host name");
	char ip[DH_ADDR_TEXT_MAX] = "";
	if (get_str(p, root, "victim_ip", DH_ADDR_TEXT_MAX - 1, 0, ip))
		return p->rc;
	if (ip[0] && dh_addr_parse(&r->victim, ip) != 0)
		return fail(p, TRACE_EBADREQ, "\"victim_ip\" is not an address");
	if (get_int(p, root, "attack_start_ms", 1, MS_MAX, 1, &r->attack_start_ms) ||
	    get_int(p, root, "attack_end_ms", 1, MS_MAX, 1, &r->attack_end_ms))
		return p->rc;
	if (r->attack_end_ms < r->attack_start_ms ||
	    r->attack_end_ms - r->attack_start_ms > 86400000LL)
		return fail(p, TRACE_EBADREQ, "attack end before start or more than a day after");
	x = 10;
	if (get_int(p, root, "window_s", 1, 3600, 0, &x))
		return p->rc;
	r->window_s = (uint32_t)x;
	x = 0;
	if (get_int(p, root, "lookback_s", 0, 7 * 86400, 0, &x))
		return p->rc;
	r->lookback_s = (uint32_t)x;
	struct json_object *conf = get(root, "confirm");
	if (conf) {
		static const char *const ck[] = {"blinded", NULL};
		char hex[2 * TRACE_OPRF_BYTES + 1];
		if (!json_object_is_type(conf, json_type_object))
			return fail(p, TRACE_EBADREQ, "\"confirm\" is not an object");
		if (only_keys(p, conf, "confirm: ", ck) ||
		    get_str(p, conf, "blinded", 2 * TRACE_OPRF_BYTES, 1, hex))
			return p->rc;
		if (hex_decode(hex, r->blinded, TRACE_OPRF_BYTES) != 0)
			return fail(p, TRACE_EBADREQ, "\"confirm.blinded\" is not 64 hex digits");
		r->has_blinded = 1;
	}
	if (r->kind == TRACE_KIND_TRACE && !!r->fqdn[0] == (r->victim.family != DH_AF_NONE))
		return fail(p, TRACE_EBADREQ,
		            "a trace needs exactly one of \"fqdn\" and "
		            "\"victim_ip\"");
	if (r->kind == TRACE_KIND_CONFIRM && (!r->fqdn[0] || !r->has_blinded))
		return fail(p, TRACE_EBADREQ, "a confirm needs \"fqdn\" and \"confirm\"");
	return 0;
}

int trace_request_parse(const uint8_t *buf, size_t len, struct trace_request *r, char *err,
                        size_t errlen)
{
	struct pctx p = {err, errlen, 0};
	struct json_object *root = NULL;
	if (err && errlen)
		err[0] = '\0';
	memset(r, 0, sizeof(*r));
	if (tokenise(&p, buf, len, TRACE_REQUEST_MAX, &root) == 0)
		parse_request(&p, root, r);
	json_object_put(root);
	return p.rc;
}

static int str_elem(struct pctx *p, struct json_object *arr, size_t i, const char *what, size_t max,
                    char *out)
{
	struct json_object *e = json_object_array_get_idx(arr, i);
	if (!json_object_is_type(e, json_type_string))
		return fail(p, TRACE_EBADREQ, "%s[%zu] is not a string", what, i);
	const char *s = json_object_get_string(e);
	size_t n = (size_t)json_object_get_string_len(e);
	if (n > max || strlen(s) != n)
		return fail(p, TRACE_EBADREQ, "%s[%zu] longer than %zu bytes", what, i, max);
	memcpy(out, s, n + 1);
	return 0;
}

static int obj_elem(struct pctx *p, struct json_object *arr, size_t i, const char *what,
                    const char *const *keys, struct json_object **out)
{
	*out = json_object_array_get_idx(arr, i);
	if (!json_object_is_type(*out, json_type_object))
		return fail(p, TRACE_EBADREQ, "%s[%zu] is not an object", what, i);
	char where[48];
	snprintf(where, sizeof(where), "%s[%zu]: ", what, i);
	return only_keys(p, *out, where, keys);
}

static int get_score(struct pctx *p, struct json_object *o, const char *key, double *out)
{
	struct json_object *v = get(o, key);
	if (!v ||
	    !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		return fail(p, TRACE_EBADREQ, "\"%s\" is not a number", key);
	double d = json_object_get_double(v);
	if (!(d >= -1e6 && d <= 1e6))
		return fail(p, TRACE_EBADREQ, "\"%s\" out of range", key);
	*out = d;
	return 0;
}

static int parse_cand(struct pctx *p, struct json_object *o, struct trace_candidate *c)
{
	static const char *const ek[] = {"ts_ms", "qtype", "cached", "agent", NULL};
	struct json_object *arr;
	int64_t x;

	if (get_str(p, o, "host", DH_ADDR_TEXT_MAX - 1, 1, c->host))
		return p->rc;
	struct dh_addr a;
	if (c->host[0] && dh_addr_parse(&a, c->host) != 0)
		return fail(p, TRACE_EBADREQ, "candidate host \"%.46s\" is not an address",
		            c->host);
	if (get_score(p, o, "score", &c->score))
		return p->rc;
	if (get_array(p, o, "reasons", TRACE_REASONS_MAX, 1, &arr))
		return p->rc;
	c->nreasons = (unsigned)json_object_array_length(arr);
	for (unsigned i = 0; i < c->nreasons; i++)
		if (str_elem(p, arr, i, "reasons", TRACE_REASON_LEN - 1, c->reasons[i]))
			return p->rc;
	if (get_array(p, o, "path", TRACE_PATH_MAX, 1, &arr))
		return p->rc;
	c->npath = (unsigned)json_object_array_length(arr);
	for (unsigned i = 0; i < c->npath; i++)
		if (str_elem(p, arr, i, "path", TRACE_AGENT_MAX, c->path[i]))
			return p->rc;
	if (get_array(p, o, "evidence", TRACE_EVIDENCE_MAX, 0, &arr))
		return p->rc;
	c->nevidence = arr ? (unsigned)json_object_array_length(arr) : 0;
	for (unsigned i = 0; i < c->nevidence; i++) {
		struct json_object *e;
		struct trace_evidence *ev = &c->evidence[i];
		if (obj_elem(p, arr, i, "evidence", ek, &e) ||
		    get_int(p, e, "ts_ms", 0, MS_MAX, 1, &ev->ts_ms))
			return p->rc;
		x = 0;
		if (get_int(p, e, "qtype", 0, 65535, 1, &x))
			return p->rc;
		ev->qtype = (uint16_t)x;
		struct json_object *cv = get(e, "cached");
		ev->cached = -1;
		if (cv && json_object_is_type(cv, json_type_boolean))
			ev->cached = (int8_t)json_object_get_boolean(cv);
		else if (cv)
			return fail(p, TRACE_EBADREQ, "\"cached\" is not true, false or null");
		if (get_str(p, e, "agent", TRACE_AGENT_MAX, 0, ev->agent))
			return p->rc;
	}
	x = 0;
	if (get_int(p, o, "queries", 0, UINT32_MAX, 0, &x))
		return p->rc;
	c->queries = (uint32_t)x;
	x = 0;
	if (get_int(p, o, "requests", 0, UINT32_MAX, 0, &x))
		return p->rc;
	c->requests = (uint32_t)x;
	x = 0;
	if (get_int(p, o, "resolvers", 0, UINT32_MAX, 0, &x))
		return p->rc;
	c->resolvers = (uint32_t)x;
	return 0;
}

static const char *const answer_keys[] = {
    "v",        "request_id",    "agent", "fqdn",       "names",           "candidates",
    "spoofed",  "cc_candidates", "hops",  "lookback_s", "lookback_reason", "unreached",
    "warnings", "confirmations", "error", NULL,
};

static int parse_answer(struct pctx *p, struct json_object *root, struct trace_answer *a)
{
	static const char *const ck[] = {"host",    "score",    "reasons",   "path", "evidence",
	                                 "queries", "requests", "resolvers", NULL};
	static const char *const cck[] = {"name", "score", "bots", "others", NULL};
	static const char *const uk[] = {"agent", "reason", "detail", NULL};
	static const char *const fk[] = {"agent", "evaluated", "tags", NULL};
	struct json_object *arr, *e;
	int64_t x;
	char buf[TRACE_TEXT_MAX];

	if (check_version(p, root, &a->version) || only_keys(p, root, "", answer_keys))
		return p->rc;
	if (get_str(p, root, "request_id", TRACE_ID_MAX, 1, a->request_id) ||
	    get_str(p, root, "agent", TRACE_AGENT_MAX, 0, a->agent))
		return p->rc;
	struct json_object *err = get(root, "error");
	if (err) {
		static const char *const ek[] = {"code", "message", NULL};
		char code[32];
		if (!json_object_is_type(err, json_type_object) ||
		    only_keys(p, err, "error: ", ek) ||
		    get_str(p, err, "code", sizeof(code) - 1, 1, code) ||
		    get_str(p, err, "message", TRACE_TEXT_MAX - 1, 0, a->error_message))
			return fail(p, TRACE_EBADREQ, "malformed \"error\"");
		a->error = trace_code_parse(code);
		return 0;
	}
	if (get_str(p, root, "fqdn", TRACE_NAME_MAX - 1, 1, a->fqdn))
		return p->rc;
	if (get_array(p, root, "names", TRACE_LIST_MAX, 0, &arr))
		return p->rc;
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		char nm[TRACE_NAME_MAX];
		if (str_elem(p, arr, i, "names", TRACE_NAME_MAX - 1, nm) ||
		    trace_answer_add_name(a, nm))
			return fail(p, TRACE_EBADREQ, "bad \"names\"");
	}
	if (get_array(p, root, "candidates", TRACE_CAND_MAX, 1, &arr))
		return p->rc;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct trace_candidate *c;
		if (obj_elem(p, arr, i, "candidates", ck, &e))
			return p->rc;
		if (trace_answer_add_cand(a, &c))
			return fail(p, TRACE_EINTERNAL, "out of memory");
		if (parse_cand(p, e, c))
			return p->rc;
	}
	struct json_object *sp = get(root, "spoofed");
	a->spoofed = -1;
	if (sp && json_object_is_type(sp, json_type_boolean))
		a->spoofed = json_object_get_boolean(sp);
	else if (sp)
		return fail(p, TRACE_EBADREQ, "\"spoofed\" is not true, false or null");
	if (get_array(p, root, "cc_candidates", TRACE_CC_MAX, 1, &arr))
		return p->rc;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct trace_cc *c;
		if (obj_elem(p, arr, i, "cc_candidates", cck, &e))
			return p->rc;
		if (trace_answer_add_cc(a, &c))
			return fail(p, TRACE_EINTERNAL, "out of memory");
		if (get_str(p, e, "name", TRACE_NAME_MAX - 1, 1, c->name) ||
		    get_score(p, e, "score", &c->score))
			return p->rc;
		x = 0;
		if (get_int(p, e, "bots", 0, UINT32_MAX, 1, &x))
			return p->rc;
		c->bots = (uint32_t)x;
		if (get_int(p, e, "others", 0, UINT32_MAX, 1, &x))
			return p->rc;
		c->others = (uint32_t)x;
	}
	x = 0;
	if (get_int(p, root, "hops", 0, TRACE_HOPS_MAX, 1, &x))
		return p->rc;
	a->hops = (unsigned)x;
	if (get_int(p, root, "lookback_s", 0, 7 * 86400, 1, &x))
		return p->rc;
	a->lookback_s = (uint32_t)x;
	if (get_str(p, root, "lookback_reason", TRACE_TEXT_MAX - 1, 0, a->lookback_reason))
		return p->rc;
	if (get_array(p, root, "unreached", TRACE_LIST_MAX, 1, &arr))
		return p->rc;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		char ag[TRACE_AGENT_MAX + 1] = "", rs[32] = "";
		if (obj_elem(p, arr, i, "unreached", uk, &e) ||
		    get_str(p, e, "agent", TRACE_AGENT_MAX, 1, ag) ||
		    get_str(p, e, "reason", sizeof(rs) - 1, 1, rs))
			return p->rc;
		buf[0] = '\0';
		if (get_str(p, e, "detail", TRACE_TEXT_MAX - 1, 0, buf))
			return p->rc;
		if (trace_answer_add_unreached(a, ag, rs, buf))
			return fail(p, TRACE_EINTERNAL, "out of memory");
	}
	if (get_array(p, root, "warnings", TRACE_LIST_MAX, 1, &arr))
		return p->rc;
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (str_elem(p, arr, i, "warnings", TRACE_TEXT_MAX - 1, buf) ||
		    trace_answer_add_warning(a, buf))
			return fail(p, TRACE_EBADREQ, "bad \"warnings\"");
	if (get_array(p, root, "confirmations", TRACE_CONF_MAX, 0, &arr))
		return p->rc;
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		struct trace_confirmation *c;
		struct json_object *tags;
		char hex[2 * TRACE_OPRF_BYTES + 1];
		if (obj_elem(p, arr, i, "confirmations", fk, &e))
			return p->rc;
		if (trace_answer_add_conf(a, &c))
			return fail(p, TRACE_EINTERNAL, "out of memory");
		if (get_str(p, e, "agent", TRACE_AGENT_MAX, 1, c->agent) ||
		    get_str(p, e, "evaluated", 2 * TRACE_OPRF_BYTES, 1, hex))
			return p->rc;
		if (hex_decode(hex, c->evaluated, TRACE_OPRF_BYTES) != 0)
			return fail(p, TRACE_EBADREQ, "\"evaluated\" is not 64 hex digits");
		if (get_array(p, e, "tags", TRACE_TAGS_MAX, 1, &tags))
			return p->rc;
		size_t n = json_object_array_length(tags);
		if (n) {
			c->tags = calloc(n, TRACE_OPRF_BYTES);
			if (!c->tags)
				return fail(p, TRACE_EINTERNAL, "out of memory");
		}
		for (size_t t = 0; t < n; t++) {
			if (str_elem(p, tags, t, "tags", 2 * TRACE_OPRF_BYTES, hex) ||
			    hex_decode(hex, c->tags[t], TRACE_OPRF_BYTES) != 0)
				return fail(p, TRACE_EBADREQ, "tags[%zu] is not 64 hex digits", t);
			c->ntags = t + 1;
		}
	}
	return 0;
}

int trace_answer_parse(const uint8_t *buf, size_t len, struct trace_answer *a, char *err,
                       size_t errlen)
{
	struct pctx p = {err, errlen, 0};
	struct json_object *root = NULL;
	if (err && errlen)
		err[0] = '\0';
	trace_answer_init(a);
	if (tokenise(&p, buf, len, TRACE_ANSWER_MAX, &root) == 0)
		parse_answer(&p, root, a);
	json_object_put(root);
	return p.rc;
}
