/*
 * cap.c - the capture file reader (see cap.h).
 *
 * Why not libpcap for files. The project needs 5 million DNS messages/s
 * through reader and decoder on one core, 200 ns per message in all.
 * libpcap's pcap_next_ex() alone reads about 9.4 million packets/s here,
 * so it would spend half of that budget before any decoding, mostly
 * copying every record through stdio's fread() into a buffer of its own.
 * The file formats are small and fully specified (the pcap format of
 * draft-ietf-opsawg-pcap and the pcapng one of draft-ietf-opsawg-pcapng),
 * and this reader checks every length against what the file really holds,
 * which libpcap's savefile code does too but then hides behind one error
 * string. Live capture is left to libpcap elsewhere.
 *
 * How the bytes arrive. The reader walks the records where they lie and a
 * UDP payload reaches the caller as a pointer to them: no per-packet
 * allocation, no per-packet copy. Two ways to get there (cap_reader.h):
 * map the file (MAP_PRIVATE, MADV_SEQUENTIAL) as dnsjit's mmap input does,
 * or read() it in 256 KiB pieces into one reused buffer. Measured on the
 * project's machine (a virtual machine; bench/capture, 2 million packets,
 * warm page cache, CPU time) the mapped walk costs about 110 ns per record
 * in page faults and TLB misses before any decoding, while read() costs
 * about 40 ns per record including the kernel's copy, and the whole reader
 * ran at 4.6 to 5.8 million messages/s mapped against 10 to 12.5 million
 * buffered (libpcap: 5.4 to 8.0 million packets/s without any decoding;
 * the ranges are runs under different load). So
 * cap_reader_open() reads through the buffer; the mapping stays available
 * for machines where it wins. Gzip files (by name or by their magic) go
 * through zlib's gzread() into the same buffer.
 */
#include "capture/cap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "capture/cap_frame.h"
#include "capture/cap_reader.h"
#include "util/cursor.h"
#include "util/err.h"

#define PCAP_MAGIC_US   0xa1b2c3d4u
#define PCAP_MAGIC_NS   0xa1b23c4du
#define PCAP_HEADER_LEN 24
#define PCAP_RECORD_LEN 16
/* The link type sits in the low 26 bits; the top bits may carry FCS
 * information (draft-ietf-opsawg-pcap section 4, LinkType and
 * additional information). */
#define PCAP_LINKTYPE_MASK 0x03ffffffu

#define NG_SHB              0x0a0d0d0au
#define NG_IDB              1u
#define NG_PB               2u /* obsolete Packet Block */
#define NG_SPB              3u
#define NG_EPB              6u
#define NG_BYTE_ORDER_MAGIC 0x1a2b3c4du
#define NG_OPT_END          0
#define NG_OPT_TSRESOL      9
#define NG_OPT_TSOFFSET     14
/* Interfaces one section may describe; more cannot be a real capture. */
#define NG_MAX_IFS 4096

/* A record or block larger than this is corruption: libpcap refuses
 * pcapng blocks over 16 MiB too, and no link layer has frames that big. */
#define CAP_MAX_RECORD  (16u * 1024u * 1024u)
#define STREAM_BUF_INIT (256u * 1024u)
/* How far ahead of the current record to prefetch in a mapped file. */
#define PREFETCH_AHEAD 1024u

enum { FMT_PCAP = 1, FMT_PCAPNG = 2 };

struct ng_if {
	int linktype;
	uint32_t snaplen;
	uint8_t tsresol;  /* if_tsresol: 10^-n, or 2^-n with the top bit */
	int64_t tsoffset; /* if_tsoffset: seconds added to every timestamp */
};

struct cap_reader {
	struct cap_frame *frame; /* owned */
	struct cap_stats *stats; /* the frame's counters */
	int fd;                  /* owned when >= 0; gzclose() closes it for gzip */
	const uint8_t *map;      /* owned mapping of map_len bytes, or NULL */
	size_t map_len;
	size_t pos;   /* mapped: offset of the next record */
	gzFile gz;    /* owned: the source of a gzip file, or NULL */
	uint8_t *buf; /* from malloc(): stream bytes [buf_start, buf_end) unread */
	size_t buf_cap, buf_start, buf_end;
	size_t buf_init; /* first buffer size: STREAM_BUF_INIT or a smaller file's size */
	int stream_eof;
	int stream_err;
	int format;
	int big;  /* the file or current section is big-endian */
	int nsec; /* pcap timestamps in ns rather than us */
	int linktype;
	struct ng_if *ifs; /* from malloc(): interfaces of the current section */
	unsigned nifs, ifs_cap;
	uint64_t packet_no;
	int64_t last_ts;
	int finished;
	int result; /* what cap_reader_next() returns once finished */
};

