/*
 * seg_read.c - opens a segment file, checks it, and scans it for the
 * events of a query plan, using the posting lists when the plan names a
 * qname or an address. A segment file is input like any other: every
 * offset, length, count and id read from it is checked before use, and a
 * failed check yields DH_ECORRUPT, never a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "store/seg_format.h"
#include "store/store_int.h"
#include "util/cursor.h"
#include "util/err.h"

struct frame {
	uint64_t off;
	uint32_t clen, rawlen;
};

struct block {
	struct frame f;
	int64_t tmin, tmax;
};

struct chunk_item {
	uint32_t off, len;
};

struct chunk {
	uint8_t *raw; /* owned; NULL until first use */
	/* owned; each item's offset in raw and length, side by side: a row
	 * that names an item of a cold chunk then misses the cache once */
	struct chunk_item *items;
	uint32_t nitems;
};

struct tab {
	uint32_t n, per, nchunks;
	/* log2(per) when per is a power of two (the writer's 64), else -1:
	 * a shift instead of a division for each id resolved. */
	int shift;
	struct frame *frames; /* owned */
	struct chunk *chunks; /* owned */
	/* The address table only: each item as a struct dh_addr (family
	 * 0xff: not 17 bytes), filled when its chunk is loaded, so that a
	 * row's address is one copy. */
	struct dh_addr *addrs; /* owned */
};

struct sindex {
	uint64_t off, nkeys, post_off, post_len;
};

/* The cluster of an index (version 3): its rows in posting order. */
struct cluster {
	uint64_t starts_off; /* u32le first row per index entry */
	uint32_t nrows, per, nframes;
	struct frame *frames; /* owned; NULL when the segment has none */
	/* Version 4: only some entries are in the cluster; starts_off then
	 * holds npairs (u32le entry number, u32le first row), by entry. */
	int partial;
	uint32_t npairs;
};

struct seg {
	const uint8_t *map; /* mmap of the whole file */
	size_t len;
	uint32_t nevents, bsize, nblocks;
	int64_t tmin, tmax;
	struct block *blocks; /* owned */
	struct tab tab[SEG_NTAB];
	struct sindex idx[SEG_NIDX];
	struct cluster cl[SEG_NIDX]; /* the writer makes the client's only */
	ZSTD_DCtx *dc;
	int fd;        /* owned; open for pread() of frames, or -1 */
	uint8_t *fbuf; /* owned; the frame last read with pread() */
	size_t fbufcap;
	size_t cached; /* bytes in decompressed chunks */
};

size_t store__seg_cached(const struct seg *sg)
{
	return sg->cached;
}

void store__seg_trim(struct seg *sg)
{
	for (int t = 0; t < SEG_NTAB; t++) {
		struct tab *tb = &sg->tab[t];
		for (uint32_t i = 0; tb->chunks && i < tb->nchunks; i++) {
			free(tb->chunks[i].raw);
			free(tb->chunks[i].items);
			memset(&tb->chunks[i], 0, sizeof(tb->chunks[i]));
		}
		free(tb->addrs);
		tb->addrs = NULL;
	}
	sg->cached = 0;
}

static int frame_read(struct cur *c, struct frame *f, size_t filelen)
{
	f->off = store__cur_varint(c);
	uint64_t clen = store__cur_varint(c);
	uint64_t rawlen = store__cur_varint(c);
	if (c->err)
		return DH_ECORRUPT;
	/* A frame must lie inside the file, and a raw size over 1 GiB is no
	 * block or chunk this writer makes. */
	if (f->off > filelen || clen > filelen - f->off || rawlen > (1u << 30))
		return DH_ECORRUPT;
	f->clen = (uint32_t)clen;
	f->rawlen = (uint32_t)rawlen;
	return 0;
}

void store__seg_close(struct seg *sg)
{
	if (!sg)
		return;
	if (sg->map)
		munmap((void *)sg->map, sg->len);
	free(sg->blocks);
	for (int k = 0; k < SEG_NIDX; k++)
		free(sg->cl[k].frames);
	for (int t = 0; t < SEG_NTAB; t++) {
		struct tab *tb = &sg->tab[t];
		if (tb->chunks) {
			for (uint32_t i = 0; i < tb->nchunks; i++) {
				free(tb->chunks[i].raw);
				free(tb->chunks[i].items);
			}
		}
		free(tb->chunks);
		free(tb->frames);
		free(tb->addrs);
	}
	ZSTD_freeDCtx(sg->dc);
	if (sg->fd >= 0)
		close(sg->fd);
	free(sg->fbuf);
	free(sg);
}

static int parse_footer(struct seg *sg, const uint8_t *p, size_t n)
{
	struct cur c;
	cur_init(&c, p, n);
	uint64_t version = store__cur_varint(&c);
	if (version < SEG_VERSION_MIN || version > SEG_VERSION)
		return DH_ECORRUPT;
	uint64_t nev = store__cur_varint(&c);
	sg->tmin = store__unzigzag(store__cur_varint(&c));
	sg->tmax = store__unzigzag(store__cur_varint(&c));
	uint64_t bsize = store__cur_varint(&c);
	uint64_t nblocks = store__cur_varint(&c);
	if (c.err || nev == 0 || nev > UINT32_MAX / 2 || bsize == 0 || bsize > (1u << 20) ||
	    nblocks != (nev + bsize - 1) / bsize)
		return DH_ECORRUPT;
	sg->nevents = (uint32_t)nev;
	sg->bsize = (uint32_t)bsize;
	sg->nblocks = (uint32_t)nblocks;
	sg->blocks = calloc(nblocks, sizeof(*sg->blocks));
	if (!sg->blocks)
		return -ENOMEM;
	for (uint32_t b = 0; b < nblocks; b++) {
		sg->blocks[b].tmin = store__unzigzag(store__cur_varint(&c));
		sg->blocks[b].tmax = store__unzigzag(store__cur_varint(&c));
		if (frame_read(&c, &sg->blocks[b].f, sg->len))
			return DH_ECORRUPT;
	}
	for (int t = 0; t < SEG_NTAB; t++) {
		struct tab *tb = &sg->tab[t];
		uint64_t items = store__cur_varint(&c);
		uint64_t per = store__cur_varint(&c);
		uint64_t nch = store__cur_varint(&c);
		if (c.err || per == 0 || per > 65536 || items > UINT32_MAX / 2 ||
		    nch != (items + per - 1) / per)
			return DH_ECORRUPT;
		tb->n = (uint32_t)items;
		tb->per = (uint32_t)per;
		tb->nchunks = (uint32_t)nch;
		tb->shift = (per & (per - 1)) == 0 ? __builtin_ctz((unsigned)per) : -1;
		tb->frames = calloc(nch + 1, sizeof(*tb->frames));
		tb->chunks = calloc(nch + 1, sizeof(*tb->chunks));
		if (!tb->frames || !tb->chunks)
			return -ENOMEM;
		for (uint32_t i = 0; i < nch; i++)
			if (frame_read(&c, &tb->frames[i], sg->len))
				return DH_ECORRUPT;
	}
	for (int k = 0; k < SEG_NIDX; k++) {
		struct sindex *x = &sg->idx[k];
		x->off = store__cur_varint(&c);
		x->nkeys = store__cur_varint(&c);
		x->post_off = store__cur_varint(&c);
		x->post_len = store__cur_varint(&c);
		if (c.err || x->off > sg->len || x->nkeys > (sg->len - x->off) / SEG_INDEX_ENTRY ||
		    x->post_off != x->off + x->nkeys * SEG_INDEX_ENTRY || x->post_off > sg->len ||
		    x->post_len > sg->len - x->post_off)
			return DH_ECORRUPT;
	}
	for (int k = 0; version >= 3 && k < SEG_NIDX; k++) {
		struct cluster *cl = &sg->cl[k];
		uint64_t present = store__cur_varint(&c);
		/* 1: a cluster of every entry; 2 (version 4): of some. */
		if (c.err || present > (version >= 4 ? 2 : 1))
			return DH_ECORRUPT;
		if (!present)
			continue;
		uint64_t nkeys = sg->idx[k].nkeys, width = 4;
		if (present == 2) {
			uint64_t np = store__cur_varint(&c);
			if (c.err || np > nkeys)
				return DH_ECORRUPT;
			cl->partial = 1;
			cl->npairs = (uint32_t)np;
			nkeys = np;
			width = 8;
		}
		cl->starts_off = store__cur_varint(&c);
		uint64_t nrows = store__cur_varint(&c);
		uint64_t per = store__cur_varint(&c);
		uint64_t nfr = store__cur_varint(&c);
		if (c.err || cl->starts_off > sg->len ||
		    nkeys > (sg->len - cl->starts_off) / width || nrows > nev || per == 0 ||
		    per > 65536 || nfr != (nrows + per - 1) / per)
			return DH_ECORRUPT;
		cl->nrows = (uint32_t)nrows;
		cl->per = (uint32_t)per;
		cl->nframes = (uint32_t)nfr;
		cl->frames = calloc(nfr + 1, sizeof(*cl->frames));
		if (!cl->frames)
			return -ENOMEM;
		for (uint32_t i = 0; i < nfr; i++)
			if (frame_read(&c, &cl->frames[i], sg->len))
				return DH_ECORRUPT;
	}
	if (c.err || cur_left(&c) != 0)
		return DH_ECORRUPT;
	return 0;
}

