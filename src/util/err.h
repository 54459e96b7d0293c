/*
 * err.h - dnshound's error codes.
 *
 * Functions that can fail return int: 0 on success, a negative code on
 * failure. System errors are their negative errno; dnshound's own codes sit
 * below -1000 so the two ranges never meet. dh_strerror() turns any of them
 * into text.
 */
#ifndef DH_UTIL_ERR_H
#define DH_UTIL_ERR_H

enum {
	DH_EOK = 0,
	DH_EBASE = -1000,
	DH_ETRUNC = -1001,     /* input ends before a field it announces */
	DH_EMALFORMED = -1002, /* input is structurally wrong */
	DH_ELOOP = -1003,      /* compression pointer loops or points forward */
	DH_ENAMELEN = -1004,   /* a name longer than 255 octets or a label over 63 */
	DH_ECOUNT = -1005,     /* a count larger than the message can hold */
	DH_ELABEL = -1006,     /* reserved label type (0x40 or 0x80) */
	DH_EFORMAT = -1007,    /* unknown or unsupported file format */
	DH_ELINKTYPE = -1008,  /* unsupported link-layer type */
	DH_ENOTDNS = -1009,    /* packet carries no DNS on a watched port */
	DH_EFRAG = -1010,      /* fragment that cannot be reassembled */
	DH_ESPACE = -1011,     /* output buffer too small */
	DH_EUSAGE = -1012,     /* the caller's arguments are wrong */
	DH_ECORRUPT = -1013,   /* a store file fails its checks */
	DH_EDB = -1014,        /* the SQLite catalog reported an error */
	DH_ENOTFOUND = -1015,  /* no such item */
	DH_EEXIST = -1016,     /* already present */
	DH_ETRAILING = -1017,  /* bytes left after the last record */
	DH_ELAST = -1018,
};

/* Returns a static string describing code; never NULL. */
const char *dh_strerror(int code);

#endif