/* Makes n bytes at the read position available without consuming them.
 * Mapped files are read in place; others through a buffer filled with
 * read() or, for gzip, gzread().
 * Returns 1 and sets *p, 0 when the input ends exactly here, DH_ETRUNC when
 * it ends within the n bytes, or DH_EMALFORMED for a damaged gzip stream.
 * *p stays valid until the next call. */
static int src_peek(struct cap_reader *r, size_t n, const uint8_t **p)
{
	size_t left;

	if (r->map) {
		left = r->map_len - r->pos;
		if (left < n)
			return left == 0 ? 0 : DH_ETRUNC;
		*p = r->map + r->pos;
		return 1;
	}
	while (r->buf_end - r->buf_start < n && !r->stream_eof) {
		int got;
		if (r->buf_start > 0) {
			memmove(r->buf, r->buf + r->buf_start, r->buf_end - r->buf_start);
			r->buf_end -= r->buf_start;
			r->buf_start = 0;
		}
		if (n > r->buf_cap) {
			size_t cap = r->buf_cap ? r->buf_cap : r->buf_init;
			while (cap < n)
				cap *= 2;
			uint8_t *nb = realloc(r->buf, cap);
			if (!nb)
				return -ENOMEM;
			r->buf = nb;
			r->buf_cap = cap;
		}
		size_t room = r->buf_cap - r->buf_end;
		if (!r->gz) {
			ssize_t k = read(r->fd, r->buf + r->buf_end, room);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				r->stream_eof = 1;
				if (k < 0)
					r->stream_err = -errno;
				break;
			}
			r->buf_end += (size_t)k;
			continue;
		}
		got = gzread(r->gz, r->buf + r->buf_end, room > INT_MAX ? INT_MAX : (unsigned)room);
		if (got <= 0) {
			int zerr = Z_OK;
			r->stream_eof = 1;
			if (got < 0)
				(void)gzerror(r->gz, &zerr);
			/* zlib reports a gzip stream cut short as Z_BUF_ERROR:
			 * a truncated file, like a short record. */
			if (got < 0)
				r->stream_err = zerr == Z_BUF_ERROR ? DH_ETRUNC : DH_EMALFORMED;
			break;
		}
		r->buf_end += (size_t)got;
		r->stats->bytes = (uint64_t)gzoffset(r->gz);
	}
	left = r->buf_end - r->buf_start;
	if (left < n) {
		if (r->stream_err)
			return r->stream_err;
		return left == 0 ? 0 : DH_ETRUNC;
	}
	*p = r->buf + r->buf_start;
	return 1;
}

static void src_consume(struct cap_reader *r, size_t n)
{
	if (r->map) {
		r->pos += n;
		r->stats->bytes = r->pos;
	} else {
		r->buf_start += n;
		/* For gzip the counter follows the compressed offset instead,
		 * updated as the buffer fills. */
		if (!r->gz)
			r->stats->bytes += n;
	}
}

static uint16_t rd16(struct cur *c, int big)
{
	return big ? cur_u16(c) : cur_u16le(c);
}

static uint32_t rd32(struct cur *c, int big)
{
	return big ? cur_u32(c) : cur_u32le(c);
}

static uint64_t rd64(struct cur *c, int big)
{
	uint64_t a = rd32(c, big), b = rd32(c, big);

	return big ? (a << 32 | b) : (b << 32 | a);
}

static void deliver(struct cap_reader *r, int linktype, const uint8_t *data, size_t caplen,
                    size_t origlen, int64_t ts)
{
	r->packet_no++;
	r->stats->packets++;
	r->last_ts = ts;
	if (origlen < caplen)
		origlen = caplen;
	cap_frame_decode(r->frame, linktype, data, caplen, origlen, ts, r->packet_no);
}

