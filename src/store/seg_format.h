/*
 * seg_format.h - layout of a segment file (doc/store.md has the picture).
 *
 *   "DHSTSEG1"                       8-byte magic
 *   block 0 .. block B-1             zstd frames, events in time order
 *   table chunks (str, addr, aset)   zstd frames of dictionary items
 *   index 0 .. 2 (name, client, server)
 *       nkeys entries of 16 bytes: u64 key hash, u32 posting offset,
 *       u32 count (top bit: the posting is a bitmap), all little-endian,
 *       sorted by key; then the postings
 *   cluster (version 3): for the client index, the events' lookup
 *       columns again, in posting order (key by key, time order within
 *       a key) as zstd frames of SEG_CLUSTER_ROWS rows, then one u32le
 *       first row per index entry (the footer says per index whether it
 *       has a cluster)
 *   partial cluster (version 4): for the name index, the same for the
 *       entries with many events only, then one pair of u32le (entry
 *       number, first row) per such entry, by entry number
 *   footer                           varints, ends in its own CRC-32C
 *   trailer (16 bytes)               u64 footer offset, u32 footer length,
 *                                    "DHSF"
 *
 * Every zstd frame carries zstd's content checksum (XXH64), which the
 * reader requires; the footer ends in its own CRC-32C. Index entries are not checksummed, since
 * verifying a whole key array per lookup would cost more than the lookup: their values are only
 * used after bounds checks, and every event they lead to is checked
 * against the query again, so a flipped index byte can lose a match but
 * never invents one or crashes the reader.
 */
#ifndef DH_STORE_SEG_FORMAT_H
#define DH_STORE_SEG_FORMAT_H

#define SEG_MAGIC         "DHSTSEG1"
#define SEG_MAGIC_LEN     8
#define SEG_TRAILER_MAGIC "DHSF"
#define SEG_TRAILER_LEN   16
#define SEG_VERSION       4
/* Version 2 files (no clusters) and version 3 files (a client cluster,
 * no name cluster) are still read; brief lookups without a cluster take
 * the block path. */
#define SEG_VERSION_MIN 2

/* Items per dictionary chunk: small enough that resolving one name
 * decompresses a few kilobytes, large enough that zstd finds repeats. */
#define SEG_CHUNK_ITEMS 64

/* Rows per cluster frame: a key's rows in one segment (a client's ~200
 * of 1 M events) then sit in one or two frames (doc/store.md). */
#define SEG_CLUSTER_ROWS 512

/* A name is in the name cluster (version 4) when it has at least one in
 * SEG_NAME_CLUSTER_SHARE of the segment's events and at least
 * SEG_NAME_CLUSTER_MIN of them. Below that share a name's hits in a
 * 10-second window touch few enough blocks (doc/store.md has the
 * figures); above it they touch nearly every block of the window. */
#define SEG_NAME_CLUSTER_SHARE 512
#define SEG_NAME_CLUSTER_MIN   16

#define SEG_INDEX_ENTRY 16
#define SEG_POST_BITMAP 0x80000000u

enum { SEG_TAB_STR = 0, SEG_TAB_ADDR = 1, SEG_TAB_ASET = 2, SEG_NTAB = 3 };
enum { SEG_IDX_NAME = 0, SEG_IDX_CLIENT = 1, SEG_IDX_SERVER = 2, SEG_NIDX = 3 };

/* Column order inside a block. */
enum {
	COL_TS,
	COL_OBSERVER,
	COL_ROLE,
	COL_TRANSPORT,
	COL_SRC,
	COL_DST,
	COL_SPORT,
	COL_DPORT,
	COL_SIZE,
	COL_RTT,
	COL_ID,
	COL_FLAGS,
	COL_QNAME,
	COL_QTYPE,
	COL_QCLASS,
	COL_COUNTS,
	COL_EDNS,
	COL_ASET,
	COL_N
};

/* Column order inside a cluster frame. The time column is the delta from
 * the previous row, or from the segment's tmin at the first row of a
 * frame or of an index entry, so a reader can start at either. */
enum {
	CCOL_TS,
	CCOL_OBSERVER,
	CCOL_ROLE,
	CCOL_TRANSPORT,
	CCOL_CLIENT,
	CCOL_SERVER,
	CCOL_FLAGS,
	CCOL_QNAME,
	CCOL_QTYPE,
	CCOL_QCLASS,
	CCOL_N
};

#endif
