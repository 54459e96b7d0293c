/*
 * trace_msg.h - the traceback protocol's messages (doc/protocol.md).
 *
 * A request asks an agent who asked its DNS server for a name around an
 * attack (seed 000 section 4.2), or carries only a blinded confirmation
 * element (section 4.5). An answer lists ranked candidates, what was not
 * reached, and the confirmation data of each source agent. Both travel as
 * JSON objects with a version number "v"; this version is 1.
 *
 * The parsers are strict and bounded: a message larger than its limit, a
 * nesting deeper than TRACE_JSON_DEPTH, an unknown version, an unknown
 * key, a value of the wrong type or out of range, or a list
 * longer than its limit is refused with a protocol error code and a
 * message naming the field. Nothing is trusted as a length or a count.
 */
#ifndef DH_TRACE_TRACE_MSG_H
#define DH_TRACE_TRACE_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "util/addr.h"

#define TRACE_VERSION 1

/* Limits of version 1 (doc/protocol.md section 3). */
#define TRACE_REQUEST_MAX  (16 * 1024)   /* bytes of one request */
#define TRACE_ANSWER_MAX   (1024 * 1024) /* bytes of one answer */
#define TRACE_JSON_DEPTH   6             /* nesting of arrays and objects */
#define TRACE_ID_MAX       64            /* request id: [0-9a-f-], 8..64 chars */
#define TRACE_AGENT_MAX    64            /* agent name */
#define TRACE_NAME_MAX     256           /* FQDN text, with the NUL */
#define TRACE_PATH_MAX     16            /* agents on a path */
#define TRACE_HOPS_MAX     8             /* the largest hop limit allowed */
#define TRACE_CAND_MAX     4096          /* candidates in one answer */
#define TRACE_REASONS_MAX  8             /* reasons per candidate */
#define TRACE_REASON_LEN   160           /* one reason's text, with the NUL */
#define TRACE_EVIDENCE_MAX 8             /* evidence items per candidate */
#define TRACE_CC_MAX       64            /* cc_candidates in one answer */
#define TRACE_LIST_MAX     64            /* unreached, warnings, names */
#define TRACE_TEXT_MAX     256           /* a warning or an error message */
#define TRACE_TAGS_MAX     4096          /* confirmation tags per agent */
#define TRACE_CONF_MAX     32            /* confirmations in one answer */
#define TRACE_OPRF_BYTES   32            /* a ristretto255 element, a tag */

/*
 * Protocol error codes. Their names (trace_code_name()) are what travels
 * in an error answer's "code"; the numbers are this implementation's
 * return codes, below -1200 so that they never meet errno or DH_E*.
 */
enum {
	TRACE_EBADREQ = -1201,   /* "bad_request": malformed, wrong type, range */
	TRACE_EVERSION = -1202,  /* "unsupported_version" */
	TRACE_ETOOBIG = -1203,   /* "too_large": size or a list over its limit */
	TRACE_EUNKNOWN = -1204,  /* "unknown_peer": no peer entry matches */
	TRACE_EFORBID = -1205,   /* "forbidden": the peer lacks the right */
	TRACE_ELOOP = -1206,     /* "loop": this agent is already on the path */
	TRACE_EHOPS = -1207,     /* "hop_limit": hops would exceed max_hops */
	TRACE_EDEADLINE = -1208, /* "deadline": the deadline has passed */
	TRACE_ERATE = -1209,     /* "rate_limited" */
	TRACE_EINTERNAL = -1210, /* "internal": the store or memory failed */
	TRACE_EDOWN = -1211,     /* "down": transport could not reach a peer */
	TRACE_ELAST = -1212,
};

/* The protocol name of code ("forbidden"), or "internal" for codes that
 * have none. Never NULL. */
const char *trace_code_name(int code);
/* Parses a protocol name back; unknown names give TRACE_EINTERNAL. */
int trace_code_parse(const char *name);
/* Text for any code: trace's own, DH_E* or errno. Never NULL. */
const char *trace_strerror(int code);

enum trace_kind {
	TRACE_KIND_TRACE = 0,   /* "trace": find candidates (and confirm) */
	TRACE_KIND_CONFIRM = 1, /* "confirm": only the spoofed-or-not check */
};

struct trace_request {
	unsigned version;
	unsigned kind; /* enum trace_kind */
	char request_id[TRACE_ID_MAX + 1];
	char originator[TRACE_AGENT_MAX + 1]; /* who asked first */
	unsigned hops;                        /* hops travelled so far */
	unsigned max_hops;                    /* 1..TRACE_HOPS_MAX */
	unsigned npath;
	char path[TRACE_PATH_MAX][TRACE_AGENT_MAX + 1]; /* agents relayed by */
	int64_t deadline_ms;                            /* unix ms; answer by then */
	char fqdn[TRACE_NAME_MAX]; /* lower case, trailing dot; "" in victim mode */
	struct dh_addr victim;     /* victim-IP mode when family != NONE */
	int64_t attack_start_ms;   /* first attack packet */
	int64_t attack_end_ms;     /* last attack packet (>= start) */
	uint32_t window_s;         /* end hosts: asked in [start - window, end] */
	uint32_t lookback_s;       /* resolvers, forwarders: [start - lookback, end];
	                              0 = decide (the destination does) */
	uint8_t has_blinded;       /* a confirmation element follows */
	uint8_t blinded[TRACE_OPRF_BYTES];
};