/* Reads one pcap record. Returns 1, 0 at the end, or a negative code. */
static int pcap_record(struct cap_reader *r)
{
	const uint8_t *p;
	struct cur c;
	uint32_t sec, frac, caplen, origlen;
	int rc;

	rc = src_peek(r, PCAP_RECORD_LEN, &p);
	if (rc <= 0)
		return rc;
	cur_init(&c, p, PCAP_RECORD_LEN);
	sec = rd32(&c, r->big);
	frac = rd32(&c, r->big);
	caplen = rd32(&c, r->big);
	origlen = rd32(&c, r->big);
	if (caplen > CAP_MAX_RECORD)
		return DH_EMALFORMED;
	rc = src_peek(r, PCAP_RECORD_LEN + (size_t)caplen, &p);
	if (rc <= 0)
		return rc == 0 ? DH_ETRUNC : rc;
	/* Reading the mapping is bound by memory latency, not by decoding:
	 * ask for the records a few hundred bytes ahead now. Prefetching
	 * never faults; the bound check keeps it inside the mapping. */
	if (r->map && r->map_len - r->pos > PREFETCH_AHEAD)
		__builtin_prefetch(r->map + r->pos + PREFETCH_AHEAD);
	/* Unsigned arithmetic: a garbage timestamp wraps, it does not trap. */
	uint64_t ts = (uint64_t)sec * 1000000000u + (uint64_t)frac * (r->nsec ? 1u : 1000u);
	deliver(r, r->linktype, p + PCAP_RECORD_LEN, caplen, origlen, (int64_t)ts);
	src_consume(r, PCAP_RECORD_LEN + (size_t)caplen);
	return 1;
}

/* pcapng timestamps count units of if_tsresol since the epoch
 * (draft-ietf-opsawg-pcapng section 4.2): 10^-n s without the top bit,
 * 2^-n s with it. */
static int64_t ng_ts(const struct ng_if *ifc, uint64_t t)
{
	static const uint64_t pow10[20] = {
	    1u,
	    10u,
	    100u,
	    1000u,
	    10000u,
	    100000u,
	    1000000u,
	    10000000u,
	    100000000u,
	    1000000000u,
	    10000000000u,
	    100000000000u,
	    1000000000000u,
	    10000000000000u,
	    100000000000000u,
	    1000000000000000u,
	    10000000000000000u,
	    100000000000000000u,
	    1000000000000000000u,
	    10000000000000000000u,
	};
	uint64_t ns;
	unsigned e = ifc->tsresol & 0x7f;

	if (!(ifc->tsresol & 0x80)) {
		if (e <= 9)
			ns = t * pow10[9 - e];
		else if (e - 9 < 20)
			ns = t / pow10[e - 9];
		else
			ns = 0;
	} else {
		uint64_t sec = e >= 64 ? 0 : t >> e;
		uint64_t frac = e >= 64 ? t : t & ((UINT64_C(1) << e) - 1);
		unsigned s = e;
		/* Keep frac below 2^34 so that frac * 10^9 fits 64 bits. */
		if (s > 34) {
			frac = s - 34 >= 64 ? 0 : frac >> (s - 34);
			s = 34;
		}
		ns = sec * 1000000000u + ((frac * 1000000000u) >> s);
	}
	return (int64_t)(ns + (uint64_t)ifc->tsoffset * 1000000000u);
}

