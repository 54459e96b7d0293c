/*
 * put_findings.c - test tool: records findings in a store's findings
 * table, one per input line, so the command tests have findings without
 * a detector:
 *
 *   put_findings DIR < lines
 *   line: HOST LEVEL KIND START_S END_S SCORE EVIDENCE-JSON...
 *
 * The evidence is the rest of the line, passed as it is; "-" means none.
 * Prints what store_findings_put() answered per line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/finding.h"
#include "util/err.h"

int main(int argc, char **argv)
{
	struct store_findings *t = NULL;
	char line[8192];
	int rc = 0;

	if (argc != 2) {
		fputs("usage: put_findings DIR < lines\n", stderr);
		return 2;
	}
	mkdir(argv[1], 0755); /* the table needs the store's directory */
	int e = store_findings_open(&t, argv[1], 1);
	if (e != 0) {
		fprintf(stderr, "put_findings: %s: %s\n", argv[1], dh_strerror(e));
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		char host[64], level[16], kind[STORE_KIND_MAX];
		long long t0, t1;
		double score;
		int used = 0;
		struct store_finding f;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%63s %15s %31s %lld %lld %lf %n", host, level, kind, &t0, &t1,
		           &score, &used) != 6) {
			fprintf(stderr, "put_findings: bad line '%s'\n", line);
			rc = 1;
			break;
		}
		memset(&f, 0, sizeof(f));
		if (dh_addr_parse(&f.host, host) != 0 || store_level_parse(level, &f.level) != 0) {
			fprintf(stderr, "put_findings: bad host or level in '%s'\n", line);
			rc = 1;
			break;
		}
		memcpy(f.kind, kind, sizeof(kind));
		f.window_start_ns = t0 * 1000000000LL;
		f.window_end_ns = t1 * 1000000000LL;
		f.score = score;
		f.evidence = strcmp(line + used, "-") == 0 ? NULL : line + used;
		e = store_findings_put(t, &f, f.window_end_ns);
		if (e < 0) {
			fprintf(stderr, "put_findings: %s\n", dh_strerror(e));
			rc = 1;
			break;
		}
		printf("%d\n", e);
	}
	store_findings_close(t);
	return rc;
}
