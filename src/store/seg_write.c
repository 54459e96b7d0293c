/*
 * seg_write.c - writes a batch of buffered rows as one immutable segment
 * file (format in seg_format.h): column blocks, per-segment dictionaries
 * and three posting-list indexes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "store/seg_format.h"
#include "store/store_int.h"
#include "util/cursor.h"
#include "util/err.h"

/* Maps the buffer's dictionary ids to dense segment ids in order of first
 * use, so that a segment carries only what its events name. */
struct remap {
	uint32_t *map;  /* owned; buffer id -> segment id or STORE_NONE */
	uint32_t *used; /* owned; segment id -> buffer id */
	uint32_t n;
};

static int remap_init(struct remap *m, uint32_t size)
{
	m->n = 0;
	m->map = malloc(((size_t)size + 1) * sizeof(*m->map));
	m->used = malloc(((size_t)size + 1) * sizeof(*m->used));
	if (!m->map || !m->used)
		return -ENOMEM;
	memset(m->map, 0xff, ((size_t)size + 1) * sizeof(*m->map));
	return 0;
}

static void remap_release(struct remap *m)
{
	free(m->map);
	free(m->used);
}

static uint32_t remap_id(struct remap *m, uint32_t id)
{
	if (m->map[id] == STORE_NONE) {
		m->map[id] = m->n;
		m->used[m->n++] = id;
	}
	return m->map[id];
}

struct writer {
	int fd;
	uint64_t pos;
	int err;
	ZSTD_CCtx *zc;
	struct sbuf z;      /* compression output */
	struct sbuf footer; /* footer under construction */
};

static void w_write(struct writer *w, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (!w->err && n) {
		ssize_t k = write(w->fd, b, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			w->err = -errno;
			return;
		}
		b += k;
		n -= (size_t)k;
		w->pos += (uint64_t)k;
	}
}

/* Compresses raw and writes it as one frame; describes it in the footer
 * as offset, compressed length, raw length. The frame carries zstd's own
 * content checksum (XXH64, checked while decompressing at several GB/s),
 * which costs a lookup far less than a CRC-32C over the frame did. */
static void w_frame(struct writer *w, const struct sbuf *raw)
{
	if (w->err)
		return;
	size_t bound = ZSTD_compressBound(raw->len);
	w->z.len = 0;
	if (!store__sbuf_room(&w->z, bound)) {
		w->err = -ENOMEM;
		return;
	}
	size_t c = ZSTD_compress2(w->zc, w->z.p, bound, raw->p, raw->len);
	if (ZSTD_isError(c)) {
		w->err = -ENOMEM;
		return;
	}
	store__sbuf_varint(&w->footer, w->pos);
	store__sbuf_varint(&w->footer, c);
	store__sbuf_varint(&w->footer, raw->len);
	w_write(w, w->z.p, c);
}

/* Appends an answer set re-encoded with segment string ids. */
static int aset_remap(struct sbuf *out, const uint8_t *p, uint32_t n, struct remap *strs)
{
	struct cur c;
	cur_init(&c, p, n);
	uint64_t cnt = store__cur_varint(&c);
	store__sbuf_varint(out, cnt);
	for (uint64_t i = 0; i < cnt && !c.err; i++) {
		store__sbuf_u8(out, cur_u8(&c));
		store__sbuf_varint(out, store__cur_varint(&c)); /* type */
		store__sbuf_varint(out, store__cur_varint(&c)); /* class */
		store__sbuf_varint(out, store__cur_varint(&c)); /* ttl */
		for (int k = 0; k < 2; k++) {
			uint64_t id = store__cur_varint(&c);
			store__sbuf_varint(out, remap_id(strs, (uint32_t)id));
		}
	}
	return c.err ? c.err : out->err;
}

/* Writes one dictionary as chunks: items are varint length, bytes, NUL
 * (the NUL lets the reader hand out C strings inside the chunk). */