static int ng_add_if(struct cap_reader *r, struct cur *c)
{
	struct ng_if ifc = {0};

	ifc.linktype = rd16(c, r->big);
	cur_skip(c, 2); /* reserved */
	ifc.snaplen = rd32(c, r->big);
	ifc.tsresol = 6; /* microseconds unless if_tsresol says otherwise */
	if (c->err)
		return DH_EMALFORMED;
	/* Options are code, length, value padded to 32 bits. A damaged
	 * option list ends the list; the interface is still usable. */
	while (cur_left(c) >= 4) {
		uint16_t code = rd16(c, r->big);
		uint16_t len = rd16(c, r->big);
		struct cur v;
		const uint8_t *val = cur_take(c, len);
		cur_skip(c, (4u - len % 4u) % 4u);
		if (!val || code == NG_OPT_END)
			break;
		cur_init(&v, val, len);
		if (code == NG_OPT_TSRESOL && len >= 1)
			ifc.tsresol = val[0];
		else if (code == NG_OPT_TSOFFSET && len >= 8)
			ifc.tsoffset = (int64_t)rd64(&v, r->big);
	}
	if (r->nifs == NG_MAX_IFS)
		return 0;
	if (r->nifs == r->ifs_cap) {
		unsigned cap = r->ifs_cap ? r->ifs_cap * 2 : 4;
		struct ng_if *n = realloc(r->ifs, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		r->ifs = n;
		r->ifs_cap = cap;
	}
	r->ifs[r->nifs++] = ifc;
	if (r->nifs == 1)
		r->linktype = ifc.linktype;
	return 0;
}

/* A packet of an Enhanced, Simple or obsolete Packet Block. */
static void ng_packet(struct cap_reader *r, uint32_t ifid, int has_ts, uint64_t t,
                      const uint8_t *data, size_t caplen, size_t origlen)
{
	const struct ng_if *ifc;

	if (ifid >= r->nifs) {
		/* No such interface: the packet's link type is unknown. */
		r->packet_no++;
		r->stats->packets++;
		r->stats->bad_link++;
		return;
	}
	ifc = &r->ifs[ifid];
	r->linktype = ifc->linktype;
	deliver(r, ifc->linktype, data, caplen, origlen, has_ts ? ng_ts(ifc, t) : r->last_ts);
}

/* Reads one pcapng block. Returns 1, 0 at the end, or a negative code. */
static int ng_block(struct cap_reader *r)
{
	const uint8_t *p;
	struct cur c;
	uint32_t type, len, ifid, caplen, origlen;
	uint64_t t;
	int rc;

	rc = src_peek(r, 12, &p);
	if (rc <= 0)
		return rc;
	cur_init(&c, p, 12);
	type = rd32(&c, r->big);
	if (type == NG_SHB) {
		/* A new section may change the byte order: its byte-order
		 * magic follows the length (section 4.1). */
		struct cur m;
		cur_init(&m, p + 8, 4);
		uint32_t bom = cur_u32(&m);
		if (bom == NG_BYTE_ORDER_MAGIC)
			r->big = 1;
		else if (bom == 0x4d3c2b1au)
			r->big = 0;
		else
			return DH_EMALFORMED;
	}
	len = rd32(&c, r->big);
	if (len < 12 || len % 4 != 0 || len > CAP_MAX_RECORD)
		return DH_EMALFORMED;
	rc = src_peek(r, len, &p);
	if (rc <= 0)
		return rc == 0 ? DH_ETRUNC : rc;
	cur_init(&c, p + len - 4, 4);
	if (rd32(&c, r->big) != len)
		return DH_EMALFORMED;
	cur_init(&c, p + 8, len - 12);

	switch (type) {
	case NG_SHB:
		cur_skip(&c, 4); /* byte-order magic */
		if (rd16(&c, r->big) != 1 || c.err)
			return DH_EMALFORMED;
		r->nifs = 0; /* interface numbers restart in every section */
		break;
	case NG_IDB:
		rc = ng_add_if(r, &c);
		if (rc < 0)
			return rc;
		break;
	case NG_EPB:
	case NG_PB:
		if (type == NG_EPB) {
			ifid = rd32(&c, r->big);
		} else {
			ifid = rd16(&c, r->big);
			cur_skip(&c, 2); /* drops count */
		}
		t = (uint64_t)rd32(&c, r->big) << 32;
		t |= rd32(&c, r->big);
		caplen = rd32(&c, r->big);
		origlen = rd32(&c, r->big);
		if (c.err || caplen > cur_left(&c))
			return DH_EMALFORMED;
		ng_packet(r, ifid, 1, t, c.p, caplen, origlen);
		break;
	case NG_SPB:
		/* The Simple Packet Block has no captured length: it is the
		 * smaller of the original length, the block's room and the
		 * interface's snap length (section 4.4). */
		origlen = rd32(&c, r->big);
		if (c.err)
			return DH_EMALFORMED;
		caplen = origlen;
		if (caplen > cur_left(&c))
			caplen = (uint32_t)cur_left(&c);
		if (r->nifs > 0 && r->ifs[0].snaplen > 0 && caplen > r->ifs[0].snaplen)
			caplen = r->ifs[0].snaplen;
		ng_packet(r, 0, 0, 0, c.p, caplen, origlen);
		break;
	default:
		/* Statistics, name resolution, custom and future blocks carry
		 * no packets for us. */
		break;
	}
	src_consume(r, len);
	return 1;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Reads the file header. Returns 0 or DH_EFORMAT. */
static int read_header(struct cap_reader *r)
{
	const uint8_t *p;
	struct cur c;
	uint32_t le, be;

	if (src_peek(r, 4, &p) != 1)
		return DH_EFORMAT;
	cur_init(&c, p, 4);
	le = cur_u32le(&c);
	cur_init(&c, p, 4);
	be = cur_u32(&c);
	if (le == NG_SHB) {
		r->format = FMT_PCAPNG;
		if (ng_block(r) != 1)
			return DH_EFORMAT;
		/* Read the interfaces that follow, so that the link type is
		 * known before the first packet; a damaged block is left for
		 * cap_reader_next() to report. */
		for (;;) {
			if (src_peek(r, 8, &p) != 1)
				break;
			cur_init(&c, p, 4);
			if (rd32(&c, r->big) != NG_IDB || ng_block(r) != 1)
				break;
		}
		return 0;
	}
	if (le == PCAP_MAGIC_US || le == PCAP_MAGIC_NS) {
		r->big = 0;
		r->nsec = le == PCAP_MAGIC_NS;
	} else if (be == PCAP_MAGIC_US || be == PCAP_MAGIC_NS) {
		r->big = 1;
		r->nsec = be == PCAP_MAGIC_NS;
	} else {
		return DH_EFORMAT;
	}
	r->format = FMT_PCAP;
	if (src_peek(r, PCAP_HEADER_LEN, &p) != 1)
		return DH_EFORMAT;
	/* Magic, version major and minor, thiszone, sigfigs and snaplen
	 * carry nothing the reader needs. */
	cur_init(&c, p + 20, 4);
	r->linktype = (int)(rd32(&c, r->big) & PCAP_LINKTYPE_MASK);
	src_consume(r, PCAP_HEADER_LEN);
	return 0;
}

int cap_reader_open(struct cap_reader **out, const char *path, const struct cap_options *opt)
{
	return cap_reader_open_mode(out, path, opt, CAP_READ_AUTO);
}

int cap_reader_open_mode(struct cap_reader **out, const char *path, const struct cap_options *opt,
                         int mode)
{
	struct cap_reader *r = NULL;
	struct stat st;
	uint8_t magic[2] = {0, 0};
	int rc, gz = 0;

	if (!out || !path || mode < CAP_READ_AUTO || mode > CAP_READ_MMAP)
		return DH_EUSAGE;
	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = -1;
	r->linktype = -1;
	rc = cap_frame_new(&r->frame, opt);
	if (rc < 0)
		goto out;
	r->stats = cap_frame_stats(r->frame);
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0 || fstat(r->fd, &st) != 0) {
		rc = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		goto out;
	}
	r->buf_init = STREAM_BUF_INIT;
	if (S_ISREG(st.st_mode)) {
		r->stats->file_size = (uint64_t)st.st_size;
		/* A small file needs no more buffer than its own size. */
		if ((uint64_t)st.st_size < STREAM_BUF_INIT)
			r->buf_init = st.st_size > 64 ? (size_t)st.st_size : 64;
	}
	/* gzip by name, as asked, and by its magic (RFC 1952: 1f 8b), so a
	 * renamed file still reads. */
	if (has_suffix(path, ".gz") || (S_ISREG(st.st_mode) && pread(r->fd, magic, 2, 0) == 2 &&
	                                magic[0] == 0x1f && magic[1] == 0x8b))
		gz = 1;
	if (mode == CAP_READ_MMAP && !gz && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uint64_t)st.st_size <= SIZE_MAX) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, r->fd, 0);
		if (m != MAP_FAILED) {
			r->map = m;
			r->map_len = (size_t)st.st_size;
			(void)madvise(m, r->map_len, MADV_SEQUENTIAL);
		}
	}
	if (!r->map && !gz)
		(void)posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (!r->map && gz) {
		r->gz = gzdopen(r->fd, "rb");
		if (!r->gz) {
			rc = -ENOMEM;
			goto out;
		}
		r->fd = -1; /* gzclose() closes it now */
		(void)gzbuffer(r->gz, 256u * 1024u);
	}
	rc = read_header(r);
	if (rc < 0)
		goto out;
	*out = r;
	r = NULL;
out:
	cap_reader_free(r);
	return rc;
}

int cap_reader_next(struct cap_reader *r, struct cap_dns *msg)
{
	if (!r || !msg)
		return DH_EUSAGE;
	for (;;) {
		int rc;
		if (cap_frame_next(r->frame, msg))
			return 1;
		if (r->finished)
			return r->result;
		rc = r->format == FMT_PCAP ? pcap_record(r) : ng_block(r);
		if (rc > 0)
			continue;
		/* The end, or a broken file: what TCP reassembly holds is
		 * still handed out before the result. */
		r->result = rc;
		r->finished = 1;
		cap_frame_finish(r->frame);
	}
}

const struct cap_stats *cap_reader_stats(const struct cap_reader *r)
{
	return r ? r->stats : NULL;
}

int cap_reader_linktype(const struct cap_reader *r)
{
	return r ? r->linktype : -1;
}

void cap_reader_free(struct cap_reader *r)
{
	if (!r)
		return;
	if (r->map)
		munmap((void *)r->map, r->map_len);
	if (r->gz)
		gzclose(r->gz);
	if (r->fd >= 0)
		close(r->fd);
	free(r->buf);
	free(r->ifs);
	cap_frame_free(r->frame);
	free(r);
}
