/*
 * detect_conf.c - the [detect] and [detect KIND] sections of the
 * configuration file (syntax: util/conf.h; keys: doc/detect.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detect_int.h"
#include "util/allow.h"
#include "util/conf.h"
#include "util/err.h"

static int add_to(struct dh_allow **set, const char *value, int nets_only, char *err, size_t errlen)
{
	int rc;

	if (!*set) {
		rc = dh_allow_new(set);
		if (rc)
			return rc;
	}
	rc = nets_only ? dh_allow_add_net(*set, value) : dh_allow_add(*set, value);
	if (rc)
		snprintf(err, errlen, "'%s' is not %s", value,
		         nets_only ? "an address or a network"
		                   : "an address, network or name suffix");
	return rc;
}

static int add_file(struct dh_allow **set, const char *path, char *err, size_t errlen)
{
	unsigned line = 0;
	int rc;

	if (!*set) {
		rc = dh_allow_new(set);
		if (rc)
			return rc;
	}
	rc = dh_allow_add_file(*set, path, &line);
	if (rc == DH_EMALFORMED)
		snprintf(err, errlen, "allow-file %s: line %u is no address, network or suffix",
		         path, line);
	else if (rc)
		snprintf(err, errlen, "allow-file %s: %s", path, dh_strerror(rc));
	return rc;
}

static int window_value(const char *value, int64_t *out, char *err, size_t errlen)
{
	double s;

	if (dh_conf_seconds(value, &s) != 0 || s < 1 || s > 366 * 86400.0) {
		snprintf(err, errlen, "'%s' is not a window from 1s to 366d", value);
		return DH_EMALFORMED;
	}
	*out = (int64_t)(s * 1e9);
	return 0;
}

static int count_value(const char *value, uint64_t *out, char *err, size_t errlen)
{
	unsigned long long v;

	if (dh_conf_u64(value, &v) != 0) {
		snprintf(err, errlen, "'%s' is not a count", value);
		return DH_EMALFORMED;
	}
	*out = v;
	return 0;
}

static int real_value(const char *value, double lo, double hi, double *out, char *err,
                      size_t errlen)
{
	char *end;
	double v = strtod(value, &end);

	if (end == value || *end || !(v >= lo && v <= hi)) {
		snprintf(err, errlen, "'%s' is not a number from %g to %g", value, lo, hi);
		return DH_EMALFORMED;
	}
	*out = v;
	return 0;
}

static int level_key(const char *key)
{
	if (strcmp(key, "candidate") == 0)
		return 0;
	if (strcmp(key, "warning") == 0)
		return 1;
	if (strcmp(key, "emergency") == 0)
		return 2;
	return -1;
}

/* Keys that may stand in [detect] for every kind or in [detect KIND]. */
static int kind_key(struct detect_config *cfg, int kind, const struct dh_conf_item *it, char *err,
                    size_t errlen)
{
	int lk = level_key(it->key);
	unsigned lo = kind < 0 ? 0 : (unsigned)kind, hi = kind < 0 ? DETECT_K_COUNT : lo + 1;
	int rc = 0;

	if (lk >= 0) {
		uint64_t v = 0;
		rc = count_value(it->value, &v, err, errlen);
		for (unsigned k = lo; k < hi && rc == 0; k++)
			cfg->kind[k].level[lk] = v;
		return rc ? rc : 1;
	}
	if (strcmp(it->key, "window") == 0) {
		int64_t w;
		rc = window_value(it->value, &w, err, errlen);
		for (unsigned k = lo; k < hi && rc == 0; k++)
			cfg->kind[k].window_ns = w;
		return rc ? rc : 1;
	}
	if (kind < 0)
		return 0;
	if (strcmp(it->key, "enabled") == 0) {
		int b;
		if (dh_conf_bool(it->value, &b) != 0) {
			snprintf(err, errlen, "'%s' is not yes or no", it->value);
			return DH_EMALFORMED;
		}
		cfg->kind[kind].enabled = b;
		return 1;
	}
	if (strcmp(it->key, "min-share") == 0) {
		rc = real_value(it->value, 0, 1, &cfg->kind[kind].min_share, err, errlen);
		return rc ? rc : 1;
	}
	if (strcmp(it->key, "allow") == 0) {
		rc = add_to(&cfg->kind[kind].allow, it->value, 0, err, errlen);
		return rc ? rc : 1;
	}
	if (strcmp(it->key, "allow-file") == 0) {
		rc = add_file(&cfg->kind[kind].allow, it->value, err, errlen);
		return rc ? rc : 1;
	}
	return 0;
}