struct trace_evidence {
	int64_t ts_ms;
	uint16_t qtype;
	int8_t cached; /* 1 served from cache, 0 asked upstream, -1 unknown */
	char agent[TRACE_AGENT_MAX + 1];
};

struct trace_candidate {
	char host[DH_ADDR_TEXT_MAX];
	double score;
	unsigned nreasons;
	char reasons[TRACE_REASONS_MAX][TRACE_REASON_LEN];
	unsigned npath;
	char path[TRACE_PATH_MAX][TRACE_AGENT_MAX + 1];
	unsigned nevidence;
	struct trace_evidence evidence[TRACE_EVIDENCE_MAX];
	uint32_t queries;   /* queries for the name in the window */
	uint32_t requests;  /* traced requests this host matched (4.4.1) */
	uint32_t resolvers; /* source agents that named it (4.4.2) */
};

struct trace_cc {
	char name[TRACE_NAME_MAX];
	double score;
	uint32_t bots;   /* traced bots that resolved it before the attack */
	uint32_t others; /* other clients that resolved it in the same time */
};

struct trace_unreached {
	char agent[TRACE_AGENT_MAX + 1];
	char reason[32]; /* a protocol code name, or "no_agent" */
	char detail[TRACE_TEXT_MAX];
};

struct trace_confirmation {
	char agent[TRACE_AGENT_MAX + 1];
	uint8_t evaluated[TRACE_OPRF_BYTES];
	size_t ntags;
	uint8_t (*tags)[TRACE_OPRF_BYTES]; /* owned by the answer */
};

struct trace_answer {
	unsigned version;
	char request_id[TRACE_ID_MAX + 1];
	char agent[TRACE_AGENT_MAX + 1]; /* who answers */
	int error;                       /* 0, or a TRACE_E* code */
	char error_message[TRACE_TEXT_MAX];
	char fqdn[TRACE_NAME_MAX];
	unsigned nnames; /* victim-IP mode: the names found */
	char (*names)[TRACE_NAME_MAX];
	int spoofed; /* 1, 0, or -1 for null */
	unsigned hops;
	uint32_t lookback_s;
	char lookback_reason[TRACE_TEXT_MAX];
	size_t ncand;
	struct trace_candidate *cand; /* owned; ranked, best first */
	size_t ncc;
	struct trace_cc *cc; /* owned; ranked */
	size_t nunreached;
	struct trace_unreached *unreached; /* owned */
	size_t nwarnings;
	char (*warnings)[TRACE_TEXT_MAX]; /* owned */
	size_t nconf;
	struct trace_confirmation *conf; /* owned */
};

/* Empties a (embedded) answer; trace_answer_release() frees what it owns
 * and leaves it empty. */
void trace_answer_init(struct trace_answer *a);
void trace_answer_release(struct trace_answer *a);

/* Appending to an answer's lists. Return 0, TRACE_ETOOBIG at the list's
 * limit, or -ENOMEM. The returned pointers stay owned by the answer. */
int trace_answer_add_cand(struct trace_answer *a, struct trace_candidate **out);
int trace_answer_add_cc(struct trace_answer *a, struct trace_cc **out);
int trace_answer_add_unreached(struct trace_answer *a, const char *agent, const char *reason,
                               const char *detail);
int trace_answer_add_warning(struct trace_answer *a, const char *text);
int trace_answer_add_name(struct trace_answer *a, const char *name);
int trace_answer_add_conf(struct trace_answer *a, struct trace_confirmation **out);

/* Appends a reason (truncated to TRACE_REASON_LEN) unless the list is
 * full; printf-style. */
void trace_cand_reason(struct trace_candidate *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Encoders. Each returns 0 and *out (a NUL-terminated JSON text of *len
 * bytes; caller frees with free()), or a negative code.
 * trace_error_encode() writes an error answer for code.
 */
int trace_request_encode(const struct trace_request *r, char **out, size_t *len);
int trace_answer_encode(const struct trace_answer *a, char **out, size_t *len);
int trace_error_encode(const char *request_id, const char *agent, int code, const char *message,
                       char **out, size_t *len);

/*
 * Parsers of untrusted bytes (buf, len: borrowed; no NUL needed). Return
 * 0 with *r / *a filled, or a TRACE_E* code with err (errlen bytes, may
 * be NULL) saying what is wrong and where. A request that parses is also
 * checked for consistency (ranges, exactly one of fqdn and victim_ip for a
 * trace, path length equal to hops). trace_answer_parse() fills an
 * answer that the caller releases in every case; an error answer parses
 * as success with a->error set.
 */
int trace_request_parse(const uint8_t *buf, size_t len, struct trace_request *r, char *err,
                        size_t errlen);
int trace_answer_parse(const uint8_t *buf, size_t len, struct trace_answer *a, char *err,
                       size_t errlen);

/* Normalises a name to lower case with a trailing dot into out
 * (TRACE_NAME_MAX). Returns 0 or TRACE_EBADREQ for an empty, over-long or
 * odd name (only letters, digits, '-', '_' and dots between labels). */
int trace_name_norm(const char *in, char *out);

#endif