int store__seg_open(struct seg **out, const char *path)
{
	int rc = 0;
	int fd = -1;
	struct seg *sg = calloc(1, sizeof(*sg));
	if (!sg)
		return -ENOMEM;
	sg->fd = -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if ((uint64_t)st.st_size < SEG_MAGIC_LEN + SEG_TRAILER_LEN) {
		rc = DH_ECORRUPT;
		goto out;
	}
	sg->len = (size_t)st.st_size;
	void *m = mmap(NULL, sg->len, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		rc = -errno;
		goto out;
	}
	sg->map = m;
	sg->fd = fd;
	fd = -1;
	if (memcmp(sg->map, SEG_MAGIC, SEG_MAGIC_LEN) != 0) {
		rc = DH_ECORRUPT;
		goto out;
	}
	struct cur c;
	cur_init(&c, sg->map + sg->len - SEG_TRAILER_LEN, SEG_TRAILER_LEN);
	uint64_t foff = store__cur_u64le(&c);
	uint32_t flen = cur_u32le(&c);
	const uint8_t *magic = cur_take(&c, 4);
	if (c.err || memcmp(magic, SEG_TRAILER_MAGIC, 4) != 0 || flen < 4 ||
	    foff > sg->len - SEG_TRAILER_LEN || flen != sg->len - SEG_TRAILER_LEN - foff) {
		rc = DH_ECORRUPT;
		goto out;
	}
	const uint8_t *f = sg->map + foff;
	struct cur cc;
	cur_init(&cc, f + flen - 4, 4);
	if (cur_u32le(&cc) != store__crc32c(0, f, flen - 4)) {
		rc = DH_ECORRUPT;
		goto out;
	}
	if ((rc = parse_footer(sg, f, flen - 4)))
		goto out;
	sg->dc = ZSTD_createDCtx();
	if (!sg->dc)
		rc = -ENOMEM;
out:
	if (fd >= 0)
		close(fd);
	if (rc) {
		store__seg_close(sg);
		sg = NULL;
	}
	*out = sg;
	return rc;
}

/* Checks and decompresses one frame into dst (rawlen bytes); mapped:
 * read it through the mapping. */
static int frame_load_from(struct seg *sg, const struct frame *f, uint8_t *dst, int mapped)
{
	const uint8_t *src = sg->map + f->off;
	/* Frames are read with pread() rather than through the mapping: a
	 * lookup touches each frame once, and a page fault that maps the
	 * pages around it costs more than the copy (name lookups in 100 M
	 * events: 10.2 -> 6.5 ms CPU). The mapping serves the index, and a
	 * scan, which reads every block in file order, so that one fault
	 * maps the pages of the blocks after it. */
	if (sg->fd >= 0 && !mapped) {
		if (sg->fbufcap < f->clen) {
			uint8_t *b = realloc(sg->fbuf, f->clen);
			if (!b)
				return -ENOMEM;
			sg->fbuf = b;
			sg->fbufcap = f->clen;
		}
		ssize_t got = pread(sg->fd, sg->fbuf, f->clen, (off_t)f->off);
		if (got < 0)
			return -errno;
		/* The frame lies inside the file (frame_read() checked), so a
		 * short read means the file shrank under us. */
		if (got != (ssize_t)f->clen)
			return DH_ECORRUPT;
		src = sg->fbuf;
	}
	/* A frame must announce its checksum; ours always do, and without it
	 * a flipped byte in a literal run could pass unnoticed. */
	if (f->clen < 6 || !(src[4] & 0x04))
		return DH_ECORRUPT;
	size_t got = ZSTD_decompressDCtx(sg->dc, dst, f->rawlen, src, f->clen);
	if (ZSTD_isError(got) || got != f->rawlen)
		return DH_ECORRUPT;
	return 0;
}

static int frame_load(struct seg *sg, const struct frame *f, uint8_t *dst)
{
	return frame_load_from(sg, f, dst, 0);
}

/* Decompresses chunk ci of table t and finds its items. */
static int chunk_load(struct seg *sg, int t, uint32_t ci)
{
	struct tab *tb = &sg->tab[t];
	struct chunk *ch = &tb->chunks[ci];
	const struct frame *f = &tb->frames[ci];
	uint32_t want = ci + 1 < tb->nchunks ? tb->per : tb->n - ci * tb->per;
	uint8_t *raw = malloc(f->rawlen ? f->rawlen : 1);
	struct chunk_item *it = malloc(want * sizeof(*it));
	if (t == SEG_TAB_ADDR && !tb->addrs) {
		tb->addrs = malloc(((size_t)tb->n + 1) * sizeof(*tb->addrs));
		if (tb->addrs)
			sg->cached += ((size_t)tb->n + 1) * sizeof(*tb->addrs);
	}
	int rc =
	    (!raw || !it || (t == SEG_TAB_ADDR && !tb->addrs)) ? -ENOMEM : frame_load(sg, f, raw);
	struct cur c;
	cur_init(&c, raw, f->rawlen);
	for (uint32_t i = 0; !rc && i < want; i++) {
		uint64_t n = store__cur_varint(&c);
		if (c.err || n >= cur_left(&c) || c.p[n] != 0) {
			rc = DH_ECORRUPT;
			break;
		}
		it[i].off = (uint32_t)cur_offset(&c);
		it[i].len = (uint32_t)n;
		cur_skip(&c, n + 1);
	}
	if (rc) {
		free(raw);
		free(it);
		return rc;
	}
	/* An item of another length is reported when a row uses it. */
	for (uint32_t i = 0; t == SEG_TAB_ADDR && i < want; i++) {
		struct dh_addr *a = &tb->addrs[(size_t)ci * tb->per + i];
		store__addr_from_key(a, raw + it[i].off, it[i].len);
		if (it[i].len != STORE_ADDR_KEY)
			a->family = 0xff;
	}
	sg->cached += f->rawlen + (size_t)want * 8;
	ch->raw = raw;
	ch->items = it;
	ch->nitems = want;
	return 0;
}