static void w_table(struct writer *w, const struct itab *t, const uint32_t *ids, uint32_t n,
                    const struct sbuf *items, const uint64_t *item_off, struct sbuf *meta)
{
	struct sbuf raw = {0};
	uint32_t nchunks = (n + SEG_CHUNK_ITEMS - 1) / SEG_CHUNK_ITEMS;
	struct sbuf *saved = &w->footer;
	struct sbuf chunkmeta = {0};
	/* Frames describe themselves into w->footer; collect them apart so
	 * that the table's header comes first. */
	struct sbuf keep = *saved;
	*saved = chunkmeta;
	for (uint32_t c = 0; c < nchunks && !w->err; c++) {
		raw.len = 0;
		uint32_t end = (c + 1) * SEG_CHUNK_ITEMS < n ? (c + 1) * SEG_CHUNK_ITEMS : n;
		for (uint32_t i = c * SEG_CHUNK_ITEMS; i < end; i++) {
			const uint8_t *p;
			uint32_t len;
			if (t) {
				p = store__itab_get(t, ids[i], &len);
			} else {
				p = items->p + item_off[i];
				len = (uint32_t)(item_off[i + 1] - item_off[i]);
			}
			store__sbuf_varint(&raw, len);
			store__sbuf_put(&raw, p, len);
			store__sbuf_u8(&raw, 0);
		}
		if (raw.err) {
			w->err = raw.err;
			break;
		}
		w_frame(w, &raw);
	}
	chunkmeta = *saved;
	*saved = keep;
	store__sbuf_varint(meta, n);
	store__sbuf_varint(meta, SEG_CHUNK_ITEMS);
	store__sbuf_varint(meta, nchunks);
	store__sbuf_put(meta, chunkmeta.p, chunkmeta.len);
	if (chunkmeta.err || raw.err)
		w->err = -ENOMEM;
	store__sbuf_release(&chunkmeta);
	store__sbuf_release(&raw);
}

struct ientry {
	uint64_t key;
	uint32_t first; /* index into the grouped event list */
	uint32_t count;
};

static int ientry_cmp(const void *a, const void *b)
{
	const struct ientry *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Encodes a sorted list of event numbers: delta varints, or a bitmap over
 * the segment's events when that is smaller (a key in most events, such
 * as one of two servers, then costs one bit per event). */
static void post_encode(struct sbuf *out, const uint32_t *ev, uint32_t n, uint32_t nevents,
                        uint32_t *count_field)
{
	size_t start = out->len;
	uint32_t prev = 0;
	for (uint32_t i = 0; i < n; i++) {
		store__sbuf_varint(out, i ? ev[i] - prev : ev[i]);
		prev = ev[i];
	}
	size_t bitmap = ((size_t)nevents + 7) / 8;
	if (out->len - start > bitmap) {
		out->len = start;
		uint8_t *bm = store__sbuf_room(out, bitmap);
		if (!bm)
			return;
		memset(bm, 0, bitmap);
		for (uint32_t i = 0; i < n; i++)
			bm[ev[i] >> 3] |= (uint8_t)(1u << (ev[i] & 7));
		out->len += bitmap;
		*count_field = n | SEG_POST_BITMAP;
		return;
	}
	*count_field = n;
}

/* What a cluster is made of: the rows and the segment ids they map to. */
struct clsrc {
	const struct srow *rows;
	const uint32_t *order; /* event number -> row */
	const struct remap *strs, *addrs;
	int64_t tmin;
	struct sbuf *meta; /* receives the cluster's footer description */
	/* Entries with fewer events stay out of the cluster; 0 or 1: every
	 * entry is in it. */
	uint32_t min_rows;
};

/*
 * Writes the cluster of one index: the lookup columns of the events in
 * posting order (list[0..n)), starts[0..nent) the first row of each
 * entry. A lookup of one key then reads its rows from one or two frames
 * instead of one 128-event block per event (doc/store.md). With ents,
 * only the entries ents[0..nent) (index entry numbers, ascending) are in
 * the cluster, and their (entry, first row) pairs follow the frames.
 */
