/*
 * dnstap.h - dnstap payloads and Frame Streams framing, decoded by hand.
 *
 * dnstap (dnstap.info) is a protobuf message per DNS message seen by a
 * server, carried in Frame Streams. dnshound decodes both itself instead
 * of through protobuf-c and libfstrm: the schema is small and stable
 * (field numbers in dnstap.proto beside this file), a bounded decoder of
 * our own allocates nothing per message, and every length in the input is
 * checked through the same cursor as the DNS parser. See doc/dnstap.md.
 */
#ifndef DH_SOURCE_DNSTAP_H
#define DH_SOURCE_DNSTAP_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"

/* The content type dnstap writers announce (Frame Streams START frame). */
#define DNSTAP_CONTENT_TYPE "protobuf:dnstap.Dnstap"

/* Frame Streams control frame types. */
enum {
	FSTRM_CONTROL_ACCEPT = 1,
	FSTRM_CONTROL_START = 2,
	FSTRM_CONTROL_STOP = 3,
	FSTRM_CONTROL_READY = 4,
	FSTRM_CONTROL_FINISH = 5,
};

/* Largest data frame accepted; dnstap writers cap frames far lower (a
 * DNS message is at most 64 KiB, and a dnstap frame carries at most two). */
#define FSTRM_FRAME_MAX (256 * 1024)

/*
 * Decodes one dnstap protobuf payload into ev: observer from identity,
 * role from the message type, addresses and ports oriented as the message
 * travelled (a query from query_address to response_address, a response
 * the other way), time from query_time or response_time, and the DNS
 * message from query_message or response_message, parsed with dns_parse()
 * (ev->msg refers into buf, which must outlive ev's use).
 *
 * Returns 0; DH_ENOTDNS for a well-formed payload that carries no DNS
 * message (nothing to record); or a negative DH_E* code for a malformed
 * payload. When only the embedded DNS message is malformed the return is
 * 0 and ev->msg.err says why.
 */
int dnstap_decode(const uint8_t *buf, size_t len, struct ev_event *ev);

/*
 * Checks a control frame's payload (type and content-type fields).
 * Returns the control type (> 0), or a negative code when the frame is
 * malformed or announces a content type other than dnstap's.
 */
int fstrm_control_parse(const uint8_t *buf, size_t len);

/* Writes a control frame (escape, length, type, optional content type)
 * into out. Returns its length, or DH_ESPACE. */
int fstrm_control_write(uint8_t *out, size_t cap, unsigned type, const char *content_type);

#endif