/* The chunk of item id of table tb (id < tb->n). */
static inline uint32_t tab_chunk(const struct tab *tb, uint32_t id)
{
	return tb->shift >= 0 ? id >> tb->shift : id / tb->per;
}

/* Returns item id of table t: a NUL-terminated byte string inside a
 * cached chunk (valid until the segment closes). */
static int tab_item(struct seg *sg, int t, uint32_t id, const uint8_t **p, uint32_t *len)
{
	struct tab *tb = &sg->tab[t];
	if (id >= tb->n)
		return DH_ECORRUPT;
	uint32_t ci = tab_chunk(tb, id), k = id - ci * tb->per;
	struct chunk *ch = &tb->chunks[ci];
	if (!ch->raw) {
		int rc = chunk_load(sg, t, ci);
		if (rc)
			return rc;
	}
	if (k >= ch->nitems)
		return DH_ECORRUPT;
	*p = ch->raw + ch->items[k].off;
	*len = ch->items[k].len;
	return 0;
}

/* Binary search for key in index k: returns its entry number, or
 * nkeys when absent. */
static uint64_t index_find(const struct seg *sg, int k, uint64_t key)
{
	const struct sindex *x = &sg->idx[k];
	const uint8_t *ent = sg->map + x->off;
	uint64_t a = 0, b = x->nkeys;
	while (a < b) {
		uint64_t m = a + (b - a) / 2;
		struct cur c;
		cur_init(&c, ent + m * SEG_INDEX_ENTRY, 8);
		uint64_t km = store__cur_u64le(&c);
		if (km < key)
			a = m + 1;
		else
			b = m;
	}
	if (a < x->nkeys) {
		struct cur c;
		cur_init(&c, ent + a * SEG_INDEX_ENTRY, 8);
		if (store__cur_u64le(&c) == key)
			return a;
	}
	return x->nkeys;
}

/* The posting list of entry a of index k: its bytes, and its count
 * field (top bit: a bitmap). */
struct posting {
	const uint8_t *p;
	size_t len;
	uint32_t count;
	int bitmap;
};

static int index_posting(const struct seg *sg, int k, uint64_t a, struct posting *po)
{
	const struct sindex *x = &sg->idx[k];
	const uint8_t *ent = sg->map + x->off;
	struct cur c;
	cur_init(&c, ent + a * SEG_INDEX_ENTRY, SEG_INDEX_ENTRY * (a + 1 < x->nkeys ? 2 : 1));
	store__cur_u64le(&c); /* the key, which index_find() matched */
	uint32_t off = cur_u32le(&c);
	uint32_t cnt = cur_u32le(&c);
	uint64_t end = x->post_len;
	if (a + 1 < x->nkeys) {
		store__cur_u64le(&c);
		end = cur_u32le(&c);
	}
	if (off > end || end > x->post_len)
		return DH_ECORRUPT;
	po->p = sg->map + x->post_off + off;
	po->len = (size_t)(end - off);
	po->count = cnt & ~SEG_POST_BITMAP;
	po->bitmap = (cnt & SEG_POST_BITMAP) != 0;
	if (po->count > sg->nevents || (po->bitmap && po->len != ((size_t)sg->nevents + 7) / 8))
		return DH_ECORRUPT;
	return 0;
}

/* Counts the events of a posting list below lo (*below) and below hi
 * (*upto), lo <= hi: a key's cluster rows are in posting order, so they
 * say which of its rows fall into the blocks of a window. */
static int posting_rank(const struct seg *sg, const struct posting *po, uint32_t lo, uint32_t hi,
                        uint32_t *below, uint32_t *upto)
{
	uint32_t nb = 0, nu = 0;
	if (po->bitmap) {
		/* Whole bytes where lo does not cut them, else bit by bit. */
		for (uint32_t e = 0; e < hi;) {
			if ((e & 7) == 0 && e + 8 <= hi && (e + 8 <= lo || e >= lo)) {
				uint32_t bits = (uint32_t)__builtin_popcount(po->p[e >> 3]);
				if (e + 8 <= lo)
					nb += bits;
				nu += bits;
				e += 8;
				continue;
			}
			if (po->p[e >> 3] & (1u << (e & 7))) {
				nb += e < lo;
				nu++;
			}
			e++;
		}
	} else {
		struct cur pc;
		cur_init(&pc, po->p, po->len);
		uint64_t prev = 0;
		for (uint32_t i = 0; i < po->count; i++) {
			uint64_t d = store__cur_varint(&pc);
			uint64_t e = i ? prev + d : d;
			if (pc.err || (i && d == 0) || e >= sg->nevents)
				return DH_ECORRUPT;
			prev = e;
			if (e >= hi)
				break;
			nb += e < lo;
			nu++;
		}
	}
	if (nu > po->count)
		return DH_ECORRUPT;
	*below = nb;
	*upto = nu;
	return 0;
}

/* Finds the posting list of key in index k; decodes the events in
 * [lo, hi) into *out (appended, sorted). */