static int w_cluster(struct writer *w, const struct clsrc *cs, const uint32_t *list, uint32_t n,
                     const uint32_t *starts, const uint32_t *ents, uint32_t nent)
{
	int rc = 0;
	struct sbuf col[CCOL_N], raw = {0}, frames = {0}, st = {0};
	struct sbuf keep = w->footer;
	uint32_t nframes = (n + SEG_CLUSTER_ROWS - 1) / SEG_CLUSTER_ROWS, e = 0;
	memset(col, 0, sizeof(col));
	/* Frames describe themselves into w->footer; keep them apart. */
	w->footer = frames;
	for (uint32_t f = 0; f < nframes && !w->err; f++) {
		uint32_t lo = f * SEG_CLUSTER_ROWS;
		uint32_t hi = lo + SEG_CLUSTER_ROWS < n ? lo + SEG_CLUSTER_ROWS : n;
		int64_t prev = cs->tmin;
		for (int c = 0; c < CCOL_N; c++)
			col[c].len = 0;
		for (uint32_t i = lo; i < hi; i++) {
			/* Rows are read in key order, so nearly every one is a
			 * cache miss: fetch ahead (this loop's share of ingest
			 * CPU went from 15% to 8% in perf). */
			if (i + 32 < n)
				__builtin_prefetch(&cs->order[list[i + 32]]);
			if (i + 16 < n)
				__builtin_prefetch(&cs->rows[cs->order[list[i + 16]]]);
			const struct srow *r = &cs->rows[cs->order[list[i]]];
			while (e < nent && starts[e] < i)
				e++;
			if (e < nent && starts[e] == i)
				prev = cs->tmin;
			store__sbuf_varint(&col[CCOL_TS], (uint64_t)(r->ts - prev));
			prev = r->ts;
			int qr = (r->flags & DNS_FLAG_QR) != 0;
			uint32_t src = cs->addrs->map[r->src], dst = cs->addrs->map[r->dst];
			store__sbuf_varint(&col[CCOL_OBSERVER], cs->strs->map[r->observer]);
			store__sbuf_u8(&col[CCOL_ROLE], r->role);
			store__sbuf_u8(&col[CCOL_TRANSPORT], r->transport);
			store__sbuf_varint(&col[CCOL_CLIENT], qr ? dst : src);
			store__sbuf_varint(&col[CCOL_SERVER], qr ? src : dst);
			store__sbuf_u16le(&col[CCOL_FLAGS], r->flags);
			store__sbuf_varint(
			    &col[CCOL_QNAME],
			    r->qname == STORE_NONE ? 0 : (uint64_t)cs->strs->map[r->qname] + 1);
			store__sbuf_varint(&col[CCOL_QTYPE], r->qtype);
			store__sbuf_varint(&col[CCOL_QCLASS], r->qclass);
		}
		raw.len = 0;
		store__sbuf_varint(&raw, CCOL_N);
		for (int c = 0; c < CCOL_N; c++)
			store__sbuf_varint(&raw, col[c].len);
		for (int c = 0; c < CCOL_N; c++) {
			store__sbuf_put(&raw, col[c].p, col[c].len);
			if (col[c].err)
				raw.err = col[c].err;
		}
		if (raw.err) {
			rc = raw.err;
			break;
		}
		w_frame(w, &raw);
	}
	frames = w->footer;
	w->footer = keep;
	if (rc)
		goto out;
	for (uint32_t i = 0; i < nent; i++) {
		if (ents)
			store__sbuf_u32le(&st, ents[i]);
		store__sbuf_u32le(&st, starts[i]);
	}
	if (st.err || frames.err) {
		rc = -ENOMEM;
		goto out;
	}
	if (ents)
		store__sbuf_varint(cs->meta, nent);
	store__sbuf_varint(cs->meta, w->pos);
	store__sbuf_varint(cs->meta, n);
	store__sbuf_varint(cs->meta, SEG_CLUSTER_ROWS);
	store__sbuf_varint(cs->meta, nframes);
	store__sbuf_put(cs->meta, frames.p, frames.len);
	w_write(w, st.p, st.len);
	rc = w->err ? w->err : cs->meta->err;
out:
	for (int c = 0; c < CCOL_N; c++)
		store__sbuf_release(&col[c]);
	store__sbuf_release(&raw);
	store__sbuf_release(&frames);
	store__sbuf_release(&st);
	return rc;
}

/*
 * Writes one index. keys[e] is the segment key id of event e or
 * STORE_NONE; hashes[k] the hash of key id k. Emits entries then postings
 * (and, with cs, the index's cluster: of every entry, or with
 * cs->min_rows of the entries with at least that many events) and
 * describes the index in the footer.
 */
