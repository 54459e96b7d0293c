/*
 * fuzz_dns_msg.c - dns_parse() on arbitrary bytes, then every renderer on
 * what it kept: owner and RDATA of each record (into a roomy buffer and a
 * tiny one, to reach the truncation paths), the question name again with
 * and without lower-casing, and the mnemonics of every number it found.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire/dns.h"
#include "wire/dns_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Static, so that a 3.6 kB message and a 64 kB text buffer do not sit on
 * the fuzzer's stack. */
static struct dns_msg msg;
static char text[1 << 17];

static size_t checked_len(int rc, const char *buf, size_t cap)
{
	size_t n = strnlen(buf, cap);

	/* A success returns exactly the string length; anything else is a
	 * bug worth a crash. */
	if (rc >= 0 && (size_t)rc != n)
		__builtin_trap();
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char small[7];
	char num[16];
	uint16_t type;

	(void)dns_parse(&msg, data, size);
	if (msg.has_question && strlen(msg.qname) != msg.qname_len)
		__builtin_trap();
	if (size > 12)
		(void)checked_len(dns_name_text(data, size, 12, text, sizeof(text), 0), text,
		                  sizeof(text));
	(void)dns_rcode_name(dns_msg_rcode(&msg), num, sizeof(num));
	(void)dns_opcode_name(dns_msg_opcode(&msg), num, sizeof(num));
	(void)dns_class_name(msg.qclass, num, sizeof(num));
	if (dns_type_parse(dns_type_name(msg.qtype, num, sizeof(num)), &type) != 0 ||
	    type != msg.qtype)
		__builtin_trap();
	for (unsigned i = 0; i < msg.rr_count; i++) {
		const struct dns_rr *rr = &msg.rr[i];
		(void)checked_len(dns_rr_owner_text(&msg, rr, text, sizeof(text)), text,
		                  sizeof(text));
		(void)checked_len(dns_rr_data_text(&msg, rr, text, sizeof(text)), text,
		                  sizeof(text));
		(void)checked_len(dns_rr_data_text(&msg, rr, small, sizeof(small)), small,
		                  sizeof(small));
		(void)dns_type_name(rr->type, num, sizeof(num));
		(void)dns_class_name(rr->rclass, num, sizeof(num));
	}
	return 0;
}
