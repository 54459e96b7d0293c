/*
 * cap_live.c - live capture through libpcap, decoded by cap_frame.
 */
#include "capture/cap_live.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/cap_frame.h"
#include "util/err.h"

/* Whole frames by default: a cut TCP segment leaves a hole in its stream,
 * and DNS over UDP with EDNS reaches 4096 bytes and more. */
#define SNAPLEN_DEFAULT 65535

/* The kernel ring holds buffer / frame-size frames, and a frame slot is
 * sized by the snap length (up to lo's 64 KiB MTU): libpcap's default of
 * 2 MiB is then about 30 frames, which a burst of 20 queries on lo (each
 * frame is seen going out and coming in) already overflows. 32 MiB holds
 * about 500 whole frames, or far more at a small --snaplen. */
#define BUFFER_MB_DEFAULT 32

struct cap_live {
	pcap_t *p;
	struct cap_frame *frame;
	int linktype;
	int fd; /* selectable descriptor, or -1 when poll() cannot be used */
	int finished;
	uint64_t packets;
};

static void set_err(char *err, size_t errlen, const char *text)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", text ? text : "");
}

/* "port 53 or port 5300 ...": only the watched ports reach user space.
 * Fragments other than the first carry no port, so they are let through
 * too, or reassembly could never complete a fragmented answer. */
static int default_filter(const struct cap_options *c, char *out, size_t cap)
{
	size_t used = 0;
	unsigned n = c->nports;
	int k;

	k = snprintf(out, cap, "(port 53");
	if (k < 0 || (size_t)k >= cap)
		return DH_ESPACE;
	used = (size_t)k;
	for (unsigned i = 0; i < n && i < CAP_MAX_PORTS; i++) {
		if (c->ports[i] == 53)
			continue;
		k = snprintf(out + used, cap - used, " or port %u", (unsigned)c->ports[i]);
		if (k < 0 || (size_t)k >= cap - used)
			return DH_ESPACE;
		used += (size_t)k;
	}
	k = snprintf(out + used, cap - used,
	             ") or (ip[6:2] & 0x1fff != 0) or (ip6 and ip6[6] == 44)");
	if (k < 0 || (size_t)k >= cap - used)
		return DH_ESPACE;
	return 0;
}

/* libpcap's activation warnings and errors as our codes. */
static int map_activate(int rc)
{
	switch (rc) {
	case PCAP_ERROR_PERM_DENIED:
		return -EPERM;
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return -ENODEV;
	case PCAP_ERROR_IFACE_NOT_UP:
		return -ENETDOWN;
	default:
		return -EIO;
	}
}

int cap_live_open(struct cap_live **out, const struct cap_live_options *opt, char *err,
                  size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	char ftext[512];
	struct bpf_program prog;
	struct cap_live *l = NULL;
	const char *filter;
	int rc = 0, have_prog = 0;

	set_err(err, errlen, "");
	if (!out || !opt || !opt->iface || !opt->iface[0])
		return DH_EUSAGE;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->fd = -1;
	rc = cap_frame_new(&l->frame, &opt->cap);
	if (rc != 0)
		goto out;
	l->p = pcap_create(opt->iface, ebuf);
	if (!l->p) {
		set_err(err, errlen, ebuf);
		rc = -ENODEV;
		goto out;
	}
	(void)pcap_set_snaplen(l->p, opt->snaplen ? (int)opt->snaplen : SNAPLEN_DEFAULT);
	(void)pcap_set_buffer_size(
	    l->p, (int)((opt->buffer_mb ? opt->buffer_mb : BUFFER_MB_DEFAULT) * 1024u * 1024u));
	/* Immediate mode hands each packet over as it arrives, not when a
	 * buffer block fills: a quiet server's queries show at once. */
	(void)pcap_set_immediate_mode(l->p, 1);
	(void)pcap_set_timeout(l->p, 100);
	int a = pcap_activate(l->p);
	if (a < 0) {
		set_err(err, errlen, pcap_geterr(l->p));
		rc = map_activate(a);
		goto out;
	}
	l->linktype = pcap_datalink(l->p);
	if (opt->filter) {
		filter = opt->filter;
	} else {
		rc = default_filter(&opt->cap, ftext, sizeof(ftext));
		if (rc != 0)
			goto out;
		filter = ftext;
	}
	if (pcap_compile(l->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		set_err(err, errlen, pcap_geterr(l->p));
		rc = DH_EMALFORMED;
		goto out;
	}
	have_prog = 1;
	if (pcap_setfilter(l->p, &prog) != 0) {
		set_err(err, errlen, pcap_geterr(l->p));
		rc = -EIO;
		goto out;
	}
	if (pcap_setnonblock(l->p, 1, ebuf) != 0) {
		set_err(err, errlen, ebuf);
		rc = -EIO;
		goto out;
	}
	l->fd = pcap_get_selectable_fd(l->p);
out:
	if (have_prog)
		pcap_freecode(&prog);
	if (rc != 0) {
		cap_live_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

int cap_live_next(struct cap_live *l, struct cap_dns *msg, int timeout_ms)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int waited = 0;

	for (;;) {
		if (cap_frame_next(l->frame, msg) == 1)
			return 1;
		if (l->finished)
			return 0;
		int rc = pcap_next_ex(l->p, &h, &data);
		if (rc == 1) {
			int64_t ts =
			    (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec * 1000;
			l->packets++;
			cap_frame_stats(l->frame)->packets = l->packets;
			cap_frame_decode(l->frame, l->linktype, data, h->caplen, h->len, ts,
			                 l->packets);
			continue;
		}
		if (rc < 0)
			return rc == PCAP_ERROR_BREAK ? 0 : -EIO;
		/* Nothing buffered: wait once for the descriptor, then go. */
		if (waited || timeout_ms <= 0)
			return 0;
		waited = 1;
		if (l->fd >= 0) {
			struct pollfd pfd = {.fd = l->fd, .events = POLLIN};
			int pr = poll(&pfd, 1, timeout_ms);
			if (pr < 0 && errno != EINTR)
				return -errno;
			if (pr <= 0)
				return 0;
		} else {
			struct pollfd none;
			(void)poll(&none, 0, timeout_ms);
		}
	}
}

void cap_live_finish(struct cap_live *l)
{
	if (!l || l->finished)
		return;
	l->finished = 1;
	cap_frame_finish(l->frame);
}

void cap_live_stats(struct cap_live *l, struct cap_live_stats *st)
{
	struct pcap_stat ps;

	memset(st, 0, sizeof(*st));
	st->packets = l->packets;
	if (l->p && pcap_stats(l->p, &ps) == 0) {
		st->kernel_drops = ps.ps_drop;
		st->if_drops = ps.ps_ifdrop;
	}
}

const struct cap_stats *cap_live_decoder_stats(const struct cap_live *l)
{
	return cap_frame_stats(l->frame);
}

void cap_live_free(struct cap_live *l)
{
	if (!l)
		return;
	if (l->p)
		pcap_close(l->p);
	cap_frame_free(l->frame);
	free(l);
}