static int on_item(void *ctx, const struct dh_conf_item *it, char *err, size_t errlen)
{
	struct detect_config *cfg = ctx;
	int kind = -1, rc;

	if (strcmp(it->section, "detect") != 0)
		return 0;
	if (it->name[0]) {
		kind = detect_kind_parse(it->name);
		if (kind < 0) {
			snprintf(
			    err, errlen,
			    "[detect %s]: no such kind (spam-mx, mass-mailer, worm-ip-literal, "
			    "volume, outside-in, dga, tunnel, beacon)",
			    it->name);
			return DH_EMALFORMED;
		}
	}
	rc = kind_key(cfg, kind, it, err, errlen);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (kind >= 0) {
		if (kind == DETECT_K_TUNNEL && strcmp(it->key, "label") == 0) {
			uint64_t v = 0;
			rc = count_value(it->value, &v, err, errlen);
			if (rc == 0 && (v < 8 || v > 63)) {
				snprintf(err, errlen, "label must be from 8 to 63");
				rc = DH_EMALFORMED;
			}
			cfg->tunnel_label = (unsigned)v;
			return rc;
		}
		if (kind == DETECT_K_BEACON && strcmp(it->key, "tolerance") == 0)
			return real_value(it->value, 0.0001, 0.5, &cfg->beacon_tolerance, err,
			                  errlen);
		if (kind == DETECT_K_BEACON && strcmp(it->key, "min-period") == 0)
			return dh_conf_seconds(it->value, &cfg->beacon_min_s) ? DH_EMALFORMED : 0;
		if (kind == DETECT_K_BEACON && strcmp(it->key, "max-period") == 0)
			return dh_conf_seconds(it->value, &cfg->beacon_max_s) ? DH_EMALFORMED : 0;
		if (kind == DETECT_K_BEACON && strcmp(it->key, "slots") == 0) {
			uint64_t v = 0;
			rc = count_value(it->value, &v, err, errlen);
			cfg->beacon_slots = v > (1u << 30) ? (1u << 30) : (uint32_t)v;
			return rc;
		}
		snprintf(err, errlen, "[detect %s]: unknown key '%s'", it->name, it->key);
		return DH_EMALFORMED;
	}
	if (strcmp(it->key, "stats-window") == 0)
		return window_value(it->value, &cfg->stats_window_ns, err, errlen);
	if (strcmp(it->key, "allow") == 0)
		return add_to(&cfg->allow, it->value, 0, err, errlen);
	if (strcmp(it->key, "allow-file") == 0)
		return add_file(&cfg->allow, it->value, err, errlen);
	if (strcmp(it->key, "local") == 0)
		return add_to(&cfg->local, it->value, 1, err, errlen);
	if (strcmp(it->key, "server") == 0 || strcmp(it->key, "resolver") == 0)
		return add_to(&cfg->servers, it->value, 1, err, errlen);
	if (strcmp(it->key, "own-domain") == 0)
		return add_to(&cfg->own, it->value, 0, err, errlen);
	if (strcmp(it->key, "keyword") == 0) {
		size_t n = strlen(it->value);
		if (!cfg->keywords_set) {
			cfg->nkeywords = 0;
			cfg->keywords_set = 1;
		}
		if (n == 0 || n >= DETECT_KEYWORD_LEN || cfg->nkeywords >= DETECT_KEYWORDS_MAX) {
			snprintf(err, errlen,
			         "keyword '%s': 1 to %d characters, at most %d keywords", it->value,
			         DETECT_KEYWORD_LEN - 1, DETECT_KEYWORDS_MAX);
			return DH_EMALFORMED;
		}
		for (size_t i = 0; i < n; i++) {
			char c = it->value[i];
			cfg->keywords[cfg->nkeywords][i] =
			    (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
		}
		cfg->keywords[cfg->nkeywords][n] = '\0';
		cfg->nkeywords++;
		return 0;
	}
	if (strcmp(it->key, "max-clients") == 0) {
		uint64_t v = 0;
		rc = count_value(it->value, &v, err, errlen);
		if (rc == 0 && (v < 16 || v > 100000000)) {
			snprintf(err, errlen, "max-clients must be from 16 to 100M");
			rc = DH_EMALFORMED;
		}
		cfg->max_clients = (uint32_t)v;
		return rc;
	}
	if (strcmp(it->key, "entropy-baseline") == 0) {
		uint64_t v = 0;
		rc = count_value(it->value, &v, err, errlen);
		if (rc == 0 && (v < 2 || v > 1000)) {
			snprintf(err, errlen, "entropy-baseline must be from 2 to 1000 windows");
			rc = DH_EMALFORMED;
		}
		cfg->entropy_baseline = (unsigned)v;
		return rc;
	}
	if (strcmp(it->key, "entropy-k") == 0)
		return real_value(it->value, 0.5, 100, &cfg->entropy_k, err, errlen);
	snprintf(err, errlen, "[detect]: unknown key '%s'", it->key);
	return DH_EMALFORMED;
}

int detect_config_file(struct detect_config *cfg, const char *path, char *err, size_t errlen)
{
	return dh_conf_parse_file(path, on_item, cfg, err, errlen);
}

int detect_config_text(struct detect_config *cfg, const char *text, size_t n, const char *name,
                       char *err, size_t errlen)
{
	return dh_conf_parse(text, n, name, on_item, cfg, err, errlen);
}
