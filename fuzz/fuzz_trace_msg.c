/*
 * fuzz_trace_msg.c - the input as a traceback request and as an answer
 * (doc/protocol.md). Whatever parses must encode again and parse to the
 * same request, so the encoder never writes what the parser refuses.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace_request r, r2;
	struct trace_answer a, b;
	char err[256], *text = NULL;
	size_t len = 0;

	if (trace_request_parse(data, size, &r, err, sizeof(err)) == 0 &&
	    trace_request_encode(&r, &text, &len) == 0) {
		if (trace_request_parse((const uint8_t *)text, len, &r2, err, sizeof(err)) != 0 ||
		    memcmp(&r, &r2, sizeof(r)) != 0)
			abort();
		free(text);
		text = NULL;
	}
	if (trace_answer_parse(data, size, &a, err, sizeof(err)) == 0 &&
	    trace_answer_encode(&a, &text, &len) == 0) {
		if (trace_answer_parse((const uint8_t *)text, len, &b, err, sizeof(err)) != 0 ||
		    b.ncand != a.ncand || b.nconf != a.nconf || b.error != a.error)
			abort();
		trace_answer_release(&b);
		free(text);
	}
	trace_answer_release(&a);
	return 0;
}
