#include "source/source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "util/err.h"

static const struct src_ops *const all_ops[] = {
    &src_pcap_ops,
    &src_dnstap_ops,
    /* Text logs after the binary formats, EVE before Zeek: each probe
     * also refuses the others' marks, the order is a second guard. */
    &src_eve_ops,
    &src_zeek_ops,
    &src_bind_ops,
    &src_unbound_ops,
    &src_dnsmasq_ops,
};

static const char *const all_names[] = {"pcap",    "dnstap", "bind", "unbound",
                                        "dnsmasq", "zeek",   "eve",  NULL};

struct src_reader {
	const struct src_ops *ops;
	void *ctx;
};

const char *const *src_format_names(void)
{
	return all_names;
}

/* Reads the first bytes, through zlib so that .gz files are probed by
 * what they contain. */
static int read_head(const char *path, uint8_t *buf, size_t len, size_t *got)
{
	gzFile f = gzopen(path, "rb");
	if (!f)
		return errno ? -errno : -EIO;
	int n = gzread(f, buf, (unsigned)len);
	gzclose(f);
	if (n < 0)
		return DH_EFORMAT;
	*got = (size_t)n;
	return 0;
}

int src_open(struct src_reader **out, const char *path, const char *format,
             const struct src_options *opt)
{
	const struct src_ops *ops = NULL;
	size_t n = sizeof(all_ops) / sizeof(all_ops[0]);
	int rc;

	if (format && strcmp(format, "auto") != 0) {
		for (size_t i = 0; i < n; i++)
			if (strcmp(all_ops[i]->name, format) == 0)
				ops = all_ops[i];
		if (!ops)
			return DH_EUSAGE;
	} else {
		uint8_t head[512];
		size_t got = 0;
		rc = read_head(path, head, sizeof(head), &got);
		if (rc != 0)
			return rc;
		for (size_t i = 0; i < n && !ops; i++)
			if (all_ops[i]->probe(head, got))
				ops = all_ops[i];
		if (!ops)
			return DH_EFORMAT;
	}
	struct src_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->ops = ops;
	rc = ops->open(&r->ctx, path, opt);
	if (rc != 0) {
		free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int src_next(struct src_reader *r, struct ev_event *ev)
{
	return r->ops->next(r->ctx, ev);
}

void src_stats(struct src_reader *r, struct src_stats *st)
{
	memset(st, 0, sizeof(*st));
	r->ops->stats(r->ctx, st);
}

const char *src_format(const struct src_reader *r)
{
	return r->ops->name;
}

void src_close(struct src_reader *r)
{
	if (!r)
		return;
	r->ops->close(r->ctx);
	free(r);
}

void src__report_bad(const struct src_options *opt, const char *name, const char *unit, uint64_t n,
                     int err)
{
	char where[48];

	if (!opt->on_bad)
		return;
	snprintf(where, sizeof(where), "%s %llu", unit, (unsigned long long)n);
	opt->on_bad(opt->on_bad_ctx, name, where, err);
}