static int w_index(struct writer *w, const uint32_t *keys, uint32_t nevents, const uint64_t *hashes,
                   uint32_t nkeys, const struct clsrc *cs)
{
	int rc = 0;
	uint32_t *clist = NULL, *starts = NULL, *cents = NULL, nlist = 0, nstarts = 0;
	uint32_t *cnt = calloc((size_t)nkeys + 1, sizeof(*cnt));
	uint32_t *grouped = malloc(((size_t)nevents + 1) * sizeof(*grouped));
	struct ientry *ent = malloc(((size_t)nkeys + 1) * sizeof(*ent));
	struct sbuf post = {0}, entries = {0};
	uint32_t *merged = NULL;
	if (!cnt || !grouped || !ent) {
		rc = -ENOMEM;
		goto out;
	}
	/* Counting sort by key keeps each key's events in event order. */
	for (uint32_t e = 0; e < nevents; e++)
		if (keys[e] != STORE_NONE)
			cnt[keys[e]]++;
	uint32_t sum = 0, nent = 0;
	for (uint32_t k = 0; k < nkeys; k++) {
		uint32_t c = cnt[k];
		if (c) {
			ent[nent].key = hashes[k];
			ent[nent].first = sum;
			ent[nent].count = c;
			nent++;
		}
		cnt[k] = sum;
		sum += c;
	}
	for (uint32_t e = 0; e < nevents; e++)
		if (keys[e] != STORE_NONE)
			grouped[cnt[keys[e]]++] = e;
	qsort(ent, nent, sizeof(*ent), ientry_cmp);
	if (cs) {
		clist = malloc(((size_t)nevents + 1) * sizeof(*clist));
		starts = malloc(((size_t)nent + 1) * sizeof(*starts));
		cents = malloc(((size_t)nent + 1) * sizeof(*cents));
		if (!clist || !starts || !cents) {
			rc = -ENOMEM;
			goto out;
		}
	}

	uint32_t i = 0, nwritten = 0;
	while (i < nent) {
		/* Keys whose hashes collide share one posting list; the reader
		 * checks every event against the query anyway. */
		uint32_t j = i + 1, total = ent[i].count;
		while (j < nent && ent[j].key == ent[i].key)
			total += ent[j++].count;
		const uint32_t *list = grouped + ent[i].first;
		if (j > i + 1) {
			free(merged);
			merged = malloc((size_t)total * sizeof(*merged));
			if (!merged) {
				rc = -ENOMEM;
				goto out;
			}
			uint32_t m = 0;
			for (uint32_t k = i; k < j; k++) {
				memcpy(merged + m, grouped + ent[k].first,
				       ent[k].count * sizeof(*merged));
				m += ent[k].count;
			}
			qsort(merged, total, sizeof(*merged), u32_cmp);
			list = merged;
		}
		uint32_t count_field = 0;
		store__sbuf_u64le(&entries, ent[i].key);
		store__sbuf_u32le(&entries, (uint32_t)post.len);
		post_encode(&post, list, total, nevents, &count_field);
		store__sbuf_u32le(&entries, count_field);
		if (cs && total >= cs->min_rows) {
			cents[nstarts] = nwritten;
			starts[nstarts++] = nlist;
			memcpy(clist + nlist, list, (size_t)total * sizeof(*clist));
			nlist += total;
		}
		nwritten++;
		i = j;
	}
	if (entries.err || post.err) {
		rc = -ENOMEM;
		goto out;
	}
	uint64_t off = w->pos;
	w_write(w, entries.p, entries.len);
	w_write(w, post.p, post.len);
	store__sbuf_varint(&w->footer, off);
	store__sbuf_varint(&w->footer, entries.len / SEG_INDEX_ENTRY);
	store__sbuf_varint(&w->footer, off + entries.len);
	store__sbuf_varint(&w->footer, post.len);
	rc = w->err;
	if (!rc && cs && nstarts)
		rc = w_cluster(w, cs, clist, nlist, starts, cs->min_rows > 1 ? cents : NULL,
		               nstarts);
out:
	free(clist);
	free(starts);
	free(cents);
	free(cnt);
	free(grouped);
	free(ent);
	free(merged);
	store__sbuf_release(&post);
	store__sbuf_release(&entries);
	return rc;
}

struct qfreq {
	uint32_t id, count;
};

