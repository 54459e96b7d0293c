/*
 * scenario_out.h - the writers of the traffic scenarios: DNS messages in
 * wire format, a pcap file, a BIND 9.18 query log and a dnstap file.
 *
 * The eval layer may use only src/util, so every format is written here by
 * hand: the DNS header and names of RFC 1035 section 4.1, the classic pcap
 * file format (tcpdump.org, "pcap-savefile"), Ethernet II with IPv4
 * (RFC 791), IPv6 (RFC 8200), UDP (RFC 768) and TCP (RFC 9293) headers and
 * their checksums, BIND's query-log line as src/source/src_bind.c reads
 * it, and dnstap's protobuf fields (src/source/dnstap.proto) in Frame
 * Streams framing. Nothing here allocates per message: every writer keeps
 * one output buffer, filled and written out in large blocks.
 */
#ifndef DH_EVAL_SCENARIO_OUT_H
#define DH_EVAL_SCENARIO_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/addr.h"

/* Largest DNS message built here: EDNS(0) payload size the generator
 * announces (1232, the DNS Flag Day 2020 value) rounded up, and the TCP
 * answers stay below it too. */
#define SCEN_MSG_MAX 2048

/* DNS record types used by the scenarios (RFC 1035, 3596, 9460). */
enum {
	SCEN_T_A = 1,
	SCEN_T_NS = 2,
	SCEN_T_CNAME = 5,
	SCEN_T_SOA = 6,
	SCEN_T_NULL = 10,
	SCEN_T_PTR = 12,
	SCEN_T_MX = 15,
	SCEN_T_TXT = 16,
	SCEN_T_AAAA = 28,
	SCEN_T_OPT = 41,
	SCEN_T_HTTPS = 65,
};

/* Message sections of scenario_msg_rr(). */
enum { SCEN_SEC_ANSWER = 0, SCEN_SEC_AUTHORITY = 1, SCEN_SEC_ADDITIONAL = 2 };

/*
 * A DNS message being built in a caller-owned buffer. err is sticky: once
 * a record does not fit, later calls do nothing and scenario_msg_end()
 * returns DH_ESPACE.
 */
struct scenario_msg {
	uint8_t *p; /* borrowed, cap bytes */
	size_t cap;
	size_t len;
	uint16_t count[3]; /* answer, authority, additional */
	int err;
};

/* Starts a message with header (id, flags) and one question. qname is
 * presentation form without the trailing dot ("" = the root); labels must
 * be 1 to 63 octets and the name at most 255 in wire form. */
void scenario_msg_begin(struct scenario_msg *m, uint8_t *buf, size_t cap, uint16_t id,
                        uint16_t flags, const char *qname, uint16_t qtype);

/* Appends a record to section sec. name NULL means the question's name
 * (compressed to offset 12). rdata is raw (borrowed for the call). */
void scenario_msg_rr(struct scenario_msg *m, int sec, const char *name, uint16_t type, uint32_t ttl,
                     const uint8_t *rdata, size_t rdlen);

/* Appends a record whose RDATA is prefix (rdlen octets, may be 0) then
 * the domain name target in uncompressed wire form (NS, CNAME, PTR, MX). */
void scenario_msg_rr_name(struct scenario_msg *m, int sec, const char *name, uint16_t type,
                          uint32_t ttl, const uint8_t *prefix, size_t plen, const char *target);

/* Appends an EDNS(0) OPT record (RFC 6891) announcing udp_size. */
void scenario_msg_opt(struct scenario_msg *m, uint16_t udp_size);

/* Writes the section counts. Returns the message length or DH_ESPACE. */
int scenario_msg_end(struct scenario_msg *m);

/* Writes name in wire form into out (at least 256 octets). Returns its
 * length, or DH_ENAMELEN for an empty label, a label over 63 octets or a
 * name over 255. */
int scenario_name_wire(const char *name, uint8_t *out, size_t cap);

/*
 * A file written through one large buffer. Owns f (closed by
 * scenario_file_close()). err keeps the first write error.
 */
struct scenario_file {
	FILE *f;
	uint8_t *buf; /* owned, SCEN_FILE_BUF bytes */
	size_t len;
	uint64_t bytes; /* written so far, buffered included */
	int err;
};

#define SCEN_FILE_BUF (1u << 20)

/* Opens path for writing. Returns 0 or a negative errno. */
int scenario_file_open(struct scenario_file *sf, const char *path);
/* Appends n bytes. */
void scenario_file_put(struct scenario_file *sf, const void *p, size_t n);
/* Flushes and closes; safe on a file never opened. Returns 0 or the
 * first error. */
int scenario_file_close(struct scenario_file *sf);

/* One DNS message in flight, as every writer needs it. */
struct scenario_pkt {
	int64_t ts_ns;
	struct dh_addr src, dst; /* same family */
	uint16_t sport, dport;
	uint8_t tcp;        /* 1: over TCP (RFC 7766 length prefix) */
	const uint8_t *dns; /* borrowed */
	size_t dns_len;
};

/* The pcap writer: classic format, microsecond stamps, LINKTYPE_ETHERNET. */
int scenario_pcap_open(struct scenario_file *sf, const char *path);
/* Writes one UDP datagram carrying the message. */
void scenario_pcap_udp(struct scenario_file *sf, const struct scenario_pkt *pk);
/* Writes one TCP segment: flags (RFC 9293: FIN 0x01, SYN 0x02, PSH 0x08,
 * ACK 0x10), sequence and acknowledgement numbers, payload (may be NULL
 * with plen 0). */
void scenario_pcap_tcp(struct scenario_file *sf, int64_t ts_ns, const struct dh_addr *src,
                       const struct dh_addr *dst, uint16_t sport, uint16_t dport, uint8_t flags,
                       uint32_t seq, uint32_t ack, const uint8_t *payload, size_t plen);

/* The BIND 9.18 query-log writer (file channel with print-time, category
 * and severity). One line per client query; resolver is the address the
 * query was sent to. rd says whether recursion was asked, edns whether an
 * OPT record was present. */
struct scenario_log {
	struct scenario_file file;
	int64_t sec;   /* second of the cached date text, or -1 */
	char date[32]; /* "03-Mar-2024 12:00:00" of sec */
	size_t date_len;
};

int scenario_log_open(struct scenario_log *lg, const char *path);
void scenario_log_query(struct scenario_log *lg, const struct scenario_pkt *pk, const char *qname,
                        uint16_t qtype, int rd, int edns);
int scenario_log_close(struct scenario_log *lg);

/* The dnstap writer: a Frame Streams file (START with dnstap's content
 * type, data frames, STOP). identity names the server. type is the
 * dnstap Message.Type (CLIENT_QUERY 5 ... RESOLVER_RESPONSE 4). */
int scenario_dnstap_open(struct scenario_file *sf, const char *path);
void scenario_dnstap_msg(struct scenario_file *sf, const char *identity, unsigned type,
                         const struct scenario_pkt *pk, int response);
int scenario_dnstap_close(struct scenario_file *sf);

#endif
