#include "helpers.h"

#include <dirent.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/addr.h"

struct dh_addr th_addr(const char *text)
{
	struct dh_addr a;
	memset(&a, 0, sizeof(a));
	if (text)
		assert_int_equal(dh_addr_parse(&a, text), 0);
	return a;
}

void th_event(struct ev_event *ev, int64_t ts, const char *qname, const char *client,
              const char *server, int response)
{
	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = ts;
	ev->rtt_ns = response ? 1500 : -1;
	ev->role = response ? EV_ROLE_CLIENT_RESPONSE : EV_ROLE_CLIENT_QUERY;
	ev->transport = EV_TRANSPORT_UDP;
	ev->src = th_addr(response ? server : client);
	ev->dst = th_addr(response ? client : server);
	ev->sport = response ? 53 : 40000;
	ev->dport = response ? 40000 : 53;
	ev->size = 40;
	ev->msg.id = (uint16_t)(ts & 0xffff);
	ev->msg.flags = (uint16_t)(DNS_FLAG_RD | (response ? DNS_FLAG_QR | DNS_FLAG_RA : 0));
	ev->msg.qdcount = 1;
	if (qname) {
		ev->msg.has_question = 1;
		snprintf(ev->msg.qname, sizeof(ev->msg.qname), "%s", qname);
		ev->msg.qname_len = (uint16_t)strlen(ev->msg.qname);
		ev->msg.qtype = DNS_T_A;
		ev->msg.qclass = 1;
	}
}

void th_add_rr(struct ev_event *ev, uint8_t section, uint16_t type, uint32_t ttl, const char *owner,
               const char *data)
{
	struct dns_rr *rr = &ev->msg.rr[ev->msg.rr_count++];
	memset(rr, 0, sizeof(*rr));
	rr->section = section;
	rr->type = type;
	rr->rclass = 1;
	rr->ttl = ttl;
	rr->owner_text = owner;
	rr->data_text = data;
	if (section == DNS_SEC_ANSWER)
		ev->msg.ancount++;
}

void th_tmpdir(char *buf, size_t len)
{
	const char *base = getenv("TMPDIR");
	int n = snprintf(buf, len, "%s/dhstore-test-XXXXXX", base && *base ? base : ".");
	assert_true(n > 0 && (size_t)n < len);
	assert_non_null(mkdtemp(buf));
}

void th_rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char p[4096];
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			th_rmtree(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

int th_collect(void *ctx, const struct ev_event *ev)
{
	struct th_hits *h = ctx;
	if (h->n >= 4096)
		return 1;
	h->ts[h->n] = ev->ts_ns;
	h->id[h->n] = ev->msg.id;
	size_t n = strnlen(ev->msg.qname, sizeof(h->qname[0]) - 1);
	memcpy(h->qname[h->n], ev->msg.qname, n);
	h->qname[h->n][n] = '\0';
	h->n++;
	return 0;
}