static int qfreq_cmp(const void *a, const void *b)
{
	const struct qfreq *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Gives the segment's qnames the first string ids, most frequent first.
 * Under the Zipf-like popularity of names, a client's questions then fall
 * into a few dictionary chunks that stay decompressed, instead of one
 * chunk per question: resolving qnames was two thirds of a brief client
 * lookup's CPU (doc/store.md). Small ids also make shorter varints.
 */
static int qnames_first(struct remap *strs, const struct srow *rows, const uint32_t *order,
                        size_t n, uint32_t nstr)
{
	int rc = 0;
	uint32_t *cnt = calloc((size_t)nstr + 1, sizeof(*cnt));
	struct qfreq *q = NULL;
	uint32_t nq = 0;
	if (!cnt)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint32_t id = rows[order[i]].qname;
		if (id != STORE_NONE && id < nstr && cnt[id]++ == 0)
			nq++;
	}
	q = malloc(((size_t)nq + 1) * sizeof(*q));
	if (!q) {
		rc = -ENOMEM;
		goto out;
	}
	nq = 0;
	for (uint32_t id = 0; id < nstr; id++)
		if (cnt[id])
			q[nq++] = (struct qfreq){id, cnt[id]};
	qsort(q, nq, sizeof(*q), qfreq_cmp);
	for (uint32_t i = 0; i < nq; i++)
		remap_id(strs, q[i].id);
out:
	free(cnt);
	free(q);
	return rc;
}

static void put_u16(struct sbuf *b, unsigned v)
{
	store__sbuf_u16le(b, v);
}

