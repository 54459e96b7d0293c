/*
 * fuzz_log_line.c - the input as a whole log file through every text-log
 * format (BIND, Unbound, dnsmasq, Zeek, EVE), reading every event and
 * touching every text the events point to, so that a pointer past its
 * line or a missing NUL shows up under the sanitizers.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "source/logsrc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t touch(const char *s)
{
	return s ? strlen(s) : 0;
}

static void count_bad(void *ctx, const char *path, const char *where, int err)
{
	(void)path;
	(void)err;
	*(size_t *)ctx += strlen(where);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ev_event ev;
	struct src_options opt;
	size_t sum = 0;

	memset(&opt, 0, sizeof(opt));
	opt.observer = "fuzz";
	opt.on_bad = count_bad;
	opt.on_bad_ctx = &sum;
	opt.now_ns = 1700000000LL * 1000000000LL;
	for (size_t f = 0; logsrc_formats[f]; f++) {
		void *ctx = NULL;
		if (logsrc_formats[f]->probe(data, size > 512 ? 512 : size) < 0)
			return 0;
		if (logsrc_open_mem(&ctx, data, size, logsrc_formats[f]->name, &opt) != 0)
			return 0;
		while (logsrc_next(ctx, &ev) == 1) {
			sum += ev.msg.qname_len + touch(ev.msg.qname);
			for (unsigned i = 0; i < ev.msg.rr_count && i < DNS_RR_MAX; i++)
				sum +=
				    touch(ev.msg.rr[i].owner_text) + touch(ev.msg.rr[i].data_text);
		}
		struct src_stats st;
		logsrc_stats(ctx, &st);
		logsrc_close(ctx);
	}
	return sum == (size_t)-1;
}