static int index_lookup(struct seg *sg, int k, uint64_t key, uint32_t lo, uint32_t hi,
                        uint32_t **out, uint32_t *n)
{
	const struct sindex *x = &sg->idx[k];
	*out = NULL;
	*n = 0;
	uint64_t a = index_find(sg, k, key);
	if (a >= x->nkeys)
		return 0;
	struct posting po;
	int rc = index_posting(sg, k, a, &po);
	if (rc)
		return rc;
	const uint8_t *pp = po.p;
	size_t plen = po.len;
	uint32_t count = po.count;
	uint32_t *v = malloc(((size_t)count + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	uint32_t m = 0;
	if (po.bitmap) {
		for (uint32_t e = lo; e < hi; e++)
			if (pp[e >> 3] & (1u << (e & 7))) {
				if (m == count) {
					free(v);
					return DH_ECORRUPT;
				}
				v[m++] = e;
			}
	} else {
		struct cur pc;
		cur_init(&pc, pp, plen);
		uint64_t prev = 0;
		for (uint32_t i = 0; i < count; i++) {
			uint64_t d = store__cur_varint(&pc);
			uint64_t e = i ? prev + d : d;
			/* Strictly increasing and inside the segment, or it is
			 * not a list this writer made. */
			if (pc.err || (i && d == 0) || e >= sg->nevents) {
				free(v);
				return DH_ECORRUPT;
			}
			prev = e;
			if (e >= hi)
				break;
			if (e >= lo)
				v[m++] = (uint32_t)e;
		}
	}
	*out = v;
	*n = m;
	return 0;
}

/* Keeps in a the values also in b; both sorted. */
static uint32_t intersect(uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb)
{
	uint32_t i = 0, j = 0, m = 0;
	while (i < na && j < nb) {
		if (a[i] < b[j])
			i++;
		else if (a[i] > b[j])
			j++;
		else {
			a[m++] = a[i];
			i++;
			j++;
		}
	}
	return m;
}

/* Merges two sorted lists into a new one without duplicates. */
static uint32_t *unite(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb, uint32_t *n)
{
	uint32_t *v = malloc(((size_t)na + nb + 1) * sizeof(*v));
	if (!v)
		return NULL;
	uint32_t i = 0, j = 0, m = 0;
	while (i < na || j < nb) {
		if (j >= nb || (i < na && a[i] < b[j]))
			v[m++] = a[i++];
		else if (i >= na || b[j] < a[i])
			v[m++] = b[j++];
		else {
			v[m++] = a[i++];
			j++;
		}
	}
	*n = m;
	return v;
}

/* A scan's row with its qname's text and its addresses found (NULL: not
 * found here; materialize() then looks again and reports why). */
struct rres {
	const char *qname;
	uint32_t qlen;
	const struct dh_addr *src, *dst;
};

struct seg_iter {
	struct seg *sg;
	const struct splan *p;
	int all;        /* no key: scan [lo, hi) */
	uint32_t *cand; /* owned; candidate event numbers when !all */
	uint32_t ncand;
	uint32_t lo, hi; /* event range inside the time window's blocks */
	uint32_t pos;    /* next candidate (index into cand, or event no) */
	int64_t block;   /* decoded block, -1 none */
	uint8_t *raw;    /* owned; decompressed block */
	size_t rawcap;
	struct srow *rows;     /* owned; decoded block, segment ids */
	struct cur col[COL_N]; /* column cursors of the loaded block */
	uint32_t nev, ndec;    /* rows in the block, rows decoded */
	int64_t prev_ts;
	/* Brief lookups through a cluster (ck >= 0): rows [crow, cend) of
	 * the key's entry, which starts at cfirst. */
	int ck;
	uint32_t cfirst, crow, cend;
	int64_t cframe;          /* loaded cluster frame, -1 none */
	uint32_t cdec;           /* next row of that frame to decode */
	struct cur ccol[CCOL_N]; /* its column cursors */
	int64_t cprev;
	/* The block columns to decode (bit COL_x): those of the fields the
	 * plan asks for, and the observer when it filters by one. */
	unsigned cols;
	uint32_t krow;    /* a scan's next row of the decoded block */
	struct rres *res; /* owned; a scan's rows resolved (resolve_block()) */
	int lean_scan;    /* a brief scan without observer: scan_row() */
	/* The dictionary ids (+1, 0 none) whose text it->ev holds now, and
	 * whether that observer and qname match the plan: consecutive rows
	 * of a lookup mostly repeat them, the qname always for a name. */
	uint64_t c_obs, c_qn, c_src, c_dst;
	int c_obs_ok, c_qn_ok;
	/* The plan names an address to check on each row. */
	int filter;
	struct ev_event ev;
	int err;
};

void store__seg_iter_free(struct seg_iter *it)
{
	if (!it)
		return;
	free(it->cand);
	free(it->raw);
	free(it->rows);
	free(it->res);
	free(it);
}

/* Narrows a candidate list with the events of one key. */
static int narrow(struct seg_iter *it, int k, uint64_t key, int *have)
{
	uint32_t *v, n;
	int rc = index_lookup(it->sg, k, key, it->lo, it->hi, &v, &n);
	if (rc)
		return rc;
	if (!*have) {
		it->cand = v;
		it->ncand = n;
		*have = 1;
		return 0;
	}
	it->ncand = intersect(it->cand, it->ncand, v, n);
	free(v);
	return 0;
}

/* An address that may sit on either side: the union of both indexes. */
static int narrow_either(struct seg_iter *it, uint64_t key, int *have)
{
	uint32_t *a, na, *b, nb, n;
	int rc = index_lookup(it->sg, SEG_IDX_CLIENT, key, it->lo, it->hi, &a, &na);
	if (rc)
		return rc;
	rc = index_lookup(it->sg, SEG_IDX_SERVER, key, it->lo, it->hi, &b, &nb);
	if (rc) {
		free(a);
		return rc;
	}
	uint32_t *v = unite(a, na, b, nb, &n);
	free(a);
	free(b);
	if (!v)
		return -ENOMEM;
	if (!*have) {
		it->cand = v;
		it->ncand = n;
		*have = 1;
		return 0;
	}
	it->ncand = intersect(it->cand, it->ncand, v, n);
	free(v);
	return 0;
}

static uint64_t addr_hash(const struct dh_addr *a)
{
	uint8_t k[STORE_ADDR_KEY];
	store__addr_key(a, k);
	return store__hash64(k, sizeof(k));
}

/* Finds entry a's first row in a partial cluster: 0 and *first, 1 when
 * the entry is not in the cluster. */
static int cluster_pair(const struct seg *sg, const struct cluster *cl, uint64_t a, uint32_t *first)
{
	const uint8_t *pairs = sg->map + cl->starts_off;
	uint32_t lo = 0, hi = cl->npairs;
	while (lo < hi) {
		uint32_t m = lo + (hi - lo) / 2;
		struct cur c;
		cur_init(&c, pairs + (size_t)m * 8, 8);
		uint32_t e = cur_u32le(&c);
		if (e == a) {
			*first = cur_u32le(&c);
			return 0;
		}
		if (e < a)
			lo = m + 1;
		else
			hi = m;
	}
	return 1;
}

/*
 * Sets up a brief lookup of key through the cluster of index k: 0 when
 * set up (rows [crow, cend) to read), 1 when the key's events are not in
 * a partial cluster (the caller takes the block path), or a negative code.
 * Only the rows whose events lie in the window's blocks are read: the
 * posting list, in the same order as the rows, says which they are.
 */
static int cluster_start(struct seg_iter *it, int k, uint64_t key)
{
	struct seg *sg = it->sg;
	const struct cluster *cl = &sg->cl[k];
	uint64_t a = index_find(sg, k, key);
	it->crow = it->cend = 0;
	if (a >= sg->idx[k].nkeys) {
		it->ck = k;
		return 0;
	}
	uint32_t first;
	if (cl->partial) {
		if (cluster_pair(sg, cl, a, &first))
			return 1;
	} else {
		struct cur c;
		cur_init(&c, sg->map + cl->starts_off + a * 4, 4);
		first = cur_u32le(&c);
	}
	struct posting po;
	uint32_t below, upto;
	int rc = index_posting(sg, k, a, &po);
	if (!rc)
		rc = posting_rank(sg, &po, it->lo, it->hi, &below, &upto);
	if (rc)
		return rc;
	if (first > cl->nrows || po.count > cl->nrows - first)
		return DH_ECORRUPT;
	it->ck = k;
	it->cfirst = first;
	it->crow = first + below;
	it->cend = first + upto;
	return 0;
}

/* Decompresses cluster frame f of it->ck and sets up its cursors. */
static int cluster_load(struct seg_iter *it, uint32_t f)
{
	struct seg *sg = it->sg;
	const struct frame *fr = &sg->cl[it->ck].frames[f];
	it->cframe = -1;
	if (it->rawcap < fr->rawlen) {
		uint8_t *r = realloc(it->raw, fr->rawlen);
		if (!r)
			return -ENOMEM;
		it->raw = r;
		it->rawcap = fr->rawlen;
	}
	int rc = frame_load(sg, fr, it->raw);
	if (rc)
		return rc;
	struct cur h;
	cur_init(&h, it->raw, fr->rawlen);
	if (store__cur_varint(&h) != CCOL_N)
		return DH_ECORRUPT;
	uint64_t lens[CCOL_N], total = 0;
	for (int c = 0; c < CCOL_N; c++) {
		lens[c] = store__cur_varint(&h);
		if (lens[c] > fr->rawlen)
			return DH_ECORRUPT;
		total += lens[c];
	}
	if (h.err || total != cur_left(&h))
		return DH_ECORRUPT;
	for (int c = 0; c < CCOL_N; c++)
		cur_init(&it->ccol[c], cur_take(&h, lens[c]), lens[c]);
	it->cframe = f;
	it->cdec = f * sg->cl[it->ck].per;
	it->cprev = sg->tmin;
	return 0;
}

/* Decodes the next row of the loaded cluster frame into r, with the
 * fields a brief event has; the rest stay empty. */
static int cluster_row(struct seg_iter *it, struct srow *r)
{
	struct cur *col = it->ccol;
	int64_t base = it->cdec == it->cfirst ? it->sg->tmin : it->cprev;
	uint64_t d = store__cur_varint(&col[CCOL_TS]);
	memset(r, 0, sizeof(*r));
	if (d > INT64_MAX || __builtin_add_overflow(base, (int64_t)d, &r->ts))
		return DH_ECORRUPT;
	it->cprev = r->ts;
	it->cdec++;
	r->observer = (uint32_t)store__cur_varint(&col[CCOL_OBSERVER]);
	r->role = cur_u8(&col[CCOL_ROLE]);
	r->transport = cur_u8(&col[CCOL_TRANSPORT]);
	uint64_t cl = store__cur_varint(&col[CCOL_CLIENT]);
	uint64_t sv = store__cur_varint(&col[CCOL_SERVER]);
	r->flags = cur_u16le(&col[CCOL_FLAGS]);
	uint64_t qn = store__cur_varint(&col[CCOL_QNAME]);
	r->qtype = (uint16_t)store__cur_varint(&col[CCOL_QTYPE]);
	r->qclass = (uint16_t)store__cur_varint(&col[CCOL_QCLASS]);
	for (int c = 0; c < CCOL_N; c++)
		if (col[c].err)
			return DH_ECORRUPT;
	/* Ids are checked against the tables when resolved; these checks
	 * only keep them inside 32 bits. */
	if (cl >= UINT32_MAX || sv >= UINT32_MAX || qn > UINT32_MAX)
		return DH_ECORRUPT;
	int qr = (r->flags & DNS_FLAG_QR) != 0;
	r->src = (uint32_t)(qr ? sv : cl);
	r->dst = (uint32_t)(qr ? cl : sv);
	r->qname = qn ? (uint32_t)(qn - 1) : STORE_NONE;
	r->rtt = -1;
	r->aset = STORE_NONE;
	r->ecs_addr = STORE_NONE;
	return 0;
}

static unsigned plan_cols(const struct splan *p);

int store__seg_iter_new(struct seg_iter **out, struct seg *sg, const struct splan *p)
{
	int rc = 0;
	struct seg_iter *it = calloc(1, sizeof(*it));
	*out = NULL;
	if (!it)
		return -ENOMEM;
	it->sg = sg;
	it->p = p;
	it->block = -1;
	it->rows = malloc(sg->bsize * sizeof(*it->rows));
	if (!it->rows) {
		rc = -ENOMEM;
		goto out;
	}
	/* Blocks are in time order: skip those wholly outside the window. */
	uint32_t b0 = 0, b1 = sg->nblocks;
	while (b0 < b1 && sg->blocks[b0].tmax < p->since)
		b0++;
	while (b1 > b0 && sg->blocks[b1 - 1].tmin >= p->until)
		b1--;
	it->lo = b0 * sg->bsize;
	it->hi = (uint32_t)((uint64_t)b1 * sg->bsize < sg->nevents ? (uint64_t)b1 * sg->bsize
	                                                           : sg->nevents);
	if (it->lo > it->hi)
		it->lo = it->hi;
	it->ck = -1;
	it->cframe = -1;
	/* A brief lookup of one name or one client reads the key's cluster,
	 * where its rows sit together, instead of one block per event. */
	it->cols = plan_cols(p);
	/* Empty fields are set once; materialize() writes only the others. */
	it->ev.rtt_ns = -1;
	it->c_obs_ok = 1;
	it->filter = p->client.family != DH_AF_NONE || p->server.family != DH_AF_NONE ||
	             p->src.family != DH_AF_NONE || p->dst.family != DH_AF_NONE;
	int one_key = (p->qname != NULL) + (p->client.family != DH_AF_NONE);
	if (p->brief && one_key == 1 && (p->fields & ~STORE_FIELDS_BRIEF) == 0 &&
	    p->server.family == DH_AF_NONE && p->src.family == DH_AF_NONE &&
	    p->dst.family == DH_AF_NONE) {
		int k = p->qname ? SEG_IDX_NAME : SEG_IDX_CLIENT;
		if (sg->cl[k].frames) {
			rc = cluster_start(it, k,
			                   p->qname ? store__hash64(p->qname, strlen(p->qname))
			                            : addr_hash(&p->client));
			if (rc <= 0)
				goto out;
			rc = 0;
		}
	}
	int have = 0;
	if (p->qname)
		rc = narrow(it, SEG_IDX_NAME, store__hash64(p->qname, strlen(p->qname)), &have);
	if (!rc && p->client.family != DH_AF_NONE)
		rc = narrow(it, SEG_IDX_CLIENT, addr_hash(&p->client), &have);
	if (!rc && p->server.family != DH_AF_NONE)
		rc = narrow(it, SEG_IDX_SERVER, addr_hash(&p->server), &have);
	if (!rc && p->src.family != DH_AF_NONE)
		rc = narrow_either(it, addr_hash(&p->src), &have);
	if (!rc && p->dst.family != DH_AF_NONE)
		rc = narrow_either(it, addr_hash(&p->dst), &have);
	if (rc)
		goto out;
	it->all = !have;
	it->lean_scan = it->all && p->brief && !(it->cols & 1u << COL_OBSERVER);
	if (it->all) {
		it->res = malloc(sg->bsize * sizeof(*it->res));
		if (!it->res) {
			rc = -ENOMEM;
			goto out;
		}
	}
	it->pos = it->all ? it->lo : 0;
out:
	if (rc) {
		store__seg_iter_free(it);
		it = NULL;
	}
	*out = it;
	return rc;
}

/* Decompresses block b and sets up its column cursors; rows are decoded
 * on demand (decode_upto), so a lookup that needs the first rows of a
 * block does not pay for the rest. */
static int block_load(struct seg_iter *it, uint32_t b)
{
	struct seg *sg = it->sg;
	const struct block *bl = &sg->blocks[b];
	it->block = -1;
	if (it->rawcap < bl->f.rawlen) {
		uint8_t *r = realloc(it->raw, bl->f.rawlen);
		if (!r)
			return -ENOMEM;
		it->raw = r;
		it->rawcap = bl->f.rawlen;
	}
	int rc = frame_load_from(sg, &bl->f, it->raw, it->all);
	if (rc)
		return rc;
	struct cur h;
	cur_init(&h, it->raw, bl->f.rawlen);
	if (store__cur_varint(&h) != COL_N)
		return DH_ECORRUPT;
	uint64_t lens[COL_N], total = 0;
	for (int c = 0; c < COL_N; c++) {
		lens[c] = store__cur_varint(&h);
		if (lens[c] > bl->f.rawlen)
			return DH_ECORRUPT;
		total += lens[c];
	}
	if (h.err || total != cur_left(&h))
		return DH_ECORRUPT;
	for (int c = 0; c < COL_N; c++)
		cur_init(&it->col[c], cur_take(&h, lens[c]), lens[c]);
	it->nev = sg->nevents - b * sg->bsize;
	if (it->nev > sg->bsize)
		it->nev = sg->bsize;
	it->ndec = 0;
	it->prev_ts = sg->tmin;
	it->block = b;
	return 0;
}

/* The block columns plan p needs decoded. */
static unsigned plan_cols(const struct splan *p)
{
	unsigned f = p->fields, c;
	c = 1u << COL_TS | 1u << COL_ROLE | 1u << COL_SRC | 1u << COL_DST | 1u << COL_FLAGS |
	    1u << COL_QNAME | 1u << COL_QTYPE;
	if ((f & STORE_FIELD_OBSERVER) || p->observer)
		c |= 1u << COL_OBSERVER;
	if (f & STORE_FIELD_TRANSPORT)
		c |= 1u << COL_TRANSPORT;
	if (f & STORE_FIELD_QCLASS)
		c |= 1u << COL_QCLASS;
	if (f & STORE_FIELD_PORTS)
		c |= 1u << COL_SPORT | 1u << COL_DPORT;
	if (f & STORE_FIELD_SIZE)
		c |= 1u << COL_SIZE | 1u << COL_RTT;
	if (f & STORE_FIELD_ID)
		c |= 1u << COL_ID;
	if (f & STORE_FIELD_COUNTS)
		c |= 1u << COL_COUNTS;
	/* Full events have the ECS address, kept in the EDNS column. */
	if ((f & STORE_FIELD_EDNS) || !p->brief)
		c |= 1u << COL_EDNS;
	if (!p->brief)
		c |= 1u << COL_ASET;
	return c;
}

/* Fixed-width columns: n values of w bytes for rows [i0, i1), or NULL
 * (the column is short). */
static const uint8_t *col_take(struct cur *c, uint32_t i0, uint32_t i1, size_t w)
{
	return cur_take(c, (size_t)(i1 - i0) * w);
}

static inline uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* store__cur_varint() over a bare pointer that the caller keeps in a
 * register for a column's loop (a cursor in memory is stored back after
 * every value); a short or overlong varint sets *bad and returns 0. */
static inline uint64_t col_varint(const uint8_t **pp, const uint8_t *end, int *bad)
{
	const uint8_t *p = *pp;
	uint64_t v = 0;
	unsigned k = 0;
	/* Ids and time deltas take two or three bytes: with ten bytes left
	 * (all but a column's last values), no byte needs a bounds check. */
	if (__builtin_expect(end - p >= 10, 1)) {
		if (p[0] < 0x80) {
			*pp = p + 1;
			return p[0];
		}
		v = p[0] & 0x7fu;
		if (p[1] < 0x80) {
			*pp = p + 2;
			return v | (uint64_t)p[1] << 7;
		}
		v |= (uint64_t)(p[1] & 0x7fu) << 7;
		if (p[2] < 0x80) {
			*pp = p + 3;
			return v | (uint64_t)p[2] << 14;
		}
		v |= (uint64_t)(p[2] & 0x7fu) << 14;
		k = 3;
	}
	for (unsigned shift = 7 * k; shift < 70 && p + k < end; shift += 7, k++) {
		uint8_t x = p[k];
		v |= (uint64_t)(x & 0x7f) << shift;
		if (!(x & 0x80)) {
			*pp = p + k + 1;
			return v;
		}
	}
	*bad = 1;
	*pp = end;
	return 0;
}

/* A column of one varint per row, decoded into field F of rows [i0, i1)
 * through EXPR of the value v; CHECK marks the value as corrupt. */
#define COL_VARINTS(C, F, EXPR, CHECK)                                                             \
	do {                                                                                       \
		const uint8_t *p_ = col[C].err ? col[C].end : col[C].p;                            \
		const uint8_t *e_ = col[C].end;                                                    \
		bad |= col[C].err != 0;                                                            \
		for (uint32_t i = i0; i < i1; i++) {                                               \
			uint64_t v = col_varint(&p_, e_, &bad);                                    \
			bad |= (CHECK);                                                            \
			rows[i].F = (EXPR);                                                        \
		}                                                                                  \
		col[C].p = p_;                                                                     \
	} while (0)

/*
 * Decodes rows up to and including k of the loaded block, column by
 * column and only the columns in it->cols: materialize() reads no other
 * field of a row. A scan decodes its whole block at once, so the checks
 * of each column are made once per block, not per row.
 */
static int decode_upto(struct seg_iter *it, uint32_t k)
{
	struct seg *sg = it->sg;
	struct cur *col = it->col;
	struct srow *rows = it->rows;
	const unsigned cols = it->cols;
	const uint64_t nstr = sg->tab[SEG_TAB_STR].n, naddr = sg->tab[SEG_TAB_ADDR].n;
	const uint64_t naset = sg->tab[SEG_TAB_ASET].n;
	const uint32_t i0 = it->ndec, i1 = k + 1;
	const uint8_t *q;
	int bad = 0;
	if (k >= it->nev)
		return DH_ECORRUPT;

	int64_t prev = it->prev_ts;
	{
		const uint8_t *p_ = col[COL_TS].err ? col[COL_TS].end : col[COL_TS].p;
		const uint8_t *e_ = col[COL_TS].end;
		bad |= col[COL_TS].err != 0;
		for (uint32_t i = i0; i < i1; i++) {
			uint64_t d = col_varint(&p_, e_, &bad);
			int64_t ts;
			if (d > INT64_MAX || __builtin_add_overflow(prev, (int64_t)d, &ts)) {
				bad = 1;
				ts = prev;
			}
			rows[i].ts = ts;
			prev = ts;
		}
		col[COL_TS].p = p_;
	}
	it->prev_ts = prev;
	if (cols & 1u << COL_OBSERVER)
		COL_VARINTS(COL_OBSERVER, observer, (uint32_t)v, v >= nstr);
	if ((q = col_take(&col[COL_ROLE], i0, i1, 1)) != NULL)
		for (uint32_t i = i0; i < i1; i++)
			rows[i].role = q[i - i0];
	if ((cols & 1u << COL_TRANSPORT) && (q = col_take(&col[COL_TRANSPORT], i0, i1, 1)) != NULL)
		for (uint32_t i = i0; i < i1; i++)
			rows[i].transport = q[i - i0];
	COL_VARINTS(COL_SRC, src, (uint32_t)v, v >= naddr);
	COL_VARINTS(COL_DST, dst, (uint32_t)v, v >= naddr);
	if (cols & 1u << COL_SPORT) {
		if ((q = col_take(&col[COL_SPORT], i0, i1, 2)) != NULL)
			for (uint32_t i = i0; i < i1; i++)
				rows[i].sport = le16(q + 2 * (i - i0));
		if ((q = col_take(&col[COL_DPORT], i0, i1, 2)) != NULL)
			for (uint32_t i = i0; i < i1; i++)
				rows[i].dport = le16(q + 2 * (i - i0));
	}
	if (cols & 1u << COL_SIZE) {
		COL_VARINTS(COL_SIZE, size, (uint32_t)v, 0);
		COL_VARINTS(COL_RTT, rtt, store__unzigzag(v), 0);
	}
	if ((cols & 1u << COL_ID) && (q = col_take(&col[COL_ID], i0, i1, 2)) != NULL)
		for (uint32_t i = i0; i < i1; i++)
			rows[i].id = le16(q + 2 * (i - i0));
	if ((q = col_take(&col[COL_FLAGS], i0, i1, 2)) != NULL)
		for (uint32_t i = i0; i < i1; i++)
			rows[i].flags = le16(q + 2 * (i - i0));
	COL_VARINTS(COL_QNAME, qname, v ? (uint32_t)(v - 1) : STORE_NONE, v && v - 1 >= nstr);
	COL_VARINTS(COL_QTYPE, qtype, (uint16_t)v, 0);
	if (cols & 1u << COL_QCLASS)
		COL_VARINTS(COL_QCLASS, qclass, (uint16_t)v, 0);
	if (cols & 1u << COL_COUNTS)
		for (uint32_t i = i0; i < i1; i++) {
			struct srow *r = &rows[i];
			r->qd = (uint16_t)store__cur_varint(&col[COL_COUNTS]);
			r->an = (uint16_t)store__cur_varint(&col[COL_COUNTS]);
			r->ns = (uint16_t)store__cur_varint(&col[COL_COUNTS]);
			r->ar = (uint16_t)store__cur_varint(&col[COL_COUNTS]);
			r->rr_dropped = (uint32_t)store__cur_varint(&col[COL_COUNTS]);
		}
	if (cols & 1u << COL_EDNS)
		for (uint32_t i = i0; i < i1; i++) {
			struct srow *r = &rows[i];
			struct cur *c = &col[COL_EDNS];
			r->edns = cur_u8(c);
			r->ecs_addr = STORE_NONE;
			if (r->edns & 1) {
				r->edns_version = cur_u8(c);
				r->udp_size = (uint16_t)store__cur_varint(c);
				r->ext_rcode = cur_u8(c);
				if (r->edns & 4) {
					r->ecs_source = cur_u8(c);
					r->ecs_scope = cur_u8(c);
					uint64_t v = store__cur_varint(c);
					bad |= v >= naddr;
					r->ecs_addr = (uint32_t)v;
				}
			}
		}
	if (cols & 1u << COL_ASET)
		COL_VARINTS(COL_ASET, aset, v ? (uint32_t)(v - 1) : STORE_NONE,
		            v && v - 1 >= naset);
	it->ndec = i1;
	for (int c = 0; c < COL_N; c++) {
		if (!(cols & 1u << c))
			continue;
		if (col[c].err || (it->ndec == it->nev && cur_left(&col[c]) != 0))
			bad = 1;
	}
	return bad ? DH_ECORRUPT : 0;
}

static int get_addr(struct seg *sg, uint32_t id, struct dh_addr *a)
{
	struct tab *tb = &sg->tab[SEG_TAB_ADDR];
	if (id >= tb->n)
		return DH_ECORRUPT;
	uint32_t ci = tab_chunk(tb, id);
	if (!tb->chunks[ci].raw) {
		int rc = chunk_load(sg, SEG_TAB_ADDR, ci);
		if (rc)
			return rc;
	}
	if (tb->addrs[id].family == 0xff)
		return DH_ECORRUPT;
	*a = tb->addrs[id];
	return 0;
}

/* Address id as get_addr() finds it, or NULL when it does not. */
static const struct dh_addr *addr_ptr(struct seg *sg, uint32_t id)
{
	struct tab *tb = &sg->tab[SEG_TAB_ADDR];
	if (id >= tb->n)
		return NULL;
	uint32_t ci = tab_chunk(tb, id);
	if (!tb->chunks[ci].raw && chunk_load(sg, SEG_TAB_ADDR, ci) != 0)
		return NULL;
	return tb->addrs[id].family == 0xff ? NULL : &tb->addrs[id];
}

static int get_str(struct seg *sg, uint32_t id, const char **s, uint32_t *n)
{
	const uint8_t *p = NULL;
	int rc = tab_item(sg, SEG_TAB_STR, id, &p, n);
	*s = (const char *)p;
	return rc;
}

/* Fills the fields of ev that f asks for from row r, but ECS. */
static inline void fill_fields(struct ev_event *ev, const struct srow *r, unsigned f)
{
	struct dns_msg *m = &ev->msg;
	ev->role = r->role;
	m->flags = r->flags;
	m->qtype = r->qtype;
	if (f & STORE_FIELD_TRANSPORT)
		ev->transport = r->transport;
	if (f & STORE_FIELD_QCLASS)
		m->qclass = r->qclass;
	if (f & STORE_FIELD_PORTS) {
		ev->sport = r->sport;
		ev->dport = r->dport;
	}
	if (f & STORE_FIELD_SIZE) {
		ev->size = r->size;
		ev->rtt_ns = r->rtt;
	}
	if (f & STORE_FIELD_ID)
		m->id = r->id;
	if (f & STORE_FIELD_COUNTS) {
		m->qdcount = r->qd;
		m->ancount = r->an;
		m->nscount = r->ns;
		m->arcount = r->ar;
		m->rr_dropped = r->rr_dropped;
	}
	if (f & STORE_FIELD_EDNS) {
		memset(&m->edns, 0, sizeof(m->edns));
		if (r->edns & 1) {
			m->edns.present = 1;
			m->edns.version = r->edns_version;
			m->edns.do_bit = (r->edns & 2) != 0;
			m->edns.udp_size = r->udp_size;
			m->edns.ext_rcode = r->ext_rcode;
		}
	}
}

/* Sets *a to address id unless it holds it already (*held: the id + 1 of
 * what it holds, 0 when unknown), from the block's resolved address pre
 * when there is one. Returns 0 or a negative code. */
static inline int row_addr(struct seg *sg, uint32_t id, const struct dh_addr *pre, uint64_t *held,
                           struct dh_addr *a)
{
	int rc;
	if ((uint64_t)id + 1 == *held)
		return 0;
	*held = 0;
	if (pre)
		*a = *pre;
	else if ((rc = get_addr(sg, id, a)))
		return rc;
	*held = (uint64_t)id + 1;
	return 0;
}

/* Fills it->ev from a decoded row. Returns 1 when it matches the plan,
 * 0 when not, or a negative code. Only the fields the plan asks for are
 * written; the others keep the empty values seg_iter_new() gave them. */
static int materialize(struct seg_iter *it, const struct srow *r, const struct rres *rs)
{
	struct seg *sg = it->sg;
	const struct splan *p = it->p;
	const unsigned f = p->fields;
	struct ev_event *ev = &it->ev;
	struct dns_msg *m = &ev->msg;
	const char *s;
	uint32_t n;
	int rc;

	if (r->ts < p->since || r->ts >= p->until)
		return 0;
	ev->ts_ns = r->ts;
	if ((it->cols & 1u << COL_OBSERVER) && (uint64_t)r->observer + 1 != it->c_obs) {
		it->c_obs = 0;
		if ((rc = get_str(sg, r->observer, &s, &n)))
			return rc;
		if (n >= sizeof(ev->observer))
			return DH_ECORRUPT;
		/* Asked for by the filter only: the event's stays "". */
		if (f & STORE_FIELD_OBSERVER)
			memcpy(ev->observer, s, n + 1);
		it->c_obs = (uint64_t)r->observer + 1;
		it->c_obs_ok = !p->observer || strcmp(p->observer, s) == 0;
	}
	if (!it->c_obs_ok)
		return 0;
	if ((uint64_t)r->qname + 1 != it->c_qn) {
		it->c_qn = 0;
		m->has_question = r->qname != STORE_NONE;
		m->qname_len = 0;
		m->qname[0] = '\0';
		if (m->has_question) {
			if (rs && rs->qname) {
				s = rs->qname;
				n = rs->qlen;
			} else if ((rc = get_str(sg, r->qname, &s, &n))) {
				return rc;
			}
			if (n >= sizeof(m->qname))
				return DH_ECORRUPT;
			memcpy(m->qname, s, n + 1);
			m->qname_len = (uint16_t)n;
		}
		it->c_qn = (uint64_t)r->qname + 1;
		it->c_qn_ok = !p->qname || (m->has_question && strcmp(p->qname, m->qname) == 0);
	}
	if (!it->c_qn_ok)
		return 0;
	if ((rc = row_addr(sg, r->src, rs ? rs->src : NULL, &it->c_src, &ev->src)) ||
	    (rc = row_addr(sg, r->dst, rs ? rs->dst : NULL, &it->c_dst, &ev->dst)))
		return rc;
	if (it->filter) {
		int qr = (r->flags & DNS_FLAG_QR) != 0;
		const struct dh_addr *client = qr ? &ev->dst : &ev->src;
		const struct dh_addr *server = qr ? &ev->src : &ev->dst;
		if ((p->client.family != DH_AF_NONE && !dh_addr_equal(&p->client, client)) ||
		    (p->server.family != DH_AF_NONE && !dh_addr_equal(&p->server, server)) ||
		    (p->src.family != DH_AF_NONE && !dh_addr_equal(&p->src, &ev->src)) ||
		    (p->dst.family != DH_AF_NONE && !dh_addr_equal(&p->dst, &ev->dst)))
			return 0;
	}

	fill_fields(ev, r, f);
	if (!p->brief && (r->edns & 1) && (r->edns & 4)) {
		m->edns.ecs_present = 1;
		m->edns.ecs_source_prefix = r->ecs_source;
		m->edns.ecs_scope_prefix = r->ecs_scope;
		if ((rc = get_addr(sg, r->ecs_addr, &m->edns.ecs_addr)))
			return rc;
	}
	/* A brief event has no records: resolving them costs an answer-set
	 * chunk and string chunks per event, most of a name lookup. */
	if (p->brief)
		return 1;
	m->rr_count = 0;
	if (r->aset != STORE_NONE) {
		const uint8_t *ap;
		uint32_t an;
		if ((rc = tab_item(sg, SEG_TAB_ASET, r->aset, &ap, &an)))
			return rc;
		struct cur c;
		cur_init(&c, ap, an);
		uint64_t cnt = store__cur_varint(&c);
		if (cnt > DNS_RR_MAX)
			return DH_ECORRUPT;
		for (uint64_t i = 0; i < cnt; i++) {
			struct dns_rr *rr = &m->rr[i];
			rr->section = cur_u8(&c);
			rr->type = (uint16_t)store__cur_varint(&c);
			rr->rclass = (uint16_t)store__cur_varint(&c);
			rr->ttl = (uint32_t)store__cur_varint(&c);
			uint64_t o = store__cur_varint(&c), d = store__cur_varint(&c);
			if (c.err || o >= UINT32_MAX || d >= UINT32_MAX)
				return DH_ECORRUPT;
			rr->owner = rr->rdata = rr->rdlen = 0;
			if ((rc = get_str(sg, (uint32_t)o, &rr->owner_text, &n)) ||
			    (rc = get_str(sg, (uint32_t)d, &rr->data_text, &n)))
				return rc;
		}
		m->rr_count = (uint16_t)cnt;
	}
	return 1;
}

/* The brief path of store__seg_iter_next(). */
static int cluster_next(struct seg_iter *it, const struct ev_event **ev)
{
	const struct cluster *cl = &it->sg->cl[it->ck];
	while (it->crow < it->cend) {
		uint32_t f = it->crow / cl->per;
		int rc = 0;
		struct srow r;
		if ((int64_t)f != it->cframe)
			rc = cluster_load(it, f);
		while (!rc && it->cdec <= it->crow)
			rc = cluster_row(it, &r);
		if (rc)
			return rc;
		it->crow++;
		/* A key's rows are in time order. */
		if (r.ts >= it->p->until)
			return 0;
		if (r.ts < it->p->since)
			continue;
		rc = materialize(it, &r, NULL);
		if (rc == 1) {
			*ev = &it->ev;
			return 1;
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * Finds the qname text and the addresses of every decoded row of the
 * block and asks for their cache lines. A scan's rows name thousands of
 * strings and addresses that the reader's own tables push out of the
 * caches; found one row at a time, between the reader's work on each
 * event, every miss is waited for in turn, while here they overlap.
 */
static void resolve_block(struct seg_iter *it)
{
	struct seg *sg = it->sg;
	for (uint32_t i = 0; i < it->ndec; i++) {
		const struct srow *r = &it->rows[i];
		struct rres *x = &it->res[i];
		const uint8_t *p;
		x->qname = NULL;
		x->qlen = 0;
		if (r->qname != STORE_NONE &&
		    tab_item(sg, SEG_TAB_STR, r->qname, &p, &x->qlen) == 0) {
			x->qname = (const char *)p;
			__builtin_prefetch(p);
		}
		x->src = addr_ptr(sg, r->src);
		x->dst = addr_ptr(sg, r->dst);
		if (x->src)
			__builtin_prefetch(x->src);
		if (x->dst)
			__builtin_prefetch(x->dst);
	}
}

/*
 * materialize() for a row of a brief scan that needs no observer: a scan
 * has no key to check, and resolve_block() found the row's items, so
 * what is left is the window, the copies and the fields. A row whose
 * items were not found takes materialize(), which says why.
 */
static int scan_row(struct seg_iter *it, const struct srow *r, const struct rres *rs)
{
	const struct splan *p = it->p;
	struct ev_event *ev = &it->ev;
	struct dns_msg *m = &ev->msg;

	if (r->ts < p->since || r->ts >= p->until)
		return 0;
	if (!rs->src || !rs->dst || (r->qname != STORE_NONE && !rs->qname) ||
	    rs->qlen >= sizeof(m->qname))
		return materialize(it, r, rs);
	ev->ts_ns = r->ts;
	if ((uint64_t)r->qname + 1 != it->c_qn) {
		m->has_question = r->qname != STORE_NONE;
		m->qname_len = 0;
		m->qname[0] = '\0';
		if (m->has_question) {
			memcpy(m->qname, rs->qname, rs->qlen + 1);
			m->qname_len = (uint16_t)rs->qlen;
		}
		it->c_qn = (uint64_t)r->qname + 1;
		it->c_qn_ok = 1; /* a scan names no qname */
	}
	ev->src = *rs->src;
	ev->dst = *rs->dst;
	it->c_src = (uint64_t)r->src + 1;
	it->c_dst = (uint64_t)r->dst + 1;
	fill_fields(ev, r, p->fields);
	return 1;
}

/* A scan without a key: every row of the window's blocks in order. Each
 * block is decoded whole when reached, so the per-row work is the
 * window check and materialize(). */
static int scan_next(struct seg_iter *it, const struct ev_event **ev)
{
	struct seg *sg = it->sg;
	for (;;) {
		if (it->krow >= it->ndec) {
			if (it->pos >= it->hi)
				return 0;
			uint32_t b = it->pos / sg->bsize;
			int rc = block_load(it, b);
			if (!rc)
				rc = decode_upto(it, it->nev - 1);
			if (rc)
				return rc;
			resolve_block(it);
			it->krow = it->pos - b * sg->bsize;
			it->pos = b * sg->bsize + it->nev;
		}
		const struct rres *rs = &it->res[it->krow];
		const struct srow *r = &it->rows[it->krow++];
		/* Past the window's end nothing later can match. */
		if (r->ts >= it->p->until)
			return 0;
		int rc = it->lean_scan ? scan_row(it, r, rs) : materialize(it, r, rs);
		if (rc == 1)
			*ev = &it->ev;
		if (rc != 0)
			return rc;
	}
}

int store__seg_iter_next(struct seg_iter *it, const struct ev_event **ev)
{
	int rc;
	if (it->err)
		return it->err;
	if (it->ck >= 0) {
		rc = cluster_next(it, ev);
		if (rc < 0)
			it->err = rc;
		return rc;
	}
	if (it->all) {
		rc = scan_next(it, ev);
		if (rc < 0)
			it->err = rc;
		return rc;
	}
	for (;;) {
		if (it->pos >= it->ncand)
			return 0;
		uint32_t e = it->cand[it->pos++];
		uint32_t b = e / it->sg->bsize, k = e - b * it->sg->bsize;
		rc = 0;
		if ((int64_t)b != it->block)
			rc = block_load(it, b);
		if (!rc && k >= it->ndec)
			rc = decode_upto(it, k);
		if (!rc) {
			const struct srow *r = &it->rows[k];
			/* Past the window's end nothing later can match. */
			if (r->ts >= it->p->until)
				return 0;
			rc = materialize(it, r, NULL);
			if (rc == 1) {
				*ev = &it->ev;
				return 1;
			}
		}
		if (rc < 0) {
			it->err = rc;
			return rc;
		}
	}
}