int store__seg_write(const char *path, const struct srow *rows, const uint32_t *order, size_t n,
                     const struct sdict *d, int zlevel, uint64_t *bytes)
{
	int rc = 0;
	struct writer w = {.fd = -1};
	struct remap strs = {0}, addrs = {0}, asets = {0};
	struct sbuf col[COL_N];
	struct sbuf raw = {0}, tabmeta = {0}, aset_items = {0}, clmeta = {0}, clmeta_name = {0};
	uint64_t *aset_off = NULL, *hashes = NULL;
	uint32_t *keys[SEG_NIDX] = {NULL, NULL, NULL};
	memset(col, 0, sizeof(col));

	if (n == 0 || n > UINT32_MAX / 2)
		return DH_EUSAGE;
	if ((rc = remap_init(&strs, d->str.n)) || (rc = remap_init(&addrs, d->addr.n)) ||
	    (rc = remap_init(&asets, d->aset.n)) ||
	    (rc = qnames_first(&strs, rows, order, n, d->str.n)))
		goto out;
	for (int k = 0; k < SEG_NIDX; k++) {
		keys[k] = malloc(n * sizeof(*keys[k]));
		if (!keys[k]) {
			rc = -ENOMEM;
			goto out;
		}
	}
	w.zc = ZSTD_createCCtx();
	if (!w.zc || ZSTD_isError(ZSTD_CCtx_setParameter(w.zc, ZSTD_c_compressionLevel, zlevel)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w.zc, ZSTD_c_checksumFlag, 1))) {
		rc = -ENOMEM;
		goto out;
	}
	w.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w.fd < 0) {
		rc = -errno;
		goto out;
	}
	w_write(&w, SEG_MAGIC, SEG_MAGIC_LEN);

	int64_t tmin = rows[order[0]].ts, tmax = rows[order[n - 1]].ts;
	uint32_t nblocks = (uint32_t)((n + STORE_BLOCK_EVENTS - 1) / STORE_BLOCK_EVENTS);
	store__sbuf_varint(&w.footer, SEG_VERSION);
	store__sbuf_varint(&w.footer, n);
	store__sbuf_varint(&w.footer, store__zigzag(tmin));
	store__sbuf_varint(&w.footer, store__zigzag(tmax));
	store__sbuf_varint(&w.footer, STORE_BLOCK_EVENTS);
	store__sbuf_varint(&w.footer, nblocks);

	for (uint32_t b = 0; b < nblocks && !w.err; b++) {
		size_t lo = (size_t)b * STORE_BLOCK_EVENTS;
		size_t hi = lo + STORE_BLOCK_EVENTS < n ? lo + STORE_BLOCK_EVENTS : n;
		for (int c = 0; c < COL_N; c++)
			col[c].len = 0;
		int64_t prev = tmin;
		for (size_t i = lo; i < hi; i++) {
			const struct srow *r = &rows[order[i]];
			/* Sorted input makes every delta non-negative. */
			store__sbuf_varint(&col[COL_TS], (uint64_t)(r->ts - prev));
			prev = r->ts;
			store__sbuf_varint(&col[COL_OBSERVER], remap_id(&strs, r->observer));
			store__sbuf_u8(&col[COL_ROLE], r->role);
			store__sbuf_u8(&col[COL_TRANSPORT], r->transport);
			uint32_t src = remap_id(&addrs, r->src), dst = remap_id(&addrs, r->dst);
			store__sbuf_varint(&col[COL_SRC], src);
			store__sbuf_varint(&col[COL_DST], dst);
			put_u16(&col[COL_SPORT], r->sport);
			put_u16(&col[COL_DPORT], r->dport);
			store__sbuf_varint(&col[COL_SIZE], r->size);
			store__sbuf_varint(&col[COL_RTT], store__zigzag(r->rtt));
			put_u16(&col[COL_ID], r->id);
			put_u16(&col[COL_FLAGS], r->flags);
			uint32_t qn = STORE_NONE;
			if (r->qname != STORE_NONE)
				qn = remap_id(&strs, r->qname);
			store__sbuf_varint(&col[COL_QNAME],
			                   qn == STORE_NONE ? 0 : (uint64_t)qn + 1);
			store__sbuf_varint(&col[COL_QTYPE], r->qtype);
			store__sbuf_varint(&col[COL_QCLASS], r->qclass);
			store__sbuf_varint(&col[COL_COUNTS], r->qd);
			store__sbuf_varint(&col[COL_COUNTS], r->an);
			store__sbuf_varint(&col[COL_COUNTS], r->ns);
			store__sbuf_varint(&col[COL_COUNTS], r->ar);
			store__sbuf_varint(&col[COL_COUNTS], r->rr_dropped);
			store__sbuf_u8(&col[COL_EDNS], r->edns);
			if (r->edns & 1) {
				store__sbuf_u8(&col[COL_EDNS], r->edns_version);
				store__sbuf_varint(&col[COL_EDNS], r->udp_size);
				store__sbuf_u8(&col[COL_EDNS], r->ext_rcode);
				if (r->edns & 4) {
					store__sbuf_u8(&col[COL_EDNS], r->ecs_source);
					store__sbuf_u8(&col[COL_EDNS], r->ecs_scope);
					store__sbuf_varint(&col[COL_EDNS],
					                   remap_id(&addrs, r->ecs_addr));
				}
			}
			uint64_t as = 0;
			if (r->aset != STORE_NONE)
				as = (uint64_t)remap_id(&asets, r->aset) + 1;
			store__sbuf_varint(&col[COL_ASET], as);

			/* Index keys: the client is the querying side (the source
			 * of a query, the destination of a response). */
			int qr = (r->flags & DNS_FLAG_QR) != 0;
			uint32_t cl = qr ? dst : src, sv = qr ? src : dst;
			keys[SEG_IDX_NAME][i] = qn;
			keys[SEG_IDX_CLIENT][i] = cl;
			keys[SEG_IDX_SERVER][i] = sv;
		}
		raw.len = 0;
		store__sbuf_varint(&raw, COL_N);
		for (int c = 0; c < COL_N; c++)
			store__sbuf_varint(&raw, col[c].len);
		for (int c = 0; c < COL_N; c++) {
			store__sbuf_put(&raw, col[c].p, col[c].len);
			if (col[c].err)
				raw.err = col[c].err;
		}
		if (raw.err) {
			rc = raw.err;
			goto out;
		}
		int64_t bmin = rows[order[lo]].ts, bmax = rows[order[hi - 1]].ts;
		store__sbuf_varint(&w.footer, store__zigzag(bmin));
		store__sbuf_varint(&w.footer, store__zigzag(bmax));
		w_frame(&w, &raw);
	}
	if (w.err) {
		rc = w.err;
		goto out;
	}

	/* Answer sets refer to strings: re-encode them first so that the
	 * strings they name get segment ids before the string table is
	 * written. */
	aset_off = malloc(((size_t)asets.n + 1) * sizeof(*aset_off));
	if (!aset_off) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < asets.n; i++) {
		uint32_t len;
		const uint8_t *p = store__itab_get(&d->aset, asets.used[i], &len);
		aset_off[i] = aset_items.len;
		if ((rc = aset_remap(&aset_items, p, len, &strs)))
			goto out;
	}
	aset_off[asets.n] = aset_items.len;
	w_table(&w, &d->str, strs.used, strs.n, NULL, NULL, &tabmeta);
	w_table(&w, &d->addr, addrs.used, addrs.n, NULL, NULL, &tabmeta);
	w_table(&w, NULL, NULL, asets.n, &aset_items, aset_off, &tabmeta);
	if (w.err || tabmeta.err) {
		rc = w.err ? w.err : tabmeta.err;
		goto out;
	}
	store__sbuf_put(&w.footer, tabmeta.p, tabmeta.len);

	/* Index keys are hashes of the text or address bytes, so a lookup
	 * needs no dictionary search: hash, binary search, read postings. */
	uint32_t maxkeys = strs.n > addrs.n ? strs.n : addrs.n;
	hashes = malloc(((size_t)maxkeys + 1) * sizeof(*hashes));
	if (!hashes) {
		rc = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < strs.n; i++)
		hashes[i] = d->str.hash[strs.used[i]];
	/* The client index has a cluster of every entry. The name index has
	 * one of its popular names only: a cluster of every name would cost
	 * another 7.3 bytes per event and break the 40-byte budget, while a
	 * rare name's hits are few enough to read from the blocks; a popular
	 * name's hits fall into nearly every block of a window, which made
	 * the tail of traceback's lookups (doc/store.md). */
	struct clsrc cs_client = {rows, order, &strs, &addrs, tmin, &clmeta, 0};
	struct clsrc cs_name = {
	    rows, order, &strs, &addrs, tmin, &clmeta_name, SEG_NAME_CLUSTER_MIN};
	if (n / SEG_NAME_CLUSTER_SHARE > SEG_NAME_CLUSTER_MIN)
		cs_name.min_rows = (uint32_t)(n / SEG_NAME_CLUSTER_SHARE);
	if ((rc = w_index(&w, keys[SEG_IDX_NAME], (uint32_t)n, hashes, strs.n, &cs_name)))
		goto out;
	for (uint32_t i = 0; i < addrs.n; i++)
		hashes[i] = d->addr.hash[addrs.used[i]];
	if ((rc = w_index(&w, keys[SEG_IDX_CLIENT], (uint32_t)n, hashes, addrs.n, &cs_client)) ||
	    (rc = w_index(&w, keys[SEG_IDX_SERVER], (uint32_t)n, hashes, addrs.n, NULL)))
		goto out;
	/* Per index, whether it has a cluster (1: of every entry, 2: of some,
	 * version 4), and its description. */
	for (int k = 0; k < SEG_NIDX; k++) {
		const struct sbuf *m = k == SEG_IDX_CLIENT ? &clmeta
		                       : k == SEG_IDX_NAME ? &clmeta_name
		                                           : NULL;
		unsigned present = !m || !m->len ? 0 : k == SEG_IDX_NAME ? 2 : 1;
		store__sbuf_varint(&w.footer, present);
		if (present)
			store__sbuf_put(&w.footer, m->p, m->len);
		if (m && m->err)
			w.footer.err = m->err;
	}

	if (w.footer.err) {
		rc = w.footer.err;
		goto out;
	}
	uint64_t foff = w.pos;
	store__sbuf_u32le(&w.footer, store__crc32c(0, w.footer.p, w.footer.len));
	uint32_t flen = (uint32_t)w.footer.len;
	w_write(&w, w.footer.p, w.footer.len);
	struct sbuf tr = {0};
	store__sbuf_u64le(&tr, foff);
	store__sbuf_u32le(&tr, flen);
	store__sbuf_put(&tr, SEG_TRAILER_MAGIC, 4);
	if (tr.err) {
		rc = tr.err;
		goto out;
	}
	w_write(&w, tr.p, tr.len);
	store__sbuf_release(&tr);
	if (w.err) {
		rc = w.err;
		goto out;
	}
	/* The segment must be on disk before the catalog names it. */
	if (fsync(w.fd) < 0) {
		rc = -errno;
		goto out;
	}
	if (bytes)
		*bytes = w.pos;
out:
	if (w.fd >= 0 && close(w.fd) < 0 && !rc)
		rc = -errno;
	ZSTD_freeCCtx(w.zc);
	store__sbuf_release(&w.z);
	store__sbuf_release(&w.footer);
	for (int c = 0; c < COL_N; c++)
		store__sbuf_release(&col[c]);
	store__sbuf_release(&raw);
	store__sbuf_release(&tabmeta);
	store__sbuf_release(&aset_items);
	store__sbuf_release(&clmeta);
	store__sbuf_release(&clmeta_name);
	free(aset_off);
	free(hashes);
	for (int k = 0; k < SEG_NIDX; k++)
		free(keys[k]);
	remap_release(&strs);
	remap_release(&addrs);
	remap_release(&asets);
	return rc;
}
